#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The filter-driver scenario booted from the USB image (issue 7): a faulty
# boot-start disk filter, ACMEflt.sys, registered in the disk class
# UpperFilters after partmgr, plus the CrowdStrike case. A newer deny-list
# on the stick names it (with allow_boot_critical). Afterwards, checked on
# the host with ntfs-3g's tools and hivexregedit: the file is in the
# quarantine, Start=4 in every control set, ACMEflt gone from UpperFilters
# with partmgr kept, and the faulty channel file quarantined too.
. "$(dirname "$0")/lib.sh"

e2e_need "$OUT/fixtures/filter-driver.img"
for tool in hivexregedit minisign mcopy xxd; do
	command -v "$tool" >/dev/null || e2e_skip "$tool is not installed"
done
e2e_setup filter-driver
cp --sparse=always "$OUT/fixtures/filter-driver.img" "$WORK/disk.img"
NTFS_PART=$(e2e_ntfs_partno "$WORK/disk.img")
e2e_image "lastgood.poweroff=1"
e2e_vars
e2e_windows_entry
# The list on the stick: the image's own list plus the filter rule.
e2e_filter_list_on_stick filter-driver
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300

e2e_log_has "lastgood: ==> Repairing Windows"
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/after.img"
ntfsfix -n "$WORK/after.img" >/dev/null 2>&1 || e2e_fail "ntfsfix -n finds the volume inconsistent"
e2e_ntfs_ls "$WORK/after.img" /Windows/System32/drivers | grep -qx ACMEflt.sys && e2e_fail "ACMEflt.sys is still in place"
e2e_ntfs_ls "$WORK/after.img" /Windows/System32/drivers/CrowdStrike | grep -qx C-00000291-00000000-00000032.sys &&
	e2e_fail "the faulty channel file is still in place"
ntfscat -f "$WORK/after.img" /Windows/System32/config/SYSTEM > "$WORK/SYSTEM" || e2e_fail "cannot read SYSTEM back"
hivexregedit --export --prefix 'HKLM\SYSTEM' "$WORK/SYSTEM" '\' > "$WORK/after.reg" 2>/dev/null || e2e_fail "hivexregedit cannot read SYSTEM"
for cs in ControlSet001 ControlSet002; do
	start=$(e2e_acme_start "$WORK/after.reg" "$cs")
	[ "$start" = '"Start"=dword:00000004' ] || e2e_fail "$cs: ACMEflt Start is '$start', expected 4"
	up=$(e2e_disk_upper_filters "$WORK/after.reg" "$cs")
	case "$up" in *partmgr*) ;; *) e2e_fail "$cs: partmgr lost from UpperFilters ($up)" ;; esac
	case "$up" in *ACMEflt*) e2e_fail "$cs: ACMEflt still in UpperFilters" ;; esac
done
echo "wall time to power-off: ${WALL} s"
echo PASS
