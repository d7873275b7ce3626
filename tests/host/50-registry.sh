#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The SYSTEM hive work, checked with libhivex's own tools (hivexregedit,
# hivexget, hivexsh, hivexml from Debian's libhivex-bin and
# libwin-hivex-perl), not with our code:
#  - hives built by tests/fixtures/mkhive hold what their description says,
#    byte for byte the same on every build;
#  - hivefix (the engine's registry code on a host file) refuses a
#    boot-critical filter without allow_boot_critical and writes nothing;
#    with it, the full export differs from the original in exactly the six
#    expected values (Start 0 -> 4 and ACMEflt out of two lists, in both
#    control sets); undo gives back an export identical to the original;
#  - a dirty hive without logs is refused (dirty hives with logs: 26-filter-driver-dirty.sh); builder errors name the line.
set -eu -o pipefail

OUT=${OUT:-out}
MKHIVE=$OUT/tests/fixtures/mkhive
HIVEFIX=$OUT/tests/fixtures/hivefix
for b in "$MKHIVE" "$HIVEFIX"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is not built (make $b)"
		exit 1
	fi
done
for tool in hivexregedit hivexget hivexsh hivexml; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is missing (build/install-deps installs it)"
		exit 77
	fi
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
ok() { echo "ok   $*"; }
expect_eq() { # what expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
export_all() { hivexregedit --export --unsafe-printable-strings "$1" '\'; }

DESC=tests/fixtures/hives/filter-driver.txt
H=$TMP/fd.hive
"$MKHIVE" "$DESC" "$H"

# ---- the built hive ----------------------------------------------------
"$MKHIVE" "$DESC" "$TMP/again.hive"
if cmp -s "$H" "$TMP/again.hive"; then ok "mkhive: same bytes on every build"; else fail "mkhive: builds differ"; fi
expect_eq "regf signature" "regf" "$(head -c 4 "$H")"
hivexml "$H" >/dev/null && ok "hivexml reads the whole hive" || fail "hivexml cannot read the hive"

expect_eq "Select Current" 1 "$(hivexget "$H" '\Select' Current)"
expect_eq "Select LastKnownGood" 2 "$(hivexget "$H" '\Select' LastKnownGood)"
want='Windows Registry Editor Version 5.00

[\ControlSet002\Services\ACMEflt]
"DisplayName"=str(1):"ACME Storage Filter"
"ErrorControl"=dword:00000001
"Group"=str(1):"PnP Filter"
"ImagePath"=str(2):"System32\drivers\ACMEflt.sys"
"Start"=dword:00000000
"Type"=dword:00000001'
expect_eq "ACMEflt service key (hivexregedit)" "$want" \
	"$(hivexregedit --export --unsafe-printable-strings "$H" '\ControlSet002\Services\ACMEflt' | sed -e '/^$/N;/^\n$/D' | sed -e '${/^$/d}')"
expect_eq "disk class UpperFilters: partmgr then ACMEflt" "partmgr ACMEflt" \
	"$(hivexget "$H" '\ControlSet001\Control\Class\{4d36e967-e325-11ce-bfc1-08002be10318}' UpperFilters | sed '/^$/d' | xargs)"
expect_eq "device LowerFilters" "ACMEflt" \
	"$(hivexget "$H" '\ControlSet001\Enum\SCSI\Disk&Ven_ACME&Prod_SSD\4&1a2b3c4d&0&000000' LowerFilters | sed '/^$/d' | xargs)"
# hivexsh lists the values in the order they are stored.
vals=$(printf 'cd \\ControlSet001\\Services\\CSAgent\nlsval\n' | hivexsh "$H" | cut -d= -f1 | xargs)
expect_eq "hivexsh: CSAgent values in order" 'Type Start ErrorControl Group ImagePath' "$vals"
if [ -f "$OUT/fixtures/hives/filter-driver.hive" ]; then
	if cmp -s "$H" "$OUT/fixtures/hives/filter-driver.hive"; then ok "built fixture hive is current"
	else fail "$OUT/fixtures/hives/filter-driver.hive differs from a fresh build (make hives)"; fi
fi

# ---- refused: boot-critical without allow_boot_critical ----------------
rc=0
"$HIVEFIX" fix "$H" "$TMP/refused.hive" --file Windows/System32/drivers/ACMEflt.sys \
	>"$TMP/refused.out" 2>"$TMP/refused.err" || rc=$?
expect_eq "boot-critical filter refused: exit 4" 4 "$rc"
grep -q 'ACMEflt is an upper filter of the disk drives class' "$TMP/refused.err" &&
	grep -q 'INACCESSIBLE_BOOT_DEVICE' "$TMP/refused.err" &&
	grep -q '"allow_boot_critical": true' "$TMP/refused.err" &&
	ok "refusal says why and what allows it" || fail "refusal message: $(cat "$TMP/refused.err")"
[ ! -e "$TMP/refused.hive" ] && ok "refused: nothing written" || fail "refused, but a hive was written"

# ---- fixed: exactly the expected values changed --------------------------
"$HIVEFIX" fix "$H" "$TMP/fixed.hive" --file Windows/System32/drivers/ACMEflt.sys \
	--allow-boot-critical --changes "$TMP/changes.json" >"$TMP/report.json" 2>"$TMP/fix.err" ||
	fail "hivefix fix: $(cat "$TMP/fix.err")"
export_all "$H" >"$TMP/before.reg"
export_all "$TMP/fixed.hive" >"$TMP/after.reg"
diff "$TMP/before.reg" "$TMP/after.reg" | grep '^[<>]' | sort >"$TMP/diff" || true
cat >"$TMP/want" <<'EOF'
< "LowerFilters"=hex(7):41,00,43,00,4d,00,45,00,66,00,6c,00,74,00,00,00,00,00
< "LowerFilters"=hex(7):41,00,43,00,4d,00,45,00,66,00,6c,00,74,00,00,00,00,00
< "Start"=dword:00000000
< "Start"=dword:00000000
< "UpperFilters"=hex(7):70,00,61,00,72,00,74,00,6d,00,67,00,72,00,00,00,41,00,43,00,4d,00,45,00,66,00,6c,00,74,00,00,00,00,00
< "UpperFilters"=hex(7):70,00,61,00,72,00,74,00,6d,00,67,00,72,00,00,00,41,00,43,00,4d,00,45,00,66,00,6c,00,74,00,00,00,00,00
> "LowerFilters"=hex(7):00,00
> "LowerFilters"=hex(7):00,00
> "Start"=dword:00000004
> "Start"=dword:00000004
> "UpperFilters"=hex(7):70,00,61,00,72,00,74,00,6d,00,67,00,72,00,00,00,00,00
> "UpperFilters"=hex(7):70,00,61,00,72,00,74,00,6d,00,67,00,72,00,00,00,00,00
EOF
if cmp -s "$TMP/want" "$TMP/diff"; then
	ok "export differs in exactly the six expected values"
else
	fail "export difference:"; diff "$TMP/want" "$TMP/diff" || true
fi
for cs in 1 2; do
	expect_eq "ControlSet00$cs ACMEflt Start" 4 "$(hivexget "$TMP/fixed.hive" "\\ControlSet00$cs\\Services\\ACMEflt" Start)"
	expect_eq "ControlSet00$cs partmgr Start" 0 "$(hivexget "$TMP/fixed.hive" "\\ControlSet00$cs\\Services\\partmgr" Start)"
	expect_eq "ControlSet00$cs UpperFilters keeps partmgr" partmgr \
		"$(hivexget "$TMP/fixed.hive" "\\ControlSet00$cs\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}" UpperFilters | sed '/^$/d' | xargs)"
done
# The emptied LowerFilters stays, as REG_MULTI_SZ (type 7) with one NUL.
expect_eq "emptied LowerFilters kept as an empty REG_MULTI_SZ" '"LowerFilters"=hex(7):00,00' \
	"$(hivexregedit --export "$TMP/fixed.hive" '\ControlSet002\Enum\SCSI\Disk&Ven_ACME&Prod_SSD\4&1a2b3c4d&0&000000' | grep LowerFilters)"
hivexml "$TMP/fixed.hive" >/dev/null && ok "hivexml reads the fixed hive" || fail "hivexml cannot read the fixed hive"
# libhivex can still write the fixed hive (its structure is intact).
printf 'cd \\ControlSet001\\Services\\ACMEflt\nsetval 1\nComment\nstring:checked\ncommit %s\n' "$TMP/rewritten.hive" |
	hivexsh -w "$TMP/fixed.hive" && [ "$(hivexget "$TMP/rewritten.hive" '\ControlSet001\Services\ACMEflt' Comment)" = checked ] &&
	ok "hivexsh -w edits the fixed hive" || fail "hivexsh -w cannot edit the fixed hive"
expect_eq "report lists six changes" 6 "$(grep -c '"control_set"' "$TMP/report.json")"
grep -q '"old": 0' "$TMP/report.json" && grep -q '"new": 4' "$TMP/report.json" &&
	ok "report has old and new" || fail "report: $(cat "$TMP/report.json")"
# Base block: both sequence numbers one higher than the original's.
seq() { od -An -tu4 -j "$2" -N4 "$1" | xargs; }
expect_eq "sequence numbers equal after the edit" "$(seq "$TMP/fixed.hive" 4)" "$(seq "$TMP/fixed.hive" 8)"
expect_eq "sequence number one higher" "$(( $(seq "$H" 4) + 1 ))" "$(seq "$TMP/fixed.hive" 4)"

# ---- undo: the export as it was ----------------------------------------------
"$HIVEFIX" undo "$TMP/fixed.hive" "$TMP/undone.hive" "$TMP/changes.json" >"$TMP/undo.json" 2>"$TMP/undo.err" ||
	fail "hivefix undo: $(cat "$TMP/undo.err")"
export_all "$TMP/undone.hive" >"$TMP/undone.reg"
if cmp -s "$TMP/before.reg" "$TMP/undone.reg"; then ok "undo: export identical to the original"
else fail "undo: export differs"; diff "$TMP/before.reg" "$TMP/undone.reg" || true; fi
expect_eq "undo: six values set back" 6 "$(grep -c '"result": "set back"' "$TMP/undo.json")"

# ---- a registry-only rule ---------------------------------------------------------
"$HIVEFIX" fix "$H" "$TMP/rf.hive" --remove-filter fvevol --allow-boot-critical >/dev/null 2>"$TMP/rf.err" ||
	fail "remove-filter: $(cat "$TMP/rf.err")"
expect_eq "remove_filter: Volume LowerFilters emptied" '"LowerFilters"=hex(7):00,00' \
	"$(hivexregedit --export "$TMP/rf.hive" '\ControlSet001\Control\Class\{71a27cdd-812a-11d0-bec7-08002be2e9ba}' | grep LowerFilters)"
expect_eq "remove_filter: fvevol not disabled" 0 "$(hivexget "$TMP/rf.hive" '\ControlSet001\Services\fvevol' Start)"

# ---- a dirty hive ---------------------------------------------------------------------
{ echo "sequence 9 8"; cat "$DESC"; } >"$TMP/dirty.txt"
"$MKHIVE" "$TMP/dirty.txt" "$TMP/dirty.hive"
expect_eq "dirty hive: sequence numbers differ" "9 8" "$(seq "$TMP/dirty.hive" 4) $(seq "$TMP/dirty.hive" 8)"
rc=0
"$HIVEFIX" fix "$TMP/dirty.hive" "$TMP/dirty-fixed.hive" --file Windows/System32/drivers/ACMEflt.sys \
	--allow-boot-critical >/dev/null 2>"$TMP/dirty.err" || rc=$?
expect_eq "dirty hive refused: exit 4" 4 "$rc"
grep -q 'SYSTEM hive is dirty (its sequence numbers differ (9 and 8) and no transaction log can be replayed: SYSTEM has no transaction log' "$TMP/dirty.err" &&
	ok "dirty refusal says why" || fail "dirty message: $(cat "$TMP/dirty.err")"
# Channel files are no service: nothing to refuse on a dirty hive either.
rc=0
"$HIVEFIX" fix "$TMP/dirty.hive" "$TMP/dirty-cs.hive" \
	--file Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys >"$TMP/cs.json" 2>/dev/null || rc=$?
expect_eq "dirty hive, no registry work: goes ahead" 0 "$rc"
expect_eq "dirty hive, no registry work: no change" "[]" "$(tr -d ' \n' <"$TMP/cs.json")"

# ---- builder errors -------------------------------------------------------------------
printf 'value Select Current dword 1\nvalue Select Default qword\n' >"$TMP/bad.txt"
rc=0
"$MKHIVE" "$TMP/bad.txt" "$TMP/bad.hive" 2>"$TMP/bad.err" || rc=$?
expect_eq "mkhive: bad description exits 1" 1 "$rc"
grep -q "bad.txt:2: qword needs one unsigned number" "$TMP/bad.err" && ok "mkhive names the line" ||
	fail "mkhive message: $(cat "$TMP/bad.err")"
[ ! -e "$TMP/bad.hive" ] && ok "mkhive: no partial hive left" || fail "mkhive left $TMP/bad.hive"

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all registry checks passed"
