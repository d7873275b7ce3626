# SPDX-License-Identifier: GPL-2.0-or-later
# The fleet client (recovery/net/, docs/fleet-api.md): fleetget drives it
# from the host tests against nginx serving a `lastgood keys export` tree
# over TLS on loopback (tests/host/65-fleet-keys.sh).

FLEETGET := $(OUT)/tests/net/fleetget

$(FLEETGET): tests/net/fleetget.c $(LIBNET) $(LIBENGINE) $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -o $@ $< $(LIBNET) $(LIBENGINE) $(LG_LDFLAGS) $(LG_LIBS)

check-fast check check-release: $(FLEETGET)
