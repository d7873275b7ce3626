#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fixture builder (tests/fixtures/mkfixture): build every shipped
# scenario into a temporary directory and check the images with other
# people's tools, not ours: sfdisk/sgdisk for the tables, fsck.fat/mtools
# for the ESP, ntfsfix/ntfsinfo/ntfsls/ntfscat (ntfs-3g) for NTFS, file(1)
# for the boot sectors. Then bad scenarios: a clear file:line message and
# no partial image left behind.
set -eu

OUT=${OUT:-out}
MK=$OUT/tests/fixtures/mkfixture
SCEN=${FIXTURE_SCENARIOS:-tests/fixtures/scenarios}
if [ ! -x "$MK" ]; then
	echo "FAIL: $MK is not built (make $MK)"
	exit 1
fi
for t in sfdisk sgdisk fsck.fat mdir mtype ntfsfix ntfsinfo ntfsls ntfscat file xxd; do
	if ! command -v "$t" >/dev/null && ! [ -x "/usr/sbin/$t" ] && ! [ -x "/sbin/$t" ]; then
		echo "SKIP: $t is not installed (build/install-deps)"
		exit 77
	fi
done
export PATH="$PATH:/usr/sbin:/sbin"
export MTOOLS_SKIP_CHECK=1

T=$(mktemp -d "${TMPDIR:-/tmp}/lg-fixtures.XXXXXX")
trap 'rm -rf "$T"' EXIT

fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# check DESCRIPTION COMMAND...: the command must succeed
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
# has FILE REGEX DESCRIPTION: FILE has a line matching the extended regex
has() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else
		bad "$3 (no line matching '$2' in $1:)"
		sed 's/^/    /' "$1" | head -40
	fi
}
hasnt() {
	if grep -Eq -- "$2" "$1"; then bad "$3 ('$2' found in $1)"; else ok "$3"; fi
}

# part IMG N OUTFILE: extract partition N with dd, using sfdisk's view of
# the table; prints the start sector.
part() {
	local line start size
	line=$(sfdisk -d "$1" | grep -E "^$1$2 :")
	start=$(echo "$line" | sed -E 's/.*start= *([0-9]+).*/\1/')
	size=$(echo "$line" | sed -E 's/.*size= *([0-9]+).*/\1/')
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip=$((start * 512)) \
		count=$((size * 512)) conv=sparse status=none
	echo "$start"
}

# ntfs_common NAME PARTFILE START LABEL: what every NTFS volume built here has
ntfs_common() {
	local n=$1 p=$2 start=$3 label=$4
	ntfsfix -n "$p" >"$T/$n.fix" 2>&1 || bad "$n: ntfsfix -n exit $?"
	has "$T/$n.fix" "processed successfully" "$n: ntfsfix -n finds nothing to fix"
	hasnt "$T/$n.fix" "FAILED|[Ff]ixing|[Cc]orrupt" "$n: ntfsfix -n reports no damage"
	file -s "$p" >"$T/$n.file"
	has "$T/$n.file" "NTFS, sectors/track 63" "$n: file(1) sees an NTFS boot sector with 63 sectors/track"
	has "$T/$n.file" "heads 255, hidden sectors $start," "$n: boot sector hidden sectors = partition start $start"
	ntfsinfo -f -m "$p" >"$T/$n.vol" 2>&1 || bad "$n: ntfsinfo -m exit $?"
	has "$T/$n.vol" "Volume Name: $label\$" "$n: volume label '$label'"
	has "$T/$n.vol" "Volume Version: 3.1" "$n: NTFS 3.1"
}

# The Windows tree of windows-tree.inc, on partition file P.
windows_tree() {
	local n=$1 p=$2 d=/Windows/System32/drivers/CrowdStrike
	ntfscat "$p" "$d/C-00000291-00000000-00000032.sys" >"$T/$n.032"
	check "$n: faulty channel file is 40 KiB" test "$(stat -c %s "$T/$n.032")" = 40960
	check "$n: faulty channel file header AA AA AA AA 01 00 23 01" \
		test "$(head -c 8 "$T/$n.032" | xxd -p)" = aaaaaaaa01002301
	check "$n: good channel file header" \
		test "$(ntfscat "$p" "$d/C-00000291-00000000-00000033.sys" | head -c 8 | xxd -p)" = aaaaaaaa01002301
	check "$n: SYSTEM hive placeholder starts with regf" \
		test "$(ntfscat "$p" /Windows/System32/config/SYSTEM | head -c 4)" = regf
	check "$n: ntoskrnl.exe placeholder starts with MZ" \
		test "$(ntfscat "$p" /Windows/System32/ntoskrnl.exe | head -c 2)" = MZ
	printf '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n' >"$T/hosts.want"
	ntfscat "$p" /Windows/System32/drivers/etc/hosts >"$T/$n.hosts"
	check "$n: text content (hosts) byte for byte" cmp -s "$T/hosts.want" "$T/$n.hosts"
	ntfsls -p /Users/alice/Documents "$p" >"$T/$n.docs"
	has "$T/$n.docs" "^quarterly-report.docx$" "$n: user documents"
	has "$T/$n.docs" "^budget 2024.xlsx$" "$n: a name with a space"

	# $STANDARD_INFORMATION times as asked; $FILE_NAME times (record and
	# index) at the creation time, as Windows leaves them.
	ntfsinfo -F "$d/C-00000291-00000000-00000032.sys" "$p" >"$T/$n.i032"
	sed -n '/attribute \$STANDARD_INFORMATION/,/attribute \$FILE_NAME/p' "$T/$n.i032" >"$T/$n.si"
	sed -n '/attribute \$FILE_NAME/,/Filename:/p' "$T/$n.i032" >"$T/$n.fn"
	has "$T/$n.si" "File Creation Time:.*Fri Jul 19 03:55:12 2024 UTC" "$n: 032 SI created 03:55:12"
	has "$T/$n.si" "File Altered Time:.*Fri Jul 19 04:09:00 2024 UTC" "$n: 032 SI last write 04:09:00"
	has "$T/$n.si" "MFT Changed Time:.*Fri Jul 19 04:09:00 2024 UTC" "$n: 032 SI MFT change 04:09:00"
	check "$n: 032 has two \$FILE_NAME attributes (Win32 and DOS)" \
		test "$(grep -c 'attribute \$FILE_NAME' "$T/$n.i032")" = 2
	check "$n: 032 \$FILE_NAME last write = creation 03:55:12 (both names)" \
		test "$(grep -c 'File Altered Time:.*Fri Jul 19 03:55:12 2024' "$T/$n.fn")" = 2
	hasnt "$T/$n.fn" "04:09:00" "$n: 032 \$FILE_NAME times differ from the SI last write"
	has "$T/$n.fn" "Namespace:.*Win32$" "$n: 032 long name in the Win32 namespace"
	has "$T/$n.fn" "Filename:.*'C-[0-9A-F]{4}~[0-9].SYS'" "$n: 032 DOS 8.3 name"
	has "$T/$n.i032" "Number of Hard Links:.*2" "$n: 032 link count 2 (Win32 + DOS)"

	ntfsinfo -F "$d/C-00000291-00000000-00000031.sys" "$p" >"$T/$n.i031"
	sed -n '/attribute \$STANDARD_INFORMATION/,/attribute \$FILE_NAME/p' "$T/$n.i031" >"$T/$n.si31"
	sed -n '/attribute \$FILE_NAME/,/Filename:/p' "$T/$n.i031" >"$T/$n.fn31"
	has "$T/$n.si31" "File Altered Time:.*Fri Jul 19 05:40:00 2024 UTC" "$n: decoy 031 SI last write 05:40"
	has "$T/$n.fn31" "File Altered Time:.*Fri Jul 19 04:09:00 2024 UTC" "$n: decoy 031 \$FILE_NAME at 04:09"

	ntfsinfo -F "$d/C-00000291-00000000-00000033.sys" "$p" >"$T/$n.i033"
	has "$T/$n.i033" "File Altered Time:.*Fri Jul 19 05:27:00 2024 UTC" "$n: good 033 last write 05:27"

	# The directory index copy of $FILE_NAME (what a directory listing
	# shows): creation time for 032, real size.
	ntfsinfo -v -F "$d" "$p" >"$T/$n.dir"
	awk '/Filename:.*C-00000291-00000000-00000032.sys/ { print blk; exit } /Entry length:/ { blk = "" } { blk = blk $0 "\n" }' \
		"$T/$n.dir" >"$T/$n.ie"
	has "$T/$n.ie" "File Altered Time:.*Fri Jul 19 03:55:12 2024 UTC" "$n: 032 index entry holds the creation time"
	has "$T/$n.ie" "Data Size:.*40960" "$n: 032 index entry holds the size"
	has "$T/$n.ie" "Namespace:.*Win32" "$n: 032 index entry namespace Win32"

	ntfsinfo -F /Windows "$p" >"$T/$n.win"
	has "$T/$n.win" "Namespace:.*Win32 & DOS" "$n: 'Windows' fits 8.3: one Win32 & DOS name"
	ntfsinfo -F /pagefile.sys "$p" >"$T/$n.pf"
	has "$T/$n.pf" "File attributes:.*HIDDEN SYSTEM ARCHIVE" "$n: pagefile.sys hidden+system"
	ntfsinfo -F "/System Volume Information" "$p" >"$T/$n.svi"
	has "$T/$n.svi" "File attributes:.*HIDDEN SYSTEM I30_INDEX" "$n: directory attributes"
	ntfsinfo -F "/Program Files" "$p" >"$T/$n.pfd"
	has "$T/$n.pfd" "Filename:.*'PROGRA~1'" "$n: 'Program Files' has DOS name PROGRA~1"
}

# gpt_windows NAME IMG LABEL: a crowdstrike-like GPT disk
gpt_windows() {
	local n=$1 img=$2 label=$3 s
	sgdisk -p "$img" >"$T/$n.gpt" 2>&1 || bad "$n: sgdisk -p exit $?"
	has "$T/$n.gpt" "^ +1 +2048 +206847 +100.0 MiB +EF00 +EFI system partition" "$n: GPT ESP 100 MiB at 2048"
	has "$T/$n.gpt" "^ +2 +206848 +239615 +16.0 MiB +0C01 +Microsoft reserved" "$n: GPT MSR 16 MiB"
	has "$T/$n.gpt" "^ +3 +239616 .*0700 +Basic data partition" "$n: GPT basic data partition"
	has "$T/$n.gpt" "First usable sector is 34," "$n: first usable LBA 34"
	sgdisk -v "$img" >"$T/$n.gptv" 2>&1 || bad "$n: sgdisk -v exit $?"
	has "$T/$n.gptv" "No problems found" "$n: sgdisk -v finds no problems"

	s=$(part "$img" 1 "$T/$n.esp")
	fsck.fat -n "$T/$n.esp" >"$T/$n.fsck" 2>&1 || { bad "$n: fsck.fat -n exit $?"; cat "$T/$n.fsck"; }
	file -s "$T/$n.esp" >"$T/$n.espfile"
	has "$T/$n.espfile" "FAT \(32 bit\)" "$n: ESP is FAT32"
	has "$T/$n.espfile" "hidden sectors $s," "$n: ESP hidden sectors = 2048"
	has "$T/$n.espfile" "label: \"SYSTEM +\"" "$n: ESP label"
	mdir -i "$T/$n.esp" ::/EFI/Microsoft/Boot >"$T/$n.mdir" 2>&1 || bad "$n: mdir exit $?"
	has "$T/$n.mdir" "bootmgfw +efi +65536 2024-05-14 +17:00" "$n: bootmgfw.efi with its time"
	check "$n: bootmgfw.efi starts with MZ" \
		test "$(mtype -i "$T/$n.esp" ::/EFI/Microsoft/Boot/bootmgfw.efi | head -c 2)" = MZ
	mattrib -i "$T/$n.esp" ::/EFI/Microsoft/Boot/BCD >"$T/$n.attr"
	has "$T/$n.attr" "^ *A +SH +::/EFI/Microsoft/Boot/BCD" "$n: ESP BCD hidden+system"

	s=$(part "$img" 3 "$T/$n.p3")
	check "$n: Windows partition starts at 239616" test "$s" = 239616
	ntfs_common "$n" "$T/$n.p3" "$s" "$label"
	windows_tree "$n" "$T/$n.p3"
}

build() {
	local n=$1 t0 t1
	t0=$(date +%s%N)
	if ! "$MK" -D OUT="$(realpath "$OUT")" "$SCEN/$n.txt" "$T/$n.img" 2>"$T/$n.err"; then
		bad "$n: mkfixture failed"
		cat "$T/$n.err"
		return 1
	fi
	t1=$(date +%s%N)
	ok "$n: built in $(((t1 - t0) / 1000000)) ms, $(du -k "$T/$n.img" | cut -f1) KiB on disk"
}

# ---- crowdstrike ----
if build crowdstrike; then
	gpt_windows crowdstrike "$T/crowdstrike.img" Windows
	has "$T/crowdstrike.vol" "Volume Flags: 0x0000" "crowdstrike: volume clean"
	# Reproducible: a second build is byte-identical.
	"$MK" -D OUT="$(realpath "$OUT")" "$SCEN/crowdstrike.txt" "$T/again.img"
	check "crowdstrike: a second build is byte-identical" cmp -s "$T/crowdstrike.img" "$T/again.img"
	rm -f "$T/again.img"
fi

# ---- mbr ----
if build mbr; then
	sfdisk -d "$T/mbr.img" >"$T/mbr.tab"
	has "$T/mbr.tab" "^label: dos" "mbr: MBR partition table"
	has "$T/mbr.tab" "mbr.img1 : start= +2048, size= +102400, type=7, bootable" "mbr: System Reserved, 0x07, active"
	has "$T/mbr.tab" "mbr.img2 : start= +104448, size= +[0-9]+, type=7$" "mbr: Windows, 0x07"
	s=$(part "$T/mbr.img" 1 "$T/mbr.p1")
	ntfs_common mbr-sr "$T/mbr.p1" "$s" "System Reserved"
	ntfsinfo -F /bootmgr "$T/mbr.p1" >"$T/mbr.bm"
	has "$T/mbr.bm" "File attributes:.*READONLY HIDDEN SYSTEM ARCHIVE" "mbr: bootmgr attributes"
	s=$(part "$T/mbr.img" 2 "$T/mbr.p2")
	ntfs_common mbr "$T/mbr.p2" "$s" Windows
	windows_tree mbr "$T/mbr.p2"
fi

# ---- no-windows ----
if build no-windows; then
	s=$(part "$T/no-windows.img" 1 "$T/nw.p1")
	ntfs_common no-windows "$T/nw.p1" "$s" Data
	ntfsls "$T/nw.p1" >"$T/nw.ls"
	hasnt "$T/nw.ls" "^Windows$" "no-windows: no Windows directory"
	has "$T/nw.ls" "^Documents$" "no-windows: data folders"
fi

# ---- two-windows ----
if build two-windows; then
	check "two-windows: a second disk image" test -f "$T/two-windows-disk2.img"
	gpt_windows two-windows "$T/two-windows.img" Windows
	gpt_windows two-windows-d2 "$T/two-windows-disk2.img" Windows2
	g1=$(sgdisk -p "$T/two-windows.img" | grep 'Disk identifier')
	g2=$(sgdisk -p "$T/two-windows-disk2.img" | grep 'Disk identifier')
	check "two-windows: disk GUIDs differ" test "$g1" != "$g2"
	s1=$(grep -o 'serial number [0-9a-f]*' "$T/two-windows.file")
	s2=$(grep -o 'serial number [0-9a-f]*' "$T/two-windows-d2.file")
	check "two-windows: NTFS serials differ ($s1, $s2)" test "$s1" != "$s2"
fi

# ---- hibernated ----
if build hibernated; then
	s=$(part "$T/hibernated.img" 3 "$T/hib.p3")
	ntfs_common hibernated "$T/hib.p3" "$s" Windows
	check "hibernated: hiberfil.sys starts with HIBR" \
		test "$(ntfscat "$T/hib.p3" /hiberfil.sys | head -c 4)" = HIBR
	ntfsinfo -F /hiberfil.sys "$T/hib.p3" >"$T/hib.i"
	has "$T/hib.i" "File attributes:.*HIDDEN SYSTEM ARCHIVE" "hibernated: hiberfil.sys hidden+system"
fi

# ---- dirty ----
if build dirty; then
	s=$(part "$T/dirty.img" 3 "$T/dirty.p3")
	ntfs_common dirty "$T/dirty.p3" "$s" Windows
	has "$T/dirty.vol" "Volume Flags: 0x0001 DIRTY" "dirty: VOLUME_IS_DIRTY set"
	if ntfsinfo -m "$T/dirty.p3" >"$T/dirty.nf" 2>&1; then
		bad "dirty: ntfsinfo opened the dirty volume without --force"
	else
		has "$T/dirty.nf" "scheduled for check" "dirty: ntfs-3g refuses it: scheduled for check"
	fi
fi

# ---- filter-driver ----
if build filter-driver; then
	s=$(part "$T/filter-driver.img" 3 "$T/fd.p3")
	ntfs_common filter-driver "$T/fd.p3" "$s" Windows
	windows_tree filter-driver "$T/fd.p3"
	ntfscat "$T/fd.p3" /Windows/System32/drivers/ACMEflt.sys >"$T/acme"
	check "filter-driver: ACMEflt.sys starts with MZ" test "$(head -c 2 "$T/acme")" = MZ
	check "filter-driver: e_lfanew = 0x80" test "$(xxd -s 0x3c -l 4 -p "$T/acme")" = 80000000
	check "filter-driver: PE signature at 0x80" test "$(xxd -s 0x80 -l 4 -p "$T/acme")" = 50450000
fi

# ---- large ----
if build large; then
	s=$(part "$T/large.img" 3 "$T/large.p3")
	ntfs_common large "$T/large.p3" "$s" Windows
	check "large: 40000 files under Windows/WinSxS" \
		test "$(ntfsls -R -p /Windows/WinSxS "$T/large.p3" | grep -c '^S[0-9]*\.MAN$')" = 40000
	check "large: the crowdstrike tree is there" \
		test "$(ntfscat "$T/large.p3" /Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys | head -c 8 | xxd -p)" = aaaaaaaa01002301
	rm -f "$T/large.img" "$T/large.p3"
fi

# ---- include, replace, data=file:, ${VAR} ----
printf 'regf-from-the-hive-builder\n' >"$T/hive.bin"
cat >"$T/custom.txt" <<EOF
time 2023-03-14T09:00:00Z
disk 256M table=gpt
part ntfs rest label=Windows
include $PWD/$SCEN/windows-tree.inc
file Windows/System32/config/SYSTEM replace data=file:\${HIVES}/hive.bin modified=2024-07-19T04:09:02Z
EOF
if "$MK" -D OUT="$(realpath "$OUT")" -D HIVES="$T" "$T/custom.txt" "$T/custom.img" 2>"$T/custom.err"; then
	part "$T/custom.img" 1 "$T/custom.p1" >/dev/null
	ntfscat "$T/custom.p1" /Windows/System32/config/SYSTEM >"$T/custom.sys"
	check "replace: SYSTEM is the host file's bytes" cmp -s "$T/hive.bin" "$T/custom.sys"
	ntfsls -p /Windows/System32/config "$T/custom.p1" >"$T/custom.ls"
	check "replace: SYSTEM listed once" test "$(grep -c '^SYSTEM$' "$T/custom.ls")" = 1
	ntfsfix -n "$T/custom.p1" >"$T/custom.fix" 2>&1 || bad "custom: ntfsfix -n exit $?"
	rm -f "$T/custom.img" "$T/custom.p1"
else
	bad "custom: mkfixture failed"
	cat "$T/custom.err"
fi

# ---- bad scenarios ----
mkdir "$T/bad"
# expect_fail NAME REGEX: mkfixture fails with a message matching REGEX and
# leaves nothing in $T/bad (no image, no temporary file)
expect_fail() {
	local n=$1 re=$2 rc=0
	"$MK" "$T/$n.txt" "$T/bad/$n.img" 2>"$T/$n.err" || rc=$?
	check "$n: mkfixture exits 1" test "$rc" = 1
	has "$T/$n.err" "$re" "$n: message"
	check "$n: nothing left behind" test -z "$(ls -A "$T/bad")"
}
printf 'disk 64M\npart ntfs rest\nfiel a.txt size=1\n' >"$T/unknown.txt"
expect_fail unknown "^mkfixture: $T/unknown.txt:3: unknown keyword 'fiel'"
printf '# a file bigger than its partition\ndisk 64M\npart ntfs 8M\nfile big.bin size=9M data=zero\n' >"$T/toobig.txt"
expect_fail toobig "^mkfixture: $T/toobig.txt:4: file 'big.bin' \(9437184 bytes\) is bigger than its partition \(8388608 bytes\)"
printf 'disk 64M\npart ntfs rest\nfile a.sys size=1K modified=2024-07-19 04:09\n' >"$T/badtime.txt"
expect_fail badtime "badtime.txt:3: modified: '2024-07-19' is not an RFC 3339 UTC time like 2024-07-19T04:09:00Z"
printf 'disk 64M\npart ntfs rest\nfile a.sys size=1K modified=2024-02-30T00:00:00Z\n' >"$T/baddate.txt"
expect_fail baddate "baddate.txt:3: modified: '2024-02-30T00:00:00Z' is not an RFC 3339 UTC time"
printf 'disk 64M\npart ntfs 100M\n' >"$T/overflow.txt"
expect_fail overflow "overflow.txt:2: partition ends at byte"
printf 'disk 64M\npart ntfs rest\ninclude nowhere.inc\n' >"$T/noinc.txt"
expect_fail noinc "noinc.txt:3: include .*nowhere.inc: No such file or directory"
printf 'disk 64M\npart ntfs rest\nfile a size=1K data=random\n' >"$T/baddata.txt"
expect_fail baddata "baddata.txt:3: data: random:SEED needs a number"
# Files that each fit but together do not: found while writing, still
# reported at the line, and the half-built image is removed.
printf 'disk 64M\npart ntfs 8M\nfile a.bin size=5M data=zero\nfile b.bin size=5M data=zero\n' >"$T/nospace.txt"
expect_fail nospace "nospace.txt:4: writing 'b.bin': no space left in the 8388608-byte NTFS partition"
printf 'disk 64M\npart ntfs rest\nfile a/b.txt data=text:x\nfile A/B.TXT data=text:y\n' >"$T/twice.txt"
expect_fail twice "twice.txt:4: 'A/B.TXT': File exists"
printf 'disk 64M\npart ntfs rest\nfile a.txt replace data=text:x\n' >"$T/noreplace.txt"
expect_fail noreplace "noreplace.txt:3: replace: no earlier file 'a.txt' in this partition"
printf 'disk 64M\npart ntfs rest\nfile a.txt data=file:$%s/x\n' '{NOPE}' >"$T/novar.txt"
expect_fail novar "novar.txt:3: unknown variable [$][{]NOPE[}]"
# A previous image survives a failed rebuild untouched.
echo old >"$T/bad/keep.img"
"$MK" "$T/unknown.txt" "$T/bad/keep.img" 2>/dev/null && bad "unknown: succeeded"
check "a failed build leaves an existing image alone" test "$(cat "$T/bad/keep.img")" = old
rm -f "$T/bad/keep.img"

# Every shipped scenario parses (-n: check only).
for s in "$SCEN"/*.txt; do
	check "$(basename "$s"): parses" "$MK" -D OUT="$(realpath "$OUT")" -n "$s"
done

echo "fixture checks failed: $fails"
[ "$fails" -eq 0 ]
