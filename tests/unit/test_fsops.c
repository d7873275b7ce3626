// SPDX-License-Identifier: GPL-2.0-or-later
/* fsops on a real mkntfs volume; results checked with ntfs-3g's own tools. */
#include "test.h"
#include "storage/fsops.h"

#include <sys/stat.h>

static char img[] = "/tmp/lg-test-fsops-XXXXXX";

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *sh_out(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	static char buf[8192];
	size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
	buf[n] = 0;
	if (p)
		pclose(p);
	return buf;
}

static struct lg_volume *open_rw(void)
{
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	int r = lg_volume_open(img, 1 << 20, 32 << 20, LG_VOL_RW, &v, &err);
	if (r < 0)
		fprintf(stderr, "open: %s\n", err.msg);
	return v;
}

static void test_create_rename_read(void)
{
	struct lg_volume *v = open_rw();
	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_INT(lg_fs_create(v, "Windows/System32/drivers/bad.sys", "\xaa\xaa\xaa\xaa", 4), 0);
	CHECK_INT(lg_fs_create(v, "Windows/System32/drivers/bad.sys", "x", 1), -EEXIST);
	bool is_dir = true;
	uint64_t mref_before = 0, mref_after = 1;
	CHECK_INT(lg_fs_stat(v, "windows/SYSTEM32/Drivers/BAD.SYS", &mref_before, &is_dir, NULL), 0);
	CHECK(!is_dir);
	CHECK_INT(lg_fs_rename(v, "Windows/System32/drivers/bad.sys", "$LastGood/q/r1/Windows/System32/drivers/bad.sys"), 0);
	CHECK_INT(lg_fs_stat(v, "Windows/System32/drivers/bad.sys", NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_fs_stat(v, "$LastGood/q/r1/Windows/System32/drivers/bad.sys", &mref_after, NULL, NULL), 0);
	CHECK_INT(mref_after, mref_before); /* the same record: a rename, not a copy */
	CHECK_INT(lg_fs_rename(v, "Windows/System32/drivers", "x/drivers"), -EISDIR);
	CHECK_INT(lg_fs_rename(v, "nope.sys", "x/nope.sys"), -ENOENT);
	CHECK_INT(lg_fs_create(v, "taken.sys", "t", 1), 0);
	CHECK_INT(lg_fs_rename(v, "$LastGood/q/r1/Windows/System32/drivers/bad.sys", "taken.sys"), -EEXIST);
	/* A file's last name is never dropped, whatever the caller says. */
	CHECK_INT(lg_fs_unlink_duplicate(v, "taken.sys", "taken.sys"), -EMLINK);
	CHECK_INT(lg_fs_stat(v, "taken.sys", NULL, NULL, NULL), 0);
	CHECK_INT(lg_fs_unlink_duplicate(v, "taken.sys", "$LastGood/q/r1/Windows/System32/drivers/bad.sys"), -ESTALE);
	CHECK_INT(lg_fs_append(v, "$LastGood/journal/r1", "line1\n", 6), 0);
	CHECK_INT(lg_fs_append(v, "$LastGood/journal/r1", "line2\n", 6), 0);
	char *buf = NULL;
	size_t len = 0;
	CHECK_INT(lg_fs_read(v, "$LastGood/journal/r1", 1024, &buf, &len), 0);
	CHECK_STR(buf, "line1\nline2\n");
	free(buf);
	CHECK_INT(lg_fs_read(v, "$LastGood/journal/r1", 4, &buf, &len), -EFBIG);
	CHECK_INT(lg_fs_set_attrs(v, "$LastGood", 0x2 | 0x4), 0);
	CHECK_INT(lg_volume_close(v), 0);

	/* ntfs-3g's own tools see the result. */
	CHECK_INT(sh("dd if=%s of=%s.part bs=1M skip=1 count=32 status=none", img, img), 0);
	CHECK_CONTAINS(sh_out("ntfsls -f %s.part -p '/$LastGood/q/r1/Windows/System32/drivers' 2>&1", img), "bad.sys");
	CHECK(!strstr(sh_out("ntfsls -f %s.part -p /Windows/System32/drivers 2>&1", img), "bad.sys"));
	CHECK_STR(sh_out("ntfscat -f %s.part '/$LastGood/q/r1/Windows/System32/drivers/bad.sys' | od -An -tx1 | tr -d ' \\n'", img), "aaaaaaaa");
	CHECK_CONTAINS(sh_out("ntfsinfo -f -F '/$LastGood' %s.part 2>&1", img), "HIDDEN");
	CHECK_INT(sh("ntfsfix -n %s.part >/dev/null 2>&1", img), 0);
	unlink(sh_out("printf %%s %s.part", img));
}

static void test_readonly_refuses_writes(void)
{
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_volume_open(img, 1 << 20, 32 << 20, 0, &v, &err), 0);
	if (!v)
		return;
	CHECK(lg_fs_create(v, "new.txt", "x", 1) < 0);
	lg_volume_close(v);
}

int main(void)
{
	int fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, 40 << 20) < 0)
		T_SKIP("cannot create a temp image");
	close(fd);
	/* The volume sits 1 MiB into the image, as a partition would. */
	if (sh("dd if=/dev/zero of=%s.v bs=1M count=32 status=none && mkntfs -F -Q -q %s.v >/dev/null 2>&1 && "
	       "dd if=%s.v of=%s bs=1M seek=1 conv=notrunc status=none && rm -f %s.v", img, img, img, img, img))
		T_SKIP("mkntfs failed (ntfs-3g installed?)");
	RUN(test_create_rename_read);
	RUN(test_readonly_refuses_writes);
	unlink(img);
	return t_done();
}
