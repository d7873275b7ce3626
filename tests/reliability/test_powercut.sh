#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Power cuts at every write of fix, of fix with a restore, and of undo
# (tests/reliability/powercut.c does the work; this sets up the lists).
set -eu
OUT=${OUT:-out}
PC=$OUT/tests/powercut
IMG=$OUT/fixtures/crowdstrike.img
DL=docs/examples/crowdstrike-2024-07-19.json
TRUST=tests/fixtures/keys/test.pub
for f in "$PC" "$IMG"; do [ -e "$f" ] || { echo "SKIP: $f not built"; exit 77; }; done
command -v minisign >/dev/null || { echo "SKIP: minisign not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-pc.XXXXXX")
trap 'rm -rf "$T"' EXIT
rc=0
echo "== fix"
"$PC" "$IMG" $DL $TRUST || rc=1
echo "== undo"
"$PC" --undo "$IMG" $DL $TRUST || rc=1
echo "== fix with a restore from a bundle"
mkdir -p "$T/b/drivers"
{ printf '\xaa\xaa\xaa\xaa\x01\x00\x23\x01'; head -c 60000 /dev/zero | tr '\0' 'G'; } > "$T/b/drivers/good.sys"
tar -C "$T/b" -czf "$T/bundle.tar.gz" drivers/good.sys
sum=$(sha256sum "$T/b/drivers/good.sys" | cut -d' ' -f1)
sed -e "s|\"action\": \"quarantine\"|\"action\": \"quarantine\", \"restore\": {\"bundle\": \"bundle.tar.gz\", \"entry\": \"drivers/good.sys\", \"sha256\": \"$sum\"}|" $DL > "$T/r.json"
minisign -S -s tests/fixtures/keys/test.key -m "$T/r.json" -t restore >/dev/null </dev/null
"$PC" --bundle-dir "$T" --restored-sha256 "$sum" "$IMG" "$T/r.json" $TRUST || rc=1
# A dirty SYSTEM hive replayed from its log before the edit (issue 17):
# the registry step writes the recovered, edited hive; undo puts the
# original back byte for byte.
DIRTY=$OUT/fixtures/filter-driver-dirty.img
if [ -e "$DIRTY" ]; then
	cat > "$T/acme.json" <<EOF2
{ "schema": 1, "serial": 7, "issued": "2024-07-19T07:00:00Z", "expires": "2036-07-19T00:00:00Z",
  "publisher": "power cut test",
  "rules": [ { "id": "acme-filter", "path": "Windows/System32/drivers/ACMEflt.sys",
               "header": { "hex": "4D5A" }, "allow_boot_critical": true } ] }
EOF2
	minisign -S -s tests/fixtures/keys/test.key -m "$T/acme.json" -t acme >/dev/null </dev/null
	echo "== fix of a dirty hive, replayed from its log"
	"$PC" "$DIRTY" "$T/acme.json" $TRUST || rc=1
	echo "== undo of it"
	"$PC" --undo "$DIRTY" "$T/acme.json" $TRUST || rc=1
else
	echo "note: $DIRTY not built; the dirty-hive runs were skipped"
fi
exit $rc
