#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A lastgood.efi whose embedded kernel is damaged: the stub says which step
# failed and why, and gives control back to the firmware (which goes on to
# its next boot option) instead of hanging or crashing.
. "$(dirname "$0")/lib.sh"

e2e_setup stub-failure
e2e_need "$OUT/efi/stub.efi" "$OUT/media/initrd.img" "$OUT/media/sbat.csv" "$OUT/media/denylist.json"
# 1 MiB of zeros where the kernel should be: no PE image for LoadImage.
head -c 1048576 /dev/zero >"$WORK/bad-kernel"
media/mkefi.sh -s "$OUT/efi/stub.efi" -k "$WORK/bad-kernel" -i "$OUT/media/initrd.img" -c "quiet" \
	-v "lastgood (test: damaged kernel)" -b "$OUT/media/sbat.csv" -o "$WORK/lastgood.efi"
media/mkusb.sh -e "$WORK/lastgood.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 64 \
	-o "$WORK/usb.img" 2>/dev/null
e2e_vars
e2e_usb_stick "$WORK/usb.img"
e2e_boot_until "returning to the firmware" 180

e2e_log_has "lastgood: [1/4] kernel 1024 KiB"
e2e_log_has "lastgood: [4/4] starting the kernel"
e2e_log_has "lastgood: FAILED: the firmware could not load the embedded kernel"
e2e_log_has "lastgood: returning to the firmware; it will try the next boot option."
# OVMF's boot manager reports the failed option and moves on.
e2e_text | grep -q 'BdsDxe: failed to start Boot[0-9A-F]*.*USB' ||
	e2e_fail "the firmware did not report the failed boot option (did the stub return?)"
echo "wall time until the firmware moved on: ${WALL} s"
echo PASS
