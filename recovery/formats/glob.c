// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deny-list globs: parsing, NTFS case folding, per-component matching.
 *
 * Why our own matcher rather than fnmatch(3): NTFS decides equality of
 * names by mapping UTF-16 code units through the volume's $UpCase table,
 * which differs from any locale's towupper(), and the walk must test one
 * component at a time to prune.
 */
#include "formats/glob.h"

#include <ntfs-3g/endians.h>

static inline unsigned up(ntfschar c, const ntfschar *upcase, u32 upcase_len)
{
	unsigned x = le16_to_cpu(c);
	if (upcase)
		return x < upcase_len ? le16_to_cpu(upcase[x]) : x;
	return (x >= 'a' && x <= 'z') ? x - 'a' + 'A' : x;
}

static inline bool is_high(unsigned x) { return x >= 0xd800 && x <= 0xdbff; }
static inline bool is_low(unsigned x) { return x >= 0xdc00 && x <= 0xdfff; }

/* Code units taken by the character at s[i]: 2 for a proper surrogate pair. */
static inline size_t char_units(const ntfschar *s, size_t i, size_t n)
{
	if (i + 1 < n && is_high(le16_to_cpu(s[i])) && is_low(le16_to_cpu(s[i + 1])))
		return 2;
	return 1;
}

int lg_name_collate(const ntfschar *a, size_t alen, const ntfschar *b, size_t blen,
		    const ntfschar *upcase, u32 upcase_len)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		unsigned x = up(a[i], upcase, upcase_len), y = up(b[i], upcase, upcase_len);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/*
 * Wildcard match of one component, iterative with backtracking to the last
 * '*' (linear in practice, O(len * plen) at worst, and both are <= 255).
 * The star only ever resumes at character boundaries, so '?' and '*' never
 * split a surrogate pair.
 */
static bool wild_match(const ntfschar *p, size_t plen, const ntfschar *s, size_t slen,
		       const ntfschar *upcase, u32 upcase_len)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
	const ntfschar STAR = cpu_to_le16('*'), QMARK = cpu_to_le16('?');
	while (si < slen) {
		if (pi < plen && p[pi] == QMARK) {
			pi++;
			si += char_units(s, si, slen);
			continue;
		}
		if (pi < plen && p[pi] == STAR) {
			while (pi < plen && p[pi] == STAR)
				pi++;
			star_p = pi;
			star_s = si;
			continue;
		}
		if (pi < plen && up(p[pi], upcase, upcase_len) == up(s[si], upcase, upcase_len)) {
			pi++;
			si++;
			continue;
		}
		if (star_p != SIZE_MAX) {
			star_s += char_units(s, star_s, slen);
			si = star_s;
			pi = star_p;
			continue;
		}
		return false;
	}
	while (pi < plen && p[pi] == STAR)
		pi++;
	return pi == plen;
}

bool lg_glob_comp_match(const struct lg_glob_comp *c, const ntfschar *name, size_t len,
			const ntfschar *upcase, u32 upcase_len)
{
	switch (c->kind) {
	case LG_GLOB_ANY_DEPTH:
		return true;
	case LG_GLOB_LITERAL:
		return lg_name_equal(c->text, c->len, name, len, upcase, upcase_len);
	case LG_GLOB_WILD:
		return wild_match(c->text, c->len, name, len, upcase, upcase_len);
	}
	return false;
}

void lg_glob_free(struct lg_glob *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->comps[i].text);
	free(g->comps);
	free(g);
}

/* Why a component is refused, or NULL. */
static const char *bad_component(const char *c, size_t n)
{
	if (n == 0)
		return "empty component (leading, trailing or doubled '/')";
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return "'.' and '..' are not allowed";
	bool stars = false, other = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (ch < 0x20 || ch == 0x7f)
			return "control character";
		switch (ch) {
		case '\\':
			return "'\\' (separators must be '/')";
		case ':':
			return "':' (drive letters and streams are not allowed)";
		case '<': case '>': case '"': case '|':
			return "character not allowed in Windows names";
		}
		if (i + 1 < n && c[i] == '*' && c[i + 1] == '*')
			stars = true;
		else if (c[i] != '*')
			other = true;
	}
	if (stars && other)
		return "'**' must be a whole component";
	if (stars && n > 2)
		return "'**' must be a whole component";
	return NULL;
}

int lg_glob_compile(const char *pattern, struct lg_glob **out, struct lg_err *err)
{
	*out = NULL;
	size_t plen = strlen(pattern);
	if (plen == 0) {
		lg_err_set(err, "empty path");
		return -EINVAL;
	}
	if (plen > LG_GLOB_MAX_BYTES) {
		lg_err_set(err, "path longer than %u bytes", LG_GLOB_MAX_BYTES);
		return -EINVAL;
	}
	struct lg_glob *g = lg_zalloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->comps = calloc(LG_GLOB_MAX_COMPONENTS, sizeof(*g->comps));
	if (!g->comps) {
		free(g);
		return -ENOMEM;
	}
	int r = -EINVAL;
	const char *p = pattern, *end = pattern + plen;
	unsigned idx = 0;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		idx++;
		const char *why = bad_component(p, n);
		if (why) {
			lg_err_set(err, "component %u \"%.*s\": %s", idx, (int)(n > 64 ? 64 : n), p, why);
			goto fail;
		}
		bool any_depth = n == 2 && p[0] == '*' && p[1] == '*';
		/* "**" twice in a row means nothing more than once. */
		if (any_depth && g->n && g->comps[g->n - 1].kind == LG_GLOB_ANY_DEPTH)
			goto next;
		if (g->n == LG_GLOB_MAX_COMPONENTS) {
			lg_err_set(err, "more than %u components", LG_GLOB_MAX_COMPONENTS);
			goto fail;
		}
		struct lg_glob_comp *c = &g->comps[g->n];
		if (any_depth) {
			c->kind = LG_GLOB_ANY_DEPTH;
			c->text = lg_zalloc(sizeof(ntfschar));
			if (!c->text) {
				r = -ENOMEM;
				goto fail;
			}
			g->n++;
			goto next;
		}
		ntfschar buf[LG_NAME_MAX];
		int ulen = lg_utf8_to_utf16(p, n, buf, LG_NAME_MAX);
		if (ulen == -EILSEQ) {
			lg_err_set(err, "component %u: invalid UTF-8", idx);
			goto fail;
		}
		if (ulen < 0) {
			lg_err_set(err, "component %u: longer than %u UTF-16 code units", idx, LG_NAME_MAX);
			goto fail;
		}
		c->kind = (memchr(p, '*', n) || memchr(p, '?', n)) ? LG_GLOB_WILD : LG_GLOB_LITERAL;
		c->len = (uint16_t)ulen;
		c->text = malloc((size_t)ulen * sizeof(ntfschar) + sizeof(ntfschar));
		if (!c->text) {
			r = -ENOMEM;
			goto fail;
		}
		memcpy(c->text, buf, (size_t)ulen * sizeof(ntfschar));
		g->n++;
	next:
		if (!slash)
			break;
		p = slash + 1;
	}
	while (g->n_literal_prefix < g->n && g->comps[g->n_literal_prefix].kind == LG_GLOB_LITERAL)
		g->n_literal_prefix++;
	*out = g;
	return 0;
fail:
	lg_glob_free(g);
	return r;
}

/*
 * Positions 0..n in the glob, n meaning "whole glob matched". A leading
 * or middle "**" may match nothing (epsilon to the next position); a
 * trailing one must match at least one component.
 */
static void closure(const struct lg_glob *g, bool *set)
{
	for (size_t i = 0; i + 1 < g->n; i++)
		if (set[i] && g->comps[i].kind == LG_GLOB_ANY_DEPTH)
			set[i + 1] = true;
}

int lg_glob_match_path(const struct lg_glob *g, const char *path,
		       const ntfschar *upcase, u32 upcase_len)
{
	bool cur[LG_GLOB_MAX_COMPONENTS + 1] = { false }, nxt[LG_GLOB_MAX_COMPONENTS + 1];
	if (g->n > LG_GLOB_MAX_COMPONENTS)
		return -EINVAL;
	cur[0] = true;
	const char *p = path, *end = path + strlen(path);
	if (p == end)
		return -EINVAL;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (n == 0)
			return -EINVAL;
		ntfschar name[LG_NAME_MAX];
		int len = lg_utf8_to_utf16(p, n, name, LG_NAME_MAX);
		if (len < 0)
			return -EINVAL;
		closure(g, cur);
		memset(nxt, 0, sizeof(nxt));
		for (size_t i = 0; i < g->n; i++) {
			if (!cur[i])
				continue;
			const struct lg_glob_comp *c = &g->comps[i];
			if (c->kind == LG_GLOB_ANY_DEPTH) {
				nxt[i] = true;
				if (i + 1 == g->n)
					nxt[g->n] = true;
			} else if (lg_glob_comp_match(c, name, (size_t)len, upcase, upcase_len)) {
				nxt[i + 1] = true;
			}
		}
		memcpy(cur, nxt, sizeof(cur));
		if (!slash)
			break;
		p = slash + 1;
	}
	return cur[g->n] ? 1 : 0;
}
