#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell virtio-scsi: the crashed PC's disk behind a virtio-scsi controller,
# as cloud VMs (and some hypervisors' defaults) have it.
. "$(dirname "$0")/cells.sh"
cell virtio-scsi "the crowdstrike PC, its disk on virtio-scsi, fixed from the USB stick"
cell_windows_disk
cell_stick
e2e_disk scsi "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
cell_pass
