#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The recovery image as a fleet client (issue 19, docs/fleet-api.md), in
# five QEMU boots of the image against the real `lastgood serve` on this
# host's loopback (the guest's 10.0.2.2), TLS with a CA made here by
# openssl and built into the image as `make image SERVER=... SERVER_CA=...`
# builds it (tests/e2e/fleet-lib.sh). First a bitlk-guest boot writes the
# crowdstrike Windows tree into a Windows-made BitLocker volume (real
# dm-crypt, bitlk-lib.sh), whose recovery password only the server has.
#
#  1. PXE boot, server up: the interface is configured from the firmware's
#     lease (no DHCP round); the server's deny-list (serial 8) wins over
#     the TFTP one (7) and the built-in one (1); the plan says fix; the
#     BitLocker volume is opened with the key served for its protector ID
#     and fixed; a second BitLocker volume's key is not on the server and
#     its recovery key ID is named; the report, with mac, ip, plan and
#     keys_needed, is in the server's database and its /v1/machines, the
#     key log shows the key handed out; syslog lines reach a UDP collector;
#     no recovery password on the console or in the database.
#  2. PXE boot, server down: a plain crowdstrike disk is fixed anyway with
#     the TFTP list, the report is retried for a bounded time and stays on
#     the Windows volume, the screen says it was not delivered.
#  3. USB boot with DHCP (QEMU's DHCP server, busybox's udhcpc), the
#     server named on the command line (lastgood.server=) presents a
#     certificate that is not from the built-in CA: no deny-list, no key
#     (the BitLocker volume stays locked), no plan, no report sent, said
#     on the screen; the stick's list fixes the plain disk and the report
#     is on the stick. The TLS handshake failing on that server's
#     certificate shows that the DHCP-configured network reached it.
#  4. USB boot, the NIC on a QEMU hub where nobody answers DHCP: a bounded
#     wait, then the stick's list fixes the disk; the screen and the
#     stick's report say the network was not reached.
#  5. The same with lastgood.net=off: no DHCP asked at all, fixed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bitlk-lib.sh"

e2e_setup fleet
. "$(dirname "$0")/fleet-lib.sh"
bitlk_images
command -v socat >/dev/null 2>&1 || e2e_skip "socat is missing (build/install-deps installs it)"
I=$IMAGES
RP_IMG=bitlk-aes-xts-128
NO_IMG=bitlk-aes-xts-256
e2e_need "$I/$NO_IMG.img"
upper() { echo "$1" | tr a-f A-F; }
kid() { upper "$1" | cut -c1-8; }
rp=$(conf $RP_IMG RP)
rp_id=$(conf $RP_IMG RP_VMK_GUID)
vguid=$(conf $RP_IMG GUID)
no_id=$(conf $NO_IMG RP_VMK_GUID)
[ -n "$rp" ] && [ -n "$rp_id" ] && [ -n "$no_id" ] || e2e_fail "images.conf lacks RP/RP_VMK_GUID"
UUID1=$(fleet_uuid 1)

# ---- the server: keys (the BitLocker volume's recovery password, and
# one of a PC not here), a deny-list newer than the TFTP server's
fleet_certs
mkdir -p "$WORK/root" "$WORK/keys" "$WORK/tftp"
e2e_signed_list 8 "$WORK/root/denylist.json"
e2e_signed_list 7 "$WORK/tftp/denylist.json"
printf 'ComputerName,KeyId,RecoveryPassword\r\nPC-0042,{%s},%s\r\nPC-0043,{%s},%s\r\n' \
	"$rp_id" "$rp" "$(conf bitlk-aes-cbc-128 RP_VMK_GUID)" "$(conf bitlk-aes-cbc-128 RP)" >"$WORK/keys/keys.csv"

# ---- the PC's BitLocker disk with Windows on it (a bitlk-guest boot)
LOG=$WORK/serial-0-setup.log
bitlk_windows_disk $RP_IMG "$WORK/bitlocker.img" "$WORK/keys/keys.csv"
setup_wall=$WALL
LOG=$WORK/serial.log
fleet_serve s1 --root "$WORK/root" --keys "$WORK/keys"

# ---- a syslog collector: UDP on the loopback, a free port
for _ in $(seq 1 20); do
	SYSPORT=$(shuf -i 20000-60000 -n 1)
	ss -Hluan "sport = :$SYSPORT" | grep -q . || break
done
socat -u "UDP4-RECV:$SYSPORT,bind=127.0.0.1" "OPEN:$WORK/syslog.txt,creat,append" &
SYSLOG_PID=$!
FLEET_SERVERS="$FLEET_SERVERS $SYSLOG_PID"

fleet_image "$FLEET_URL" "lastgood.poweroff=1 lastgood.unattended=1 lastgood.syslog=udp://10.0.2.2:$SYSPORT"
cp "$WORK/lastgood.efi" "$WORK/tftp/lastgood.efi"
no_secret() {
	for k in "$rp" "$(echo "$rp" | tr -d -)" "$(conf bitlk-aes-cbc-128 RP)"; do
		e2e_log_lacks "$k"
	done
}

# ---- boot 1: PXE, the server up -----------------------------------------
sha256sum "$I/$NO_IMG.img" >"$WORK/images.sha256"
e2e_vars
e2e_windows_entry
e2e_pxe "$WORK/tftp" lastgood.efi
e2e_disk nvme "$WORK/bitlocker.img"
e2e_disk_snapshot nvme "$I/$NO_IMG.img"
E2E_QEMU_EXTRA="-uuid $UUID1"
echo "e2e: boot 1 of 5: PXE, the fleet server up"
e2e_boot 900
cp "$LOG" "$WORK/serial-1.log"
e2e_log_has "network: eth0 (52:54:00:12:34:56) 10.0.2.15/24, router 10.0.2.2: the firmware's PXE lease, no second DHCP round"
e2e_log_lacks "udhcpc"
e2e_log_has "fleet server $FLEET_URL (its certificate checked against the CA built into this image)"
e2e_log_has "deny-list handed over at boot: serial 7"
e2e_log_has "deny-list from the fleet server: serial 8"
e2e_log_has "using /run/lastgood/fleet-denylist.json (serial 8)"
e2e_log_has "mode fix (the fleet server's plan: every PC fixes (no canary ring))"
e2e_log_has "key $(kid "$rp_id") (recovery password): from the server"
e2e_log_has "key $(kid "$no_id"): not known to the server"
e2e_log_has "BitLocker volume $vguid unlocked: recovery password from server key $rp_id (protector $rp_id)"
e2e_log_has "/dev/nvme0n1 part 1: fixed"
e2e_log_has "/dev/nvme1n1 part 0: locked"
e2e_log_has "lastgood: Done: 1 file moved to quarantine; a BitLocker volume stayed locked (recovery key ID $(kid "$no_id"))"
e2e_log_has "Server:    report delivered to the fleet server $FLEET_URL (HTTP 201)"
no_secret
sha256sum -c --quiet "$WORK/images.sha256" || e2e_fail "a test volume image changed"
bitlk_encrypted "after the fix"
e2e_run_id
run1=$RUN_ID
[ "$(e2e_bootnext)" = "Boot0007" ] || e2e_fail "BootNext is '$(e2e_bootnext)', expected Boot0007"
wall1=$WALL phases1=$(e2e_phases)
echo "ok   boot 1: run $run1 unlocked with the server's key and fixed, report delivered ($WALL s)"

# the server's view: the report with what the image added
row=$(fleet_db "SELECT mode, outcome, ip, mac, keys_needed, machine FROM reports WHERE run_id='$run1'")
[ "$row" = "fix|locked|10.0.2.15|52:54:00:12:34:56|$(kid "$no_id")|$UUID1" ] ||
	e2e_fail "the server's row for $run1: '$row'"
fleet_db "SELECT body FROM reports WHERE run_id='$run1'" >"$WORK/report-1.json"
jq -e --arg u "$UUID1" --arg g "$rp_id" --arg k "$(kid "$no_id")" '
	.plan == {"mode": "fix", "source": "server", "reason": "every PC fixes (no canary ring)"}
	and .machine.product_uuid == $u and .machine.mac == "52:54:00:12:34:56" and .machine.ip == "10.0.2.15"
	and .denylist.serial == 8 and .outcome == "locked" and .keys_needed == [$k] and .summary.quarantined == 1
	and ([.volumes[] | select(.unlock.key_source == ("server key " + $g) and .status == "fixed")] | length) == 1' \
	"$WORK/report-1.json" >/dev/null ||
	{ jq -c '{plan, machine, denylist: .denylist.serial, outcome, keys_needed, summary}' "$WORK/report-1.json";
	  e2e_fail "the report the server stored lacks what the image adds"; }
fleet_api /v1/machines >"$WORK/machines.json" || e2e_fail "GET /v1/machines failed"
grep -q "$run1" "$WORK/machines.json" && grep -q "$UUID1" "$WORK/machines.json" ||
	e2e_fail "/v1/machines does not show the PC and its run: $(head -c 600 "$WORK/machines.json")"
served=$(fleet_db "SELECT protector || ' ' || result FROM key_log ORDER BY id" | tr 'a-f' 'A-F' | tr '\n' ';')
case $served in
*"$(upper "$rp_id")"*) ;;
*) e2e_fail "the server's key log does not show the key handed out: $served" ;;
esac
sqlite3 "$FLEET_DIR/fleet.sqlite" .dump | grep -qF "$rp" && e2e_fail "a recovery password is in the server's database"
sleep 1
grep -q "run_id=\"$run1\"" "$WORK/syslog.txt" && grep -q 'status="fixed"' "$WORK/syslog.txt" ||
	e2e_fail "no syslog line for run $run1: $(head -c 400 "$WORK/syslog.txt" 2>/dev/null)"
nvol=$(jq '.volumes | length' "$WORK/report-1.json")
e2e_log_has "syslog: $nvol of $nvol lines sent to udp://10.0.2.2:$SYSPORT"
echo "ok   the server has the report (mac, ip, plan, keys_needed), the key log, syslog has the run"

# ---- boot 2: PXE, the server down ---------------------------------------
fleet_stop
reports_before=$(fleet_db "SELECT COUNT(*) FROM reports")
e2e_reset_devices
LOG=$WORK/serial-2.log
e2e_crowdstrike_disk
e2e_vars
e2e_windows_entry
e2e_pxe "$WORK/tftp" lastgood.efi
e2e_disk nvme "$WORK/disk.img"
echo "e2e: boot 2 of 5: PXE, the fleet server down"
e2e_boot 900
e2e_log_has "fleet server unreachable ("
e2e_log_has "using /lastgood/override/denylist.json (serial 7)"
e2e_log_lacks "deny-list from the fleet server"
e2e_log_has "mode fix (the image's own mode: no plan from the server (unreachable: "
e2e_log_has "report: not delivered ("
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Server:    report NOT delivered to the fleet server: "
NO_STICK=1 e2e_check_fixed
run2=$RUN_ID
[ "$(fleet_db "SELECT COUNT(*) FROM reports")" = "$reports_before" ] || e2e_fail "a report reached the stopped server?"
sleep 1
grep -q "run_id=\"$run2\"" "$WORK/syslog.txt" || e2e_fail "no syslog line for run $run2 (the collector is up)"
wall2=$WALL
echo "ok   boot 2: run $run2 fixed without the server, report kept on the Windows volume ($WALL s)"

# ---- boot 3: USB with DHCP, a server whose certificate is not the CA's ---
FLEET_CERT=$FLEET_DIR/other-cert.pem FLEET_KEY=$FLEET_DIR/other-key.pem \
	fleet_serve s2 --root "$WORK/root" --keys "$WORK/keys" --db "$FLEET_DIR/stranger.sqlite"
fleet_efi "lastgood.poweroff=1 lastgood.unattended=1 lastgood.server=$FLEET_URL"
e2e_reset_devices
LOG=$WORK/serial-3.log
e2e_crowdstrike_disk
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
fleet_nic
e2e_disk nvme "$WORK/disk.img"
e2e_disk_snapshot nvme "$WORK/bitlocker.img"
echo "e2e: boot 3 of 5: USB stick, DHCP, a server the built-in CA did not sign"
e2e_boot 900
e2e_log_has "asking DHCP for an address on eth0 (52:54:00:12:34:56), at most 20 s"
e2e_log_has "udhcpc: lease of 10.0.2.15 obtained"
e2e_log_has "network: eth0 (52:54:00:12:34:56) 10.0.2.15/24, router 10.0.2.2: DHCP from 10.0.2.2"
e2e_log_has "fleet server $FLEET_URL is NOT trusted: "
e2e_log_has "Nothing is taken from it or sent to it"
e2e_log_lacks "deny-list from the fleet server"
e2e_log_lacks "): from the server"
e2e_log_has "using /etc/lastgood/denylist.json (serial 1)"
e2e_log_has "mode fix (the image's own mode: no plan from the server (not trusted: "
e2e_log_has "BitLocker volume $vguid (/dev/nvme1n1 at offset 1048576) is locked and no key for it was found (0 keys loaded"
e2e_log_has "lastgood: Done: 1 file moved to quarantine; a BitLocker volume stayed locked (recovery key ID $(kid "$rp_id"))"
e2e_log_has "Server:    report not sent to the fleet server (not trusted: its certificate does not check against the CA built into this image"
no_secret
e2e_check_fixed
[ "$(sqlite3 "$FLEET_DIR/stranger.sqlite" "SELECT (SELECT COUNT(*) FROM reports) || ' ' || (SELECT COUNT(*) FROM key_log)")" = "0 0" ] ||
	e2e_fail "the untrusted server got a report or a key request"
mcopy -i "$WORK/usb.img@@1M" "::/lastgood/reports/$RUN_ID.json" "$WORK/report-3.json" ||
	e2e_fail "no report $RUN_ID.json on the stick"
jq -e '.plan.source == "image" and (.plan.reason | test("not trusted")) and .machine.ip == "10.0.2.15"
	and .outcome == "locked"' "$WORK/report-3.json" >/dev/null ||
	e2e_fail "the stick's report does not say why the server was not used: $(jq -c .plan "$WORK/report-3.json")"
fleet_stop
wall3=$WALL
echo "ok   boot 3: run $RUN_ID fixed from the stick, nothing exchanged with the untrusted server ($WALL s)"

# usb_boot_silent_nic N: boot N from the stick, a plain crowdstrike disk,
# a NIC on which nobody answers (fleet_nic_silent).
usb_boot_silent_nic() {
	e2e_reset_devices
	LOG=$WORK/serial-$1.log
	e2e_crowdstrike_disk
	e2e_vars
	e2e_windows_entry
	e2e_usb_stick "$WORK/usb.img"
	fleet_nic_silent
	e2e_disk nvme "$WORK/disk.img"
}

# ---- boot 4: USB, a NIC on which nobody answers DHCP ----------------------
# The same image (a server named); the NIC is on a QEMU hub with nothing
# else on it: the link is up, no DHCP server answers. The USB path must
# not depend on the network: a bounded wait, then the stick's list fixes.
usb_boot_silent_nic 4
echo "e2e: boot 4 of 5: USB stick, a NIC with no DHCP server behind it"
e2e_boot 900
e2e_log_has "asking DHCP for an address on eth0 (52:54:00:12:34:56), at most 20 s"
e2e_log_has "no DHCP answer on eth0: going on without the network"
e2e_log_has "mode fix (the image's own mode: no plan from the server (no network: no DHCP answer on eth0"
e2e_log_has "using /etc/lastgood/denylist.json (serial 1)"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Server:    report not sent to the fleet server (no network: no DHCP answer on eth0"
e2e_check_fixed
mcopy -i "$WORK/usb.img@@1M" "::/lastgood/reports/$RUN_ID.json" "$WORK/report-4.json" ||
	e2e_fail "no report $RUN_ID.json on the stick"
jq -e '.plan.source == "image" and (.plan.reason | test("no DHCP answer"))' "$WORK/report-4.json" >/dev/null ||
	e2e_fail "the stick's report does not say the network was not reached: $(jq -c .plan "$WORK/report-4.json")"
echo "ok   boot 4: run $RUN_ID fixed from the stick without an answer from DHCP ($WALL s)"
wall4=$WALL

# ---- boot 5: USB, lastgood.net=off ----------------------------------------
# The same disk and NIC, the network switched off on the command line: no
# DHCP asked at all, the image's own list and mode.
fleet_efi "lastgood.poweroff=1 lastgood.unattended=1 lastgood.server=$FLEET_URL lastgood.net=off"
usb_boot_silent_nic 5
echo "e2e: boot 5 of 5: USB stick, lastgood.net=off"
e2e_boot 900
e2e_log_has "network off (lastgood.net=off): the image's own deny-list, keys and mode"
e2e_log_lacks "asking DHCP"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_check_fixed
echo "ok   boot 5: run $RUN_ID fixed with the network off ($WALL s)"

echo "SUMMARY: setup (bitlk-guest) ${setup_wall} s; PXE with the server ${wall1} s ($phases1)"
echo "SUMMARY: PXE with the server down ${wall2} s (the report retried 60 s); USB + DHCP, untrusted server ${wall3} s"
echo "SUMMARY: USB, no DHCP answer ${wall4} s (the DHCP wait is at most 20 s); USB, lastgood.net=off ${WALL} s"
echo PASS
