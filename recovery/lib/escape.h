/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Untrusted text (file names from a volume, fields of a report) made safe
 * to print on a terminal: control characters (C0, DEL, and C1 as UTF-8)
 * become visible escapes (\x1b, \r, \n, \u009b), so a name cannot move
 * the cursor, ring the bell, or forge a line of output. Pure functions;
 * the front ends call them where they print.
 */
#ifndef LG_ESCAPE_H
#define LG_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Escape len bytes of in into out (cap bytes, always NUL-terminated,
 * cut at a whole escape). keep_lf: '\n' passes (it ends lines of text
 * that was escaped where it was made). Returns the length written. */
size_t lg_escape_term(const char *in, size_t len, char *out, size_t cap, bool keep_lf);

/* The same into a malloc'd string (NULL in: "(null)"); NULL on ENOMEM. */
char *lg_escape_term_dup(const char *in);

#endif
