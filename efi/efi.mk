# SPDX-License-Identifier: GPL-2.0-or-later
# The GNU-EFI stub, built the way gnu-efi's own apps are: PIC ELF linked
# against crt0 with gnu-efi's linker script, then converted to a PE32+ EFI
# application (subsystem 10) by objcopy. Included by build/media.mk.

EFI_ARCH    := x86_64
EFI_INC     := /usr/include/efi
EFI_LIB     := /usr/lib
EFI_CRT0    := $(EFI_LIB)/crt0-efi-$(EFI_ARCH).o
EFI_LDS     := $(EFI_LIB)/elf_$(EFI_ARCH)_efi.lds
EFI_OUT     := $(OUT)/efi

EFI_CFLAGS  := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
               -fpic -fshort-wchar -ffreestanding -fno-stack-protector -fno-stack-check \
               -fno-strict-aliasing -mno-red-zone -maccumulate-outgoing-args \
               -DGNU_EFI_USE_MS_ABI -I$(EFI_INC) -I$(EFI_INC)/$(EFI_ARCH) -I$(EFI_INC)/protocol \
               -ffile-prefix-map=$(CURDIR)=. -fno-ident
EFI_LDFLAGS := -nostdlib -znocombreloc -T $(EFI_LDS) -shared -Bsymbolic --build-id=none \
               -L$(EFI_LIB) $(EFI_CRT0)
EFI_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
                -j '.rel.*' -j '.rela.*' -j .reloc

EFI_SRC := efi/stub.c efi/initrd.c efi/override.c efi/secboot.c efi/newc.c efi/pesec.c
EFI_OBJ := $(EFI_SRC:efi/%.c=$(EFI_OUT)/%.o)

$(EFI_OUT)/%.o: efi/%.c $(wildcard efi/*.h) efi/efi.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(EFI_OUT)/stub.so: $(EFI_OBJ)
	ld $(EFI_LDFLAGS) $(EFI_OBJ) -o $@ -lefi -lgnuefi

# The bare stub: no kernel yet. media/mkefi.sh adds .linux, .initrd,
# .cmdline, .sbat and .version to a copy of it.
$(EFI_OUT)/stub.efi: $(EFI_OUT)/stub.so
	objcopy $(EFI_SECTIONS) --target efi-app-$(EFI_ARCH) --subsystem=10 $< $@

efi-stub: $(EFI_OUT)/stub.efi
.PHONY: efi-stub
