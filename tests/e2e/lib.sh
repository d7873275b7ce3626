# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# End-to-end harness: boot lastgood in QEMU (TCG, headless) with Debian's
# OVMF, the serial console captured to a log, every run under a timeout.
# A test sources this file, then:
#
#   e2e_setup NAME                 work directory $WORK (out/e2e/NAME), fresh
#   e2e_image "lastgood.x=y ..." [INITRD]
#                                  $WORK/lastgood.efi + $WORK/usb.img: the built
#                                  image (or its kernel with INITRD) with words
#                                  added to its command line
#   e2e_vars                       $WORK/vars.fd, a fresh OVMF variable store
#   e2e_windows_entry              add Boot0007 "Windows Boot Manager" to it
#   e2e_usb_stick IMG              the boot stick (USB mass storage, boots first)
#   e2e_disk BUS IMG               BUS nvme, nvme4k (4096-byte blocks), ahci, virtio, scsi
#                                  (virtio-scsi): an NVMe namespace, a SATA disk on the
#                                  q35 AHCI controller, or a virtio-blk disk
#   e2e_cdrom ISO                  a SATA DVD drive with the ISO, boots first
#   e2e_pxe DIR FILE               virtio-net with OVMF's own PXE stack, QEMU's
#                                  DHCP/TFTP serving DIR and FILE, boots first
#   e2e_boot SECONDS               run; fails on timeout; sets $WALL (seconds)
#   e2e_reset_devices              forget the devices added so far (next boot)
#   e2e_log_has TEXT / e2e_log_lacks TEXT
#   e2e_bootnext                   prints BootNext from the variable store
#   e2e_phases                     prints the image's phase times line
#   e2e_run_id                     $RUN_ID: the last fix run the console names
#
# Tests exit 0 pass, 1 fail, 77 skip (with a "SKIP: reason" line).

set -eu

OUT=${OUT:-out}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
OVMFVARS_TOOL=$OUT/tests/e2e/ovmfvars
QEMU=${QEMU:-qemu-system-x86_64}
E2E_MEM=${E2E_MEM:-1024}
E2E_MACHINE=${E2E_MACHINE:-q35}
E2E_QEMU_EXTRA=${E2E_QEMU_EXTRA:-}

e2e_fail() {
	echo "FAIL: $*"
	if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
		echo "--- last lines of the serial console ($LOG) ---"
		e2e_text | tail -n 40
	fi
	exit 1
}

e2e_skip() {
	echo "SKIP: $*"
	exit 77
}

# Built files a test needs: missing ones are a build problem, not a skip.
e2e_need() {
	for f in "$@"; do
		[ -e "$f" ] || e2e_fail "$f is missing: build it first (make image, or make check builds it)"
	done
}

e2e_setup() {
	command -v "$QEMU" >/dev/null 2>&1 || e2e_skip "$QEMU is not installed (package qemu-system-x86)"
	[ -f "$OVMF_CODE" ] && [ -f "$OVMF_VARS" ] || e2e_skip "OVMF firmware not found at $OVMF_CODE (package ovmf)"
	WORK=$OUT/e2e/$1
	LOG=$WORK/serial.log
	rm -rf "$WORK"
	mkdir -p "$WORK"
	e2e_reset_devices
}

# The kernel command line built into out/lastgood.efi, plus words; the
# built initrd, or the one given second.
e2e_image() {
	initrd=${2:-$OUT/media/initrd.img}
	e2e_need "$OUT/lastgood.efi" "$OUT/efi/stub.efi" "$initrd" "$OUT/cache/kernel.env" \
		"$OUT/media/denylist.json" "$OUT/media/sbat.csv"
	base=$(objcopy -O binary --only-section=.cmdline "$OUT/lastgood.efi" /dev/stdout)
	version=$(objcopy -O binary --only-section=.version "$OUT/lastgood.efi" /dev/stdout)
	# shellcheck disable=SC1091
	. "$OUT/cache/kernel.env"
	media/mkefi.sh -s "$OUT/efi/stub.efi" -k "$VMLINUZ" -i "$initrd" \
		-c "$base $1" -v "$version (test: $1)" -b "$OUT/media/sbat.csv" -o "$WORK/lastgood.efi"
	media/mkusb.sh -e "$WORK/lastgood.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
		-o "$WORK/usb.img" 2>/dev/null
}

e2e_vars() {
	cp "$OVMF_VARS" "$WORK/vars.fd"
}

e2e_windows_entry() {
	e2e_need "$OVMFVARS_TOOL"
	"$OVMFVARS_TOOL" add-boot "$WORK/vars.fd" 0007 "Windows Boot Manager" '\EFI\Microsoft\Boot\bootmgfw.efi'
}

e2e_reset_devices() {
	QEMU_DEVS=""
	HAVE_NET=0
	USB_CTRL=0
	SATA_PORT=0
	SCSI_CTRL=0
	NDISK=0
}

e2e_usb_stick() {
	if [ "$USB_CTRL" = 0 ]; then
		QEMU_DEVS="$QEMU_DEVS -device qemu-xhci,id=xhci"
		USB_CTRL=1
	fi
	QEMU_DEVS="$QEMU_DEVS -drive if=none,id=stick,format=raw,file=$1"
	QEMU_DEVS="$QEMU_DEVS -device usb-storage,bus=xhci.0,drive=stick,removable=on,bootindex=0"
}

e2e_disk() {
	NDISK=$((NDISK + 1))
	id=disk$NDISK
	QEMU_DEVS="$QEMU_DEVS -drive if=none,id=$id,format=raw,file=$2"
	case $1 in
	nvme) QEMU_DEVS="$QEMU_DEVS -device nvme,drive=$id,serial=lastgood$NDISK,bootindex=$((NDISK + 1))" ;;
	ahci) QEMU_DEVS="$QEMU_DEVS -device ide-hd,drive=$id,bus=ide.$SATA_PORT,bootindex=$((NDISK + 1))"
	      SATA_PORT=$((SATA_PORT + 1)) ;;
	virtio) QEMU_DEVS="$QEMU_DEVS -device virtio-blk-pci,drive=$id,bootindex=$((NDISK + 1))" ;;
	scsi) # virtio-scsi, as cloud VMs have it: one controller, a disk per LUN
	      if [ "${SCSI_CTRL:-0}" = 0 ]; then
		      QEMU_DEVS="$QEMU_DEVS -device virtio-scsi-pci,id=scsi0"
		      SCSI_CTRL=1
	      fi
	      QEMU_DEVS="$QEMU_DEVS -device scsi-hd,drive=$id,bus=scsi0.0,lun=$NDISK,bootindex=$((NDISK + 1))" ;;
	nvme4k) # an NVMe namespace with 4096-byte logical blocks (4Kn)
	      QEMU_DEVS="$QEMU_DEVS -device nvme,drive=$id,serial=lastgood$NDISK,logical_block_size=4096,physical_block_size=4096,bootindex=$((NDISK + 1))" ;;
	*) e2e_fail "e2e_disk: unknown bus $1" ;;
	esac
}

e2e_cdrom() {
	QEMU_DEVS="$QEMU_DEVS -drive if=none,id=cd,media=cdrom,readonly=on,format=raw,file=$1"
	QEMU_DEVS="$QEMU_DEVS -device ide-cd,drive=cd,bus=ide.$SATA_PORT,bootindex=0"
	SATA_PORT=$((SATA_PORT + 1))
}

e2e_pxe() {
	QEMU_DEVS="$QEMU_DEVS -netdev user,id=n0,tftp=$1,bootfile=$2"
	QEMU_DEVS="$QEMU_DEVS -device virtio-net-pci,netdev=n0,romfile=,bootindex=0"
	HAVE_NET=1
}

# A NIC on the tap device TAP (in the network namespace $E2E_NETNS, where
# the test runs its own DHCP and HTTP servers), booting first.
e2e_nic_tap() {
	QEMU_DEVS="$QEMU_DEVS -netdev tap,id=n0,ifname=$1,script=no,downscript=no"
	QEMU_DEVS="$QEMU_DEVS -device virtio-net-pci,netdev=n0,romfile=,bootindex=0"
	HAVE_NET=1
}

# The serial log as text: no escape sequences, no carriage returns.
e2e_text() {
	sed -e 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' -e 's/\r//g' "$LOG" 2>/dev/null
}

e2e_boot() {
	timeout_s=$1
	net="-nic none"
	[ "$HAVE_NET" = 1 ] && net=""
	echo "e2e: booting (timeout ${timeout_s} s): $QEMU_DEVS"
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	set +e
	timeout -k 5 "$timeout_s" ${E2E_NETNS:+ip netns exec "$E2E_NETNS"} "$QEMU" -machine "$E2E_MACHINE" -accel tcg -m "$E2E_MEM" -smp 1 \
		-display none -monitor none -no-reboot -serial "${E2E_SERIAL:-file:$LOG}" $net $E2E_QEMU_EXTRA \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" \
		$QEMU_DEVS >"$WORK/qemu.out" 2>&1
	rc=$?
	set -e
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	WALL="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
	echo "$WALL" >"$WORK/wall"
	echo "e2e: QEMU ran ${WALL} s (exit $rc)"
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || e2e_fail "QEMU still running after ${timeout_s} s (killed)"
	[ "$rc" -eq 0 ] || { cat "$WORK/qemu.out"; e2e_fail "QEMU exited with $rc"; }
}

# Like e2e_boot, for runs that do not end by themselves (the firmware
# waiting in its menu): stop QEMU once the console said TEXT (and a few
# seconds more for what follows), or fail after SECONDS.
e2e_boot_until() {
	text=$1 timeout_s=$2
	echo "e2e: booting until the console says '$text' (at most ${timeout_s} s): $QEMU_DEVS"
	: >"$LOG"
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	"$QEMU" -machine "$E2E_MACHINE" -accel tcg -m "$E2E_MEM" -smp 1 \
		-display none -monitor none -no-reboot -serial "file:$LOG" -nic none $E2E_QEMU_EXTRA \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" \
		$QEMU_DEVS >"$WORK/qemu.out" 2>&1 &
	qpid=$!
	seen=0 waited=0
	while [ "$waited" -lt "$timeout_s" ] && kill -0 "$qpid" 2>/dev/null; do
		if e2e_text | grep -qF -- "$text"; then
			seen=$((seen + 1))
			[ "$seen" -ge 6 ] && break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	WALL="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
	[ "$seen" -gt 0 ] || e2e_fail "the console never said '$text' within ${timeout_s} s"
}

e2e_log_has() {
	e2e_text | grep -qF -- "$1" || e2e_fail "the console never said: $1"
}

e2e_log_lacks() {
	if e2e_text | grep -qF -- "$1"; then
		e2e_fail "the console said: $1"
	fi
}

e2e_bootnext() {
	"$OVMFVARS_TOOL" bootnext "$WORK/vars.fd" || true
}

e2e_phases() {
	e2e_text | grep '^lastgood-phases:' | tail -n 1
}

# Files in a FAT partition of a disk image (partition at 1 MiB): mdir output.
e2e_fat_ls() {
	MTOOLS_SKIP_CHECK=1 mdir -i "$1@@1M" -b "$2" 2>/dev/null || true
}

# $WORK/lastgood.iso from $WORK/lastgood.efi (after e2e_image).
e2e_iso() {
	media/mkiso.sh -e "$WORK/lastgood.efi" -d "$OUT/media/denylist.json" -r media/README.txt \
		-o "$WORK/lastgood.iso" >/dev/null 2>&1 || e2e_fail "mkiso failed"
}

# A copy of the image's deny-list with another serial, signed with the
# image's demo key: tells which list a run used. Skips when the image was
# built with TRUST= (no demo key to sign with).
e2e_signed_list() {
	serial=$1 dest=$2
	key=$OUT/media/demo-key/demo.key
	[ -f "$OUT/media/DEMO" ] && [ -f "$key" ] ||
		e2e_skip "the image trusts given keys (make image TRUST=...): no demo key to sign a test list with"
	sed "s/\"serial\": *[0-9]*/\"serial\": $serial/" "$OUT/media/denylist.json" >"$dest"
	grep -q "\"serial\": $serial" "$dest" || e2e_fail "cannot set the serial in $dest"
	minisign -S -s "$key" -m "$dest" -t "lastgood e2e test list, serial $serial" >/dev/null </dev/null ||
		e2e_fail "minisign cannot sign $dest"
}

# Partition N of a disk image as a file of its own (sparse copy), for
# ntfs-3g's tools, which read a file system from offset 0.
e2e_partition() {
	disk=$1 n=$2 dest=$3
	line=$(sfdisk -d "$disk" 2>/dev/null | grep "^[^ ]*[^0-9]$n : ") || e2e_fail "$disk has no partition $n"
	first=$(echo "$line" | sed -n 's/.*start= *\([0-9]*\).*/\1/p')
	count=$(echo "$line" | sed -n 's/.*size= *\([0-9]*\).*/\1/p')
	[ -n "$first" ] && [ -n "$count" ] || e2e_fail "$disk: cannot read partition $n"
	dd if="$disk" of="$dest" bs=512 skip="$first" count="$count" conv=sparse status=none
}

# The number of the first NTFS partition of a GPT disk image.
e2e_ntfs_partno() {
	sgdisk -p "$1" | awk '$1 ~ /^[0-9]+$/ && $6 == "0700" {print $1; exit}'
}

# sha256 of a file inside an NTFS image, read with ntfs-3g's ntfscat.
# A file that cannot be read gives "missing:PATH", never the hash of nothing.
# -f: also on a volume left marked dirty (ntfs-3g's tools refuse those).
e2e_ntfs_sha() {
	if ntfscat -f "$1" "$2" >"$WORK/.ntfscat" 2>/dev/null; then
		sha256sum <"$WORK/.ntfscat" | cut -d" " -f1
	else
		echo "missing:$2"
	fi
	rm -f "$WORK/.ntfscat"
}

# File names in a directory of an NTFS image (ntfsls), one per line.
e2e_ntfs_ls() {
	{ ntfsls -f -p "$2" "$1" 2>/dev/null || true; } | grep -v -x -e '\.' -e '\.\.' || true
}

# Prepare a crowdstrike-fixture run: $WORK/disk.img (copy of the fixture),
# $WORK/before.img (its NTFS partition as it was), $NTFS_PART.
e2e_crowdstrike_disk() {
	e2e_need "$OUT/fixtures/crowdstrike.img"
	cp --sparse=always "$OUT/fixtures/crowdstrike.img" "$WORK/disk.img"
	NTFS_PART=$(e2e_ntfs_partno "$WORK/disk.img")
	[ -n "$NTFS_PART" ] || e2e_fail "no NTFS partition in the crowdstrike fixture"
	e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/before.img"
}

CS_DIR=/Windows/System32/drivers/CrowdStrike
CS_BAD=C-00000291-00000000-00000032.sys

# The id of the last fix run the console names, in $RUN_ID (fails when
# there is none).
e2e_run_id() {
	RUN_ID=$(e2e_text | sed -n 's/^lastgood fix: run \([0-9]\{8\}T[0-9]\{6\}Z-[0-9a-f]*\),.*/\1/p' | tail -n 1)
	[ -n "$RUN_ID" ] || e2e_fail "the console never said 'lastgood fix: run <id>'"
}

# After a fix run: check the Windows volume with ntfs-3g's tools (not only
# with lastgood's reader) and the stick. Sets $RUN_ID.
e2e_check_fixed() {
	e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/after.img"
	ntfsfix -n "$WORK/after.img" >"$WORK/ntfsfix.out" 2>&1 ||
		{ cat "$WORK/ntfsfix.out"; e2e_fail "ntfsfix -n finds the volume inconsistent after the fix"; }
	ls_after=$(e2e_ntfs_ls "$WORK/after.img" "$CS_DIR")
	echo "$ls_after" | grep -qx "$CS_BAD" && e2e_fail "$CS_BAD is still in $CS_DIR: $ls_after"
	for good in C-00000291-00000000-00000031.sys C-00000291-00000000-00000033.sys CSAgent.sys; do
		a=$(e2e_ntfs_sha "$WORK/before.img" "$CS_DIR/$good")
		b=$(e2e_ntfs_sha "$WORK/after.img" "$CS_DIR/$good")
		case $a in missing:*) e2e_fail "the disk had no $good before the run: not the crowdstrike tree?" ;; esac
		[ "$a" = "$b" ] || e2e_fail "$good changed (or went missing): it is not on the deny-list"
	done
	e2e_run_id
	if [ -f "$WORK/usb.img" ] && [ "${NO_STICK:-0}" = 0 ]; then
		reports=$(e2e_fat_ls "$WORK/usb.img" ::/lastgood/reports)
		echo "$reports" | grep -q "/$RUN_ID.json" ||
			e2e_fail "no report $RUN_ID.json in \\lastgood\\reports on the stick: $reports"
		echo "$reports" | grep -q "/$RUN_ID.log" || e2e_fail "no console log $RUN_ID.log on the stick"
	fi
	q="/\$LastGood/quarantine/$RUN_ID$CS_DIR/$CS_BAD"
	a=$(e2e_ntfs_sha "$WORK/before.img" "$CS_DIR/$CS_BAD")
	b=$(e2e_ntfs_sha "$WORK/after.img" "$q")
	case $a in missing:*) e2e_fail "the disk had no $CS_BAD before the run" ;; esac
	[ "$a" = "$b" ] || e2e_fail "the quarantined file $q is missing or differs from the original"
	e2e_ntfs_ls "$WORK/after.img" "/\$LastGood/reports" | grep -qx "$RUN_ID.json" ||
		e2e_fail "no report \\\$LastGood\\reports\\$RUN_ID.json on the Windows volume"
	next=$(e2e_bootnext)
	[ "$next" = "Boot0007" ] || e2e_fail "BootNext is '$next', expected Boot0007 (Windows Boot Manager)"
}

# Like e2e_disk, with the writes going to a throwaway overlay (QEMU's
# snapshot=on): the image file itself never changes.
e2e_disk_snapshot() {
	e2e_disk "$1" "$2,snapshot=on"
}

# The filter-driver scenarios (tests/e2e/test_filter_driver*.sh): the
# image's list plus a rule for the ACME storage filter, signed with the
# demo key as serial 90, put on the stick as \lastgood\denylist.json.
e2e_filter_list_on_stick() {
	e2e_signed_list 90 "$WORK/base.json"
	sed 's|"rules": \[|"rules": [ { "id": "acme-filter", "description": "ACME storage filter 2024-07-18: 0x7B at boot", "path": "Windows/System32/drivers/ACMEflt.sys", "header": { "hex": "4D5A" }, "allow_boot_critical": true },|' \
		"$WORK/base.json" > "$WORK/denylist.json"
	grep -q acme-filter "$WORK/denylist.json" || e2e_fail "cannot add the filter rule"
	minisign -S -s "$OUT/media/demo-key/demo.key" -m "$WORK/denylist.json" -t "$1 e2e, serial 90" >/dev/null </dev/null ||
		e2e_fail "minisign cannot sign the list"
	MTOOLS_SKIP_CHECK=1 mcopy -o -i "$WORK/usb.img@@1M" "$WORK/denylist.json" ::/lastgood/denylist.json
	MTOOLS_SKIP_CHECK=1 mcopy -o -i "$WORK/usb.img@@1M" "$WORK/denylist.json.minisig" ::/lastgood/denylist.json.minisig
}

# From a hivexregedit export REG of the SYSTEM hive: the ACMEflt service's
# Start line in control set CS, and the disk class's UpperFilters as text.
e2e_acme_start() {
	awk -v k="[HKLM\\\\SYSTEM\\\\$2\\\\Services\\\\ACMEflt]" 'tolower($0)==tolower(k){on=1;next} /^\[/{on=0} on && /^"Start"=/{print;exit}' "$1"
}
e2e_disk_upper_filters() {
	awk -v k="[HKLM\\\\SYSTEM\\\\$2\\\\Control\\\\Class\\\\{4d36e967-e325-11ce-bfc1-08002be10318}]" 'tolower($0)==tolower(k){on=1;next} /^\[/{on=0} on && /^"UpperFilters"=/{print;exit}' "$1" |
		sed 's/.*hex(7)://; s/\\//g' | tr -d ' ,\n' | xxd -r -p | tr -d '\0'
}
