# SPDX-License-Identifier: GPL-2.0-or-later
# PE identity (recovery/formats/pe.c, `lastgood pe`): the synthetic PE writer used
# by tests/host/40-pe.sh, and the seeds of the PE fuzz harness
# (tests/fuzz/fuzz_pe.c, listed in build/fuzz.mk).

MKPE := $(OUT)/tests/fixtures/mkpe

$(MKPE): tests/fixtures/mkpe.c tests/fixtures/mkpe.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(SAN) -D_GNU_SOURCE -o $@ $< $(LG_LDFLAGS)

# The host test builds mkpe itself when run alone; through make it is ready.
check-fast check: $(MKPE)

# The seeds of fuzz_pe (tests/fuzz/corpus/pe/, kept in git) are mkpe
# output: PE32/PE32+, with and without version resource, certificate table,
# trailing data of odd length, section table out of file order. This
# rewrites them after a change to mkpe.
PE_FUZZ_SEEDS := tests/fuzz/corpus/pe
pe-fuzz-seeds: $(MKPE)
	@mkdir -p $(PE_FUZZ_SEEDS)
	$(MKPE) --version $(PE_FUZZ_SEEDS)/pe32plus-version.sys
	$(MKPE) --pe32 --version --cert 64 $(PE_FUZZ_SEEDS)/pe32-version-cert.sys
	$(MKPE) --version --trailing 13 --reverse --sections 3 $(PE_FUZZ_SEEDS)/odd-reverse.sys
	$(MKPE) --sections 1 $(PE_FUZZ_SEEDS)/tiny.efi

.PHONY: pe-fuzz-seeds
