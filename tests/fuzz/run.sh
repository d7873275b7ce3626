#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run one libFuzzer harness: tests/fuzz/run.sh NAME SECONDS [CORPUS_DIR]
# NAME's binary is $OUT/fuzz/fuzz_NAME (build/fuzz.mk), its seeds
# tests/fuzz/corpus/NAME/. New inputs go to CORPUS_DIR (kept: make fuzz)
# or to a temporary directory (the short runs of make check). Exits 0 when
# nothing crashed, 1 otherwise, with the reproducer's path.
set -eu
name=${1:?usage: run.sh NAME SECONDS [CORPUS_DIR]}
secs=${2:?usage: run.sh NAME SECONDS [CORPUS_DIR]}
cd "$(dirname "$0")/../.."
OUT=${OUT:-out}
bin=$OUT/fuzz/fuzz_$name
[ -x "$bin" ] || { echo "no $bin: run 'make $bin'"; exit 1; }

if [ $# -ge 3 ]; then
	work=$3
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/lg-fuzz-"$name".XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
art=$OUT/fuzz/artifacts/$name
mkdir -p "$art"
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$art/"
[ -f "tests/fuzz/$name.dict" ] && set -- "$@" -dict="tests/fuzz/$name.dict"

echo "fuzz_$name: ${secs}s, seeds tests/fuzz/corpus/$name, corpus $work"
rc=0
"$bin" "$@" "$work" "tests/fuzz/corpus/$name" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "FAIL fuzz_$name (exit $rc): reproducer in $art/ (rerun: $bin $art/crash-...)"
	exit 1
fi
echo "fuzz_$name: no crash in ${secs}s"
