// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness: Windows crash dump headers and module lists
 * (recovery/formats/crashdump.c). Seeds: tests/fuzz/corpus/crashdump/
 * (tests/fixtures/mkdump output: make crashdump-fuzz-seeds). */
#include "formats/crashdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_crash c;
	struct lg_err err = { "" };
	int r = lg_crashdump_parse(data, size, &c, &err);
	if (r == 0) {
		/* what the report prints must be a string */
		if (strlen(c.driver) >= sizeof(c.driver) || !c.format || !c.type)
			__builtin_trap();
		(void)lg_bugcheck_name(c.code);
	} else if (!err.msg[0]) {
		__builtin_trap(); /* every refusal says why */
	}
	return 0;
}
