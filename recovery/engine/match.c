// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deny-list matching: a pruned walk of the directory tree, then the
 * conditions, cheapest first, with each file read at most once.
 *
 * Why our own index reader rather than ntfs_readdir(): ntfs_readdir()
 * lowercases names (we must report them as stored), hides hidden files
 * unless the volume says otherwise (a hidden driver must still match),
 * opens the MFT record of every system or reparse entry to guess a type
 * (thousands of hidden reads in System32), and offers no lookup that
 * returns the matching entry itself. Reading $INDEX_ROOT and
 * $INDEX_ALLOCATION directly costs the same I/O and gives us the name,
 * namespace and flags of every entry.
 *
 * The walk is an NFA over glob positions: each directory to read carries
 * the set of (group, component) positions that reached it, where a group
 * is the rules sharing one compiled glob (an imported hash list puts
 * thousands of rules on two or three globs: the walk's work is per glob,
 * not per rule). Positions of all groups travel together, so a directory
 * is read once; when every position in a directory is a literal name, the
 * names are looked up in the B+tree instead of listing the directory.
 */
#include "engine/match.h"

#include "formats/glob.h"
#include "lib/hash.h"
#include "engine/paths.h"
#include "formats/authenticode.h"
#include "formats/pe.h"
#include "storage/volume.h"

#include <time.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>

/* At most this many distinct literal names are looked up one by one in a
 * directory; more, and listing the directory once is cheaper. */
#define LOOKUP_MAX 16
/* B+tree depth cap for lookups (a real $I30 tree is a handful deep). */
#define INDEX_DEPTH_MAX 32
/* Index blocks per directory we accept (64 GiB of index at 4 KiB). */
#define INDEX_BLOCKS_MAX (1u << 24)
#define READ_CHUNK (1u << 20)

/* A rule reached its last component through a trailing "**". */
#define VIA_ANY_DEPTH 0x80000000u

struct crule {
	const struct lg_rule *rule;
	struct lg_glob *glob;
	bool content;           /* size, sha256, header or PE: never true of a directory */
	bool pe;                /* has PE conditions (lg_rule_has_pe) */
	/* original_filename and company in UTF-16, for comparing with NTFS's
	 * upcase table like names; NULL when the rule has none. */
	ntfschar *ofn, *company;
	int ofn_len, company_len;
};

/* One SHA-256 of a plain rule, for lookup by digest. */
struct dig {
	unsigned char d[32];
	uint32_t rule;
};

/* The rules that share one compiled glob. Plain rules have SHA-256 as
 * their only condition (no size, header, PE or time window): for them a
 * file's hash is looked up once in digs (sorted by digest, then rule)
 * instead of being compared with each rule's list. The other rules are
 * checked one by one, tier by tier (eval_file). */
struct group {
	const struct lg_glob *glob;     /* owned by the first rule's crule */
	uint32_t *other;                /* rule indices, ascending */
	size_t n_other, cap_other;
	uint32_t *plain;                /* rule indices, ascending */
	size_t n_plain, cap_plain;
	struct dig *digs;
	size_t n_digs, cap_digs;
};

struct lg_matcher {
	const struct lg_denylist *dl;
	struct crule *rules;
	size_t n;
	struct group *groups;
	size_t n_groups;
};

/* A position: group index (field rule) and component index in its glob. */
struct pos {
	uint32_t rule, comp;
};

struct work {
	uint64_t mref;
	char *path;             /* UTF-8, "" for the root */
	size_t path_units;      /* UTF-16 length, for LG_MATCH_PATH_MAX */
	struct pos *pos;
	size_t n_pos;
};

struct cand {
	uint64_t mref, parent;
	char *path;
	ntfschar *name;
	uint16_t name_len;
	bool lossy;
	uint32_t *rules;        /* group indices, ascending, VIA_ANY_DEPTH or-ed in */
	size_t n_rules;
};

/* One literal position of the directory being listed, by name hash. */
struct lit {
	uint32_t hash;
	uint32_t pos;           /* index into walk.clo */
};

struct walk {
	struct lg_matcher *m;
	ntfs_volume *vol;
	const ntfschar *uc;
	u32 uc_len;
	struct lg_match_result *res;
	int fatal;              /* -ENOMEM: stop everything */
	ntfschar own[16];       /* LG_DIR ("$LastGood") in UTF-16 */
	int own_len;

	struct work *stack;
	size_t n_stack, cap_stack;
	struct cand *cands;
	size_t n_cands, cap_cands;
	size_t cap_matches;     /* of res->matches */
	uint64_t *visited;      /* open addressing set of record numbers + 1, 0 = empty */
	size_t n_visited, cap_visited;

	/* The directory being read. */
	struct work *dir;
	uint64_t dir_mref;
	struct pos *clo;        /* its positions with "**" closure */
	size_t n_clo, cap_clo;
	struct lit *lits;       /* literal positions sorted by name hash */
	size_t n_lits, cap_lits;
	uint32_t *others;       /* non-literal positions (indices into clo) */
	size_t n_others, cap_others;
	/* Per entry scratch. */
	struct pos *nx;
	size_t n_nx, cap_nx;
	uint32_t *tg;
	size_t n_tg, cap_tg;
	/* Per candidate scratch: its groups' other rules, their verdicts,
	 * the rules that hold. */
	uint32_t *ex;
	size_t cap_ex;
	bool *ok;
	size_t cap_ok;
	uint32_t *hit;
	size_t cap_hit;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Grow an array to hold at least need elements. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		n *= 2;
	}
	void *p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}
#define GROW(arr, cap, need) grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* ---------------------------------------------------------------- compile */

void lg_matcher_free(struct lg_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		lg_glob_free(m->rules[i].glob);
		free(m->rules[i].ofn);
		free(m->rules[i].company);
	}
	free(m->rules);
	for (size_t i = 0; i < m->n_groups; i++) {
		free(m->groups[i].other);
		free(m->groups[i].plain);
		free(m->groups[i].digs);
	}
	free(m->groups);
	free(m);
}

/* Longest VERSIONINFO string compared, in UTF-16 code units. */
#define PE_STR_UNITS LG_PE_STR_MAX

/* A rule's original_filename or company in UTF-16 (NULL stays NULL). */
static int compile_pe_string(const char *s, ntfschar **out, int *len)
{
	*out = NULL;
	*len = 0;
	if (!s)
		return 0;
	ntfschar *u = malloc(PE_STR_UNITS * sizeof(*u));
	if (!u)
		return -ENOMEM;
	int n = lg_utf8_to_utf16(s, strlen(s), u, PE_STR_UNITS);
	if (n <= 0) {
		free(u);
		return n < 0 ? n : -EINVAL;
	}
	*out = u;
	*len = n;
	return 0;
}

static uint32_t glob_hash(const struct lg_glob *g)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < g->n; i++) {
		const struct lg_glob_comp *c = &g->comps[i];
		h = (h ^ (uint32_t)c->kind) * 16777619u;
		h = (h ^ c->len) * 16777619u;
		const unsigned char *b = (const unsigned char *)c->text;
		for (size_t k = 0; k < c->len * sizeof(ntfschar); k++)
			h = (h ^ b[k]) * 16777619u;
	}
	return h;
}

/* Same compiled glob, component by component (case as written: rules
 * whose globs differ only in case stay apart, which is merely slower). */
static bool glob_same(const struct lg_glob *a, const struct lg_glob *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct lg_glob_comp *x = &a->comps[i], *y = &b->comps[i];
		if (x->kind != y->kind || x->len != y->len ||
		    memcmp(x->text, y->text, x->len * sizeof(ntfschar)))
			return false;
	}
	return true;
}

static int cmp_dig(const void *a, const void *b)
{
	const struct dig *x = a, *y = b;
	int c = memcmp(x->d, y->d, 32);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool rule_plain(const struct lg_rule *r)
{
	return r->n_sha256 && !r->has_size && !r->header && !lg_rule_has_pe(r) &&
	       !r->has_modified_after && !r->has_modified_before;
}

/* Put the rules into groups by compiled glob, in order of first rule. */
static int build_groups(struct lg_matcher *m)
{
	size_t cap = 16;
	while (cap < 2 * m->n)
		cap *= 2;
	_cleanup_free_ uint32_t *slot = malloc(cap * sizeof(*slot)); /* group + 1, 0 = empty */
	_cleanup_free_ uint32_t *hash = malloc((m->n ? m->n : 1) * sizeof(*hash));
	m->groups = calloc(m->n ? m->n : 1, sizeof(*m->groups));
	if (!slot || !hash || !m->groups)
		return -ENOMEM;
	memset(slot, 0, cap * sizeof(*slot));
	for (size_t i = 0; i < m->n; i++) {
		const struct crule *c = &m->rules[i];
		uint32_t h = glob_hash(c->glob);
		size_t j = h & (cap - 1);
		struct group *g = NULL;
		while (slot[j]) {
			uint32_t gi = slot[j] - 1;
			if (hash[gi] == h && glob_same(m->groups[gi].glob, c->glob)) {
				g = &m->groups[gi];
				break;
			}
			j = (j + 1) & (cap - 1);
		}
		if (!g) {
			hash[m->n_groups] = h;
			slot[j] = (uint32_t)m->n_groups + 1;
			g = &m->groups[m->n_groups++];
			g->glob = c->glob;
		}
		const struct lg_rule *r = c->rule;
		if (!rule_plain(r)) {
			if (GROW(g->other, g->cap_other, g->n_other + 1))
				return -ENOMEM;
			g->other[g->n_other++] = (uint32_t)i;
			continue;
		}
		if (GROW(g->plain, g->cap_plain, g->n_plain + 1) ||
		    GROW(g->digs, g->cap_digs, g->n_digs + r->n_sha256))
			return -ENOMEM;
		g->plain[g->n_plain++] = (uint32_t)i;
		for (size_t k = 0; k < r->n_sha256; k++) {
			struct dig *d = &g->digs[g->n_digs++];
			memcpy(d->d, r->sha256[k], 32);
			d->rule = (uint32_t)i;
		}
	}
	for (size_t i = 0; i < m->n_groups; i++)
		if (m->groups[i].n_digs > 1)
			qsort(m->groups[i].digs, m->groups[i].n_digs, sizeof(struct dig), cmp_dig);
	return 0;
}

int lg_matcher_new(const struct lg_denylist *dl, struct lg_matcher **out, struct lg_err *err)
{
	*out = NULL;
	if (dl->n_rules > LG_DENYLIST_MAX_RULES) {
		lg_err_set(err, "%zu rules: at most %u are allowed", dl->n_rules, LG_DENYLIST_MAX_RULES);
		return -E2BIG;
	}
	struct lg_matcher *m = lg_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dl = dl;
	m->rules = calloc(dl->n_rules ? dl->n_rules : 1, sizeof(*m->rules));
	if (!m->rules) {
		free(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < dl->n_rules; i++) {
		const struct lg_rule *r = &dl->rules[i];
		struct crule *c = &m->rules[i];
		struct lg_err gerr = { "" };
		c->rule = r;
		int e = r->path ? lg_glob_compile(r->path, &c->glob, &gerr) : -EINVAL;
		if (e < 0) {
			lg_err_set(err, "rule \"%s\" (line %u): path \"%s\": %s", r->id ? r->id : "?",
				   r->line, r->path ? r->path : "(none)", r->path ? gerr.msg : "missing");
			m->n = i;
			lg_matcher_free(m);
			return e;
		}
		c->pe = lg_rule_has_pe(r);
		c->content = r->has_size || r->n_sha256 || r->header || c->pe;
		e = compile_pe_string(r->original_filename, &c->ofn, &c->ofn_len);
		if (e == 0)
			e = compile_pe_string(r->company, &c->company, &c->company_len);
		if (e < 0) {
			if (e != -ENOMEM)
				lg_err_set(err, "rule \"%s\" (line %u): original_filename or company is not a valid "
					   "name", r->id ? r->id : "?", r->line);
			m->n = i + 1;
			lg_matcher_free(m);
			return e;
		}
	}
	m->n = dl->n_rules;
	int e = build_groups(m);
	if (e < 0) {
		lg_matcher_free(m);
		return e;
	}
	*out = m;
	return 0;
}

/* ---------------------------------------------------------------- results */

void lg_match_result_clear(struct lg_match_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_matches; i++) {
		free(res->matches[i].path);
		free(res->matches[i].name);
		free(res->matches[i].other_rules);
	}
	free(res->matches);
	for (size_t i = 0; i < res->n_problems; i++)
		free(res->problems[i].path);
	free(res->problems);
	memset(res, 0, sizeof(*res));
}

static void problem(struct walk *w, const char *path, int error, const char *what)
{
	struct lg_match_result *res = w->res;
	res->stats.problems++;
	/* The list is for people; a volume that fails everywhere needs no
	 * million lines to say so. */
	if (res->n_problems >= LG_MATCH_PROBLEMS_MAX)
		return;
	struct lg_match_problem *p = realloc(res->problems, (res->n_problems + 1) * sizeof(*p));
	if (!p) {
		w->fatal = -ENOMEM;
		return;
	}
	res->problems = p;
	char *s = strdup(path && *path ? path : "/");
	if (!s) {
		w->fatal = -ENOMEM;
		return;
	}
	p[res->n_problems++] = (struct lg_match_problem){ s, error < 0 ? error : -EIO, what };
}

/* ---------------------------------------------------------------- index reading */

/* Checks one index entry lies in [ie, end) and is well formed; *last is
 * set for the end marker. */
static int ie_check(const INDEX_ENTRY *ie, const u8 *end, bool *last)
{
	const u8 *p = (const u8 *)ie;
	if (p > end || (size_t)(end - p) < sizeof(INDEX_ENTRY_HEADER))
		return -EIO;
	size_t len = le16_to_cpu(ie->length);
	if (len < sizeof(INDEX_ENTRY_HEADER) || len % 8 || len > (size_t)(end - p))
		return -EIO;
	size_t room = len - sizeof(INDEX_ENTRY_HEADER);
	if (ie->ie_flags & INDEX_ENTRY_NODE) {
		if (room < sizeof(VCN))
			return -EIO;
		room -= sizeof(VCN);
	}
	*last = (ie->ie_flags & INDEX_ENTRY_END) != 0;
	if (*last)
		return 0;
	size_t klen = le16_to_cpu(ie->key_length);
	if (klen > room || klen < offsetof(FILE_NAME_ATTR, file_name))
		return -EIO;
	const FILE_NAME_ATTR *fn = &ie->key.file_name;
	if (fn->file_name_length == 0 ||
	    offsetof(FILE_NAME_ATTR, file_name) + 2u * fn->file_name_length > klen)
		return -EIO;
	return 0;
}

/* The name in an index key. Entries are 8-byte aligned, so the name
 * (at 16 + 0x42) is 2-byte aligned: safe to read as ntfschar. */
static const ntfschar *fn_name(const FILE_NAME_ATTR *fn)
{
	return (const ntfschar *)((const u8 *)fn + offsetof(FILE_NAME_ATTR, file_name));
}

static VCN ie_child(const INDEX_ENTRY *ie)
{
	sle64 v;
	memcpy(&v, (const u8 *)ie + le16_to_cpu(ie->length) - sizeof(VCN), sizeof(v));
	return sle64_to_cpu(v);
}

/* The entries of an index header that has avail bytes behind it. */
static int ih_bounds(const INDEX_HEADER *ih, size_t avail, const INDEX_ENTRY **first, const u8 **end)
{
	if (avail < sizeof(*ih))
		return -EIO;
	size_t off = le32_to_cpu(ih->entries_offset), len = le32_to_cpu(ih->index_length);
	if (len > avail || off < sizeof(*ih) || off >= len)
		return -EIO;
	*first = (const INDEX_ENTRY *)((const u8 *)ih + off);
	*end = (const u8 *)ih + len;
	return 0;
}

/* An open directory index: its root in the MFT record, and the
 * allocation, opened on first use. */
struct dirx {
	ntfs_inode *ni;
	ntfs_attr_search_ctx *ctx;
	const INDEX_ROOT *ir;
	size_t ir_len;
	u32 block_size;
	u8 vcn_bits;
	ntfs_attr *ia;
	INDEX_BLOCK *blk;
};

static void dirx_close(struct dirx *d)
{
	if (d->ia)
		ntfs_attr_close(d->ia);
	if (d->ctx)
		ntfs_attr_put_search_ctx(d->ctx);
	free(d->blk);
}

static int dirx_open(ntfs_inode *ni, struct dirx *d)
{
	memset(d, 0, sizeof(*d));
	d->ni = ni;
	d->ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!d->ctx)
		return -ENOMEM;
	if (ntfs_attr_lookup(AT_INDEX_ROOT, NTFS_INDEX_I30, 4, CASE_SENSITIVE, 0, NULL, 0, d->ctx))
		return -EIO;
	const ATTR_RECORD *a = d->ctx->attr;
	if (a->non_resident)
		return -EIO;
	size_t alen = le32_to_cpu(a->length), voff = le16_to_cpu(a->value_offset),
	       vlen = le32_to_cpu(a->value_length);
	if (voff > alen || vlen > alen - voff || vlen < sizeof(INDEX_ROOT))
		return -EIO;
	d->ir = (const INDEX_ROOT *)((const u8 *)a + voff);
	d->ir_len = vlen;
	if (d->ir->type != AT_FILE_NAME || d->ir->collation_rule != COLLATION_FILE_NAME)
		return -EIO;
	d->block_size = le32_to_cpu(d->ir->index_block_size);
	if (d->block_size < NTFS_BLOCK_SIZE || d->block_size > 65536 ||
	    (d->block_size & (d->block_size - 1)))
		return -EIO;
	ntfs_volume *vol = ni->vol;
	d->vcn_bits = vol->cluster_size <= d->block_size ? vol->cluster_size_bits : NTFS_BLOCK_SIZE_BITS;
	return 0;
}

static int dirx_root(const struct dirx *d, const INDEX_ENTRY **first, const u8 **end)
{
	return ih_bounds(&d->ir->index, d->ir_len - offsetof(INDEX_ROOT, index), first, end);
}

/* Read the index block at vcn; its entries are [*first, *end). */
static int dirx_block(struct walk *w, struct dirx *d, VCN vcn, const INDEX_ENTRY **first, const u8 **end)
{
	if (!d->ia) {
		d->ia = ntfs_attr_open(d->ni, AT_INDEX_ALLOCATION, NTFS_INDEX_I30, 4);
		if (!d->ia)
			return -EIO;
	}
	if (!d->blk) {
		d->blk = malloc(d->block_size);
		if (!d->blk)
			return -ENOMEM;
	}
	if (vcn < 0 || (uint64_t)vcn > ((uint64_t)INT64_MAX >> d->vcn_bits))
		return -EIO;
	s64 at = vcn << d->vcn_bits;
	if (at > d->ia->data_size || d->ia->data_size - at < (s64)d->block_size)
		return -EIO;
	w->res->stats.index_blocks_read++;
	if (ntfs_attr_mst_pread(d->ia, at, 1, d->block_size, d->blk) != 1)
		return -EIO;
	/* A block whose fixups failed comes back marked BAAD. */
	if (!ntfs_is_indx_record(d->blk->magic) || sle64_to_cpu(d->blk->index_block_vcn) != vcn)
		return -EIO;
	return ih_bounds(&d->blk->index, d->block_size - offsetof(INDEX_BLOCK, index), first, end);
}

/* ---------------------------------------------------------------- walk */

static uint32_t name_hash(const ntfschar *s, size_t n, const ntfschar *uc, u32 uc_len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		unsigned x = le16_to_cpu(s[i]);
		if (x < uc_len)
			x = le16_to_cpu(uc[x]);
		h = (h ^ (x & 0xff)) * 16777619u;
		h = (h ^ (x >> 8)) * 16777619u;
	}
	return h;
}

static int cmp_pos(const void *a, const void *b)
{
	const struct pos *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->comp < y->comp ? -1 : x->comp > y->comp;
}

static int cmp_rule(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a & ~VIA_ANY_DEPTH, y = *(const uint32_t *)b & ~VIA_ANY_DEPTH;
	return x < y ? -1 : x > y;
}

static int cmp_lit(const void *a, const void *b)
{
	const struct lit *x = a, *y = b;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static size_t uniq_pos(struct pos *p, size_t n)
{
	if (n < 2)
		return n;
	qsort(p, n, sizeof(*p), cmp_pos);
	size_t o = 1;
	for (size_t i = 1; i < n; i++)
		if (cmp_pos(&p[i], &p[o - 1]))
			p[o++] = p[i];
	return o;
}

/* Sorted rule indices without repeats; a rule reached both through a
 * trailing "**" and by name keeps the plain (by name) reason. */
static size_t uniq_rules(uint32_t *r, size_t n)
{
	if (n < 2)
		return n;
	/* Usually sorted already (positions are kept in rule order), and an
	 * imported list puts thousands of rules on every file: skip the sort
	 * then. */
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = cmp_rule(&r[i - 1], &r[i]) <= 0;
	if (!sorted)
		qsort(r, n, sizeof(*r), cmp_rule);
	size_t o = 1;
	for (size_t i = 1; i < n; i++) {
		if ((r[i] & ~VIA_ANY_DEPTH) == (r[o - 1] & ~VIA_ANY_DEPTH))
			r[o - 1] &= r[i];
		else
			r[o++] = r[i];
	}
	return o;
}

/* Add a record number to the set of directories read; false if it was
 * there already (or memory ran out, then w->fatal says so). */
static bool visited_add(struct walk *w, uint64_t rec)
{
	uint64_t key = rec + 1;
	if (w->n_visited * 2 >= w->cap_visited) {
		size_t ncap = w->cap_visited ? w->cap_visited * 2 : 64;
		uint64_t *nv = calloc(ncap, sizeof(*nv));
		if (!nv) {
			w->fatal = -ENOMEM;
			return false;
		}
		for (size_t i = 0; i < w->cap_visited; i++) {
			uint64_t k = w->visited[i];
			if (!k)
				continue;
			size_t j = (size_t)(k * 0x9e3779b97f4a7c15ull) & (ncap - 1);
			while (nv[j])
				j = (j + 1) & (ncap - 1);
			nv[j] = k;
		}
		free(w->visited);
		w->visited = nv;
		w->cap_visited = ncap;
	}
	size_t j = (size_t)(key * 0x9e3779b97f4a7c15ull) & (w->cap_visited - 1);
	while (w->visited[j]) {
		if (w->visited[j] == key)
			return false;
		j = (j + 1) & (w->cap_visited - 1);
	}
	w->visited[j] = key;
	w->n_visited++;
	return true;
}

static const struct lg_glob_comp *comp_of(const struct walk *w, struct pos p)
{
	return &w->m->groups[p.rule].glob->comps[p.comp];
}

static bool is_last(const struct walk *w, struct pos p)
{
	return p.comp + 1 == w->m->groups[p.rule].glob->n;
}

/* The child's path: parent + '/' + name. */
static char *child_path(const struct work *dir, const ntfschar *name, size_t len, bool *lossy)
{
	size_t plen = strlen(dir->path);
	char *s = malloc(plen + 1 + 3 * len + 1);
	if (!s)
		return NULL;
	memcpy(s, dir->path, plen);
	if (plen)
		s[plen++] = '/';
	lg_utf16_to_utf8(name, len, s + plen, lossy);
	return s;
}

static void push_nx(struct walk *w, struct pos p)
{
	if (GROW(w->nx, w->cap_nx, w->n_nx + 1))
		w->fatal = -ENOMEM;
	else
		w->nx[w->n_nx++] = p;
}

static void push_tg(struct walk *w, uint32_t rule)
{
	if (GROW(w->tg, w->cap_tg, w->n_tg + 1))
		w->fatal = -ENOMEM;
	else
		w->tg[w->n_tg++] = rule;
}

/* What one name in the current directory leads to through position clo[i]:
 * positions to carry into it (if it is a directory) and rules that end on
 * it. */
static void match_pos(struct walk *w, uint32_t i, const ntfschar *name, size_t len, bool hint_dir,
		      bool *by_name)
{
	struct pos p = w->clo[i];
	const struct lg_glob_comp *c = comp_of(w, p);
	bool last = is_last(w, p);
	if (c->kind == LG_GLOB_ANY_DEPTH) {
		/* Only the directory hint of the index decides here: opening
		 * every file's record to learn its type would read the MFT
		 * of the whole subtree. */
		if (hint_dir)
			push_nx(w, p);
		else if (last)
			push_tg(w, p.rule | VIA_ANY_DEPTH);
		return;
	}
	if (!lg_glob_comp_match(c, name, len, w->uc, w->uc_len))
		return;
	if (last) {
		push_tg(w, p.rule);
	} else {
		push_nx(w, (struct pos){ p.rule, p.comp + 1 });
		*by_name = true;
	}
}

static void push_work(struct walk *w, uint64_t mref, const char *path, size_t units)
{
	if (GROW(w->stack, w->cap_stack, w->n_stack + 1)) {
		w->fatal = -ENOMEM;
		return;
	}
	size_t n = uniq_pos(w->nx, w->n_nx);
	struct pos *pc = malloc(n * sizeof(*pc));
	char *pp = strdup(path);
	if (!pc || !pp) {
		free(pc);
		free(pp);
		w->fatal = -ENOMEM;
		return;
	}
	memcpy(pc, w->nx, n * sizeof(*pc));
	w->stack[w->n_stack++] = (struct work){ mref, pp, units, pc, n };
}

static void push_cand(struct walk *w, uint64_t mref, char **path, const ntfschar *name, size_t len,
		      bool lossy)
{
	if (GROW(w->cands, w->cap_cands, w->n_cands + 1)) {
		w->fatal = -ENOMEM;
		return;
	}
	size_t n = uniq_rules(w->tg, w->n_tg);
	struct cand *c = &w->cands[w->n_cands];
	memset(c, 0, sizeof(*c));
	c->rules = malloc(n * sizeof(*c->rules));
	c->name = malloc(len * sizeof(ntfschar));
	if (!c->rules || !c->name) {
		free(c->rules);
		free(c->name);
		w->fatal = -ENOMEM;
		return;
	}
	memcpy(c->rules, w->tg, n * sizeof(*c->rules));
	memcpy(c->name, name, len * sizeof(ntfschar));
	c->n_rules = n;
	c->name_len = (uint16_t)len;
	c->mref = mref;
	c->parent = w->dir_mref;
	c->lossy = lossy;
	c->path = TAKE_PTR(*path);
	w->n_cands++;
}

/* One entry of the directory being read (from a listing or a lookup). */
static void on_entry(struct walk *w, const INDEX_ENTRY *ie)
{
	const FILE_NAME_ATTR *fn = &ie->key.file_name;
	uint64_t mref = le64_to_cpu(ie->indexed_file);
	/* The 8.3 alias of a long name: the long name has its own entry. */
	if (fn->file_name_type == FILE_NAME_DOS)
		return;
	/* The root's entry for itself and the metadata files ($MFT ...). */
	if (MREF(mref) < FILE_first_user)
		return;
	const ntfschar *name = fn_name(fn);
	size_t len = fn->file_name_length;
	/* lastgood's own folder (quarantine, journal, reports): what it
	 * holds was put there by an earlier run and is never a target. */
	if (MREF(w->dir_mref) == FILE_root && w->own_len > 0 &&
	    lg_name_equal(name, len, w->own, (size_t)w->own_len, w->uc, w->uc_len))
		return;
	bool hint_dir = (fn->file_attributes & FILE_ATTR_I30_INDEX_PRESENT) != 0;
	bool hint_reparse = (fn->file_attributes & FILE_ATTR_REPARSE_POINT) != 0;
	bool by_name = false;
	w->n_nx = w->n_tg = 0;
	/* Literal positions whose name hashes like this one, then the rest. */
	uint32_t h = name_hash(name, len, w->uc, w->uc_len);
	size_t lo = 0, hi = w->n_lits;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->lits[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < w->n_lits && w->lits[k].hash == h; k++)
		match_pos(w, w->lits[k].pos, name, len, hint_dir, &by_name);
	for (size_t k = 0; k < w->n_others; k++)
		match_pos(w, w->others[k], name, len, hint_dir, &by_name);
	if (w->fatal || (!w->n_nx && !w->n_tg))
		return;

	bool lossy = false;
	char *path = child_path(w->dir, name, len, &lossy);
	if (!path) {
		w->fatal = -ENOMEM;
		return;
	}
	size_t units = w->dir->path_units + (w->dir->path_units ? 1 : 0) + len;
	if (units > LG_MATCH_PATH_MAX) {
		problem(w, path, -ENAMETOOLONG, "path longer than Windows allows, not followed");
		free(path);
		return;
	}
	/* Descend when the index says directory, or when a path component
	 * matched by name (few entries do; the record decides). */
	if (w->n_nx && (hint_dir || by_name)) {
		if (hint_dir && hint_reparse)
			w->res->stats.reparse_skipped++;
		else
			push_work(w, mref, path, units);
	}
	if (w->n_tg && !w->fatal)
		push_cand(w, mref, &path, name, len, lossy);
	free(path);
}

/* Hand every entry in [ie, end) to on_entry. */
static int list_entries(struct walk *w, const INDEX_ENTRY *ie, const u8 *end)
{
	for (;;) {
		bool last;
		int r = ie_check(ie, end, &last);
		if (r < 0)
			return r;
		if (last)
			return 0;
		w->res->stats.index_entries++;
		on_entry(w, ie);
		if (w->fatal)
			return w->fatal;
		ie = (const INDEX_ENTRY *)((const u8 *)ie + le16_to_cpu(ie->length));
	}
}

/* Read every entry of the directory: the index root, then each index block
 * in use according to $BITMAP (each entry lives in exactly one node). */
static int dir_list(struct walk *w, struct dirx *d)
{
	const INDEX_ENTRY *ie;
	const u8 *end;
	int r = dirx_root(d, &ie, &end);
	if (r < 0)
		return r;
	w->res->stats.dirs_listed++;
	r = list_entries(w, ie, end);
	if (r < 0 || !(d->ir->index.ih_flags & LARGE_INDEX))
		return r;

	if (!d->ia)
		d->ia = ntfs_attr_open(d->ni, AT_INDEX_ALLOCATION, NTFS_INDEX_I30, 4);
	if (!d->ia)
		return -EIO;
	ntfs_attr *bmp = ntfs_attr_open(d->ni, AT_BITMAP, NTFS_INDEX_I30, 4);
	if (!bmp)
		return -EIO;
	uint64_t blocks = (uint64_t)(d->ia->data_size < 0 ? 0 : d->ia->data_size) / d->block_size;
	if (blocks > INDEX_BLOCKS_MAX)
		blocks = INDEX_BLOCKS_MAX;
	size_t bytes = (size_t)((blocks + 7) / 8);
	if (bmp->data_size < 0) {
		ntfs_attr_close(bmp);
		return -EIO;
	}
	if ((uint64_t)bmp->data_size < bytes)
		bytes = (size_t)bmp->data_size;
	_cleanup_free_ u8 *bits = malloc(bytes ? bytes : 1);
	if (!bits) {
		ntfs_attr_close(bmp);
		return -ENOMEM;
	}
	s64 got = bytes ? ntfs_attr_pread(bmp, 0, (s64)bytes, bits) : 0;
	ntfs_attr_close(bmp);
	if (got != (s64)bytes)
		return -EIO;
	for (uint64_t b = 0; b < blocks && b / 8 < bytes; b++) {
		if (!(bits[b / 8] & (1u << (b % 8))))
			continue;
		VCN vcn = (VCN)((b * d->block_size) >> d->vcn_bits);
		r = dirx_block(w, d, vcn, &ie, &end);
		if (r < 0)
			return r;
		r = list_entries(w, ie, end);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Find one name by B+tree descent and hand its entry to on_entry (which
 * ignores an 8.3 alias: a name found only as one does not count). The
 * index orders names by their upcased form, so one descent finds the
 * name in any case. */
static int dir_lookup(struct walk *w, struct dirx *d, const ntfschar *name, size_t len)
{
	const INDEX_ENTRY *ie;
	const u8 *end;
	int r = dirx_root(d, &ie, &end);
	if (r < 0)
		return r;
	w->res->stats.index_lookups++;
	for (unsigned depth = 0;; depth++) {
		for (;;) {
			bool last;
			r = ie_check(ie, end, &last);
			if (r < 0)
				return r;
			if (last)
				break;
			w->res->stats.index_entries++;
			const FILE_NAME_ATTR *fn = &ie->key.file_name;
			int c = lg_name_collate(name, len, fn_name(fn), fn->file_name_length,
						w->uc, w->uc_len);
			if (c == 0) {
				on_entry(w, ie);
				return w->fatal;
			}
			if (c < 0)
				break;
			ie = (const INDEX_ENTRY *)((const u8 *)ie + le16_to_cpu(ie->length));
		}
		if (!(ie->ie_flags & INDEX_ENTRY_NODE))
			return 0; /* not there */
		if (depth >= INDEX_DEPTH_MAX)
			return -ELOOP;
		r = dirx_block(w, d, ie_child(ie), &ie, &end);
		if (r < 0)
			return r;
	}
}

/* The positions of the directory being read, with every "**" that is not
 * last also standing for "nothing" (so the next component applies here). */
static int build_closure(struct walk *w, const struct work *dir)
{
	if (GROW(w->clo, w->cap_clo, dir->n_pos * 2))
		return -ENOMEM;
	w->n_clo = 0;
	for (size_t i = 0; i < dir->n_pos; i++) {
		struct pos p = dir->pos[i];
		w->clo[w->n_clo++] = p;
		/* Compile merged consecutive "**", so one step is enough. */
		if (comp_of(w, p)->kind == LG_GLOB_ANY_DEPTH && !is_last(w, p))
			w->clo[w->n_clo++] = (struct pos){ p.rule, p.comp + 1 };
	}
	w->n_clo = uniq_pos(w->clo, w->n_clo);
	return 0;
}

/* Is the literal at lits[i] equal to one before it? Equal names hash
 * alike, so they sit together in the sorted list. */
static bool lit_repeated(const struct walk *w, size_t i)
{
	const struct lg_glob_comp *c = comp_of(w, w->clo[w->lits[i].pos]);
	for (size_t k = i; k-- > 0 && w->lits[k].hash == w->lits[i].hash;) {
		const struct lg_glob_comp *o = comp_of(w, w->clo[w->lits[k].pos]);
		if (lg_name_equal(c->text, c->len, o->text, o->len, w->uc, w->uc_len))
			return true;
	}
	return false;
}

static int read_dir(struct walk *w, struct work *dir)
{
	errno = 0;
	ntfs_inode *ni = ntfs_inode_open(w->vol, dir->mref);
	w->res->stats.records_opened++;
	if (!ni) {
		problem(w, dir->path, -(errno ? errno : EIO), "cannot open directory");
		return w->fatal;
	}
	int r = 0;
	struct dirx d = { 0 };
	if (!(ni->mrec->flags & MFT_RECORD_IS_DIRECTORY))
		goto out; /* a file with a directory's name: nothing below it */
	if (ni->flags & FILE_ATTR_REPARSE_POINT) {
		w->res->stats.reparse_skipped++;
		goto out;
	}
	r = build_closure(w, dir);
	if (r < 0)
		goto out;
	w->dir = dir;
	w->dir_mref = MK_MREF(ni->mft_no, le16_to_cpu(ni->mrec->sequence_number));

	/* Literal positions by name hash, and the others. */
	w->n_lits = w->n_others = 0;
	if (GROW(w->lits, w->cap_lits, w->n_clo) || GROW(w->others, w->cap_others, w->n_clo)) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < w->n_clo; i++) {
		const struct lg_glob_comp *c = comp_of(w, w->clo[i]);
		if (c->kind == LG_GLOB_LITERAL)
			w->lits[w->n_lits++] = (struct lit){ name_hash(c->text, c->len, w->uc, w->uc_len), i };
		else
			w->others[w->n_others++] = i;
	}
	if (w->n_lits)
		qsort(w->lits, w->n_lits, sizeof(*w->lits), cmp_lit);
	size_t distinct = 0;
	for (size_t i = 0; i < w->n_lits; i++)
		distinct += !lit_repeated(w, i);

	r = dirx_open(ni, &d);
	if (r == 0 && (w->n_others || distinct > LOOKUP_MAX)) {
		r = dir_list(w, &d);
	} else if (r == 0) {
		for (size_t i = 0; i < w->n_lits && r == 0; i++)
			if (!lit_repeated(w, i)) {
				const struct lg_glob_comp *c = comp_of(w, w->clo[w->lits[i].pos]);
				r = dir_lookup(w, &d, c->text, c->len);
			}
	}
	if (r < 0 && r != -ENOMEM) {
		problem(w, dir->path, r, "cannot read directory index");
		r = w->fatal;
	}
out:
	dirx_close(&d);
	ntfs_inode_close(ni);
	return r;
}

static void work_free(struct work *wk)
{
	free(wk->path);
	free(wk->pos);
}

static int walk(struct walk *w)
{
	struct lg_matcher *m = w->m;
	if (!m->n)
		return 0;
	struct work root = { FILE_root, strdup(""), 0, calloc(m->n_groups, sizeof(struct pos)), m->n_groups };
	if (!root.path || !root.pos || GROW(w->stack, w->cap_stack, 1)) {
		work_free(&root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_groups; i++)
		root.pos[i] = (struct pos){ (uint32_t)i, 0 };
	w->stack[w->n_stack++] = root;
	while (w->n_stack && !w->fatal) {
		struct work wk = w->stack[--w->n_stack];
		int r = 0;
		/* A directory is read once, even if a damaged index links it
		 * twice or makes a loop. */
		if (visited_add(w, MREF(wk.mref)))
			r = read_dir(w, &wk);
		work_free(&wk);
		if (r < 0)
			w->fatal = r;
	}
	return w->fatal;
}

/* ---------------------------------------------------------------- conditions */

struct content {
	ntfs_attr *na;
	uint64_t size;
	unsigned char prefix[LG_MATCH_PREFIX];
	size_t prefix_len;
	bool prefix_done;
	bool has_sha;
	unsigned char sha[32];
	/* A condition that needs the whole file in memory (PE) gets it in
	 * buf (size bytes) from the one read of the file; SHA-256 is then
	 * computed from buf, never by reading again. want_buf asks a
	 * streaming SHA-256 read to keep the bytes as it goes. */
	bool want_buf;
	unsigned char *buf;
	struct pe_cache *pe;    /* NULL until a PE condition looks at the file */
};

/* What the PE parser found in one file, filled as rules ask for it. */
struct pe_cache {
	int state;              /* 0 not parsed, 1 a PE image, < 0 not one (or too large) */
	struct lg_pe_info info;
	int ver_state;          /* 0 not read, 1 read, < 0 no (readable) version resource */
	struct lg_pe_version ver;
	/* OriginalFilename and CompanyName trimmed, in UTF-16; len < 0: absent */
	ntfschar ofn[PE_STR_UNITS], company[PE_STR_UNITS];
	int ofn_len, company_len;
	unsigned ah_have;       /* LG_HASH_* Authenticode digests computed */
	unsigned char ah256[32], ah256u[32], ah1[20], ah1u[20];
	/* The Authenticode signatures, decoded once when a signer or an
	 * authentihash condition needs them; ac_state < 0: none readable. */
	int ac_state;
	bool ac_full;           /* certificates read too (signer rules), not only digests */
	struct lg_authenticode *ac;
	bool changed_hit;       /* a rule held only by the digest a signature carries */
};

static int read_full(ntfs_attr *na, s64 at, size_t n, unsigned char *dst)
{
	size_t done = 0;
	while (done < n) {
		errno = 0;
		s64 r = ntfs_attr_pread(na, at + (s64)done, (s64)(n - done), dst + done);
		if (r < 0)
			return -(errno ? errno : EIO);
		if (r == 0)
			return -EIO; /* shorter than its own data size */
		done += (size_t)r;
	}
	return 0;
}

static int content_prefix(struct walk *w, struct content *c)
{
	if (c->prefix_done)
		return 0;
	size_t n = c->size < LG_MATCH_PREFIX ? (size_t)c->size : LG_MATCH_PREFIX;
	int r = read_full(c->na, 0, n, c->prefix);
	if (r < 0)
		return r;
	w->res->stats.bytes_read += n;
	c->prefix_len = n;
	c->prefix_done = true;
	return 0;
}

static int content_header(struct walk *w, struct content *c, const struct lg_rule *rule, bool *ok)
{
	*ok = false;
	if (!lg_in_bounds(rule->header_offset, rule->header_len, c->size))
		return 0; /* the file is too short to carry it */
	if (rule->header_offset + rule->header_len <= LG_MATCH_PREFIX) {
		int r = content_prefix(w, c);
		if (r < 0)
			return r;
		*ok = !memcmp(c->prefix + rule->header_offset, rule->header, rule->header_len);
		return 0;
	}
	/* Beyond the prefix: a small read of its own. */
	_cleanup_free_ unsigned char *b = malloc(rule->header_len ? rule->header_len : 1);
	if (!b)
		return -ENOMEM;
	int r = read_full(c->na, (s64)rule->header_offset, rule->header_len, b);
	if (r < 0)
		return r;
	w->res->stats.bytes_read += rule->header_len;
	*ok = !memcmp(b, rule->header, rule->header_len);
	return 0;
}

/* Read the whole file once, reusing the prefix already read: hashing it
 * with SHA-256 on the way when hash, keeping it in c->buf when keep. */
static int content_read(struct walk *w, struct content *c, bool hash, bool keep)
{
	if (keep && c->size > LG_MATCH_BUFFER_MAX)
		return -EFBIG;
	_cleanup_(lg_hash_free) struct lg_hash h = { 0 };
	int r = hash ? lg_hash_init(&h, LG_HASH_SHA256) : 0;
	if (r < 0)
		return r;
	_cleanup_free_ unsigned char *chunk = NULL, *buf = NULL;
	if (keep) {
		buf = malloc(c->size ? (size_t)c->size : 1);
		if (!buf)
			return -ENOMEM;
	} else {
		chunk = malloc(READ_CHUNK);
		if (!chunk)
			return -ENOMEM;
	}
	uint64_t at = 0;
	if (c->prefix_done) {
		if (hash && (r = lg_hash_update(&h, c->prefix, c->prefix_len)) < 0)
			return r;
		if (buf)
			memcpy(buf, c->prefix, c->prefix_len);
		at = c->prefix_len;
	}
	while (at < c->size) {
		size_t n = c->size - at < READ_CHUNK ? (size_t)(c->size - at) : READ_CHUNK;
		unsigned char *dst = buf ? buf + at : chunk;
		r = read_full(c->na, (s64)at, n, dst);
		if (r < 0)
			return r;
		w->res->stats.bytes_read += n;
		if (hash && (r = lg_hash_update(&h, dst, n)) < 0)
			return r;
		at += n;
	}
	if (hash) {
		r = lg_hash_final(&h, c->sha, NULL);
		if (r < 0)
			return r;
		w->res->stats.files_hashed++;
		w->res->stats.bytes_hashed += c->size;
		c->has_sha = true;
	}
	if (buf)
		c->buf = TAKE_PTR(buf);
	return 0;
}

/* The file's SHA-256, computed once: from buf when the file is already in
 * memory, else by reading it (keeping it when want_buf says so). */
static int content_sha256(struct walk *w, struct content *c)
{
	if (c->has_sha)
		return 0;
	if (!c->buf)
		return content_read(w, c, true, c->want_buf);
	int r = lg_hash_buf(c->buf, (size_t)c->size, c->sha, NULL);
	if (r < 0)
		return r;
	w->res->stats.files_hashed++;
	w->res->stats.bytes_hashed += c->size;
	c->has_sha = true;
	return 0;
}

/* ---------------------------------------------------------------- PE conditions */

/* From the first bytes alone: can the file be a PE image? false only when
 * lg_pe_parse() would refuse it too ("MZ", then "PE\0\0" at e_lfanew),
 * so that a channel file or a text file is never read in full for a PE
 * condition. */
static bool pe_prefix_ok(const struct content *c)
{
	if (c->size < 64 || c->prefix_len < 64 || c->prefix[0] != 'M' || c->prefix[1] != 'Z')
		return false;
	uint32_t off = (uint32_t)c->prefix[0x3c] | (uint32_t)c->prefix[0x3d] << 8 |
		       (uint32_t)c->prefix[0x3e] << 16 | (uint32_t)c->prefix[0x3f] << 24;
	if ((uint64_t)off + 4 > c->size)
		return false;
	if ((uint64_t)off + 4 <= c->prefix_len)
		return !memcmp(c->prefix + off, "PE\0\0", 4);
	return true; /* the signature is beyond the prefix: the parser decides */
}

/* Parse the file as a PE image, once. Returns 0 with c->pe->state set (1:
 * a PE image, < 0: not one, PE conditions fail), or an error that leaves
 * the file undecided (a read error, -ENOMEM). */
static int pe_parse(struct walk *w, const struct cand *cd, struct content *c)
{
	if (!c->pe) {
		c->pe = calloc(1, sizeof(*c->pe));
		if (!c->pe)
			return -ENOMEM;
	}
	struct pe_cache *pc = c->pe;
	if (pc->state)
		return 0;
	int r = content_prefix(w, c);
	if (r < 0)
		return r;
	if (!pe_prefix_ok(c)) {
		pc->state = -ENOEXEC;
		w->res->stats.pe_rejected++;
		return 0;
	}
	if (!c->buf) {
		r = content_read(w, c, false, true);
		if (r == -EFBIG) {
			/* Drivers are far smaller; say why the rule could not hold. */
			pc->state = r;
			problem(w, cd->path, r, "larger than 256 MiB: PE conditions not checked, taken as false");
			return w->fatal;
		}
		if (r < 0)
			return r;
	}
	w->res->stats.pe_parsed++;
	r = lg_pe_parse(c->buf, (size_t)c->size, &pc->info, NULL);
	if (r == -ENOMEM)
		return r;
	pc->state = r < 0 ? r : 1;
	if (r < 0)
		w->res->stats.pe_rejected++;
	return 0;
}

/* A VERSIONINFO string, white space trimmed at both ends, in UTF-16;
 * -1 when absent, empty or cut short (it cannot equal a rule's value). */
static int pe_str16(const struct lg_pe_version *v, enum lg_pe_str k, ntfschar *out)
{
	if (!v->has_str[k] || v->truncated[k])
		return -1;
	const char *s = v->str[k];
	size_t n = strlen(s);
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	int u = n ? lg_utf8_to_utf16(s, n, out, PE_STR_UNITS) : -1;
	return u > 0 ? u : -1;
}

/* Read the version resource of a parsed image, once. */
static void pe_version(struct content *c)
{
	struct pe_cache *pc = c->pe;
	if (pc->ver_state)
		return;
	int r = lg_pe_version(c->buf, (size_t)c->size, &pc->info, &pc->ver, NULL);
	pc->ver_state = r < 0 ? r : 1;
	pc->ofn_len = r < 0 ? -1 : pe_str16(&pc->ver, LG_PE_STR_ORIGINAL_FILENAME, pc->ofn);
	pc->company_len = r < 0 ? -1 : pe_str16(&pc->ver, LG_PE_STR_COMPANY_NAME, pc->company);
}

/* The conditions on the version resource (no hashing): original_filename
 * and company compared like NTFS names (the volume's upcase table), the
 * file version as four numbers from VS_FIXEDFILEINFO. */
static bool pe_version_ok(struct walk *w, const struct crule *cr, struct content *c)
{
	const struct lg_rule *rl = cr->rule;
	if (!cr->ofn && !cr->company && !rl->has_file_version)
		return true;
	pe_version(c);
	struct pe_cache *pc = c->pe;
	if (pc->ver_state < 0)
		return false;
	if (cr->ofn && (pc->ofn_len < 0 || !lg_name_equal(cr->ofn, (size_t)cr->ofn_len, pc->ofn,
							  (size_t)pc->ofn_len, w->uc, w->uc_len)))
		return false;
	if (cr->company &&
	    (pc->company_len < 0 || !lg_name_equal(cr->company, (size_t)cr->company_len, pc->company,
						   (size_t)pc->company_len, w->uc, w->uc_len)))
		return false;
	if (rl->has_file_version) {
		if (!pc->ver.has_fixed)
			return false;
		const uint16_t *fv = pc->ver.file_version;
		uint64_t v = LG_FILE_VERSION(fv[0], fv[1], fv[2], fv[3]);
		if (v < rl->file_version_min || v > rl->file_version_max)
			return false;
	}
	return true;
}

/* The Authenticode digests in algs (LG_HASH_*), each computed once per
 * file; with Windows' padding of an unsigned file to a multiple of 8, and
 * also without it when the two differ (docs/pe.md: block lists carry
 * either). */
static int pe_authentihash(struct walk *w, struct content *c, unsigned algs)
{
	struct pe_cache *pc = c->pe;
	unsigned missing = algs & ~pc->ah_have;
	if (!missing)
		return 0;
	unsigned char *s256 = missing & LG_HASH_SHA256 ? pc->ah256 : NULL;
	unsigned char *s1 = missing & LG_HASH_SHA1 ? pc->ah1 : NULL;
	int r = lg_pe_authentihash(c->buf, (size_t)c->size, &pc->info, s256, s1);
	if (r == 0 && pc->info.pad_bytes)
		r = lg_pe_authentihash_unpadded(c->buf, (size_t)c->size, &pc->info,
						s256 ? pc->ah256u : NULL, s1 ? pc->ah1u : NULL);
	if (r < 0)
		return r;
	if (!pc->ah_have)
		w->res->stats.files_authentihashed++;
	pc->ah_have |= missing;
	return 0;
}

static bool digest_in(const unsigned char *d, const unsigned char *list, size_t n, size_t width)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(list + i * width, d, width))
			return true;
	return false;
}

/* The signatures of a parsed image, decoded once: only their digests for
 * an Authenticode rule (full = false), with every certificate for a
 * signer rule. Undecodable or absent signatures are not an error:
 * signer conditions fail on them. */
static int pe_signatures(struct content *c, bool full)
{
	struct pe_cache *pc = c->pe;
	if (pc->ac_state && (pc->ac_full || !full || pc->ac_state < 0))
		return 0;
	pc->ac_state = -ENOENT;
	if (!pc->info.cert_size)
		return 0;
	if (!pc->ac) {
		pc->ac = malloc(sizeof(*pc->ac));
		if (!pc->ac)
			return -ENOMEM;
	}
	int r = lg_authenticode_read(c->buf, (size_t)c->size, &pc->info, NULL, NULL,
				     full ? 0 : LG_AC_DIGESTS_ONLY, pc->ac, NULL);
	if (r == -ENOMEM)
		return r;
	pc->ac_state = r < 0 || !pc->ac->n_sigs ? -EBADMSG : 1;
	pc->ac_full = full;
	return 0;
}

static bool pe_signer_ok(const struct lg_rule *rl, const struct pe_cache *pc)
{
	if (pc->ac_state < 0)
		return false;
	for (size_t i = 0; i < rl->n_signers; i++)
		if (lg_ac_has_signer(pc->ac, rl->signers[i].tbs, rl->signers[i].tbs_len,
				     rl->signers[i].publisher))
			return true;
	return false;
}

/* Does a list hold the digest some signature carries (of this width's
 * algorithm)? Only for a file changed after signing does it differ from
 * the file's own Authenticode hash. */
static bool signed_digest_in(const struct pe_cache *pc, const char *alg, const unsigned char *list,
			     size_t n, size_t width)
{
	for (unsigned i = 0; pc->ac_state > 0 && i < pc->ac->n_sigs; i++) {
		const struct lg_ac_sig *s = &pc->ac->sigs[i];
		if (s->digest_len == width && !strcmp(s->digest_alg, alg) &&
		    digest_in(s->digest, list, n, width))
			return true;
	}
	return false;
}

/* A rule's authentihash lists against the digests computed: 1 the file's
 * own hash is listed, 2 only a digest its signature carries is (the file
 * was changed after signing: appended data, a patched byte), 0 neither;
 * -ENOMEM. Signatures are decoded (their digests only) only when the
 * file's own hashes are not listed. */
static int pe_hash_ok(const struct lg_rule *rl, struct content *c)
{
	struct pe_cache *pc = c->pe;
	bool pad = pc->info.pad_bytes != 0;
	bool own = true;
	if (rl->n_authentihash_sha256 &&
	    !digest_in(pc->ah256, rl->authentihash_sha256[0], rl->n_authentihash_sha256, 32) &&
	    !(pad && digest_in(pc->ah256u, rl->authentihash_sha256[0], rl->n_authentihash_sha256, 32)))
		own = false;
	if (own && rl->n_authentihash_sha1 &&
	    !digest_in(pc->ah1, rl->authentihash_sha1[0], rl->n_authentihash_sha1, 20) &&
	    !(pad && digest_in(pc->ah1u, rl->authentihash_sha1[0], rl->n_authentihash_sha1, 20)))
		own = false;
	if (own)
		return 1;
	if (!pc->info.cert_size)
		return 0;
	int r = pe_signatures(c, false);
	if (r < 0)
		return r;
	if (pc->ac_state < 0)
		return 0;
	if (rl->n_authentihash_sha256 &&
	    !digest_in(pc->ah256, rl->authentihash_sha256[0], rl->n_authentihash_sha256, 32) &&
	    !signed_digest_in(pc, "sha256", rl->authentihash_sha256[0], rl->n_authentihash_sha256, 32))
		return 0;
	if (rl->n_authentihash_sha1 &&
	    !digest_in(pc->ah1, rl->authentihash_sha1[0], rl->n_authentihash_sha1, 20) &&
	    !signed_digest_in(pc, "sha1", rl->authentihash_sha1[0], rl->n_authentihash_sha1, 20))
		return 0;
	return 2;
}

static bool time_ok(const struct lg_rule *r, int64_t t)
{
	if (r->has_modified_after && t < r->modified_after)
		return false;
	if (r->has_modified_before && t >= r->modified_before)
		return false;
	return true;
}

/* What the record says about a candidate. */
struct facts {
	bool dir, reparse;
	uint32_t attrs;
	int64_t ctime, mtime, mftime, atime;
};

static int add_match(struct walk *w, const struct cand *c, const struct facts *f, const struct content *ct,
		     const uint32_t *rules, size_t n, unsigned flags)
{
	struct lg_match_result *res = w->res;
	if (GROW(res->matches, w->cap_matches, res->n_matches + 1))
		return -ENOMEM;
	struct lg_match *mt = &res->matches[res->n_matches];
	memset(mt, 0, sizeof(*mt));
	mt->path = strdup(c->path);
	mt->name = malloc(c->name_len * sizeof(ntfschar));
	if (n > 1)
		mt->other_rules = malloc((n - 1) * sizeof(size_t));
	if (!mt->path || !mt->name || (n > 1 && !mt->other_rules)) {
		free(mt->path);
		free(mt->name);
		free(mt->other_rules);
		return -ENOMEM;
	}
	memcpy(mt->name, c->name, c->name_len * sizeof(ntfschar));
	mt->name_len = c->name_len;
	mt->mref = c->mref;
	mt->parent_mref = c->parent;
	mt->file_attributes = f->attrs;
	mt->size = f->dir ? 0 : ct->size;
	mt->creation_time = f->ctime;
	mt->last_write_time = f->mtime;
	mt->mft_change_time = f->mftime;
	mt->last_access_time = f->atime;
	mt->has_sha256 = ct->has_sha;
	if (ct->has_sha)
		memcpy(mt->sha256, ct->sha, 32);
	mt->rule_index = rules[0];
	mt->rule = w->m->rules[rules[0]].rule;
	for (size_t i = 1; i < n; i++)
		mt->other_rules[i - 1] = rules[i];
	mt->n_other_rules = n - 1;
	mt->flags = flags | (c->lossy ? LG_MATCH_NAME_LOSSY : 0) |
		    (lg_volume_name_unusable(c->name, c->name_len) ? LG_MATCH_NAME_UNUSABLE : 0);
	res->n_matches++;
	return 0;
}

/* The conditions of one name's rules on a regular file, each tier for
 * every rule before the next, so that no file is read or hashed for a
 * rule that a cheaper condition already excluded: size; header bytes (the
 * 4 KiB prefix); "is it a PE image at all" (the prefix again); the version
 * resource (one read of the file, kept in memory for the PE parser);
 * SHA-256; Authenticode hashes. ok[k] says rules[k] holds. */
static int eval_file(struct walk *w, const struct cand *c, const uint32_t *rules, size_t n,
		     struct content *ct, bool *ok)
{
	int r = 0;
#define CR(k) (&w->m->rules[rules[k] & ~VIA_ANY_DEPTH])
	for (size_t k = 0; k < n; k++) {
		const struct lg_rule *rl = CR(k)->rule;
		if (ok[k] && rl->has_size)
			ok[k] = ct->size >= rl->size_min && ct->size <= rl->size_max;
	}
	for (size_t k = 0; k < n && r == 0; k++) {
		const struct lg_rule *rl = CR(k)->rule;
		if (ok[k] && rl->header)
			r = content_header(w, ct, rl, &ok[k]);
	}
	for (size_t k = 0; k < n && r == 0; k++) {
		if (!ok[k] || !CR(k)->pe)
			continue;
		r = pe_parse(w, c, ct);
		if (r == 0 && ct->pe->state < 0)
			ok[k] = false; /* not a PE image: every PE condition fails */
		else if (r == 0)
			ok[k] = pe_version_ok(w, CR(k), ct);
	}
	for (size_t k = 0; k < n && r == 0; k++) {
		const struct lg_rule *rl = CR(k)->rule;
		if (!ok[k] || !rl->n_sha256)
			continue;
		r = content_sha256(w, ct);
		ok[k] = r == 0 && digest_in(ct->sha, rl->sha256[0], rl->n_sha256, 32);
	}
	/* Signer conditions: the signatures are decoded (a few KiB, no
	 * hashing of the file), before any Authenticode hash. */
	for (size_t k = 0; k < n && r == 0; k++) {
		const struct lg_rule *rl = CR(k)->rule;
		if (!ok[k] || !rl->n_signers)
			continue;
		r = pe_signatures(ct, true);
		ok[k] = r == 0 && pe_signer_ok(rl, ct->pe);
	}
	/* The Authenticode digests the remaining rules need, in one pass. */
	unsigned algs = 0;
	for (size_t k = 0; k < n; k++) {
		const struct lg_rule *rl = CR(k)->rule;
		if (ok[k] && rl->n_authentihash_sha256)
			algs |= LG_HASH_SHA256;
		if (ok[k] && rl->n_authentihash_sha1)
			algs |= LG_HASH_SHA1;
	}
	if (algs && r == 0)
		r = pe_authentihash(w, ct, algs);
	for (size_t k = 0; k < n && algs && r == 0; k++) {
		if (!ok[k] || !(CR(k)->rule->n_authentihash_sha256 || CR(k)->rule->n_authentihash_sha1))
			continue;
		int h = pe_hash_ok(CR(k)->rule, ct);
		if (h < 0) {
			r = h;
			break;
		}
		ok[k] = h != 0;
		if (h == 2)
			ct->pe->changed_hit = true;
	}
#undef CR
	return r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The other rules of a candidate's groups, ascending, each with its
 * group's VIA_ANY_DEPTH; their number. */
static int expand_other(struct walk *w, const struct cand *c, size_t *n)
{
	size_t total = 0, groups = 0;
	for (size_t i = 0; i < c->n_rules; i++) {
		size_t k = w->m->groups[c->rules[i] & ~VIA_ANY_DEPTH].n_other;
		total += k;
		groups += k != 0;
	}
	if (GROW(w->ex, w->cap_ex, total ? total : 1) || GROW(w->ok, w->cap_ok, total ? total : 1))
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct group *g = &w->m->groups[c->rules[i] & ~VIA_ANY_DEPTH];
		uint32_t via = c->rules[i] & VIA_ANY_DEPTH;
		for (size_t k = 0; k < g->n_other; k++)
			w->ex[o++] = g->other[k] | via;
	}
	/* A rule is in one group only: no repeats to merge. */
	if (groups > 1)
		qsort(w->ex, o, sizeof(*w->ex), cmp_rule);
	*n = o;
	return 0;
}

static int push_hit(struct walk *w, size_t *nhit, uint32_t rule)
{
	if (GROW(w->hit, w->cap_hit, *nhit + 1))
		return -ENOMEM;
	w->hit[(*nhit)++] = rule;
	return 0;
}

/* The plain (SHA-256 only) rules of a candidate's groups that hold, added
 * to w->hit: for a regular file, the hash is computed once and looked up
 * once per group; a reparse point is not read, and all of them are taken
 * as unverified (as each would be one by one); a directory has no content. */
static int plain_hits(struct walk *w, const struct cand *c, const struct facts *f, struct content *ct,
		      size_t *nhit, unsigned *flags)
{
	if (f->dir)
		return 0;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct group *g = &w->m->groups[c->rules[i] & ~VIA_ANY_DEPTH];
		if (!g->n_plain)
			continue;
		if (f->reparse) {
			*flags |= LG_MATCH_UNVERIFIED;
			for (size_t k = 0; k < g->n_plain; k++)
				if (push_hit(w, nhit, g->plain[k]) < 0)
					return -ENOMEM;
			continue;
		}
		int r = content_sha256(w, ct);
		if (r < 0)
			return r;
		size_t lo = 0, hi = g->n_digs;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(g->digs[mid].d, ct->sha, 32) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < g->n_digs && !memcmp(g->digs[k].d, ct->sha, 32); k++)
			if (push_hit(w, nhit, g->digs[k].rule) < 0)
				return -ENOMEM;
	}
	return 0;
}

/*
 * Every name (candidate) of one MFT record: the record is opened once and
 * the content read at most once, whatever the number of rules and names.
 */
static int eval_record(struct walk *w, struct cand *cs, size_t n, unsigned run_flags)
{
	errno = 0;
	ntfs_inode *ni = ntfs_inode_open(w->vol, cs[0].mref);
	w->res->stats.records_opened++;
	if (!ni) {
		int e = -(errno ? errno : EIO);
		for (size_t i = 0; i < n; i++)
			problem(w, cs[i].path, e, "cannot open the file's record");
		return w->fatal;
	}
	w->res->stats.files_evaluated++;
	struct facts f = {
		.dir = (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0,
		.reparse = (ni->flags & FILE_ATTR_REPARSE_POINT) != 0,
		.attrs = le32_to_cpu(ni->flags),
		.ctime = sle64_to_cpu(ni->creation_time),
		.mtime = sle64_to_cpu(ni->last_data_change_time),
		.mftime = sle64_to_cpu(ni->last_mft_change_time),
		.atime = sle64_to_cpu(ni->last_access_time),
	};
	struct content ct = { 0 };
	int r = 0;
	if (!f.dir) {
		errno = 0;
		ct.na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
		if (!ct.na) {
			int e = -(errno ? errno : EIO);
			for (size_t i = 0; i < n; i++)
				problem(w, cs[i].path, e, "cannot open the file's data");
			goto out;
		}
		ct.size = ct.na->data_size < 0 ? 0 : (uint64_t)ct.na->data_size;
	}

	for (size_t i = 0; i < n && r == 0 && !w->fatal; i++) {
		struct cand *c = &cs[i];
		size_t nx = 0;
		r = expand_other(w, c, &nx);
		if (r < 0)
			break;
		const uint32_t *ex = w->ex;
		bool *ok = w->ok;
		unsigned flags = (f.dir ? LG_MATCH_DIRECTORY : 0) | (f.reparse ? LG_MATCH_REPARSE : 0);
		for (size_t k = 0; k < nx; k++) {
			const struct crule *cr = &w->m->rules[ex[k] & ~VIA_ANY_DEPTH];
			ok[k] = time_ok(cr->rule, f.mtime);
			if (!ok[k])
				continue;
			if (f.dir) {
				/* A trailing "**" selects files; content
				 * conditions never hold for a directory. */
				ok[k] = !(ex[k] & VIA_ANY_DEPTH) && !cr->content;
			} else if (f.reparse && cr->content) {
				/* Not read: its data may be somewhere else. */
				flags |= LG_MATCH_UNVERIFIED;
			}
		}
		if (!f.dir && !f.reparse) {
			int e = eval_file(w, c, ex, nx, &ct, ok);
			if (e == -ENOMEM) {
				r = e;
				break;
			}
			if (e < 0) {
				/* Undecided: say so, and match nothing. */
				problem(w, c->path, e, "cannot read the file's content");
				continue;
			}
		}
		size_t nhit = 0;
		for (size_t k = 0; k < nx && r == 0; k++)
			if (ok[k])
				r = push_hit(w, &nhit, ex[k] & ~VIA_ANY_DEPTH);
		if (r < 0)
			break;
		/* Plain rules last: their SHA-256 is the same tier as the
		 * others' (after PE, which may have the file in memory). */
		int e = plain_hits(w, c, &f, &ct, &nhit, &flags);
		if (e == -ENOMEM) {
			r = e;
			break;
		}
		if (e < 0) {
			problem(w, c->path, e, "cannot read the file's content");
			continue;
		}
		if (!nhit)
			continue;
		uint32_t *hit = w->hit;
		if (nhit > 1) {
			qsort(hit, nhit, sizeof(*hit), cmp_u32);
			size_t o = 1;
			for (size_t k = 1; k < nhit; k++)
				if (hit[k] != hit[o - 1])
					hit[o++] = hit[k];
			nhit = o;
		}
		if ((run_flags & LG_MATCH_HASH_MATCHES) && !f.dir && !f.reparse) {
			e = content_sha256(w, &ct);
			if (e == -ENOMEM) {
				r = e;
				break;
			}
			if (e < 0)
				problem(w, c->path, e, "cannot hash the file's content");
		}
		if (ct.pe && ct.pe->changed_hit) {
			flags |= LG_MATCH_CHANGED_AFTER_SIGNING;
			problem(w, c->path, -EBADMSG, "changed after signing: its Authenticode hash differs from "
				"the digest its signature carries, and the rule lists the signed digest");
			if (w->fatal)
				r = w->fatal;
		}
		if (r == 0)
			r = add_match(w, c, &f, &ct, hit, nhit, flags);
	}
out:
	free(ct.buf);
	if (ct.pe)
		free(ct.pe->ac);
	free(ct.pe);
	if (ct.na)
		ntfs_attr_close(ct.na);
	ntfs_inode_close(ni);
	return r < 0 ? r : w->fatal;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->mref != y->mref)
		return x->mref < y->mref ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_match(const void *a, const void *b)
{
	return strcmp(((const struct lg_match *)a)->path, ((const struct lg_match *)b)->path);
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n_stack; i++)
		work_free(&w->stack[i]);
	free(w->stack);
	for (size_t i = 0; i < w->n_cands; i++) {
		free(w->cands[i].path);
		free(w->cands[i].name);
		free(w->cands[i].rules);
	}
	free(w->cands);
	free(w->visited);
	free(w->clo);
	free(w->lits);
	free(w->others);
	free(w->nx);
	free(w->tg);
	free(w->ex);
	free(w->ok);
	free(w->hit);
}

int lg_matcher_run(struct lg_matcher *m, ntfs_volume *vol, unsigned flags,
		   struct lg_match_result *res, struct lg_err *err)
{
	memset(res, 0, sizeof(*res));
	struct walk w = {
		.m = m,
		.vol = vol,
		.uc = vol->upcase,
		.uc_len = vol->upcase_len,
		.res = res,
	};
	w.own_len = lg_utf8_to_utf16(LG_DIR, strlen(LG_DIR), w.own, ARRAY_SIZE(w.own));
	uint64_t t0 = now_ns();
	int r = walk(&w);
	uint64_t t1 = now_ns();
	res->stats.walk_ns = t1 - t0;
	if (r == 0 && m->n && res->stats.dirs_listed + res->stats.index_lookups == 0) {
		/* The root itself could not be read: nothing was matched,
		 * and saying "no matches" would be a lie. */
		r = res->n_problems ? res->problems[0].error : -EIO;
		lg_err_set(err, "cannot read the root directory: %s", strerror(-r));
		goto fail;
	}
	if (r < 0) {
		lg_err_set(err, "matching stopped: %s", strerror(-r));
		goto fail;
	}
	/* Group the names of each record so it is opened and read once. */
	if (w.n_cands)
		qsort(w.cands, w.n_cands, sizeof(*w.cands), cmp_cand);
	for (size_t i = 0; i < w.n_cands && r == 0;) {
		size_t j = i + 1;
		while (j < w.n_cands && w.cands[j].mref == w.cands[i].mref)
			j++;
		r = eval_record(&w, &w.cands[i], j - i, flags);
		i = j;
	}
	res->stats.eval_ns = now_ns() - t1;
	if (r < 0) {
		lg_err_set(err, "matching stopped: %s", strerror(-r));
		goto fail;
	}
	if (res->n_matches)
		qsort(res->matches, res->n_matches, sizeof(*res->matches), cmp_match);
	walk_free(&w);
	return 0;
fail:
	walk_free(&w);
	/* Keep what explains the failure; drop any partial matches. */
	for (size_t i = 0; i < res->n_matches; i++) {
		free(res->matches[i].path);
		free(res->matches[i].name);
		free(res->matches[i].other_rules);
	}
	free(res->matches);
	res->matches = NULL;
	res->n_matches = 0;
	return r;
}
