#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Network boot with OVMF's own PXE stack: QEMU's DHCP hands out
# lastgood.efi, the stub fetches denylist.json + .minisig over TFTP from
# the same server, and PID 1 prefers it to the built-in list because its
# serial (7) is higher and its signature checks. The crowdstrike disk is
# then fixed with the served list: the engine's run says serial 7. The
# stub hands the firmware's lease (10.0.2.15 from QEMU's DHCP) on.
. "$(dirname "$0")/lib.sh"

e2e_setup pxe
e2e_crowdstrike_disk
e2e_image "lastgood.poweroff=1"
mkdir -p "$WORK/tftp"
cp "$WORK/lastgood.efi" "$WORK/tftp/lastgood.efi"
e2e_signed_list 7 "$WORK/tftp/denylist.json"
e2e_vars
e2e_windows_entry
e2e_pxe "$WORK/tftp" lastgood.efi
e2e_disk nvme "$WORK/disk.img"
e2e_boot 420

e2e_log_has "fetched denylist.json ("
e2e_log_has "from TFTP server 10.0.2.2"
# the firmware's lease is handed on (pxe-station, pxe-dhcp-ack: docs/pxe.md)
e2e_log_has "network: 10.0.2.15 from the firmware's PXE client, handed on to the recovery system"
e2e_log_has "built-in deny-list: serial 1"
e2e_log_has "deny-list handed over at boot: serial 7"
e2e_log_has "using /lastgood/override/denylist.json (serial 7)"
e2e_log_has "no boot medium found"
e2e_log_has "deny-list serial 7 (key"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
NO_STICK=1 e2e_check_fixed
echo "run $RUN_ID"
echo "phases: $(e2e_phases)"
echo "wall time to power-off: ${WALL} s"
echo PASS
