# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# The compatibility matrix (docs/compatibility.md): one configuration a
# fleet has per cell, booted end to end in QEMU + OVMF. A cell is a short
# script tests/e2e/cell_<name>.sh that sources this file and says
#
#   cell NAME "what it is"         set up $WORK (out/e2e/cell-NAME)
#   cell_windows_disk [FIXTURE]    $WORK/disk.img: a copy of out/fixtures/FIXTURE.img
#                                  (default crowdstrike), $NTFS_PART, $WORK/before.img
#   cell_stick [WORDS]             the USB image (WORDS added to its command line)
#   e2e_disk BUS IMG ...           (lib.sh) the disks: nvme, ahci, virtio, scsi, nvme4k
#   cell_boot [SECONDS]            boot; then the checks (lib.sh's e2e_* and below)
#   cell_pass                      the last line: "CELL: NAME pass WALL"
#
# tests/e2e/matrix.sh runs every cell and writes out/matrix.md; make check
# runs a subset that rotates with the commit (build/matrix.mk).
. "$(dirname "$0")/lib.sh"

cell() {
	CELL_NAME=$1
	CELL_WHAT=$2
	e2e_setup "cell-$1"
	echo "cell $CELL_NAME: $CELL_WHAT"
	CELL_WORDS="lastgood.poweroff=1"
}

cell_windows_disk() {
	fixture=${1:-crowdstrike}
	e2e_need "$OUT/fixtures/$fixture.img"
	cp --sparse=always "$OUT/fixtures/$fixture.img" "$WORK/disk.img"
	NTFS_PART=$(cell_windows_partno "$WORK/disk.img")
	[ -n "$NTFS_PART" ] || e2e_fail "no Windows partition in the $fixture fixture"
	e2e_partition "$WORK/disk.img" "$NTFS_PART" "$WORK/before.img"
}

# The number of the last NTFS partition (GPT basic data or MBR type 7) of a
# disk image: the Windows volume in every fixture (System Reserved, when
# there is one, comes first).
cell_windows_partno() {
	sfdisk -d "$1" 2>/dev/null |
		sed -n 's/^[^ ]*[^0-9]\([0-9][0-9]*\) : .*type=\(EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\|7\)\(,.*\)\{0,1\}$/\1/p' |
		tail -n 1
}

cell_stick() {
	e2e_image "$CELL_WORDS${1:+ $1}"
	e2e_vars
	e2e_windows_entry
	e2e_usb_stick "$WORK/usb.img"
}

cell_boot() {
	e2e_boot "${1:-300}"
}

cell_pass() {
	echo "CELL: $CELL_NAME pass $WALL"
	echo "$WALL" >"$WORK/cell-wall"
	echo PASS
}
