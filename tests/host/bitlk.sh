# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Sourced by the BitLocker host tests: $IMAGES, the Windows-made test
# volumes (../shared/fixtures/bitlocker/), unpacked into $OUT/cache/bitlk
# when missing (skip without the archive); conf IMAGE KEY reads images.conf.
IMAGES=$OUT/cache/bitlk/bitlk-images
ARCHIVE=${LG_BITLK_ARCHIVE:-../shared/fixtures/bitlocker/bitlk-images.tar.xz}
if [ ! -f "$IMAGES/images.conf" ]; then
	if [ ! -f "$ARCHIVE" ]; then
		echo "SKIP: no BitLocker test images ($ARCHIVE)"
		exit 77
	fi
	mkdir -p "$OUT/cache/bitlk"
	tar -xJf "$ARCHIVE" -C "$OUT/cache/bitlk"
fi
conf() { # image key
	awk -v s="[$1]" -v k="$2" '$0 == s { on = 1; next } /^\[/ { on = 0 } on && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' \
		"$IMAGES/images.conf"
}
