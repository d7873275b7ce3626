// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The freestanding parts of the UEFI stub, built for the host: the newc
 * writer (its archive read back by GNU cpio, the tool the kernel format is
 * defined by), the check of bek.txt (the .BEK names a PXE server offers)
 * and the PE section lookup (well-formed and hostile images).
 */
#include "test.h"
#include "lib/util.h"

#include "../../efi/newc.c"
#include "../../efi/pesec.c"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write the archive into a fresh directory (dir: a mkdtemp template)
 * and unpack it there with GNU cpio. -1 when cpio cannot run. */
static int cpio_unpack(const unsigned char *buf, size_t n, char *dir)
{
	char path[256], cmd[512];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.cpio", dir);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, n, f) == n);
	if (f)
		fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -idm --quiet < a.cpio 2>&1", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_newc_roundtrip(void)
{
	const char list[] = "{\"schema\":1}\n";
	const char sig[] = "untrusted comment: x\nABC\n";
	const struct newc_entry e[] = {
		{ "lastgood", 0040755, NULL, 0 },
		{ "lastgood/override", 0040755, NULL, 0 },
		{ "lastgood/override/denylist.json", 0100644, list, sizeof(list) - 1 },
		{ "lastgood/override/denylist.json.minisig", 0100644, sig, sizeof(sig) - 1 },
	};
	size_t n = newc_size(e, 4);
	CHECK(n > 0);
	CHECK_INT(n % 4, 0);
	unsigned char *buf = malloc(n);
	CHECK_INT(newc_write(e, 4, 1721365200, buf, n), n);
	CHECK_INT(newc_write(e, 4, 0, buf, n - 1), 0);	/* short buffer refused */
	CHECK_MEM(buf, "070701", 6);
	/* the trailer ends the archive */
	CHECK(memmem(buf, n, "TRAILER!!!", 10) != NULL);

	char dir[] = "/tmp/lg-newc-XXXXXX", path[256], cmd[300];
	/* GNU cpio unpacks it: names, modes, contents */
	if (cpio_unpack(buf, n, dir) < 0)
		T_SKIP("cpio cannot unpack here (is it installed?)");
	char *got = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/lastgood/override/denylist.json", dir);
	CHECK_INT(lg_read_file(path, 1024, &got, &len), 0);
	CHECK_INT(len, sizeof(list) - 1);
	CHECK_STR(got, list);
	free(got);
	snprintf(path, sizeof(path), "%s/lastgood/override/denylist.json.minisig", dir);
	CHECK_INT(lg_read_file(path, 1024, &got, &len), 0);
	CHECK_STR(got, sig);
	free(got);
	struct stat st;
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0644);
	CHECK_INT(st.st_mtime, 1721365200);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
	free(buf);
}

static void test_newc_bad_names(void)
{
	const struct newc_entry empty[] = { { "", 0100644, "x", 1 } };
	CHECK_INT(newc_size(empty, 1), 0);
	char *longname = malloc(5000);
	memset(longname, 'a', 4999);
	longname[4999] = 0;
	const struct newc_entry big[] = { { longname, 0100644, NULL, 0 } };
	CHECK_INT(newc_size(big, 1), 0);
	free(longname);
	/* no entries: just the trailer (110 + "TRAILER!!!\0" padded) */
	CHECK_INT(newc_size(NULL, 0), 124);
}

static void test_bek_name(void)
{
#define OK(s) CHECK_INT(bek_name_ok(s, strlen(s)), 1)
#define BAD(s) CHECK_INT(bek_name_ok(s, strlen(s)), 0)
	OK("4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK");
	OK("4381f759-c4f8-4de0-bb61-fc33a831bda5.bek");
	OK("AA80A52B-9B66-47AE-B097-33F536FFBB07.Bek");
	OK("0.BEK");
	OK("-a-.BEK");
	BAD(".BEK");			/* no name */
	BAD("--.BEK");			/* no hex digit */
	BAD("BEK");
	BAD("4381F759.BEK.txt");
	BAD("4381F759.BEKX");
	BAD("4381F759.bin");
	BAD("4381F759");
	BAD("../4381F759.BEK");		/* no path can reach TFTP or the archive */
	BAD("a/4381F759.BEK");
	BAD("a\\4381F759.BEK");
	BAD("4381 F759.BEK");
	BAD("4381F759G.BEK");		/* G is not hex */
	BAD("4381F759..BEK");
	BAD("keys.csv");
	/* a recovery password pasted by mistake */
	BAD("235818-357951-253979-013365-241120-245575-342914-591910");
	/* 64 bytes is the cap, 65 is over */
	char n[80];
	memset(n, 'a', 60);
	memcpy(n + 60, ".BEK", 5);
	OK(n);
	memset(n, 'a', 61);
	memcpy(n + 61, ".BEK", 5);
	BAD(n);
	/* a NUL inside is not a name character */
	CHECK_INT(bek_name_ok("ab\0c.BEK", 8), 0);
	CHECK_INT(bek_name_ok(NULL, 0), 0);
#undef OK
#undef BAD
}

static enum bek_list_status parse(const char *txt, struct bek_list *l, size_t *line)
{
	return bek_list_parse(txt, strlen(txt), l, line);
}

static void test_bek_list(void)
{
	struct bek_list *l = malloc(sizeof(*l));
	size_t line = 99;

	CHECK_INT(parse("4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK\n"
			"aa80a52b-9b66-47ae-b097-33f536ffbb07.bek\n", l, &line), BEK_LIST_OK);
	CHECK_INT(l->n, 2);
	CHECK_INT(line, 0);
	CHECK_STR(l->name[0], "4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK");
	CHECK_STR(l->name[1], "aa80a52b-9b66-47ae-b097-33f536ffbb07.bek");	/* case kept: TFTP servers mind it */

	/* Notepad: BOM, CRLF, no newline at the end; blanks and spaces around */
	CHECK_INT(parse("\xef\xbb\xbf" "A1.BEK\r\n\r\n  \t\n\tB2.bek  \r\n   C3.BEK", l, &line), BEK_LIST_OK);
	CHECK_INT(l->n, 3);
	CHECK_STR(l->name[0], "A1.BEK");
	CHECK_STR(l->name[1], "B2.bek");
	CHECK_STR(l->name[2], "C3.BEK");

	/* empty and blank files name nothing */
	CHECK_INT(parse("", l, &line), BEK_LIST_OK);
	CHECK_INT(l->n, 0);
	CHECK_INT(parse("\r\n\n \n", l, &line), BEK_LIST_OK);
	CHECK_INT(l->n, 0);

	/* one bad line refuses the whole file, and says which line */
	CHECK_INT(parse("A1.BEK\nB2.BEK\n# startup keys\nC3.BEK\n", l, &line), BEK_LIST_BAD_NAME);
	CHECK_INT(l->n, 0);
	CHECK_INT(line, 3);
	CHECK_INT(parse("A1.BEK\n\n../../etc/shadow\n", l, &line), BEK_LIST_BAD_NAME);
	CHECK_INT(line, 3);
	CHECK_INT(parse("A1.BEK B2.BEK\n", l, &line), BEK_LIST_BAD_NAME);
	CHECK_INT(line, 1);
	CHECK_INT(parse("235818-357951-253979-013365-241120-245575-342914-591910\n", l, &line), BEK_LIST_BAD_NAME);
	CHECK_INT(line, 1);
	CHECK_INT(bek_list_parse("A1.BEK\n\0B2.BEK\n", 15, l, &line), BEK_LIST_BAD_NAME);
	CHECK_INT(line, 2);
	/* UTF-16 (PowerShell 5's Out-File) is not read as names */
	CHECK_INT(bek_list_parse("\xff\xfe" "A\0" "1\0.\0B\0E\0K\0", 14, l, &line), BEK_LIST_BAD_NAME);
	CHECK_INT(l->n, 0);

	/* a name twice, in any case */
	CHECK_INT(parse("A1.BEK\nB2.BEK\na1.bek\n", l, &line), BEK_LIST_TWICE);
	CHECK_INT(line, 3);
	CHECK_INT(l->n, 0);

	/* 32 names, not 33 */
	char txt[2048];
	size_t o = 0;
	for (int i = 0; i < 33; i++)
		o += (size_t)snprintf(txt + o, sizeof(txt) - o, "%08X.BEK\n", i);
	CHECK_INT(bek_list_parse(txt, o - 14, l, &line), BEK_LIST_OK);
	CHECK_INT(l->n, 32);
	CHECK_STR(l->name[31], "0000001F.BEK");
	CHECK_INT(bek_list_parse(txt, o, l, &line), BEK_LIST_TOO_MANY);
	CHECK_INT(line, 33);
	CHECK_INT(l->n, 0);

	/* at most BEK_TXT_MAX bytes */
	char *big = malloc(BEK_TXT_MAX + 1);
	memset(big, '\n', BEK_TXT_MAX + 1);
	CHECK_INT(bek_list_parse(big, BEK_TXT_MAX, l, &line), BEK_LIST_OK);
	CHECK_INT(bek_list_parse(big, BEK_TXT_MAX + 1, l, &line), BEK_LIST_TOO_BIG);
	CHECK_INT(line, 0);
	free(big);
	free(l);
}

/* The archive the stub hands over with key files: root-only modes
 * survive GNU cpio, names as bek.txt wrote them. */
static void test_newc_keyfiles(void)
{
	const char csv[] = "KeyId,RecoveryPassword\n";
	const char bek[] = { 0x2c, 0, 0, 0, 1, 0, 0, 0 };
	const struct newc_entry e[] = {
		{ "lastgood", 0040755, NULL, 0 },
		{ "lastgood/override", 0040755, NULL, 0 },
		{ "lastgood/override/keys.csv", 0100600, csv, sizeof(csv) - 1 },
		{ "lastgood/override/4381f759-c4f8-4de0-bb61-fc33a831bda5.bek", 0100600, bek, sizeof(bek) },
	};
	size_t n = newc_size(e, 4);
	unsigned char *buf = malloc(n);
	CHECK_INT(newc_write(e, 4, 0, buf, n), n);
	char dir[] = "/tmp/lg-newc-XXXXXX", path[256], cmd[300];
	/* GNU cpio unpacks it: names, modes, contents */
	if (cpio_unpack(buf, n, dir) < 0)
		T_SKIP("cpio cannot unpack here (is it installed?)");
	struct stat st;
	snprintf(path, sizeof(path), "%s/lastgood/override/keys.csv", dir);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_size, sizeof(csv) - 1);
	snprintf(path, sizeof(path), "%s/lastgood/override/4381f759-c4f8-4de0-bb61-fc33a831bda5.bek", dir);
	char *got = NULL;
	size_t len = 0;
	CHECK_INT(lg_read_file(path, 1024, &got, &len), 0);
	CHECK_INT(len, sizeof(bek));
	CHECK_MEM(got, bek, sizeof(bek));
	free(got);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
	free(buf);
}

/* A minimal PE32+ image: DOS header, PE signature, COFF header, 240-byte
 * optional header, section table, raw data. */
struct pe {
	unsigned char b[8192];
	size_t len;
};

static void w16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void w32(unsigned char *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }

static void make_pe(struct pe *pe)
{
	memset(pe, 0, sizeof(*pe));
	unsigned char *b = pe->b;
	b[0] = 'M';
	b[1] = 'Z';
	w32(b + 0x3c, 0x80);
	memcpy(b + 0x80, "PE\0\0", 4);
	w16(b + 0x84, 0x8664);		/* machine */
	w16(b + 0x86, 2);		/* sections */
	w16(b + 0x94, 240);		/* optional header size */
	unsigned char *s = b + 0x80 + 24 + 240;
	memcpy(s, ".text", 5);
	w32(s + 8, 0x10);		/* VirtualSize */
	w32(s + 12, 0x1000);		/* VirtualAddress */
	w32(s + 16, 0x200);		/* SizeOfRawData */
	w32(s + 20, 0x400);		/* PointerToRawData */
	s += 40;
	memcpy(s, ".cmdline", 8);	/* exactly 8 characters: no NUL in the header */
	w32(s + 8, 11);
	w32(s + 12, 0x2000);
	w32(s + 16, 0x200);
	w32(s + 20, 0x600);
	memcpy(b + 0x600, "quiet lg=1\n", 11);
	pe->len = 0x800;
}

static void test_pe_sections(void)
{
	struct pe pe;
	size_t off = 0, size = 0;
	make_pe(&pe);
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".cmdline", &off, &size), 0);
	CHECK_INT(off, 0x600);
	CHECK_INT(size, 11);
	CHECK_MEM(pe.b + off, "quiet lg=1\n", 11);
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".text", &off, &size), 0);
	CHECK_INT(size, 0x10);
	/* memory layout: at the virtual address */
	CHECK_INT(pe_find_section(pe.b, 0x3000, PE_LAYOUT_MEMORY, ".cmdline", &off, &size), 0);
	CHECK_INT(off, 0x2000);
	/* names match exactly: no prefix match, no longer names */
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".cmd", &off, &size), -2);
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".tex", &off, &size), -2);
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".linux", &off, &size), -2);
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".cmdlines", &off, &size), -2);
}

static void test_pe_hostile(void)
{
	struct pe pe;
	size_t off, size;

	make_pe(&pe);
	pe.b[0] = 'X';
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".text", &off, &size), -1);

	make_pe(&pe);
	w32(pe.b + 0x3c, 0xfffffff0);	/* e_lfanew far outside */
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".text", &off, &size), -1);

	make_pe(&pe);
	w16(pe.b + 0x86, 0xffff);	/* section table past the end */
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".text", &off, &size), -1);

	make_pe(&pe);
	w16(pe.b + 0x94, 0xffff);	/* optional header size past the end */
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".text", &off, &size), -1);

	make_pe(&pe);
	unsigned char *s = pe.b + 0x80 + 24 + 240 + 40;
	w32(s + 20, 0xfffffe00);	/* raw data pointer: off + size overflows 32 bits */
	CHECK_INT(pe_find_section(pe.b, pe.len, PE_LAYOUT_FILE, ".cmdline", &off, &size), -1);
	make_pe(&pe);
	w32(s + 8, 0x7fffffff);		/* VirtualSize beyond the mapped image */
	CHECK_INT(pe_find_section(pe.b, 0x3000, PE_LAYOUT_MEMORY, ".cmdline", &off, &size), -1);

	/* every truncation is refused or in bounds */
	make_pe(&pe);
	for (size_t n = 0; n < pe.len; n += 7) {
		int r = pe_find_section(pe.b, n, PE_LAYOUT_FILE, ".cmdline", &off, &size);
		CHECK(r < 0 || off + size <= n);
	}
}

int main(void)
{
	RUN(test_newc_roundtrip);
	RUN(test_newc_bad_names);
	RUN(test_newc_keyfiles);
	RUN(test_bek_name);
	RUN(test_bek_list);
	RUN(test_pe_sections);
	RUN(test_pe_hostile);
	return t_done();
}
