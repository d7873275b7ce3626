#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# lastgood inspect on BitLocker volumes that Windows made (the cryptsetup
# project's test images, ../shared/fixtures/bitlocker/): for every image,
# the volume GUID, cipher, key size, description and every key protector
# (GUID, type, in order) must equal what cryptsetup bitlkDump prints, and
# the recovery key ID must be the first 8 hex digits of the recovery
# password protector, uppercase, as Windows' recovery screen shows it.
# Then the same volume as a GPT partition inside a disk image, and a
# volume whose three metadata copies are destroyed. Nothing here needs
# device-mapper; key checks are in tests/unit/test_bitlocker.c, mapping
# in tests/e2e/test_bitlocker*.sh.
set -eu

OUT=${OUT:-out}
LG=${LG:-$OUT/lastgood}
if [ ! -x "$LG" ]; then
	echo "FAIL: $LG is not built (run make)"
	exit 1
fi
for tool in cryptsetup sfdisk; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is missing (build/install-deps installs it)"
		exit 77
	fi
done

. tests/host/bitlk.sh

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
expect_eq() { # what expected actual
	if [ "$2" = "$3" ]; then
		echo "ok   $1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# A string or number member of lastgood's JSON (jansson, one member a line).
jfield() { # file key
	sed -n -e "s/^ *\"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" \
		-e "s/^ *\"$2\": \\([0-9a-z][0-9a-z]*\\),\\{0,1\\}\$/\\1/p" "$1" | head -n 1
}

# The protectors of lastgood's JSON as "GUID type" lines, in order.
our_protectors() { # json
	awk '/"protectors": \[/ { on = 1; next }
	     on && /^ *\]/ { on = 0 }
	     on && /"id":/ { gsub(/[",]/, "", $2); id = $2 }
	     on && /"type":/ { gsub(/[",]/, "", $2); print id, $2 }' "$1"
}

# bitlkDump's keyslots the same way; its wording mapped to our type names.
their_protectors() { # dump
	awk '/^Keyslots:/ { on = 1; next }
	     /^Metadata segments:/ { on = 0 }
	     on && /GUID:/ { id = $2 }
	     on && /Protection:/ {
		sub(/^[ \t]*Protection:[ \t]*/, "")
		t = "unknown"
		if ($0 == "VMK protected with passphrase") t = "password"
		else if ($0 == "VMK protected with recovery passphrase") t = "recovery-password"
		else if ($0 == "VMK protected with startup key") t = "startup-key"
		else if ($0 == "VMK protected with smart card") t = "smart-card"
		else if ($0 == "VMK protected with clear key") t = "clear-key"
		else if ($0 == "VMK protected with TPM") t = "tpm"
		else if ($0 == "VMK protected with TPM and PIN") t = "tpm-pin"
		print id, t
	     }' "$1"
}

dump_field() { # dump "Label:"
	sed -n "s/^$2[ \t]*//p" "$1" | head -n 1
}

n=0
start=$(date +%s%N)
for img in "$IMAGES"/*.img; do
	name=$(basename "$img" .img)
	n=$((n + 1))
	cryptsetup bitlkDump "$img" >"$TMP/dump" 2>&1 || { fail "$name: bitlkDump failed: $(cat "$TMP/dump")"; continue; }
	"$LG" inspect --json "$img" >"$TMP/json" || { fail "$name: inspect --json exited $?"; continue; }
	"$LG" inspect "$img" >"$TMP/text" || { fail "$name: inspect exited $?"; continue; }

	expect_eq "$name: volume GUID" "$(dump_field "$TMP/dump" 'GUID:')" "$(jfield "$TMP/json" volume_guid)"
	expect_eq "$name: cipher" "$(dump_field "$TMP/dump" 'Cipher name:')-$(dump_field "$TMP/dump" 'Cipher mode:')" \
		"$(jfield "$TMP/json" cipher)"
	expect_eq "$name: key bits" "$(dump_field "$TMP/dump" 'Cipher key:' | sed 's/ bits//')" \
		"$(jfield "$TMP/json" key_bits)"
	expect_eq "$name: protectors" "$(their_protectors "$TMP/dump")" "$(our_protectors "$TMP/json")"
	[ -n "$(our_protectors "$TMP/json")" ] || fail "$name: no protector listed"

	# cryptsetup 2.6 reads the first metadata copy without checking its
	# CRC; lastgood reads the first copy whose CRC holds. Where that is
	# not the first, the damaged copy's description differs.
	copy=$(jfield "$TMP/json" metadata_copy)
	if [ "$copy" = 1 ]; then
		expect_eq "$name: description" "$(dump_field "$TMP/dump" 'Description:')" "$(jfield "$TMP/json" description)"
	else
		echo "ok   $name: metadata copy $copy used (the first copies fail their CRC)"
		expect_eq "$name: description from the good copy" "DESKTOP-NPM7RCA H: 7/4/2019" \
			"$(jfield "$TMP/json" description)"
	fi

	# recovery key IDs, in JSON and on screen
	our_protectors "$TMP/json" | while read -r id type; do
		[ "$type" = recovery-password ] || continue
		kid=$(echo "$id" | cut -c1-8 | tr a-f A-F)
		grep -q "\"recovery_key_id\": \"$kid\"" "$TMP/json" || echo "missing $kid in JSON" >>"$TMP/errs"
		grep -q "protector $id  recovery password, recovery key ID $kid\$" "$TMP/text" ||
			echo "missing $kid on screen" >>"$TMP/errs"
	done
	if [ -s "$TMP/errs" ]; then
		fail "$name: $(cat "$TMP/errs")"
		rm -f "$TMP/errs"
	fi
	case $name in
	*eow* | *partially*)
		grep -q '"type": "encrypt-on-write"' "$TMP/json" || fail "$name: not marked encrypt-on-write"
		grep -q 'cannot be unlocked here: BitLocker is still encrypting or decrypting' "$TMP/text" ||
			fail "$name: the screen does not say why it cannot be unlocked" ;;
	*clearkey*)
		grep -q '"unsupported": "BitLocker is suspended' "$TMP/json" || fail "$name: suspended volume not flagged" ;;
	*)
		if grep -q '"unsupported"' "$TMP/json"; then fail "$name: flagged unsupported"; fi ;;
	esac
	case $name in
	*togo*) grep -q '"to_go": true' "$TMP/json" || fail "$name: not To Go" ;;
	esac
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "images checked" 21 "$n"
echo "figure: $n images, bitlkDump + inspect --json + inspect each, ${ms} ms"

# The same volume as partition 1 of a GPT disk image.
disk=$TMP/disk.img
truncate -s 130M "$disk"
printf 'label: gpt\nstart=2048, size=204800, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=Windows\n' |
	sfdisk -q "$disk" >/dev/null
dd if="$IMAGES/bitlk-aes-xts-128-startup-key.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
"$LG" inspect --json "$disk" >"$TMP/json" || fail "disk image: inspect --json exited $?"
"$LG" inspect "$disk" >"$TMP/text" || fail "disk image: inspect exited $?"
expect_eq "disk image: volume GUID" 5a95db04-6ebc-4ba9-99a3-15a87a3d07b2 "$(jfield "$TMP/json" volume_guid)"
expect_eq "disk image: partition" 1 "$(sed -n '/"volumes"/,$p' "$TMP/json" | sed -n 's/^ *"partition": \([0-9]*\),$/\1/p' | head -n 1)"
expect_eq "disk image: protectors" "4f6ae327-f4cf-470b-a6f6-9de8fdb7c051 password
294bc732-f82f-404c-a2ce-d1094ed59506 recovery-password
4381f759-c4f8-4de0-bb61-fc33a831bda5 startup-key" "$(our_protectors "$TMP/json")"
grep -q "BitLocker volume on $disk part 1: volume GUID 5a95db04-6ebc-4ba9-99a3-15a87a3d07b2" "$TMP/text" ||
	fail "disk image: no BitLocker line on screen: $(cat "$TMP/text")"
grep -q "protector 294bc732-f82f-404c-a2ce-d1094ed59506  recovery password, recovery key ID 294BC732" "$TMP/text" ||
	fail "disk image: recovery key ID not on screen"
grep -q "protector 4381f759-c4f8-4de0-bb61-fc33a831bda5  startup key (.BEK file)" "$TMP/text" ||
	fail "disk image: startup key not on screen"

# All three metadata copies destroyed: recognised, said so, nothing else.
bad=$TMP/bad.img
cp --sparse=always "$IMAGES/bitlk-aes-xts-128.img" "$bad"
cryptsetup bitlkDump "$bad" | sed -n '/FVE metadata area/{n;s/^[ \t]*Offset:[ \t]*\([0-9]*\).*/\1/p}' >"$TMP/offsets"
expect_eq "metadata copies found by bitlkDump" 3 "$(wc -l <"$TMP/offsets" | tr -d ' ')"
while read -r off; do
	printf 'XXXXXXXX' | dd of="$bad" bs=1 seek="$off" conv=notrunc status=none
done <"$TMP/offsets"
rc=0
"$LG" inspect --json "$bad" >"$TMP/json" 2>"$TMP/err" || rc=$?
# inspect reports a volume it cannot read with exit 1; a crash would be >= 128
[ "$rc" -le 1 ] || fail "destroyed metadata: inspect exit code $rc"
grep -q '"error": "BitLocker boot sector without readable FVE metadata"' "$TMP/json" ||
	fail "destroyed metadata: no error in the JSON: $(cat "$TMP/json" "$TMP/err")"
grep -q '"protectors"' "$TMP/json" && fail "destroyed metadata: protectors listed from nothing"

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "PASS"
