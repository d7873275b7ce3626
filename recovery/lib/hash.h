/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 and SHA-1 through OpenSSL's EVP interface (SHA-NI when the CPU
 * has it: about 6 times faster than a portable implementation, which
 * matters when thousands of drivers are hashed).
 *
 * One struct lg_hash computes any set of the supported digests in a
 * single pass: the matcher reads a file once and feeds the bytes to
 * SHA-256 and SHA-1 together.
 *
 *	struct lg_hash h;
 *	r = lg_hash_init(&h, LG_HASH_SHA256 | LG_HASH_SHA1);
 *	lg_hash_update(&h, buf, n);  ... as often as needed
 *	lg_hash_final(&h, sha256, sha1);   (h is then ready for a new message)
 *	lg_hash_free(&h);
 *
 * Ownership: lg_hash_init() allocates the EVP contexts, lg_hash_free()
 * releases them; lg_hash_free() on a zeroed or already freed struct does
 * nothing, so `_cleanup_(lg_hash_free) struct lg_hash h = {0};` is safe.
 * Errors: -EINVAL for an empty or unknown algorithm set, -ENOMEM, -EIO when
 * libcrypto itself fails.
 */
#ifndef LG_HASH_H
#define LG_HASH_H

#include <stddef.h>

#define LG_SHA256_LEN 32
#define LG_SHA1_LEN 20

enum lg_hash_alg {
	LG_HASH_SHA256 = 1u << 0,
	LG_HASH_SHA1 = 1u << 1,
};

struct evp_md_ctx_st;

struct lg_hash {
	unsigned algs;                 /* the LG_HASH_* set given to init */
	struct evp_md_ctx_st *sha256;  /* NULL unless LG_HASH_SHA256 */
	struct evp_md_ctx_st *sha1;    /* NULL unless LG_HASH_SHA1 */
};

int lg_hash_init(struct lg_hash *h, unsigned algs);
int lg_hash_update(struct lg_hash *h, const void *data, size_t len);
/* Writes the digests of the chosen algorithms (an output for an algorithm
 * not chosen may be NULL) and restarts the context for a new message. */
int lg_hash_final(struct lg_hash *h, unsigned char sha256[LG_SHA256_LEN],
		  unsigned char sha1[LG_SHA1_LEN]);
void lg_hash_free(struct lg_hash *h);

/* One-shot: the digests of one buffer; either output may be NULL to skip
 * that algorithm (both NULL is -EINVAL). */
int lg_hash_buf(const void *data, size_t len, unsigned char sha256[LG_SHA256_LEN],
		unsigned char sha1[LG_SHA1_LEN]);

#endif
