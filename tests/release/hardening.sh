#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The release build's protections, checked in the binaries themselves
# (docs/release.md), with binutils' readelf and objdump:
#   PIE           ELF type DYN and DT_FLAGS_1 PIE
#   RELRO         a GNU_RELRO segment
#   BIND_NOW      DT_FLAGS BIND_NOW / DT_FLAGS_1 NOW (full RELRO with the above)
#   stack protector   __stack_chk_fail imported
#   FORTIFY       fortified libc calls (__*_chk) imported
#   -O2, -fstack-protector-strong, -fstack-clash-protection,
#   -fcf-protection=full, -fPIE  recorded by gcc for every compilation unit
#                 (-frecord-gcc-switches: .GCC.command.line, kept by strip);
#                 stack clash probing leaves nothing else to look for
#   CET/IBT       endbr64 landing pads in the code
# Debian's hardening-check (devscripts) reads the same fields; devscripts
# would bring 47 packages (a newer perl among them) for one script.
#
# usage: tests/release/hardening.sh [ELF...]
# Without arguments: $OUT_REL/lastgood (and lastgood-init), and /init as
# packed in out/lastgood.efi (its .initrd section) or out/media/initrd.img.
# The dev build (out/lastgood) must fail the checks it is not built for:
# a checker that passes everything proves nothing.
set -u
OUT=${OUT:-out}
OUT_REL=${OUT_REL:-$OUT/rel}
export PATH="$PATH:/usr/sbin:/sbin"
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-harden.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# missing FILE: the protections FILE lacks, one word each, on stdout
missing() {
	local f=$1 n
	readelf -hW "$f" >"$T/h" 2>/dev/null || { echo not-elf; return; }
	readelf -dW "$f" >"$T/d" 2>/dev/null
	readelf -lW "$f" >"$T/l" 2>/dev/null
	readelf --dyn-syms -W "$f" >"$T/s" 2>/dev/null
	grep -q 'Type:[[:space:]]*DYN' "$T/h" && grep -q 'FLAGS_1).*PIE' "$T/d" || echo pie
	grep -q GNU_RELRO "$T/l" || echo relro
	grep -Eq '\(FLAGS\).*BIND_NOW|FLAGS_1\).* NOW' "$T/d" || echo bindnow
	grep -q ' UND __stack_chk_fail' "$T/s" || echo stack-protector
	grep -v __stack_chk_fail "$T/s" | grep -Eq ' UND __[a-z0-9_]+_chk(@| |$)' || echo fortify
	# every recorded compilation unit carries every flag
	readelf -p .GCC.command.line "$f" 2>/dev/null | sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | grep . >"$T/cl"
	if [ ! -s "$T/cl" ]; then echo recorded-flags
	else
		for flag in -O2 -fstack-protector-strong -fstack-clash-protection -fcf-protection=full -fPIE; do
			n=$(grep -vc -- " $flag\( \|$\)" "$T/cl")
			[ "$n" -eq 0 ] || echo "$flag"
		done
	fi
	n=$(objdump -d --no-show-raw-insn -j .text "$f" 2>/dev/null | grep -c 'endbr64')
	[ "$n" -ge 50 ] || echo cet-endbr64
}

check() {
	local what=$1 f=$2 m
	[ -f "$f" ] || { bad "$what: $f does not exist"; return; }
	m=$(missing "$f" | tr '\n' ' ')
	if [ -z "$m" ]; then ok "$what ($f): PIE, RELRO, BIND_NOW, stack protector, FORTIFY, recorded flags, endbr64"
	else bad "$what ($f) lacks: $m"; fi
}

# the packed /init: out of lastgood.efi's .initrd section, or the initrd
packed_init() {
	local src=""
	if [ -f "$OUT/lastgood.efi" ] && objcopy --dump-section .initrd="$T/initrd" "$OUT/lastgood.efi" "$T/efi.tmp" 2>/dev/null; then
		src="$OUT/lastgood.efi .initrd"
	elif [ -f "$OUT/media/initrd.img" ]; then
		cp "$OUT/media/initrd.img" "$T/initrd"; src="$OUT/media/initrd.img"
	else
		return 1
	fi
	mkdir -p "$T/root"
	{ zstd -dc "$T/initrd" 2>/dev/null || gzip -dc "$T/initrd" 2>/dev/null || cat "$T/initrd"; } |
		(cd "$T/root" && cpio --quiet -id ./init init 2>/dev/null)
	[ -f "$T/root/init" ] || { bad "no /init in $src"; return 0; }
	check "packed /init ($src)" "$T/root/init"
}

if [ $# -gt 0 ]; then
	for f in "$@"; do check "$f" "$f"; done
else
	[ -x "$OUT_REL/lastgood" ] || { echo "SKIP: $OUT_REL/lastgood is not built (make release)"; exit 77; }
	for f in "$OUT_REL"/lastgood "$OUT_REL"/lastgood-init; do
		[ -f "$f" ] && check "release build" "$f"
	done
	packed_init || echo "note: no image built (make image): the packed /init is not checked"
	# the checker can tell: the dev build has no BIND_NOW and none of its
	# units records the release flags. (Its imports of __stack_chk_fail
	# and the _chk functions no longer tell it apart: both builds link
	# Debian's static libarchive, libsodium, ... which Debian compiled with
	# the stack protector and FORTIFY; the recorded flags cover our units.)
	if [ -x "$OUT/lastgood" ]; then
		m=$(missing "$OUT/lastgood" | tr '\n' ' ')
		case $m in
		*bindnow*recorded-flags*) ok "the dev build ($OUT/lastgood) is told apart: lacks $m" ;;
		*) bad "the dev build ($OUT/lastgood) passes checks it cannot pass (lacks only: '$m')" ;;
		esac
	fi
fi
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
