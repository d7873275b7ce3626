// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness: what a fleet server answers (recovery/net/answer.c):
 * key answers (JSON recovery password or .BEK bytes), plans, Retry-After,
 * server URLs, the PXE lease the stub hands on, the DHCP lease udhcpc's
 * script writes for PID 1. The first byte picks the parser (with 3, its
 * high bit: the DHCP lease rather than a URL). Seeds: tests/fuzz/corpus/fleet/. */
#include "net/fleet.h"
#include "net/lease.h"
#include "formats/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const unsigned char guid[16] = { 0x59, 0xf7, 0x81, 0x43, 0xf8, 0xc4, 0xe0, 0x4d,
						0xbb, 0x61, 0xfc, 0x33, 0xa8, 0x31, 0xbd, 0xa5 };
	struct lg_err err = { "" };
	unsigned char sel = data[0];
	data++, size--;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	switch (sel % 5) {
	case 4: {
		/* the station text up to the first NUL, the DHCP ACK after it */
		const char *nul = memchr(data, 0, size);
		size_t sl = nul ? (size_t)(nul - (const char *)data) : 0;
		struct lg_lease l;
		if (lg_lease_parse((const char *)data, sl, data + sl + (nul != NULL), size - sl - (nul != NULL), &l,
				   &err) == 0 && (l.prefix < 1 || l.prefix > 31 || l.n_dns > LG_LEASE_MAX_DNS))
			__builtin_trap();
		break;
	}
	case 0: {
		struct lg_keyring *kr = lg_keyring_new();
		int r = lg_fleet_parse_key(sel & 0x80 ? "application/json" : NULL, data, size, guid, kr, &err);
		if (r > 0 && (kr->n != 1 || memcmp(kr->keys[0].protector, guid, 16)))
			__builtin_trap(); /* a key is only ever kept for the protector asked for */
		lg_keyring_free(kr);
		break;
	}
	case 1: {
		struct lg_fleet_plan p;
		int r = lg_fleet_parse_plan(s, size, &p, &err);
		if (r == 0 && p.mode == LG_PLAN_UNDO && !lg_fleet_run_id_valid(p.run_id))
			__builtin_trap();
		if (r < 0 && p.mode != LG_PLAN_NONE)
			__builtin_trap();
		break;
	}
	case 2: {
		int r = lg_fleet_retry_after(s);
		if (r > LG_FLEET_RETRY_AFTER_MAX)
			__builtin_trap();
		break;
	}
	case 3:
		if (sel & 0x80) {
			struct lg_lease l;
			if (lg_lease_parse_udhcpc((const char *)data, size, &l, &err) == 0 &&
			    (l.prefix < 1 || l.prefix > 31 || l.n_dns > LG_LEASE_MAX_DNS || !l.ip[0]))
				__builtin_trap();
			break;
		}
		/* fall through */
	default: {
		char out[LG_FLEET_URL_MAX];
		if (lg_fleet_server_check(s, out, sizeof(out), &err) == 0 && strncasecmp(out, "https://", 8))
			__builtin_trap();
		break;
	}
	}
	free(s);
	return 0;
}
