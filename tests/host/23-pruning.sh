#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# On the `large` scenario (100,000+ files), a deny-list anchored under
# Windows/System32/drivers reads only the directories on its path: the
# report's counters prove it. (Speed itself is measured by make bench.)
. tests/host/lib.sh
[ -f "$OUT/fixtures/large.img" ] || { echo "SKIP: $OUT/fixtures/large.img not built (make fixtures-large)"; exit 77; }
files=$(grep -h '^bulk' tests/fixtures/scenarios/large.txt | sed 's/.*count=\([0-9]*\).*/\1/' | awk '{s += $1} END {print s}')
[ "${files:-0}" -ge 100000 ] && ok "large scenario has $files bulk files" || bad "large scenario: $files bulk files"
c=$(sha "$OUT/fixtures/large.img")
expect_rc 3 "scan of the large volume" $LG scan --denylist $DL --trust $TRUST --json "$OUT/fixtures/large.img"
same "$(sha "$OUT/fixtures/large.img")" "$c" "scan leaves the image byte-identical"
jq '.volumes[0].counters' "$T/out"
dirs=$(jq '.volumes[0].counters.directories_listed' "$T/out")
recs=$(jq '.volumes[0].counters.mft_records_read' "$T/out")
ents=$(jq '.volumes[0].counters.index_entries' "$T/out")
[ "$dirs" -le 1 ] && ok "only the CrowdStrike folder is listed ($dirs)" || bad "$dirs directories listed"
[ "$recs" -le 20 ] && ok "MFT records read: $recs" || bad "MFT records read: $recs"
[ "$ents" -le 200 ] && ok "index entries examined: $ents" || bad "index entries: $ents"
same "$(jq -r '.volumes[0].matches[0].path' "$T/out")" "$BAD" "the faulty file is found"
finish
