/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network the firmware's PXE client set up, as the UEFI stub hands it
 * on (efi/override.c: /lastgood/override/pxe-station and pxe-dhcp-ack):
 * PID 1 configures the same interface with it, without a second DHCP
 * round (docs/pxe.md). Pure parsing of hostile bytes (the DHCP ACK came
 * from the network); unit-tested and fuzzed (tests/fuzz/fuzz_fleet.c).
 */
#ifndef LG_LEASE_H
#define LG_LEASE_H

#include "lib/util.h"

#define LG_LEASE_MAX_DNS 3

struct lg_lease {
	uint8_t ip[4], mask[4];
	unsigned prefix;             /* mask as a prefix length */
	bool have_gateway;
	uint8_t gateway[4];
	size_t n_dns;
	uint8_t dns[LG_LEASE_MAX_DNS][4];
	bool have_mac;
	uint8_t mac[6];              /* the client's hardware address (chaddr) */
	uint8_t server[4];           /* siaddr: the boot server */
	char domain[64];             /* option 15, printable ASCII only */
};

/* station: "ip=A.B.C.D\nmask=A.B.C.D\n"; ack: the DHCP ACK (BOOTP header,
 * magic cookie, options). The station's address and mask win over the
 * ACK's. Returns 0, or -EINVAL with err naming what is wrong (a mask that
 * is not contiguous, an address that is 0 or broadcast, a packet without
 * the magic cookie). */
int lg_lease_parse(const char *station, size_t station_len, const unsigned char *ack, size_t ack_len,
		   struct lg_lease *out, struct lg_err *err);

/* What busybox's udhcpc handed its script when it got a lease, as
 * media/udhcpc.script writes it for PID 1 (docs/usb.md): lines
 * "key=value" for ip, subnet (the mask, A.B.C.D), router and dns
 * (addresses separated by spaces: the first router, at most
 * LG_LEASE_MAX_DNS servers), domain and serverid; other keys and empty
 * values are ignored, a key given twice is refused. The values came from
 * the network: every address is parsed strictly, the domain keeps
 * letters, digits, '.' and '-' only. Returns 0, or -EINVAL with err
 * naming what is wrong (no address, no mask, a mask that is not
 * contiguous, an address that is 0, broadcast or multicast). */
int lg_lease_parse_udhcpc(const char *text, size_t len, struct lg_lease *out, struct lg_err *err);

/* "52:54:00:12:34:56" */
void lg_mac_format(const uint8_t mac[6], char out[18]);

#endif
