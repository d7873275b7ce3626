/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 of whole buffers on worker threads, so that one thread can read
 * the next files (libntfs-3g is not thread-safe: all reads stay on the
 * caller's thread) while the other cores hash the files already read.
 *
 *	struct lg_hashpool *p;
 *	r = lg_hashpool_new(lg_hashpool_auto(), &p);   (NULL pool: 1 CPU)
 *	struct lg_hashjob j = { .data = buf, .len = n };
 *	lg_hashpool_submit(p, &j);     j and buf stay the caller's, untouched
 *	...                            until lg_hashpool_wait(p, &j) returns
 *	lg_hashpool_wait(p, &j);       then j.sha256 holds the digest, or
 *	                               j.error a negative errno
 *	lg_hashpool_free(p);           every submitted job must be waited for
 *
 * The pool hashes jobs in the order they were submitted; a job is waited
 * for once. Errors: -ENOMEM, -EAGAIN (no thread could be started).
 */
#ifndef LG_HASHPOOL_H
#define LG_HASHPOOL_H

#include "lib/hash.h"

#include <stdbool.h>
#include <stddef.h>

struct lg_hashjob {
	const void *data;
	size_t len;
	unsigned char sha256[LG_SHA256_LEN];
	int error;
	/* the pool's own */
	bool done;
	struct lg_hashjob *next;
};

struct lg_hashpool;

/* Worker threads worth starting on this machine: the CPUs this process may
 * run on, at most 8; 0 on a single CPU (hash on the caller's thread). */
unsigned lg_hashpool_auto(void);
/* threads 0: *out = NULL (no pool; the caller hashes itself). */
int lg_hashpool_new(unsigned threads, struct lg_hashpool **out);
void lg_hashpool_submit(struct lg_hashpool *p, struct lg_hashjob *j);
void lg_hashpool_wait(struct lg_hashpool *p, struct lg_hashjob *j);
unsigned lg_hashpool_threads(const struct lg_hashpool *p);
void lg_hashpool_free(struct lg_hashpool *p);

#endif
