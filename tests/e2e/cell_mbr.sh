#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell MBR: a Windows disk with an MBR partition table (older installs,
# some VMs): System Reserved first, Windows second, booted on AHCI.
. "$(dirname "$0")/cells.sh"
cell mbr "an MBR disk (System Reserved + Windows) on AHCI, fixed"
cell_windows_disk mbr
[ "$(sfdisk -d "$WORK/disk.img" | sed -n 's/^label: //p')" = dos ] || e2e_fail "the mbr fixture has no MBR table"
cell_stick
e2e_disk ahci "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
cell_pass
