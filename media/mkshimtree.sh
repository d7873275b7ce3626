#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Secure Boot chain for stock PCs (only Microsoft's keys enrolled),
# staged as a directory tree that media/mkusb.sh, mkiso.sh (-t) and
# mkpxe.sh (-t) copy onto their media:
#
#   firmware --(Microsoft UEFI CA)--> shim --(Debian CA built into shim)-->
#   GRUB --(shim_lock: Debian CA)--> Debian kernel --> our initrd (NOT verified)
#
# -m disk (USB image, ISO):            -m net (TFTP root):
#   EFI/BOOT/BOOTX64.EFI   shim          shimx64.efi        shim (DHCP boot file)
#   EFI/BOOT/grubx64.efi   GRUB          grubx64.efi        GRUB for network boot
#   EFI/BOOT/mmx64.efi     MokManager    mmx64.efi          MokManager
#   EFI/debian/grub.cfg    the menu      grub/grub.cfg      the menu
#   lastgood/boot/vmlinuz  kernel        boot/vmlinuz       kernel
#   lastgood/boot/initrd.img             boot/initrd.img
#   lastgood/boot/ID.id    marker        boot/denylist.cpio the served deny-list
#                                        update-denylist.sh rebuilds it
#
# Where the menu goes is fixed inside Debian's signed GRUB images (their
# embedded prefix and early config): grubx64.efi reads
# $prefix/grub.cfg with prefix /EFI/debian on the device it was started
# from; grubnetx64.efi reads /grub/grub.cfg from the TFTP server's root.
# fbx64.efi (shim's fallback) is left out on purpose: it would write boot
# entries into the crashed PC's firmware.
#
# usage: media/mkshimtree.sh -m disk|net -e SHIM_ENV -k KERNEL_ENV -i INITRD -c CMDLINE
#                            [-d DENYLIST.json] -o OUTDIR
#   -d (net only): DENYLIST.json(.minisig) packed as boot/denylist.cpio.
set -eu

die() { echo "mkshimtree: $*" >&2; exit 1; }

HERE=$(dirname "$0")

# GRUB's config language quotes like a shell; keep the command line to
# characters that need no quoting there, so that what was built is what
# the kernel gets.
check_cmdline() {
	case $1 in
	*[!A-Za-z0-9\ ._,=:/+-]*) die "the kernel command line '$1' has characters GRUB would interpret (allowed: letters, digits, space and ._,=:/+-)" ;;
	esac
}

# One menu entry. $1 title, $2 echo text, $3 kernel path, $4 extra words, $5 initrds.
entry() {
	cat <<ENTRY
menuentry "$1" {
	echo "lastgood: $2"
	linux $3 $CMDLINE$4
	echo "lastgood: loading the initrd (not verified by Secure Boot; the deny-list is, by lastgood)"
	initrd $5
}
ENTRY
}

grub_cfg() {
	where=$1 kernel=$2 initrds=$3
	cat <<HEAD
# lastgood: the shim chain's menu ($where). Made by media/mkshimtree.sh.
# Secure Boot verifies shim, this GRUB and the kernel; not this file, the
# command line or the initrd. lastgood checks the deny-list's signature
# itself before it changes anything.
set timeout=2
set default=0
echo "lastgood: GRUB started (shim chain) from \$cmdpath, menu $where"
HEAD
	if [ "$MODE" = disk ]; then
		cat <<SEARCH
# The device with this build's files: the stick, or the ISO 9660 file
# system when GRUB was started from a CD's El Torito image.
search --no-floppy --set=root --file /lastgood/boot/$ID.id
echo "lastgood: kernel and initrd on (\$root)"
SEARCH
	fi
	entry "lastgood: repair Windows" "loading the Debian kernel (signed by Debian, checked by shim)" \
		"$kernel" "" "$initrds"
	entry "lastgood: scan only, change nothing" "loading the Debian kernel (scan only)" \
		"$kernel" " lastgood.mode=scan" "$initrds"
}

main() {
	MODE="" SHIMENV="" KENV="" INITRD="" CMDLINE="" DENYLIST="" OUTDIR=""
	while getopts m:e:k:i:c:d:o: opt; do
		case $opt in
		m) MODE=$OPTARG ;;
		e) SHIMENV=$OPTARG ;;
		k) KENV=$OPTARG ;;
		i) INITRD=$OPTARG ;;
		c) CMDLINE=$OPTARG ;;
		d) DENYLIST=$OPTARG ;;
		o) OUTDIR=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	case $MODE in disk|net) ;; *) die "-m disk or -m net" ;; esac
	[ -f "$SHIMENV" ] && [ -f "$KENV" ] && [ -f "$INITRD" ] && [ -n "$OUTDIR" ] ||
		die "missing input (see the header of $0)"
	check_cmdline "$CMDLINE"
	# shellcheck disable=SC1090
	. "$SHIMENV"
	# shellcheck disable=SC1090
	. "$KENV"
	for f in "$SHIM" "$MOKMANAGER" "$GRUB" "$GRUBNET" "$VMLINUZ"; do
		[ -f "$f" ] || die "$f is missing (rerun media/fetch-shim.sh / fetch-kernel.sh)"
	done
	# The kernel must carry a signature: shim_lock refuses an unsigned one
	# only at boot, on the PC.
	sbverify --list "$VMLINUZ" 2>/dev/null | grep -q '^signature 1' ||
		die "$VMLINUZ is not signed (the shim chain needs Debian's signed kernel, not linux-image-*-unsigned)"

	tmp=$OUTDIR.tmp
	rm -rf "$tmp"
	if [ "$MODE" = disk ]; then
		mkdir -p "$tmp/EFI/BOOT" "$tmp/EFI/debian" "$tmp/lastgood/boot"
		cp "$SHIM" "$tmp/EFI/BOOT/BOOTX64.EFI"
		cp "$GRUB" "$tmp/EFI/BOOT/grubx64.efi"
		cp "$MOKMANAGER" "$tmp/EFI/BOOT/mmx64.efi"
		cp "$VMLINUZ" "$tmp/lastgood/boot/vmlinuz"
		cp "$INITRD" "$tmp/lastgood/boot/initrd.img"
		ID=lastgood-$(cat "$tmp/lastgood/boot/vmlinuz" "$tmp/lastgood/boot/initrd.img" | sha256sum | cut -c1-16)
		echo "$KVER" >"$tmp/lastgood/boot/$ID.id"
		grub_cfg "\\EFI\\debian\\grub.cfg" /lastgood/boot/vmlinuz /lastgood/boot/initrd.img \
			>"$tmp/EFI/debian/grub.cfg"
	else
		[ -f "$DENYLIST" ] && [ -f "$DENYLIST.minisig" ] || die "-m net needs -d DENYLIST.json (with .minisig)"
		mkdir -p "$tmp/grub" "$tmp/boot"
		cp "$SHIM" "$tmp/shimx64.efi"
		cp "$GRUBNET" "$tmp/grubx64.efi"
		cp "$MOKMANAGER" "$tmp/mmx64.efi"
		cp "$VMLINUZ" "$tmp/boot/vmlinuz"
		cp "$INITRD" "$tmp/boot/initrd.img"
		cp "$HERE/denylist-cpio.sh" "$tmp/update-denylist.sh"
		"$HERE/denylist-cpio.sh" "$DENYLIST" "$tmp/boot/denylist.cpio"
		# $cmdpath: the TFTP directory shim and GRUB came from, so the tree
		# may sit in a subdirectory (only grub/grub.cfg must be at the root).
		grub_cfg "TFTP /grub/grub.cfg" "\$cmdpath/boot/vmlinuz" \
			"\$cmdpath/boot/initrd.img \$cmdpath/boot/denylist.cpio" >"$tmp/grub/grub.cfg"
	fi
	rm -rf "$OUTDIR"
	mv "$tmp" "$OUTDIR"
}

main "$@"
