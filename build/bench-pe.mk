# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark of PE rules (issue 6): 2,000 hash rules shaped like an imported
# LOLDrivers list against 5,000 driver files on an NTFS volume it builds;
# checks every file is read once and nothing is hashed that a cheaper
# condition excluded, prints files per second (tests/bench/bench_pe_rules.c).
#
#   make bench-pe [BENCH_PE_ARGS="--files 5000 --rules 2000"]
#   make bench    runs it with the other benchmarks (build/bench.mk), its
#                 results in $(BENCH_PARTS)/pe_rules.jsonl

BENCH_PE := $(OUT)/tests/bench/bench_pe_rules
BENCH_PE_ARGS ?=

$(BENCH_PE): tests/bench/bench_pe_rules.c tests/fixtures/mkpe.h $(LIBENGINE) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -MMD -MP -o $@ $< $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)

-include $(OUT)/tests/bench/bench_pe_rules.d

bench-pe: $(BENCH_PE)
	$(if $(BENCH_PARTS),@mkdir -p $(BENCH_PARTS))
	$(BENCH_PE) $(BENCH_PE_ARGS) $(if $(BENCH_PARTS),--jsonl $(BENCH_PARTS)/pe_rules.jsonl)

BENCH_EXTRA += bench-pe

.PHONY: bench-pe
