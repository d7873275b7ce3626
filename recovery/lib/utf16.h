/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UTF-16LE, as Windows stores text (NTFS names, hive values, PE version
 * strings, FVE descriptions, PowerShell's key files), to and from UTF-8.
 * The UTF-16 side is hostile: odd byte counts, unpaired surrogates and
 * missing NULs are all expected and handled, never read past.
 */
#ifndef LG_UTF16_H
#define LG_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flags of lg_utf16_to_utf8_buf and lg_utf16_to_utf8_dup. */
#define LG_UTF16_STOP_NUL   0x1u  /* stop at the first U+0000 */
#define LG_UTF16_NO_CONTROL 0x2u  /* C0 and C1 controls and DEL become '?' (text for a screen) */
#define LG_UTF16_ASCII      0x4u  /* every code unit outside ASCII becomes one '?' */

/* n UTF-16LE code units at p (any alignment) to UTF-8 in out[cap]
 * (cap >= 1), always NUL-terminated. An unpaired surrogate becomes U+FFFD
 * and sets *lossy; what does not fit is cut at a character boundary and
 * sets *cut (either may be NULL; neither is ever cleared). cap = 3 * n + 1
 * always fits. Returns the byte length. */
size_t lg_utf16_to_utf8_buf(const void *p, size_t n, unsigned flags, char *out, size_t cap,
			    bool *lossy, bool *cut);
/* The same into a malloc'd string; *len (may be NULL) gets its length.
 * NULL when out of memory or n is absurd. */
char *lg_utf16_to_utf8_dup(const void *p, size_t n, unsigned flags, size_t *len);

/* An NTFS name: n code units to UTF-8 in out, which holds 3 * n + 1 bytes;
 * NUL-terminated. An unpaired surrogate (possible in NTFS names, which
 * Windows does not check) becomes U+FFFD and sets *lossy (lossy may be
 * NULL). Returns the byte length. */
size_t lg_utf16_to_utf8(const uint16_t *s, size_t n, char *out, bool *lossy);

/* Strict UTF-8 (no overlong forms, no encoded surrogates, at most U+10FFFF)
 * to UTF-16LE. Writes at most cap code units. Returns the number of code
 * units, -EILSEQ for invalid UTF-8, -ENAMETOOLONG when cap is too small. */
int lg_utf8_to_utf16(const char *s, size_t n, uint16_t *out, size_t cap);

#endif
