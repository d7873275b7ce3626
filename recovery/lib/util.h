/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by every module: cleanup attributes, checked
 * arithmetic, error text. Library-like code returns 0 or a negative errno
 * and leaves printing to the caller; when a caller needs more than an errno
 * (a parser's line and column, a rule id), the module fills an lg_err.
 */
#ifndef LG_UTIL_H
#define LG_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes of the CLI (DESIGN.md, fixed interface). */
enum lg_exit {
	LG_EXIT_OK = 0,
	LG_EXIT_ERROR = 1,
	LG_EXIT_USAGE = 2,
	LG_EXIT_MATCHES = 3,
	LG_EXIT_POLICY = 4,
	LG_EXIT_DENYLIST = 5,
};

/* A message for the user, filled by a module that fails for a reason an
 * errno cannot carry. Always NUL-terminated; empty when unset. */
struct lg_err {
	char msg[1024];
};

__attribute__((format(printf, 2, 3)))
static inline void lg_err_set(struct lg_err *e, const char *fmt, ...)
{
	if (!e)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Cleanup helpers (systemd style). Each destructor takes NULL. */
static inline void lg_freep(void *p) { free(*(void **)p); }
static inline void lg_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void lg_fclosep(FILE **f) { if (*f) fclose(*f); }
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(lg_freep)
#define _cleanup_close_ _cleanup_(lg_closep)
#define _cleanup_fclose_ _cleanup_(lg_fclosep)

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

/* Checked size arithmetic for sizes read from hostile input. */
static inline bool lg_add_ok(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

/* Range [off, off+len) lies within [0, total). */
static inline bool lg_in_bounds(uint64_t off, uint64_t len, uint64_t total)
{
	uint64_t end;
	return lg_add_ok(off, len, &end) && end <= total;
}

static inline void *lg_zalloc(size_t n) { return calloc(1, n ? n : 1); }

/* Wipe secrets so the compiler cannot drop the store. */
static inline void lg_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

/* Read a whole file of at most max bytes. Returns 0, -ENOENT and friends,
 * or -EFBIG when the file is larger than max. *buf is NUL-terminated. */
int lg_read_file(const char *path, size_t max, char **buf, size_t *len);

/* Write a file atomically (temp file, fsync, rename). */
int lg_write_file_atomic(const char *path, const void *buf, size_t len);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void lg_hex(const unsigned char *in, size_t n, char *out);
/* The value of one hex digit, or -1. */
int lg_hexval(char c);
/* Parse exactly 2n hex digits into out. Returns 0 or -EINVAL. */
int lg_unhex(const char *in, unsigned char *out, size_t n);

#endif
