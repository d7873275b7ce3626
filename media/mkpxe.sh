#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The network boot tree, to serve over TFTP and/or HTTP (docs/pxe.md):
#   lastgood.efi                   the boot file (DHCP option 67 / HTTP URL)
#   denylist.json(.minisig)        fetched by the stub over TFTP from the
#                                  same directory, when newer than the
#                                  built-in list
#   dnsmasq.conf.example           a starting point for the server
#
# usage: media/mkpxe.sh -e LASTGOOD.efi -d DENYLIST.json -o OUTDIR
set -eu

die() { echo "mkpxe: $*" >&2; exit 1; }

main() {
	EFI="" DENYLIST="" OUTDIR=""
	while getopts e:d:o: opt; do
		case $opt in
		e) EFI=$OPTARG ;;
		d) DENYLIST=$OPTARG ;;
		o) OUTDIR=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	[ -f "$EFI" ] && [ -f "$DENYLIST" ] && [ -f "$DENYLIST.minisig" ] && [ -n "$OUTDIR" ] ||
		die "missing input (see the header of $0)"
	mkdir -p "$OUTDIR"
	cp "$DENYLIST" "$OUTDIR/denylist.json"
	cp "$DENYLIST.minisig" "$OUTDIR/denylist.json.minisig"
	cat >"$OUTDIR/dnsmasq.conf.example" <<'CONF'
# lastgood network boot: see docs/pxe.md. Replace the addresses.
# Proxy DHCP next to an existing DHCP server (no addresses handed out):
#   dhcp-range=192.0.2.0,proxy
# or a full DHCP server:
dhcp-range=192.0.2.100,192.0.2.200,12h
enable-tftp
tftp-root=/srv/lastgood
# UEFI x64 PXE (client architecture 7 or 9) gets lastgood.efi over TFTP.
dhcp-match=set:efi-x64,option:client-arch,7
dhcp-match=set:efi-x64,option:client-arch,9
dhcp-boot=tag:efi-x64,lastgood.efi
# UEFI HTTP boot (architecture 16): the URL, and the vendor class it expects.
dhcp-match=set:efi-http,option:client-arch,16
dhcp-option-force=tag:efi-http,60,HTTPClient
dhcp-boot=tag:efi-http,http://192.0.2.1/lastgood/lastgood.efi
CONF
	# Last: the target make checks, so a failed copy above rebuilds.
	cp "$EFI" "$OUTDIR/lastgood.efi.tmp"
	mv "$OUTDIR/lastgood.efi.tmp" "$OUTDIR/lastgood.efi"
}

main "$@"
