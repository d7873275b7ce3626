#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell plain stick: what a Windows admin makes in Explorer, no imaging tool:
# a stick with an MBR table and one FAT32 partition, on which only
# \EFI\BOOT\BOOTX64.EFI (a copy of lastgood.efi) and \lastgood\denylist.json
# + .minisig were copied. It boots, uses that list (a newer serial than the
# built-in one), and writes its report into \lastgood\reports, which it
# creates.
. "$(dirname "$0")/cells.sh"
cell plain-stick "a FAT32 stick made by copying two folders, no imaging tool"
cell_windows_disk
e2e_image "$CELL_WORDS"
e2e_vars
e2e_windows_entry
e2e_signed_list 900 "$WORK/denylist.json"
stick=$WORK/plain.img
truncate -s 128M "$stick"
printf 'label: dos\nstart=2048, type=c, bootable\n' | sfdisk -q "$stick"
mkfs.fat -F 32 -n USBSTICK --offset 2048 "$stick" $((((128 * 1024 * 1024) - 2048 * 512) / 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
img="$stick@@1M"
mmd -i "$img" ::/EFI ::/EFI/BOOT ::/lastgood
mcopy -i "$img" "$WORK/lastgood.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$img" "$WORK/denylist.json" ::/lastgood/denylist.json
mcopy -i "$img" "$WORK/denylist.json.minisig" ::/lastgood/denylist.json.minisig
e2e_usb_stick "$stick"
e2e_disk nvme "$WORK/disk.img"
cell_boot
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "deny-list serial 900 (key"
NO_STICK=1 e2e_check_fixed
reports=$(mdir -i "$img" -b ::/lastgood/reports 2>/dev/null || true)
echo "$reports" | grep -q "/$RUN_ID.json" || e2e_fail "no report $RUN_ID.json in \\lastgood\\reports on the plain stick: $reports"
cell_pass
