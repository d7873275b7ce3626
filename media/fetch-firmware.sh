#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian's NIC firmware packages into a cache and unpack them there,
# for mkinitramfs.sh -f (issue 19: network drivers in the recovery image).
# Most of it is in the non-free-firmware component, which this host's apt
# sources may not list: a private apt configuration under the cache (its
# own sources list, state and package cache; the host's apt is left alone)
# adds that component of the same Debian release. Nothing reachable is not
# an error: the image is then built without those files and says which
# firmware is missing (docs/pxe.md, "Network drivers and firmware").
#
# usage: media/fetch-firmware.sh CACHE_DIR
# writes: CACHE_DIR/firmware.env (FIRMWARE_DIR, FIRMWARE_PKGS: name=version ...,
#         FIRMWARE_NOTE when something could not be fetched)
#         CACHE_DIR/firmware/ (the unpacked /lib/firmware trees)
# Knobs: FIRMWARE_MIRROR (default http://deb.debian.org/debian),
#        FIRMWARE_SUITE (default: VERSION_CODENAME of /etc/os-release).
set -eu

# Realtek r8169/r8152 (rtl_nic/), Broadcom tg3 (tigon/), Intel ice (DDP
# package) and other NICs' files (firmware-misc-nonfree), bnx2/bnx2x
# (firmware-bnx2x).
PKGS="firmware-realtek firmware-misc-nonfree firmware-bnx2x"

die() { echo "fetch-firmware: $*" >&2; exit 1; }

main() {
	[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
	cache=$1
	mkdir -p "$cache"
	cache=$(cd "$cache" && pwd)
	apt=$cache/fw-apt
	suite=${FIRMWARE_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
	mirror=${FIRMWARE_MIRROR:-http://deb.debian.org/debian}
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs"
	printf 'deb %s %s non-free-firmware\n' "$mirror" "$suite" >"$apt/sources.list"
	set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::Cache::Archives="$apt/archives" \
		-o Dir::State::status=/var/lib/dpkg/status -o APT::Get::List-Cleanup=0 -q
	note=""
	if ! apt-get "$@" update >"$apt/update.log" 2>&1; then
		note="the non-free-firmware component of $mirror $suite could not be read (see $apt/update.log)"
	fi
	fwdir=$cache/firmware
	versions=""
	for p in $PKGS; do
		deb=$(ls -1 "$apt/debs/${p}"_*_all.deb 2>/dev/null | sort -V | tail -n 1)
		if [ -z "$deb" ] && [ -z "$note" ]; then
			(cd "$apt/debs" && apt-get "$@" download "$p") >>"$apt/update.log" 2>&1 ||
				note="${note:+$note; }$p could not be downloaded"
			deb=$(ls -1 "$apt/debs/${p}"_*_all.deb 2>/dev/null | sort -V | tail -n 1)
		fi
		[ -n "$deb" ] || continue
		ver=$(dpkg-deb -f "$deb" Version)
		dest=$fwdir/$p
		if [ ! -f "$dest/.unpacked-$ver" ]; then
			rm -rf "$dest" "$dest.tmp"
			mkdir -p "$dest.tmp"
			dpkg-deb -x "$deb" "$dest.tmp"
			touch "$dest.tmp/.unpacked-$ver"
			mv "$dest.tmp" "$dest"
		fi
		versions="${versions:+$versions }$p=$ver"
	done
	{
		echo "FIRMWARE_DIR='$fwdir'"
		echo "FIRMWARE_PKGS='$versions'"
		echo "FIRMWARE_NOTE='$note'"
	} >"$cache/firmware.env.tmp"
	mv "$cache/firmware.env.tmp" "$cache/firmware.env"
	echo "fetch-firmware: ${versions:-nothing}${note:+ ($note)}" >&2
}

main "$@"
