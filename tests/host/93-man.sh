#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages (man/): lastgood(1) and lastgood-denylist(5) render with
# man -l without a groff warning, and lastgood(1) describes every command,
# subcommand, option and exit code the CLI's own --help lists (derived from
# the binary, so a new command without its page fails here).
. tests/host/lib.sh
need man groff col
P1=man/lastgood.1
P5=man/lastgood-denylist.5
for p in $P1 $P5; do
	if MANWIDTH=80 man -l "$p" 2>"$T/err" | col -bx >"$T/$(basename "$p").txt" && [ ! -s "$T/err" ] &&
	   groff -man -ww -z -Tutf8 "$p" 2>"$T/warn" && [ ! -s "$T/warn" ]; then
		ok "man -l $p renders, no warnings ($(wc -l <"$T/$(basename "$p").txt") lines)"
	else bad "$p: $(cat "$T/err" "$T/warn" | head -5)"; fi
done
PAGE=$T/lastgood.1.txt
# the rendered COMMANDS section: tagged paragraphs, 7 spaces in
sed -n '/^COMMANDS/,/^[A-Z]/p' "$PAGE" >"$T/commands"
"$LG" --help >"$T/help" 2>&1 || bad "lastgood --help exits non-zero"
sed -n '/^commands:/,/^$/p' "$T/help" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' >"$T/cmds"
n=$(wc -l <"$T/cmds")
[ "$n" -ge 5 ] && ok "lastgood --help lists $n commands: $(tr '\n' ' ' <"$T/cmds")" || bad "only $n commands found in --help"
while read -r c; do
	if grep -Eq "^ {7}$c( |\$)" "$T/commands"; then ok "lastgood(1) COMMANDS: $c"
	else bad "lastgood(1) has no entry for the command '$c' in COMMANDS"; fi
	grep -q "lastgood $c" "$T/lastgood.1.txt" && ok "lastgood(1) SYNOPSIS: lastgood $c" ||
		bad "lastgood(1) SYNOPSIS lacks 'lastgood $c'"
	# subcommands: the command's usage lines "lastgood CMD SUB ..."
	"$LG" "$c" --help >"$T/h_$c" 2>&1 || true
	for s in $(sed -n "s/^ *\(usage: \)\{0,1\}lastgood $c \([a-z][a-z-]*\)\( .*\)\{0,1\}\$/\2/p" "$T/h_$c" | sort -u); do
		if grep -Eq "^ {7}$c $s( |\$)" "$T/commands"; then ok "lastgood(1) COMMANDS: $c $s"
		else bad "lastgood(1) has no entry for '$c $s' in COMMANDS"; fi
		"$LG" "$c" "$s" --help >>"$T/h_$c" 2>&1 || true
	done
	# every option the command's help names
	for o in $(grep -oE -- '(^|[ [(,])--[a-z][a-z0-9-]*' "$T/h_$c" | sed 's/^[ [(,]//' | sort -u); do
		[ "$o" = --help ] && continue
		grep -qF -- "$o" "$PAGE" || bad "lastgood(1) does not mention $o (lastgood $c --help does)"
	done
done <"$T/cmds"
ok "every option of every command's --help is in lastgood(1) (else listed above)"
# every exit code --help lists, in EXIT STATUS
sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$PAGE" >"$T/exit"
for code in $(sed -n '/^Exit codes:/,$p' "$T/help" | grep -oE '(^|[ :,])[0-9]+ [a-z]' | grep -oE '[0-9]+'); do
	grep -Eq "^ {7}$code( |\$)" "$T/exit" && ok "EXIT STATUS: $code" || bad "lastgood(1) EXIT STATUS lacks $code"
done
# lastgood-denylist(5): every top-level and rule field of docs/denylist.md
for f in $(sed -n '/^## The list/,/^## Registry/p' docs/denylist.md | sed -n 's/^| `\([a-z_0-9]*\)` .*/\1/p'); do
	grep -Eq "(^| )$f( |,|\$)" "$T/lastgood-denylist.5.txt" && ok "lastgood-denylist(5): $f" ||
		bad "lastgood-denylist(5) lacks the field $f (docs/denylist.md has it)"
done
finish
