#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell dirty NTFS: Windows did not shut down cleanly (the volume's dirty
# flag is set). The recovery image runs ntfs-3g's ntfsrecover on the
# partition (inside the image) to replay the volume's $LogFile before it
# changes anything, then fixes it; ntfsfix finds the volume consistent
# afterwards. The fixture's $LogFile is the empty one mkntfs writes (only
# Windows writes transactions into it), so what the guest shows here is
# ntfsrecover running on the real partition and finding nothing to replay.
. "$(dirname "$0")/cells.sh"
cell dirty-ntfs "a dirty NTFS volume: \$LogFile replayed in the guest, then fixed"
cell_windows_disk dirty
ntfsinfo -m "$WORK/before.img" 2>&1 | grep -q "scheduled for check" || e2e_fail "the dirty fixture's volume is not marked dirty"
cell_stick
e2e_disk nvme "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
report=$WORK/report.json
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$WORK/usb.img@@1M" "::/lastgood/reports/$RUN_ID.json" "$report" ||
	e2e_fail "cannot read the report from the stick"
cmd=$(jq -r '.volumes[] | select(.status == "fixed") | .log_replay.command // empty' "$report")
[ "$cmd" = ntfsrecover ] || e2e_fail "the report shows no \$LogFile replay: $(jq -c '.volumes[] | {status, reason, log_replay}' "$report")"
dev=$(jq -r '.volumes[] | select(.status == "fixed") | .log_replay.device' "$report")
[ "$dev" = /dev/nvme0n1p3 ] || e2e_fail "ntfsrecover ran on '$dev', expected the partition /dev/nvme0n1p3"
result=$(jq -r '.volumes[] | select(.status == "fixed") | .log_replay.result' "$report")
case $result in
replayed|"log empty: nothing to replay") ;;
*) e2e_fail "the \$LogFile replay in the guest: $(jq -c '.volumes[].log_replay' "$report")" ;;
esac
cell_pass
