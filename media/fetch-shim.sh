#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch the Secure Boot chain for stock PCs (only Microsoft's keys in db)
# from Debian's archive into the cache, unpack it there (never installed:
# installing shim-signed or grub-efi-amd64-signed runs GRUB's setup on the
# build host) and describe it in an env file for media/mkshimtree.sh:
#
#   shim-signed                  shimx64.efi, signed by Microsoft's UEFI CA
#                                (2011 and 2023); Debian's CA built in
#   shim-helpers-amd64-signed    mmx64.efi (MokManager), signed by Debian
#   grub-efi-amd64-signed        grubx64.efi (disk) and grubnetx64.efi
#                                (network), signed by Debian
#
# The kernel (linux-image-*-amd64, signed by Debian) comes from
# media/fetch-kernel.sh. Reuses .debs already in CACHE/debs (the PE tests
# fetch shim-signed and grub-efi-amd64-signed there too).
#
# usage: media/fetch-shim.sh CACHE_DIR
# writes: CACHE_DIR/debs/<package>_*.deb, CACHE_DIR/shim/<deb name>/ (unpacked)
#         CACHE_DIR/shim.env (SHIM, MOKMANAGER, GRUB, GRUBNET, *_VERSION, *_SHA256)
set -eu

die() { echo "fetch-shim: $*" >&2; exit 1; }

# The newest valid cached .deb of package $2, or one downloaded into the cache.
get_deb() {
	cache=$1 pkg=$2
	deb=$(ls -1 "$cache"/debs/"$pkg"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$deb" ] && dpkg-deb --info "$deb" >/dev/null 2>&1; then
		echo "$deb"
		return
	fi
	echo "fetch-shim: downloading $pkg" >&2
	mkdir -p "$cache/debs"
	(cd "$cache/debs" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
		die "apt-get download $pkg failed (is the Debian archive reachable? try: apt-get update)"
	deb=$(ls -1 "$cache"/debs/"$pkg"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
	[ -n "$deb" ] && dpkg-deb --info "$deb" >/dev/null 2>&1 || die "no valid $pkg .deb in $cache/debs"
	echo "$deb"
}

unpack() {
	deb=$1 dest=$2
	[ -f "$dest/.unpacked" ] && return
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	dpkg-deb -x "$deb" "$dest.tmp"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	touch "$dest/.unpacked"
}

# A signed PE file from an unpacked package: it must be there and carry an
# Authenticode signature (an unsigned file would boot nowhere with Secure
# Boot on, and the failure would only show on the PC).
signed_file() {
	f=$1
	[ -f "$f" ] || die "$f is missing from its package"
	sbverify --list "$f" 2>/dev/null | grep -q '^signature 1' || die "$f carries no signature"
	echo "$f"
}

main() {
	[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
	cache=$1
	command -v sbverify >/dev/null || die "sbverify is missing (package sbsigntool)"
	set --
	for pkg in shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed; do
		deb=$(get_deb "$cache" "$pkg")
		unpack "$deb" "$cache/shim/$(basename "$deb" .deb)"
		set -- "$@" "$deb"
	done
	shim_deb=$1 helpers_deb=$2 grub_deb=$3
	d() { echo "$cache/shim/$(basename "$1" .deb)"; }
	shim=$(signed_file "$(d "$shim_deb")/usr/lib/shim/shimx64.efi.signed")
	mm=$(signed_file "$(d "$helpers_deb")/usr/lib/shim/mmx64.efi.signed")
	grub=$(signed_file "$(d "$grub_deb")/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed")
	grubnet=$(signed_file "$(d "$grub_deb")/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed")
	{
		echo "SHIM='$shim'"
		echo "MOKMANAGER='$mm'"
		echo "GRUB='$grub'"
		echo "GRUBNET='$grubnet'"
		echo "SHIM_VERSION='$(dpkg-deb -f "$shim_deb" Version)'"
		echo "SHIM_HELPERS_VERSION='$(dpkg-deb -f "$helpers_deb" Version)'"
		echo "GRUB_VERSION='$(dpkg-deb -f "$grub_deb" Version)'"
		echo "SHIM_DEB_SHA256='$(sha256sum "$shim_deb" | cut -d' ' -f1)'"
		echo "SHIM_HELPERS_DEB_SHA256='$(sha256sum "$helpers_deb" | cut -d' ' -f1)'"
		echo "GRUB_DEB_SHA256='$(sha256sum "$grub_deb" | cut -d' ' -f1)'"
	} >"$cache/shim.env.tmp"
	mv "$cache/shim.env.tmp" "$cache/shim.env"
	echo "fetch-shim: shim-signed $(dpkg-deb -f "$shim_deb" Version), grub-efi-amd64-signed $(dpkg-deb -f "$grub_deb" Version)" >&2
}

main "$@"
