#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Secure Boot on a stock PC (OVMF with only Microsoft's keys enrolled,
# OVMF_VARS_4M.ms.fd): the shim chain. Debian's shim (signed by
# Microsoft's UEFI CA) starts Debian's signed GRUB, which starts Debian's
# signed kernel (checked through shim), with lastgood's initrd.
#  1. USB stick (media/mkshimtree.sh -m disk + mkusb.sh -t): GRUB finds its
#     menu in \EFI\debian, the kernel runs in lockdown, lastgood repairs
#     the CrowdStrike scenario (quarantine, reports, BootNext), and the
#     firmware's own lastgood.efi path is not involved;
#  2. network (mkshimtree.sh -m net): shim over TFTP, GRUB for network
#     boot, its menu at /grub/grub.cfg; the served deny-list (serial 7,
#     packed by denylist-cpio.sh) reaches PID 1 as an extra initrd and is
#     the one used for the repair;
#  3. the hybrid ISO (mkiso.sh -t) from a DVD drive: GRUB, started from
#     the El Torito image, sees the ISO 9660 file system and finds its
#     menu and the kernel there; Windows (on virtio) is repaired, and a
#     Windows-made BitLocker volume is unlocked with the keys.csv the ISO
#     carries: dm_crypt and the crypto API (Debian's signed modules, xz'ed,
#     loaded on demand) work in lockdown. (The test volumes' NTFS does not
#     survive their publication: what decrypts is not a valid NTFS, so that
#     volume ends as an error, and the run's verdict with it.)
#  4. the same stick with the kernel's signature removed: GRUB refuses it
#     (shim_lock), nothing of lastgood starts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bitlk-lib.sh"

SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
MS_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
SHIM_ENV=$OUT/cache/shim.env
e2e_setup secureboot-shim
for f in "$SB_CODE" "$MS_VARS"; do
	[ -f "$f" ] || e2e_skip "$f not found (Debian's ovmf package ships it)"
done
command -v sbattach >/dev/null || e2e_fail "sbattach missing (package sbsigntool, in build/packages.txt)"
e2e_need "$SHIM_ENV" "$OUT/lastgood.efi" "$OUT/media/initrd.img" "$OUT/cache/kernel.env" "$OUT/media/denylist.json"
OVMF_CODE=$SB_CODE
OVMF_VARS=$MS_VARS
E2E_MACHINE=q35,smm=on
E2E_QEMU_EXTRA="-global driver=cfi.pflash01,property=secure,value=on"
# The image's own command line, plus words for the test. loglevel=6: the
# kernel's notices (lockdown) reach the console.
base=$(objcopy -O binary --only-section=.cmdline "$OUT/lastgood.efi" /dev/stdout)
cmdline="$base lastgood.poweroff=1 lastgood.unattended=1 loglevel=6"

# Fresh firmware and devices for the next boot in this test.
next_boot() {
	QEMU_DEVS="" HAVE_NET=0 USB_CTRL=0 SATA_PORT=0 NDISK=0
	e2e_vars
}

# ---- 1. USB stick
media/mkshimtree.sh -m disk -e "$SHIM_ENV" -k "$OUT/cache/kernel.env" -i "$OUT/media/initrd.img" \
	-c "$cmdline" -o "$WORK/disk-tree" || e2e_fail "mkshimtree.sh -m disk failed"
media/mkusb.sh -t "$WORK/disk-tree" -d "$OUT/media/denylist.json" -r media/README-shim.txt -s 128 \
	-o "$WORK/usb.img" 2>/dev/null || e2e_fail "mkusb.sh -t failed"
e2e_fat_ls "$WORK/usb.img" ::/EFI/BOOT | grep -qi '/grubx64.efi$' || e2e_fail "no grubx64.efi beside shim on the stick"
e2e_crowdstrike_disk
next_boot
e2e_windows_entry
e2e_usb_stick "$WORK/usb.img"
e2e_disk nvme "$WORK/disk.img"
e2e_boot 300
e2e_log_has "lastgood: GRUB started (shim chain) from (hd"
e2e_log_has "menu \\EFI\\debian\\grub.cfg"
e2e_log_has "lastgood: loading the Debian kernel (signed by Debian, checked by shim)"
e2e_log_has "Kernel is locked down from EFI Secure Boot"
e2e_log_lacks "lastgood: [1/4]"
e2e_text | grep -q '^ *drivers:.* nvme' || e2e_fail "the nvme driver (xz'ed, signed by Debian) was not loaded under lockdown"
e2e_log_lacks "BitLocker drivers loaded"
e2e_log_has "boot medium: /dev/sda1 (vfat)"
e2e_log_has "deny-list on the boot medium: the same file as the built-in deny-list"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
e2e_log_has "Next boot: Windows Boot Manager (Boot0007"
e2e_check_fixed
usb_wall=$WALL usb_run=$RUN_ID usb_phases=$(e2e_phases)
mv "$LOG" "$WORK/serial-usb.log"

# ---- 2. network boot: shim, GRUB and the kernel over TFTP
mkdir -p "$WORK/list"
e2e_signed_list 7 "$WORK/list/denylist.json"
media/mkshimtree.sh -m net -e "$SHIM_ENV" -k "$OUT/cache/kernel.env" -i "$OUT/media/initrd.img" \
	-c "$cmdline" -d "$WORK/list/denylist.json" -o "$WORK/tftp" || e2e_fail "mkshimtree.sh -m net failed"
e2e_crowdstrike_disk
next_boot
e2e_windows_entry
e2e_pxe "$WORK/tftp" shimx64.efi
e2e_disk nvme "$WORK/disk.img"
e2e_boot 420
e2e_log_has "lastgood: GRUB started (shim chain) from (tftp,10.0.2.2)"
e2e_log_has "Kernel is locked down from EFI Secure Boot"
e2e_log_has "built-in deny-list: serial 1"
e2e_log_has "deny-list handed over at boot: serial 7"
e2e_log_has "using /lastgood/override/denylist.json (serial 7)"
e2e_log_has "deny-list serial 7 (key"
e2e_log_has "lastgood: Done: 1 file moved to quarantine. Windows should now start"
NO_STICK=1 e2e_check_fixed
pxe_wall=$WALL pxe_run=$RUN_ID pxe_phases=$(e2e_phases)
mv "$LOG" "$WORK/serial-pxe.log"

# ---- 3. the ISO from a DVD drive, with a BitLocker volume to open
bitlk_images
BL_IMG=bitlk-aes-xts-128
e2e_need "$IMAGES/$BL_IMG.img"
bl_rp=$(conf $BL_IMG RP)
bl_id=$(conf $BL_IMG RP_VMK_GUID)
[ -n "$bl_rp" ] && [ -n "$bl_id" ] || e2e_fail "images.conf lacks RP/RP_VMK_GUID for $BL_IMG"
rm -rf "$WORK/iso-tree"
cp -r "$WORK/disk-tree" "$WORK/iso-tree"
mkdir -p "$WORK/iso-tree/lastgood"
printf 'KeyProtectorId,RecoveryPassword\r\n{%s},%s\r\n' "$bl_id" "$bl_rp" >"$WORK/iso-tree/lastgood/keys.csv"
media/mkiso.sh -t "$WORK/iso-tree" -d "$OUT/media/denylist.json" -r media/README-shim.txt \
	-o "$WORK/shim.iso" >/dev/null 2>&1 || e2e_fail "mkiso.sh -t failed"
e2e_crowdstrike_disk
next_boot
e2e_windows_entry
e2e_cdrom "$WORK/shim.iso"
e2e_disk virtio "$WORK/disk.img"
e2e_disk_snapshot nvme "$IMAGES/$BL_IMG.img"
e2e_boot 600
e2e_log_has "lastgood: GRUB started (shim chain) from (cd0)"
e2e_log_has "lastgood: kernel and initrd on (cd0)"
e2e_log_has "Kernel is locked down from EFI Secure Boot"
e2e_log_has "boot medium: /dev/sr0 (iso9660)"
e2e_log_has "BitLocker drivers loaded"
e2e_text | grep -q '^ *drivers:.* dm_crypt' || e2e_fail "dm_crypt was not loaded under lockdown"
e2e_log_has "BitLocker volume $(conf $BL_IMG GUID) unlocked: recovery password from keys.csv line 2 (protector $bl_id)"
e2e_log_lacks "$bl_rp"
e2e_log_has "/dev/nvme0n1 part 0: error: /dev/mapper/lastgood-0: NTFS volume at offset 0: cannot open read-only"
e2e_log_has "/dev/vda part 3: fixed"
e2e_log_has "lastgood: lastgood stopped with an error"
NO_STICK=1 e2e_check_fixed
iso_wall=$WALL iso_run=$RUN_ID iso_phases=$(e2e_phases)
mv "$LOG" "$WORK/serial-iso.log"

# ---- 4. the kernel without its signature: GRUB (shim_lock) refuses it
sbattach --remove "$WORK/disk-tree/lastgood/boot/vmlinuz" >/dev/null 2>&1 ||
	e2e_fail "sbattach cannot remove the kernel's signature"
media/mkusb.sh -t "$WORK/disk-tree" -d "$OUT/media/denylist.json" -r media/README-shim.txt -s 128 \
	-o "$WORK/usb.img" 2>/dev/null || e2e_fail "mkusb.sh -t failed"
next_boot
e2e_usb_stick "$WORK/usb.img"
e2e_boot_until "bad shim signature" 180
e2e_log_has "lastgood: loading the Debian kernel"
e2e_log_lacks "lastgood: ==> lastgood"
e2e_log_lacks "Linux version"

echo "USB:  run $usb_run, $usb_phases"
echo "PXE:  run $pxe_run, $pxe_phases"
echo "ISO:  run $iso_run, $iso_phases"
echo "shim chain: wall time to power-off: USB ${usb_wall} s, PXE ${pxe_wall} s, ISO ${iso_wall} s; unsigned kernel refused by GRUB (${WALL} s)"
echo PASS
