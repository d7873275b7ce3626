# SPDX-License-Identifier: GPL-2.0-or-later
# Windows crash dumps (recovery/formats/crashdump.c, the report's "crashes"):
# the test dump writer (tests/fixtures/mkdump.h), the dumps fixture disks
# carry, and the seeds of the crashdump fuzz harness.

MKDUMP := $(OUT)/tests/fixtures/mkdump
CRASH_DUMP_KINDS := small-csagent kernel pagedump mdmp damaged

$(MKDUMP): tests/fixtures/mkdump.c tests/fixtures/mkdump.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(SAN) -D_GNU_SOURCE -o $@ $< $(LG_LDFLAGS)

$(OUT)/fixtures/dumps/%.dmp: $(MKDUMP)
	@mkdir -p $(dir $@)
	$(MKDUMP) $* $@

$(OUT)/tests/unit/test_crashdump: tests/fixtures/mkdump.h

# Scenarios whose disk carries crash dumps.
$(OUT)/fixtures/crashed.img: $(CRASH_DUMP_KINDS:%=$(OUT)/fixtures/dumps/%.dmp)

CRASHDUMP_FUZZ_SEEDS := tests/fuzz/corpus/crashdump
crashdump-fuzz-seeds: $(MKDUMP)
	@mkdir -p $(CRASHDUMP_FUZZ_SEEDS)
	for k in $(CRASH_DUMP_KINDS); do $(MKDUMP) $$k $(CRASHDUMP_FUZZ_SEEDS)/$$k.dmp || exit 1; done

.PHONY: crashdump-fuzz-seeds
