// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the PE parser: headers, Authenticode hash (both
 * variants) and the version resource walk, on arbitrary bytes. Seeds:
 * files written by tests/fixtures/mkpe (make pe-fuzz-seeds). Besides not
 * crashing, it checks the contracts callers rely on: only the documented
 * errors, NUL-terminated strings, a hash for every parsed file.
 */
#include "formats/pe.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_pe_info info;
	struct lg_err err = { "" };
	int r = lg_pe_parse(data, size, &info, &err);
	if (r != 0) {
		if (r != -ENOEXEC && r != -EBADMSG)
			abort();
		if (!err.msg[0])
			abort();
		return 0;
	}
	unsigned char s256[LG_SHA256_LEN], s1[LG_SHA1_LEN];
	if (lg_pe_authentihash(data, size, &info, s256, s1) != 0)
		abort();
	if (lg_pe_authentihash_unpadded(data, size, &info, s256, NULL) != 0)
		abort();

	struct lg_pe_version *v = malloc(sizeof(*v));
	if (!v)
		return 0;
	r = lg_pe_version(data, size, &info, v, &err);
	if (r != 0 && r != -ENOENT && r != -EBADMSG)
		abort();
	if (r == 0)
		for (unsigned k = 0; k < LG_PE_STR_COUNT; k++)
			if (!memchr(v->str[k], 0, LG_PE_STR_MAX))
				abort();
	free(v);
	return 0;
}
