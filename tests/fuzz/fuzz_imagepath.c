// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for what the registry code reads from a hostile hive
 * as text: ImagePath resolution (lg_imagepath_resolve) and the filter
 * lists (REG_MULTI_SZ: lg_multisz_remove, _count, _get).
 *
 * Input: one mode byte, one drive byte, then NUL-separated fields.
 *   mode even: IMAGE \0 SERVICE \0 WINDIR   (missing fields: NULL / "Windows")
 *   mode 1, 3 (mod 4): NAME \0 LIST-BYTES  (raw UTF-16LE data): removal
 *   mode 1 (mod 2) with the drive byte odd: the list bytes split in two,
 *                      CURRENT and OLD: reinsertion (undo)
 * Besides not crashing it checks the contracts callers rely on: only the
 * documented errors, an empty output on error, a clean '/'-path on
 * success; a list without the name, still terminated, never longer than
 * the input plus 4 bytes, the other strings kept in order; a reinserted
 * name present once more than before, the others in their order.
 */
#include "engine/regpath.h"

#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *out, size_t outlen)
{
	size_t n = strlen(out);
	if (!n || n >= outlen || out[0] == '/' || out[n - 1] == '/' || strstr(out, "//") ||
	    strchr(out, '\\'))
		abort();
	for (const char *p = out; *p;) {
		size_t l = strcspn(p, "/");
		if (l > 255 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			abort();
		p += l + (p[l] == '/');
	}
}

static void fuzz_resolve(const char *s, size_t n, char drive)
{
	const char *f[3] = { NULL, NULL, NULL };
	size_t k = 0;
	for (const char *p = s; k < 3 && p < s + n; p += strlen(p) + 1)
		f[k++] = p;
	struct lg_reg_paths paths = { f[2] && *f[2] ? f[2] : "Windows", drive };
	char out[300];
	size_t outlen = sizeof(out) - (unsigned char)drive % 200;
	int r = lg_imagepath_resolve(f[0], f[1], &paths, out, outlen);
	if (r == 0)
		check_path(out, outlen);
	else if ((r != -ENOENT && r != -EINVAL && r != -ENAMETOOLONG) || out[0])
		abort();
}

static void fuzz_list(const char *name, const unsigned char *d, size_t len)
{
	unsigned char *out = malloc(len + 4);
	size_t olen = 0;
	if (!out)
		return;
	size_t before = lg_multisz_count(d, len);
	int removed = lg_multisz_remove(d, len, name, out, &olen);
	if (!*name) {
		if (removed != -EINVAL)
			abort();
		free(out);
		return;
	}
	if (removed < 0 || olen > len + 4 || olen < 2 || olen % 2 || out[olen - 1] || out[olen - 2])
		abort();
	size_t after = lg_multisz_count(out, olen);
	if (after + (size_t)removed != before)
		abort();
	for (size_t i = 0, j = 0; i < after; i++, j++) {
		char *s = lg_multisz_get(out, olen, i);
		if (!s || !strcasecmp(s, name))
			abort();
		/* The next kept string of the input is the same string. */
		char *t = NULL;
		for (; j < before; j++) {
			free(t);
			t = lg_multisz_get(d, len, j);
			if (t && strcasecmp(t, name))
				break;
		}
		if (!t || strcmp(s, t))
			abort();
		free(s);
		free(t);
	}
	if (lg_multisz_get(d, len, before))
		abort();
	/* Removing again finds nothing and changes nothing. */
	unsigned char *again = malloc(olen + 4);
	size_t alen = 0;
	if (again && (lg_multisz_remove(out, olen, name, again, &alen) != 0 || alen != olen ||
		      memcmp(again, out, olen)))
		abort();
	free(again);
	free(out);
}

static void fuzz_reinsert(const char *name, const unsigned char *d, size_t len)
{
	size_t half = len / 2 & ~(size_t)1;
	const unsigned char *cur = d, *old = d + half;
	size_t clen = half, olen = len - half;
	unsigned char *out = NULL;
	size_t n = 0;
	int r = lg_multisz_reinsert(cur, clen, old, olen, name, &out, &n);
	if (!*name || !lg_multisz_has(old, olen, name)) {
		if (r != -EBADMSG || out)
			abort();
		return;
	}
	if (r != 0 || !out || n < 2 || n % 2 || out[n - 1] || out[n - 2])
		abort();
	size_t before = lg_multisz_count(cur, clen), after = lg_multisz_count(out, n);
	if (after != before + 1 || !lg_multisz_has(out, n, name))
		abort();
	/* Without the one inserted string, the list is cur's. */
	size_t skipped = 0;
	for (size_t i = 0, j = 0; i < after; i++) {
		char *s = lg_multisz_get(out, n, i);
		char *t = j < before ? lg_multisz_get(cur, clen, j) : NULL;
		if (t && s && !strcmp(s, t))
			j++;
		else if (s && !strcasecmp(s, name) && !skipped)
			skipped++;
		else
			abort();
		free(s);
		free(t);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 200000)
		return 0;
	/* A NUL-terminated copy: the fields are C strings. */
	char *s = malloc(size - 1);
	if (!s)
		return 0;
	memcpy(s, data + 2, size - 2);
	s[size - 2] = 0;
	if (data[0] % 2 == 0) {
		fuzz_resolve(s, size - 2, (char)data[1]);
	} else {
		/* NAME, its NUL, then the list bytes (maybe none). */
		size_t nl = strlen(s), rest = 0;
		const unsigned char *list = data + size;
		if (nl + 1 <= size - 2) {
			list = data + 2 + nl + 1;
			rest = size - 2 - nl - 1;
		}
		if (data[1] % 2)
			fuzz_reinsert(s, list, rest);
		else
			fuzz_list(s, list, rest);
	}
	free(s);
	return 0;
}
