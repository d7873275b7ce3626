# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Helpers of the fleet end-to-end tests (sourced after lib.sh and
# e2e_setup): the real `lastgood serve` on the host's loopback, reached by
# the guest as 10.0.2.2 through QEMU's user network, with a CA made by
# openssl for the test, and a recovery image built for it the way
# `make image SERVER=... SERVER_CA=...` builds one.
#
#   fleet_certs                  $FLEET_DIR/ca.pem, a server certificate it
#                                signed for 10.0.2.2 and 127.0.0.1
#                                (cert.pem, key.pem), and a stranger's:
#                                other-cert.pem/other-key.pem, self-signed
#   fleet_serve NAME [ARGS...]   lastgood serve with that certificate on
#                                127.0.0.1, a free port of its own choosing;
#                                ARGS: --root, --keys, --canary ... (--db
#                                defaults to $FLEET_DIR/fleet.sqlite). Sets
#                                FLEET_PID, FLEET_PORT, FLEET_URL (as the
#                                guest sees it: https://10.0.2.2:PORT) and
#                                FLEET_HOST_URL (https://127.0.0.1:PORT).
#                                FLEET_CERT/FLEET_KEY: another certificate
#   fleet_stop                   SIGTERM the server, wait for it
#   fleet_image URL "WORDS"      $WORK/fleet-initrd.img with URL and ca.pem built in
#                                (media/mkinitramfs.sh -u -c, as make image
#                                does), $WORK/lastgood.efi (the image's command
#                                line plus WORDS) and $WORK/usb.img
#   fleet_efi "WORDS"            only $WORK/lastgood.efi and usb.img again,
#                                with other WORDS (the same initrd)
#   fleet_api PATH               GET PATH from the server as the operator
#                                (the admin token) on stdout
#   fleet_db SQL                 a query of the server's database
#   fleet_nic                    a virtio NIC on QEMU's user network that the
#                                firmware does not boot from (USB/ISO boots)
#   fleet_uuid N                 an SMBIOS system UUID for PC number N
#
# Servers started here are killed when the test exits.

FLEET_TOKEN=fleet-e2e-admin-token-0123456789
FLEET_DIR=$WORK/fleet
FLEET_SERVERS=""
mkdir -p "$FLEET_DIR"
trap 'for p in $FLEET_SERVERS; do kill -9 "$p" 2>/dev/null || true; done' EXIT

fleet_certs() {
	for tool in openssl curl sqlite3; do
		command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool is missing (build/install-deps installs it)"
	done
	d=$FLEET_DIR
	ossl() { openssl "$@" >/dev/null 2>&1 || e2e_fail "openssl $1 failed"; }
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=lastgood-fleet-e2e-ca -keyout "$d/ca.key" -out "$d/ca.pem"
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=10.0.2.2 \
		-keyout "$d/key.pem" -out "$d/cert.csr"
	printf 'subjectAltName=IP:10.0.2.2,IP:127.0.0.1\n' >"$d/ext.cnf"
	ossl x509 -req -in "$d/cert.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/ext.cnf" -out "$d/cert.pem"
	# the same names, but not from the CA the image trusts
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=10.0.2.2 \
		-addext subjectAltName=IP:10.0.2.2,IP:127.0.0.1 -keyout "$d/other-key.pem" -out "$d/other-cert.pem"
}

fleet_serve() {
	name=$1
	shift
	e2e_need "$OUT/lastgood"
	rm -f "$FLEET_DIR/$name.port"
	db=--db
	case " $* " in *" --db "*) db="" ;; esac
	# shellcheck disable=SC2086
	"$OUT/lastgood" serve --tls-cert "${FLEET_CERT:-$FLEET_DIR/cert.pem}" --tls-key "${FLEET_KEY:-$FLEET_DIR/key.pem}" \
		--admin-token "$FLEET_TOKEN" --listen 127.0.0.1:0 --port-file "$FLEET_DIR/$name.port" \
		${db:+$db "$FLEET_DIR/fleet.sqlite"} "$@" 2>"$FLEET_DIR/$name.log" &
	FLEET_PID=$!
	FLEET_SERVERS="$FLEET_SERVERS $FLEET_PID"
	for _ in $(seq 1 200); do
		[ -s "$FLEET_DIR/$name.port" ] && break
		kill -0 "$FLEET_PID" 2>/dev/null || break
		sleep 0.05
	done
	FLEET_PORT=$(cat "$FLEET_DIR/$name.port" 2>/dev/null || echo 0)
	[ "$FLEET_PORT" != 0 ] || { cat "$FLEET_DIR/$name.log"; e2e_fail "lastgood serve ($name) did not start"; }
	FLEET_URL=https://10.0.2.2:$FLEET_PORT
	FLEET_HOST_URL=https://127.0.0.1:$FLEET_PORT
	echo "e2e: lastgood serve ($name) on $FLEET_HOST_URL (pid $FLEET_PID), the guest's $FLEET_URL"
}

fleet_stop() {
	kill -TERM "$FLEET_PID" 2>/dev/null || true
	wait "$FLEET_PID" 2>/dev/null || true
}

fleet_image() {
	url=$1 words=$2
	e2e_need "${OUT_REL:-$OUT/rel}/lastgood-init" "$OUT/cache/kernel.env" "$OUT/media/denylist.json" \
		"$OUT/media/config" "$OUT/efi/stub.efi" "$OUT/lastgood.efi"
	keys=""
	for k in "$OUT"/media/trusted/*.pub; do keys="$keys -t $k"; done
	demo=""
	[ -f "$OUT/media/DEMO" ] && demo=-D
	fw=""
	[ -f "$OUT/cache/firmware.env" ] && fw="-f $OUT/cache/firmware.env"
	dhcp=$(sed -n 's/^DHCP_BIN=//p' "$OUT/media/config")
	compress=$(sed -n 's/^INITRD_COMPRESS=//p' "$OUT/media/config")
	start=$(date +%s)
	# shellcheck disable=SC2086
	media/mkinitramfs.sh -b "${OUT_REL:-$OUT/rel}/lastgood-init" -k "$OUT/cache/kernel.env" -m media/modules.list \
		$fw -c "$FLEET_DIR/ca.pem" -u "$url" $keys -d "$OUT/media/denylist.json" $demo \
		${dhcp:+-n "$dhcp"} -z "${compress:-zstd}" -o "$WORK/fleet-initrd.img" 2>"$WORK/mkinitramfs.log" ||
		{ cat "$WORK/mkinitramfs.log"; e2e_fail "mkinitramfs failed"; }
	echo "e2e: image for $url built in $(($(date +%s) - start)) s"
	fleet_efi "$words"
}

fleet_efi() {
	e2e_image "$1" "$WORK/fleet-initrd.img"
}

fleet_api() {
	curl -sS -g --cacert "$FLEET_DIR/ca.pem" -H "Authorization: Bearer $FLEET_TOKEN" "$FLEET_HOST_URL$1"
}

fleet_db() {
	sqlite3 "$FLEET_DIR/fleet.sqlite" "$1"
}

fleet_nic() {
	QEMU_DEVS="$QEMU_DEVS -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile="
	HAVE_NET=1
}

# A NIC on a QEMU hub with nothing else on it: the link is up, nobody
# answers (no DHCP, no server).
fleet_nic_silent() {
	QEMU_DEVS="$QEMU_DEVS -netdev hubport,id=n0,hubid=7 -device virtio-net-pci,netdev=n0,romfile="
	HAVE_NET=1
}

fleet_uuid() {
	printf '4c4c4544-00%02x-4e10-8052-b4c04f5644%02x\n' "$1" "$1"
}
