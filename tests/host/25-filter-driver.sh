#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The filter-driver scenario (issue 7): a faulty boot-start disk filter
# ACMEflt.sys in the disk class UpperFilters after partmgr, plus the
# CrowdStrike case. After fix: the file quarantined, Start=4 in every
# control set, ACMEflt gone from UpperFilters with partmgr kept; after
# undo: all as before. The hive is checked with hivexregedit (libhivex's
# own tool), on the SYSTEM file read back with ntfscat.
. tests/host/lib.sh
need minisign hivexregedit
KEY=tests/fixtures/keys/test.key
ACME=Windows/System32/drivers/ACMEflt.sys
mklist() { # NAME EXTRA-RULE-FIELDS
	cat > "$T/$1.json" <<EOF2
{
  "schema": 1, "serial": 7, "issued": "2024-07-19T07:00:00Z", "expires": "2036-07-19T00:00:00Z",
  "publisher": "filter-driver test",
  "rules": [
    { "id": "cs-channel-291-bad", "path": "Windows/System32/drivers/CrowdStrike/C-00000291*.sys",
      "header": { "hex": "AAAAAAAA01002301" },
      "modified": { "after": "2024-07-19T04:09:00Z", "before": "2024-07-19T05:27:00Z" } },
    { "id": "acme-filter", "description": "ACME storage filter 2024-07-18 build: 0x7B at boot",
      "path": "$ACME", "header": { "hex": "4D5A" }$2 }
  ]
}
EOF2
	minisign -S -s $KEY -m "$T/$1.json" -t "$1" >/dev/null 2>&1 </dev/null
}
hive_export() { # IMG OUTFILE: the SYSTEM hive as .reg text
	local p
	p=$(part "$1" 3)
	ntfscat -f "$p" /Windows/System32/config/SYSTEM > "$T/SYSTEM.hive"
	hivexregedit --export --prefix 'HKLM\SYSTEM' "$T/SYSTEM.hive" '\' > "$2" 2>/dev/null
}
# reg_value FILE KEY VALUE: the value's line under [KEY]
reg_value() { awk -v k="[HKLM\\\\SYSTEM\\\\$2]" -v v="\"$3\"=" 'tolower($0)==tolower(k){on=1;next} /^\[/{on=0} on && index($0,v)==1{print;exit}' "$1"; }

IMG=$(fixture filter-driver)
hive_export "$IMG" "$T/before.reg"
[ -s "$T/before.reg" ] && ok "the scenario's SYSTEM is a real hive (hivexregedit reads it)" || bad "hivexregedit cannot read the scenario's SYSTEM"
same "$(reg_value "$T/before.reg" 'ControlSet001\Services\ACMEflt' Start)" '"Start"=dword:00000000' "before: ACMEflt boot-start"

# Without allow_boot_critical the disk-class filter is refused, with the file.
mklist strict ""
h=$(sha "$IMG")
expect_rc 4 "disk filter refused without allow_boot_critical" $LG fix --denylist "$T/strict.json" --trust $TRUST --json "$IMG"
jq -e '.volumes[0].matches[] | select(.rule=="acme-filter") | .refused | test("boot")' "$T/out" >/dev/null \
	&& ok "refusal names the boot-critical reason" || bad "refusal reason: $(jq -c '.volumes[0].matches' "$T/out")"
p=$(part "$IMG" 3)
ls_has "$p" Windows/System32/drivers ACMEflt.sys && ok "refused: ACMEflt.sys left in place" || bad "ACMEflt.sys moved despite the refusal"
# The CrowdStrike rule of the same list still ran.
ls_has "$p" Windows/System32/drivers/CrowdStrike C-00000291-00000000-00000032.sys && bad "crowdstrike rule did not run" || ok "the other rule still ran"

# A SYSTEM hive that cannot be read: no driver (PE file) moves, since its
# service could not be disabled; the channel file (not a driver) still does.
cat > "$T/nohive.txt" <<EOF2
time 2023-03-14T09:00:00Z
disk 256M table=gpt
part ntfs rest label=Windows
include $PWD/tests/fixtures/scenarios/windows-tree.inc
file Windows/System32/config/SYSTEM replace data=text:"not a hive"
file Windows/System32/drivers/ACMEflt.sys size=24K data=random:7001 head=text:MZ
EOF2
$OUT/tests/fixtures/mkfixture -D OUT="$(realpath "$OUT")" "$T/nohive.txt" "$T/nohive.img" >/dev/null 2>&1 || bad "cannot build the no-hive disk"
mklist nohive ', "allow_boot_critical": true'
expect_rc 4 "unreadable hive: the driver is refused" $LG fix --denylist "$T/nohive.json" --trust $TRUST --json "$T/nohive.img"
jq -e '.volumes[0].matches[] | select(.rule=="acme-filter") | .refused | test("hive cannot be read")' "$T/out" >/dev/null \
	&& ok "refusal says the hive cannot be read" || bad "no refusal for the driver: $(jq -c '.volumes[0].matches' "$T/out")"
p=$(part "$T/nohive.img" 1)
ls_has "$p" Windows/System32/drivers ACMEflt.sys && ok "the driver stays in place" || bad "the driver moved without the registry"
ls_has "$p" Windows/System32/drivers/CrowdStrike C-00000291-00000000-00000032.sys && bad "the channel file did not move" || ok "the channel file (not a driver) still moved"

# With allow_boot_critical: file, services and filters together.
IMG=$(fixture filter-driver)
ntfscat -f "$(part "$IMG" 3)" /Windows/System32/config/SYSTEM > "$T/orig.hive"
mklist allow ', "allow_boot_critical": true'
expect_rc 0 "fix with allow_boot_critical" $LG fix --denylist "$T/allow.json" --trust $TRUST --json "$IMG"
RUN=$(jq -r .run_id "$T/out")
jq '.volumes[0].registry' "$T/out" > "$T/registry.json"
[ "$(jq '.changes | length' "$T/registry.json")" -ge 3 ] && ok "report lists the registry changes" || bad "registry report: $(cat "$T/registry.json")"
jq -e '.changes[] | select(.value=="Start") | .control_set' "$T/registry.json" >/dev/null 2>&1 || \
	jq -e '.changes | tostring | test("Start")' "$T/registry.json" >/dev/null && ok "report: Start change listed" || bad "report: no Start change"
hive_export "$IMG" "$T/after.reg"
for cs in ControlSet001 ControlSet002; do
	same "$(reg_value "$T/after.reg" "$cs\\Services\\ACMEflt" Start)" '"Start"=dword:00000004' "after: Start=4 in $cs"
	up=$(reg_value "$T/after.reg" "$cs\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}" UpperFilters)
	[ -n "$up" ] && ok "after: $cs UpperFilters still there" || bad "$cs UpperFilters missing"
	# partmgr kept, ACMEflt gone: decode hex(7) with hivexregedit's own text
	dec=$(echo "$up" | sed 's/.*hex(7)://; s/\\//g' | tr -d ' ,\n' | xxd -r -p | tr -d '\0')
	case "$dec" in *partmgr*) ok "after: $cs partmgr kept" ;; *) bad "$cs: partmgr lost ($dec)" ;; esac
	case "$dec" in *ACMEflt*) bad "$cs: ACMEflt still in UpperFilters" ;; *) ok "after: $cs ACMEflt removed" ;; esac
done
p=$(part "$IMG" 3)
ls_has "$p" Windows/System32/drivers ACMEflt.sys && bad "ACMEflt.sys still in place" || ok "ACMEflt.sys quarantined"
ntfscat -f "$p" "/\$LastGood/quarantine/$RUN/registry/SYSTEM" > "$T/backup.hive" 2>/dev/null
cmp -s "$T/backup.hive" "$T/orig.hive" \
	&& ok "the original hive is kept in the quarantine" || bad "no hive backup"
ntfsfix -n "$p" >/dev/null 2>&1 && ok "ntfsfix -n after fix" || bad "ntfsfix -n after fix"

# undo: values back, file back
expect_rc 0 "undo" $LG undo --run "$RUN" "$IMG"
hive_export "$IMG" "$T/undone.reg"
for cs in ControlSet001 ControlSet002; do
	same "$(reg_value "$T/undone.reg" "$cs\\Services\\ACMEflt" Start)" "$(reg_value "$T/before.reg" "$cs\\Services\\ACMEflt" Start)" "undo: $cs Start as before"
	same "$(reg_value "$T/undone.reg" "$cs\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}" UpperFilters)" \
	     "$(reg_value "$T/before.reg" "$cs\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}" UpperFilters)" "undo: $cs UpperFilters as before"
done
p=$(part "$IMG" 3)
ls_has "$p" Windows/System32/drivers ACMEflt.sys && ok "undo: ACMEflt.sys back" || bad "undo: ACMEflt.sys not back"
finish
