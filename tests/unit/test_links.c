// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * storage/links.c on a real mkntfs volume: the names of a file with hard
 * links, and $FILE_NAME attributes made hostile by hand (a parent that
 * does not exist, a reused parent, a parent that does not hold the name,
 * folders that lead back into each other, a name with '/'), none of which
 * may be listed, an 8.3 name, which is no link, and a file with more
 * names than are listed.
 */
#include "test.h"
#include "storage/fsops.h"
#include "storage/links.h"

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/index.h>

#define VOL_SIZE (8u << 20)
#define F "D/longname-driver.sys"

static char img[] = "/tmp/lg-test-links-XXXXXX";

static ntfschar *ucs(const char *s, int *len)
{
	ntfschar *u = NULL;
	*len = ntfs_mbstoucs(s, &u);
	return u;
}

/* A second name for the file at path: name in the folder dir. A '/' in
 * name is written as it is, as a hostile tool would. */
static int add_link(struct lg_volume *v, const char *path, const char *dir, const char *name)
{
	ntfs_inode *ni = lg_volume_lookup(v, path), *d = lg_volume_lookup(v, dir);
	ntfschar u[64];
	int ul = (int)strlen(name);
	for (int i = 0; i < ul; i++)
		u[i] = cpu_to_le16((u16)(unsigned char)name[i]);
	int r = ni && d ? ntfs_link(ni, d, u, (u8)ul) : -1;
	if (d)
		ntfs_inode_close(d);
	if (ni)
		ntfs_inode_close(ni);
	return r;
}

/* Find the $FILE_NAME called name (ASCII) in the record of path; calls
 * fn on it, then writes the record back. */
static int edit_fn(struct lg_volume *v, const char *path, const char *name,
		   void (*fn)(FILE_NAME_ATTR *f, uint64_t arg), uint64_t arg)
{
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return -1;
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	int r = -1;
	while (r && ctx && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *f = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		if (f->file_name_length != strlen(name))
			continue;
		bool same = true;
		for (size_t i = 0; i < strlen(name); i++)
			same = same && le16_to_cpu(f->file_name[i]) == (u16)name[i];
		if (same) {
			fn(f, arg);
			ntfs_inode_mark_dirty(ctx->ntfs_ino);
			r = 0;
		}
	}
	if (ctx)
		ntfs_attr_put_search_ctx(ctx);
	ntfs_inode_close(ni);
	return r;
}

static void set_parent(FILE_NAME_ATTR *f, uint64_t ref)
{
	f->parent_directory = cpu_to_le64(ref);
}

static uint64_t ref_of(struct lg_volume *v, const char *path)
{
	uint64_t r = 0;
	lg_fs_ref(v, path, &r, NULL);
	return r;
}

/* An 8.3 name beside the long one, as Windows makes it: a second
 * $FILE_NAME in the DOS namespace with its own index entry. */
static int add_dos_name(struct lg_volume *v, const char *path, const char *dir, const char *dos)
{
	ntfs_inode *ni = lg_volume_lookup(v, path), *d = lg_volume_lookup(v, dir);
	ntfs_attr_search_ctx *ctx = ni ? ntfs_attr_get_search_ctx(ni, NULL) : NULL;
	int r = -1;
	if (ctx && d && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *f = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		f->file_name_type = FILE_NAME_WIN32;
		size_t dl = strlen(dos), len = sizeof(FILE_NAME_ATTR) + dl * 2;
		FILE_NAME_ATTR *c = calloc(1, len);
		memcpy(c, f, sizeof(FILE_NAME_ATTR));
		c->file_name_type = FILE_NAME_DOS;
		c->file_name_length = (u8)dl;
		for (size_t i = 0; i < dl; i++)
			c->file_name[i] = cpu_to_le16((u16)dos[i]);
		ntfs_inode_mark_dirty(ni);
		ntfs_attr_put_search_ctx(ctx);
		ctx = NULL;
		if (!ntfs_index_add_filename(d, c, MK_MREF(ni->mft_no, le16_to_cpu(ni->mrec->sequence_number))) &&
		    !ntfs_attr_add(ni, AT_FILE_NAME, AT_UNNAMED, 0, (u8 *)c, (s64)len))
			r = 0;
		free(c);
	}
	if (ctx)
		ntfs_attr_put_search_ctx(ctx);
	if (d)
		ntfs_inode_close(d);
	if (ni)
		ntfs_inode_close(ni);
	return r;
}

static bool listed(const struct lg_links *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->paths[i], p))
			return true;
	return false;
}

static void test_links(void)
{
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_volume_open(img, 0, VOL_SIZE, LG_VOL_RW | LG_VOL_DIRECT, &v, &err), 0);
	if (!v)
		return;
	const char *dirs[] = { "D", "E/sub", "X", "Y", "Z", "L1/L2" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		CHECK_INT(lg_fs_mkdirs(v, dirs[i], 0), 0);
	CHECK_INT(lg_fs_create(v, F, "driver", 6), 0);
	CHECK_INT(add_dos_name(v, F, "D", "LONGNA~1.SYS"), 0);
	/* two real other names */
	CHECK_INT(add_link(v, F, "D", "g.sys"), 0);
	CHECK_INT(add_link(v, F, "E/sub", "h.sys"), 0);
	/* a parent that does not exist */
	CHECK_INT(add_link(v, F, "X", "m.sys"), 0);
	CHECK_INT(edit_fn(v, F, "m.sys", set_parent, MK_MREF(900, 1)), 0);
	/* a parent reused since (another sequence number) */
	CHECK_INT(add_link(v, F, "Y", "s.sys"), 0);
	CHECK_INT(edit_fn(v, F, "s.sys", set_parent, ref_of(v, "Y") + (1ull << 48)), 0);
	/* a parent that does not hold the name */
	CHECK_INT(add_link(v, F, "Z", "n.sys"), 0);
	CHECK_INT(edit_fn(v, F, "n.sys", set_parent, ref_of(v, "D")), 0);
	/* a name with '/' in it */
	CHECK_INT(add_link(v, F, "D", "x/y"), 0);
	/* folders that lead back into each other: L1 holds L2, and L1's own
	 * name says L2 holds it (and L2's index does, when libntfs-3g lets a
	 * folder have a second name) */
	CHECK_INT(add_link(v, F, "L1/L2", "loop.sys"), 0);
	add_link(v, "L1", "L1/L2", "L1");
	CHECK_INT(edit_fn(v, "L1", "L1", set_parent, ref_of(v, "L1/L2")), 0);
	/* more names than are listed: LG_LINKS_MAX listed, the rest counted */
	CHECK_INT(lg_fs_mkdirs(v, "M", 0), 0);
	CHECK_INT(lg_fs_create(v, "M/many.sys", "many", 4), 0);
	int made = 0;
	for (int i = 0; i < LG_LINKS_MAX + 6; i++) {
		char nm[24];
		snprintf(nm, sizeof(nm), "n%02d.sys", i);
		made += add_link(v, "M/many.sys", "M", nm) == 0;
	}
	CHECK_INT(made, LG_LINKS_MAX + 6);
	uint64_t mref = ref_of(v, F), d = ref_of(v, "D"), many = ref_of(v, "M/many.sys");
	CHECK_INT(lg_volume_close(v), 0);

	CHECK_INT(lg_volume_open(img, 0, VOL_SIZE, 0, &v, &err), 0);
	if (!v)
		return;
	int ul;
	ntfschar *u = ucs("longname-driver.sys", &ul);
	struct lg_links l;
	CHECK_INT(lg_links_read(v, mref, d, u, (size_t)ul, &l), 0);
	CHECK_INT(l.n, 2);
	if (l.n == 2) {
		CHECK_STR(l.paths[0], "D/g.sys");
		CHECK_STR(l.paths[1], "E/sub/h.sys");
	}
	CHECK_INT(l.unlisted, 5); /* m, s, n, x/y, loop: never the 8.3 name */
	lg_links_free(&l);
	/* without a name to leave out: the long name too, still not the 8.3 one */
	CHECK_INT(lg_links_read(v, mref, 0, NULL, 0, &l), 0);
	CHECK_INT(l.n, 3);
	CHECK(listed(&l, F) && !listed(&l, "D/LONGNA~1.SYS"));
	lg_links_free(&l);
	/* 71 names, one left out as the matched one: 64 listed (sorted, each
	 * once), 6 counted */
	free(u);
	u = ucs("many.sys", &ul);
	CHECK_INT(lg_links_read(v, many, ref_of(v, "M"), u, (size_t)ul, &l), 0);
	CHECK_INT(l.n, LG_LINKS_MAX);
	CHECK_INT(l.unlisted, 6);
	CHECK(!listed(&l, "M/many.sys"));
	for (size_t i = 0; i < l.n; i++)
		CHECK(!strncmp(l.paths[i], "M/n", 3) && (i == 0 || strcmp(l.paths[i - 1], l.paths[i]) < 0));
	lg_links_free(&l);
	free(u);
	u = ucs("longname-driver.sys", &ul);
	/* the record is not that file any more */
	CHECK_INT(lg_links_read(v, mref + (1ull << 48), d, u, (size_t)ul, &l), -ENOENT);
	CHECK_INT(l.n, 0);
	free(u);
	lg_volume_close(v);
}

/* The one check of a name that cannot stand for itself in a path, shared
 * by the matcher (LG_MATCH_NAME_UNUSABLE) and the names listed here. */
static void test_name_unusable(void)
{
	static const struct {
		const char *name;
		size_t len;
		bool unusable;
	} t[] = {
		{ "g.sys", 5, false }, { "...", 3, false }, { ".sys", 4, false }, { "a b", 3, false },
		{ "", 0, true }, { ".", 1, true }, { "..", 2, true }, { "x/y", 3, true }, { "x\\y", 3, true },
		{ "C:x", 3, true }, { "a\0b", 3, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		ntfschar u[8];
		for (size_t k = 0; k < t[i].len; k++)
			u[k] = cpu_to_le16((u16)(unsigned char)t[i].name[k]);
		if (lg_volume_name_unusable(u, t[i].len) != t[i].unusable)
			T_FAIL_AT("\"%s\" (%zu units): expected %s", t[i].name, t[i].len,
				  t[i].unusable ? "unusable" : "usable");
		t_checks++;
	}
}

int main(void)
{
	RUN(test_name_unusable);
	int fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, VOL_SIZE) < 0)
		T_SKIP("cannot create a temp image");
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin mkntfs -F -Q -q -T %s >/dev/null 2>&1", img);
	if (system(cmd) != 0) {
		unlink(img);
		T_SKIP("mkntfs failed (ntfs-3g installed?)");
	}
	RUN(test_links);
	unlink(img);
	return t_done();
}
