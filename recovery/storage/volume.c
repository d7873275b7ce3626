// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libntfs-3g device layer with a byte offset, and volume open/close.
 *
 * Why our own device operations rather than ntfs-3g's unix_io: a Windows
 * partition inside a disk image or a whole-disk block device starts at an
 * offset, and the alternative (loop devices, partition nodes) needs root
 * and a kernel that has them. It is also where the power-cut harness stops
 * persisting writes.
 */
#include "storage/volume.h"

#include "storage/redo.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/logging.h>

struct offdev {
	int fd;
	uint64_t offset, size;
	int64_t pos;                 /* seek position within the volume */
	bool rw;
	const char *target;
	struct lg_redo *redo;        /* commit groups (redo.h); NULL when the volume has no area */
	int redo_err;
};

static int od_open(struct ntfs_device *dev, int flags)
{
	struct offdev *od = dev->d_private;
	if (NDevOpen(dev)) {
		errno = EBUSY;
		return -1;
	}
	bool want_rw = (flags & O_ACCMODE) != O_RDONLY;
	if (want_rw && !od->rw) {
		errno = EROFS;
		return -1;
	}
	od->fd = open(od->target, (want_rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (od->fd < 0)
		return -1;
	if (!want_rw)
		NDevSetReadOnly(dev);
	struct stat st;
	if (fstat(od->fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		NDevSetBlock(dev);
		/* A read-only block device (a write-protected stick, a loop
		 * device set up with -r) may still open for writing; every
		 * write would then fail halfway through a change. */
		int ro = 0;
		if (want_rw && ioctl(od->fd, BLKROGET, &ro) == 0 && ro) {
			close(od->fd);
			od->fd = -1;
			errno = EROFS;
			return -1;
		}
	}
	struct lg_err err = { "" };
	int e = lg_redo_open(od->fd, od->offset, od->size, want_rw, &od->redo, &err);
	if (e < 0) {
		close(od->fd);
		od->fd = -1;
		od->redo_err = e;
		errno = -e;
		return -1;
	}
	od->pos = 0;
	NDevSetOpen(dev);
	return 0;
}

static int od_close(struct ntfs_device *dev)
{
	struct offdev *od = dev->d_private;
	if (!NDevOpen(dev)) {
		errno = EBADF;
		return -1;
	}
	int r = 0;
	if (lg_redo_staging(od->redo)) {
		/* What the unmount wrote is the last group; then the area goes
		 * back to the 0xFF of an emptied log. */
		int e = lg_redo_commit(od->redo);
		if (e == 0)
			e = lg_redo_wipe(od->redo);
		if (e < 0) {
			errno = -e;
			r = -1;
		}
	} else if (NDevDirty(dev) && !NDevReadOnly(dev) && lg_raw_fsync(od->fd) < 0) {
		r = -1;
	}
	lg_redo_free(od->redo);
	od->redo = NULL;
	if (close(od->fd) < 0)
		r = -1;
	od->fd = -1;
	NDevClearOpen(dev);
	return r;
}

static s64 od_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct offdev *od = dev->d_private;
	int64_t np;
	switch (whence) {
	case SEEK_SET: np = offset; break;
	case SEEK_CUR: np = od->pos + offset; break;
	case SEEK_END: np = (int64_t)od->size + offset; break;
	default: errno = EINVAL; return -1;
	}
	if (np < 0) {
		errno = EINVAL;
		return -1;
	}
	od->pos = np;
	return np;
}

/* Clamp a transfer to the volume's extent. */
static s64 od_clamp(struct offdev *od, s64 count, s64 pos)
{
	if (pos < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)pos >= od->size)
		return 0;
	if ((uint64_t)count > od->size - (uint64_t)pos)
		count = (s64)(od->size - (uint64_t)pos);
	return count;
}

static s64 od_pread(struct ntfs_device *dev, void *buf, s64 count, s64 pos)
{
	struct offdev *od = dev->d_private;
	count = od_clamp(od, count, pos);
	if (count <= 0)
		return count;
	s64 done = 0;
	while (done < count) {
		ssize_t r = pread(od->fd, (char *)buf + done, (size_t)(count - done),
				  (off_t)(od->offset + (uint64_t)pos + (uint64_t)done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? done : -1;
		}
		if (r == 0)
			break;
		done += r;
	}
	lg_redo_overlay(od->redo, buf, (uint64_t)done, (uint64_t)pos);
	return done;
}

static s64 od_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 pos)
{
	struct offdev *od = dev->d_private;
	if (NDevReadOnly(dev)) {
		errno = EROFS;
		return -1;
	}
	count = od_clamp(od, count, pos);
	if (count <= 0) {
		if (count == 0)
			errno = ENOSPC;
		return count == 0 ? -1 : count;
	}
	NDevSetDirty(dev);
	if (lg_redo_staging(od->redo)) {
		int e = lg_redo_stage(od->redo, buf, (uint64_t)count, (uint64_t)pos);
		if (e < 0) {
			errno = -e;
			return -1;
		}
		return count;
	}
	int e = lg_raw_pwrite(od->fd, buf, (size_t)count, od->offset + (uint64_t)pos);
	if (e < 0) {
		errno = -e;
		return -1;
	}
	return count;
}

static s64 od_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct offdev *od = dev->d_private;
	s64 r = od_pread(dev, buf, count, od->pos);
	if (r > 0)
		od->pos += r;
	return r;
}

static s64 od_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct offdev *od = dev->d_private;
	s64 r = od_pwrite(dev, buf, count, od->pos);
	if (r > 0)
		od->pos += r;
	return r;
}

static int od_sync(struct ntfs_device *dev)
{
	struct offdev *od = dev->d_private;
	/* While staging, durability comes only from our commits, at points
	 * where the volume is consistent; libntfs-3g's own syncs wait. */
	if (NDevReadOnly(dev) || !NDevDirty(dev) || lg_redo_staging(od->redo))
		return 0;
	if (lg_raw_fsync(od->fd) < 0)
		return -1;
	NDevClearDirty(dev);
	return 0;
}

static int od_stat(struct ntfs_device *dev, struct stat *buf)
{
	struct offdev *od = dev->d_private;
	if (fstat(od->fd, buf) < 0)
		return -1;
	buf->st_size = (off_t)od->size;
	return 0;
}

static int od_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct offdev *od = dev->d_private;
	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = od->size;
		return 0;
	case BLKGETSIZE:
		*(unsigned long *)argp = (unsigned long)(od->size / 512);
		return 0;
	case BLKSSZGET:
		if (NDevBlock(dev))
			return ioctl(od->fd, BLKSSZGET, argp);
		*(int *)argp = 512;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ntfs_device_operations offdev_ops = {
	.open = od_open,
	.close = od_close,
	.seek = od_seek,
	.read = od_read,
	.write = od_write,
	.pread = od_pread,
	.pwrite = od_pwrite,
	.sync = od_sync,
	.stat = od_stat,
	.ioctl = od_ioctl,
};

static void quiet_ntfs_logging(void)
{
	/* libntfs-3g logs to stderr by default; the caller reports errors
	 * once, with context, so keep the library quiet unless asked. */
	static bool done;
	if (done)
		return;
	done = true;
	if (getenv("LASTGOOD_NTFS_DEBUG")) {
		ntfs_log_set_levels(NTFS_LOG_LEVEL_DEBUG | NTFS_LOG_LEVEL_TRACE |
				    NTFS_LOG_LEVEL_VERBOSE | NTFS_LOG_LEVEL_INFO);
		return;
	}
	ntfs_log_clear_levels(~0u);
}

int lg_volume_open(const char *target, uint64_t offset, uint64_t size, unsigned flags,
		   struct lg_volume **out, struct lg_err *err)
{
	*out = NULL;
	quiet_ntfs_logging();
	struct lg_volume *v = lg_zalloc(sizeof(*v));
	struct offdev *od = lg_zalloc(sizeof(*od));
	if (!v || !od) {
		free(v);
		free(od);
		return -ENOMEM;
	}
	v->target = strdup(target);
	v->offset = od->offset = offset;
	v->size = od->size = size;
	v->rw = od->rw = flags & LG_VOL_RW;
	od->target = v->target;
	od->fd = -1;

	/* Read the dirty flag and serial before libntfs-3g touches anything. */
	char name[64];
	snprintf(name, sizeof(name), "lastgood@%llu", (unsigned long long)offset);
	v->dev = ntfs_device_alloc(name, 0, &offdev_ops, od);
	if (!v->dev) {
		int e = errno;
		free(od);
		lg_volume_close(v);
		return -(e ? e : ENOMEM);
	}
	ntfs_mount_flags mf = v->rw ? 0 : NTFS_MNT_RDONLY;
	if (flags & LG_VOL_IGNORE_HIBER)
		mf |= NTFS_MNT_IGNORE_HIBERFILE;
	errno = 0;
	v->vol = ntfs_device_mount(v->dev, mf);
	if (!v->vol) {
		int e = errno ? errno : EIO;
		const char *why = strerror(e);
		if (e == EPERM && v->rw)
			why = "Windows is hibernated or used Fast Startup (hiberfil.sys is active)";
		else if (e == EROFS || e == EACCES)
			why = "the target is read-only";
		else if (e == EINVAL || e == EIO)
			why = "not a valid NTFS volume, or its metadata is damaged";
		lg_err_set(err, "%s: NTFS volume at offset %llu: cannot open %s: %s", target,
			   (unsigned long long)offset, v->rw ? "read-write" : "read-only", why);
		/* ntfs_device_mount frees nothing of ours on failure. */
		ntfs_device_free(v->dev);
		v->dev = NULL;
		free(od);
		lg_volume_close(v);
		return -e;
	}
	if (v->rw && NVolReadOnly(v->vol)) {
		/* libntfs-3g falls back to read-only when the device refuses
		 * writes; a fix must not start on a volume it cannot change. */
		lg_err_set(err, "%s: NTFS volume at offset %llu: cannot open read-write: the target is read-only",
			   target, (unsigned long long)offset);
		ntfs_umount(v->vol, FALSE);
		v->vol = NULL;
		free(od);
		lg_volume_close(v);
		return -EROFS;
	}
	struct offdev *odp = v->dev->d_private;
	if (v->rw && !(flags & LG_VOL_DIRECT)) {
		v->atomic = odp->redo != NULL;
		lg_redo_begin(odp->redo);
	}
	v->replayed = lg_redo_replayed(odp->redo);
	unsigned char bs[512];
	if (v->dev->d_ops->pread(v->dev, bs, sizeof(bs), 0) == (s64)sizeof(bs))
		memcpy(&v->serial, bs + 0x48, 8); /* little-endian on disk and here */
	v->was_dirty = (le16_to_cpu(v->vol->flags) & VOLUME_IS_DIRTY) != 0;
	*out = v;
	return 0;
}

int lg_volume_commit(struct lg_volume *v)
{
	struct offdev *od = v->dev->d_private;
	if (!lg_redo_staging(od->redo))
		return od_sync(v->dev) < 0 ? -errno : 0;
	return lg_redo_commit(od->redo);
}

uint64_t lg_volume_commit_capacity(struct lg_volume *v)
{
	struct offdev *od = v->dev->d_private;
	return od->redo ? lg_redo_capacity(od->redo) : UINT64_MAX;
}

int lg_volume_close(struct lg_volume *v)
{
	if (!v)
		return 0;
	int r = 0;
	if (v->vol) {
		struct offdev *od = v->dev->d_private;
		/* ntfs_umount closes and frees the device, not its private data. */
		if (ntfs_umount(v->vol, FALSE) < 0)
			r = -(errno ? errno : EIO);
		free(od);
	}
	free(v->target);
	free(v);
	return r;
}

struct ci_find {
	u64 self;
	ntfs_volume *vol;
	const ntfschar *name;
	int len;
	u64 mref;
};

static int ci_find_cb(void *ctx, const ntfschar *name, const int len, const int type,
		      const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct ci_find *f = ctx;
	if (type == FILE_NAME_DOS && f->mref != (u64)-1)
		return 0;
	/* The listing's own "." and ".." are never a name found here. */
	if (MREF(mref) == f->self || (len <= 2 && name[0] == cpu_to_le16('.') &&
				      (len == 1 || name[1] == cpu_to_le16('.'))))
		return 0;
	if (ntfs_names_are_equal(name, (size_t)len, f->name, (size_t)f->len, IGNORE_CASE,
				 f->vol->upcase, f->vol->upcase_len)) {
		f->mref = mref;
		return 1; /* stop */
	}
	return 0;
}

/* Find a name in a directory as Windows does: case-insensitively through
 * the volume's $UpCase table, whatever the name's namespace. libntfs-3g's
 * index lookup matches POSIX-namespace names case-sensitively, so a miss
 * there falls back to a scan of the directory. */
u64 lg_volume_lookup_in(ntfs_inode *dir, const ntfschar *name, int len)
{
	if ((len == 1 && name[0] == cpu_to_le16('.')) ||
	    (len == 2 && name[0] == cpu_to_le16('.') && name[1] == cpu_to_le16('.'))) {
		errno = EINVAL;
		return (u64)-1;
	}
	u64 mref = ntfs_inode_lookup_by_name(dir, name, len);
	if (mref != (u64)-1)
		return mref;
	struct ci_find f = { dir->mft_no, dir->vol, name, len, (u64)-1 };
	s64 pos = 0;
	if (ntfs_readdir(dir, &pos, &f, ci_find_cb) < 0 && f.mref == (u64)-1)
		return (u64)-1;
	if (f.mref == (u64)-1)
		errno = ENOENT;
	return f.mref;
}

bool lg_volume_name_unusable(const ntfschar *name, size_t len)
{
	if (!len || (len == 1 && name[0] == cpu_to_le16('.')) ||
	    (len == 2 && name[0] == cpu_to_le16('.') && name[1] == cpu_to_le16('.')))
		return true;
	for (size_t i = 0; i < len; i++) {
		u16 c = le16_to_cpu(name[i]);
		if (c == 0 || c == '/' || c == '\\' || c == ':')
			return true;
	}
	return false;
}

u64 lg_volume_lookup_name(ntfs_inode *dir, const char *name, size_t n)
{
	char comp[256 * 4 + 1];
	if (!n || n >= sizeof(comp)) {
		errno = ENAMETOOLONG;
		return (u64)-1;
	}
	/* No lookup walks up or stays in place: libntfs-3g's listing has
	 * "." and ".." entries, which the scan below would otherwise find. */
	if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.')) {
		errno = EINVAL;
		return (u64)-1;
	}
	memcpy(comp, name, n);
	comp[n] = 0;
	ntfschar *uname = NULL;
	int ulen = ntfs_mbstoucs(comp, &uname);
	if (ulen <= 0) {
		free(uname);
		errno = EILSEQ;
		return (u64)-1;
	}
	u64 mref = lg_volume_lookup_in(dir, uname, ulen);
	free(uname);
	return mref;
}

ntfs_inode *lg_volume_lookup(struct lg_volume *v, const char *path)
{
	ntfs_inode *ni = ntfs_inode_open(v->vol, FILE_root);
	if (!ni)
		return NULL;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		errno = 0;
		u64 mref = lg_volume_lookup_name(ni, p, n);
		int saved = errno;
		ntfs_inode_close(ni);
		if (mref == (u64)-1) {
			errno = saved == ENAMETOOLONG || saved == EILSEQ || saved == EINVAL ? saved : ENOENT;
			return NULL;
		}
		ni = ntfs_inode_open(v->vol, MREF(mref));
		if (!ni)
			return NULL;
		p += n;
	}
	return ni;
}
