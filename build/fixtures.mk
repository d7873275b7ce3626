# Synthetic Windows disks for the tests (docs/fixtures.md).
#   out/tests/fixtures/mkfixture    the builder (C, libntfs-3g, the engine's device layer)
#   out/fixtures/<scenario>.img     one image per tests/fixtures/scenarios/<scenario>.txt
#                                   (more disks: <scenario>-disk2.img, ...)
#   make fixtures                   every scenario but `large` (built on demand)
# SPDX-License-Identifier: GPL-2.0-or-later

MKFIXTURE     := $(OUT)/tests/fixtures/mkfixture
# Listed by name: tests/fixtures/ also holds other builders (mkpe, ...).
MKFIXTURE_SRC := tests/fixtures/mkfixture.c tests/fixtures/ntfsfill.c tests/fixtures/scenario.c
MKFIXTURE_HDR := tests/fixtures/ntfsfill.h tests/fixtures/scenario.h
FIXTURE_SCENARIOS := $(patsubst tests/fixtures/scenarios/%.txt,%,$(wildcard tests/fixtures/scenarios/*.txt))
# The extra disks of multi-disk scenarios (mkfixture writes them with the first).
FIXTURE_EXTRA_DISKS := two-windows-disk2
FIXTURE_IMAGES := $(patsubst %,$(OUT)/fixtures/%.img,$(filter-out large,$(FIXTURE_SCENARIOS)) $(FIXTURE_EXTRA_DISKS))
# Variables a scenario may use as ${NAME} (e.g. data=file:${OUT}/...).
MKFIXTURE_VARS := -D OUT=$(abspath $(OUT))

$(MKFIXTURE): $(MKFIXTURE_SRC) $(MKFIXTURE_HDR) $(LIBENGINE) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -Itests/fixtures -o $@ $(MKFIXTURE_SRC) $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)

$(OUT)/fixtures/%.img: tests/fixtures/scenarios/%.txt $(MKFIXTURE) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(MKFIXTURE) $(MKFIXTURE_VARS) -d $(@:.img=.d) $< $@

# Includes and data files each image was built from (written by mkfixture -d).
-include $(wildcard $(OUT)/fixtures/*.d)

# The extra disks of a multi-disk scenario come with its first image
# (mkfixture writes them together, with the same mtime).
$(OUT)/fixtures/%-disk2.img: $(OUT)/fixtures/%.img
	@test -f $@ || { echo "$@ missing: is $< a two-disk scenario?" >&2; exit 1; }

fixtures: $(FIXTURE_IMAGES)

fixtures-large: $(OUT)/fixtures/large.img

# The fixture test builds every scenario itself with the builder; the
# other host tests use the images in $(OUT)/fixtures (all but `large`,
# which its consumers ask for).
check-fast check check-release: $(MKFIXTURE) $(FIXTURE_IMAGES)

.PHONY: fixtures fixtures-large
