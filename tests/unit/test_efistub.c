// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The freestanding parts of the UEFI stub, built for the host: the newc
 * writer (its archive read back by GNU cpio, the tool the kernel format is
 * defined by) and the PE section lookup (well-formed and hostile images).
 */
#include "test.h"
#include "util.h"

#include "../../efi/newc.c"
#include "../../efi/pesec.c"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

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

	char dir[] = "/tmp/lg-newc-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256], cmd[512];
	snprintf(path, sizeof(path), "%s/a.cpio", dir);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, n, f) == n);
	fclose(f);
	/* GNU cpio unpacks it: names, modes, contents */
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -idm --quiet < a.cpio 2>&1", dir);
	if (system(cmd) != 0)
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
	RUN(test_pe_sections);
	RUN(test_pe_hostile);
	return t_done();
}
