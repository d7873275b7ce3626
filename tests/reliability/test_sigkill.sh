#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plain CLI killed with SIGKILL at random points of real fix runs,
# many times: the next fix must complete, the faulty file end in the
# quarantine with its bytes, nothing else change, ntfsfix -n stay clean.
. tests/host/lib.sh
ROUNDS=${ROUNDS:-40}
SRC=$(fixture crowdstrike)
p0=$(part "$SRC" 3)
bad_sha=$(ntfscat -f "$p0" "/$BAD" | sha256sum | cut -d' ' -f1)
good_sha=$(ntfscat -f "$p0" "/$GOOD" | sha256sum | cut -d' ' -f1)
# How long a full fix takes here, to spread the kills over it.
cp --sparse=always "$SRC" "$T/w.img"
t0=$(date +%s%N); $LG fix --denylist $DL --trust $TRUST --quiet "$T/w.img" >/dev/null 2>&1; t1=$(date +%s%N)
span_us=$(( (t1 - t0) / 1000 ))
echo "a full fix takes ${span_us} us here"
killed=0 held=0
for i in $(seq 1 "$ROUNDS"); do
	cp --sparse=always "$SRC" "$T/w.img"
	delay_us=$(( (RANDOM * 32768 + RANDOM) % (span_us + 1) ))
	$LG fix --denylist $DL --trust $TRUST --quiet "$T/w.img" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%06d' "$delay_us")"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null || true
	if ! $LG fix --denylist $DL --trust $TRUST --json --quiet "$T/w.img" > "$T/after.json" 2>"$T/err"; then
		bad "round $i (kill after ${delay_us} us): the next fix failed: $(head -c 300 "$T/err")"
		continue
	fi
	p=$(part "$T/w.img" 3)
	q=$(ntfsls -f -R "$p" -p '/$LastGood/quarantine' 2>/dev/null | grep -c 'C-00000291-00000000-00000032.sys' || true)
	if ntfsls -f "$p" -p /Windows/System32/drivers/CrowdStrike | grep -qx 'C-00000291-00000000-00000032.sys'; then
		bad "round $i: faulty file still in place"
	elif [ "$q" != 1 ]; then
		bad "round $i: faulty file found $q times in the quarantine"
	elif [ "$(ntfscat -f "$p" "/$GOOD" | sha256sum | cut -d' ' -f1)" != "$good_sha" ]; then
		bad "round $i: good file changed"
	elif ! ntfsfix -n "$p" >/dev/null 2>&1; then
		bad "round $i: ntfsfix -n reports a problem"
	else
		held=$((held + 1))
	fi
	rm -f "$p"
done
echo "SUMMARY: $ROUNDS SIGKILL rounds ($killed killed mid-run), $held held"
[ "$held" = "$ROUNDS" ] && ok "every kill round held" || bad "$((ROUNDS - held)) rounds failed"
finish
