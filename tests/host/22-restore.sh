#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restore of known-good content from a bundle named in the signed list:
# tar.gz and zip bundles, the hash checked before anything moves, a bad
# or missing bundle leaves the file in place; undo puts the original back
# and sets the restored copy aside.
. tests/host/lib.sh
need minisign tar
KEY=tests/fixtures/keys/test.key
sign() { minisign -S -s $KEY -m "$1" -t "test list" >/dev/null 2>&1 </dev/null; }

# The known-good content: a new channel file with the vendor's header.
mkdir -p "$T/b/drivers"
{ printf '\xaa\xaa\xaa\xaa\x01\x00\x23\x01'; head -c 5000 /dev/zero | tr '\0' 'G'; } > "$T/b/drivers/C-291-good.sys"
good_sha=$(sha "$T/b/drivers/C-291-good.sys")
tar -C "$T/b" -czf "$T/bundle.tar.gz" drivers/C-291-good.sys
(cd "$T/b" && command -v zip >/dev/null && zip -q "$T/bundle.zip" drivers/C-291-good.sys) || true

mklist() { # NAME BUNDLE SHA
	sed -e "s|\"action\": \"quarantine\"|\"action\": \"quarantine\", \"restore\": {\"bundle\": \"$2\", \"entry\": \"drivers/C-291-good.sys\", \"sha256\": \"$3\"}|" \
		$DL > "$T/$1.json"
	sign "$T/$1.json"
}
mklist good bundle.tar.gz "$good_sha"
IMG=$(fixture crowdstrike)
p0=$(part "$IMG" 3)
bad_sha=$(ntfscat -f "$p0" "/$BAD" | sha256sum | cut -d' ' -f1)

expect_rc 0 "fix with restore from a tar.gz bundle" $LG fix --denylist "$T/good.json" --trust $TRUST --json "$IMG"
RUN=$(jq -r .run_id "$T/out")
same "$(jq -r '.volumes[0].matches[0].restore.result' "$T/out")" restored "report: restored"
same "$(jq -r '.summary.restored' "$T/out")" 1 "summary: 1 restored"
p=$(part "$IMG" 3)
same "$(ntfscat -f "$p" "/$BAD" | sha256sum | cut -d' ' -f1)" "$good_sha" "known-good content in place"
same "$(ntfscat -f "$p" "/\$LastGood/quarantine/$RUN/$BAD" | sha256sum | cut -d' ' -f1)" "$bad_sha" "faulty file in quarantine"
ntfsls -f "$p" -p /Windows/System32/drivers/CrowdStrike | grep -q '~lastgood' && bad "temporary file left behind" || ok "no temporary file left"
ntfsfix -n "$p" >/dev/null 2>&1 && ok "ntfsfix -n after restore" || bad "ntfsfix -n after restore"
fixed=$(sha "$IMG")
expect_rc 0 "second fix: the restored file does not match" $LG fix --denylist "$T/good.json" --trust $TRUST --json "$IMG"
same "$(sha "$IMG")" "$fixed" "second fix changes nothing"

expect_rc 0 "undo a run with a restore" $LG undo --run "$RUN" "$IMG"
p=$(part "$IMG" 3)
same "$(ntfscat -f "$p" "/$BAD" | sha256sum | cut -d' ' -f1)" "$bad_sha" "undo: original back"
same "$(ntfscat -f "$p" "/\$LastGood/quarantine/$RUN/undone-restores/$BAD" | sha256sum | cut -d' ' -f1)" "$good_sha" \
	"undo: restored copy set aside, not deleted"

if [ -f "$T/bundle.zip" ]; then
	mklist zip bundle.zip "$good_sha"
	IMG=$(fixture crowdstrike)
	expect_rc 0 "fix with restore from a zip bundle" $LG fix --denylist "$T/zip.json" --trust $TRUST --json "$IMG"
	same "$(ntfscat -f "$(part "$IMG" 3)" "/$BAD" | sha256sum | cut -d' ' -f1)" "$good_sha" "zip: content in place"
fi

# A bundle whose entry does not have the signed hash: nothing moves.
mklist wrong bundle.tar.gz "$(printf '%064d' 0)"
IMG=$(fixture crowdstrike)
c=$(sha "$IMG")
expect_rc 1 "bundle with the wrong hash" $LG fix --denylist "$T/wrong.json" --trust $TRUST --json "$IMG"
contains "$T/err" "sha256" "message names the hash"
same "$(jq -r '.volumes[0].matches[0].result' "$T/out")" skipped "file skipped, not quarantined"
p=$(part "$IMG" 3)
same "$(ntfscat -f "$p" "/$BAD" | sha256sum | cut -d' ' -f1)" "$bad_sha" "wrong hash: the file stays in place"

# A bundle that is not there: nothing moves, the message says where it looked.
mklist missing nothere.tar.gz "$good_sha"
IMG=$(fixture crowdstrike)
expect_rc 1 "missing bundle" $LG fix --denylist "$T/missing.json" --trust $TRUST --bundle-dir "$T/b" "$IMG"
contains "$T/err" "nothere.tar.gz not found" "message names the bundle"
contains "$T/err" "$T/b" "message says where it looked"
finish
