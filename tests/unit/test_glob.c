// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Globs: parsing, every form, and NTFS case folding through a real $UpCase
 * table (from a volume that mkntfs made), including what NTFS does NOT
 * fold.
 */
#include "test.h"
#include "formats/glob.h"
#include "storage/volume.h"

#include <sys/wait.h>

static ntfschar *uc;
static u32 uc_len;

/* A fresh NTFS volume's $UpCase table, copied out. */
static void load_upcase(void)
{
	char path[] = "/tmp/test-glob-vol-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		T_SKIP("mkstemp: %s", strerror(errno));
	close(fd);
	if (truncate(path, 8 << 20) < 0)
		T_SKIP("truncate: %s", strerror(errno));
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "mkntfs -F -Q -q %s >/dev/null 2>&1", path);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		unlink(path);
		T_SKIP("mkntfs is not installed");
	}
	if (WEXITSTATUS(st) != 0) {
		unlink(path);
		fprintf(stderr, "mkntfs failed (%d)\n", WEXITSTATUS(st));
		exit(1);
	}
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	int r = lg_volume_open(path, 0, 8 << 20, 0, &v, &err);
	if (r < 0) {
		unlink(path);
		fprintf(stderr, "open: %s\n", err.msg);
		exit(1);
	}
	uc_len = v->vol->upcase_len;
	uc = malloc(uc_len * sizeof(ntfschar));
	memcpy(uc, v->vol->upcase, uc_len * sizeof(ntfschar));
	lg_volume_close(v);
	unlink(path);
}

/* Match a whole path; -99 when the glob does not compile. */
static int m(const char *glob, const char *path)
{
	struct lg_glob *g = NULL;
	struct lg_err err = { "" };
	if (lg_glob_compile(glob, &g, &err) < 0) {
		fprintf(stderr, "compile \"%s\": %s\n", glob, err.msg);
		return -99;
	}
	int r = lg_glob_match_path(g, path, uc, uc_len);
	lg_glob_free(g);
	return r;
}

/* Compile must fail, with a message containing `why`. */
static void refused(const char *glob, const char *why)
{
	struct lg_glob *g = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_glob_compile(glob, &g, &err), -EINVAL);
	CHECK(g == NULL);
	CHECK_CONTAINS(err.msg, why);
}

static void test_compile_forms(void)
{
	struct lg_glob *g = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_glob_compile("Windows/System32/drivers/CrowdStrike/C-00000291*.sys", &g, &err), 0);
	CHECK_INT(g->n, 5);
	CHECK_INT(g->n_literal_prefix, 4);
	CHECK_INT(g->comps[0].kind, LG_GLOB_LITERAL);
	CHECK_INT(g->comps[0].len, 7);
	CHECK_INT(g->comps[4].kind, LG_GLOB_WILD);
	lg_glob_free(g);

	CHECK_INT(lg_glob_compile("**/**/a/?/**", &g, &err), 0);
	CHECK_INT(g->n, 4); /* "**" twice in a row merged */
	CHECK_INT(g->comps[0].kind, LG_GLOB_ANY_DEPTH);
	CHECK_INT(g->comps[1].kind, LG_GLOB_LITERAL);
	CHECK_INT(g->comps[2].kind, LG_GLOB_WILD);
	CHECK_INT(g->comps[3].kind, LG_GLOB_ANY_DEPTH);
	CHECK_INT(g->n_literal_prefix, 0);
	lg_glob_free(g);

	/* A 4-byte UTF-8 character is two UTF-16 code units. */
	CHECK_INT(lg_glob_compile("\xF0\x9F\x98\x80.sys", &g, &err), 0);
	CHECK_INT(g->comps[0].len, 6);
	lg_glob_free(g);
	lg_glob_free(NULL);
}

static void test_compile_refused(void)
{
	refused("", "empty path");
	refused("/Windows", "empty component");
	refused("Windows/", "empty component");
	refused("Windows//System32", "empty component");
	refused("Windows/../x", "'..'");
	refused("./x", "'.'");
	refused("C:/Windows", "':'");
	refused("Windows/x.sys:stream", "':'");
	refused("Windows\\x.sys", "'\\'");
	refused("a/b\tc", "control character");
	refused("a/b|c", "not allowed");
	refused("a/x**", "'**' must be a whole component");
	refused("a/**x", "'**' must be a whole component");
	refused("a/***", "'**' must be a whole component");
	refused("a/\xC3\x28", "invalid UTF-8");
	refused("\xC0\xAF", "invalid UTF-8");         /* overlong '/' */
	refused("\xED\xA0\x80", "invalid UTF-8");     /* encoded surrogate */
	refused("\xF4\x90\x80\x80", "invalid UTF-8"); /* beyond U+10FFFF */
	char longc[300];
	memset(longc, 'a', 256);
	longc[256] = 0;
	refused(longc, "longer than 255");
	memset(longc, 'a', 255);
	longc[255] = 0;
	CHECK_INT(m(longc, longc), 1);
	char deep[129 * 2 + 1];
	for (int i = 0; i < 129; i++) {
		deep[2 * i] = 'a';
		deep[2 * i + 1] = '/';
	}
	deep[129 * 2 - 1] = 0;
	refused(deep, "more than 128 components");
	char *big = malloc(5000);
	memset(big, 'a', 4999);
	big[4999] = 0;
	refused(big, "longer than 4096 bytes");
	free(big);
	/* The error names the component. */
	refused("a/b/../c", "component 3");
}

static void test_literal(void)
{
	CHECK_INT(m("Windows/System32/drivers/foo.sys", "Windows/System32/drivers/foo.sys"), 1);
	CHECK_INT(m("windows/SYSTEM32/Drivers/FOO.SYS", "Windows/System32/drivers/foo.sys"), 1);
	CHECK_INT(m("Windows/System32/drivers/foo.sys", "Windows/System32/drivers/foo.sy"), 0);
	CHECK_INT(m("Windows/System32/drivers/foo.sys", "Windows/System32/drivers/foo.sys2"), 0);
	CHECK_INT(m("Windows/System32/drivers/foo.sys", "Windows/System32/foo.sys"), 0);
	CHECK_INT(m("Windows/System32/drivers/foo.sys", "Windows/System32/drivers/foo.sys/x"), 0);
	CHECK_INT(m("drivers/foo.sys", "Windows/System32/drivers/foo.sys"), 0); /* anchored at the root */
	/* Dots and spaces are ordinary characters. */
	CHECK_INT(m("Program Files/My App/read me.txt", "Program Files/My App/read me.txt"), 1);
	CHECK_INT(m("Program Files/My App/read me.txt", "Program Files/My App/readme.txt"), 0);
	CHECK_INT(m("a/v1.2.3.sys", "a/v1.2.3.sys"), 1);
	CHECK_INT(m("a/trailing.", "a/trailing"), 0);
	CHECK_INT(m("a/trailing ", "a/trailing"), 0);
	CHECK_INT(m("a/.hidden", "a/.hidden"), 1);
}

static void test_star_question(void)
{
	const char *g = "Windows/System32/drivers/CrowdStrike/C-00000291*.sys";
	CHECK_INT(m(g, "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys"), 1);
	CHECK_INT(m(g, "Windows/System32/drivers/CrowdStrike/c-00000291.SYS"), 1); /* '*' matches nothing */
	CHECK_INT(m(g, "Windows/System32/drivers/CrowdStrike/C-00000290-00000000-00000032.sys"), 0);
	CHECK_INT(m(g, "Windows/System32/drivers/CrowdStrike/C-00000291-1.sys.bak"), 0);
	/* '*' stays inside one component. */
	CHECK_INT(m("Windows/*/foo.sys", "Windows/System32/foo.sys"), 1);
	CHECK_INT(m("Windows/*/foo.sys", "Windows/System32/drivers/foo.sys"), 0);
	CHECK_INT(m("Windows/*", "Windows/System32/drivers"), 0);
	CHECK_INT(m("*", "anything at root"), 1);
	CHECK_INT(m("*", "a/b"), 0);
	CHECK_INT(m("*.sys", "a.sys"), 1);
	CHECK_INT(m("*.sys", ".sys"), 1);
	CHECK_INT(m("*.*", "noext"), 0); /* not DOS: no dot, no match */
	CHECK_INT(m("a*b*c", "aXXbYYc"), 1);
	CHECK_INT(m("a*b*c", "abc"), 1);
	CHECK_INT(m("a*b*c", "acb"), 0);
	CHECK_INT(m("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	/* '?' is exactly one character. */
	CHECK_INT(m("fo?.sys", "foo.sys"), 1);
	CHECK_INT(m("fo?.sys", "fo.sys"), 0);
	CHECK_INT(m("fo?.sys", "fooo.sys"), 0);
	CHECK_INT(m("???", "abc"), 1);
	CHECK_INT(m("?*", ""), -EINVAL); /* an empty path is not a path */
	CHECK_INT(m("C-0000029?-*.sys", "C-00000291-x.sys"), 1);
	CHECK_INT(m("C-0000029?-*.sys", "C-0000029-x.sys"), 0);
	/* A character outside the BMP is one character for '?'. */
	CHECK_INT(m("?.sys", "\xF0\x9F\x98\x80.sys"), 1);
	CHECK_INT(m("??.sys", "\xF0\x9F\x98\x80.sys"), 0);
	CHECK_INT(m("*\xF0\x9F\x98\x80*", "a\xF0\x9F\x98\x80" "b"), 1);
}

static void test_any_depth(void)
{
	/* Leading: zero or more components. */
	CHECK_INT(m("**/foo.sys", "foo.sys"), 1);
	CHECK_INT(m("**/foo.sys", "a/foo.sys"), 1);
	CHECK_INT(m("**/foo.sys", "a/b/c/d/FOO.SYS"), 1);
	CHECK_INT(m("**/foo.sys", "a/b/foo.sys.old"), 0);
	CHECK_INT(m("**/foo.sys", "a/foo.sys/b"), 0);
	/* Middle. */
	CHECK_INT(m("Windows/**/foo.sys", "Windows/foo.sys"), 1);
	CHECK_INT(m("Windows/**/foo.sys", "Windows/System32/DriverStore/FileRepository/x_1/foo.sys"), 1);
	CHECK_INT(m("Windows/**/foo.sys", "Program Files/Windows/foo.sys"), 0);
	CHECK_INT(m("Windows/**/drivers/*.sys", "Windows/System32/drivers/a.sys"), 1);
	CHECK_INT(m("Windows/**/drivers/*.sys", "Windows/drivers/a.sys"), 1);
	CHECK_INT(m("Windows/**/drivers/*.sys", "Windows/System32/drivers/x/a.sys"), 0);
	CHECK_INT(m("a/**/b/**/c", "a/b/c"), 1);
	CHECK_INT(m("a/**/b/**/c", "a/x/b/y/z/c"), 1);
	CHECK_INT(m("a/**/b/**/c", "a/x/y/z/c"), 0);
	/* Trailing: everything below, not the directory itself. */
	CHECK_INT(m("Windows/**", "Windows/a"), 1);
	CHECK_INT(m("Windows/**", "Windows/a/b/c"), 1);
	CHECK_INT(m("Windows/**", "Windows"), 0);
	CHECK_INT(m("Windows/**", "Windowsx/a"), 0);
	/* Alone: every file. */
	CHECK_INT(m("**", "a"), 1);
	CHECK_INT(m("**", "a/b/c"), 1);
	/* Merged "**". */
	CHECK_INT(m("**/**/foo", "foo"), 1);
	CHECK_INT(m("**/*/foo", "foo"), 0);
	CHECK_INT(m("**/*/foo", "x/foo"), 1);
}

static void test_case_folding_ntfs(void)
{
	CHECK(uc_len > 0x212a);
	/* Latin-1 and beyond: what Windows upcases. */
	CHECK_INT(m("\xC3\x89lan.sys", "\xC3\xA9LAN.SYS"), 1);                 /* É / é */
	CHECK_INT(m("\xC3\xBF", "\xC5\xB8"), 1);                               /* ÿ / Ÿ (U+0178) */
	CHECK_INT(m("\xD0\xB4\xD1\x80\xD0\xB0\xD0\xB9\xD0\xB2\xD0\xB5\xD1\x80.sys",
		    "\xD0\x94\xD0\xA0\xD0\x90\xD0\x99\xD0\x92\xD0\x95\xD0\xA0.SYS"), 1); /* драйвер / ДРАЙВЕР */
	CHECK_INT(m("\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF",
		    "\xCE\xA3\xCE\x8A\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F"), 1);         /* σίσυφο / ΣΊΣΥΦΟ */
	/* Final sigma: Windows versions disagree; the volume's table decides. */
	CHECK_INT(m("\xCF\x82", "\xCE\xA3"), le16_to_cpu(uc[0x3c2]) == 0x3a3);
	CHECK_INT(m("\xEF\xBD\x81", "\xEF\xBC\xA1"), 1);                       /* fullwidth ａ / Ａ */
	CHECK_INT(m("*\xC3\xA9*", "CAF\xC3\x89.txt"), 1);                       /* folding inside '*' */
	CHECK_INT(m("caf?.txt", "CAF\xC3\x89.txt"), 1);

	/* What NTFS does not fold (Unicode case folding would). */
	CHECK_INT(m("stra\xC3\x9F" "e", "STRASSE"), 0);              /* ß is not "SS" */
	CHECK_INT(m("stra\xC3\x9F" "e", "STRA\xC3\x9F" "E"), 1);     /* ß is itself */
	CHECK_INT(m("stra\xC3\x9F" "e", "STRA\xE1\xBA\x9E" "E"), 0); /* nor capital ẞ U+1E9E */
	CHECK_INT(m("\xE2\x84\xAA" "elvin", "kelvin"), 0);           /* Kelvin sign U+212A is not 'k' */
	CHECK_INT(m("\xE2\x84\xAA" "elvin", "KELVIN"), 0);
	CHECK_INT(m("\xEF\xAC\x81" "le", "FILE"), 0);                /* ligature ﬁ is not "FI" */
	CHECK_INT(m("\xC4\xB1", "I"), 0);                            /* dotless ı is not 'I' */
	CHECK_INT(m("e", "\xC3\xA9"), 0);                            /* no accent stripping */
	CHECK_INT(m("\xC3\xA9", "e\xCC\x81"), 0);                    /* no normalisation: é vs e + U+0301 */

	/* The table itself says so, code unit by code unit. */
	CHECK_INT(le16_to_cpu(uc[0xe9]), 0xc9);
	CHECK_INT(le16_to_cpu(uc[0x436]), 0x416);
	CHECK_INT(le16_to_cpu(uc[0xdf]), 0xdf);
	CHECK_INT(le16_to_cpu(uc[0x212a]), 0x212a);
	CHECK_INT(le16_to_cpu(uc['k']), 'K');
}

/* The table given is the one used: change one entry, and folding follows. */
static void test_table_decides(void)
{
	struct lg_glob *g = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_glob_compile("\xC3\xA4*.sys", &g, &err), 0); /* ä*.sys */
	CHECK_INT(lg_glob_match_path(g, "A1.sys", uc, uc_len), 0);
	CHECK_INT(lg_glob_match_path(g, "\xC3\x84" "1.sys", uc, uc_len), 1); /* Ä */
	ntfschar *mine = malloc(uc_len * sizeof(ntfschar));
	memcpy(mine, uc, uc_len * sizeof(ntfschar));
	mine[0xe4] = cpu_to_le16('A');
	CHECK_INT(lg_glob_match_path(g, "A1.sys", mine, uc_len), 1);
	CHECK_INT(lg_glob_match_path(g, "\xC3\x84" "1.sys", mine, uc_len), 0);
	/* A short table (old volumes may carry one) maps nothing beyond it. */
	CHECK_INT(lg_glob_match_path(g, "\xC3\x84" "1.sys", uc, 0x80), 0);
	free(mine);
	lg_glob_free(g);
}

static void test_collate_and_utf(void)
{
	ntfschar a[8], b[8];
	int na = lg_utf8_to_utf16("abc", 3, a, 8), nb = lg_utf8_to_utf16("ABD", 3, b, 8);
	CHECK_INT(na, 3);
	CHECK_INT(nb, 3);
	CHECK(lg_name_collate(a, 3, b, 3, uc, uc_len) < 0);
	CHECK(lg_name_collate(b, 3, a, 3, uc, uc_len) > 0);
	CHECK_INT(lg_name_collate(a, 2, b, 2, uc, uc_len), 0);
	CHECK(lg_name_collate(a, 2, b, 3, uc, uc_len) < 0);
	CHECK(lg_name_equal(a, 2, b, 2, uc, uc_len));
	CHECK(!lg_name_equal(a, 2, b, 3, uc, uc_len));
	/* Without a table only ASCII folds. */
	CHECK(lg_name_equal(a, 2, b, 2, NULL, 0));
	CHECK_INT(lg_utf8_to_utf16("abcdefghi", 9, a, 8), -ENAMETOOLONG);
	CHECK_INT(lg_utf8_to_utf16("abcdefg\xF0\x9F\x98\x80", 11, a, 8), -ENAMETOOLONG);

	/* Round trip, and an unpaired surrogate shown as U+FFFD. */
	ntfschar u[4];
	int n = lg_utf8_to_utf16("\xC3\xA9\xF0\x9F\x98\x80", 6, u, 4);
	CHECK_INT(n, 3);
	char out[3 * 4 + 1];
	bool lossy = false;
	CHECK_INT(lg_utf16_to_utf8(u, 3, out, &lossy), 6);
	CHECK_STR(out, "\xC3\xA9\xF0\x9F\x98\x80");
	CHECK(!lossy);
	u[0] = cpu_to_le16(0xdc00);
	CHECK_INT(lg_utf16_to_utf8(u, 1, out, &lossy), 3);
	CHECK_STR(out, "\xEF\xBF\xBD");
	CHECK(lossy);
}

int main(void)
{
	load_upcase();
	RUN(test_compile_forms);
	RUN(test_compile_refused);
	RUN(test_literal);
	RUN(test_star_question);
	RUN(test_any_depth);
	RUN(test_case_folding_ntfs);
	RUN(test_table_decides);
	RUN(test_collate_and_utf);
	free(uc);
	return t_done();
}
