#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What `make image TRUST=... DENYLIST=...` bakes in (media/stage-trust.sh):
# a list that verifies against the given key is staged with the key; a
# list signed by another key, or changed after signing, stops the build
# with the reason and stages nothing; without TRUST/DENYLIST a demo key is
# made once (kept across builds) and signs the example list, reproducibly.
set -eu
OUT=${OUT:-out}
LG=${LG:-$OUT/lastgood}
EXAMPLE=docs/examples/crowdstrike-2024-07-19.json
TESTKEY=tests/fixtures/keys/test.pub
[ -x "$LG" ] || { echo "FAIL: $LG missing (make)"; exit 1; }
command -v minisign >/dev/null || { echo "FAIL: minisign missing (build/packages.txt)"; exit 1; }
[ -f "$EXAMPLE.minisig" ] || { echo "FAIL: $EXAMPLE.minisig missing"; exit 1; }
W=$(mktemp -d /tmp/lg-stage.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. Given key and list that verify: staged as given, no demo marker.
media/stage-trust.sh "$W/ok" "$LG" "$EXAMPLE" "$TESTKEY" "$EXAMPLE" >"$W/ok.log" 2>&1 ||
	{ cat "$W/ok.log"; fail "a list signed by the given key was refused"; }
cmp -s "$W/ok/denylist.json" "$EXAMPLE" || fail "staged list differs from the given one"
cmp -s "$W/ok/denylist.json.minisig" "$EXAMPLE.minisig" || fail "staged signature differs"
cmp -s "$W/ok/trusted/test.pub" "$TESTKEY" || fail "the given key was not staged"
[ ! -e "$W/ok/DEMO" ] || fail "a given key was marked as a demo key"

# 2. A key that did not sign the list: refused, with the reason, nothing staged.
minisign -G -W -p "$W/other.pub" -s "$W/other.key" >/dev/null
if media/stage-trust.sh "$W/bad" "$LG" "$EXAMPLE" "$W/other.pub" "$EXAMPLE" >"$W/bad.log" 2>&1; then
	fail "a list signed by another key was accepted"
fi
grep -q "refusing to build: $EXAMPLE does not verify against TRUST=$W/other.pub" "$W/bad.log" ||
	{ cat "$W/bad.log"; fail "no reason given for the refusal"; }
grep -q "not a trusted key" "$W/bad.log" || fail "the verifier's reason is not shown"
[ ! -e "$W/bad/denylist.json" ] && [ -z "$(ls "$W/bad/trusted")" ] || fail "something was staged after a refusal"

# 3. A list changed after signing: refused.
sed 's/"serial": 1/"serial": 9/' "$EXAMPLE" >"$W/changed.json"
cp "$EXAMPLE.minisig" "$W/changed.json.minisig"
if media/stage-trust.sh "$W/chg" "$LG" "$EXAMPLE" "$TESTKEY" "$W/changed.json" >"$W/chg.log" 2>&1; then
	fail "a list changed after signing was accepted"
fi
grep -q "refusing to build" "$W/chg.log" || fail "no refusal message for a changed list"

# 4. Only one of TRUST and DENYLIST: refused.
if media/stage-trust.sh "$W/half" "$LG" "$EXAMPLE" "$TESTKEY" "" >"$W/half.log" 2>&1; then
	fail "TRUST without DENYLIST was accepted"
fi
grep -q "give both TRUST=key.pub and DENYLIST=list.json" "$W/half.log" || fail "no message for TRUST without DENYLIST"

# 5. Demo: a key made once, the example signed with it, verifiable by
# minisign itself, the same signature on a second build.
media/stage-trust.sh "$W/demo" "$LG" "$EXAMPLE" >"$W/demo.log" 2>&1 || { cat "$W/demo.log"; fail "demo staging failed"; }
[ -f "$W/demo/DEMO" ] || fail "no demo marker"
grep -q "made a DEMO key" "$W/demo.log" || fail "the demo key was not announced"
minisign -V -q -p "$W/demo/trusted/demo.pub" -m "$W/demo/denylist.json" -x "$W/demo/denylist.json.minisig" ||
	fail "minisign does not verify the demo-signed list"
grep -q "DEMO" "$W/demo/denylist.json.minisig" || fail "the signature's comments do not say DEMO"
sig1=$(sha256sum <"$W/demo/denylist.json.minisig")
key1=$(sha256sum <"$W/demo/demo-key/demo.pub")
media/stage-trust.sh "$W/demo" "$LG" "$EXAMPLE" >"$W/demo2.log" 2>&1 || fail "second demo staging failed"
grep -q "made a DEMO key" "$W/demo2.log" && fail "the demo key was made again instead of kept"
[ "$(sha256sum <"$W/demo/demo-key/demo.pub")" = "$key1" ] || fail "the demo key changed"
[ "$(sha256sum <"$W/demo/denylist.json.minisig")" = "$sig1" ] || fail "the demo signature is not reproducible"
echo PASS
