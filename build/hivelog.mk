# SPDX-License-Identifier: GPL-2.0-or-later
# Hive transaction logs (recovery/formats/hivelog.c; docs/registry.md).
#
# tests/unit/test_hivelog.c checks the replay against hives and logs real
# Windows made (and the hives Windows itself recovered from them). It
# unpacks them into $(OUT)/cache/hives-dirty when missing, from
# LG_HIVELOG_ARCHIVE (default ../shared/fixtures/hives-dirty/).

# The archive sits beside the checkout (../shared) on the development
# machine; a clone elsewhere finds it at its absolute place.
LG_HIVELOG_ARCHIVE ?= $(firstword $(wildcard ../shared/fixtures/hives-dirty/yarp-dirty-hives.tar.xz \
                                             /work/shared/fixtures/hives-dirty/yarp-dirty-hives.tar.xz))
export LG_HIVELOG_ARCHIVE
