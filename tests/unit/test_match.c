// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The matcher against real NTFS volumes: mkntfs makes each one, libntfs-3g
 * fills it (directories, files, times, DOS names, hard links, reparse
 * points), and the matcher reads it back read-only.
 *
 * Not part of the suite: `test_match build N IMG` makes a volume of about
 * N files, `test_match measure IMG` prints what drivers-anchored scans of
 * it cost (cold and warm page cache) and the counters that prove the
 * pruning.
 */
#include "test.h"
#include "formats/glob.h"
#include "lib/hash.h"
#include "engine/match.h"
#include "storage/volume.h"
#include "formats/pe.h"
#include "../fixtures/mkpe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/index.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>

/* 2024-07-19T04:09:00Z and 05:27:00Z in NTFS ticks. */
#define T_0409 lg_unix_to_nt(1721362140)
#define T_0527 lg_unix_to_nt(1721366820)

static const unsigned char CS_HDR[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0x01, 0x00, 0x23, 0x01 };

/* ---------------------------------------------------------------- volume helpers */

struct tv {
	char path[64];
	uint64_t size;
	struct lg_volume *v;
};

static void tv_open(struct tv *t, bool rw)
{
	struct lg_err err = { "" };
	if (lg_volume_open(t->path, 0, t->size, rw ? LG_VOL_RW | LG_VOL_DIRECT : 0, &t->v, &err) < 0) {
		fprintf(stderr, "open %s: %s\n", t->path, err.msg);
		exit(1);
	}
}

/* A fresh, empty NTFS volume, open read-write. */
static void tv_make(struct tv *t, uint64_t size)
{
	snprintf(t->path, sizeof(t->path), "/tmp/test-match-vol-XXXXXX");
	int fd = mkstemp(t->path);
	if (fd < 0)
		T_SKIP("mkstemp: %s", strerror(errno));
	close(fd);
	t->size = size;
	if (truncate(t->path, (off_t)size) < 0)
		T_SKIP("truncate: %s", strerror(errno));
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "mkntfs -F -Q -q %s >/dev/null 2>&1", t->path);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		unlink(t->path);
		T_SKIP("mkntfs is not installed");
	}
	if (WEXITSTATUS(st)) {
		fprintf(stderr, "mkntfs failed\n");
		exit(1);
	}
	tv_open(t, true);
}

/* Unmount what we wrote and mount again read-only, as a scan does. */
static void tv_ro(struct tv *t)
{
	CHECK_INT(lg_volume_close(t->v), 0);
	tv_open(t, false);
}

static void tv_done(struct tv *t)
{
	lg_volume_close(t->v);
	t->v = NULL;
	unlink(t->path);
}

static int uname(const char *s, ntfschar *u)
{
	int n = lg_utf8_to_utf16(s, strlen(s), u, LG_NAME_MAX);
	if (n <= 0) {
		fprintf(stderr, "bad test name %s\n", s);
		exit(1);
	}
	return n;
}

/* Open the directory at path, creating what is missing. */
static ntfs_inode *t_dir(struct tv *t, const char *path)
{
	ntfs_inode *ni = ntfs_inode_open(t->v->vol, FILE_root);
	char *copy = strdup(path), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && ni; c = strtok_r(NULL, "/", &save)) {
		ntfschar u[LG_NAME_MAX];
		int n = uname(c, u);
		u64 mref = ntfs_inode_lookup_by_name(ni, u, n);
		ntfs_inode *child = mref == (u64)-1 ? ntfs_create(ni, 0, u, (u8)n, S_IFDIR)
						    : ntfs_inode_open(t->v->vol, MREF(mref));
		ntfs_inode_close(ni);
		ni = child;
	}
	free(copy);
	if (!ni) {
		fprintf(stderr, "cannot make directory %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return ni;
}

/* Create path (parents as needed) and return it open. */
static ntfs_inode *t_add(struct tv *t, const char *path, mode_t type)
{
	char *copy = strdup(path);
	char *slash = strrchr(copy, '/');
	const char *name = slash ? slash + 1 : copy;
	if (slash)
		*slash = 0;
	ntfs_inode *dir = slash ? t_dir(t, copy) : ntfs_inode_open(t->v->vol, FILE_root);
	ntfschar u[LG_NAME_MAX];
	int n = uname(name, u);
	ntfs_inode *ni = ntfs_create(dir, 0, u, (u8)n, type);
	if (!ni) {
		fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
		exit(1);
	}
	ntfs_inode_close(dir);
	free(copy);
	return ni;
}

static void t_write(ntfs_inode *ni, const void *data, size_t len)
{
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na || (len && ntfs_attr_pwrite(na, 0, (s64)len, data) != (s64)len)) {
		fprintf(stderr, "write failed: %s\n", strerror(errno));
		exit(1);
	}
	ntfs_attr_close(na);
}

/* $STANDARD_INFORMATION times, distinct so that each can be told apart;
 * with fn, the $FILE_NAME copy in the directory index gets them too. */
static void t_times(ntfs_inode *ni, int64_t mtime, bool fn)
{
	ni->creation_time = cpu_to_sle64(mtime - 1000);
	ni->last_data_change_time = cpu_to_sle64(mtime);
	ni->last_mft_change_time = cpu_to_sle64(mtime + 1);
	ni->last_access_time = cpu_to_sle64(mtime + 2);
	NInoSetDirty(ni);
	if (fn)
		NInoFileNameSetDirty(ni);
}

static void t_file(struct tv *t, const char *path, const void *data, size_t len, int64_t mtime)
{
	ntfs_inode *ni = t_add(t, path, S_IFREG);
	t_write(ni, data, len);
	t_times(ni, mtime, true);
	CHECK_INT(ntfs_inode_close(ni), 0);
}

static void t_text(struct tv *t, const char *path)
{
	t_file(t, path, path, strlen(path), T_0527);
}

static ntfs_inode *t_lookup(struct tv *t, const char *path)
{
	ntfs_inode *ni = lg_volume_lookup(t->v, path);
	if (!ni) {
		fprintf(stderr, "lookup %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return ni;
}

/* ---------------------------------------------------------------- matcher helpers */

static struct lg_rule rule(const char *id, const char *path)
{
	struct lg_rule r;
	memset(&r, 0, sizeof(r));
	r.id = (char *)id;
	r.path = (char *)path;
	r.line = 1;
	return r;
}

static int run(struct tv *t, struct lg_rule *rules, size_t n, unsigned flags, struct lg_match_result *res)
{
	struct lg_denylist dl = { .schema = 1, .rules = rules, .n_rules = n };
	struct lg_matcher *m = NULL;
	struct lg_err err = { "" };
	int r = lg_matcher_new(&dl, &m, &err);
	if (r < 0) {
		fprintf(stderr, "matcher_new: %s\n", err.msg);
		return r;
	}
	r = lg_matcher_run(m, t->v->vol, flags, res, &err);
	if (r < 0)
		fprintf(stderr, "matcher_run: %s\n", err.msg);
	for (size_t i = 0; i < res->n_problems; i++)
		fprintf(stderr, "problem: %s: %s: %s\n", res->problems[i].path, res->problems[i].what,
			strerror(-res->problems[i].error));
	lg_matcher_free(m);
	return r;
}

/* The matched paths, '|'-separated, in result order. */
static const char *paths(const struct lg_match_result *res)
{
	static char buf[8192];
	buf[0] = 0;
	for (size_t i = 0; i < res->n_matches; i++) {
		if (i)
			strcat(buf, "|");
		strncat(buf, res->matches[i].path, sizeof(buf) - strlen(buf) - 2);
	}
	return buf;
}

/* Match one glob; return the paths. */
static const char *glob1(struct tv *t, const char *glob)
{
	struct lg_rule r = rule("r", glob);
	struct lg_match_result res = { 0 };
	static char out[8192];
	if (run(t, &r, 1, 0, &res) == 0)
		snprintf(out, sizeof(out), "%s", paths(&res));
	else
		snprintf(out, sizeof(out), "(error)");
	lg_match_result_clear(&res);
	return out;
}

/* ---------------------------------------------------------------- globs on a volume */

static const char *tree_files[] = {
	"Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys",
	"Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000033.sys",
	"Windows/System32/drivers/CrowdStrike/C-00000290-00000000-00000012.sys",
	"Windows/System32/drivers/foo.sys",
	"Windows/System32/drivers/Bar.SYS",
	"Windows/System32/drivers/baz.dll",
	"Windows/System32/drivers/v1.2.3.sys",
	"Windows/System32/drivers/with space.sys",
	"Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.sys",
	"Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.inf",
	"Windows/foo.sys",
	"Program Files/My App/read me.txt",
	"\xC3\x9C" "ber/\xC3\x89lan.sys",                               /* Über/Élan.sys */
	"\xD0\x94\xD1\x80\xD0\xB0\xD0\xB9\xD0\xB2\xD0\xB5\xD1\x80.sys", /* Драйвер.sys */
	"\xCE\xA3\xCE\x8A\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F.sys",         /* ΣΊΣΥΦΟ.sys */
	"Stra\xC3\x9F" "e.sys",                                         /* Straße.sys */
	"Kelvin.sys",
	"root.txt",
};

static void test_globs_on_volume(void)
{
	struct tv t;
	tv_make(&t, 64 << 20);
	for (size_t i = 0; i < ARRAY_SIZE(tree_files); i++)
		t_text(&t, tree_files[i]);
	CHECK_INT(ntfs_inode_close(t_dir(&t, "Windows/System32/drivers/EmptyDir")), 0);
	tv_ro(&t);

	/* Literal components in any case; results in the case on disk. */
	CHECK_STR(glob1(&t, "windows/system32/DRIVERS/crowdstrike/c-00000291*.SYS"),
		  "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys|"
		  "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000033.sys");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/CrowdStrike/C-0000029?-*.sys"),
		  "Windows/System32/drivers/CrowdStrike/C-00000290-00000000-00000012.sys|"
		  "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys|"
		  "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000033.sys");
	/* '*' stays in its directory: no CrowdStrike files, no .dll. */
	CHECK_STR(glob1(&t, "Windows/System32/drivers/*.sys"),
		  "Windows/System32/drivers/Bar.SYS|Windows/System32/drivers/foo.sys|"
		  "Windows/System32/drivers/v1.2.3.sys|Windows/System32/drivers/with space.sys");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/fo?.sys"), "Windows/System32/drivers/foo.sys");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/v1.2.3.sys"), "Windows/System32/drivers/v1.2.3.sys");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/WITH SPACE.sys"), "Windows/System32/drivers/with space.sys");
	CHECK_STR(glob1(&t, "Program Files/my app/READ ME.TXT"), "Program Files/My App/read me.txt");
	CHECK_STR(glob1(&t, "*/*/drivers/foo.sys"), "Windows/System32/drivers/foo.sys");
	/* "**" leading, middle, trailing. */
	CHECK_STR(glob1(&t, "**/foo.sys"),
		  "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.sys|"
		  "Windows/System32/drivers/foo.sys|Windows/foo.sys");
	CHECK_STR(glob1(&t, "Windows/**/foo.sys"),
		  "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.sys|"
		  "Windows/System32/drivers/foo.sys|Windows/foo.sys");
	CHECK_STR(glob1(&t, "Windows/System32/**/x.inf_amd64_1/*"),
		  "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.inf|"
		  "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.sys");
	CHECK_STR(glob1(&t, "Windows/System32/DriverStore/**"),
		  "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.inf|"
		  "Windows/System32/DriverStore/FileRepository/x.inf_amd64_1/foo.sys");
	CHECK_STR(glob1(&t, "**/*.txt"), "Program Files/My App/read me.txt|root.txt");
	/* Non-ASCII names fold as NTFS folds them. */
	CHECK_STR(glob1(&t, "\xC3\xBC" "BER/\xC3\xA9LAN.SYS"), "\xC3\x9C" "ber/\xC3\x89lan.sys");
	CHECK_STR(glob1(&t, "\xD0\xB4\xD1\x80\xD0\xB0\xD0\xB9\xD0\xB2\xD0\xB5\xD1\x80.SYS"),
		  "\xD0\x94\xD1\x80\xD0\xB0\xD0\xB9\xD0\xB2\xD0\xB5\xD1\x80.sys");
	CHECK_STR(glob1(&t, "\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF.sys"),
		  "\xCE\xA3\xCE\x8A\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F.sys");
	CHECK_STR(glob1(&t, "*\xC3\xA9*"), ""); /* only at the root: nothing */
	CHECK_STR(glob1(&t, "*/*\xC3\xA9*"), "\xC3\x9C" "ber/\xC3\x89lan.sys");
	/* ... and do not fold what NTFS does not fold. */
	CHECK_STR(glob1(&t, "STRASSE.sys"), "");
	CHECK_STR(glob1(&t, "STRA\xC3\x9F" "E.SYS"), "Stra\xC3\x9F" "e.sys");
	CHECK_STR(glob1(&t, "\xE2\x84\xAA" "elvin.sys"), "");
	CHECK_STR(glob1(&t, "kelvin.sys"), "Kelvin.sys");
	/* Names that must not match. */
	CHECK_STR(glob1(&t, "Windows/System32/drivers/foo"), "");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/*.sy"), "");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/fo?.dll"), "");
	CHECK_STR(glob1(&t, "Windows/System32/drivers/CrowdStrike/C-00000292*.sys"), "");
	CHECK_STR(glob1(&t, "Windows/System32/nothere/*.sys"), "");
	CHECK_STR(glob1(&t, "drivers/foo.sys"), "");
	/* The metadata files are not part of the tree. */
	CHECK_STR(glob1(&t, "$MFT"), "");
	CHECK_STR(glob1(&t, "$*"), "");

	/* The pruned walk agrees with the reference meaning of every glob,
	 * over every file and directory on the volume (a directory is a
	 * target unless the glob ends in "**"). */
	const char *all[128];
	bool is_dir[128];
	size_t n_all = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tree_files); i++) {
		all[n_all] = strdup(tree_files[i]);
		is_dir[n_all++] = false;
		char *d = strdup(tree_files[i]);
		for (char *s = strrchr(d, '/'); s; s = strrchr(d, '/')) {
			*s = 0;
			bool seen = false;
			for (size_t k = 0; k < n_all; k++)
				seen |= !strcmp(all[k], d);
			if (!seen) {
				all[n_all] = strdup(d);
				is_dir[n_all++] = true;
			}
		}
		free(d);
	}
	all[n_all] = strdup("Windows/System32/drivers/EmptyDir");
	is_dir[n_all++] = true;
	for (size_t i = 0; i < n_all; i++)
		for (size_t j = i + 1; j < n_all; j++)
			if (strcmp(all[j], all[i]) < 0) {
				const char *x = all[i];
				bool y = is_dir[i];
				all[i] = all[j];
				is_dir[i] = is_dir[j];
				all[j] = x;
				is_dir[j] = y;
			}
	const char *globs[] = {
		"**", "*", "**/*", "*/**", "**/*.sys", "**/*.SYS", "Windows/**", "Windows/*/*/*.sys",
		"**/x.inf_amd64_1/**", "**/drivers/**", "**/System32/**/*.sys", "w*/**/f*",
		"**/c-*", "*/*/*/*/*", "**/?????.sys", "**/\xC3\xA9*", "**/*e*", "**/drivers",
		"Windows/System32/*", "**/*/**/*/foo.sys", "Windows/**/**/drivers/**/*.sys",
	};
	for (size_t g = 0; g < ARRAY_SIZE(globs); g++) {
		struct lg_glob *gl = NULL;
		struct lg_err err = { "" };
		CHECK_INT(lg_glob_compile(globs[g], &gl, &err), 0);
		bool trailing = gl->comps[gl->n - 1].kind == LG_GLOB_ANY_DEPTH;
		char want[8192] = "";
		for (size_t i = 0; i < n_all; i++) {
			if (is_dir[i] && trailing)
				continue;
			if (lg_glob_match_path(gl, all[i], t.v->vol->upcase, t.v->vol->upcase_len) == 1) {
				if (*want)
					strcat(want, "|");
				strcat(want, all[i]);
			}
		}
		const char *got = glob1(&t, globs[g]);
		if (strcmp(got, want))
			fprintf(stderr, "glob %s:\n  walk: %s\n  want: %s\n", globs[g], got, want);
		CHECK_STR(got, want);
		lg_glob_free(gl);
	}
	for (size_t i = 0; i < n_all; i++)
		free((char *)all[i]);
	tv_done(&t);
}

/* ---------------------------------------------------------------- conditions */

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 131 + seed * 7 + (i >> 8));
}

static void test_size(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	unsigned char buf[32];
	fill(buf, sizeof(buf), 1);
	for (unsigned n = 8; n <= 22; n++) {
		char p[64];
		snprintf(p, sizeof(p), "d/f%02u.bin", n);
		t_file(&t, p, buf, n, T_0409);
	}
	tv_ro(&t);
	struct lg_rule r = rule("exact", "d/*.bin");
	r.has_size = true;
	r.size_min = r.size_max = 12;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "d/f12.bin");
	CHECK_INT(res.matches[0].size, 12);
	CHECK_INT(res.stats.bytes_read, 0); /* the size comes from the record */
	lg_match_result_clear(&res);

	/* min and max are both inclusive. */
	r.size_min = 10;
	r.size_max = 20;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "d/f10.bin|d/f11.bin|d/f12.bin|d/f13.bin|d/f14.bin|d/f15.bin|d/f16.bin|"
			       "d/f17.bin|d/f18.bin|d/f19.bin|d/f20.bin");
	lg_match_result_clear(&res);
	tv_done(&t);
}

static void test_sha256_list(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	unsigned char a[5000], b[5000];
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	t_file(&t, "d/a.sys", a, sizeof(a), T_0409);
	t_file(&t, "d/b.sys", b, sizeof(b), T_0409);
	t_file(&t, "d/a-short.sys", a, sizeof(a) - 1, T_0409);
	t_file(&t, "d/empty.sys", "", 0, T_0409);
	tv_ro(&t);
	unsigned char list[3][32];
	lg_hash_buf(a, sizeof(a), list[0], NULL);
	memset(list[1], 0x5a, 32);
	lg_hash_buf("", 0, list[2], NULL);
	struct lg_rule r = rule("sha", "d/*");
	r.sha256 = list;
	r.n_sha256 = 3;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "d/a.sys|d/empty.sys");
	CHECK(res.matches[0].has_sha256);
	CHECK_MEM(res.matches[0].sha256, list[0], 32);
	CHECK_MEM(res.matches[1].sha256, list[2], 32);
	CHECK_INT(res.stats.files_hashed, 4);
	CHECK_INT(res.stats.bytes_hashed, 3 * 5000 - 1);
	CHECK_INT(res.stats.bytes_read, 3 * 5000 - 1);
	lg_match_result_clear(&res);
	tv_done(&t);
}

static void test_header(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	unsigned char bad[1024] = { 0 }, good[1024] = { 0 }, big[10000];
	memcpy(bad, CS_HDR, 8);
	fill(good, sizeof(good), 3);
	fill(big, sizeof(big), 4);
	memcpy(big + 6000, CS_HDR, 8);
	t_file(&t, "cs/bad.sys", bad, sizeof(bad), T_0409);
	t_file(&t, "cs/good.sys", good, sizeof(good), T_0409);
	t_file(&t, "cs/short.sys", CS_HDR, 6, T_0409); /* shorter than the header */
	t_file(&t, "cs/exact.sys", CS_HDR, 8, T_0409); /* just long enough */
	t_file(&t, "cs/big.sys", big, sizeof(big), T_0409);
	tv_ro(&t);

	struct lg_rule r = rule("hdr", "cs/*.sys");
	r.header = (unsigned char *)CS_HDR;
	r.header_len = 8;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "cs/bad.sys|cs/exact.sys");
	CHECK(!res.matches[0].has_sha256); /* no hash was needed */
	CHECK_INT(res.stats.files_hashed, 0);
	/* One prefix read per file that can carry the header (not short.sys). */
	CHECK_INT(res.stats.bytes_read, 1024 + 1024 + 8 + 4096);
	lg_match_result_clear(&res);

	/* At an offset: the last 4 bytes; a 6-byte file cannot carry 4 + 4. */
	r.header = (unsigned char *)CS_HDR + 4;
	r.header_len = 4;
	r.header_offset = 4;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "cs/bad.sys|cs/exact.sys");
	lg_match_result_clear(&res);

	/* Beyond the first 4 KiB: a read of its own. */
	r.header = (unsigned char *)CS_HDR;
	r.header_len = 8;
	r.header_offset = 6000;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "cs/big.sys");
	CHECK_INT(res.stats.bytes_read, 8);
	lg_match_result_clear(&res);
	tv_done(&t);
}

static void test_modified_boundaries(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	const int64_t T = T_0409;
	t_file(&t, "m/before.sys", "x", 1, T - 1);
	t_file(&t, "m/at.sys", "x", 1, T);
	t_file(&t, "m/after.sys", "x", 1, T + 1);
	tv_ro(&t);
	struct lg_match_result res = { 0 };

	struct lg_rule r = rule("after", "m/*");
	r.has_modified_after = true;
	r.modified_after = T; /* inclusive */
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "m/after.sys|m/at.sys");
	lg_match_result_clear(&res);

	r = rule("before", "m/*");
	r.has_modified_before = true;
	r.modified_before = T; /* exclusive */
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "m/before.sys");
	lg_match_result_clear(&res);

	r = rule("window", "m/*");
	r.has_modified_after = r.has_modified_before = true;
	r.modified_after = T;
	r.modified_before = T + 1;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "m/at.sys");
	/* The four $STANDARD_INFORMATION times, as set. */
	CHECK_INT(res.matches[0].last_write_time, T);
	CHECK_INT(res.matches[0].creation_time, T - 1000);
	CHECK_INT(res.matches[0].mft_change_time, T + 1);
	CHECK_INT(res.matches[0].last_access_time, T + 2);
	lg_match_result_clear(&res);
	tv_done(&t);
}

/* The $FILE_NAME copy of a name in its parent's index, looked up exactly. */
static int64_t index_fn_mtime(struct tv *t, const char *dir, const char *name)
{
	ntfs_inode *d = t_lookup(t, dir);
	ntfs_index_context *ic = ntfs_index_ctx_get(d, NTFS_INDEX_I30, 4);
	union {
		FILE_NAME_ATTR fn;
		u8 raw[sizeof(FILE_NAME_ATTR) + 2 * LG_NAME_MAX];
	} key;
	memset(&key, 0, sizeof(key));
	ntfschar u[LG_NAME_MAX];
	int n = uname(name, u);
	key.fn.file_name_length = (u8)n;
	memcpy(key.raw + offsetof(FILE_NAME_ATTR, file_name), u, 2 * (size_t)n);
	int64_t v = -1;
	if (ic && !ntfs_index_lookup(&key, (int)(offsetof(FILE_NAME_ATTR, file_name) + 2 * (size_t)n), ic))
		v = sle64_to_cpu(ic->entry->key.file_name.last_data_change_time);
	if (ic)
		ntfs_index_ctx_put(ic);
	ntfs_inode_close(d);
	return v;
}

/* And the one in the file's own record. */
static int64_t record_fn_mtime(struct tv *t, const char *path)
{
	ntfs_inode *ni = t_lookup(t, path);
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	int64_t v = -1;
	if (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const FILE_NAME_ATTR *fn = (const FILE_NAME_ATTR *)((const u8 *)ctx->attr +
								  le16_to_cpu(ctx->attr->value_offset));
		v = sle64_to_cpu(fn->last_data_change_time);
	}
	ntfs_attr_put_search_ctx(ctx);
	ntfs_inode_close(ni);
	return v;
}

/* Set the $FILE_NAME times kept in the file's own record (ntfs-3g only
 * refreshes the copy in the directory index). */
static void t_record_fn_time(ntfs_inode *ni, int64_t t)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	CHECK_INT(ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx), 0);
	FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
	fn->creation_time = fn->last_data_change_time = fn->last_mft_change_time =
		fn->last_access_time = cpu_to_sle64(t);
	ntfs_inode_mark_dirty(ctx->ntfs_ino);
	ntfs_attr_put_search_ctx(ctx);
}

static void test_si_not_fn(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	/* fixed.sys: both $FILE_NAME copies say 04:09 (in the window), $SI
	 * says 05:27 (the fixed file). bad.sys: the other way round. */
	t_file(&t, "cs/fixed.sys", "x", 1, T_0409);
	ntfs_inode *ni = t_lookup(&t, "cs/fixed.sys");
	t_record_fn_time(ni, T_0409);
	t_times(ni, T_0527, false);
	ntfs_inode_close(ni);
	t_file(&t, "cs/bad.sys", "x", 1, T_0527);
	ni = t_lookup(&t, "cs/bad.sys");
	t_record_fn_time(ni, T_0527);
	t_times(ni, T_0409, false);
	ntfs_inode_close(ni);
	tv_ro(&t);

	/* The volume really holds different times in the two places. */
	CHECK_INT(record_fn_mtime(&t, "cs/fixed.sys"), T_0409);
	CHECK_INT(index_fn_mtime(&t, "cs", "fixed.sys"), T_0409);
	CHECK_INT(record_fn_mtime(&t, "cs/bad.sys"), T_0527);
	CHECK_INT(index_fn_mtime(&t, "cs", "bad.sys"), T_0527);

	struct lg_rule r = rule("cs", "cs/*.sys");
	r.has_modified_after = r.has_modified_before = true;
	r.modified_after = T_0409;
	r.modified_before = T_0527;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "cs/bad.sys");
	CHECK_INT(res.matches[0].last_write_time, T_0409);
	lg_match_result_clear(&res);
	tv_done(&t);
}

/* ---------------------------------------------------------------- rules together */

static void test_several_rules(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	unsigned char bad[600] = { 0 };
	memcpy(bad, CS_HDR, 8);
	t_file(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-1.sys", bad, sizeof(bad), T_0409);
	t_file(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-2.sys", "ok", 2, T_0527);
	t_file(&t, "Windows/System32/drivers/other.sys", "o", 1, T_0409);
	tv_ro(&t);

	struct lg_rule rules[4] = {
		rule("other", "Windows/System32/drivers/other.sys"),
		rule("by-time", "Windows/System32/drivers/CrowdStrike/*"),
		rule("by-header", "**/C-00000291*.sys"),
		rule("by-name", "windows/system32/drivers/crowdstrike/c-00000291-1.SYS"),
	};
	rules[1].has_modified_before = true;
	rules[1].modified_before = T_0527;
	rules[2].header = (unsigned char *)CS_HDR;
	rules[2].header_len = 8;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, rules, 4, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/CrowdStrike/C-00000291-1.sys|"
			       "Windows/System32/drivers/other.sys");
	/* Reported once, under the first rule in list order, with the others. */
	CHECK_INT(res.matches[0].rule_index, 1);
	CHECK(res.matches[0].rule == &rules[1]);
	CHECK_INT(res.matches[0].n_other_rules, 2);
	CHECK_INT(res.matches[0].other_rules[0], 2);
	CHECK_INT(res.matches[0].other_rules[1], 3);
	CHECK_INT(res.matches[1].rule_index, 0);
	CHECK_INT(res.matches[1].n_other_rules, 0);
	CHECK(res.matches[1].other_rules == NULL);
	/* The proper-case name and the parent, for the engine's rename. */
	char name[64];
	lg_utf16_to_utf8(res.matches[0].name, res.matches[0].name_len, name, NULL);
	CHECK_STR(name, "C-00000291-1.sys");
	ntfs_inode *cs = t_lookup(&t, "Windows/System32/drivers/CrowdStrike");
	CHECK_INT(MREF(res.matches[0].parent_mref), cs->mft_no);
	ntfs_inode_close(cs);
	ntfs_inode *f = t_lookup(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-1.sys");
	CHECK_INT(MREF(res.matches[0].mref), f->mft_no);
	CHECK_INT(MSEQNO(res.matches[0].mref), le16_to_cpu(f->mrec->sequence_number));
	ntfs_inode_close(f);
	/* One "**" rule makes every directory a listing, each read once:
	 * root, Windows, System32, drivers, CrowdStrike. */
	CHECK_INT(res.stats.dirs_listed, 5);
	CHECK_INT(res.stats.index_lookups, 0);
	lg_match_result_clear(&res);
	tv_done(&t);
}

/* Two rules with sha256 on one 3 MiB file, a header rule, a hard link,
 * and LG_MATCH_HASH_MATCHES: the file is read once and hashed once. */
static void test_read_once(void)
{
	struct tv t;
	tv_make(&t, 64 << 20);
	size_t n = 3u << 20;
	unsigned char *data = malloc(n);
	fill(data, n, 9);
	memcpy(data, CS_HDR, 8);
	t_file(&t, "a/big.sys", data, n, T_0409);
	t_file(&t, "a/small.sys", "small", 5, T_0409);
	/* A second name for big.sys in another directory. */
	ntfs_inode *ni = t_lookup(&t, "a/big.sys");
	ntfs_inode *b = t_dir(&t, "b");
	ntfschar u[LG_NAME_MAX];
	int ul = uname("BIG-link.sys", u);
	CHECK_INT(ntfs_link(ni, b, u, (u8)ul), 0);
	ntfs_inode_close(ni);
	ntfs_inode_close(b);
	tv_ro(&t);

	unsigned char sha[32];
	lg_hash_buf(data, n, sha, NULL);
	unsigned char l1[2][32], l2[1][32];
	memset(l1[0], 1, 32);
	memcpy(l1[1], sha, 32);
	memcpy(l2[0], sha, 32);
	struct lg_rule rules[3] = { rule("h1", "a/*.sys"), rule("h2", "**/big*.sys"), rule("hdr", "**/*.sys") };
	rules[0].sha256 = l1;
	rules[0].n_sha256 = 2;
	rules[1].sha256 = l2;
	rules[1].n_sha256 = 1;
	rules[2].header = (unsigned char *)CS_HDR;
	rules[2].header_len = 8;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, rules, 3, LG_MATCH_HASH_MATCHES, &res), 0);
	CHECK_STR(paths(&res), "a/big.sys|b/BIG-link.sys");
	CHECK_INT(res.matches[0].mref, res.matches[1].mref);
	CHECK_INT(res.matches[0].rule_index, 0);
	CHECK_INT(res.matches[0].n_other_rules, 2);
	CHECK_INT(res.matches[1].rule_index, 1); /* h1 does not reach b/ */
	CHECK_INT(res.matches[1].n_other_rules, 1);
	CHECK(res.matches[0].has_sha256 && res.matches[1].has_sha256);
	CHECK_MEM(res.matches[0].sha256, sha, 32);
	CHECK_MEM(res.matches[1].sha256, sha, 32);
	CHECK_INT(res.matches[0].size, n);
	/* small.sys was hashed for h1 (no match); big.sys once for all. */
	CHECK_INT(res.stats.files_hashed, 2);
	CHECK_INT(res.stats.bytes_hashed, n + 5);
	CHECK_INT(res.stats.bytes_read, n + 5); /* the header prefix is reused by the hash */
	CHECK_INT(res.stats.files_evaluated, 2); /* two records, three names */
	lg_match_result_clear(&res);

	/* Exactly the hash-once case: two sha256 rules, one file. */
	struct lg_rule two[2] = { rule("s1", "a/big.sys"), rule("s2", "A/BIG.SYS") };
	two[0].sha256 = l1;
	two[0].n_sha256 = 2;
	two[1].sha256 = l2;
	two[1].n_sha256 = 1;
	CHECK_INT(run(&t, two, 2, 0, &res), 0);
	CHECK_STR(paths(&res), "a/big.sys");
	CHECK_INT(res.matches[0].n_other_rules, 1);
	CHECK_INT(res.stats.bytes_hashed, n);
	CHECK_INT(res.stats.bytes_read, n);
	lg_match_result_clear(&res);

	/* The hash for the report only. */
	struct lg_rule plain = rule("plain", "a/small.sys");
	CHECK_INT(run(&t, &plain, 1, 0, &res), 0);
	CHECK(!res.matches[0].has_sha256);
	CHECK_INT(res.stats.bytes_read, 0);
	lg_match_result_clear(&res);
	CHECK_INT(run(&t, &plain, 1, LG_MATCH_HASH_MATCHES, &res), 0);
	CHECK(res.matches[0].has_sha256);
	lg_hash_buf("small", 5, sha, NULL);
	CHECK_MEM(res.matches[0].sha256, sha, 32);
	CHECK_INT(res.stats.bytes_hashed, 5);
	lg_match_result_clear(&res);
	free(data);
	tv_done(&t);
}

/* ---------------------------------------------------------------- pruning */

static void test_pruning(void)
{
	struct tv t;
	tv_make(&t, 256 << 20);
	/* Thousands of files beside the path, and in the directories on it. */
	char p[128];
	for (int i = 0; i < 1500; i++) {
		snprintf(p, sizeof(p), "Windows/WinSxS/pkg%03d/file%d.dll", i % 50, i);
		t_text(&t, p);
	}
	for (int i = 0; i < 1500; i++) {
		snprintf(p, sizeof(p), "Windows/System32/lib%04d.dll", i);
		t_text(&t, p);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), "Windows/System32/drivers/drv%03d.sys", i);
		t_text(&t, p);
	}
	t_text(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-1.sys");
	t_text(&t, "Windows/System32/drivers/CrowdStrike/other.txt");
	tv_ro(&t);

	struct lg_rule r = rule("cs", "Windows/System32/drivers/CrowdStrike/C-00000291*.sys");
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/CrowdStrike/C-00000291-1.sys");
	/* Looked up: Windows, System32, drivers, CrowdStrike; listed: CrowdStrike. */
	CHECK_INT(res.stats.index_lookups, 4);
	CHECK_INT(res.stats.dirs_listed, 1);
	CHECK_INT(res.stats.records_opened, 6); /* root, 4 directories, the file */
	CHECK(res.stats.index_entries < 100);   /* of 3300 entries on the way */
	fprintf(stderr, "crowdstrike rule: %" PRIu64 " lookups, %" PRIu64 " listed, %" PRIu64
		" index blocks, %" PRIu64 " entries, %" PRIu64 " records\n",
		res.stats.index_lookups, res.stats.dirs_listed, res.stats.index_blocks_read,
		res.stats.index_entries, res.stats.records_opened);
	lg_match_result_clear(&res);

	r = rule("drv", "Windows/System32/drivers/*.sys");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_INT(res.n_matches, 300);
	CHECK_INT(res.stats.index_lookups, 3);
	CHECK_INT(res.stats.dirs_listed, 1);
	CHECK_INT(res.stats.records_opened, 4 + 300);
	CHECK(res.stats.index_entries < 400);
	lg_match_result_clear(&res);

	/* Two rules into the same directory: it is read once. */
	struct lg_rule two[2] = { rule("a", "Windows/System32/drivers/drv00*.sys"),
				  rule("b", "Windows/System32/drivers/CrowdStrike/*") };
	CHECK_INT(run(&t, two, 2, 0, &res), 0);
	CHECK_INT(res.n_matches, 12);
	CHECK_INT(res.stats.dirs_listed, 2);   /* drivers (for both) and CrowdStrike */
	CHECK_INT(res.stats.index_lookups, 3); /* Windows, System32, drivers (once for both) */
	lg_match_result_clear(&res);

	/* Only literal names: nothing listed at all. */
	r = rule("lit", "Windows/System32/lib0042.dll");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/lib0042.dll");
	CHECK_INT(res.stats.dirs_listed, 0);
	CHECK_INT(res.stats.index_lookups, 3);
	lg_match_result_clear(&res);
	r = rule("none", "Windows/System32/lib9999.dll");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_INT(res.n_matches, 0);
	CHECK_INT(res.stats.records_opened, 3);
	lg_match_result_clear(&res);
	tv_done(&t);
}

/* A LOLDrivers-sized list: 2000 rules naming drivers one by one. The
 * names are matched by hash while drivers is listed once. */
static void test_many_rules(void)
{
	struct tv t;
	tv_make(&t, 64 << 20);
	char p[128];
	for (int i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "Windows/System32/drivers/drv%03d.sys", i);
		t_text(&t, p);
	}
	tv_ro(&t);
	enum { N = 2000 };
	struct lg_rule *rules = calloc(N, sizeof(*rules));
	char (*names)[96] = calloc(N, sizeof(*names));
	char (*ids)[16] = calloc(N, sizeof(*ids));
	for (int i = 0; i < N; i++) {
		/* Every 10th names a file that exists (in another case). */
		if (i % 10 == 0)
			snprintf(names[i], sizeof(names[i]), "WINDOWS/system32/Drivers/DRV%03d.SYS", i / 10);
		else
			snprintf(names[i], sizeof(names[i]), "Windows/System32/drivers/absent%04d.sys", i);
		snprintf(ids[i], sizeof(ids[i]), "r%d", i);
		rules[i] = rule(ids[i], names[i]);
	}
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, rules, N, 0, &res), 0);
	CHECK_INT(res.n_matches, 200);
	if (res.n_matches == 200) {
		CHECK_STR(res.matches[0].path, "Windows/System32/drivers/drv000.sys");
		CHECK_INT(res.matches[0].rule_index, 0);
		CHECK_STR(res.matches[199].path, "Windows/System32/drivers/drv199.sys");
		CHECK_INT(res.matches[199].rule_index, 1990);
	}
	CHECK_INT(res.stats.index_lookups, 3); /* Windows, System32, drivers */
	CHECK_INT(res.stats.dirs_listed, 1);   /* drivers, once for 2000 names */
	lg_match_result_clear(&res);
	free(rules);
	free(names);
	free(ids);
	tv_done(&t);
}

/* Damaged directory indexes: random bytes of every index block flipped,
 * one seed at a time. The matcher must not crash (the suite also runs
 * under ASan), must say what it could not read, and must still find what
 * lies outside the damage. */
static void test_damaged_index(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	char p[128];
	for (int i = 0; i < 400; i++) {
		snprintf(p, sizeof(p), "big/file-with-a-long-name-%04d.sys", i);
		t_text(&t, p);
	}
	t_text(&t, "ok/fine.sys");
	CHECK_INT(lg_volume_close(t.v), 0);
	t.v = NULL;

	/* Where the index blocks of big/ are: 4 KiB records starting with
	 * "INDX" that hold its names (not those of $Secure and $Extend,
	 * which libntfs-3g itself reads when it mounts). */
	int fd = open(t.path, O_RDWR);
	CHECK(fd >= 0);
	off_t blocks[64];
	size_t nb = 0;
	unsigned char rec[4096];
	ntfschar mark[16];
	int ml = uname("file-with-a-long", mark);
	for (off_t at = 0; at < (off_t)t.size && nb < 64; at += 4096)
		if (pread(fd, rec, sizeof(rec), at) == (ssize_t)sizeof(rec) && !memcmp(rec, "INDX", 4) &&
		    memmem(rec, sizeof(rec), mark, 2 * (size_t)ml))
			blocks[nb++] = at;
	CHECK(nb >= 2);
	if (nb < 2) {
		close(fd);
		unlink(t.path);
		return;
	}

	uint32_t seed = 12345;
	int with_problems = 0, runs = 0;
	for (int iter = 0; iter < 150; iter++) {
		off_t at = blocks[iter % nb];
		unsigned char orig[4096], bad[4096];
		CHECK_INT(pread(fd, orig, sizeof(orig), at), 4096);
		memcpy(bad, orig, sizeof(bad));
		int flips = 1 + iter % 8;
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly the header and first entries, where the
			 * lengths and offsets are. */
			size_t off = (seed >> 8) % (iter % 2 ? 4096 : 256);
			seed = seed * 1103515245u + 12345u;
			bad[off] ^= (unsigned char)(1u << ((seed >> 16) % 8));
		}
		CHECK_INT(pwrite(fd, bad, sizeof(bad), at), 4096);
		tv_open(&t, false);
		struct lg_rule r = rule("r", "**/*.sys");
		struct lg_denylist dl = { .rules = &r, .n_rules = 1 };
		struct lg_matcher *m = NULL;
		struct lg_err err = { "" };
		CHECK_INT(lg_matcher_new(&dl, &m, &err), 0);
		struct lg_match_result res = { 0 };
		int e = lg_matcher_run(m, t.v->vol, 0, &res, &err);
		runs++;
		CHECK_INT(e, 0);
		bool fine = false;
		for (size_t i = 0; i < res.n_matches; i++)
			fine |= !strcmp(res.matches[i].path, "ok/fine.sys");
		CHECK(fine);
		CHECK(res.n_matches <= 401);
		if (res.n_problems) {
			with_problems++;
			/* The directory, or a file whose damaged entry
			 * points at a record that is not it. */
			CHECK(!strncmp(res.problems[0].path, "big", 3));
			CHECK(res.problems[0].error < 0);
		}
		CHECK_INT(res.stats.problems, res.n_problems);
		lg_match_result_clear(&res);
		lg_matcher_free(m);
		lg_volume_close(t.v);
		t.v = NULL;
		CHECK_INT(pwrite(fd, orig, sizeof(orig), at), 4096);
	}
	fprintf(stderr, "damaged index: %d runs, %d reported problems\n", runs, with_problems);
	CHECK(with_problems > 20);
	close(fd);
	unlink(t.path);
}

/* ---------------------------------------------------------------- special entries */

static void test_directory_target(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	t_text(&t, "Windows/System32/drivers/CrowdStrike/C-1.sys");
	t_text(&t, "Windows/System32/drivers/a.sys");
	tv_ro(&t);
	struct lg_match_result res = { 0 };

	/* Named exactly: reported, flagged, for the engine to refuse. */
	struct lg_rule r = rule("dir", "Windows/System32/drivers/crowdstrike");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/CrowdStrike");
	CHECK_INT(res.matches[0].flags, LG_MATCH_DIRECTORY);
	CHECK_INT(res.matches[0].size, 0);
	CHECK(!res.matches[0].has_sha256);
	lg_match_result_clear(&res);

	r = rule("star", "Windows/System32/drivers/*");
	CHECK_INT(run(&t, &r, 1, LG_MATCH_HASH_MATCHES, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/CrowdStrike|Windows/System32/drivers/a.sys");
	CHECK_INT(res.matches[0].flags, LG_MATCH_DIRECTORY);
	CHECK(!res.matches[0].has_sha256);
	CHECK_INT(res.matches[1].flags, 0);
	CHECK(res.matches[1].has_sha256);
	lg_match_result_clear(&res);

	/* Content conditions never hold for a directory. */
	r.has_size = true;
	r.size_min = 0;
	r.size_max = UINT64_MAX;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/a.sys");
	lg_match_result_clear(&res);

	/* A trailing "**" selects files only. */
	r = rule("all", "Windows/**");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/CrowdStrike/C-1.sys|Windows/System32/drivers/a.sys");
	lg_match_result_clear(&res);
	tv_done(&t);
}

/* A mount-point (junction) reparse buffer pointing at target. */
static size_t junction(const char *target, char *buf)
{
	ntfschar sub[200], prn[200];
	char s[256];
	snprintf(s, sizeof(s), "\\??\\%s", target);
	int ns = uname(s, sub), np = uname(target, prn);
	size_t data = 8 + 2 * ((size_t)ns + 1) + 2 * ((size_t)np + 1);
	memset(buf, 0, 8 + data);
	u8 *p = (u8 *)buf;
	le32 tag = IO_REPARSE_TAG_MOUNT_POINT;
	le16 v = cpu_to_le16((u16)data);
	le16 so = 0, sl = cpu_to_le16((u16)(2 * ns)), po = cpu_to_le16((u16)(2 * (ns + 1))),
	     pl = cpu_to_le16((u16)(2 * np));
	memcpy(p, &tag, 4);
	memcpy(p + 4, &v, 2);
	memcpy(p + 8, &so, 2);
	memcpy(p + 10, &sl, 2);
	memcpy(p + 12, &po, 2);
	memcpy(p + 14, &pl, 2);
	memcpy(p + 16, sub, 2 * (size_t)ns);
	memcpy(p + 16 + 2 * ((size_t)ns + 1), prn, 2 * (size_t)np);
	return 8 + data;
}

/* A relative symbolic-link reparse buffer. */
static size_t symlink_rp(const char *target, char *buf)
{
	ntfschar u[200];
	int n = uname(target, u);
	size_t data = 12 + 2 * 2 * (size_t)n;
	memset(buf, 0, 8 + data);
	u8 *p = (u8 *)buf;
	le32 tag = IO_REPARSE_TAG_SYMLINK;
	le16 v = cpu_to_le16((u16)data);
	le16 so = 0, sl = cpu_to_le16((u16)(2 * n)), po = sl, pl = sl;
	le32 fl = cpu_to_le32(1); /* relative */
	memcpy(p, &tag, 4);
	memcpy(p + 4, &v, 2);
	memcpy(p + 8, &so, 2);
	memcpy(p + 10, &sl, 2);
	memcpy(p + 12, &po, 2);
	memcpy(p + 14, &pl, 2);
	memcpy(p + 16, &fl, 4);
	memcpy(p + 20, u, 2 * (size_t)n);
	memcpy(p + 20 + 2 * (size_t)n, u, 2 * (size_t)n);
	return 8 + data;
}

/*
 * Make ni a reparse point the way Windows records one: a $REPARSE_POINT
 * attribute and FILE_ATTR_REPARSE_POINT in $STANDARD_INFORMATION and in
 * the directory index. (ntfs_set_ntfs_reparse_data() would also index it
 * in $Extend/$Reparse, but outside the FUSE driver its lookup of that file
 * fails with EINVAL in this libntfs-3g; the matcher never reads that
 * index, so the test does without it.) Closes ni.
 */
static void t_reparse(ntfs_inode *ni, const char *rp, size_t n)
{
	CHECK_INT(ntfs_attr_add(ni, AT_REPARSE_POINT, AT_UNNAMED, 0, (const u8 *)rp, (s64)n), 0);
	ni->flags |= FILE_ATTR_REPARSE_POINT;
	NInoSetDirty(ni);
	NInoFileNameSetDirty(ni);
	CHECK_INT(ntfs_inode_close(ni), 0);
}

static void test_reparse(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	unsigned char bad[64] = { 0 };
	memcpy(bad, CS_HDR, 8);
	t_file(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-real.sys", bad, sizeof(bad), T_0409);
	/* A junction inside drivers, with a file behind it that a walk which
	 * followed it would find. */
	t_file(&t, "Windows/System32/drivers/Link/C-00000291-behind.sys", bad, sizeof(bad), T_0409);
	char rp[1024];
	size_t n = junction("C:\\Windows\\System32\\drivers\\CrowdStrike", rp);
	t_reparse(t_lookup(&t, "Windows/System32/drivers/Link"), rp, n);
	/* A file that is itself a reparse point. */
	t_file(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-link.sys", bad, sizeof(bad), T_0409);
	n = symlink_rp("C-00000291-real.sys", rp);
	t_reparse(t_lookup(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-link.sys"), rp, n);
	tv_ro(&t);
	ntfs_inode *ni = t_lookup(&t, "Windows/System32/drivers/Link");
	CHECK(ni->flags & FILE_ATTR_REPARSE_POINT);
	ntfs_inode_close(ni);

	struct lg_rule r = rule("cs", "Windows/System32/drivers/**/C-00000291*.sys");
	r.header = (unsigned char *)CS_HDR;
	r.header_len = 8;
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/CrowdStrike/C-00000291-link.sys|"
			       "Windows/System32/drivers/CrowdStrike/C-00000291-real.sys");
	CHECK_INT(res.stats.reparse_skipped, 1);
	CHECK_INT(res.matches[0].flags, LG_MATCH_REPARSE | LG_MATCH_UNVERIFIED);
	CHECK_INT(res.matches[1].flags, 0);
	CHECK_INT(res.stats.bytes_read, 64); /* real.sys only: the link is never read */
	lg_match_result_clear(&res);

	/* Named through the junction: still not followed. */
	r = rule("via", "Windows/System32/drivers/Link/*");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "");
	CHECK_INT(res.stats.reparse_skipped, 1);
	CHECK_INT(res.stats.dirs_listed, 0);
	lg_match_result_clear(&res);

	/* The junction itself as a target: a directory and a reparse point. */
	r = rule("j", "Windows/System32/drivers/Link");
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/drivers/Link");
	CHECK_INT(res.matches[0].flags, LG_MATCH_DIRECTORY | LG_MATCH_REPARSE);
	lg_match_result_clear(&res);
	tv_done(&t);
}

/*
 * Many rules sharing two globs (an imported hash list), with rules of
 * other kinds on the same globs and one glob that differs only in case:
 * the result of the run with all of them equals the union of the rules
 * run one at a time (first rule, others ascending, flags), and each
 * file is still read and hashed once.
 */
static void test_grouped_rules(void)
{
	struct tv t;
	tv_make(&t, 64 << 20);
	enum { NF = 40, NH = 10, N = 600 };
	static unsigned char buf[3000];
	unsigned char hf[NF][32], hh[NH][32], hg[32];
	uint64_t total = 0;
	char p[128];
	for (int i = 0; i < NF; i++) {
		size_t n = 1000 + 37 * (size_t)i;
		fill(buf, n, (unsigned)i);
		snprintf(p, sizeof(p), "Windows/System32/drivers/f%03d.sys", i);
		t_file(&t, p, buf, n, T_0409);
		lg_hash_buf(buf, n, hf[i], NULL);
		total += n;
	}
	for (int i = 0; i < NH; i++) {
		size_t n = 500 + (size_t)i;
		fill(buf, n, 200u + (unsigned)i);
		snprintf(p, sizeof(p), "Windows/System32/DriverStore/x/h%02d.sys", i);
		t_file(&t, p, buf, n, T_0409);
		lg_hash_buf(buf, n, hh[i], NULL);
		total += n;
	}
	fill(buf, 777, 100);
	t_file(&t, "Windows/System32/drivers/sub/g.sys", buf, 777, T_0409);
	lg_hash_buf(buf, 777, hg, NULL);
	total += 777;
	t_text(&t, "Windows/System32/drivers/note.txt");
	ntfs_inode_close(t_dir(&t, "Windows/System32/drivers/dir.sys"));
	t_file(&t, "Windows/System32/drivers/link.sys", "x", 1, T_0409);
	char rp[1024];
	size_t rn = symlink_rp("f007.sys", rp);
	t_reparse(t_lookup(&t, "Windows/System32/drivers/link.sys"), rp, rn);
	tv_ro(&t);

	struct lg_rule *rules = calloc(N, sizeof(*rules));
	unsigned char (*sha)[2][32] = calloc(N, sizeof(*sha));
	char (*ids)[16] = calloc(N, sizeof(*ids));
	unsigned char hdr[8];
	fill(buf, 8, 7); /* f007's first bytes */
	memcpy(hdr, buf, 8);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "h%d", i);
		rules[i] = rule(ids[i], i % 2 ? "Windows/System32/DriverStore/**/*.sys"
					       : "Windows/System32/drivers/**/*.sys");
		/* A digest no file has. */
		memset(sha[i][0], 0xa5, 32);
		sha[i][0][0] = (unsigned char)i;
		sha[i][0][1] = (unsigned char)(i >> 8);
		rules[i].sha256 = sha[i];
		rules[i].n_sha256 = 1;
	}
	memcpy(sha[14][1], hf[7], 32);            /* second of two */
	rules[14].n_sha256 = 2;
	memcpy(sha[300][0], hf[7], 32);           /* the same digest twice */
	memcpy(sha[300][1], hf[7], 32);
	rules[300].n_sha256 = 2;
	memcpy(sha[301][0], hf[7], 32);           /* does not reach drivers */
	rules[400].sha256 = NULL;                 /* size only */
	rules[400].n_sha256 = 0;
	rules[400].has_size = true;
	rules[400].size_min = rules[400].size_max = 1000 + 37 * 7;
	memcpy(sha[402][0], hf[7], 32);           /* the time window excludes it */
	rules[402].has_modified_before = true;
	rules[402].modified_before = T_0409;
	memcpy(sha[404][0], hf[7], 32);           /* the time window includes it */
	rules[404].has_modified_after = true;
	rules[404].modified_after = T_0409;
	memcpy(sha[406][0], hf[7], 32);           /* header and hash */
	rules[406].header = hdr;
	rules[406].header_len = 8;
	memcpy(sha[20][0], hf[10], 32);
	memcpy(sha[599][0], hf[10], 32);          /* same glob but for case: its own group */
	rules[599].path = "windows/system32/drivers/**/*.SYS";
	memcpy(sha[21][0], hh[3], 32);
	memcpy(sha[23][0], hh[3], 32);
	memcpy(sha[40][0], hg, 32);

	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, rules, N, 0, &res), 0);
	CHECK_STR(paths(&res), "Windows/System32/DriverStore/x/h03.sys|Windows/System32/drivers/f007.sys|"
			       "Windows/System32/drivers/f010.sys|Windows/System32/drivers/link.sys|"
			       "Windows/System32/drivers/sub/g.sys");
	if (res.n_matches == 5) {
		CHECK_INT(res.matches[0].rule_index, 21);
		CHECK_INT(res.matches[0].n_other_rules, 1);
		CHECK_INT(res.matches[0].other_rules[0], 23);
		CHECK_MEM(res.matches[0].sha256, hh[3], 32);
		CHECK(res.matches[1].rule == &rules[14]);
		CHECK_INT(res.matches[1].n_other_rules, 4);
		if (res.matches[1].n_other_rules == 4) {
			CHECK_INT(res.matches[1].other_rules[0], 300);
			CHECK_INT(res.matches[1].other_rules[1], 400);
			CHECK_INT(res.matches[1].other_rules[2], 404);
			CHECK_INT(res.matches[1].other_rules[3], 406);
		}
		CHECK_INT(res.matches[2].rule_index, 20);
		CHECK_INT(res.matches[2].n_other_rules, 1);
		CHECK_INT(res.matches[2].other_rules[0], 599);
		/* Never read; every rule of the glob with content conditions. */
		CHECK_INT(res.matches[3].rule_index, 0);
		CHECK_INT(res.matches[3].flags, LG_MATCH_REPARSE | LG_MATCH_UNVERIFIED);
		CHECK(!res.matches[3].has_sha256);
		CHECK_INT(res.matches[4].rule_index, 40);
		CHECK_INT(res.matches[4].n_other_rules, 0);
	}
	/* Every regular *.sys read and hashed once (f007's header prefix
	 * reused); dir.sys and link.sys evaluated, never read. */
	CHECK_INT(res.stats.files_hashed, NF + NH + 1);
	CHECK_INT(res.stats.bytes_hashed, total);
	CHECK_INT(res.stats.bytes_read, total);
	CHECK_INT(res.stats.files_evaluated, NF + NH + 1 + 2);

	/* The same as each rule alone. */
	struct lg_match_result one = { 0 };
	size_t *n_seen = calloc(res.n_matches + 1, sizeof(*n_seen));
	bool same = true;
	for (int i = 0; i < N && same; i++) {
		if (run(&t, &rules[i], 1, 0, &one) < 0) {
			same = false;
			break;
		}
		for (size_t k = 0; k < one.n_matches; k++) {
			const struct lg_match *a = &one.matches[k], *g = NULL;
			size_t gi = 0;
			for (; gi < res.n_matches; gi++)
				if (!strcmp(res.matches[gi].path, a->path)) {
					g = &res.matches[gi];
					break;
				}
			if (!g) {
				fprintf(stderr, "rule %d alone matches %s, not found together\n", i, a->path);
				same = false;
				break;
			}
			/* The n_seen-th rule of g, in order, must be i. */
			size_t s = n_seen[gi]++;
			size_t want = s == 0 ? g->rule_index : s - 1 < g->n_other_rules ? g->other_rules[s - 1] : SIZE_MAX;
			if (want != (size_t)i || (a->flags & ~g->flags)) {
				fprintf(stderr, "%s: rule %d alone, %zu expected in this place\n", a->path, i, want);
				same = false;
			}
		}
		lg_match_result_clear(&one);
	}
	CHECK(same);
	for (size_t gi = 0; gi < res.n_matches && same; gi++)
		CHECK_INT(n_seen[gi], 1 + res.matches[gi].n_other_rules);
	free(n_seen);
	lg_match_result_clear(&res);
	free(rules);
	free(sha);
	free(ids);
	tv_done(&t);
}

static void test_hidden_and_dos_names(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	/* Hidden and system: ntfs_readdir() would have skipped it. */
	ntfs_inode *ni = t_add(&t, "d/Hidden Driver.sys", S_IFREG);
	t_write(ni, "h", 1);
	ni->flags |= FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM;
	t_times(ni, T_0409, true);
	ntfs_inode_close(ni);
	/* A long name with an 8.3 alias. */
	t_text(&t, "d/LongFileName.sys");
	ni = t_lookup(&t, "d/LongFileName.sys");
	ntfs_inode *dir = t_lookup(&t, "d");
	CHECK_INT(ntfs_set_ntfs_dos_name(ni, dir, "LONGFI~1.SYS", 12, 0), 0); /* closes both */
	tv_ro(&t);

	CHECK_STR(glob1(&t, "d/*"), "d/Hidden Driver.sys|d/LongFileName.sys"); /* once each */
	CHECK_STR(glob1(&t, "d/hidden driver.sys"), "d/Hidden Driver.sys");
	CHECK_STR(glob1(&t, "d/LONGFI~1.SYS"), ""); /* 8.3 aliases are not names */
	CHECK_STR(glob1(&t, "d/*~1*"), "");
	CHECK_STR(glob1(&t, "d/longfilename.sys"), "d/LongFileName.sys");
	struct lg_rule r = rule("h", "d/Hidden*");
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_INT(res.n_matches, 1);
	if (res.n_matches)
		CHECK_INT(res.matches[0].file_attributes & (FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM),
			  FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM);
	lg_match_result_clear(&res);
	tv_done(&t);
}

/* What an earlier run quarantined is not found again. */
static void test_own_folder(void)
{
	struct tv t;
	tv_make(&t, 32 << 20);
	t_text(&t, "$LastGood/quarantine/20240719T060000Z-abc/Windows/System32/drivers/CrowdStrike/C-00000291-1.sys");
	t_text(&t, "$LastGood/journal/20240719T060000Z-abc");
	t_text(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-2.sys");
	t_text(&t, "Other/$LastGood/C-00000291-3.sys"); /* only the root's is ours */
	tv_ro(&t);
	CHECK_STR(glob1(&t, "**/C-00000291*.sys"),
		  "Other/$LastGood/C-00000291-3.sys|Windows/System32/drivers/CrowdStrike/C-00000291-2.sys");
	CHECK_STR(glob1(&t, "$lastgood/**"), "");
	CHECK_STR(glob1(&t, "*"), "Other|Windows");
	CHECK_STR(glob1(&t, "*/*"), "Other/$LastGood|Windows/System32");
	tv_done(&t);
}

static void test_bad_rules(void)
{
	struct lg_rule rules[2] = { rule("fine", "a/*.sys"), rule("broken", "a/../b") };
	rules[1].line = 17;
	struct lg_denylist dl = { .rules = rules, .n_rules = 2 };
	struct lg_matcher *m = (struct lg_matcher *)1;
	struct lg_err err = { "" };
	CHECK_INT(lg_matcher_new(&dl, &m, &err), -EINVAL);
	CHECK(m == NULL);
	CHECK_CONTAINS(err.msg, "rule \"broken\" (line 17)");
	CHECK_CONTAINS(err.msg, "'..'");
	rules[1].path = NULL;
	CHECK_INT(lg_matcher_new(&dl, &m, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "missing");
	lg_matcher_free(NULL);
	lg_match_result_clear(NULL);

	/* No rules: nothing read, nothing matched. */
	struct tv t;
	tv_make(&t, 16 << 20);
	struct lg_match_result res = { 0 };
	CHECK_INT(run(&t, rules, 0, 0, &res), 0);
	CHECK_INT(res.n_matches, 0);
	CHECK_INT(res.stats.records_opened, 0);
	tv_done(&t);
}


/* ---------------------------------------------------------------- PE conditions */

struct pe_file {
	const char *path;
	unsigned char *data;
	size_t len;
	bool pe;
	unsigned char ah256[32], ah1[20], ah256u[32], sha[32];
};

/* A driver built by mkpe: name and company strings, file version, and
 * trailing bytes (an odd count makes an unsigned file Windows pads). */
static void pe_make(struct pe_file *f, const char *path, const char *ofn, const char *company, uint16_t a,
		    uint16_t b, uint16_t c, uint16_t d, uint32_t trailing, bool version, uint32_t cert)
{
	struct mkpe_opts o = { .pe32plus = true, .n_sections = 2, .version = version,
			       .file_version = { a, b, c, d }, .product_version = { a, b, 0, 0 },
			       .trailing = trailing, .cert_size = cert };
	o.strings[0] = (struct mkpe_string){ "CompanyName", company };
	o.strings[1] = (struct mkpe_string){ "OriginalFilename", ofn };
	o.strings[2] = (struct mkpe_string){ "FileVersion", "free text, not the numbers" };
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->pe = true;
	if (mkpe_build(&o, &f->data, &f->len, NULL) != 0) {
		fprintf(stderr, "mkpe_build failed\n");
		exit(1);
	}
	struct lg_pe_info info;
	CHECK_INT(lg_pe_parse(f->data, f->len, &info, NULL), 0);
	CHECK_INT(lg_pe_authentihash(f->data, f->len, &info, f->ah256, f->ah1), 0);
	CHECK_INT(lg_pe_authentihash_unpadded(f->data, f->len, &info, f->ah256u, NULL), 0);
	lg_hash_buf(f->data, f->len, f->sha, NULL);
}

static void raw_make(struct pe_file *f, const char *path, const void *data, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->data = malloc(len);
	memcpy(f->data, data, len);
	f->len = len;
	lg_hash_buf(f->data, f->len, f->sha, NULL);
}

static void test_pe_conditions(void)
{
	struct tv t;
	tv_make(&t, 64 << 20);
	enum { A, B, C, D, S, BIGNOTPE, CHANNEL, TEXT, MZONLY, N };
	struct pe_file f[N];
	pe_make(&f[A], "drv/acmeio.sys", "AcmeIO.sys", "Acme Corp", 3, 1, 0, 36, 0, true, 0);
	pe_make(&f[B], "drv/acmeio-new.sys", "AcmeIO.sys", "Acme Corp", 3, 2, 0, 0, 0, true, 0);
	pe_make(&f[C], "drv/nover.sys", "x", "x", 1, 0, 0, 0, 0, false, 0);
	pe_make(&f[D], "drv/odd.sys", " odd.sys\t", "Acme Corp ", 1, 0, 0, 0, 13, true, 0);
	pe_make(&f[S], "drv/signed.sys", "signed.sys", "\xc3\x89lan SA", 2, 0, 0, 0, 0, true, 64);
	/* Not PE: big enough that a full read would show in bytes_read. */
	size_t big = 200000;
	unsigned char *junk = malloc(big);
	fill(junk, big, 3);
	junk[0] = 'Z';
	raw_make(&f[BIGNOTPE], "drv/data.sys", junk, big);
	unsigned char chan[40960] = { 0 };
	memcpy(chan, CS_HDR, 8);
	raw_make(&f[CHANNEL], "drv/C-00000291-00000000-00000032.sys", chan, sizeof(chan));
	raw_make(&f[TEXT], "drv/readme.txt", "OriginalFilename AcmeIO.sys", 27);
	/* "MZ" with e_lfanew pointing at garbage: refused from the prefix. */
	fill(junk, big, 4);
	junk[0] = 'M';
	junk[1] = 'Z';
	memcpy(junk + 0x3c, "\x80\0\0\0", 4);
	raw_make(&f[MZONLY], "drv/mz.sys", junk, big);
	free(junk);
	for (int i = 0; i < N; i++)
		t_file(&t, f[i].path, f[i].data, f[i].len, T_0409);
	CHECK(memcmp(f[D].ah256, f[D].ah256u, 32) != 0); /* odd size: two values */
	CHECK(memcmp(f[A].ah256, f[A].ah256u, 32) == 0);
	/* A renamed copy of A elsewhere: Authenticode hashes do not care. */
	t_file(&t, "other/renamed.bin", f[A].data, f[A].len, T_0409);
	tv_ro(&t);

	uint64_t pe_bytes = 0;
	for (int i = 0; i < N; i++)
		if (f[i].pe)
			pe_bytes += f[i].len;

	/* Each condition alone, across every file. */
	struct lg_match_result res = { 0 };
	struct lg_rule r = rule("ah", "**");
	r.authentihash_sha256 = (unsigned char (*)[32])f[A].ah256;
	r.n_authentihash_sha256 = 1;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio.sys|other/renamed.bin");
	/* Every PE parsed (one read each); the four others refused from
	 * their first 4 KiB; no SHA-256 computed. */
	CHECK_INT(res.stats.pe_parsed, 6);
	CHECK_INT(res.stats.pe_rejected, 4);
	CHECK_INT(res.stats.files_authentihashed, 6);
	CHECK_INT(res.stats.files_hashed, 0);
	CHECK_INT(res.stats.bytes_read, pe_bytes + f[A].len + 3 * 4096 + f[TEXT].len);
	lg_match_result_clear(&res);

	r = rule("ah1", "drv/*");
	r.authentihash_sha1 = (unsigned char (*)[20])f[B].ah1;
	r.n_authentihash_sha1 = 1;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio-new.sys");
	lg_match_result_clear(&res);

	/* An unsigned file of odd size: the padded value (Windows, lastgood pe)
	 * and the unpadded one (pesign -h, VirusTotal) both name it. */
	unsigned char (*pair[2])[32] = { (unsigned char (*)[32])f[D].ah256, (unsigned char (*)[32])f[D].ah256u };
	for (int k = 0; k < 2; k++) {
		r = rule("odd", "drv/*.sys");
		r.authentihash_sha256 = pair[k];
		r.n_authentihash_sha256 = 1;
		CHECK_INT(run(&t, &r, 1, 0, &res), 0);
		CHECK_STR(paths(&res), "drv/odd.sys");
		lg_match_result_clear(&res);
	}
	/* A signed file: its certificate table is not hashed. */
	r = rule("signed", "drv/*.sys");
	r.authentihash_sha256 = (unsigned char (*)[32])f[S].ah256;
	r.n_authentihash_sha256 = 1;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/signed.sys");
	lg_match_result_clear(&res);

	/* original_filename: any case, spaces around trimmed; with a version
	 * range from VS_FIXEDFILEINFO (not the FileVersion text). */
	r = rule("name", "**");
	r.original_filename = "acmeio.SYS";
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio-new.sys|drv/acmeio.sys|other/renamed.bin");
	CHECK_INT(res.stats.files_authentihashed, 0);
	lg_match_result_clear(&res);
	r.has_file_version = true;
	r.file_version_min = LG_FILE_VERSION(3, 0, 0, 0);
	r.file_version_max = LG_FILE_VERSION(3, 1, 65535, 65535);
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio.sys|other/renamed.bin");
	lg_match_result_clear(&res);
	r.file_version_min = r.file_version_max = LG_FILE_VERSION(3, 2, 0, 0);
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio-new.sys");
	lg_match_result_clear(&res);
	r = rule("trimmed", "drv/*");
	r.original_filename = "ODD.sys";
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/odd.sys");
	lg_match_result_clear(&res);

	/* company, non-ASCII folded by NTFS's upcase table. */
	r = rule("co", "drv/*");
	r.company = "acme corp";
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio-new.sys|drv/acmeio.sys|drv/odd.sys");
	lg_match_result_clear(&res);
	r.company = "\xc3\xa9LAN sa";
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/signed.sys");
	lg_match_result_clear(&res);

	/* A version condition needs a version resource. */
	r = rule("ver", "drv/*");
	r.has_file_version = true;
	r.file_version_min = 0;
	r.file_version_max = LG_FILE_VERSION(65535, 65535, 65535, 65535);
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio-new.sys|drv/acmeio.sys|drv/odd.sys|drv/signed.sys");
	lg_match_result_clear(&res);

	/* Cheaper conditions first: a name that no file has means no
	 * Authenticode hash is computed; a size that excludes everything
	 * means not even the PE parser runs. */
	r = rule("cheap", "**");
	r.original_filename = "nothere.sys";
	r.authentihash_sha256 = (unsigned char (*)[32])f[A].ah256;
	r.n_authentihash_sha256 = 1;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_INT(res.n_matches, 0);
	CHECK_INT(res.stats.pe_parsed, 6);
	CHECK_INT(res.stats.files_authentihashed, 0);
	lg_match_result_clear(&res);
	r.has_size = true;
	r.size_min = r.size_max = 1;
	CHECK_INT(run(&t, &r, 1, 0, &res), 0);
	CHECK_INT(res.stats.pe_parsed, 0);
	CHECK_INT(res.stats.bytes_read, 0);
	lg_match_result_clear(&res);

	/* One read per file for SHA-256 and PE conditions together, and for
	 * several rules; the hash of the report comes from the same bytes. */
	struct lg_rule two[3] = { rule("sha", "drv/acmeio.sys"), rule("pe", "DRV/ACMEIO.SYS"),
				  rule("name", "drv/*.sys") };
	two[0].sha256 = (unsigned char (*)[32])f[A].sha;
	two[0].n_sha256 = 1;
	two[1].authentihash_sha256 = (unsigned char (*)[32])f[A].ah256;
	two[1].n_authentihash_sha256 = 1;
	two[1].authentihash_sha1 = (unsigned char (*)[20])f[A].ah1;
	two[1].n_authentihash_sha1 = 1;
	two[2].original_filename = "AcmeIO.sys";
	two[2].sha256 = (unsigned char (*)[32])f[A].sha;
	two[2].n_sha256 = 1;
	CHECK_INT(run(&t, two, 3, LG_MATCH_HASH_MATCHES, &res), 0);
	CHECK_STR(paths(&res), "drv/acmeio.sys");
	if (res.n_matches == 1) {
		CHECK_INT(res.matches[0].rule_index, 0);
		CHECK_INT(res.matches[0].n_other_rules, 2);
		CHECK(res.matches[0].has_sha256);
		CHECK_MEM(res.matches[0].sha256, f[A].sha, 32);
	}
	/* Each PE driver once in full (for the name), acmeio.sys too although
	 * three rules look at it; the non-PE ones only their first 4 KiB.
	 * SHA-256 only where the name matched (acmeio-new.sys, and acmeio.sys
	 * once for two rules); one Authenticode hash. */
	CHECK_INT(res.stats.bytes_read, pe_bytes + 3 * 4096);
	CHECK_INT(res.stats.files_hashed, 2);
	CHECK_INT(res.stats.files_authentihashed, 1);
	lg_match_result_clear(&res);

	for (int i = 0; i < N; i++)
		free(f[i].data);
	tv_done(&t);
}

/* ---------------------------------------------------------------- measurement */

static double ms(const struct timespec *a, const struct timespec *b)
{
	return ((double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec)) / 1e6;
}

/* Build a volume of about n files at path (a Windows-like spread: half
 * in WinSxS-like trees, a big System32, a DriverStore, a drivers
 * directory, user profiles; two CrowdStrike channel files). */
static int big_build(long n, const char *path)
{
	struct tv t;
	tv_make(&t, (uint64_t)n * 4096 + (256u << 20));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	char p[160];
	for (long i = 0; i < n; i++) {
		long k = i % 10;
		if (k < 5)
			snprintf(p, sizeof(p), "Windows/WinSxS/amd64_pkg%04ld/f%ld.dll", i % 2000, i);
		else if (k < 7)
			snprintf(p, sizeof(p), "Windows/System32/f%ld.dll", i);
		else if (k < 9)
			snprintf(p, sizeof(p), "Windows/System32/DriverStore/FileRepository/d%04ld.inf_amd64/f%ld.sys",
				 i % 1000, i);
		else if (i % 100 == 9)
			snprintf(p, sizeof(p), "Windows/System32/drivers/d%ld.sys", i);
		else
			snprintf(p, sizeof(p), "Users/u%ld/AppData/f%ld.txt", i % 100, i);
		ntfs_inode *ni = t_add(&t, p, S_IFREG);
		t_write(ni, p, strlen(p));
		ntfs_inode_close(ni);
	}
	unsigned char bad[4096] = { 0 };
	memcpy(bad, CS_HDR, 8);
	t_file(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys", bad, sizeof(bad), T_0409);
	t_file(&t, "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000033.sys", bad, sizeof(bad), T_0527);
	CHECK_INT(lg_volume_close(t.v), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rename(t.path, path) < 0) {
		perror(path);
		unlink(t.path);
		return 1;
	}
	printf("built %ld files in %.1f s: %s (%" PRIu64 " bytes)\n", n, ms(&a, &b) / 1000, path, t.size);
	return t_failures ? 1 : 0;
}

/* What drivers-anchored scans of a volume cost, in this fresh process:
 * each glob first with the image's pages dropped from the page cache (as
 * after a boot), then again warm. Times are wall clock. */
static int big_measure(const char *path)
{
	struct tv t;
	struct stat st;
	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	snprintf(t.path, sizeof(t.path), "%s", path);
	t.size = (uint64_t)st.st_size;
	const char *globs[] = { "Windows/System32/drivers/CrowdStrike/C-00000291*.sys",
				"Windows/System32/drivers/*.sys", "**/C-00000291*.sys" };
	for (size_t g = 0; g < ARRAY_SIZE(globs); g++)
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 0) {
				int fd = open(t.path, O_RDONLY);
				if (fd >= 0) {
					posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
					close(fd);
				}
			}
			struct timespec a, o, c, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			tv_open(&t, false);
			clock_gettime(CLOCK_MONOTONIC, &o);
			/* The CrowdStrike rule's conditions on every glob. */
			struct lg_rule r = rule("r", globs[g]);
			r.header = (unsigned char *)CS_HDR;
			r.header_len = 8;
			r.has_modified_after = r.has_modified_before = true;
			r.modified_after = T_0409;
			r.modified_before = T_0527;
			struct lg_match_result res = { 0 };
			int e = run(&t, &r, 1, LG_MATCH_HASH_MATCHES, &res);
			clock_gettime(CLOCK_MONOTONIC, &c);
			lg_volume_close(t.v);
			clock_gettime(CLOCK_MONOTONIC, &b);
			printf("%s %s: rc %d, %zu matches; open %.2f ms, match %.2f ms (walk %.2f + eval %.2f), "
			       "close %.2f ms\n  %" PRIu64 " dirs listed, %" PRIu64 " lookups, %" PRIu64
			       " index blocks, %" PRIu64 " index entries, %" PRIu64 " MFT records, %" PRIu64
			       " files evaluated, %" PRIu64 " bytes read, %" PRIu64 " hashed\n",
			       pass ? "warm" : "cold", globs[g], e, res.n_matches, ms(&a, &o), ms(&o, &c),
			       (double)res.stats.walk_ns / 1e6, (double)res.stats.eval_ns / 1e6, ms(&c, &b),
			       res.stats.dirs_listed, res.stats.index_lookups, res.stats.index_blocks_read,
			       res.stats.index_entries, res.stats.records_opened, res.stats.files_evaluated,
			       res.stats.bytes_read, res.stats.bytes_hashed);
			lg_match_result_clear(&res);
		}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "build"))
		return big_build(atol(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "measure"))
		return big_measure(argv[2]);
	RUN(test_globs_on_volume);
	RUN(test_size);
	RUN(test_sha256_list);
	RUN(test_header);
	RUN(test_modified_boundaries);
	RUN(test_si_not_fn);
	RUN(test_several_rules);
	RUN(test_read_once);
	RUN(test_pruning);
	RUN(test_many_rules);
	RUN(test_damaged_index);
	RUN(test_directory_target);
	RUN(test_reparse);
	RUN(test_grouped_rules);
	RUN(test_hidden_and_dos_names);
	RUN(test_own_folder);
	RUN(test_bad_rules);
	RUN(test_pe_conditions);
	return t_done();
}
