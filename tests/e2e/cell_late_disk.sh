#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell late disk: the Windows disk is a USB disk that shows up late. It is
# hot-plugged through QEMU's QMP socket while the image waits for disks,
# after the boot stick is already there; the image still finds it and
# fixes it.
. "$(dirname "$0")/cells.sh"
cell late-disk "a USB disk hot-plugged during the disk wait is still found and fixed"
command -v socat >/dev/null 2>&1 || e2e_fail "socat is missing (build/packages.txt)"
cell_windows_disk
cell_stick "lastgood.wait=30"
qmp=$WORK/qmp.sock
E2E_QEMU_EXTRA="-qmp unix:$qmp,server=on,wait=off"
export E2E_QEMU_EXTRA
plug() {
	# wait until the image waits for disks, then plug the disk in
	i=0
	until e2e_text | grep -qF "Looking for disks"; do
		i=$((i + 1))
		[ "$i" -lt 600 ] || return 1
		sleep 0.5
	done
	sleep 1
	printf '%s\n' '{"execute":"qmp_capabilities"}' \
		"{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"late\",\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"$WORK/disk.img\"}}}" \
		'{"execute":"device_add","arguments":{"driver":"usb-storage","bus":"xhci.0","drive":"late","id":"latedisk"}}' |
		socat -t 5 - "UNIX-CONNECT:$qmp" >"$WORK/qmp.out" 2>&1
	e2e_text | grep -F "Looking for disks" | tail -n 1 >"$WORK/plugged-during"
}
plug &
plugger=$!
cell_boot
wait "$plugger" || e2e_fail "the disk was never plugged in (the image never said 'Looking for disks')"
grep -q '"return": {}' "$WORK/qmp.out" || grep -q '"return":{}' "$WORK/qmp.out" ||
	e2e_fail "QEMU did not take the hot-plugged disk: $(cat "$WORK/qmp.out")"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
cell_pass
