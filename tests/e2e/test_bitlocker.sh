#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# BitLocker through real dm-crypt, in QEMU (the build host has no
# device-mapper). The Debian kernel of the recovery image boots directly
# with a small initramfs whose init is tests/e2e/bitlk-guest: it unlocks
# the Windows-made test volumes (../shared/fixtures/bitlocker/) with the
# engine's code (recovery/storage/bitlocker.c, keys.c) and reports each result on
# the serial line. Checked here:
#  - every AES-XTS and AES-CBC image (with and without the Elephant
#    diffuser, 512 and 4096-byte sectors, To Go) opens read-write with its
#    recovery password from a key file, built from images.conf as an Entra
#    ID export; both startup-key images open with their .BEK files;
#  - a volume that is partition 1 of a GPT disk is opened through its
#    partition node: a pattern written through the mapping reads back
#    after the mapping was closed and opened again, the disk holds it
#    encrypted, and the BitLocker metadata is unchanged;
#  - a wrong recovery password, a key file with keys for other volumes
#    only, a malformed key file, no key file: each its own message, nothing
#    mapped, the volume unchanged;
#  - volumes libcryptsetup cannot open (conversion in progress, suspended):
#    said so;
#  - a recovery password typed on the serial console: the prompt shows the
#    recovery key IDs, catches a wrong group as it is typed, and unlocks;
#  - every mapping is closed at the end (and its /dev/mapper node gone).
#
# Knobs: BITLK_E2E_IMAGES="bitlk-aes-xts-128 ..." opens only these images
# with their recovery password (the other checks stay); BITLK_E2E_CPU
# (default qemu64: TCG runs the million SHA-256 rounds of each key check
# three times faster with the baseline CPU than with -cpu max) is QEMU's -cpu.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bitlk-lib.sh"

e2e_setup bitlocker
bitlk_images
bitlk_initrd

# ---- keys: an Entra ID-style export of every image's recovery password
keys=$WORK/keys.csv
printf '"Id","CreatedDateTime","DeviceId","Key","VolumeType"\r\n' >"$keys"
usable=""
for img in "$IMAGES"/*.img; do
	name=$(basename "$img" .img)
	case $name in
	*-crc) continue ;; # a damaged copy of bitlk-aes-xts-128: the same protector
	esac
	rp=$(conf "$name" RP)
	[ -n "$rp" ] || continue
	printf '"%s","7/19/2024 5:27:00 AM","00000000-0000-4000-8000-%012d","%s","1"\r\n' \
		"$(conf "$name" RP_VMK_GUID)" "$(echo "$usable" | wc -w)" "$rp" >>"$keys"
	case $name in
	*eow* | *partially*) continue ;; # libcryptsetup cannot open these
	esac
	if [ -n "${BITLK_E2E_IMAGES:-}" ]; then
		case " $BITLK_E2E_IMAGES " in
		*" $name "*) ;;
		*) continue ;;
		esac
	fi
	usable="$usable $name"
done

# the medium: a FAT disk as the boot stick would be
medium=$WORK/medium.img
truncate -s 16M "$medium"
mkfs.fat -n KEYS "$medium" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$medium" ::/lastgood ::/wrong ::/other ::/broken ::/bitlk
mcopy -i "$medium" "$keys" ::/lastgood/keys.csv
mcopy -i "$medium" "$IMAGES"/*.BEK ::/lastgood/
# the right protector of bitlk-aes-xts-256 with bitlk-aes-xts-128's password
printf 'KeyId,RecoveryPassword\n%s,%s\n' "$(conf bitlk-aes-xts-256 RP_VMK_GUID)" "$(conf bitlk-aes-xts-128 RP)" >"$WORK/wrong.csv"
mcopy -i "$medium" "$WORK/wrong.csv" ::/wrong/keys.csv
printf 'KeyId,RecoveryPassword\n%s,%s\n' "$(conf bitlk-aes-xts-256 RP_VMK_GUID)" "$(conf bitlk-aes-xts-256 RP)" >"$WORK/other.csv"
mcopy -i "$medium" "$WORK/other.csv" ::/other/keys.csv
printf 'KeyId,RecoveryPassword\n%s,123453\n' "$(conf bitlk-aes-xts-256 RP_VMK_GUID)" >"$WORK/broken.csv"
mcopy -i "$medium" "$WORK/broken.csv" ::/broken/keys.csv

# ---- the disks and the plan
QEMU_DISKS="-drive if=virtio,format=raw,file=$medium"
plan=$WORK/plan.txt
: >"$plan"
# the kernel's names: vda..vdz, vdaa, vdab, ... (vda is the medium)
chr() { printf "\\$(printf '%03o' $((97 + $1)))"; }
vdname() { if [ "$1" -lt 26 ]; then echo "vd$(chr "$1")"; else echo "vd$(chr $(($1 / 26 - 1)))$(chr $(($1 % 26)))"; fi; }
nd=0
add_disk() { # file snapshot(0/1) offset size keydir mode: the disk's name in $D
	D=$(vdname $((nd + 1)))
	nd=$((nd + 1))
	snap=""
	[ "$2" = 1 ] && snap=",snapshot=on"
	QEMU_DISKS="$QEMU_DISKS -drive if=virtio,format=raw,file=$1$snap"
	echo "$D $3 $4 $5 $6" >>"$plan"
}

# partition 1 of a GPT disk, written through the mapping
gpt=$WORK/gpt.img
truncate -s 130M "$gpt"
printf 'label: gpt\nstart=2048, size=204800, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=Windows\n' |
	sfdisk -q "$gpt" >/dev/null
dd if="$IMAGES/bitlk-aes-xts-128.img" of="$gpt" bs=1M seek=1 conv=notrunc,sparse status=none
cryptsetup bitlkDump --header "$IMAGES/bitlk-aes-xts-128.img" "$IMAGES/bitlk-aes-xts-128.img" >"$WORK/dump.before" 2>&1 || true
sum_before=$(sha256sum <"$gpt")
add_disk "$gpt" 0 1048576 104857600 lastgood write
gpt_disk=$D

# every usable image, read-write (writes go to a throwaway overlay)
for name in $usable; do
	add_disk "$IMAGES/$name.img" 1 0 0 lastgood read
	eval "disk_$(echo "$name" | tr -c 'a-z0-9\n' '_')=$D"
done
# the startup-key images once more, with no recovery password available
for name in bitlk-aes-xts-128-startup-key bitlk-aes-xts-128-startup-key-win11; do
	mmd -i "$medium" "::/bek-$name"
	sk=$(conf "$name" SK_VMK_GUID | tr a-f A-F)
	mcopy -i "$medium" "$IMAGES/$sk.BEK" "::/bek-$name/"
	add_disk "$IMAGES/$name.img" 1 0 0 "bek-$name" read
	eval "bek_$(echo "$name" | tr -c 'a-z0-9\n' '_')=$D"
done
# the refusals work on copies attached read-write: they must change nothing
for n in bitlk-aes-xts-256 bitlk-aes-cbc-128 bitlk-aes-cbc-256 bitlk-aes-xts-128-4k; do
	cp --sparse=always "$IMAGES/$n.img" "$WORK/$n.img"
	sha256sum "$WORK/$n.img" >>"$WORK/refused.sha256"
done
add_disk "$WORK/bitlk-aes-xts-256.img" 0 0 0 wrong read
d_wrong=$D
add_disk "$WORK/bitlk-aes-cbc-128.img" 0 0 0 other read
d_other=$D
add_disk "$WORK/bitlk-aes-cbc-256.img" 0 0 0 broken read
d_broken=$D
add_disk "$WORK/bitlk-aes-xts-128-4k.img" 0 0 0 nokeys read
d_nokeys=$D
add_disk "$IMAGES/bitlk-aes-xts-128-eow.img" 1 0 0 lastgood read
d_eow=$D
add_disk "$IMAGES/bitlk-aes-xts-128-clearkey-only.img" 1 0 0 lastgood read
d_clear=$D
add_disk "$IMAGES/bitlk-aes-xts-128-two-recovery.img" 1 0 0 - typed
d_typed=$D
mcopy -i "$medium" "$plan" ::/bitlk/plan.txt

# ---- boot, with the serial line as a pair of pipes so that keys can be
# typed: a wrong group 3 first (caught as typed), then the groups with
# pauses, dashes left out
typed_key=$(conf bitlk-aes-xts-128-two-recovery RP2)
bitlk_serial_pipes
bitlk_type_key "$typed_key" 3
echo "e2e: $((nd + 1)) virtio disks, plan:"
sed 's/^/    /' "$plan"
bitlk_guest_boot 1500
bitlk_stop_serial
ndisks=$((nd + 1))

e2e_log_has "BITLK-GUEST started"
e2e_log_has "BITLK-DISKS $ndisks of $ndisks"
e2e_log_has "BITLK-DM yes"

# the GPT partition: written, read back through a new mapping, closed
expect "$gpt_disk" "rc=0 mapped=/dev/mapper/lastgood-0 block=1 with=recovery-password"
expect "$gpt_disk" "protector=$(conf bitlk-aes-xts-128 RP_VMK_GUID) io=0 close=0 gone=1 readback=0 device=/dev/${gpt_disk}1"
[ "$(sha256sum <"$gpt")" != "$sum_before" ] || e2e_fail "the GPT disk did not change"
if dd if="$gpt" bs=1M skip=17 count=1 status=none | grep -q 'lastgood BitLocker e2e'; then
	e2e_fail "the pattern is on the disk in clear"
fi
echo "ok   the pattern went to the disk encrypted"
dd if="$gpt" of="$WORK/part.img" bs=1M skip=1 count=100 status=none
cryptsetup bitlkDump --header "$WORK/part.img" "$WORK/part.img" >"$WORK/dump.after" 2>&1 || true
sed -i 's/ device .*\.$//' "$WORK/dump.before" "$WORK/dump.after"
cmp -s "$WORK/dump.before" "$WORK/dump.after" || e2e_fail "the BitLocker metadata changed: $(diff "$WORK/dump.before" "$WORK/dump.after")"
echo "ok   the BitLocker metadata is unchanged"

# every usable image with its recovery password from the key file
n_ok=0
for name in $usable; do
	eval "d=\$disk_$(echo "$name" | tr -c 'a-z0-9\n' '_')"
	expect "$d" "rc=0 mapped=/dev/mapper/lastgood-0 block=1 with=recovery-password source=keys.csv line"
	expect "$d" "protector=$(conf "$name" RP_VMK_GUID) io=1 close=0 gone=1"
	n_ok=$((n_ok + 1))
done
for name in bitlk-aes-xts-128-startup-key bitlk-aes-xts-128-startup-key-win11; do
	eval "d=\$bek_$(echo "$name" | tr -c 'a-z0-9\n' '_')"
	sk=$(conf "$name" SK_VMK_GUID)
	expect "$d" "rc=0 mapped=/dev/mapper/lastgood-0 block=1 with=startup-key source=$(echo "$sk" | tr a-f A-F).BEK protector=$sk"
	expect "$d" "close=0 gone=1"
done

expect "$d_wrong" "rc=-129 error: BitLocker volume $(conf bitlk-aes-xts-256 GUID) (/dev/$d_wrong): the recovery password for protector $(conf bitlk-aes-xts-256 RP_VMK_GUID) (keys.csv line 2) does not unlock it"
expect "$d_other" "rc=-126 error: BitLocker volume $(conf bitlk-aes-cbc-128 GUID) (/dev/$d_other) is locked and no key for it was found (1 key loaded, none for this volume). Look up:"
expect "$d_other" "recovery key ID $(conf bitlk-aes-cbc-128 RP_VMK_GUID | cut -c1-8 | tr a-f A-F) (protector $(conf bitlk-aes-cbc-128 RP_VMK_GUID))"
expect "$d_broken" "rc=-22 keyfile-error: /mnt/broken/keys.csv:2:38: the recovery password (field 2): 6 digits, a recovery password has 48"
expect "$d_nokeys" "rc=-126 error: BitLocker volume $(conf bitlk-aes-xts-128-4k GUID) (/dev/$d_nokeys) is locked and no key for it was found (0 keys loaded, none for this volume)"
sha256sum -c --quiet "$WORK/refused.sha256" || e2e_fail "a volume that was not unlocked changed"
echo "ok   the volumes that stayed locked are unchanged"
expect "$d_eow" "rc=-95 error: BitLocker volume $(conf bitlk-aes-xts-128-eow GUID) (/dev/$d_eow): BitLocker is still encrypting or decrypting this volume"
expect "$d_clear" "rc=-95 error: BitLocker volume $(conf bitlk-aes-xts-128-clearkey-only GUID) (/dev/$d_clear): BitLocker is suspended on this volume"
for k in "$(conf bitlk-aes-xts-128 RP)" "$(conf bitlk-aes-xts-256 RP)" "$typed_key"; do
	e2e_log_lacks "$k"
done

# typed on the serial console
e2e_log_has "BitLocker recovery: BitLocker volume $(conf bitlk-aes-xts-128-two-recovery GUID) (/dev/$d_typed) is locked."
e2e_log_has "Recovery key ID: $(conf bitlk-aes-xts-128-two-recovery RP_VMK_GUID | cut -c1-8 | tr a-f A-F)"
e2e_log_has "Recovery key ID: $(conf bitlk-aes-xts-128-two-recovery RP2_VMK_GUID | cut -c1-8 | tr a-f A-F)"
e2e_log_has "Group 3 is not divisible by 11 (a mistyped digit?): type group 3 again."
e2e_log_has "The volume is unlocked."
expect "$d_typed" "rc=0 mapped=/dev/mapper/lastgood-0 block=1 with=recovery-password source=typed at the console"
expect "$d_typed" "close=0 gone=1"

e2e_log_has "BITLK-LEFT 0"
e2e_log_has "BITLK-DONE"
e2e_log_lacks "Kernel panic"
echo "images opened with their recovery password: $n_ok; with a .BEK: 2"
echo "figure: wall time ${WALL} s for $ndisks disks under TCG"
echo "PASS"
