# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the host tests of the engine (sourced, not run).
# Every check prints "ok: ..." or "FAIL: ..."; finish() exits 1 on any
# failure. Volumes are checked with ntfs-3g's own tools on a copy of the
# partition, not with lastgood's reader alone.
set -eu
OUT=${OUT:-out}
LG=${LG:-$OUT/lastgood}
export PATH="$PATH:/usr/sbin:/sbin"
DL=docs/examples/crowdstrike-2024-07-19.json
TRUST=tests/fixtures/keys/test.pub
BAD='Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys'
GOOD='Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000033.sys'

T=$(mktemp -d "${TMPDIR:-/tmp}/lg-host.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
finish() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (build/install-deps)"; exit 77; }
	done
}
need jq ntfsls ntfscat ntfsinfo ntfsfix partx sha256sum
# expect_rc WANT DESCRIPTION COMMAND...: run, keep stdout in $T/out, stderr in $T/err
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else
		bad "$what: exit $rc, expected $want"; sed 's/^/    /' "$T/err" | head -20; fi
}
# contains FILE TEXT DESCRIPTION
contains() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $(basename "$1")"; sed 's/^/    /' "$1" | head -10; fi
}
same() { if [ "$1" = "$2" ]; then ok "$3"; else bad "$3: '$1' != '$2'"; fi; }
differ() { if [ "$1" != "$2" ]; then ok "$3"; else bad "$3: both '$1'"; fi; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# fixture NAME: a fresh copy of out/fixtures/NAME.img in $T, path on stdout
fixture() {
	local src=$OUT/fixtures/$1.img
	[ -f "$src" ] || { echo "SKIP: $src is not built (make fixtures)"; exit 77; }
	cp --sparse=always "$src" "$T/$1.img"
	echo "$T/$1.img"
}
# part IMG N: copy partition N out of IMG for ntfs-3g's tools; path on stdout
part() {
	local start size
	read -r start size <<EOF2
$(partx -g -o START,SECTORS -n "$2" "$1")
EOF2
	dd if="$1" of="$1.p$2" bs=512 skip="$start" count="$size" status=none conv=sparse
	echo "$1.p$2"
}
# ls_has PART DIR NAME: NAME is listed in DIR by ntfsls
ls_has() { ntfsls -f "$1" -p "/$2" 2>/dev/null | grep -qxF -- "$3"; }
