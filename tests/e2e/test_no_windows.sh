#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot the USB image on a PC whose only other disk (a blank NVMe disk) has
# no Windows: the image says so in plain words, changes nothing, keeps its
# console log on the stick, makes the Windows Boot Manager entry (added to
# the firmware's variables beforehand) the next boot, and powers off
# (lastgood.poweroff=1) without waiting for anyone.
. "$(dirname "$0")/lib.sh"

e2e_setup no-windows
e2e_image "lastgood.poweroff=1 lastgood.wait=4"
e2e_vars
e2e_windows_entry
truncate -s 64M "$WORK/disk.img"
before=$(sha256sum <"$WORK/disk.img")
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 240

e2e_log_has "lastgood: [4/4] starting the kernel"
e2e_log_has "boot medium: partition $(sgdisk -i 1 "$WORK/usb.img" | sed -n "s/^Partition unique GUID: //p" | tr A-Z a-z)"
e2e_log_has "boot medium: /dev/sda1 (vfat), left alone"
e2e_log_has "lastgood: No Windows installation found"
e2e_log_has "changed nothing"
e2e_log_has "lastgood: ==> Powering off"
e2e_log_lacks "Kernel panic"
e2e_log_has "nvme0n1 (0.1 GB)"
e2e_log_has "NTFS and BitLocker volumes: none"
[ "$(sha256sum <"$WORK/disk.img")" = "$before" ] || e2e_fail "the blank disk was changed"

next=$(e2e_bootnext)
[ "$next" = "Boot0007" ] || e2e_fail "BootNext is '$next', expected Boot0007 (Windows Boot Manager)"
e2e_log_has "Next boot: Windows Boot Manager (Boot0007"

reports=$(e2e_fat_ls "$WORK/usb.img" ::/lastgood/reports)
echo "$reports" | grep -q 'console-.*\.log' || e2e_fail "no console log in \\lastgood\\reports on the stick: $reports"

echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
echo "PASS"
