#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The signatures `lastgood pe` reads (recovery/formats/authenticode.c),
# field by field against independent tools, on real signed files:
#  - Debian's signed shim (two Microsoft signatures), GRUB and kernel
#    (Debian's key), from the packages tests/host/40-pe.sh fetches into
#    out/cache/debs: the PKCS#7 of each certificate table entry is cut out
#    with dd at the offsets objdump gives, its certificates printed by
#    `openssl pkcs7 -print_certs`; subject and issuer CN, serial, SHA-1 and
#    SHA-256 thumbprints come from `openssl x509`, the TBS hash from
#    `openssl asn1parse -strparse 4` and `openssl dgst` with the
#    certificate's own signature hash; the signed digest from
#    `osslsigncode verify`, the signers from `sbverify --list`;
#  - the WDAC value everyone can check: "Microsoft Windows Production PCA
#    2011" (taken from OVMF's Microsoft variable store) has TBS hash
#    4E80BE10...2146, as Microsoft's block rules write it;
#  - files signed here by osslsigncode: a nested (dual) signature, an
#    RFC 3161 timestamp, bytes appended after the signature.
set -eu -o pipefail

OUT=${OUT:-out}
LG=${LG:-$OUT/lastgood}
MKPE=$OUT/tests/fixtures/mkpe
for tool in openssl osslsigncode sbverify objdump dpkg-deb jq od; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is missing (build/install-deps installs it)"
		exit 77
	fi
done
[ -x "$LG" ] || { echo "FAIL: $LG is not built"; exit 1; }
[ -x "$MKPE" ] || make -s "$MKPE" >/dev/null

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() { # what expected actual
	if [ "$2" = "$3" ]; then echo "ok   $1"; else fail "$1: expected '$2', got '$3'"; fi
}
lower() { tr 'A-F' 'a-f'; }

# The common name of a certificate's subject or issuer (PEM in $1).
cert_cn() { # pem subject|issuer
	openssl x509 -in "$1" -noout -"$2" -nameopt multiline,utf8,-esc_msb |
		sed -n 's/^ *commonName *= //p' | head -n 1
}
# The TBS hash as WDAC computes it, without lastgood: the DER TBSCertificate
# (the first element of the certificate) hashed with the digest of the
# certificate's signature algorithm.
tbs_hash() { # pem
	local alg
	alg=$(openssl x509 -in "$1" -noout -text | sed -n 's/^ *Signature Algorithm: *//p' | head -n 1)
	case $alg in
	sha1WithRSAEncryption | ecdsa-with-SHA1) alg=sha1 ;;
	sha256WithRSAEncryption | ecdsa-with-SHA256) alg=sha256 ;;
	sha384WithRSAEncryption | ecdsa-with-SHA384) alg=sha384 ;;
	sha512WithRSAEncryption | ecdsa-with-SHA512) alg=sha512 ;;
	*) echo "unknown:$alg"; return ;;
	esac
	openssl asn1parse -in "$1" -strparse 4 -noout -out "$1.tbs" >/dev/null
	echo "$(openssl dgst -"$alg" -r "$1.tbs" | cut -d' ' -f1) $alg"
}
fp() { openssl x509 -in "$1" -noout -fingerprint -"$2" | sed 's/.*=//; s/://g' | lower; }

# Every certificate of PKCS#7 DER $1 against lastgood's JSON object $2
# (one element of "signatures").
check_certs() { # der sigjson label
	local der=$1 sj=$2 label=$3 n k=0 pem
	openssl pkcs7 -inform DER -in "$der" -print_certs -out "$der.pem" 2>/dev/null ||
		{ fail "$label: openssl cannot read the PKCS#7"; return; }
	rm -f "$der".c*
	awk -v p="$der.c" '/BEGIN CERT/{n++} n{print > (p n ".pem")}' "$der.pem"
	n=$(ls "$der".c*.pem 2>/dev/null | wc -l)
	expect_eq "$label: number of certificates" "$n" "$(jq '.certificates | length' "$sj")"
	for pem in $(ls "$der".c*.pem | sort -V); do
		local c
		c=$(jq -c ".certificates[$k]" "$sj")
		expect_eq "$label cert $k: subject_cn" "$(cert_cn "$pem" subject)" "$(jq -r .subject_cn <<<"$c")"
		expect_eq "$label cert $k: issuer_cn" "$(cert_cn "$pem" issuer)" "$(jq -r .issuer_cn <<<"$c")"
		expect_eq "$label cert $k: serial" "$(openssl x509 -in "$pem" -noout -serial | sed 's/serial=//' | lower)" \
			"$(jq -r .serial <<<"$c")"
		expect_eq "$label cert $k: sha1 thumbprint" "$(fp "$pem" sha1)" "$(jq -r .sha1 <<<"$c")"
		expect_eq "$label cert $k: sha256 thumbprint" "$(fp "$pem" sha256)" "$(jq -r .sha256 <<<"$c")"
		expect_eq "$label cert $k: TBS hash (openssl asn1parse + dgst)" "$(tbs_hash "$pem")" \
			"$(jq -r '.tbs_hash + " " + .tbs_algorithm' <<<"$c")"
		k=$((k + 1))
	done
}

# The WIN_CERTIFICATE entries of PE $1 cut into $1.eN.der; prints N.
split_table() { # pe
	local f=$1 off size end n=0 len
	read -r off size < <(objdump -p "$f" | awk '/Security Directory/ {print $3, $4}')
	off=$((16#$off))
	size=$((16#$size))
	end=$((off + size))
	while [ $((off + 8)) -le $end ]; do
		len=$(od -An -tu4 -j "$off" -N4 "$f" | tr -d ' ')
		[ "$len" -ge 8 ] || break
		dd if="$f" of="$f.e$n.der" bs=1 skip=$((off + 8)) count=$((len - 8)) status=none
		n=$((n + 1))
		off=$((off + (len + 7) / 8 * 8))
	done
	echo "$n"
}

# --- the WDAC known value -------------------------------------------------

VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
"$MKPE" --version --sections 1 "$TMP/u.sys"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/k.pem" -out "$TMP/c.pem" \
	-days 30 -subj "/CN=lastgood test signer" 2>/dev/null
if [ -f "$VARS" ]; then
	pca=
	for o in $(LC_ALL=C grep -obUaP '\x30\x82..\x30\x82' "$VARS" | cut -d: -f1); do
		l=$(( $(od -An -tu1 -j $((o + 2)) -N1 "$VARS") * 256 + $(od -An -tu1 -j $((o + 3)) -N1 "$VARS") + 4 ))
		dd if="$VARS" of="$TMP/v.der" bs=1 skip="$o" count="$l" status=none
		if openssl x509 -inform DER -in "$TMP/v.der" -noout -subject 2>/dev/null |
			grep -q "CN = Microsoft Windows Production PCA 2011"; then
			openssl x509 -inform DER -in "$TMP/v.der" -out "$TMP/pca.pem"
			pca=$TMP/pca.pem
			break
		fi
	done
	if [ -n "$pca" ]; then
		osslsigncode sign -certs "$TMP/c.pem" -key "$TMP/k.pem" -ac "$pca" -h sha256 -in "$TMP/u.sys" \
			-out "$TMP/pca.sys" >/dev/null
		"$LG" pe --json "$TMP/pca.sys" >"$TMP/pca.json"
		got=$(jq -r '.signatures[0].certificates[] | select(.subject_cn == "Microsoft Windows Production PCA 2011") | .tbs_hash' "$TMP/pca.json")
		expect_eq "Microsoft Windows Production PCA 2011: TBS hash as in Microsoft's block rules" \
			4e80be107c860de896384b3eff50504dc2d76ac7151df3102a4450637a032146 "$got"
		expect_eq "Microsoft Windows Production PCA 2011: TBS hash = openssl asn1parse + dgst" \
			"$(tbs_hash "$pca" | cut -d' ' -f1)" "$got"
	else
		fail "no Microsoft Windows Production PCA 2011 certificate in $VARS"
	fi
else
	echo "note: $VARS missing (package ovmf): known-value check skipped"
fi

# --- signed here: nested, timestamped, changed after signing ------------

osslsigncode sign -certs "$TMP/c.pem" -key "$TMP/k.pem" -h sha256 -in "$TMP/u.sys" -out "$TMP/s1.sys" >/dev/null
osslsigncode sign -nest -certs "$TMP/c.pem" -key "$TMP/k.pem" -h sha1 -in "$TMP/s1.sys" -out "$TMP/s2.sys" >/dev/null
"$LG" pe --json "$TMP/s2.sys" >"$TMP/s2.json"
expect_eq "dual-signed: two signatures" 2 "$(jq '.signatures | length' "$TMP/s2.json")"
expect_eq "dual-signed: the second is nested in the first" 0 "$(jq '.signatures[1].nested_in' "$TMP/s2.json")"
expect_eq "dual-signed: algorithms" "sha256 sha1" "$(jq -r '[.signatures[].digest_algorithm] | join(" ")' "$TMP/s2.json")"
expect_eq "dual-signed: SHA-256 digest = authentihash_sha256" "$(jq -r .authentihash_sha256 "$TMP/s2.json")" \
	"$(jq -r '.signatures[0].digest' "$TMP/s2.json")"
expect_eq "dual-signed: SHA-1 digest = authentihash_sha1" "$(jq -r .authentihash_sha1 "$TMP/s2.json")" \
	"$(jq -r '.signatures[1].digest' "$TMP/s2.json")"
expect_eq "dual-signed: osslsigncode's digests" \
	"$(osslsigncode verify -in "$TMP/s2.sys" 2>/dev/null | sed -n 's/^Current message digest *: *\([0-9A-F]*\).*/\1/p' | lower | tr '\n' ' ')" \
	"$(jq -r '[.signatures[].digest] | join(" ")' "$TMP/s2.json") "
expect_eq "dual-signed: both verify" "true true true true" \
	"$(jq -r '[.signatures[] | .signature_verifies, .digest_matches_file] | map(tostring) | join(" ")' "$TMP/s2.json")"

if (osslsigncode --help 2>&1 || true) | grep -q -- -TSA-certs; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/tk.pem" -out "$TMP/tc.pem" \
		-days 30 -subj "/CN=lastgood test TSA" -addext "extendedKeyUsage=critical,timeStamping" 2>/dev/null
	osslsigncode sign -certs "$TMP/c.pem" -key "$TMP/k.pem" -h sha256 -TSA-certs "$TMP/tc.pem" -TSA-key "$TMP/tk.pem" \
		-TSA-time 1700000000 -in "$TMP/u.sys" -out "$TMP/ts.sys" >/dev/null
	"$LG" pe --json "$TMP/ts.sys" >"$TMP/ts.json"
	expect_eq "RFC 3161 timestamp: signing time" "2023-11-14T22:13:20Z rfc3161" \
		"$(jq -r '.signatures[0].signing_time + " " + .signatures[0].signing_time_source' "$TMP/ts.json")"
else
	echo "note: this osslsigncode has no built-in TSA: timestamp check skipped"
fi

# 949 bytes appended after the certificate table (as on a real gdrv.sys):
# the file's Authenticode hash moves, the signed digest does not.
cp "$TMP/s1.sys" "$TMP/app.sys"
head -c 949 /dev/urandom >>"$TMP/app.sys"
"$LG" pe --json "$TMP/s1.sys" >"$TMP/s1.json"
"$LG" pe --json "$TMP/app.sys" >"$TMP/app.json"
expect_eq "appended data: signed digest unchanged" "$(jq -r '.signatures[0].digest' "$TMP/s1.json")" \
	"$(jq -r '.signatures[0].digest' "$TMP/app.json")"
[ "$(jq -r .authentihash_sha256 "$TMP/app.json")" != "$(jq -r .signatures[0].digest "$TMP/app.json")" ] &&
	echo "ok   appended data: the file's hash differs from the signed digest" ||
	fail "appended data: the file's hash still equals the signed digest"
expect_eq "appended data: digest_matches_file" false "$(jq -r '.signatures[0].digest_matches_file' "$TMP/app.json")"
"$LG" pe "$TMP/app.sys" | grep -q "digest_matches_file *NO: the file was changed after signing" &&
	echo "ok   appended data: the text output says so" || fail "appended data: text output"

# --- Debian's signed boot files -------------------------------------------

SAMPLES=$OUT/cache/pe-samples
CACHE=$OUT/cache/debs
files=
for spec in "shim-signed usr/lib/shim/shimx64.efi.signed" \
	"grub-efi-amd64-signed usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" \
	"linux-image-*-amd64 boot/vmlinuz-*"; do
	read -r pkg path <<<"$spec"
	f=$(ls -d $SAMPLES/$pkg"_"*/$path 2>/dev/null | sort | head -n 1 || true)
	if [ -z "$f" ]; then
		deb=$(ls $CACHE/$pkg"_"*.deb 2>/dev/null | head -n 1 || true)
		if [ -n "$deb" ]; then
			mkdir -p "$TMP/x"
			dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$TMP/x" --wildcards "./$path"
			f=$(ls -d "$TMP"/x/$path | head -n 1)
		fi
	fi
	[ -n "$f" ] && files="$files $f"
done
if [ -z "$files" ]; then
	echo "SKIP: no Debian signed files (tests/host/40-pe.sh fetches them into $CACHE)"
	[ "$failures" -eq 0 ] || exit 1
	exit 77
fi

for f in $files; do
	label=$(basename "$f")
	cp "$f" "$TMP/$label"
	f=$TMP/$label
	"$LG" pe --json "$f" >"$f.json"
	n=$(split_table "$f")
	expect_eq "$label: top-level signatures = certificate table entries" "$n" \
		"$(jq '[.signatures[] | select(.nested_in == null)] | length' "$f.json")"
	for e in $(seq 0 $((n - 1))); do
		jq ".signatures[] | select(.table_entry == $e and .nested_in == null)" "$f.json" >"$f.s$e.json"
		check_certs "$f.e$e.der" "$f.s$e.json" "$label entry $e"
		expect_eq "$label entry $e: digest matches the file, signature verifies" "true true" \
			"$(jq -r '[.digest_matches_file, .signature_verifies] | map(tostring) | join(" ")' "$f.s$e.json")"
	done
	# sbverify --list: the signer (first certificate's subject) of each signature.
	sbverify --list "$f" 2>/dev/null | awk '/^image signature certificates:/{getline; sub(/.*CN=/, ""); print}' \
		>"$f.sbv"
	expect_eq "$label: signers as sbverify lists them" "$(tr '\n' '|' <"$f.sbv")" \
		"$(jq -r '.signatures[] | select(.nested_in == null) | .certificates[.signer].subject_cn' "$f.json" | tr '\n' '|')"
	# osslsigncode reads single-entry tables: the signed digest.
	if [ "$n" = 1 ]; then
		expect_eq "$label: signed digest = osslsigncode's" \
			"$(osslsigncode verify -in "$f" 2>/dev/null | sed -n 's/^Current message digest *: *\([0-9A-F]*\).*/\1/p' | head -n 1 | lower)" \
			"$(jq -r '.signatures[0].digest' "$f.json")"
		expect_eq "$label: signer serial = osslsigncode's" \
			"$(osslsigncode verify -in "$f" 2>/dev/null | sed -n 's/^[[:space:]]*Serial : *//p' | head -n 1 | lower)" \
			"$(jq -r '.signatures[0].certificates[.signatures[0].signer].serial' "$f.json")"
	fi
done

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
