#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The UEFI stub and lastgood.efi are NX-compatible (efi/efi.mk,
# docs/secure-boot.md): every section is page-aligned, none is writable
# and executable at once, code is in .text only, the sections mkefi.sh
# adds (.sbat, .linux, .initrd, .cmdline, .version) are read-only data,
# and the image says so: DllCharacteristics has NX_COMPAT (0x100).
# A tiny PE reader (od), not objdump: objdump -h does not print the
# execute bit of a section nor DllCharacteristics' bits by name.
set -eu
OUT=${OUT:-out}
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-nx.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

u16() { od -An -t u2 -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }

# pe_sections FILE: "name characteristics(hex) virtual_address" per section;
# sets DLLCH (DllCharacteristics) and SALIGN (SectionAlignment)
pe_check() {
	local f=$1 what=$2 pe nsec optsz magic sh i name ch va W X
	pe=$(u32 "$f" 60)
	[ "$(od -An -c -j "$pe" -N 2 "$f" | tr -d ' ')" = PE ] || { bad "$what: not a PE file"; return; }
	nsec=$(u16 "$f" $((pe + 6)))
	optsz=$(u16 "$f" $((pe + 20)))
	magic=$(u16 "$f" $((pe + 24)))
	[ "$magic" = 523 ] || { bad "$what: not PE32+ (magic $magic)"; return; }
	SALIGN=$(u32 "$f" $((pe + 24 + 32)))
	DLLCH=$(u16 "$f" $((pe + 24 + 70)))
	sh=$((pe + 24 + optsz))
	: >"$T/sections"
	i=0
	while [ "$i" -lt "$nsec" ]; do
		name=$(dd if="$f" bs=1 skip=$((sh + 40 * i)) count=8 status=none | tr -d '\000')
		va=$(u32 "$f" $((sh + 40 * i + 12)))
		ch=$(u32 "$f" $((sh + 40 * i + 36)))
		printf '%s 0x%08x %s\n' "$name" "$ch" "$va" >>"$T/sections"
		i=$((i + 1))
	done
	echo "$what: sections (name, characteristics, RVA):"; sed 's/^/    /' "$T/sections"
	[ "$SALIGN" -ge 4096 ] && ok "$what: SectionAlignment $SALIGN (page)" || bad "$what: SectionAlignment $SALIGN < 4096"
	W=0 X=0
	while read -r name ch va; do
		[ $((va % 4096)) -eq 0 ] || bad "$what: $name starts at RVA $va, not on a page"
		if [ $((ch & 0x80000000)) -ne 0 ] && [ $((ch & 0x20000000)) -ne 0 ]; then
			bad "$what: $name is writable and executable ($ch)"; W=1
		fi
		if [ $((ch & 0x20000000)) -ne 0 ] || [ $((ch & 0x20)) -ne 0 ]; then
			[ "$name" = .text ] || { bad "$what: $name is executable or code ($ch); only .text may be"; X=1; }
		fi
		case $name in .sbat|.linux|.initrd|.cmdline|.version|.reloc|.rela|.dynsym)
			[ $((ch & 0x80000000)) -eq 0 ] || bad "$what: $name is writable ($ch)" ;;
		esac
	done <"$T/sections"
	[ "$W" = 0 ] && ok "$what: no section is writable and executable"
	[ "$X" = 0 ] && ok "$what: only .text is executable"
	if [ $((DLLCH & 0x100)) -ne 0 ]; then ok "$what: DllCharacteristics $(printf 0x%04x "$DLLCH") has NX_COMPAT"
	else bad "$what: DllCharacteristics $(printf 0x%04x "$DLLCH") lacks NX_COMPAT (0x100)"; fi
}

# with NX, code is mapped read-only: gnu-efi's start-up code applies the
# relocations itself (_relocate), so every one must land in a writable section
if [ -f "$OUT/efi/stub.so" ]; then
	readelf -SW "$OUT/efi/stub.so" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) *[A-Z_]* *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\) [0-9a-f]* *\([A-Z]*\) .*/\1 \2 \3 \4/p' >"$T/elfsec"
	readelf -rW "$OUT/efi/stub.so" | awk '$1 ~ /^[0-9a-f]+$/ && length($1) == 16 {print $1}' >"$T/relocs"
	n=0 outside=0
	while read -r off; do
		n=$((n + 1))
		o=$((0x$off))
		in=0
		while read -r _ a z fl; do
			case $fl in *W*) [ "$o" -ge $((0x$a)) ] && [ "$o" -lt $((0x$a + 0x$z)) ] && in=1 ;; esac
		done <"$T/elfsec"
		[ "$in" = 1 ] || { outside=$((outside + 1)); [ "$outside" -le 3 ] && bad "relocation at 0x$off is not in a writable section"; }
	done <"$T/relocs"
	[ "$n" -gt 0 ] && [ "$outside" -eq 0 ] && ok "stub.so: all $n relocations land in writable sections (.data, .dynamic)"
	[ "$n" -gt 0 ] || bad "stub.so: no relocations found (the reader is broken?)"
fi
checked=0
for f in "$OUT/efi/stub.efi" "$OUT/lastgood.efi"; do
	[ -f "$f" ] || { echo "note: $f is not built"; continue; }
	# an image left from before the stub it carries was rebuilt is not
	# what this tree makes (make check rebuilds it first)
	if [ "$f" = "$OUT/lastgood.efi" ] && [ "$f" -ot "$OUT/efi/stub.efi" ]; then
		echo "note: $f is older than $OUT/efi/stub.efi (rebuild it: make image)"; continue
	fi
	pe_check "$f" "$(basename "$f")"; checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || { echo "SKIP: no $OUT/efi/stub.efi (make efi-stub)"; exit 77; }
# the reader can fail: a copy with .text made writable and the bit cleared
if [ -f "$OUT/efi/stub.efi" ]; then
	objcopy --set-section-flags .text=code,alloc,load,contents "$OUT/efi/stub.efi" "$T/bad.efi" 2>/dev/null
	saved=$fails
	pe_check "$T/bad.efi" "mutated copy" >"$T/mut" 2>&1 || true
	if [ "$fails" -gt "$saved" ] && grep -q 'writable and executable' "$T/mut"; then
		fails=$saved; ok "a copy with a writable .text is refused"
	else fails=$saved; bad "a copy with a writable .text passes: the reader is broken"; cat "$T/mut"; fi
fi
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
