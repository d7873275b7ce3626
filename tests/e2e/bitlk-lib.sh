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
