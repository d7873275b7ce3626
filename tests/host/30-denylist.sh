#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# lastgood denylist verify|show, as an incident team uses them: lists signed
# with the real minisign tool (both formats) pass; tampered, unsigned,
# wrong-key, expired and malformed lists are refused with exit 5 and a
# message that says why. The complete example of docs/denylist.md, signed
# as the doc says, verifies.
set -eu

LG=${LG:-${OUT:-out}/lastgood}
[ -x "$LG" ] || { echo "no $LG: run make first"; exit 1; }
if ! command -v minisign >/dev/null 2>&1; then
	echo "SKIP: the minisign tool is not installed"
	exit 77
fi

T=$(mktemp -d /tmp/lg-host-denylist.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

# run NAME EXPECTED_RC [NEEDLE...] -- CMD...: run CMD, check its exit code
# and that its output (stdout and stderr) contains each needle.
run() {
	name=$1 want=$2
	shift 2
	needles=""
	while [ "$1" != "--" ]; do
		needles="$needles$1
"
		shift
	done
	shift
	rc=0
	"$@" >"$T/out" 2>&1 || rc=$?
	ok=1
	[ "$rc" -eq "$want" ] || ok=0
	while IFS= read -r n; do
		[ -z "$n" ] && continue
		grep -qF -- "$n" "$T/out" || { ok=0; echo "  missing: $n"; }
	done <<EOF
$needles
EOF
	if [ $ok = 1 ]; then
		echo "ok   $name"
	else
		echo "FAIL $name (exit $rc, wanted $want)"
		sed 's/^/    | /' "$T/out"
		fails=$((fails + 1))
	fi
}

# --- the shipped example, with the committed test key ----------------------
run "example verifies with the test key" 0 "OK: docs/examples/crowdstrike-2024-07-19.json" \
	"signed by key 3F82D16FB51C968A (tests/fixtures/keys/test.pub)" -- \
	"$LG" denylist verify --trust tests/fixtures/keys/test.pub docs/examples/crowdstrike-2024-07-19.json
run "example shows its rule on one line" 0 "serial     1" "expires    2036-07-19T00:00:00Z" \
	"cs-channel-291-bad   quarantine Windows/System32/drivers/CrowdStrike/C-00000291*.sys  header@0=aaaaaaaa01002301  modified=[2024-07-19T04:09:00Z, 2024-07-19T05:27:00Z)" -- \
	"$LG" denylist show --trust tests/fixtures/keys/test.pub docs/examples/crowdstrike-2024-07-19.json

# --- keys made here, lists signed by minisign ----------------------------------
(cd "$T" && minisign -G -W -p a.pub -s a.key >/dev/null && minisign -G -W -p b.pub -s b.key >/dev/null)
ida=$(printf '%016X' "0x$(sed -n 's/.*public key //p' "$T/a.pub")")
idb=$(printf '%016X' "0x$(sed -n 's/.*public key //p' "$T/b.pub")")

cat >"$T/list.json" <<'EOF'
{
  "schema": 1,
  "serial": 12,
  "issued": "2024-07-19T07:00:00Z",
  "expires": "2099-01-01T00:00:00Z",
  "publisher": "Host test team",
  "rules": [
    { "id": "one", "path": "Windows/System32/drivers/one.sys" },
    { "id": "two", "path": "Windows\\System32\\drivers\\t*.sys", "header": "4D5A" }
  ]
}
EOF
minisign -S -s "$T/a.key" -m "$T/list.json" -t 'host test serial 12' >/dev/null
run "prehashed (ED) signature verifies" 0 "OK: $T/list.json" "signed by key $ida" \
	"trusted comment: host test serial 12" "serial 12" "2 rules" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/list.json"
sha=$(sha256sum "$T/list.json" | cut -d' ' -f1)
run "verify prints the file's SHA-256" 0 "sha256 $sha" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/list.json"

cp "$T/list.json" "$T/legacy.json"
minisign -S -l -s "$T/a.key" -m "$T/legacy.json" -t 'legacy' >/dev/null
head -2 "$T/legacy.json.minisig" | tail -1 | grep -q '^RW' || { echo "FAIL legacy signature is not Ed"; fails=$((fails + 1)); }
run "legacy (Ed) signature verifies" 0 "OK:" "trusted comment: legacy" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/legacy.json"

run "several trusted keys, the signer among them" 0 "signed by key $ida ($T/a.pub)" -- \
	"$LG" denylist verify --trust "$T/b.pub" --trust "$T/a.pub" "$T/list.json"

# --- refusals ----------------------------------------------------------------
sed 's/"serial": 12/"serial": 13/' "$T/list.json" >"$T/tampered.json"
cp "$T/list.json.minisig" "$T/tampered.json.minisig"
run "a changed file is refused" 5 "REFUSED:" "bad signature: the file does not match its signature" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/tampered.json"

cp "$T/list.json" "$T/tc.json"
sed 's/^trusted comment: host test serial 12$/trusted comment: host test serial 99/' "$T/list.json.minisig" >"$T/tc.json.minisig"
if cmp -s "$T/list.json.minisig" "$T/tc.json.minisig"; then
	echo "FAIL the trusted comment was not changed"; fails=$((fails + 1))
fi
run "a changed trusted comment is refused" 5 "bad signature: the trusted comment does not match its signature" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/tc.json"

# one character of the signature line changed (A<->B keeps it valid base64)
cp "$T/list.json" "$T/sig.json"
awk 'NR == 2 { c = substr($0, 60, 1); r = (c == "A") ? "B" : "A"; $0 = substr($0, 1, 59) r substr($0, 61) } { print }' \
	"$T/list.json.minisig" >"$T/sig.json.minisig"
run "a changed signature is refused" 5 "bad signature:" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/sig.json"

cp "$T/list.json" "$T/unsigned.json"
run "an unsigned list is refused" 5 "REFUSED: no signature: $T/unsigned.json.minisig does not exist" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/unsigned.json"

run "a list signed by another key is refused, both ids named" 5 \
	"unknown key: signed with key ID $ida, which is not a trusted key (trusted: $idb)" -- \
	"$LG" denylist verify --trust "$T/b.pub" "$T/list.json"

run "--sig names another signature file" 0 "OK:" -- \
	"$LG" denylist verify --trust "$T/a.pub" --sig "$T/list.json.minisig" "$T/unsigned.json"

cat >"$T/old.json" <<'EOF'
{"schema": 1, "serial": 3, "issued": "2024-07-19T07:00:00Z", "expires": "2024-07-26T07:00:00Z",
 "publisher": "Host test team", "rules": []}
EOF
minisign -S -s "$T/a.key" -m "$T/old.json" >/dev/null
run "an expired list is refused with both dates" 5 \
	"expired: serial 3 expired at 2024-07-26T07:00:00Z and the time now is" "get a newer list from Host test team" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/old.json"
run "--now inside the validity passes, with a warning" 0 "OK:" "warning: expiry checked against --now 2024-07-20T00:00:00Z" -- \
	"$LG" denylist verify --trust "$T/a.pub" --now 2024-07-20T00:00:00Z "$T/old.json"
run "--now @unix works" 0 "OK:" -- \
	"$LG" denylist verify --trust "$T/a.pub" --now @1721433600 "$T/old.json"
run "--now at expires is refused" 5 "the time now is 2024-07-26T07:00:00Z" -- \
	"$LG" denylist verify --trust "$T/a.pub" --now 2024-07-26T07:00:00Z "$T/old.json"
run "a clock behind issued warns but accepts" 0 "OK:" "the clock is probably behind" -- \
	"$LG" denylist verify --trust "$T/a.pub" --now 2010-01-01T00:00:00Z "$T/old.json"
run "a bad --now is a usage error" 2 "--now wants" -- \
	"$LG" denylist verify --trust "$T/a.pub" --now yesterday "$T/old.json"

cat >"$T/schema.json" <<'EOF'
{
  "schema": 1,
  "serial": 12,
  "issued": "2024-07-19T07:00:00Z",
  "expires": "2099-01-01T00:00:00Z",
  "publisher": "Host test team",
  "rules": [
    { "id": "one", "path": "Windows/System32/drivers/one.sys", "sha": [] }
  ]
}
EOF
minisign -S -s "$T/a.key" -m "$T/schema.json" >/dev/null
run "a signed list with a schema error is refused at its line and column" 5 \
	"line 8, column 64: rules[0].sha: unknown field" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/schema.json"
printf '{"schema": 1,\n "schema": 1}\n' >"$T/dup.json"
minisign -S -s "$T/a.key" -m "$T/dup.json" >/dev/null
run "duplicate keys are refused" 5 "line 2, column 9: JSON syntax: duplicate object key" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/dup.json"
{ cat "$T/list.json"; echo '{}'; } >"$T/trailing.json"
minisign -S -s "$T/a.key" -m "$T/trailing.json" >/dev/null
run "trailing text is refused" 5 "JSON syntax: end of file expected" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/trailing.json"

head -c 16777217 /dev/zero >"$T/big.json"
cp "$T/list.json.minisig" "$T/big.json.minisig"
run "a list over 16 MiB is refused" 5 "larger than the 16 MiB limit" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/big.json"

# --- where trusted keys come from ----------------------------------------------
mkdir "$T/trust" "$T/empty"
cp "$T/a.pub" "$T/trust/team.pub"
run "keys from \$LASTGOOD_TRUST_DIR" 0 "signed by key $ida ($T/trust/team.pub)" -- \
	env LASTGOOD_TRUST_DIR="$T/trust" "$LG" denylist verify "$T/list.json"
run "no trusted key configured" 5 "REFUSED: no trusted key is configured: no *.pub file in $T/empty" -- \
	env LASTGOOD_TRUST_DIR="$T/empty" "$LG" denylist verify "$T/list.json"
run "--trust wins over the directory" 5 "unknown key" -- \
	env LASTGOOD_TRUST_DIR="$T/trust" "$LG" denylist verify --trust "$T/b.pub" "$T/list.json"
echo "not a key" >"$T/bad.pub"
run "a trusted key file that is not a key" 5 "trusted public key $T/bad.pub" -- \
	"$LG" denylist verify --trust "$T/bad.pub" "$T/list.json"

# --- show ----------------------------------------------------------------------------
run "show an unsigned draft: summary printed, verdict refused" 5 "verdict    REFUSED: no signature" \
	"serial     12" "publisher  Host test team" "rules      2" \
	"  one                  quarantine Windows/System32/drivers/one.sys" \
	"  two                  quarantine Windows/System32/drivers/t*.sys  header@0=4d5a" -- \
	"$LG" denylist show --trust "$T/a.pub" "$T/unsigned.json"
run "show a schema error" 5 "line 8, column 64: rules[0].sha: unknown field" -- \
	"$LG" denylist show "$T/schema.json"
run "show marks an expired list" 5 "(EXPIRED)" "verdict    REFUSED: " -- \
	"$LG" denylist show --trust "$T/a.pub" "$T/old.json"

# --- usage ---------------------------------------------------------------------------
run "no action" 2 "usage: lastgood denylist verify" -- "$LG" denylist
run "unknown action" 2 "unknown action 'frobnicate'" -- "$LG" denylist frobnicate x
run "no file" 2 "expected exactly one FILE" -- "$LG" denylist verify --trust "$T/a.pub"
run "help" 0 "--now TIME" -- "$LG" denylist --help

# --- the complete example of docs/denylist.md, signed as the doc says ------------
awk '/^<!-- complete-example/ { on = 1; next } on && /^```json/ { inblock = 1; next }
     inblock && /^```/ { exit } inblock { print }' docs/denylist.md >"$T/doc.json"
[ -s "$T/doc.json" ] || { echo "FAIL no complete example found in docs/denylist.md"; fails=$((fails + 1)); }
minisign -S -s "$T/a.key" -m "$T/doc.json" -t 'INC-1234 serial 7 by alice' >/dev/null
run "the doc's complete example verifies (with --now inside its week)" 0 "OK:" "3 rules" -- \
	"$LG" denylist verify --trust "$T/a.pub" --now 2024-07-20T00:00:00Z "$T/doc.json"
run "the doc's complete example has expired since, as its advice says" 5 "expired:" -- \
	"$LG" denylist verify --trust "$T/a.pub" "$T/doc.json"

if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
echo "all passed"
