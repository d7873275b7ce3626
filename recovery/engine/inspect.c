// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/inspect.h"

#include "formats/hivelog.h"
#include "storage/volume.h"

#include <fcntl.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>

const char *lg_hiber_name(enum lg_hiber h)
{
	switch (h) {
	case LG_HIBER_INACTIVE: return "inactive";
	case LG_HIBER_ACTIVE: return "active";
	case LG_HIBER_WAKE: return "resuming";
	default: return "none";
	}
}

void lg_inventory_free(struct lg_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_vols; i++) {
		free(inv->vols[i].error);
		free(inv->vols[i].label);
		free(inv->vols[i].windows_dir);
		free(inv->vols[i].hive_note);
	}
	free(inv->vols);
	for (size_t i = 0; i < inv->n_problems; i++)
		free(inv->problems[i]);
	free(inv->problems);
	for (size_t i = 0; i < inv->n_disks; i++)
		lg_disk_free(inv->disks[i]);
	free(inv->disks);
	free(inv);
}

/* Read the first bytes of a file on the volume; returns bytes read or -errno. */
static ssize_t read_head(struct lg_volume *v, const char *path, void *buf, size_t n)
{
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return -(errno ? errno : ENOENT);
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		int e = errno;
		ntfs_inode_close(ni);
		return -(e ? e : EIO);
	}
	s64 r = ntfs_attr_pread(na, 0, (s64)n, buf);
	int e = errno;
	ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return r < 0 ? -(e ? e : EIO) : (ssize_t)r;
}

/* A whole file (at most max bytes): 0, -ENOENT, -EFBIG, -errno. */
static int read_whole(struct lg_volume *v, const char *path, size_t max, unsigned char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return -(errno ? errno : ENOENT);
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	int rc = 0;
	if (!na)
		rc = -(errno ? errno : EIO);
	else if (na->data_size < 0 || (uint64_t)na->data_size > max)
		rc = -EFBIG;
	else if (!(*buf = malloc(na->data_size ? (size_t)na->data_size : 1)))
		rc = -ENOMEM;
	else if (ntfs_attr_pread(na, 0, na->data_size, *buf) != na->data_size)
		rc = -EIO;
	else
		*len = (size_t)na->data_size;
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

/* The SYSTEM hive's state: clean, or dirty and what replaying its logs
 * as Windows will at its next boot gives (formats/hivelog.h). */
static void hive_state(struct lg_volume *v, struct lg_volinfo *vi)
{
	char hp[512];
	snprintf(hp, sizeof(hp), "%s/System32/config/SYSTEM", vi->windows_dir);
	unsigned char *prim = NULL, *lb[LG_HIVELOG_N] = { NULL };
	size_t plen = 0;
	int rc = read_whole(v, hp, LG_HIVELOG_MAX_BYTES, &prim, &plen);
	if (rc < 0) {
		vi->hive = rc == -ENOENT ? LG_HIVE_ABSENT : LG_HIVE_UNREADABLE;
		if (rc != -ENOENT && asprintf(&vi->hive_note, "cannot read it: %s", strerror(-rc)) < 0)
			vi->hive_note = NULL;
		return;
	}
	struct lg_hivelog_buf logs[LG_HIVELOG_N] = { { 0 } };
	for (int i = 0; i < LG_HIVELOG_N; i++) {
		char lp[540];
		size_t n = 0;
		snprintf(lp, sizeof(lp), "%s%s", hp, lg_hivelog_suffix[i]);
		if (read_whole(v, lp, LG_HIVELOG_MAX_BYTES, &lb[i], &n) == 0)
			logs[i] = (struct lg_hivelog_buf){ lb[i], n };
	}
	unsigned char *out = NULL;
	size_t olen = 0;
	struct lg_hivelog_result res;
	rc = lg_hivelog_recover("SYSTEM", prim, plen, logs, &out, &olen, &res);
	if (rc == 0 && !res.dirty) {
		vi->hive = LG_HIVE_CLEAN;
	} else if (rc == 0) {
		vi->hive = LG_HIVE_DIRTY_REPLAYABLE;
		vi->hive_log_entries = res.n_entries;
		char from[64] = "";
		size_t k = 0;
		for (int i = 0; i < LG_HIVELOG_N; i++)
			if (res.used & 1u << i)
				k += (size_t)snprintf(from + k, sizeof(from) - k, "%sSYSTEM%s", k ? ", " : "",
						      lg_hivelog_suffix[i]);
		vi->hive_note = strdup(from);
	} else if (rc == -EBADMSG) {
		vi->hive = LG_HIVE_DIRTY;
		if (asprintf(&vi->hive_note, "%s; %s", res.dirty_why, res.reason) < 0)
			vi->hive_note = NULL;
	} else {
		vi->hive = LG_HIVE_UNREADABLE;
		vi->hive_note = strdup(rc == -ENOTSUP ? "not a registry hive" : strerror(-rc));
	}
	free(out);
	free(prim);
	for (int i = 0; i < LG_HIVELOG_N; i++)
		free(lb[i]);
}

const char *lg_hive_state_name(enum lg_hive_state h)
{
	switch (h) {
	case LG_HIVE_CLEAN: return "clean";
	case LG_HIVE_DIRTY_REPLAYABLE: return "dirty, logs usable";
	case LG_HIVE_DIRTY: return "dirty, no usable log";
	case LG_HIVE_ABSENT: return "absent";
	default: return "unreadable";
	}
}

static bool exists(struct lg_volume *v, const char *path)
{
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return false;
	ntfs_inode_close(ni);
	return true;
}

/* The name of a root entry as stored, found case-insensitively. */
struct find_name {
	const char *want;
	char *found;
};

static int find_name_cb(void *ctx, const ntfschar *name, const int len, const int type,
			const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct find_name *fn = ctx;
	if (type == FILE_NAME_DOS)
		return 0;
	char *mb = NULL;
	if (ntfs_ucstombs(name, len, &mb, 0) < 0)
		return 0;
	if (!strcasecmp(mb, fn->want) && !fn->found)
		fn->found = mb;
	else
		free(mb);
	return 0;
}

static char *root_name(struct lg_volume *v, const char *want)
{
	ntfs_inode *root = ntfs_inode_open(v->vol, FILE_root);
	if (!root)
		return NULL;
	struct find_name fn = { .want = want };
	s64 pos = 0;
	ntfs_readdir(root, &pos, &fn, find_name_cb);
	ntfs_inode_close(root);
	return fn.found;
}

static void inspect_ntfs(struct lg_volinfo *vi)
{
	struct lg_err err = { "" };
	struct lg_volume *v = NULL;
	int r = lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, 0, &v, &err);
	if (r < 0) {
		vi->error = strdup(err.msg);
		return;
	}
	vi->ntfs = true;
	vi->label = v->vol->vol_name ? strdup(v->vol->vol_name) : NULL;
	vi->serial = v->serial;
	vi->ntfs_major = v->vol->major_ver;
	vi->ntfs_minor = v->vol->minor_ver;
	vi->dirty = v->was_dirty;
	/* A Windows installation: the SYSTEM hive or the kernel in place. */
	if (exists(v, "Windows/System32/config/SYSTEM") || exists(v, "Windows/System32/ntoskrnl.exe")) {
		vi->windows = true;
		vi->windows_dir = root_name(v, "Windows");
		if (!vi->windows_dir)
			vi->windows_dir = strdup("Windows");
		if (vi->windows_dir)
			hive_state(v, vi);
	}
	unsigned char h[4];
	ssize_t n = read_head(v, "hiberfil.sys", h, sizeof(h));
	if (n == -ENOENT)
		vi->hiber = LG_HIBER_NONE;
	else if (n == 4 && !strncasecmp((char *)h, "hibr", 4))
		vi->hiber = LG_HIBER_ACTIVE;
	else if (n == 4 && !strncasecmp((char *)h, "wake", 4))
		vi->hiber = LG_HIBER_WAKE;
	else
		vi->hiber = LG_HIBER_INACTIVE;
	lg_volume_close(v);
}

__attribute__((format(printf, 2, 3)))
static void add_problem(struct lg_inventory *inv, const char *fmt, ...)
{
	char **np = realloc(inv->problems, (inv->n_problems + 1) * sizeof(*np));
	if (!np)
		return;
	inv->problems = np;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&inv->problems[inv->n_problems], fmt, ap) >= 0)
		inv->n_problems++;
	va_end(ap);
}

int lg_inventory_build(char *const *targets, size_t n, struct lg_inventory **out, struct lg_err *err)
{
	*out = NULL;
	struct lg_inventory *inv = lg_zalloc(sizeof(*inv));
	if (!inv || !(inv->disks = calloc(n ? n : 1, sizeof(*inv->disks)))) {
		free(inv);
		return -ENOMEM;
	}
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		struct lg_disk *d = NULL;
		int r = lg_disk_open(targets[i], &d, err);
		if (r < 0) {
			lg_inventory_free(inv);
			return r;
		}
		inv->disks[inv->n_disks++] = d;
		_cleanup_close_ int fd = open(d->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			lg_err_set(err, "%s: cannot open: %s", d->path, strerror(e));
			lg_inventory_free(inv);
			return -e;
		}
		for (size_t p = 0; p < d->n_parts; p++) {
			struct lg_partition *part = &d->parts[p];
			if (part->container || part->truncated)
				continue;
			struct lg_bitlocker_info bl;
			int b = lg_bitlocker_probe(fd, part->offset, part->size, &bl);
			bool is_bl = b == 1 || b == -EBADMSG || part->fs == LG_FS_BITLOCKER;
			if (part->fs != LG_FS_NTFS && !is_bl)
				continue;
			if (inv->n_vols == cap) {
				cap = cap ? cap * 2 : 8;
				struct lg_volinfo *nv = realloc(inv->vols, cap * sizeof(*nv));
				if (!nv) {
					lg_inventory_free(inv);
					return -ENOMEM;
				}
				inv->vols = nv;
			}
			struct lg_volinfo *vi = &inv->vols[inv->n_vols++];
			memset(vi, 0, sizeof(*vi));
			vi->disk = d;
			vi->part = part;
			if (is_bl) {
				vi->bitlocker = true;
				if (b == 1)
					vi->bl = bl;
				else
					vi->error = strdup("BitLocker boot sector without readable FVE metadata");
				continue;
			}
			inspect_ntfs(vi);
		}
	}
	for (size_t i = 0; i < inv->n_disks; i++) {
		const struct lg_disk *d = inv->disks[i];
		bool known = strcmp(d->pttype, "none") != 0;
		for (size_t p = 0; p < d->n_parts; p++) {
			if (d->parts[p].truncated)
				add_problem(inv, "%s: partition %d extends past the end of the target (truncated image?)",
					    d->path, d->parts[p].number);
			if (d->parts[p].fs != LG_FS_UNKNOWN)
				known = true;
		}
		if (d->pt_rejected)
			add_problem(inv, "%s: a GPT partition table is there but does not fit the target: the image is "
				    "truncated or the table is damaged", d->path);
		else if (!known)
			add_problem(inv, "%s: no partition table and no file system recognised", d->path);
	}
	*out = inv;
	return 0;
}

/* A JSON string for text that came from a disk or a command line: bytes
 * that are not valid UTF-8 become '?', so the report keeps the field (and
 * the object it is in) instead of losing it. */
static json_t *text_json(const char *t)
{
	if (!t)
		return json_string("");
	json_t *j = json_string(t);
	if (j)
		return j;
	char *c = strdup(t);
	if (!c)
		return NULL;
	for (char *q = c; *q; q++)
		if ((unsigned char)*q >= 0x80 || (unsigned char)*q < 0x20)
			*q = '?';
	j = json_string(c);
	free(c);
	return j;
}

json_t *lg_volinfo_json(const struct lg_volinfo *v)
{
	char serial[17];
	snprintf(serial, sizeof(serial), "%016llX", (unsigned long long)v->serial);
	json_t *o = json_pack("{s:o, s:i, s:I, s:I}",
			      "target", text_json(v->disk->path),
			      "partition", v->part->number,
			      "offset", (json_int_t)v->part->offset,
			      "size", (json_int_t)v->part->size);
	if (v->bitlocker) {
		json_object_set_new(o, "filesystem", json_string("bitlocker"));
		json_object_set_new(o, "bitlocker", lg_bitlocker_info_json(&v->bl));
	} else {
		json_object_set_new(o, "filesystem", json_string("ntfs"));
	}
	if (v->error)
		json_object_set_new(o, "error", text_json(v->error));
	if (v->ntfs) {
		json_object_set_new(o, "label", text_json(v->label));
		json_object_set_new(o, "serial", json_string(serial));
		char ver[16];
		snprintf(ver, sizeof(ver), "%d.%d", v->ntfs_major, v->ntfs_minor);
		json_object_set_new(o, "ntfs_version", json_string(ver));
		json_object_set_new(o, "dirty", json_boolean(v->dirty));
		json_object_set_new(o, "hibernation", json_string(lg_hiber_name(v->hiber)));
		json_object_set_new(o, "windows", json_boolean(v->windows));
		if (v->windows) {
			json_object_set_new(o, "windows_dir", text_json(v->windows_dir));
			json_t *h = json_pack("{s:s}", "state", lg_hive_state_name(v->hive));
			if (v->hive == LG_HIVE_DIRTY_REPLAYABLE) {
				json_object_set_new(h, "log_entries", json_integer(v->hive_log_entries));
				json_object_set_new(h, "logs", text_json(v->hive_note));
			} else if (v->hive_note) {
				json_object_set_new(h, "why", text_json(v->hive_note));
			}
			json_object_set_new(o, "system_hive", h);
		}
	}
	return o;
}

static json_t *disk_json(const struct lg_disk *d)
{
	json_t *parts = json_array();
	for (size_t i = 0; i < d->n_parts; i++) {
		const struct lg_partition *p = &d->parts[i];
		json_t *o = json_pack("{s:i, s:I, s:I, s:s, s:s}",
				      "number", p->number, "offset", (json_int_t)p->offset,
				      "size", (json_int_t)p->size, "type", p->type,
				      "filesystem", p->fstype ? p->fstype : "");
		if (p->name)
			json_object_set_new(o, "name", text_json(p->name));
		if (p->label)
			json_object_set_new(o, "label", text_json(p->label));
		if (p->uuid)
			json_object_set_new(o, "uuid", json_string(p->uuid));
		if (p->esp)
			json_object_set_new(o, "esp", json_true());
		if (p->msr)
			json_object_set_new(o, "msr", json_true());
		if (p->truncated)
			json_object_set_new(o, "truncated", json_true());
		json_array_append_new(parts, o);
	}
	json_t *o = json_pack("{s:s, s:b, s:I, s:s, s:o}", "target", d->path,
			      "block_device", d->block_device, "size", (json_int_t)d->size,
			      "partition_table", d->pttype, "partitions", parts);
	if (d->pt_id)
		json_object_set_new(o, "table_id", json_string(d->pt_id));
	return o;
}

json_t *lg_inventory_json(const struct lg_inventory *inv)
{
	json_t *disks = json_array(), *vols = json_array();
	for (size_t i = 0; i < inv->n_disks; i++)
		json_array_append_new(disks, disk_json(inv->disks[i]));
	for (size_t i = 0; i < inv->n_vols; i++)
		json_array_append_new(vols, lg_volinfo_json(&inv->vols[i]));
	return json_pack("{s:o, s:o}", "disks", disks, "volumes", vols);
}
