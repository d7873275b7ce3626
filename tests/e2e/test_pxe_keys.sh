#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# BitLocker key files from the PXE server. The TFTP directory holds
# lastgood.efi, a keys.csv with the recovery password of one Windows-made
# test volume, and a bek.txt naming the .BEK startup key of another (and a
# .BEK the server does not have); no deny-list, so the built-in one is
# used: the key files must not depend on a served deny-list. Three
# BitLocker volumes are attached (snapshot=on: the image files never
# change): bitlk-aes-xts-128 (its recovery password is in keys.csv),
# bitlk-aes-xts-128-startup-key (its .BEK is in bek.txt) and
# bitlk-aes-xts-256 (no key served). Checked on the serial console:
#  - the stub fetched keys.csv and the .BEK (names and byte counts), said
#    which listed .BEK is missing, and carried on;
#  - PID 1 loaded them into memory and handed the keys to the engine;
#  - the engine unlocked the first two (the recovery password from
#    keys.csv, matched by protector GUID; the startup key) and reported the
#    third as locked with its recovery key ID to look up;
#  - the recovery passwords (with or without dashes) never appear.
# A second, short boot checks the stub's refusals: a keys.csv over 64 MiB
# and a bek.txt with a line that is not a .BEK name (no .BEK fetched).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bitlk-lib.sh"

e2e_setup pxe_keys
bitlk_images
e2e_image "lastgood.poweroff=1 lastgood.unattended=1"
I=$IMAGES
RP_IMG=bitlk-aes-xts-128
SK_IMG=bitlk-aes-xts-128-startup-key
NO_IMG=bitlk-aes-xts-256
for n in $RP_IMG $SK_IMG $NO_IMG; do
	e2e_need "$I/$n.img"
done
rp=$(conf $RP_IMG RP)
rp_id=$(conf $RP_IMG RP_VMK_GUID)
sk_id=$(conf $SK_IMG SK_VMK_GUID)
sk_file=$(echo "$sk_id" | tr a-f A-F).BEK
[ -n "$rp" ] && [ -n "$rp_id" ] && [ -n "$sk_id" ] || e2e_fail "images.conf lacks RP/RP_VMK_GUID/SK_VMK_GUID"
e2e_need "$I/$sk_file"

tftp=$WORK/tftp
mkdir -p "$tftp"
cp "$WORK/lastgood.efi" "$tftp/lastgood.efi"
# Get-BitLockerVolume style, as PowerShell writes it: CRLF; a second row
# for a volume that is not attached (matched by GUID, never tried)
printf 'ComputerName,KeyProtectorId,RecoveryPassword\r\nPC-0042,{%s},%s\r\nPC-0043,{%s},%s\r\n' \
	"$rp_id" "$rp" "$(conf bitlk-aes-cbc-128 RP_VMK_GUID)" "$(conf bitlk-aes-cbc-128 RP)" \
	>"$tftp/keys.csv"
cp "$I/$sk_file" "$tftp/"
missing=0BADF00D-0000-4000-8000-000000000000.BEK
printf '%s\r\n%s\r\n' "$sk_file" "$missing" >"$tftp/bek.txt"
csv_bytes=$(wc -c <"$tftp/keys.csv")
bek_bytes=$(wc -c <"$tftp/$sk_file")

sha256sum "$I/$RP_IMG.img" "$I/$SK_IMG.img" "$I/$NO_IMG.img" >"$WORK/images.sha256"
e2e_vars
e2e_pxe "$tftp" lastgood.efi
e2e_disk_snapshot nvme "$I/$RP_IMG.img"
e2e_disk_snapshot nvme "$I/$SK_IMG.img"
e2e_disk_snapshot nvme "$I/$NO_IMG.img"
e2e_boot 1500

# the stub
e2e_log_has "no denylist.json + .minisig from TFTP server 10.0.2.2"
e2e_log_has "fetched BitLocker key file keys.csv ($csv_bytes bytes) from TFTP server 10.0.2.2"
e2e_log_has "fetched startup key $sk_file ($bek_bytes bytes)"
e2e_log_has "startup key $missing not used (the server said: "
# PID 1
e2e_log_has "built-in deny-list: serial 1"
e2e_log_has "2 BitLocker key files from the boot server (kept in memory only)"
e2e_log_has "3 BitLocker keys handed to the engine"
# the engine: the two volumes with a key are opened (the key matched by
# protector GUID, named by file and line), the third is not
e2e_log_has "BitLocker volume $(conf $RP_IMG GUID) unlocked: recovery password from keys.csv line 2 (protector $rp_id)"
e2e_log_has "BitLocker volume $(conf $SK_IMG GUID) unlocked: startup key from $sk_file (protector $sk_id)"
e2e_log_lacks "/dev/nvme0n1 part 0: locked"
e2e_log_lacks "/dev/nvme1n1 part 0: locked"
e2e_log_has "/dev/nvme2n1 part 0: locked: BitLocker volume $(conf $NO_IMG GUID) (/dev/nvme2n1) is locked and no key for it was found (3 keys loaded, none for this volume)"
e2e_log_has "recovery key ID $(conf $NO_IMG RP_VMK_GUID | cut -c1-8 | tr a-f A-F)"
# unattended: nobody is asked for the third volume's key
e2e_log_lacks "Recovery key (attempt"
e2e_log_lacks "BitLocker recovery: "
# the final screen: what to look up, not "no Windows"
e2e_log_has "Windows is locked by BitLocker: recovery key ID $(conf $NO_IMG RP_VMK_GUID | cut -c1-8 | tr a-f A-F) needed"
# no recovery password on the console, in any spelling
e2e_log_lacks "$rp"
e2e_log_lacks "$(echo "$rp" | tr -d -)"
e2e_log_lacks "$(conf bitlk-aes-cbc-128 RP)"
sha256sum -c --quiet "$WORK/images.sha256" || e2e_fail "a test volume image changed"

echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
wall1=$WALL

# ---- refusals, seen from the stub alone (QEMU is stopped once it starts
# the kernel): a keys.csv over 64 MiB is not downloaded; a bek.txt with one
# line that is not a .BEK name fetches none of the files it names
bad=$WORK/tftp-bad
mkdir -p "$bad"
cp "$WORK/lastgood.efi" "$bad/lastgood.efi"
truncate -s $((64 * 1024 * 1024 + 1)) "$bad/keys.csv"
cp "$I/$sk_file" "$bad/"
printf '%s\n../keys.csv\n' "$sk_file" >"$bad/bek.txt"
e2e_reset_devices
LOG=$WORK/serial-refusals.log
e2e_vars
e2e_pxe "$bad" lastgood.efi
e2e_boot_until "[4/4] starting the kernel" 600
e2e_log_has "no BitLocker key file keys.csv from TFTP server 10.0.2.2 (empty or over 64 MiB)"
e2e_log_has "bek.txt line 2 is not a .BEK file name (hex digits and dashes, then .BEK): no .BEK files fetched"
e2e_log_lacks "fetched startup key"
e2e_log_lacks "fetched BitLocker key file"
e2e_log_has "[3/4] handing over the initrd"
echo "refusals: stub checked in ${WALL} s"
echo "wall time of the unlocking boot: ${wall1} s"
echo PASS
