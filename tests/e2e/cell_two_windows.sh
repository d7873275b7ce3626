#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell two Windows installations: two disks, each with its own Windows
# hit by the faulty channel file. Both are fixed, each with its own
# entry in the report.
. "$(dirname "$0")/cells.sh"
cell two-windows "two disks, a Windows installation on each, both fixed"
e2e_need "$OUT/fixtures/two-windows.img" "$OUT/fixtures/two-windows-disk2.img"
cp --sparse=always "$OUT/fixtures/two-windows.img" "$WORK/disk.img"
cp --sparse=always "$OUT/fixtures/two-windows-disk2.img" "$WORK/disk2.img"
NTFS_PART=$(cell_windows_partno "$WORK/disk.img")
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/before.img"
e2e_partition "$WORK/disk2.img" "$NTFS_PART" "$WORK/before2.img"
cell_stick
e2e_disk nvme "$WORK/disk.img"
e2e_disk nvme "$WORK/disk2.img"
cell_boot
e2e_log_has "lastgood: Done: 2 files moved to quarantine. Windows should now start"
e2e_check_fixed
# the second disk, checked the same way
cp "$WORK/before2.img" "$WORK/before.img"
mv "$WORK/disk.img" "$WORK/disk1.img"
mv "$WORK/disk2.img" "$WORK/disk.img"
e2e_check_fixed
# one report, two volume entries, both fixed
report=$WORK/report.json
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$WORK/usb.img@@1M" "::/lastgood/reports/$RUN_ID.json" "$report" ||
	e2e_fail "cannot read the report $RUN_ID.json from the stick"
fixed=$(jq '[.volumes[] | select(.status == "fixed")] | length' "$report")
[ "$fixed" = 2 ] || e2e_fail "the report has $fixed fixed volumes, expected 2: $(jq -c '[.volumes[] | {target, status}]' "$report")"
labels=$(jq -r '[.volumes[] | select(.status == "fixed") | .label] | sort | join(",")' "$report")
[ "$labels" = "Windows,Windows2" ] || e2e_fail "fixed volumes are $labels, expected Windows and Windows2"
cell_pass
