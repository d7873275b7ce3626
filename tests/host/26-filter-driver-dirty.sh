#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The filter-driver scenario with a dirty SYSTEM hive (issue 17): the
# ACMEflt update is only in SYSTEM.LOG1 (new format: its Start and the
# filter lists; -svc: the whole service; -old: an old-format log). lastgood
# replays the logs as Windows will, then fixes: ACMEflt.sys quarantined,
# Start=4, ACMEflt out of the filter lists, the hive clean and readable by
# libhivex's tools, and the logs left so that Windows applies none of
# them (checked by lastgood's replay, through inspect, and by
# hive-replay-rule.pl, written from the format description's rule). Undo
# puts SYSTEM, SYSTEM.LOG1 and SYSTEM.LOG2 back byte for byte. A damaged
# log: the rule is refused (exit 4), the reason names the log.
. tests/host/lib.sh
need minisign hivexregedit perl
KEY=tests/fixtures/keys/test.key
ACME=Windows/System32/drivers/ACMEflt.sys
CFG=/Windows/System32/config
cat > "$T/list.json" <<EOF2
{
  "schema": 1, "serial": 7, "issued": "2024-07-19T07:00:00Z", "expires": "2036-07-19T00:00:00Z",
  "publisher": "filter-driver-dirty test",
  "rules": [
    { "id": "acme-filter", "description": "ACME storage filter 2024-07-18 build: 0x7B at boot",
      "path": "$ACME", "header": { "hex": "4D5A" }, "allow_boot_critical": true }
  ]
}
EOF2
minisign -S -s $KEY -m "$T/list.json" -t list >/dev/null 2>&1 </dev/null
reg_value() { awk -v k="[HKLM\\\\SYSTEM\\\\$2]" -v v="\"$3\"=" 'tolower($0)==tolower(k){on=1;next} /^\[/{on=0} on && index($0,v)==1{print;exit}' "$1"; }
pull() { # IMG DIR: SYSTEM and its logs copied out of the Windows partition
	local p
	p=$(part "$1" 3)
	mkdir -p "$2"
	for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do ntfscat -f "$p" "$CFG/$f" > "$2/$f"; done
}

for v in "" -svc -old; do
	s=filter-driver-dirty$v
	IMG=$(fixture $s)
	pull "$IMG" "$T/$s.orig"
	hivexregedit --export --prefix 'HKLM\SYSTEM' "$T/$s.orig/SYSTEM" '\' > "$T/$s.before.reg" 2>/dev/null
	if [ -z "$v" ]; then
		same "$(reg_value "$T/$s.before.reg" 'ControlSet001\Services\ACMEflt' Start)" '"Start"=dword:00000003' "$s: the primary file says Start 3"
	else
		same "$(reg_value "$T/$s.before.reg" 'ControlSet001\Services\ACMEflt' Start)" "" "$s: the primary file has no ACMEflt"
	fi
	perl tests/host/hive-replay-rule.pl "$T/$s.orig/SYSTEM" > "$T/rule" && bad "$s: the rule script calls the dirty hive clean" \
		|| ok "$s: the rule script sees the dirty hive"

	expect_rc 0 "$s: inspect" $LG inspect --json "$IMG"
	same "$(jq -r '.volumes[] | select(.windows) | .system_hive | "\(.state) \(.log_entries) \(.logs)"' "$T/out")" \
	     "dirty, logs usable 1 SYSTEM.LOG1" "$s: inspect: dirty, 1 log entry from SYSTEM.LOG1"

	t0=$(date +%s%N)
	expect_rc 0 "$s: fix" $LG fix --denylist "$T/list.json" --trust $TRUST --json "$IMG"
	t1=$(date +%s%N)
	echo "figure: $s fix (replay, edit, commit, quarantine) $(( (t1 - t0) / 1000000 )) ms"
	RUN=$(jq -r .run_id "$T/out")
	jq '.volumes[0].registry' "$T/out" > "$T/registry.json"
	same "$(jq -r '"\(.dirty_hive) \(.replayed_log_entries) \(.replayed_from)"' "$T/registry.json")" "false 1 SYSTEM.LOG1" \
		"$s: report: replayed_log_entries 1 from SYSTEM.LOG1"
	jq -e '.changes[] | select(.value=="Start" and .control_set=="ControlSet001") | select(.old==0 and .new==4)' \
		"$T/registry.json" >/dev/null && ok "$s: report: Start 0 -> 4 (the value only the log had)" \
		|| bad "$s: report: $(jq -c .changes "$T/registry.json")"
	p=$(part "$IMG" 3)
	ls_has "$p" Windows/System32/drivers ACMEflt.sys && bad "$s: ACMEflt.sys still in place" || ok "$s: ACMEflt.sys quarantined"

	pull "$IMG" "$T/$s.fixed"
	hivexregedit --export --prefix 'HKLM\SYSTEM' "$T/$s.fixed/SYSTEM" '\' > "$T/$s.after.reg" 2>/dev/null
	[ -s "$T/$s.after.reg" ] && ok "$s: hivexregedit reads the hive written back" || bad "$s: hivexregedit cannot read it"
	for cs in ControlSet001 ControlSet002; do
		same "$(reg_value "$T/$s.after.reg" "$cs\\Services\\ACMEflt" Start)" '"Start"=dword:00000004' "$s: Start=4 in $cs"
		up=$(reg_value "$T/$s.after.reg" "$cs\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}" UpperFilters)
		dec=$(echo "$up" | sed 's/.*hex(7)://; s/\\//g' | tr -d ' ,\n' | xxd -r -p | tr -d '\0')
		same "$dec" "partmgr" "$s: $cs UpperFilters is partmgr alone (ACMEflt, only in the log, removed)"
	done
	# The rest of what the logs held is there too (DisplayName of the service).
	same "$(reg_value "$T/$s.after.reg" 'ControlSet001\Services\ACMEflt' DisplayName)" '"DisplayName"=hex(1):41,00,43,00,4d,00,45,00,20,00,53,00,74,00,6f,00,72,00,61,00,67,00,65,00,20,00,46,00,69,00,6c,00,74,00,65,00,72,00,00,00' \
		"$s: the service's other values are there (DisplayName \"ACME Storage Filter\")"
	for f in SYSTEM.LOG1 SYSTEM.LOG2; do
		cmp -s "$T/$s.orig/$f" "$T/$s.fixed/$f" && ok "$s: $f left as it was" || bad "$s: $f changed"
	done
	if perl tests/host/hive-replay-rule.pl "$T/$s.fixed/SYSTEM" "$T/$s.fixed/SYSTEM.LOG1" "$T/$s.fixed/SYSTEM.LOG2" > "$T/rule"; then
		ok "$s: by the format description's rule, Windows applies nothing from the logs"
	else
		bad "$s: the rule script says Windows would replay: $(cat "$T/rule")"
	fi
	expect_rc 0 "$s: inspect after fix" $LG inspect --json "$IMG"
	same "$(jq -r '.volumes[] | select(.windows) | .system_hive.state' "$T/out")" "clean" "$s: lastgood's replay code: the hive is clean"

	expect_rc 0 "$s: undo" $LG undo --run "$RUN" "$IMG"
	pull "$IMG" "$T/$s.undone"
	for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
		cmp -s "$T/$s.orig/$f" "$T/$s.undone/$f" && ok "$s: undo: $f byte for byte as before" || bad "$s: undo: $f differs"
	done
	p=$(part "$IMG" 3)
	ls_has "$p" Windows/System32/drivers ACMEflt.sys && ok "$s: undo: ACMEflt.sys back" || bad "$s: undo: ACMEflt.sys not back"
	ntfsfix -n "$p" >/dev/null 2>&1 && ok "$s: ntfsfix -n after undo" || bad "$s: ntfsfix -n after undo"
done

# Refusals that stay: a damaged log (host files, hivefix runs the engine's
# registry code): exit 4, nothing written, the reason names the log.
HF=$OUT/tests/fixtures/hivefix
mkdir -p "$T/bad"
cp "$T/filter-driver-dirty.orig/SYSTEM" "$T/bad/SYSTEM"
cp "$T/filter-driver-dirty.orig/SYSTEM.LOG2" "$T/bad/SYSTEM.LOG2"
# One byte of the log entry's page data flipped: its hashes no longer hold.
cp "$T/filter-driver-dirty.orig/SYSTEM.LOG1" "$T/bad/SYSTEM.LOG1"
printf '\x5a' | dd of="$T/bad/SYSTEM.LOG1" bs=1 seek=2000 conv=notrunc status=none
expect_rc 4 "damaged SYSTEM.LOG1: refused" $HF fix "$T/bad/SYSTEM" "$T/bad/out" --file "$ACME" --allow-boot-critical
contains "$T/err" "SYSTEM.LOG1: no log entry with sequence number 7 checks out" "refusal names SYSTEM.LOG1 and what did not check out"
[ -e "$T/bad/out" ] && bad "a refused fix wrote a hive" || ok "refused: nothing written"
# The same damaged log on the volume: inspect says the hive cannot be
# brought up to date (and fix refuses its registry work, as above).
IMG=$(fixture filter-driver-dirty)
p=$(part "$IMG" 3)
ntfscp -f "$p" "$T/bad/SYSTEM.LOG1" "$CFG/SYSTEM.LOG1" >/dev/null 2>&1 || bad "ntfscp of the damaged log failed"
read -r start size <<EOF2
$(partx -g -o START,SECTORS -n 3 "$IMG")
EOF2
dd if="$p" of="$IMG" bs=512 seek="$start" count="$size" conv=notrunc status=none
expect_rc 0 "damaged SYSTEM.LOG1 on the volume: inspect" $LG inspect --json "$IMG"
same "$(jq -r '.volumes[] | select(.windows) | .system_hive.state' "$T/out")" "dirty, no usable log" \
     "inspect: dirty, no usable log"
# No logs at all.
rm "$T/bad/SYSTEM.LOG1" "$T/bad/SYSTEM.LOG2"
expect_rc 4 "no logs: refused" $HF fix "$T/bad/SYSTEM" "$T/bad/out" --file "$ACME" --allow-boot-critical
contains "$T/err" "SYSTEM has no transaction log" "refusal says there is no log"
finish
