// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The redo area: a committed group is found and laid over reads
 * (read-only) or replayed in place (read-write); a damaged one is ignored,
 * never half applied. The volume is the fuzz seed's layout: boot sector
 * and MFT record 2 in its first 3 KiB, $LogFile from cluster 1 with
 * 512-byte clusters, the area at 512 KiB + 512.
 */
#include "test.h"
#include "storage/redo.h"

#include <sys/mman.h>

static int make_volume(const char *seed, bool corrupt)
{
	char *buf = NULL;
	size_t len = 0;
	if (lg_read_file(seed, 1 << 20, &buf, &len) < 0 || len < 3072)
		T_SKIP("seed %s missing", seed);
	if (corrupt)
		buf[len - 3] ^= 1; /* a payload byte: the checksum no longer holds */
	int fd = memfd_create("vol", 0);
	CHECK(fd >= 0);
	CHECK_INT(ftruncate(fd, (1 << 20) + 65536), 0);
	CHECK_INT(pwrite(fd, buf, 3072, 0), 3072);
	CHECK_INT(pwrite(fd, buf + 3072, len - 3072, (512 << 10) + 512), (long)(len - 3072));
	free(buf);
	return fd;
}

static const char *seed = "tests/fuzz/corpus/redo/pending-group";

static void test_pending_overlay_readonly(void)
{
	int fd = make_volume(seed, false);
	struct lg_redo *r = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_redo_open(fd, 0, (1 << 20) + 65536, false, &r, &err), 0);
	CHECK(r != NULL);
	CHECK(lg_redo_replayed(r));
	char b[32] = { 0 };
	CHECK_INT(pread(fd, b, 18, 1000), 18);
	CHECK(memcmp(b, "lastgood-redo-seed", 18) != 0); /* read-only: disk untouched */
	lg_redo_overlay(r, b, 18, 1000);
	CHECK_MEM(b, "lastgood-redo-seed", 18);
	lg_redo_free(r);
	close(fd);
}

static void test_pending_replayed_readwrite(void)
{
	int fd = make_volume(seed, false);
	struct lg_redo *r = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_redo_open(fd, 0, (1 << 20) + 65536, true, &r, &err), 0);
	CHECK(lg_redo_replayed(r));
	char b[32] = { 0 };
	CHECK_INT(pread(fd, b, 18, 1000), 18);
	CHECK_MEM(b, "lastgood-redo-seed", 18);
	/* the header is wiped: a second open finds nothing to replay */
	lg_redo_free(r);
	r = NULL;
	CHECK_INT(lg_redo_open(fd, 0, (1 << 20) + 65536, true, &r, &err), 0);
	CHECK(r && !lg_redo_replayed(r));
	/* a commit round trip: stage, commit, see it in place */
	lg_redo_begin(r);
	CHECK_INT(lg_redo_stage(r, "again", 5, 2000), 0);
	CHECK_INT(pread(fd, b, 5, 2000), 5);
	CHECK(memcmp(b, "again", 5) != 0);
	CHECK_INT(lg_redo_commit(r), 0);
	CHECK_INT(pread(fd, b, 5, 2000), 5);
	CHECK_MEM(b, "again", 5);
	CHECK_INT(lg_redo_staged(r), 0);
	lg_redo_free(r);
	close(fd);
}

static void test_damaged_group_ignored(void)
{
	int fd = make_volume(seed, true);
	struct lg_redo *r = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_redo_open(fd, 0, (1 << 20) + 65536, true, &r, &err), 0);
	CHECK(r != NULL);
	CHECK(!lg_redo_replayed(r));
	char b[32] = { 0 };
	CHECK_INT(pread(fd, b, 18, 1000), 18);
	CHECK(memcmp(b, "lastgood-redo-seed", 18) != 0);
	lg_redo_free(r);
	close(fd);
}

static void test_no_ntfs_no_area(void)
{
	int fd = memfd_create("vol", 0);
	CHECK_INT(ftruncate(fd, 1 << 20), 0);
	struct lg_redo *r = (struct lg_redo *)1;
	struct lg_err err = { "" };
	CHECK_INT(lg_redo_open(fd, 0, 1 << 20, true, &r, &err), 0);
	CHECK(r == NULL);
	close(fd);
}

int main(void)
{
	RUN(test_pending_overlay_readonly);
	RUN(test_pending_replayed_readwrite);
	RUN(test_damaged_group_ignored);
	RUN(test_no_ntfs_no_area);
	return t_done();
}
