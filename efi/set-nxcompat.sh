#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Mark a PE32+ image NX-compatible: set IMAGE_DLLCHARACTERISTICS_NX_COMPAT
# (0x0100) in its optional header's DllCharacteristics, keeping the other
# bits. objcopy cannot set it (only ld's PE targets have --nxcompat) and
# keeps it when it rewrites the image (media/mkefi.sh). The header
# checksum goes stale and is zeroed, as media/mkefi.sh does: UEFI does not
# check it and Authenticode leaves it out.
#
# usage: efi/set-nxcompat.sh FILE.efi
set -eu
f=$1
u16() { od -An -t u2 -j "$1" -N 2 "$f" | tr -d ' '; }
pe=$(od -An -t u4 -j 60 -N 4 "$f" | tr -d ' ')
[ "$(od -An -c -j "$pe" -N 2 "$f" | tr -d ' ')" = PE ] || { echo "set-nxcompat: $f is not a PE file" >&2; exit 1; }
[ "$(u16 $((pe + 24)))" = 523 ] || { echo "set-nxcompat: $f is not PE32+" >&2; exit 1; }
off=$((pe + 24 + 70))
v=$(( $(u16 "$off") | 0x100 ))
printf "$(printf '\\%03o\\%03o' $((v % 256)) $((v / 256)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
printf '\000\000\000\000' | dd of="$f" bs=1 seek=$((pe + 24 + 64)) conv=notrunc status=none
