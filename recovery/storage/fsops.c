// SPDX-License-Identifier: GPL-2.0-or-later
#include "storage/fsops.h"

#include "storage/secdesc.h"

#include <sys/stat.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/security.h>
#include <ntfs-3g/unistr.h>

static int neg_errno(int fallback)
{
	return errno ? -errno : -fallback;
}

/* Split "a/b/c" into the parent "a/b" (into buf) and the last name. */
static int split_path(const char *path, char *parent, size_t plen, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		parent[0] = 0;
		*name = path;
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= plen)
			return -ENAMETOOLONG;
		memcpy(parent, path, n);
		parent[n] = 0;
		*name = slash + 1;
	}
	return **name ? 0 : -EINVAL;
}

int lg_fs_stat(struct lg_volume *v, const char *path, uint64_t *mref, bool *is_dir,
	       bool *is_reparse)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	if (mref)
		*mref = ni->mft_no;
	if (is_dir)
		*is_dir = (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
	if (is_reparse)
		*is_reparse = (ni->flags & FILE_ATTR_REPARSE_POINT) != 0;
	ntfs_inode_close(ni);
	return 0;
}

/* A name lastgood would create: never '.', '..', a '\\' or a ':' (a
 * stream), whatever a journal on the volume says. */
static bool name_usable(const char *name)
{
	return strcmp(name, ".") && strcmp(name, "..") && !strpbrk(name, "\\:");
}

static int to_ucs(const char *name, ntfschar **u)
{
	*u = NULL;
	if (!name_usable(name))
		return -EINVAL;
	int n = ntfs_mbstoucs(name, u);
	if (n < 0)
		return neg_errno(EILSEQ);
	if (n == 0 || n > 255) {
		free(*u);
		*u = NULL;
		return -ENAMETOOLONG;
	}
	return n;
}

static int do_set_attrs(struct lg_volume *v, const char *path, uint32_t set)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	ni->flags |= cpu_to_le32(set);
	NInoSetDirty(ni);
	NInoFileNameSetDirty(ni);
	int r = ntfs_inode_close(ni) ? neg_errno(EIO) : 0;
	return r;
}

/* Whether path is lastgood's own folder or inside it. */
static bool own_area(const char *path)
{
	size_t n = strlen(LG_FS_OWN_DIR);
	while (*path == '/')
		path++;
	return !strncasecmp(path, LG_FS_OWN_DIR, n) && (path[n] == '/' || !path[n]);
}

static int set_sd_inode(ntfs_inode *ni, const void *sd, size_t len)
{
	struct SECURITY_CONTEXT scx;
	memset(&scx, 0, sizeof(scx));
	scx.vol = ni->vol;
	errno = 0;
	return ntfs_set_ntfs_acl(&scx, ni, sd, len, 0) ? neg_errno(EIO) : 0;
}

/* What lastgood creates under its own folder is SYSTEM's and
 * Administrators' only. */
static int own_sd(ntfs_inode *ni, bool dir)
{
	unsigned char sd[LG_SD_OWN_MAX];
	size_t n = lg_sd_own(dir, sd);
	return set_sd_inode(ni, sd, n);
}

static int get_sd_inode(ntfs_inode *ni, void **out, size_t *len)
{
	struct SECURITY_CONTEXT scx;
	memset(&scx, 0, sizeof(scx));
	scx.vol = ni->vol;
	char probe[4];
	errno = 0;
	int n = ntfs_get_ntfs_acl(&scx, ni, probe, 0);
	if (n <= 0)
		return n == 0 ? -ENODATA : neg_errno(EIO);
	if ((size_t)n > LG_SD_MAX)
		return -EFBIG;
	char *b = malloc((size_t)n);
	if (!b)
		return -ENOMEM;
	int m = ntfs_get_ntfs_acl(&scx, ni, b, (size_t)n);
	if (m != n) {
		free(b);
		return -EIO;
	}
	*out = b;
	*len = (size_t)n;
	return 0;
}

int lg_fs_get_sd(struct lg_volume *v, const char *path, void **sd, size_t *len)
{
	*sd = NULL;
	*len = 0;
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	int r = get_sd_inode(ni, sd, len);
	ntfs_inode_close(ni);
	return r;
}

int lg_fs_get_attrs(struct lg_volume *v, const char *path, uint32_t *attrs)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	*attrs = le32_to_cpu(ni->flags);
	ntfs_inode_close(ni);
	return 0;
}

int lg_fs_ref(struct lg_volume *v, const char *path, uint64_t *mref, unsigned *links)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	*mref = MK_MREF(ni->mft_no, le16_to_cpu(ni->mrec->sequence_number));
	if (links)
		*links = le16_to_cpu(ni->mrec->link_count);
	ntfs_inode_close(ni);
	return 0;
}

static int do_mkdirs(struct lg_volume *v, const char *path, uint32_t attrs)
{
	ntfs_inode *dir = ntfs_inode_open(v->vol, FILE_root);
	if (!dir)
		return neg_errno(EIO);
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		u64 mref = lg_volume_lookup_name(dir, p, n);
		ntfs_inode *next;
		if (mref != (u64)-1) {
			next = ntfs_inode_open(v->vol, MREF(mref));
			if (next && !(next->mrec->flags & MFT_RECORD_IS_DIRECTORY)) {
				ntfs_inode_close(next);
				ntfs_inode_close(dir);
				return -ENOTDIR;
			}
		} else {
			char comp[1024];
			ntfschar *u = NULL;
			int ul = -ENAMETOOLONG;
			if (n < sizeof(comp)) {
				memcpy(comp, p, n);
				comp[n] = 0;
				ul = to_ucs(comp, &u);
			}
			if (ul < 0) {
				ntfs_inode_close(dir);
				return ul;
			}
			errno = 0;
			next = ntfs_create(dir, const_cpu_to_le32(0), u, (u8)ul, S_IFDIR);
			free(u);
			if (next && own_area(path) && own_sd(next, true) < 0) {
				int r = neg_errno(EIO);
				ntfs_inode_close(next);
				ntfs_inode_close(dir);
				return r;
			}
			if (next && attrs) {
				next->flags |= cpu_to_le32(attrs);
				NInoSetDirty(next);
				NInoFileNameSetDirty(next);
			}
		}
		if (!next) {
			int r = neg_errno(EIO);
			ntfs_inode_close(dir);
			return r;
		}
		if (ntfs_inode_close(dir)) {
			int r = neg_errno(EIO);
			ntfs_inode_close(next);
			return r;
		}
		dir = next;
		p += n;
	}
	return ntfs_inode_close(dir) ? neg_errno(EIO) : 0;
}

/* Drop one name of the file at path. Only ever called when the file has
 * another name (the rename's new one, or the duplicate a cut left):
 * checked again here, since the same call on a file's last name would
 * delete it. */
/* The inode at path and the directory dir_path, both open, with name (a
 * name in that directory) as UTF-16 in *u (*ul characters). On success
 * the caller closes both inodes and frees *u; on error nothing is left
 * open. */
static int open_pair(struct lg_volume *v, const char *path, const char *dir_path, const char *name,
		     ntfs_inode **ni, ntfs_inode **dir, ntfschar **u, int *ul)
{
	*ni = *dir = NULL;
	*u = NULL;
	*ul = to_ucs(name, u);
	if (*ul < 0)
		return *ul;
	errno = 0;
	*ni = lg_volume_lookup(v, path);
	*dir = *ni ? lg_volume_lookup(v, dir_path) : NULL;
	if (*ni && *dir)
		return 0;
	int r = neg_errno(ENOENT);
	if (*ni)
		ntfs_inode_close(*ni);
	*ni = NULL;
	free(*u);
	*u = NULL;
	return r;
}

static int unlink_name(struct lg_volume *v, const char *path)
{
	char parent[4096];
	const char *name;
	int r = split_path(path, parent, sizeof(parent), &name);
	if (r < 0)
		return r;
	ntfschar *u;
	int ul;
	ntfs_inode *ni, *dir;
	if ((r = open_pair(v, path, parent, name, &ni, &dir, &u, &ul)) < 0)
		return r;
	if (le16_to_cpu(ni->mrec->link_count) < 2) {
		r = -EMLINK; /* its last name: never */
		ntfs_inode_close(dir);
		ntfs_inode_close(ni);
	} else {
		/* ntfs_delete closes both inodes, whatever the outcome. */
		r = ntfs_delete(v->vol, NULL, ni, dir, u, (u8)ul) ? neg_errno(EIO) : 0;
	}
	free(u);
	return r;
}

static int do_rename(struct lg_volume *v, const char *from, const char *to, uint64_t expect, bool dir_ok)
{
	char tparent[4096];
	const char *tname;
	int r = split_path(to, tparent, sizeof(tparent), &tname);
	if (r < 0)
		return r;
	if (lg_fs_stat(v, to, NULL, NULL, NULL) == 0)
		return -EEXIST;
	bool is_dir = false;
	r = lg_fs_stat(v, from, NULL, &is_dir, NULL);
	if (r < 0)
		return r;
	if (is_dir && !dir_ok)
		return -EISDIR;
	if (expect) {
		/* The name must still lead to the record that was matched
		 * (number and sequence): a name swapped since is not ours. */
		uint64_t now;
		if ((r = lg_fs_ref(v, from, &now, NULL)) < 0)
			return r;
		if (now != expect)
			return -ESTALE;
	}
	if (tparent[0] && (r = do_mkdirs(v, tparent, 0)) < 0)
		return r;
	ntfschar *tu;
	int tl;
	ntfs_inode *ni, *tdir;
	if ((r = open_pair(v, from, tparent, tname, &ni, &tdir, &tu, &tl)) < 0)
		return r;
	if (ntfs_link(ni, tdir, tu, (u8)tl)) /* step 1: the new name */
		r = neg_errno(EIO);
	if (ntfs_inode_close(tdir) && !r)
		r = neg_errno(EIO);
	if (ntfs_inode_close(ni) && !r)
		r = neg_errno(EIO);
	free(tu);
	/* Step 2: the old name goes; the file keeps the new one. */
	return r < 0 ? r : unlink_name(v, from);
}

static int do_unlink_duplicate(struct lg_volume *v, const char *path, const char *other)
{
	uint64_t a = 0, b = 0;
	int r = lg_fs_stat(v, path, &a, NULL, NULL);
	if (r < 0)
		return r;
	if ((r = lg_fs_stat(v, other, &b, NULL, NULL)) < 0)
		return r;
	if (a != b)
		return -ESTALE;
	return unlink_name(v, path);
}

int lg_fs_read(struct lg_volume *v, const char *path, size_t max, char **buf, size_t *len)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	int r = 0;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		r = neg_errno(EIO);
		goto out;
	}
	if (na->data_size < 0 || (uint64_t)na->data_size > max) {
		r = -EFBIG;
		goto out;
	}
	size_t n = (size_t)na->data_size;
	char *b = malloc(n + 1);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	if (ntfs_attr_pread(na, 0, (s64)n, b) != (s64)n) {
		free(b);
		r = neg_errno(EIO);
		goto out;
	}
	b[n] = 0;
	*buf = b;
	if (len)
		*len = n;
out:
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return r;
}

ssize_t lg_fs_pread(struct lg_volume *v, const char *path, uint64_t off, void *buf, size_t n)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	ssize_t r;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		r = neg_errno(EIO);
	} else {
		s64 got = ntfs_attr_pread(na, (s64)off, (s64)n, buf);
		r = got < 0 ? neg_errno(EIO) : (ssize_t)got;
		ntfs_attr_close(na);
	}
	ntfs_inode_close(ni);
	return r;
}

/* Flush an inode and commit: what the journal calls "on disk". */
static int sync_inode(struct lg_volume *v, ntfs_inode *ni)
{
	if (ntfs_inode_sync(ni))
		return neg_errno(EIO);
	return lg_volume_commit(v);
}

static int write_at(struct lg_volume *v, ntfs_inode *ni, uint64_t off, const void *data,
		    size_t len, bool truncate)
{
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na)
		return neg_errno(EIO);
	int r = 0;
	if (off == UINT64_MAX)
		off = (uint64_t)na->data_size;
	/* Big content goes in pieces, each its own commit group, so a group
	 * fits the redo area; a cut leaves a short file, which the journal's
	 * checks catch (a restore is read back before it is put in place). */
	uint64_t piece = lg_volume_commit_capacity(v) / 2;
	if (piece < 4096)
		piece = 4096;
	for (uint64_t done = 0; done < len;) {
		uint64_t n = len - done < piece ? len - done : piece;
		if (ntfs_attr_pwrite(na, (s64)(off + done), (s64)n, (const char *)data + done) != (s64)n) {
			r = neg_errno(ENOSPC);
			goto out;
		}
		done += n;
		if (done < len && (ntfs_inode_sync(ni) || lg_volume_commit(v) < 0)) {
			r = neg_errno(EIO);
			goto out;
		}
	}
	/* New content first, then the size: a cut in between leaves the new
	 * bytes with a stale tail, never an empty file. */
	if (truncate && na->data_size > (s64)(off + len) && ntfs_attr_truncate(na, (s64)(off + len))) {
		r = neg_errno(EIO);
		goto out;
	}
out:
	ntfs_attr_close(na);
	if (!r)
		r = sync_inode(v, ni);
	return r;
}

static int create_file(struct lg_volume *v, const char *path, ntfs_inode **out)
{
	char parent[4096];
	const char *name;
	int r = split_path(path, parent, sizeof(parent), &name);
	if (r < 0)
		return r;
	if (parent[0] && (r = do_mkdirs(v, parent, 0)) < 0)
		return r;
	ntfschar *u = NULL;
	int ul = to_ucs(name, &u);
	if (ul < 0)
		return ul;
	errno = 0;
	ntfs_inode *dir = lg_volume_lookup(v, parent);
	if (!dir) {
		free(u);
		return neg_errno(ENOENT);
	}
	errno = 0;
	ntfs_inode *ni = ntfs_create(dir, const_cpu_to_le32(0), u, (u8)ul, S_IFREG);
	free(u);
	r = ni ? 0 : neg_errno(EIO);
	if (ni && !r && own_area(path))
		r = own_sd(ni, false);
	if (ntfs_inode_close(dir) && !r)
		r = neg_errno(EIO);
	if (r < 0) {
		if (ni)
			ntfs_inode_close(ni);
		return r;
	}
	*out = ni;
	return 0;
}

int lg_fs_create(struct lg_volume *v, const char *path, const void *data, size_t len)
{
	return lg_fs_create_meta(v, path, data, len, NULL);
}

int lg_fs_create_meta(struct lg_volume *v, const char *path, const void *data, size_t len,
		      const struct lg_fs_meta *meta)
{
	if (lg_fs_stat(v, path, NULL, NULL, NULL) == 0)
		return -EEXIST;
	ntfs_inode *ni = NULL;
	int r = create_file(v, path, &ni);
	if (r < 0)
		return r;
	/* Descriptor and attributes before the first byte lands: they are
	 * in the same commit group as the file's creation. */
	if (meta && meta->sd && meta->sd_len)
		r = set_sd_inode(ni, meta->sd, meta->sd_len);
	if (!r && meta && meta->has_attrs) {
		ni->flags = cpu_to_le32(meta->attrs & LG_FS_COPY_ATTRS);
		NInoSetDirty(ni);
		NInoFileNameSetDirty(ni);
	}
	if (!r)
		r = write_at(v, ni, 0, data, len, false);
	if (ntfs_inode_close(ni) && !r)
		r = neg_errno(EIO);
	return r;
}

static int open_or_create(struct lg_volume *v, const char *path, ntfs_inode **ni)
{
	errno = 0;
	*ni = lg_volume_lookup(v, path);
	if (*ni)
		return 0;
	if (errno != ENOENT)
		return neg_errno(EIO);
	return create_file(v, path, ni);
}

int lg_fs_append(struct lg_volume *v, const char *path, const void *data, size_t len)
{
	ntfs_inode *ni = NULL;
	int r = open_or_create(v, path, &ni);
	if (r < 0)
		return r;
	r = write_at(v, ni, UINT64_MAX, data, len, false);
	if (ntfs_inode_close(ni) && !r)
		r = neg_errno(EIO);
	if (!r)
		r = lg_volume_commit(v);
	return r;
}

int lg_fs_overwrite(struct lg_volume *v, const char *path, const void *data, size_t len)
{
	ntfs_inode *ni = NULL;
	int r = open_or_create(v, path, &ni);
	if (r < 0)
		return r;
	r = write_at(v, ni, 0, data, len, true);
	if (ntfs_inode_close(ni) && !r)
		r = neg_errno(EIO);
	return r;
}

int lg_fs_pwrite(struct lg_volume *v, const char *path, uint64_t off, const void *data, size_t len)
{
	errno = 0;
	ntfs_inode *ni = lg_volume_lookup(v, path);
	if (!ni)
		return neg_errno(ENOENT);
	int r = write_at(v, ni, off, data, len, false);
	if (ntfs_inode_close(ni) && !r)
		r = neg_errno(EIO);
	return r;
}

int lg_fs_sync(struct lg_volume *v)
{
	return lg_volume_commit(v);
}

/* Each public change is one commit group: all of it lands, or none. */
int lg_fs_set_attrs(struct lg_volume *v, const char *path, uint32_t set)
{
	int r = do_set_attrs(v, path, set);
	return r < 0 ? r : lg_volume_commit(v);
}

int lg_fs_mkdirs(struct lg_volume *v, const char *path, uint32_t attrs)
{
	int r = do_mkdirs(v, path, attrs);
	return r < 0 ? r : lg_volume_commit(v);
}

int lg_fs_rename(struct lg_volume *v, const char *from, const char *to)
{
	int r = do_rename(v, from, to, 0, false);
	return r < 0 ? r : lg_volume_commit(v);
}

int lg_fs_rename_ref(struct lg_volume *v, const char *from, const char *to, uint64_t expect)
{
	int r = do_rename(v, from, to, expect, false);
	return r < 0 ? r : lg_volume_commit(v);
}

int lg_fs_rename_dir(struct lg_volume *v, const char *from, const char *to)
{
	int r = do_rename(v, from, to, 0, true);
	return r < 0 ? r : lg_volume_commit(v);
}

int lg_fs_unlink_duplicate(struct lg_volume *v, const char *path, const char *other)
{
	int r = do_unlink_duplicate(v, path, other);
	return r < 0 ? r : lg_volume_commit(v);
}
