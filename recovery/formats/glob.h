/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deny-list path globs, matched the way NTFS compares names.
 *
 * A glob is relative to the volume root, '/'-separated, and is matched
 * one path component at a time so that a directory walk can prune:
 *   literal    "drivers"         one name, compared case-insensitively
 *   wildcard   "C-00000291*.sys" '*' any run of characters (also none),
 *                                '?' exactly one character; both stay
 *                                within one component
 *   any depth  "**"              zero or more whole components when it is
 *                                leading or in the middle; one or more
 *                                (everything below) when it is last
 * There is no escape character: '*' and '?' cannot occur in Windows names.
 * A '**' that shares a component with other characters ("a**") is refused.
 * Plain glob rules, not the DOS ones of FindFirstFile: "*.*" needs a dot.
 *
 * Case folding is NTFS's, not Unicode's: both sides are mapped code unit
 * by code unit through the volume's $UpCase table (UTF-16), so 'é' matches
 * 'É' and 'ж' matches 'Ж', but 'ß' never matches "SS" and the Kelvin sign
 * never matches 'k', exactly as on Windows. A '?' matches one character: a
 * surrogate pair counts as one.
 *
 * Names and patterns are held as little-endian UTF-16 (ntfschar), as on
 * disk, so a name from a directory index is matched without conversion.
 *
 * Ownership: lg_glob_compile() allocates, lg_glob_free() frees (takes
 * NULL). Errors: negative errno; -EINVAL with err naming the problem for a
 * glob that is not acceptable.
 */
#ifndef LG_GLOB_H
#define LG_GLOB_H

#include "lib/utf16.h"
#include "lib/util.h"

#include <ntfs-3g/types.h>

#define LG_GLOB_MAX_BYTES 4096      /* a glob as written, UTF-8 */
#define LG_GLOB_MAX_COMPONENTS 128
#define LG_NAME_MAX 255             /* NTFS: UTF-16 code units in one name */

enum lg_glob_kind {
	LG_GLOB_LITERAL,    /* no wildcard: found by an index lookup */
	LG_GLOB_WILD,       /* '*' or '?' inside: needs the directory listed */
	LG_GLOB_ANY_DEPTH,  /* "**" */
};

struct lg_glob_comp {
	enum lg_glob_kind kind;
	uint16_t len;               /* code units in text */
	ntfschar *text;             /* UTF-16LE, case as written; empty for "**" */
};

struct lg_glob {
	size_t n;                   /* components, >= 1 */
	struct lg_glob_comp *comps;
	size_t n_literal_prefix;    /* leading LG_GLOB_LITERAL components */
};

/* Parse a glob. Refused (-EINVAL, err says which component and why): an
 * empty glob or component (leading, trailing or doubled '/'), "." and "..",
 * '\\', ':', control characters, '<' '>' '"' '|', invalid UTF-8, a
 * component longer than 255 UTF-16 code units, more than 128 components,
 * more than 4096 bytes, a '**' mixed with other characters. Consecutive
 * "**" components are merged into one. The deny-list loader can call this
 * to refuse a bad path at load time, with the rule's line. */
int lg_glob_compile(const char *pattern, struct lg_glob **out, struct lg_err *err);
void lg_glob_free(struct lg_glob *g);

/* Does one component match one name (len code units)? An LG_GLOB_ANY_DEPTH
 * component matches any name. upcase may be NULL (then only ASCII letters
 * fold, for callers without a volume, such as the fuzzer). */
bool lg_glob_comp_match(const struct lg_glob_comp *c, const ntfschar *name, size_t len,
			const ntfschar *upcase, u32 upcase_len);

/* Match a whole '/'-separated UTF-8 path (a file's path relative to the
 * root) against a glob. Returns 1 or 0, -EINVAL for a path that is not
 * valid UTF-8 or has an empty component. This is the reference meaning
 * of a glob; the matcher's pruned walk must agree with it. */
int lg_glob_match_path(const struct lg_glob *g, const char *path,
		       const ntfschar *upcase, u32 upcase_len);

/* Compare two names the way a $I30 index orders them (upcased code units,
 * then length): <0, 0, >0. */
int lg_name_collate(const ntfschar *a, size_t alen, const ntfschar *b, size_t blen,
		    const ntfschar *upcase, u32 upcase_len);

static inline bool lg_name_equal(const ntfschar *a, size_t alen, const ntfschar *b, size_t blen,
				 const ntfschar *upcase, u32 upcase_len)
{
	return alen == blen && lg_name_collate(a, alen, b, blen, upcase, upcase_len) == 0;
}

#endif
