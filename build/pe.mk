# SPDX-License-Identifier: GPL-2.0-or-later
# PE identity (recovery/formats/pe.c, `lastgood pe`): the synthetic PE writer used
# by tests/host/40-pe.sh, and the seeds of the PE fuzz harness
# (tests/fuzz/fuzz_pe.c, listed in build/fuzz.mk).

MKPE := $(OUT)/tests/fixtures/mkpe

$(MKPE): tests/fixtures/mkpe.c tests/fixtures/mkpe.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(SAN) -D_GNU_SOURCE -o $@ $< $(LG_LDFLAGS)

# The host test builds mkpe itself when run alone; through make it is ready.
check-fast check check-release: $(MKPE)

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

# Signed seeds for the signature reader (formats/authenticode.c): a
# dual-signed image (SHA-256, SHA-1 nested) and one with an RFC 3161
# timestamp, signed by osslsigncode with a throwaway EC key and TSA.
pe-fuzz-seeds-signed: $(MKPE)
	@t=$$(mktemp -d) && trap 'rm -rf "$$t"' EXIT && \
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $$t/k.pem -out $$t/c.pem \
		-days 3650 -subj "/CN=lastgood fuzz seed signer" 2>/dev/null && \
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $$t/tk.pem -out $$t/tc.pem \
		-days 3650 -subj "/CN=lastgood test TSA" -addext "extendedKeyUsage=critical,timeStamping" 2>/dev/null && \
	$(MKPE) --version --sections 1 $$t/u.sys && \
	osslsigncode sign -certs $$t/c.pem -key $$t/k.pem -h sha256 -in $$t/u.sys -out $$t/s1.sys >/dev/null && \
	osslsigncode sign -nest -certs $$t/c.pem -key $$t/k.pem -h sha1 -in $$t/s1.sys \
		-out $(PE_FUZZ_SEEDS)/signed-nested.sys >/dev/null && \
	osslsigncode sign -certs $$t/c.pem -key $$t/k.pem -h sha256 -TSA-certs $$t/tc.pem -TSA-key $$t/tk.pem \
		-TSA-time 1700000000 -in $$t/u.sys -out $(PE_FUZZ_SEEDS)/signed-rfc3161.sys >/dev/null

.PHONY: pe-fuzz-seeds pe-fuzz-seeds-signed
