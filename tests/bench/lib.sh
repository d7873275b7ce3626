# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Helpers of the benchmarks (tests/bench/*.sh), sourced after `set -eu`.
#
#   bench_measure FILE STDOUT CMD...
#                               run CMD under benchrun and append its line
#                               (wall=S maxrss_kb=N user=S sys=S status=N)
#                               to FILE; CMD's stdout goes to STDOUT, its
#                               stderr to $BENCH_STDERR. Prints CMD's exit
#                               status.
#   bench_field FILE KEY        the KEY values of FILE's lines, one a line
#   bench_stats                 numbers on stdin -> "median min max n"
#   bench_json_list             numbers on stdin -> a JSON array
#   bench_entry NAME VALUE BASELINE UNIT NOTES [EXTRA-JSON]
#                               append one result to $PARTS/$BENCH.jsonl
#   bench_skip NAME UNIT WHY    a result with null figures and the reason
#   bench_drop_caches           drop the page cache; fails without root
#
# A result: name, value (lastgood's figure), baseline (the baseline's, same
# unit), ratio = value / baseline, unit, notes, then the keys of EXTRA-JSON
# (raw runs, spread, goal). docs/benchmarks.md describes them.

OUT=${OUT:-out}
BENCHRUN=${BENCHRUN:-$OUT/tests/bench/benchrun}
BENCH_STDERR=${BENCH_STDERR:-/dev/null}

bench_log() {
	echo "bench: $*" >&2
}

bench_measure() {
	# (Shell variables are global: helpers keep to bm_ names.)
	bm_f=$1 bm_o=$2
	shift 2
	"$BENCHRUN" -o "$bm_f" -- "$@" >"$bm_o" 2>>"$BENCH_STDERR" </dev/null
	tail -n 1 "$bm_f" | sed -n 's/.*status=\([0-9]*\).*/\1/p'
}

bench_field() {
	sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"
}

bench_stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "null null null 0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g %d\n", m, v[1], v[NR], NR }'
}

bench_json_list() {
	awk 'BEGIN { printf "[" } { printf "%s%.6g", (NR > 1 ? ", " : ""), $1 } END { printf "]" }'
}

bench_entry() {
	mkdir -p "$PARTS"
	jq -cn --arg name "$1" --argjson value "$2" --argjson baseline "$3" --arg unit "$4" \
		--arg notes "$5" --argjson extra "${6:-{\}}" \
		'{name: $name, value: $value, baseline: $baseline,
		  ratio: (if $value == null or $baseline == null or $baseline == 0 then null
		          else (($value / $baseline) * 10000 | round) / 10000 end),
		  unit: $unit, notes: $notes} + $extra' >>"$PARTS/$BENCH.jsonl"
}

bench_skip() {
	bench_log "$1 skipped: $3"
	bench_entry "$1" null null "$2" "skipped: $3" '{"skipped": true}'
}

bench_drop_caches() {
	sync
	{ echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null
}

# "median min max n" of KEY over FILE, as JSON {"median":..,"min":..,"max":..,"runs":[..]}.
bench_summary() {
	set -- "$1" "$2" "$(bench_field "$1" "$2" | bench_stats)" "$(bench_field "$1" "$2" | bench_json_list)"
	echo "$3" | awk -v runs="$4" '{ printf "{\"median\": %s, \"min\": %s, \"max\": %s, \"runs\": %s}", $1, $2, $3, runs }'
}
