#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A volume with no free space: fix ends with a clear error (exit 1),
# nothing is lost, any journal on the volume is consistent, ntfsfix -n
# stays clean.
. tests/host/lib.sh
MK=$OUT/tests/fixtures/mkfixture
[ -x "$MK" ] || { echo "SKIP: $MK not built"; exit 77; }
# The crowdstrike tree on a small volume, plus a filler as big as fits.
mkscen() {
	cat > "$T/full.txt" <<EOF2
time 2023-03-14T09:00:00Z
disk 48M table=gpt
part ntfs rest label=Windows
include $PWD/tests/fixtures/scenarios/windows-tree.inc
file filler.bin size=$1
EOF2
	"$MK" -D OUT="$(realpath "$OUT")" "$T/full.txt" "$T/full.img" >/dev/null 2>&1
}
lo=0 hi=$((48 * 1024))   # KiB
while [ $((hi - lo)) -gt 4 ]; do
	mid=$(((lo + hi) / 2))
	if mkscen "${mid}K"; then lo=$mid; else hi=$mid; fi
done
mkscen "${lo}K" || { bad "could not build a full volume"; finish; }
ok "volume filled (filler ${lo} KiB)"
p0=$(part "$T/full.img" 1)
bad_sha=$(ntfscat -f "$p0" "/$BAD" | sha256sum | cut -d' ' -f1)
expect_rc 1 "fix on a full volume fails cleanly" $LG fix --denylist $DL --trust $TRUST --json "$T/full.img"
contains "$T/err" "full" "message says the volume is full"
p=$(part "$T/full.img" 1)
if [ "$(ntfscat -f "$p" "/$BAD" 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$bad_sha" ]; then
	ok "faulty file still in place, bytes equal"
else
	q=$(ntfsls -f -R "$p" -p '/$LastGood/quarantine' 2>/dev/null | grep -c C-00000291-00000000-00000032.sys || true)
	[ "$q" = 1 ] && ok "faulty file in the quarantine" || bad "faulty file LOST"
fi
for j in $(ntfsls -f "$p" -p '/$LastGood/journal' 2>/dev/null | grep -v '^\.'); do
	ntfscat -f "$p" "/\$LastGood/journal/$j" | while read -r line; do echo "$line" | jq -e .type >/dev/null || exit 1; done \
		&& ok "journal $j: every line is a record" || bad "journal $j damaged"
done
ntfsfix -n "$p" >/dev/null 2>&1 && ok "ntfsfix -n after the failed fix" || bad "ntfsfix -n"
finish
