// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: minisign public key and signature parsers, and the
 * verifier with the test key of tests/fixtures/keys over a fixed message
 * (the seeds in corpus/minisign are real signatures of it, so mutations
 * reach the key id check and both signature checks).
 */
#include "formats/minisign.h"

#include <stdint.h>

#define REQUIRE(c)                                  \
	do {                                        \
		if (!(c))                           \
			__builtin_trap();           \
	} while (0)

/* tests/fixtures/keys/test.pub */
static const char test_pub[] = "RWSKlhy1b9GCP+Kk4IQb62anBmLR/jFISrz6EXn0kYsux5WXLJb9LdzP";
/* what the seed signatures sign (tests/fuzz/README.md) */
static const char message[] = "lastgood fuzz message\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_ms_pubkey keys[2];
	struct lg_ms_sig sig;
	struct lg_err err = { "" };
	size_t nkeys = 0;

	if (lg_ms_pubkey_parse(test_pub, strlen(test_pub), &keys[nkeys], NULL) == 0)
		nkeys++;
	REQUIRE(nkeys == 1);

	/* The input as a key: it joins the trusted set when it parses. */
	if (lg_ms_pubkey_parse((const char *)data, size, &keys[nkeys], &err) == 0)
		nkeys++;
	else
		REQUIRE(err.msg[0]);

	err.msg[0] = 0;
	if (lg_ms_sig_parse((const char *)data, size, &sig, &err) != 0) {
		REQUIRE(err.msg[0]);
		return 0;
	}
	REQUIRE(sig.alg == LG_MS_ALG_LEGACY || sig.alg == LG_MS_ALG_PREHASHED);
	REQUIRE(sig.trusted_comment_len < LG_MS_TRUSTED_COMMENT_MAX);
	REQUIRE(strlen(sig.trusted_comment) == sig.trusted_comment_len);
	REQUIRE(!memchr(sig.trusted_comment, '\n', sig.trusted_comment_len));

	size_t which = 99;
	int r = lg_ms_verify(&keys[0], &sig, message, strlen(message), &err);
	REQUIRE(r == 0 || r == -ENOKEY || r == -EBADMSG);
	int q = lg_ms_verify_any(keys, nkeys, &sig, message, strlen(message), &which, &err);
	REQUIRE(q == 0 || q == -ENOKEY || q == -EBADMSG);
	if (r == 0)
		REQUIRE(q == 0 && which == 0);
	if (q == 0)
		REQUIRE(which < nkeys);
	/* the data itself as the message */
	lg_ms_verify(&keys[0], &sig, data, size, &err);
	return 0;
}
