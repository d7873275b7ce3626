#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Secure Boot on a stock PC (Microsoft's keys only, OVMF_VARS_4M.ms.fd),
# own key through shim's MOK list, as docs/secure-boot.md describes it:
# a shim stick whose \EFI\BOOT\grubx64.efi is lastgood.efi signed with an
# organisation's key (media/sign.sh), the certificate beside it as org.cer.
#  1. First boot: shim cannot verify lastgood.efi ("Verification failed"),
#     starts MokManager; the test answers its prompts on the serial
#     console (Enroll key from disk, org.cer, Continue, Yes, Reboot) as the
#     person at the PC would. MokList is then in the variable store.
#  2. Second boot: shim verifies lastgood.efi against the enrolled key,
#     the stub starts its kernel (Secure Boot on, lockdown), and the
#     CrowdStrike scenario is repaired.
. "$(dirname "$0")/lib.sh"

SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
MS_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
SHIM_ENV=$OUT/cache/shim.env
e2e_setup secureboot-mok
for f in "$SB_CODE" "$MS_VARS"; do
	[ -f "$f" ] || e2e_skip "$f not found (Debian's ovmf package ships it)"
done
e2e_need "$SHIM_ENV" "$OVMFVARS_TOOL"
OVMF_CODE=$SB_CODE
OVMF_VARS=$MS_VARS
E2E_MACHINE=q35,smm=on
E2E_QEMU_EXTRA="-global driver=cfi.pflash01,property=secure,value=on"

# ---- the stick: shim + MokManager + lastgood.efi signed with the org's key
e2e_crowdstrike_disk
e2e_image "lastgood.poweroff=1 loglevel=6"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/org.key" -out "$WORK/org.pem" -days 2 \
	-subj "/CN=Example Corp lastgood MOK (test)/" >/dev/null 2>&1 || e2e_fail "openssl req failed"
media/sign.sh -k "$WORK/org.key" -c "$WORK/org.pem" -i "$WORK/lastgood.efi" -o "$WORK/signed.efi" ||
	e2e_fail "media/sign.sh failed"
media/mkshimtree.sh -m disk -e "$SHIM_ENV" -k "$OUT/cache/kernel.env" -i "$OUT/media/initrd.img" \
	-c "lastgood.mode=fix" -o "$WORK/tree" || e2e_fail "mkshimtree.sh failed"
rm -rf "$WORK/tree/EFI/debian" "$WORK/tree/lastgood"
cp "$WORK/signed.efi" "$WORK/tree/EFI/BOOT/grubx64.efi"
openssl x509 -in "$WORK/org.pem" -outform DER -out "$WORK/tree/org.cer"
media/mkusb.sh -t "$WORK/tree" -d "$OUT/media/denylist.json" -r media/README-shim.txt -s 96 \
	-o "$WORK/usb.img" 2>/dev/null || e2e_fail "mkusb.sh -t failed"

# ---- 1. MokManager, driven over the serial console
e2e_vars
e2e_windows_entry
rm -f "$WORK/ser.in" "$WORK/ser.out"
mkfifo "$WORK/ser.in" "$WORK/ser.out"
: >"$LOG"
echo "e2e: first boot, enrolling org.cer with MokManager (at most 240 s)"
start=$(date +%s%N)
"$QEMU" -machine "$E2E_MACHINE" -accel tcg -m "$E2E_MEM" -smp 1 -display none -monitor none -no-reboot \
	-serial "pipe:$WORK/ser" -nic none $E2E_QEMU_EXTRA \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
	-drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" \
	-device qemu-xhci,id=xhci -drive "if=none,id=stick,format=raw,file=$WORK/usb.img" \
	-device usb-storage,bus=xhci.0,drive=stick,removable=on,bootindex=0 >"$WORK/qemu.out" 2>&1 &
qpid=$!
cat "$WORK/ser.out" >"$LOG" &
exec 3>"$WORK/ser.in"
(sleep 240; kill "$qpid" 2>/dev/null) &
watchdog=$!
stop() { kill "$qpid" 2>/dev/null || true; kill "$watchdog" 2>/dev/null || true; }

# What the console said since the last key press.
FROM=0
since() { tail -c +$((FROM + 1)) "$LOG" | sed -e 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' -e 's/\r//g' | tr -s ' '; }
expect() { # TEXT SECONDS
	n=0
	while ! since | grep -aqF -- "$1"; do
		n=$((n + 1))
		if [ "$n" -gt "$2" ] || ! kill -0 "$qpid" 2>/dev/null; then
			stop
			e2e_fail "MokManager: the console never showed '$1' (last screen: $(since | tr -cd '[:print:]' | tail -c 300))"
		fi
		sleep 1
	done
}
press() { FROM=$(wc -c <"$LOG"); printf "$1" >&3; sleep 1; }
DOWN='\033[B' ENTER='\r'

expect "Verification failed: (0x1A) Security Violation" 90
press "$ENTER"
expect "Press any key to perform MOK management" 30
press " "
expect "Enroll key from disk" 30
press "$DOWN"; press "$ENTER"
expect "LASTGOOD" 30
press "$ENTER"
expect "org.cer" 30
# The stick's root as MokManager lists it: EFI/, lastgood/, org.cer, ...
since | LC_ALL=C grep -aq 'EFI/ [^a-zA-Z]* lastgood/ [^a-zA-Z]* org.cer' || { stop; e2e_fail "unexpected file order on the stick"; }
press "$DOWN"; press "$DOWN"; press "$ENTER"
expect "Continue" 30
press "$DOWN"; press "$ENTER"
expect "Enroll the key(s)?" 30
press "$DOWN"; press "$ENTER"
expect "Reboot" 30
press "$ENTER"
wait "$qpid" || true
kill "$watchdog" 2>/dev/null || true
exec 3>&-
mok_wall=$(( ($(date +%s%N) - start) / 1000000000 ))
"$OVMFVARS_TOOL" list "$WORK/vars.fd" | grep -q '^MokList 605dab50-e046-4300-abb6-3dd810dd8b23 ' ||
	e2e_fail "no MokList in the variable store after MokManager"
mv "$LOG" "$WORK/serial-mokmanager.log"

# ---- 2. the enrolled key lets shim start lastgood.efi
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300
e2e_log_lacks "Verification failed"
e2e_log_has "lastgood: [4/4] starting the kernel (Secure Boot is on)"
e2e_log_has "Kernel is locked down from EFI Secure Boot"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
echo "run $RUN_ID, $(e2e_phases)"
echo "MOK enrollment boot ${mok_wall} s; shim -> lastgood.efi (MOK key): wall time to power-off ${WALL} s"
echo PASS
