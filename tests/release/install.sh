#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install` into a scratch DESTDIR: the release binary, stripped and
# hardened (tests/release/hardening.sh), and the man pages, which render.
set -u
OUT=${OUT:-out}
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v man >/dev/null || { echo "SKIP: man is not installed (man-db)"; exit 77; }
# a make of our own, not a job of the make that runs the tests
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory OUT="$OUT" install DESTDIR="$T/root" PREFIX=/usr \
	>"$T/make.log" 2>&1 || { bad "make install failed"; sed 's/^/    /' "$T/make.log" | tail -20; exit 1; }
ok "make install DESTDIR=... PREFIX=/usr"
BIN=$T/root/usr/bin/lastgood
for f in usr/bin/lastgood usr/share/man/man1/lastgood.1 usr/share/man/man5/lastgood-denylist.5 \
	usr/share/doc/lastgood/README.md; do
	[ -f "$T/root/$f" ] && ok "installed /$f" || bad "/$f not installed"
done
if readelf -S "$BIN" | grep -q '\.symtab'; then bad "the installed binary is not stripped"; else ok "the installed binary is stripped"; fi
if tests/release/hardening.sh "$BIN" >"$T/h" 2>&1; then ok "installed binary: $(grep '^ok' "$T/h" | sed 's/^ok: [^:]*: //')"
else bad "installed binary: $(grep FAIL "$T/h")"; fi
"$BIN" --help >/dev/null 2>&1 && ok "the installed binary runs" || bad "the installed binary does not run"
for p in man1/lastgood.1 man5/lastgood-denylist.5; do
	if MANWIDTH=80 man -l "$T/root/usr/share/man/$p" 2>"$T/err" | col -b >"$T/page" && [ ! -s "$T/err" ] && [ -s "$T/page" ]; then
		ok "man -l $p renders ($(wc -l <"$T/page") lines, no warnings)"
	else bad "man -l $p: $(head -3 "$T/err")"; fi
done
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
