// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ovmfvars: read and add UEFI variables in an OVMF variable store file
 * (OVMF_VARS*.fd) from the host, so that end-to-end tests can give the
 * firmware a Windows Boot Manager entry before a boot and read BootNext
 * back after it. Test helper, not shipped.
 *
 *   ovmfvars list FILE                      live variables: NAME GUID ATTRS SIZE
 *   ovmfvars get FILE NAME [GUID]           data as hex (default: the global GUID)
 *   ovmfvars boot FILE                      Boot#### entries: number, description, file path
 *   ovmfvars bootnext FILE                  "Boot####" (exit 1 when unset)
 *   ovmfvars add-boot FILE NUM DESC PATH    add Boot<NUM> (hex) for a file path,
 *                                           first in BootOrder
 *
 * Layout (edk2 MdeModulePkg, x64): a firmware volume header ("_FVH" at 40,
 * its length at 48), then the variable store header (28 bytes), then
 * variables: AUTHENTICATED_VARIABLE_HEADER (60 bytes: StartId 0x55AA,
 * State, reserved, Attributes, MonotonicCount, TimeStamp, PubKeyIndex,
 * NameSize, DataSize, VendorGuid), the UCS-2 name, the data, then padding
 * to 4 bytes. A variable is live when State is 0x3F (added) or 0x3E (added,
 * deletion in progress); replacing one marks the old copy deleted (0x3C).
 */
#include "boot/efivar.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#define HDR 60u
#define VAR_ADDED 0x3f
#define VAR_IN_DELETED_TRANSITION 0xfe
#define VAR_DELETED 0xfd

static uint8_t *store;
static size_t store_len;
static size_t vs_start, vs_end;	/* variable area inside the file */

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }

static int die(const char *msg, const char *arg)
{
	fprintf(stderr, "ovmfvars: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static void load(const char *path)
{
	char *buf;
	size_t len;
	if (lg_read_file(path, 64u << 20, &buf, &len) < 0)
		die("cannot read", path);
	store = (uint8_t *)buf;
	store_len = len;
	if (len < 0x100 || memcmp(store + 40, "_FVH", 4))
		die("not a firmware volume (no _FVH)", path);
	size_t hl = rd16(store + 48);
	if (!lg_in_bounds(hl, 28, len))
		die("bad firmware volume header length", path);
	uint32_t size = rd32(store + hl + 16);
	if (!lg_in_bounds(hl, size, len) || size < 28)
		die("bad variable store size", path);
	vs_start = hl + 28;
	vs_end = hl + size;
}

static void save(const char *path)
{
	_cleanup_close_ int fd = open(path, O_WRONLY);
	if (fd < 0 || pwrite(fd, store, store_len, 0) != (ssize_t)store_len)
		die("cannot write", path);
}

static void guid_str(const uint8_t *g, char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", rd32(g), rd16(g + 4), rd16(g + 6),
		 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static void guid_parse(const char *s, uint8_t g[16])
{
	unsigned a, b, c, d[8];
	if (sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c, &d[0], &d[1], &d[2], &d[3], &d[4], &d[5],
		   &d[6], &d[7]) != 11)
		die("bad GUID", s);
	wr32(g, a);
	wr16(g + 4, b);
	wr16(g + 6, c);
	for (int i = 0; i < 8; i++)
		g[8 + i] = (uint8_t)d[i];
}

struct var {
	size_t off;
	uint8_t state;
	uint32_t attrs;
	char name[128];
	char guid[37];
	const uint8_t *data;
	size_t size;
};

/* Next variable at *off; false at the end of the used area. */
static bool next_var(size_t *off, struct var *v)
{
	size_t o = *off;
	if (!lg_in_bounds(o, HDR, vs_end) || rd16(store + o) != 0x55aa)
		return false;
	size_t ns = rd32(store + o + 36), ds = rd32(store + o + 40);
	if (!lg_in_bounds(o + HDR, ns, vs_end) || !lg_in_bounds(o + HDR + ns, ds, vs_end))
		die("variable runs past the store", NULL);
	v->off = o;
	v->state = store[o + 2];
	v->attrs = rd32(store + o + 4);
	guid_str(store + o + 44, v->guid);
	size_t k = 0;
	for (size_t i = 0; i + 1 < ns && k + 1 < sizeof(v->name); i += 2) {
		uint32_t c = rd16(store + o + HDR + i);
		if (!c)
			break;
		v->name[k++] = c < 0x80 ? (char)c : '?';
	}
	v->name[k] = 0;
	v->data = store + o + HDR + ns;
	v->size = ds;
	*off = (o + HDR + ns + ds + 3) & ~(size_t)3;
	return true;
}

static bool live(const struct var *v)
{
	return v->state == VAR_ADDED || v->state == (VAR_ADDED & VAR_IN_DELETED_TRANSITION);
}

static bool find(const char *name, const char *guid, struct var *out)
{
	size_t off = vs_start;
	struct var v;
	bool found = false;
	while (next_var(&off, &v))
		if (live(&v) && !strcmp(v.name, name) && !strcasecmp(v.guid, guid)) {
			*out = v;
			found = true;
		}
	return found;
}

static void append(const char *name, const char *guid, uint32_t attrs, const void *data, size_t size)
{
	struct var v, old;
	size_t off = vs_start;
	while (next_var(&off, &v))
		;
	size_t ns = 2 * (strlen(name) + 1);
	if (!lg_in_bounds(off, HDR + ns + size, vs_end))
		die("variable store full", NULL);
	bool had = find(name, guid, &old);
	uint8_t *p = store + off;
	memset(p, 0, HDR);
	wr16(p, 0x55aa);
	p[2] = VAR_ADDED;
	wr32(p + 4, attrs);
	wr32(p + 36, (uint32_t)ns);
	wr32(p + 40, (uint32_t)size);
	guid_parse(guid, p + 44);
	for (size_t i = 0; name[i]; i++)
		wr16(p + HDR + 2 * i, (uint8_t)name[i]);
	wr16(p + HDR + ns - 2, 0);
	memcpy(p + HDR + ns, data, size);
	if (had)
		store[old.off + 2] &= VAR_DELETED;
}

static void hexdump(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", d[i]);
	putchar('\n');
}

static void put16(uint8_t **p, uint32_t v) { wr16(*p, v); *p += 2; }

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: ovmfvars list|get|boot|bootnext|add-boot FILE ...", NULL);
	const char *cmd = argv[1], *file = argv[2];
	load(file);
	struct var v;
	size_t off = vs_start;

	if (!strcmp(cmd, "list")) {
		while (next_var(&off, &v))
			if (live(&v))
				printf("%s %s %u %zu\n", v.name, v.guid, v.attrs, v.size);
		return 0;
	}
	if (!strcmp(cmd, "get") && argc >= 4) {
		if (!find(argv[3], argc > 4 ? argv[4] : LG_EFI_GLOBAL_GUID, &v))
			die("no such variable", argv[3]);
		hexdump(v.data, v.size);
		return 0;
	}
	if (!strcmp(cmd, "bootnext")) {
		if (!find("BootNext", LG_EFI_GLOBAL_GUID, &v) || v.size != 2) {
			printf("unset\n");
			return 1;
		}
		printf("Boot%04X\n", rd16(v.data));
		return 0;
	}
	if (!strcmp(cmd, "boot")) {
		while (next_var(&off, &v)) {
			struct lg_load_option o;
			if (!live(&v) || strncmp(v.name, "Boot", 4) || strlen(v.name) != 8 || !isxdigit((unsigned char)v.name[4]) ||
			    strcasecmp(v.guid, LG_EFI_GLOBAL_GUID))
				continue;
			if (lg_load_option_parse(v.data, v.size, &o, NULL) < 0)
				printf("%s (malformed)\n", v.name);
			else
				printf("%s \"%s\" %s\n", v.name, o.description, o.file_path);
		}
		return 0;
	}
	if (!strcmp(cmd, "add-boot") && argc == 6) {
		unsigned num;
		if (sscanf(argv[3], "%4x", &num) != 1)
			die("bad boot number", argv[3]);
		const char *desc = argv[4], *path = argv[5];
		uint8_t opt[1024], *p = opt;
		size_t fnode = 4 + 2 * (strlen(path) + 1);
		if (2 * strlen(desc) + fnode + 32 > sizeof(opt))
			die("description or path too long", NULL);
		wr32(p, LG_LOAD_OPTION_ACTIVE);
		p += 4;
		put16(&p, (uint32_t)(fnode + 4));
		for (const char *c = desc; *c; c++)
			put16(&p, (uint8_t)*c);
		put16(&p, 0);
		*p++ = 0x04;	/* media */
		*p++ = 0x04;	/* file path */
		put16(&p, (uint32_t)fnode);
		for (const char *c = path; *c; c++)
			put16(&p, (uint8_t)*c);
		put16(&p, 0);
		*p++ = 0x7f;
		*p++ = 0xff;
		put16(&p, 4);
		char name[16];
		snprintf(name, sizeof(name), "Boot%04X", num);
		append(name, LG_EFI_GLOBAL_GUID, 7, opt, (size_t)(p - opt));

		uint8_t order[512];
		size_t n = 0;
		wr16(order, num);
		n = 2;
		if (find("BootOrder", LG_EFI_GLOBAL_GUID, &v))
			for (size_t i = 0; i + 1 < v.size && n + 2 <= sizeof(order); i += 2)
				if (rd16(v.data + i) != num) {
					wr16(order + n, rd16(v.data + i));
					n += 2;
				}
		append("BootOrder", LG_EFI_GLOBAL_GUID, 7, order, n);
		save(file);
		return 0;
	}
	die("unknown command or wrong arguments", cmd);
}
