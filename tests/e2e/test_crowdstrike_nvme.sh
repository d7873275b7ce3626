#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The crashed PC of the crowdstrike fixture, its disk on NVMe, booted from the USB
# image with the default mode (fix): the faulty channel file ends up in
# quarantine, the good ones are untouched, reports are on the stick and on
# the Windows volume, and BootNext points at the Windows Boot Manager.
# The host checks the volume afterwards with ntfs-3g's tools.
. "$(dirname "$0")/lib.sh"

e2e_setup crowdstrike-nvme
e2e_crowdstrike_disk
e2e_image "lastgood.poweroff=1"
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300

e2e_log_has "lastgood: ==> Repairing Windows"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Next boot: Windows Boot Manager (Boot0007"
e2e_log_has "lastgood: ==> Powering off"
e2e_check_fixed
echo "run $RUN_ID"
echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
echo PASS
