#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The hybrid ISO: boots from a CD/DVD (El Torito, EFI platform) and, written
# to a USB stick with dd, from its GPT EFI system partition. Both point at
# one FAT image holding \EFI\BOOT\BOOTX64.EFI and the deny-list; the ISO
# 9660 tree carries the deny-list and README too (PID 1 finds \lastgood
# there when booted from a CD, read-only).
#
# usage: media/mkiso.sh -e LASTGOOD.efi|-t TREE -d DENYLIST.json -r README.txt -o OUT.iso
#   -t: the files of directory TREE (the shim chain staged by
#   media/mkshimtree.sh -m disk) go into the FAT image instead of
#   lastgood.efi, and into the ISO 9660 tree too: booted from a CD, GRUB
#   may see the ISO 9660 file system rather than the El Torito image.
set -eu

die() { echo "mkiso: $*" >&2; exit 1; }

# Directories and files of TREE into a FAT image, merged with what is there.
fat_put_tree() {
	img=$1 tree=$2
	(cd "$tree" && find . -mindepth 1 -type d | sort) | while read -r d; do
		mdir -i "$img" -b "::/${d#./}" >/dev/null 2>&1 || mmd -i "$img" "::/${d#./}"
	done
	(cd "$tree" && find . -type f | sort) | while read -r f; do
		mcopy -i "$img" -m "$tree/${f#./}" "::/${f#./}"
	done
}

main() {
	EFI="" TREE="" DENYLIST="" README="" OUTISO=""
	while getopts e:t:d:r:o: opt; do
		case $opt in
		e) EFI=$OPTARG ;;
		t) TREE=$OPTARG ;;
		d) DENYLIST=$OPTARG ;;
		r) README=$OPTARG ;;
		o) OUTISO=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	{ [ -f "$EFI" ] || [ -d "$TREE" ]; } && [ -f "$DENYLIST" ] && [ -f "$DENYLIST.minisig" ] && [ -f "$README" ] &&
		[ -n "$OUTISO" ] || die "missing input (see the header of $0)"
	[ -z "$TREE" ] || [ -z "$EFI" ] || die "-e and -t exclude each other"
	[ -z "$TREE" ] || [ -f "$TREE/EFI/BOOT/BOOTX64.EFI" ] || die "$TREE has no EFI/BOOT/BOOTX64.EFI"
	tmp="$OUTISO.d"
	rm -rf "$tmp"
	mkdir -p "$tmp/root/lastgood"

	# FAT image: the EFI file(s) plus 4 MiB for the deny-list and reports.
	if [ -n "$EFI" ]; then
		bytes=$(wc -c <"$EFI")
	else
		bytes=$( (cd "$TREE" && find . -type f | sort | xargs cat) | wc -c)
	fi
	kib=$(( bytes / 1024 + 4096 ))
	mkfs.fat -n LASTGOOD -i 4c47a150 -C "$tmp/efiboot.img" "$kib" >/dev/null
	export MTOOLS_SKIP_CHECK=1
	mmd -i "$tmp/efiboot.img" ::/EFI ::/EFI/BOOT ::/lastgood ::/lastgood/reports
	if [ -n "$EFI" ]; then
		mcopy -i "$tmp/efiboot.img" -m "$EFI" ::/EFI/BOOT/BOOTX64.EFI
	else
		fat_put_tree "$tmp/efiboot.img" "$TREE"
		cp -R "$TREE/." "$tmp/root/"
	fi
	mcopy -i "$tmp/efiboot.img" -m "$DENYLIST" ::/lastgood/denylist.json
	mcopy -i "$tmp/efiboot.img" -m "$DENYLIST.minisig" ::/lastgood/denylist.json.minisig

	cp "$DENYLIST" "$tmp/root/lastgood/denylist.json"
	cp "$DENYLIST.minisig" "$tmp/root/lastgood/denylist.json.minisig"
	cp "$README" "$tmp/root/README.txt"

	# The FAT image is appended as GPT partition 2 and the El Torito EFI
	# boot image points at that partition (one copy for both ways).
	xorriso -as mkisofs -quiet -o "$OUTISO.tmp" -V LASTGOOD -iso-level 3 -J -joliet-long -R \
		-partition_offset 16 \
		-append_partition 2 0xef "$tmp/efiboot.img" -appended_part_as_gpt \
		-e --interval:appended_partition_2:all:: -no-emul-boot \
		"$tmp/root" 2>&1 | grep -v '^xorriso : UPDATE' >&2 || true
	[ -s "$OUTISO.tmp" ] || die "xorriso made no image"
	rm -rf "$tmp"
	mv "$OUTISO.tmp" "$OUTISO"
}

main "$@"
