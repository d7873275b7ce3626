#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Table-driven bad inputs (docs/refusals.md): each case has its expected
# exit code and the key words of its message, and proves that the target
# image did not change (sha256 before and after).
. tests/host/lib.sh
need minisign
KEY=tests/fixtures/keys/test.key
sign() { minisign -S -s $KEY -m "$1" -t "bad-input case" >/dev/null 2>&1 </dev/null; }
IMG=$(fixture crowdstrike)
H=$(sha "$IMG")
n_cases=0

# case NAME WANT_RC KEYWORD COMMAND...: run against the crowdstrike image
case_() {
	local name=$1 want=$2 kw=$3 rc=0
	shift 3
	n_cases=$((n_cases + 1))
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" != "$want" ]; then bad "$name: exit $rc, expected $want"; sed 's/^/    /' "$T/err" | head -5; return; fi
	if ! grep -qiF -- "$kw" "$T/err"; then bad "$name: message lacks '$kw'"; sed 's/^/    /' "$T/err" | head -5; return; fi
	if [ "$(sha "$IMG")" != "$H" ]; then bad "$name: the image changed"; H=$(sha "$IMG"); return; fi
	ok "$name (exit $rc, '$kw', image unchanged)"
}
fix() { $LG fix --trust $TRUST "$@" "$IMG"; }
# mk NAME: $T/NAME.json from the example, edited by the sed script on stdin, signed
mk() { sed -f - $DL > "$T/$1.json"; sign "$T/$1.json"; }

# --- deny-lists ---
cp $DL "$T/unsigned.json"
case_ "unsigned list" 5 "signature" fix --denylist "$T/unsigned.json"
cp $DL "$T/tampered.json"; cp $DL.minisig "$T/tampered.json.minisig"; sed -i 's/04:09/04:08/' "$T/tampered.json"
case_ "tampered list" 5 "signature" fix --denylist "$T/tampered.json"
head -c 300 $DL > "$T/trunc.json"; cp $DL.minisig "$T/trunc.json.minisig"
case_ "truncated list" 5 "signature" fix --denylist "$T/trunc.json"
{ cat $DL; head -c $((17 << 20)) /dev/zero | tr '\0' ' '; } > "$T/big.json"; sign "$T/big.json"
case_ "oversized list (over 16 MiB)" 5 "16 MiB" fix --denylist "$T/big.json"
echo 's/"serial": 1,/"serial": 1, "serial": 2,/' | mk dup
case_ "duplicate keys" 5 "duplicate" fix --denylist "$T/dup.json"
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1 </dev/null
cp $DL "$T/otherkey.json"; minisign -S -s "$T/other.key" -m "$T/otherkey.json" >/dev/null 2>&1 </dev/null
case_ "signed by another key" 5 "key" fix --denylist "$T/otherkey.json"
case_ "expired list" 5 "expire" fix --denylist $DL --now 2040-01-01T00:00:00Z
echo 's|"path": "Windows/System32/drivers/CrowdStrike/C-00000291\*.sys"|"path": "Windows/../Windows/System32/drivers/C-00000291*.sys"|' | mk dotdot
case_ "glob with .." 5 ".." fix --denylist "$T/dotdot.json"
echo 's|"path": "Windows/|"path": "/Windows/|' | mk abs
case_ "absolute glob" 5 "absolute" fix --denylist "$T/abs.json"
echo 's|"path": "Windows/|"path": "C:/Windows/|' | mk drive
case_ "drive-letter glob" 5 "drive" fix --denylist "$T/drive.json"
echo 's|C-00000291\*.sys"|C-00000291*.sys:evil"|' | mk stream
case_ "glob with a : stream" 5 "stream" fix --denylist "$T/stream.json"
echo 's|C-00000291\*.sys"|NUL.sys"|' | mk devname
case_ "glob naming a device" 5 "device" fix --denylist "$T/devname.json"
echo 's|"Windows/System32/drivers/CrowdStrike/|"Windows//System32/drivers/CrowdStrike/|' | mk empty
case_ "glob with an empty component" 5 "empty" fix --denylist "$T/empty.json"
echo 's/"schema": 1/"schema": 1, "extra": true/' | mk unknown
case_ "unknown field" 5 "unknown field" fix --denylist "$T/unknown.json"

# --- lower serial than applied ---
IMG2=$(fixture crowdstrike)
echo 's/"serial": 1/"serial": 5/' | mk s5
$LG fix --denylist "$T/s5.json" --trust $TRUST "$IMG2" >/dev/null 2>&1 || true
H2=$(sha "$IMG2")
rc=0; $LG fix --denylist $DL --trust $TRUST "$IMG2" >"$T/out" 2>"$T/err" || rc=$?
n_cases=$((n_cases + 1))
[ "$rc" = 5 ] && grep -q serial "$T/err" && [ "$(sha "$IMG2")" = "$H2" ] && ok "lower serial than applied (exit 5, image unchanged)" || bad "lower serial: exit $rc"

# --- disk images ---
img_case() { # NAME WANT KEYWORD FILE
	local rc=0 h
	n_cases=$((n_cases + 1))
	h=$(sha "$4")
	$LG fix --denylist $DL --trust $TRUST "$4" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = "$2" ] && grep -qiF -- "$3" "$T/err" && [ "$(sha "$4")" = "$h" ]; then
		ok "$1 (exit $rc, '$3', unchanged)"
	else
		bad "$1: exit $rc (want $2)"; sed 's/^/    /' "$T/err" | head -5
	fi
	# inspect must not crash either: a clean exit code and one-line error
	rc=0; timeout 20 $LG inspect "$4" >/dev/null 2>"$T/err" || rc=$?
	case $rc in 0|1) ok "$1: inspect exits $rc" ;; *) bad "$1: inspect exit $rc" ;; esac
}
: > "$T/empty.img"
img_case "empty image" 1 "too small" "$T/empty.img"
head -c $((150 << 20)) "$IMG" > "$T/trunc.img"
img_case "image truncated mid-partition" 1 "truncated" "$T/trunc.img"
head -c $((8 << 20)) /dev/urandom > "$T/random.img"
img_case "random bytes" 1 "no partition table" "$T/random.img"
cp --sparse=always "$IMG" "$T/mftgarbage.img"
start=$(partx -g -o START -n 3 "$IMG")
# $MFT starts at cluster 4 of the volume (fixture: 4 KiB clusters)
dd if=/dev/urandom of="$T/mftgarbage.img" bs=4096 seek=$((start / 8 + 4)) count=16 conv=notrunc status=none
img_case "random bytes over the MFT" 1 "NTFS" "$T/mftgarbage.img"
cp --sparse=always "$IMG" "$T/pastend.img"
truncate -s 200M "$T/pastend.img"
img_case "partition table pointing past the end" 1 "truncated" "$T/pastend.img"
{ head -c 512 "$(part "$IMG" 3)"; head -c $((4 << 20)) /dev/urandom; } > "$T/bsgarbage.img"
img_case "NTFS boot sector over garbage" 1 "NTFS" "$T/bsgarbage.img"

# --- a quarantine path that already exists ---
cat > "$T/qexists.txt" <<EOF2
time 2023-03-14T09:00:00Z
disk 256M table=gpt
part ntfs rest label=Windows
include $PWD/tests/fixtures/scenarios/windows-tree.inc
file "\$LastGood/quarantine/fixed-run/$BAD" data=text:"someone else's file"
EOF2
if $OUT/tests/fixtures/mkfixture -D OUT="$(realpath "$OUT")" "$T/qexists.txt" "$T/qexists.img" 2>"$T/mk.err"; then
	n_cases=$((n_cases + 1))
	h=$(sha "$T/qexists.img")
	rc=0; $LG fix --denylist $DL --trust $TRUST --run-id fixed-run "$T/qexists.img" >"$T/out" 2>"$T/err" || rc=$?
	p=$(part "$T/qexists.img" 1)
	if [ "$rc" = 1 ] && grep -q "already exists" "$T/err" && ntfscat -f "$p" "/$BAD" >/dev/null 2>&1 &&
	   [ "$(ntfscat -f "$p" "/\$LastGood/quarantine/fixed-run/$BAD")" = "someone else's file" ]; then
		ok "quarantine path already exists: refused, both files kept (exit 1)"
	else
		bad "quarantine path exists: exit $rc"; sed 's/^/    /' "$T/err" | head -5
	fi
else
	bad "could not build the quarantine-exists scenario: $(cat "$T/mk.err")"
fi
echo "SUMMARY: $n_cases bad-input cases"
finish
