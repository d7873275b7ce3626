#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scan_hash and scan_path: lastgood scan against a community script (the
# volume mounted read-only with ntfs-3g, find, sha256sum / stat / head) on
# the same 200,000-file volume, through the same read-only loop device.
#
# usage: tests/bench/scan.sh          (make bench runs it; needs root)
# env:   OUT, PARTS (results folder), BENCH_RUNS (warm runs of each side,
#        default 5), BENCH_COLD_RUNS (default 3), BENCH_PATH_RUNS (default 21)
#
# Writes $PARTS/scan.jsonl: scan_hash, scan_hash_files_per_s,
# scan_hash_peak_rss, scan_hash_cold, scan_path, scan_path_peak_rss.
# Fails (exit 1) when the two sides do not find the same files: then they
# did not do the same work, and the figures would mean nothing.
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh

BENCH=scan
PARTS=${PARTS:-$OUT/bench/parts}
RUNS=${BENCH_RUNS:-5}
COLD_RUNS=${BENCH_COLD_RUNS:-3}
PATH_RUNS=${BENCH_PATH_RUNS:-21}
LG=$OUT/lastgood
TRUST=tests/fixtures/keys/test.pub
VOLUME=$OUT/bench/scan-volume.img
CS_LIST=docs/examples/crowdstrike-2024-07-19.json
W=$OUT/bench/scan
DIRS="Windows/System32/drivers Windows/System32/DriverStore"
CS_DIR=Windows/System32/drivers/CrowdStrike

rm -f "$PARTS/$BENCH.jsonl"

skip_all() {
	for n in scan_hash scan_hash_files_per_s scan_hash_peak_rss scan_hash_cold scan_path scan_path_peak_rss; do
		bench_skip "$n" - "$1"
	done
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "needs root (a loop device and a FUSE mount for the baseline)"
command -v ntfs-3g >/dev/null || skip_all "ntfs-3g is not installed"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
for f in "$LG" "$VOLUME" "$BENCHRUN"; do
	[ -e "$f" ] || { echo "scan.sh: $f is missing (make bench builds it)" >&2; exit 1; }
done

rm -rf "$W"
mkdir -p "$W/mnt"
MNT=$(realpath "$W/mnt")

# The NTFS partition as a read-only loop device: what both sides read.
set -- $(sfdisk -J "$VOLUME" | jq -r '.partitiontable.partitions[] |
	select(.type == "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7") | "\(.start) \(.size)"')
[ $# -eq 2 ] || { echo "scan.sh: no NTFS partition in $VOLUME" >&2; exit 1; }
DEV=$(losetup -r -o $(($1 * 512)) --sizelimit $(($2 * 512)) -f --show "$VOLUME") ||
	skip_all "losetup cannot make a loop device here"
cleanup() {
	exec 9<&-
	umount "$MNT" 2>/dev/null || true
	losetup -d "$DEV" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bench_log "scan: volume $VOLUME on $DEV; deny-list of 2,020 rules"
tests/bench/gen-denylist.sh "$DEV" "$W/list"
grep '^cs-channel-291-bad	' "$W/list/paths.tsv" >"$W/list/cs-paths.tsv"
# The example list's only rule is cs-channel-291-bad: same rule for both.
[ "$(jq -r '.rules | length' "$CS_LIST")" = 1 ] && [ "$(jq -r '.rules[0].id' "$CS_LIST")" = cs-channel-291-bad ] ||
	{ echo "scan.sh: $CS_LIST changed: update the scan_path baseline rule" >&2; exit 1; }

# What the baseline hashes (every *.sys in the walked folders), counted
# once outside the timed runs, through the mount itself.
ntfs-3g -o ro "$DEV" "$MNT"
(cd "$MNT" && find $DIRS -type f -iname '*.sys' -printf '%s\n') >"$W/sizes"
umount "$MNT"
sys_files=$(wc -l <"$W/sizes")
sys_bytes=$(awk '{ s += $1 } END { printf "%.0f", s }' "$W/sizes")

# Hold the device open between runs: the kernel drops a block device's
# page cache at its last close, so without this every run would start with
# a cold loop device (and pay for dropping the cache at its close).
exec 9<"$DEV"

lg_hash() {
	bench_measure "$1" "$W/lg-hash.json" "$LG" scan --denylist "$W/list/hash.json" --trust "$TRUST" --json "$DEV"
}
base_hash() {
	# shellcheck disable=SC2086
	bench_measure "$1" "$W/base-hash.txt" tests/bench/community-scan.sh "$DEV" "$MNT" \
		"$W/list/paths.tsv" "$W/list/hashes.tsv" $DIRS
}
lg_path() {
	bench_measure "$1" "$W/lg-path.json" "$LG" scan --denylist "$CS_LIST" --trust "$TRUST" --json "$DEV"
}
base_path() {
	bench_measure "$1" "$W/base-path.txt" tests/bench/community-scan.sh "$DEV" "$MNT" \
		"$W/list/cs-paths.tsv" - "$CS_DIR"
}

# Both sides must find the same files (lastgood names a file once, with
# its first rule; the script once per rule).
same_files() {
	jq -r '.volumes[].matches[]?.path' "$1" | sort -u >"$W/a"
	cut -f2 "$2" | sort -u >"$W/b"
	if ! cmp -s "$W/a" "$W/b" || ! [ -s "$W/a" ]; then
		echo "scan.sh: lastgood and the baseline found different files ($3):" >&2
		diff "$W/a" "$W/b" >&2 || true
		exit 1
	fi
	wc -l <"$W/a"
}

# Warm-up (fills the page cache; checks the work is the same).
bench_log "scan_hash: warm-up and check"
st=$(lg_hash "$W/warmup")
[ "$st" = 3 ] || { echo "scan.sh: lastgood scan exited $st (expected 3: matches)" >&2; tail -n 5 "$W/warmup" >&2; exit 1; }
[ "$(base_hash "$W/warmup")" = 0 ] || { echo "scan.sh: the baseline script failed" >&2; exit 1; }
n_hash=$(same_files "$W/lg-hash.json" "$W/base-hash.txt" scan_hash)
files_hashed=$(jq '[.volumes[].counters.files_hashed // 0] | add' "$W/lg-hash.json")
bytes_hashed=$(jq '[.volumes[].counters.bytes_hashed // 0] | add' "$W/lg-hash.json")
[ "$files_hashed" = "$sys_files" ] && [ "$bytes_hashed" = "$sys_bytes" ] || {
	echo "scan.sh: lastgood hashed $files_hashed files / $bytes_hashed bytes, the baseline $sys_files / $sys_bytes" >&2
	exit 1
}

bench_log "scan_hash: $RUNS warm runs of each side, alternating"
: >"$W/lg-hash.runs"
: >"$W/base-hash.runs"
: >"$W/lg-hash.timings"
i=0
while [ $i -lt "$RUNS" ]; do
	lg_hash "$W/lg-hash.runs" >/dev/null
	jq -c '{verify: .timings.verify, discover: .timings.discover,
		walk: ([.volumes[].counters.walk_seconds // 0] | add),
		check: ([.volumes[].counters.check_seconds // 0] | add)}' "$W/lg-hash.json" >>"$W/lg-hash.timings"
	base_hash "$W/base-hash.runs" >/dev/null
	i=$((i + 1))
done

cold=no
if bench_drop_caches; then
	cold=yes
	bench_log "scan_hash: $COLD_RUNS cold runs of each side (page cache dropped before each)"
	: >"$W/lg-cold.runs"
	: >"$W/base-cold.runs"
	i=0
	while [ $i -lt "$COLD_RUNS" ]; do
		bench_drop_caches
		lg_hash "$W/lg-cold.runs" >/dev/null
		bench_drop_caches
		base_hash "$W/base-cold.runs" >/dev/null
		i=$((i + 1))
	done
fi

bench_log "scan_path: warm-up, then $PATH_RUNS runs of each side"
[ "$(lg_path "$W/warmup")" = 3 ] || { echo "scan.sh: lastgood scan (CrowdStrike list) did not exit 3" >&2; exit 1; }
[ "$(base_path "$W/warmup")" = 0 ] || { echo "scan.sh: the baseline script failed (CrowdStrike rule)" >&2; exit 1; }
n_path=$(same_files "$W/lg-path.json" "$W/base-path.txt" scan_path)
: >"$W/lg-path.runs"
: >"$W/base-path.runs"
: >"$W/lg-path.timings"
i=0
while [ $i -lt "$PATH_RUNS" ]; do
	lg_path "$W/lg-path.runs" >/dev/null
	jq -c '{verify: .timings.verify, discover: .timings.discover, total: .timings.total,
		match: ([.volumes[].timings.match // 0] | add)}' "$W/lg-path.json" >>"$W/lg-path.timings"
	base_path "$W/base-path.runs" >/dev/null
	i=$((i + 1))
done

# Any run that did not exit as expected spoils the figures.
for f in lg-hash lg-path; do
	bad=$(bench_field "$W/$f.runs" status | grep -vcx 3 || true)
	[ "$bad" = 0 ] || { echo "scan.sh: $bad runs in $f.runs did not exit 3" >&2; exit 1; }
done
for f in base-hash base-path; do
	bad=$(bench_field "$W/$f.runs" status | grep -vcx 0 || true)
	[ "$bad" = 0 ] || { echo "scan.sh: $bad runs in $f.runs failed" >&2; exit 1; }
done

med() { bench_field "$1" "$2" | bench_stats | cut -d' ' -f1; }
# CPU seconds (user + system, every process of the side) of each run.
cpu() { awk '{ u = s = 0; for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "user") u = kv[2]; if (kv[1] == "sys") s = kv[2] }
	printf "cpu=%.3f\n", u + s }' "$1" >"$1.cpu"; echo "$1.cpu"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
tmed() { jq -r ".$2" "$1" | bench_stats | cut -d' ' -f1; }

lgw=$(med "$W/lg-hash.runs" wall)
bw=$(med "$W/base-hash.runs" wall)
speed=$(awk -v a="$lgw" -v b="$bw" 'BEGIN { printf "%.2f", b / a }')
met=$(awk -v s="$speed" 'BEGIN { print (s >= 10) ? "true" : "false" }')
extra=$(jq -cn --argjson lg "$(bench_summary "$W/lg-hash.runs" wall)" --argjson base "$(bench_summary "$W/base-hash.runs" wall)" \
	--argjson speedup "$speed" --argjson met "$met" --argjson files "$files_hashed" --argjson bytes "$bytes_hashed" \
	--argjson nm "$n_hash" --arg verify "$(tmed "$W/lg-hash.timings" verify)" --arg walk "$(tmed "$W/lg-hash.timings" walk)" \
	--arg check "$(tmed "$W/lg-hash.timings" check)" \
	--argjson lgcpu "$(bench_summary "$(cpu "$W/lg-hash.runs")" cpu)" --argjson bcpu "$(bench_summary "$(cpu "$W/base-hash.runs")" cpu)" \
	'{goal: "lastgood at least 10 times faster (ratio <= 0.1)", goal_met: $met, speedup: $speedup, cache: "warm",
	  lastgood_runs: $lg, baseline_runs: $base, lastgood_cpu_s: $lgcpu, baseline_cpu_s: $bcpu,
	  files_hashed: $files, bytes_hashed: $bytes, files_matched: $nm,
	  lastgood_phases_median_s: {verify: ($verify | tonumber), walk: ($walk | tonumber), hash_and_check: ($check | tonumber)}}')
bench_entry scan_hash "$lgw" "$bw" s \
	"median of $RUNS warm runs each; both sides hash the same $files_hashed drivers ($bytes_hashed bytes) and find the same $n_hash files; baseline: ntfs-3g mount + find + sha256sum + awk + umount; ${speed}x faster (goal 10x)" "$extra"

fps_lg=$(awk -v n="$files_hashed" -v t="$lgw" 'BEGIN { printf "%.0f", n / t }')
fps_b=$(awk -v n="$files_hashed" -v t="$bw" 'BEGIN { printf "%.0f", n / t }')
bps_lg=$(awk -v n="$bytes_hashed" -v t="$lgw" 'BEGIN { printf "%.1f", n / t / 1e6 }')
bps_b=$(awk -v n="$bytes_hashed" -v t="$bw" 'BEGIN { printf "%.1f", n / t / 1e6 }')
bench_entry scan_hash_files_per_s "$fps_lg" "$fps_b" files/s \
	"drivers hashed per second of wall time (medians); MB hashed per second: lastgood $bps_lg, baseline $bps_b; higher is better" \
	"$(jq -cn --argjson a "$bps_lg" --argjson b "$bps_b" '{mb_per_s: {lastgood: $a, baseline: $b}}')"

rss_lg=$(mb "$(med "$W/lg-hash.runs" maxrss_kb)")
rss_b=$(mb "$(med "$W/base-hash.runs" maxrss_kb)")
bench_entry scan_hash_peak_rss "$rss_lg" "$rss_b" MB \
	"largest resident set of any process of each side (the ntfs-3g daemon included), median; lower is better" \
	"$(jq -cn --argjson lg "$(bench_summary "$W/lg-hash.runs" maxrss_kb)" --argjson base "$(bench_summary "$W/base-hash.runs" maxrss_kb)" \
		'{lastgood_runs_kb: $lg, baseline_runs_kb: $base}')"

if [ "$cold" = yes ]; then
	lgc=$(med "$W/lg-cold.runs" wall)
	bc=$(med "$W/base-cold.runs" wall)
	sc=$(awk -v a="$lgc" -v b="$bc" 'BEGIN { printf "%.2f", b / a }')
	bench_entry scan_hash_cold "$lgc" "$bc" s \
		"as scan_hash with the page cache dropped (echo 3 > /proc/sys/vm/drop_caches) before every run: reads come from the host's disk; ${sc}x faster" \
		"$(jq -cn --argjson lg "$(bench_summary "$W/lg-cold.runs" wall)" --argjson base "$(bench_summary "$W/base-cold.runs" wall)" --argjson s "$sc" \
			--argjson lgcpu "$(bench_summary "$(cpu "$W/lg-cold.runs")" cpu)" --argjson bcpu "$(bench_summary "$(cpu "$W/base-cold.runs")" cpu)" \
			'{speedup: $s, cache: "cold", lastgood_runs: $lg, baseline_runs: $base, lastgood_cpu_s: $lgcpu, baseline_cpu_s: $bcpu}')"
else
	bench_skip scan_hash_cold s "cannot drop the page cache here (/proc/sys/vm/drop_caches not writable)"
fi

lgp=$(med "$W/lg-path.runs" wall)
bp=$(med "$W/base-path.runs" wall)
sp=$(awk -v a="$lgp" -v b="$bp" 'BEGIN { printf "%.2f", b / a }')
metp=$(awk -v s="$sp" 'BEGIN { print (s >= 2) ? "true" : "false" }')
pv=$(tmed "$W/lg-path.timings" verify)
pd=$(tmed "$W/lg-path.timings" discover)
pm=$(tmed "$W/lg-path.timings" match)
pt=$(tmed "$W/lg-path.timings" total)
bench_entry scan_path "$lgp" "$bp" s \
	"CrowdStrike example list, median of $PATH_RUNS warm runs each; baseline: ntfs-3g mount + find in the CrowdStrike folder (stat) + head -c 8 + umount; ${sp}x faster (goal 2x); lastgood inside: verify ${pv} s, volume open and facts (discover) ${pd} s, match ${pm} s, of ${pt} s measured by itself; the rest is process start and exit" \
	"$(jq -cn --argjson lg "$(bench_summary "$W/lg-path.runs" wall)" --argjson base "$(bench_summary "$W/base-path.runs" wall)" \
		--argjson s "$sp" --argjson met "$metp" --argjson n "$n_path" \
		--arg v "$pv" --arg d "$pd" --arg m "$pm" --arg t "$pt" \
		--argjson lgcpu "$(bench_summary "$(cpu "$W/lg-path.runs")" cpu)" --argjson bcpu "$(bench_summary "$(cpu "$W/base-path.runs")" cpu)" \
		'{goal: "lastgood at least 2 times faster (ratio <= 0.5)", goal_met: $met, speedup: $s,
		  cache: "warm", files_matched: $n, lastgood_runs: $lg, baseline_runs: $base, lastgood_cpu_s: $lgcpu, baseline_cpu_s: $bcpu,
		  lastgood_phases_median_s: {verify: ($v | tonumber), open_and_discover: ($d | tonumber), match: ($m | tonumber), total_inside: ($t | tonumber)}}')"

bench_entry scan_path_peak_rss "$(mb "$(med "$W/lg-path.runs" maxrss_kb)")" "$(mb "$(med "$W/base-path.runs" maxrss_kb)")" MB \
	"largest resident set of any process of each side, median; lower is better"
