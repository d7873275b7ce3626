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

# The flags GNU-EFI's own Make.defaults builds with on x86_64 (fpic, MS
# ABI calls with accumulated outgoing args, no red zone, no AVX, no stack
# protector or probes: no libc to back them, no merged constants) and, for
# the linker, no undefined symbol and no warning let through.
EFI_CFLAGS  := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
               -fpic -fshort-wchar -ffreestanding -fno-stack-protector -fno-stack-check \
               -fno-strict-aliasing -fno-merge-all-constants -mno-red-zone -mno-avx \
               -maccumulate-outgoing-args \
               -DGNU_EFI_USE_MS_ABI -I$(EFI_INC) -I$(EFI_INC)/$(EFI_ARCH) -I$(EFI_INC)/protocol \
               -ffile-prefix-map=$(CURDIR)=. -fno-ident
EFI_LDFLAGS := -nostdlib -znocombreloc -T $(EFI_LDS) -shared -Bsymbolic --build-id=none \
               --warn-common --no-undefined --fatal-warnings \
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
# NX_COMPAT (efi/set-nxcompat.sh): every section is page-aligned and none
# is writable and executable at once (tests/host/94-efi-nx.sh), so the
# firmware may map data non-executable and code read-only.
$(EFI_OUT)/stub.efi: $(EFI_OUT)/stub.so efi/set-nxcompat.sh
	objcopy $(EFI_SECTIONS) --target efi-app-$(EFI_ARCH) --subsystem=10 $< $@.tmp
	efi/set-nxcompat.sh $@.tmp
	mv $@.tmp $@

efi-stub: $(EFI_OUT)/stub.efi
.PHONY: efi-stub
