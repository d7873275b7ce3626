#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host CLI under valgrind over the fixture scenarios: inspect, scan,
# fix, a second fix, undo; no memory errors and no leaks (definite,
# indirect or possible) in any of them.
. tests/host/lib.sh
need valgrind
if grep -q fsanitize "$OUT/obj/.flags" 2>/dev/null; then
	echo "SKIP: $LG is built with ASan/UBSan (SANITIZE=1), which valgrind cannot run; the plain build runs this"
	exit 77
fi
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"
run_vg() { # DESCRIPTION WANT_RC COMMAND...
	local what=$1 want=$2 rc=0
	shift 2
	$VG "$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = 99 ]; then bad "$what: valgrind found errors or leaks"; head -40 "$T/err" | sed 's/^/    /'
	elif [ "$rc" != "$want" ]; then bad "$what: exit $rc, expected $want"; head -5 "$T/err" | sed 's/^/    /'
	else ok "$what: clean under valgrind"; fi
}
for s in crowdstrike no-windows mbr hibernated dirty filter-driver; do
	IMG=$(fixture $s)
	run_vg "inspect $s" 0 $LG inspect --json "$IMG"
	want=3; case $s in no-windows) want=0 ;; esac
	run_vg "scan $s" $want $LG scan --denylist $DL --trust $TRUST --json "$IMG"
done
IMG=$(fixture crowdstrike)
run_vg "fix" 0 $LG fix --denylist $DL --trust $TRUST --json "$IMG"
RUN=$(jq -r .run_id "$T/out")
run_vg "second fix" 0 $LG fix --denylist $DL --trust $TRUST "$IMG"
run_vg "undo" 0 $LG undo --run "$RUN" "$IMG"
run_vg "fix --discard-hibernation" 0 $LG fix --denylist $DL --trust $TRUST --discard-hibernation "$(fixture hibernated)"
run_vg "denylist verify" 0 $LG denylist verify --trust $TRUST $DL
run_vg "refused list" 5 $LG fix --denylist $DL --trust $TRUST --now 2040-01-01T00:00:00Z "$IMG"
finish
