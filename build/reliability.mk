# Reliability harnesses (issue 9): power cuts at every write.
POWERCUT := $(OUT)/tests/powercut
$(POWERCUT): tests/reliability/powercut.c $(LIBENGINE) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -o $@ $< $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)
check-fast check check-release: $(POWERCUT)
CHECK_TESTS += tests/reliability/test_powercut.sh
CHECK_EXTRA_PREREQS += $(POWERCUT) fixtures
CHECK_TESTS += tests/reliability/test_sigkill.sh
CHECK_TESTS += tests/reliability/test_valgrind.sh
