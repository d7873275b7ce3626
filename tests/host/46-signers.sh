#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Signer rules end to end (issue 18, docs/importers.md, docs/pe.md):
#  - a test certificate chain (root, code signing CA, two publishers and a
#    "leaked" certificate) made with openssl; drivers built by mkpe and
#    signed with it by osslsigncode;
#  - a WDAC policy in the form of Microsoft's block rules, written here
#    with the CA's TBS hash computed without lastgood (openssl asn1parse +
#    dgst): a <FileAttrib> (sgnbound.sys up to 2.0.0.0) bound to a denied
#    <Signer> (the CA + CertPublisher), a denied signer without
#    FileAttribRef (the leaked certificate), a Deny hash rule naming a
#    driver by the digest its signature carries, and a signer with a
#    CertOemID (skipped);
#  - imported with --action quarantine, signed with minisign, and run
#    through `fix` on an NTFS volume made by mkfixture: exactly the signed,
#    vulnerable versions are quarantined (not the same file unsigned, not
#    a newer version, not the same name from another publisher), every
#    file the leaked certificate signed is, and the driver changed after
#    signing is, with a problem line saying so;
#  - with the three rules, each file is still read once (counters.bytes_read
#    computed from the volume) and only the matches are SHA-256 hashed.
. tests/host/lib.sh
need minisign openssl osslsigncode

KEY=tests/fixtures/keys/test.key
MKPE=$OUT/tests/fixtures/mkpe
MK=$OUT/tests/fixtures/mkfixture
[ -x "$MKPE" ] && [ -x "$MK" ] || { echo "SKIP: mkpe or mkfixture not built (make check-fast builds them)"; exit 77; }
D=Windows/System32/drivers
NOW=2024-08-01T00:00:00Z
RUN_NOW=2024-08-02T00:00:00Z

# ---------------------------------------------------------------- the chain
cat >"$T/ext.cnf" <<'EOF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
EOF
mkcert() { # name subject issuer|self ext
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" -subj "$2" 2>/dev/null
	if [ "$3" = self ]; then
		openssl x509 -req -in "$T/$1.csr" -signkey "$T/$1.key" -out "$T/$1.pem" -days 3650 \
			-extfile "$T/ext.cnf" -extensions "$4" 2>/dev/null
	else
		openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" -CAcreateserial -out "$T/$1.pem" \
			-days 3650 -sha256 -extfile "$T/ext.cnf" -extensions "$4" 2>/dev/null
	fi
}
mkcert root "/CN=Lastgood Test Root" self ca
mkcert ca "/O=Lastgood Tests/CN=Lastgood Test Code Signing CA" root ca
mkcert pub "/O=Signer Bound/CN=Signer Bound Ltd" ca leaf
mkcert other "/O=Other Vendor/CN=Other Vendor Inc" ca leaf
mkcert leaked "/O=Leaked/CN=Leaked Cert Ltd" ca leaf
tbs() { # name: the TBS hash (sha256WithRSA: SHA-256), without lastgood
	openssl asn1parse -in "$T/$1.pem" -strparse 4 -noout -out "$T/$1.tbs" >/dev/null
	openssl dgst -sha256 -r "$T/$1.tbs" | cut -d' ' -f1 | tr a-f A-F
}
CA_TBS=$(tbs ca)
LEAKED_TBS=$(tbs leaked)

# ---------------------------------------------------------------- drivers
sign() { # signer in out
	cat "$T/$1.pem" "$T/ca.pem" "$T/root.pem" >"$T/$1.chain"
	osslsigncode sign -certs "$T/$1.chain" -key "$T/$1.key" -h sha256 -in "$3.unsigned" -out "$3" >/dev/null
}
drv() { # out version original-filename [signer]
	"$MKPE" --version --sections 2 --file-version "$2" --string "CompanyName=Signer Bound" \
		--string "OriginalFilename=$3" --string "FileDescription=$(basename "$1")" "$1.unsigned"
	if [ -n "${4:-}" ]; then sign "$4" "$1" "$1"; else cp "$1.unsigned" "$1"; fi
}
drv "$T/sgnbound-1.sys" 1.0.0.0 sgnbound.sys pub         # signed, vulnerable version: match
drv "$T/sgnbound-3.sys" 3.0.0.0 sgnbound.sys pub         # signed, fixed version: no match
drv "$T/sgnbound-uns.sys" 1.0.0.0 sgnbound.sys           # unsigned: no match
drv "$T/sgnbound-oth.sys" 1.0.0.0 sgnbound.sys other     # same name, other publisher: no match
drv "$T/leaked.sys" 7.0.0.0 anything.sys leaked          # signed by the leaked certificate: match
drv "$T/changed.sys" 2.5.0.0 changed.sys other           # listed by its signed digest, then changed
# The digest the signature carries, as osslsigncode reads it.
CHANGED_DIGEST=$(osslsigncode verify -in "$T/changed.sys" 2>/dev/null |
	sed -n 's/^Current message digest *: *\([0-9A-F]*\).*/\1/p' | head -n 1)
head -c 949 /dev/urandom >>"$T/changed.sys"
same "$($LG pe --json "$T/changed.sys" | jq -r '.signatures[0].digest_matches_file')" false \
	"changed.sys: lastgood pe says it was changed after signing"

# ---------------------------------------------------------------- policy
cat >"$T/policy.xml" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy">
  <FileRules>
    <Allow ID="ID_ALLOW_ALL_1" FriendlyName="" FileName="*" />
    <Deny ID="ID_DENY_CHANGED_SHA256" FriendlyName="changed.sys Hash Sha256" Hash="$CHANGED_DIGEST" />
    <FileAttrib ID="ID_FILEATTRIB_SGNBOUND" FriendlyName="sgnbound.sys FileAttribute" FileName="sgnbound.sys" MinimumFileVersion="0.0.0.0" MaximumFileVersion="2.0.0.0" />
    <FileAttrib ID="ID_FILEATTRIB_OPUS" FriendlyName="opus.sys FileAttribute" FileName="opus.sys" MinimumFileVersion="0.0.0.0" MaximumFileVersion="65535.65535.65535.65535" />
  </FileRules>
  <Signers>
    <Signer ID="ID_SIGNER_TESTCA" Name="Lastgood Test Code Signing CA">
      <CertRoot Type="TBS" Value="$CA_TBS" />
      <CertPublisher Value="Signer Bound Ltd" />
      <FileAttribRef RuleID="ID_FILEATTRIB_SGNBOUND" />
    </Signer>
    <Signer ID="ID_SIGNER_LEAKED" Name="Leaked Cert Ltd">
      <CertRoot Type="TBS" Value="$LEAKED_TBS" />
    </Signer>
    <Signer ID="ID_SIGNER_OPUS" Name="Third Party Component CA OPUS">
      <CertRoot Type="TBS" Value="$CA_TBS" />
      <CertOemID Value="Opus Vendor" />
      <FileAttribRef RuleID="ID_FILEATTRIB_OPUS" />
    </Signer>
  </Signers>
  <SigningScenarios>
    <SigningScenario Value="131" ID="ID_SIGNINGSCENARIO_DRIVERS_1" FriendlyName="Driver Signing Scenarios">
      <ProductSigners>
        <DeniedSigners>
          <DeniedSigner SignerId="ID_SIGNER_TESTCA" />
          <DeniedSigner SignerId="ID_SIGNER_LEAKED" />
          <DeniedSigner SignerId="ID_SIGNER_OPUS" />
        </DeniedSigners>
        <FileRulesRef>
          <FileRuleRef RuleID="ID_DENY_CHANGED_SHA256" />
        </FileRulesRef>
      </ProductSigners>
    </SigningScenario>
  </SigningScenarios>
</SiPolicy>
EOF
expect_rc 0 "import the policy (quarantine)" $LG denylist import --from sipolicy --action quarantine --now $NOW \
	-o "$T/list.json" "$T/policy.xml"
contains "$T/err" "imported 3 as 6 rules (2 paths each, action quarantine): 1 by Authenticode hash, 0 by file SHA-256, 1 by original file name (1 of them with their signers), 1 by signer alone" \
	"summary: the FileAttrib with its signer, the leaked signer, the hash"
contains "$T/err" "skipped 1: 1 signer lastgood cannot check" "summary: the CertOemID signer skipped"
contains "$T/err" 'ID_FILEATTRIB_OPUS "opus.sys FileAttribute": holds only for files signed by signer "Third Party Component CA OPUS" (ID_SIGNER_OPUS), which has a CertOemID condition' \
	"summary: the CertOemID FileAttrib is named"
same "$(jq -c '.rules[] | select(.id == "ID_FILEATTRIB_SGNBOUND.drivers") | [.original_filename, .file_version, .signer]' "$T/list.json")" \
	"[\"sgnbound.sys\",{\"min\":\"0.0.0.0\",\"max\":\"2.0.0.0\"},[{\"tbs\":\"$(echo "$CA_TBS" | tr A-F a-f)\",\"publisher\":\"Signer Bound Ltd\"}]]" \
	"the FileAttrib rule: name, version range, the CA's TBS hash and the publisher"
same "$(jq -c '.rules[] | select(.id == "ID_SIGNER_LEAKED.drivers") | .signer' "$T/list.json")" \
	"[{\"tbs\":\"$(echo "$LEAKED_TBS" | tr A-F a-f)\"}]" "the leaked certificate: a signer-only rule"
# The TBS hash lastgood reads from a signed file is the one in the policy.
same "$($LG pe --json "$T/sgnbound-1.sys" | jq -r '.signatures[0].certificates[] | select(.subject_cn == "Lastgood Test Code Signing CA") | .tbs_hash')" \
	"$(echo "$CA_TBS" | tr A-F a-f)" "lastgood pe: the CA's TBS hash = openssl's"

minisign -S -s $KEY -m "$T/list.json" -t "lastgood signer test" </dev/null >/dev/null 2>&1 && ok "list signed" ||
	bad "minisign -S failed"
expect_rc 0 "denylist verify" $LG denylist verify --trust $TRUST --now $RUN_NOW "$T/list.json"

# ---------------------------------------------------------------- the volume
cat >"$T/scen.txt" <<EOF
time 2024-07-30T09:00:00Z
disk 256M table=gpt
part ntfs rest label=Windows
include $PWD/tests/fixtures/scenarios/windows-tree.inc
file $D/sgnbound.sys data=file:\${T}/sgnbound-1.sys
file $D/fixed/sgnbound.sys data=file:\${T}/sgnbound-3.sys
file $D/unsigned/sgnbound.sys data=file:\${T}/sgnbound-uns.sys
file $D/other/sgnbound.sys data=file:\${T}/sgnbound-oth.sys
file Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/renamed.sys data=file:\${T}/leaked.sys
file $D/changed.sys data=file:\${T}/changed.sys
EOF
"$MK" -D OUT="$(realpath "$OUT")" -D T="$T" "$T/scen.txt" "$T/disk.img" 2>"$T/mk.err" && ok "volume built" ||
	{ bad "mkfixture failed"; cat "$T/mk.err"; finish; }

expect_rc 3 "scan: matches to quarantine (exit 3)" $LG scan --denylist "$T/list.json" --trust $TRUST --now $RUN_NOW \
	--json "$T/disk.img"
jq -r '.volumes[].matches[] | .rule + " " + .path' "$T/out" | sort >"$T/scan.matches"
cat >"$T/want" <<EOF
ID_DENY_CHANGED_SHA256.drivers $D/changed.sys
ID_FILEATTRIB_SGNBOUND.drivers $D/sgnbound.sys
ID_SIGNER_LEAKED.driverstore Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/renamed.sys
EOF
if diff -u "$T/want" "$T/scan.matches"; then ok "scan: exactly the signed vulnerable driver, the leaked signer's file, the changed driver"
else bad "scan: other matches than expected"; fi
same "$(jq -r '.volumes[].problems[]? | select(.path == "'$D'/changed.sys") | .what | startswith("changed after signing")' "$T/out")" \
	true "scan: a problem line says changed.sys was changed after signing"
same "$(jq -r '[.volumes[].problems[]?] | length' "$T/out")" 1 "scan: no other problem"
same "$(jq -r '[.volumes[].matches[] | select(.changed_after_signing == true) | .path] | join(",")' "$T/out")" \
	"$D/changed.sys" "scan: the match of changed.sys (and only it) says changed_after_signing"
# One read per file with signer rules too (docs/denylist.md, "Each file is
# read once"):
# three rules look at every file under the two paths, yet each PE driver
# is read once in full (its signatures decoded from those bytes for the
# signer rules, its Authenticode hash for the hash rule), every other
# file only as far as its first 4 KiB, and the SHA-256 of each match in
# the report comes from the same read. Expected from the volume as
# ntfs-3g lists it (folders list as size 0) and the drivers' own sizes.
P=$(part "$T/disk.img" 1)
prefix=0
for dir in Windows/System32/drivers Windows/System32/DriverStore; do
	n=$(ntfsls -f "$P" -R -l -p "/$dir" | awk '$1 ~ /^[0-9]+$/ { s += ($1 < 4096 ? $1 : 4096) } END { print s + 0 }')
	prefix=$((prefix + n))
done
rest=0 matched=0
for f in sgnbound-1 sgnbound-3 sgnbound-uns sgnbound-oth leaked changed; do
	sz=$(stat -c %s "$T/$f.sys")
	[ "$sz" -gt 4096 ] && rest=$((rest + sz - 4096))
	case $f in sgnbound-1 | leaked | changed) matched=$((matched + sz)) ;; esac
done
same "$(jq -r '.volumes[0].counters.bytes_read' "$T/out")" $((prefix + rest)) \
	"scan: bytes read = each PE driver once in full + the first 4 KiB of every other file under the rules' paths"
same "$(jq -r '.volumes[0].counters | "\(.files_hashed) \(.bytes_hashed)"' "$T/out")" "3 $matched" \
	"scan: SHA-256 only of the three matches, once each"

expect_rc 0 "fix" $LG fix --denylist "$T/list.json" --trust $TRUST --now $RUN_NOW --json "$T/disk.img"
same "$(jq -r '.summary.quarantined' "$T/out")" 3 "fix: three files quarantined"
P=$(part "$T/disk.img" 1)
ls_has "$P" "$D" sgnbound.sys && bad "sgnbound.sys 1.0 still in drivers" || ok "fix: signed sgnbound.sys 1.0 moved"
ls_has "$P" "$D" changed.sys && bad "changed.sys still in drivers" || ok "fix: changed.sys moved"
ls_has "$P" "$D/fixed" sgnbound.sys && ok "fix: version 3.0 stays" || bad "fix: version 3.0 gone"
ls_has "$P" "$D/unsigned" sgnbound.sys && ok "fix: the unsigned copy stays" || bad "fix: unsigned copy gone"
ls_has "$P" "$D/other" sgnbound.sys && ok "fix: the other publisher's file stays" || bad "fix: other publisher's gone"
ls_has "$P" "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1" renamed.sys &&
	bad "the leaked signer's file is still there" || ok "fix: the leaked signer's file moved"
finish
