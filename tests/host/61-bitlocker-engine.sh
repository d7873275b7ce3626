#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scan, fix and undo on a BitLocker volume on a host without
# device-mapper (this build machine): the key from the key file is still
# checked against the volume, then each command stops with exit 4 and
# says why it cannot unlock here; a wrong key, a key for another volume,
# a malformed key file and a missing key file each give their own
# message. The volume is unchanged byte for byte, and no recovery
# password appears in any output. The unlock itself (with device-mapper)
# is tested in QEMU: tests/e2e/test_bitlocker*.sh.
. tests/host/lib.sh
need cryptsetup

if [ -e /dev/mapper/control ]; then
	echo "SKIP: this host has device-mapper: the no-device-mapper messages cannot be seen here"
	exit 77
fi
. tests/host/bitlk.sh

IMG=$T/bitlk.img
cp --sparse=always "$IMAGES/bitlk-aes-xts-128.img" "$IMG"
before=$(sha "$IMG")
GUID=$(conf bitlk-aes-xts-128 GUID)
RPID=$(conf bitlk-aes-xts-128 RP_VMK_GUID)
RP=$(conf bitlk-aes-xts-128 RP)
OTHER_RP=$(conf bitlk-aes-xts-256 RP)
printf 'ComputerName,KeyId,RecoveryPassword\nPC-0001,%s,%s\n' "$RPID" "$RP" >"$T/keys.csv"
printf 'KeyId,RecoveryPassword\n%s,%s\n' "$RPID" "$OTHER_RP" >"$T/wrong.csv"
printf 'KeyId,RecoveryPassword\n%s,%s\n' "$(conf bitlk-aes-xts-256 RP_VMK_GUID)" "$OTHER_RP" >"$T/other.csv"
printf 'KeyId,RecoveryPassword\n%s,235818-357951\n' "$RPID" >"$T/broken.csv"
no_secrets() { # what
	if cat "$T/out" "$T/err" | grep -qE "${RP//-/.?}|${OTHER_RP//-/.?}"; then
		bad "$1: a recovery password is in the output"
	else
		ok "$1: no recovery password in the output"
	fi
}
unchanged() { same "$(sha "$IMG")" "$before" "$1: the volume is unchanged"; }

# the right key: checked, then refused for want of device-mapper
for cmd in scan fix; do
	expect_rc 4 "$cmd with the right key" "$LG" "$cmd" --denylist $DL --trust $TRUST --keys "$T/keys.csv" --json "$IMG"
	contains "$T/err" "the recovery password from keys.csv line 2 is right, but this host has no device-mapper" \
		"$cmd: the key is right, device-mapper is missing"
	contains "$T/err" "the volume can be unlocked by the recovery image, or on a Linux host with dm-crypt" "$cmd: says where it can"
	same "$(jq -r '.volumes[0].status' "$T/out")" locked "$cmd: report: status locked"
	same "$(jq -r '.volumes[0].bitlocker.volume_guid' "$T/out")" "$GUID" "$cmd: report: volume GUID"
	same "$(jq -r '.exit_code' "$T/out")" 4 "$cmd: report: exit code 4"
	no_secrets "$cmd with the right key"
	unchanged "$cmd with the right key"
done

# a wrong key for the right protector
expect_rc 4 "fix with a wrong key" "$LG" fix --denylist $DL --trust $TRUST --keys "$T/wrong.csv" "$IMG"
contains "$T/err" "BitLocker volume $GUID ($IMG): the recovery password for protector $RPID (wrong.csv line 2) does not unlock it" \
	"wrong key: named by protector and line"
no_secrets "wrong key"
unchanged "wrong key"

# keys for another volume only
expect_rc 4 "fix with another volume's key" "$LG" fix --denylist $DL --trust $TRUST --keys "$T/other.csv" "$IMG"
contains "$T/err" "is locked and no key for it was found (1 key loaded, none for this volume)" "other volume's key: none for this one"
contains "$T/err" "recovery key ID $(echo "${RPID:0:8}" | tr a-f A-F) (protector $RPID)" "other volume's key: the ID to look up"
unchanged "other volume's key"

# no key at all
expect_rc 4 "fix without keys" "$LG" fix --denylist $DL --trust $TRUST "$IMG"
contains "$T/err" "is locked and no key for it was found (0 keys loaded, none for this volume)" "no keys: said so"
unchanged "no keys"

# a malformed key file: refused before any volume is looked at
expect_rc 1 "fix with a malformed key file" "$LG" fix --denylist $DL --trust $TRUST --keys "$T/broken.csv" "$IMG"
contains "$T/err" "key file refused: $T/broken.csv:2:38: the recovery password (field 2): 12 digits, a recovery password has 48" \
	"malformed key file: file, line, column, what"
unchanged "malformed key file"

# a missing key file
expect_rc 1 "fix with a missing key file" "$LG" fix --denylist $DL --trust $TRUST --keys "$T/nothere.csv" "$IMG"
contains "$T/err" "key file refused: $T/nothere.csv" "missing key file: named"
contains "$T/err" "No such file or directory" "missing key file: why"
unchanged "missing key file"

# undo: the run cannot be looked for on a volume that stays locked
expect_rc 4 "undo on a BitLocker volume" "$LG" undo --run 20260101T000000Z-abcdef --keys "$T/keys.csv" --json "$IMG"
contains "$T/err" "run 20260101T000000Z-abcdef is not on the volumes lastgood could read; 1 BitLocker volume stayed locked:" \
	"undo: the volume it could not search"
contains "$T/err" "is right, but this host has no device-mapper" "undo: why it stayed locked"
same "$(jq -r '.locked.volumes' "$T/out")" 1 "undo: report: one locked volume"
no_secrets "undo"
expect_rc 1 "undo with a malformed key file" "$LG" undo --run 20260101T000000Z-abcdef --keys "$T/broken.csv" "$IMG"
contains "$T/err" "key file refused: $T/broken.csv:2:38" "undo: malformed key file refused"
unchanged "undo"

finish
