#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The static fleet alternative end to end on this host: `lastgood keys
# export --tree` writes the key files docs/fleet-api.md specifies (bytes
# checked), nginx serves that tree over TLS on loopback, and the recovery
# image's client (recovery/net/, driven by out/tests/net/fleetget) fetches
# keys by protector ID (recovery password and .BEK), a 404, a 429 with
# Retry-After, the plan, the deny-list, and POSTs a report into a sink
# (nginx keeps the body). A server whose certificate is not from the
# built-in CA, a server that is down and one that answers 503 are each
# refused or given up on in bounded time with their own message. No
# recovery password appears in any output.
. tests/host/lib.sh
need nginx openssl cmp
FG=$OUT/tests/net/fleetget
[ -x "$FG" ] || { echo "SKIP: $FG is not built (make $FG)"; exit 77; }

RP1=471207-278498-422125-177177-561902-537405-468006-432025
RP2=000011-000022-000033-000044-000055-000066-000077-000088
ID1=9C1D2E3F-4A5B-4C6D-8E7F-0A1B2C3D4E5F
ID2=AA80A52B-9B66-47AE-B097-33F536FFBB07
BEKID=4381F759-C4F8-4DE0-BB61-FC33A831BDA5
UNKNOWN=0BADC0DE-0000-4000-8000-000000000001
BUSY=11111111-2222-4333-8444-555555555555
UUID=4c4c4544-0042-3510-8052-b4c04f564433

# ---- the key tree -----------------------------------------------------
printf 'ComputerName,KeyId,RecoveryPassword\r\nPC-0001,{%s},%s\r\nPC-0002,%s,%s\r\nPC-0003,%s,N/A\r\n' \
	"$(echo $ID1 | tr A-F a-f)" "$RP1" "$ID2" "$RP2" "$UNKNOWN" >"$T/keys.csv"
tail -c +2 tests/fuzz/corpus/fleet/key-bek >"$T/$BEKID.BEK"
expect_rc 0 "keys export --tree" "$LG" keys export --tree "$T/www" "$T/keys.csv" "$T/$BEKID.BEK"
contains "$T/out" "3 keys written to $T/www/v1/keys (2 recovery passwords, 1 startup key); 1 row without a recovery password skipped" \
	"export says what it wrote"
printf '{"protector_id": "%s", "recovery_password": "%s"}\n' "$ID1" "$RP1" >"$T/want1"
if cmp -s "$T/want1" "$T/www/v1/keys/$ID1"; then ok "key file bytes as docs/fleet-api.md says (GUID upper case, no braces)"; else
	bad "key file $ID1 differs: $(cat "$T/www/v1/keys/$ID1")"; fi
if cmp -s "$T/$BEKID.BEK" "$T/www/v1/keys/$BEKID"; then ok ".BEK bytes served as they are"; else bad ".BEK file differs"; fi
same "$(ls "$T/www/v1/keys" | LC_ALL=C sort | tr '\n' ' ')" "$BEKID $ID1 $ID2 " "one file per protector, nothing else (no list)"
same "$(stat -c %a "$T/www/v1/keys/$ID2")" 640 "key files are mode 0640"
expect_rc 1 "export of a malformed key file" "$LG" keys export --tree "$T/www2" "$T/$BEKID.BEK" tests/fixtures/keys/test.pub
[ ! -e "$T/www2/v1/keys/$BEKID" ] && ok "nothing written when a key file is refused" || bad "a key was written despite the error"
expect_rc 2 "export without --tree" "$LG" keys export "$T/keys.csv"

# the plan and the deny-list as static files
mkdir -p "$T/www/v1/plan"
printf '{"mode": "scan", "reason": "paused by alice"}\n' >"$T/www/v1/plan/$UUID"
printf '{"mode": "format-c"}\n' >"$T/www/v1/plan/00000000-0000-0000-0000-000000000000"
cp docs/examples/crowdstrike-2024-07-19.json "$T/www/v1/denylist.json"
printf 'untrusted comment: test\nRWQ=\ntrusted comment: x\nAAAA\n' >"$T/www/v1/denylist.json.minisig"

# ---- certificates: a CA, the server's certificate, a stranger CA -------
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=fleet-test-ca \
	-keyout "$T/ca.key" -out "$T/ca.pem"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout "$T/srv.key" -out "$T/srv.csr"
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san"
ossl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 -extfile "$T/san" -out "$T/srv.pem"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=stranger -keyout "$T/other.key" -out "$T/other.pem"
[ -s "$T/srv.pem" ] && [ -s "$T/other.pem" ] || { bad "openssl could not make the test certificates"; finish; }

# ---- nginx on loopback ---------------------------------------------------
mkdir -p "$T/ngx/logs" "$T/ngx/body"
start_nginx() {
	PORT=$(shuf -i 20000-45000 -n 1)
	SINK=$((PORT + 1))
	cat >"$T/ngx/nginx.conf" <<EOC
user root root;
worker_processes 1;
error_log $T/ngx/logs/error.log;
pid $T/ngx/nginx.pid;
events { worker_connections 64; }
http {
	access_log $T/ngx/logs/access.log;
	client_body_temp_path $T/ngx/body;
	proxy_temp_path $T/ngx/proxy;
	fastcgi_temp_path $T/ngx/fcgi;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	server {
		listen 127.0.0.1:$PORT ssl;
		ssl_certificate $T/srv.pem;
		ssl_certificate_key $T/srv.key;
		root $T/www;
		autoindex off;
		location /v1/keys/ { default_type application/octet-stream; }
		location = /v1/keys/$BUSY { add_header Retry-After 1 always; return 429; }
		location = /v1/reports {
			client_max_body_size 4m;
			client_body_in_file_only on;
			proxy_pass http://127.0.0.1:$SINK/sink;
		}
		location /busy/ { return 503; }
	}
	server {
		listen 127.0.0.1:$SINK;
		location /sink { return 201; }
	}
}
EOC
	nginx -p "$T/ngx" -c "$T/ngx/nginx.conf" 2>"$T/ngx/start.err"
}
for try in 1 2 3 4 5; do start_nginx && break; done
[ -s "$T/ngx/nginx.pid" ] || { bad "nginx did not start: $(cat "$T/ngx/start.err")"; finish; }
trap 'kill "$(cat "$T/ngx/nginx.pid" 2>/dev/null)" 2>/dev/null || true; sleep 0.2; rm -rf "$T"' EXIT
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
S=https://127.0.0.1:$PORT

# ---- keys by protector ID ------------------------------------------------
sha_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
expect_rc 0 "key $ID1 fetched" "$FG" "$S" "$T/ca.pem" key "$ID1"
same "$(cat "$T/out")" "recovery-password $(echo $ID1 | tr A-F a-f) $(sha_of "$RP1")" "the recovery password arrives intact"
expect_rc 0 "key $ID2 fetched, GUID asked in lower case" "$FG" "$S/" "$T/ca.pem" key "$(echo $ID2 | tr A-F a-f)"
same "$(cut -d' ' -f3 "$T/out")" "$(sha_of "$RP2")" "the second password arrives intact"
expect_rc 0 ".BEK startup key fetched" "$FG" "$S" "$T/ca.pem" key "$BEKID"
same "$(cat "$T/out")" "startup-key $(echo $BEKID | tr A-F a-f) $(sha "$T/$BEKID.BEK")" ".BEK bytes arrive intact"
expect_rc 3 "unknown protector: 404 is 'not known'" "$FG" "$S" "$T/ca.pem" key "$UNKNOWN"
contains "$T/out" "not known" "404 said as not known"
grep -q "GET /v1/keys/$UNKNOWN " "$T/ngx/logs/access.log" && ok "asked by protector ID, upper case" || bad "no request for /v1/keys/$UNKNOWN in the access log"
t0=$(date +%s%N)
expect_rc 1 "429 twice: waits Retry-After once, then gives up" "$FG" "$S" "$T/ca.pem" key "$BUSY"
t1=$(date +%s%N)
contains "$T/err" "waiting 1 s as asked" "the wait is shown"
contains "$T/err" "HTTP 429" "the second 429 is named"
same "$(grep -c "GET /v1/keys/$BUSY " "$T/ngx/logs/access.log")" 2 "asked exactly twice"
[ $(((t1 - t0) / 1000000)) -ge 900 ] && ok "waited about Retry-After" || bad "did not wait for Retry-After"

# ---- PID 1's step: keys for the locked volumes of a Windows-made BitLocker disk
if (. tests/host/bitlk.sh) >/dev/null 2>&1; then
	. tests/host/bitlk.sh
	BL=bitlk-aes-xts-128
	BLRP=$(conf $BL RP)
	BLID=$(conf $BL RP_VMK_GUID)
	printf 'KeyId,RecoveryPassword\n%s,%s\n' "$BLID" "$BLRP" >"$T/bl.csv"
	"$LG" keys export --tree "$T/www" "$T/bl.csv" >/dev/null
	expect_rc 0 "keys fetched by the protector IDs read from the volume" "$FG" "$S" "$T/ca.pem" fetch-keys "$IMAGES/$BL.img"
	contains "$T/out" "found 1 unknown 0 failed 0 needed [] keyring 1" "the volume's recovery password came from the server"
	contains "$T/err" "key $(echo "$BLID" | cut -c1-8 | tr a-f A-F) (recovery password): from the server" "the screen line names the key ID"
	grep -q "GET /v1/keys/$(echo "$BLID" | tr a-f A-F) " "$T/ngx/logs/access.log" && ok "asked by the protector GUID on the disk" ||
		bad "no request for the volume's protector"
	if grep -qF -- "$BLRP" "$T/out" "$T/err"; then bad "the served password was printed"; else ok "the served password is not printed"; fi
	rm "$T/www/v1/keys/$(echo "$BLID" | tr a-f A-F)"
	expect_rc 0 "a volume whose key the server does not know" "$FG" "$S" "$T/ca.pem" fetch-keys "$IMAGES/$BL.img"
	contains "$T/out" "found 0 unknown 1 failed 0 needed [\"$(echo "$BLID" | cut -c1-8 | tr a-f A-F)\"]" "its recovery key ID is needed"
else
	echo "skip: no BitLocker test images: PID 1's key step not checked"
fi

# ---- trust -----------------------------------------------------------------
n_before=$(wc -l <"$T/ngx/logs/access.log")
expect_rc 1 "a server whose certificate is not from the built-in CA" "$FG" "$S" "$T/other.pem" key "$ID1"
contains "$T/err" "does not check against the built-in one" "the certificate failure is named"
same "$(wc -l <"$T/ngx/logs/access.log")" "$n_before" "no HTTP request reached the server over the unchecked connection"
expect_rc 0 "the server's own certificate built in as a pin" "$FG" "$S" "$T/srv.pem" key "$ID1"
expect_rc 1 "a certificate is good only for the names in it" "$FG" "https://localhost:$PORT" "$T/ca.pem" key "$ID1"
contains "$T/err" "does not check against the built-in one" "a name not in the certificate is refused"
expect_rc 1 "plain HTTP is refused before any connection" "$FG" "http://127.0.0.1:$PORT" "$T/ca.pem" key "$ID1"
contains "$T/err" "HTTPS only" "says HTTPS only"
expect_rc 1 "no CA given" "$FG" "$S" "$T/keys.csv" key "$ID1"
contains "$T/err" "no built-in CA or pinned certificate" "refuses to talk without a CA"

# ---- plan, deny-list -------------------------------------------------------
expect_rc 0 "plan fetched" "$FG" "$S" "$T/ca.pem" plan "$UUID"
same "$(cat "$T/out")" "mode=scan run_id= reason=paused by alice" "plan says scan and why"
expect_rc 1 "a plan asking for more than fix, scan or undo" "$FG" "$S" "$T/ca.pem" plan 00000000-0000-0000-0000-000000000000
contains "$T/err" "is not fix, scan or undo" "the unknown mode is named"
expect_rc 3 "no plan for this machine (404)" "$FG" "$S" "$T/ca.pem" plan 12345678-0000-0000-0000-000000000000
mkdir -p "$T/dl"
expect_rc 0 "deny-list fetched" "$FG" "$S" "$T/ca.pem" denylist "$T/dl"
cmp -s "$T/dl/denylist.json" docs/examples/crowdstrike-2024-07-19.json && ok "deny-list bytes intact" || bad "deny-list differs"

# ---- report ----------------------------------------------------------------
jq -n '{run_id: "20261204T170211Z-3fa2c1", mode: "fix", machine: {product_uuid: "'$UUID'"}, volumes: [], summary: {}, exit_code: 0, outcome: "fixed"}' >"$T/report.json"
expect_rc 0 "report POSTed" "$FG" "$S" "$T/ca.pem" report "$T/report.json"
contains "$T/out" "status 201" "the sink answered 201"
got=$(find "$T/ngx/body" -type f | head -n 1)
if [ -n "$got" ] && cmp -s "$got" "$T/report.json"; then ok "the server received the report byte for byte"; else bad "the report body did not arrive intact"; fi
t0=$(date +%s)
FLEET_POST_BUDGET_MS=3500 expect_rc 1 "server answering 503: retried with backoff within the budget" \
	"$FG" "$S/busy" "$T/ca.pem" report "$T/report.json"
t1=$(date +%s)
contains "$T/err" "attempt 2 in 1 s" "the retry is shown with its wait"
contains "$T/err" "attempt 3 in 2 s" "the backoff doubles"
contains "$T/out" "status 503" "the last status is given"
[ $((t1 - t0)) -le 6 ] && ok "gave up within the budget ($((t1 - t0)) s)" || bad "took $((t1 - t0)) s for a 3.5 s budget"

# ---- server down ---------------------------------------------------------
kill "$(cat "$T/ngx/nginx.pid")"
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null || break; sleep 0.1; done
t0=$(date +%s)
expect_rc 1 "server down: key" "$FG" "$S" "$T/ca.pem" key "$ID1"
contains "$T/err" "127.0.0.1" "the unreachable server is named"
FLEET_POST_BUDGET_MS=2500 expect_rc 1 "server down: report given up on" "$FG" "$S" "$T/ca.pem" report "$T/report.json"
t1=$(date +%s)
contains "$T/out" "status 0" "no status from a server that is down"
[ $((t1 - t0)) -le 6 ] && ok "bounded time with the server down ($((t1 - t0)) s)" || bad "took $((t1 - t0)) s with the server down"

# no secret in any output or log
if grep -rqF -e "$RP1" -e "$RP2" "$T/out" "$T/err" "$T/ngx/logs"; then bad "a recovery password appears in output or logs"; else
	ok "no recovery password in any output or log"; fi
finish
