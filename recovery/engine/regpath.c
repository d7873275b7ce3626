// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The text the registry code reads from a hive (regpath.h): ImagePath
 * values resolved to paths on the volume, and REG_MULTI_SZ filter lists.
 * Pure functions on hostile input, kept apart from registry.c so that
 * their fuzzer (tests/fuzz/fuzz_imagepath.c) links nothing else.
 */
#include "engine/regpath.h"
#include "lib/le.h"
#include "lib/utf16.h"

#include <ctype.h>
#include <strings.h>

/* ---- REG_MULTI_SZ ------------------------------------------------------ */

/* Walks the strings of a list (start and length in UTF-16 units) up to
 * the first empty string or the end of the data, as the PnP manager reads
 * UpperFilters and LowerFilters. */
struct msz_iter {
	const unsigned char *d;
	size_t n, i;
};

static bool msz_next(struct msz_iter *it, size_t *start, size_t *len)
{
	if (it->i >= it->n)
		return false;
	size_t s = it->i;
	while (it->i < it->n && lg_le16(it->d + 2 * it->i))
		it->i++;
	if (it->i == s)
		return false; /* the empty string ends the list */
	*start = s;
	*len = it->i - s;
	it->i++;              /* past the NUL (or the end) */
	return true;
}

size_t lg_multisz_count(const unsigned char *data, size_t len)
{
	struct msz_iter it = { data, len / 2, 0 };
	size_t s, l, n = 0;
	while (msz_next(&it, &s, &l))
		n++;
	return n;
}

char *lg_multisz_get(const unsigned char *data, size_t len, size_t i)
{
	struct msz_iter it = { data, len / 2, 0 };
	size_t s, l;
	for (size_t k = 0; msz_next(&it, &s, &l); k++)
		if (k == i)
			return lg_utf16_to_utf8_dup(data + 2 * s, l, 0, NULL);
	return NULL;
}

static bool msz_str_eq(const unsigned char *data, size_t s, size_t l, const char *name)
{
	char *u = lg_utf16_to_utf8_dup(data + 2 * s, l, 0, NULL);
	bool eq = u && !strcasecmp(u, name);
	free(u);
	return eq;
}

int lg_multisz_remove(const unsigned char *data, size_t len, const char *name, unsigned char *out,
		      size_t *out_len)
{
	if (!name || !*name)
		return -EINVAL;
	struct msz_iter it = { data, len / 2, 0 };
	size_t s, l, o = 0;
	int removed = 0;
	while (msz_next(&it, &s, &l)) {
		if (msz_str_eq(data, s, l, name)) {
			removed++;
			continue;
		}
		memcpy(out + o, data + 2 * s, 2 * l);
		o += 2 * l;
		out[o++] = 0;
		out[o++] = 0;
	}
	out[o++] = 0;
	out[o++] = 0;
	*out_len = o;
	return removed;
}

bool lg_multisz_has(const unsigned char *data, size_t len, const char *name)
{
	struct msz_iter it = { data, len / 2, 0 };
	size_t s, l;
	while (msz_next(&it, &s, &l))
		if (msz_str_eq(data, s, l, name))
			return true;
	return false;
}

/* ---- ImagePath ---------------------------------------------------------- */

#define IMAGE_MAX LG_IMAGEPATH_MAX

static bool prefix_ci(const char *s, const char *p)
{
	return !strncasecmp(s, p, strlen(p));
}

/* Expand %VARIABLE% the way the service control manager and the boot
 * loader see them for this installation; an unknown one is -ENOENT. */
static int expand_env(const char *in, char drive, char *out, size_t outlen)
{
	static const struct {
		const char *name, *value; /* value: "\SystemRoot" or "*" + path on the system drive */
	} vars[] = {
		{ "SystemRoot", "\\SystemRoot" },
		{ "windir", "\\SystemRoot" },
		{ "SystemDrive", "*" },
		{ "ProgramFiles", "*\\Program Files" },
		{ "ProgramW6432", "*\\Program Files" },
		{ "ProgramFiles(x86)", "*\\Program Files (x86)" },
		{ "CommonProgramFiles", "*\\Program Files\\Common Files" },
		{ "ProgramData", "*\\ProgramData" },
		{ "ALLUSERSPROFILE", "*\\ProgramData" },
	};
	size_t o = 0;
	for (const char *p = in; *p;) {
		const char *end = *p == '%' ? strchr(p + 1, '%') : NULL;
		if (!end || end == p + 1) {
			if (o + 1 >= outlen)
				return -ENAMETOOLONG;
			out[o++] = *p++;
			continue;
		}
		size_t n = (size_t)(end - p - 1);
		const char *val = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(vars) && !val; i++)
			if (strlen(vars[i].name) == n && !strncasecmp(p + 1, vars[i].name, n))
				val = vars[i].value;
		if (!val)
			return -ENOENT;
		char tmp[64];
		if (val[0] == '*')
			snprintf(tmp, sizeof(tmp), "\\??\\%c:%s", drive ? drive : 'C', val + 1);
		else
			snprintf(tmp, sizeof(tmp), "%s", val);
		size_t tl = strlen(tmp);
		if (o + tl >= outlen)
			return -ENAMETOOLONG;
		memcpy(out + o, tmp, tl);
		o += tl;
		p = end + 1;
	}
	out[o] = 0;
	return 0;
}

static int check_drive(char letter, char system_drive)
{
	if (!isalpha((unsigned char)letter))
		return -ENOENT;
	if (system_drive && toupper((unsigned char)letter) != toupper((unsigned char)system_drive))
		return -ENOENT;
	return 0;
}

struct comps {
	const char *s[512];
	size_t l[512];
	size_t n;
};

/* Append the parts of a '\'- or '/'-separated path, resolving . and .. */
static int add_parts(struct comps *c, const char *p)
{
	while (*p) {
		while (*p == '\\' || *p == '/')
			p++;
		if (!*p)
			break;
		size_t l = strcspn(p, "\\/");
		if (l == 1 && p[0] == '.') {
			/* nothing */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (!c->n)
				return -EINVAL; /* above the volume root */
			c->n--;
		} else {
			if (l > 255)
				return -ENAMETOOLONG;
			for (size_t i = 0; i < l; i++) {
				unsigned char ch = (unsigned char)p[i];
				if (ch < 0x20 || strchr("<>\"|?*:", ch))
					return -EINVAL;
			}
			if (c->n == ARRAY_SIZE(c->s))
				return -ENAMETOOLONG;
			c->s[c->n] = p;
			c->l[c->n++] = l;
		}
		p += l;
	}
	return 0;
}

int lg_imagepath_resolve(const char *image, const char *service, const struct lg_reg_paths *p,
			 char *out, size_t outlen)
{
	if (!outlen)
		return -ENAMETOOLONG;
	out[0] = 0;
	if (!p || !p->windir)
		return -EINVAL;
	char drive = p->system_drive;
	char *buf = malloc(3 * IMAGE_MAX + 1), *exp = malloc(3 * IMAGE_MAX + 1);
	int r = 0;
	if (!buf || !exp) {
		r = -ENOMEM;
		goto out;
	}
	while (image && (*image == ' ' || *image == '\t'))
		image++;
	if (!image || !*image) {
		/* No ImagePath: the driver is System32\drivers\<service>.sys. */
		if (!service || !*service) {
			r = -ENOENT;
			goto out;
		}
		if (strlen(service) > 255) {
			r = -ENAMETOOLONG;
			goto out;
		}
		snprintf(buf, 3 * IMAGE_MAX + 1, "System32\\drivers\\%s.sys", service);
	} else {
		size_t n = strlen(image);
		if (n > 3 * IMAGE_MAX) {
			r = -ENAMETOOLONG;
			goto out;
		}
		if (image[0] == '"') {
			/* A command line: the program is what the quotes hold. */
			const char *q = strchr(image + 1, '"');
			n = q ? (size_t)(q - image - 1) : n - 1;
			memcpy(buf, image + 1, n);
		} else {
			memcpy(buf, image, n);
		}
		while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			n--;
		buf[n] = 0;
		if (!n) {
			r = -ENOENT; /* "" in quotes: no program named */
			goto out;
		}
	}
	if ((r = expand_env(buf, drive, exp, 3 * IMAGE_MAX + 1)) < 0)
		goto out;

	struct comps c = { .n = 0 };
	const char *rest = exp;
	bool windir_base = false;
	if (prefix_ci(rest, "\\SystemRoot") && (rest[11] == '\\' || rest[11] == '/' || !rest[11])) {
		windir_base = true;
		rest += 11;
	} else if (prefix_ci(rest, "\\??\\") || prefix_ci(rest, "\\DosDevices\\") ||
		   prefix_ci(rest, "\\GLOBAL??\\") || prefix_ci(rest, "\\\\?\\") || prefix_ci(rest, "\\\\.\\")) {
		rest = strchr(rest + 2, '\\') + 1;
		if (rest[0] == 0 || rest[1] != ':') {
			r = -ENOENT; /* UNC\, Volume{...}, GLOBALROOT\, a device */
			goto out;
		}
		if ((r = check_drive(rest[0], drive)) < 0)
			goto out;
		rest += 2;
	} else if (rest[0] && rest[1] == ':') {
		if ((r = check_drive(rest[0], drive)) < 0)
			goto out;
		rest += 2;
	} else if (rest[0] == '\\' && rest[1] == '\\') {
		r = -ENOENT; /* a network path */
		goto out;
	} else if (rest[0] == '\\' || rest[0] == '/') {
		/* An object-manager path other than the ones above names no
		 * file of this volume; a rooted one is taken from its root. */
		if (prefix_ci(rest + 1, "Device\\") || prefix_ci(rest + 1, "ArcName\\")) {
			r = -ENOENT;
			goto out;
		}
	} else {
		windir_base = true; /* relative: to the Windows directory */
	}
	if (windir_base && (r = add_parts(&c, p->windir)) < 0)
		goto out;
	if ((r = add_parts(&c, rest)) < 0)
		goto out;
	if (!c.n) {
		r = -EINVAL;
		goto out;
	}
	size_t o = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (o + c.l[i] + 1 >= outlen) {
			r = -ENAMETOOLONG;
			out[0] = 0;
			goto out;
		}
		if (i)
			out[o++] = '/';
		memcpy(out + o, c.s[i], c.l[i]);
		o += c.l[i];
	}
	out[o] = 0;
out:
	free(buf);
	free(exp);
	return r;
}

/* The strings of a list as UTF-8, with their place in the data. */
struct msz_str {
	char *s;
	size_t start, len;            /* in UTF-16 units */
};

static void msz_free(struct msz_str *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].s);
	free(v);
}

static int msz_split(const unsigned char *d, size_t len, struct msz_str **out, size_t *n)
{
	size_t cnt = lg_multisz_count(d, len), k = 0, s, l;
	struct msz_str *v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	struct msz_iter it = { d, len / 2, 0 };
	while (k < cnt && msz_next(&it, &s, &l)) {
		v[k] = (struct msz_str){ lg_utf16_to_utf8_dup(d + 2 * s, l, 0, NULL), s, l };
		if (!v[k++].s) {
			msz_free(v, k);
			return -ENOMEM;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

/* Insert name into a list at the place it had in old: before the name
 * that followed it there, else after the one that preceded it, else last.
 * Each list is decoded once: lists from a hostile hive may hold thousands
 * of names. */
int lg_multisz_reinsert(const unsigned char *cur, size_t cur_len, const unsigned char *old, size_t old_len,
			const char *name, unsigned char **out, size_t *out_len)
{
	struct msz_str *o = NULL, *c = NULL;
	size_t no = 0, nc = 0, at = SIZE_MAX;
	int r = msz_split(old, old_len, &o, &no);
	if (r == 0 && (r = msz_split(cur, cur_len, &c, &nc)) < 0) {
		msz_free(o, no);
		return r;
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < no && at == SIZE_MAX; i++)
		if (!strcasecmp(o[i].s, name))
			at = i;
	if (at == SIZE_MAX) {
		r = -EBADMSG;
		goto done;
	}
	/* Where in cur: before the first follower of name in old that cur
	 * has, else after the nearest predecessor it has, else at the end. */
	size_t pos = nc;
	bool found = false;
	for (size_t i = at + 1; i < no && !found; i++)
		for (size_t j = 0; j < nc && !found; j++)
			if (!strcasecmp(c[j].s, o[i].s))
				pos = j, found = true;
	for (size_t i = at; i-- > 0 && !found;)
		for (size_t j = nc; j-- > 0 && !found;)
			if (!strcasecmp(c[j].s, o[i].s))
				pos = j + 1, found = true;
	unsigned char *b = malloc(cur_len + 2 * o[at].len + 8);
	if (!b) {
		r = -ENOMEM;
		goto done;
	}
	size_t w = 0;
	for (size_t j = 0; j <= nc; j++) {
		if (j == pos) {
			/* The name as it was written, in its own UTF-16. */
			memcpy(b + w, old + 2 * o[at].start, 2 * o[at].len);
			w += 2 * o[at].len;
			b[w++] = 0;
			b[w++] = 0;
		}
		if (j == nc)
			break;
		memcpy(b + w, cur + 2 * c[j].start, 2 * c[j].len);
		w += 2 * c[j].len;
		b[w++] = 0;
		b[w++] = 0;
	}
	b[w++] = 0;
	b[w++] = 0;
	*out = b;
	*out_len = w;
done:
	msz_free(o, no);
	msz_free(c, nc);
	return r;
}
