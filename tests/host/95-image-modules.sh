#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every byte of the image's kernel modules and firmware has an owner
# (issue 21): each module of media/modules.list carries its reason; when
# the image is built, out/manifest.json lists every module file and
# firmware file of the initrd with a reason, a dependency names a listed
# module that needs it, a firmware file a module that is in the image;
# the modules flagged raw are stored as they are, the others xz'ed one by
# one with a dictionary PID 1 can afford (recovery/boot/modload.c).
# mkinitramfs.sh itself is run on a small list when the kernel is cached:
# a module without a reason is recorded as listed, an unknown flag fails,
# and so does a module compression PID 1 cannot undo. The initrd holds
# no libxml2, ICU or libstdc++ (they serve only the host CLI's importers).
set -eu
. tests/host/lib.sh

# 1. the list: "name [load] # reason", a reason on every module line
n=0
while IFS= read -r line; do
	mod=${line%%#*}
	set -- $mod
	[ $# -gt 0 ] || continue
	n=$((n + 1))
	why=$(printf '%s' "$line" | sed -n 's/^[^#]*#[[:space:]]*//p')
	[ -n "$why" ] || bad "media/modules.list: $1 has no reason (# why it is in the image)"

done <media/modules.list
[ "$n" -gt 20 ] && ok "media/modules.list: $n modules, each with a reason" || bad "media/modules.list: only $n modules read"

# 2. the built image's manifest
M=$OUT/manifest.json
if [ -f "$M" ] && [ -f "$OUT/media/initrd.img.files" ]; then
	# initrd.img.files has "sha256  ./path" lines
	sed -n 's|^[0-9a-f]*  \./\(usr/lib/modules/.*\.ko.*\)$|/\1|p' "$OUT/media/initrd.img.files" | sort >"$T/files.mods"
	jq -r '.initrd.modules[].path' "$M" | sort >"$T/manifest.mods"
	if [ -s "$T/files.mods" ] && cmp -s "$T/files.mods" "$T/manifest.mods"; then
		ok "manifest: the $(wc -l <"$T/files.mods") module files of the initrd, no more, no less"
	else
		bad "manifest modules differ from the initrd's files: $(diff "$T/files.mods" "$T/manifest.mods" | head -n 5 | tr '\n' ' ')"
	fi
	jq -r '.initrd.modules[] | select(.reason == "" or .bytes <= 0) | .path' "$M" >"$T/noreason"
	[ ! -s "$T/noreason" ] && ok "manifest: every module has a reason and a size" ||
		bad "manifest: no reason or size for $(head -n 3 "$T/noreason" | tr '\n' ' ')"
	# names of the listed modules, normalized ('-' as '_')
	sed -e 's/#.*//' media/modules.list | awk 'NF { gsub(/-/, "_", $1); print $1 }' | sort -u >"$T/listed"
	jq -r '.initrd.modules[].reason | select(startswith("needed by ")) | sub("needed by "; "")' "$M" | sort -u >"$T/needers"
	extra=$(comm -23 "$T/needers" "$T/listed" | tr '\n' ' ')
	[ -z "$extra" ] && ok "manifest: every dependency is needed by a listed module" ||
		bad "manifest: dependencies said to be needed by modules not listed: $extra"
	# each listed module is in the image under its own reason
	jq -r '.initrd.modules[] | select(.reason | startswith("needed by ") | not) | .path' "$M" |
		sed -e 's|.*/||' -e 's|\.ko.*||' -e 's/-/_/g' | sort -u >"$T/own"
	missing=$(comm -23 "$T/listed" "$T/own" | tr '\n' ' ')
	[ -z "$missing" ] && ok "manifest: every listed module is there with its own reason" ||
		bad "manifest: listed but not there with its reason: $missing"
	# firmware: asked for by a module of the image
	sed -e 's|.*/||' -e 's|\.ko.*||' -e 's/-/_/g' "$T/manifest.mods" | sort -u >"$T/inimage"
	jq -r '.initrd.firmware[].reason | sub("needed by "; "")' "$M" | sed 's/-/_/g' | sort -u >"$T/fwmods"
	orphans=$(comm -23 "$T/fwmods" "$T/inimage" | tr '\n' ' ')
	[ -z "$orphans" ] && ok "manifest: $(jq '.initrd.firmware | length' "$M") firmware files, each asked for by a module of the image" ||
		bad "manifest: firmware for modules not in the image: $orphans"
	# "raw" modules (and what they need) stored as they are, the others
	# xz'ed one by one with a dictionary PID 1 can afford
	root=$OUT/media/initrd.img.root
	raw=$(find "$root/usr/lib/modules" -name 'usbcore.ko*' | head -n 1)
	case $raw in
	*.ko) ok "raw: xhci_pci's usbcore.ko is stored uncompressed" ;;
	"") echo "note: no usbcore module in the image" ;;
	*) bad "raw: usbcore (needed by xhci_pci, raw) is stored as $(basename "$raw")" ;;
	esac
	ko=$(find "$root/usr/lib/modules" -name 'e1000e.ko*' | head -n 1)
	case $ko in
	*.xz)
		mem=$(xz --robot --list -vv "$ko" | awk -F '\t' '$1 == "summary" { print $2 }')
		[ "${mem:-999999999}" -le $((8 * 1024 * 1024)) ] && ok "other modules xz'ed one by one (e1000e: $mem bytes to decompress)" ||
			bad "e1000e.ko.xz needs $mem bytes of memory to decompress" ;;
	"") echo "note: no e1000e module in the image" ;;
	*) echo "note: modules are not xz'ed in this build (MODULE_COMPRESS)" ;;
	esac
	# what only the host CLI needs stays out of the image (issues 15 and
	# 21): the deny-list importers' libxml2 and its ICU data, libstdc++
	heavy=$(sed -n 's|^[0-9a-f]*  \./||p' "$OUT/media/initrd.img.files" |
		grep -E '(^|/)(libxml2|libicu[a-z0-9]*|libstdc\+\+)\.so|(^|/)icudt[0-9]+l?\.dat$' | tr '\n' ' ' || true)
	[ -z "$heavy" ] && ok "the initrd holds no libxml2, ICU or libstdc++ (the importers stay on the host)" ||
		bad "the initrd holds what only the host CLI needs: $heavy"
	nfiles=$(grep -c '  \./' "$OUT/media/initrd.img.files" || true)
	[ "$nfiles" -gt 100 ] && ok "initrd.img.files lists $nfiles files" || bad "initrd.img.files lists only $nfiles files"
else
	echo "note: no image built (make image): the manifest is not checked"
fi

# 3. mkinitramfs.sh's reasons on a small list (needs the cached kernel)
KENV=$OUT/cache/kernel.env
if [ -f "$KENV" ] && [ -x "$OUT/rel/lastgood-init" ] && [ -f "$OUT/media/denylist.json.minisig" ]; then
	key=$(ls "$OUT"/media/trusted/*.pub | head -n 1)
	printf 'nvme  # the NVMe reason\nvfat load\n' >"$T/list"
	if media/mkinitramfs.sh -b "$OUT/rel/lastgood-init" -k "$KENV" -m "$T/list" -t "$key" \
		-d "$OUT/media/denylist.json" -z none -x none -o "$T/i.img" 2>"$T/log"; then
		grep -q "/nvme\.ko	[0-9]*	the NVMe reason$" "$T/i.img.modules" &&
			grep -q "/nvme-core\.ko	[0-9]*	needed by nvme$" "$T/i.img.modules" &&
			grep -q "/vfat\.ko	[0-9]*	listed in list$" "$T/i.img.modules" &&
			ok "mkinitramfs: reasons, dependencies and a module without a reason recorded" ||
			bad "mkinitramfs: $T/i.img.modules: $(cat "$T/i.img.modules" | tr '\n' '|')"
	else
		bad "mkinitramfs failed on a small list: $(tail -n 2 "$T/log")"
	fi
	printf 'nvme sometimes # bad flag\n' >"$T/bad"
	if media/mkinitramfs.sh -b "$OUT/rel/lastgood-init" -k "$KENV" -m "$T/bad" -t "$key" \
		-d "$OUT/media/denylist.json" -z none -x none -o "$T/j.img" 2>"$T/log2"; then
		bad "mkinitramfs accepted an unknown flag"
	else
		grep -q "unknown flag 'sometimes'" "$T/log2" && ok "mkinitramfs refuses an unknown flag" ||
			bad "mkinitramfs failed otherwise: $(tail -n 1 "$T/log2")"
	fi
	# modules PID 1 could not decompress (modload.c: xz only) are refused
	if media/mkinitramfs.sh -b "$OUT/rel/lastgood-init" -k "$KENV" -m "$T/list" -t "$key" \
		-d "$OUT/media/denylist.json" -z none -x zstd -o "$T/k.img" 2>"$T/log3"; then
		bad "mkinitramfs accepted -x zstd (PID 1 cannot load such modules)"
	else
		grep -q "unknown module compression 'zstd'" "$T/log3" && ok "mkinitramfs refuses -x zstd" ||
			bad "mkinitramfs -x zstd failed otherwise: $(tail -n 1 "$T/log3")"
	fi
else
	echo "note: no cached kernel or release build: mkinitramfs.sh not run"
fi

finish
