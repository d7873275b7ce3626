#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# image_size and build_time.
#
# image_size: out/lastgood.efi and what is in it (the kernel, the initrd)
# against the smallest peer recovery image we know: SystemRescue's ISO,
# about 900 MB (a WinPE-based recovery stick is hundreds of MB). The peer
# figure is a published size, not measured here.
#
# build_time: `make image` from scratch in a fresh output folder whose
# package cache is warm (the kernel .deb is already downloaded, as it is
# after any earlier build), against `make` (the engine and the CLI alone)
# from scratch in the same folder: the image costs value - baseline more.
#
# usage: tests/bench/image.sh          (make bench runs it)
# env:   OUT, PARTS, BENCH_BUILD_RUNS (default 3), BENCH_BUILD=0 skips build_time
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh

BENCH=image
PARTS=${PARTS:-$OUT/bench/parts}
RUNS=${BENCH_BUILD_RUNS:-3}
PEER_BYTES=900000000
PEER_NAME="SystemRescue ISO (about 900 MB)"
rm -f "$PARTS/$BENCH.jsonl"

EFI=$OUT/lastgood.efi
if [ -f "$EFI" ]; then
	efi=$(stat -c %s "$EFI")
	kern=$(printf '%d' "0x$(objdump -h "$EFI" | awk '$2 == ".linux" { print $3 }')")
	initrd=$(printf '%d' "0x$(objdump -h "$EFI" | awk '$2 == ".initrd" { print $3 }')")
	iso=null
	[ -f "$OUT/lastgood.iso" ] && iso=$(stat -c %s "$OUT/lastgood.iso")
	# The biggest files inside the initrd, uncompressed (the build keeps its tree).
	big=""
	unpacked=null
	if [ -d "$OUT/media/initrd.img.root" ]; then
		unpacked=$(du -sb "$OUT/media/initrd.img.root" | cut -f1)
		big=$(find "$OUT/media/initrd.img.root" -type f -printf '%s %P\n' | sort -rn | head -n 4 |
			awk '{ printf "%s%s %.1f MB", (NR > 1 ? ", " : ""), $2, $1 / 1e6 }')
	fi
	# kernel modules and firmware in it, as packed (media/modules.list)
	mods=0 modb=0 fwb=0
	if [ -f "$OUT/media/initrd.img.modules" ]; then
		mods=$(wc -l <"$OUT/media/initrd.img.modules")
		modb=$(awk -F '\t' '{ s += $2 } END { print s + 0 }' "$OUT/media/initrd.img.modules")
	fi
	[ -f "$OUT/media/initrd.img.firmware" ] && fwb=$(awk -F '\t' '{ s += $2 } END { print s + 0 }' "$OUT/media/initrd.img.firmware")
	met=$([ "$efi" -le 16000000 ] && echo true || echo false)
	mbs=$(awk -v e="$efi" -v k="$kern" -v i="$initrd" 'BEGIN { printf "%.1f MB: kernel %.1f MB, initrd %.1f MB", e / 1e6, k / 1e6, i / 1e6 }')
	bench_entry image_size "$efi" "$PEER_BYTES" bytes \
		"lastgood.efi $mbs (the rest: stub, command line, SBAT); baseline: $PEER_NAME, a published size, not measured; goal lastgood.efi <= 16 MB; largest files in the initrd (uncompressed): ${big:-unknown}; $mods kernel module files ($modb bytes as packed: xz'ed but for the USB stack), firmware $fwb bytes" \
		"$(jq -cn --argjson efi "$efi" --argjson k "$kern" --argjson i "$initrd" --argjson iso "$iso" \
			--argjson u "$unpacked" --argjson met "$met" --arg peer "$PEER_NAME" \
			--argjson mods "$mods" --argjson modb "$modb" --argjson fwb "$fwb" \
			'{goal: "lastgood.efi at most 16 MB", goal_met: $met, lastgood_efi_bytes: $efi, kernel_bytes: $k,
			  initrd_bytes: $i, initrd_unpacked_bytes: $u, iso_bytes: $iso, baseline_is: $peer,
			  module_files: $mods, module_bytes: $modb, firmware_bytes: $fwb}')"
else
	bench_skip image_size bytes "$EFI is missing: the boot image is not built (make image)"
fi

if [ "${BENCH_BUILD:-1}" = 0 ]; then
	bench_skip build_time s "BENCH_BUILD=0"
	exit 0
fi
debs=$(ls "$OUT"/cache/debs/linux-image-*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$debs" ]; then
	bench_skip build_time s "no warm package cache ($OUT/cache/debs has no kernel package): run make image once"
	exit 0
fi

# Sequential builds, as `make image` typed by hand: no job server inherited
# from `make -jN bench`.
unset MAKEFLAGS MFLAGS MAKELEVEL || true
B=$OUT/bench/build
W=$OUT/bench/image
rm -rf "$W"
mkdir -p "$W"
: >"$W/make.runs"
: >"$W/image.runs"
bench_log "build_time: $RUNS from-scratch builds (make, then make image) in $B"
i=1
while [ $i -le "$RUNS" ]; do
	rm -rf "$B"
	mkdir -p "$B/cache/debs"
	# The warm package cache: the downloaded .debs, linked, not rebuilt.
	for d in "$OUT"/cache/debs/*.deb; do
		ln "$d" "$B/cache/debs/" 2>/dev/null || cp "$d" "$B/cache/debs/"
	done
	st=$(bench_measure "$W/make.runs" "$W/make-$i.log" make OUT="$B" all)
	if [ "$st" = 0 ]; then
		st=$(bench_measure "$W/image.runs" "$W/image-$i.log" make OUT="$B" image)
	fi
	if [ "$st" != 0 ]; then
		why=$(tail -n 3 "$W/image-$i.log" "$W/make-$i.log" 2>/dev/null | grep -v '^==>' | grep -v '^$' | tail -n 2 | tr '\n' ' ')
		rm -rf "$B"
		bench_skip build_time s "make image failed in a fresh $B (run $i): $why"
		exit 0
	fi
	i=$((i + 1))
done
rm -rf "$B"

# value: the whole from-scratch image build (make, then make image).
paste -d' ' "$W/make.runs" "$W/image.runs" | awk '{
	for (i = 1; i <= NF; i++) if ($i ~ /^wall=/) { sub(/^wall=/, "", $i); t += $i }
	printf "wall=%.6f\n", t; t = 0 }' >"$W/total.runs"
tv=$(bench_field "$W/total.runs" wall | bench_stats | cut -d' ' -f1)
mv=$(bench_field "$W/make.runs" wall | bench_stats | cut -d' ' -f1)
iv=$(bench_field "$W/image.runs" wall | bench_stats | cut -d' ' -f1)
bench_entry build_time "$tv" "$mv" s \
	"from scratch with a warm package cache, sequential make, median of $RUNS: make then make image = $tv s, of which make image after make = $iv s; baseline: make (engine and CLI) alone = $mv s" \
	"$(jq -cn --argjson t "$(bench_summary "$W/total.runs" wall)" --argjson m "$(bench_summary "$W/make.runs" wall)" \
		--argjson i "$(bench_summary "$W/image.runs" wall)" \
		'{lastgood_runs: $t, baseline_runs: $m, image_step_runs: $i}')"
