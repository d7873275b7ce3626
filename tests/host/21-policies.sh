#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Safety policies of fix: each checks the exit code, the message, and that
# the image did not change where nothing should.
. tests/host/lib.sh
need minisign
KEY=tests/fixtures/keys/test.key
# sign FILE: sign with the test key (password-less)
sign() { minisign -S -s $KEY -m "$1" -t "test list $(basename "$1")" >/dev/null 2>&1 </dev/null; }
run_fix() { $LG fix --denylist "${LIST:-$DL}" --trust $TRUST --json "$@"; }

# hibernated: refused by default, nothing changed
IMG=$(fixture hibernated)
h=$(sha "$IMG")
expect_rc 4 "hibernated volume refused" run_fix "$IMG"
contains "$T/err" "hibernated" "message says hibernated"
contains "$T/err" "--discard-hibernation" "message says how to proceed"
contains "$T/err" "unsaved work" "message says what the user loses"
same "$(sha "$IMG")" "$h" "refused: image unchanged"
expect_rc 0 "--discard-hibernation fixes it" run_fix --discard-hibernation "$IMG"
same "$(jq -r '.volumes[0].hibernation_discarded' "$T/out")" true "report: hibernation discarded"
p=$(part "$IMG" 3)
head4=$(ntfscat -f "$p" /hiberfil.sys | head -c 4 | od -An -tx1 | tr -d ' \n')
same "$head4" 00000000 "hiberfil.sys header cleared"
$LG inspect --json "$IMG" | jq -e '.volumes[0].hibernation == "inactive"' >/dev/null && ok "inspect: hibernation inactive after" || bad "inspect after discard"

# dirty: --refuse-dirty refuses; default replays (or says why not) and keeps it dirty
IMG=$(fixture dirty)
d=$(sha "$IMG")
expect_rc 4 "--refuse-dirty refuses a dirty volume" run_fix --refuse-dirty "$IMG"
contains "$T/err" "not shut down cleanly" "message says dirty"
same "$(sha "$IMG")" "$d" "refused: image unchanged"
if losetup -f >/dev/null 2>&1; then
	expect_rc 0 "dirty volume: log replayed, then fixed" run_fix "$IMG"
	jq -e '.volumes[0].log_replay.command == "ntfsrecover"' "$T/out" >/dev/null && ok "report: log_replay by ntfsrecover" || bad "report: log_replay"
	$LG inspect --json "$IMG" | jq -e '.volumes[0].dirty == true' >/dev/null && ok "left marked dirty for Windows' check" || bad "dirty flag cleared"
else
	expect_rc 4 "dirty volume without loop devices: refused" run_fix "$IMG"
	contains "$T/err" "loop device" "message says why"
	same "$(sha "$IMG")" "$d" "refused: image unchanged"
fi

# deny-list refusals: exit 5, nothing changed
IMG=$(fixture crowdstrike)
c=$(sha "$IMG")
cp $DL "$T/t.json"; cp $DL.minisig "$T/t.json.minisig"
sed -i 's/C-00000291\*/C-0000029*/' "$T/t.json"
LIST=$T/t.json expect_rc 5 "tampered deny-list refused" run_fix "$IMG"
contains "$T/err" "signature" "message says signature"
cp $DL "$T/u.json"
LIST=$T/u.json expect_rc 5 "unsigned deny-list refused" run_fix "$IMG"
expect_rc 5 "expired deny-list refused" $LG fix --denylist $DL --trust $TRUST --now 2037-01-01T00:00:00Z "$IMG"
contains "$T/err" "expire" "message says expired"
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1 </dev/null
expect_rc 5 "list signed by an untrusted key refused" $LG fix --denylist $DL --trust "$T/other.pub" "$IMG"
same "$(sha "$IMG")" "$c" "refused lists: image unchanged"

# anti-rollback: serial 2 applied, then serial 1 refused, serial 2 again allowed
sed 's/"serial": 1/"serial": 2/' $DL > "$T/s2.json"; sign "$T/s2.json"
LIST=$T/s2.json expect_rc 0 "serial 2 applied" run_fix "$IMG"
r2=$(sha "$IMG")
expect_rc 5 "lower serial refused (rollback)" run_fix "$IMG"
contains "$T/err" "serial" "message says serial"
same "$(sha "$IMG")" "$r2" "rollback refused: image unchanged"
LIST=$T/s2.json expect_rc 0 "equal serial allowed (re-run)" run_fix "$IMG"

# read-only target: a read-only loop device
IMG=$(fixture crowdstrike)
if LOOP=$(losetup -r -f --show "$IMG" 2>/dev/null); then
	expect_rc 1 "read-only device: clear error" run_fix "$LOOP"
	contains "$T/err" "read-only" "message says read-only"
	losetup -d "$LOOP"
	# mounted on the host: refused unless --force. A partition image on a
	# loop device, mounted read-only with ntfs-3g (fuseblk: mountinfo
	# carries the loop device's numbers).
	PIMG=$(part "$IMG" 3)
	LOOP=$(losetup -f --show "$PIMG")
	mkdir -p "$T/mnt"
	if command -v ntfs-3g >/dev/null && ntfs-3g -o ro "$LOOP" "$T/mnt" 2>/dev/null; then
		pm=$(sha "$PIMG")
		expect_rc 4 "block device mounted on this host refused" run_fix "$LOOP"
		contains "$T/err" "mounted on this host" "message says mounted"
		umount "$T/mnt"
		same "$(sha "$PIMG")" "$pm" "mounted device: unchanged"
	else
		echo "note: could not mount with ntfs-3g (no FUSE?); mounted-device check not run"
	fi
	losetup -d "$LOOP"
else
	echo "note: no loop devices here; read-only and mounted-device checks not run"
fi

# no Windows: nothing to do
IMG=$(fixture no-windows)
n=$(sha "$IMG")
expect_rc 0 "no Windows installation: nothing to do" run_fix "$IMG"
same "$(jq -r '.summary.windows_volumes' "$T/out")" 0 "report: 0 Windows volumes"
same "$(sha "$IMG")" "$n" "no Windows: image unchanged"

# MBR disk and two disks
IMG=$(fixture mbr)
expect_rc 0 "MBR disk fixed" run_fix "$IMG"
same "$(jq -r '.summary.quarantined' "$T/out")" 1 "MBR: one file quarantined"
IMG=$(fixture two-windows); IMG2=$(fixture two-windows-disk2)
expect_rc 0 "two disks fixed in one run" run_fix "$IMG" "$IMG2"
same "$(jq -r '.summary.quarantined' "$T/out")" 2 "two disks: two files quarantined"
same "$(jq -r '[.volumes[].status] | join(",")' "$T/out")" "fixed,fixed" "two disks: both fixed"

# bad targets: clear one-line errors, exit 1
expect_rc 1 "missing target" run_fix /nonexistent.img
contains "$T/err" "No such file" "missing target: message"
: > "$T/empty.img"
expect_rc 1 "empty target" run_fix "$T/empty.img"
expect_rc 2 "no --denylist: usage" $LG fix "$IMG"
finish
