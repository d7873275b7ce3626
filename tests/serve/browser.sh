#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fleet page in a real browser: Debian's headless Chromium (driven over
# the DevTools protocol by tests/serve/fleet-page.mjs) opens the page of a
# server fed with reports and the test checks what it renders: the counts,
# a locked machine's key ID, a crash group, then that the page updates
# itself when another report arrives. The screenshot is kept at
# $OUT/serve/fleet-page.png for a person to look at.
. tests/host/lib.sh
. tests/host/serve-lib.sh
CHROME=$(command -v chromium || true)
[ -n "$CHROME" ] || { echo "SKIP: chromium is not installed (build/install-deps)"; exit 77; }
need node
SHOT=$OUT/serve/fleet-page.png
mkdir -p "$OUT/serve"
rm -f "$SHOT"

make_certs "$T"
make_tree "$T/root"
make_keys "$T/keys.csv" 3
start_server page --root "$T/root" --keys "$T/keys.csv" --db "$T/fleet.sqlite" --canary 2
[ "$PORT" != 0 ] || { bad "server did not start"; finish; }
post() { c -X POST -H 'Content-Type: application/json' --data-binary "@$1" "$URL/v1/reports"; }
for n in 1 2 3 4; do c "$URL/v1/plan/$(uuid "$n")" >/dev/null; done
report 1 "$(run_id 1)" fixed fix '.crashes = [{"bugcheck": 80, "driver": "csagent.sys"}]' >"$T/r1.json"
report 2 "$(run_id 2)" fixed fix '.crashes = [{"bugcheck": 80, "driver": "csagent.sys"}]' >"$T/r2.json"
report 3 "$(run_id 3)" locked scan '.keys_needed = ["4381F759"] | .machine.computer_name = "<img src=x onerror=alert(1)>"' >"$T/r3.json"
report 5 "$(run_id 5)" failed fix '.crashes = [{"bugcheck": "0x0000007E", "driver": "acmeio.sys"}]' >"$T/r5.json"
for r in r1 r2 r3 r5; do same "$(post "$T/$r.json")" 201 "report $r stored"; done
c "$URL/v1/keys/$(guid 1)" >/dev/null
report 4 "$(run_id 4)" fixed >"$T/r4.json"

SPKI=$(openssl x509 -in "$T/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
rc=0
NODE_EXTRA_CA_CERTS="$T/ca.pem" timeout 120 node tests/serve/fleet-page.mjs "$CHROME" "$URL/" "$TOKEN" \
	"$T/chrome" "$SPKI" "$SHOT" "$T/r4.json" >"$T/dom.json" 2>"$T/node.err" || rc=$?
same "$rc" 0 "Chromium loaded the fleet page"
[ "$rc" = 0 ] || { sed 's/^/    /' "$T/node.err" | tail -5; finish; }
b() { jq -c ".before$1" "$T/dom.json"; }
same "$(b .title)" '"lastgood fleet"' "the page's title"
same "$(b '.counts | [.fixed, .locked, .failed, ."not-reported"]')" "[2,1,1,1]" \
	"counts in the DOM: 2 fixed, 1 locked, 1 failed, 1 not yet reported (asked for its plan only)"
same "$(b '.rows[] | select(.outcome == "locked: key needed") | .key_id')" '"4381F759"' "the locked machine's key ID is shown"
same "$(b '.rows[] | select(.outcome == "locked: key needed") | .name')" '"<img src=x onerror=alert(1)>"' \
	"a hostile computer name is shown as text"
same "$(b '.crash_groups[0]')" '["0x00000050 csagent.sys",2]' "crash group: 0x00000050 csagent.sys on 2 machines"
same "$(b '.crash_groups[1]')" '["0x0000007E acmeio.sys",1]' "second crash group"
b .state | grep -q 'mode: canary' && ok "the state line shows the canary mode: $(b .state)" || bad "state: $(b .state)"
same "$(jq .post_status "$T/dom.json")" 201 "a report arrives while the page is open"
same "$(jq -c '.after.counts | [.fixed, ."not-reported"]' "$T/dom.json")" "[3,0]" \
	"the page updated itself: 3 fixed, none waiting"
[ -s "$SHOT" ] && [ "$(head -c 8 "$SHOT" | xxd -p)" = 89504e470d0a1a0a ] && ok "screenshot kept: $SHOT" \
	|| bad "no PNG screenshot at $SHOT"
echo "SUMMARY: fleet page screenshot: $SHOT"
stop_server
finish
