// SPDX-License-Identifier: GPL-2.0-or-later
/* The small shared helpers of recovery/lib/: little-endian access, GUIDs,
 * UTF-16, file versions, command-line times, and the trust directory. */
#include "test.h"
#include "formats/denylist.h"
#include "lib/file_version.h"
#include "lib/guid.h"
#include "lib/le.h"
#include "lib/rfc3339.h"
#include "lib/utf16.h"

static void test_le(void)
{
	const unsigned char b[9] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88, 0xff };
	CHECK_INT(lg_le16(b), 0x0201);
	CHECK_INT(lg_le32(b), 0x04030201);
	CHECK(lg_le64(b) == 0x8807060504030201ULL);
	/* Unaligned, top bits set: no sign extension. */
	const unsigned char ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	CHECK_INT(lg_le16(ff + 1), 0xffff);
	CHECK(lg_le32(ff + 1) == 0xffffffffu);
	CHECK(lg_le64(ff) == UINT64_MAX);

	unsigned char o[8];
	lg_put_le16(o, 0xbeef);
	CHECK_MEM(o, "\xef\xbe", 2);
	lg_put_le32(o, 0xdeadbeef);
	CHECK_MEM(o, "\xef\xbe\xad\xde", 4);
	lg_put_le64(o, 0x0123456789abcdefULL);
	CHECK_MEM(o, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8);
	CHECK(lg_le64(o) == 0x0123456789abcdefULL);
}

static void test_guid(void)
{
	unsigned char g[16];
	char s[37], kid[9];
	CHECK_INT(lg_guid_parse("{64311DEA-4587-4029-924A-BA299647998E}", 38, g), 0);
	/* The first three fields are stored little-endian. */
	CHECK_MEM(g, "\xea\x1d\x31\x64\x87\x45\x29\x40\x92\x4a\xba\x29\x96\x47\x99\x8e", 16);
	lg_guid_format(g, s);
	CHECK_STR(s, "64311dea-4587-4029-924a-ba299647998e");
	lg_guid_recovery_key_id(g, kid);
	CHECK_STR(kid, "64311DEA");
	CHECK_INT(lg_guid_parse(s, 36, g), 0);

	static const char *const bad[] = {
		"64311dea-4587-4029-924a-ba299647998",    /* short */
		"64311dea-4587-4029-924a-ba299647998e0",  /* long */
		"64311dea+4587-4029-924a-ba299647998e",   /* separator */
		"64311dea-4587-4029-924a-ba299647998g",   /* not hex */
		"64311dea-4587-4029-924-aba299647998e",   /* dash moved */
		"{64311dea-4587-4029-924a-ba299647998e",  /* one brace */
		"{}",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(lg_guid_parse(bad[i], strlen(bad[i]), g), -EINVAL);
	/* The length is the caller's: a NUL inside it is a bad character. */
	CHECK_INT(lg_guid_parse("64311dea-4587-4029-924a-ba299647998\0", 36, g), -EINVAL);
}

/* UTF-16LE bytes of the given code units. */
static size_t u16(unsigned char *out, const uint16_t *units, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lg_put_le16(out + 2 * i, units[i]);
	return n;
}

static void test_utf16_to_utf8(void)
{
	unsigned char b[64];
	char out[64];
	bool lossy = false, cut = false;

	/* A, e-acute, euro, U+1F600 (a pair). */
	size_t n = u16(b, (const uint16_t[]){ 'A', 0xe9, 0x20ac, 0xd83d, 0xde00 }, 5);
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, sizeof(out), &lossy, &cut), 10);
	CHECK_STR(out, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CHECK(!lossy && !cut);

	/* Unpaired surrogates: a high one at the end, a high one before a
	 * non-surrogate, a lone low one. Each is U+FFFD; nothing is eaten. */
	n = u16(b, (const uint16_t[]){ 'x', 0xd800 }, 2);
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, sizeof(out), &lossy, NULL), 4);
	CHECK_STR(out, "x\xef\xbf\xbd");
	CHECK(lossy);
	lossy = false;
	n = u16(b, (const uint16_t[]){ 0xdbff, 'y', 0xdc00, 0xdc00, 0xd800 }, 5);
	lg_utf16_to_utf8_buf(b, n, 0, out, sizeof(out), &lossy, NULL);
	CHECK_STR(out, "\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(lossy);
	/* Two high surrogates then a low one: the second pairs. */
	n = u16(b, (const uint16_t[]){ 0xd83d, 0xd83d, 0xde00 }, 3);
	lg_utf16_to_utf8_buf(b, n, 0, out, sizeof(out), NULL, NULL);
	CHECK_STR(out, "\xef\xbf\xbd\xf0\x9f\x98\x80");

	/* NUL: kept as a byte unless told to stop there. */
	n = u16(b, (const uint16_t[]){ 'a', 0, 'b' }, 3);
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, sizeof(out), NULL, NULL), 3);
	CHECK_MEM(out, "a\0b", 4);
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, LG_UTF16_STOP_NUL, out, sizeof(out), NULL, NULL), 1);
	CHECK_STR(out, "a");

	/* Controls (ESC, DEL, C1 NEL) for a screen; printable text kept. */
	n = u16(b, (const uint16_t[]){ 0x1b, '[', '2', 'J', 0x7f, 0x85, 0xa0 }, 7);
	lg_utf16_to_utf8_buf(b, n, LG_UTF16_NO_CONTROL, out, sizeof(out), NULL, NULL);
	CHECK_STR(out, "?[2J??\xc2\xa0");

	/* ASCII only: each non-ASCII unit is one '?', a pair two. */
	n = u16(b, (const uint16_t[]){ 'k', 0xe9, 0xd83d, 0xde00, 0xdc00, 0 }, 6);
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, LG_UTF16_ASCII, out, sizeof(out), &lossy, NULL), 6);
	CHECK_MEM(out, "k????\0", 7);

	/* Cut at a character boundary, never in the middle of one. */
	n = u16(b, (const uint16_t[]){ 'a', 0x20ac, 'b' }, 3);
	cut = false;
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, 4, NULL, &cut), 1);
	CHECK_STR(out, "a");
	CHECK(cut);
	cut = false;
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, 6, NULL, &cut), 5);
	CHECK(!cut);
	n = u16(b, (const uint16_t[]){ 0xd83d, 0xde00 }, 2);
	cut = false;
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, 4, NULL, &cut), 0);
	CHECK_STR(out, "");
	CHECK(cut);
	out[0] = 'z';
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, 1, NULL, NULL), 0);
	CHECK_INT(out[0], 0);
	/* cap 0: nothing written at all. */
	out[0] = 'z';
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, 0, NULL, NULL), 0);
	CHECK_INT(out[0], 'z');
	/* Nothing in: the empty string. */
	CHECK_INT(lg_utf16_to_utf8_buf(b, 0, 0, out, sizeof(out), NULL, NULL), 0);
	CHECK_STR(out, "");

	/* The worst case, 3 bytes per unit, fits 3n + 1 exactly. */
	n = u16(b, (const uint16_t[]){ 0xffff, 0xdc00, 0x800 }, 3);
	cut = false;
	CHECK_INT(lg_utf16_to_utf8_buf(b, n, 0, out, 3 * n + 1, NULL, &cut), 9);
	CHECK(!cut);

	/* Odd byte counts: the caller passes bytes / 2 units; the dangling
	 * byte is never read. Unaligned input is fine. */
	unsigned char odd[6] = { 0, 'h', 0, 'i', 0, 'Z' };
	size_t len = 0;
	char *d = lg_utf16_to_utf8_dup(odd + 1, 5 / 2, 0, &len);
	CHECK(d != NULL);
	CHECK_STR(d, "hi");
	CHECK_INT(len, 2);
	free(d);
	/* Absurd lengths do not overflow 3n + 1. */
	CHECK(lg_utf16_to_utf8_dup(b, SIZE_MAX / 2, 0, NULL) == NULL);
	CHECK(lg_utf16_to_utf8_dup(b, SIZE_MAX / 3 + 1, 0, NULL) == NULL);
	d = lg_utf16_to_utf8_dup(b, 0, 0, &len);
	CHECK(d && !d[0] && len == 0);
	free(d);

	/* The NTFS-name form. */
	uint16_t name[3];
	CHECK_INT(lg_utf8_to_utf16("\xc3\xa9\xf0\x9f\x98\x80", 6, name, 3), 3);
	lossy = false;
	CHECK_INT(lg_utf16_to_utf8(name, 3, out, &lossy), 6);
	CHECK_STR(out, "\xc3\xa9\xf0\x9f\x98\x80");
	CHECK(!lossy);
	CHECK_INT(lg_utf16_to_utf8(name, 2, out, &lossy), 5);
	CHECK(lossy);
}

static void test_utf8_to_utf16(void)
{
	uint16_t u[8];
	CHECK_INT(lg_utf8_to_utf16("ab", 2, u, 8), 2);
	CHECK_MEM(u, "a\0b\0", 4);
	CHECK_INT(lg_utf8_to_utf16("\xf4\x8f\xbf\xbf", 4, u, 8), 2); /* U+10FFFF */
	CHECK_MEM(u, "\xff\xdb\xff\xdf", 4);
	static const char *const bad[] = {
		"\xc0\x80",         /* overlong NUL */
		"\xe0\x80\xaf",     /* overlong '/' */
		"\xed\xa0\x80",     /* an encoded surrogate */
		"\xf4\x90\x80\x80", /* beyond U+10FFFF */
		"\xe2\x82",         /* cut short */
		"\x80",             /* a lone continuation byte */
		"\xe2\x28\xa1",     /* a bad continuation byte */
		"\xff",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(lg_utf8_to_utf16(bad[i], strlen(bad[i]), u, 8), -EILSEQ);
	/* Room: a pair needs two units, never half of one. */
	CHECK_INT(lg_utf8_to_utf16("abc", 3, u, 2), -ENAMETOOLONG);
	CHECK_INT(lg_utf8_to_utf16("a\xf0\x9f\x98\x80", 5, u, 2), -ENAMETOOLONG);
	CHECK_INT(lg_utf8_to_utf16("", 0, u, 0), 0);
}

static void test_file_version(void)
{
	uint64_t v = 0;
	CHECK_INT(lg_file_version_parse("10.0.19041.1", &v), 0);
	CHECK(v == LG_FILE_VERSION(10, 0, 19041, 1));
	CHECK_INT(lg_file_version_parse("65535.65535.65535.65535", &v), 0);
	CHECK(v == UINT64_MAX);
	static const char *const strict_bad[] = {
		"1.2.3", "1.2.3.4.", "1,2,3,4", " 1.2.3.4", "1.2.3.4 ", "1. 2.3.4", "65536.0.0.0",
		"000001.0.0.0", "99999999999999999999999.0.0.0", "-1.0.0.0", "", "1..2.3",
	};
	for (size_t i = 0; i < ARRAY_SIZE(strict_bad); i++)
		CHECK_INT(lg_file_version_parse(strict_bad[i], &v), -EINVAL);

	CHECK_INT(lg_file_version_parse_loose("1, 0, 0, 1", &v), 0);
	CHECK(v == LG_FILE_VERSION(1, 0, 0, 1));
	CHECK_INT(lg_file_version_parse_loose("\t 10.0.19041.1 (WinBuild.160101.0800)", &v), 0);
	CHECK(v == LG_FILE_VERSION(10, 0, 19041, 1));
	CHECK_INT(lg_file_version_parse_loose("6.3.9600.17415(winblue_r4.141028-1500)", &v), 0);
	CHECK(v == LG_FILE_VERSION(6, 3, 9600, 17415));
	static const char *const loose_bad[] = {
		"1, 0, 0", "1.2.3.4x", "1;2;3;4", "1.2.3.65536", "1.2.3.123456", "", "(1.2.3.4)", "1.2.3.4,5",
	};
	for (size_t i = 0; i < ARRAY_SIZE(loose_bad); i++)
		CHECK_INT(lg_file_version_parse_loose(loose_bad[i], &v), -EINVAL);

	char s[LG_FILE_VERSION_LEN];
	lg_file_version_format(UINT64_MAX, s);
	CHECK_STR(s, "65535.65535.65535.65535");
}

static void test_time_arg(void)
{
	int64_t t = 1;
	CHECK_INT(lg_rfc3339_parse_arg("@0", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(lg_rfc3339_parse_arg("@-11644473601", &t), 0);
	CHECK_INT(t, -11644473601LL);
	CHECK_INT(lg_rfc3339_parse_arg("2024-07-19T04:09:00Z", &t), 0);
	CHECK_INT(t, 1721362140);
	/* What lg_rfc3339_format prints parses back. */
	char s[LG_RFC3339_LEN];
	lg_rfc3339_format(253402300800LL, s);
	CHECK_INT(lg_rfc3339_parse_arg(s, &t), 0);
	CHECK_INT(t, 253402300800LL);
	t = 7;
	static const char *const bad[] = {
		"@", "@12x", "@12 ", "@99999999999999999999", "@-99999999999999999999",
		"2024-07-19", "2024-07-19T04:09:00+02:00", "", "now",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(lg_rfc3339_parse_arg(bad[i], &t), -EINVAL);
	CHECK_INT(t, 7);
}

static void test_trust_dir(void)
{
	unsetenv("LASTGOOD_TRUST_DIR");
	CHECK_STR(lg_trust_dir(), LG_TRUST_DIR_DEFAULT);
	setenv("LASTGOOD_TRUST_DIR", "", 1);
	CHECK_STR(lg_trust_dir(), LG_TRUST_DIR_DEFAULT);
	setenv("LASTGOOD_TRUST_DIR", "/tmp/keys", 1);
	CHECK_STR(lg_trust_dir(), "/tmp/keys");
	unsetenv("LASTGOOD_TRUST_DIR");
}

int main(void)
{
	RUN(test_le);
	RUN(test_guid);
	RUN(test_utf16_to_utf8);
	RUN(test_utf8_to_utf16);
	RUN(test_file_version);
	RUN(test_time_arg);
	RUN(test_trust_dir);
	return t_done();
}
