// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay of registry hive transaction logs (hivelog.h). Written from the
 * public format description (Maxim Suhanov, "Windows registry file format
 * specification", sections "Format of transaction log files", "Dirty
 * state of a hive" and "Multiple transaction log files").
 */
#include "formats/hivelog.h"

#include "lib/le.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE 4096u        /* base block of a primary file; hive bins data follows */
#define LOG_BASE 512u     /* the partial base block of a log (clustering factor 1) */
#define SECTOR 512u
#define ENTRY_HDR 40u     /* HvLE header */
#define FT_PRIMARY 0u
#define FT_OLD 1u
#define FT_OLD2 2u
#define FT_NEW 6u

const char *const lg_hivelog_suffix[LG_HIVELOG_N] = { ".LOG", ".LOG1", ".LOG2" };

#define le32 lg_le32
#define le64 lg_le64
#define wr32 lg_put_le32

static bool fits(uint64_t off, uint64_t n, uint64_t total)
{
	return off <= total && n <= total - off;
}

uint32_t lg_hivelog_checksum(const unsigned char *base)
{
	uint32_t x = 0;
	for (unsigned i = 0; i < 508; i += 4)
		x ^= le32(base + i);
	if (x == 0)
		return 1;
	return x == UINT32_MAX ? UINT32_MAX - 1 : x;
}

static uint32_t rotl(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

/* Marvin32: two 32-bit lanes mixed with each 32-bit word, then a final
 * word holding the 0-3 leftover bytes after a 0x80 marker, then zero. */
static void marvin_mix(uint32_t *lo, uint32_t *hi, uint32_t v)
{
	*lo += v;
	*hi ^= *lo;
	*lo = rotl(*lo, 20) + *hi;
	*hi = rotl(*hi, 9) ^ *lo;
	*lo = rotl(*lo, 27) + *hi;
	*hi = rotl(*hi, 19);
}

uint64_t lg_marvin32(const unsigned char *d, size_t n, uint64_t seed)
{
	uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
	for (; n >= 4; d += 4, n -= 4)
		marvin_mix(&lo, &hi, le32(d));
	uint32_t fin = 0x80;
	for (size_t i = n; i > 0; i--)
		fin = fin << 8 | d[i - 1];
	marvin_mix(&lo, &hi, fin);
	marvin_mix(&lo, &hi, 0);
	return (uint64_t)hi << 32 | lo;
}

/* ---- base blocks -------------------------------------------------------- */

struct logf {
	const unsigned char *b;
	size_t len;
	bool ok;              /* a valid log of the format asked for */
	uint32_t seq, bins;
	uint64_t stamp;
	char why[96];         /* why not ok */
};

/* A log's partial base block, as the specification says a valid one is:
 * signature, checksum, its two sequence numbers equal, the file type of
 * its format, a hive bins data size in 4096-byte units. */
static void log_base(struct logf *l, const struct lg_hivelog_buf *in, bool want_new)
{
	memset(l, 0, sizeof(*l));
	l->b = in ? in->buf : NULL;
	l->len = in && in->buf ? in->len : 0;
	const unsigned char *b = l->b;
	if (l->len == 0) {
		snprintf(l->why, sizeof(l->why), "missing or empty");
		return;
	}
	if (l->len < LOG_BASE || memcmp(b, "regf", 4)) {
		snprintf(l->why, sizeof(l->why), "no base block (regf signature)");
		return;
	}
	if (l->len > LG_HIVELOG_MAX_BYTES) {
		snprintf(l->why, sizeof(l->why), "larger than %u bytes", LG_HIVELOG_MAX_BYTES);
		return;
	}
	if (le32(b + 508) != lg_hivelog_checksum(b)) {
		snprintf(l->why, sizeof(l->why), "its base block checksum is wrong");
		return;
	}
	uint32_t s1 = le32(b + 4), s2 = le32(b + 8), type = le32(b + 28);
	if (s1 != s2) {
		snprintf(l->why, sizeof(l->why), "its own sequence numbers differ (%u and %u)", s1, s2);
		return;
	}
	bool is_new = type == FT_NEW, is_old = type == FT_OLD || type == FT_OLD2;
	if (!is_new && !is_old) {
		snprintf(l->why, sizeof(l->why), "file type %u is not a transaction log", type);
		return;
	}
	if (is_new != want_new) {
		snprintf(l->why, sizeof(l->why), "a log in the %s format", is_new ? "new" : "old");
		return;
	}
	uint32_t bins = le32(b + 40);
	if (le32(b + 20) != 1 || le32(b + 32) != 1 || bins < BASE || bins % BASE || bins > LG_HIVELOG_MAX_BYTES) {
		snprintf(l->why, sizeof(l->why), "version %u.%u, format %u, hive bins size %u not accepted",
			 le32(b + 20), le32(b + 24), le32(b + 32), bins);
		return;
	}
	l->ok = true;
	l->seq = s1;
	l->bins = bins;
	l->stamp = le64(b + 12);
}

/* ---- the hive being recovered ------------------------------------------ */

struct work {
	unsigned char *out;
	size_t len;           /* allocated and valid */
	uint32_t bins;        /* hive bins data size */
	uint32_t seq;
	uint32_t flags;       /* base block flags (offset 144) */
	bool flags_set;
};

static int work_grow(struct work *w, uint64_t need)
{
	if (need <= w->len)
		return 0;
	if (need > (uint64_t)BASE + LG_HIVELOG_MAX_BYTES)
		return -EFBIG;
	unsigned char *n = realloc(w->out, (size_t)need);
	if (!n)
		return -ENOMEM;
	memset(n + w->len, 0, (size_t)need - w->len);
	w->out = n;
	w->len = (size_t)need;
	return 0;
}

/* ---- new format: HvLE entries ------------------------------------------- */

struct entry {
	uint32_t size, flags, seq, bins, count;
};

/* The entry at pos when it checks out as the specification says Windows
 * checks it: signature, a size in 512-byte units within the file, a hive
 * bins data size in 4096-byte units, at least one page, both hashes, and
 * (here, for safety) every page inside the entry and the hive bins data. */
static bool entry_at(const unsigned char *b, size_t len, size_t pos, struct entry *e)
{
	if (!fits(pos, ENTRY_HDR, len) || memcmp(b + pos, "HvLE", 4))
		return false;
	const unsigned char *h = b + pos;
	e->size = le32(h + 4);
	e->flags = le32(h + 8);
	e->seq = le32(h + 12);
	e->bins = le32(h + 16);
	e->count = le32(h + 20);
	if (e->size < SECTOR || e->size % SECTOR || !fits(pos, e->size, len))
		return false;
	if (e->bins < BASE || e->bins % BASE || e->bins > LG_HIVELOG_MAX_BYTES)
		return false;
	if (e->count == 0 || e->count > (e->size - ENTRY_HDR) / 8)
		return false;
	if (le64(h + 32) != lg_marvin32(h, 32, LG_HIVELOG_MARVIN_SEED) ||
	    le64(h + 24) != lg_marvin32(h + ENTRY_HDR, e->size - ENTRY_HDR, LG_HIVELOG_MARVIN_SEED))
		return false;
	uint64_t data = ENTRY_HDR + 8ull * e->count;
	for (uint32_t i = 0; i < e->count; i++) {
		uint32_t off = le32(h + ENTRY_HDR + 8 * i), sz = le32(h + ENTRY_HDR + 8 * i + 4);
		if (sz == 0 || !fits(off, sz, e->bins) || !fits(data, sz, e->size))
			return false;
		data += sz;
	}
	return true;
}

/* Apply the entries of one log in order from its base block's sequence
 * number, each the next number, stopping at the first that does not
 * check out. Returns the number applied (0: none), or negative errno. */
static int apply_new(struct work *w, const struct logf *l, unsigned *pages)
{
	int n = 0;
	uint32_t expect = l->seq;
	struct entry e;
	for (size_t pos = LOG_BASE; entry_at(l->b, l->len, pos, &e) && e.seq == expect; pos += e.size) {
		int rc = work_grow(w, (uint64_t)BASE + e.bins);
		if (rc < 0)
			return rc;
		const unsigned char *h = l->b + pos;
		size_t data = ENTRY_HDR + 8u * e.count;
		for (uint32_t i = 0; i < e.count; i++) {
			uint32_t off = le32(h + ENTRY_HDR + 8 * i), sz = le32(h + ENTRY_HDR + 8 * i + 4);
			memcpy(w->out + BASE + off, h + data, sz);
			data += sz;
			(*pages)++;
		}
		w->bins = e.bins;
		w->seq = e.seq;
		w->flags = (w->flags & ~1u) | (e.flags & 1u);
		w->flags_set = true;
		n++;
		expect++;
	}
	return n;
}

/* The highest sequence number of any entry in the log whose hashes hold,
 * wherever it stands (applied, stale or past a bad one). */
static uint32_t entries_max_seq(const struct logf *l, uint32_t m)
{
	struct entry e;
	for (size_t pos = LOG_BASE; fits(pos, ENTRY_HDR, l->len); pos += SECTOR)
		if (entry_at(l->b, l->len, pos, &e) && e.seq > m)
			m = e.seq;
	return m;
}

/* Which of two logs holds the earlier entries: the one with the lower
 * sequence number, counting across a wrap of the 32-bit numbers. */
static bool starts_first(uint32_t a, uint32_t b)
{
	return a < b ? (uint32_t)(b - a) <= 0x7fffffffu : (uint32_t)(a - b) > 0x7fffffffu;
}

/* ---- old format: dirty vector ------------------------------------------- */

static size_t old_pages_start(uint32_t bins)
{
	size_t end = LOG_BASE + 4 + bins / 4096u;
	return (end + SECTOR - 1) / SECTOR * SECTOR;
}

/* Check an old log's dirty vector and pages (why: what did not check out). */
static bool old_check(const struct logf *l, size_t *npages, char *why, size_t wlen)
{
	size_t vbytes = l->bins / 4096u;
	if (!fits(LOG_BASE, 4 + vbytes, l->len) || memcmp(l->b + LOG_BASE, "DIRT", 4)) {
		snprintf(why, wlen, "no dirty vector (DIRT signature)");
		return false;
	}
	size_t n = 0;
	for (size_t i = 0; i < vbytes; i++)
		n += (size_t)__builtin_popcount(l->b[LOG_BASE + 4 + i]);
	if (n == 0) {
		snprintf(why, wlen, "its dirty vector names no page");
		return false;
	}
	size_t start = old_pages_start(l->bins);
	if (!fits(start, (uint64_t)n * SECTOR, l->len)) {
		snprintf(why, wlen, "cut short: its dirty vector names %zu pages, the file holds %zu", n,
			 l->len > start ? (l->len - start) / SECTOR : 0);
		return false;
	}
	*npages = n;
	return true;
}

static int apply_old(struct work *w, const struct logf *l, unsigned *pages)
{
	int rc = work_grow(w, (uint64_t)BASE + l->bins);
	if (rc < 0)
		return rc;
	const unsigned char *vec = l->b + LOG_BASE + 4;
	size_t src = old_pages_start(l->bins);
	for (size_t bit = 0; bit < l->bins / SECTOR; bit++) {
		if (!(vec[bit / 8] >> (bit % 8) & 1))
			continue;
		memcpy(w->out + BASE + bit * SECTOR, l->b + src, SECTOR); /* bounds: old_check() */
		src += SECTOR;
		(*pages)++;
	}
	w->bins = l->bins;
	w->seq = l->seq;
	return 0;
}

/* ---- the result ----------------------------------------------------------- */

/* Every hive bin in place, one after another, to the end of the hive bins
 * data: what a recovered hive must have before anything reads it. */
static bool bins_ok(const struct work *w, char *why, size_t wlen)
{
	uint64_t end = (uint64_t)BASE + w->bins;
	if (end > w->len) {
		snprintf(why, wlen, "the recovered hive bins data is larger than the data");
		return false;
	}
	for (uint64_t pos = BASE; pos < end;) {
		const unsigned char *h = w->out + pos;
		uint32_t sz = fits(pos, 32, end) ? le32(h + 8) : 0;
		if (sz == 0 || memcmp(h, "hbin", 4) || le32(h + 4) != pos - BASE || sz < BASE || sz % BASE ||
		    !fits(pos, sz, end)) {
			snprintf(why, wlen, "the recovered hive has no valid hive bin at offset %llu",
				 (unsigned long long)(pos - BASE));
			return false;
		}
		pos += sz;
	}
	uint32_t root = le32(w->out + 36);
	if (root >= w->bins) {
		snprintf(why, wlen, "the recovered root cell offset %u lies outside the hive bins data", root);
		return false;
	}
	return true;
}

/* The base block of the recovered hive: the primary's when its checksum
 * held, else the log's partial copy; a clean primary file either way. */
static void finish(struct work *w, const unsigned char *prim, bool prim_ok, const struct logf *l)
{
	if (!prim_ok) {
		memset(w->out, 0, BASE);
		memcpy(w->out, l->b, LOG_BASE);
	} else {
		memcpy(w->out, prim, BASE);
	}
	wr32(w->out + 4, w->seq);
	wr32(w->out + 8, w->seq);
	wr32(w->out + 28, FT_PRIMARY);
	wr32(w->out + 40, w->bins);
	if (w->flags_set)
		wr32(w->out + 144, w->flags);
	wr32(w->out + 508, lg_hivelog_checksum(w->out));
}

__attribute__((format(printf, 3, 4)))
static void add_reason(struct lg_hivelog_result *res, const char *file, const char *fmt, ...)
{
	size_t n = strlen(res->reason);
	if (n + 4 >= sizeof(res->reason))
		return;
	if (n)
		n += (size_t)snprintf(res->reason + n, sizeof(res->reason) - n, "; ");
	if (n >= sizeof(res->reason))
		return;
	int k = snprintf(res->reason + n, sizeof(res->reason) - n, "%s", file ? file : "");
	if (k < 0 || (size_t)k >= sizeof(res->reason) - n)
		return;
	n += (size_t)k;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason + n, sizeof(res->reason) - n, fmt, ap);
	va_end(ap);
}

/* One recovery: the primary, its logs as both formats read them, the
 * hive being built, the answer. */
struct rec {
	const char *name;
	char fn[LG_HIVELOG_N][48];     /* "SYSTEM.LOG1"... */
	const unsigned char *prim;
	size_t plen;
	bool prim_ok;                  /* the primary's base block checksum holds */
	uint32_t s2;                   /* its secondary sequence number */
	struct logf nl[LG_HIVELOG_N], ol[LG_HIVELOG_N];
	struct work w;
	struct lg_hivelog_result *res;
};

/* New format, logs in the order given. 1 recovered, 0 not (reasons
 * added), negative errno. */
static int recover_new(struct rec *c, const int order[2])
{
	struct lg_hivelog_result *res = c->res;
	const struct logf *used_base = NULL;
	int n = 0;
	res->format = LG_HIVELOG_NEW;
	if (!c->prim_ok) {
		/* Windows recovers a damaged base block from the log with the
		 * later entries, and applies that log only. */
		int k = order[1] >= 0 ? order[1] : order[0];
		if ((n = apply_new(&c->w, &c->nl[k], &res->n_pages)) > 0) {
			res->used |= 1u << k;
			used_base = &c->nl[k];
		} else if (n == 0) {
			add_reason(res, c->fn[k], ": no log entry checks out");
		}
	}
	for (int j = 0; c->prim_ok && j < 2 && order[j] >= 0 && n >= 0; j++) {
		const struct logf *l = &c->nl[order[j]];
		if (res->used) {
			/* The second log continues the first only with the next
			 * sequence number. */
			if (l->seq != c->w.seq + 1)
				break;
		} else if (l->seq < c->s2) {
			add_reason(res, c->fn[order[j]], ": sequence number %u is older than the hive's %u", l->seq,
				   c->s2);
			continue;
		}
		int k = apply_new(&c->w, l, &res->n_pages);
		if (k < 0) {
			n = k;
		} else if (k > 0) {
			n += k;
			res->used |= 1u << order[j];
			used_base = l;
		} else if (!res->used) {
			add_reason(res, c->fn[order[j]], ": no log entry with sequence number %u checks out", l->seq);
		}
	}
	if (n <= 0)
		return n;
	res->n_entries = (unsigned)n;
	finish(&c->w, c->prim, c->prim_ok, used_base);
	char why[160];
	if (!bins_ok(&c->w, why, sizeof(why))) {
		add_reason(res, c->name, ": after the log entries, %s", why);
		return 0;
	}
	return 1;
}

/* Old format: a log written at the time the hive says it was last
 * written. 1 recovered, 0 not (reasons added), negative errno. */
static int recover_old(struct rec *c, const struct lg_hivelog_buf *logs)
{
	static const int old_order[] = { LG_HIVELOG_LOG1, LG_HIVELOG_LOG2, LG_HIVELOG_LOG };
	struct lg_hivelog_result *res = c->res;
	/* With a damaged base block only the first bin's copy of the time is
	 * left, and it lags (Windows writes it with that bin): a log written
	 * at that time or later is applicable. */
	uint64_t stamp = c->prim_ok ? le64(c->prim + 12) :
			 c->plen >= BASE + 32 && !memcmp(c->prim + BASE, "hbin", 4) ? le64(c->prim + BASE + 20) : 0;
	char why[160];
	for (size_t j = 0; j < 3; j++) {
		int i = old_order[j];
		const struct logf *l = &c->ol[i];
		size_t np = 0;
		if (!l->ok) {
			if (logs && logs[i].buf && logs[i].len)
				add_reason(res, c->fn[i], ": %s", l->why);
			continue;
		}
		res->format = LG_HIVELOG_OLD;
		if (c->prim_ok ? l->stamp != stamp : l->stamp < stamp) {
			add_reason(res, c->fn[i], ": written at another time than the hive");
			continue;
		}
		if (!old_check(l, &np, why, sizeof(why))) {
			add_reason(res, c->fn[i], ": %s", why);
			continue;
		}
		/* A log that does not give valid bins is not applied; the next
		 * applicable one may be (as Windows switches logs). */
		unsigned pages = 0;
		int rc = apply_old(&c->w, l, &pages);
		if (rc < 0)
			return rc;
		finish(&c->w, c->prim, c->prim_ok, l);
		if (!bins_ok(&c->w, why, sizeof(why))) {
			add_reason(res, c->fn[i], ": %s", why);
			memset(c->w.out, 0, c->w.len);
			memcpy(c->w.out, c->prim, c->plen);
			c->w.bins = le32(c->prim + 40);
			continue;
		}
		res->used = 1u << i;
		res->n_entries = 1;
		res->n_pages = pages;
		return 1;
	}
	if (!res->reason[0])
		add_reason(res, c->name, " has no transaction log (.LOG, .LOG1, .LOG2)");
	return 0;
}

int lg_hivelog_recover(const char *name, const unsigned char *prim, size_t plen,
		       const struct lg_hivelog_buf logs[LG_HIVELOG_N], unsigned char **out, size_t *out_len,
		       struct lg_hivelog_result *res)
{
	*out = NULL;
	*out_len = 0;
	memset(res, 0, sizeof(*res));
	if (!prim || plen < BASE || memcmp(prim, "regf", 4) || le32(prim + 28) != FT_PRIMARY)
		return -ENOTSUP;
	if (plen > (size_t)BASE + LG_HIVELOG_MAX_BYTES)
		return -EFBIG;
	struct rec *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->name = name ? name : "hive";
	for (int i = 0; i < LG_HIVELOG_N; i++)
		snprintf(c->fn[i], sizeof(c->fn[i]), "%.40s%s", c->name, lg_hivelog_suffix[i]);
	c->prim = prim;
	c->plen = plen;
	c->res = res;
	c->prim_ok = le32(prim + 508) == lg_hivelog_checksum(prim);
	uint32_t s1 = le32(prim + 4);
	c->s2 = le32(prim + 8);
	res->max_seq = c->prim_ok ? (s1 > c->s2 ? s1 : c->s2) : 0;
	res->seq = s1;
	int rc = 0;
	if (c->prim_ok && s1 == c->s2)
		goto out;
	res->dirty = true;
	if (!c->prim_ok)
		snprintf(res->dirty_why, sizeof(res->dirty_why), "its base block checksum is wrong");
	else
		snprintf(res->dirty_why, sizeof(res->dirty_why), "its sequence numbers differ (%u and %u)", s1, c->s2);
	for (int i = 0; i < LG_HIVELOG_N; i++) {
		log_base(&c->nl[i], logs ? &logs[i] : NULL, true);
		log_base(&c->ol[i], logs ? &logs[i] : NULL, false);
		if (c->nl[i].ok && c->nl[i].seq > res->max_seq)
			res->max_seq = c->nl[i].seq;
		if (c->nl[i].ok)
			res->max_seq = entries_max_seq(&c->nl[i], res->max_seq);
		if (c->ol[i].ok && c->ol[i].seq > res->max_seq)
			res->max_seq = c->ol[i].seq;
	}
	if ((rc = work_grow(&c->w, plen)) < 0)
		goto out;
	memcpy(c->w.out, prim, plen);
	c->w.bins = le32(prim + 40);
	c->w.flags = le32(prim + 144);

	/* New format first: LOG1 and LOG2 together, else either alone, else
	 * a single .LOG; old format only when there is no new-format log. */
	int order[2] = { -1, -1 };
	const struct logf *nl = c->nl;
	if (nl[1].ok && nl[2].ok) {
		order[0] = starts_first(nl[1].seq, nl[2].seq) ? 1 : 2;
		order[1] = order[0] == 1 ? 2 : 1;
	} else if (nl[1].ok || nl[2].ok) {
		order[0] = nl[1].ok ? 1 : 2;
	} else if (nl[0].ok) {
		order[0] = 0;
	}
	rc = order[0] >= 0 ? recover_new(c, order) : recover_old(c, logs);
	if (rc > 0) {
		res->seq = c->w.seq;
		res->base_recovered = !c->prim_ok;
		*out = c->w.out;
		*out_len = c->w.len;
		c->w.out = NULL;
		rc = 0;
		goto out;
	}
	if (rc == 0) {
		/* Every log present that is no valid log at all is named too. */
		for (int i = 0; i < LG_HIVELOG_N; i++)
			if (c->nl[i].len && !c->nl[i].ok && !c->ol[i].ok && !strstr(res->reason, c->fn[i]))
				add_reason(res, c->fn[i], ": %s", c->nl[i].why);
		rc = -EBADMSG;
	}
	res->used = 0;
	res->n_entries = 0;
	res->n_pages = 0;
out:
	free(c->w.out);
	free(c);
	return rc;
}
