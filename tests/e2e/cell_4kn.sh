#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell 4Kn: an NVMe namespace with 4096-byte logical blocks. The disk is
# laid out the way Windows lays out a 4Kn disk: GPT in 4 KiB LBAs, a
# 260 MiB ESP (FAT32 needs that many 4 KiB clusters), NTFS with 4096-byte
# sectors. It is built through a loop device with 4096-byte blocks (sfdisk,
# mkfs.fat, mkntfs -s 4096) and the crowdstrike fixture's Windows tree is
# copied into it through ntfs-3g mounts.
. "$(dirname "$0")/cells.sh"
cell 4kn "an NVMe namespace with 4096-byte logical blocks (GPT in 4 KiB LBAs, NTFS with 4 KiB sectors), fixed"
e2e_need "$OUT/fixtures/crowdstrike.img"
[ -e /dev/fuse ] || e2e_skip "no /dev/fuse: the 4Kn disk is filled through ntfs-3g mounts"
src_part=$(cell_windows_partno "$OUT/fixtures/crowdstrike.img")
e2e_partition "$OUT/fixtures/crowdstrike.img" "$src_part" "$WORK/src.img"
disk=$WORK/disk.img
truncate -s 640M "$disk"
mnt_src=$WORK/mnt-src mnt_dst=$WORK/mnt-dst
loops=""
cleanup() {
	umount "$mnt_src" 2>/dev/null || true
	umount "$mnt_dst" 2>/dev/null || true
	for l in $loops; do losetup -d "$l" 2>/dev/null || true; done
	loops=""
}
trap cleanup EXIT
# A loop device with 4096-byte blocks over the disk, or over one of its
# partitions (no partition nodes are needed: offsets from the table).
loop4k() {
	l=$(losetup -b 4096 -f --show "$@") || e2e_skip "no loop device with 4096-byte blocks"
	loops="$loops $l"
	echo "$l"
}
# the table, read at 4 KiB LBAs: "start size" of partition $1
part4k() {
	whole=$(loop4k -r "$disk")
	sfdisk -d "$whole" | sed -n "s/^[^ ]*[^0-9]$1 : start= *\([0-9]*\), size= *\([0-9]*\),.*/\1 \2/p"
}
whole=$(loop4k "$disk")
[ "$(blockdev --getss "$whole")" = 4096 ] || e2e_fail "the loop device does not have 4096-byte sectors"
printf 'label: gpt\nunit: sectors\nsize=66560, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"\nsize=4096, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE, name="Microsoft reserved partition"\ntype=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Basic data partition"\n' |
	sfdisk -q "$whole"
set -- $(part4k 1)
esp=$(loop4k -o $(($1 * 4096)) --sizelimit $(($2 * 4096)) "$disk")
set -- $(part4k 3)
win_start=$1 win_size=$2
win=$(loop4k -o $(($1 * 4096)) --sizelimit $(($2 * 4096)) "$disk")
mkfs.fat -F 32 -S 4096 -n SYSTEM "$esp" >/dev/null
mkntfs -Q -F -s 4096 -L Windows "$win" >/dev/null 2>&1 || e2e_fail "mkntfs -s 4096 failed"
mkdir -p "$mnt_src" "$mnt_dst"
ntfs-3g -o ro "$WORK/src.img" "$mnt_src"
ntfs-3g "$win" "$mnt_dst"
cp -a "$mnt_src/." "$mnt_dst/"
sync
cleanup
trap - EXIT
NTFS_PART=3
# the Windows volume as built, and later as the guest left it
cut_win() {
	dd if="$disk" of="$1" bs=4096 skip="$win_start" count="$win_size" conv=sparse status=none
}
cut_win "$WORK/before.img"
[ "$(od -An -tu2 -j11 -N2 "$WORK/before.img" | tr -d ' ')" = 4096 ] || e2e_fail "the Windows volume does not have 4096-byte sectors"
cell_stick
e2e_disk nvme4k "$disk"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
# e2e_check_fixed reads partitions at 512-byte LBAs: give it the 4Kn view
cut_win "$WORK/after4k.img"
ntfsfix -n "$WORK/after4k.img" >/dev/null 2>&1 || e2e_fail "ntfsfix -n finds the 4Kn volume inconsistent after the fix"
ls_after=$(e2e_ntfs_ls "$WORK/after4k.img" "$CS_DIR")
echo "$ls_after" | grep -qx "$CS_BAD" && e2e_fail "$CS_BAD is still in $CS_DIR"
e2e_run_id
a=$(e2e_ntfs_sha "$WORK/before.img" "$CS_DIR/$CS_BAD")
b=$(e2e_ntfs_sha "$WORK/after4k.img" "/\$LastGood/quarantine/$RUN_ID$CS_DIR/$CS_BAD")
case $a in missing:*) e2e_fail "no $CS_BAD on the 4Kn disk before the run" ;; esac
[ "$a" = "$b" ] || e2e_fail "the quarantined file is missing or differs from the original"
e2e_log_has "nvme0n1"
cell_pass
