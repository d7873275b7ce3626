#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The network boot tree, to serve over TFTP and/or HTTP (docs/pxe.md):
#   lastgood.efi                   the boot file (DHCP option 67 / HTTP URL)
#   denylist.json(.minisig)        fetched by the stub over TFTP from the
#                                  same directory, when newer than the
#                                  built-in list
#   dnsmasq.conf.example           a starting point for the server
# and with -t TREE the shim chain for Secure Boot PCs with only Microsoft's
# keys (staged by media/mkshimtree.sh -m net): shimx64.efi (the boot file
# then), grubx64.efi, mmx64.efi, grub/grub.cfg, boot/, update-denylist.sh.
#
# usage: media/mkpxe.sh -e LASTGOOD.efi [-t TREE] -d DENYLIST.json -o OUTDIR
set -eu

die() { echo "mkpxe: $*" >&2; exit 1; }

main() {
	EFI="" TREE="" DENYLIST="" OUTDIR=""
	while getopts e:t:d:o: opt; do
		case $opt in
		e) EFI=$OPTARG ;;
		t) TREE=$OPTARG ;;
		d) DENYLIST=$OPTARG ;;
		o) OUTDIR=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	[ -f "$EFI" ] && [ -f "$DENYLIST" ] && [ -f "$DENYLIST.minisig" ] && [ -n "$OUTDIR" ] ||
		die "missing input (see the header of $0)"
	[ -z "$TREE" ] || [ -f "$TREE/shimx64.efi" ] || die "$TREE has no shimx64.efi (media/mkshimtree.sh -m net)"
	mkdir -p "$OUTDIR"
	[ -z "$TREE" ] || cp -R "$TREE/." "$OUTDIR/"
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
# Secure Boot PCs with only Microsoft's keys: the shim chain instead
# (docs/secure-boot.md); grub/grub.cfg must then sit at the TFTP root.
#dhcp-boot=tag:efi-x64,shimx64.efi
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
