#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fleet_server (issue 20): PCS simulated PCs (default 10,000), CONC at a
# time (64), each on its own new TLS connection to `lastgood serve` on the
# loopback: GET /v1/keys/<its GUID>, then POST /v1/reports with its report
# (tests/bench/fleetload.c). Baseline in the same run: nginx serving the
# same keys as static files (the `keys export --tree` layout, same bytes)
# over TLS with the same certificate, each PC making two key GETs.
# Figures: requests per second, p50/p99 latency, peak RSS of each server,
# and the reports in the database (must equal the PCs).
#
#   OUT=out PARTS=out/bench/parts tests/bench/fleet-server.sh
# Environment: FLEET_PCS, FLEET_CONC, FLEET_TIMEOUT (s, per run).
set -eu
. tests/bench/lib.sh
BENCH=fleet_server
PARTS=${PARTS:-$OUT/bench/parts}
PCS=${FLEET_PCS:-10000}
CONC=${FLEET_CONC:-64}
TMO=${FLEET_TIMEOUT:-300}
rm -f "$PARTS/$BENCH.jsonl"
LG=$OUT/lastgood
LOAD=$OUT/tests/bench/fleetload
W=$(mktemp -d /tmp/lg-bench-fleet.XXXXXX)
SRV="" NGX=""
trap '[ -z "$SRV" ] || kill -9 "$SRV" 2>/dev/null || true; [ -z "$NGX" ] || kill -9 "$NGX" 2>/dev/null || true; rm -rf "$W"' EXIT
for t in nginx openssl sqlite3 jq; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { bench_skip fleet_server_req_per_s req/s "$t is not installed"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# Certificates (as tests/host/serve-lib.sh makes them).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench-ca \
	-keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
	-keyout "$W/key.pem" -out "$W/cert.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$W/ext.cnf"
openssl x509 -req -in "$W/cert.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
	-extfile "$W/ext.cnf" -out "$W/cert.pem" 2>/dev/null

# PCS keys: keys.csv for lastgood serve, one file per GUID for nginx with
# the bytes lastgood serve answers (docs/fleet-api.md).
mkdir -p "$W/tree/v1/keys" "$W/root"
echo x >"$W/root/lastgood.efi"
awk -v n="$PCS" -v dir="$W/tree/v1/keys" 'BEGIN {
	print "ComputerName,KeyId,RecoveryPassword"
	for (s = 1; s <= n; s++) {
		g = sprintf("%08X-4587-4029-924A-%012X", s, s * 7); rp = ""
		for (i = 1; i <= 8; i++) rp = rp sprintf("%06d", ((s * 7919 + i * 104729) % 65535) * 11) (i < 8 ? "-" : "")
		printf "PC-%05d,%s,%s\n", s, g, rp
		f = dir "/" g
		printf "{\"protector_id\": \"%s\", \"recovery_password\": \"%s\"}", g, rp > f
		close(f)
	}
}' >"$W/keys.csv"
chmod -R a+rX "$W"

peak_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# cpu_s PID...: user + system CPU seconds of these processes so far
TCK=$(getconf CLK_TCK)
cpu_s() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0; done |
	awk -v t="$TCK" '{s += $1} END {printf "%.2f", s / t}'; }

# ---- lastgood serve ----------------------------------------------------------
printf 'bench-admin-token-0123456789\n' >"$W/token"
"$LG" serve --root "$W/root" --keys "$W/keys.csv" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" \
	--db "$W/fleet.sqlite" --admin-token-file "$W/token" --listen 127.0.0.1:0 --port-file "$W/port" \
	--miss-limit 100000 2>"$W/serve.log" &
SRV=$!
for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || { bench_skip fleet_server_req_per_s req/s "lastgood serve did not start: $(tail -1 "$W/serve.log")"; exit 0; }
bench_log "fleet_server: lastgood serve, $PCS PCs, $CONC at a time"
"$LOAD" --url "https://127.0.0.1:$(cat "$W/port")" --cacert "$W/ca.pem" --pcs "$PCS" --concurrency "$CONC" \
	--mode serve --timeout "$TMO" >"$W/lg.json" || true
lg_rss=$(peak_kb "$SRV") lg_cpu=$(cpu_s "$SRV")
kill -TERM "$SRV"; wait "$SRV" || true; SRV=""
stored=$(sqlite3 "$W/fleet.sqlite" 'SELECT COUNT(*) FROM reports')
served=$(sqlite3 "$W/fleet.sqlite" "SELECT COUNT(*) FROM key_log WHERE result='served'")
bench_log "fleet_server: lastgood $(cat "$W/lg.json"), rss ${lg_rss} kB, cpu ${lg_cpu} s, $stored reports stored"

# ---- nginx, the same keys as static files ---------------------------------------
for _ in 1 2 3 4 5; do
	port=$(( 20000 + RANDOM % 20000 ))
	cat >"$W/nginx.conf" <<EOF
user root;
worker_processes 2;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	ssl_session_cache off;
	ssl_session_tickets off;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $W/cert.pem;
		ssl_certificate_key $W/key.pem;
		root $W/tree;
		location /v1/keys/ { default_type application/json; }
	}
}
EOF
	"$NGINX" -c "$W/nginx.conf" -p "$W" 2>>"$W/nginx-error.log" &
	NGX=$!
	sleep 0.5
	kill -0 "$NGX" 2>/dev/null && break
	NGX=""
done
[ -n "$NGX" ] || { bench_skip fleet_server_req_per_s req/s "nginx did not start: $(tail -1 "$W/nginx-error.log")"; exit 0; }
bench_log "fleet_server: nginx baseline"
"$LOAD" --url "https://127.0.0.1:$port" --cacert "$W/ca.pem" --pcs "$PCS" --concurrency "$CONC" \
	--mode static --timeout "$TMO" >"$W/ngx.json" || true
ngx_rss=$(( $(peak_kb "$NGX") + $(for p in $(pgrep -P "$NGX"); do peak_kb "$p"; done | awk '{s += $1} END {print s + 0}') ))
ngx_cpu=$(cpu_s "$NGX" $(pgrep -P "$NGX"))
kill -TERM "$NGX"; wait "$NGX" || true; NGX=""
bench_log "fleet_server: nginx $(cat "$W/ngx.json"), rss ${ngx_rss} kB, cpu ${ngx_cpu} s"

g() { jq -r ".$2" "$W/$1.json"; }
lg_rps=$(g lg req_per_s) ngx_rps=$(g ngx req_per_s)
met_rate=$(jq -n --argjson a "$lg_rps" --argjson b "$ngx_rps" '$a >= $b / 2')
met_p99=$(jq -n --argjson a "$(g lg p99_ms)" '$a < 50')
met_db=$(jq -n --argjson a "$stored" --argjson b "$PCS" --argjson e "$(g lg errors)" '$a == $b and $e == 0')
raw=$(jq -cn --slurpfile lg "$W/lg.json" --slurpfile ngx "$W/ngx.json" '{lastgood_run: $lg[0], nginx_run: $ngx[0]}')
common="$PCS PCs, $CONC at a time, each a new TLS connection (no session reuse) with two requests on the loopback; lastgood: key GET + report POST, nginx: two key GETs of static files with the same bytes; load $(cut -d' ' -f1 /proc/loadavg)"
bench_entry fleet_server_req_per_s "$lg_rps" "$ngx_rps" req/s "$common" \
	"$(jq -cn --argjson met "$met_rate" --argjson raw "$raw" '{goal: "at least half of nginx", goal_met: $met} + $raw')"
bench_entry fleet_server_p50_ms "$(g lg p50_ms)" "$(g ngx p50_ms)" ms "per request, TLS handshake included for the first of each PC"
bench_entry fleet_server_p99_ms "$(g lg p99_ms)" "$(g ngx p99_ms)" ms "per request" \
	"$(jq -cn --argjson met "$met_p99" '{goal: "under 50 ms", goal_met: $met}')"
bench_entry fleet_server_peak_rss "$(awk -v k="$lg_rss" 'BEGIN {printf "%.1f", k / 1024}')" \
	"$(awk -v k="$ngx_rss" 'BEGIN {printf "%.1f", k / 1024}')" MiB "VmHWM; nginx: master + 2 workers"
per_pc() { awk -v c="$1" -v n="$PCS" 'BEGIN {printf "%.3f", c * 1000 / n}'; }
bench_entry fleet_server_cpu_ms_per_pc "$(per_pc "$lg_cpu")" "$(per_pc "$ngx_cpu")" ms \
	"server CPU (user + system) per PC, TLS handshake included: the machine-independent cost; the load generator took $(per_pc "$(g lg client_cpu_s)") ms a PC against lastgood, $(per_pc "$(g ngx client_cpu_s)") against nginx"
bench_entry fleet_server_reports_stored "$stored" "$PCS" reports \
	"reports in the database after SIGTERM / PCs that posted one; keys served (logged): $served" \
	"$(jq -cn --argjson met "$met_db" '{goal: "every report sent is in the database, no errors", goal_met: $met}')"
