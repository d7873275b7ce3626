#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The USB disk image: GPT with one EFI system partition (FAT32) holding
# \EFI\BOOT\BOOTX64.EFI, the deny-list and an empty \lastgood\reports.
# Built without mounting anything: sgdisk for the table, mkfs.fat on a
# separate partition file, mtools to fill it, dd to put it in place.
#
# usage: media/mkusb.sh -e LASTGOOD.efi|-t TREE -d DENYLIST.json -r README.txt [-s SIZE_MB] -o OUT.img
#   -e: lastgood.efi becomes \EFI\BOOT\BOOTX64.EFI (the one-file image);
#   -t: the files of directory TREE are copied to the partition's root
#   instead (the shim chain staged by media/mkshimtree.sh -m disk).
# Partition and disk GUIDs and the FAT serial derive from the content and
# SOURCE_DATE_EPOCH, so the same inputs give the same identifiers.
set -eu

die() { echo "mkusb: $*" >&2; exit 1; }

# A GUID-shaped string from a hash of the inputs and a label.
guid_of() {
	h=$(printf '%s %s' "$SEED" "$1" | sha256sum | cut -c1-32)
	printf '%s-%s-4%s-8%s-%s\n' "$(echo "$h" | cut -c1-8)" "$(echo "$h" | cut -c9-12)" \
		"$(echo "$h" | cut -c14-16)" "$(echo "$h" | cut -c18-20)" "$(echo "$h" | cut -c21-32)"
}

# Directories and files of TREE into the FAT image, merged with what is
# there (mcopy -s would stop at a directory that exists).
fat_put_tree() {
	part=$1 tree=$2
	(cd "$tree" && find . -mindepth 1 -type d | sort) | while read -r d; do
		mdir -i "$part" -b "::/${d#./}" >/dev/null 2>&1 || mmd -i "$part" "::/${d#./}"
	done
	(cd "$tree" && find . -type f | sort) | while read -r f; do
		mcopy -i "$part" -m "$tree/${f#./}" "::/${f#./}"
	done
}

# Bytes of the boot files (-e or -t), and a hash of the tree's files.
payload_bytes() {
	{ [ -z "$EFI" ] || cat "$EFI"; [ -z "$TREE" ] || (cd "$TREE" && find . -type f | sort | xargs cat); } | wc -c
}
payload_sum() {
	(cd "$TREE" && find . -type f | sort | xargs sha256sum) | sha256sum | cut -c1-16
}

fat_image() {
	part=$1 kib=$2
	rm -f "$part"
	mkfs.fat -F 32 -n LASTGOOD -i "$(echo "$SEED" | sha256sum | cut -c1-8)" -C "$part" "$kib" >/dev/null
	export MTOOLS_SKIP_CHECK=1
	mmd -i "$part" ::/EFI ::/EFI/BOOT ::/lastgood ::/lastgood/reports
	[ -z "$EFI" ] || mcopy -i "$part" -m "$EFI" ::/EFI/BOOT/BOOTX64.EFI
	[ -z "$TREE" ] || fat_put_tree "$part" "$TREE"
	mcopy -i "$part" -m "$DENYLIST" ::/lastgood/denylist.json
	mcopy -i "$part" -m "$DENYLIST.minisig" ::/lastgood/denylist.json.minisig
	mcopy -i "$part" -m "$README" ::/README.txt
}

main() {
	EFI="" TREE="" DENYLIST="" README="" SIZE=256 OUTIMG=""
	while getopts e:t:d:r:s:o: opt; do
		case $opt in
		e) EFI=$OPTARG ;;
		t) TREE=$OPTARG ;;
		d) DENYLIST=$OPTARG ;;
		r) README=$OPTARG ;;
		s) SIZE=$OPTARG ;;
		o) OUTIMG=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	{ [ -f "$EFI" ] || [ -d "$TREE" ]; } && [ -f "$DENYLIST" ] && [ -f "$DENYLIST.minisig" ] && [ -f "$README" ] &&
		[ -n "$OUTIMG" ] || die "missing input (see the header of $0)"
	[ -z "$TREE" ] || [ -z "$EFI" ] || die "-e and -t exclude each other (both would be \\EFI\\BOOT\\BOOTX64.EFI)"
	[ -z "$TREE" ] || [ -f "$TREE/EFI/BOOT/BOOTX64.EFI" ] || die "$TREE has no EFI/BOOT/BOOTX64.EFI"
	efi_mb=$(( $(payload_bytes) / 1048576 + 1 ))
	[ "$SIZE" -ge $((efi_mb + 40)) ] || die "USB_SIZE_MB=$SIZE is too small for ${efi_mb} MiB of boot files plus room for reports (need $((efi_mb + 40)))"
	if [ -n "$EFI" ]; then
		SEED="$(sha256sum "$EFI" "$DENYLIST" | sha256sum | cut -c1-16) ${SOURCE_DATE_EPOCH:-0}"
	else
		SEED="$({ payload_sum; sha256sum <"$DENYLIST"; } | sha256sum | cut -c1-16) ${SOURCE_DATE_EPOCH:-0}"
	fi

	tmp="$OUTIMG.tmp"
	rm -f "$tmp" "$tmp.part"
	truncate -s "${SIZE}M" "$tmp"
	# One partition from 1 MiB to the end (GPT backup table: last 33 sectors).
	sgdisk --clear -U "$(guid_of disk)" -n 1:2048:0 -t 1:ef00 -c 1:"lastgood" -u 1:"$(guid_of esp)" "$tmp" >/dev/null
	start=$(sgdisk -i 1 "$tmp" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	end=$(sgdisk -i 1 "$tmp" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
	kib=$(( (end - start + 1) / 2 ))
	fat_image "$tmp.part" "$kib"
	dd if="$tmp.part" of="$tmp" bs=512 seek="$start" conv=notrunc,sparse status=none
	rm -f "$tmp.part"
	mv "$tmp" "$OUTIMG"
	echo "mkusb: $OUTIMG (${SIZE} MiB, ESP partition GUID $(guid_of esp))" >&2
}

main "$@"
