#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash facts and the fleet fields of the report on a real NTFS volume
# (fixture `crashed`: dumps written by tests/fixtures/mkdump.c): the five
# newest dumps, newest first, with type, time, bugcheck and its name, the
# parameters and the driver the faulting address falls in; the damaged
# dump named with its fault and skipped; the sixth-newest dump and a
# non-dump file left out; machine.computer_name from the SYSTEM hive;
# outcome and keys_needed. Reading them changes nothing (scan is byte
# identical) and fix reports the same crashes.
. tests/host/lib.sh

IMG=$(fixture crashed)
before=$(sha "$IMG")
expect_rc 3 "scan of the crashed PC" "$LG" scan --denylist $DL --trust $TRUST --json "$IMG"
R=$T/out
same "$(sha "$IMG")" "$before" "scan changed nothing (crash dumps are only read)"
same "$(jq -r '.crashes | length' "$R")" 5 "the five newest dumps are reported"
same "$(jq -r '[.crashes[].path] | join(",")' "$R")" \
	"Windows/MEMORY.DMP,Windows/Minidump/071924-10093-01.dmp,Windows/Minidump/071924-10101-01.dmp,Windows/Minidump/071924-10078-01.dmp,Windows/Minidump/031411-7601-01.dmp" \
	"newest first; the oldest dump and notes.txt left out"
c='.crashes[] | select(.path == "Windows/Minidump/071924-10078-01.dmp")'
same "$(jq -r "$c | [.format, .type, .time, .bugcheck, .bugcheck_name, .driver, .driver_holds, .parameters[2]] | join(\" \")" "$R")" \
	"PAGEDU64 small 2024-07-19T04:10:00Z 0x00000050 PAGE_FAULT_IN_NONPAGED_AREA csagent.sys address 0xfffff8007a4e35a1" \
	"small dump: type, time, bugcheck, parameter 3 and the driver it falls in"
c='.crashes[] | select(.path == "Windows/Minidump/071924-10093-01.dmp")'
same "$(jq -r "$c | .error" "$R")" "the driver list (5 entries at offset 13388) lies outside the file" "the damaged dump is named, with its fault"
same "$(jq -r "$c | has(\"bugcheck\")" "$R")" false "and nothing is guessed from it"
same "$(jq -r '.crashes[] | select(.format == "MDMP") | .driver' "$R")" "ACMEflt.sys" "MDMP: the module list names the faulting driver"
same "$(jq -r '.crashes[] | select(.path == "Windows/MEMORY.DMP") | [.type, .bugcheck_name, .modules] | join(" ")' "$R")" \
	"kernel SYSTEM_THREAD_EXCEPTION_NOT_HANDLED 0" "MEMORY.DMP: the header only"
same "$(jq -r '[.crashes[].volume] | unique | join(",")' "$R")" 0 "each crash names its volume"
same "$(jq -r '.volumes[0].crashes | length' "$R")" 5 "the volume carries its own crashes"
same "$(jq -r '.machine.computer_name' "$R")" PC-0042 "computer name from the SYSTEM hive"
same "$(jq -r '.volumes[0].computer_name' "$R")" PC-0042 "and on the volume"
same "$(jq -r '.outcome' "$R")" scanned "outcome of a scan"
same "$(jq -c '.keys_needed' "$R")" "[]" "no keys needed"

expect_rc 0 "fix of the crashed PC" "$LG" fix --denylist $DL --trust $TRUST --json --run-id 20240719T060000Z-c0ffee "$IMG"
same "$(jq -r '.outcome' "$T/out")" fixed "outcome of a fix"
same "$(jq -r '.crashes | length' "$T/out")" 5 "fix reports the same crashes"
expect_rc 0 "undo" "$LG" undo --run 20240719T060000Z-c0ffee --json "$IMG"
same "$(jq -r '.outcome' "$T/out")" undone "outcome of an undo"

IMG2=$(fixture no-windows)
expect_rc 0 "scan of a disk without Windows" "$LG" scan --denylist $DL --trust $TRUST --json "$IMG2"
same "$(jq -r '.outcome' "$T/out")" no-windows "outcome without Windows"
finish
