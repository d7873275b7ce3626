#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Secure Boot, own-key chain (OVMF with Debian's snakeoil keys enrolled,
# as an organisation's db key would be):
#  - media/sign.sh (what `make image SIGN_KEY=... SIGN_CERT=...` runs)
#    signs lastgood.efi, and refuses a key/certificate pair that do not
#    match; the image carries shim's .sbat section;
#  - the signed image boots with Secure Boot on, its embedded Debian kernel
#    (signed by Debian, not by a key in db) starts because the stub vouches
#    for its own .linux section, the kernel runs in lockdown, and lastgood
#    fixes the CrowdStrike scenario there: modules load (signed: the USB
#    stack stored as is, nvme xz'ed and decompressed by PID 1 before
#    init_module), and the efivarfs write of BootNext lands in the firmware's
#    variable store (read back from the OVMF vars file);
#  - the unsigned image and a signed image with one byte changed (in the
#    embedded initrd) are both refused by the firmware, in one boot.
. "$(dirname "$0")/lib.sh"

SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
e2e_setup secureboot
for f in "$SB_CODE" "$SB_VARS" "$SB_KEY" "$SB_CERT"; do
	[ -f "$f" ] || e2e_skip "$f not found (Debian's ovmf package ships it)"
done
for tool in sbsign sbverify; do
	command -v $tool >/dev/null || e2e_fail "$tool missing (package sbsigntool, in build/packages.txt)"
done
OVMF_CODE=$SB_CODE
OVMF_VARS=$SB_VARS
E2E_MACHINE=q35,smm=on
E2E_QEMU_EXTRA="-global driver=cfi.pflash01,property=secure,value=on"

# ---- on the host: .sbat, signing, a mismatched key refused
e2e_crowdstrike_disk
# loglevel=6: the kernel's notices (lockdown) reach the console too.
e2e_image "lastgood.poweroff=1 loglevel=6"
objcopy -O binary --only-section=.sbat "$WORK/lastgood.efi" "$WORK/sbat.out"
tr -d '\000' <"$WORK/sbat.out" >"$WORK/sbat.txt"
[ "$(sed -n 1p "$WORK/sbat.txt")" = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md" ] ||
	e2e_fail ".sbat does not start with shim's sbat line: $(head -n 1 "$WORK/sbat.txt")"
sed -n 2p "$WORK/sbat.txt" | grep -Eq '^lastgood,[1-9][0-9]*,[^,]+,lastgood,[0-9][^,]*,https://github.com/lastgood/lastgood$' ||
	e2e_fail "unexpected lastgood SBAT line: $(sed -n 2p "$WORK/sbat.txt")"
[ "$(awk -F, 'NF != 6' "$WORK/sbat.txt" | wc -l)" = 0 ] || e2e_fail ".sbat has a line without 6 fields"

# The snakeoil key's password is "snakeoil" (Debian's ovmf README).
openssl pkey -in "$SB_KEY" -passin pass:snakeoil -out "$WORK/snakeoil.key" 2>/dev/null ||
	e2e_fail "cannot decrypt $SB_KEY"
mv "$WORK/lastgood.efi" "$WORK/unsigned.efi"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/other.key" -out "$WORK/other.pem" -days 1 \
	-subj "/CN=not the snakeoil key/" >/dev/null 2>&1 || e2e_fail "openssl req failed"
if media/sign.sh -k "$WORK/snakeoil.key" -c "$WORK/other.pem" -i "$WORK/unsigned.efi" -o "$WORK/bad.efi" \
	>"$WORK/sign-bad.out" 2>&1; then
	e2e_fail "media/sign.sh accepted a key with another key's certificate"
fi
grep -q "does not match the certificate" "$WORK/sign-bad.out" || e2e_fail "sign.sh said: $(cat "$WORK/sign-bad.out")"
[ ! -e "$WORK/bad.efi" ] || e2e_fail "sign.sh left a badly signed image behind"
media/sign.sh -k "$WORK/snakeoil.key" -c "$SB_CERT" -i "$WORK/unsigned.efi" -o "$WORK/signed.efi" ||
	e2e_fail "media/sign.sh failed"
sbverify --cert "$SB_CERT" "$WORK/signed.efi" >/dev/null 2>&1 || e2e_fail "sign.sh made no valid signature"

# One byte of the embedded initrd changed after signing (where trusted
# deny-list keys live): what someone with the stick in hand might try.
cp "$WORK/signed.efi" "$WORK/tampered.efi"
set -- $(objdump -h "$WORK/signed.efi" | awk '$2 == ".initrd" { print $3, $6 }')
[ $# = 2 ] || e2e_fail "no .initrd section in the image"
at=$((0x$2 + 0x$1 / 2))
old=$(od -An -tu1 -j "$at" -N 1 "$WORK/signed.efi" | tr -d ' ')
printf "\\$(printf '%03o' $(( (old + 1) % 256 )))" | dd of="$WORK/tampered.efi" bs=1 seek="$at" conv=notrunc status=none
[ "$(cmp -l "$WORK/signed.efi" "$WORK/tampered.efi" | wc -l)" = 1 ] || e2e_fail "the tampered copy differs by more than one byte"
if sbverify --cert "$SB_CERT" "$WORK/tampered.efi" >/dev/null 2>&1; then
	e2e_fail "sbverify accepts the tampered image"
fi

# ---- 1. signed: boots with Secure Boot on, in lockdown, and repairs Windows
media/mkusb.sh -e "$WORK/signed.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
	-o "$WORK/usb.img" 2>/dev/null
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300
e2e_log_has "lastgood: [4/4] starting the kernel (Secure Boot is on)"
e2e_log_has "Kernel is locked down from EFI Secure Boot"
e2e_text | grep -q '^ *drivers:.* usb_storage' || e2e_fail "usb_storage (stored uncompressed) was not loaded under lockdown"
e2e_text | grep -q '^ *drivers:.* nvme' || e2e_fail "the nvme driver (xz'ed) was not loaded under lockdown"
e2e_log_lacks "driver "
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Next boot: Windows Boot Manager (Boot0007"
e2e_check_fixed
signed_wall=$WALL
echo "signed image: run $RUN_ID, $(e2e_phases)"

# ---- 2. unsigned (stick 1) and tampered (stick 2): both refused
mv "$LOG" "$WORK/serial-signed.log"
media/mkusb.sh -e "$WORK/unsigned.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
	-o "$WORK/unsigned.img" 2>/dev/null
media/mkusb.sh -e "$WORK/tampered.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
	-o "$WORK/tampered.img" 2>/dev/null
QEMU_DEVS="-device qemu-xhci,id=xhci"
QEMU_DEVS="$QEMU_DEVS -drive if=none,id=s1,format=raw,file=$WORK/unsigned.img"
QEMU_DEVS="$QEMU_DEVS -device usb-storage,bus=xhci.0,port=1,drive=s1,removable=on,bootindex=0"
QEMU_DEVS="$QEMU_DEVS -drive if=none,id=s2,format=raw,file=$WORK/tampered.img"
QEMU_DEVS="$QEMU_DEVS -device usb-storage,bus=xhci.0,port=2,drive=s2,removable=on,bootindex=1"
e2e_vars
e2e_boot_until "failed to load Boot" 180
refused=$(e2e_text | grep -c 'BdsDxe: failed to load Boot[0-9A-F]*.*USB.*\(Access Denied\|Security Violation\)' || true)
e2e_text | grep 'BdsDxe: \(loading\|failed\)' | sort -u
for port in 1 2; do
	e2e_text | grep -q "BdsDxe: failed to load Boot[0-9A-F]* \"UEFI QEMU QEMU USB HARDDRIVE [^\"]*-$port\".*\\(Access Denied\\|Security Violation\\)" ||
		e2e_fail "the firmware did not refuse the image on USB port $port ($([ $port = 1 ] && echo unsigned || echo tampered))"
done
e2e_log_lacks "lastgood: [1/4]"
echo "refusals: $refused"
echo "signed image: wall time to power-off ${signed_wall} s; unsigned and tampered images refused (${WALL} s)"
echo PASS
