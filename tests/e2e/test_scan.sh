#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# lastgood.mode=scan on the crashed PC: the faulty file is found and named,
# nothing on the Windows disk changes (its sha256 is the same after the
# boot), and the final screen says how to repair.
. "$(dirname "$0")/lib.sh"

e2e_setup scan
e2e_crowdstrike_disk
before=$(sha256sum <"$WORK/disk.img")
e2e_image "lastgood.mode=scan lastgood.poweroff=1"
e2e_vars
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300

e2e_log_has "lastgood: ==> Scanning Windows (changing nothing)"
e2e_log_has "$CS_BAD"
e2e_log_has "lastgood: Scan found 1 file on the deny-list: nothing was changed"
e2e_log_has "To repair, start lastgood again"
e2e_log_has "Next boot: firmware default (scan mode changes nothing, not even BootNext)"
[ "$(sha256sum <"$WORK/disk.img")" = "$before" ] || e2e_fail "scan changed the Windows disk"
[ "$(e2e_bootnext)" = unset ] || e2e_fail "scan set BootNext ($(e2e_bootnext)): scan must change nothing"
reports=$(e2e_fat_ls "$WORK/usb.img" ::/lastgood/reports)
echo "$reports" | grep -q '\.json$' || e2e_fail "no scan report on the stick: $reports"
echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
echo PASS
