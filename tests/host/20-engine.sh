#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scan, fix, a second fix, undo on the crowdstrike scenario; each step
# checked with ntfs-3g's own tools: files where they should be, bytes
# equal, times kept, ntfsfix -n clean, scan and a repeated fix change
# nothing byte for byte.
. tests/host/lib.sh

IMG=$(fixture crowdstrike)
P=3
before=$(sha "$IMG")
orig=$(part "$IMG" $P)
bad_sha=$(ntfscat -f "$orig" "/$BAD" | sha256sum | cut -d' ' -f1)
bad_times=$(ntfsinfo -f -F "/$BAD" "$orig" | grep -E 'File (Altered|Creation|MFT Changed) Time' | head -3)

# scan: matches, exit 3, nothing written
expect_rc 3 "scan finds the faulty channel file" $LG scan --denylist $DL --trust $TRUST --json "$IMG"
same "$(sha "$IMG")" "$before" "scan leaves the image byte-identical"
same "$(jq -r '.volumes[0].matches | length' "$T/out")" 1 "scan: exactly one match (the 05:27 file is not one)"
same "$(jq -r '.volumes[0].matches[0].path' "$T/out")" "$BAD" "scan: the match is the 04:09 file"
same "$(jq -r '.volumes[0].matches[0].sha256' "$T/out")" "$bad_sha" "scan: its sha256 is printed"
same "$(jq -r '.volumes[0].matches[0].times.modified' "$T/out")" "2024-07-19T04:09:00Z" "scan: \$STANDARD_INFORMATION last-write time"
contains "$T/err" "$BAD" "scan: human summary names the file"
# The directory index's \$FILE_NAME copy holds another time: the match
# window would miss the file if the engine read that one.
fn_time=$(ntfsinfo -f -F "/$BAD" "$orig" | sed -n '/Dumping attribute \$FILE_NAME/,/Dumping/p' | grep -m1 'File Altered Time' || true)
case "$fn_time" in "") bad "fixture: no \$FILE_NAME time found in ntfsinfo's output" ;; *"04:09"*) bad "fixture: \$FILE_NAME time should differ from \$STANDARD_INFORMATION" ;; *) ok "fixture: \$FILE_NAME time differs ($fn_time)" ;; esac

# fix
expect_rc 0 "fix quarantines" $LG fix --denylist $DL --trust $TRUST --json "$IMG"
cp "$T/out" "$T/fix.json"
RUN=$(jq -r .run_id "$T/fix.json")
case "$RUN" in 20*Z-*) ok "run_id at the top level: $RUN" ;; *) bad "run_id: '$RUN'" ;; esac
same "$(jq -r '.volumes[0].status' "$T/fix.json")" fixed "fix: volume status"
same "$(jq -r '.summary.quarantined' "$T/fix.json")" 1 "fix: one file quarantined"
after=$(part "$IMG" $P)
Q="\$LastGood/quarantine/$RUN/$BAD"
if ls_has "$after" "Windows/System32/drivers/CrowdStrike" "$(basename "$BAD")"; then bad "faulty file still in place"; else ok "faulty file gone from its folder"; fi
ls_has "$after" "Windows/System32/drivers/CrowdStrike" "$(basename "$GOOD")" && ok "good 05:27 file untouched" || bad "good file missing"
same "$(ntfscat -f "$after" "/$Q" | sha256sum | cut -d' ' -f1)" "$bad_sha" "quarantined file: bytes equal"
same "$(ntfsinfo -f -F "/$Q" "$after" | grep -E 'File (Altered|Creation|MFT Changed) Time' | head -3)" "$bad_times" "quarantined file: times kept"
ntfsinfo -f -F '/$LastGood' "$after" | grep -q HIDDEN && ok "\$LastGood is hidden" || bad "\$LastGood not hidden"
ntfsinfo -f -F '/$LastGood' "$after" | grep -q SYSTEM && ok "\$LastGood is system" || bad "\$LastGood not system"
ntfscat -f "$after" "/\$LastGood/reports/$RUN.json" > "$T/vol-report.json" 2>/dev/null || true
same "$(jq -r .run_id "$T/vol-report.json" 2>/dev/null)" "$RUN" "report stored on the volume"
ntfscat -f "$after" "/\$LastGood/quarantine/$RUN/manifest.json" > "$T/manifest.json" 2>/dev/null || true
same "$(jq -r '.files[0].path + " " + .files[0].sha256 + " " + .files[0].rule' "$T/manifest.json" 2>/dev/null)" \
	"$BAD $bad_sha cs-channel-291-bad" "manifest: path, sha256, rule"
ntfscat -f "$after" "/\$LastGood/journal/$RUN" > "$T/journal" 2>/dev/null || true
same "$(tail -n1 "$T/journal" | jq -r .type)" end "journal ends with its end record"
same "$(grep -c '"type":"done"' "$T/journal")" "$(grep -c '"type":"intent"' "$T/journal")" "journal: every intent is done"
ntfscat -f "$after" '/$LastGood/state.json' | jq -e '.highest_serial == 1' >/dev/null && ok "state.json records serial 1" || bad "state.json"
ntfsfix -n "$after" >"$T/ntfsfix" 2>&1 && ok "ntfsfix -n after fix" || { bad "ntfsfix -n after fix"; cat "$T/ntfsfix"; }

# a second fix changes nothing
fixed=$(sha "$IMG")
expect_rc 0 "second fix" $LG fix --denylist $DL --trust $TRUST --json "$IMG"
same "$(sha "$IMG")" "$fixed" "second fix leaves the image byte-identical"
same "$(jq -r '.volumes[0].status' "$T/out")" already-fixed "second fix reports already-fixed"

# scan after fix: nothing to do, exit 0
expect_rc 0 "scan after fix finds nothing" $LG scan --denylist $DL --trust $TRUST "$IMG"

# undo
expect_rc 0 "undo" $LG undo --run "$RUN" "$IMG"
undone=$(part "$IMG" $P)
same "$(ntfscat -f "$undone" "/$BAD" | sha256sum | cut -d' ' -f1)" "$bad_sha" "undo: file back, bytes equal"
same "$(ntfsinfo -f -F "/$BAD" "$undone" | grep -E 'File (Altered|Creation|MFT Changed) Time' | head -3)" "$bad_times" "undo: times kept"
ls_has "$undone" "\$LastGood/quarantine/$RUN/Windows/System32/drivers/CrowdStrike" "$(basename "$BAD")" && bad "undo: still in quarantine" || ok "undo: quarantine emptied"
ntfsfix -n "$undone" >/dev/null 2>&1 && ok "ntfsfix -n after undo" || bad "ntfsfix -n after undo"
expect_rc 0 "undo again says already undone" $LG undo --run "$RUN" "$IMG"
expect_rc 1 "undo of an unknown run" $LG undo --run 20990101T000000Z-000000 "$IMG"
contains "$T/err" "no volume on the targets has a run" "undo of an unknown run: message"

# undo refuses when the path has been taken since
IMG2=$(fixture crowdstrike)
expect_rc 0 "fix (for the taken-path case)" $LG fix --denylist $DL --trust $TRUST --json "$IMG2"
RUN2=$(jq -r .run_id "$T/out")
p2=$(part "$IMG2" $P)
echo "a new file" > "$T/newfile"
ntfscp -f "$p2" "$T/newfile" "/$BAD" >/dev/null 2>&1 && {
	start=$(partx -g -o START -n $P "$IMG2")
	dd if="$p2" of="$IMG2" bs=512 seek="$start" conv=notrunc,sparse status=none
	taken=$(sha "$IMG2")
	expect_rc 4 "undo refuses when the original path is taken" $LG undo --run "$RUN2" "$IMG2"
	contains "$T/err" "$BAD" "undo refusal names the path"
	same "$(sha "$IMG2")" "$taken" "refused undo changes nothing"
} || bad "ntfscp could not place a file (test setup)"

# evidence archive
IMG3=$(fixture crowdstrike)
mkdir -p "$T/ev"
expect_rc 0 "fix --evidence" $LG fix --denylist $DL --trust $TRUST --json --evidence "$T/ev" "$IMG3"
RUN3=$(jq -r .run_id "$T/out")
EV=$(jq -r '.volumes[0].evidence.path' "$T/out")
[ -f "$EV" ] && ok "evidence archive written" || bad "no evidence archive ($EV)"
case "$(basename "$EV")" in *-"$RUN3".tar.gz) ok "evidence name <serial>-<run-id>.tar.gz" ;; *) bad "evidence name $EV" ;; esac
tar tzf "$EV" > "$T/ev.list" 2>/dev/null || true
contains "$T/ev.list" "manifest.json" "evidence holds the manifest"
contains "$T/ev.list" "files/$BAD" "evidence holds the file"
same "$(tar xzOf "$EV" "files/$BAD" | sha256sum | cut -d' ' -f1)" "$bad_sha" "evidence: bytes equal"

# --report-dir
mkdir -p "$T/reports"
IMG4=$(fixture crowdstrike)
expect_rc 3 "scan --report-dir" $LG scan --denylist $DL --trust $TRUST --report-dir "$T/reports" "$IMG4"
n=$(ls "$T/reports" | wc -l)
same "$n" 1 "one report in --report-dir"
finish
