#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian's kernel package (the one linux-image-amd64 depends on) into
# a cache, unpack it there and describe it in an env file that the other
# media scripts source. Reuses a .deb already in the cache (another part of
# the build may have fetched it). Only Debian's apt archive is used.
#
# usage: media/fetch-kernel.sh CACHE_DIR
# writes: CACHE_DIR/debs/linux-image-<ver>-amd64_*.deb
#         CACHE_DIR/kernel/<ver>/ (unpacked tree)
#         CACHE_DIR/kernel.env (KVER, KDEB, KDEB_SHA256, KDEB_VERSION, VMLINUZ, KMODDIR)
set -eu

die() { echo "fetch-kernel: $*" >&2; exit 1; }

# The versioned package name, e.g. linux-image-6.1.0-56-amd64. An override
# (KERNEL_PKG=...) pins a kernel; otherwise the metapackage's dependency.
kernel_pkg() {
	if [ -n "${KERNEL_PKG:-}" ]; then
		echo "$KERNEL_PKG"
		return
	fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

# A cached .deb of that package, newest version first.
cached_deb() {
	ls -1 "$1"/debs/"$2"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1
}

download() {
	mkdir -p "$1/debs"
	(cd "$1/debs" && apt-get download -q "$2") >&2 ||
		die "apt-get download $2 failed (is the Debian archive reachable? try: apt-get update)"
}

unpack() {
	deb=$1 dest=$2
	if [ -f "$dest/.unpacked" ]; then
		return
	fi
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	dpkg-deb -x "$deb" "$dest.tmp"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	touch "$dest/.unpacked"
}

main() {
	[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
	cache=$1
	mkdir -p "$cache"
	pkg=$(kernel_pkg)
	[ -n "$pkg" ] || die "cannot find the kernel package linux-image-amd64 depends on (apt-get update?)"
	kver=${pkg#linux-image-}
	deb=$(cached_deb "$cache" "$pkg")
	if [ -z "$deb" ]; then
		echo "fetch-kernel: downloading $pkg" >&2
		download "$cache" "$pkg"
		deb=$(cached_deb "$cache" "$pkg")
		[ -n "$deb" ] || die "apt-get download left no $pkg .deb in $cache/debs"
	fi
	dpkg-deb --info "$deb" >/dev/null 2>&1 || die "$deb is not a valid .deb (delete it and retry)"
	debver=$(dpkg-deb -f "$deb" Version)
	sha=$(sha256sum "$deb" | cut -d' ' -f1)
	dest="$cache/kernel/$kver"
	unpack "$deb" "$dest"
	[ -f "$dest/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"
	[ -d "$dest/lib/modules/$kver" ] || die "$deb has no lib/modules/$kver"
	{
		echo "KVER='$kver'"
		echo "KPKG='$pkg'"
		echo "KDEB='$deb'"
		echo "KDEB_VERSION='$debver'"
		echo "KDEB_SHA256='$sha'"
		echo "VMLINUZ='$dest/boot/vmlinuz-$kver'"
		echo "KMODDIR='$dest/lib/modules/$kver'"
	} >"$cache/kernel.env.tmp"
	mv "$cache/kernel.env.tmp" "$cache/kernel.env"
	echo "fetch-kernel: $pkg $debver ($sha)" >&2
}

main "$@"
