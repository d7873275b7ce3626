// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash dumps on a Windows volume for the report (crashes.h).
 */
#include "engine/crashes.h"

#include "formats/crashdump.h"
#include "lib/rfc3339.h"

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/ntfstime.h>
#include <ntfs-3g/unistr.h>
#include <strings.h>

struct dump {
	char *path;                  /* volume-relative, '/'-separated */
	int64_t mtime;               /* Unix seconds */
};

struct listing {
	const char *dir;
	struct dump *d;
	size_t n;
	bool full;
};

static int list_cb(void *ctx, const ntfschar *name, const int len, const int type, const s64 pos,
		   const MFT_REF mref, const unsigned dt_type)
{
	struct listing *l = ctx;
	if (type == FILE_NAME_DOS || dt_type != NTFS_DT_REG)
		return 0;
	if (l->n >= LG_CRASHES_SCAN_MAX) {
		l->full = true;
		return 0;
	}
	char *mb = NULL;
	if (ntfs_ucstombs(name, len, &mb, 0) < 0)
		return 0;
	size_t n = strlen(mb);
	if (n < 5 || strcasecmp(mb + n - 4, ".dmp")) {
		free(mb);
		return 0;
	}
	struct dump *nd = realloc(l->d, (l->n + 1) * sizeof(*nd));
	char *p = NULL;
	if (!nd || asprintf(&p, "%s/%s", l->dir, mb) < 0) {
		free(mb);
		if (nd)
			l->d = nd;
		return -1;
	}
	l->d = nd;
	l->d[l->n++] = (struct dump){ .path = p };
	free(mb);
	return 0;
}

static int by_mtime_desc(const void *a, const void *b)
{
	const struct dump *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime > y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

struct attr_src {
	ntfs_attr *na;
};

static ssize_t attr_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	struct attr_src *s = ctx;
	s64 r = ntfs_attr_pread(s->na, (s64)off, (s64)n, buf);
	return r < 0 ? -(errno ? errno : EIO) : (ssize_t)r;
}

static json_t *hex64(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%016llx", (unsigned long long)v);
	return json_string(b);
}

static json_t *one(struct lg_volume *v, const struct dump *d)
{
	json_t *o = json_pack("{s:s}", "path", d->path);
	char t[LG_RFC3339_LEN];
	if (d->mtime) {
		lg_rfc3339_format(d->mtime, t);
		json_object_set_new(o, "modified", json_string(t));
	}
	ntfs_inode *ni = lg_volume_lookup(v, d->path);
	ntfs_attr *na = ni ? ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0) : NULL;
	if (!na) {
		json_object_set_new(o, "error", json_sprintf("cannot open it: %s", strerror(errno ? errno : EIO)));
		if (ni)
			ntfs_inode_close(ni);
		return o;
	}
	json_object_set_new(o, "size", json_integer(na->data_size));
	struct lg_crash c;
	struct lg_err err = { "" };
	struct attr_src src = { na };
	int r = lg_crashdump_read(attr_read, &src, (uint64_t)na->data_size, &c, &err);
	ntfs_attr_close(na);
	ntfs_inode_close(ni);
	if (r < 0) {
		json_object_set_new(o, "error", json_string(err.msg[0] ? err.msg : strerror(-r)));
		return o;
	}
	char code[12];
	snprintf(code, sizeof(code), "0x%08x", c.code);
	json_object_set_new(o, "format", json_string(c.format));
	json_object_set_new(o, "type", json_string(c.type));
	if (c.have_time) {
		lg_rfc3339_format(c.time, t);
		json_object_set_new(o, "time", json_string(t));
	}
	json_object_set_new(o, "bugcheck", json_string(code));
	const char *name = lg_bugcheck_name(c.code);
	if (name)
		json_object_set_new(o, "bugcheck_name", json_string(name));
	json_t *pa = json_array();
	for (int i = 0; i < 4; i++)
		json_array_append_new(pa, hex64(c.param[i]));
	json_object_set_new(o, "parameters", pa);
	if (c.have_address)
		json_object_set_new(o, "address", hex64(c.address));
	if (c.build)
		json_object_set_new(o, "windows_build", json_integer(c.build));
	json_object_set_new(o, "modules", json_integer((json_int_t)c.n_modules));
	if (c.driver[0]) {
		json_object_set_new(o, "driver", json_string(c.driver));
		json_object_set_new(o, "driver_base", hex64(c.driver_base));
		json_object_set_new(o, "driver_size", json_integer(c.driver_size));
		json_object_set_new(o, "driver_holds", c.fault == LG_CRASH_FAULT_ADDRESS
				    ? json_string("address") : json_sprintf("parameter %d", (int)c.fault));
	}
	return o;
}

static int64_t mtime_of(struct lg_volume *v, const char *path)
{
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return -1;
	struct timespec ts = ntfs2timespec(ni->last_data_change_time);
	ntfs_inode_close(ni);
	return ts.tv_sec;
}

json_t *lg_crashes_scan(struct lg_volume *v, const char *windir, size_t max)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	const char *wd = windir && *windir ? windir : "Windows";
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/Minidump", wd);
	struct listing l = { .dir = dir };
	ntfs_inode *di = lg_volume_lookup(v, dir);
	if (di) {
		s64 pos = 0;
		ntfs_readdir(di, &pos, &l, list_cb);
		ntfs_inode_close(di);
	}
	char *mem = NULL;
	if (asprintf(&mem, "%s/MEMORY.DMP", wd) >= 0) {
		int64_t mt = mtime_of(v, mem);
		struct dump *nd = mt >= 0 ? realloc(l.d, (l.n + 1) * sizeof(*nd)) : NULL;
		if (nd) {
			l.d = nd;
			l.d[l.n++] = (struct dump){ .path = mem, .mtime = mt };
			mem = NULL;
		}
		free(mem);
	}
	for (size_t i = 0; i < l.n; i++)
		if (!l.d[i].mtime) {
			int64_t mt = mtime_of(v, l.d[i].path);
			l.d[i].mtime = mt > 0 ? mt : 0;
		}
	if (l.n > 1) /* qsort's base must not be NULL, even for 0 items */
		qsort(l.d, l.n, sizeof(*l.d), by_mtime_desc);
	for (size_t i = 0; i < l.n; i++) {
		if (i < max)
			json_array_append_new(arr, one(v, &l.d[i]));
		free(l.d[i].path);
	}
	free(l.d);
	return arr;
}
