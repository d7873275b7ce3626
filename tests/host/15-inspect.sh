#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lastgood inspect on every scenario: the facts it reports, checked
# against what the scenario says and against ntfs-3g's own ntfsinfo; and
# it writes nothing (every image hashed before and after).
. tests/host/lib.sh
declare -A H
for s in crowdstrike no-windows two-windows two-windows-disk2 mbr hibernated dirty filter-driver; do
	[ -f "$OUT/fixtures/$s.img" ] || { echo "SKIP: $OUT/fixtures/$s.img not built (make fixtures)"; exit 77; }
	H[$s]=$(sha "$OUT/fixtures/$s.img")
done
q() { jq -r "$1" "$T/out"; }

expect_rc 0 "inspect crowdstrike" $LG inspect --json "$OUT/fixtures/crowdstrike.img"
same "$(q '.disks[0].partition_table')" gpt "GPT table"
same "$(q '[.disks[0].partitions[] | .filesystem] | join(",")')" "vfat,,ntfs" "ESP (vfat), MSR, NTFS"
same "$(q '.disks[0].partitions[0].esp')" true "ESP flagged"
same "$(q '.disks[0].partitions[1].msr')" true "MSR flagged"
same "$(q '.volumes | length')" 1 "one NTFS volume"
same "$(q '.volumes[0].windows')" true "Windows installation found"
same "$(q '.volumes[0].windows_dir')" Windows "Windows directory"
same "$(q '.volumes[0].label')" Windows "volume label"
same "$(q '.volumes[0].dirty')" false "clean"
same "$(q '.volumes[0].hibernation')" none "not hibernated"
p=$(part "$OUT/fixtures/crowdstrike.img" 3)
# ntfsinfo prints the serial as 0x...; ours is 16 hex digits
ser=$(ntfsinfo -f -m "$p" 2>/dev/null | sed -n 's/.*Volume Serial Number: *\(0x\)\{0,1\}\([0-9A-Fa-f]*\).*/\2/p' | head -1 | tr a-f A-F)
[ -n "$ser" ] && same "$(q '.volumes[0].serial' | sed 's/^0*//')" "$(echo "$ser" | sed 's/^0*//')" "serial equals ntfsinfo's" || echo "note: ntfsinfo printed no serial"
same "$(q '.volumes[0].ntfs_version')" "3.1" "NTFS version"
same "$(q '.volumes[0].offset')" "$(( $(partx -g -o START -n 3 "$OUT/fixtures/crowdstrike.img") * 512 ))" "offset equals the partition start"

expect_rc 0 "inspect no-windows" $LG inspect --json "$OUT/fixtures/no-windows.img"
same "$(q '.volumes[0].windows')" false "no-windows: no installation"
expect_rc 0 "inspect two disks" $LG inspect --json "$OUT/fixtures/two-windows.img" "$OUT/fixtures/two-windows-disk2.img"
same "$(q '[.volumes[] | select(.windows)] | length')" 2 "two Windows installations"
differ "$(q '.volumes[0].serial')" "$(q '.volumes[1].serial')" "two different volume serials"
expect_rc 0 "inspect mbr" $LG inspect --json "$OUT/fixtures/mbr.img"
same "$(q '.disks[0].partition_table')" dos "MBR table"
same "$(q '[.volumes[] | select(.windows)] | length')" 1 "MBR: one installation (and System Reserved)"
expect_rc 0 "inspect hibernated" $LG inspect --json "$OUT/fixtures/hibernated.img"
same "$(q '.volumes[0].hibernation')" active "hibernation active"
expect_rc 0 "inspect dirty" $LG inspect --json "$OUT/fixtures/dirty.img"
same "$(q '.volumes[0].dirty')" true "dirty flag"
expect_rc 0 "human output" $LG inspect "$OUT/fixtures/hibernated.img"
contains "$T/out" "HIBERNATED" "human output says hibernated"

# BitLocker: a real Windows-made volume, listed without a key
B=$OUT/cache/bitlk/bitlk-images/bitlk-aes-xts-128.img
if [ ! -f "$B" ]; then
	mkdir -p "$OUT/cache/bitlk" && tar -C "$OUT/cache/bitlk" -xJf "${LG_BITLK_ARCHIVE:-../shared/fixtures/bitlocker/bitlk-images.tar.xz}" 2>/dev/null || true
fi
if [ -f "$B" ]; then
	hb=$(sha "$B")
	expect_rc 0 "inspect a BitLocker volume" $LG inspect --json "$B"
	same "$(q '.volumes[0].filesystem')" bitlocker "BitLocker recognised"
	same "$(q '.volumes[0].bitlocker.volume_guid')" 8f595209-f5b9-49a0-85d4-cb8f80258c27 "volume GUID as images.conf says"
	same "$(sha "$B")" "$hb" "BitLocker image unchanged"
else
	echo "note: BitLocker fixtures not available here"
fi
for s in "${!H[@]}"; do
	same "$(sha "$OUT/fixtures/$s.img")" "${H[$s]}" "inspect wrote nothing to $s"
done
finish
