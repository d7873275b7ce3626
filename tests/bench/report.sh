#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Merge the benchmark parts ($PARTS/*.jsonl, one result object a line) into
# one JSON list, in the order of the issue, and print it as a table.
#
# usage: tests/bench/report.sh PARTS_DIR RESULTS.json
set -eu
[ $# -eq 2 ] || { echo "usage: $0 PARTS_DIR RESULTS.json" >&2; exit 2; }
parts=$1 results=$2
set -- "$parts"/*.jsonl
[ -e "$1" ] || { echo "report: no results in $parts" >&2; exit 1; }
mkdir -p "$(dirname "$results")"
cat "$@" | jq -s '
	["scan_hash", "scan_hash_files_per_s", "scan_hash_peak_rss", "scan_hash_cold", "scan_path",
	 "scan_path_peak_rss", "boot_to_done", "image_size", "memory_floor", "build_time"] as $order |
	to_entries | sort_by([(.value.name as $n | ($order | index($n)) // 1000), .key]) | map(.value)' \
	>"$results.tmp"
mv "$results.tmp" "$results"

fmt='%-22s %14s %14s %8s  %-8s %s\n'
echo
echo "lastgood benchmarks ($(git describe --always --dirty 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)); ratio = lastgood / baseline"
# shellcheck disable=SC2059
printf "$fmt" name lastgood baseline ratio unit goal
jq -r '.[] | [(.name // ([.bench, .run, .cache] | map(select(. != null) | tostring) | join("_"))),
	(if .value == null then "-" else (.value | tostring) end),
	(if .baseline == null then "-" else (.baseline | tostring) end),
	(if .ratio == null then "-" else (.ratio | tostring) end),
	(.unit // "-"),
	(if .skipped then "skipped: " + (.notes | sub("^skipped: "; ""))
	 elif .goal_met == null then (if .speedup then "\(.speedup)x faster" else "" end)
	 else (if .goal_met then "met" else "MISSED" end) + " (" + .goal + ")"
	      + (if .speedup then ", \(.speedup)x faster" else "" end) end)] | @tsv' "$results" |
while IFS="$(printf '\t')" read -r n v b r u g; do
	# shellcheck disable=SC2059
	printf "$fmt" "$n" "$v" "$b" "$r" "$u" "$g"
done
echo "results: $results (raw runs and notes in each entry)"
