#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lastgood denylist import, end to end: the hand-written LOLDrivers and
# SiPolicy samples (tests/fixtures/importers/) are imported, signed with
# the real minisign, verified, and scanned against the vulndriver fixture
# (real PE drivers built by mkpe); the test checks which files are
# reported and which are not, what the summary says was skipped, the
# report-only default, --action quarantine through a fix, --path, and the
# refusal of malformed or hostile input.
. tests/host/lib.sh
need minisign

KEY=tests/fixtures/keys/test.key
NOW=2024-08-01T00:00:00Z
SCAN_NOW=2024-08-02T00:00:00Z
LOL=tests/fixtures/importers/loldrivers-sample.json
SIP=tests/fixtures/importers/sipolicy-sample.xml
PE=$OUT/fixtures/pe
D=Windows/System32/drivers
IMG=$(fixture vulndriver)

# The samples name the fixture's drivers by hash: check they still do
# (mkpe output changing would make every scan check below meaningless).
jpe() { $LG pe --json "$PE/$1" | jq -r ".$2"; }
same "$(jpe vulnhw.sys authentihash_sha256)" "$(jq -r '.[0].KnownVulnerableSamples[0].Authentihash.SHA256 | ascii_downcase' $LOL)" \
	"sample: vulnhw.sys Authentihash.SHA256 is the driver's (else rebuild the samples from lastgood pe)"
same "$(jpe vulnhw-signed.sys authentihash_sha256)" "$(jpe vulnhw.sys authentihash_sha256)" \
	"fixture: the signed copy has the same Authenticode hash"
differ "$(sha "$PE/vulnhw-signed.sys")" "$(sha "$PE/vulnhw.sys")" "fixture: ... and another file SHA-256"
same "$(jpe vulnodd.sys authentihash_sha256_unpadded)" "$(jq -r '.[0].KnownVulnerableSamples[1].Authentihash.SHA256' $LOL)" \
	"sample: oddio.sys is named by its unpadded Authenticode hash"
differ "$(jpe vulnodd.sys authentihash_sha256)" "$(jpe vulnodd.sys authentihash_sha256_unpadded)" \
	"fixture: oddio.sys has two Authenticode values (size not a multiple of 8)"
same "$(sha "$PE/vulnsha.sys")" "$(jq -r '.[1].KnownVulnerableSamples[0].SHA256 | ascii_downcase' $LOL)" "sample: shady.sys SHA256"
same "$(jpe acmeio-3.1.sys file_version) $(jpe acmeio-3.2.sys file_version)" "3.1.0.36 3.2.0.0" "fixture: AcmeIO.sys versions"
grep -qi "Hash=\"$(jpe sipol256.sys authentihash_sha256)\"" $SIP && ok "sample: blocked1.sys Hash Sha256" || bad "sample: blocked1.sys Hash Sha256"
grep -qi "Hash=\"$(jpe sipol1.sys authentihash_sha1)\"" $SIP && ok "sample: blocked2.sys Hash Sha1" || bad "sample: blocked2.sys Hash Sha1"
grep -i "$(jpe pageonly.sys authentihash_sha256)" $SIP | grep -q "Hash Page Sha256" && ok "sample: pageonly.sys only as a page hash" \
	|| bad "sample: pageonly.sys page hash"

# scan_list NAME LIST: sign LIST, scan a copy of the image, matched paths
# and rules in $T/NAME.matches ("rule path", sorted).
scan_list() {
	local name=$1 list=$2
	rm -f "$list.minisig"
	minisign -S -s $KEY -m "$list" -t "lastgood test import $name" </dev/null >/dev/null 2>&1 \
		&& ok "$name: signed with minisign" || bad "$name: minisign -S failed"
	expect_rc 0 "$name: denylist verify" $LG denylist verify --trust $TRUST --now $SCAN_NOW "$list"
	cp --sparse=always "$IMG" "$T/$name.img"
	local before
	before=$(sha "$T/$name.img")
	expect_rc "${3:-0}" "$name: scan (report-only rules: exit ${3:-0})" \
		$LG scan --denylist "$list" --trust $TRUST --now $SCAN_NOW --json "$T/$name.img"
	cp "$T/out" "$T/$name.scan.json"
	jq -r '.volumes[].matches[] | .rule + " " + .path' "$T/$name.scan.json" | sort >"$T/$name.matches"
	same "$(sha "$T/$name.img")" "$before" "$name: scan leaves the image byte-identical"
}

# ---------------------------------------------------------------- LOLDrivers
expect_rc 0 "import LOLDrivers sample" $LG denylist import --from loldrivers --now $NOW -o "$T/lol.json" $LOL
cp "$T/err" "$T/lol.err"
contains "$T/lol.err" "5 drivers, 8 samples" "LOLDrivers summary: drivers and samples read"
contains "$T/lol.err" "imported 5 as 10 rules (2 paths each, action report): 2 by Authenticode hash, 2 by file SHA-256, 1 by original file name" \
	"LOLDrivers summary: what was imported"
contains "$T/lol.err" "skipped 4: 1 nothing to match on, 1 version not four numbers, 1 duplicate, 1 unsupported or malformed entry" \
	"LOLDrivers summary: what was skipped"
contains "$T/lol.err" '("3.1 beta" is not four numbers)' "LOLDrivers: the free-text version is named"
contains "$T/lol.err" 'Authentihash.SHA256 "not computed" is not 64 hex digits: trying the next field' "LOLDrivers: malformed hash, fallback"
contains "$T/lol.err" "UNSIGNED" "LOLDrivers: the output is said to be unsigned"
same "$(jq -r '[.rules[].action] | unique | join(",")' "$T/lol.json")" report "LOLDrivers: every rule is report-only by default"
same "$(jq -r '[.rules[].path] | unique | join(",")' "$T/lol.json")" \
	"Windows/System32/DriverStore/**,Windows/System32/drivers/**" "LOLDrivers: default paths"
same "$(jq -r '.rules[] | select(.id == "lol-c7e19d20-1.drivers") | .original_filename + " " + .file_version' "$T/lol.json")" \
	"AcmeIO.sys 3.1.0.36" "LOLDrivers: name rule with the version's four numbers"
same "$(jq -r '.rules[] | select(.id == "lol-3f0a8c51-2.drivers") | .sha256[0]' "$T/lol.json")" \
	"1111111111111111111111111111111111111111111111111111111111111111" "LOLDrivers: SHA256 used after a malformed Authentihash"
same "$(jq -r '.issued + " " + .expires + " " + (.serial|tostring)' "$T/lol.json")" \
	"2024-08-01T00:00:00Z 2024-08-31T00:00:00Z 1722470400" "LOLDrivers: issued --now, 30 days, serial = issue time"
# The same input gives the same bytes (a list can be reviewed, then signed).
$LG denylist import --from loldrivers --now $NOW $LOL 2>/dev/null >"$T/lol2.json"
same "$(sha "$T/lol2.json")" "$(sha "$T/lol.json")" "LOLDrivers: stdout output is byte-identical to -o"

scan_list lol "$T/lol.json"
cat >"$T/lol.want" <<EOF
lol-3f0a8c51-1.drivers $D/shady.sys
lol-9b2d6e4a-1.drivers $D/hwmon64.sys
lol-9b2d6e4a-1.drivers $D/vulnhw.sys
lol-9b2d6e4a-1.driverstore Windows/System32/DriverStore/FileRepository/vulnhw.inf_amd64_5e1f0c2a9b7d3e41/vulnhw.sys
lol-9b2d6e4a-2.drivers $D/oddio.sys
lol-c7e19d20-1.drivers $D/AcmeIO.sys
EOF
if diff -u "$T/lol.want" "$T/lol.matches"; then ok "LOLDrivers scan: exactly the vulnerable drivers (renamed, signed copy, unpadded hash, name+version)"
else bad "LOLDrivers scan: other matches than expected"; fi
grep -q "Users/alice" "$T/lol.matches" && bad "a driver outside the driver folders was reported" || ok "Users/alice/Downloads/vulnhw.sys not reported (outside the paths)"
grep -q "hwmon-new.sys" "$T/lol.matches" && bad "the clean newer driver was reported" || ok "hwmon-new.sys (same name, newer build) not reported"
grep -q "acmeio.inf" "$T/lol.matches" && bad "AcmeIO.sys 3.2.0.0 reported" || ok "AcmeIO.sys 3.2.0.0 not reported"
same "$(jq -r '.summary.quarantined' "$T/lol.scan.json")" 0 "LOLDrivers scan: nothing quarantined"

# ---------------------------------------------------------------- SiPolicy
expect_rc 0 "import SiPolicy sample" $LG denylist import --from sipolicy --now $NOW -o "$T/sip.json" $SIP
cp "$T/err" "$T/sip.err"
contains "$T/sip.err" "imported 8 as 16 rules (2 paths each, action report): 4 by Authenticode hash, 0 by file SHA-256, 3 by original file name (1 of them with their signers), 1 by signer alone" \
	"SiPolicy summary: what was imported"
contains "$T/sip.err" "skipped 6: 1 malformed hash, 4 page hash, 1 file path rule" \
	"SiPolicy summary: what was skipped"
contains "$T/sip.err" "ignored 2 Allow rules" "SiPolicy: Allow rules ignored"
same "$(jq -c '.rules[] | select(.id == "ID_FILEATTRIB_SGNBOUND.drivers") | [.original_filename, .file_version.max, .signer]' "$T/sip.json")" \
	'["sgnbound.sys","2.0.0.0",[{"tbs":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","publisher":"Signer Bound Ltd"}]]' \
	"SiPolicy: the signer-bound FileAttrib becomes name + version + signer"
same "$(jq -c '.rules[] | select(.id == "ID_SIGNER_EVILCERT.drivers") | [.signer, has("original_filename")]' "$T/sip.json")" \
	'[[{"tbs":"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"}],false]' \
	"SiPolicy: the denied signer without FileAttribRef becomes a signer-only rule"
contains "$T/sip.err" "a FilePath rule, which lastgood cannot match: skipped" "SiPolicy: FilePath rule skipped"
contains "$T/sip.err" "taken as an Authenticode SHA-1 by its length" "SiPolicy: a hash without a suffix is said to be taken by its length"
same "$(jq -r '.rules[] | select(.id == "ID_DENY_ACMEIO.drivers") | .original_filename + " " + .file_version.min + " " + .file_version.max' "$T/sip.json")" \
	"AcmeIO.sys 0.0.0.0 3.1.65535.65535" "SiPolicy: FileName rule with its version range"
same "$(jq -r '.rules[] | select(.id == "ID_DENY_DBK_64.drivers") | has("file_version")' "$T/sip.json")" false \
	"SiPolicy: the full version range means no version condition"
jq -r '.rules[].id' "$T/sip.json" | grep -qi page && bad "a page hash was imported" || ok "SiPolicy: no page hash imported"

scan_list sip "$T/sip.json"
cat >"$T/sip.want" <<EOF
ID_DENY_ACMEIO.drivers $D/AcmeIO.sys
ID_DENY_BLOCKED1_SHA1.drivers $D/blocked1.sys
ID_DENY_BLOCKED2_SHA1.drivers $D/blocked2.sys
EOF
if diff -u "$T/sip.want" "$T/sip.matches"; then ok "SiPolicy scan: exactly the blocked drivers"
else bad "SiPolicy scan: other matches than expected"; fi
grep -q pageonly "$T/sip.matches" && bad "pageonly.sys reported through a page hash" || ok "pageonly.sys not reported (page hashes are not Authenticode hashes)"
grep -q sgnbound "$T/sip.matches" && bad "sgnbound.sys reported without its signer" || ok "sgnbound.sys not reported (unsigned: its signer condition fails)"

# ---------------------------------------------------------------- quarantine, --path
expect_rc 0 "import with --action quarantine" $LG denylist import --from loldrivers --action quarantine --now $NOW -o "$T/lolq.json" $LOL
same "$(jq -r '[.rules[].action] | unique | join(",")' "$T/lolq.json")" quarantine "--action quarantine: every rule quarantines"
scan_list lolq "$T/lolq.json" 3
same "$(wc -l <"$T/lolq.matches")" 6 "--action quarantine: scan finds the same six drivers (exit 3)"
expect_rc 0 "fix with the imported quarantine list" \
	$LG fix --denylist "$T/lolq.json" --trust $TRUST --now $SCAN_NOW --json "$T/lolq.img"
same "$(jq -r '.summary.quarantined' "$T/out")" 6 "fix: six drivers quarantined"
P=$(part "$T/lolq.img" 3)
ls_has "$P" "$D" vulnhw.sys && bad "vulnhw.sys still in drivers" || ok "fix: vulnhw.sys moved out of drivers"
ls_has "$P" "$D" hwmon-new.sys && ok "fix: the clean hwmon-new.sys stays" || bad "fix: hwmon-new.sys gone"
ls_has "$P" "Users/alice/Downloads" vulnhw.sys && ok "fix: the copy outside the paths stays" || bad "fix: Users copy gone"

expect_rc 0 "import with --path" $LG denylist import --from loldrivers --now $NOW --path 'Windows/**/vulnhw.sys' \
	--path 'Users/**' -o "$T/lolp.json" $LOL
same "$(jq -r '.rules[0:2][] | .id + " " + .path' "$T/lolp.json" | tr '\n' '|')" \
	"lol-9b2d6e4a-1.p1 Windows/**/vulnhw.sys|lol-9b2d6e4a-1.p2 Users/**|" "--path: one rule per path, in order"
scan_list lolp "$T/lolp.json"
grep -q "Users/alice/Downloads/vulnhw.sys" "$T/lolp.matches" && ok "--path Users/**: the downloaded copy is found" \
	|| bad "--path: Users copy not found"

# ---------------------------------------------------------------- show, refusals
expect_rc 5 "denylist show of an imported list (verdict without --trust)" env LASTGOOD_TRUST_DIR=/nonexistent \
	$LG denylist show --now $SCAN_NOW "$T/sip.json"
contains "$T/out" "authentihash_sha256=10ee2518..." "show: Authenticode SHA-256 condition"
contains "$T/out" "original_filename=AcmeIO.sys  file_version=[0.0.0.0, 3.1.65535.65535]" "show: name and version range"
expect_rc 2 "import without --from" $LG denylist import $LOL
expect_rc 2 "import --from csv" $LG denylist import --from csv $LOL
contains "$T/err" "--from loldrivers or --from sipolicy" "usage message names the formats"
expect_rc 1 "import of a missing file" $LG denylist import --from loldrivers "$T/nothere.json"
printf '[{"KnownVulnerableSamples": [}]' >"$T/bad.json"
expect_rc 1 "import of malformed JSON" $LG denylist import --from loldrivers "$T/bad.json"
contains "$T/err" "line 1, column 30: not valid JSON" "malformed JSON: line and column"
expect_rc 1 "SiPolicy given as LOLDrivers" $LG denylist import --from loldrivers $SIP
expect_rc 1 "LOLDrivers given as SiPolicy" $LG denylist import --from sipolicy $LOL
contains "$T/err" "not well-formed XML" "JSON as XML: refused"
cat >"$T/xxe.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE SiPolicy [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy"><FileRules><Deny ID="A" FriendlyName="&x; Hash Sha1" Hash="D37F01A47B9FABD64DABFD5C9C33BC057B0BDA38"/></FileRules></SiPolicy>
EOF
expect_rc 1 "SiPolicy with a DOCTYPE (external entity)" $LG denylist import --from sipolicy "$T/xxe.xml"
contains "$T/err" "document type declaration" "DOCTYPE: refused with the reason"
grep -q root: "$T/out" && bad "an external entity was expanded" || ok "DOCTYPE: nothing of /etc/passwd in the output"
printf '<SiPolicy xmlns="urn:example"/>' >"$T/ns.xml"
expect_rc 1 "XML in another namespace" $LG denylist import --from sipolicy "$T/ns.xml"
contains "$T/err" "not a WDAC policy" "wrong namespace: refused"
expect_rc 1 "import with a bad --path" $LG denylist import --from loldrivers --path 'C:/Windows/x.sys' $LOL
contains "$T/err" 'path "C:/Windows/x.sys": drive letter' "bad --path: the loader's reason"
finish
