/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bringing one Ethernet interface up with a lease (lease.h), for PID 1:
 * the interface found by MAC (or the first wired one), its address, mask
 * and default route set by ioctl, DNS servers written to a resolv.conf.
 * Nothing prints; errors are a negative errno with err.
 */
#ifndef LG_IFCONFIG_H
#define LG_IFCONFIG_H

#include "net/lease.h"

#include <net/if.h>

/* The interface with this MAC, or (mac NULL) the first one under
 * /sys/class/net that is Ethernet and not loopback, in name order.
 * sysfs: "/sys/class/net" normally (tests: another tree). */
int lg_net_find(const char *sysfs, const uint8_t *mac, char name[IF_NAMESIZE], uint8_t mac_out[6],
		struct lg_err *err);

/* Up, then wait at most timeout_ms for the carrier. 0, or -ENOLINK. */
int lg_net_up(const char *ifname, int timeout_ms, struct lg_err *err);

/* Address, mask, default route; DNS servers into resolv (NULL: none). */
int lg_net_configure(const char *ifname, const struct lg_lease *l, const char *resolv, struct lg_err *err);

/* "10.0.2.15" */
void lg_ip_format(const uint8_t ip[4], char out[16]);

#endif
