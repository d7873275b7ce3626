#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The built lastgood.efi is a well-formed EFI application: the stub has no
# undefined symbols and only relative relocations; the image carries
# .sbat, .version, .cmdline, .initrd and .linux, each at a 4 KiB aligned
# address after the stub's own sections, without overlap, holding exactly
# the bytes they were made from. No QEMU: objdump and objcopy only.
. "$(dirname "$0")/lib.sh"

EFI=$OUT/lastgood.efi
e2e_need "$EFI" "$OUT/efi/stub.so" "$OUT/media/initrd.img" "$OUT/cache/kernel.env" "$OUT/media/sbat.csv"
WORK=$OUT/e2e/efi-pe
rm -rf "$WORK"
mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }

# The stub: nothing left for a dynamic loader (firmware has none).
undef=$(nm -u "$OUT/efi/stub.so")
[ -z "$undef" ] || fail "undefined symbols in the stub: $undef"
relocs=$(readelf -rW "$OUT/efi/stub.so" | awk '/^[0-9a-f]+ +[0-9a-f]+ R_/ {print $3}' | sort -u)
[ "$relocs" = "R_X86_64_RELATIVE" ] || fail "relocation types other than R_X86_64_RELATIVE: $relocs"

objdump -p "$EFI" >"$WORK/headers" || fail "objdump cannot read $EFI"
grep -q 'Subsystem.*0000000a.*EFI application' "$WORK/headers" || fail "not an EFI application (subsystem 10)"
grep -q '^Magic.*020b' "$WORK/headers" || fail "not PE32+"

objdump -h "$EFI" >"$WORK/sections"
prev_end=0
for s in .text .reloc .data .dynamic .rela .dynsym .sbat .version .cmdline .initrd .linux; do
	line=$(awk -v s="$s" '$2 == s {print $3, $4}' "$WORK/sections")
	[ -n "$line" ] || fail "section $s missing: $(cat "$WORK/sections")"
	size=$((0x${line% *}))
	vma=$((0x${line#* }))
	[ $((vma % 4096)) -eq 0 ] || fail "section $s at $vma is not 4 KiB aligned"
	[ "$vma" -ge "$prev_end" ] || fail "section $s at $vma overlaps the previous one (ends at $prev_end)"
	prev_end=$((vma + size))
done

# Contents are what they were made from.
. "$OUT/cache/kernel.env"
objcopy -O binary --only-section=.linux "$EFI" "$WORK/linux"
cmp -s "$WORK/linux" "$VMLINUZ" || fail ".linux differs from $VMLINUZ"
objcopy -O binary --only-section=.initrd "$EFI" "$WORK/initrd"
cmp -s "$WORK/initrd" "$OUT/media/initrd.img" || fail ".initrd differs from $OUT/media/initrd.img"
objcopy -O binary --only-section=.sbat "$EFI" "$WORK/sbat"
cmp -s "$WORK/sbat" "$OUT/media/sbat.csv" || fail ".sbat differs from $OUT/media/sbat.csv"
head -n 1 "$WORK/sbat" | grep -q '^sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md$' ||
	fail ".sbat does not start with the sbat,1 line"
grep -q '^lastgood,1,[^,]*,lastgood,[0-9]' "$WORK/sbat" || fail ".sbat has no lastgood,1 component line"
objcopy -O binary --only-section=.cmdline "$EFI" "$WORK/cmdline"
grep -q 'lastgood.mode=' "$WORK/cmdline" || fail ".cmdline has no lastgood.mode: $(cat "$WORK/cmdline")"
objcopy -O binary --only-section=.version "$EFI" "$WORK/version"
grep -q "^lastgood [0-9].*kernel $KVER" "$WORK/version" || fail ".version says: $(cat "$WORK/version")"

# The kernel inside is an EFI-stub kernel: a bzImage that is also a PE
# image (MZ, then "PE\0\0" where e_lfanew points), which LoadImage needs.
[ "$(head -c 2 "$WORK/linux")" = "MZ" ] || fail "the kernel is not a PE image"
pe=$(od -An -t u4 -j 60 -N 4 "$WORK/linux" | tr -d ' ')
[ "$(od -An -c -j "$pe" -N 2 "$WORK/linux" | tr -d ' ')" = "PE" ] || fail "the kernel has no PE header (not EFI-stub capable)"

echo "sections: $(awk '$1 ~ /^[0-9]+$/ {printf "%s ", $2}' "$WORK/sections")"
echo "lastgood.efi $(wc -c <"$EFI") bytes; kernel $(wc -c <"$WORK/linux"); initrd $(wc -c <"$WORK/initrd")"
echo PASS
