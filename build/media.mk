# SPDX-License-Identifier: GPL-2.0-or-later
# What boots: the Debian kernel (fetched into a cache), the initramfs, the
# one-file lastgood.efi, the USB disk image, the hybrid ISO, the PXE tree,
# and the manifest of everything that went in. Also `make demo` and the
# end-to-end tests' prerequisites.
#
#   make image                                  demo key made at build time,
#                                               the CrowdStrike example list
#   make image TRUST=key.pub DENYLIST=list.json your key(s) and signed list
#                                               (list.json.minisig beside it)
#   make image SIGN_KEY=db.key SIGN_CERT=db.pem lastgood.efi signed for Secure
#                                               Boot with your key (sbsign)
#   make image SERVER=https://host/prefix SERVER_CA=ca.pem
#                                               the fleet server and the CA (or
#                                               pinned certificate) its
#                                               certificate is checked against
#                                               (docs/fleet-api.md, docs/pxe.md)
#
# Knobs: INITRD_COMPRESS (zstd|gzip), MODULE_COMPRESS (xz|none: each
# kernel module on its own, media/mkinitramfs.sh -x), IMAGE_CMDLINE, USB_SIZE_MB, SHELL_BIN
# (a static busybox for lastgood.mode=shell), SOURCE_DATE_EPOCH.
#
# Two boot chains (docs/secure-boot.md): lastgood.efi (one signed file:
# lastgood-usb.img, lastgood.iso, pxe/lastgood.efi) for PCs that trust your
# key or run without Secure Boot, and the shim chain (Debian's shim signed
# by Microsoft, Debian's signed GRUB and kernel, our initrd:
# lastgood-shim-usb.img, lastgood-shim.iso, pxe/shimx64.efi) for stock PCs.

include efi/efi.mk

MEDIA          := $(OUT)/media
KERNEL_CACHE   := $(OUT)/cache
KERNEL_ENV     := $(KERNEL_CACHE)/kernel.env
EXAMPLE_LIST   := docs/examples/crowdstrike-2024-07-19.json
TRUST          ?=
DENYLIST       ?=
SIGN_KEY       ?=
SIGN_CERT      ?=
SHIM_ENV       := $(KERNEL_CACHE)/shim.env
SHELL_BIN      ?=
SERVER         ?=
SERVER_CA      ?=
# busybox's udhcpc: the DHCP client of USB/ISO boots that talk to a fleet
# server or a syslog collector (docs/usb.md). Debian's shared busybox,
# fetched into the cache (media/fetch-busybox.sh): the host has
# busybox-static, which conflicts with it and is 1.2 MB larger.
BUSYBOX_DYN    := $(KERNEL_CACHE)/busybox/busybox
DHCP_BIN       ?= $(BUSYBOX_DYN)
FIRMWARE_ENV   := $(KERNEL_CACHE)/firmware.env
INITRD_COMPRESS ?= zstd
MODULE_COMPRESS ?= xz
USB_SIZE_MB    ?= 256
IMAGE_CMDLINE  ?= console=tty0 console=ttyS0,115200 quiet lastgood.mode=fix
# The build's own time unless given: the commit time keeps rebuilds identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

MEDIA_SCRIPTS := media/fetch-kernel.sh media/mkinitramfs.sh media/mkefi.sh media/stage-trust.sh \
                 media/mkusb.sh media/mkiso.sh media/mkpxe.sh media/manifest.sh media/sign.sh \
                 media/fetch-shim.sh media/mkshimtree.sh media/denylist-cpio.sh

ifneq ($(if $(SIGN_KEY),1)$(if $(SIGN_CERT),1),$(if $(SIGN_KEY)$(SIGN_CERT),11))
$(error SIGN_KEY and SIGN_CERT go together: the private key and its certificate (PEM))
endif

# Everything the image depends on that is not a file make can see (the
# variables), recorded so that changing one rebuilds.
MEDIA_CONFIG := $(MEDIA)/config
media_config = printf '%s\n' 'TRUST=$(TRUST)' 'DENYLIST=$(DENYLIST)' 'SHELL_BIN=$(SHELL_BIN)' \
	'INITRD_COMPRESS=$(INITRD_COMPRESS)' 'MODULE_COMPRESS=$(MODULE_COMPRESS)' 'IMAGE_CMDLINE=$(IMAGE_CMDLINE)' \
	'SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH)' 'USB_SIZE_MB=$(USB_SIZE_MB)' 'SERVER=$(SERVER)' 'DHCP_BIN=$(DHCP_BIN)' \
	"inputs=$$(cat $(TRUST) $(DENYLIST) $(if $(DENYLIST),$(DENYLIST).minisig) $(EXAMPLE_LIST) $(SERVER_CA) 2>/dev/null | sha256sum)"
$(MEDIA_CONFIG): FORCE
	@mkdir -p $(MEDIA)
	@$(media_config) | cmp -s - $@ || $(media_config) >$@

# The signing settings apart: changing the key re-signs, nothing else.
SIGN_CONFIG := $(MEDIA)/sign-config
sign_config = printf '%s\n' 'SIGN_KEY=$(SIGN_KEY)' 'SIGN_CERT=$(SIGN_CERT)' \
	"cert=$$(cat $(SIGN_CERT) 2>/dev/null | sha256sum)"
$(SIGN_CONFIG): FORCE
	@mkdir -p $(MEDIA)
	@$(sign_config) | cmp -s - $@ || $(sign_config) >$@

$(KERNEL_ENV): media/fetch-kernel.sh | $(DEPS_STAMP)
	media/fetch-kernel.sh $(KERNEL_CACHE)

$(BUSYBOX_DYN): media/fetch-busybox.sh | $(DEPS_STAMP)
	media/fetch-busybox.sh $(KERNEL_CACHE)

# NIC firmware from Debian's non-free-firmware component (when reachable).
$(FIRMWARE_ENV): media/fetch-firmware.sh | $(DEPS_STAMP)
	media/fetch-firmware.sh $(KERNEL_CACHE)

# Trusted keys and the deny-list (verified: refuses a list that does not).
$(MEDIA)/denylist.json: $(MEDIA_CONFIG) $(OUT)/lastgood media/stage-trust.sh $(wildcard $(EXAMPLE_LIST))
	media/stage-trust.sh $(MEDIA) $(OUT)/lastgood $(EXAMPLE_LIST) $(if $(TRUST)$(DENYLIST),'$(TRUST)' '$(DENYLIST)')

ifneq ($(if $(SERVER),1)$(if $(SERVER_CA),1),$(if $(SERVER)$(SERVER_CA),11))
$(error SERVER and SERVER_CA go together: the fleet server's URL and the CA (or pinned certificate, PEM) it is checked against)
endif

# /init is PID 1 (lastgood-init), in the release build (build/release.mk); an
# image with a shell also gets the command-line tool as /usr/bin/lastgood
# (docs/cmdline.md).
$(MEDIA)/initrd.img: $(OUT_REL)/lastgood-init $(if $(SHELL_BIN),$(OUT_REL)/lastgood) $(KERNEL_ENV) $(FIRMWARE_ENV) \
		$(filter $(BUSYBOX_DYN),$(DHCP_BIN)) \
		$(MEDIA)/denylist.json media/modules.list media/mkinitramfs.sh media/udhcpc.script $(MEDIA_CONFIG)
	media/mkinitramfs.sh -b $(OUT_REL)/lastgood-init -k $(KERNEL_ENV) -m media/modules.list -f $(FIRMWARE_ENV) \
		$(if $(SERVER),-c '$(SERVER_CA)' -u '$(SERVER)') -n $(DHCP_BIN) \
		$$(for k in $(MEDIA)/trusted/*.pub; do printf -- '-t %s ' $$k; done) \
		-d $(MEDIA)/denylist.json $$(test -f $(MEDIA)/DEMO && echo -D) \
		-z $(INITRD_COMPRESS) -x $(MODULE_COMPRESS) $(if $(SHELL_BIN),-s $(SHELL_BIN) -l $(OUT_REL)/lastgood) -o $@

$(MEDIA)/sbat.csv: media/sbat.csv build/flags.mk
	@mkdir -p $(MEDIA)
	sed 's/@VERSION@/$(LG_VERSION)/' $< >$@

# mkefi.sh's output, reproducible; out/lastgood.efi is it signed with
# SIGN_KEY (the signature carries a signing time), or a copy.
$(MEDIA)/lastgood-unsigned.efi: $(EFI_OUT)/stub.efi $(MEDIA)/initrd.img $(KERNEL_ENV) $(MEDIA)/sbat.csv media/mkefi.sh $(MEDIA_CONFIG)
	. $(KERNEL_ENV) && media/mkefi.sh -s $(EFI_OUT)/stub.efi -k "$$VMLINUZ" -i $(MEDIA)/initrd.img \
		-c '$(IMAGE_CMDLINE)' \
		-v "lastgood $(LG_VERSION) (kernel $$KVER$$(test -f $(MEDIA)/DEMO && echo ', DEMO KEY'))" \
		-b $(MEDIA)/sbat.csv -o $@

$(OUT)/lastgood.efi: $(MEDIA)/lastgood-unsigned.efi media/sign.sh $(SIGN_CONFIG)
ifneq ($(SIGN_KEY),)
	media/sign.sh -k '$(SIGN_KEY)' -c '$(SIGN_CERT)' -i $< -o $@
else
	cp $< $@.tmp && mv $@.tmp $@
endif

$(OUT)/lastgood-usb.img: $(OUT)/lastgood.efi $(MEDIA)/denylist.json media/mkusb.sh media/README.txt $(MEDIA_CONFIG)
	media/mkusb.sh -e $(OUT)/lastgood.efi -d $(MEDIA)/denylist.json -r media/README.txt -s $(USB_SIZE_MB) -o $@

$(OUT)/lastgood.iso: $(OUT)/lastgood.efi $(MEDIA)/denylist.json media/mkiso.sh media/README.txt
	media/mkiso.sh -e $(OUT)/lastgood.efi -d $(MEDIA)/denylist.json -r media/README.txt -o $@

# The shim chain: Debian's signed shim, MokManager and GRUB (fetched, not
# installed), Debian's signed kernel and our initrd, staged as trees.
$(SHIM_ENV): media/fetch-shim.sh | $(DEPS_STAMP)
	media/fetch-shim.sh $(KERNEL_CACHE)

SHIM_TREE_DEPS := $(SHIM_ENV) $(KERNEL_ENV) $(MEDIA)/initrd.img media/mkshimtree.sh $(MEDIA_CONFIG)
$(MEDIA)/shim-disk/EFI/BOOT/BOOTX64.EFI: $(SHIM_TREE_DEPS)
	media/mkshimtree.sh -m disk -e $(SHIM_ENV) -k $(KERNEL_ENV) -i $(MEDIA)/initrd.img -c '$(IMAGE_CMDLINE)' \
		-o $(MEDIA)/shim-disk

$(MEDIA)/shim-net/shimx64.efi: $(SHIM_TREE_DEPS) $(MEDIA)/denylist.json media/denylist-cpio.sh
	media/mkshimtree.sh -m net -e $(SHIM_ENV) -k $(KERNEL_ENV) -i $(MEDIA)/initrd.img -c '$(IMAGE_CMDLINE)' \
		-d $(MEDIA)/denylist.json -o $(MEDIA)/shim-net

$(OUT)/lastgood-shim-usb.img: $(MEDIA)/shim-disk/EFI/BOOT/BOOTX64.EFI $(MEDIA)/denylist.json media/mkusb.sh media/README-shim.txt $(MEDIA_CONFIG)
	media/mkusb.sh -t $(MEDIA)/shim-disk -d $(MEDIA)/denylist.json -r media/README-shim.txt -s $(USB_SIZE_MB) -o $@

$(OUT)/lastgood-shim.iso: $(MEDIA)/shim-disk/EFI/BOOT/BOOTX64.EFI $(MEDIA)/denylist.json media/mkiso.sh media/README-shim.txt
	media/mkiso.sh -t $(MEDIA)/shim-disk -d $(MEDIA)/denylist.json -r media/README-shim.txt -o $@

$(OUT)/pxe/lastgood.efi: $(OUT)/lastgood.efi $(MEDIA)/shim-net/shimx64.efi $(MEDIA)/denylist.json media/mkpxe.sh
	media/mkpxe.sh -e $(OUT)/lastgood.efi -t $(MEDIA)/shim-net -d $(MEDIA)/denylist.json -o $(OUT)/pxe

MEDIA_OUTPUTS := $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso \
                 $(OUT)/lastgood-shim-usb.img $(OUT)/lastgood-shim.iso
$(OUT)/manifest.json: $(MEDIA_OUTPUTS) $(OUT)/pxe/lastgood.efi media/manifest.sh
	media/manifest.sh -k $(KERNEL_ENV) -m $(MEDIA) -c '$(IMAGE_CMDLINE)' -z $(INITRD_COMPRESS) \
		-v $(LG_VERSION) -o $@ $(MEDIA_OUTPUTS) $(OUT)/pxe/shimx64.efi $(OUT)/pxe/grubx64.efi

image: $(OUT)/manifest.json
	@echo "image: $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe/ ($(OUT)/manifest.json)"
	@echo "image: shim chain (stock Secure Boot PCs): $(OUT)/lastgood-shim-usb.img $(OUT)/lastgood-shim.iso $(OUT)/pxe/shimx64.efi"
	@if test -n '$(SIGN_KEY)'; then echo "image: lastgood.efi signed with $(SIGN_CERT)"; \
	else echo "image: lastgood.efi is unsigned (SIGN_KEY=... SIGN_CERT=... signs it; docs/secure-boot.md)"; fi
	@if test -f $(MEDIA)/DEMO; then echo "image: built with a DEMO KEY (out/media/demo-key): for tests only"; fi

# `make demo`: a synthetic crashed PC disk, the USB image booted against it
# in QEMU with the serial console shown live, then before and after.
demo: $(DEPS_STAMP) $(OUT)/lastgood-usb.img $(OUT)/tests/e2e/ovmfvars $(OUT)/fixtures/crowdstrike.img
	tests/e2e/demo.sh

# The end-to-end tests (QEMU + OVMF) and what they need.
E2E_HELPERS := $(OUT)/tests/e2e/ovmfvars
$(OUT)/tests/e2e/ovmfvars: tests/e2e/ovmfvars.c recovery/boot/efivar.c recovery/boot/efivar.h $(LIBALL) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -o $@ tests/e2e/ovmfvars.c $(LIBALL) $(LG_LDFLAGS) $(LG_LIBS)

CHECK_EXTRA_PREREQS += $(OUT)/fixtures/crowdstrike.img
CHECK_EXTRA_PREREQS += $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe/lastgood.efi $(EFI_OUT)/stub.so $(E2E_HELPERS)
CHECK_EXTRA_PREREQS += $(OUT)/lastgood-shim-usb.img $(OUT)/lastgood-shim.iso
# the manifest, so that 95-image-modules checks every module, firmware
# file and library of the image in make check
CHECK_EXTRA_PREREQS += $(OUT)/manifest.json

.PHONY: image demo
