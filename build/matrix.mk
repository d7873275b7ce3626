# SPDX-License-Identifier: GPL-2.0-or-later
# The compatibility matrix (docs/compatibility.md): every configuration a
# fleet has, one end-to-end boot each (tests/e2e/cell_*.sh).
#
#   make matrix       every cell, one after the other; writes out/matrix.md and
#                     regenerates the table in docs/compatibility.md
#   make check        runs MATRIX_CHECK_CELLS of them, rotating with the commit
MATRIX_CHECK_CELLS ?= 4
MATRIX_CELLS := $(sort $(wildcard tests/e2e/cell_*.sh))
MATRIX_PREREQS := $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/tests/e2e/ovmfvars $(FIXTURE_IMAGES)

matrix: $(MATRIX_PREREQS)
	tests/e2e/matrix.sh

CHECK_TESTS += $(shell tests/e2e/matrix.sh --pick $(MATRIX_CHECK_CELLS) 2>/dev/null)
CHECK_EXTRA_PREREQS += $(MATRIX_PREREQS)

.PHONY: matrix
