// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LOLDrivers and SiPolicy importers (importer.h, docs/importers.md).
 *
 * Both formats are read into one list of entries (an Authenticode hash, a
 * file hash, or an original file name with a version range), deduplicated
 * in input order, then written as a schema-1 deny-list with jansson and
 * loaded back with the strict loader: whatever the input held, what is
 * returned is a list lastgood accepts.
 */
#include "import/importer.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

enum kind {
	K_AUTH256,
	K_AUTH1,
	K_SHA256,
	K_NAME,
	K_SIGNER,                /* SiPolicy denied signer alone */
};

struct entry {
	enum kind kind;
	unsigned char hash[32];
	size_t hash_len;
	char *name;              /* K_NAME: original file name */
	bool has_version;
	uint64_t vmin, vmax;
	char *id;                /* base id, without the path suffix */
	char *description;
	struct lg_signer_cond *signers; /* K_NAME bound to signers, K_SIGNER: any of them */
	size_t n_signers;
};

struct ictx {
	const struct lg_import_opts *o;
	struct lg_import_report *rep;
	struct lg_err *err;
	struct entry *e;
	size_t n, cap;
	json_t *seen;            /* keys of imported entries (a set) */
	json_t *ids;             /* base ids used (a set) */
	size_t max_entries;      /* so that entries x paths stays within the deny-list limit */
};

static const char *const default_paths[] = {
	"Windows/System32/drivers/**",
	"Windows/System32/DriverStore/**",
};
static const char *const default_tags[] = { "drivers", "driverstore" };

const char *lg_import_skip_name(enum lg_import_skip s)
{
	switch (s) {
	case LG_IMPORT_SKIP_NOTHING: return "nothing to match on";
	case LG_IMPORT_SKIP_HASH: return "malformed hash";
	case LG_IMPORT_SKIP_VERSION: return "version not four numbers";
	case LG_IMPORT_SKIP_NAME: return "unusable file name";
	case LG_IMPORT_SKIP_DUPLICATE: return "duplicate";
	case LG_IMPORT_SKIP_PAGE_HASH: return "page hash";
	case LG_IMPORT_SKIP_SIGNER: return "signer lastgood cannot check";
	case LG_IMPORT_SKIP_UNSUPPORTED: return "unsupported or malformed entry";
	case LG_IMPORT_SKIP_FILE_PATH: return "file path rule";
	case LG_IMPORT_SKIP_PACKAGE: return "package rule";
	case LG_IMPORT_SKIP_OTHER_ATTR: return "rule on another file attribute";
	case LG_IMPORT_SKIP_COUNT: break;
	}
	return "?";
}

void lg_import_report_clear(struct lg_import_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->n_notes; i++)
		free(rep->notes[i]);
	free(rep->notes);
	memset(rep, 0, sizeof(*rep));
}

static void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->n_signers; i++)
		free(e->signers[i].publisher);
	free(e->signers);
	e->signers = NULL;
	e->n_signers = 0;
	free(e->name);
	free(e->id);
	free(e->description);
}

/* ---------------------------------------------------------------- text */

/* Text from the input for a list or a console: control characters become
 * '?', the length is capped at a UTF-8 character boundary. */
static void clean(const char *s, char *out, size_t outsz)
{
	size_t o = 0;
	if (!s)
		s = "";
	for (; *s && o + 1 < outsz; s++) {
		unsigned char c = (unsigned char)*s;
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	/* Do not end inside a multi-byte character. */
	if (*s && o) {
		size_t k = o;
		while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0xc0)
			o = k - 1;
	}
	out[o] = 0;
}

__attribute__((format(printf, 2, 3)))
static int note(struct ictx *x, const char *fmt, ...)
{
	struct lg_import_report *rep = x->rep;
	if (rep->n_notes >= LG_IMPORT_NOTES_MAX) {
		rep->notes_dropped++;
		return 0;
	}
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	char **nn = realloc(rep->notes, (rep->n_notes + 1) * sizeof(*nn));
	if (!nn) {
		free(s);
		return -ENOMEM;
	}
	rep->notes = nn;
	rep->notes[rep->n_notes++] = s;
	return 0;
}

static void trim(const char **s, size_t *n)
{
	while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t' || (*s)[0] == '\r' || (*s)[0] == '\n')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' || (*s)[*n - 1] == '\n'))
		(*n)--;
}

/* A hex digest, white space around it ignored: 1 and the bytes when it is
 * hex of one of the lengths allowed (want_len, or 20/32 when 0), 0 when
 * absent or empty, -1 when malformed. */
static int get_hex(const char *s, size_t want_len, unsigned char out[32], size_t *len)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	trim(&s, &n);
	if (n == 0)
		return 0;
	if (n % 2 || n / 2 > 32 || (want_len ? n / 2 != want_len : (n / 2 != 20 && n / 2 != 32)))
		return -1;
	char tmp[65];
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (lg_unhex(tmp, out, n / 2) < 0)
		return -1;
	*len = n / 2;
	return 1;
}

/* An original file name the deny-list accepts: trimmed, 1 to 255
 * UTF-16 units, no control characters; wildcards refused (WDAC's "*"
 * means every file). Returns a copy or NULL (with *why). */
static char *get_name(const char *s, const char **why)
{
	size_t n = s ? strlen(s) : 0;
	if (s)
		trim(&s, &n);
	if (n == 0) {
		*why = "empty";
		return NULL;
	}
	size_t units = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			*why = "control character";
			return NULL;
		}
		if (c == '*' || c == '?') {
			*why = "a wildcard";
			return NULL;
		}
		if ((c & 0xc0) != 0x80)
			units += (c & 0xf8) == 0xf0 ? 2 : 1;
	}
	if (units > 255) {
		*why = "longer than 255 characters";
		return NULL;
	}
	char *r = strndup(s, n);
	if (!r)
		*why = "out of memory";
	return r;
}

/* ---------------------------------------------------------------- entries */

static const char *kind_text(enum kind k)
{
	switch (k) {
	case K_AUTH256: return "Authenticode SHA-256";
	case K_AUTH1: return "Authenticode SHA-1";
	case K_SHA256: return "file SHA-256";
	case K_NAME: return "original file name and version";
	case K_SIGNER: return "signer";
	}
	return "?";
}

/* The signers of an entry, appended to its key. */
static char *signers_key(const struct entry *e, char *k)
{
	for (size_t i = 0; k && i < e->n_signers; i++) {
		char hex[2 * LG_SIGNER_TBS_MAX + 1], *nk = NULL;
		lg_hex(e->signers[i].tbs, e->signers[i].tbs_len, hex);
		if (asprintf(&nk, "%s|%s/%s", k, hex, e->signers[i].publisher ? e->signers[i].publisher : "") < 0)
			nk = NULL;
		free(k);
		k = nk;
	}
	return k;
}

/* The key that makes two entries the same rule. */
static char *entry_key(const struct entry *e)
{
	char *k = NULL;
	if (e->kind == K_SIGNER)
		return signers_key(e, strdup("s"));
	if (e->kind == K_NAME) {
		/* Names compare without regard to case; ASCII folding is
		 * enough here (a missed duplicate only costs a rule). */
		char *low = strdup(e->name);
		if (!low)
			return NULL;
		for (char *p = low; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (asprintf(&k, "n:%s:%d:%016llx:%016llx", low, e->has_version, (unsigned long long)e->vmin,
			     (unsigned long long)e->vmax) < 0)
			k = NULL;
		free(low);
		return signers_key(e, k);
	}
	char hex[65];
	lg_hex(e->hash, e->hash_len, hex);
	if (asprintf(&k, "%d:%s", (int)e->kind, hex) < 0)
		k = NULL;
	return k;
}

/* An id the loader accepts ([A-Za-z0-9._-], at most 64 with the path
 * suffix), unique in the list. */
static int make_id(struct ictx *x, const char *want, char **out)
{
	char base[48];
	size_t o = 0;
	for (const char *p = want; *p && o < 36; p++) {
		char c = *p;
		bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '.' || c == '_' || c == '-';
		base[o++] = okc ? c : '_';
	}
	if (!o)
		base[o++] = 'x';
	base[o] = 0;
	char cand[64];
	snprintf(cand, sizeof(cand), "%s", base);
	for (unsigned k = 2; json_object_get(x->ids, cand); k++)
		snprintf(cand, sizeof(cand), "%s-%u", base, k);
	if (json_object_set_new(x->ids, cand, json_true()) < 0)
		return -ENOMEM;
	*out = strdup(cand);
	return *out ? 0 : -ENOMEM;
}

/* Take e (its strings) into the list unless it repeats an earlier one. */
static int add_entry(struct ictx *x, struct entry *e, const char *want_id, const char *descr)
{
	int r = 0;
	char *key = entry_key(e);
	if (!key) {
		r = -ENOMEM;
		goto out;
	}
	if (json_object_get(x->seen, key)) {
		x->rep->skipped[LG_IMPORT_SKIP_DUPLICATE]++;
		goto out;
	}
	if (x->n >= x->max_entries) {
		lg_err_set(x->err, "more than %zu entries to import: with %zu path%s each, that is more rules than "
			   "a deny-list may hold (%u)", x->max_entries, x->o->n_paths ? x->o->n_paths : 2,
			   (x->o->n_paths ? x->o->n_paths : 2) == 1 ? "" : "s", LG_DENYLIST_MAX_RULES);
		r = -E2BIG;
		goto out;
	}
	if (json_object_set_new(x->seen, key, json_true()) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 64;
		struct entry *ne = realloc(x->e, nc * sizeof(*ne));
		if (!ne) {
			r = -ENOMEM;
			goto out;
		}
		x->e = ne;
		x->cap = nc;
	}
	char d[1000];
	clean(descr, d, sizeof(d));
	e->description = strdup(d);
	if (!e->description || (r = make_id(x, want_id, &e->id)) < 0) {
		r = r < 0 ? r : -ENOMEM;
		goto out;
	}
	x->e[x->n++] = *e;
	memset(e, 0, sizeof(*e));
	x->rep->imported++;
	if (x->e[x->n - 1].kind == K_AUTH256 || x->e[x->n - 1].kind == K_AUTH1)
		x->rep->by_authentihash++;
	else if (x->e[x->n - 1].kind == K_SHA256)
		x->rep->by_sha256++;
	else if (x->e[x->n - 1].kind == K_SIGNER)
		x->rep->by_signer++;
	else {
		x->rep->by_name++;
		if (x->e[x->n - 1].n_signers)
			x->rep->name_with_signer++;
	}
out:
	free(key);
	entry_free(e);
	memset(e, 0, sizeof(*e));
	return r;
}

/* ---------------------------------------------------------------- LOLDrivers */

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int lol_sample(struct ictx *x, json_t *s, const char *drv_id, const char *category, size_t di,
		      size_t si)
{
	char where[256], shown[80], uid[40];
	clean(drv_id ? drv_id : "", uid, sizeof(uid));
	const char *fname = jstr(s, "Filename");
	const char *ofn = jstr(s, "OriginalFilename");
	clean(fname && *fname ? fname : ofn, shown, sizeof(shown));
	snprintf(where, sizeof(where), "drivers[%zu] %s sample %zu (%s)", di, uid[0] ? uid : "(no Id)", si + 1,
		 shown[0] ? shown : "no file name");
	if (!json_is_object(s)) {
		x->rep->skipped[LG_IMPORT_SKIP_UNSUPPORTED]++;
		return note(x, "%s: not an object: skipped", where);
	}

	char idwant[64], descr[600], company[120], cat[60];
	/* The first 8 characters of the entry's UUID identify it on
	 * loldrivers.io; the sample number tells its samples apart. */
	char short_id[9];
	size_t k = 0;
	for (const char *p = uid; *p && k < 8; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))
			short_id[k++] = *p;
	short_id[k] = 0;
	if (k == 8)
		snprintf(idwant, sizeof(idwant), "lol-%s-%zu", short_id, si + 1);
	else
		snprintf(idwant, sizeof(idwant), "lol-d%zu-%zu", di, si + 1);
	clean(jstr(s, "Company"), company, sizeof(company));
	clean(category && *category ? category : "driver", cat, sizeof(cat));

	struct entry e = { 0 };
	bool bad_hash = false;
	json_t *ah = json_object_get(s, "Authentihash");
	const char *fields[2] = { jstr(ah, "SHA256"), jstr(s, "SHA256") };
	const char *fnames[2] = { "Authentihash.SHA256", "SHA256" };
	for (int f = 0; f < 2; f++) {
		int q = get_hex(fields[f], 32, e.hash, &e.hash_len);
		if (q > 0) {
			e.kind = f == 0 ? K_AUTH256 : K_SHA256;
			if (bad_hash)
				x->rep->fallbacks++;
			snprintf(descr, sizeof(descr), "LOLDrivers %s %s%s%s%s: %s, entry %s", cat,
				 shown[0] ? shown : "(unnamed)", company[0] ? " (" : "", company, company[0] ? ")" : "",
				 kind_text(e.kind), uid[0] ? uid : "(no Id)");
			return add_entry(x, &e, idwant, descr);
		}
		if (q < 0) {
			char val[72];
			clean(fields[f], val, sizeof(val));
			bad_hash = true;
			int r = note(x, "%s: %s \"%s\" is not 64 hex digits%s", where, fnames[f], val,
				     f == 0 ? ": trying the next field" : "");
			if (r < 0)
				return r;
		}
	}

	/* No usable hash: the original file name with its version. */
	const char *why = NULL;
	const char *fv = jstr(s, "FileVersion");
	if (ofn && *ofn) {
		e.name = get_name(ofn, &why);
		if (!e.name) {
			if (!strcmp(why, "out of memory"))
				return -ENOMEM;
			x->rep->skipped[LG_IMPORT_SKIP_NAME]++;
			return note(x, "%s: OriginalFilename is %s: skipped", where, why);
		}
		uint64_t v;
		if (!fv || lg_file_version_parse_loose(fv, &v) < 0) {
			char val[72];
			clean(fv ? fv : "", val, sizeof(val));
			free(e.name);
			x->rep->skipped[LG_IMPORT_SKIP_VERSION]++;
			return note(x, "%s: OriginalFilename without a usable FileVersion (\"%s\" is not four "
				    "numbers): skipped, a name alone would match every version", where, val);
		}
		e.kind = K_NAME;
		e.has_version = true;
		e.vmin = e.vmax = v;
		if (bad_hash)
			x->rep->fallbacks++;
		char vs[LG_FILE_VERSION_LEN], nm[80];
		lg_file_version_format(v, vs);
		clean(e.name, nm, sizeof(nm));
		snprintf(descr, sizeof(descr), "LOLDrivers %s %s%s%s%s: %s %s, entry %s", cat, nm,
			 company[0] ? " (" : "", company, company[0] ? ")" : "", kind_text(e.kind), vs,
			 uid[0] ? uid : "(no Id)");
		return add_entry(x, &e, idwant, descr);
	}
	if (bad_hash) {
		x->rep->skipped[LG_IMPORT_SKIP_HASH]++;
		return note(x, "%s: no well-formed hash and no OriginalFilename: skipped", where);
	}
	x->rep->skipped[LG_IMPORT_SKIP_NOTHING]++;
	return note(x, "%s: no Authentihash.SHA256, SHA256 or OriginalFilename: skipped", where);
}

static int import_loldrivers(struct ictx *x, const char *buf, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, 0, &je);
	if (!root) {
		lg_err_set(x->err, "line %d, column %d: not valid JSON: %s", je.line, je.column, je.text);
		return -EINVAL;
	}
	int r = 0;
	if (!json_is_array(root)) {
		lg_err_set(x->err, "expected the LOLDrivers drivers.json list (a JSON array of drivers), "
			   "got another JSON value");
		r = -EINVAL;
		goto out;
	}
	size_t di;
	json_t *d;
	json_array_foreach(root, di, d) {
		x->rep->entries++;
		json_t *samples = json_is_object(d) ? json_object_get(d, "KnownVulnerableSamples") : NULL;
		if (!json_is_array(samples)) {
			char uid[40];
			clean(jstr(d, "Id"), uid, sizeof(uid));
			x->rep->skipped[LG_IMPORT_SKIP_UNSUPPORTED]++;
			r = note(x, "drivers[%zu] %s: no KnownVulnerableSamples list: skipped", di,
				 uid[0] ? uid : "(no Id)");
			if (r < 0)
				goto out;
			continue;
		}
		size_t si;
		json_t *s;
		json_array_foreach(samples, si, s) {
			x->rep->samples++;
			r = lol_sample(x, s, jstr(d, "Id"), jstr(d, "Category"), di, si);
			if (r < 0)
				goto out;
		}
	}
out:
	json_decref(root);
	return r;
}

/* ---------------------------------------------------------------- SiPolicy */

#define SIPOLICY_NS "urn:schemas-microsoft-com:sipolicy"

static bool is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, SIPOLICY_NS) && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is_el(c, name))
			return c;
	return NULL;
}

/* An attribute's value, as a malloc'd copy (NULL when absent). */
static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Does s end with suffix, ignoring ASCII case? */
static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !strncasecmp(s + n - k, suffix, k);
}

/* Attributes of a file rule lastgood has no condition for, and the kind
 * of skip each counts as. */
static const struct {
	const char *attr;
	enum lg_import_skip why;
} unsupported_attrs[] = {
	{ "FilePath", LG_IMPORT_SKIP_FILE_PATH },
	{ "PackageFamilyName", LG_IMPORT_SKIP_PACKAGE },
	{ "PackageVersion", LG_IMPORT_SKIP_PACKAGE },
	{ "InternalName", LG_IMPORT_SKIP_OTHER_ATTR },
	{ "FileDescription", LG_IMPORT_SKIP_OTHER_ATTR },
	{ "ProductName", LG_IMPORT_SKIP_OTHER_ATTR },
	{ "AppIDs", LG_IMPORT_SKIP_OTHER_ATTR },
};

/* The signer conditions a FileAttrib is bound to (signer_of[ID], an array
 * of {"tbs", "publisher"}), copied into e. */
static int take_signers(json_t *arr, struct entry *e)
{
	size_t n = json_array_size(arr);
	e->signers = calloc(n ? n : 1, sizeof(*e->signers));
	if (!e->signers)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		const char *tbs = json_string_value(json_object_get(o, "tbs"));
		const char *pub = json_string_value(json_object_get(o, "publisher"));
		struct lg_signer_cond *c = &e->signers[e->n_signers++];
		c->tbs_len = (unsigned)(strlen(tbs) / 2);
		if (lg_unhex(tbs, c->tbs, c->tbs_len) < 0)
			return -EINVAL;
		if (pub && !(c->publisher = strdup(pub)))
			return -ENOMEM;
	}
	return 0;
}

/* A rule with a Hash attribute: an Authenticode hash, or a page hash
 * (skipped). Takes e: added, or freed when skipped. */
static int si_hash_rule(struct ictx *x, struct entry *e, const char *hash, const char *friendly,
			const char *where, const char *sid, const char *sfr)
{
	int q = get_hex(hash, 0, e->hash, &e->hash_len);
	size_t fl = friendly ? strlen(friendly) : 0;
	const char *fr = friendly ? friendly : "";
	trim(&fr, &fl);
	if (ends_with(fr, fl, "Hash Page Sha1") || ends_with(fr, fl, "Hash Page Sha256")) {
		/* The hash of the first 4 KiB page, for HVCI's per-page
		 * checks: it says nothing about the file as a whole. */
		entry_free(e);
		x->rep->skipped[LG_IMPORT_SKIP_PAGE_HASH]++;
		return 0;
	}
	char val[72];
	clean(hash, val, sizeof(val));
	if (q <= 0) {
		entry_free(e);
		x->rep->skipped[LG_IMPORT_SKIP_HASH]++;
		return note(x, "%s: Hash \"%s\" is not 40 or 64 hex digits: skipped", where, val);
	}
	bool say1 = ends_with(fr, fl, "Hash Sha1"), say256 = ends_with(fr, fl, "Hash Sha256");
	if ((say1 && e->hash_len != 20) || (say256 && e->hash_len != 32)) {
		entry_free(e);
		x->rep->skipped[LG_IMPORT_SKIP_HASH]++;
		return note(x, "%s: Hash has %zu hex digits, not what \"%s\" says: skipped", where,
			    2 * e->hash_len, say1 ? "Hash Sha1" : "Hash Sha256");
	}
	if (!say1 && !say256) {
		/* No suffix: WDAC compares the value with the file's
		 * Authenticode hash of that length; a page hash taken
		 * for one can only fail to match, never match wrongly. */
		int r = note(x, "%s: no \"Hash Sha1\"/\"Hash Sha256\" suffix: taken as an Authenticode "
			     "SHA-%s by its length", where, e->hash_len == 20 ? "1" : "256");
		if (r < 0) {
			entry_free(e);
			return r;
		}
	}
	e->kind = e->hash_len == 20 ? K_AUTH1 : K_AUTH256;
	char descr[600];
	snprintf(descr, sizeof(descr), "SiPolicy %s %s: %s", sid, sfr, kind_text(e->kind));
	return add_entry(x, e, sid, descr);
}

static int si_file_rule(struct ictx *x, const xmlNode *n, json_t *signer_of)
{
	_cleanup_free_ char *id = attr(n, "ID"), *friendly = attr(n, "FriendlyName"), *hash = attr(n, "Hash"),
			    *fname = attr(n, "FileName"), *minv = attr(n, "MinimumFileVersion"),
			    *maxv = attr(n, "MaximumFileVersion");
	char sid[80], sfr[200], where[300];
	clean(id ? id : "(no ID)", sid, sizeof(sid));
	clean(friendly, sfr, sizeof(sfr));
	snprintf(where, sizeof(where), "%s %s%s%s", (const char *)n->name, sid, sfr[0] ? " \"" : "",
		 sfr[0] ? sfr : "");
	if (sfr[0])
		strncat(where, "\"", sizeof(where) - strlen(where) - 1);
	char descr[600];
	struct entry e = { 0 };

	/* signer_of maps a FileAttrib's ID to the denied signers lastgood
	 * can check ("ok": [...]), and names the first it cannot ("bad")
	 * and the first signer that allows rather than denies ("allowed"). */
	json_t *sg = id && is_el(n, "FileAttrib") ? json_object_get(signer_of, id) : NULL;
	json_t *sg_ok = json_object_get(sg, "ok"), *sg_bad = json_object_get(sg, "bad"),
	       *sg_allowed = json_object_get(sg, "allowed");
	if (sg && !json_array_size(sg_ok)) {
		char sn[300];
		clean(json_string_value(sg_bad ? sg_bad : sg_allowed), sn, sizeof(sn));
		x->rep->skipped[LG_IMPORT_SKIP_SIGNER]++;
		return note(x, "%s: holds only for files signed by %s: skipped", where, sn);
	}
	if (json_array_size(sg_ok)) {
		int r = take_signers(sg_ok, &e);
		if (r == 0 && sg_bad) {
			char sn[300];
			clean(json_string_value(sg_bad), sn, sizeof(sn));
			r = note(x, "%s: imported with the signers lastgood can check; not with %s", where, sn);
		}
		if (r < 0) {
			entry_free(&e);
			return r;
		}
	}

	if (hash)
		return si_hash_rule(x, &e, hash, friendly, where, sid, sfr);

	for (size_t a = 0; a < ARRAY_SIZE(unsupported_attrs); a++)
		if (xmlHasProp(n, (const xmlChar *)unsupported_attrs[a].attr)) {
			entry_free(&e);
			x->rep->skipped[unsupported_attrs[a].why]++;
			return note(x, "%s: a %s rule, which lastgood cannot match: skipped", where,
				    unsupported_attrs[a].attr);
		}
	if (!fname) {
		entry_free(&e);
		x->rep->skipped[LG_IMPORT_SKIP_NOTHING]++;
		return note(x, "%s: neither Hash nor FileName: skipped", where);
	}
	const char *why = NULL;
	e.name = get_name(fname, &why);
	if (!e.name) {
		entry_free(&e);
		if (!strcmp(why, "out of memory"))
			return -ENOMEM;
		x->rep->skipped[LG_IMPORT_SKIP_NAME]++;
		return note(x, "%s: FileName is %s: skipped", where, why);
	}
	e.kind = K_NAME;
	e.vmin = 0;
	e.vmax = LG_FILE_VERSION(65535, 65535, 65535, 65535);
	const char *vtext[2] = { minv, maxv };
	uint64_t *vout[2] = { &e.vmin, &e.vmax };
	for (int k = 0; k < 2; k++) {
		if (!vtext[k])
			continue;
		const char *s = vtext[k];
		size_t sl = strlen(s);
		trim(&s, &sl);
		char tmp[32] = "";
		if (sl < sizeof(tmp)) {
			memcpy(tmp, s, sl);
			tmp[sl] = 0;
		}
		if (sl >= sizeof(tmp) || lg_file_version_parse(tmp, vout[k]) < 0) {
			char val[72];
			clean(vtext[k], val, sizeof(val));
			entry_free(&e);
			x->rep->skipped[LG_IMPORT_SKIP_VERSION]++;
			return note(x, "%s: %s \"%s\" is not a version a.b.c.d: skipped", where,
				    k ? "MaximumFileVersion" : "MinimumFileVersion", val);
		}
	}
	if (e.vmin > e.vmax) {
		entry_free(&e);
		x->rep->skipped[LG_IMPORT_SKIP_VERSION]++;
		return note(x, "%s: MinimumFileVersion is above MaximumFileVersion: skipped", where);
	}
	/* The whole range says "any version": no version condition then
	 * (a file without a version resource still has the name). */
	e.has_version = !(e.vmin == 0 && e.vmax == LG_FILE_VERSION(65535, 65535, 65535, 65535));
	char nm[80], a[LG_FILE_VERSION_LEN], b[LG_FILE_VERSION_LEN];
	clean(e.name, nm, sizeof(nm));
	lg_file_version_format(e.vmin, a);
	lg_file_version_format(e.vmax, b);
	if (e.has_version)
		snprintf(descr, sizeof(descr), "SiPolicy %s %s: %s %s, versions %s to %s%s", sid, sfr,
			 kind_text(e.kind), nm, a, b, e.n_signers ? ", signed by a denied signer" : "");
	else
		snprintf(descr, sizeof(descr), "SiPolicy %s %s: %s %s, any version%s", sid, sfr, "original file name",
			 nm, e.n_signers ? ", signed by a denied signer" : "");
	if (!strcmp((const char *)n->name, "FileAttrib") && !e.n_signers) {
		int r = note(x, "%s: a FileAttrib no signer refers to: imported as a file name rule", where);
		if (r < 0) {
			entry_free(&e);
			return r;
		}
	}
	return add_entry(x, &e, sid, descr);
}

/* What lastgood can check of one <Signer>: a CertRoot of Type "TBS"
 * (a hex TBS hash) and an optional CertPublisher; nothing else. Fills
 * tbs/publisher (publisher may stay NULL) or says why not in why. */
static int si_signer_cond(const xmlNode *s, char **tbs, char **publisher, const char **why)
{
	*tbs = *publisher = NULL;
	*why = NULL;
	const xmlNode *root = child(s, "CertRoot");
	_cleanup_free_ char *type = root ? attr(root, "Type") : NULL, *val = root ? attr(root, "Value") : NULL;
	if (!root || !type || !val) {
		*why = "has no CertRoot";
		return 0;
	}
	if (strcasecmp(type, "TBS")) {
		*why = "has a CertRoot of a well-known Microsoft root, not a TBS hash";
		return 0;
	}
	unsigned char buf[LG_SIGNER_TBS_MAX];
	size_t vl = strlen(val);
	if ((vl != 40 && vl != 64 && vl != 96 && vl != 128) || lg_unhex(val, buf, vl / 2) < 0) {
		*why = "has a CertRoot TBS value that is not a SHA-1, SHA-256, SHA-384 or SHA-512 in hex";
		return 0;
	}
	static const char *const other[] = { "CertOemID", "CertIssuer", "CertEKU", NULL };
	for (const char *const *o = other; *o; o++)
		if (child(s, *o)) {
			*why = !strcmp(*o, "CertOemID") ? "has a CertOemID condition, which lastgood cannot check"
			       : !strcmp(*o, "CertIssuer") ? "has a CertIssuer condition, which lastgood cannot check"
							    : "has a CertEKU condition, which lastgood cannot check";
			return 0;
		}
	const xmlNode *pn = child(s, "CertPublisher");
	if (pn) {
		_cleanup_free_ char *pv = attr(pn, "Value");
		const char *pw = NULL;
		char *name = pv ? get_name(pv, &pw) : NULL;
		if (!name) {
			if (pw && !strcmp(pw, "out of memory"))
				return -ENOMEM;
			*why = "has a CertPublisher that is not usable text";
			return 0;
		}
		*publisher = name;
	}
	for (char *p = val; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	*tbs = TAKE_PTR(val);
	return 0;
}

/* Add text under key in signer_of[rid] (an object), keeping the first. */
static int bind_note(json_t *signer_of, const char *rid, const char *key, const char *text)
{
	json_t *o = json_object_get(signer_of, rid);
	if (!o) {
		o = json_object();
		if (!o || json_object_set_new(signer_of, rid, o) < 0)
			return -ENOMEM;
	}
	if (json_object_get(o, key))
		return 0;
	return json_object_set_new(o, key, json_string(text)) < 0 ? -ENOMEM : 0;
}

static int bind_ok(json_t *signer_of, const char *rid, const char *tbs, const char *publisher)
{
	json_t *o = json_object_get(signer_of, rid);
	if (!o) {
		o = json_object();
		if (!o || json_object_set_new(signer_of, rid, o) < 0)
			return -ENOMEM;
	}
	json_t *a = json_object_get(o, "ok");
	if (!a) {
		a = json_array();
		if (!a || json_object_set_new(o, "ok", a) < 0)
			return -ENOMEM;
	}
	json_t *c = json_pack("{s:s, s:s?}", "tbs", tbs, "publisher", publisher);
	return !c || json_array_append_new(a, c) < 0 ? -ENOMEM : 0;
}

/* One denied signer without FileAttribRef: every file it signed. */
static int si_signer_only(struct ictx *x, const char *csid, const char *cname, const char *tbs,
			  const char *publisher)
{
	struct entry e = { .kind = K_SIGNER };
	e.signers = calloc(1, sizeof(*e.signers));
	if (!e.signers)
		return -ENOMEM;
	e.n_signers = 1;
	e.signers[0].tbs_len = (unsigned)(strlen(tbs) / 2);
	if (lg_unhex(tbs, e.signers[0].tbs, e.signers[0].tbs_len) < 0 ||
	    (publisher && !(e.signers[0].publisher = strdup(publisher)))) {
		entry_free(&e);
		return publisher ? -ENOMEM : -EINVAL;
	}
	char descr[600], pub[300] = "";
	if (publisher)
		clean(publisher, pub, sizeof(pub));
	snprintf(descr, sizeof(descr), "SiPolicy %s \"%s\": every file signed under this certificate%s%s%s", csid,
		 cname, pub[0] ? " (publisher \"" : "", pub, pub[0] ? "\")" : "");
	return add_entry(x, &e, csid, descr);
}

/* Signers: which FileAttrib rules hold only with a signer (signer_of maps
 * a rule ID to {"ok": [signer conditions], "bad": "why not", "allowed":
 * "signer"}), and denied signers without FileAttribRef, imported as
 * signer-only rules. A FileAttrib bound only to signers the policy allows
 * is no deny rule. */
static int si_signers(struct ictx *x, const xmlNode *root, json_t *signer_of)
{
	const xmlNode *signers = child(root, "Signers");
	json_t *denied = json_object();
	if (!denied)
		return -ENOMEM;
	int r = 0;
	/* DeniedSigner references, in any signing scenario. */
	const xmlNode *scen = child(root, "SigningScenarios");
	for (const xmlNode *s = scen ? scen->children : NULL; s; s = s->next) {
		if (!is_el(s, "SigningScenario"))
			continue;
		const xmlNode *ps = child(s, "ProductSigners");
		const xmlNode *ds = child(ps, "DeniedSigners");
		for (const xmlNode *d = ds ? ds->children : NULL; d; d = d->next) {
			if (!is_el(d, "DeniedSigner"))
				continue;
			_cleanup_free_ char *sid = attr(d, "SignerId");
			if (sid && json_object_set_new(denied, sid, json_true()) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	for (const xmlNode *s = signers ? signers->children : NULL; s && r == 0; s = s->next) {
		if (!is_el(s, "Signer"))
			continue;
		x->rep->entries++;
		_cleanup_free_ char *sid = attr(s, "ID"), *name = attr(s, "Name"), *tbs = NULL, *pub = NULL;
		char csid[80], cname[120], label[400];
		clean(sid ? sid : "(no ID)", csid, sizeof(csid));
		clean(name, cname, sizeof(cname));
		const char *why;
		if ((r = si_signer_cond(s, &tbs, &pub, &why)) < 0)
			goto out;
		bool is_denied = sid && json_object_get(denied, sid);
		if (!is_denied)
			snprintf(label, sizeof(label), "signer \"%s\" (%s), which no DeniedSigners list names", cname,
				 csid);
		else if (why)
			snprintf(label, sizeof(label), "signer \"%s\" (%s), which %s", cname, csid, why);
		else
			snprintf(label, sizeof(label), "signer \"%s\" (%s)", cname, csid);
		bool refs = false;
		for (const xmlNode *c = s->children; c && r == 0; c = c->next) {
			if (!is_el(c, "FileAttribRef"))
				continue;
			_cleanup_free_ char *rid = attr(c, "RuleID");
			refs = true;
			if (!rid)
				continue;
			r = !is_denied ? bind_note(signer_of, rid, "allowed", label)
			    : why ? bind_note(signer_of, rid, "bad", label) : bind_ok(signer_of, rid, tbs, pub);
		}
		if (r < 0 || refs || !is_denied)
			continue;
		/* Denied as a whole: every file signed by that certificate. */
		x->rep->samples++;
		if (why) {
			x->rep->skipped[LG_IMPORT_SKIP_SIGNER]++;
			r = note(x, "Signer %s \"%s\": denies every file signed by that certificate, but %s: skipped",
				 csid, cname, why);
		} else
			r = si_signer_only(x, csid, cname, tbs, pub);
	}
out:
	json_decref(denied);
	return r;
}

/* A document type declaration could define entities (expansion bombs,
 * external files): SiPolicy files never have one, so it is refused. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr c = ctx;
	*(bool *)c->_private = true;
	xmlStopParser(c);
}

static int import_sipolicy(struct ictx *x, const char *buf, size_t len)
{
	xmlInitParser();
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	bool dtd = false;
	ctxt->_private = &dtd;
	ctxt->sax->internalSubset = refuse_dtd;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "SiPolicy.xml", NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	int r = 0;
	json_t *signer_of = NULL;
	if (dtd) {
		lg_err_set(x->err, "the XML has a document type declaration (<!DOCTYPE>): refused, a SiPolicy "
			   "file has none");
		r = -EINVAL;
		goto out;
	}
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[200];
		clean(e && e->message ? e->message : "unreadable", msg, sizeof(msg));
		size_t ml = strlen(msg);
		while (ml && (msg[ml - 1] == '?' || msg[ml - 1] == ' '))
			msg[--ml] = 0; /* the newline libxml2 ends with */
		lg_err_set(x->err, "line %d: not well-formed XML: %s", e ? e->line : 0, msg);
		r = -EINVAL;
		goto out;
	}
	const xmlNode *root = xmlDocGetRootElement(doc);
	if (!root || !is_el(root, "SiPolicy")) {
		lg_err_set(x->err, "the root element is not <SiPolicy xmlns=\"" SIPOLICY_NS "\">: not a WDAC policy");
		r = -EINVAL;
		goto out;
	}
	signer_of = json_object();
	if (!signer_of) {
		r = -ENOMEM;
		goto out;
	}
	r = si_signers(x, root, signer_of);
	if (r < 0)
		goto out;
	const xmlNode *rules = child(root, "FileRules");
	for (const xmlNode *n = rules ? rules->children : NULL; n && r == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		x->rep->entries++;
		if (is_el(n, "Allow")) {
			x->rep->ignored_allow++;
			continue;
		}
		x->rep->samples++;
		if (is_el(n, "Deny") || is_el(n, "FileAttrib")) {
			r = si_file_rule(x, n, signer_of);
		} else {
			char nm[64];
			clean((const char *)n->name, nm, sizeof(nm));
			x->rep->skipped[LG_IMPORT_SKIP_UNSUPPORTED]++;
			r = note(x, "FileRules element <%s>: not a rule lastgood knows: skipped", nm);
		}
	}
out:
	json_decref(signer_of);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return r;
}

/* ---------------------------------------------------------------- output */

static json_t *entry_rule(const struct ictx *x, const struct entry *e, const char *path, const char *tag)
{
	char id[80], hex[65];
	snprintf(id, sizeof(id), "%s.%s", e->id, tag);
	json_t *r = json_object();
	if (!r)
		return NULL;
	int q = 0;
	q |= json_object_set_new(r, "id", json_string(id));
	q |= json_object_set_new(r, "description", json_string(e->description));
	q |= json_object_set_new(r, "path", json_string(path));
	if (e->kind == K_SIGNER) {
		/* the signer condition alone, below */
	} else if (e->kind != K_NAME) {
		lg_hex(e->hash, e->hash_len, hex);
		const char *field = e->kind == K_AUTH256 ? "authentihash_sha256"
				    : e->kind == K_AUTH1 ? "authentihash_sha1" : "sha256";
		json_t *l = json_array();
		q |= json_array_append_new(l, json_string(hex));
		q |= json_object_set_new(r, field, l);
	} else {
		q |= json_object_set_new(r, "original_filename", json_string(e->name));
		if (e->has_version) {
			char a[LG_FILE_VERSION_LEN], b[LG_FILE_VERSION_LEN];
			lg_file_version_format(e->vmin, a);
			lg_file_version_format(e->vmax, b);
			if (e->vmin == e->vmax)
				q |= json_object_set_new(r, "file_version", json_string(a));
			else
				q |= json_object_set_new(r, "file_version", json_pack("{s:s, s:s}", "min", a, "max", b));
		}
	}
	if (e->n_signers) {
		json_t *l = json_array();
		for (size_t i = 0; l && i < e->n_signers; i++) {
			char th[2 * LG_SIGNER_TBS_MAX + 1];
			lg_hex(e->signers[i].tbs, e->signers[i].tbs_len, th);
			json_t *c = json_pack("{s:s}", "tbs", th);
			if (c && e->signers[i].publisher)
				q |= json_object_set_new(c, "publisher", json_string(e->signers[i].publisher));
			q |= json_array_append_new(l, c);
		}
		q |= json_object_set_new(r, "signer", l);
	}
	q |= json_object_set_new(r, "action",
				 json_string(x->o->action == LG_ACTION_QUARANTINE ? "quarantine" : "report"));
	if (q) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static int write_list(struct ictx *x, char **out, size_t *out_len)
{
	const struct lg_import_opts *o = x->o;
	int64_t expires = o->expires ? o->expires : o->issued + (int64_t)LG_IMPORT_DEFAULT_DAYS * 86400;
	if (expires <= o->issued) {
		lg_err_set(x->err, "the expiry must be later than the issue time");
		return -EINVAL;
	}
	char iss[LG_RFC3339_LEN], exp[LG_RFC3339_LEN], pub[257], src[100];
	lg_rfc3339_format(o->issued, iss);
	lg_rfc3339_format(expires, exp);
	clean(o->source ? o->source : "", src, sizeof(src));
	if (o->publisher)
		clean(o->publisher, pub, sizeof(pub));
	else
		snprintf(pub, sizeof(pub), "imported from %s%s%s%s by lastgood denylist import",
			 o->from == LG_IMPORT_LOLDRIVERS ? "LOLDrivers" : "a WDAC SiPolicy", src[0] ? " (" : "", src,
			 src[0] ? ")" : "");
	json_t *doc = json_pack("{s:i, s:I, s:s, s:s, s:s}", "schema", 1, "serial",
				(json_int_t)(o->serial >= 0 ? o->serial : o->issued), "issued", iss, "expires", exp,
				"publisher", pub);
	json_t *rules = json_array();
	if (!doc || !rules || json_object_set_new(doc, "rules", rules) < 0) {
		json_decref(doc);
		return -ENOMEM;
	}
	size_t np = o->n_paths ? o->n_paths : ARRAY_SIZE(default_paths);
	for (size_t i = 0; i < x->n; i++)
		for (size_t p = 0; p < np; p++) {
			char tag[24];
			if (o->n_paths)
				snprintf(tag, sizeof(tag), "p%zu", p + 1);
			json_t *r = entry_rule(x, &x->e[i], o->n_paths ? o->paths[p] : default_paths[p],
					       o->n_paths ? tag : default_tags[p]);
			if (!r || json_array_append_new(rules, r) < 0) {
				json_decref(doc);
				return -ENOMEM;
			}
		}
	x->rep->rules = json_array_size(rules);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	if (n + 1 > LG_DENYLIST_MAX_BYTES) {
		free(text);
		lg_err_set(x->err, "the list would be %zu bytes, over the 16 MiB deny-list limit: import fewer "
			   "entries or give fewer --path", n + 1);
		return -EFBIG;
	}
	/* Newline-terminated, as people write files. */
	char *t2 = realloc(text, n + 2);
	if (!t2) {
		free(text);
		return -ENOMEM;
	}
	t2[n] = '\n';
	t2[n + 1] = 0;
	*out = t2;
	*out_len = n + 1;
	return 0;
}

/* ---------------------------------------------------------------- entry point */

/* A path glob the caller gave, checked by the loader itself (one
 * report-only rule), so that a typo is named before the import runs. */
static int check_path(const char *path, struct lg_err *err)
{
	json_t *doc = json_pack("{s:i, s:i, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "schema", 1, "serial", 0,
				"issued", "2000-01-01T00:00:00Z", "expires", "2000-01-02T00:00:00Z", "publisher",
				"path check", "rules", "id", "p", "path", path, "action", "report");
	char *text = doc ? json_dumps(doc, 0) : NULL;
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	struct lg_denylist *dl = NULL;
	struct lg_err perr = { "" };
	int r = lg_denylist_parse(text, strlen(text), &dl, &perr);
	lg_denylist_free(dl);
	free(text);
	if (r < 0 && r != -ENOMEM) {
		/* The loader's message locates the field; only its reason matters here. */
		const char *why = strstr(perr.msg, "path: ");
		char shown[120];
		clean(path, shown, sizeof(shown));
		lg_err_set(err, "path \"%s\": %s", shown, why ? why + 6 : perr.msg);
	}
	return r;
}

int lg_import(const char *buf, size_t len, const struct lg_import_opts *o, char **out, size_t *out_len,
	      struct lg_import_report *rep, struct lg_err *err)
{
	*out = NULL;
	*out_len = 0;
	memset(rep, 0, sizeof(*rep));
	if (len > LG_IMPORT_MAX_INPUT) {
		lg_err_set(err, "the input is larger than %u MiB", LG_IMPORT_MAX_INPUT >> 20);
		return -EFBIG;
	}
	if (o->n_paths > LG_IMPORT_MAX_PATHS) {
		lg_err_set(err, "at most %u paths", LG_IMPORT_MAX_PATHS);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->n_paths; i++) {
		int q = check_path(o->paths[i], err);
		if (q < 0)
			return q;
	}
	struct ictx x = { .o = o, .rep = rep, .err = err };
	size_t np = o->n_paths ? o->n_paths : ARRAY_SIZE(default_paths);
	x.max_entries = LG_DENYLIST_MAX_RULES / np;
	x.seen = json_object();
	x.ids = json_object();
	int r = (!x.seen || !x.ids) ? -ENOMEM : 0;
	if (r == 0)
		r = o->from == LG_IMPORT_LOLDRIVERS ? import_loldrivers(&x, buf, len)
		    : o->from == LG_IMPORT_SIPOLICY ? import_sipolicy(&x, buf, len) : -EINVAL;
	char *text = NULL;
	size_t tlen = 0;
	if (r == 0)
		r = write_list(&x, &text, &tlen);
	if (r == 0) {
		/* What lastgood will load, checked now rather than on a
		 * crashed PC: paths given by the caller, text from the input. */
		struct lg_denylist *dl = NULL;
		struct lg_err perr = { "" };
		r = lg_denylist_parse(text, tlen, &dl, &perr);
		lg_denylist_free(dl);
		if (r < 0 && r != -ENOMEM)
			lg_err_set(err, "the list written does not load: %s", perr.msg);
	}
	for (size_t i = 0; i < x.n; i++)
		entry_free(&x.e[i]);
	free(x.e);
	json_decref(x.seen);
	json_decref(x.ids);
	if (r < 0) {
		free(text);
		return r;
	}
	*out = text;
	*out_len = tlen;
	return 0;
}
