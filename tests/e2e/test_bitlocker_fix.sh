#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole job on a BitLocker-encrypted PC, in four QEMU boots:
#
#  1. setup (tests/e2e/bitlk-guest as init, real dm-crypt): unlock the
#     Windows-made volume bitlk-aes-xts-128, as partition 1 of a GPT disk,
#     and write the crowdstrike Windows tree (the bitlocker-inner fixture,
#     a fresh NTFS) through the mapping; it reads back equal;
#  2. the real recovery image from the USB stick, unattended fix, with
#     \lastgood\keys.csv on the stick (an Intune-style export, the PC's
#     key in a list of others): it unlocks the volume by its protector id,
#     quarantines the faulty channel file, saves the report on the stick
#     and powers off; no recovery password on the screen or in the report;
#  3. the real image again, scan mode with a person there and no key file:
#     the recovery key is typed on the serial console (a wrong group first)
#     and the scan through the mapping finds nothing left to do;
#  4. check (bitlk-guest): the volume's content after the fix is copied
#     out through a read-only mapping; then `lastgood undo` (the engine's
#     command) unlocks it with the key file and puts the file back; the
#     content is copied out again.
#
# The host then reads both copies with ntfs-3g's tools: after the fix the
# file is in \$LastGood\quarantine\<run>\ and gone from its place, the
# volume is consistent (ntfsfix -n); after undo it is back, byte for byte.
# Throughout, the disk never holds the NTFS in clear and the BitLocker
# metadata is unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bitlk-lib.sh"

e2e_setup bitlocker-fix
bitlk_images

NAME=bitlk-aes-xts-128
RP=$(conf $NAME RP)
RPID=$(conf $NAME RP_VMK_GUID)
VGUID=$(conf $NAME GUID)
RKID=$(echo "$RPID" | cut -c1-8 | tr a-f A-F)
export MTOOLS_SKIP_CHECK=1

# ---- the key file: an Intune-style export, the PC's key among others
keys=$WORK/keys.csv
{
	printf '"Computer Name","Recovery Key ID","Recovery Key"\r\n'
	printf '"PC-0001","{%s}","%s"\r\n' "$(conf bitlk-aes-xts-256 RP_VMK_GUID)" "$(conf bitlk-aes-xts-256 RP)"
	printf '"PC-0002","{%s}","%s"\r\n' "$(echo "$RPID" | tr a-f A-F)" "$RP"
	printf '"PC-0003","{%s}","%s"\r\n' "$(conf bitlk-aes-cbc-128 RP_VMK_GUID)" "$(conf bitlk-aes-cbc-128 RP)"
} >"$keys"

# ---- boot 1: setup, the crowdstrike tree through the mapping (bitlk-lib.sh)
disk=$WORK/disk.img
echo "e2e: boot 1 of 4: setup"
bitlk_windows_disk $NAME "$disk" "$keys"
cp "$LOG" "$WORK/serial-1-setup.log"
medium=$BITLK_MEDIUM
setup_wall=$WALL

# ---- boot 2: the recovery image, unattended fix, keys.csv on the stick
e2e_image "lastgood.mode=fix lastgood.unattended=1 lastgood.poweroff=1"
mcopy -i "$WORK/usb.img@@1M" "$keys" ::/lastgood/keys.csv
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$disk"
echo "e2e: boot 2 of 4: the recovery image fixes the BitLocker volume"
e2e_boot 600
cp "$LOG" "$WORK/serial-2-fix.log"
e2e_log_has "1 BitLocker key file from the boot medium (kept in memory only)"
e2e_log_has "BitLocker volume $VGUID unlocked: recovery password from keys.csv line 3 (protector $RPID)"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Next boot: Windows Boot Manager (Boot0007"
e2e_log_lacks "Recovery key (attempt"
for k in "$RP" "$(echo "$RP" | tr -d -)" "$(echo "$RP" | cut -d- -f1-2)"; do
	e2e_log_lacks "$k"
done
e2e_run_id
mcopy -i "$WORK/usb.img@@1M" "::/lastgood/reports/$RUN_ID.json" "$WORK/report.json" ||
	e2e_fail "no report $RUN_ID.json on the stick"
jq -e --arg g "$VGUID" --arg p "$RPID" '.volumes[] | select(.bitlocker.volume_guid == $g)
	| select(.filesystem == "bitlocker" and .status == "fixed" and .unlock.protector == $p
		 and .unlock.key_source == "keys.csv line 3" and .unlock.unlocked_with == "recovery-password"
		 and (.mapped_device | startswith("/dev/mapper/lastgood-")))' "$WORK/report.json" >/dev/null ||
	e2e_fail "the report does not say the volume was unlocked and fixed: $(jq -c '.volumes' "$WORK/report.json")"
echo "ok   report: unlocked with keys.csv line 3, status fixed"
grep -qE "$(echo "$RP" | cut -d- -f1-2)|$(echo "$RP" | tr -d - | cut -c1-12)" "$WORK/report.json" &&
	e2e_fail "a recovery password is in the report"
echo "ok   no recovery password in the report or on the console"
[ "$(e2e_bootnext)" = "Boot0007" ] || e2e_fail "BootNext is '$(e2e_bootnext)', expected Boot0007"
bitlk_encrypted "after the fix"
fix_wall=$WALL

# ---- boot 3: scan, a person at the console types the key
e2e_reset_devices
e2e_image "lastgood.mode=scan lastgood.poweroff=1" # a fresh stick: no key file on it
e2e_vars
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$disk"
bitlk_serial_pipes
bitlk_type_key "$RP" 3
echo "e2e: boot 3 of 4: scan, the recovery key typed on the serial console"
e2e_boot 600
bitlk_stop_serial
cp "$LOG" "$WORK/serial-3-typed.log"
e2e_log_has "BitLocker recovery: BitLocker volume $VGUID (/dev/nvme0n1"
e2e_log_has "Recovery key ID: $RKID"
e2e_log_has "Group 3 is not divisible by 11 (a mistyped digit?): type group 3 again."
e2e_log_has "The volume is unlocked."
e2e_log_has "BitLocker volume $VGUID unlocked: recovery password typed at the console"
e2e_log_has "Scan finished: nothing on the deny-list was found"
e2e_log_lacks "@prompt-"
# init's "still working" lines hold back while the key is typed
if e2e_text | sed -n '/Recovery key (attempt 1 of 3)/,/The volume is unlocked/p' | grep -q '\.\.\. scanning,'; then
	e2e_fail "init's progress lines cut into the key prompt"
fi
echo "ok   no progress line inside the prompt"
for k in "$RP" "$(echo "$RP" | tr -d -)" "$(echo "$RP" | cut -d- -f1-2)" "$(echo "$RP" | tr -d - | cut -c1-12)"; do
	e2e_log_lacks "$k"
done
echo "ok   the typed key is not on the console in one piece"
# the console log saved on the stick holds no group of it at all (the
# prompt's echo goes to the consoles only)
mkdir -p "$WORK/stick-reports"
mcopy -s -i "$WORK/usb.img@@1M" ::/lastgood/reports "$WORK/stick-reports/" ||
	e2e_fail "no reports on the stick after the scan"
ls "$WORK"/stick-reports/reports/*.log >/dev/null 2>&1 || e2e_fail "no console log on the stick after the scan"
for i in 1 2 3 4 5 6 7 8; do
	if grep -rq "$(echo "$RP" | cut -d- -f"$i")" "$WORK/stick-reports"; then
		e2e_fail "group $i of the typed key is in a report or console log on the stick"
	fi
done
echo "ok   no group of the typed key in the reports and console log on the stick"
bitlk_encrypted "after the scan"
typed_wall=$WALL

# ---- boot 4: copy out after the fix, lastgood undo, copy out again
truncate -s 100M "$WORK/after-fix.img" "$WORK/after-undo.img"
{
	echo "vdb 1048576 104857600 lastgood export vdc"
	echo "vdb 0 0 lastgood undo $RUN_ID"
	echo "vdb 1048576 104857600 lastgood export vdd"
} >"$WORK/plan4.txt"
mcopy -o -i "$medium" "$WORK/plan4.txt" ::/bitlk/plan.txt
QEMU_DISKS="-drive if=virtio,format=raw,file=$medium -drive if=virtio,format=raw,file=$disk"
QEMU_DISKS="$QEMU_DISKS -drive if=virtio,format=raw,file=$WORK/after-fix.img -drive if=virtio,format=raw,file=$WORK/after-undo.img"
echo "e2e: boot 4 of 4: copy out, undo, copy out"
bitlk_guest_boot 900
cp "$LOG" "$WORK/serial-4-undo.log"
e2e_log_has "BITLK-COPY vdb to vdc: 104857600"
e2e_log_has "BITLK-COPY vdb to vdd: 104857600"
e2e_log_has "BITLK-RESULT vdb undo rc=0"
e2e_text | sed -n '/^BITLK-UNDO-JSON-BEGIN/,/^BITLK-UNDO-JSON-END/p' | sed '1d;$d' >"$WORK/undo.json"
jq -e --arg p "$RPID" '.exit_code == 0 and (.volumes | length) == 1 and .volumes[0].status == "undone"
	and .volumes[0].unlock.protector == $p' "$WORK/undo.json" >/dev/null ||
	e2e_fail "undo did not undo the run on the BitLocker volume: $(cat "$WORK/undo.json")"
echo "ok   lastgood undo unlocked the volume and undid run $RUN_ID"
e2e_log_has "BITLK-LEFT 0"
bitlk_encrypted "after undo"
undo_wall=$WALL

# ---- the host reads both copies with ntfs-3g's tools
before=$OUT/fixtures/bitlocker-inner.img
for img in "$WORK/after-fix.img" "$WORK/after-undo.img"; do
	ntfsfix -n "$img" >"$WORK/ntfsfix.out" 2>&1 ||
		{ cat "$WORK/ntfsfix.out"; e2e_fail "ntfsfix -n finds $(basename "$img") inconsistent"; }
done
echo "ok   ntfsfix -n: both copies consistent"
orig=$(e2e_ntfs_sha "$before" "$CS_DIR/$CS_BAD")
e2e_ntfs_ls "$WORK/after-fix.img" "$CS_DIR" | grep -qx "$CS_BAD" && e2e_fail "after the fix, $CS_BAD is still in place"
[ "$(e2e_ntfs_sha "$WORK/after-fix.img" "/\$LastGood/quarantine/$RUN_ID$CS_DIR/$CS_BAD")" = "$orig" ] ||
	e2e_fail "after the fix, the quarantined copy is missing or differs"
echo "ok   after the fix: $CS_BAD in /\$LastGood/quarantine/$RUN_ID, the same bytes"
for good in C-00000291-00000000-00000031.sys C-00000291-00000000-00000033.sys CSAgent.sys; do
	[ "$(e2e_ntfs_sha "$before" "$CS_DIR/$good")" = "$(e2e_ntfs_sha "$WORK/after-fix.img" "$CS_DIR/$good")" ] ||
		e2e_fail "$good changed: it is not on the deny-list"
done
echo "ok   the other channel files are untouched"
e2e_ntfs_ls "$WORK/after-fix.img" "/\$LastGood/reports" | grep -qx "$RUN_ID.json" ||
	e2e_fail "no report on the Windows volume"
[ "$(e2e_ntfs_sha "$WORK/after-undo.img" "$CS_DIR/$CS_BAD")" = "$orig" ] ||
	e2e_fail "after undo, $CS_BAD is not back in place with its bytes"
echo "ok   after undo: $CS_BAD back in place, the same bytes"
for f in "$WORK/after-fix.img" "$WORK/after-undo.img"; do
	if ntfscat "$f" "/\$LastGood/reports/$RUN_ID.json" 2>/dev/null | grep -qE "$(echo "$RP" | cut -d- -f1-2)"; then
		e2e_fail "a recovery password is on the Windows volume"
	fi
	for name in keys.csv KEYS.CSV; do
		ntfsls -R -p / "$f" 2>/dev/null | grep -qx "$name" && e2e_fail "a key file was copied to the Windows volume"
	done
done
echo "ok   no key file and no recovery password on the Windows volume"

echo "figures: setup ${setup_wall} s, fix ${fix_wall} s, typed scan ${typed_wall} s, copy+undo+copy ${undo_wall} s (QEMU TCG)"
echo "phases of the fix: $(grep '^lastgood-phases:' "$WORK/serial-2-fix.log" | tail -n 1)"
echo PASS
