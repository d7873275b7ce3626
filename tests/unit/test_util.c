// SPDX-License-Identifier: GPL-2.0-or-later
#include "test.h"
#include "lib/util.h"

static void test_hex_roundtrip(void)
{
	unsigned char in[4] = { 0xaa, 0x01, 0x23, 0xff }, out[4];
	char hex[9];
	lg_hex(in, 4, hex);
	CHECK_STR(hex, "aa0123ff");
	CHECK_INT(lg_unhex("AA0123FF", out, 4), 0);
	CHECK_MEM(out, in, 4);
	CHECK_INT(lg_unhex("AA0123F", out, 4), -EINVAL);
	CHECK_INT(lg_unhex("AA0123FG", out, 4), -EINVAL);
}

static void test_bounds(void)
{
	CHECK(lg_in_bounds(0, 10, 10));
	CHECK(!lg_in_bounds(1, 10, 10));
	CHECK(!lg_in_bounds(UINT64_MAX, 2, UINT64_MAX));
}

static void test_read_file_limits(void)
{
	char path[] = "/tmp/lg-test-util-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "hello world", 11), 11);
	close(fd);
	char *buf = NULL;
	size_t len = 0;
	CHECK_INT(lg_read_file(path, 100, &buf, &len), 0);
	CHECK_INT(len, 11);
	CHECK_STR(buf, "hello world");
	free(buf);
	buf = NULL;
	CHECK_INT(lg_read_file(path, 5, &buf, &len), -EFBIG);
	CHECK(buf == NULL);
	unlink(path);
	CHECK_INT(lg_read_file(path, 100, &buf, &len), -ENOENT);
}

int main(void)
{
	RUN(test_hex_roundtrip);
	RUN(test_bounds);
	RUN(test_read_file_limits);
	return t_done();
}
