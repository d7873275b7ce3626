#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# lastgood.efi installed on the crashed PC's own EFI system partition (a
# fleet can pre-stage it there as a boot entry): the boot medium and the
# Windows volume are on the same disk. The disk is still repaired (the ESP
# is unmounted while the engine works on the disk), and the report then
# goes to \lastgood\reports on that ESP.
. "$(dirname "$0")/lib.sh"

e2e_setup windows-esp
e2e_crowdstrike_disk
e2e_image "lastgood.poweroff=1"
esp_start=$(sgdisk -i 1 "$WORK/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
sgdisk -i 1 "$WORK/disk.img" | grep -q 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B' || e2e_fail "partition 1 is not the ESP"
esp="$WORK/disk.img@@$((esp_start * 512))"
export MTOOLS_SKIP_CHECK=1
mcopy -o -i "$esp" "$WORK/lastgood.efi" ::/EFI/BOOT/BOOTX64.EFI
mmd -i "$esp" ::/lastgood ::/lastgood/reports
mcopy -i "$esp" "$OUT/media/denylist.json" ::/lastgood/denylist.json
mcopy -i "$esp" "$OUT/media/denylist.json.minisig" ::/lastgood/denylist.json.minisig
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/before.img"
e2e_vars
e2e_windows_entry
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300

e2e_log_has "boot medium: /dev/nvme0n1p1 (vfat), left alone"
e2e_log_has "the boot medium is on this disk: unmounted while lastgood works on it"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
NO_STICK=1 e2e_check_fixed
reports=$(MTOOLS_SKIP_CHECK=1 mdir -i "$esp" -b ::/lastgood/reports 2>/dev/null || true)
echo "$reports" | grep -q "/$RUN_ID.json" || e2e_fail "no report $RUN_ID.json on the ESP: $reports"
echo "run $RUN_ID"
echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
echo PASS
