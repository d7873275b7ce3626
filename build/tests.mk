# Tests. Unit tests: tests/unit/test_<module>.c, each linked with the engine
# library. Host tests: tests/host/*.sh (the CLI against fixture disks).
# End-to-end: tests/e2e/*.sh (QEMU boots). Fuzz smoke runs: build/fuzz.mk.

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/unit/%)
HOST_TESTS := $(sort $(wildcard tests/host/[0-9]*-*.sh))
E2E_TESTS  := $(sort $(wildcard tests/e2e/test_*.sh))

$(OUT)/tests/unit/%: tests/unit/%.c tests/unit/test.h $(LIBALL) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(LIBALL) $(LG_LDFLAGS) $(LG_LIBS)

-include $(wildcard $(OUT)/tests/unit/*.d)

# What the host tests need built before they run.
TEST_PREREQS := $(OUT)/lastgood $(UNIT_BINS) $(EFI_OUT)/stub.efi

export OUT
CHECK_FAST_TESTS = $(UNIT_BINS) $(HOST_TESTS)
# Fragments append their own to CHECK_TESTS (whatever their include order).
CHECK_ALL_TESTS = $(CHECK_FAST_TESTS) $(FUZZ_SMOKE_TESTS) $(E2E_TESTS) $(CHECK_TESTS)

# Unit and host tests: the inner loop.
check-fast: $(TEST_PREREQS)
	@tests/run $(CHECK_FAST_TESTS)

# Every test, with the QEMU boots and short fuzz runs.
check: $(TEST_PREREQS) $(CHECK_EXTRA_PREREQS)
	@tests/run $(CHECK_ALL_TESTS)

.PHONY: check check-fast
