// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel module loading from depmod's text indexes (see modload.h).
 */
#include "boot/modload.h"

#include <ctype.h>

#include <fnmatch.h>
#include <limits.h>
#include <lzma.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

/* The indexes of the image hold about 1,900 aliases and 100 modules; a
 * distribution's whole tree 30,000 aliases and 6,000 modules. */
#define INDEX_MAX (64u << 20)
/* The largest module of a Debian kernel is under 16 MB uncompressed. */
#define IMAGE_MAX (64u << 20)

struct mod {
	char *name;		/* normalized: '-' read as '_' */
	char *path;		/* relative to the module directory */
	size_t *deps;		/* indexes into mods, as modules.dep lists them */
	size_t n_deps;
	char *pre, *post;	/* soft dependencies: names, space-separated */
	char *dep_list;		/* parse_dep only: into modules.dep's text, not owned */
	bool tried;
	int result;
};

struct alias {
	char *pattern;
	size_t fixed;		/* characters before the first wildcard */
	size_t mod;
};

/* A growable array of malloc'ed strings. */
struct strv {
	char **v;
	size_t n, cap;
};

struct lg_modload {
	char *dir;
	struct mod *mods;	/* sorted by name */
	size_t n_mods;
	struct alias *aliases;
	size_t n_aliases;
	struct strv builtin;	/* names, sorted */
	struct lg_modload_ops ops;
	/* what lg_modload_name tried, in order (names, results) */
	size_t *tried;
	size_t n_tried, cap_tried;
	struct strv missing;	/* names reported as not found */
	struct strv seen;	/* modaliases looked up (lg_modload_alias_once) */
};

/* Appends s (taken: freed on failure; NULL is out of memory). */
static int strv_push(struct strv *sv, char *s)
{
	if (!s)
		return -ENOMEM;
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 64;
		char **v = realloc(sv->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return 0;
}

/* Adds a copy of s unless it is there (a linear search: a few hundred at
 * most): 1 when added, 0 when there, -ENOMEM. */
static int strv_add_new(struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 0;
	int r = strv_push(sv, strdup(s));
	return r < 0 ? r : 1;
}

static void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

/* kmod's rule: '-' and '_' are the same in module names and aliases
 * (depmod writes its alias index so), except inside a [...] class. */
static void normalize(char *s)
{
	bool in_class = false;
	for (; *s; s++) {
		if (*s == '[')
			in_class = true;
		else if (*s == ']')
			in_class = false;
		else if (*s == '-' && !in_class)
			*s = '_';
	}
}

/* "kernel/fs/fat/vfat.ko.xz" -> "vfat" (normalized), malloc'ed. */
static char *name_of_path(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	const char *dot = strstr(b, ".ko");
	char *n = strndup(b, dot ? (size_t)(dot - b) : strlen(b));
	if (n)
		normalize(n);
	return n;
}

static int cmp_mod(const void *a, const void *b)
{
	return strcmp(((const struct mod *)a)->name, ((const struct mod *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct mod *find_mod(const struct lg_modload *m, const char *name)
{
	if (!m->n_mods)
		return NULL;
	struct mod key = { .name = (char *)name };
	return bsearch(&key, m->mods, m->n_mods, sizeof(key), cmp_mod);
}

static bool is_builtin(const struct lg_modload *m, const char *name)
{
	return m->builtin.n && bsearch(&name, m->builtin.v, m->builtin.n, sizeof(char *), cmp_str);
}

/* The lines of dir/file, NUL-terminated in place; *buf to free. A missing
 * file is no lines when optional. */
static int read_lines(const char *dir, const char *file, bool optional, char **buf, size_t *len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int r = lg_read_file(path, INDEX_MAX, buf, len);
	if (r == -ENOENT && optional) {
		*buf = NULL;
		*len = 0;
		return 0;
	}
	return r;
}

/* Next line of buf (modified in place), or NULL at the end. */
static char *next_line(char **cursor, char *end)
{
	char *s = *cursor;
	if (!s || s >= end)
		return NULL;
	char *nl = memchr(s, '\n', (size_t)(end - s));
	if (nl) {
		*nl = 0;
		*cursor = nl + 1;
	} else {
		*cursor = end;
	}
	return s;
}

/* modules.dep: "path: dep-path dep-path ...". Two passes: the modules,
 * then (once sorted by name) their dependencies. */
static int parse_dep(struct lg_modload *m, char *buf, size_t len)
{
	char *end = buf + len, *cur = buf, *line;
	size_t cap = 0;
	while ((line = next_line(&cur, end))) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		if (m->n_mods == cap) {
			cap = cap ? cap * 2 : 128;
			struct mod *v = realloc(m->mods, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			m->mods = v;
		}
		struct mod *md = &m->mods[m->n_mods];
		memset(md, 0, sizeof(*md));
		md->path = strdup(line);
		md->name = name_of_path(line);
		md->dep_list = colon + 1;
		m->n_mods++;
		if (!md->path || !md->name)
			return -ENOMEM;
	}
	if (m->n_mods)
		qsort(m->mods, m->n_mods, sizeof(*m->mods), cmp_mod);
	for (size_t i = 0; i < m->n_mods; i++) {
		struct mod *md = &m->mods[i];
		char *save = NULL;
		for (char *t = strtok_r(md->dep_list, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
			_cleanup_free_ char *dn = name_of_path(t);
			if (!dn)
				return -ENOMEM;
			struct mod *dep = find_mod(m, dn);
			if (!dep)
				continue;	/* depmod lists only what is there */
			size_t *v = realloc(md->deps, (md->n_deps + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			md->deps = v;
			md->deps[md->n_deps++] = (size_t)(dep - m->mods);
		}
		md->dep_list = NULL;	/* the text is freed after parsing */
	}
	return 0;
}

/* modules.alias: "alias PATTERN NAME". */
static int parse_alias(struct lg_modload *m, char *buf, size_t len)
{
	char *end = buf + len, *cur = buf, *line;
	size_t cap = 0;
	while ((line = next_line(&cur, end))) {
		char *save = NULL;
		char *kw = strtok_r(line, " \t", &save);
		char *pat = kw ? strtok_r(NULL, " \t", &save) : NULL;
		char *name = pat ? strtok_r(NULL, " \t", &save) : NULL;
		if (!name || strcmp(kw, "alias"))
			continue;
		normalize(name);
		normalize(pat);
		struct mod *md = find_mod(m, name);
		if (!md)
			continue;
		if (m->n_aliases == cap) {
			cap = cap ? cap * 2 : 512;
			struct alias *v = realloc(m->aliases, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			m->aliases = v;
		}
		struct alias *a = &m->aliases[m->n_aliases];
		a->pattern = strdup(pat);
		if (!a->pattern)
			return -ENOMEM;
		a->fixed = strcspn(pat, "*?[");
		a->mod = (size_t)(md - m->mods);
		m->n_aliases++;
	}
	return 0;
}

/* modules.softdep: "softdep NAME pre: A B post: C". */
static int parse_softdep(struct lg_modload *m, char *buf, size_t len)
{
	char *end = buf + len, *cur = buf, *line;
	while ((line = next_line(&cur, end))) {
		char *save = NULL;
		char *kw = strtok_r(line, " \t", &save);
		char *name = kw ? strtok_r(NULL, " \t", &save) : NULL;
		if (!name || strcmp(kw, "softdep"))
			continue;
		normalize(name);
		struct mod *md = find_mod(m, name);
		if (!md)
			continue;
		char **into = NULL;
		for (char *t = strtok_r(NULL, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
			if (!strcmp(t, "pre:")) {
				into = &md->pre;
				continue;
			}
			if (!strcmp(t, "post:")) {
				into = &md->post;
				continue;
			}
			if (!into)
				continue;
			char *joined = NULL;
			if (asprintf(&joined, "%s%s%s", *into ? *into : "", *into ? " " : "", t) < 0)
				return -ENOMEM;
			free(*into);
			*into = joined;
		}
	}
	return 0;
}

/* modules.builtin: one path a line. */
static int parse_builtin(struct lg_modload *m, char *buf, size_t len)
{
	char *end = buf + len, *cur = buf, *line;
	while ((line = next_line(&cur, end)))
		if (*line && strv_push(&m->builtin, name_of_path(line)) < 0)
			return -ENOMEM;
	if (m->builtin.n)
		qsort(m->builtin.v, m->builtin.n, sizeof(char *), cmp_str);
	return 0;
}

static int default_insert(const char *name, const void *image, size_t len, void *ud)
{
	if (syscall(SYS_init_module, image, (unsigned long)len, "") == 0)
		return 0;
	return -errno;
}

static int default_loaded(const char *name, void *ud)
{
	char path[PATH_MAX];
	_cleanup_free_ char *state = NULL;
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	if (lg_read_file(path, 32, &state, NULL) < 0)
		return 0;
	/* "going": being removed; nothing here removes modules */
	return !strncmp(state, "live", 4) || !strncmp(state, "coming", 6);
}

static const struct {
	const char *file;
	bool optional;
	int (*parse)(struct lg_modload *, char *, size_t);
} indexes[] = {
	{ "modules.dep", false, parse_dep },	/* first: the others refer to it */
	{ "modules.alias", true, parse_alias },
	{ "modules.softdep", true, parse_softdep },
	{ "modules.builtin", true, parse_builtin },
};

int lg_modload_new(const char *dirname, struct lg_modload **out, struct lg_err *err)
{
	struct lg_modload *m = lg_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ops = (struct lg_modload_ops){ default_insert, default_loaded, NULL };
	if (dirname) {
		m->dir = strdup(dirname);
	} else {
		struct utsname u;
		if (uname(&u) == 0 && asprintf(&m->dir, "/lib/modules/%s", u.release) < 0)
			m->dir = NULL;
	}
	int r = m->dir ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(indexes); i++) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		r = read_lines(m->dir, indexes[i].file, indexes[i].optional, &buf, &len);
		if (r < 0) {
			lg_err_set(err, "cannot read %s/%s: %s", m->dir, indexes[i].file, strerror(-r));
			break;
		}
		if (buf)
			r = indexes[i].parse(m, buf, len);
		if (r < 0)
			lg_err_set(err, "%s/%s: %s", m->dir, indexes[i].file, strerror(-r));
	}
	if (r < 0) {
		if (!m->dir)
			lg_err_set(err, "out of memory");
		lg_modload_free(m);
		return r;
	}
	*out = m;
	return 0;
}

void lg_modload_free(struct lg_modload *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_mods; i++) {
		free(m->mods[i].name);
		free(m->mods[i].path);
		free(m->mods[i].deps);
		free(m->mods[i].pre);
		free(m->mods[i].post);
	}
	free(m->mods);
	for (size_t i = 0; i < m->n_aliases; i++)
		free(m->aliases[i].pattern);
	free(m->aliases);
	strv_free(&m->builtin);
	strv_free(&m->missing);
	strv_free(&m->seen);
	free(m->tried);
	free(m->dir);
	free(m);
}

void lg_modload_set_ops(struct lg_modload *m, const struct lg_modload_ops *ops)
{
	m->ops = *ops;
}

static int decompress_xz(const uint8_t *in, size_t in_len, size_t max, void **image, size_t *len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return -ENOMEM;
	size_t cap = 0, used = 0;
	uint8_t *out = NULL;
	lzma_ret lr = LZMA_OK;
	s.next_in = in;
	s.avail_in = in_len;
	while (lr == LZMA_OK) {
		if (used == cap) {
			if (cap == max) {
				lr = LZMA_MEMLIMIT_ERROR;	/* larger than max */
				break;
			}
			cap = cap ? cap * 2 : in_len * 4 + 4096;
			cap = cap < max ? cap : max;
			uint8_t *v = realloc(out, cap);
			if (!v) {
				lr = LZMA_MEM_ERROR;
				break;
			}
			out = v;
		}
		s.next_out = out + used;
		s.avail_out = cap - used;
		lr = lzma_code(&s, LZMA_FINISH);
		used = cap - s.avail_out;
	}
	lzma_end(&s);
	if (lr != LZMA_STREAM_END) {
		free(out);
		return lr == LZMA_MEM_ERROR ? -ENOMEM : lr == LZMA_MEMLIMIT_ERROR ? -EFBIG : -EBADMSG;
	}
	*image = out;
	*len = used;
	return 0;
}

int lg_modload_read_image(const char *path, size_t max, void **image, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	size_t plen = strlen(path);
	bool xz = plen > 3 && !strcmp(path + plen - 3, ".xz");
	int r = lg_read_file(path, max, &buf, &n);
	if (r < 0)
		return r;
	if (!xz) {
		*image = buf;
		*len = n;
		return 0;
	}
	r = decompress_xz((const uint8_t *)buf, n, max, image, len);
	free(buf);
	return r;
}

static int load_mod(struct lg_modload *m, struct mod *md, unsigned depth);

/* Whether s is one of the strings alias a's pattern stands for. */
static bool alias_matches(const struct alias *a, const char *s)
{
	return !strncmp(a->pattern, s, a->fixed) && !fnmatch(a->pattern, s, 0);
}

/* Soft dependencies: names or aliases (crc_t10dif's "pre: crct10dif" is
 * the alias of two modules), loaded when present; their failure is not
 * the module's. */
static void load_soft(struct lg_modload *m, const char *names, unsigned depth)
{
	if (!names)
		return;
	_cleanup_free_ char *copy = strdup(names);
	char *save = NULL;
	if (!copy)
		return;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		normalize(t);
		struct mod *sd = find_mod(m, t);
		if (sd) {
			load_mod(m, sd, depth + 1);
			continue;
		}
		for (size_t i = 0; i < m->n_aliases; i++)
			if (alias_matches(&m->aliases[i], t))
				load_mod(m, &m->mods[m->aliases[i].mod], depth + 1);
	}
}

/* A module after its dependencies (the last of modules.dep's list first:
 * depmod lists them so) and then its soft "pre" dependencies, then its
 * soft "post" ones: kmod's order. 1 when inserted now, 0 when in the
 * kernel already or inserted before, or a negative errno. */
static int load_mod(struct lg_modload *m, struct mod *md, unsigned depth)
{
	if (depth > 32)
		return -ELOOP;
	if (md->tried)
		return md->result;
	if (m->ops.loaded(md->name, m->ops.ud) > 0) {
		md->tried = true;
		md->result = 0;
		return 0;
	}
	md->tried = true;
	md->result = -EBUSY;	/* a cycle ends here */
	for (size_t i = md->n_deps; i-- > 0;) {
		int r = load_mod(m, &m->mods[md->deps[i]], depth + 1);
		if (r < 0) {
			md->result = r;
			return r;
		}
	}
	load_soft(m, md->pre, depth);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", m->dir, md->path);
	void *image = NULL;
	size_t len = 0;
	int r = lg_modload_read_image(path, IMAGE_MAX, &image, &len);
	if (r == 0) {
		r = m->ops.insert(md->name, image, len, m->ops.ud);
		free(image);
	}
	if (r == -EEXIST)
		r = 0;
	md->result = r;
	if (r < 0)
		return r;
	load_soft(m, md->post, depth);
	return 1;
}

static int note_tried(struct lg_modload *m, size_t mod)
{
	if (m->n_tried == m->cap_tried) {
		size_t cap = m->cap_tried ? m->cap_tried * 2 : 64;
		size_t *v = realloc(m->tried, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->tried = v;
		m->cap_tried = cap;
	}
	m->tried[m->n_tried++] = mod;
	return 0;
}

/* One module asked for by name or alias: loaded unless it was tried
 * before (as a dependency too) or is there already; reported. */
static int try_mod(struct lg_modload *m, struct mod *md, lg_mod_cb cb, void *ud)
{
	if (md->tried)
		return 0;
	int r = load_mod(m, md, 0);
	if (r == 0)
		return 0;	/* in the kernel already */
	note_tried(m, (size_t)(md - m->mods));
	if (cb)
		cb(md->name, md->result, ud);
	return r > 0;
}

int lg_modload_name(struct lg_modload *m, const char *name, lg_mod_cb cb, void *ud)
{
	_cleanup_free_ char *norm = strdup(name);
	if (!norm)
		return -ENOMEM;
	normalize(norm);
	if (is_builtin(m, norm))
		return 0;
	struct mod *md = find_mod(m, norm);
	if (md)
		return try_mod(m, md, cb, ud);
	int loaded = 0;
	bool matched = false;
	for (size_t i = 0; i < m->n_aliases; i++) {
		if (!alias_matches(&m->aliases[i], norm))
			continue;
		matched = true;
		loaded += try_mod(m, &m->mods[m->aliases[i].mod], cb, ud);
	}
	if (!matched && cb && strv_add_new(&m->missing, name) > 0)
		cb(name, -ENOENT, ud);
	return loaded > 0 ? 1 : 0;
}

int lg_modload_alias_once(struct lg_modload *m, const char *alias)
{
	int r = strv_add_new(&m->seen, alias);
	return r <= 0 ? r : lg_modload_name(m, alias, NULL, NULL);
}

int lg_modload_file(struct lg_modload *m, const char *path, lg_mod_cb cb, void *ud)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[256];
	int loaded = 0;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		if (sscanf(line, "%127s", name) != 1)
			continue;
		int r = lg_modload_name(m, name, cb, ud);
		if (r > 0)
			loaded += r;
	}
	return loaded;
}

size_t lg_modload_tried(const struct lg_modload *m)
{
	return m->n_tried;
}

const char *lg_modload_tried_name(const struct lg_modload *m, size_t i, int *result)
{
	if (i >= m->n_tried)
		return NULL;
	const struct mod *md = &m->mods[m->tried[i]];
	if (result)
		*result = md->result;
	return md->name;
}

/* ---- firmware the image lacks ---------------------------------------------- */

/* Appends while it fits; once something does not, "..." ends the text. */
struct gap_text {
	char *out;
	size_t size, at;
	bool cut;
};

static void gap_append(struct gap_text *g, const char *text)
{
	size_t n = strlen(text);
	if (g->cut)
		return;
	if (g->at + n + sizeof("...") > g->size) {
		g->cut = true;
		if (g->at + sizeof("...") <= g->size)
			memcpy(g->out + g->at, "...", sizeof("..."));
		return;
	}
	memcpy(g->out + g->at, text, n + 1);
	g->at += n;
}

/* Letters, digits, '_' and '-' only: a name that can stand in a path. */
static bool plain_word(const char *s, bool module)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (module ? !isalnum((unsigned char)*s) && *s != '_' && *s != '-' : !isgraph((unsigned char)*s))
			return false;
	return true;
}

int lg_modload_firmware_gaps(struct lg_modload *m, const char *list, char *out, size_t outsz)
{
	if (!outsz)
		return 0;
	out[0] = '\0';
	_cleanup_free_ char *text = NULL;
	if (lg_read_file(list, 64 << 10, &text, NULL) < 0)
		return 0;
	struct gap_text g = { out, outsz, 0, false };
	int drivers = 0;
	char last[64] = "";
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *fw = strchr(line, ' ');
		if (!fw)
			continue;
		*fw++ = '\0';
		if (strlen(line) >= sizeof(last) || !plain_word(line, true) || !plain_word(fw, false))
			continue;
		normalize(line);
		if (m->ops.loaded(line, m->ops.ud) <= 0)
			continue;
		if (strcmp(line, last)) {
			if (drivers)
				gap_append(&g, "); ");
			gap_append(&g, line);
			gap_append(&g, " (");
			snprintf(last, sizeof(last), "%s", line);
			drivers++;
		} else {
			gap_append(&g, ", ");
		}
		gap_append(&g, fw);
	}
	if (drivers)
		gap_append(&g, ")");
	return drivers;
}
