#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The host tests that run the CLI again, against the release build of it
# ($OUT_REL/lastgood: -O2, _FORTIFY_SOURCE; build/release.mk): optimisation
# turns undefined behaviour into wrong results and fortified calls abort
# on an overflow the dev build lets pass. The list is REL_HOST_TESTS
# (build/release.mk); arguments override it.
set -u
OUT=${OUT:-out}
OUT_REL=${OUT_REL:-$OUT/rel}
LG=$OUT_REL/lastgood
LOGDIR=${LOGDIR:-out/test-logs}
mkdir -p "$LOGDIR"
[ -x "$LG" ] || { echo "SKIP: $LG is not built (make release)"; exit 77; }
# the release binary really is the release build (build/flags.mk)
if ! readelf -p .GCC.command.line "$LG" 2>/dev/null | grep -q -- '-O2'; then
	echo "FAIL: $LG does not record -O2: not the release build"; exit 1
fi
[ $# -gt 0 ] || set -- ${REL_HOST_TESTS:-$(grep -l '\$LG' tests/host/[0-9]*-*.sh)}
fails=0
for t in "$@"; do
	start=$(date +%s)
	LG=$LG "$t" >"$LOGDIR/release_$(basename "$t").log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) echo "ok: $t with $LG (${secs}s)"; echo "SUMMARY: release build: $(basename "$t") passed (${secs}s)" ;;
	77) echo "skip: $t: $(grep -m1 '^SKIP:' "$LOGDIR/release_$(basename "$t").log")" ;;
	*) echo "FAIL: $t with $LG (exit $rc)"; grep '^FAIL' "$LOGDIR/release_$(basename "$t").log" | head -20; fails=$((fails + 1)) ;;
	esac
done
[ "$fails" -eq 0 ] || { echo "$fails test(s) failed with the release build"; exit 1; }
echo "all checks passed"
