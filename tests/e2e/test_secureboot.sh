#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Secure Boot (OVMF with Debian's snakeoil keys enrolled): lastgood.efi
# signed with the snakeoil key boots, and its embedded kernel (signed by
# Debian, not by a key in db) still starts, because the stub vouches for
# its own .linux section; the unsigned lastgood.efi is refused by the
# firmware, which moves on to its next boot option.
. "$(dirname "$0")/lib.sh"

SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
e2e_setup secureboot
for f in "$SB_CODE" "$SB_VARS" "$SB_KEY" "$SB_CERT"; do
	[ -f "$f" ] || e2e_skip "$f not found (Debian's ovmf package ships it)"
done
command -v sbsign >/dev/null || e2e_fail "sbsign missing (package sbsigntool, in build/packages.txt)"
OVMF_CODE=$SB_CODE
OVMF_VARS=$SB_VARS
E2E_MACHINE=q35,smm=on
E2E_QEMU_EXTRA="-global driver=cfi.pflash01,property=secure,value=on"

e2e_image "lastgood.poweroff=1 lastgood.wait=3"
# The snakeoil key's password is "snakeoil" (Debian's ovmf README).
openssl pkey -in "$SB_KEY" -passin pass:snakeoil -out "$WORK/snakeoil.key" 2>/dev/null ||
	e2e_fail "cannot decrypt $SB_KEY"
cp "$WORK/lastgood.efi" "$WORK/unsigned.efi"
sbsign --key "$WORK/snakeoil.key" --cert "$SB_CERT" --output "$WORK/lastgood.efi" "$WORK/unsigned.efi" 2>&1 |
	grep -v -e '^warning: file-aligned section' -e '^Signing Unsigned original image' || true
sbverify --cert "$SB_CERT" "$WORK/lastgood.efi" >/dev/null 2>&1 || e2e_fail "sbsign made no valid signature"
media/mkusb.sh -e "$WORK/lastgood.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
	-o "$WORK/usb.img" 2>/dev/null

# 1. Signed: boots to the end.
e2e_vars
e2e_usb_stick "$WORK/usb.img"
e2e_boot 300
e2e_log_has "lastgood: [4/4] starting the kernel (Secure Boot is on)"
e2e_log_has "lastgood: ==> Loading drivers"
e2e_log_has "lastgood: No Windows installation found"
e2e_log_has "lastgood: ==> Powering off"
signed_wall=$WALL

# 2. Unsigned: the firmware refuses it and moves on.
mv "$LOG" "$WORK/serial-signed.log"
media/mkusb.sh -e "$WORK/unsigned.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
	-o "$WORK/usb.img" 2>/dev/null
e2e_vars
e2e_boot_until "failed to load Boot" 180
e2e_text | grep -q 'BdsDxe: failed to load Boot[0-9A-F]*.*USB.*\(Access Denied\|Security Violation\)' ||
	e2e_fail "the firmware did not refuse the unsigned image"
e2e_log_lacks "lastgood: [1/4]"
echo "signed image: wall time to power-off ${signed_wall} s; unsigned image refused"
echo PASS
