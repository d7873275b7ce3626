// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * efivar: EFI_LOAD_OPTION decoding (well-formed and hostile), finding the
 * Windows Boot Manager entry, BootNext written and read back. Variables
 * live in a temporary directory laid out as efivarfs presents them.
 */
#include "test.h"

#include "boot/efivar.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

struct buf {
	uint8_t b[2048];
	size_t n;
};

static void put8(struct buf *b, uint8_t v) { b->b[b->n++] = v; }
static void put16(struct buf *b, uint16_t v) { put8(b, (uint8_t)v); put8(b, (uint8_t)(v >> 8)); }
static void put32(struct buf *b, uint32_t v) { put16(b, (uint16_t)v); put16(b, (uint16_t)(v >> 16)); }
static void put_ucs2(struct buf *b, const char *s)
{
	while (*s)
		put16(b, (uint8_t)*s++);
	put16(b, 0);
}

/* A device path: PCI-ish hardware node, a hard-drive node, file nodes
 * (NULL-terminated list), end node. */
static size_t device_path(struct buf *b, const char *const *files)
{
	size_t start = b->n;
	put8(b, 0x01); put8(b, 0x01); put16(b, 6); put8(b, 0); put8(b, 0x1d);	/* PCI */
	put8(b, 0x04); put8(b, 0x01); put16(b, 42);				/* HD */
	for (int i = 0; i < 38; i++)
		put8(b, (uint8_t)i);
	for (; files && *files; files++) {
		size_t len = 4 + 2 * (strlen(*files) + 1);
		put8(b, 0x04); put8(b, 0x04); put16(b, (uint16_t)len);
		put_ucs2(b, *files);
	}
	put8(b, 0x7f); put8(b, 0xff); put16(b, 4);
	return b->n - start;
}

static void load_option(struct buf *b, uint32_t attrs, const char *desc, const char *const *files)
{
	b->n = 0;
	put32(b, attrs);
	size_t len_at = b->n;
	put16(b, 0);
	put_ucs2(b, desc);
	size_t dp = device_path(b, files);
	b->b[len_at] = (uint8_t)dp;
	b->b[len_at + 1] = (uint8_t)(dp >> 8);
	put32(b, 0x12345678); /* optional data, as Windows writes "WINDOWS..." */
}

static char dir[] = "/tmp/lg-efivar-XXXXXX";

static void write_var(const char *name, const char *guid, const void *data, size_t len)
{
	CHECK_INT(lg_efivar_write(dir, name, guid, 7, data, len), 0);
}

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w) { return remove(p); }
static void reset_dir(void)
{
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	CHECK_INT(mkdir(dir, 0700), 0);
}

static void test_parse_windows(void)
{
	struct buf b;
	const char *files[] = { "\\EFI\\Microsoft\\Boot\\bootmgfw.efi", NULL };
	load_option(&b, 1, "Windows Boot Manager", files);
	struct lg_load_option o;
	struct lg_err err = { "" };
	CHECK_INT(lg_load_option_parse(b.b, b.n, &o, &err), 0);
	CHECK_INT(o.attributes, 1);
	CHECK_STR(o.description, "Windows Boot Manager");
	CHECK_STR(o.file_path, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
}

static void test_parse_split_path(void)
{
	/* Some firmware writes the path as several file nodes. */
	struct buf b;
	const char *files[] = { "\\EFI", "Microsoft\\Boot", "\\bootmgfw.efi", NULL };
	load_option(&b, 1, "split", files);
	struct lg_load_option o;
	CHECK_INT(lg_load_option_parse(b.b, b.n, &o, NULL), 0);
	CHECK_STR(o.file_path, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
}

static void test_parse_no_file(void)
{
	struct buf b;
	load_option(&b, 1, "UEFI QEMU NVMe Ctrl", NULL);
	struct lg_load_option o;
	CHECK_INT(lg_load_option_parse(b.b, b.n, &o, NULL), 0);
	CHECK_STR(o.file_path, "");
	CHECK_STR(o.description, "UEFI QEMU NVMe Ctrl");
}

static void test_parse_hostile(void)
{
	struct buf b;
	const char *files[] = { "\\EFI\\Microsoft\\Boot\\bootmgfw.efi", NULL };
	load_option(&b, 1, "Windows Boot Manager", files);
	struct lg_load_option o;
	struct lg_err err = { "" };

	/* every truncation is refused or parsed within bounds, never read past */
	for (size_t n = 0; n < b.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, b.b, n);
		int r = lg_load_option_parse(copy, n, &o, &err);
		if (n < 6 + 42)	/* header + description: always too short */
			CHECK_INT(r, -EBADMSG);
		free(copy);
	}
	CHECK_INT(lg_load_option_parse(b.b, 5, &o, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "shorter than its 6-byte header");

	/* description without NUL */
	struct buf c = { .n = 0 };
	put32(&c, 1); put16(&c, 0); put16(&c, 'W'); put16(&c, 'i');
	CHECK_INT(lg_load_option_parse(c.b, c.n, &o, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "description runs past the end");

	/* FilePathListLength larger than the data */
	load_option(&b, 1, "x", files);
	b.b[4] = 0xff; b.b[5] = 0x7f;
	CHECK_INT(lg_load_option_parse(b.b, b.n, &o, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "runs past the end");

	/* a node whose length is below its own header: would loop forever */
	load_option(&b, 1, "x", files);
	size_t dp = 6 + 4;	/* after attributes, length, "x\0" */
	b.b[dp + 2] = 2; b.b[dp + 3] = 0;
	CHECK_INT(lg_load_option_parse(b.b, b.n, &o, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "has length 2");

	/* a node running past the list */
	load_option(&b, 1, "x", files);
	b.b[dp + 2] = 0xf0; b.b[dp + 3] = 0x0f;
	CHECK_INT(lg_load_option_parse(b.b, b.n, &o, &err), -EBADMSG);

	/* a file node without a NUL inside: cut at the node's end */
	struct buf d = { .n = 0 };
	put32(&d, 1); put16(&d, 4 + 6 + 4); put16(&d, 'x'); put16(&d, 0);
	put8(&d, 4); put8(&d, 4); put16(&d, 10); put16(&d, '\\'); put16(&d, 'A'); put16(&d, 'B');
	put8(&d, 0x7f); put8(&d, 0xff); put16(&d, 4);
	CHECK_INT(lg_load_option_parse(d.b, d.n, &o, &err), 0);
	CHECK_STR(o.file_path, "\\AB");

	/* non-ASCII characters never reach the strings as such */
	struct buf e = { .n = 0 };
	put32(&e, 1); put16(&e, 4); put16(&e, 0x00e9); put16(&e, 0x1b); put16(&e, 'z'); put16(&e, 0);
	put8(&e, 0x7f); put8(&e, 0xff); put16(&e, 4);
	CHECK_INT(lg_load_option_parse(e.b, e.n, &o, &err), 0);
	CHECK_STR(o.description, "??z");
}

static void test_find_and_bootnext(void)
{
	reset_dir();
	struct buf b;
	const char *win[] = { "\\EFI\\MICROSOFT\\BOOT\\BOOTMGFW.EFI", NULL };
	const char *other[] = { "\\EFI\\debian\\shimx64.efi", NULL };
	struct lg_err err = { "" };
	uint16_t num = 0;

	/* no entries at all */
	CHECK_INT(lg_efi_find_windows(dir, &num, NULL, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "bootmgfw.efi");

	load_option(&b, 1, "debian", other);
	write_var("Boot0000", LG_EFI_GLOBAL_GUID, b.b, b.n);
	load_option(&b, 0, "Windows (inactive copy)", win);
	write_var("Boot0002", LG_EFI_GLOBAL_GUID, b.b, b.n);
	load_option(&b, 1, "Windows Boot Manager", win);
	write_var("Boot000A", LG_EFI_GLOBAL_GUID, b.b, b.n);
	/* garbage and a wrong-GUID entry must be skipped */
	write_var("Boot0001", LG_EFI_GLOBAL_GUID, "\x01\x00\xff", 3);
	write_var("Boot0003", "00000000-0000-0000-0000-000000000000", b.b, b.n);

	struct lg_load_option o;
	CHECK_INT(lg_efi_find_windows(dir, &num, &o, &err), 0);
	CHECK_INT(num, 0x000A);	/* active wins over the inactive 0002 */
	CHECK_STR(o.description, "Windows Boot Manager");

	/* BootOrder decides between two active Windows entries */
	write_var("Boot0004", LG_EFI_GLOBAL_GUID, b.b, b.n);
	const uint8_t order[] = { 0x00, 0x00, 0x04, 0x00, 0x0a, 0x00 };
	write_var("BootOrder", LG_EFI_GLOBAL_GUID, order, sizeof(order));
	CHECK_INT(lg_efi_find_windows(dir, &num, NULL, &err), 0);
	CHECK_INT(num, 0x0004);

	CHECK_INT(lg_efi_get_bootnext(dir, &num), -ENOENT);
	CHECK_INT(lg_efi_set_bootnext(dir, 0x0004, &err), 0);
	CHECK_INT(lg_efi_get_bootnext(dir, &num), 0);
	CHECK_INT(num, 0x0004);
	/* the file is exactly attributes NV|BS|RT + 2 bytes */
	char path[256];
	snprintf(path, sizeof(path), "%s/BootNext-%s", dir, LG_EFI_GLOBAL_GUID);
	char *raw = NULL;
	size_t n = 0;
	CHECK_INT(lg_read_file(path, 64, &raw, &n), 0);
	CHECK_INT(n, 6);
	CHECK_MEM(raw, "\x07\x00\x00\x00\x04\x00", 6);
	free(raw);
	/* rewriting replaces it */
	CHECK_INT(lg_efi_set_bootnext(dir, 0x000A, &err), 0);
	CHECK_INT(lg_efi_get_bootnext(dir, &num), 0);
	CHECK_INT(num, 0x000A);
}

static void test_read_string(void)
{
	reset_dir();
	struct buf b = { .n = 0 };
	put_ucs2(&b, "9A0C4B1E-2F3D-4E5F-8899-AABBCCDDEEFF");
	write_var("LoaderDevicePartUUID", LG_EFI_LOADER_GUID, b.b, b.n);
	char s[64];
	CHECK_INT(lg_efivar_read_string(dir, "LoaderDevicePartUUID", LG_EFI_LOADER_GUID, s, sizeof(s)), 0);
	CHECK_STR(s, "9a0c4b1e-2f3d-4e5f-8899-aabbccddeeff");
	CHECK_INT(lg_efivar_read_string(dir, "LoaderDevicePartUUID", LG_EFI_LOADER_GUID, s, 8), -ENAMETOOLONG);
	CHECK_INT(lg_efivar_read_string(dir, "Nope", LG_EFI_LOADER_GUID, s, sizeof(s)), -ENOENT);
	write_var("Bad", LG_EFI_LOADER_GUID, "\x01\x02", 2);
	CHECK_INT(lg_efivar_read_string(dir, "Bad", LG_EFI_LOADER_GUID, s, sizeof(s)), -EBADMSG);
}

int main(void)
{
	if (!mkdtemp(dir))
		T_SKIP("cannot make a temporary directory");
	RUN(test_parse_windows);
	RUN(test_parse_split_path);
	RUN(test_parse_no_file);
	RUN(test_parse_hostile);
	RUN(test_find_and_bootnext);
	RUN(test_read_string);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return t_done();
}
