#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Stage the trusted keys and the deny-list that go into the image.
#
# usage: media/stage-trust.sh OUTDIR LASTGOOD EXAMPLE_LIST [TRUST_KEYS DENYLIST]
#   With TRUST_KEYS (space-separated .pub files) and DENYLIST (its signature
#   is DENYLIST.minisig): refuse unless `lastgood denylist verify` accepts
#   the list with exactly those keys; then copy them.
#   Without: a DEMO key, made once under OUTDIR/demo-key (kept, so that
#   rebuilds give the same image), signs a copy of EXAMPLE_LIST.
# writes: OUTDIR/trusted/*.pub, OUTDIR/denylist.json(.minisig), OUTDIR/DEMO
#   when the demo key is used.
set -eu

die() { echo "stage-trust: $*" >&2; exit 1; }

demo() {
	example=$1
	keydir="$OUT/demo-key"
	if [ ! -f "$keydir/demo.key" ] || [ ! -f "$keydir/demo.pub" ]; then
		mkdir -p "$keydir"
		rm -f "$keydir/demo.key" "$keydir/demo.pub"
		# -W: no password; this key is for demonstrations only.
		minisign -G -W -p "$keydir/demo.pub" -s "$keydir/demo.key" -c "lastgood DEMO KEY (made at build time, not for production)" >/dev/null
		echo "stage-trust: made a DEMO key in $keydir" >&2
	fi
	cp "$keydir/demo.pub" "$OUT/trusted/demo.pub"
	cp "$example" "$OUT/denylist.json"
	# Fixed comments: Ed25519 is deterministic, so the same list and key
	# always give the same signature (reproducible images).
	minisign -S -s "$keydir/demo.key" -m "$OUT/denylist.json" -x "$OUT/denylist.json.minisig" \
		-c "signature from the lastgood DEMO key" \
		-t "lastgood DEMO image: $(basename "$example") (demo key, not for production)" >/dev/null </dev/null
	echo "This image trusts a DEMO key made at build time." >"$OUT/DEMO"
}

given() {
	keys=$1 list=$2
	[ -f "$list" ] || die "DENYLIST=$list does not exist"
	[ -f "$list.minisig" ] || die "$list.minisig does not exist (the signature must sit beside the list)"
	set --
	for k in $keys; do
		[ -f "$k" ] || die "TRUST key $k does not exist"
		set -- "$@" --trust "$k"
	done
	if ! "$LASTGOOD" denylist verify "$@" "$list" >&2; then
		die "refusing to build: $list does not verify against TRUST=$keys"
	fi
	for k in $keys; do
		cp "$k" "$OUT/trusted/$(basename "$k")"
	done
	cp "$list" "$OUT/denylist.json"
	cp "$list.minisig" "$OUT/denylist.json.minisig"
}

main() {
	[ $# -eq 3 ] || [ $# -eq 5 ] || die "usage: $0 OUTDIR LASTGOOD EXAMPLE_LIST [TRUST_KEYS DENYLIST]"
	OUT=$1 LASTGOOD=$2
	rm -rf "$OUT/trusted" "$OUT/denylist.json" "$OUT/denylist.json.minisig" "$OUT/DEMO"
	mkdir -p "$OUT/trusted"
	if [ $# -eq 5 ] && [ -n "$4$5" ]; then
		[ -n "$4" ] && [ -n "$5" ] || die "give both TRUST=key.pub and DENYLIST=list.json, or neither (demo)"
		given "$4" "$5"
	else
		[ -f "$3" ] || die "the example deny-list $3 does not exist"
		demo "$3"
		# The demo list must pass the same check as a given one.
		"$LASTGOOD" denylist verify --trust "$OUT/trusted/demo.pub" "$OUT/denylist.json" >/dev/null ||
			die "the demo-signed example list does not verify"
	fi
}

main "$@"
