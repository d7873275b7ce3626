// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * storage/volume.h on the fixture disks: NTFS volumes opened at their
 * offset inside a disk image, read-only and read-write, the refusals
 * (hibernated, not NTFS, read-only target), Windows' case-insensitive
 * lookups, commit groups, and the device-write counter of the power-cut
 * harness.
 */
#include "fixture.h"

#include "storage/disk.h"
#include "storage/fsops.h"
#include "storage/redo.h"
#include "storage/volume.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <ntfs-3g/unistr.h>

struct where {
	uint64_t offset, size;
};

/* The NTFS partition (the last one) of a disk image. */
static struct where ntfs_part(const char *img)
{
	struct where w = { 0, 0 };
	struct lg_err err = { "" };
	struct lg_disk *d = NULL;
	if (lg_disk_open(img, &d, &err) < 0) {
		fprintf(stderr, "%s: %s\n", img, err.msg);
		exit(1);
	}
	for (size_t i = 0; i < d->n_parts; i++)
		if (d->parts[i].fs == LG_FS_NTFS)
			w = (struct where){ d->parts[i].offset, d->parts[i].size };
	lg_disk_free(d);
	return w;
}

static void test_open_read_only(void)
{
	const char *img = fx_copy("crowdstrike");
	struct where w = ntfs_part(img);
	struct lg_err err = { "" };
	struct lg_volume *v = NULL;
	CHECK_INT(lg_volume_open(img, w.offset, w.size, 0, &v, &err), 0);
	if (!v)
		return;
	CHECK(!v->rw && !v->atomic && !v->replayed && !v->was_dirty);
	CHECK_STR(v->target, img);
	CHECK_INT(v->offset, w.offset);
	CHECK_INT(v->size, w.size);
	/* the serial is the boot sector's, as Windows shows it */
	unsigned char bs[512];
	int fd = open(img, O_RDONLY);
	CHECK(pread(fd, bs, sizeof(bs), (off_t)w.offset) == (ssize_t)sizeof(bs));
	close(fd);
	uint64_t serial = 0;
	memcpy(&serial, bs + 0x48, 8);
	CHECK_INT(v->serial, serial);
	CHECK_STR(v->vol->vol_name, "Windows");
	/* writes are refused on a read-only volume */
	CHECK(lg_fs_create(v, "new.txt", "x", 1) < 0);
	CHECK_INT(lg_volume_close(v), 0);
	CHECK_INT(lg_volume_close(NULL), 0);
}

static void test_lookup(void)
{
	const char *img = fx_copy("crowdstrike");
	struct where w = ntfs_part(img);
	struct lg_err err = { "" };
	struct lg_volume *v = NULL;
	CHECK_INT(lg_volume_open(img, w.offset, w.size, 0, &v, &err), 0);
	if (!v)
		return;
	ntfs_inode *a = lg_volume_lookup(v, "Windows/System32/drivers/CrowdStrike");
	ntfs_inode *b = lg_volume_lookup(v, "wINDOWS/system32/DRIVERS/crowdstrike");
	CHECK(a != NULL && b != NULL);
	if (a && b)
		CHECK_INT(a->mft_no, b->mft_no);
	/* one component at a time, UTF-8 or UTF-16 */
	ntfs_inode *root = ntfs_inode_open(v->vol, FILE_root);
	u64 m1 = lg_volume_lookup_name(root, "WINDOWS", 7);
	ntfschar *u = NULL;
	int ul = ntfs_mbstoucs("windows", &u);
	u64 m2 = lg_volume_lookup_in(root, u, ul);
	free(u);
	CHECK(m1 != (u64)-1);
	CHECK_INT(MREF(m1), MREF(m2));
	CHECK(lg_volume_lookup_name(root, "Windowz", 7) == (u64)-1);
	ntfs_inode_close(root);
	errno = 0;
	CHECK(lg_volume_lookup(v, "Windows/nothing-here/x.sys") == NULL);
	CHECK_INT(errno, ENOENT);
	if (a)
		ntfs_inode_close(a);
	if (b)
		ntfs_inode_close(b);
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_read_write(void)
{
	const char *img = fx_copy("crowdstrike");
	struct where w = ntfs_part(img);
	struct lg_err err = { "" };
	struct lg_volume *v = NULL;
	uint64_t writes0 = lg_dev_faults.writes;
	CHECK_INT(lg_volume_open(img, w.offset, w.size, LG_VOL_RW, &v, &err), 0);
	if (!v)
		return;
	CHECK(v->rw);
	CHECK(v->atomic); /* the fixture's $LogFile holds lastgood's commit groups */
	CHECK(lg_volume_commit_capacity(v) > 0 && lg_volume_commit_capacity(v) < UINT64_MAX);
	CHECK_INT(lg_fs_create(v, "hello.txt", "hello", 5), 0);
	CHECK_INT(lg_volume_commit(v), 0);
	CHECK_INT(lg_volume_close(v), 0);
	CHECK(lg_dev_faults.writes > writes0);
	/* ntfs-3g's own tools see it */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "dd if='%s' of='%s.part' bs=512 skip=%llu count=%llu status=none conv=sparse && "
		 "ntfscat -f '%s.part' /hello.txt | grep -qx hello", img, img,
		 (unsigned long long)(w.offset / 512), (unsigned long long)(w.size / 512), img);
	CHECK_INT(system(cmd), 0);
	/* and so does a read-only open */
	CHECK_INT(lg_volume_open(img, w.offset, w.size, 0, &v, &err), 0);
	char *buf = NULL;
	size_t len = 0;
	CHECK_INT(lg_fs_read(v, "HELLO.TXT", 64, &buf, &len), 0);
	CHECK_INT(len, 5);
	CHECK(buf && !memcmp(buf, "hello", 5));
	free(buf);
	CHECK_INT(lg_volume_close(v), 0);
	/* direct writes (image builders): no commit groups */
	CHECK_INT(lg_volume_open(img, w.offset, w.size, LG_VOL_RW | LG_VOL_DIRECT, &v, &err), 0);
	CHECK(v && v->rw && !v->atomic);
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_refusals(void)
{
	struct lg_err err = { "" };
	struct lg_volume *v = (struct lg_volume *)1;
	/* hibernated: read-only yes, read-write only when told to ignore it */
	const char *img = fx_copy("hibernated");
	struct where w = ntfs_part(img);
	CHECK_INT(lg_volume_open(img, w.offset, w.size, LG_VOL_RW, &v, &err), -EPERM);
	CHECK(v == NULL);
	CHECK_CONTAINS(err.msg, "cannot open read-write: Windows is hibernated");
	CHECK_INT(lg_volume_open(img, w.offset, w.size, 0, &v, &err), 0);
	CHECK_INT(lg_volume_close(v), 0);
	CHECK_INT(lg_volume_open(img, w.offset, w.size, LG_VOL_RW | LG_VOL_IGNORE_HIBER, &v, &err), 0);
	CHECK(v && v->rw);
	CHECK_INT(lg_volume_close(v), 0);
	/* not NTFS at that offset (the ESP): the message names target and offset */
	CHECK(lg_volume_open(img, 1 << 20, 100 << 20, 0, &v, &err) < 0);
	CHECK(v == NULL);
	char want[600];
	snprintf(want, sizeof(want), "%s: NTFS volume at offset 1048576: cannot open read-only: ", img);
	CHECK_CONTAINS(err.msg, want);
	/* a target that does not exist */
	CHECK(lg_volume_open("/nonexistent.img", 0, 1 << 20, 0, &v, &err) < 0);
	CHECK_CONTAINS(err.msg, "/nonexistent.img");
	/* dirty, as found */
	img = fx_copy("dirty");
	w = ntfs_part(img);
	CHECK_INT(lg_volume_open(img, w.offset, w.size, 0, &v, &err), 0);
	CHECK(v && v->was_dirty);
	CHECK_INT(lg_volume_close(v), 0);
	/* a read-only target (not testable as root, who may write anyway) */
	if (geteuid() != 0) {
		img = fx_copy_as("crowdstrike", "ro");
		CHECK_INT(chmod(img, 0444), 0);
		w = ntfs_part(img);
		int r = lg_volume_open(img, w.offset, w.size, LG_VOL_RW, &v, &err);
		CHECK(r == -EROFS || r == -EACCES);
		CHECK_CONTAINS(err.msg, "the target is read-only");
	}
}

static void test_nttime(void)
{
	/* 2024-07-19T04:09:00Z in NTFS ticks, as stored little-endian */
	int64_t t = 133657841400000000LL;
	CHECK_INT(lg_nttime(cpu_to_sle64(t)), t);
}

int main(void)
{
	RUN(test_open_read_only);
	RUN(test_lookup);
	RUN(test_read_write);
	RUN(test_refusals);
	RUN(test_nttime);
	return t_done();
}
