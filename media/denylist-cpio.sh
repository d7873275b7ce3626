#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Pack a deny-list and its signature as an extra initrd (newc cpio) holding
# lastgood/override/denylist.json(.minisig): the shim chain's network GRUB
# loads it after the recovery initrd, and lastgood's PID 1 uses the list
# when its signature checks with a built-in key and its serial is higher
# (as it does with the list lastgood.efi fetches over TFTP). Debian's
# GRUB 2.06 cannot build such an archive itself: its "newc:" initrd
# prefix writes names without their terminating NUL, which the kernel
# rejects as a malformed archive.
#
# Run it on the server after replacing denylist.json(.minisig):
#   ./update-denylist.sh                       (in the TFTP directory)
#   ./update-denylist.sh LIST.json OUT.cpio
set -eu

die() { echo "denylist-cpio: $*" >&2; exit 1; }

LIST=${1:-denylist.json}
OUTCPIO=${2:-boot/denylist.cpio}
[ -f "$LIST" ] && [ -f "$LIST.minisig" ] || die "$LIST and $LIST.minisig are needed"
command -v cpio >/dev/null || die "cpio is missing (Debian package cpio)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lastgood/override"
cp "$LIST" "$tmp/lastgood/override/denylist.json"
cp "$LIST.minisig" "$tmp/lastgood/override/denylist.json.minisig"
touch -d "@${SOURCE_DATE_EPOCH:-0}" "$tmp/lastgood" "$tmp/lastgood/override" "$tmp"/lastgood/override/*
(cd "$tmp" && printf '%s\n' lastgood lastgood/override lastgood/override/denylist.json \
	lastgood/override/denylist.json.minisig | cpio --quiet -o -H newc -R 0:0 --reproducible) >"$OUTCPIO.tmp"
mv "$OUTCPIO.tmp" "$OUTCPIO"
