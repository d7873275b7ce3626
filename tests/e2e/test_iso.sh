#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot the hybrid ISO from a (SATA) DVD drive on the crashed PC (Windows
# disk on virtio): the firmware starts the El Torito EFI image, the stub
# finds the deny-list beside itself, PID 1 finds the ISO 9660 file system
# with \lastgood (read-only: the report stays on the Windows volume, and
# the screen says so), and Windows is repaired.
. "$(dirname "$0")/lib.sh"

e2e_setup iso
e2e_crowdstrike_disk
e2e_image "lastgood.poweroff=1"
e2e_iso
e2e_vars
e2e_windows_entry
e2e_cdrom "$WORK/lastgood.iso"
e2e_disk virtio "$WORK/disk.img"
e2e_boot 300

e2e_log_has "lastgood: [4/4] starting the kernel"
e2e_log_has "found denylist.json (643 bytes) + .minisig"
e2e_log_has "boot medium: /dev/sr0 (iso9660), left alone"
e2e_log_has "deny-list on the boot medium: the same file as the built-in deny-list"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Report:    not saved on the boot medium (read-only); the Windows volume keeps its copy"
NO_STICK=1 e2e_check_fixed
echo "run $RUN_ID"
echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
echo PASS
