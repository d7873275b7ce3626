#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's busybox (the dynamically linked one, package busybox) for the
# recovery image's DHCP client, udhcpc (recovery/boot/network.c). The
# image carries glibc anyway, so the shared build is 1.2 MB smaller than
# busybox-static's binary (about 0.55 MB of the zstd'ed initramfs). The
# two packages conflict, so the .deb is only downloaded into the cache and
# unpacked there; the host keeps busybox-static (the tests' udhcpc).
#
# usage: media/fetch-busybox.sh CACHE_DIR
# writes: CACHE_DIR/busybox/busybox (and busybox.version)
set -eu

die() { echo "fetch-busybox: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
mkdir -p "$1/debs"
cache=$(cd "$1" && pwd)
deb=$(ls -1 "$cache"/debs/busybox_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
if [ -z "$deb" ]; then
	(cd "$cache/debs" && apt-get -o APT::Sandbox::User=root download -q busybox) >&2 ||
		die "apt-get download busybox failed (is the Debian archive reachable? try: apt-get update)"
	deb=$(ls -1 "$cache"/debs/busybox_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$deb" ] || die "apt-get download left no busybox .deb in $cache/debs"
dpkg-deb --info "$deb" >/dev/null 2>&1 || die "$deb is not a valid .deb (delete it and retry)"
tmp=$cache/busybox.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg-deb -x "$deb" "$tmp/root"
bin=$tmp/root/bin/busybox
[ -x "$bin" ] || die "$deb has no /bin/busybox"
"$bin" udhcpc --help >/dev/null 2>&1 || die "$deb's busybox has no udhcpc applet"
mkdir -p "$tmp/out"
cp "$bin" "$tmp/out/busybox"
dpkg-deb -f "$deb" Version >"$tmp/out/busybox.version"
rm -rf "$cache/busybox"
mv "$tmp/out" "$cache/busybox"
rm -rf "$tmp"
echo "fetch-busybox: $cache/busybox/busybox ($(cat "$cache/busybox/busybox.version"), $(wc -c <"$cache/busybox/busybox") bytes)"
