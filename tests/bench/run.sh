#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The benchmarks of `make bench`, in order: scan_hash and scan_path
# (scan.sh), image_size and build_time (image.sh), boot_to_done and
# memory_floor (boot.sh). Each writes its results to $PARTS/<part>.jsonl;
# tests/bench/report.sh merges them into out/bench/results.json.
# A part that fails is reported and the others still run; exit 1 then.
#
# usage: tests/bench/run.sh [PART...]      (default: scan image boot)
# env:   OUT, PARTS, and the knobs of each part (docs/benchmarks.md)
set -eu
cd "$(dirname "$0")/../.."
OUT=${OUT:-out}
PARTS=${PARTS:-$OUT/bench/parts}
export OUT PARTS
mkdir -p "$PARTS"
[ $# -gt 0 ] || set -- scan image boot
rc=0
for part in "$@"; do
	start=$(date +%s)
	echo "bench: == $part =="
	if ! "tests/bench/$part.sh"; then
		echo "bench: $part FAILED" >&2
		rc=1
	fi
	echo "bench: $part took $(($(date +%s) - start)) s"
done
exit $rc
