# SPDX-License-Identifier: GPL-2.0-or-later
# `lastgood serve` (recovery/serve/, docs/fleet.md): its slower tests and
# its benchmark. The quick host test (tests/host/90-serve.sh) is in
# make check-fast like every host test.
#
#   make check            + tests/serve/browser.sh: the fleet page in
#                           headless Chromium, screenshot $(OUT)/serve/fleet-page.png
#   make bench-fleet      the fleet_server benchmark alone
#                         (FLEET_PCS=10000 FLEET_CONC=64 by default)
#   make bench            runs it with the others ($(BENCH_PARTS)/fleet_server.jsonl)

FLEETLOAD := $(OUT)/tests/bench/fleetload

$(FLEETLOAD): tests/bench/fleetload.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(SAN) -o $@ $< $(LG_LDFLAGS) $(filter -lcurl,$(PKG_LIBS))

CHECK_TESTS += tests/serve/browser.sh

bench-fleet: $(OUT)/lastgood $(FLEETLOAD)
	@mkdir -p $(or $(BENCH_PARTS),$(OUT)/bench/parts)
	OUT=$(OUT) PARTS=$(or $(BENCH_PARTS),$(OUT)/bench/parts) tests/bench/fleet-server.sh
	$(if $(filter command line,$(origin BENCH_PARTS)),,@tests/bench/report.sh $(OUT)/bench/parts $(OUT)/bench/fleet-results.json)

BENCH_EXTRA += bench-fleet

.PHONY: bench-fleet
