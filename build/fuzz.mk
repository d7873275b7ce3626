# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer harnesses, built with clang and ASan + UBSan into $(OUT)/fuzz/.
#
#   make fuzz [FUZZ_SECONDS=60]   run every harness FUZZ_SECONDS seconds,
#                                 keeping new inputs in $(OUT)/fuzz/corpus/NAME
#   make check                    runs each for FUZZ_SMOKE_SECONDS (5 s)
#   make $(OUT)/fuzz/fuzz_NAME    build one
#
# To add a harness, add ONE line below: NAME:SOURCES, where SOURCES are
# the engine files it links, comma-separated (compiled here with clang,
# not taken from libengine.a, so that they carry the fuzzer's coverage
# instrumentation). The harness is tests/fuzz/fuzz_NAME.c, its seeds
# tests/fuzz/corpus/NAME/, an optional libFuzzer dictionary
# tests/fuzz/NAME.dict. Its smoke run for make check comes with it.
FUZZ_HARNESSES += denylist:recovery/formats/denylist.c,recovery/formats/minisign.c,recovery/formats/glob.c,recovery/lib/util.c,recovery/lib/file_version.c,recovery/lib/rfc3339.c,recovery/lib/utf16.c
FUZZ_HARNESSES += minisign:recovery/formats/minisign.c,recovery/lib/util.c
FUZZ_HARNESSES += pe:recovery/formats/pe.c,recovery/formats/authenticode.c,recovery/lib/hash.c,recovery/lib/util.c,recovery/lib/utf16.c
FUZZ_HARNESSES += importer:recovery/import/importer.c,recovery/formats/denylist.c,recovery/formats/minisign.c,recovery/formats/glob.c,recovery/lib/util.c,recovery/lib/file_version.c,recovery/lib/rfc3339.c,recovery/lib/utf16.c
FUZZ_HARNESSES += fve:recovery/storage/bitlocker.c,recovery/formats/keys.c,recovery/lib/guid.c,recovery/lib/util.c,recovery/lib/utf16.c
FUZZ_HARNESSES += csv:recovery/formats/keys.c,recovery/lib/guid.c,recovery/lib/util.c,recovery/lib/utf16.c
FUZZ_HARNESSES += glob:recovery/formats/glob.c,recovery/lib/utf16.c
FUZZ_HARNESSES += imagepath:recovery/engine/regpath.c,recovery/lib/utf16.c
FUZZ_HARNESSES += hivelog:recovery/formats/hivelog.c
FUZZ_HARNESSES += journal:recovery/engine/journal.c,recovery/engine/paths.c,recovery/storage/fsops.c,recovery/storage/secdesc.c,recovery/storage/volume.c,recovery/storage/redo.c,recovery/lib/util.c
FUZZ_HARNESSES += redo:recovery/storage/redo.c,recovery/storage/volume.c,recovery/lib/util.c
FUZZ_HARNESSES += report:recovery/engine/inspect.c,recovery/formats/hivelog.c,recovery/storage/disk.c,recovery/storage/bitlocker.c,recovery/formats/keys.c,recovery/storage/volume.c,recovery/storage/redo.c,recovery/lib/guid.c,recovery/lib/util.c,recovery/lib/utf16.c
FUZZ_HARNESSES += loadoption:recovery/boot/efivar.c,recovery/lib/util.c
FUZZ_HARNESSES += records:recovery/boot/child.c
FUZZ_HARNESSES += efistub:efi/pesec.c,efi/newc.c
FUZZ_HARNESSES += trust:recovery/engine/trust.c,recovery/engine/paths.c,recovery/engine/journal.c,recovery/engine/quarantine.c,recovery/engine/registry.c,recovery/formats/hivelog.c,recovery/engine/regpath.c,recovery/formats/denylist.c,recovery/formats/minisign.c,recovery/formats/glob.c,recovery/storage/fsops.c,recovery/storage/secdesc.c,recovery/storage/volume.c,recovery/storage/redo.c,recovery/lib/hash.c,recovery/lib/util.c,recovery/lib/utf16.c,recovery/lib/rfc3339.c,recovery/lib/file_version.c,recovery/lib/guid.c
FUZZ_HARNESSES += crashdump:recovery/formats/crashdump.c,recovery/lib/utf16.c,recovery/lib/rfc3339.c
FUZZ_HARNESSES += fleet:recovery/net/answer.c,recovery/net/lease.c,recovery/formats/keys.c,recovery/lib/guid.c,recovery/lib/util.c,recovery/lib/utf16.c
FUZZ_HARNESSES += fleetreport:recovery/serve/report.c,recovery/lib/util.c

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_DIR           := $(OUT)/fuzz

# Warnings are not errors here: gcc with -Werror is the gate; clang may
# warn differently about other people's files.
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
              -fsanitize=address,undefined -fno-sanitize-recover=all \
              -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DLG_VERSION=\"$(LG_VERSION)\" $(NTFS_DEFS) \
              -Irecovery $(PKG_CFLAGS)

fuzz_comma := ,
fuzz_name = $(word 1,$(subst :, ,$(1)))
fuzz_srcs = $(subst $(fuzz_comma), ,$(word 2,$(subst :, ,$(1))))

FUZZ_NAMES  := $(foreach h,$(FUZZ_HARNESSES),$(call fuzz_name,$(h)))
FUZZ_BINS   := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SMOKES := $(FUZZ_NAMES:%=$(OUT)/tests/fuzz/smoke-%)

# Engine sources, instrumented for coverage but without libFuzzer's main.
$(FUZZ_DIR)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

define fuzz_harness_rule
$(FUZZ_DIR)/fuzz_$(call fuzz_name,$(1)): tests/fuzz/fuzz_$(call fuzz_name,$(1)).c \
		$(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(call fuzz_srcs,$(1))) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$^ $$(PKG_LIBS) -lpthread
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call fuzz_harness_rule,$(h))))

-include $(wildcard $(FUZZ_DIR)/obj/recovery/*/*.d)

# make check runs executables without arguments: one generated wrapper
# per harness, named after it in the test list ("fuzz/smoke-NAME").
$(OUT)/tests/fuzz/smoke-%: build/fuzz.mk
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\n# generated by build/fuzz.mk: a short libFuzzer run of fuzz_%s\nexec "%s/tests/fuzz/run.sh" %s "$${FUZZ_SMOKE_SECONDS:-%s}"\n' \
		'$*' '$(CURDIR)' '$*' '$(FUZZ_SMOKE_SECONDS)' > $@
	@chmod +x $@

FUZZ_SMOKE_TESTS    += $(FUZZ_SMOKES)
CHECK_EXTRA_PREREQS += $(FUZZ_BINS) $(FUZZ_SMOKES)

fuzz-build: $(FUZZ_BINS)

# Every harness runs even when one finds a crash; make fails at the end.
fuzz: $(FUZZ_BINS)
	@failed=""; for n in $(FUZZ_NAMES); do \
		tests/fuzz/run.sh $$n $(FUZZ_SECONDS) $(FUZZ_DIR)/corpus/$$n || failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed"; exit 1; fi

.PHONY: fuzz fuzz-build
