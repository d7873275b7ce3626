#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: a synthetic crashed PC (the crowdstrike fixture: Windows 10
# with the faulty Falcon channel file of 2024-07-19) boots the USB image
# exactly as `make image` built it, in QEMU, with the serial console shown
# live. Then the channel-file folder before and after, and what lastgood
# reported. The image's own countdown runs (press a key in this terminal
# to hold the final screen), then QEMU ends at the guest's restart.
. "$(dirname "$0")/lib.sh"

e2e_setup demo
e2e_need "$OUT/lastgood-usb.img" "$OVMFVARS_TOOL"
e2e_crowdstrike_disk
cp --sparse=always "$OUT/lastgood-usb.img" "$WORK/usb.img"
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"

banner() {
	echo
	echo "=============================================================================="
	echo "  $*"
	echo "=============================================================================="
}

show_folder() {
	ntfsls -l -p "$CS_DIR" "$1" 2>/dev/null | grep -v ' \.\.\?$' | sed 's/^/  /'
}

banner "BEFORE: C:$(echo "$CS_DIR" | tr / '\\') on the crashed PC's disk"
show_folder "$WORK/before.img"
echo
echo "  $CS_BAD (modified 04:09 UTC) crashes Windows at every start."

banner "Booting the lastgood USB stick in QEMU (serial console, live)"
start=$(date +%s)
touch "$LOG"
# shellcheck disable=SC2086
timeout -k 5 300 "$QEMU" -machine q35 -accel tcg -m "$E2E_MEM" -smp 1 -display none -monitor none \
	-no-reboot -nic none -serial "file:$LOG" \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
	-drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" \
	$QEMU_DEVS >"$WORK/qemu.out" 2>&1 &
qemu=$!
tail --pid=$qemu -n +1 -f "$LOG" | sed -u -e 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' -e 's/\r//g'
wait $qemu || e2e_fail "QEMU failed or timed out: $(cat "$WORK/qemu.out")"
wall=$(( $(date +%s) - start ))

e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/after.img"
banner "AFTER: the same folder, read on the host with ntfs-3g's ntfsls"
show_folder "$WORK/after.img"
run=$(e2e_text | sed -n 's/^lastgood fix: run \([^,]*\),.*/\1/p' | tail -n 1)
if [ -n "$run" ]; then
	echo
	printf '  Quarantine (%s, nothing deleted):\n' "\\\$LastGood\\quarantine\\$run"
	ntfsls -R -p "/\$LastGood/quarantine/$run" "$WORK/after.img" 2>/dev/null | grep -i '\.sys$' | sed 's/^/    /'
fi

banner "What lastgood reported"
e2e_text | sed -n '/^  lastgood: /p; /What lastgood reported:/,/^$/p' | sed '/^$/d'
echo "  BootNext in the firmware variables: $(e2e_bootnext)"
echo "  Reports on the stick: $(e2e_fat_ls "$WORK/usb.img" ::/lastgood/reports | sed 's|.*/||' | tr '\n' ' ')"
echo "  $(e2e_phases)"
echo "  QEMU wall time: ${wall} s (TCG, no KVM)"
