// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SYSTEM hive (registry.h, docs/registry.md). libhivex walks keys and
 * reads strings; the values lastgood changes (Start, UpperFilters,
 * LowerFilters) are read and written here, on our own copy of the hive
 * bytes, one cell at a time. The hive is hostile input: every offset read
 * from it is checked against the hive bins area before use.
 */
#include "engine/registry.h"

#include "engine/paths.h"
#include "formats/hivelog.h"
#include "storage/fsops.h"
#include "lib/hash.h"
#include "lib/le.h"

#include <ctype.h>
#include <fcntl.h>
#include <hivex.h>
#include <time.h>

#include <ntfs-3g/security.h>

#define BASE 0x1000u                 /* hive bins data starts after the base block */
#define BIG_DATA_MIN 16345u          /* larger values are "big data" (db) in hives 1.4+ */
#define VALUE_READ_MAX (1u << 20)    /* strings we read (ImagePath...) */
#define PATH_MAX_LG 4096
#define ENUM_DEPTH 3                 /* Enum\<enumerator>\<device>\<instance> */

/* ---- little-endian access ------------------------------------------- */

/* lib/le.h, under the short names this file has always used. */
#define get32 lg_le32
#define put32 lg_put_le32
#define put64 lg_put_le64

static void sha_hex_buf(const void *d, size_t n, char hex[65])
{
	unsigned char s[32];
	lg_hash_buf(d, n, s, NULL);
	lg_hex(s, 32, hex);
}

/* ---- the hive in memory ------------------------------------------------ */

struct svc {
	char *name;
	char **paths;                /* resolved candidates of ImagePath / ServiceDll */
	size_t n_paths;
	char *group;
};

struct fref {                         /* one UpperFilters/LowerFilters value */
	char *key;                    /* below the control set */
	char *value;
	hive_value_h vk;
	int crit;                     /* index into crit_classes, or -1 */
};

struct fndrv {                        /* function driver of a storage device */
	char *service;
	char *key;
	int crit;
};

struct setidx {
	hive_node_h node;
	struct svc *svcs;
	size_t n_svcs;
	struct fref *frefs;
	size_t n_frefs;
	struct fndrv *fn;
	size_t n_fn;
};

struct change {
	unsigned set;
	char *key, *value, *name, *rule;
	uint32_t type;
	unsigned char *old, *new;
	size_t old_len, new_len;
};

struct hbin {
	size_t off, size;             /* absolute offset, bytes */
};

struct lg_registry {
	struct lg_reg_opts o;
	char *windir;
	struct lg_volume *v;          /* when loaded from a volume (borrowed) */
	unsigned char *buf;           /* the hive, edited in place */
	size_t len;
	uint32_t bins;                /* hive bins data size */
	uint32_t seq, minor;
	unsigned char sha_before[32];
	hive_h *hx;
	bool dirty;
	char dirty_why[512];
	/* A dirty hive recovered from its transaction logs (hivelog.h):
	 * decisions and edits are made on the recovered bytes. */
	bool replayed;
	unsigned replay_entries;
	char replay_from[64];         /* "SYSTEM.LOG1, SYSTEM.LOG2" */
	uint32_t max_seq;             /* highest sequence number in hive and logs */
	char log_why[400];            /* dirty and no usable log: what did not check out */
	struct reglog {
		bool present;
		size_t size;
		char sha[65];
	} logs[LG_HIVELOG_N];
	char set_names[LG_REG_MAX_SETS][16];
	const char *set_ptrs[LG_REG_MAX_SETS];
	size_t n_sets;
	struct setidx idx[LG_REG_MAX_SETS];
	bool indexed;
	struct change *changes;
	size_t n_changes;
	struct hbin *hbins;           /* the hive bins, in file order */
	size_t n_hbins;
};

static const struct {
	const char *guid, *what;
} crit_classes[] = {
	{ "{4d36e967-e325-11ce-bfc1-08002be10318}", "disk drives" },
	{ "{71a27cdd-812a-11d0-bec7-08002be2e9ba}", "storage volumes" },
	{ "{4d36e97b-e325-11ce-bfc1-08002be10318}", "SCSI and RAID controllers" },
	{ "{4d36e96a-e325-11ce-bfc1-08002be10318}", "IDE ATA/ATAPI controllers" },
};

static const char *const crit_groups[] = {
	"Boot Bus Extender", "System Bus Extender", "SCSI miniport", "SCSI Class",
	"Boot File System", "FSFilter Bottom", "FSFilter Encryption",
};

static int crit_class(const char *guid)
{
	for (size_t i = 0; guid && i < ARRAY_SIZE(crit_classes); i++)
		if (!strcasecmp(guid, crit_classes[i].guid))
			return (int)i;
	return -1;
}

static void change_free(struct change *c)
{
	free(c->key);
	free(c->value);
	free(c->name);
	free(c->rule);
	free(c->old);
	free(c->new);
}

static void idx_free(struct setidx *x)
{
	for (size_t i = 0; i < x->n_svcs; i++) {
		free(x->svcs[i].name);
		for (size_t k = 0; k < x->svcs[i].n_paths; k++)
			free(x->svcs[i].paths[k]);
		free(x->svcs[i].paths);
		free(x->svcs[i].group);
	}
	free(x->svcs);
	for (size_t i = 0; i < x->n_frefs; i++) {
		free(x->frefs[i].key);
		free(x->frefs[i].value);
	}
	free(x->frefs);
	for (size_t i = 0; i < x->n_fn; i++) {
		free(x->fn[i].service);
		free(x->fn[i].key);
	}
	free(x->fn);
	memset(x, 0, sizeof(*x));
}

void lg_registry_free(struct lg_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < LG_REG_MAX_SETS; i++)
		idx_free(&r->idx[i]);
	for (size_t i = 0; i < r->n_changes; i++)
		change_free(&r->changes[i]);
	free(r->changes);
	if (r->hx)
		hivex_close(r->hx);
	free(r->buf);
	free(r->windir);
	free(r->hbins);
	free(r);
}

bool lg_registry_dirty(const struct lg_registry *r)
{
	return r->dirty;
}

const char *lg_registry_replayed(const struct lg_registry *r, unsigned *entries)
{
	if (entries)
		*entries = r->replayed ? r->replay_entries : 0;
	return r->replayed ? r->replay_from : NULL;
}

void lg_registry_report_state(const struct lg_registry *r, json_t *o)
{
	json_object_set_new(o, "dirty_hive", json_boolean(r->dirty));
	if (r->replayed) {
		json_object_set_new(o, "replayed_log_entries", json_integer(r->replay_entries));
		json_object_set_new(o, "replayed_from", json_string(r->replay_from));
	} else if (r->dirty && r->log_why[0]) {
		json_object_set_new(o, "logs_unusable", json_string(r->log_why));
	}
}

size_t lg_registry_control_sets(const struct lg_registry *r, const char *const **names)
{
	if (names)
		*names = r->set_ptrs;
	return r->n_sets;
}

size_t lg_registry_n_changes(const struct lg_registry *r)
{
	return r->n_changes;
}

/* Windows' base block checksum: XOR of 127 words, 0 and ~0 avoided. */
static uint32_t base_checksum(const unsigned char *b)
{
	uint32_t sum = 0;
	for (int i = 0; i < 0x1fc; i += 4)
		sum ^= get32(b + i);
	if (sum == UINT32_MAX)
		return UINT32_MAX - 1;
	return sum ? sum : 1;
}

static int check_base(struct lg_registry *r, struct lg_err *err)
{
	const unsigned char *b = r->buf;
	if (r->len < 2 * BASE || memcmp(b, "regf", 4)) {
		lg_err_set(err, "not a registry hive (no regf signature)");
		return -ENOTSUP;
	}
	uint32_t major = get32(b + 20), minor = get32(b + 24);
	if (major != 1 || minor < 3 || minor > 6 || get32(b + 28) != 0 || get32(b + 32) != 1) {
		lg_err_set(err, "registry hive version %u.%u, type %u, format %u: lastgood edits primary "
			   "hives of versions 1.3 to 1.6", major, minor, get32(b + 28), get32(b + 32));
		return -ENOTSUP;
	}
	r->minor = minor;
	r->bins = get32(b + 40);
	if (!r->bins || r->bins % BASE || !lg_in_bounds(BASE, r->bins, r->len)) {
		lg_err_set(err, "hive bins data size %u does not fit the %zu-byte file", r->bins, r->len);
		return -EBADMSG;
	}
	uint32_t s1 = get32(b + 4), s2 = get32(b + 8);
	r->seq = s1;
	if (get32(b + 0x1fc) != base_checksum(b)) {
		r->dirty = true;
		snprintf(r->dirty_why, sizeof(r->dirty_why), "its base block checksum is wrong");
	} else if (s1 != s2) {
		r->dirty = true;
		snprintf(r->dirty_why, sizeof(r->dirty_why), "its sequence numbers differ (%u and %u)", s1, s2);
	}
	if (r->dirty && r->log_why[0]) {
		size_t n = strlen(r->dirty_why);
		snprintf(r->dirty_why + n, sizeof(r->dirty_why) - n, " and no transaction log can be replayed: %s",
			 r->log_why);
	}
	/* Written back with a sequence number above every one the logs hold:
	 * none of their entries is ever applied over it (docs/registry.md). */
	if (r->replayed && r->max_seq >= r->seq)
		r->seq = r->max_seq;
	return 0;
}

/* ---- cells --------------------------------------------------------------- */

static int push(void **arr, size_t *n, size_t size);

/* The hive bins, walked once: every cell we read or write must lie in
 * one of them. A damaged bin ends the walk; what follows it is never
 * read or written (libhivex, which checked the file, still reads it). */
static int index_bins(struct lg_registry *r)
{
	r->n_hbins = 0;
	for (uint64_t bin = BASE; bin < BASE + (uint64_t)r->bins;) {
		const unsigned char *h = r->buf + bin;
		uint32_t bsz = get32(h + 8);
		if (!lg_in_bounds(bin, 0x20, r->len) || memcmp(h, "hbin", 4) || get32(h + 4) != bin - BASE ||
		    bsz < BASE || bsz % BASE || !lg_in_bounds(bin, bsz, BASE + (uint64_t)r->bins))
			break;
		int rc = push((void **)&r->hbins, &r->n_hbins, sizeof(*r->hbins));
		if (rc < 0)
			return rc;
		r->hbins[r->n_hbins - 1] = (struct hbin){ (size_t)bin, bsz };
		bin += bsz;
	}
	return 0;
}

/* The cell that starts exactly at absolute offset off: its size and
 * whether it is used. It must be a cell boundary of its bin (walked from
 * the bin's first cell), so that a hostile offset into the middle of
 * another cell, or across a bin's end, is refused. */
static int cell_at(const struct lg_registry *r, size_t off, uint32_t *size, bool *used)
{
	size_t lo = 0, hi = r->n_hbins;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->hbins[mid].off + r->hbins[mid].size <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->n_hbins || off < r->hbins[lo].off + 0x20 || off % 8)
		return -EBADMSG;
	size_t end = r->hbins[lo].off + r->hbins[lo].size;
	for (size_t c = r->hbins[lo].off + 0x20; c < end;) {
		int32_t s = (int32_t)get32(r->buf + c);
		uint32_t a = s < 0 ? (uint32_t)-(int64_t)s : (uint32_t)s;
		if (s == 0 || a < 8 || a % 8 || a > end - c)
			return -EBADMSG;
		if (c == off) {
			*size = a;
			*used = s < 0;
			return 0;
		}
		if (c > off)
			break;
		c += a;
	}
	return -EBADMSG;
}

struct vk {
	size_t off;                   /* of the vk cell */
	uint32_t type, len;
	bool inl, big;
	size_t data;                  /* absolute offset of the data bytes */
	size_t cell;                  /* data cell (not inline), its capacity */
	uint32_t cap;
};

static int vk_read(const struct lg_registry *r, hive_value_h h, struct vk *v)
{
	memset(v, 0, sizeof(*v));
	v->off = h;
	uint32_t sz;
	bool used;
	if (cell_at(r, h, &sz, &used) < 0 || !used || sz < 24 || memcmp(r->buf + h + 4, "vk", 2))
		return -EBADMSG;
	uint32_t raw = get32(r->buf + h + 8);
	v->type = get32(r->buf + h + 16);
	if (raw & 0x80000000u) {
		v->inl = true;
		v->len = raw & 0x7fffffffu;
		if (v->len > 4)
			return -EBADMSG;
		v->data = h + 12;
		return 0;
	}
	v->len = raw;
	if (!raw)
		return 0;
	uint64_t cell = (uint64_t)BASE + get32(r->buf + h + 12);
	uint32_t csz;
	if (cell_at(r, (size_t)cell, &csz, &used) < 0 || !used)
		return -EBADMSG;
	v->cell = (size_t)cell;
	v->cap = csz - 4;
	v->data = (size_t)cell + 4;
	if (raw >= BIG_DATA_MIN && r->minor >= 4 && csz >= 8 && !memcmp(r->buf + cell + 4, "db", 2)) {
		v->big = true;
		return 0;
	}
	return raw <= v->cap ? 0 : -EBADMSG;
}

/* Copy of a value's data (not for big data). */
static int vk_data(const struct lg_registry *r, const struct vk *v, unsigned char **out)
{
	if (v->big)
		return -EFBIG;
	*out = malloc(v->len ? v->len : 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, r->buf + v->data, v->len);
	return 0;
}

/* Find a free cell of at least need bytes, or add a hive bin. Returns the
 * absolute offset of the new used cell, or a negative errno. */
static int64_t cell_alloc(struct lg_registry *r, uint32_t need)
{
	need = (need + 7) & ~7u;
	for (size_t b = 0; b < r->n_hbins; b++) {
		size_t end = r->hbins[b].off + r->hbins[b].size;
		for (size_t c = r->hbins[b].off + 0x20; c < end;) {
			int32_t s = (int32_t)get32(r->buf + c);
			uint32_t a = s < 0 ? (uint32_t)-(int64_t)s : (uint32_t)s;
			if (s == 0 || a < 8 || a % 8 || a > end - c)
				break; /* damaged: nothing taken from this bin */
			if (s > 0 && a >= need) {
				if (a - need >= 8) {
					put32(r->buf + c + need, a - need);
					a = need;
				}
				put32(r->buf + c, (uint32_t)-(int32_t)a);
				return (int64_t)c;
			}
			c += a;
		}
	}
	/* A new bin at the end of the hive bins data (over any padding).
	 * Only after an intact chain of bins: the base block's size then
	 * says where it ends. */
	if (!r->n_hbins || r->hbins[r->n_hbins - 1].off + r->hbins[r->n_hbins - 1].size != BASE + (uint64_t)r->bins)
		return -EBADMSG;
	uint32_t bsz = (need + 0x20 + BASE - 1) & ~(BASE - 1);
	uint64_t at = BASE + (uint64_t)r->bins, end = at + bsz;
	if (end > LG_HIVE_MAX_BYTES)
		return -EFBIG;
	int rc = push((void **)&r->hbins, &r->n_hbins, sizeof(*r->hbins));
	if (rc < 0)
		return rc;
	if (end > r->len) {
		unsigned char *nb = realloc(r->buf, (size_t)end);
		if (!nb) {
			r->n_hbins--;
			return -ENOMEM;
		}
		r->buf = nb;
		r->len = (size_t)end;
	}
	r->hbins[r->n_hbins - 1] = (struct hbin){ (size_t)at, bsz };
	unsigned char *h = r->buf + at;
	memset(h, 0, bsz);
	memcpy(h, "hbin", 4);
	put32(h + 4, r->bins);
	put32(h + 8, bsz);
	put32(h + 0x20, (uint32_t)-(int32_t)need);
	if (bsz - 0x20 - need >= 8)
		put32(h + 0x20 + need, bsz - 0x20 - need);
	r->bins += bsz;
	put32(r->buf + 40, r->bins);
	return (int64_t)(at + 0x20);
}

/* Replace a value's data, type unchanged: 4 bytes or less inline (as
 * Windows stores them), else in the value's own cell when it fits, else
 * in a new cell; a data cell no longer used is marked free. */
static int vk_write(struct lg_registry *r, hive_value_h h, const unsigned char *data, size_t len)
{
	struct vk v;
	int rc = vk_read(r, h, &v);
	if (rc < 0)
		return rc;
	if (v.big || len >= BIG_DATA_MIN)
		return -EFBIG;
	size_t old_cell = v.inl || !v.len ? 0 : v.cell;
	if (len <= 4) {
		unsigned char in[4] = { 0 };
		memcpy(in, data, len);
		memcpy(r->buf + h + 12, in, 4);
		put32(r->buf + h + 8, (uint32_t)len | 0x80000000u);
	} else if (old_cell && len <= v.cap) {
		memcpy(r->buf + v.data, data, len);
		memset(r->buf + v.data + len, 0, v.cap - len);
		put32(r->buf + h + 8, (uint32_t)len);
		old_cell = 0;
	} else {
		int64_t c = cell_alloc(r, (uint32_t)len + 4);
		if (c < 0)
			return (int)c;
		/* cell_alloc may move the buffer; offsets stay valid. */
		memcpy(r->buf + c + 4, data, len);
		put32(r->buf + h + 12, (uint32_t)(c - BASE));
		put32(r->buf + h + 8, (uint32_t)len);
	}
	if (old_cell) {
		int32_t s = (int32_t)get32(r->buf + old_cell);
		if (s < 0)
			put32(r->buf + old_cell, (uint32_t)-s);
	}
	return 0;
}

/* ---- reading keys through libhivex ---------------------------------------- */

static hive_node_h child(struct lg_registry *r, hive_node_h n, const char *name)
{
	errno = 0;
	return n ? hivex_node_get_child(r->hx, n, name) : 0;
}

/* A key below node along a '\'-separated path. */
static hive_node_h node_path(struct lg_registry *r, hive_node_h n, const char *path)
{
	char part[256];
	while (n && *path) {
		size_t l = strcspn(path, "\\");
		if (l >= sizeof(part))
			return 0;
		memcpy(part, path, l);
		part[l] = 0;
		if (l)
			n = child(r, n, part);
		path += l + (path[l] == '\\');
	}
	return n;
}

static hive_value_h value_h(struct lg_registry *r, hive_node_h n, const char *name)
{
	errno = 0;
	return n ? hivex_node_get_value(r->hx, n, name) : 0;
}

/* A string value (REG_SZ or REG_EXPAND_SZ) as UTF-8, or NULL. */
static char *value_str(struct lg_registry *r, hive_node_h n, const char *name)
{
	hive_value_h v = value_h(r, n, name);
	hive_type t;
	size_t len;
	if (!v || hivex_value_type(r->hx, v, &t, &len) < 0 || len > VALUE_READ_MAX ||
	    (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
		return NULL;
	return hivex_value_string(r->hx, v);
}

static int read_dword(struct lg_registry *r, hive_node_h n, const char *name, uint32_t *out)
{
	hive_value_h h = value_h(r, n, name);
	struct vk v;
	if (!h)
		return -ENOENT;
	if (vk_read(r, h, &v) < 0)
		return -EBADMSG;
	if (v.type != LG_REG_DWORD || v.len != 4)
		return -EMEDIUMTYPE;
	*out = get32(r->buf + v.data);
	return 0;
}

/* The control sets Select names, deduplicated, existing ones only. */
static int find_sets(struct lg_registry *r, struct lg_err *err)
{
	hive_node_h root = hivex_root(r->hx), sel = child(r, root, "Select");
	static const char *const which[] = { "Current", "Default", "LastKnownGood" };
	if (!sel) {
		lg_err_set(err, "the SYSTEM hive has no Select key");
		return -ENOENT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(which); i++) {
		uint32_t n;
		if (read_dword(r, sel, which[i], &n) < 0 || n == 0 || n > 999)
			continue;
		char name[16];
		snprintf(name, sizeof(name), "ControlSet%03u", n);
		bool dup = false;
		for (size_t k = 0; k < r->n_sets; k++)
			dup |= !strcmp(r->set_names[k], name);
		hive_node_h node = child(r, root, name);
		if (dup || !node)
			continue;
		memcpy(r->set_names[r->n_sets], name, sizeof(name));
		r->set_ptrs[r->n_sets] = r->set_names[r->n_sets];
		r->idx[r->n_sets].node = node;
		r->n_sets++;
	}
	if (!r->n_sets) {
		lg_err_set(err, "Select in the SYSTEM hive names no control set that exists");
		return -ENOENT;
	}
	return 0;
}

/* libhivex reads files: it gets a host copy of our bytes, unlinked as
 * soon as it has mapped it, so nothing is left behind whatever happens
 * next. A base block with a wrong checksum (dirty: lg_registry_check()
 * refuses edits) is given a right one in the copy, or libhivex would
 * refuse to read the hive at all. */
static int open_common(struct lg_registry *r, const char *tmpdir, struct lg_err *err)
{
	int rc = check_base(r, err);
	if (rc < 0)
		return rc;
	if ((rc = index_bins(r)) < 0)
		return rc;
	const char *d = tmpdir ? tmpdir : getenv("TMPDIR");
	char tmp[PATH_MAX_LG];
	snprintf(tmp, sizeof(tmp), "%s/lastgood-hive-XXXXXX", d && *d ? d : "/tmp");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		lg_err_set(err, "cannot create a temporary copy of the hive in %s: %s", tmp, strerror(errno));
		return rc;
	}
	unsigned char base[512];
	memcpy(base, r->buf, sizeof(base));
	put32(base + 0x1fc, 0);
	uint32_t x = 0;
	for (int i = 0; i < 0x1fc; i += 4)
		x ^= get32(base + i);
	put32(base + 0x1fc, x); /* what libhivex checks: the plain XOR */
	for (size_t done = 0; done < r->len && rc == 0;) {
		const unsigned char *src = done < sizeof(base) ? base + done : r->buf + done;
		size_t n = done < sizeof(base) ? sizeof(base) - done : r->len - done;
		ssize_t w = write(fd, src, n);
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else
			done += (size_t)w;
	}
	close(fd);
	if (rc == 0) {
		r->hx = hivex_open(tmp, 0);
		if (!r->hx) {
			int e = errno;
			lg_err_set(err, "libhivex refuses the hive: %s", strerror(e));
			rc = e == ENOMEM ? -ENOMEM : -EBADMSG;
		}
	} else {
		lg_err_set(err, "cannot write the temporary copy %s: %s", tmp, strerror(-rc));
	}
	unlink(tmp);
	return rc < 0 ? rc : find_sets(r, err);
}

/* Reads one log file beside the hive: 0 with the bytes, -ENOENT when
 * there is none, another negative errno when it cannot be read. */
typedef int (*log_reader)(void *ctx, const char *path, char **buf, size_t *len);

/* A dirty hive: read its logs and recover it as Windows would at its next
 * boot. Afterwards r->buf is the recovered hive (r->replayed), or, when
 * no log can be applied, still the dirty one with r->log_why saying why.
 * The original file's SHA-256 is kept in r->sha_before. */
static int replay_logs(struct lg_registry *r, const char *hive_path, log_reader rd, void *ctx, struct lg_err *err)
{
	lg_hash_buf(r->buf, r->len, r->sha_before, NULL);
	if (r->len < 2 * BASE || memcmp(r->buf, "regf", 4) || get32(r->buf + 28) != 0 ||
	    (get32(r->buf + 0x1fc) == base_checksum(r->buf) && get32(r->buf + 4) == get32(r->buf + 8)))
		return 0; /* clean (the logs are ignored, as Windows does), or check_base() says what */
	char *lb[LG_HIVELOG_N] = { NULL };
	struct lg_hivelog_buf logs[LG_HIVELOG_N];
	int rc = 0;
	for (int i = 0; i < LG_HIVELOG_N && rc == 0; i++) {
		char p[PATH_MAX_LG];
		size_t n = 0;
		snprintf(p, sizeof(p), "%s%s", hive_path, lg_hivelog_suffix[i]);
		int e = rd(ctx, p, &lb[i], &n);
		if (e == -ENOENT) {
			lb[i] = NULL;
			n = 0;
		} else if (e < 0) {
			lg_err_set(err, "cannot read %s: %s", p, strerror(-e));
			rc = e;
			break;
		} else {
			r->logs[i].present = true;
			r->logs[i].size = n;
			sha_hex_buf(lb[i], n, r->logs[i].sha);
		}
		logs[i] = (struct lg_hivelog_buf){ (const unsigned char *)lb[i], n };
	}
	unsigned char *out = NULL;
	size_t out_len = 0;
	struct lg_hivelog_result res;
	if (rc == 0)
		rc = lg_hivelog_recover("SYSTEM", r->buf, r->len, logs, &out, &out_len, &res);
	for (int i = 0; i < LG_HIVELOG_N; i++)
		free(lb[i]);
	if (rc == -EBADMSG || rc == -ENOTSUP) {
		snprintf(r->log_why, sizeof(r->log_why), "%s", res.reason);
		return 0; /* refused later, per rule, with the reason */
	}
	if (rc < 0) {
		if (!err->msg[0])
			lg_err_set(err, "cannot replay the SYSTEM hive's logs: %s", strerror(-rc));
		return rc;
	}
	if (!out)
		return 0;
	free(r->buf);
	r->buf = out;
	r->len = out_len;
	r->replayed = true;
	r->replay_entries = res.n_entries;
	r->max_seq = res.max_seq;
	size_t k = 0;
	for (int i = 0; i < LG_HIVELOG_N; i++)
		if (res.used & 1u << i)
			k += (size_t)snprintf(r->replay_from + k, sizeof(r->replay_from) - k, "%sSYSTEM%s",
					      k ? ", " : "", lg_hivelog_suffix[i]);
	return 0;
}

static int host_reader(void *ctx, const char *path, char **buf, size_t *len)
{
	(void)ctx;
	return lg_read_file(path, LG_HIVE_MAX_BYTES, buf, len);
}

static int vol_reader(void *ctx, const char *path, char **buf, size_t *len)
{
	return lg_fs_read(ctx, path, LG_HIVE_MAX_BYTES, buf, len);
}

static int new_registry(const struct lg_reg_opts *o, struct lg_registry **out)
{
	*out = NULL;
	struct lg_registry *r = lg_zalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = *o;
	r->windir = strdup(o->windir ? o->windir : "Windows");
	if (!r->windir) {
		free(r);
		return -ENOMEM;
	}
	r->o.windir = r->windir;
	r->o.tmpdir = NULL; /* used while opening only */
	*out = r;
	return 0;
}

int lg_registry_open(const char *hive_path, const struct lg_reg_opts *o, struct lg_registry **out,
		     struct lg_err *err)
{
	struct lg_registry *r;
	int rc = new_registry(o, &r);
	if (rc < 0)
		return rc;
	char *b = NULL;
	rc = lg_read_file(hive_path, LG_HIVE_MAX_BYTES, &b, &r->len);
	if (rc < 0) {
		lg_err_set(err, "cannot read %s: %s", hive_path,
			   rc == -EFBIG ? "larger than lastgood edits" : strerror(-rc));
		lg_registry_free(r);
		return rc;
	}
	r->buf = (unsigned char *)b;
	if ((rc = replay_logs(r, hive_path, host_reader, NULL, err)) < 0 ||
	    (rc = open_common(r, o->tmpdir, err)) < 0) {
		lg_registry_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static char *hive_path_of(const char *windir)
{
	char *p = NULL;
	return asprintf(&p, "%s/System32/config/SYSTEM", windir) < 0 ? NULL : p;
}

int lg_registry_load(struct lg_volume *v, const struct lg_reg_opts *o, struct lg_registry **out,
		     struct lg_err *err)
{
	struct lg_registry *r;
	int rc = new_registry(o, &r);
	if (rc < 0)
		return rc;
	r->v = v;
	_cleanup_free_ char *hp = hive_path_of(r->windir);
	char *b = NULL;
	rc = hp ? lg_fs_read(v, hp, LG_HIVE_MAX_BYTES, &b, &r->len) : -ENOMEM;
	if (rc < 0) {
		lg_err_set(err, "cannot read \\%s: %s", hp ? hp : "SYSTEM",
			   rc == -EFBIG ? "larger than lastgood edits" : strerror(-rc));
		lg_registry_free(r);
		return rc;
	}
	r->buf = (unsigned char *)b;
	if ((rc = replay_logs(r, hp, vol_reader, v, err)) < 0 || (rc = open_common(r, o->tmpdir, err)) < 0) {
		lg_registry_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int lg_registry_computer_name(struct lg_registry *r, char *out, size_t outlen)
{
	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	if (!r || !r->n_sets)
		return -ENOENT;
	hive_node_h n = node_path(r, r->idx[0].node, "Control\\ComputerName\\ComputerName");
	_cleanup_free_ char *name = n ? value_str(r, n, "ComputerName") : NULL;
	if (!name || !*name)
		return -ENOENT;
	size_t o = 0;
	const char *p = name;
	for (; *p && o + 1 < outlen; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			out[o++] = *p;
	if (*p) {
		/* cut short: not inside a UTF-8 sequence */
		while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)out[o - 1] & 0x80))
			o--;
	}
	out[o] = '\0';
	return o ? 0 : -ENOENT;
}

/* ---- the index: services, filter lists, storage devices per control set -- */

static int push(void **arr, size_t *n, size_t size)
{
	if (*n >= 1000000)
		return -E2BIG; /* a hostile hive; real ones have thousands */
	void *na = realloc(*arr, (*n + 1) * size);
	if (!na)
		return -ENOMEM;
	*arr = na;
	memset((char *)na + *n * size, 0, size);
	(*n)++;
	return 0;
}

static int add_path(struct svc *s, const char *path)
{
	for (size_t i = 0; i < s->n_paths; i++)
		if (!strcasecmp(s->paths[i], path))
			return 0;
	int rc = push((void **)&s->paths, &s->n_paths, sizeof(char *));
	if (rc < 0)
		return rc;
	return (s->paths[s->n_paths - 1] = strdup(path)) ? 0 : -ENOMEM;
}

/* Every file a service may load: ImagePath (a command line for Win32
 * services: the quoted part, or each prefix up to a space), the default
 * driver path when there is no ImagePath, Parameters\ServiceDll. */
static int service_paths(struct lg_registry *r, hive_node_h n, struct svc *s)
{
	struct lg_reg_paths p = { r->windir, r->o.system_drive };
	char *out = malloc(PATH_MAX_LG);
	if (!out)
		return -ENOMEM;
	int rc = 0;
	char *image = value_str(r, n, "ImagePath");
	uint32_t type = 0;
	bool has_type = read_dword(r, n, "Type", &type) == 0;
	hive_value_h iv = value_h(r, n, "ImagePath");
	if (!iv) {
		/* No ImagePath: drivers load System32\drivers\<name>.sys. */
		if ((!has_type || (type & 0x0f)) && lg_imagepath_resolve(NULL, s->name, &p, out, PATH_MAX_LG) == 0)
			rc = add_path(s, out);
	} else if (image) {
		if (lg_imagepath_resolve(image, s->name, &p, out, PATH_MAX_LG) == 0)
			rc = add_path(s, out);
		/* Unquoted command lines with spaces: Windows tries each
		 * prefix ending before a space as the program. */
		const char *t = image;
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t != '"' && strlen(t) < 3 * LG_IMAGEPATH_MAX) {
			char *cp = strdup(t);
			for (char *sp = cp ? strchr(cp, ' ') : NULL; sp && rc == 0; sp = strchr(sp + 1, ' ')) {
				*sp = 0;
				if (lg_imagepath_resolve(cp, s->name, &p, out, PATH_MAX_LG) == 0)
					rc = add_path(s, out);
				*sp = ' ';
			}
			free(cp);
		}
	}
	free(image);
	char *dll = value_str(r, child(r, n, "Parameters"), "ServiceDll");
	if (dll && rc == 0 && lg_imagepath_resolve(dll, s->name, &p, out, PATH_MAX_LG) == 0)
		rc = add_path(s, out);
	free(dll);
	free(out);
	return rc;
}

static char *join_key(const char *a, const char *b)
{
	char *p = NULL;
	return asprintf(&p, "%s\\%s", a, b) < 0 ? NULL : p;
}

static int add_frefs(struct lg_registry *r, struct setidx *x, hive_node_h n, const char *key, int crit)
{
	static const char *const names[] = { "UpperFilters", "LowerFilters" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		hive_value_h v = value_h(r, n, names[i]);
		if (!v)
			continue;
		int rc = push((void **)&x->frefs, &x->n_frefs, sizeof(*x->frefs));
		if (rc < 0)
			return rc;
		struct fref *f = &x->frefs[x->n_frefs - 1];
		f->key = strdup(key);
		f->value = strdup(names[i]);
		f->vk = v;
		f->crit = crit;
		if (!f->key || !f->value)
			return -ENOMEM;
	}
	return 0;
}

static int index_enum(struct lg_registry *r, struct setidx *x, hive_node_h n, const char *key, int depth)
{
	if (depth == ENUM_DEPTH) {
		char *guid = value_str(r, n, "ClassGUID");
		int crit = crit_class(guid);
		free(guid);
		int rc = add_frefs(r, x, n, key, crit);
		char *svc = crit >= 0 ? value_str(r, n, "Service") : NULL;
		if (rc == 0 && svc && *svc) {
			rc = push((void **)&x->fn, &x->n_fn, sizeof(*x->fn));
			if (rc == 0) {
				x->fn[x->n_fn - 1].service = TAKE_PTR(svc);
				x->fn[x->n_fn - 1].crit = crit;
				if (!(x->fn[x->n_fn - 1].key = strdup(key)))
					rc = -ENOMEM;
			}
		}
		free(svc);
		return rc;
	}
	hive_node_h *kids = hivex_node_children(r->hx, n);
	if (!kids)
		return 0; /* unreadable subtree: nothing indexed there */
	int rc = 0;
	for (size_t i = 0; kids[i] && rc == 0; i++) {
		char *name = hivex_node_name(r->hx, kids[i]);
		char *k = name ? join_key(key, name) : NULL;
		rc = k ? index_enum(r, x, kids[i], k, depth + 1) : -ENOMEM;
		free(name);
		free(k);
	}
	free(kids);
	return rc;
}

static int index_set(struct lg_registry *r, struct setidx *x)
{
	int rc = 0;
	hive_node_h svcs = child(r, x->node, "Services");
	hive_node_h *kids = svcs ? hivex_node_children(r->hx, svcs) : NULL;
	for (size_t i = 0; kids && kids[i] && rc == 0; i++) {
		if ((rc = push((void **)&x->svcs, &x->n_svcs, sizeof(*x->svcs))) < 0)
			break;
		struct svc *s = &x->svcs[x->n_svcs - 1];
		if (!(s->name = hivex_node_name(r->hx, kids[i]))) {
			x->n_svcs--;
			continue;
		}
		s->group = value_str(r, kids[i], "Group");
		rc = service_paths(r, kids[i], s);
	}
	free(kids);
	hive_node_h cls = node_path(r, x->node, "Control\\Class");
	kids = cls && rc == 0 ? hivex_node_children(r->hx, cls) : NULL;
	for (size_t i = 0; kids && kids[i] && rc == 0; i++) {
		char *name = hivex_node_name(r->hx, kids[i]);
		char *k = name ? join_key("Control\\Class", name) : NULL;
		rc = k ? add_frefs(r, x, kids[i], k, crit_class(name)) : -ENOMEM;
		free(name);
		free(k);
	}
	free(kids);
	hive_node_h en = child(r, x->node, "Enum");
	if (en && rc == 0)
		rc = index_enum(r, x, en, "Enum", 0);
	return rc;
}

static int build_index(struct lg_registry *r, struct lg_err *err)
{
	if (r->indexed)
		return 0;
	for (size_t i = 0; i < r->n_sets; i++) {
		int rc = index_set(r, &r->idx[i]);
		if (rc < 0) {
			lg_err_set(err, "cannot read %s of the SYSTEM hive: %s", r->set_names[i], strerror(-rc));
			return rc;
		}
	}
	r->indexed = true;
	return 0;
}

/* ---- check ----------------------------------------------------------------- */

void lg_reg_verdict_clear(struct lg_reg_verdict *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_services; i++)
		free(v->services[i]);
	free(v->services);
	for (size_t i = 0; i < v->n_filters; i++)
		free(v->filters[i]);
	free(v->filters);
	memset(v, 0, sizeof(*v));
}

static int add_name(char ***list, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcasecmp((*list)[i], name))
			return 0;
	int rc = push((void **)list, n, sizeof(char *));
	if (rc < 0)
		return rc;
	return ((*list)[*n - 1] = strdup(name)) ? 0 : -ENOMEM;
}

static bool path_eq(const char *a, const char *b)
{
	while (*a == '/')
		a++;
	while (*b == '/')
		b++;
	return !strcasecmp(a, b);
}

static struct svc *find_svc(struct setidx *x, const char *name)
{
	for (size_t i = 0; i < x->n_svcs; i++)
		if (!strcasecmp(x->svcs[i].name, name))
			return &x->svcs[i];
	return NULL;
}

/* Why a name is boot-critical in a control set, or false. */
static bool critical(struct lg_registry *r, size_t set, const char *name, char *why, size_t wlen)
{
	struct setidx *x = &r->idx[set];
	const char *cs = r->set_names[set];
	struct svc *s = find_svc(x, name);
	for (size_t g = 0; s && s->group && g < ARRAY_SIZE(crit_groups); g++)
		if (!strcasecmp(s->group, crit_groups[g])) {
			snprintf(why, wlen, "%s is in the load-order group \"%s\" (%s\\Services\\%s)", name,
				 s->group, cs, s->name);
			return true;
		}
	for (size_t i = 0; i < x->n_frefs; i++) {
		struct fref *f = &x->frefs[i];
		struct vk v;
		if (f->crit < 0 || vk_read(r, f->vk, &v) < 0 || v.big || v.type != LG_REG_MULTI_SZ)
			continue;
		if (lg_multisz_has(r->buf + v.data, v.len, name)) {
			snprintf(why, wlen, "%s is %s filter of the %s class (%s\\%s\\%s)", name,
				 !strcmp(f->value, "UpperFilters") ? "an upper" : "a lower",
				 crit_classes[f->crit].what, cs, f->key, f->value);
			return true;
		}
	}
	for (size_t i = 0; i < x->n_fn; i++)
		if (!strcasecmp(x->fn[i].service, name)) {
			snprintf(why, wlen, "%s drives a device of the %s class (%s\\%s)", name,
				 crit_classes[x->fn[i].crit].what, cs, x->fn[i].key);
			return true;
		}
	return false;
}

/* Whether a filter list holds one of names: 1 yes, 0 no. Sets *multi
 * (the value is a REG_MULTI_SZ) and *uneditable (too large for us, or
 * readable by libhivex but not by our stricter cell checks: then we must
 * not disable a driver we could not take out of the list). A value
 * neither can read counts as holding nothing. */
static int fref_has(struct lg_registry *r, const struct fref *f, char *const *names, size_t n,
		    bool *multi, bool *uneditable)
{
	struct vk v;
	*multi = *uneditable = false;
	const unsigned char *d = NULL;
	size_t len = 0;
	char *hd = NULL;
	uint32_t type;
	if (vk_read(r, f->vk, &v) == 0 && !v.big) {
		d = r->buf + v.data;
		len = v.len;
		type = v.type;
		*uneditable = v.len >= BIG_DATA_MIN;
	} else {
		/* Big data (never edited), or cells we refuse: libhivex joins
		 * the segments and has its own checks. */
		hive_type t;
		size_t hl = 0;
		if (hivex_value_type(r->hx, f->vk, &t, &hl) < 0 || hl > VALUE_READ_MAX ||
		    !(hd = hivex_value_value(r->hx, f->vk, &t, &len)))
			return 0;
		d = (const unsigned char *)hd;
		type = (uint32_t)t;
		*uneditable = true;
	}
	*multi = type == LG_REG_MULTI_SZ;
	int has = 0;
	for (size_t i = 0; i < n && !has && (type == LG_REG_MULTI_SZ || type == LG_REG_SZ); i++)
		has = lg_multisz_has(d, len, names[i]);
	free(hd);
	return has;
}

int lg_registry_check(struct lg_registry *r, const struct lg_reg_request *req,
		      struct lg_reg_verdict *v, struct lg_err *err)
{
	memset(v, 0, sizeof(*v));
	int rc = build_index(r, err);
	if (rc < 0)
		return rc;
	const char *id = req->rule_id ? req->rule_id : "?";
	for (size_t k = 0; k < r->n_sets && rc == 0; k++) {
		struct setidx *x = &r->idx[k];
		for (size_t i = 0; i < x->n_svcs && rc == 0; i++)
			for (size_t p = 0; p < x->svcs[i].n_paths && rc == 0; p++)
				for (size_t f = 0; f < req->n_files && rc == 0; f++)
					if (path_eq(x->svcs[i].paths[p], req->files[f]))
						rc = add_name(&v->services, &v->n_services, x->svcs[i].name);
		if (req->disable_service && rc == 0) {
			struct svc *s = find_svc(x, req->disable_service);
			if (s)
				rc = add_name(&v->services, &v->n_services, s->name);
		}
	}
	/* A disabled driver left in a filter list stops the boot: the
	 * services' names leave the lists too. */
	for (size_t i = 0; i < v->n_services && rc == 0; i++)
		rc = add_name(&v->filters, &v->n_filters, v->services[i]);
	if (req->remove_filter && *req->remove_filter && rc == 0)
		rc = add_name(&v->filters, &v->n_filters, req->remove_filter);
	if (rc < 0) {
		lg_err_set(err, "registry check of rule %s: %s", id, strerror(-rc));
		lg_reg_verdict_clear(v);
		return rc;
	}

	/* Is there anything to change, and can it be changed as it is? */
	bool work = false;
	char bad[400] = "";
	for (size_t k = 0; k < r->n_sets; k++) {
		struct setidx *x = &r->idx[k];
		hive_node_h svcs = child(r, x->node, "Services");
		for (size_t i = 0; i < v->n_services; i++) {
			hive_node_h n = child(r, svcs, v->services[i]);
			uint32_t start;
			int s = n ? read_dword(r, n, "Start", &start) : -ENOENT;
			/* A Start we cannot rewrite still means work: refused below. */
			work |= (s == 0 && start != 4) || s == -EMEDIUMTYPE || s == -EBADMSG;
			if ((s == -EMEDIUMTYPE || s == -EBADMSG) && !bad[0])
				snprintf(bad, sizeof(bad), "%s\\Services\\%s\\Start is %s; lastgood does not "
					 "rewrite it", r->set_names[k], v->services[i],
					 s == -EBADMSG ? "damaged" : "not a 4-byte REG_DWORD");
		}
		for (size_t i = 0; i < x->n_frefs; i++) {
			struct fref *f = &x->frefs[i];
			bool multi, uneditable;
			if (!fref_has(r, f, v->filters, v->n_filters, &multi, &uneditable))
				continue;
			work = true;
			if ((!multi || uneditable) && !bad[0])
				snprintf(bad, sizeof(bad), "%s\\%s\\%s %s; lastgood does not edit it",
					 r->set_names[k], f->key, f->value,
					 !multi ? "is not a REG_MULTI_SZ list"
						: "is larger than 16 KiB or stored in cells lastgood does not trust");
		}
	}
	if (!work) {
		if (req->disable_service || req->remove_filter)
			snprintf(v->note, sizeof(v->note), "nothing to change in the registry for %s%s%s",
				 req->disable_service ? req->disable_service : "",
				 req->disable_service && req->remove_filter ? ", " : "",
				 req->remove_filter ? req->remove_filter : "");
		return 0;
	}
	/* The services are among the filter names. */
	for (size_t n = 0; n < v->n_filters && !v->boot_critical; n++)
		for (size_t k = 0; k < r->n_sets && !v->boot_critical; k++)
			v->boot_critical = critical(r, k, v->filters[n], v->critical_why, sizeof(v->critical_why));
	if (r->dirty) {
		v->refused = true;
		snprintf(v->reason, sizeof(v->reason),
			 "rule %s needs registry changes, but the SYSTEM hive is dirty (%.400s): an edit could not "
			 "be made on the hive as Windows will see it. Nothing was quarantined for this rule",
			 id, r->dirty_why);
	} else if (bad[0]) {
		v->refused = true;
		snprintf(v->reason, sizeof(v->reason), "rule %s: %s. Nothing was quarantined for this rule",
			 id, bad);
	} else if (v->boot_critical && !req->allow_boot_critical) {
		v->refused = true;
		snprintf(v->reason, sizeof(v->reason),
			 "rule %s touches a driver Windows needs to boot: %s. Disabling it or taking it out "
			 "of a filter list can stop Windows with INACCESSIBLE_BOOT_DEVICE, so lastgood did "
			 "nothing for this rule (no quarantine either); a rule with \"allow_boot_critical\": "
			 "true does it", id, v->critical_why);
	}
	return 0;
}

/* ---- apply ------------------------------------------------------------------ */

static int record_edit(struct lg_registry *r, unsigned set, const char *key, const char *value,
		       uint32_t type, const unsigned char *old, size_t old_len, const unsigned char *nw,
		       size_t new_len, const char *name, const char *rule)
{
	int rc = push((void **)&r->changes, &r->n_changes, sizeof(*r->changes));
	if (rc < 0)
		return rc;
	struct change *c = &r->changes[r->n_changes - 1];
	c->set = set;
	c->type = type;
	c->key = strdup(key);
	c->value = strdup(value);
	c->name = strdup(name);
	c->rule = strdup(rule ? rule : "");
	c->old = malloc(old_len ? old_len : 1);
	c->new = malloc(new_len ? new_len : 1);
	if (!c->key || !c->value || !c->name || !c->rule || !c->old || !c->new) {
		change_free(c);
		r->n_changes--;
		return -ENOMEM;
	}
	memcpy(c->old, old, old_len);
	memcpy(c->new, nw, new_len);
	c->old_len = old_len;
	c->new_len = new_len;
	return 0;
}

/* Start = 4 for one service in one control set. 1 changed, 0 not. */
static int disable_one(struct lg_registry *r, size_t k, const char *service, const char *rule)
{
	hive_node_h n = child(r, child(r, r->idx[k].node, "Services"), service);
	hive_value_h h = value_h(r, n, "Start");
	struct vk v;
	if (!h)
		return 0; /* no Start: Windows does not load it */
	if (vk_read(r, h, &v) < 0 || v.type != LG_REG_DWORD || v.len != 4)
		return -EBADMSG;
	uint32_t old = get32(r->buf + v.data);
	if (old == 4)
		return 0;
	unsigned char o[4], nw[4];
	put32(o, old);
	put32(nw, 4);
	char *name = hivex_node_name(r->hx, n);
	char *key = name ? join_key("Services", name) : NULL;
	int rc = key ? vk_write(r, h, nw, 4) : -ENOMEM;
	if (rc == 0)
		rc = record_edit(r, (unsigned)k, key, "Start", LG_REG_DWORD, o, 4, nw, 4, name, rule);
	free(name);
	free(key);
	return rc < 0 ? rc : 1;
}

/* Take name out of one list. 1 changed, 0 not there. */
static int unfilter_one(struct lg_registry *r, size_t k, struct fref *f, const char *name, const char *rule)
{
	struct vk v;
	if (vk_read(r, f->vk, &v) < 0 || v.type != LG_REG_MULTI_SZ || v.big ||
	    !lg_multisz_has(r->buf + v.data, v.len, name))
		return 0; /* check() refused what is damaged or too large and holds the name */
	unsigned char *old = NULL, *nw = malloc((size_t)v.len + 4);
	size_t nlen = 0;
	int rc = nw ? vk_data(r, &v, &old) : -ENOMEM;
	if (rc == 0)
		rc = lg_multisz_remove(old, v.len, name, nw, &nlen);
	if (rc > 0 && (rc = vk_write(r, f->vk, nw, nlen)) == 0 &&
	    (rc = record_edit(r, (unsigned)k, f->key, f->value, LG_REG_MULTI_SZ, old, v.len, nw, nlen, name, rule)) == 0)
		rc = 1;
	free(old);
	free(nw);
	return rc;
}

int lg_registry_apply(struct lg_registry *r, const struct lg_reg_verdict *v, const char *rule_id,
		      struct lg_err *err)
{
	if (v->refused) {
		lg_err_set(err, "rule %s was refused: %s", rule_id ? rule_id : "?", v->reason);
		return -EPERM;
	}
	/* A verdict on a dirty hive is refused whenever it has work. */
	if (r->dirty)
		return 0;
	int rc = build_index(r, err), count = 0;
	for (size_t k = 0; k < r->n_sets && rc >= 0; k++) {
		for (size_t i = 0; i < v->n_services && rc >= 0; i++)
			if ((rc = disable_one(r, k, v->services[i], rule_id)) > 0)
				count++;
		struct setidx *x = &r->idx[k];
		for (size_t i = 0; i < x->n_frefs && rc >= 0; i++)
			for (size_t n = 0; n < v->n_filters && rc >= 0; n++)
				if ((rc = unfilter_one(r, k, &x->frefs[i], v->filters[n], rule_id)) > 0)
					count++;
	}
	if (rc < 0) {
		lg_err_set(err, "cannot edit the SYSTEM hive for rule %s: %s", rule_id ? rule_id : "?",
			   rc == -EBADMSG ? "a value changed under us or is damaged" : strerror(-rc));
		return rc;
	}
	return count;
}

/* ---- report and journal form ------------------------------------------------ */

static json_t *data_json(uint32_t type, const unsigned char *d, size_t len)
{
	if (type == LG_REG_DWORD && len == 4)
		return json_integer(get32(d));
	if (type == LG_REG_MULTI_SZ) {
		json_t *a = json_array();
		size_t n = lg_multisz_count(d, len);
		for (size_t i = 0; i < n; i++) {
			char *s = lg_multisz_get(d, len, i);
			json_array_append_new(a, s ? json_string(s) : json_null());
			free(s);
		}
		return a;
	}
	char *hex = malloc(2 * len + 1);
	if (!hex)
		return json_null();
	lg_hex(d, len, hex);
	json_t *j = json_string(hex);
	free(hex);
	return j;
}

static const char *type_name(uint32_t t)
{
	return t == LG_REG_DWORD ? "REG_DWORD" : t == LG_REG_MULTI_SZ ? "REG_MULTI_SZ" : "REG_?";
}

static json_t *change_json(const struct lg_registry *r, const struct change *c, bool journal)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "control_set",
			      r->set_names[c->set], "key", c->key, "value", c->value, "type",
			      type_name(c->type), "old", data_json(c->type, c->old, c->old_len), "new",
			      data_json(c->type, c->new, c->new_len), "name", c->name, "rule", c->rule);
	if (o && journal) {
		char *h = malloc(2 * (c->old_len > c->new_len ? c->old_len : c->new_len) + 1);
		if (!h) {
			json_decref(o);
			return NULL;
		}
		lg_hex(c->old, c->old_len, h);
		json_object_set_new(o, "old_hex", json_string(h));
		lg_hex(c->new, c->new_len, h);
		json_object_set_new(o, "new_hex", json_string(h));
		json_object_set_new(o, "type_id", json_integer(c->type));
		free(h);
	}
	return o;
}

json_t *lg_registry_changes_json(const struct lg_registry *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_changes; i++)
		json_array_append_new(a, change_json(r, &r->changes[i], true));
	return a;
}

json_t *lg_registry_report(const struct lg_registry *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_changes; i++)
		json_array_append_new(a, change_json(r, &r->changes[i], false));
	return a;
}

/* ---- writing the hive back ----------------------------------------------------- */

static int64_t now_nt(const struct lg_registry *r)
{
	if (r->o.now)
		return r->o.now;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 10000000 + ts.tv_nsec / 100 + 116444736000000000LL;
}

/* The base block of a completed write: both sequence numbers one past the
 * hive as read, the time, the checksum. Idempotent. */
static void finish_base(struct lg_registry *r)
{
	unsigned char *b = r->buf;
	put32(b + 4, r->seq + 1);
	put32(b + 8, r->seq + 1);
	int64_t t = now_nt(r);
	put64(b + 12, (uint64_t)t);
	if (!memcmp(b + BASE, "hbin", 4))
		put64(b + BASE + 20, (uint64_t)t); /* the first bin keeps a copy */
	put32(b + 0x1fc, base_checksum(b));
}

int lg_registry_save(struct lg_registry *r, const char *path, struct lg_err *err)
{
	finish_base(r);
	int rc = lg_write_file_atomic(path, r->buf, r->len);
	if (rc < 0)
		lg_err_set(err, "cannot write %s: %s", path, strerror(-rc));
	return rc;
}

#define sha_hex sha_hex_buf

struct names {
	char hive[PATH_MAX_LG], tmp[PATH_MAX_LG], aside[PATH_MAX_LG], partial[PATH_MAX_LG];
};

static int make_names(const char *windir, const char *run_id, bool undo, struct names *nm)
{
	int a = snprintf(nm->hive, sizeof(nm->hive), "%s/System32/config/SYSTEM", windir);
	int b = snprintf(nm->tmp, sizeof(nm->tmp), "%s/System32/config/~lastgood-%s-%sSYSTEM", windir,
			 run_id, undo ? "undo-" : "");
	int c = lg_path_registry_copy(nm->aside, sizeof(nm->aside), run_id, "", undo ? ".before-undo" : "");
	int d = lg_path_registry_copy(nm->partial, sizeof(nm->partial), run_id, undo ? "undo-" : "", ".partial");
	return a < 0 || b < 0 || c < 0 || d < 0 || (size_t)a >= sizeof(nm->hive) ||
	       (size_t)b >= sizeof(nm->tmp) ? -ENAMETOOLONG : 0;
}

/* The new file gets the original's security descriptor and attributes:
 * a file ntfs-3g creates is open to everyone, which a SYSTEM hive must
 * never be. */
static int copy_security(struct lg_volume *v, const char *from, const char *to)
{
	errno = 0;
	ntfs_inode *a = lg_volume_lookup(v, from), *b = a ? lg_volume_lookup(v, to) : NULL;
	int rc = 0;
	char *sd = NULL;
	if (!a || !b) {
		rc = errno ? -errno : -ENOENT;
		goto out;
	}
	struct SECURITY_CONTEXT scx;
	memset(&scx, 0, sizeof(scx));
	scx.vol = v->vol;
	int n = ntfs_get_ntfs_acl(&scx, a, NULL, 0);
	if (n > 0 && n < (1 << 20)) {
		sd = malloc((size_t)n);
		if (!sd || ntfs_get_ntfs_acl(&scx, a, sd, (size_t)n) != n ||
		    ntfs_set_ntfs_acl(&scx, b, sd, (size_t)n, 0) < 0)
			rc = errno ? -errno : -EIO;
	}
	char attr[4];
	if (rc == 0 && ntfs_get_ntfs_attrib(a, attr, sizeof(attr)) == 4 &&
	    ntfs_set_ntfs_attrib(b, attr, sizeof(attr), 0) < 0)
		rc = errno ? -errno : -EIO;
out:
	free(sd);
	if (b && ntfs_inode_close(b) && !rc)
		rc = -EIO;
	if (a && ntfs_inode_close(a) && !rc)
		rc = -EIO;
	return rc ? rc : lg_fs_sync(v);
}

static int content_is(struct lg_volume *v, const char *path, const char *sha)
{
	char *b = NULL;
	size_t n = 0;
	int rc = lg_fs_read(v, path, LG_HIVE_MAX_BYTES + (size_t)BASE, &b, &n);
	if (rc < 0)
		return rc;
	char hex[65];
	sha_hex(b, n, hex);
	free(b);
	return !strcmp(hex, sha);
}

static void io_err(struct lg_err *err, int rc, const char *what, const char *path)
{
	lg_err_set(err, "%s \\%s: %s", what, path,
		   rc == -ENOSPC ? "the volume is full" : rc == -EROFS ? "the volume is read-only" : strerror(-rc));
}

/* Put new content in place of the hive: written beside it under a
 * temporary name, checked, then the names swapped (the old file moves to
 * nm->aside). Never a half-written hive under the real name. */
static int swap_in(struct lg_volume *v, const struct names *nm, const void *buf, size_t len,
		   const char *sha, struct lg_err *err)
{
	int rc = lg_fs_create(v, nm->tmp, buf, len);
	if (rc < 0) {
		io_err(err, rc, "cannot write the edited hive", nm->tmp);
		return rc;
	}
	if ((rc = copy_security(v, nm->hive, nm->tmp)) < 0) {
		io_err(err, rc, "cannot give the edited hive the security of", nm->hive);
		return rc;
	}
	if ((rc = content_is(v, nm->tmp, sha)) != 1) {
		lg_err_set(err, "the edited hive \\%s does not read back as written", nm->tmp);
		return rc < 0 ? rc : -EIO;
	}
	if ((rc = lg_fs_rename(v, nm->hive, nm->aside)) < 0) {
		io_err(err, rc, "cannot move the original hive aside to", nm->aside);
		return rc;
	}
	if ((rc = lg_fs_rename(v, nm->tmp, nm->hive)) < 0)
		io_err(err, rc, "cannot put the edited hive in place of", nm->hive);
	return rc;
}

static bool exists(struct lg_volume *v, const char *p, uint64_t *mref)
{
	return lg_fs_stat(v, p, mref, NULL, NULL) == 0;
}

/* After a cut: finish or clear the name swap of swap_in(). 1: the new
 * content is in place; 0: the swap never began (the hive is the old one,
 * a leftover temporary copy was moved to nm->partial). */
static int swap_settle(struct lg_volume *v, const struct names *nm, struct lg_err *err)
{
	uint64_t mh = 0, mt = 0, ma = 0;
	bool h = exists(v, nm->hive, &mh), t = exists(v, nm->tmp, &mt), a = exists(v, nm->aside, &ma);
	int rc;
	if (h && a && mh == ma) { /* cut inside the first rename */
		if ((rc = lg_fs_unlink_duplicate(v, nm->hive, nm->aside)) < 0)
			return rc;
		h = false;
	}
	if (h && t && mh == mt) /* cut inside the second rename */
		return lg_fs_unlink_duplicate(v, nm->tmp, nm->hive) < 0 ? -EIO : 1;
	if (!h) {
		if (t && a)
			return (rc = lg_fs_rename(v, nm->tmp, nm->hive)) < 0 ? rc : 1;
		lg_err_set(err, "\\%s is missing and cannot be restored by itself; the hive as it was is "
			   "\\%s: put it back by hand", nm->hive, nm->aside);
		return -ENOENT;
	}
	if (t) {
		/* A copy that never replaced the hive, maybe cut short: kept
		 * (nothing is deleted) under the first free partial name. */
		char p[PATH_MAX_LG + 16];
		int k = 1;
		snprintf(p, sizeof(p), "%s", nm->partial);
		while (exists(v, p, NULL) && k < 100)
			snprintf(p, sizeof(p), "%s.%d", nm->partial, ++k);
		if ((rc = lg_fs_rename(v, nm->tmp, p)) < 0) {
			io_err(err, rc, "cannot move a leftover copy of the hive aside to", p);
			return rc;
		}
	}
	return a ? 1 : 0;
}

/* What the journal keeps of a replay: the logs as they were (they are
 * left as they are; undo checks that they still are). */
static json_t *replay_json(const struct lg_registry *r)
{
	json_t *logs = json_array();
	for (int i = 0; i < LG_HIVELOG_N; i++)
		json_array_append_new(logs, r->logs[i].present ?
				      json_pack("{s:s, s:I, s:s}", "suffix", lg_hivelog_suffix[i], "size",
						(json_int_t)r->logs[i].size, "sha256", r->logs[i].sha) :
				      json_pack("{s:s, s:b}", "suffix", lg_hivelog_suffix[i], "absent", 1));
	return json_pack("{s:I, s:s, s:o}", "entries", (json_int_t)r->replay_entries, "from", r->replay_from,
			 "logs", logs);
}

int lg_registry_commit(struct lg_registry *r, struct lg_jwriter *w, struct lg_err *err)
{
	if (!r->n_changes)
		return 0;
	if (r->dirty) {
		lg_err_set(err, "the SYSTEM hive is dirty (%s)", r->dirty_why);
		return -EUCLEAN;
	}
	if (!r->v || w->v != r->v) {
		lg_err_set(err, "the hive was not loaded from this volume");
		return -EINVAL;
	}
	struct names nm;
	int rc = make_names(r->windir, w->run_id, false, &nm);
	if (rc < 0) {
		lg_err_set(err, "path too long under %s", r->windir);
		return rc;
	}
	if (exists(r->v, nm.aside, NULL) || exists(r->v, nm.tmp, NULL)) {
		lg_err_set(err, "\\%s or \\%s already exists; refusing to overwrite it", nm.aside, nm.tmp);
		return -EEXIST;
	}
	finish_base(r);
	char sha[65], before[65];
	sha_hex(r->buf, r->len, sha);
	lg_hex(r->sha_before, 32, before);
	json_t *changes = lg_registry_changes_json(r);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "hive", nm.hive, "tmp",
				nm.tmp, "backup", nm.aside, "windir", r->windir, "sha256_before", before,
				"sha256", sha, "size", (json_int_t)r->len, "changes", changes);
	if (!rec)
		return -ENOMEM;
	if (r->replayed && json_object_set_new(rec, "replayed", replay_json(r)) < 0) {
		json_decref(rec);
		return -ENOMEM;
	}
	unsigned seq;
	if ((rc = lg_jwriter_intent(w, "registry", rec, &seq)) < 0) {
		io_err(err, rc, "cannot write the journal before editing", nm.hive);
		return rc;
	}
	if ((rc = swap_in(r->v, &nm, r->buf, r->len, sha, err)) < 0)
		return rc;
	if ((rc = lg_jwriter_mark(w, "done", seq)) < 0)
		io_err(err, rc, "hive written, but cannot mark done in the journal:", nm.hive);
	return rc;
}

/* ---- revert, redo ---------------------------------------------------------------- */

/* A journalled change, checked: the journal is read from disk. */
struct jchange {
	const char *cs, *key, *value, *name;
	uint32_t type;
	unsigned char *old, *new;
	size_t old_len, new_len;
};

static int hex_field(json_t *o, const char *k, unsigned char **out, size_t *len)
{
	const char *h = json_string_value(json_object_get(o, k));
	size_t n = h ? strlen(h) : 1;
	if (n % 2 || n / 2 >= BIG_DATA_MIN)
		return -EBADMSG;
	*out = malloc(n / 2 + 1);
	if (!*out)
		return -ENOMEM;
	*len = n / 2;
	return lg_unhex(h, *out, n / 2) < 0 ? -EBADMSG : 0;
}

static int jchange_parse(json_t *o, struct jchange *c)
{
	memset(c, 0, sizeof(*c));
	c->cs = json_string_value(json_object_get(o, "control_set"));
	c->key = json_string_value(json_object_get(o, "key"));
	c->value = json_string_value(json_object_get(o, "value"));
	c->name = json_string_value(json_object_get(o, "name"));
	json_int_t t = json_integer_value(json_object_get(o, "type_id"));
	unsigned n;
	char tail;
	if (!c->cs || sscanf(c->cs, "ControlSet%3u%c", &n, &tail) != 1 || strlen(c->cs) != 13 || !c->key ||
	    strlen(c->key) > PATH_MAX_LG || !c->value || !c->name || !*c->name ||
	    (t != LG_REG_DWORD && t != LG_REG_MULTI_SZ))
		return -EBADMSG;
	c->type = (uint32_t)t;
	int rc = hex_field(o, "old_hex", &c->old, &c->old_len);
	if (rc == 0)
		rc = hex_field(o, "new_hex", &c->new, &c->new_len);
	if (rc == 0 && c->type == LG_REG_DWORD && (c->old_len != 4 || c->new_len != 4))
		rc = -EBADMSG;
	return rc;
}

static void jchange_free(struct jchange *c)
{
	free(c->old);
	free(c->new);
}

/* Undo (forward false) or redo (forward true) one journalled change.
 * Returns 1 when the value was written, 0 when left, with a result text. */
static int replay_one(struct lg_registry *r, const struct jchange *c, bool forward, char *res, size_t rlen)
{
	hive_node_h n = node_path(r, child(r, hivex_root(r->hx), c->cs), c->key);
	hive_value_h h = value_h(r, n, c->value);
	struct vk v;
	if (!h) {
		snprintf(res, rlen, "the value no longer exists; nothing to do");
		return 0;
	}
	if (vk_read(r, h, &v) < 0 || v.big || v.type != c->type) {
		snprintf(res, rlen, "the value changed type or is damaged since; left as it is");
		return 0;
	}
	const unsigned char *want = forward ? c->new : c->old, *from = forward ? c->old : c->new;
	size_t want_len = forward ? c->new_len : c->old_len, from_len = forward ? c->old_len : c->new_len;
	const unsigned char *cur = r->buf + v.data;
	if (v.len == want_len && !memcmp(cur, want, want_len)) {
		snprintf(res, rlen, "already %s", forward ? "changed" : "as before");
		return 0;
	}
	int rc;
	if (v.len == from_len && !memcmp(cur, from, from_len)) {
		unsigned char *w = malloc(want_len ? want_len : 1);
		if (!w)
			return -ENOMEM;
		memcpy(w, want, want_len);
		rc = vk_write(r, h, w, want_len);
		free(w);
		snprintf(res, rlen, forward ? "changed" : "set back");
		return rc < 0 ? rc : 1;
	}
	if (c->type == LG_REG_DWORD) {
		/* Neither the recorded old value nor the new one: someone else's
		 * value, which a journal never overwrites (either way). */
		snprintf(res, rlen, "changed since (now %u); left as it is", get32(cur));
		return 0;
	}
	/* A list that changed since: only the one name is put back or taken out. */
	bool has = lg_multisz_has(cur, v.len, c->name);
	unsigned char *nw = NULL, *copy = NULL;
	size_t nlen = 0;
	if (forward ? !has : has) {
		snprintf(res, rlen, "%s already %s the list", c->name, forward ? "out of" : "in");
		return 0;
	}
	if ((rc = vk_data(r, &v, &copy)) < 0)
		return rc;
	if (forward) {
		nw = malloc((size_t)v.len + 4);
		rc = nw ? lg_multisz_remove(copy, v.len, c->name, nw, &nlen) : -ENOMEM;
	} else {
		rc = lg_multisz_reinsert(copy, v.len, c->old, c->old_len, c->name, &nw, &nlen);
	}
	if (rc >= 0)
		rc = vk_write(r, h, nw, nlen);
	free(copy);
	free(nw);
	snprintf(res, rlen, forward ? "%s taken out (the list had changed)" : "%s put back (the list had changed since)",
		 c->name);
	return rc < 0 ? rc : 1;
}

static int replay(struct lg_registry *r, json_t *changes, bool forward, json_t *results, struct lg_err *err)
{
	if (!json_is_array(changes)) {
		lg_err_set(err, "registry journal step without a list of changes");
		return -EBADMSG;
	}
	size_t n = json_array_size(changes);
	int count = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = forward ? k : n - 1 - k;
		struct jchange c;
		int rc = jchange_parse(json_array_get(changes, i), &c);
		if (rc < 0) {
			jchange_free(&c);
			lg_err_set(err, "registry journal step: change %zu is malformed", i + 1);
			return rc;
		}
		char res[200];
		rc = replay_one(r, &c, forward, res, sizeof(res));
		if (results) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "op", "registry", "control_set", c.cs,
					      "key", c.key, "value", c.value, "name", c.name, "result",
					      rc < 0 ? strerror(-rc) : res);
			if (o)
				json_object_set_new(o, "path", json_sprintf("%s\\%s\\%s", c.cs, c.key, c.value));
			json_array_append_new(results, o);
		}
		jchange_free(&c);
		if (rc < 0) {
			lg_err_set(err, "cannot set %s\\%s\\%s: %s", c.cs, c.key, c.value, strerror(-rc));
			return rc;
		}
		count += rc;
	}
	return count;
}

int lg_registry_revert(struct lg_registry *r, json_t *changes, json_t *results, struct lg_err *err)
{
	if (r->dirty) {
		lg_err_set(err, "the SYSTEM hive is dirty (%s): Windows has registry changes in "
			   "SYSTEM.LOG1/LOG2 not yet in the hive; boot Windows to a clean shutdown first", r->dirty_why);
		return -EUCLEAN;
	}
	return replay(r, changes, false, results, err);
}

/* ---- journal hooks ------------------------------------------------------------------ */

static int step_names(const char *run_id, const struct lg_step *s, bool undo, struct names *nm,
		      const char **windir, struct lg_err *err)
{
	*windir = lg_step_str(s, "windir");
	const char *hive = lg_step_str(s, "hive"), *tmp = lg_step_str(s, "tmp");
	const char *backup = lg_step_str(s, "backup");
	int rc = *windir && hive && tmp && backup ? 0 : -EBADMSG;
	if (rc == 0 && (!**windir || strstr(*windir, "..") || strchr(*windir, '\\') || (*windir)[0] == '/'))
		rc = -EBADMSG;
	/* The recorded names must be the ones we make: a journal is input
	 * from disk and never makes us touch other files. */
	if (rc == 0)
		rc = make_names(*windir, run_id, false, nm);
	if (rc == 0 && (strcmp(hive, nm->hive) || strcmp(tmp, nm->tmp) || strcmp(backup, nm->aside)))
		rc = -EBADMSG;
	if (rc == 0 && undo)
		rc = make_names(*windir, run_id, true, nm);
	if (rc < 0)
		lg_err_set(err, "journal step %u: registry step with bad paths", s->seq);
	return rc;
}

/* Load the hive, run the changes one way, and swap the result in. */
static int rewrite(struct lg_volume *v, const char *windir, const struct names *nm, json_t *changes,
		   bool forward, json_t *results, struct lg_err *err)
{
	struct lg_reg_opts o = { .windir = windir };
	struct lg_registry *r = NULL;
	int rc = lg_registry_load(v, &o, &r, err);
	if (rc < 0)
		return rc;
	if (r->dirty) {
		lg_err_set(err, "the SYSTEM hive is dirty (%s): Windows has registry changes in "
			   "SYSTEM.LOG1/LOG2 not yet in the hive; boot Windows to a clean shutdown, then try "
			   "again", r->dirty_why);
		lg_registry_free(r);
		return -EUCLEAN;
	}
	rc = replay(r, changes, forward, results, err);
	if (rc > 0) {
		char sha[65];
		finish_base(r);
		sha_hex(r->buf, r->len, sha);
		if (exists(v, nm->aside, NULL)) {
			lg_err_set(err, "\\%s already exists; resolve by hand", nm->aside);
			rc = -EEXIST;
		} else {
			rc = swap_in(v, nm, r->buf, r->len, sha, err);
		}
	}
	lg_registry_free(r);
	return rc < 0 ? rc : 0;
}

int lg_registry_complete_step(struct lg_volume *v, const char *run_id, const struct lg_step *s,
			      struct lg_err *err)
{
	struct names nm;
	const char *windir;
	int rc = step_names(run_id, s, false, &nm, &windir, err);
	if (rc < 0)
		return rc;
	/* A cut inside the name swap is finished from where it stopped. */
	if ((rc = swap_settle(v, &nm, err)) != 0)
		return rc < 0 ? rc : 0;
	/* Never began, or the copy was cut short: make the edit again on
	 * the hive, which is still the original. */
	return rewrite(v, windir, &nm, json_object_get(s->rec, "changes"), true, NULL, err);
}

/* Whether a log beside the hive is what the journal recorded of it: the
 * same SHA-256, or still absent. 1 yes, 0 no, negative errno. */
static int log_unchanged(struct lg_volume *v, const char *hive, json_t *l)
{
	const char *suffix = json_string_value(json_object_get(l, "suffix"));
	const char *sha = json_string_value(json_object_get(l, "sha256"));
	bool absent = json_is_true(json_object_get(l, "absent"));
	bool known = false;
	for (int i = 0; suffix && i < LG_HIVELOG_N; i++)
		known |= !strcmp(suffix, lg_hivelog_suffix[i]);
	if (!known || (!absent && (!sha || strlen(sha) != 64)))
		return -EBADMSG;
	char p[PATH_MAX_LG + 8];
	snprintf(p, sizeof(p), "%s%s", hive, suffix);
	if (absent)
		return !exists(v, p, NULL);
	int rc = content_is(v, p, sha);
	return rc == -ENOENT ? 0 : rc;
}

/* Undo of an edit made on a replayed hive: when the hive is still what
 * lastgood wrote and the logs are what they were, the original hive comes
 * back byte for byte (with its logs, Windows then replays them itself, as
 * it would have). 1 done, 0 not applicable (changed since: the values are
 * set back instead), negative errno. */
static int undo_replayed(struct lg_volume *v, const struct lg_step *s, const struct names *fwd,
			 const struct names *nm, json_t *results, struct lg_err *err)
{
	json_t *rep = json_object_get(s->rec, "replayed"), *logs = json_object_get(rep, "logs");
	const char *sha = lg_step_str(s, "sha256"), *before = lg_step_str(s, "sha256_before");
	if (!rep)
		return 0;
	if (!json_is_object(rep) || !sha || !before || !json_is_array(logs) ||
	    json_array_size(logs) != LG_HIVELOG_N) {
		lg_err_set(err, "journal step %u: registry step with a bad \"replayed\" record", s->seq);
		return -EBADMSG;
	}
	int rc = content_is(v, fwd->hive, before);
	if (rc == 1)
		return 1; /* an earlier undo already put it back */
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if ((rc = content_is(v, fwd->hive, sha)) != 1)
		return rc < 0 && rc != -ENOENT ? rc : 0;
	for (size_t i = 0; i < LG_HIVELOG_N; i++) {
		rc = log_unchanged(v, fwd->hive, json_array_get(logs, i));
		if (rc == -EBADMSG)
			lg_err_set(err, "journal step %u: registry step with a bad log record", s->seq);
		if (rc != 1)
			return rc;
	}
	char *b = NULL;
	size_t n = 0;
	if ((rc = lg_fs_read(v, fwd->aside, LG_HIVE_MAX_BYTES + (size_t)BASE, &b, &n)) < 0) {
		io_err(err, rc, "cannot read the original hive kept at", fwd->aside);
		return rc;
	}
	char got[65];
	sha_hex(b, n, got);
	if (strcmp(got, before)) {
		free(b);
		lg_err_set(err, "the original hive kept at \\%s is not the one journalled (SHA-256 differs)",
			   fwd->aside);
		return -EBADMSG;
	}
	if (exists(v, nm->aside, NULL)) {
		free(b);
		lg_err_set(err, "\\%s already exists; resolve by hand", nm->aside);
		return -EEXIST;
	}
	rc = swap_in(v, nm, b, n, before, err);
	free(b);
	if (rc < 0)
		return rc;
	json_t *ch = json_object_get(s->rec, "changes");
	for (size_t i = json_array_size(ch); results && i-- > 0;) {
		json_t *c = json_array_get(ch, i);
		const char *cs = json_string_value(json_object_get(c, "control_set"));
		const char *key = json_string_value(json_object_get(c, "key"));
		const char *val = json_string_value(json_object_get(c, "value"));
		const char *name = json_string_value(json_object_get(c, "name"));
		json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "op", "registry", "control_set", cs,
				      "key", key, "value", val, "name", name, "result",
				      "set back: the original hive restored byte for byte (its logs are as they were)");
		if (o && cs && key && val)
			json_object_set_new(o, "path", json_sprintf("%s\\%s\\%s", cs, key, val));
		json_array_append_new(results, o);
	}
	return 1;
}

int lg_registry_undo_step(struct lg_volume *v, const char *run_id, const struct lg_step *s,
			  json_t *results, struct lg_err *err)
{
	struct names nm, fwd;
	const char *windir;
	int rc = step_names(run_id, s, true, &nm, &windir, err);
	if (rc < 0 || (rc = step_names(run_id, s, false, &fwd, &windir, err)) < 0)
		return rc;
	/* An earlier undo cut short: settle its names first. */
	if ((rc = swap_settle(v, &nm, err)) < 0)
		return rc;
	if ((rc = undo_replayed(v, s, &fwd, &nm, results, err)) != 0)
		return rc < 0 ? rc : 0;
	return rewrite(v, windir, &nm, json_object_get(s->rec, "changes"), false, results, err);
}

/* A change lastgood makes: a service's Start set to 4 (from something
 * else), or one name taken out of an UpperFilters/LowerFilters list. */
static bool change_is_ours(const struct jchange *c)
{
	const char *bs = strchr(c->key, '\\');
	bool one_below = bs && bs[1] && !strchr(bs + 1, '\\');
	if (!strcmp(c->value, "Start"))
		return c->type == LG_REG_DWORD && !strncmp(c->key, "Services\\", 9) && one_below &&
		       get32(c->new) == 4 && get32(c->old) != 4;
	if (strcmp(c->value, "UpperFilters") && strcmp(c->value, "LowerFilters"))
		return false;
	if (c->type != LG_REG_MULTI_SZ || !lg_multisz_has(c->old, c->old_len, c->name))
		return false;
	/* The new list is the old one without the name, nothing else. */
	unsigned char *w = malloc(c->old_len + 4);
	size_t wl = 0;
	bool ok = w && lg_multisz_remove(c->old, c->old_len, c->name, w, &wl) > 0 && wl == c->new_len &&
		  !memcmp(w, c->new, wl);
	free(w);
	return ok;
}

int lg_registry_step_valid(const char *run_id, const struct lg_step *s, struct lg_err *err)
{
	struct names nm;
	const char *windir;
	int rc = step_names(run_id, s, false, &nm, &windir, err);
	if (rc < 0)
		return rc;
	json_t *changes = json_object_get(s->rec, "changes");
	if (!json_is_array(changes) || !json_array_size(changes)) {
		lg_err_set(err, "journal step %u (registry): no list of changes", s->seq);
		return -EBADMSG;
	}
	for (size_t i = 0; i < json_array_size(changes); i++) {
		struct jchange c;
		rc = jchange_parse(json_array_get(changes, i), &c);
		if (rc == 0 && !change_is_ours(&c))
			rc = -EBADMSG;
		jchange_free(&c);
		if (rc < 0) {
			lg_err_set(err, "journal step %u (registry): change %zu is not an edit lastgood makes (a "
				   "service's Start set to 4, a name taken out of a filter list)", s->seq, i + 1);
			return rc == -ENOMEM ? rc : -EBADMSG;
		}
	}
	return 0;
}
