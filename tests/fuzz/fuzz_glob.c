// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for deny-list globs: the parser, whole-path matching
 * and the UTF-8/UTF-16 conversions, with NTFS's default $UpCase table.
 * Input: a glob, a NUL byte, a path (without a NUL, the input is both).
 *
 * Besides not crashing, it checks what the matcher relies on:
 *  - compile fails only with -EINVAL and a message, or yields a glob
 *    within the documented limits, without two "**" in a row;
 *  - a path built from the glob itself ('*' as nothing, '?' as one
 *    character, a middle "**" as no component) matches it, also with
 *    its letters in the other case;
 *  - valid UTF-8 survives the round trip through UTF-16 unchanged.
 */
#include "formats/glob.h"

#include <ntfs-3g/volume.h>
#include <ntfs-3g/unistr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ntfschar *uc;
static u32 uc_len;

/* A path that the glob must match, or NULL when none is built. */
static char *witness(const struct lg_glob *g, bool swap_case)
{
	size_t cap = g->n * (3 * LG_NAME_MAX + 4) + 1;
	char *out = malloc(cap), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < g->n; i++) {
		const struct lg_glob_comp *c = &g->comps[i];
		char comp[3 * LG_NAME_MAX + 4];
		if (c->kind == LG_GLOB_ANY_DEPTH) {
			if (i + 1 < g->n)
				continue; /* zero components */
			strcpy(comp, "x");
		} else {
			/* The text without wildcards, then fill them in. */
			ntfschar u[2 * LG_NAME_MAX];
			size_t n = 0;
			bool star = false;
			for (size_t k = 0; k < c->len; k++) {
				unsigned x = le16_to_cpu(c->text[k]);
				if (x == '*') {
					star = true;
					continue;
				}
				if (x == '?')
					x = 'q';
				else if (swap_case && x < 128 && ((x | 0x20) >= 'a' && (x | 0x20) <= 'z'))
					x ^= 0x20;
				u[n++] = cpu_to_le16((u16)x);
			}
			if (n == 0 && star)
				u[n++] = cpu_to_le16('z');
			if (n == 0)
				abort(); /* compile let an empty component through */
			lg_utf16_to_utf8(u, n, comp, NULL);
		}
		if (o != out)
			*o++ = '/';
		size_t l = strlen(comp);
		memcpy(o, comp, l);
		o += l;
	}
	*o = 0;
	if (o == out) { /* only "**"-like parts that vanished: cannot happen, n >= 1 */
		free(out);
		return NULL;
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!uc) {
		uc_len = ntfs_upcase_build_default(&uc);
		if (!uc)
			abort();
	}
	if (size > 2 * LG_GLOB_MAX_BYTES)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	const char *pattern = buf;
	const char *path = memchr(buf, 0, size) ? buf + strlen(buf) + 1 : buf;
	if (path > buf + size)
		path = buf + size;

	/* Conversions. */
	ntfschar u[2 * LG_GLOB_MAX_BYTES + 2];
	size_t plen = strlen(pattern);
	int n = lg_utf8_to_utf16(pattern, plen, u, sizeof(u) / sizeof(u[0]));
	if (n >= 0) {
		char *back = malloc(3 * (size_t)n + 1);
		if (back) {
			bool lossy = false;
			size_t bl = lg_utf16_to_utf8(u, (size_t)n, back, &lossy);
			if (lossy || bl != plen || memcmp(back, pattern, plen))
				abort();
			free(back);
		}
	} else if (n != -EILSEQ) {
		abort();
	}
	/* Arbitrary code units, unpaired surrogates included. */
	if (size >= 2) {
		char *any = malloc(3 * (size / 2) + 1);
		if (any) {
			lg_utf16_to_utf8((const ntfschar *)buf, size / 2, any, NULL);
			free(any);
		}
	}

	struct lg_glob *g = NULL;
	struct lg_err err = { "" };
	int r = lg_glob_compile(pattern, &g, &err);
	if (r < 0) {
		if (r != -EINVAL || !err.msg[0] || g)
			abort();
		free(buf);
		return 0;
	}
	if (g->n < 1 || g->n > LG_GLOB_MAX_COMPONENTS || g->n_literal_prefix > g->n)
		abort();
	for (size_t i = 0; i < g->n; i++) {
		const struct lg_glob_comp *c = &g->comps[i];
		if (c->len > LG_NAME_MAX)
			abort();
		if (c->kind == LG_GLOB_ANY_DEPTH && i && g->comps[i - 1].kind == LG_GLOB_ANY_DEPTH)
			abort();
		if (i < g->n_literal_prefix && c->kind != LG_GLOB_LITERAL)
			abort();
		if (i == g->n_literal_prefix && c->kind == LG_GLOB_LITERAL)
			abort();
	}

	r = lg_glob_match_path(g, path, uc, uc_len);
	if (r != 0 && r != 1 && r != -EINVAL)
		abort();
	r = lg_glob_match_path(g, path, NULL, 0);
	if (r != 0 && r != 1 && r != -EINVAL)
		abort();

	for (int swap = 0; swap < 2; swap++) {
		char *w = witness(g, swap);
		if (w) {
			if (lg_glob_match_path(g, w, uc, uc_len) != 1)
				abort();
			free(w);
		}
	}
	lg_glob_free(g);
	free(buf);
	return 0;
}
