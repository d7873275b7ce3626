# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the `lastgood serve` tests (sourced after lib.sh): throwaway
# certificates made with openssl, a boot tree, a keys.csv, reports, and a
# server on the loopback on a port of its choosing. Everything talks to
# 127.0.0.x only.
need curl openssl sqlite3
SERVERS=""
trap 'for p in $SERVERS; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT

TOKEN=test-admin-token-0123456789abcdef
# make_certs DIR: DIR/ca.pem + DIR/cert.pem/key.pem for 127.0.0.1 (signed
# by the CA), and DIR/other-ca.pem, a CA that signed nothing of ours.
make_certs() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=lastgood-test-ca -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/key.pem" -out "$d/cert.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/ext.cnf"
	openssl x509 -req -in "$d/cert.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$d/other-key.pem" -out "$d/other-ca.pem" 2>/dev/null
}

# rp SEED: a valid recovery password (every group a multiple of 11 below 720896)
rp() {
	local s=$1 out="" i g
	for i in 1 2 3 4 5 6 7 8; do
		g=$(( ((s * 7919 + i * 104729) % 65535) * 11 ))
		out="$out$(printf '%06d' "$g")"
		[ $i -lt 8 ] && out="$out-"
	done
	echo "$out"
}
# guid N: a protector GUID, upper case
guid() { printf '%08X-4587-4029-924A-%012X\n' "$1" "$(( $1 * 7 ))"; }

# make_keys FILE N: a keys.csv of N keys (ComputerName, KeyId, RecoveryPassword)
make_keys() {
	local f=$1 n=$2 i
	echo 'ComputerName,KeyId,RecoveryPassword' >"$f"
	for i in $(seq 1 "$n"); do
		printf 'PC-%04d,%s,%s\n' "$i" "$(guid "$i")" "$(rp "$i")"
	done >>"$f"
}

# make_tree DIR: a boot tree like out/pxe
make_tree() {
	local d=$1
	mkdir -p "$d/sub"
	head -c 200000 /dev/urandom >"$d/lastgood.efi"
	echo '{"serial": 7}' >"$d/denylist.json"
	printf 'untrusted comment: test\nRWQ...\n' >"$d/denylist.json.minisig"
	echo hello >"$d/sub/readme.txt"
	echo secret >"$d/.hidden"
	ln -sf /etc/hostname "$d/outside-link"
}

# uuid N: a machine id
uuid() { printf '4c4c4544-0000-1000-8000-%012x\n' "$1"; }
# report N RUN OUTCOME [MODE] [extra jq filter]: a report body on stdout
report() {
	local n=$1 run=$2 outcome=$3 mode=${4:-fix} extra=${5:-.}
	jq -nc --arg u "$(uuid "$n")" --arg run "$run" --arg oc "$outcome" --arg mode "$mode" --arg n "$n" '{
		run_id: $run, mode: $mode, lastgood_version: "0.1.0", exit_code: 0, outcome: $oc,
		machine: {product_uuid: $u, computer_name: ("PC-" + $n), product_serial: ("SN" + $n),
			  sys_vendor: "Dell Inc.", product_name: "Latitude 7420", ip: ("10.0.0." + $n)},
		volumes: [], summary: {volumes: 1, windows_volumes: 1, matches: 1, quarantined: 1},
		plan: {mode: $mode, source: "server", reason: "test"}}' | jq -c "$extra"
}
# reports_bulk FROM TO DIR: one report file a machine, DIR/<run_id>.json (one jq run)
reports_bulk() {
	jq -nc --argjson a "$1" --argjson b "$2" 'range($a; $b) as $n | {
		run_id: ("20261204T1700\($n % 60 | tostring | if length < 2 then "0" + . else . end)Z-"
			 + ($n | tostring | ("000000" + .)[-6:])),
		mode: "fix", exit_code: 0, outcome: "fixed",
		machine: {product_uuid: ("4c4c4544-0000-1000-8000-" + ($n | tostring | ("000000000000" + .)[-12:])),
			  computer_name: ("PC-\($n)")},
		volumes: [], summary: {matches: 1}}' |
	while read -r line; do
		r=${line#*\"run_id\":\"}; r=${r%%\"*}
		printf '%s\n' "$line" >"$3/$r.json"
	done
}
# run_id N: a run id for report N (unique per N)
run_id() { printf '20261204T1700%02dZ-%06x\n' $(( $1 % 60 )) "$1"; }

# start_server NAME ARGS...: starts lastgood serve in the background on
# 127.0.0.1 with a free port; sets PID_NAME-like globals SRV_PID, PORT, URL.
start_server() {
	local name=$1
	shift
	rm -f "$T/$name.port"
	"$LG" serve --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --admin-token "$TOKEN" \
		--listen 127.0.0.1:0 --port-file "$T/$name.port" "$@" 2>"$T/$name.log" &
	SRV_PID=$!
	SERVERS="$SERVERS $SRV_PID"
	local i
	for i in $(seq 1 100); do
		[ -s "$T/$name.port" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	PORT=$(cat "$T/$name.port" 2>/dev/null || echo 0)
	URL=https://127.0.0.1:$PORT
}
stop_server() {
	kill -TERM "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
}
# c ARGS...: curl against the test CA; status in $T/code, body in $T/body, headers in $T/hdr
c() {
	curl -sS -g --cacert "$T/ca.pem" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" >"$T/code" 2>"$T/curlerr" || true
	cat "$T/code"
}
hdr() { grep -i "^$1:" "$T/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
