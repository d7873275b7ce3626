#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The filter-driver scenario with a dirty SYSTEM hive, booted from the USB
# image (issue 17): the PC was cut off while the ACMEflt update (Start 0,
# the disk class UpperFilters entry, a disk's LowerFilters) was only in
# SYSTEM.LOG1. The recovery image replays the log as Windows will, then
# fixes. Afterwards, checked on the host with ntfs-3g's tools, hivexregedit
# and the rule script written from the format description: ACMEflt.sys
# quarantined, Start=4 in every control set, ACMEflt gone from
# UpperFilters with partmgr kept, the hive clean, and the logs left as they
# were, so that Windows applies none of them.
. "$(dirname "$0")/lib.sh"

e2e_need "$OUT/fixtures/filter-driver-dirty.img"
for tool in hivexregedit minisign mcopy xxd perl; do
	command -v "$tool" >/dev/null || e2e_skip "$tool is not installed"
done
e2e_setup filter-driver-dirty
cp --sparse=always "$OUT/fixtures/filter-driver-dirty.img" "$WORK/disk.img"
NTFS_PART=$(e2e_ntfs_partno "$WORK/disk.img")
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/before.img"
for f in SYSTEM.LOG1 SYSTEM.LOG2; do
	ntfscat -f "$WORK/before.img" "/Windows/System32/config/$f" > "$WORK/before.$f" || e2e_fail "cannot read $f"
done
e2e_image "lastgood.poweroff=1"
e2e_vars
e2e_windows_entry
e2e_filter_list_on_stick filter-driver-dirty
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300

e2e_log_has "lastgood: ==> Repairing Windows"
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/after.img"
ntfsfix -n "$WORK/after.img" >/dev/null 2>&1 || e2e_fail "ntfsfix -n finds the volume inconsistent"
e2e_ntfs_ls "$WORK/after.img" /Windows/System32/drivers | grep -qx ACMEflt.sys && e2e_fail "ACMEflt.sys is still in place"
for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
	ntfscat -f "$WORK/after.img" "/Windows/System32/config/$f" > "$WORK/$f" || e2e_fail "cannot read $f back"
done
for f in SYSTEM.LOG1 SYSTEM.LOG2; do
	cmp -s "$WORK/before.$f" "$WORK/$f" || e2e_fail "$f changed"
done
perl "$(dirname "$0")/../host/hive-replay-rule.pl" "$WORK/SYSTEM" "$WORK/SYSTEM.LOG1" "$WORK/SYSTEM.LOG2" > "$WORK/rule" ||
	e2e_fail "by the format description's rule Windows would replay the logs: $(cat "$WORK/rule")"
hivexregedit --export --prefix 'HKLM\SYSTEM' "$WORK/SYSTEM" '\' > "$WORK/after.reg" 2>/dev/null || e2e_fail "hivexregedit cannot read SYSTEM"
for cs in ControlSet001 ControlSet002; do
	start=$(e2e_acme_start "$WORK/after.reg" "$cs")
	[ "$start" = '"Start"=dword:00000004' ] || e2e_fail "$cs: ACMEflt Start is '$start', expected 4"
	up=$(e2e_disk_upper_filters "$WORK/after.reg" "$cs")
	[ "$up" = partmgr ] || e2e_fail "$cs: UpperFilters is '$up', expected partmgr alone"
done
echo "wall time to power-off: ${WALL} s"
echo PASS
