#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Assemble lastgood.efi: the bare GNU-EFI stub plus the sections it reads at
# boot, added with objcopy the way systemd's unified kernel images were
# made before ukify: each section placed after the previous one at an
# address aligned to the PE SectionAlignment (4 KiB here).
#
# usage: media/mkefi.sh -s STUB.efi -k VMLINUZ -i INITRD -c CMDLINE -v VERSION -b SBAT.csv -o OUT.efi
#   CMDLINE and VERSION are text (not files); SBAT is a CSV file.
# Reproducible: objcopy stamps PE files with the time of day; the COFF
# TimeDateStamp is set to SOURCE_DATE_EPOCH afterwards.
set -eu

die() { echo "mkefi: $*" >&2; exit 1; }

ALIGN=4096

# End of the last section of a PE file as loaded (VMA + size), in bytes.
image_end() {
	max=0
	objdump -h "$1" >"$1.sections" || die "objdump cannot read $1"
	while read -r idx name size vma _; do
		case $idx in
		[0-9]*) end=$((0x$vma + 0x$size))
			[ "$end" -gt "$max" ] && max=$end ;;
		esac
	done <"$1.sections"
	rm -f "$1.sections"
	[ "$max" -gt 0 ] || die "no sections found in $1"
	echo "$max"
}

align_up() { echo $(( ($1 + ALIGN - 1) / ALIGN * ALIGN )); }

# Write TimeDateStamp (COFF header, 8 bytes after "PE\0\0"), little-endian,
# as SOURCE_DATE_EPOCH, and clear the optional header's CheckSum (88 bytes
# after "PE\0\0"), which objcopy computed over its own time stamp. UEFI
# does not check it; signing tools recompute it. Octal escapes: dash's
# printf has no \x.
set_timestamp() {
	pe=$(od -An -t u4 -j 60 -N 4 "$1" | tr -d ' ')
	sig=$(od -An -c -j "$pe" -N 2 "$1" | tr -d ' ')
	[ "$sig" = "PE" ] || die "$1 is not a PE file (no PE signature at $pe)"
	v=$2 bytes=""
	for _ in 1 2 3 4; do
		bytes="$bytes$(printf '\\%03o' $((v % 256)))"
		v=$((v / 256))
	done
	printf "$bytes" | dd of="$1" bs=1 seek=$((pe + 8)) conv=notrunc status=none
	printf '\000\000\000\000' | dd of="$1" bs=1 seek=$((pe + 88)) conv=notrunc status=none
}

main() {
	STUB="" KERNEL="" INITRD="" CMDLINE="" VERSION="" SBAT="" OUT=""
	while getopts s:k:i:c:v:b:o: opt; do
		case $opt in
		s) STUB=$OPTARG ;;
		k) KERNEL=$OPTARG ;;
		i) INITRD=$OPTARG ;;
		c) CMDLINE=$OPTARG ;;
		v) VERSION=$OPTARG ;;
		b) SBAT=$OPTARG ;;
		o) OUT=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	for f in "$STUB" "$KERNEL" "$INITRD" "$SBAT"; do
		[ -n "$f" ] && [ -f "$f" ] || die "missing input '$f' (see the header of $0)"
	done
	[ -n "$OUT" ] || die "no output (-o)"
	: "${SOURCE_DATE_EPOCH:=0}"

	tmp="$OUT.parts"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	printf '%s' "$CMDLINE" >"$tmp/cmdline"
	printf '%s\n' "$VERSION" >"$tmp/version"

	end=$(image_end "$STUB")
	addr=$(align_up "$end")
	set --
	for spec in ".sbat=$SBAT" ".version=$tmp/version" ".cmdline=$tmp/cmdline" \
		".initrd=$INITRD" ".linux=$KERNEL"; do
		name=${spec%%=*} file=${spec#*=}
		size=$(wc -c <"$file")
		set -- "$@" --add-section "$name=$file" \
			--set-section-flags "$name=contents,alloc,load,readonly,data" \
			--change-section-vma "$name=$(printf '0x%x' "$addr")"
		addr=$(align_up $((addr + size)))
	done
	objcopy "$@" "$STUB" "$OUT.tmp"
	set_timestamp "$OUT.tmp" "$SOURCE_DATE_EPOCH"
	rm -rf "$tmp"
	mv "$OUT.tmp" "$OUT"
}

main "$@"
