#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Safe deployment of the fix across a fleet (issue 20, docs/fleet.md
# "Plans, exactly"): two PCs network-boot the recovery image against the
# real `lastgood serve --canary 1` on this host's loopback (the guests'
# 10.0.2.2, QEMU's user network; TLS with a CA made here and built into
# the image, tests/e2e/fleet-lib.sh). Each PC is its own SMBIOS identity
# (qemu -smbios type=1: UUID, serial, maker, model) with its own disk, a
# copy of the crowdstrike fixture; "the same PC boots again" is the same
# UUID and the same disk file. Four PXE boots, in order:
#
#  1. PC 1, the first to ask: ring 1 of the canary, its plan says fix; the
#     driver is quarantined (checked with ntfs-3g's tools), the report
#     reaches the server.
#  2. PC 2: ring 2, its plan says scan; its disk is not changed by a
#     single byte, its report (outcome scanned) reaches the server. The
#     operator's API then shows both PCs with their rings, plans, serials
#     and outcomes, and the page is served.
#  3. PC 1 boots again (it crashed again: the fix did not help it): fix,
#     nothing left to do on its disk, and the server flags it re-crashed.
#  4. The operator rolls back (`lastgood serve ctl rollback`), PC 1 boots
#     again: its plan is undo of run 1, the image undoes it, the driver is
#     back byte for byte, the server shows the PC undone; asked again, the
#     server has nothing left to undo for it.
. "$(dirname "$0")/lib.sh"

e2e_setup fleet_rings
. "$(dirname "$0")/fleet-lib.sh"
e2e_need "$OUT/lastgood" "$OUT/fixtures/crowdstrike.img"
command -v jq >/dev/null 2>&1 || e2e_skip "jq is missing (build/install-deps installs it)"
UUID1=$(fleet_uuid 1)
UUID2=$(fleet_uuid 2)

# ---- the server: --canary 1, the boot file in its root, one key (of no PC
# here: --keys is required, and these PCs have no BitLocker)
fleet_certs
mkdir -p "$WORK/tftp"
printf 'ComputerName,KeyId,RecoveryPassword\r\nPC-0099,{6F1D2E3C-4B5A-4978-8695-A4B3C2D1E0F9},%s\r\n' \
	160369-379445-092631-398926-233167-618453-009867-101904 >"$WORK/keys.csv"
fleet_serve s1 --root "$WORK/tftp" --keys "$WORK/keys.csv" --canary 1
fleet_image "$FLEET_URL" "lastgood.poweroff=1 lastgood.unattended=1"
cp "$WORK/lastgood.efi" "$WORK/tftp/lastgood.efi"

# The PCs' disks: PC 1's is $WORK/disk.img (e2e_check_fixed reads it),
# PC 2's a second copy of the fixture.
e2e_crowdstrike_disk
cp --sparse=always "$OUT/fixtures/crowdstrike.img" "$WORK/disk2.img"
sha256sum "$WORK/disk2.img" >"$WORK/disk2.sha256"

# pc_boot N DISK STEP: PC N (its SMBIOS identity) PXE-boots with DISK
pc_boot() {
	e2e_reset_devices
	LOG=$WORK/serial-$3.log
	e2e_vars
	e2e_windows_entry
	e2e_pxe "$WORK/tftp" lastgood.efi
	e2e_disk nvme "$2"
	E2E_QEMU_EXTRA="-smbios type=1,manufacturer=LastgoodTest,product=FleetPC,serial=SN-PC$1,uuid=$(fleet_uuid "$1")"
	echo "e2e: boot $3 of 4: PC $1"
	e2e_boot 900
}
# machine UUID: PC's row of /v1/machines as "outcome ring plan serial run_id"
machine() {
	fleet_api /v1/machines >"$WORK/machines.json" || e2e_fail "GET /v1/machines failed"
	jq -r --arg u "$1" '.[] | select(.machine == $u) | "\(.outcome) \(.ring) \(.plan) \(.serial) \(.run_id)"' \
		"$WORK/machines.json"
}
count() {
	fleet_api /v1/fleet | jq -r ".counts[\"$1\"]"
}
delivered() {
	e2e_log_has "Server:    report delivered to the fleet server $FLEET_URL (HTTP 201)"
}

# ---- boot 1: PC 1, ring 1: fix ---------------------------------------------
pc_boot 1 "$WORK/disk.img" 1
e2e_log_has "mode fix (the fleet server's plan: canary ring 1)"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
delivered
NO_STICK=1 e2e_check_fixed
run1=$RUN_ID wall1=$WALL
[ "$(machine "$UUID1")" = "fixed 1 fix SN-PC1 $run1" ] || e2e_fail "PC 1 on the server: '$(machine "$UUID1")'"
echo "ok   boot 1: PC 1 in ring 1 fixed (run $run1), the server has it ($WALL s)"

# ---- boot 2: PC 2, ring 2: only a scan ----------------------------------------
pc_boot 2 "$WORK/disk2.img" 2
e2e_log_has "mode scan (the fleet server's plan: ring 2: waiting for ring 1 to be promoted)"
delivered
sha256sum -c --quiet "$WORK/disk2.sha256" || e2e_fail "PC 2's disk changed in a scan"
run2=$(fleet_db "SELECT run_id FROM reports WHERE machine='$UUID2'")
[ -n "$run2" ] || e2e_fail "no report of PC 2 in the database"
[ "$(machine "$UUID2")" = "scanned 2 scan SN-PC2 $run2" ] || e2e_fail "PC 2 on the server: '$(machine "$UUID2")'"
[ "$(fleet_db "SELECT mode || ' ' || outcome || ' ' || COALESCE(matches, '') FROM reports WHERE run_id='$run2'")" = "scan scanned 1" ] ||
	e2e_fail "PC 2's report: $(fleet_db "SELECT mode, outcome, matches FROM reports WHERE run_id='$run2'")"
# the operator's view of the two
[ "$(machine "$UUID1")" = "fixed 1 fix SN-PC1 $run1" ] || e2e_fail "PC 1 after PC 2: '$(machine "$UUID1")'"
jq -e --arg u "$UUID1" '.[] | select(.machine == $u) | .model == "LastgoodTest FleetPC" and .ip == "10.0.2.15"
	and .computer_name == "PC-0042" and .matches == 1' "$WORK/machines.json" >/dev/null ||
	e2e_fail "PC 1's row lacks its model, address, name or matches: $(jq -c --arg u "$UUID1" '.[] | select(.machine == $u)' "$WORK/machines.json")"
fleet_api /v1/fleet >"$WORK/fleet-2.json"
jq -e '.mode == "canary" and .counts.fixed == 1 and .counts.scanned == 1 and .counts["re-crashed"] == 0
	and (.rings | map("\(.ring):\(.machines)") | sort) == ["1:1", "2:1"]' "$WORK/fleet-2.json" >/dev/null ||
	e2e_fail "/v1/fleet after two PCs: $(jq -c '{mode, counts, rings}' "$WORK/fleet-2.json")"
fleet_api / | grep -q '<script src="/v1/fleet.js"' || e2e_fail "the fleet page is not served to the operator"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$FLEET_DIR/ca.pem" "$FLEET_HOST_URL/v1/machines")
[ "$code" = 401 ] || e2e_fail "/v1/machines without the token: $code"
wall2=$WALL
echo "ok   boot 2: PC 2 in ring 2 only scanned (run $run2), its disk untouched; both PCs on the operator's API ($WALL s)"

# ---- boot 3: PC 1 again, after its fix: re-crashed ----------------------------
pc_boot 1 "$WORK/disk.img" 3
e2e_log_has "mode fix (the fleet server's plan: canary ring 1)"
delivered
run3=$(fleet_db "SELECT run_id FROM reports WHERE machine='$UUID1' AND run_id != '$run1'")
[ -n "$run3" ] || e2e_fail "no second report of PC 1"
[ "$(fleet_db "SELECT outcome || ' ' || recrash FROM reports WHERE run_id='$run3'")" = "nothing-to-do 1" ] ||
	e2e_fail "PC 1's second report: $(fleet_db "SELECT outcome, recrash FROM reports WHERE run_id='$run3'")"
[ "$(machine "$UUID1")" = "re-crashed 1 fix SN-PC1 $run3" ] || e2e_fail "PC 1 after it came back: '$(machine "$UUID1")'"
[ "$(count re-crashed) $(count fixed)" = "1 0" ] || e2e_fail "counts after the re-crash: re-crashed $(count re-crashed), fixed $(count fixed)"
wall3=$WALL
echo "ok   boot 3: PC 1 came back after its fix (run $run3): re-crashed on the server ($WALL s)"

# ---- rollback, boot 4: PC 1 again: undo of run 1 ----------------------------------
printf '%s\n' "$FLEET_TOKEN" >"$WORK/token"
"$OUT/lastgood" serve ctl --url "$FLEET_HOST_URL" --token-file "$WORK/token" --cacert "$FLEET_DIR/ca.pem" \
	--operator e2e rollback >"$WORK/ctl.out" 2>&1 || { cat "$WORK/ctl.out"; e2e_fail "lastgood serve ctl rollback failed"; }
fleet_api /v1/fleet | jq -e '.mode == "rollback" and .decisions[0].operator == "e2e" and .decisions[0].action == "rollback"' \
	>/dev/null || e2e_fail "the server is not in rollback by e2e: $(fleet_api /v1/fleet | jq -c '{mode, decisions}')"
pc_boot 1 "$WORK/disk.img" 4
e2e_log_has "mode undo of run $run1 (the fleet server's plan: rollback)"
e2e_log_has "Repair $run1 undone, as the fleet server asked"
delivered
e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/undone.img"
ntfsfix -n "$WORK/undone.img" >"$WORK/ntfsfix-4.out" 2>&1 ||
	{ cat "$WORK/ntfsfix-4.out"; e2e_fail "ntfsfix -n finds PC 1's volume inconsistent after the undo"; }
for f in "$CS_BAD" C-00000291-00000000-00000031.sys C-00000291-00000000-00000033.sys CSAgent.sys; do
	[ "$(e2e_ntfs_sha "$WORK/undone.img" "$CS_DIR/$f")" = "$(e2e_ntfs_sha "$WORK/before.img" "$CS_DIR/$f")" ] ||
		e2e_fail "$CS_DIR/$f is not as it was before the fix"
done
run4=$(fleet_db "SELECT run_id FROM reports WHERE machine='$UUID1' AND run_id NOT IN ('$run1', '$run3')")
[ -n "$run4" ] || e2e_fail "no report of the undo run"
fleet_db "SELECT body FROM reports WHERE run_id='$run4'" |
	jq -e --arg r "$run1" '.mode == "undo" and .undo_run_id == $r and .outcome == "undone"
		and .plan.mode == "undo" and .plan.source == "server" and .plan.reason == "rollback"
		and .plan.run_id == $r' >/dev/null ||
	e2e_fail "the undo run's report: $(fleet_db "SELECT body FROM reports WHERE run_id='$run4'" | jq -c '{mode, undo_run_id, outcome, plan}')"
[ "$(machine "$UUID1")" = "undone 1 undo SN-PC1 $run4" ] || e2e_fail "PC 1 after the undo: '$(machine "$UUID1")'"
# asked again: run 1 is undone, nothing else to undo on PC 1; PC 2 never fixed
plan() {
	curl -sS --cacert "$FLEET_DIR/ca.pem" "$FLEET_HOST_URL/v1/plan/$1" | jq -r '"\(.mode) \(.run_id)"'
}
[ "$(plan "$UUID1")" = "scan null" ] || e2e_fail "PC 1's plan after its undo: $(plan "$UUID1")"
[ "$(plan "$UUID2")" = "scan null" ] || e2e_fail "PC 2's plan in the rollback: $(plan "$UUID2")"
fleet_stop
echo "ok   boot 4: after the rollback PC 1 undid run $run1 (run $run4), the driver is back ($WALL s)"

echo "boot 1 (PC 1, ring 1, fix): ${wall1} s; boot 2 (PC 2, ring 2, scan): ${wall2} s;" \
	"boot 3 (PC 1 again, re-crashed): ${wall3} s; boot 4 (PC 1, undo): ${WALL} s"
echo PASS
