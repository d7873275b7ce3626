#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The crashed PC of the crowdstrike fixture, its disk on virtio-blk, booted from the USB
# image with the default mode (fix): the faulty channel file ends up in
# quarantine, the good ones are untouched, reports are on the stick and on
# the Windows volume, and BootNext points at the Windows Boot Manager.
# The host checks the volume afterwards with ntfs-3g's tools. A second boot
# of the same stick on the repaired PC changes nothing and says so (no
# loop, no second quarantine).
. "$(dirname "$0")/lib.sh"

e2e_setup crowdstrike-virtio
e2e_crowdstrike_disk
e2e_image "lastgood.poweroff=1"
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk virtio "$WORK/disk.img"
e2e_boot 300

e2e_log_has "lastgood: ==> Repairing Windows"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Next boot: Windows Boot Manager (Boot0007"
e2e_log_has "lastgood: ==> Powering off"
e2e_check_fixed
echo "run $RUN_ID"
echo "first run $RUN_ID: phases: $(e2e_phases); wall time to power-off: ${WALL} s"
first_run=$RUN_ID
mv "$LOG" "$WORK/serial-1.log"
e2e_vars
e2e_windows_entry
e2e_boot 300
e2e_log_has "lastgood: Already repaired with this deny-list: Windows should start"
e2e_log_lacks "-> quarantined"
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/again.img"
n=$(e2e_ntfs_ls "$WORK/again.img" "/\$LastGood/quarantine" | grep -c .)
[ "$n" = 1 ] || e2e_fail "the second run made another quarantine folder ($n)"
e2e_ntfs_ls "$WORK/again.img" "/\$LastGood/quarantine" | grep -qx "$first_run" || e2e_fail "quarantine folder of $first_run is gone"
echo "second run: phases: $(e2e_phases); wall time to power-off: ${WALL} s"
echo PASS
