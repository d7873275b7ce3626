// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firmware's PXE lease (lease.h). DHCP layout: RFC 2131 (BOOTP
 * header, 236 bytes, then the magic cookie 99.130.83.99 and the options
 * of RFC 2132: 1 subnet mask, 3 router, 6 DNS servers, 15 domain name).
 */
#include "net/lease.h"

#include <ctype.h>

#define BOOTP_HTYPE   1
#define BOOTP_HLEN    2
#define BOOTP_YIADDR  16
#define BOOTP_SIADDR  20
#define BOOTP_CHADDR  28
#define BOOTP_MAGIC   236
#define BOOTP_OPTIONS 240

static int usable(struct lg_lease *l, bool have_mask, struct lg_err *err);

static int parse_ip(const char *s, size_t n, uint8_t out[4])
{
	unsigned part = 0, v = 0, digits = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';
		if (c >= '0' && c <= '9') {
			v = v * 10 + (unsigned)(c - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		} else if (c == '.' && digits && part < 4) {
			out[part++] = (uint8_t)v;
			v = digits = 0;
		} else {
			return -EINVAL;
		}
	}
	return part == 4 ? 0 : -EINVAL;
}

static int mask_prefix(const uint8_t m[4])
{
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	int p = 0;
	while (p < 32 && (v & (0x80000000u >> p)))
		p++;
	/* contiguous: nothing set after the first 0 */
	if (p < 32 && (v << p) != 0)
		return -1;
	return p;
}

static int station(const char *s, size_t n, struct lg_lease *l, struct lg_err *err)
{
	bool ip = false, mask = false;
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && s[e] != '\n')
			e++;
		const char *line = s + i;
		size_t len = e - i;
		if (len && line[len - 1] == '\r')
			len--;
		if (len > 3 && !memcmp(line, "ip=", 3)) {
			if (parse_ip(line + 3, len - 3, l->ip) < 0) {
				lg_err_set(err, "pxe-station: the address is not A.B.C.D");
				return -EINVAL;
			}
			ip = true;
		} else if (len > 5 && !memcmp(line, "mask=", 5)) {
			if (parse_ip(line + 5, len - 5, l->mask) < 0) {
				lg_err_set(err, "pxe-station: the mask is not A.B.C.D");
				return -EINVAL;
			}
			mask = true;
		} else if (len) {
			lg_err_set(err, "pxe-station: a line that is not ip= or mask=");
			return -EINVAL;
		}
		i = e + 1;
	}
	if (!ip || !mask) {
		lg_err_set(err, "pxe-station: no %s", ip ? "mask" : "address");
		return -EINVAL;
	}
	return 0;
}

/* A domain name from the network: letters, digits, '.' and '-' kept. */
static void keep_domain(const char *d, size_t len, char *out, size_t cap)
{
	size_t w = 0;
	for (size_t k = 0; k < len && w + 1 < cap; k++)
		if (isalnum((unsigned char)d[k]) || d[k] == '.' || d[k] == '-')
			out[w++] = d[k];
	out[w] = '\0';
}

static void options(const unsigned char *o, size_t n, struct lg_lease *l, bool *have_mask)
{
	size_t i = 0;
	while (i < n) {
		unsigned code = o[i];
		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255 || i + 1 >= n)
			break;
		size_t len = o[i + 1];
		if (i + 2 + len > n)
			break;
		const unsigned char *d = o + i + 2;
		if (code == 1 && len == 4 && !*have_mask) {
			memcpy(l->mask, d, 4);
			*have_mask = true;
		} else if (code == 3 && len >= 4 && len % 4 == 0 && !l->have_gateway) {
			memcpy(l->gateway, d, 4);
			l->have_gateway = true;
		} else if (code == 6 && len >= 4 && len % 4 == 0 && !l->n_dns) {
			for (size_t k = 0; k + 4 <= len && l->n_dns < LG_LEASE_MAX_DNS; k += 4)
				memcpy(l->dns[l->n_dns++], d + k, 4);
		} else if (code == 15 && len && !l->domain[0]) {
			keep_domain((const char *)d, len, l->domain, sizeof(l->domain));
		}
		i += 2 + len;
	}
}

int lg_lease_parse(const char *st, size_t st_len, const unsigned char *ack, size_t ack_len, struct lg_lease *l,
		   struct lg_err *err)
{
	memset(l, 0, sizeof(*l));
	if (!ack || ack_len < BOOTP_OPTIONS || memcmp(ack + BOOTP_MAGIC, "\x63\x82\x53\x63", 4)) {
		lg_err_set(err, "pxe-dhcp-ack: not a DHCP packet (%zu bytes, no magic cookie)", ack_len);
		return -EINVAL;
	}
	bool have_mask = false;
	if (st && st_len) {
		if (station(st, st_len, l, err) < 0)
			return -EINVAL;
		have_mask = true;
	} else {
		memcpy(l->ip, ack + BOOTP_YIADDR, 4);
	}
	memcpy(l->server, ack + BOOTP_SIADDR, 4);
	if (ack[BOOTP_HTYPE] == 1 && ack[BOOTP_HLEN] == 6) {
		memcpy(l->mac, ack + BOOTP_CHADDR, 6);
		l->have_mac = true;
	}
	options(ack + BOOTP_OPTIONS, ack_len - BOOTP_OPTIONS, l, &have_mask);
	return usable(l, have_mask, err);
}

/* The checks every lease passes, from the firmware or from DHCP. */
static int usable(struct lg_lease *l, bool have_mask, struct lg_err *err)
{
	if (!have_mask) {
		lg_err_set(err, "no subnet mask in the lease");
		return -EINVAL;
	}
	int p = mask_prefix(l->mask);
	if (p < 1 || p > 31) {
		lg_err_set(err, "the subnet mask %u.%u.%u.%u is not usable", l->mask[0], l->mask[1], l->mask[2], l->mask[3]);
		return -EINVAL;
	}
	l->prefix = (unsigned)p;
	if (l->ip[0] == 0 || l->ip[0] >= 224 || (l->ip[0] == 255)) {
		lg_err_set(err, "the address %u.%u.%u.%u is not usable", l->ip[0], l->ip[1], l->ip[2], l->ip[3]);
		return -EINVAL;
	}
	return 0;
}

/* Addresses separated by spaces into out (at most max); 0 or -EINVAL. */
static int ip_list(const char *v, size_t len, uint8_t (*out)[4], size_t max, size_t *n)
{
	*n = 0;
	size_t i = 0;
	while (i < len) {
		while (i < len && v[i] == ' ')
			i++;
		size_t e = i;
		while (e < len && v[e] != ' ')
			e++;
		if (e > i) {
			uint8_t ip[4];
			if (parse_ip(v + i, e - i, ip) < 0)
				return -EINVAL;
			if (*n < max)
				memcpy(out[(*n)++], ip, 4);
		}
		i = e;
	}
	return 0;
}

enum { U_IP, U_SUBNET, U_ROUTER, U_DNS, U_DOMAIN, U_SERVERID, U_COUNT };
static const char *const udhcpc_keys[U_COUNT] = { "ip", "subnet", "router", "dns", "domain", "serverid" };

static int udhcpc_value(int k, const char *v, size_t len, struct lg_lease *l, struct lg_err *err)
{
	size_t n = 0;
	uint8_t gw[1][4];
	int r = 0;
	switch (k) {
	case U_IP: r = parse_ip(v, len, l->ip); break;
	case U_SUBNET: r = parse_ip(v, len, l->mask); break;
	case U_SERVERID: r = parse_ip(v, len, l->server); break;
	case U_ROUTER:
		r = ip_list(v, len, gw, 1, &n);
		if (r == 0 && n) {
			memcpy(l->gateway, gw[0], 4);
			l->have_gateway = true;
		}
		break;
	case U_DNS: r = ip_list(v, len, l->dns, LG_LEASE_MAX_DNS, &l->n_dns); break;
	case U_DOMAIN: keep_domain(v, len, l->domain, sizeof(l->domain)); break;
	default: break;
	}
	if (r < 0)
		lg_err_set(err, "DHCP lease: %s is not an address (A.B.C.D)", udhcpc_keys[k]);
	return r;
}

int lg_lease_parse_udhcpc(const char *text, size_t len, struct lg_lease *l, struct lg_err *err)
{
	memset(l, 0, sizeof(*l));
	bool seen[U_COUNT] = { false };
	for (size_t i = 0; text && i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		const char *line = text + i, *eq = memchr(line, '=', e - i);
		i = e + 1;
		if (!eq)
			continue;
		size_t klen = (size_t)(eq - line), vlen = (size_t)(text + e - eq - 1);
		for (int k = 0; k < U_COUNT; k++) {
			if (strlen(udhcpc_keys[k]) != klen || memcmp(line, udhcpc_keys[k], klen))
				continue;
			if (seen[k]) {
				lg_err_set(err, "DHCP lease: %s given twice", udhcpc_keys[k]);
				return -EINVAL;
			}
			seen[k] = true;
			if (vlen && udhcpc_value(k, eq + 1, vlen, l, err) < 0)
				return -EINVAL;
		}
	}
	if (!seen[U_IP] || !l->ip[0]) {
		lg_err_set(err, "DHCP lease: no address");
		return -EINVAL;
	}
	return usable(l, seen[U_SUBNET] && (l->mask[0] | l->mask[1] | l->mask[2] | l->mask[3]), err);
}

void lg_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
