#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# out/lastgood loads libcryptsetup, libxml2, libcurl, libmicrohttpd and
# libsqlite3 only when a command calls into them (recovery/lazy/,
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

# 1b. the stand-ins (recovery/lazy/) are in out/lastgood alone: the engine
# library, PID 1 and the unit tests link the libraries themselves
B=$(dirname "$LG")
defines() { nm "$1" 2>/dev/null | grep -qE " [TD] $2\$"; }
defines "$LG" lg_lazy_sym && defines "$LG" crypt_init && ok "out/lastgood defines the stand-ins (crypt_init)" ||
	bad "out/lastgood does not define lg_lazy_sym and crypt_init"
in_engine=$(nm -A "$B/obj/libengine.a" 2>/dev/null | grep -E ' [TD] (lg_lazy_sym|crypt_init)$' || true)
[ -f "$B/obj/libengine.a" ] && [ -z "$in_engine" ] && ok "libengine.a has no stand-in" ||
	bad "libengine.a missing or has stand-ins: $in_engine"
with_lazy=""
n_units=0
for u in "$B"/tests/unit/test_* "$B/lastgood-init"; do
	[ -x "$u" ] || continue
	n_units=$((n_units + 1))
	defines "$u" lg_lazy_sym && with_lazy="$with_lazy $(basename "$u")"
done
[ "$n_units" -gt 0 ] && [ -z "$with_lazy" ] && ok "$n_units unit tests and PID 1 builds: no stand-in linked" ||
	bad "stand-ins linked into:${with_lazy:- (no unit test built)}"
if [ -x "$B/lastgood-init" ]; then
	readelf -d "$B/lastgood-init" | grep -q 'Shared library: \[libcryptsetup\.so' &&
		ok "PID 1 links libcryptsetup itself" || bad "PID 1 does not link libcryptsetup"
	# PID 1's libcurl: Debian's source built for HTTP(S) only, static
	# (build/mincurl.sh), unless the build asked for Debian's libcurl.so.4
	if readelf -d "$B/lastgood-init" | grep -q 'Shared library: \[libcurl\.so'; then
		echo "note: PID 1 links Debian's libcurl.so.4 (a build with INIT_CURL=system)"
	else
		nm "$B/lastgood-init" | grep -qE ' [Tt] curl_easy_init$' && ok "PID 1 has its libcurl built in" ||
			bad "PID 1 neither links libcurl.so nor has curl_easy_init"
		extra=$(nm "$B/lastgood-init" | grep -oE ' Curl_handler_[a-z0-9_]+$' | grep -vE 'Curl_handler_(https?|dummy)$' | tr -d ' ' | tr '\n' ' ' || true)
		[ -z "$extra" ] && ok "PID 1's libcurl speaks HTTP and HTTPS only" || bad "PID 1's libcurl has other protocols: $extra"
	fi
else
	echo "note: $B/lastgood-init is not built: its libraries are not checked"
fi
# the image (when built): none of the libraries only Debian's libcurl.so.4 needs
if [ -f "$OUT/media/initrd.img.files" ]; then
	curl_deps=$(grep -oE 'lib(curl|gnutls|krb5|gssapi_krb5|ldap|sasl2|ssh2|rtmp|nghttp2|idn2|unistring|psl|p11-kit|brotli[a-z]*)\.so[.0-9]*' \
		"$OUT/media/initrd.img.files" | sort -u | tr '\n' ' ' || true)
	[ -z "$curl_deps" ] && ok "the initramfs carries none of libcurl.so.4's 25 libraries" ||
		echo "note: the initramfs carries $curl_deps(an INIT_CURL=system image?)"
fi

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
