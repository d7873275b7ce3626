// SPDX-License-Identifier: GPL-2.0-or-later
#include "test.h"
#include "lib/hash.h"
#include "lib/util.h"

static void hex_of(const unsigned char *b, size_t n, char *out)
{
	lg_hex(b, n, out);
}

/* FIPS 180 examples. */
static void test_known_vectors(void)
{
	unsigned char s256[32], s1[20];
	char hex[65];

	CHECK_INT(lg_hash_buf("abc", 3, s256, s1), 0);
	hex_of(s256, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of(s1, 20, hex);
	CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");

	CHECK_INT(lg_hash_buf("", 0, s256, s1), 0);
	hex_of(s256, 32, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of(s1, 20, hex);
	CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

/* A million 'a' fed in uneven pieces, some larger than the internal
 * slice, gives the published digests: the slicing loses no byte. */
static void test_incremental_million_a(void)
{
	static unsigned char a[1000000];
	memset(a, 'a', sizeof(a));
	struct lg_hash h;
	CHECK_INT(lg_hash_init(&h, LG_HASH_SHA256 | LG_HASH_SHA1), 0);
	static const size_t steps[] = { 1, 63, 64, 65, 4095, 65536, 65537, 200000, 3 };
	size_t off = 0;
	for (unsigned i = 0; off < sizeof(a); i = (i + 1) % ARRAY_SIZE(steps)) {
		size_t n = steps[i];
		if (n > sizeof(a) - off)
			n = sizeof(a) - off;
		CHECK_INT(lg_hash_update(&h, a + off, n), 0);
		off += n;
	}
	unsigned char s256[32], s1[20];
	char hex[65];
	CHECK_INT(lg_hash_final(&h, s256, s1), 0);
	hex_of(s256, 32, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	hex_of(s1, 20, hex);
	CHECK_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	/* final restarted the context: the next message starts from scratch. */
	CHECK_INT(lg_hash_update(&h, "abc", 3), 0);
	CHECK_INT(lg_hash_final(&h, s256, s1), 0);
	hex_of(s256, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	lg_hash_free(&h);
	lg_hash_free(&h); /* twice is harmless */
}

static void test_single_algorithm(void)
{
	unsigned char s256[32], s1[20], both256[32], both1[20];
	CHECK_INT(lg_hash_buf("lastgood", 8, both256, both1), 0);
	CHECK_INT(lg_hash_buf("lastgood", 8, s256, NULL), 0);
	CHECK_MEM(s256, both256, 32);
	CHECK_INT(lg_hash_buf("lastgood", 8, NULL, s1), 0);
	CHECK_MEM(s1, both1, 20);

	_cleanup_(lg_hash_free) struct lg_hash h = { 0 };
	CHECK_INT(lg_hash_init(&h, LG_HASH_SHA1), 0);
	CHECK(h.sha256 == NULL);
	CHECK_INT(lg_hash_update(&h, "lastgood", 8), 0);
	CHECK_INT(lg_hash_final(&h, NULL, s1), 0);
	CHECK_MEM(s1, both1, 20);
	/* an output for a chosen algorithm is required */
	CHECK_INT(lg_hash_final(&h, s256, NULL), -EINVAL);
}

static void test_bad_arguments(void)
{
	struct lg_hash h = { 0 };
	unsigned char s256[32];
	CHECK_INT(lg_hash_init(&h, 0), -EINVAL);
	CHECK_INT(lg_hash_init(&h, 1u << 7), -EINVAL);
	CHECK(h.sha256 == NULL && h.sha1 == NULL);
	CHECK_INT(lg_hash_update(&h, "x", 1), -EINVAL);
	CHECK_INT(lg_hash_final(&h, s256, NULL), -EINVAL);
	CHECK_INT(lg_hash_buf("x", 1, NULL, NULL), -EINVAL);
	lg_hash_free(&h);
	lg_hash_free(NULL);
}

int main(void)
{
	RUN(test_known_vectors);
	RUN(test_incremental_million_a);
	RUN(test_single_algorithm);
	RUN(test_bad_arguments);
	return t_done();
}
