// SPDX-License-Identifier: GPL-2.0-or-later
#include "lib/hash.h"
#include "lib/util.h"

#include <openssl/evp.h>

/* Both digests walk the data in slices this big, so a slice SHA-256 just
 * read is still in the cache when SHA-1 reads it. */
#define LG_HASH_SLICE (64u * 1024u)

void lg_hash_free(struct lg_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->sha1);
	h->sha256 = h->sha1 = NULL;
	h->algs = 0;
}

static int md_start(struct evp_md_ctx_st **ctx, const EVP_MD *md)
{
	if (!*ctx) {
		*ctx = EVP_MD_CTX_new();
		if (!*ctx)
			return -ENOMEM;
	}
	return EVP_DigestInit_ex(*ctx, md, NULL) == 1 ? 0 : -EIO;
}

static int restart(struct lg_hash *h)
{
	int r = 0;
	if (h->algs & LG_HASH_SHA256)
		r = md_start(&h->sha256, EVP_sha256());
	if (!r && (h->algs & LG_HASH_SHA1))
		r = md_start(&h->sha1, EVP_sha1());
	return r;
}

int lg_hash_init(struct lg_hash *h, unsigned algs)
{
	if (!h)
		return -EINVAL;
	*h = (struct lg_hash){ 0 };
	if (!algs || (algs & ~(unsigned)(LG_HASH_SHA256 | LG_HASH_SHA1)))
		return -EINVAL;
	h->algs = algs;
	int r = restart(h);
	if (r < 0)
		lg_hash_free(h);
	return r;
}

int lg_hash_update(struct lg_hash *h, const void *data, size_t len)
{
	if (!h || !h->algs || (!data && len))
		return -EINVAL;
	const unsigned char *p = data;
	while (len) {
		size_t n = len < LG_HASH_SLICE ? len : LG_HASH_SLICE;
		if (h->sha256 && EVP_DigestUpdate(h->sha256, p, n) != 1)
			return -EIO;
		if (h->sha1 && EVP_DigestUpdate(h->sha1, p, n) != 1)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int lg_hash_final(struct lg_hash *h, unsigned char sha256[LG_SHA256_LEN],
		  unsigned char sha1[LG_SHA1_LEN])
{
	if (!h || !h->algs)
		return -EINVAL;
	if ((h->sha256 && !sha256) || (h->sha1 && !sha1))
		return -EINVAL;
	unsigned n;
	if (h->sha256 && (EVP_DigestFinal_ex(h->sha256, sha256, &n) != 1 || n != LG_SHA256_LEN))
		return -EIO;
	if (h->sha1 && (EVP_DigestFinal_ex(h->sha1, sha1, &n) != 1 || n != LG_SHA1_LEN))
		return -EIO;
	return restart(h);
}

int lg_hash_buf(const void *data, size_t len, unsigned char sha256[LG_SHA256_LEN],
		unsigned char sha1[LG_SHA1_LEN])
{
	unsigned algs = (sha256 ? LG_HASH_SHA256 : 0) | (sha1 ? LG_HASH_SHA1 : 0);
	_cleanup_(lg_hash_free) struct lg_hash h = { 0 };
	int r = lg_hash_init(&h, algs);
	if (r < 0)
		return r;
	r = lg_hash_update(&h, data, len);
	if (r < 0)
		return r;
	return lg_hash_final(&h, sha256, sha1);
}
