// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the PE parser: headers, Authenticode hash (both
 * variants), the version resource walk and the Authenticode signatures
 * (formats/authenticode.c: the certificate table, PKCS#7, nested
 * signatures, certificates), on arbitrary bytes. Seeds:
 * files written by tests/fixtures/mkpe (make pe-fuzz-seeds). Besides not
 * crashing, it checks the contracts callers rely on: only the documented
 * errors, NUL-terminated strings, a hash for every parsed file.
 */
#include "formats/authenticode.h"
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

	struct lg_authenticode *ac = malloc(sizeof(*ac));
	if (!ac)
		return 0;
	r = lg_authenticode_read(data, size, &info, NULL, NULL, LG_AC_VERIFY, ac, &err);
	if (r != 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
	if (r == 0) {
		if (ac->n_sigs > LG_AC_MAX_SIGS || (ac->n_bad && !memchr(ac->bad, 0, sizeof(ac->bad))))
			abort();
		for (unsigned i = 0; i < ac->n_sigs; i++) {
			const struct lg_ac_sig *s = &ac->sigs[i];
			if (s->n_certs > LG_AC_MAX_CERTS || s->n_chain > s->n_certs ||
			    s->digest_len > LG_AC_DIGEST_MAX || s->signer >= (int)s->n_certs ||
			    s->parent >= (int)i)
				abort();
			for (unsigned k = 0; k < s->n_certs; k++)
				if (!memchr(s->certs[k].subject_cn, 0, LG_AC_NAME_MAX) ||
				    s->certs[k].tbs_len > LG_AC_DIGEST_MAX ||
				    s->certs[k].issuer >= (int)s->n_certs)
					abort();
		}
		if (ac->n_sigs && ac->sigs[0].n_certs)
			(void)lg_ac_has_signer(ac, ac->sigs[0].certs[0].tbs, ac->sigs[0].certs[0].tbs_len,
					       ac->sigs[0].certs[0].subject_cn);
	}
	free(ac);
	return 0;
}
