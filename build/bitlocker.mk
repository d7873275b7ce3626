# SPDX-License-Identifier: GPL-2.0-or-later
# BitLocker (recovery/storage/bitlocker.c, recovery/formats/keys.c; docs/bitlocker.md).
#
#   $(OUT)/tests/e2e/bitlk-guest   PID 1 of tests/e2e/test_bitlocker*.sh: drives
#                                  the unlock code against real dm-crypt in QEMU
#
# The unit and host tests (test_bitlocker, test_keys, 60-bitlocker.sh) and the
# e2e tests unpack the Windows-made test volumes into $(OUT)/cache/bitlk when
# missing, from LG_BITLK_ARCHIVE (default ../shared/fixtures/bitlocker/).

BITLK_GUEST := $(OUT)/tests/e2e/bitlk-guest

$(BITLK_GUEST): tests/e2e/bitlk-guest.c $(LIBALL) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -o $@ $< $(LIBALL) $(LG_LDFLAGS) $(LG_LIBS)

CHECK_EXTRA_PREREQS += $(BITLK_GUEST)

# The archive sits beside the checkout (../shared) on the development
# machine; a clone elsewhere finds it at its absolute place.
LG_BITLK_ARCHIVE ?= $(firstword $(wildcard ../shared/fixtures/bitlocker/bitlk-images.tar.xz \
                                           /work/shared/fixtures/bitlocker/bitlk-images.tar.xz))
export LG_BITLK_ARCHIVE
