#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The short power-cut sweep of check-fast (issue 16): a volume whose
# $LastGood a standard user planted (a journal that would quarantine
# hal.dll and a user's file), cut at every one of the first 16 writes of
# fix and then every 12th, each followed by a fix as the next boot would
# run it, must end with exactly the files changed that a fix without a
# cut changes. make check runs every cut (tests/reliability/test_powercut.sh).
. tests/host/lib.sh
PC=$OUT/tests/powercut
[ -x "$PC" ] || { echo "SKIP: $PC not built"; exit 77; }
IMG=$OUT/fixtures/planted-journal.img
[ -f "$IMG" ] || { echo "SKIP: $IMG is not built (make fixtures)"; exit 77; }
rc=0
TMPDIR=$T "$PC" --dense 16 --step 12 "$IMG" $DL $TRUST > "$T/pc.log" 2>&1 || rc=$?
sed 's/^/    /' "$T/pc.log" | tail -5
tried=$(sed -n 's/^SUMMARY: fix: \([0-9]*\) cut points tried, \([0-9]*\) held$/\1 \2/p' "$T/pc.log")
if [ "$rc" = 0 ] && [ -n "$tried" ] && [ "${tried% *}" = "${tried#* }" ] && [ "${tried% *}" -ge 25 ]; then
	ok "planted journal, ${tried% *} cut points: every cut and rerun leaves what a fix without a cut leaves"
else
	bad "planted journal power cuts: exit $rc ($tried)"
fi
finish
