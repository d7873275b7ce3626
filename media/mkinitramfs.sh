#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the recovery initramfs: PID 1 (out/lastgood-init) as /init, its shared
# library closure (found with ldd, the way mkinitramfs' copy_exec does),
# the kernel modules of media/modules.list with their dependencies, a
# depmod'ed module tree, the trusted keys and the default deny-list.
# Reproducible: sorted file list, owner root, mtimes from SOURCE_DATE_EPOCH.
#
# usage: media/mkinitramfs.sh -b BINARY -k KERNEL_ENV -m MODULES_LIST
#            -t KEY.pub [-t KEY.pub ...] -d DENYLIST.json [-D] [-z gzip|zstd|none] [-x xz|none]
#            [-s SHELL [-l CLI]] [-f FIRMWARE_ENV] [-c SERVER_CA.pem -u SERVER_URL]
#            [-n BUSYBOX] -o OUTPUT
#   -b  PID 1: out/lastgood-init (no deny-list importers, no libxml2)
#   -D  the key is a demo key made at build time: the image says so on screen
#   -z  the initrd's compression (zstd by default); -x each kernel module's
#       own (xz by default: see copy_modules; PID 1 decompresses xz only)
#   -s  a static shell (busybox) for lastgood.mode=shell; none by default
#   -l  with -s: the host command (out/lastgood) as /usr/bin/lastgood, for
#       the shell, with its shared libraries; not the ones it loads at first
#       use (recovery/lazy/): libcryptsetup is there for PID 1 anyway,
#       libxml2 (denylist import), libmicrohttpd and libsqlite3 (serve) are
#       not, and those commands say so in the shell
#   -f  firmware.env of media/fetch-firmware.sh: the firmware files the
#       copied modules ask for (modinfo -F firmware) go to /usr/lib/firmware;
#       the ones not found are listed in /etc/lastgood/firmware-missing
#   -c  the fleet server's CA (or pinned certificate), PEM, built in as
#       /etc/lastgood/server-ca.pem; -u the server URL, /etc/lastgood/server
#   -n  busybox (Debian's, media/fetch-busybox.sh) for its DHCP client, udhcpc: as
#       /usr/lib/lastgood/busybox with media/udhcpc.script beside it, used by
#       PID 1 on a USB/ISO boot that talks to a fleet server or a syslog
#       collector (docs/usb.md). Not on PATH: it is no shell for a person.
# Also writes OUTPUT.files: the sorted list of what went in, with sha256s;
# OUTPUT.modules: each kernel module file, its size and why it is there;
# OUTPUT.firmware: the same for the firmware files.
set -eu

die() { echo "mkinitramfs: $*" >&2; exit 1; }

# Copy a file to the same path under the root, dereferencing symlinks.
# /lib, /lib64, /bin and /sbin are symlinks into /usr in the image (merged
# /usr, as on the build host), so files go to their /usr place.
# (Shell variables are global: each function keeps to its own names.)
install_file() {
	if_src=$1 if_dst=$2 if_mode=$3
	case $if_dst in
	/lib/* | /lib64/* | /bin/* | /sbin/*) if_dst=/usr$if_dst ;;
	esac
	mkdir -p "$ROOT$(dirname "$if_dst")"
	cp -L "$if_src" "$ROOT$if_dst"
	chmod "$if_mode" "$ROOT$if_dst"
}

# The binary and every library ldd says it needs, including the dynamic
# loader. A statically linked binary has no closure.
copy_exec() {
	ce_bin=$1 ce_dst=$2
	install_file "$ce_bin" "$ce_dst" 0755
	ldd "$ce_bin" 2>/dev/null | while read -r a b c _; do
		case "$a $b $c" in
		*"not found"*) die "$ce_bin needs $a, which ldd cannot find" ;;
		"/"*) lib=$a ;;
		*" => /"*) lib=$c ;;
		*) continue ;;
		esac
		[ -e "$lib" ] || die "missing library $lib"
		install_file "$lib" "$lib" 0755
	done
}

skeleton() {
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	for d in dev proc sys tmp run mnt/medium etc/lastgood/trusted usr/bin usr/sbin usr/lib usr/lib64 \
		lastgood; do
		mkdir -p "$ROOT/$d"
	done
	ln -s usr/lib "$ROOT/lib"
	ln -s usr/lib64 "$ROOT/lib64"
	ln -s usr/bin "$ROOT/bin"
	ln -s usr/sbin "$ROOT/sbin"
	chmod 1777 "$ROOT/tmp"
	# init writes these first lines itself; os-release names the image.
	printf 'NAME=lastgood\nID=lastgood\nPRETTY_NAME="lastgood recovery"\n' >"$ROOT/etc/os-release"
}

# The full module tree in the cache has no modules.dep (Debian makes it at
# install time): make one once, so modprobe can resolve dependencies.
prepare_kernel_tree() {
	kroot=${KMODDIR%/lib/modules/*}
	if [ ! -f "$KMODDIR/modules.dep.bin" ]; then
		depmod -b "$kroot" "$KVER"
	fi
}

# media/modules.list: "name [load] [bitlocker] [raw] # reason". Each module goes in with its
# dependencies (modprobe --show-depends on the full tree); OUTPUT.modules
# says why each file is there: the listed reason, or "needed by NAME".
# Then each module is compressed on its own (-x: xz by default): PID 1
# decompresses a module when it loads it (recovery/boot/modload.c: xz
# only, Debian's kernel cannot decompress modules itself), so a module
# coldplug never asks for costs its compressed size in memory, not its
# full size, and the signature Debian appended stays valid (it covers the
# uncompressed file).
copy_modules() {
	kroot=${KMODDIR%/lib/modules/*}
	moddst=/usr/lib/modules/$KVER
	mkdir -p "$ROOT$moddst"
	: >"$ROOT/etc/lastgood/modules.load"
	: >"$ROOT/etc/lastgood/modules.bitlocker"
	: >"$OUTPUT.modules.tmp"
	: >"$OUTPUT.raw.tmp"
	while IFS= read -r cm_line; do
		cm_reason=
		case $cm_line in *"#"*) cm_reason=${cm_line#*#} ;; esac
		cm_reason=$(printf '%s' "$cm_reason" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | tr '\t' ' ')
		set -- ${cm_line%%#*}
		[ $# -gt 0 ] || continue
		name=$1
		shift
		deps=$(modprobe -d "$kroot" -S "$KVER" --show-depends "$name" 2>&1) ||
			die "module $name is not in kernel $KVER: $deps"
		cm_rows=$(echo "$deps" | while read -r kind path _; do
			case $kind in
			insmod)
				rel=${path#"$KMODDIR"/}
				[ -e "$ROOT$moddst/$rel" ] || install_file "$path" "$moddst/$rel" 0644
				echo "$rel" ;;
			builtin) ;;
			*) die "unexpected modprobe output for $name: $kind $path" ;;
			esac
		done)
		# the last insmod line is the module itself, the others what it needs
		cm_self=$(printf '%s\n' "$cm_rows" | tail -n 1)
		for rel in $cm_rows; do
			if [ "$rel" = "$cm_self" ]; then
				printf '%s\t%s\n' "$rel" "${cm_reason:-listed in $(basename "$MODLIST")}"
			else
				printf '%s\t%s\n' "$rel" "needed by $name"
			fi
		done >>"$OUTPUT.modules.tmp"
		for flag in "$@"; do
			case $flag in
			load) echo "$name" >>"$ROOT/etc/lastgood/modules.load" ;;
			bitlocker) echo "$name" >>"$ROOT/etc/lastgood/modules.bitlocker" ;;
			raw) printf '%s\n' $cm_rows >>"$OUTPUT.raw.tmp" ;;
			*) die "unknown flag '$flag' for module $name in $MODLIST" ;;
			esac
		done
	done <"$MODLIST"
	compress_modules
	rm -f "$OUTPUT.raw.tmp"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		install_file "$KMODDIR/$f" "$moddst/$f" 0644
	done
	depmod -b "$ROOT" "$KVER"
	# one line a file: path in the image, bytes as packed, why (a module
	# listed itself comes before a dependency; the first reason stays)
	awk -F '\t' -v ext="$MODEXT" -v dst="$moddst" -v root="$ROOT" '
		!seen[$1]++ { why[$1] = $2; order[n++] = $1 }
		!listed[$1] && $2 !~ /^needed by / { why[$1] = $2; listed[$1] = 1 }
		END {
			for (i = 0; i < n; i++) {
				f = dst "/" order[i]
				if ((getline junk < (root f ext)) >= 0) { close(root f ext); f = f ext }
				cmd = "stat -c %s \"" root f "\""; cmd | getline sz; close(cmd)
				printf "%s\t%s\t%s\n", f, sz, why[order[i]]
			}
		}' "$OUTPUT.modules.tmp" | LC_ALL=C sort >"$OUTPUT.modules"
	rm -f "$OUTPUT.modules.tmp"
}

# Every module but the "raw" ones (and what they need): those load at
# nearly every boot, where decompressing them would cost more time than
# their unpacked size costs memory (docs/benchmarks.md).
compress_modules() {
	[ "$MODCOMP" = xz ] || return 0
	(cd "$ROOT/usr/lib/modules/$KVER" && find kernel -name '*.ko' | LC_ALL=C sort) >"$OUTPUT.all.tmp"
	LC_ALL=C sort -u "$OUTPUT.raw.tmp" | LC_ALL=C comm -23 "$OUTPUT.all.tmp" - >"$OUTPUT.pack.tmp"
	rm -f "$OUTPUT.all.tmp"
	cm_max=0
	while read -r rel; do
		sz=$(stat -c %s "$ROOT/usr/lib/modules/$KVER/$rel")
		[ "$sz" -le "$cm_max" ] || cm_max=$sz
	done <"$OUTPUT.pack.tmp"
	# The dictionary no larger than the largest module (a power of two, at
	# least 1 MiB): the same ratio as -9e's 64 MiB, and the decoder in
	# PID 1 allocates that much (recovery/boot/modload.c).
	cm_dict=1048576
	while [ "$cm_dict" -lt "$cm_max" ]; do cm_dict=$((cm_dict * 2)); done
	while read -r rel; do
		# crc32: the check the kernel's own xz code knows too
		xz --lzma2=preset=9e,dict="$cm_dict" --check=crc32 -T1 "$ROOT/usr/lib/modules/$KVER/$rel"
	done <"$OUTPUT.pack.tmp"
	rm -f "$OUTPUT.pack.tmp"
}

copy_trust() {
	n=0
	for k in $TRUST; do
		[ -f "$k" ] || die "trusted key $k does not exist"
		head -c 64 "$k" | grep -q 'minisign public key' || die "$k is not a minisign public key"
		install_file "$k" "/etc/lastgood/trusted/$(basename "$k")" 0644
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || die "no trusted key given (-t)"
	install_file "$DENYLIST" /etc/lastgood/denylist.json 0644
	[ -f "$DENYLIST.minisig" ] || die "$DENYLIST.minisig does not exist"
	install_file "$DENYLIST.minisig" /etc/lastgood/denylist.json.minisig 0644
	if [ "$DEMO" = 1 ]; then
		echo "This image trusts a DEMO KEY made at build time. Do not use it on real machines." \
			>"$ROOT/etc/lastgood/DEMO-KEY"
	fi
}

# C.UTF-8 so that libraries converting file names see UTF-8.
copy_locale() {
	if [ -d /usr/lib/locale/C.utf8 ]; then
		mkdir -p "$ROOT/usr/lib/locale"
		cp -R /usr/lib/locale/C.utf8 "$ROOT/usr/lib/locale/"
	fi
}

# The iconv converters libhivex uses for registry key and value names
# (Latin-1 and UTF-16): glibc loads them from gconv/ at run time, and
# without them no key of the SYSTEM hive can be found.
copy_gconv() {
	cg_dir=
	for cg_d in /usr/lib/x86_64-linux-gnu/gconv /usr/lib64/gconv /usr/lib/gconv; do
		[ -f "$cg_d/gconv-modules.cache" ] && { cg_dir=$cg_d; break; }
	done
	[ -n "$cg_dir" ] || die "glibc's gconv modules not found (package libc6)"
	for cg_f in gconv-modules.cache ISO8859-1.so UTF-16.so UTF-32.so; do
		[ -e "$cg_dir/$cg_f" ] || die "missing $cg_dir/$cg_f"
		install_file "$cg_dir/$cg_f" "$cg_dir/$cg_f" 0644
	done
	if [ -d "$cg_dir/gconv-modules.d" ]; then
		for cg_f in "$cg_dir"/gconv-modules "$cg_dir"/gconv-modules.d/*; do
			[ -f "$cg_f" ] && install_file "$cg_f" "$cg_f" 0644
		done
	fi
}

# The firmware every copied module names, from the fetched Debian trees;
# OUTPUT.firmware: each file, its size and the module that asks for it.
copy_firmware() {
	: >"$ROOT/etc/lastgood/firmware-missing"
	: >"$OUTPUT.firmware"
	[ -n "$FWENV" ] || return 0
	# shellcheck disable=SC1090
	. "$FWENV"
	find "$ROOT/usr/lib/modules" -name '*.ko*' | LC_ALL=C sort | while read -r ko; do
		mod=$(basename "$ko" | sed 's/\.ko.*//')
		modinfo -F firmware "$ko" 2>/dev/null | while read -r fw; do
			[ -n "$fw" ] || continue
			found=
			for tree in "$FIRMWARE_DIR"/*/lib/firmware "$FIRMWARE_DIR"/*/usr/lib/firmware; do
				if [ -e "$tree/$fw" ]; then
					found=$tree/$fw
					break
				fi
			done
			if [ -n "$found" ]; then
				if [ ! -e "$ROOT/usr/lib/firmware/$fw" ]; then
					install_file "$found" "/usr/lib/firmware/$fw" 0644
					printf '%s\t%s\t%s\n' "/usr/lib/firmware/$fw" "$(stat -c %s "$ROOT/usr/lib/firmware/$fw")" \
						"needed by $mod" >>"$OUTPUT.firmware"
				fi
			else
				echo "$mod $fw" >>"$ROOT/etc/lastgood/firmware-missing"
			fi
		done
	done
	printf '%s\n' "${FIRMWARE_PKGS:-}" | tr ' ' '\n' | sed '/^$/d' >"$ROOT/etc/lastgood/firmware-packages"
}

# The fleet server built in (make image SERVER=... SERVER_CA=...): the CA
# can only come from the image, never from the command line.
copy_server() {
	[ -n "$SERVER_CA" ] || [ -n "$SERVER_URL" ] || return 0
	[ -n "$SERVER_CA" ] && [ -n "$SERVER_URL" ] || die "-c SERVER_CA and -u SERVER_URL go together"
	grep -q -- '-----BEGIN CERTIFICATE-----' "$SERVER_CA" || die "$SERVER_CA is not a PEM certificate"
	case $SERVER_URL in https://*) ;; *) die "the server must be https://... (got $SERVER_URL)" ;; esac
	install_file "$SERVER_CA" /etc/lastgood/server-ca.pem 0644
	printf '%s\n' "$SERVER_URL" >"$ROOT/etc/lastgood/server"
}

# The DHCP client of a USB/ISO boot (recovery/boot/network.c): udhcpc
# runs the script on a lease, the script writes it down for PID 1.
copy_dhcp() {
	[ -n "$DHCP_BIN" ] || return 0
	"$DHCP_BIN" udhcpc --help >/dev/null 2>&1 || die "$DHCP_BIN has no udhcpc applet (Debian's busybox has one: media/fetch-busybox.sh)"
	"$DHCP_BIN" sh -c true || die "$DHCP_BIN has no sh applet (udhcpc's script needs it)"
	copy_exec "$DHCP_BIN" /usr/lib/lastgood/busybox
	install_file "$(dirname "$0")/udhcpc.script" /usr/lib/lastgood/udhcpc.script 0755
}

normalize() {
	find "$ROOT" -type d -exec chmod 0755 {} +
	chmod 1777 "$ROOT/tmp"
	find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

pack() {
	(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$OUTPUT.cpio.tmp"
	case $COMPRESS in
	gzip) gzip -n -9 -c "$OUTPUT.cpio.tmp" >"$OUTPUT.tmp" ;;
	zstd) zstd -q -19 -T1 --no-progress -c "$OUTPUT.cpio.tmp" >"$OUTPUT.tmp" ;;
	none) cp "$OUTPUT.cpio.tmp" "$OUTPUT.tmp" ;;
	*) die "unknown compression $COMPRESS" ;;
	esac
	rm -f "$OUTPUT.cpio.tmp"
	(cd "$ROOT" && find . -mindepth 1 -type f | LC_ALL=C sort | xargs sha256sum) >"$OUTPUT.files"
	mv "$OUTPUT.tmp" "$OUTPUT"
}

main() {
	BINARY="" KENV="" MODLIST="" TRUST="" DENYLIST="" DEMO=0 COMPRESS=zstd OUTPUT="" SHELLBIN="" CLI="" MODCOMP=xz
	FWENV="" SERVER_CA="" SERVER_URL="" DHCP_BIN=""
	while getopts b:k:m:t:d:Dz:x:s:l:f:c:u:n:o: opt; do
		case $opt in
		b) BINARY=$OPTARG ;;
		k) KENV=$OPTARG ;;
		m) MODLIST=$OPTARG ;;
		t) TRUST="$TRUST $OPTARG" ;;
		d) DENYLIST=$OPTARG ;;
		D) DEMO=1 ;;
		z) COMPRESS=$OPTARG ;;
		x) MODCOMP=$OPTARG ;;
		s) SHELLBIN=$OPTARG ;;
		l) CLI=$OPTARG ;;
		f) FWENV=$OPTARG ;;
		c) SERVER_CA=$OPTARG ;;
		u) SERVER_URL=$OPTARG ;;
		n) DHCP_BIN=$OPTARG ;;
		o) OUTPUT=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	[ -n "$BINARY" ] && [ -n "$KENV" ] && [ -n "$MODLIST" ] && [ -n "$DENYLIST" ] && [ -n "$OUTPUT" ] ||
		die "missing option (see the header of $0)"
	[ -x "$BINARY" ] || die "$BINARY is not an executable"
	case $MODCOMP in
	xz) MODEXT=.xz ;;
	none) MODEXT= ;;
	*) die "unknown module compression '$MODCOMP' (xz or none: PID 1 decompresses xz only)" ;;
	esac
	[ -z "$CLI" ] || [ -n "$SHELLBIN" ] || die "-l (the command-line tool) only goes into an image with a shell (-s)"
	[ -z "$CLI" ] || [ -x "$CLI" ] || die "$CLI is not an executable"
	# shellcheck disable=SC1090
	. "$KENV"
	KMODDIR=$(cd "$KMODDIR" && pwd -P)
	: "${SOURCE_DATE_EPOCH:=0}"
	ROOT="$OUTPUT.root"
	skeleton
	copy_exec "$BINARY" /init
	# No debug info: it names the build directory (the same sources built
	# elsewhere must give the same image), and the build-id hashes it. No
	# symbol table either (nothing in the image reads it: 27 KB zstd'ed).
	strip --strip-all -R .comment -R .note.gnu.build-id "$ROOT/init"
	# A volume Windows did not shut down cleanly has its $LogFile replayed
	# with ntfs-3g's ntfsrecover before anything changes (recovery/storage/dirty.c).
	copy_exec "$(command -v ntfsrecover)" /usr/bin/ntfsrecover
	if [ -n "$SHELLBIN" ]; then
		copy_exec "$SHELLBIN" /usr/bin/busybox
		ln -s busybox "$ROOT/usr/bin/sh"
		# The command-line tool for the person at the shell (lastgood
		# inspect, scan, ...): a separate program, PID 1 never runs it.
		if [ -n "$CLI" ]; then
			copy_exec "$CLI" /usr/bin/lastgood
			strip --strip-debug -R .comment -R .note.gnu.build-id "$ROOT/usr/bin/lastgood"
		fi
	fi
	prepare_kernel_tree
	copy_modules
	copy_firmware
	copy_trust
	copy_server
	copy_dhcp
	copy_locale
	copy_gconv
	normalize
	pack
	echo "mkinitramfs: $OUTPUT ($(wc -c <"$OUTPUT") bytes, $COMPRESS, $(wc -l <"$OUTPUT.files") files)" >&2
}

main "$@"
