// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The deny-list loader: signature first (minisign.c), then a strict
 * schema-1 parse, then the expiry. Format: docs/denylist.md.
 *
 * jansson checks the JSON syntax but keeps no positions for values, so a
 * schema error (unknown field, wrong type, bad value) is located with a
 * second, small scan of the text that follows the field path to the
 * offending key or value. That scan only runs on text jansson accepted,
 * and is bounded by the buffer length anyway.
 */
#include "formats/denylist.h"
#include "formats/minisign.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <time.h>

/* ------------------------------------------------- positions in the text */

/* A cursor over the JSON text that knows its line and column the way
 * jansson counts them (1-based; a column is a UTF-8 character). */
struct jcur {
	const char *s;
	size_t len, i;
	unsigned line, col;
};

static void jc_adv(struct jcur *c)
{
	if (c->i >= c->len)
		return;
	unsigned char b = (unsigned char)c->s[c->i++];
	if (b == '\n') {
		c->line++;
		c->col = 1;
	} else if ((b & 0xc0) != 0x80) {
		c->col++;
	}
}

static bool jc_is(const struct jcur *c, char ch)
{
	return c->i < c->len && c->s[c->i] == ch;
}

static void jc_ws(struct jcur *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r' ||
				 c->s[c->i] == '\n'))
		jc_adv(c);
}

static bool jc_string(struct jcur *c)
{
	if (!jc_is(c, '"'))
		return false;
	jc_adv(c);
	while (c->i < c->len) {
		char ch = c->s[c->i];
		jc_adv(c);
		if (ch == '\\')
			jc_adv(c);
		else if (ch == '"')
			return true;
	}
	return false;
}

/* Skip one value; iterative, so hostile nesting costs no stack. */
static bool jc_skip(struct jcur *c)
{
	jc_ws(c);
	if (c->i >= c->len)
		return false;
	char ch = c->s[c->i];
	if (ch == '"')
		return jc_string(c);
	if (ch == '{' || ch == '[') {
		size_t depth = 0;
		while (c->i < c->len) {
			ch = c->s[c->i];
			if (ch == '"') {
				if (!jc_string(c))
					return false;
				continue;
			}
			jc_adv(c);
			if (ch == '{' || ch == '[')
				depth++;
			else if ((ch == '}' || ch == ']') && --depth == 0)
				return true;
		}
		return false;
	}
	while (c->i < c->len && !strchr(",]} \t\r\n", c->s[c->i]) && c->s[c->i])
		jc_adv(c);
	return true;
}

/* Does the string token [tok, tok + n) (quotes included) decode to key? */
static bool key_equals(const char *tok, size_t n, const char *key)
{
	size_t kl = strlen(key);
	if (n < 2)
		return false;
	if (!memchr(tok, '\\', n))
		return n - 2 == kl && !memcmp(tok + 1, key, kl);
	json_t *j = json_loadb(tok, n, JSON_DECODE_ANY, NULL);
	bool eq = j && json_is_string(j) && json_string_length(j) == kl &&
		  !memcmp(json_string_value(j), key, kl);
	json_decref(j);
	return eq;
}

/* At an object: move to member key's key token (at_key) or its value. */
static bool jc_member(struct jcur *c, const char *key, bool at_key)
{
	jc_ws(c);
	if (!jc_is(c, '{'))
		return false;
	jc_adv(c);
	for (;;) {
		jc_ws(c);
		struct jcur k = *c;
		if (!jc_string(c))
			return false;
		bool match = key_equals(c->s + k.i, c->i - k.i, key);
		jc_ws(c);
		if (!jc_is(c, ':'))
			return false;
		jc_adv(c);
		jc_ws(c);
		if (match) {
			if (at_key)
				*c = k;
			return true;
		}
		if (!jc_skip(c))
			return false;
		jc_ws(c);
		if (!jc_is(c, ','))
			return false;
		jc_adv(c);
	}
}

/* At an array: move to element idx. */
static bool jc_element(struct jcur *c, size_t idx)
{
	jc_ws(c);
	if (!jc_is(c, '['))
		return false;
	jc_adv(c);
	for (size_t k = 0;; k++) {
		jc_ws(c);
		if (jc_is(c, ']'))
			return false;
		if (k == idx)
			return true;
		if (!jc_skip(c))
			return false;
		jc_ws(c);
		if (!jc_is(c, ','))
			return false;
		jc_adv(c);
	}
}

/* One step of a field path: an object key, or an array index when key is NULL. */
struct step {
	const char *key;
	size_t idx;
};

/* Line and column of the value (or, with at_key, the key) at the path;
 * the deepest step found when the text does not follow the path. */
static void locate(const char *s, size_t len, const struct step *p, size_t n, bool at_key,
		   unsigned *line, unsigned *col)
{
	struct jcur c = { s, len, 0, 1, 1 };
	jc_ws(&c);
	struct jcur best = c;
	for (size_t k = 0; k < n; k++) {
		bool ok = p[k].key ? jc_member(&c, p[k].key, at_key && k + 1 == n) : jc_element(&c, p[k].idx);
		if (!ok)
			break;
		best = c;
	}
	*line = best.line;
	*col = best.col;
}

/* --------------------------------------------------------- validation */

#define MAX_DEPTH 6

struct vctx {
	const char *text;
	size_t len;
	struct lg_err *err;
	struct step path[MAX_DEPTH];
	size_t depth;
};

static void push_key(struct vctx *v, const char *k)
{
	if (v->depth < MAX_DEPTH)
		v->path[v->depth] = (struct step){ k, 0 };
	v->depth++;
}

static void push_idx(struct vctx *v, size_t i)
{
	if (v->depth < MAX_DEPTH)
		v->path[v->depth] = (struct step){ NULL, i };
	v->depth++;
}

static void pop(struct vctx *v)
{
	v->depth--;
}

/* Copy text for a message: printable ASCII kept, the rest as '?', capped. */
static void printable(const char *s, char *out, size_t outsz)
{
	size_t o = 0;
	for (; *s && o + 4 < outsz; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s)
		for (int k = 0; k < 3 && o + 1 < outsz; k++)
			out[o++] = '.';
	out[o] = 0;
}

static void path_str(const struct vctx *v, char *out, size_t outsz)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t k = 0; k < v->depth && k < MAX_DEPTH; k++) {
		char piece[80];
		if (v->path[k].key) {
			char name[64];
			printable(v->path[k].key, name, sizeof(name));
			snprintf(piece, sizeof(piece), "%s%s", k ? "." : "", name);
		} else {
			snprintf(piece, sizeof(piece), "[%zu]", v->path[k].idx);
		}
		int w = snprintf(out + o, outsz - o, "%s", piece);
		if (w < 0 || (size_t)w >= outsz - o)
			break;
		o += (size_t)w;
	}
}

__attribute__((format(printf, 3, 4)))
static int fail(struct vctx *v, bool at_key, const char *fmt, ...)
{
	unsigned line, col;
	char where[200], msg[320];
	va_list ap;

	locate(v->text, v->len, v->path, v->depth < MAX_DEPTH ? v->depth : MAX_DEPTH, at_key, &line, &col);
	path_str(v, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (where[0])
		lg_err_set(v->err, "line %u, column %u: %s: %s", line, col, where, msg);
	else
		lg_err_set(v->err, "line %u, column %u: %s", line, col, msg);
	return -EINVAL;
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "true/false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* Refuse any member whose key is not in allowed (NULL-terminated). */
static int check_fields(struct vctx *v, json_t *obj, const char *const *allowed, const char *allowed_text)
{
	const char *k;
	json_t *val;
	json_object_foreach(obj, k, val) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(k, *a))
				ok = true;
		if (!ok) {
			push_key(v, k);
			return fail(v, true, "unknown field (allowed here: %s)", allowed_text);
		}
	}
	return 0;
}

/* The member `key` of obj, which must have type t (or be absent when not
 * required). Leaves the path pushed on success; the caller pops. */
static int member(struct vctx *v, json_t *obj, const char *key, json_type t, bool required,
		  const char *expect, json_t **out)
{
	json_t *j = json_object_get(obj, key);
	*out = NULL;
	if (!j) {
		if (required)
			return fail(v, false, "missing required field \"%s\" (%s)", key, expect);
		push_key(v, key);
		return 0;
	}
	push_key(v, key);
	if (json_typeof(j) != t)
		return fail(v, false, "expected %s, got %s", expect, type_name(j));
	*out = j;
	return 0;
}

static int dup_str(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* Text shown to people on a console: no control characters (they could
 * fake other output lines or move the cursor). */
static int check_text(struct vctx *v, const char *s, size_t max, bool nonempty)
{
	size_t n = strlen(s);
	if (nonempty && n == 0)
		return fail(v, false, "must not be empty");
	if (n > max)
		return fail(v, false, "longer than %zu bytes", max);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return fail(v, false, "control character 0x%02x is not allowed (text is shown on a console)", *p);
	return 0;
}

static int get_time(struct vctx *v, json_t *j, int64_t *unix_s, int64_t *nt)
{
	if (lg_rfc3339_parse(json_string_value(j), unix_s, nt) < 0) {
		char shown[48];
		printable(json_string_value(j), shown, sizeof(shown));
		return fail(v, false, "\"%s\" is not an RFC 3339 UTC time like 2024-07-19T04:09:00Z "
			    "(Z only, no offset; at most 7 fraction digits)", shown);
	}
	return 0;
}

static int get_uint(struct vctx *v, json_t *j, uint64_t *out)
{
	json_int_t x = json_integer_value(j);
	if (x < 0)
		return fail(v, false, "must not be negative");
	*out = (uint64_t)x;
	return 0;
}

static int get_sha256(struct vctx *v, json_t *j, unsigned char out[32])
{
	const char *s = json_string_value(j);
	if (strlen(s) != 64 || lg_unhex(s, out, 32) < 0) {
		char shown[72];
		printable(s, shown, sizeof(shown));
		return fail(v, false, "\"%s\" is not a SHA-256 (64 hex digits)", shown);
	}
	return 0;
}

/* ---------------------------------------------------------------- globs */

static bool ieq(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && !strncasecmp(a, b, n);
}

/* Windows reserves these names in every directory, with any extension. */
static bool is_device_name(const char *c, size_t n)
{
	static const char *const dev[] = { "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$" };
	size_t base = 0;
	while (base < n && c[base] != '.')
		base++;
	while (base > 0 && c[base - 1] == ' ')
		base--;
	for (size_t i = 0; i < ARRAY_SIZE(dev); i++)
		if (ieq(c, base, dev[i]))
			return true;
	if (base >= 4 && (!strncasecmp(c, "COM", 3) || !strncasecmp(c, "LPT", 3))) {
		/* COM0-9, LPT0-9 and the superscript digits Windows also maps */
		if (base == 4 && c[3] >= '0' && c[3] <= '9')
			return true;
		if (base == 5 && (unsigned char)c[3] == 0xc2 &&
		    ((unsigned char)c[4] == 0xb9 || (unsigned char)c[4] == 0xb2 || (unsigned char)c[4] == 0xb3))
			return true;
	}
	return false;
}

/* Length in UTF-16 code units, as NTFS counts a name (jansson already
 * checked that the text is valid UTF-8). */
static size_t utf16_units(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];
		if ((b & 0xc0) != 0x80)
			k += (b & 0xf8) == 0xf0 ? 2 : 1;
	}
	return k;
}

/* The matcher's limits (glob.h): a path the loader accepts must compile. */
#define PATH_MAX_BYTES 4096
#define PATH_MAX_COMPONENTS 128
#define NAME_MAX_UNITS 255

/*
 * Normalise (backslash to slash) and check a rule's path glob in place.
 * Returns NULL or the reason it is refused (in why, sized by the caller).
 */
static const char *check_glob(char *p, char *why, size_t whysz)
{
	size_t n = strlen(p);
	if (n == 0)
		return "empty path";
	if (n > PATH_MAX_BYTES)
		return "path longer than 4096 bytes";
	for (char *q = p; *q; q++)
		if (*q == '\\')
			*q = '/';
	if (p[0] == '/')
		return "absolute path: write it relative to the volume root, e.g. Windows/System32/...";
	if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':')
		return "drive letter: write the path relative to the Windows volume, without C:";
	if (strchr(p, ':'))
		return "':' is refused (alternate data streams and drive letters are not matched)";
	for (const unsigned char *q = (const unsigned char *)p; *q; q++) {
		if (*q < 0x20 || *q == 0x7f) {
			snprintf(why, whysz, "control character 0x%02x", *q);
			return why;
		}
		if (strchr("<>\"|", *q)) {
			snprintf(why, whysz, "'%c' cannot appear in a Windows file name", *q);
			return why;
		}
	}
	size_t ncomp = 0;
	for (const char *c = p;;) {
		const char *e = strchr(c, '/');
		size_t cl = e ? (size_t)(e - c) : strlen(c);
		char shown[48];
		if (++ncomp > PATH_MAX_COMPONENTS)
			return "more than 128 components";
		snprintf(shown, sizeof(shown), "%.*s", (int)(cl < 40 ? cl : 40), c);
		if (cl == 0)
			return "empty path component ('//', or a '/' at the start or end)";
		if (cl == 2 && !memcmp(c, "..", 2))
			return "'..' is refused: a rule cannot leave the volume root";
		if (cl == 1 && c[0] == '.')
			return "'.' component is refused: write the path without it";
		if (memmem(c, cl, "**", 2) && cl != 2) {
			snprintf(why, whysz, "component \"%s\": '**' must be a whole component, as in Windows/**/x.sys", shown);
			return why;
		}
		if (c[cl - 1] == '.' || c[cl - 1] == ' ') {
			snprintf(why, whysz, "component \"%s\" ends with '%c', which Windows strips from file names",
				 shown, c[cl - 1]);
			return why;
		}
		if (is_device_name(c, cl)) {
			snprintf(why, whysz, "component \"%s\" is a Windows device name (CON, PRN, AUX, NUL, COM1..9, LPT1..9, ...)", shown);
			return why;
		}
		if (utf16_units(c, cl) > NAME_MAX_UNITS) {
			snprintf(why, whysz, "component \"%s...\" is longer than 255 characters (NTFS limit)", shown);
			return why;
		}
		if (!e)
			break;
		c = e + 1;
	}
	return NULL;
}

/* A path inside a restore bundle: relative, no '.', '..' or empty part. */
static const char *check_entry(char *p)
{
	size_t n = strlen(p);
	if (n == 0)
		return "empty entry name";
	if (n > 4096)
		return "entry name longer than 4096 bytes";
	for (char *q = p; *q; q++) {
		if (*q == '\\')
			*q = '/';
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return "control character in entry name";
		if (*q == '*' || *q == '?')
			return "an entry name is not a glob: '*' and '?' are refused";
	}
	if (p[0] == '/')
		return "absolute entry name: write it relative to the bundle's root";
	for (const char *c = p;;) {
		const char *e = strchr(c, '/');
		size_t cl = e ? (size_t)(e - c) : strlen(c);
		if (cl == 0)
			return "empty component in entry name";
		if ((cl == 1 && c[0] == '.') || (cl == 2 && !memcmp(c, "..", 2)))
			return "'.' and '..' are refused in entry names";
		if (!e)
			break;
		c = e + 1;
	}
	return NULL;
}

static const char *check_bundle(const char *b)
{
	size_t n = strlen(b);
	if (n == 0 || n > 255)
		return "a bundle name has 1 to 255 bytes";
	if (!strcmp(b, ".") || !strcmp(b, ".."))
		return "'.' and '..' are not bundle names";
	for (const unsigned char *q = (const unsigned char *)b; *q; q++) {
		if (*q == '/' || *q == '\\' || *q == ':')
			return "a bundle is a file name without a directory part ('/', '\\' and ':' are refused)";
		if (*q < 0x20 || *q == 0x7f)
			return "control character in bundle name";
	}
	return NULL;
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* ---------------------------------------------------------------- rules */

static const char *const rule_fields[] = { "id", "description", "path", "size", "sha256", "header",
					   "modified", "action", "restore", "registry",
					   "allow_boot_critical", "authentihash_sha256", "authentihash_sha1",
					   "original_filename", "file_version", "company", "signer", NULL };
#define RULE_FIELDS_TEXT "id, description, path, size, sha256, header, modified, action, restore, " \
			 "registry, allow_boot_critical, authentihash_sha256, authentihash_sha1, " \
			 "original_filename, file_version, company, signer"

#define HEADER_MAX 4096

static void rule_clear(struct lg_rule *r)
{
	free(r->id);
	free(r->description);
	free(r->path);
	free(r->sha256);
	free(r->header);
	if (r->restore) {
		free(r->restore->bundle);
		free(r->restore->entry);
		free(r->restore);
	}
	free(r->reg_disable_service);
	free(r->reg_remove_filter);
	free(r->authentihash_sha256);
	free(r->authentihash_sha1);
	free(r->original_filename);
	free(r->company);
	for (size_t i = 0; i < r->n_signers; i++)
		free(r->signers[i].publisher);
	free(r->signers);
	memset(r, 0, sizeof(*r));
}

/* {"min": X, "max": Y}, either or both, each read with get (X defaults to
 * 0, Y keeps what *max holds); min may not be larger than max. numbers:
 * say the values when they are the wrong way round. */
static int parse_range(struct vctx *v, json_t *j, json_type type, const char *what,
		       int (*get)(struct vctx *, json_t *, uint64_t *), uint64_t *min, uint64_t *max, bool numbers)
{
	static const char *const f[] = { "min", "max", NULL };
	int q = check_fields(v, j, f, "min, max");
	if (q < 0)
		return q;
	json_t *mn, *mx;
	*min = 0;
	if ((q = member(v, j, "min", type, false, what, &mn)) < 0 || (mn && (q = get(v, mn, min)) < 0))
		return q;
	pop(v);
	if ((q = member(v, j, "max", type, false, what, &mx)) < 0 || (mx && (q = get(v, mx, max)) < 0))
		return q;
	pop(v);
	if (!mn && !mx)
		return fail(v, false, "give \"min\", \"max\" or both");
	if (*min > *max && numbers)
		return fail(v, false, "min (%llu) is larger than max (%llu)", (unsigned long long)*min,
			    (unsigned long long)*max);
	if (*min > *max)
		return fail(v, false, "min is larger than max");
	return 0;
}

static int parse_size(struct vctx *v, json_t *j, struct lg_rule *r)
{
	if (json_is_integer(j)) {
		int q = get_uint(v, j, &r->size_min);
		if (q < 0)
			return q;
		r->size_max = r->size_min;
		r->has_size = true;
		return 0;
	}
	if (!json_is_object(j))
		return fail(v, false, "expected an integer (exact size in bytes) or {\"min\": N, \"max\": N}, got %s",
			    type_name(j));
	r->size_max = UINT64_MAX;
	int q = parse_range(v, j, JSON_INTEGER, "an integer (bytes)", get_uint, &r->size_min, &r->size_max, true);
	if (q < 0)
		return q;
	r->has_size = true;
	return 0;
}

static int parse_header(struct vctx *v, json_t *j, struct lg_rule *r)
{
	json_t *hex = NULL, *off = NULL;
	int q;
	if (json_is_string(j)) {
		hex = j;
	} else if (json_is_object(j)) {
		static const char *const f[] = { "hex", "offset", NULL };
		if ((q = check_fields(v, j, f, "hex, offset")) < 0)
			return q;
		if ((q = member(v, j, "hex", JSON_STRING, true, "hex bytes, e.g. \"AAAAAAAA01002301\"", &hex)) < 0)
			return q;
		pop(v);
		if ((q = member(v, j, "offset", JSON_INTEGER, false, "an integer (bytes from the file's start)", &off)) < 0 ||
		    (off && (q = get_uint(v, off, &r->header_offset)) < 0))
			return q;
		pop(v);
	} else {
		return fail(v, false, "expected hex bytes or {\"hex\": \"...\", \"offset\": N}, got %s", type_name(j));
	}
	const char *s = json_string_value(hex);
	size_t n = strlen(s);
	if (hex != j)
		push_key(v, "hex");
	if (n == 0 || n % 2 || n / 2 > HEADER_MAX)
		return fail(v, false, "expected an even number of hex digits, 2 to %u", 2 * HEADER_MAX);
	r->header_len = n / 2;
	r->header = malloc(r->header_len);
	if (!r->header)
		return -ENOMEM;
	if (lg_unhex(s, r->header, r->header_len) < 0)
		return fail(v, false, "not hex: use the digits 0-9 and A-F only, no spaces");
	if (hex != j)
		pop(v);
	uint64_t end;
	if (!lg_add_ok(r->header_offset, r->header_len, &end) || end > INT64_MAX)
		return fail(v, false, "offset too large");
	return 0;
}

static int parse_modified(struct vctx *v, json_t *j, struct lg_rule *r)
{
	static const char *const f[] = { "after", "before", NULL };
	json_t *a, *b;
	int q;
	if (!json_is_object(j))
		return fail(v, false, "expected {\"after\": \"...Z\", \"before\": \"...Z\"}, got %s", type_name(j));
	if ((q = check_fields(v, j, f, "after, before")) < 0)
		return q;
	if ((q = member(v, j, "after", JSON_STRING, false, "an RFC 3339 UTC time", &a)) < 0 ||
	    (a && (q = get_time(v, a, NULL, &r->modified_after)) < 0))
		return q;
	pop(v);
	if ((q = member(v, j, "before", JSON_STRING, false, "an RFC 3339 UTC time", &b)) < 0 ||
	    (b && (q = get_time(v, b, NULL, &r->modified_before)) < 0))
		return q;
	pop(v);
	if (!a && !b)
		return fail(v, false, "give \"after\", \"before\" or both");
	r->has_modified_after = a != NULL;
	r->has_modified_before = b != NULL;
	if (a && b && r->modified_after >= r->modified_before)
		return fail(v, false, "\"after\" must be earlier than \"before\" (after is inclusive, before exclusive)");
	return 0;
}

static int parse_restore(struct vctx *v, json_t *j, struct lg_rule *r)
{
	static const char *const f[] = { "bundle", "entry", "sha256", NULL };
	json_t *b, *e, *h;
	const char *why;
	int q;
	if (r->action == LG_ACTION_REPORT)
		return fail(v, true, "a \"report\" rule never touches the file, so it cannot restore one");
	if (!json_is_object(j))
		return fail(v, false, "expected {\"bundle\": ..., \"entry\": ..., \"sha256\": ...}, got %s", type_name(j));
	if ((q = check_fields(v, j, f, "bundle, entry, sha256")) < 0)
		return q;
	r->restore = calloc(1, sizeof(*r->restore));
	if (!r->restore)
		return -ENOMEM;
	if ((q = member(v, j, "bundle", JSON_STRING, true, "a bundle file name", &b)) < 0)
		return q;
	if ((q = dup_str(json_string_value(b), &r->restore->bundle)) < 0)
		return q;
	if ((why = check_bundle(r->restore->bundle)))
		return fail(v, false, "%s", why);
	pop(v);
	if ((q = member(v, j, "entry", JSON_STRING, true, "a path inside the bundle", &e)) < 0)
		return q;
	if ((q = dup_str(json_string_value(e), &r->restore->entry)) < 0)
		return q;
	if ((why = check_entry(r->restore->entry)))
		return fail(v, false, "%s", why);
	pop(v);
	if ((q = member(v, j, "sha256", JSON_STRING, true, "the entry's SHA-256 (64 hex digits)", &h)) < 0 ||
	    (q = get_sha256(v, h, r->restore->sha256)) < 0)
		return q;
	pop(v);
	return 0;
}

/* A service name as the registry stores it: a key name, so no backslash;
 * the service control manager refuses '/' too. */
static int get_service_name(struct vctx *v, json_t *j, char **out)
{
	const char *s = json_string_value(j);
	int q = check_text(v, s, 255, true);
	if (q < 0)
		return q;
	if (strpbrk(s, "\\/"))
		return fail(v, false, "a service name has no '\\' or '/'");
	return dup_str(s, out);
}

static int parse_registry(struct vctx *v, json_t *j, struct lg_rule *r)
{
	static const char *const f[] = { "disable_service", "remove_filter", NULL };
	json_t *d, *rf;
	int q;
	if (r->action == LG_ACTION_REPORT)
		return fail(v, true, "a \"report\" rule changes nothing, so it cannot change the registry");
	if (!json_is_object(j))
		return fail(v, false, "expected {\"disable_service\": \"Name\", \"remove_filter\": \"Name\"}, got %s",
			    type_name(j));
	if ((q = check_fields(v, j, f, "disable_service, remove_filter")) < 0)
		return q;
	if ((q = member(v, j, "disable_service", JSON_STRING, false, "a service name", &d)) < 0 ||
	    (d && (q = get_service_name(v, d, &r->reg_disable_service)) < 0))
		return q;
	pop(v);
	if ((q = member(v, j, "remove_filter", JSON_STRING, false, "a service name", &rf)) < 0 ||
	    (rf && (q = get_service_name(v, rf, &r->reg_remove_filter)) < 0))
		return q;
	pop(v);
	if (!d && !rf)
		return fail(v, false, "give \"disable_service\", \"remove_filter\" or both");
	return 0;
}

/* ------------------------------------------------------- PE conditions */

/* A list of hex digests of width bytes: [\"...\", ...], not empty. */
static int get_digest_list(struct vctx *v, json_t *f, size_t width, const char *what, void **out,
			   size_t *n_out)
{
	size_t n = json_array_size(f);
	*out = NULL;
	if (n == 0)
		return fail(v, false, "the list is empty: leave the field out instead");
	unsigned char *d = calloc(n, width);
	if (!d)
		return -ENOMEM;
	*out = d;
	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(f, i);
		push_idx(v, i);
		if (!json_is_string(h))
			return fail(v, false, "expected %s hex string, got %s", what, type_name(h));
		const char *s = json_string_value(h);
		if (strlen(s) != 2 * width || lg_unhex(s, d + i * width, width) < 0) {
			char shown[72];
			printable(s, shown, sizeof(shown));
			return fail(v, false, "\"%s\" is not %s (%zu hex digits)", shown, what, 2 * width);
		}
		pop(v);
	}
	return 0;
}

/* An optional member key holding such a list; *out is the list (owned by
 * the caller even on error), NULL when the member is absent. */
static int digest_member(struct vctx *v, json_t *j, const char *key, size_t width, const char *kind, void **out,
			 size_t *n_out)
{
	char hint[96], what[64];
	json_t *f;
	*out = NULL;
	snprintf(hint, sizeof(hint), "a list of %s hex strings, [\"...\"]", kind);
	int q = member(v, j, key, JSON_ARRAY, false, hint, &f);
	if (q < 0)
		return q;
	snprintf(what, sizeof(what), "an %s", kind);
	if (f && (q = get_digest_list(v, f, width, what, out, n_out)) < 0)
		return q;
	pop(v);
	return 0;
}

/* A VERSIONINFO string to compare with: shown on a console, and compared
 * whole, so no control characters and no white space at either end
 * (the file's value is trimmed before the comparison). */
static int get_pe_string(struct vctx *v, json_t *j, size_t max_units, char **out)
{
	const char *s = json_string_value(j);
	int q = check_text(v, s, 4 * max_units, true);
	if (q < 0)
		return q;
	size_t n = strlen(s);
	if (utf16_units(s, n) > max_units)
		return fail(v, false, "longer than %zu characters", max_units);
	if (s[0] == ' ' || s[n - 1] == ' ')
		return fail(v, false, "leading or trailing spaces: remove them (the file's value is compared "
			    "without them)");
	return dup_str(s, out);
}

static int get_version(struct vctx *v, json_t *j, uint64_t *out)
{
	if (lg_file_version_parse(json_string_value(j), out) < 0) {
		char shown[48];
		printable(json_string_value(j), shown, sizeof(shown));
		return fail(v, false, "\"%s\" is not a file version: four numbers 0-65535 like \"10.0.19041.3636\"",
			    shown);
	}
	return 0;
}

static int parse_file_version(struct vctx *v, json_t *j, struct lg_rule *r)
{
	int q;
	if (json_is_string(j)) {
		if ((q = get_version(v, j, &r->file_version_min)) < 0)
			return q;
		r->file_version_max = r->file_version_min;
		r->has_file_version = true;
		return 0;
	}
	if (!json_is_object(j))
		return fail(v, false, "expected \"a.b.c.d\" (exact) or {\"min\": \"a.b.c.d\", \"max\": \"a.b.c.d\"}, got %s",
			    type_name(j));
	r->file_version_max = LG_FILE_VERSION(65535, 65535, 65535, 65535);
	if ((q = parse_range(v, j, JSON_STRING, "a version \"a.b.c.d\"", get_version, &r->file_version_min,
			     &r->file_version_max, false)) < 0)
		return q;
	r->has_file_version = true;
	return 0;
}

/* One signer: {"tbs": HEX, "publisher": TEXT} (publisher optional). */
static int parse_one_signer(struct vctx *v, json_t *j, struct lg_signer_cond *sc)
{
	static const char *const f[] = { "tbs", "publisher", NULL };
	int q;
	if (!json_is_object(j))
		return fail(v, false, "expected {\"tbs\": \"hex\", \"publisher\": \"name\"}, got %s",
			    type_name(j));
	if ((q = check_fields(v, j, f, "tbs, publisher")) < 0)
		return q;
	json_t *t, *p;
	if ((q = member(v, j, "tbs", JSON_STRING, true,
			"the TBS hash of a certificate, as `lastgood pe --json` prints it", &t)) < 0)
		return q;
	const char *s = json_string_value(t);
	size_t n = strlen(s);
	if ((n != 40 && n != 64 && n != 96 && n != 128) || lg_unhex(s, sc->tbs, n / 2) < 0) {
		char shown[72];
		printable(s, shown, sizeof(shown));
		return fail(v, false, "\"%s\" is not a TBS hash (40, 64, 96 or 128 hex digits: SHA-1, "
			    "SHA-256, SHA-384 or SHA-512)", shown);
	}
	sc->tbs_len = (unsigned)(n / 2);
	pop(v);
	if ((q = member(v, j, "publisher", JSON_STRING, false,
			"the signer certificate's common name, e.g. \"Contoso Ltd.\"", &p)) < 0 ||
	    (p && (q = get_pe_string(v, p, 255, &sc->publisher)) < 0))
		return q;
	pop(v);
	return 0;
}

/* "signer": one {"tbs", "publisher"} object or a list of them (any holds). */
static int parse_signer(struct vctx *v, json_t *f, struct lg_rule *r)
{
	size_t n = json_is_array(f) ? json_array_size(f) : 1;
	if (json_is_array(f) && n == 0)
		return fail(v, false, "the list is empty: leave the field out instead");
	if (n > 1024)
		return fail(v, false, "more than 1024 signers in one rule");
	r->signers = calloc(n, sizeof(*r->signers));
	if (!r->signers)
		return -ENOMEM;
	r->n_signers = n;
	for (size_t i = 0; i < n; i++) {
		if (json_is_array(f))
			push_idx(v, i);
		int q = parse_one_signer(v, json_is_array(f) ? json_array_get(f, i) : f, &r->signers[i]);
		if (q < 0)
			return q;
		if (json_is_array(f))
			pop(v);
	}
	return 0;
}

/* An optional field of j whose value fn parses: its key is on the path
 * while fn runs (and stays there when fn fails, for the message). */
static int opt_field(struct vctx *v, json_t *j, const char *key, struct lg_rule *r,
		     int (*fn)(struct vctx *, json_t *, struct lg_rule *))
{
	json_t *f = json_object_get(j, key);
	int q;
	push_key(v, key);
	if (f && (q = fn(v, f, r)) < 0)
		return q;
	pop(v);
	return 0;
}

/* authentihash_sha256, authentihash_sha1, original_filename, file_version,
 * company, signer: what `lastgood pe` prints for a sample (docs/pe.md). */
static int parse_pe_conditions(struct vctx *v, json_t *j, struct lg_rule *r)
{
	json_t *f;
	int q;
	void *d = NULL;

	q = digest_member(v, j, "authentihash_sha256", 32, "Authenticode SHA-256", &d, &r->n_authentihash_sha256);
	r->authentihash_sha256 = d;
	if (q < 0)
		return q;
	q = digest_member(v, j, "authentihash_sha1", 20, "Authenticode SHA-1", &d, &r->n_authentihash_sha1);
	r->authentihash_sha1 = d;
	if (q < 0)
		return q;

	if ((q = member(v, j, "original_filename", JSON_STRING, false, "a file name such as \"acmeflt.sys\"",
			&f)) < 0 ||
	    (f && (q = get_pe_string(v, f, 255, &r->original_filename)) < 0))
		return q;
	pop(v);

	if ((q = opt_field(v, j, "file_version", r, parse_file_version)) < 0)
		return q;

	if ((q = member(v, j, "company", JSON_STRING, false, "a CompanyName such as \"Contoso Ltd.\"", &f)) < 0 ||
	    (f && (q = get_pe_string(v, f, 255, &r->company)) < 0))
		return q;
	pop(v);

	if ((q = opt_field(v, j, "signer", r, parse_signer)) < 0)
		return q;
	return 0;
}

static int parse_allow_boot_critical(struct vctx *v, json_t *j, struct lg_rule *r)
{
	if (!json_is_boolean(j))
		return fail(v, false, "expected true or false, got %s", type_name(j));
	r->allow_boot_critical = json_is_true(j);
	return 0;
}

static int parse_rule(struct vctx *v, json_t *j, struct lg_rule *r)
{
	json_t *f;
	int q;
	char why[160];

	if (!json_is_object(j))
		return fail(v, false, "a rule must be an object, got %s", type_name(j));
	if ((q = check_fields(v, j, rule_fields, RULE_FIELDS_TEXT)) < 0)
		return q;

	if ((q = member(v, j, "id", JSON_STRING, true, "a unique name", &f)) < 0)
		return q;
	if (!valid_id(json_string_value(f)))
		return fail(v, false, "an id has 1 to 64 characters among A-Z a-z 0-9 . _ -");
	if ((q = dup_str(json_string_value(f), &r->id)) < 0)
		return q;
	pop(v);

	if ((q = member(v, j, "description", JSON_STRING, false, "a one-line text", &f)) < 0 ||
	    (f && (q = check_text(v, json_string_value(f), 1024, false)) < 0))
		return q;
	if ((q = dup_str(f ? json_string_value(f) : "", &r->description)) < 0)
		return q;
	pop(v);

	if ((q = member(v, j, "path", JSON_STRING, true, "a glob such as Windows/System32/drivers/x*.sys", &f)) < 0)
		return q;
	if ((q = dup_str(json_string_value(f), &r->path)) < 0)
		return q;
	const char *bad = check_glob(r->path, why, sizeof(why));
	if (bad)
		return fail(v, false, "%s", bad);
	pop(v);

	if ((q = opt_field(v, j, "size", r, parse_size)) < 0)
		return q;

	if ((q = member(v, j, "sha256", JSON_ARRAY, false, "a list of SHA-256 hex strings, [\"...\"]", &f)) < 0)
		return q;
	if (f) {
		size_t n = json_array_size(f);
		if (n == 0)
			return fail(v, false, "the list is empty: leave the field out instead");
		r->sha256 = calloc(n, sizeof(*r->sha256));
		if (!r->sha256)
			return -ENOMEM;
		r->n_sha256 = n;
		for (size_t i = 0; i < n; i++) {
			json_t *h = json_array_get(f, i);
			push_idx(v, i);
			if (!json_is_string(h))
				return fail(v, false, "expected a SHA-256 hex string, got %s", type_name(h));
			if ((q = get_sha256(v, h, r->sha256[i])) < 0)
				return q;
			pop(v);
		}
	}
	pop(v);

	if ((q = opt_field(v, j, "header", r, parse_header)) < 0)
		return q;

	if ((q = opt_field(v, j, "modified", r, parse_modified)) < 0)
		return q;

	if ((q = member(v, j, "action", JSON_STRING, false, "\"quarantine\" or \"report\"", &f)) < 0)
		return q;
	r->action = LG_ACTION_QUARANTINE;
	if (f) {
		const char *a = json_string_value(f);
		if (!strcmp(a, "report"))
			r->action = LG_ACTION_REPORT;
		else if (strcmp(a, "quarantine"))
			return fail(v, false, "expected \"quarantine\" or \"report\"");
	}
	pop(v);

	if ((q = opt_field(v, j, "restore", r, parse_restore)) < 0)
		return q;

	if ((q = opt_field(v, j, "registry", r, parse_registry)) < 0)
		return q;

	if ((q = opt_field(v, j, "allow_boot_critical", r, parse_allow_boot_critical)) < 0)
		return q;

	if ((q = parse_pe_conditions(v, j, r)) < 0)
		return q;

	/* A wildcard with nothing else to check is one typo away from
	 * quarantining every driver of a volume: demand a second condition. */
	if (r->action == LG_ACTION_QUARANTINE && strpbrk(r->path, "*?") && !r->has_size && !r->sha256 &&
	    !r->header && !r->has_modified_after && !r->has_modified_before && !r->authentihash_sha256 &&
	    !r->authentihash_sha1 && !r->original_filename && !r->n_signers) {
		push_key(v, "path");
		return fail(v, false, "a path with '*' or '?' needs another condition (sha256, header, size, "
			    "modified, authentihash_sha256, authentihash_sha1, original_filename or signer), or "
			    "\"action\": \"report\"");
	}
	return 0;
}

/* -------------------------------------------------------------- the list */

static const char *const top_fields[] = { "schema", "serial", "issued", "expires", "publisher", "rules", NULL };
#define TOP_FIELDS_TEXT "schema, serial, issued, expires, publisher, rules"

void lg_denylist_free(struct lg_denylist *dl)
{
	if (!dl)
		return;
	for (size_t i = 0; i < dl->n_rules; i++)
		rule_clear(&dl->rules[i]);
	free(dl->rules);
	free(dl->publisher);
	free(dl->trusted_comment);
	free(dl);
}

/* Record where each rule starts, in one pass over the rules array. */
static void rule_lines(const char *s, size_t len, struct lg_denylist *dl)
{
	struct jcur c = { s, len, 0, 1, 1 };
	if (!jc_member(&c, "rules", false))
		return;
	jc_ws(&c);
	if (!jc_is(&c, '['))
		return;
	jc_adv(&c);
	for (size_t i = 0; i < dl->n_rules; i++) {
		jc_ws(&c);
		dl->rules[i].line = c.line;
		if (!jc_skip(&c))
			return;
		jc_ws(&c);
		if (jc_is(&c, ','))
			jc_adv(&c);
	}
}

static int parse_top(struct vctx *v, json_t *root, struct lg_denylist *dl)
{
	json_t *f;
	int q;

	if (!json_is_object(root))
		return fail(v, false, "a deny-list is a JSON object {...}");
	/* schema first: a newer format gets "unsupported schema", not a
	 * list of unknown fields. */
	if ((q = member(v, root, "schema", JSON_INTEGER, true, "1", &f)) < 0)
		return q;
	if (json_integer_value(f) != 1)
		return fail(v, false, "schema %lld is not supported: this lastgood reads schema 1",
			    (long long)json_integer_value(f));
	dl->schema = 1;
	pop(v);
	if ((q = check_fields(v, root, top_fields, TOP_FIELDS_TEXT)) < 0)
		return q;

	if ((q = member(v, root, "serial", JSON_INTEGER, true, "an integer that grows with each release", &f)) < 0)
		return q;
	if (json_integer_value(f) < 0)
		return fail(v, false, "must not be negative");
	dl->serial = json_integer_value(f);
	pop(v);

	if ((q = member(v, root, "issued", JSON_STRING, true, "an RFC 3339 UTC time", &f)) < 0 ||
	    (q = get_time(v, f, &dl->issued, NULL)) < 0)
		return q;
	pop(v);
	if ((q = member(v, root, "expires", JSON_STRING, true, "an RFC 3339 UTC time", &f)) < 0 ||
	    (q = get_time(v, f, &dl->expires, NULL)) < 0)
		return q;
	if (dl->expires <= dl->issued)
		return fail(v, false, "expires must be later than issued");
	pop(v);

	if ((q = member(v, root, "publisher", JSON_STRING, true, "who issued the list", &f)) < 0 ||
	    (q = check_text(v, json_string_value(f), 256, true)) < 0 ||
	    (q = dup_str(json_string_value(f), &dl->publisher)) < 0)
		return q;
	pop(v);

	json_t *rules;
	if ((q = member(v, root, "rules", JSON_ARRAY, true, "a list of rules", &rules)) < 0)
		return q;
	size_t n = json_array_size(rules);
	if (n > LG_DENYLIST_MAX_RULES) {
		fail(v, false, "too many rules: %zu (at most %u)", n, LG_DENYLIST_MAX_RULES);
		return -E2BIG;
	}
	dl->rules = calloc(n ? n : 1, sizeof(*dl->rules));
	if (!dl->rules)
		return -ENOMEM;

	json_auto_t *seen = json_object();
	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		push_idx(v, i);
		dl->n_rules = i + 1;
		if ((q = parse_rule(v, json_array_get(rules, i), &dl->rules[i])) < 0)
			return q;
		json_t *prev = json_object_get(seen, dl->rules[i].id);
		if (prev) {
			push_key(v, "id");
			return fail(v, false, "duplicate id \"%s\" (first used by rules[%lld])", dl->rules[i].id,
				    (long long)json_integer_value(prev));
		}
		if (json_object_set_new(seen, dl->rules[i].id, json_integer((json_int_t)i)) < 0)
			return -ENOMEM;
		pop(v);
	}
	pop(v);
	rule_lines(v->text, v->len, dl);
	return 0;
}

int lg_denylist_parse(const char *buf, size_t len, struct lg_denylist **out, struct lg_err *err)
{
	*out = NULL;
	if (len > LG_DENYLIST_MAX_BYTES) {
		lg_err_set(err, "the deny-list has %zu bytes, over the limit of %u (16 MiB)", len,
			   LG_DENYLIST_MAX_BYTES);
		return -EFBIG;
	}
	/* Editors on Windows like to start UTF-8 text with a byte order mark. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}

	/* jansson skips NUL bytes in a buffer instead of refusing them; the
	 * text would then mean something else to it than to every editor. */
	const char *z = memchr(buf, 0, len);
	if (z) {
		struct jcur c = { buf, len, 0, 1, 1 };
		while (c.i < (size_t)(z - buf))
			jc_adv(&c);
		lg_err_set(err, "line %u, column %u: NUL byte: a deny-list is UTF-8 text", c.line, c.col);
		return -EINVAL;
	}

	json_error_t je;
	json_auto_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		lg_err_set(err, "line %d, column %d: JSON syntax: %s", je.line, je.column, je.text);
		return -EINVAL;
	}

	struct lg_denylist *dl = calloc(1, sizeof(*dl));
	if (!dl)
		return -ENOMEM;
	struct vctx v = { .text = buf, .len = len, .err = err };
	int r = parse_top(&v, root, dl);
	if (r < 0) {
		if (r == -ENOMEM)
			lg_err_set(err, "out of memory");
		lg_denylist_free(dl);
		return r;
	}
	*out = dl;
	return 0;
}

/* ---------------------------------------------------------------- load */

int lg_denylist_load(const char *path, const char *sig_path, const char *const *trust_keys,
		     size_t n_trust, int64_t now, struct lg_denylist **out, struct lg_err *err)
{
	_cleanup_free_ char *sig_alloc = NULL, *buf = NULL;
	_cleanup_free_ struct lg_ms_pubkey *keys = NULL;
	_cleanup_free_ struct lg_ms_sig *sig = NULL;
	struct lg_err e = { "" };
	size_t len = 0, which = 0;
	int r;

	*out = NULL;
	if (!sig_path) {
		if (asprintf(&sig_alloc, "%s.minisig", path) < 0) {
			sig_alloc = NULL;
			return -ENOMEM;
		}
		sig_path = sig_alloc;
	}
	if (n_trust == 0) {
		lg_err_set(err, "no trusted key is configured: give --trust KEY.pub, or put the publisher's "
			   "key in $LASTGOOD_TRUST_DIR or " LG_TRUST_DIR_DEFAULT);
		return -ENOKEY;
	}
	keys = calloc(n_trust, sizeof(*keys));
	sig = calloc(1, sizeof(*sig));
	if (!keys || !sig)
		return -ENOMEM;
	for (size_t i = 0; i < n_trust; i++) {
		r = lg_ms_pubkey_load(trust_keys[i], &keys[i], &e);
		if (r < 0) {
			lg_err_set(err, "trusted %s", e.msg);
			return r;
		}
	}

	r = lg_read_file(path, LG_DENYLIST_MAX_BYTES, &buf, &len);
	if (r == -EFBIG) {
		lg_err_set(err, "%s: larger than the 16 MiB limit for a deny-list", path);
		return r;
	}
	if (r < 0) {
		lg_err_set(err, "%s: %s", path, strerror(-r));
		return r;
	}

	r = lg_ms_sig_load(sig_path, sig, &e);
	if (r == -ENOENT) {
		lg_err_set(err, "no signature: %s does not exist; a deny-list is only used with its "
			   "minisign signature (minisign -S -s KEY -m FILE writes FILE.minisig)", sig_path);
		return r;
	}
	if (r < 0) {
		lg_err_set(err, "%s", e.msg);
		return r;
	}
	r = lg_ms_verify_any(keys, n_trust, sig, buf, len, &which, &e);
	if (r < 0) {
		lg_err_set(err, "%s: %s", path, e.msg);
		return r;
	}

	struct lg_denylist *dl;
	r = lg_denylist_parse(buf, len, &dl, &e);
	if (r < 0) {
		lg_err_set(err, "%s: %s", path, e.msg);
		return r;
	}
	_cleanup_denylist_ struct lg_denylist *owned = dl;

	if (now >= dl->expires) {
		char exp[LG_RFC3339_LEN], clk[LG_RFC3339_LEN];
		lg_rfc3339_format(dl->expires, exp);
		lg_rfc3339_format(now, clk);
		lg_err_set(err, "%s: expired: serial %lld expired at %s and the time now is %s; get a newer "
			   "list from %s (if the clock is wrong, see --now in docs/denylist.md)",
			   path, (long long)dl->serial, exp, clk, dl->publisher);
		return -EKEYEXPIRED;
	}

	lg_ms_keyid_format(sig->keyid, dl->key_id);
	/* libsodium, already in use for the signature: OpenSSL's first use
	 * in a process costs its whole initialisation (config file,
	 * providers), most of a second early in the recovery image's boot. */
	crypto_hash_sha256(dl->file_sha256, (const unsigned char *)buf, len);
	dl->trusted_comment = strndup(sig->trusted_comment, sig->trusted_comment_len);
	if (!dl->trusted_comment)
		return -ENOMEM;
	*out = TAKE_PTR(owned);
	return 0;
}

/* ------------------------------------------------------- anti-rollback */

int lg_denylist_check_serial(const struct lg_denylist *dl, int64_t stored_serial, struct lg_err *err)
{
	if (dl->serial < stored_serial) {
		lg_err_set(err, "rollback refused: deny-list serial %lld is lower than serial %lld, already "
			   "applied to this volume; use a list with serial %lld or higher",
			   (long long)dl->serial, (long long)stored_serial, (long long)stored_serial);
		return -ESTALE;
	}
	return 0;
}

int lg_state_parse(const char *buf, size_t len, int64_t *highest_serial, struct lg_err *err)
{
	json_error_t je;
	if (len > LG_STATE_MAX_BYTES) {
		lg_err_set(err, "state.json: %zu bytes, over the %u limit", len, LG_STATE_MAX_BYTES);
		return -EFBIG;
	}
	if (memchr(buf, 0, len)) {
		lg_err_set(err, "state.json: NUL byte: not a text file");
		return -EINVAL;
	}
	json_auto_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		lg_err_set(err, "state.json line %d, column %d: %s", je.line, je.column, je.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		lg_err_set(err, "state.json: not a JSON object");
		return -EINVAL;
	}
	json_t *s = json_object_get(root, "schema");
	if (!json_is_integer(s) || json_integer_value(s) != 1) {
		lg_err_set(err, "state.json: \"schema\" must be 1");
		return -EINVAL;
	}
	json_t *h = json_object_get(root, "highest_serial");
	if (!json_is_integer(h) || json_integer_value(h) < 0) {
		lg_err_set(err, "state.json: \"highest_serial\" must be a non-negative integer");
		return -EINVAL;
	}
	json_t *k = json_object_get(root, "key_id");
	if (k) {
		unsigned char id[8];
		const char *ks = json_string_value(k);
		if (!ks || strlen(ks) != 16 || lg_unhex(ks, id, 8) < 0) {
			lg_err_set(err, "state.json: \"key_id\" must be 16 hex digits");
			return -EINVAL;
		}
	}
	json_t *u = json_object_get(root, "updated");
	if (u && lg_rfc3339_parse(json_string_value(u), NULL, NULL) < 0) {
		lg_err_set(err, "state.json: \"updated\" must be an RFC 3339 UTC time");
		return -EINVAL;
	}
	*highest_serial = json_integer_value(h);
	return 0;
}

char *lg_state_format(int64_t highest_serial, const char *key_id, int64_t when)
{
	char t[LG_RFC3339_LEN];
	lg_rfc3339_format(when, t);
	json_auto_t *o = json_object();
	if (!o || json_object_set_new(o, "schema", json_integer(1)) < 0 ||
	    json_object_set_new(o, "highest_serial", json_integer((json_int_t)highest_serial)) < 0 ||
	    (key_id && json_object_set_new(o, "key_id", json_string(key_id)) < 0) ||
	    json_object_set_new(o, "updated", json_string(t)) < 0)
		return NULL;
	_cleanup_free_ char *s = json_dumps(o, JSON_INDENT(2));
	if (!s)
		return NULL;
	char *res;
	if (asprintf(&res, "%s\n", s) < 0)
		return NULL;
	return res;
}

/* -------------------------------------------------------- trusted keys */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void lg_trust_keys_free(char **paths, size_t n)
{
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

const char *lg_trust_dir(void)
{
	const char *dir = getenv("LASTGOOD_TRUST_DIR");
	return dir && *dir ? dir : LG_TRUST_DIR_DEFAULT;
}

int lg_trust_keys_in_dir(const char *dir, char ***paths, size_t *n, struct lg_err *err)
{
	*paths = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		int e = -errno;
		lg_err_set(err, "trusted key directory %s: %s", dir, strerror(-e));
		return e;
	}
	char **v = NULL;
	size_t k = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (de->d_name[0] == '.' || nl <= 4 || strcmp(de->d_name + nl - 4, ".pub"))
			continue;
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		if (asprintf(&v[k], "%s/%s", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		k++;
	}
	closedir(d);
	if (r < 0) {
		lg_trust_keys_free(v, k);
		return r;
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_str);
	*paths = v;
	*n = k;
	return 0;
}
