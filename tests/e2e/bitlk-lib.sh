# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Helpers of the BitLocker end-to-end tests (sourced after lib.sh and
# e2e_setup):
#
#   bitlk_images                 $IMAGES: the Windows-made test volumes,
#                                unpacked from LG_BITLK_ARCHIVE when missing
#   conf IMAGE KEY               a value of images.conf (RP, RP_VMK_GUID, ...)
#   bitlk_initrd                 $WORK/initrd.img: the Debian kernel's modules
#                                for virtio + dm-crypt, and bitlk-guest as init
#   bitlk_guest_boot SECONDS     boot it with $QEMU_DISKS (virtio); $WALL
#   bitlk_serial_pipes           the serial line as $WORK/ser.in/.out pipes,
#                                copied to $LOG: E2E_SERIAL for e2e_boot
#   bitlk_type_key KEY [WRONG]   in the background: wait for the prompt, then
#                                type KEY's groups with pauses, no dashes;
#                                with WRONG=3, group 3 first with a wrong
#                                last digit (caught as it is typed)
#   bitlk_stop_serial            stop the typer and the copy
#   result DISK                  the guest's last "BITLK-RESULT DISK ..." line
#   expect DISK TEXT             fail unless that line holds TEXT
#   bitlk_windows_disk NAME DISK KEYS
#                                DISK: a GPT disk whose partition 1 (from
#                                1 MiB) is the Windows-made volume NAME, into
#                                which a bitlk-guest boot writes the
#                                crowdstrike Windows tree (the bitlocker-inner
#                                fixture) through a real dm-crypt mapping,
#                                unlocked with KEYS (a CSV holding NAME's
#                                recovery password); $WALL. Leaves
#                                $BITLK_MEDIUM, the guest's FAT medium (KEYS
#                                as \lastgood\keys.csv, \bitlk\plan.txt), for
#                                later guest boots
#   bitlk_encrypted WHEN         fail unless DISK still holds BitLocker (no
#                                NTFS in clear) with the metadata it had

GUEST=$OUT/tests/e2e/bitlk-guest

bitlk_images() {
	for tool in mkfs.fat mcopy mmd sfdisk cryptsetup; do
		command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool is missing (build/install-deps installs it)"
	done
	IMAGES=$OUT/cache/bitlk/bitlk-images
	archive=${LG_BITLK_ARCHIVE:-../shared/fixtures/bitlocker/bitlk-images.tar.xz}
	if [ ! -f "$IMAGES/images.conf" ]; then
		[ -f "$archive" ] || e2e_skip "no BitLocker test images ($archive)"
		mkdir -p "$OUT/cache/bitlk"
		tar -xJf "$archive" -C "$OUT/cache/bitlk"
	fi
}

conf() { # image key
	awk -v s="[$1]" -v k="$2" '$0 == s { on = 1; next } /^\[/ { on = 0 } on && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' \
		"$IMAGES/images.conf"
}

bitlk_initrd() {
	e2e_need "$GUEST" "$OUT/cache/kernel.env" "$OUT/media/denylist.json" "$OUT/media/denylist.json.minisig"
	# shellcheck disable=SC1091
	. "$OUT/cache/kernel.env"
	cat >"$WORK/modules.list" <<'MODS'
virtio_pci
virtio_blk
vfat load
nls_cp437 load
nls_ascii load
nls_iso8859_1 load
nls_utf8 load
dm_crypt load
dm_zero load
xts load
ecb load
MODS
	trust=$(ls "$OUT"/media/trusted/*.pub | head -n 1)
	media/mkinitramfs.sh -b "$GUEST" -k "$OUT/cache/kernel.env" -m "$WORK/modules.list" -t "$trust" \
		-d "$OUT/media/denylist.json" -z gzip -o "$WORK/initrd.img" 2>"$WORK/mkinitramfs.log" ||
		{ cat "$WORK/mkinitramfs.log"; e2e_fail "mkinitramfs failed"; }
}

bitlk_serial_pipes() {
	rm -f "$WORK/ser.in" "$WORK/ser.out"
	mkfifo "$WORK/ser.in" "$WORK/ser.out"
	: >"$LOG"
	cat "$WORK/ser.out" >"$LOG" &
	BITLK_READER=$!
	E2E_SERIAL="pipe:$WORK/ser"
	BITLK_TYPER=""
}

bitlk_type_key() {
	(
		for _ in $(seq 1 1800); do
			e2e_text | grep -q 'Recovery key (attempt 1 of 3): ' && break
			sleep 0.5
		done
		g() { echo "$1" | cut -d- -f"$2"; }
		sleep 1
		if [ "${2:-}" = 3 ]; then
			printf '%s%s' "$(g "$1" 1)" "$(g "$1" 2)" >"$WORK/ser.in"; sleep 0.5
			printf '%s' "$(g "$1" 3 | sed 's/.$/0/')" >"$WORK/ser.in"; sleep 1 # not divisible by 11
			from=3
		else
			from=1
		fi
		for i in $(seq "$from" 8); do printf '%s' "$(g "$1" "$i")" >"$WORK/ser.in"; sleep 0.3; done
	) &
	BITLK_TYPER=$!
}

bitlk_stop_serial() {
	[ -z "${BITLK_TYPER:-}" ] || kill "$BITLK_TYPER" 2>/dev/null || true
	sleep 1
	kill "$BITLK_READER" 2>/dev/null || true
	wait "$BITLK_READER" 2>/dev/null || true
	E2E_SERIAL=""
}

bitlk_guest_boot() {
	ndisks=$(echo "$QEMU_DISKS" | grep -o -- '-drive' | wc -l)
	start=$(date +%s)
	set +e
	# shellcheck disable=SC2086
	timeout -k 5 "$1" "$QEMU" -machine q35 -accel tcg -cpu "${BITLK_E2E_CPU:-qemu64}" -m 1024 -smp 1 \
		-display none -vga none -monitor none -no-reboot -nic none -kernel "$VMLINUZ" -initrd "$WORK/initrd.img" \
		-append "console=ttyS0,115200 panic=-1 loglevel=4 bitlk.disks=$ndisks" \
		-serial "${E2E_SERIAL:-file:$LOG}" $QEMU_DISKS >"$WORK/qemu.out" 2>&1
	rc=$?
	set -e
	WALL=$(($(date +%s) - start))
	echo "e2e: QEMU ran ${WALL} s (exit $rc)"
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || e2e_fail "QEMU still running after $1 s (killed)"
	[ "$rc" -eq 0 ] || { cat "$WORK/qemu.out"; e2e_fail "QEMU exited with $rc"; }
}

result() { e2e_text | grep "^BITLK-RESULT $1 " | tail -n 1; }

expect() { # disk text
	r=$(result "$1")
	case $r in
	*"$2"*) echo "ok   $1: $2" ;;
	*) e2e_fail "$1: expected '$2' in: ${r:-no result}" ;;
	esac
}

# The BitLocker metadata of the disk's partition, devices left out.
bitlk_dump() {
	dd if="$BITLK_DISK" of="$WORK/part.img" bs=1M skip=1 count=100 status=none
	cryptsetup bitlkDump "$WORK/part.img" 2>&1 | sed 's/ device .*\.$//' | grep -v '^Info for BITLK device'
}

bitlk_encrypted() {
	[ "$(dd if="$BITLK_DISK" bs=1 skip=$((1048576 + 3)) count=8 status=none)" = "-FVE-FS-" ] ||
		e2e_fail "$1: the partition lost its BitLocker signature"
	[ "$(dd if="$BITLK_DISK" bs=1 skip=$((1048576 + 3)) count=8 status=none)" = "NTFS    " ] &&
		e2e_fail "$1: an NTFS boot sector is on the disk in clear"
	bitlk_dump >"$WORK/dump.now"
	cmp -s "$WORK/dump.before" "$WORK/dump.now" ||
		e2e_fail "$1: the BitLocker metadata changed: $(diff "$WORK/dump.before" "$WORK/dump.now")"
	echo "ok   $1: still encrypted, BitLocker metadata unchanged"
}

bitlk_windows_disk() {
	BITLK_DISK=$2
	e2e_need "$OUT/fixtures/bitlocker-inner.img" "$IMAGES/$1.img"
	command -v sgdisk >/dev/null 2>&1 || e2e_skip "sgdisk is missing (build/install-deps installs it)"
	bitlk_initrd
	rm -f "$BITLK_DISK"
	truncate -s 130M "$BITLK_DISK"
	printf 'label: gpt\nstart=2048, size=204800, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=Windows\n' |
		sfdisk -q "$BITLK_DISK" >/dev/null
	dd if="$IMAGES/$1.img" of="$BITLK_DISK" bs=1M seek=1 conv=notrunc,sparse status=none
	bitlk_dump >"$WORK/dump.before"
	BITLK_MEDIUM=$WORK/medium.img
	rm -f "$BITLK_MEDIUM"
	truncate -s 16M "$BITLK_MEDIUM"
	mkfs.fat -n KEYS "$BITLK_MEDIUM" >/dev/null
	MTOOLS_SKIP_CHECK=1 mmd -i "$BITLK_MEDIUM" ::/lastgood ::/bitlk
	MTOOLS_SKIP_CHECK=1 mcopy -i "$BITLK_MEDIUM" "$3" ::/lastgood/keys.csv
	echo "vdb 1048576 104857600 lastgood fill vdc" >"$WORK/plan1.txt"
	MTOOLS_SKIP_CHECK=1 mcopy -i "$BITLK_MEDIUM" "$WORK/plan1.txt" ::/bitlk/plan.txt
	QEMU_DISKS="-drive if=virtio,format=raw,file=$BITLK_MEDIUM -drive if=virtio,format=raw,file=$BITLK_DISK"
	QEMU_DISKS="$QEMU_DISKS -drive if=virtio,format=raw,readonly=on,file=$OUT/fixtures/bitlocker-inner.img"
	echo "e2e: setup: the crowdstrike tree into BitLocker volume $1 (bitlk-guest, real dm-crypt)"
	bitlk_guest_boot 600
	e2e_log_has "BITLK-DM yes"
	e2e_log_has "BITLK-COPY vdb from vdc: 104857600"
	bwd_id=$(conf "$1" RP_VMK_GUID)
	bwd_line=$(grep -n -i -F "$bwd_id" "$3" | head -n 1 | cut -d: -f1)
	expect vdb "rc=0 mapped=/dev/mapper/lastgood-0 block=1 with=recovery-password source=keys.csv line $bwd_line protector=$bwd_id io=0 close=0 gone=1"
	e2e_log_has "BITLK-LEFT 0"
	bitlk_encrypted "after setup"
}
