// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * storage/disk.h on the fixture disks: GPT and MBR tables read through
 * libblkid, each partition's file system, partition images without a
 * table, and targets that are not disks (too small, truncated, missing).
 */
#include "fixture.h"

#include "storage/disk.h"

#include <fcntl.h>

#define GPT_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_MSR "e3c9e316-0b5c-4db8-817d-f92df00215ae"
#define GPT_BASIC "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"

static struct lg_disk *open_disk(const char *path, struct lg_err *err)
{
	struct lg_disk *d = NULL;
	int r = lg_disk_open(path, &d, err);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", path, err->msg);
	return d;
}

static void test_gpt(void)
{
	struct lg_err err = { "" };
	const char *img = fx_copy("crowdstrike");
	struct lg_disk *d = open_disk(img, &err);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(d->path, img);
	CHECK_STR(d->pttype, "gpt");
	CHECK(!d->block_device);
	CHECK_INT(d->size, 256 << 20);
	CHECK(d->pt_id != NULL && strlen(d->pt_id) == 36);
	CHECK(!d->pt_rejected);
	CHECK_INT(d->n_parts, 3);
	if (d->n_parts == 3) {
		const struct lg_partition *esp = &d->parts[0], *msr = &d->parts[1], *win = &d->parts[2];
		CHECK_INT(esp->number, 1);
		CHECK_INT(esp->offset, 1 << 20);
		CHECK_INT(esp->size, 100 << 20);
		CHECK_STR(esp->type, GPT_ESP);
		CHECK(esp->esp && !esp->msr);
		CHECK_INT(esp->fs, LG_FS_VFAT);
		CHECK_STR(esp->label, "SYSTEM");
		CHECK_STR(esp->name, "EFI system partition");
		CHECK_INT(msr->number, 2);
		CHECK_STR(msr->type, GPT_MSR);
		CHECK(msr->msr && !msr->esp);
		CHECK_INT(msr->size, 16 << 20);
		CHECK_INT(msr->fs, LG_FS_UNKNOWN);
		CHECK_INT(win->number, 3);
		CHECK_STR(win->type, GPT_BASIC);
		CHECK_INT(win->fs, LG_FS_NTFS);
		CHECK_STR(win->fstype, "ntfs");
		CHECK_STR(win->label, "Windows");
		CHECK_INT(win->offset, msr->offset + msr->size);
		CHECK(win->offset + win->size <= d->size);
		CHECK(!win->truncated);
	}
	lg_disk_free(d);
}

static void test_mbr(void)
{
	struct lg_err err = { "" };
	struct lg_disk *d = open_disk(fx_copy("mbr"), &err);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(d->pttype, "dos");
	CHECK_INT(d->n_parts, 2);
	if (d->n_parts == 2) {
		CHECK_STR(d->parts[0].type, "0x07");
		CHECK_INT(d->parts[0].offset, 1 << 20);
		CHECK_STR(d->parts[0].label, "System Reserved");
		CHECK_INT(d->parts[1].fs, LG_FS_NTFS);
		CHECK_STR(d->parts[1].label, "Windows");
		CHECK(!d->parts[0].esp && !d->parts[0].container);
		CHECK(d->parts[1].name == NULL);
	}
	lg_disk_free(d);
}

/* The Windows partition copied out alone: no table, one partition 0. */
static void test_partition_image(void)
{
	struct lg_err err = { "" };
	const char *img = fx_copy("crowdstrike");
	struct lg_disk *d = open_disk(img, &err);
	if (!d)
		return;
	const char *part = fx_tmp("win.part");
	CHECK_INT(fx_sh("dd if='%s' of='%s' bs=512 skip=%llu count=%llu status=none conv=sparse", img, part,
			(unsigned long long)(d->parts[2].offset / 512), (unsigned long long)(d->parts[2].size / 512)), 0);
	uint64_t size = d->parts[2].size;
	lg_disk_free(d);
	d = open_disk(part, &err);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_STR(d->pttype, "none");
	CHECK_INT(d->n_parts, 1);
	CHECK_INT(d->parts[0].number, 0);
	CHECK_INT(d->parts[0].offset, 0);
	CHECK_INT(d->parts[0].size, size);
	CHECK_INT(d->parts[0].fs, LG_FS_NTFS);
	CHECK_STR(d->parts[0].label, "Windows");
	lg_disk_free(d);
}

static void test_truncated(void)
{
	/* A GPT image cut short: its backup table is gone and libblkid
	 * refuses the table; the disk says a table is there. */
	struct lg_err err = { "" };
	const char *img = fx_copy("crowdstrike");
	CHECK_INT(truncate(img, 200 << 20), 0);
	struct lg_disk *d = NULL;
	CHECK_INT(lg_disk_open(img, &d, &err), 0);
	if (d) {
		CHECK(d->pt_rejected);
		CHECK_STR(d->pttype, "none");
		CHECK_INT(d->n_parts, 1);
		CHECK_INT(d->parts[0].number, 0);
		CHECK_INT(d->parts[0].fs, LG_FS_UNKNOWN);
		lg_disk_free(d);
	}
	/* An MBR image cut in the middle of its Windows partition: that
	 * partition is marked and never probed past the end. */
	img = fx_copy("mbr");
	CHECK_INT(truncate(img, 200 << 20), 0);
	CHECK_INT(lg_disk_open(img, &d, &err), 0);
	if (d) {
		CHECK_STR(d->pttype, "dos");
		CHECK_INT(d->n_parts, 2);
		CHECK(!d->parts[0].truncated);
		CHECK_INT(d->parts[0].fs, LG_FS_NTFS);
		CHECK(d->parts[1].truncated);
		CHECK_INT(d->parts[1].fs, LG_FS_UNKNOWN);
		lg_disk_free(d);
	}
}

static void test_not_disks(void)
{
	struct lg_err err = { "" };
	struct lg_disk *d = (struct lg_disk *)1;
	CHECK_INT(lg_disk_open("/nonexistent/disk.img", &d, &err), -ENOENT);
	CHECK(d == NULL);
	CHECK_CONTAINS(err.msg, "/nonexistent/disk.img: cannot open");
	const char *tiny = fx_tmp("tiny.img");
	CHECK_INT(fx_sh("printf 'abc' > '%s'", tiny), 0);
	CHECK_INT(lg_disk_open(tiny, &d, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "too small to hold a partition table");
	CHECK(lg_disk_open("/tmp", &d, &err) < 0);
	CHECK_CONTAINS(err.msg, "/tmp: ");
	/* zeros: no table, one partition whose file system is unknown */
	const char *zero = fx_tmp("zero.img");
	CHECK_INT(fx_sh("truncate -s 4M '%s'", zero), 0);
	CHECK_INT(lg_disk_open(zero, &d, &err), 0);
	if (d) {
		CHECK_STR(d->pttype, "none");
		CHECK_INT(d->n_parts, 1);
		CHECK_INT(d->parts[0].fs, LG_FS_UNKNOWN);
		CHECK(!d->pt_rejected);
		lg_disk_free(d);
	}
	lg_disk_free(NULL);
}

static void test_fs_names(void)
{
	CHECK_STR(lg_disk_fs_name(LG_FS_NTFS), "ntfs");
	CHECK_STR(lg_disk_fs_name(LG_FS_VFAT), "vfat");
	CHECK_STR(lg_disk_fs_name(LG_FS_BITLOCKER), "bitlocker");
	CHECK(lg_disk_fs_name(LG_FS_UNKNOWN) != NULL);
}

int main(void)
{
	RUN(test_gpt);
	RUN(test_mbr);
	RUN(test_partition_image);
	RUN(test_truncated);
	RUN(test_not_disks);
	RUN(test_fs_names);
	return t_done();
}
