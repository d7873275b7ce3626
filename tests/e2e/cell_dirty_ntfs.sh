#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell dirty NTFS: Windows did not shut down cleanly (the volume's dirty
# flag is set). The recovery image replays the volume's $LogFile with
# ntfs-3g's ntfsrecover (inside the image) before it changes anything,
# then fixes it; ntfsfix finds the volume consistent afterwards.
. "$(dirname "$0")/cells.sh"
cell dirty-ntfs "a dirty NTFS volume: \$LogFile replayed in the guest, then fixed"
cell_windows_disk dirty
ntfsinfo -m "$WORK/before.img" 2>/dev/null | grep -q "DIRTY" || e2e_fail "the dirty fixture's volume is not marked dirty"
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
st=$(jq -r '.volumes[] | select(.status == "fixed") | .log_replay.exit_status' "$report")
[ "$st" = 0 ] || e2e_fail "ntfsrecover exited with $st in the guest"
cell_pass
