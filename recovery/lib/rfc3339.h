/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Times: RFC 3339 text (deny-lists, reports, --now) and NTFS timestamps.
 */
#ifndef LG_RFC3339_H
#define LG_RFC3339_H

#include <stdint.h>

/* NTFS time conversions (100 ns ticks since 1601 <-> Unix seconds). */
#define LG_NTFS_UNIX_OFFSET 116444736000000000LL
static inline int64_t lg_unix_to_nt(int64_t s) { return s * 10000000LL + LG_NTFS_UNIX_OFFSET; }
static inline int64_t lg_nt_to_unix(int64_t t) { return (t - LG_NTFS_UNIX_OFFSET) / 10000000LL; }

/*
 * RFC 3339 times in UTC: "YYYY-MM-DDTHH:MM:SS[.fraction]Z", years 1601 to
 * 9999, no leap second, no offset other than Z. unix_s gets the Unix
 * seconds (fraction dropped), nt the NTFS ticks (fraction kept to 100 ns,
 * finer digits refused); either may be NULL. Returns 0 or -EINVAL.
 */
int lg_rfc3339_parse(const char *s, int64_t *unix_s, int64_t *nt);
/* "YYYY-MM-DDTHH:MM:SSZ", or "@<seconds>" for a time outside 1601..9999. */
#define LG_RFC3339_LEN 32
void lg_rfc3339_format(int64_t unix_s, char out[LG_RFC3339_LEN]);
/* A time given on a command line (--now): RFC 3339 as above, or "@" and
 * Unix seconds (the form lg_rfc3339_format falls back to). Returns 0 or
 * -EINVAL (overflow, trailing text, nothing after the "@" included). */
int lg_rfc3339_parse_arg(const char *s, int64_t *unix_s);

#endif
