# SPDX-License-Identifier: GPL-2.0-or-later
# The release build (docs/release.md): the same sources built again with
# RELEASE=1 (build/flags.mk: -O2, _FORTIFY_SOURCE, stack protector, stack
# clash protection, CET, PIE, full RELRO) into their own output tree, so
# the dev objects (-O1 -g -Werror) and the release objects never overwrite
# each other. What ships uses it: `make install` and the image's /init.
#
#   make release          out/rel/lastgood (and its unit tests: check-release)
#   make check-release    the release binaries' hardening, make install's
#                         tree, and the unit tests plus a few host tests
#                         run against the release build (make check runs it)
#
# The release tree is a second make run (OUT=$(OUT_REL) RELEASE=1): every
# rule of the build applies to it unchanged. It runs each time (FORCE) and
# only rebuilds what changed; a target it leaves alone keeps its time, so
# what depends on it (the initramfs) is not rebuilt.

REL_MAKE   = $(MAKE) --no-print-directory OUT=$(OUT_REL) RELEASE=1 SANITIZE= OUT_REL=$(OUT_REL)/rel
# PID 1 (lastgood-init) once the Makefile builds it apart (INIT_MAIN).
REL_BINS  := $(OUT_REL)/lastgood $(if $(INIT_MAIN),$(OUT_REL)/lastgood-init)
REL_UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT_REL)/tests/unit/%,$(wildcard tests/unit/test_*.c))

# One sub-make for all the programs (grouped: two at once would build the
# same objects side by side); the unit tests after them, for the same reason.
$(REL_BINS) &: FORCE
	+@$(REL_MAKE) $(REL_BINS)

$(REL_UNIT_BINS) &: $(REL_BINS) FORCE
	+@$(REL_MAKE) $(REL_UNIT_BINS)

release: $(REL_BINS)

# The host tests that run against the release binary too (LG=...): every
# one that runs the CLI (about 2.5 minutes on this 2-core machine). The
# others check fixtures, sizes or tools built in the dev tree only
# (docs/release.md).
REL_HOST_TESTS := $(sort $(shell grep -l '\$$LG' tests/host/[0-9]*-*.sh))
RELEASE_TESTS  := tests/release/hardening.sh tests/release/install.sh $(REL_UNIT_BINS) tests/release/host.sh
export OUT_REL REL_HOST_TESTS

check-release: $(TEST_PREREQS) $(REL_BINS) $(REL_UNIT_BINS) $(OUT)/fixtures/crowdstrike.img
	@tests/run $(RELEASE_TESTS)

CHECK_EXTRA_PREREQS += $(REL_BINS) $(REL_UNIT_BINS)
CHECK_TESTS += $(RELEASE_TESTS)

.PHONY: release check-release
