# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`: the benchmarks of tests/bench/ (docs/benchmarks.md).
# Writes $(OUT)/bench/results.json and prints it as a table. Not part of
# `make check`. Needs root for the ntfs-3g baselines (loop device, FUSE);
# the boot benchmarks need the boot image, which it tries to build.
#
# Other fragments add their own benchmark targets with
#   BENCH_EXTRA += bench-foo
# A target `bench-pe` is run even when not listed. Such a target writes its
# results, one JSON object a line (name, value, baseline, ratio, unit,
# notes), to $(BENCH_PARTS)/<name>.jsonl; `make bench` merges them.

BENCH_DIR        := $(OUT)/bench
BENCH_PARTS      := $(BENCH_DIR)/parts
BENCH_TOOLS      := $(OUT)/tests/bench/benchrun $(OUT)/tests/bench/floor-init
BENCH_VOLUME     := $(BENCH_DIR)/scan-volume.img
BENCH_EXTRA      ?=
# bench-pe by name too, in case its fragment does not list itself.
BENCH_EXTRA_TARGETS = $(sort $(BENCH_EXTRA) $(if $(shell grep -ls '^bench-pe[[:space:]]*:' build/*.mk 2>/dev/null),bench-pe))
# What the boot benchmarks boot; built if it can be (a broken image build
# skips those benchmarks, with the reason, rather than all of them).
BENCH_IMAGE_PREREQS := $(OUT)/lastgood.efi $(OUT)/tests/e2e/ovmfvars $(OUT)/fixtures/crowdstrike.img

$(OUT)/tests/bench/benchrun: tests/bench/benchrun.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -o $@ $<

# Static: it is the only file of the floor initramfs.
$(OUT)/tests/bench/floor-init: tests/bench/floor-init.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Os -static -o $@ $<

# The 200,000-file volume of scan_hash and scan_path (about 10 s to build,
# 740 MiB on disk).
# (mkfixture by path: build/fixtures.mk, which names it, is read after this file.)
# The Windows tree it includes may carry a built SYSTEM hive (data=file:).
$(BENCH_VOLUME): tests/bench/scan-volume.txt $(OUT)/tests/fixtures/mkfixture \
		$(if $(wildcard tests/fixtures/hives/windows.txt),$(OUT)/fixtures/hives/windows.hive) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(MKFIXTURE) $(MKFIXTURE_VARS) -d $(@:.img=.d) $< $@

-include $(wildcard $(BENCH_DIR)/scan-volume.d)

bench: $(OUT)/lastgood $(BENCH_TOOLS) $(BENCH_VOLUME) | $(DEPS_STAMP)
	@$(MAKE) --no-print-directory $(BENCH_IMAGE_PREREQS) || \
		echo "bench: the boot image does not build: image_size, boot_to_done and memory_floor will say so"
	@rm -rf $(BENCH_PARTS) && mkdir -p $(BENCH_PARTS)
	@rc=0; OUT=$(OUT) PARTS=$(BENCH_PARTS) tests/bench/run.sh || rc=1; \
	for t in $(BENCH_EXTRA_TARGETS); do \
		echo "bench: == $$t =="; \
		$(MAKE) --no-print-directory $$t BENCH_PARTS=$(BENCH_PARTS) || { echo "bench: $$t FAILED" >&2; rc=1; }; \
	done; \
	tests/bench/report.sh $(BENCH_PARTS) $(BENCH_DIR)/results.json || rc=1; \
	exit $$rc

.PHONY: bench
