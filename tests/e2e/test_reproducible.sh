#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Reproducible image: two builds of the initramfs and of lastgood.efi from
# the same inputs and SOURCE_DATE_EPOCH, in different directories, from
# copies of the inputs with different file times, at different times of
# day, are byte-identical. The inputs are a snapshot of what `make image`
# used (the engine binary, keys, deny-list, module list, stub, kernel, and
# the settings make recorded), taken first so that a rebuild of out/ while
# the test runs cannot change them.
. "$(dirname "$0")/lib.sh"

EFI=$OUT/lastgood.efi
MEDIA=$OUT/media
# /init is the release build of lastgood-init (build/release.mk)
INIT=${OUT_REL:-$OUT/rel}/lastgood-init
e2e_need "$EFI" "$INIT" "$OUT/efi/stub.efi" "$MEDIA/config" "$MEDIA/denylist.json" "$MEDIA/sbat.csv" \
	"$OUT/cache/kernel.env"
WORK=$OUT/e2e/reproducible
rm -rf "$WORK"
mkdir -p "$WORK/in/trusted" "$WORK/a" "$WORK/b/deeper/dir" "$WORK/tmp-a" "$WORK/tmp-b"
fail() { echo "FAIL: $*"; exit 1; }

value() { sed -n "s/^$1=//p" "$MEDIA/config"; }
SOURCE_DATE_EPOCH=$(value SOURCE_DATE_EPOCH)
COMPRESS=$(value INITRD_COMPRESS)
DHCP_BIN=$(value DHCP_BIN)
MODCOMP=$(value MODULE_COMPRESS)
export SOURCE_DATE_EPOCH
[ -n "$SOURCE_DATE_EPOCH" ] && [ -n "$COMPRESS" ] || fail "cannot read the settings from $MEDIA/config"
. "$OUT/cache/kernel.env"

cp "$INIT" "$OUT/efi/stub.efi" "$VMLINUZ" "$WORK/in/"
dhcp=""
[ -z "$DHCP_BIN" ] || { cp "$DHCP_BIN" "$WORK/in/busybox"; dhcp="-n $WORK/in/busybox"; }
# the NIC firmware make image took (media/fetch-firmware.sh), when it was reachable
fw=""
[ -f "$OUT/cache/firmware.env" ] && fw="-f $OUT/cache/firmware.env"
cp "$MEDIA"/trusted/*.pub "$WORK/in/trusted/"
cp "$MEDIA/denylist.json" "$MEDIA/denylist.json.minisig" "$MEDIA/sbat.csv" media/modules.list "$WORK/in/"
cmdline=$(objcopy -O binary --only-section=.cmdline "$EFI" /dev/stdout)
version=$(objcopy -O binary --only-section=.version "$EFI" /dev/stdout)
demo=""
[ -f "$MEDIA/DEMO" ] && demo=-D

build() {
	dir=$1
	keys=""
	for k in "$WORK"/in/trusted/*.pub; do keys="$keys -t $k"; done
	# shellcheck disable=SC2086
	TMPDIR=$2 media/mkinitramfs.sh -b "$WORK/in/lastgood-init" -k "$OUT/cache/kernel.env" -m "$WORK/in/modules.list" \
		$keys -d "$WORK/in/denylist.json" $demo $dhcp $fw -z "$COMPRESS" -x "${MODCOMP:-xz}" -o "$dir/initrd.img"
	media/mkefi.sh -s "$WORK/in/stub.efi" -k "$WORK/in/$(basename "$VMLINUZ")" -i "$dir/initrd.img" \
		-c "$cmdline" -v "$version" -b "$WORK/in/sbat.csv" -o "$dir/lastgood.efi"
}

echo "build 1 of 2 in $WORK/a"
build "$WORK/a" "$WORK/tmp-a"
touch -d '2001-02-03 04:05:06' "$WORK"/in/* "$WORK"/in/trusted/*
sleep 1
echo "build 2 of 2 in $WORK/b/deeper/dir (input files with other times)"
build "$WORK/b/deeper/dir" "$WORK/tmp-b"

cmp -s "$WORK/a/initrd.img" "$WORK/b/deeper/dir/initrd.img" || {
	diff "$WORK/a/initrd.img.files" "$WORK/b/deeper/dir/initrd.img.files" | head -n 20
	fail "the two initramfs builds differ"
}
a=$(sha256sum <"$WORK/a/lastgood.efi" | cut -d' ' -f1)
b=$(sha256sum <"$WORK/b/deeper/dir/lastgood.efi" | cut -d' ' -f1)
[ "$a" = "$b" ] || fail "the two lastgood.efi builds differ: $a and $b"

# make's own image is the same, when out/lastgood-init has not been rebuilt since.
if cmp -s "$WORK/in/lastgood-init" "$INIT" && [ "$EFI" -nt "$INIT" ]; then
	m=$(sha256sum <"$EFI" | cut -d' ' -f1)
	[ "$m" = "$a" ] || fail "make image built $m, the rebuilds $a"
	echo "make image's lastgood.efi is identical too"
fi

# The check can fail: another SOURCE_DATE_EPOCH changes the image.
SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 1)) media/mkefi.sh -s "$WORK/in/stub.efi" -k "$VMLINUZ" \
	-i "$WORK/a/initrd.img" -c "$cmdline" -v "$version" -b "$WORK/in/sbat.csv" -o "$WORK/a/other.efi"
c=$(sha256sum <"$WORK/a/other.efi" | cut -d' ' -f1)
[ "$c" != "$a" ] || fail "a different SOURCE_DATE_EPOCH gave the same image: the time stamp is not set"

echo "lastgood.efi sha256 $a (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH), identical in both builds"
echo PASS
