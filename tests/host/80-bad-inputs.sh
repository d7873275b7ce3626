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
dir "\$LastGood" sd=lastgood
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
# --- hostile volumes (issue 16): nothing on the volume steers a run ---
# mkhost NAME: $T/NAME.img from the scenario on stdin (windows-tree + lines)
mkhost() {
	{ printf 'time 2023-03-14T09:00:00Z\ndisk 256M table=gpt\npart ntfs rest label=Windows\ninclude %s\n' \
		"$PWD/tests/fixtures/scenarios/windows-tree.inc"; cat; } > "$T/$1.txt"
	$OUT/tests/fixtures/mkfixture -D OUT="$(realpath "$OUT")" "$T/$1.txt" "$T/$1.img" 2>"$T/mk.err" ||
		{ bad "could not build the $1 scenario: $(cat "$T/mk.err")"; return 1; }
}
hsha() { ntfscat -f "$1" "/$2" 2>/dev/null | sha256sum | cut -d' ' -f1; }
SYS=Windows/System32
CS=$SYS/drivers/CrowdStrike
EVIL_SHA=$(printf 'not hal' | sha256sum | cut -d' ' -f1)
# 1. a planted journal (begin + intent steps, as a user can write them)
J='{"type":"begin","run_id":"evil","serial":1,"time":0}\n'
J+='{"type":"intent","seq":1,"op":"quarantine","from":"'$SYS'/hal.dll","to":"$LastGood/quarantine/evil/'$SYS'/hal.dll","sha256":"'$EVIL_SHA'"}\n'
J+='{"type":"intent","seq":2,"op":"restore","path":"'$SYS'/hal.dll","tmp":"'$SYS'/~lastgood-evil-hal.dll","sha256":"'$EVIL_SHA'","size":7}\n'
J+='{"type":"intent","seq":3,"op":"quarantine","from":"Users/alice/Documents/report.docx","to":"$LastGood/quarantine/evil/Users/alice/Documents/report.docx","sha256":"'$EVIL_SHA'"}\n'
J+='{"type":"intent","seq":4,"op":"registry","windir":"Windows","hive":"Windows/System32/config/SYSTEM","tmp":"Windows/System32/config/~lastgood-evil-SYSTEM","backup":"$LastGood/quarantine/evil/registry/SYSTEM","changes":[{"control_set":"ControlSet001","key":"Services\\\\disk","value":"Start","name":"disk","type_id":4,"old_hex":"03000000","new_hex":"04000000"}]}\n'
J2='{"type":"begin","run_id":"../../Windows/x","serial":1,"time":0}\n'
printf "$J" > "$T/evil.journal"; printf "$J2" > "$T/j2.journal"
for trusted in no yes; do
	sdl=; [ $trusted = yes ] && sdl="sd=lastgood"
	mkhost planted$trusted <<EOF2 || continue
file Users/alice/Documents/report.docx data=text:"alice's report"
file $SYS/~lastgood-evil-hal.dll data=text:"not hal"
dir "\$LastGood" $sdl
dir "\$LastGood/journal" $sdl
file "\$LastGood/journal/evil" data=file:$T/evil.journal $sdl
file "\$LastGood/journal/j2" data=file:$T/j2.journal $sdl
EOF2
	img=$T/planted$trusted.img; p0=$(part "$img" 1)
	before_hal=$(hsha "$p0" $SYS/hal.dll)
	ntfscat -f "$p0" /$SYS/config/SYSTEM > "$T/sys0.hive"
	n_cases=$((n_cases + 1))
	rc=0; $LG fix --denylist $DL --trust $TRUST --run-id r1 --json "$img" >"$T/out" 2>"$T/err" || rc=$?
	rm -f "$img.p1"; p=$(part "$img" 1)
	ntfscat -f "$p" /$SYS/config/SYSTEM > "$T/sys1.hive"
	why=
	[ "$rc" = 0 ] || why="exit $rc"
	[ "$(hsha "$p" $SYS/hal.dll)" = "$before_hal" ] || why="$why; hal.dll replaced"
	ntfscat -f "$p" /Users/alice/Documents/report.docx >/dev/null 2>&1 || why="$why; a user file was moved"
	ntfscat -f "$p" /Windows/x >/dev/null 2>&1 && why="$why; records appended to /Windows/x"
	cmp -s "$T/sys0.hive" "$T/sys1.hive" || why="$why; the SYSTEM hive was changed"
	ntfscat -f "$p" "/$SYS/~lastgood-evil-hal.dll" >/dev/null 2>&1 || why="$why; the planted file was acted on"
	ls_has "$p" "$CS" "$(basename $BAD)" && why="$why; the real match was not quarantined"
	if [ $trusted = no ]; then
		jq -e '.volumes[0].lastgood_dir.moved_to == "$LastGood.untrusted-r1"' "$T/out" >/dev/null || why="$why; report lacks lastgood_dir.moved_to"
		ntfscat -f "$p" '/$LastGood.untrusted-r1/journal/evil' >/dev/null 2>&1 || why="$why; the planted folder was not kept aside"
	else
		[ "$(jq '[.volumes[0].set_aside[].path] | length' "$T/out")" = 2 ] || why="$why; report does not name both set-aside journals"
		jq -r '.volumes[0].set_aside[].why' "$T/out" | grep -q "not an edit lastgood makes\|not one lastgood acts on\|run id" || why="$why; no reason given"
	fi
	[ -z "$why" ] && ok "planted journal ($([ $trusted = yes ] && echo "in a \$LastGood with lastgood's own descriptor: invariants" || echo "in a \$LastGood open to users: set aside whole")): nothing in it acted on (exit 0)" ||
		{ bad "planted journal (trusted=$trusted):$why"; sed 's/^/    /' "$T/err" | head -5; }
done

# 2. what lastgood creates is SYSTEM's and Administrators' only; a restored
# file takes the descriptor of the file it replaces
mkhost sd <<EOF2 && {
file $BAD size=40K data=random:2912 head=hex:AAAAAAAA01002301 created=2024-07-19T03:55:12Z modified=2024-07-19T04:09:00Z attrs=system,archive sd=system-file replace
EOF2
	mkdir -p "$T/b/drivers"
	{ printf '\xaa\xaa\xaa\xaa\x01\x00\x23\x01'; head -c 1000 /dev/zero | tr '\0' G; } > "$T/b/drivers/good.sys"
	tar -C "$T/b" -czf "$T/bundle.tar.gz" drivers/good.sys
	gsum=$(sha256sum "$T/b/drivers/good.sys" | cut -d' ' -f1)
	echo "s|\"action\": \"quarantine\"|\"action\": \"quarantine\", \"restore\": {\"bundle\": \"bundle.tar.gz\", \"entry\": \"drivers/good.sys\", \"sha256\": \"$gsum\"}|" | mk restore
	n_cases=$((n_cases + 1))
	p0=$(part "$T/sd.img" 1); ntfssecaudit -v "$p0" "/$BAD" 2>/dev/null | grep -E '^ +0000' > "$T/sd.orig"
	rc=0; $LG fix --denylist "$T/restore.json" --trust $TRUST --bundle-dir "$T" --run-id r1 "$T/sd.img" >"$T/out" 2>"$T/err" || rc=$?
	rm -f "$T/sd.img.p1"; p=$(part "$T/sd.img" 1)
	why=; [ "$rc" = 0 ] || why="exit $rc"
	for d in '$LastGood' '$LastGood/journal' '$LastGood/journal/r1' '$LastGood/quarantine/r1' '$LastGood/state.json'; do
		ntfssecaudit -v "$p" "/$d" 2>/dev/null > "$T/sa"
		grep -q 'Windows owner S-1-5-32-544' "$T/sa" || why="$why; $d: owner not Administrators"
		# the Everyone SID (S-1-1-0) as it appears in the dump
		tr -d ' \n' < "$T/sa" | grep -qi '0101000000000001000000' && why="$why; $d: Everyone has an ACE"
	done
	ntfssecaudit -v "$p" "/$BAD" 2>/dev/null | grep -E '^ +0000' > "$T/sd.restored"
	[ -s "$T/sd.orig" ] && cmp -s "$T/sd.orig" "$T/sd.restored" || why="$why; the restored file does not have the replaced file's descriptor"
	ntfsinfo -F "/$BAD" "$p" 2>/dev/null | grep -qi 'FILE_ATTR_SYSTEM\|System' || why="$why; the restored file lost the system attribute"
	[ -z "$why" ] && ok "\$LastGood and what is in it: owner Administrators, no right for anyone else; restored driver keeps the replaced one's descriptor and attributes" ||
		{ bad "descriptors:$why"; sed 's/^/    /' "$T/err" | head -5; }

	# 3. undo checks the quarantined file against the journal's sha256
	n_cases=$((n_cases + 1))
	echo "planted by a user" > "$T/swap"
	cp "$p" "$T/p.swap"
	ntfscp -f "$T/p.swap" "$T/swap" "/\$LastGood/quarantine/r1/$BAD" >/dev/null 2>&1
	start=$(partx -g -o START -n 1 "$T/sd.img")
	dd if="$T/p.swap" of="$T/sd.img" bs=512 seek="$start" conv=notrunc,sparse status=none
	h=$(sha "$T/sd.img")
	rc=0; $LG undo --run r1 "$T/sd.img" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = 4 ] && grep -q "sha256 differs" "$T/err" && [ "$(sha "$T/sd.img")" = "$h" ]; then
		ok "undo with a quarantined file swapped since: refused, nothing moved back (exit 4)"
	else
		bad "undo with a swapped quarantined file: exit $rc"; sed 's/^/    /' "$T/err" | head -5
	fi
}

# 4. names that would lead to another file: '..', NUL, '/'
mkhost names <<EOF2 && {
dir $CS/C-00000291-
dir $CS/C-00000291-sub
file $CS/C-00000291-sub/x.sys data=text:"unrelated"
file $CS/dotdot.sys rawname=text:"C-00000291-/../CSAgent.sys" size=40K data=random:7 head=hex:AAAAAAAA01002301 modified=2024-07-19T04:10:00Z
file $CS/nul.sys rawname=text:"C-00000291-00000000-00000033.sys\0x.sys" size=40K data=random:8 head=hex:AAAAAAAA01002301 modified=2024-07-19T04:10:00Z
file $CS/slash.sys rawname=text:"C-00000291-sub/x.sys" size=40K data=random:9 head=hex:AAAAAAAA01002301 modified=2024-07-19T04:10:00Z
EOF2
	p0=$(part "$T/names.img" 1)
	h1=$(hsha "$p0" $CS/CSAgent.sys); h2=$(hsha "$p0" $GOOD); h3=$(hsha "$p0" $CS/C-00000291-sub/x.sys)
	n_cases=$((n_cases + 1))
	rc=0; $LG fix --denylist $DL --trust $TRUST --run-id r1 --json "$T/names.img" >"$T/out" 2>"$T/err" || rc=$?
	rm -f "$T/names.img.p1"; p=$(part "$T/names.img" 1)
	why=; [ "$rc" = 4 ] || why="exit $rc (want 4)"
	[ "$(hsha "$p" $CS/CSAgent.sys)" = "$h1" ] || why="$why; CSAgent.sys moved"
	[ "$(hsha "$p" $GOOD)" = "$h2" ] || why="$why; the good channel file moved"
	[ "$(hsha "$p" $CS/C-00000291-sub/x.sys)" = "$h3" ] || why="$why; an unrelated file moved"
	[ "$(jq '[.volumes[0].matches[] | select(.refused != null and (.refused | contains("NUL")))] | length' "$T/out")" = 3 ] ||
		why="$why; the three names are not refused with a reason"
	ls_has "$p" "$CS" "$(basename $BAD)" && why="$why; the real match was not quarantined"
	[ -z "$why" ] && ok "names with '..', NUL or '/': refused, the files they name untouched (exit 4)" ||
		{ bad "hostile names:$why"; sed 's/^/    /' "$T/err" | head -5; }
}

# 5. damaged state and journals never block a run that does not need them
printf '{"schema": 1, "highest_serial": 9007199254740992}\n' > "$T/state.big"
printf '{"type":"begin","run_id":"old1","serial":1,"time":0}\n{"type":"intent","seq":1,"op":"quarantine"\n{"type":"end"}\n' > "$T/old1.journal"
printf '{"type":"begin","run_id":"old2","serial":1,"time":0}\n{"type":"end"}\n{"type":"undo-intent","seq":1}\n' > "$T/old2.journal"
mkhost damaged <<EOF2 && {
dir "\$LastGood" sd=lastgood
dir "\$LastGood/journal" sd=lastgood
file "\$LastGood/state.json" data=file:$T/state.big sd=lastgood
file "\$LastGood/journal/old1" data=file:$T/old1.journal sd=lastgood
EOF2
	n_cases=$((n_cases + 1))
	rc=0; $LG fix --denylist $DL --trust $TRUST --run-id r1 --json "$T/damaged.img" >"$T/out" 2>"$T/err" || rc=$?
	why=; [ "$rc" = 0 ] || why="exit $rc"
	jq -e '[.volumes[0].set_aside[].path] | index("$LastGood/state.json") != null' "$T/out" >/dev/null || why="$why; state.json not named as set aside"
	jq -e '[.volumes[0].set_aside[].path] | index("$LastGood/journal/old1") != null' "$T/out" >/dev/null || why="$why; the damaged journal not named as set aside"
	jq -r '.volumes[0].set_aside[].why' "$T/out" | grep -q impossible || why="$why; the serial is not called impossible"
	p=$(part "$T/damaged.img" 1)
	ntfscat -f "$p" '/$LastGood/set-aside/r1/state.json' >/dev/null 2>&1 || why="$why; state.json not kept"
	[ -z "$why" ] && ok "state.json with serial 2^53 and a journal with a damaged middle line: set aside, named, the run goes on (exit 0)" ||
		{ bad "damaged state/journal:$why"; sed 's/^/    /' "$T/err" | head -5; }
}
mkhost undoing <<EOF2 && {
dir "\$LastGood" sd=lastgood
dir "\$LastGood/journal" sd=lastgood
file "\$LastGood/journal/old2" data=file:$T/old2.journal sd=lastgood
EOF2
	n_cases=$((n_cases + 1))
	rc=0; $LG fix --denylist $DL --trust $TRUST --run-id r1 --json "$T/undoing.img" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 0 ] && jq -e '.volumes[0].status == "fixed"' "$T/out" >/dev/null &&
		ok "a journal ending in an undo-intent step does not block fix (exit 0)" ||
		{ bad "journal ending in undo-intent: exit $rc"; sed 's/^/    /' "$T/err" | head -5; }
}
# 6. undo of a quarantine step in undo-intent state without "from"
printf '{"type":"begin","run_id":"old3","serial":1,"time":0}\n{"type":"intent","seq":1,"op":"quarantine","to":"x"}\n{"type":"done","seq":1}\n{"type":"end"}\n{"type":"undo-intent","seq":1}\n' > "$T/old3.journal"
mkhost nofrom <<EOF2 && {
dir "\$LastGood" sd=lastgood
dir "\$LastGood/journal" sd=lastgood
file "\$LastGood/journal/old3" data=file:$T/old3.journal sd=lastgood
EOF2
	n_cases=$((n_cases + 1))
	h=$(sha "$T/nofrom.img")
	rc=0; $LG undo --run old3 "$T/nofrom.img" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 4 ] && grep -q "not one lastgood acts on" "$T/err" && [ "$(sha "$T/nofrom.img")" = "$h" ] &&
		ok "undo of a quarantine step without from: refused, no crash (exit 4)" ||
		{ bad "undo without from: exit $rc"; sed 's/^/    /' "$T/err" | head -5; }
}

# 7. control characters in a name never reach the terminal raw
mkhost esc <<EOF2 && {
file $CS/esc.sys rawname=hex:"432d30303030303239312d1b5b324a07 0d0a30206d6174636865732e737973" size=40K data=random:7 head=hex:AAAAAAAA01002301 modified=2024-07-19T04:10:00Z
EOF2
	n_cases=$((n_cases + 1))
	rc=0; $LG scan --denylist $DL --trust $TRUST "$T/esc.img" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = 3 ] && ! grep -q $'\x1b\|\x07\|\r' "$T/err" && grep -qF 'C-00000291-\x1b[2J\x07\r\n0 matches.sys' "$T/err" &&
	   ! grep -q '^0 matches' "$T/err"; then
		ok "a name with ESC, BEL, CR, LF is shown escaped, forges no line (exit 3)"
	else
		bad "terminal injection: exit $rc"; cat -v "$T/err" | sed 's/^/    /' | head -5
	fi
}

# 8. a matched file with other names (hard links): they keep the content,
# and the report and the summary list them, not the name it was matched by
# (mkfixture makes no 8.3 names: tests/unit/test_links.c has those)
mkhost links <<EOF2 && {
link Users/alice/keep.sys target=$BAD
link "Windows/Temp/another long name.sys" target=$BAD
link Windows/Temp/again.sys target=$BAD
EOF2
	p0=$(part "$T/links.img" 1); hb=$(hsha "$p0" "$BAD")
	n_cases=$((n_cases + 1))
	rc=0; $LG fix --denylist $DL --trust $TRUST --run-id r1 --json "$T/links.img" >"$T/out" 2>"$T/err" || rc=$?
	rm -f "$T/links.img.p1"; p=$(part "$T/links.img" 1)
	why=; [ "$rc" = 0 ] || why="exit $rc"
	want='["Users/alice/keep.sys","Windows/Temp/again.sys","Windows/Temp/another long name.sys"]'
	got=$(jq -c '.volumes[0].matches[0].other_links' "$T/out")
	[ "$got" = "$want" ] || why="$why; other_links $got"
	jq -e '.volumes[0].matches[0] | .result == "quarantined" and .other_links_unlisted == null' "$T/out" >/dev/null ||
		why="$why; not quarantined, or names counted as unlisted"
	for n in Users/alice/keep.sys "Windows/Temp/another long name.sys" Windows/Temp/again.sys; do
		[ "$(hsha "$p" "$n")" = "$hb" ] || why="$why; $n lost the content"
		grep -qF "also named $n (a hard link: it keeps the content)" "$T/err" || why="$why; the summary does not name $n"
	done
	[ "$(hsha "$p" "\$LastGood/quarantine/r1/$BAD")" = "$hb" ] || why="$why; not in the quarantine"
	[ -z "$why" ] && ok "a matched file with three other names: quarantined; the report and the summary list them; they keep the content (exit 0)" ||
		{ bad "hard links:$why"; sed 's/^/    /' "$T/err" | head -8; }
}

echo "SUMMARY: $n_cases bad-input cases"
finish
