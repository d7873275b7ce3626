// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the fleet server's report validation
 * (recovery/serve/report.c), what `lastgood serve` runs on every POST
 * /v1/reports body before anything is stored. Checks that an accepted
 * report's extracted fields are bounded, NUL-terminated and printable,
 * and that the machine id is a lower-case UUID.
 */
#include "serve/report.h"

#include <stdint.h>

#define REQUIRE(c)                                  \
	do {                                        \
		if (!(c))                           \
			__builtin_trap();           \
	} while (0)

static void printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	REQUIRE(n < cap);
	for (size_t i = 0; i < n; i++)
		REQUIRE((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_fleet_report r;
	struct lg_err err = { "" };
	int rc = lg_fleet_report_check((const char *)data, size, &r, &err);
	REQUIRE(rc == 0 || rc == -EINVAL || rc == -EFBIG);
	if (rc < 0) {
		REQUIRE(err.msg[0]);
		return 0;
	}
	char id[37];
	REQUIRE(lg_fleet_machine_id(r.machine, id) && !strcmp(id, r.machine));
	REQUIRE(strlen(r.run_id) == 23);
	REQUIRE(r.exit_code >= 0 && r.exit_code <= 255);
	printable(r.computer_name, sizeof(r.computer_name));
	printable(r.serial, sizeof(r.serial));
	printable(r.model, sizeof(r.model));
	printable(r.ip, sizeof(r.ip));
	printable(r.keys_needed, sizeof(r.keys_needed));
	printable(r.crash, sizeof(r.crash));
	printable(r.outcome, sizeof(r.outcome));
	return 0;
}
