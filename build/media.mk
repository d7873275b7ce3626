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
#
# Knobs: INITRD_COMPRESS (zstd|gzip), IMAGE_CMDLINE, USB_SIZE_MB, SHELL_BIN
# (a static busybox for lastgood.mode=shell), SOURCE_DATE_EPOCH.

include efi/efi.mk

MEDIA          := $(OUT)/media
KERNEL_CACHE   := $(OUT)/cache
KERNEL_ENV     := $(KERNEL_CACHE)/kernel.env
EXAMPLE_LIST   := docs/examples/crowdstrike-2024-07-19.json
TRUST          ?=
DENYLIST       ?=
SHELL_BIN      ?=
INITRD_COMPRESS ?= zstd
USB_SIZE_MB    ?= 256
IMAGE_CMDLINE  ?= console=tty0 console=ttyS0,115200 quiet lastgood.mode=fix
# The build's own time unless given: the commit time keeps rebuilds identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

MEDIA_SCRIPTS := media/fetch-kernel.sh media/mkinitramfs.sh media/mkefi.sh media/stage-trust.sh \
                 media/mkusb.sh media/mkiso.sh media/mkpxe.sh media/manifest.sh

# Everything the image depends on that is not a file make can see (the
# variables), recorded so that changing one rebuilds.
MEDIA_CONFIG := $(MEDIA)/config
media_config = printf '%s\n' 'TRUST=$(TRUST)' 'DENYLIST=$(DENYLIST)' 'SHELL_BIN=$(SHELL_BIN)' \
	'INITRD_COMPRESS=$(INITRD_COMPRESS)' 'IMAGE_CMDLINE=$(IMAGE_CMDLINE)' \
	'SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH)' 'USB_SIZE_MB=$(USB_SIZE_MB)' \
	"inputs=$$(cat $(TRUST) $(DENYLIST) $(if $(DENYLIST),$(DENYLIST).minisig) $(EXAMPLE_LIST) 2>/dev/null | sha256sum)"
$(MEDIA_CONFIG): FORCE
	@mkdir -p $(MEDIA)
	@$(media_config) | cmp -s - $@ || $(media_config) >$@

$(KERNEL_ENV): media/fetch-kernel.sh | $(DEPS_STAMP)
	media/fetch-kernel.sh $(KERNEL_CACHE)

# Trusted keys and the deny-list (verified: refuses a list that does not).
$(MEDIA)/denylist.json: $(MEDIA_CONFIG) $(OUT)/lastgood media/stage-trust.sh $(wildcard $(EXAMPLE_LIST))
	media/stage-trust.sh $(MEDIA) $(OUT)/lastgood $(EXAMPLE_LIST) $(if $(TRUST)$(DENYLIST),'$(TRUST)' '$(DENYLIST)')

$(MEDIA)/initrd.img: $(OUT)/lastgood $(KERNEL_ENV) $(MEDIA)/denylist.json media/modules.list \
		media/mkinitramfs.sh $(MEDIA_CONFIG)
	media/mkinitramfs.sh -b $(OUT)/lastgood -k $(KERNEL_ENV) -m media/modules.list \
		$$(for k in $(MEDIA)/trusted/*.pub; do printf -- '-t %s ' $$k; done) \
		-d $(MEDIA)/denylist.json $$(test -f $(MEDIA)/DEMO && echo -D) \
		-z $(INITRD_COMPRESS) $(if $(SHELL_BIN),-s $(SHELL_BIN)) -o $@

$(MEDIA)/sbat.csv: media/sbat.csv build/flags.mk
	@mkdir -p $(MEDIA)
	sed 's/@VERSION@/$(LG_VERSION)/' $< >$@

$(OUT)/lastgood.efi: $(EFI_OUT)/stub.efi $(MEDIA)/initrd.img $(KERNEL_ENV) $(MEDIA)/sbat.csv media/mkefi.sh $(MEDIA_CONFIG)
	. $(KERNEL_ENV) && media/mkefi.sh -s $(EFI_OUT)/stub.efi -k "$$VMLINUZ" -i $(MEDIA)/initrd.img \
		-c '$(IMAGE_CMDLINE)' \
		-v "lastgood $(LG_VERSION) (kernel $$KVER$$(test -f $(MEDIA)/DEMO && echo ', DEMO KEY'))" \
		-b $(MEDIA)/sbat.csv -o $@

$(OUT)/lastgood-usb.img: $(OUT)/lastgood.efi $(MEDIA)/denylist.json media/mkusb.sh media/README.txt $(MEDIA_CONFIG)
	media/mkusb.sh -e $(OUT)/lastgood.efi -d $(MEDIA)/denylist.json -r media/README.txt -s $(USB_SIZE_MB) -o $@

$(OUT)/lastgood.iso: $(OUT)/lastgood.efi $(MEDIA)/denylist.json media/mkiso.sh media/README.txt
	media/mkiso.sh -e $(OUT)/lastgood.efi -d $(MEDIA)/denylist.json -r media/README.txt -o $@

$(OUT)/pxe/lastgood.efi: $(OUT)/lastgood.efi $(MEDIA)/denylist.json media/mkpxe.sh
	media/mkpxe.sh -e $(OUT)/lastgood.efi -d $(MEDIA)/denylist.json -o $(OUT)/pxe

$(OUT)/manifest.json: $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe/lastgood.efi media/manifest.sh
	media/manifest.sh -k $(KERNEL_ENV) -m $(MEDIA) -c '$(IMAGE_CMDLINE)' -z $(INITRD_COMPRESS) \
		-v $(LG_VERSION) -o $@ $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso

image: $(OUT)/manifest.json
	@echo "image: $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe/ ($(OUT)/manifest.json)"
	@if test -f $(MEDIA)/DEMO; then echo "image: built with a DEMO KEY (out/media/demo-key): for tests only"; fi

# `make demo`: a synthetic crashed PC disk, the USB image booted against it
# in QEMU with the serial console shown live, then before and after.
demo: $(DEPS_STAMP) $(OUT)/lastgood-usb.img $(OUT)/tests/e2e/ovmfvars $(OUT)/fixtures/crowdstrike.img
	tests/e2e/demo.sh

# The end-to-end tests (QEMU + OVMF) and what they need.
E2E_HELPERS := $(OUT)/tests/e2e/ovmfvars
$(OUT)/tests/e2e/ovmfvars: tests/e2e/ovmfvars.c recovery/efivar.c recovery/efivar.h $(LIBENGINE) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -o $@ tests/e2e/ovmfvars.c $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)

CHECK_EXTRA_PREREQS += $(OUT)/fixtures/crowdstrike.img
CHECK_EXTRA_PREREQS += $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe/lastgood.efi $(EFI_OUT)/stub.so $(E2E_HELPERS)

.PHONY: image demo
