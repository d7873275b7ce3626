# Registry hives for the tests (docs/registry.md).
#   out/tests/fixtures/mkhive        the builder (C: regf base block + libhivex)
#   out/tests/fixtures/hivefix       the engine's registry work on a host hive file
#   out/fixtures/hives/<name>.hive   one hive per tests/fixtures/hives/<name>.txt
# A scenario puts a built hive on a disk with data=file:${OUT}/fixtures/hives/<name>.hive;
# the image then depends on the hive (the rule below).
# SPDX-License-Identifier: GPL-2.0-or-later

MKHIVE     := $(OUT)/tests/fixtures/mkhive
MKHIVE_SRC := tests/fixtures/mkhive.c tests/fixtures/hivebuild.c
HIVE_DESCS := $(wildcard tests/fixtures/hives/*.txt)
HIVES      := $(HIVE_DESCS:tests/fixtures/hives/%.txt=$(OUT)/fixtures/hives/%.hive)

$(MKHIVE): $(MKHIVE_SRC) tests/fixtures/hivebuild.h $(LIBENGINE) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -Itests/fixtures -o $@ $(MKHIVE_SRC) $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)

HIVEFIX := $(OUT)/tests/fixtures/hivefix
$(HIVEFIX): tests/fixtures/hivefix.c $(LIBENGINE) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -o $@ $< $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)

$(OUT)/fixtures/hives/%.hive: tests/fixtures/hives/%.txt $(MKHIVE)
	@mkdir -p $(dir $@)
	$(MKHIVE) $< $@

hives: $(HIVES)

# Scenarios whose disk carries a built hive.
$(OUT)/fixtures/filter-driver.img: $(OUT)/fixtures/hives/filter-driver.hive
# A hive with "log" lines comes with its logs (NAME.hive.LOG1, .LOG2),
# written by mkhive with it.
$(OUT)/fixtures/filter-driver-dirty.img: $(OUT)/fixtures/hives/filter-driver-dirty.hive
$(OUT)/fixtures/filter-driver-dirty-svc.img: $(OUT)/fixtures/hives/filter-driver-dirty-svc.hive
$(OUT)/fixtures/filter-driver-dirty-old.img: $(OUT)/fixtures/hives/filter-driver-dirty-old.hive

# The unit test builds its hives with the same code (it includes
# hivebuild.c); the host test runs mkhive and needs the built hives.
$(OUT)/tests/unit/test_registry: tests/fixtures/hivebuild.c tests/fixtures/hivebuild.h
check-fast check check-release: $(MKHIVE) $(HIVEFIX) $(HIVES)

.PHONY: hives

# Every scenario includes windows-tree.inc, whose SYSTEM is the built
# windows hive: the images need it before mkfixture runs (the depfiles
# mkfixture writes only exist after a first build).
$(FIXTURE_IMAGES) $(OUT)/fixtures/large.img: $(OUT)/fixtures/hives/windows.hive
