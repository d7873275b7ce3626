#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# boot_to_done and memory_floor: the recovery image booted in QEMU (TCG)
# from the USB image against the crowdstrike fixture on virtio-blk, as the
# e2e tests boot it, against the floor: the same OVMF, stub, kernel and
# command line with an initramfs whose /init powers off at once
# (tests/bench/floor-init.c).
#
# usage: tests/bench/boot.sh          (make bench runs it)
# env:   OUT, PARTS, BENCH_BOOT_RUNS (boots of each image, default 3),
#        BENCH_BOOT_MEM (guest MiB for boot_to_done, default 1024, as e2e),
#        BENCH_MEM_STEP (memory_floor resolution in MiB, default 16),
#        BENCH_MEMORY_FLOOR=0 skips memory_floor
#
# Every serial console line is time-stamped on the host as it arrives
# (benchrun -l): the phases before the kernel (firmware, stub) come from
# those stamps, the ones after from the image's own lastgood-phases line
# and the report it writes on the stick.
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh

BENCH=boot
PARTS=${PARTS:-$OUT/bench/parts}
RUNS=${BENCH_BOOT_RUNS:-3}
MEM=${BENCH_BOOT_MEM:-1024}
STEP=${BENCH_MEM_STEP:-16}
W=$OUT/bench/boot
FLOOR_INIT=$OUT/tests/bench/floor-init
rm -f "$PARTS/$BENCH.jsonl"

skip_all() {
	bench_skip boot_to_done s "$1"
	bench_skip memory_floor MB "$1"
	exit 0
}

for f in "$OUT/lastgood.efi" "$OUT/efi/stub.efi" "$OUT/media/initrd.img" "$OUT/cache/kernel.env" \
	"$OUT/media/denylist.json" "$OUT/media/sbat.csv" "$OUT/tests/e2e/ovmfvars" \
	"$OUT/fixtures/crowdstrike.img" "$FLOOR_INIT" "$BENCHRUN"; do
	[ -e "$f" ] || skip_all "$f is missing: the boot image is not built (make image)"
done

# The e2e harness: e2e_image builds the stick the way the e2e tests do.
. tests/e2e/lib.sh
command -v "$QEMU" >/dev/null 2>&1 || skip_all "$QEMU is not installed"
[ -f "$OVMF_CODE" ] && [ -f "$OVMF_VARS" ] || skip_all "OVMF firmware not found at $OVMF_CODE"
rm -rf "$W"
mkdir -p "$W"
WORK=$W
LOG=$W/serial.log

# panic=-1: a guest that runs out of memory reboots at once, which -no-reboot
# turns into QEMU's exit, instead of hanging until the timeout.
WORDS="lastgood.poweroff=1 panic=-1"
bench_log "boot: building the sticks (recovery image and floor)"
e2e_image "$WORDS"
mv "$W/usb.img" "$W/lastgood-usb.img"

# The floor: same stub, kernel, command line and stick; /init powers off.
mkdir -p "$W/floor-root"
cp "$FLOOR_INIT" "$W/floor-root/init"
(cd "$W/floor-root" && echo init | cpio -o -H newc --quiet) >"$W/floor-initrd.img"
base=$(objcopy -O binary --only-section=.cmdline "$OUT/lastgood.efi" /dev/stdout)
# shellcheck disable=SC1091
. "$OUT/cache/kernel.env"
media/mkefi.sh -s "$OUT/efi/stub.efi" -k "$VMLINUZ" -i "$W/floor-initrd.img" -c "$base $WORDS" \
	-v "lastgood-floor (kernel $KVER)" -b "$OUT/media/sbat.csv" -o "$W/floor.efi"
media/mkusb.sh -e "$W/floor.efi" -d "$OUT/media/denylist.json" -r media/README.txt -s 96 \
	-o "$W/floor-usb.img" 2>/dev/null

# boot KIND MEM TIMEOUT TAG: one boot from a fresh stick, disk and variable
# store; appends benchrun's line to $W/KIND.runs (or $W/KIND-mem.runs);
# the time-stamped console is $W/TAG.log. Succeeds when the run completed.
boot() {
	kind=$1 mem=$2 tmo=$3 tag=$4 res=$5
	run=$W/run
	rm -rf "$run"
	mkdir -p "$run"
	cp --sparse=always "$OUT/fixtures/crowdstrike.img" "$run/disk.img"
	cp --sparse=always "$W/$kind-usb.img" "$run/usb.img"
	cp "$OVMF_VARS" "$run/vars.fd"
	"$OVMFVARS_TOOL" add-boot "$run/vars.fd" 0007 "Windows Boot Manager" '\EFI\Microsoft\Boot\bootmgfw.efi' >/dev/null
	"$BENCHRUN" -t "$tmo" -l "$W/$tag.raw" -k '!!!! X64 Exception' -o "$res" -- "$QEMU" -machine q35 -accel tcg -m "$mem" -smp 1 \
		-display none -monitor none -no-reboot -serial stdio -nic none \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$run/vars.fd" \
		-device qemu-xhci,id=xhci \
		-drive "if=none,id=stick,format=raw,file=$run/usb.img" \
		-device usb-storage,bus=xhci.0,drive=stick,removable=on,bootindex=0 \
		-drive "if=none,id=disk1,format=raw,file=$run/disk.img" \
		-device virtio-blk-pci,drive=disk1,bootindex=2 </dev/null
	sed -e 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' -e 's/\r//g' "$W/$tag.raw" >"$W/$tag.log"
	rm -f "$W/$tag.raw"
	st=$(tail -n 1 "$res" | sed -n 's/.*status=\([0-9]*\).*/\1/p')
	[ "$st" = 0 ] || return 1
	grep -q 'reboot: Power down' "$W/$tag.log" || return 1
	if [ "$kind" = lastgood ]; then
		grep -q 'lastgood: Done: 1 file moved to quarantine' "$W/$tag.log" || return 1
		id=$(sed -n 's/.*lastgood fix: run \([0-9]\{8\}T[0-9]\{6\}Z-[0-9a-f]*\),.*/\1/p' "$W/$tag.log" | tail -n 1)
		[ -n "$id" ] || return 1
		MTOOLS_SKIP_CHECK=1 mcopy -n -i "$run/usb.img@@1M" "::/lastgood/reports/$id.json" "$W/$tag.report.json" 2>/dev/null ||
			return 1
	fi
	return 0
}

# Phases of one boot, in seconds, as JSON: host-side stamps for the parts
# before the kernel and after power-off is announced; the image's own
# lastgood-phases line between; scan and apply from its report.
phases() {
	awk -F '\t' -v wall="$2" '
	!fw && $2 ~ /lastgood: \[1\/4\]/ { fw = $1 }
	!ks && $2 ~ /lastgood: \[4\/4\] starting the kernel/ { ks = $1 }
	!p1 && $2 ~ /^\[ *[0-9.]+\] lastgood: ==>/ { p1 = $1; up = $2; sub(/^\[ */, "", up); sub(/\].*/, "", up) }
	$2 ~ /lastgood: ==> Powering off/ { off = $1 }
	$2 ~ /^lastgood-phases:/ { ph = $2 }
	END {
		printf "{\"firmware\": %.3f, \"stub\": %.3f", fw, ks - fw
		if (p1) {
			# kernel: from the stub hand-over to the first PID 1 line; of
			# that, kernel_init is what the kernel clock counted (the
			# PID 1 stamp) and kernel_load the rest (the firmware
			# loading the kernel, its EFI stub decompressing it)
			printf ", \"kernel\": %.3f, \"kernel_load\": %.3f, \"kernel_init\": %.3f", p1 - ks, p1 - ks - up, up
			n = split(ph, kv, " ")
			for (i = 2; i <= n; i++) { split(kv[i], a, "="); printf ", \"%s\": %s", a[1], a[2] }
			printf ", \"shutdown\": %.3f", wall - off
		} else
			printf ", \"kernel_to_poweroff\": %.3f", wall - ks
		printf "}"
	}' "$1"
}

report_timings() {
	jq -c '{scan: ([.volumes[].timings.match // 0] | add), apply: ([.volumes[].timings.apply // 0] | add),
		open: ([.volumes[].timings.open // 0] | add), close: ([.volumes[].timings.close // 0] | add),
		verify: .timings.verify, discover: .timings.discover}' "$1"
}

: >"$W/lastgood.runs"
: >"$W/floor.runs"
: >"$W/lastgood.phases"
: >"$W/floor.phases"
bench_log "boot_to_done: $RUNS boots of each image at $MEM MiB, alternating"
i=1
while [ $i -le "$RUNS" ]; do
	boot floor "$MEM" 300 "floor-$i" "$W/floor.runs" ||
		{ echo "boot.sh: the floor image did not power off (see $W/floor-$i.log)" >&2; exit 1; }
	phases "$W/floor-$i.log" "$(tail -n 1 "$W/floor.runs" | sed 's/wall=\([^ ]*\).*/\1/')" >>"$W/floor.phases"
	echo >>"$W/floor.phases"
	if ! boot lastgood "$MEM" 300 "lastgood-$i" "$W/lastgood.runs"; then
		echo "boot.sh: the recovery image did not complete the CrowdStrike repair (see $W/lastgood-$i.log)" >&2
		tail -n 20 "$W/lastgood-$i.log" >&2
		exit 1
	fi
	{
		phases "$W/lastgood-$i.log" "$(tail -n 1 "$W/lastgood.runs" | sed 's/wall=\([^ ]*\).*/\1/')" |
			jq -c --argjson r "$(report_timings "$W/lastgood-$i.report.json")" '. + {engine_detail: $r}'
	} >>"$W/lastgood.phases"
	i=$((i + 1))
done

lgw=$(bench_field "$W/lastgood.runs" wall | bench_stats | cut -d' ' -f1)
fw=$(bench_field "$W/floor.runs" wall | bench_stats | cut -d' ' -f1)
ratio=$(awk -v a="$lgw" -v b="$fw" 'BEGIN { printf "%.2f", a / b }')
met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.3) ? "true" : "false" }')
# Median of each phase over the runs.
med_phases() {
	jq -s '[.[] | to_entries[] | select(.value | type == "number")] | group_by(.key) |
		map({key: .[0].key, value: ([.[].value] | sort | if length % 2 == 1 then .[length / 2 | floor]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end)}) | from_entries' "$1"
}
lg_ph=$(med_phases "$W/lastgood.phases")
fl_ph=$(med_phases "$W/floor.phases")
eng=$(jq -s '[.[] | .engine_detail] | {scan: (map(.scan) | sort | .[length / 2 | floor]),
	apply: (map(.apply) | sort | .[length / 2 | floor]), verify: (map(.verify) | sort | .[length / 2 | floor]),
	discover: (map(.discover) | sort | .[length / 2 | floor])}' "$W/lastgood.phases")
phase_text=$(echo "$lg_ph" | jq -r 'to_entries | map("\(.key) \(.value)") | join(", ")')
bench_entry boot_to_done "$lgw" "$fw" s \
	"QEMU TCG wall time, start to power-off, median of $RUNS boots each at $MEM MiB; baseline: same OVMF, stub, kernel and command line with an initramfs whose /init powers off at once; ratio ${ratio} (goal <= 1.3); lastgood phases (s, median): $phase_text; unlock: none (no BitLocker volume in this scenario)" \
	"$(jq -cn --argjson lg "$(bench_summary "$W/lastgood.runs" wall)" --argjson fl "$(bench_summary "$W/floor.runs" wall)" \
		--argjson lp "$lg_ph" --argjson fp "$fl_ph" --argjson eng "$eng" --argjson met "$met" --argjson mem "$MEM" \
		'{goal: "at most 1.3 times the floor", goal_met: $met, guest_mib: $mem, lastgood_runs: $lg, baseline_runs: $fl,
		  lastgood_phases_median_s: $lp, lastgood_engine_median_s: $eng, floor_phases_median_s: $fp,
		  phase_sources: "firmware, stub, kernel, shutdown: host time stamps of the serial lines; mounts, drivers (modules), disks (disk settle), denylist, engine (scan + apply), finish (report): the image lastgood-phases line; engine detail: the run report on the stick"}')"

if [ "${BENCH_MEMORY_FLOOR:-1}" = 0 ]; then
	bench_skip memory_floor MB "BENCH_MEMORY_FLOOR=0"
	exit 0
fi

# memory_floor: halve from $MEM while the run completes, then bisect
# between the last failure and the last success to $STEP MiB.
tmo_of() {
	awk -v w="$1" 'BEGIN { t = int(2 * w + 30); print (t > 300) ? 300 : t }'
}
search() {
	kind=$1 tmo=$2
	hi=$MEM lo=0 m=$((MEM / 2))
	: >"$W/$kind-mem.tsv"
	while [ "$m" -ge 16 ]; do
		if boot "$kind" "$m" "$tmo" "$kind-mem-$m" "$W/$kind-mem.runs"; then
			echo "$m	ok" >>"$W/$kind-mem.tsv"
			hi=$m
			m=$((m / 2))
		else
			echo "$m	fail" >>"$W/$kind-mem.tsv"
			lo=$m
			break
		fi
	done
	while [ "$lo" -gt 0 ] && [ $((hi - lo)) -gt "$STEP" ]; do
		m=$(((lo + hi) / 2 / 4 * 4))
		if boot "$kind" "$m" "$tmo" "$kind-mem-$m" "$W/$kind-mem.runs"; then
			echo "$m	ok" >>"$W/$kind-mem.tsv"
			hi=$m
		else
			echo "$m	fail" >>"$W/$kind-mem.tsv"
			lo=$m
		fi
	done
	echo "$hi $lo"
}
bench_log "memory_floor: halving then bisecting the guest memory (recovery image, then floor)"
set -- $(search lastgood "$(tmo_of "$lgw")")
lg_hi=$1 lg_lo=$2
set -- $(search floor "$(tmo_of "$fw")")
fl_hi=$1 fl_lo=$2
tried() { awk -F '\t' '{ printf "%s%s: %s", (NR > 1 ? ", " : ""), $1, $2 }' "$1"; }
tried_json() { awk -F '\t' 'BEGIN { printf "[" } { printf "%s{\"mib\": %s, \"completed\": %s}", (NR > 1 ? ", " : ""), $1, ($2 == "ok") ? "true" : "false" } END { printf "]" }' "$1"; }
metm=$(awk -v m="$lg_hi" 'BEGIN { print (m <= 160) ? "true" : "false" }')
bench_entry memory_floor "$lg_hi" "$fl_hi" MB \
	"smallest guest memory (-m, MiB) with which the CrowdStrike repair completes (failed at $lg_lo); baseline: the floor image's smallest memory that still powers off (failed at $fl_lo); resolution $STEP MiB; tried: lastgood $(tried "$W/lastgood-mem.tsv"); floor $(tried "$W/floor-mem.tsv")" \
	"$(jq -cn --argjson met "$metm" --argjson a "$(tried_json "$W/lastgood-mem.tsv")" --argjson b "$(tried_json "$W/floor-mem.tsv")" \
		--argjson lo "$lg_lo" --argjson flo "$fl_lo" --argjson step "$STEP" \
		'{goal: "160 MiB or less", goal_met: $met, lastgood_failed_at: $lo, baseline_failed_at: $flo, resolution_mib: $step,
		  lastgood_tried: $a, baseline_tried: $b}')"
