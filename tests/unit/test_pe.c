// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lg_pe_parse, lg_pe_authentihash, lg_pe_version against PE files written
 * by tests/fixtures/mkpe.h with known content. The host test
 * tests/host/40-pe.sh checks the same code against real signed files and
 * independent tools (pesign, sbsign/sbverify, windres + ld).
 */
#include "test.h"
#include "formats/pe.h"
#include "lib/util.h"

#include "../fixtures/mkpe.h"

static struct mkpe_opts base_opts(bool pe32plus)
{
	struct mkpe_opts o = {
		.pe32plus = pe32plus,
		.n_sections = 2,
		.version = true,
		.file_version = { 6, 2, 19041, 4355 },
		.product_version = { 10, 0, 19041, 1 },
		.strings = {
			{ "CompanyName", "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale \xe2\x84\xa2" },
			{ "FileDescription", "Grinning \xf0\x9f\x98\x80 driver" },
			{ "FileVersion", "6.2.19041.4355 (WinBuild.160101.0800)" },
			{ "OriginalFilename", "CrashMe.sys" },
			{ "ProductName", "Contoso Endpoint" },
		},
		.checksum = 0x1234abcd,
	};
	return o;
}

static unsigned char *build(const struct mkpe_opts *o, size_t *len, struct mkpe_layout *lay)
{
	unsigned char *img = NULL;
	if (mkpe_build(o, &img, len, lay) != 0) {
		T_FAIL_AT("mkpe_build failed");
		exit(1);
	}
	return img;
}

static int authentihash(const unsigned char *b, size_t len, unsigned char s256[32],
			unsigned char s1[20])
{
	struct lg_pe_info info;
	struct lg_err err = { "" };
	int r = lg_pe_parse(b, len, &info, &err);
	if (r < 0) {
		fprintf(stderr, "parse: %s\n", err.msg);
		return r;
	}
	return lg_pe_authentihash(b, len, &info, s256, s1);
}

static void check_version_fields(bool pe32plus)
{
	struct mkpe_opts o = base_opts(pe32plus);
	size_t len;
	struct mkpe_layout lay;
	_cleanup_free_ unsigned char *img = build(&o, &len, &lay);
	struct lg_pe_info info;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(img, len, &info, &err), 0);
	CHECK_INT(info.pe32plus, pe32plus);
	CHECK_INT(info.machine, pe32plus ? LG_PE_MACHINE_AMD64 : LG_PE_MACHINE_I386);
	CHECK_STR(lg_pe_machine_name(info.machine), pe32plus ? "x86_64" : "i386");
	CHECK_INT(info.subsystem, 1);
	CHECK_STR(lg_pe_subsystem_name(info.subsystem), "native");
	CHECK_INT(info.n_sections, 3);
	CHECK_STR(info.sections[0].name, ".text");
	CHECK_STR(info.sections[2].name, ".rsrc");
	CHECK_INT(info.checksum, 0x1234abcd);
	CHECK_INT(info.checksum_offset, lay.checksum);
	CHECK_INT(info.cert_dir_offset, lay.cert_dir);
	CHECK_INT(info.cert_size, 0);
	CHECK_INT(info.size_of_headers, MKPE_HEADERS);

	struct lg_pe_version v;
	CHECK_INT(lg_pe_version(img, len, &info, &v, &err), 0);
	CHECK(v.has_fixed);
	CHECK_INT(v.file_version[0], 6);
	CHECK_INT(v.file_version[1], 2);
	CHECK_INT(v.file_version[2], 19041);
	CHECK_INT(v.file_version[3], 4355);
	CHECK_INT(v.product_version[0], 10);
	CHECK_INT(v.product_version[1], 0);
	CHECK_INT(v.product_version[2], 19041);
	CHECK_INT(v.product_version[3], 1);
	CHECK_INT(v.file_type, 3);
	CHECK_STR(v.str[LG_PE_STR_ORIGINAL_FILENAME], "CrashMe.sys");
	CHECK_STR(v.str[LG_PE_STR_COMPANY_NAME],
		  "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale \xe2\x84\xa2");
	CHECK_STR(v.str[LG_PE_STR_FILE_DESCRIPTION], "Grinning \xf0\x9f\x98\x80 driver");
	CHECK_STR(v.str[LG_PE_STR_FILE_VERSION], "6.2.19041.4355 (WinBuild.160101.0800)");
	CHECK_STR(v.str[LG_PE_STR_PRODUCT_NAME], "Contoso Endpoint");
	CHECK(v.has_str[LG_PE_STR_ORIGINAL_FILENAME]);
	CHECK(!v.has_str[LG_PE_STR_PRODUCT_VERSION]);
	CHECK_STR(v.str[LG_PE_STR_PRODUCT_VERSION], "");
	CHECK(!v.truncated[LG_PE_STR_COMPANY_NAME]);
}

static void test_version_pe32plus(void) { check_version_fields(true); }
static void test_version_pe32(void) { check_version_fields(false); }

/* Keys are matched without regard to case (VerQueryValue does the same);
 * with two string tables, each key comes from the first table having it. */
static void test_version_two_tables(void)
{
	struct mkpe_opts o = base_opts(true);
	memset(o.strings, 0, sizeof(o.strings));
	o.strings[0] = (struct mkpe_string){ "originalfilename", "first.sys" };
	o.strings2[0] = (struct mkpe_string){ "OriginalFilename", "second.sys" };
	o.strings2[1] = (struct mkpe_string){ "CompanyName", "Second GmbH" };
	size_t len;
	_cleanup_free_ unsigned char *img = build(&o, &len, NULL);
	struct lg_pe_info info;
	struct lg_pe_version v;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(img, len, &info, &err), 0);
	CHECK_INT(lg_pe_version(img, len, &info, &v, &err), 0);
	CHECK_STR(v.str[LG_PE_STR_ORIGINAL_FILENAME], "first.sys");
	CHECK_STR(v.str[LG_PE_STR_COMPANY_NAME], "Second GmbH");
}

static void test_version_long_string(void)
{
	/* 400 x "é" is 800 bytes of UTF-8: cut at a character boundary. */
	static char longval[801];
	for (int i = 0; i < 400; i++)
		memcpy(longval + 2 * i, "\xc3\xa9", 2);
	struct mkpe_opts o = base_opts(true);
	o.strings[0] = (struct mkpe_string){ "CompanyName", longval };
	size_t len;
	_cleanup_free_ unsigned char *img = build(&o, &len, NULL);
	struct lg_pe_info info;
	struct lg_pe_version v;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(img, len, &info, &err), 0);
	CHECK_INT(lg_pe_version(img, len, &info, &v, &err), 0);
	CHECK(v.truncated[LG_PE_STR_COMPANY_NAME]);
	size_t n = strlen(v.str[LG_PE_STR_COMPANY_NAME]);
	CHECK_INT(n, LG_PE_STR_MAX - 2);
	CHECK(strncmp(v.str[LG_PE_STR_COMPANY_NAME], longval, n) == 0);
	CHECK(!v.truncated[LG_PE_STR_ORIGINAL_FILENAME]);
}

static void test_no_version(void)
{
	struct mkpe_opts o = base_opts(true);
	o.version = false;
	size_t len;
	_cleanup_free_ unsigned char *img = build(&o, &len, NULL);
	struct lg_pe_info info;
	struct lg_pe_version v;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(img, len, &info, &err), 0);
	CHECK_INT(lg_pe_version(img, len, &info, &v, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "no resources");
	CHECK(!v.has_fixed);
}

/* The Authenticode hash leaves out CheckSum, the Certificate Table entry
 * and the table itself: signing a file must not change it. */
static void test_cert_table_excluded(void)
{
	struct mkpe_opts o = base_opts(true);
	o.trailing = 64; /* keeps the unsigned size a multiple of 8 */
	size_t ulen, slen;
	struct mkpe_layout ul, sl;
	_cleanup_free_ unsigned char *uns = build(&o, &ulen, &ul);
	o.cert_size = 1024;
	o.checksum = 0xdeadbeef;
	_cleanup_free_ unsigned char *sig = build(&o, &slen, &sl);
	CHECK_INT(slen, ulen + 1024);

	unsigned char a256[32], a1[20], b256[32], b1[20];
	CHECK_INT(authentihash(uns, ulen, a256, a1), 0);
	CHECK_INT(authentihash(sig, slen, b256, b1), 0);
	CHECK_MEM(a256, b256, 32);
	CHECK_MEM(a1, b1, 20);

	struct lg_pe_info info;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(sig, slen, &info, &err), 0);
	CHECK_INT(info.cert_offset, sl.cert);
	CHECK_INT(info.cert_size, 1024);

	/* Other bytes in the certificate table: same hash. */
	sig[sl.cert + 500] ^= 0xff;
	CHECK_INT(authentihash(sig, slen, b256, b1), 0);
	CHECK_MEM(a256, b256, 32);
	CHECK_MEM(a1, b1, 20);

	/* A longer table (what a second signature does): same hash. */
	o.cert_size = 4096;
	size_t l2;
	_cleanup_free_ unsigned char *sig2 = build(&o, &l2, NULL);
	CHECK_INT(authentihash(sig2, l2, b256, b1), 0);
	CHECK_MEM(a256, b256, 32);

	/* Only SHA-256 asked for: the same value. */
	unsigned char only[32];
	CHECK_INT(lg_pe_authentihash(sig, slen, &info, only, NULL), 0);
	CHECK_MEM(only, a256, 32);
}

/* An unsigned file whose size is not a multiple of 8 is hashed with zero
 * padding (Windows' way), which is exactly what it hashes to once a signer
 * has padded it and appended a certificate table. */
static void test_padding_unsigned(void)
{
	struct mkpe_opts o = base_opts(true);
	o.trailing = 13;
	size_t ulen, slen;
	_cleanup_free_ unsigned char *uns = build(&o, &ulen, NULL);
	o.cert_size = 128;
	_cleanup_free_ unsigned char *sig = build(&o, &slen, NULL);
	CHECK_INT(ulen % 8, 5);
	CHECK_INT(slen, ulen + 3 + 128);

	struct lg_pe_info ui, si;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(uns, ulen, &ui, &err), 0);
	CHECK_INT(lg_pe_parse(sig, slen, &si, &err), 0);
	CHECK_INT(ui.pad_bytes, 3);
	CHECK_INT(si.pad_bytes, 0);

	unsigned char u256[32], u1[20], s256[32], s1[20], n256[32], n1[20];
	CHECK_INT(lg_pe_authentihash(uns, ulen, &ui, u256, u1), 0);
	CHECK_INT(lg_pe_authentihash(sig, slen, &si, s256, s1), 0);
	CHECK_MEM(u256, s256, 32);
	CHECK_MEM(u1, s1, 20);

	/* Without the padding: a different value, the one of the bytes alone. */
	CHECK_INT(lg_pe_authentihash_unpadded(uns, ulen, &ui, n256, n1), 0);
	CHECK(memcmp(n256, u256, 32) != 0);
	CHECK(memcmp(n1, u1, 20) != 0);
	_cleanup_free_ unsigned char *padded = calloc(1, ulen + 3);
	memcpy(padded, uns, ulen);
	struct lg_pe_info pi;
	CHECK_INT(lg_pe_parse(padded, ulen + 3, &pi, &err), 0);
	CHECK_INT(pi.pad_bytes, 0);
	CHECK_INT(lg_pe_authentihash_unpadded(padded, ulen + 3, &pi, n256, n1), 0);
	CHECK_MEM(n256, u256, 32);

	/* A signed file has a single value. */
	CHECK_INT(lg_pe_authentihash_unpadded(sig, slen, &si, n256, NULL), 0);
	CHECK_MEM(n256, s256, 32);
}

static void check_changed(unsigned char *img, size_t len, size_t off, const unsigned char ref[32],
			  const char *what)
{
	unsigned char h[32], h1[20];
	img[off] ^= 0x01;
	int r = authentihash(img, len, h, h1);
	if (r != 0 || !memcmp(h, ref, 32))
		T_FAIL_AT("changing a byte of %s (offset 0x%zx) did not change the hash (r=%d)",
			  what, off, r);
	t_checks++;
	img[off] ^= 0x01;
}

static void test_hashed_bytes_matter(void)
{
	struct mkpe_opts o = base_opts(false);
	o.trailing = 24;
	o.cert_size = 256;
	size_t len;
	struct mkpe_layout l;
	_cleanup_free_ unsigned char *img = build(&o, &len, &l);
	unsigned char ref[32], ref1[20];
	CHECK_INT(authentihash(img, len, ref, ref1), 0);
	check_changed(img, len, 0x40, ref, "the DOS stub");
	check_changed(img, len, l.opt - 16, ref, "the COFF TimeDateStamp");
	check_changed(img, len, l.checksum + 4, ref, "Subsystem");
	check_changed(img, len, l.section_table + 1, ref, "a section name");
	check_changed(img, len, l.sect_off[0] + 17, ref, "the first section");
	check_changed(img, len, l.sect_off[1] + l.sect_size[1] - 1, ref, "the last byte of .rdata");
	check_changed(img, len, l.version_data + 40, ref, "the version resource");
	check_changed(img, len, l.trailing + 3, ref, "trailing data");

	/* ...and the CheckSum field does not. */
	unsigned char h[32], h1[20];
	img[l.checksum + 1] ^= 0x5a;
	CHECK_INT(authentihash(img, len, h, h1), 0);
	CHECK_MEM(h, ref, 32);
}

/* The same hash computed the other way round: for a file whose sections
 * follow each other, Authenticode is the file minus three holes. */
static void linear_hash(const unsigned char *img, size_t len, const struct mkpe_layout *l,
			size_t cert_size, unsigned char out[32])
{
	struct lg_hash h;
	if (lg_hash_init(&h, LG_HASH_SHA256) < 0)
		return;
	lg_hash_update(&h, img, l->checksum);
	lg_hash_update(&h, img + l->checksum + 4, l->cert_dir - l->checksum - 4);
	lg_hash_update(&h, img + l->cert_dir + 8, len - cert_size - l->cert_dir - 8);
	lg_hash_final(&h, out, NULL);
	lg_hash_free(&h);
}

static void test_matches_linear_formulation(void)
{
	for (int variant = 0; variant < 8; variant++) {
		struct mkpe_opts o = base_opts(variant & 1);
		o.reverse_table = variant & 2; /* section table not in file order */
		o.cert_size = variant & 4 ? 512 : 0;
		o.trailing = 40;
		o.n_sections = 5;
		o.section_size = 0x600;
		size_t len;
		struct mkpe_layout l;
		_cleanup_free_ unsigned char *img = build(&o, &len, &l);
		unsigned char ours[32], s1[20], lin[32];
		CHECK_INT(authentihash(img, len, ours, s1), 0);
		linear_hash(img, len, &l, o.cert_size, lin);
		if (memcmp(ours, lin, 32))
			T_FAIL_AT("variant %d: authentihash differs from the linear computation", variant);
		t_checks++;
	}
}

static void test_not_pe(void)
{
	struct lg_pe_info info;
	struct lg_err err = { "" };
	static const unsigned char elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	CHECK_INT(lg_pe_parse(elf, sizeof(elf), &info, &err), -ENOEXEC);
	CHECK_CONTAINS(err.msg, "not a PE file");
	CHECK_CONTAINS(err.msg, "MZ");
	CHECK_INT(lg_pe_parse((const unsigned char *)"", 0, &info, &err), -ENOEXEC);

	/* A channel file as in the July 2024 incident. */
	static const unsigned char chan[64] = { 0xaa, 0xaa, 0xaa, 0xaa, 0x01, 0x00, 0x23, 0x01 };
	CHECK_INT(lg_pe_parse(chan, sizeof(chan), &info, &err), -ENOEXEC);

	/* An MZ (DOS) program without a PE header. */
	unsigned char dos[128] = { 'M', 'Z' };
	dos[0x3c] = 0x40;
	CHECK_INT(lg_pe_parse(dos, sizeof(dos), &info, &err), -ENOEXEC);
	CHECK_CONTAINS(err.msg, "no \"PE\\0\\0\" signature at offset 0x40");
	dos[0x3c] = 0xff;
	dos[0x3d] = 0xff;
	dos[0x3e] = 0xff;
	dos[0x3f] = 0xff;
	CHECK_INT(lg_pe_parse(dos, sizeof(dos), &info, &err), -ENOEXEC);
}

static void expect_bad(unsigned char *img, size_t len, const char *needle, const char *what)
{
	struct lg_pe_info info;
	struct lg_err err = { "" };
	int r = lg_pe_parse(img, len, &info, &err);
	t_checks++;
	if (r != -EBADMSG)
		T_FAIL_AT("%s: expected -EBADMSG, got %d (%s)", what, r, err.msg);
	else if (!strstr(err.msg, needle))
		T_FAIL_AT("%s: message \"%s\" lacks \"%s\"", what, err.msg, needle);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void test_garbled_headers(void)
{
	struct mkpe_opts o = base_opts(true);
	o.cert_size = 64;
	size_t len;
	struct mkpe_layout l;
	_cleanup_free_ unsigned char *img = build(&o, &len, &l);
	_cleanup_free_ unsigned char *orig = malloc(len);
	memcpy(orig, img, len);
#define RESET() memcpy(img, orig, len)

	img[l.opt] = 0x07; /* ROM image magic 0x107 */
	img[l.opt + 1] = 0x01;
	expect_bad(img, len, "magic 0x107", "optional header magic");
	RESET();
	img[l.opt - 18] = 97; /* NumberOfSections */
	expect_bad(img, len, "97 sections", "too many sections");
	RESET();
	img[l.opt - 4] = 0x60; /* SizeOfOptionalHeader 0x60: too short for PE32+ */
	img[l.opt - 3] = 0;
	expect_bad(img, len, "too short for PE32+", "short optional header");
	RESET();
	put32(img + l.opt + 108, 1000); /* NumberOfRvaAndSizes: capped at 16, fits */
	struct lg_pe_info info;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(img, len, &info, &err), 0);
	RESET();
	put32(img + l.opt + 60, (uint32_t)len + 1); /* SizeOfHeaders */
	expect_bad(img, len, "SizeOfHeaders", "SizeOfHeaders past the end");
	RESET();
	put32(img + l.opt + 60, 0x100); /* SizeOfHeaders inside the section table */
	expect_bad(img, len, "SizeOfHeaders", "SizeOfHeaders too small");
	RESET();
	put32(img + l.section_table + 16, 0xfffffff0u); /* SizeOfRawData */
	expect_bad(img, len, "section 0 (.text)", "section past the end");
	RESET();
	put32(img + l.cert_dir + 4, 65); /* certificate table one byte longer than the file */
	expect_bad(img, len, "certificate table", "certificate table past the end");
	RESET();
	put32(img + l.cert_dir, 0x200); /* certificate table over the headers */
	put32(img + l.cert_dir + 4, (uint32_t)len - 0x200);
	expect_bad(img, len, "overlaps", "certificate table over the sections");
	RESET();
#undef RESET
}

static void expect_version_bad(const unsigned char *img, size_t len, const char *needle,
			       const char *what)
{
	struct lg_pe_info info;
	struct lg_pe_version v;
	struct lg_err err = { "" };
	int r = lg_pe_parse(img, len, &info, &err);
	if (r == 0)
		r = lg_pe_version(img, len, &info, &v, &err);
	t_checks++;
	if (r != -EBADMSG)
		T_FAIL_AT("%s: expected -EBADMSG, got %d (%s)", what, r, err.msg);
	else if (!strstr(err.msg, needle))
		T_FAIL_AT("%s: message \"%s\" lacks \"%s\"", what, err.msg, needle);
}

static void test_garbled_version(void)
{
	struct mkpe_opts o = base_opts(true);
	size_t len;
	struct mkpe_layout l;
	_cleanup_free_ unsigned char *img = build(&o, &len, &l);
	_cleanup_free_ unsigned char *orig = malloc(len);
	memcpy(orig, img, len);
	size_t r = l.rsrc, d = l.version_data;
#define RESET() memcpy(img, orig, len)

	/* Name directory entry pointing back at the root: the walk is three
	 * levels deep by construction and cannot loop. */
	put32(img + r + 24 + 20, 0x80000000u);
	expect_version_bad(img, len, "not a data entry", "resource loop");
	RESET();
	put32(img + r + 48 + 20, 0x80000000u | 48); /* language entry -> itself */
	expect_version_bad(img, len, "not a data entry", "self-referencing directory");
	RESET();
	img[r + 14] = 0xff; /* 255 entries in the root: past the section */
	img[r + 12] = 0xff;
	img[r + 13] = 0xff;
	expect_version_bad(img, len, "entries", "root entry count");
	RESET();
	put32(img + r + 72 + 4, 0x100000); /* data entry size past the section */
	expect_version_bad(img, len, "version data", "data size");
	RESET();
	img[d + 6] = 'W'; /* key "WS_VERSION_INFO" */
	expect_version_bad(img, len, "VS_VERSION_INFO", "root key");
	RESET();
	img[d] = 0xff; /* root wLength past the data */
	img[d + 1] = 0xff;
	expect_version_bad(img, len, "claims", "root length");
	RESET();
	img[d + 40] ^= 0xff; /* VS_FIXEDFILEINFO signature (after 6 + 32 + 2 bytes) */
	expect_version_bad(img, len, "signature", "fixed info signature");
	RESET();
	img[d + 2] = 20; /* wValueLength 20: too short for VS_FIXEDFILEINFO */
	expect_version_bad(img, len, "VS_FIXEDFILEINFO is 20 bytes", "fixed info size");
	RESET();
	/* A key without its NUL: fill the root key with 'A' up to the end. */
	for (size_t k = d + 6; k + 1 < d + l.version_len; k += 2) {
		img[k] = 'A';
		img[k + 1] = 0;
	}
	expect_version_bad(img, len, "not terminated", "unterminated key");
	RESET();
#undef RESET
}

/* Every prefix of a signed image with a version resource is refused with
 * a message, and nothing reads outside the buffer (ASan in SANITIZE=1). */
static void test_truncated_everywhere(void)
{
	struct mkpe_opts o = base_opts(true);
	o.cert_size = 96;
	size_t len;
	_cleanup_free_ unsigned char *img = build(&o, &len, NULL);
	int enoexec = 0, ebadmsg = 0;
	for (size_t n = 0; n < len; n++) {
		/* a fresh allocation of exactly n bytes so ASan sees overreads */
		unsigned char *cut = malloc(n ? n : 1);
		memcpy(cut, img, n);
		struct lg_pe_info info;
		struct lg_err err = { "" };
		int r = lg_pe_parse(cut, n, &info, &err);
		if (r == -ENOEXEC)
			enoexec++;
		else if (r == -EBADMSG)
			ebadmsg++;
		else
			T_FAIL_AT("length %zu: expected -ENOEXEC or -EBADMSG, got %d", n, r);
		if (!err.msg[0])
			T_FAIL_AT("length %zu: no message", n);
		free(cut);
	}
	t_checks++;
	/* Up to the end of "PE\0\0" it is not a PE file; after, a broken one. */
	CHECK_INT(enoexec, 0x84);
	CHECK_INT(ebadmsg, (long long)len - 0x84);
}

/* Flip bytes all over a small image: every outcome is a clean return. */
static void test_mutations_do_not_crash(void)
{
	struct mkpe_opts o = base_opts(false);
	o.cert_size = 48;
	o.trailing = 8;
	size_t len;
	_cleanup_free_ unsigned char *img = build(&o, &len, NULL);
	static const unsigned char vals[] = { 0x00, 0xff, 0x80, 0x7f, 0x01 };
	unsigned ok = 0, bad = 0, ver_ok = 0, ver_bad = 0;
	for (size_t i = 0; i < len; i++) {
		for (unsigned k = 0; k < ARRAY_SIZE(vals); k++) {
			unsigned char *m = malloc(len);
			memcpy(m, img, len);
			m[i] = vals[k];
			struct lg_pe_info info;
			struct lg_pe_version v;
			struct lg_err err = { "" };
			int r = lg_pe_parse(m, len, &info, &err);
			if (r == 0) {
				ok++;
				unsigned char s256[32], s1[20];
				if (lg_pe_authentihash(m, len, &info, s256, s1) != 0)
					T_FAIL_AT("offset %zu=0x%02x: parsed but not hashed", i, vals[k]);
				r = lg_pe_version(m, len, &info, &v, &err);
				if (r == 0)
					ver_ok++;
				else if (r == -EBADMSG || r == -ENOENT)
					ver_bad++;
				else
					T_FAIL_AT("offset %zu=0x%02x: version returned %d", i, vals[k], r);
			} else if (r == -EBADMSG || r == -ENOEXEC)
				bad++;
			else
				T_FAIL_AT("offset %zu=0x%02x: parse returned %d", i, vals[k], r);
			free(m);
		}
	}
	t_checks++;
	CHECK(ok > 0 && bad > 0 && ver_ok > 0 && ver_bad > 0);
}

/* A caller that hands a different (shorter) buffer than it parsed gets
 * -EINVAL, not a read past the end. */
static void test_mismatched_buffer(void)
{
	struct mkpe_opts o = base_opts(true);
	o.cert_size = 64;
	size_t len;
	_cleanup_free_ unsigned char *img = build(&o, &len, NULL);
	struct lg_pe_info info;
	struct lg_pe_version v;
	struct lg_err err = { "" };
	CHECK_INT(lg_pe_parse(img, len, &info, &err), 0);
	unsigned char s256[32];
	CHECK_INT(lg_pe_authentihash(img, 0x300, &info, s256, NULL), -EINVAL);
	CHECK_INT(lg_pe_authentihash(img, len, &info, NULL, NULL), -EINVAL);
	CHECK(lg_pe_version(img, 0x300, &info, &v, &err) < 0);
}

int main(void)
{
	RUN(test_version_pe32plus);
	RUN(test_version_pe32);
	RUN(test_version_two_tables);
	RUN(test_version_long_string);
	RUN(test_no_version);
	RUN(test_cert_table_excluded);
	RUN(test_padding_unsigned);
	RUN(test_hashed_bytes_matter);
	RUN(test_matches_linear_formulation);
	RUN(test_not_pe);
	RUN(test_garbled_headers);
	RUN(test_garbled_version);
	RUN(test_truncated_everywhere);
	RUN(test_mutations_do_not_crash);
	RUN(test_mismatched_buffer);
	return t_done();
}
