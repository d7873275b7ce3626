#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Sign a UEFI image (lastgood.efi) for Secure Boot with sbsign (Debian's
# sbsigntool): an Authenticode signature appended as the PE certificate
# table. The result is checked with sbverify against the same certificate
# before it replaces anything, so a wrong key/certificate pair or an
# expired/unsuitable certificate fails the build instead of the boot.
#
# usage: media/sign.sh -k KEY.pem -c CERT.pem -i IN.efi -o OUT.efi
#   KEY.pem may be passphrase-protected (sbsign asks for it on the
#   terminal). IN and OUT may be the same file.
set -eu

die() { echo "sign: $*" >&2; exit 1; }

main() {
	KEY="" CERT="" IN="" OUTEFI=""
	while getopts k:c:i:o: opt; do
		case $opt in
		k) KEY=$OPTARG ;;
		c) CERT=$OPTARG ;;
		i) IN=$OPTARG ;;
		o) OUTEFI=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	[ -f "$KEY" ] || die "no signing key '$KEY' (SIGN_KEY=key.pem)"
	[ -f "$CERT" ] || die "no certificate '$CERT' (SIGN_CERT=cert.pem)"
	[ -f "$IN" ] && [ -n "$OUTEFI" ] || die "missing input or output (see the header of $0)"
	command -v sbsign >/dev/null || die "sbsign is missing (package sbsigntool; build/install-deps installs it)"
	# sbsign reads PEM only; a DER certificate (as enrolled in db) is a
	# common mix-up, said plainly.
	grep -q -- '-----BEGIN CERTIFICATE-----' "$CERT" ||
		die "$CERT is not a PEM certificate (convert a DER one: openssl x509 -inform DER -in cert.der -out cert.pem)"
	# A second signature on an already signed file would be kept by the
	# firmware only if both verify; start from an unsigned image.
	if sbverify --list "$IN" 2>/dev/null | grep -q '^signature 1'; then
		die "$IN is already signed (sign the unsigned image that mkefi.sh wrote)"
	fi
	rm -f "$OUTEFI.signed"
	# sbsign warns about file-aligned sections objcopy leaves: harmless.
	sbsign --key "$KEY" --cert "$CERT" --output "$OUTEFI.signed" "$IN" 2>"$OUTEFI.sign.log" || {
		mismatch=$(grep -c 'key values mismatch\|private key does not match' "$OUTEFI.sign.log" || true)
		grep -v '^warning: data remaining' "$OUTEFI.sign.log" >&2 || true
		rm -f "$OUTEFI.signed" "$OUTEFI.sign.log"
		[ "$mismatch" = 0 ] || die "the key $KEY does not match the certificate $CERT"
		die "sbsign failed"
	}
	grep -v -e '^warning: file-aligned section' -e '^warning: data remaining' -e '^Signing Unsigned original image' "$OUTEFI.sign.log" >&2 || true
	rm -f "$OUTEFI.sign.log"
	sbverify --cert "$CERT" "$OUTEFI.signed" >/dev/null 2>&1 || {
		rm -f "$OUTEFI.signed"
		die "the signed image does not verify with $CERT: the key does not match the certificate?"
	}
	mv "$OUTEFI.signed" "$OUTEFI"
	echo "sign: $OUTEFI signed by $(openssl x509 -in "$CERT" -noout -subject 2>/dev/null | sed 's/^subject= *//')" >&2
}

main "$@"
