#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# out/lastgood loads libcryptsetup, libxml2, libcurl, libmicrohttpd and
# libsqlite3 only when a command calls into them (recovery/cli/lazy/,
# docs/benchmarks.md scan_path): none of them is a NEEDED entry, a scan
# maps none of them, an import maps libxml2, and a library that cannot be
# loaded ends the command with a message naming it (exit 1) while the
# commands that do not need it still work.
set -eu
. tests/host/lib.sh
need jq

LAZY="libcryptsetup.so libxml2.so libcurl.so libmicrohttpd.so libsqlite3.so"

# 1. not linked
readelf -d "$LG" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' >"$T/needed"
bad_needed=""
for l in $LAZY; do grep -q "^$l" "$T/needed" && bad_needed="$bad_needed $l"; done
[ -z "$bad_needed" ] && ok "not linked:$(for l in $LAZY; do printf ' %s' "${l%.so}"; done) (NEEDED: $(tr '\n' ' ' <"$T/needed"))" ||
	bad "linked although loaded at first use:$bad_needed"
# (a SANITIZE=1 build adds the sanitizers' runtimes and what they need)
n=$(ldd "$LG" | grep '=>' | grep -vcE 'lib(asan|ubsan|lsan|tsan|stdc\+\+|gcc_s|m|dl|rt|pthread)\.so' || true)
[ "$n" -le 5 ] && ok "ldd: $n shared libraries" || bad "ldd: $n shared libraries (more than 5)"

# 2. a scan maps none of them; a deny-list import maps libxml2
IMG=$(fixture crowdstrike)
LD_DEBUG=files "$LG" scan --denylist "$DL" --trust "$TRUST" --json "$IMG" >"$T/scan.json" 2>"$T/scan.ld" || true
jq -e '.volumes | length > 0' "$T/scan.json" >/dev/null && ok "the scan ran" || bad "the scan did not run: $(tail -n 2 "$T/scan.ld")"
loaded=$(grep -o 'file=lib[a-z0-9-]*\.so[.0-9]*' "$T/scan.ld" | sed 's/file=//' | sort -u | tr '\n' ' ')
hit=""
for l in $LAZY; do case " $loaded" in *" $l"*) hit="$hit $l" ;; esac; done
[ -z "$hit" ] && ok "a scan loads only: $loaded" || bad "a scan loaded:$hit"

SIP=tests/fixtures/importers/sipolicy-sample.xml
set +e
LD_DEBUG=files "$LG" denylist import --from sipolicy -o "$T/imported.json" "$SIP" \
	>"$T/imp.out" 2>"$T/imp.ld"
rc=$?
set -e
[ "$rc" = 0 ] && grep -q 'file=libxml2.so' "$T/imp.ld" && ok "denylist import loads libxml2 (exit $rc)" ||
	bad "denylist import did not load libxml2 (exit $rc): $(grep -v '^ *[0-9]*:' "$T/imp.ld" | tail -n 2)"

# 3. a library that cannot be loaded: a broken libxml2.so.2 first in the path
mkdir -p "$T/broken"
echo "not a library" >"$T/broken/libxml2.so.2"
set +e
LD_LIBRARY_PATH=$T/broken "$LG" denylist import --from sipolicy \
	-o "$T/imported2.json" "$SIP" >"$T/b.out" 2>"$T/b.err"
rc=$?
set -e
if [ "$rc" = 1 ] && grep -q "lastgood: importing XML (lastgood denylist import) needs libxml2.so.2, which cannot be loaded" "$T/b.err"; then
	ok "without libxml2: import says which library is missing, exit 1"
else
	bad "without libxml2: exit $rc, $(cat "$T/b.err" | head -n 2)"
fi
LD_LIBRARY_PATH=$T/broken "$LG" scan --denylist "$DL" --trust "$TRUST" --json "$IMG" >"$T/scan2.json" 2>/dev/null || true
jq -e '.volumes | length > 0' "$T/scan2.json" >/dev/null && ok "without libxml2: scan still works" ||
	bad "without libxml2: scan fails"

finish
