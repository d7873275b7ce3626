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
loop=$(losetup -b 4096 -P -f --show "$disk") || e2e_skip "no loop device with 4096-byte blocks"
mnt_src=$WORK/mnt-src mnt_dst=$WORK/mnt-dst
cleanup() {
	umount "$mnt_src" 2>/dev/null || true
	umount "$mnt_dst" 2>/dev/null || true
	losetup -d "$loop" 2>/dev/null || true
}
trap cleanup EXIT
printf 'label: gpt\nunit: sectors\nsize=66560, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"\nsize=4096, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE, name="Microsoft reserved partition"\ntype=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Basic data partition"\n' |
	sfdisk -q "$loop"
[ "$(blockdev --getss "$loop")" = 4096 ] || e2e_fail "the loop device does not have 4096-byte sectors"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b "${loop}p3" ] && break; sleep 0.2; done
mkfs.fat -F 32 -S 4096 -n SYSTEM "${loop}p1" >/dev/null
mkntfs -Q -F -s 4096 -L Windows "${loop}p3" >/dev/null 2>&1 || e2e_fail "mkntfs -s 4096 failed"
mkdir -p "$mnt_src" "$mnt_dst"
ntfs-3g -o ro "$WORK/src.img" "$mnt_src"
ntfs-3g "${loop}p3" "$mnt_dst"
cp -a "$mnt_src/." "$mnt_dst/"
sync
cleanup
trap - EXIT
# the host's view of what the guest will see: 4 KiB LBAs, NTFS 4 KiB sectors
NTFS_PART=3
# before.img: the new volume as built (read at 4 KiB LBAs)
start=$(losetup -b 4096 -P -f --show -r "$disk")
dd if="${start}p3" of="$WORK/before.img" bs=1M conv=sparse status=none
losetup -d "$start"
[ "$(od -An -tu2 -j11 -N2 "$WORK/before.img" | tr -d ' ')" = 4096 ] || e2e_fail "the Windows volume does not have 4096-byte sectors"
cell_stick
e2e_disk nvme4k "$disk"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
# e2e_check_fixed reads partitions at 512-byte LBAs: give it the 4Kn view
loop=$(losetup -b 4096 -P -f --show -r "$disk")
dd if="${loop}p3" of="$WORK/after4k.img" bs=1M conv=sparse status=none
losetup -d "$loop"
ntfsfix -n "$WORK/after4k.img" >/dev/null 2>&1 || e2e_fail "ntfsfix -n finds the 4Kn volume inconsistent after the fix"
ls_after=$(e2e_ntfs_ls "$WORK/after4k.img" "$CS_DIR")
echo "$ls_after" | grep -qx "$CS_BAD" && e2e_fail "$CS_BAD is still in $CS_DIR"
RUN_ID=$(e2e_text | sed -n 's/^lastgood fix: run \([0-9]\{8\}T[0-9]\{6\}Z-[0-9a-f]*\),.*/\1/p' | tail -n 1)
a=$(e2e_ntfs_sha "$WORK/before.img" "$CS_DIR/$CS_BAD")
b=$(e2e_ntfs_sha "$WORK/after4k.img" "/\$LastGood/quarantine/$RUN_ID$CS_DIR/$CS_BAD")
[ -n "$a" ] && [ "$a" = "$b" ] || e2e_fail "the quarantined file is missing or differs from the original"
e2e_log_has "nvme0n1"
cell_pass
