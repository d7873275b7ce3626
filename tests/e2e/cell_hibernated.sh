#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell hibernated / Fast Startup: Windows was hibernated (hiberfil.sys
# starts with HIBR). The first boot refuses and the screen says what to do;
# a boot with lastgood.discard_hibernation=1 on the command line (the
# image's equivalent of `lastgood fix --discard-hibernation`) fixes it, the
# hibernated session being lost as the screen said.
. "$(dirname "$0")/cells.sh"
cell hibernated "hibernated Windows: refused with what to do, then fixed with lastgood.discard_hibernation=1"
cell_windows_disk hibernated
cell_stick
e2e_disk nvme "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood refused to change Windows, to keep your data safe"
e2e_log_has "lastgood.discard_hibernation=1"
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/refused.img"
cmp -s "$WORK/before.img" "$WORK/refused.img" || e2e_fail "the refused run changed the Windows volume"
mv "$LOG" "$WORK/serial-refused.log"
e2e_image "$CELL_WORDS lastgood.discard_hibernation=1"
e2e_vars
e2e_windows_entry
e2e_reset_devices
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
head=$(ntfscat "$WORK/after.img" hiberfil.sys 2>/dev/null | head -c 4 | od -An -c | tr -d ' ')
[ "$head" != "HIBR" ] || e2e_fail "hiberfil.sys still starts with HIBR after the discarding run"
cell_pass
