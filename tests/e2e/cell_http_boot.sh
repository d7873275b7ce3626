#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cell UEFI HTTP boot: OVMF's own HTTP boot of lastgood.efi, the way a
# fleet boots without TFTP. The test makes a network namespace with a tap
# device for the guest; dnsmasq there hands out an address and, to the
# firmware's HTTPClient vendor class, the boot URL; nginx serves
# lastgood.efi. The PC's disk is fixed with the image's built-in list.
. "$(dirname "$0")/cells.sh"
cell http-boot "OVMF's UEFI HTTP boot of lastgood.efi (dnsmasq + nginx in a network namespace), fixed"
for t in dnsmasq nginx ip; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || e2e_fail "$t is missing (build/packages.txt)"
done
cell_windows_disk
e2e_image "$CELL_WORDS"
e2e_vars
e2e_windows_entry
ns=lastgood-cell-$$
E2E_NETNS=$ns
srv=$(pwd)/$WORK/http
mkdir -p "$srv/root" "$srv/tmp"
cp "$WORK/lastgood.efi" "$srv/root/lastgood.efi"
cleanup() {
	[ -f "$srv/nginx.pid" ] && kill "$(cat "$srv/nginx.pid")" 2>/dev/null
	[ -f "$srv/dnsmasq.pid" ] && kill "$(cat "$srv/dnsmasq.pid")" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns" || e2e_skip "cannot create a network namespace here"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add tap0 mode tap
ip -n "$ns" addr add 192.168.77.1/24 dev tap0
ip -n "$ns" link set tap0 up
cat >"$srv/nginx.conf" <<CONF
daemon on;
pid $srv/nginx.pid;
error_log $srv/error.log;
events { worker_connections 16; }
http {
	access_log $srv/access.log;
	client_body_temp_path $srv/tmp; proxy_temp_path $srv/tmp; fastcgi_temp_path $srv/tmp;
	uwsgi_temp_path $srv/tmp; scgi_temp_path $srv/tmp;
	types { application/efi efi; }
	server { listen 192.168.77.1:80; root $srv/root; autoindex off; }
}
CONF
ip netns exec "$ns" /usr/sbin/nginx -c "$srv/nginx.conf" -p "$srv" || e2e_fail "nginx did not start"
ip netns exec "$ns" /usr/sbin/dnsmasq --port=0 --interface=tap0 --bind-dynamic --no-resolv --no-hosts \
	--dhcp-range=192.168.77.50,192.168.77.99,1h --dhcp-vendorclass=set:http,HTTPClient \
	--dhcp-option-force=tag:http,60,HTTPClient --dhcp-boot=tag:http,http://192.168.77.1/lastgood.efi \
	--leasefile-ro --log-dhcp --log-facility="$srv/dnsmasq.log" --pid-file="$srv/dnsmasq.pid" ||
	e2e_fail "dnsmasq did not start"
# PXE off in the firmware, as fleets that boot over HTTP set it: OVMF
# would otherwise try PXE over IPv4 and IPv6 first (minutes of timeouts)
E2E_QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n"
export E2E_NETNS E2E_QEMU_EXTRA
e2e_nic_tap tap0
e2e_disk nvme "$WORK/disk.img"
cell_boot 420
grep -q 'GET /lastgood.efi HTTP/1.1" 200' "$srv/access.log" ||
	e2e_fail "the firmware never fetched lastgood.efi over HTTP: $(cat "$srv/access.log" 2>/dev/null)"
grep -q 'HTTPClient' "$srv/dnsmasq.log" || e2e_fail "dnsmasq never saw the HTTPClient vendor class"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
NO_STICK=1 e2e_check_fixed
cell_pass
