#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The filter-driver scenario with a dirty SYSTEM hive, booted from the USB
# image (issue 17), in two variants: the PC was cut off while the ACMEflt
# update was only in SYSTEM.LOG1, either its Start 0 and the filter lists
# (filter-driver-dirty) or the whole service with them (-svc: the primary
# file has no ACMEflt at all). The recovery image replays the log as
# Windows will, then fixes. Afterwards, checked on the host with ntfs-3g's
# tools, hivexregedit and the rule script written from the format
# description: ACMEflt.sys quarantined, Start=4 in every control set,
# ACMEflt gone from UpperFilters with partmgr kept, the hive clean (also by
# lastgood's own replay code, through inspect), and the logs left as they
# were, so that Windows applies none of them. Then the run the image made
# is undone on the host: SYSTEM and both logs are back byte for byte.
. "$(dirname "$0")/lib.sh"

for tool in hivexregedit minisign mcopy xxd perl jq; do
	command -v "$tool" >/dev/null || e2e_skip "$tool is not installed"
done

# variant: "" or -svc
one_variant() {
	v=$1
	e2e_need "$OUT/fixtures/filter-driver-dirty$v.img"
	e2e_setup "filter-driver-dirty$v"
	cp --sparse=always "$OUT/fixtures/filter-driver-dirty$v.img" "$WORK/disk.img"
	NTFS_PART=$(e2e_ntfs_partno "$WORK/disk.img")
	e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/before.img"
	for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
		ntfscat -f "$WORK/before.img" "/Windows/System32/config/$f" > "$WORK/before.$f" || e2e_fail "cannot read $f"
	done
	hivexregedit --export --prefix 'HKLM\SYSTEM' "$WORK/before.SYSTEM" '\' > "$WORK/before.reg" 2>/dev/null ||
		e2e_fail "hivexregedit cannot read the SYSTEM hive before the run"
	if [ -n "$v" ]; then
		[ -z "$(e2e_acme_start "$WORK/before.reg" ControlSet001)" ] ||
			e2e_fail "filter-driver-dirty$v: the primary file should have no ACMEflt service"
	fi
	e2e_image "lastgood.poweroff=1"
	e2e_vars
	e2e_windows_entry
	e2e_filter_list_on_stick "filter-driver-dirty$v"
	e2e_usb_stick "$WORK/usb.img"
	e2e_disk nvme "$WORK/disk.img"
	e2e_boot 300

	e2e_log_has "lastgood: ==> Repairing Windows"
	e2e_run_id
	e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/after.img"
	ntfsfix -n "$WORK/after.img" >/dev/null 2>&1 || e2e_fail "ntfsfix -n finds the volume inconsistent"
	e2e_ntfs_ls "$WORK/after.img" /Windows/System32/drivers | grep -qx ACMEflt.sys && e2e_fail "ACMEflt.sys is still in place"
	for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
		ntfscat -f "$WORK/after.img" "/Windows/System32/config/$f" > "$WORK/$f" || e2e_fail "cannot read $f back"
	done
	for f in SYSTEM.LOG1 SYSTEM.LOG2; do
		cmp -s "$WORK/before.$f" "$WORK/$f" || e2e_fail "$f changed"
	done
	perl "$(dirname "$0")/../host/hive-replay-rule.pl" "$WORK/SYSTEM" "$WORK/SYSTEM.LOG1" "$WORK/SYSTEM.LOG2" > "$WORK/rule" ||
		e2e_fail "by the format description's rule Windows would replay the logs: $(cat "$WORK/rule")"
	hivexregedit --export --prefix 'HKLM\SYSTEM' "$WORK/SYSTEM" '\' > "$WORK/after.reg" 2>/dev/null || e2e_fail "hivexregedit cannot read SYSTEM"
	for cs in ControlSet001 ControlSet002; do
		start=$(e2e_acme_start "$WORK/after.reg" "$cs")
		[ "$start" = '"Start"=dword:00000004' ] || e2e_fail "$cs: ACMEflt Start is '$start', expected 4"
		up=$(e2e_disk_upper_filters "$WORK/after.reg" "$cs")
		[ "$up" = partmgr ] || e2e_fail "$cs: UpperFilters is '$up', expected partmgr alone"
	done
	# lastgood's own replay code on the disk the image wrote: clean.
	"$OUT/lastgood" inspect --json "$WORK/disk.img" > "$WORK/inspect.json" 2>"$WORK/inspect.err" ||
		e2e_fail "lastgood inspect failed: $(cat "$WORK/inspect.err")"
	state=$(jq -r '.volumes[] | select(.windows) | .system_hive.state' "$WORK/inspect.json")
	[ "$state" = clean ] || e2e_fail "lastgood's replay code calls the hive written back '$state', not clean"
	wall=$WALL

	# Undo, on the host, of the run the image made: all three files back.
	"$OUT/lastgood" undo --run "$RUN_ID" "$WORK/disk.img" > "$WORK/undo.out" 2>&1 ||
		e2e_fail "lastgood undo --run $RUN_ID failed: $(cat "$WORK/undo.out")"
	e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/undone.img"
	for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
		ntfscat -f "$WORK/undone.img" "/Windows/System32/config/$f" > "$WORK/undone.$f" || e2e_fail "cannot read $f after undo"
		cmp -s "$WORK/before.$f" "$WORK/undone.$f" || e2e_fail "undo: $f is not byte for byte as before the run"
	done
	e2e_ntfs_ls "$WORK/undone.img" /Windows/System32/drivers | grep -qx ACMEflt.sys || e2e_fail "undo: ACMEflt.sys is not back"
	ntfsfix -n "$WORK/undone.img" >/dev/null 2>&1 || e2e_fail "ntfsfix -n finds the volume inconsistent after undo"
	echo "filter-driver-dirty$v: fixed by the image (${wall} s to power-off), hive clean, logs untouched, undone byte for byte"
}

one_variant ""
one_variant -svc
echo PASS
