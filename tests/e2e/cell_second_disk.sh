#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell second disk: a blank first disk (a data disk, or a Linux one) and
# Windows on the second: the Windows disk is found wherever it is, the
# other disk is left byte for byte as it was.
. "$(dirname "$0")/cells.sh"
cell second-disk "a blank first NVMe disk, Windows on the second, fixed"
cell_windows_disk
truncate -s 64M "$WORK/blank.img"
before=$(sha256sum <"$WORK/blank.img")
cell_stick
e2e_disk nvme "$WORK/blank.img"
e2e_disk nvme "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
[ "$(sha256sum <"$WORK/blank.img")" = "$before" ] || e2e_fail "the blank first disk was changed"
cell_pass
