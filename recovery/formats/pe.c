// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PE/COFF parsing for identity: headers, Authenticode image hash, version
 * resource. Layouts follow Microsoft's "PE Format" specification and the
 * "Windows Authenticode Portable Executable Signature Format" paper. Every
 * number read from the file goes through lg_in_bounds() or an explicit
 * comparison against a length already checked before it is used.
 */
#include "formats/pe.h"
#include "lib/le.h"
#include "lib/utf16.h"

#include <inttypes.h>

#define PE_DOS_HEADER_SIZE 64
#define PE_COFF_HEADER_SIZE 20
#define PE_SECTION_HEADER_SIZE 40
#define PE_MAGIC_PE32 0x10b
#define PE_MAGIC_PE32PLUS 0x20b
#define PE_DIR_RESOURCE 2
#define PE_DIR_SECURITY 4
/* The loader reads at most 16 data directories whatever the header says. */
#define PE_MAX_DIRS 16

#define RT_VERSION 16
#define VS_FFI_SIGNATURE 0xfeef04bdu
#define VS_FIXEDFILEINFO_SIZE 52
/* Each version block is at least 6 bytes and blocks are 4-byte aligned, so
 * a 64 KiB resource holds fewer than this many; the cap is a second guard. */
#define VS_MAX_BLOCKS 16384

/* lib/le.h, under the short names this file has always used. */
#define rd16 lg_le16
#define rd32 lg_le32

const char *lg_pe_machine_name(uint16_t machine)
{
	switch (machine) {
	case 0x014c: return "i386";
	case 0x8664: return "x86_64";
	case 0xaa64: return "arm64";
	case 0xa641: return "arm64ec";
	case 0x01c0: return "arm";
	case 0x01c4: return "armnt";
	case 0x0200: return "ia64";
	case 0x0ebc: return "ebc";
	case 0x5032: return "riscv32";
	case 0x5064: return "riscv64";
	case 0x6232: return "loongarch32";
	case 0x6264: return "loongarch64";
	default: return NULL;
	}
}

const char *lg_pe_subsystem_name(uint16_t subsystem)
{
	switch (subsystem) {
	case 1: return "native";
	case 2: return "windows_gui";
	case 3: return "windows_cui";
	case 5: return "os2_cui";
	case 7: return "posix_cui";
	case 8: return "native_windows";
	case 9: return "windows_ce_gui";
	case 10: return "efi_application";
	case 11: return "efi_boot_service_driver";
	case 12: return "efi_runtime_driver";
	case 13: return "efi_rom";
	case 14: return "xbox";
	case 16: return "windows_boot_application";
	default: return NULL;
	}
}

static const char *const str_keys[LG_PE_STR_COUNT] = {
	[LG_PE_STR_ORIGINAL_FILENAME] = "OriginalFilename",
	[LG_PE_STR_COMPANY_NAME] = "CompanyName",
	[LG_PE_STR_FILE_DESCRIPTION] = "FileDescription",
	[LG_PE_STR_FILE_VERSION] = "FileVersion",
	[LG_PE_STR_PRODUCT_NAME] = "ProductName",
	[LG_PE_STR_PRODUCT_VERSION] = "ProductVersion",
	[LG_PE_STR_INTERNAL_NAME] = "InternalName",
};

const char *lg_pe_str_key(enum lg_pe_str s)
{
	return (unsigned)s < LG_PE_STR_COUNT ? str_keys[s] : NULL;
}

/* The section table at file offset sect (n entries, checked to lie in the
 * file): copy each entry, check its raw data lies in the file and add its
 * size to *hashed (SUM_OF_BYTES_HASHED of the Authenticode paper). */
static int read_sections(const unsigned char *buf, size_t len, uint64_t sect, unsigned n_sections,
			 struct lg_pe_info *info, uint64_t *hashed, struct lg_err *err)
{
	for (unsigned i = 0; i < n_sections; i++) {
		const unsigned char *s = buf + sect + (uint64_t)i * PE_SECTION_HEADER_SIZE;
		struct lg_pe_section *sec = &info->sections[i];
		memcpy(sec->name, s, 8);
		sec->name[8] = 0;
		for (unsigned k = 0; k < 8; k++)
			if (sec->name[k] && ((unsigned char)sec->name[k] < 0x20 ||
					     (unsigned char)sec->name[k] > 0x7e))
				sec->name[k] = '?';
		sec->virtual_size = rd32(s + 8);
		sec->virtual_address = rd32(s + 12);
		sec->raw_size = rd32(s + 16);
		sec->raw_offset = rd32(s + 20);
		sec->characteristics = rd32(s + 36);
		if (sec->raw_size && !lg_in_bounds(sec->raw_offset, sec->raw_size, len)) {
			lg_err_set(err, "bad PE file: section %u (%s) has raw data at 0x%x+0x%x, past "
				   "the end of the file (%zu bytes)", i, sec->name, sec->raw_offset,
				   sec->raw_size, len);
			return -EBADMSG;
		}
		*hashed += sec->raw_size;
	}
	info->n_sections = n_sections;
	return 0;
}

/* The attribute certificate table: inside the file, and where the hash of
 * the trailing data can leave it out. */
static int check_cert_table(size_t len, uint32_t cert_off, uint32_t cert_size, uint64_t hashed,
			    struct lg_pe_info *info, struct lg_err *err)
{
	if (cert_size) {
		if (!cert_off || !lg_in_bounds(cert_off, cert_size, len)) {
			lg_err_set(err, "bad PE file: the certificate table 0x%x+0x%x lies outside "
				   "the file (%zu bytes)", cert_off, cert_size, len);
			return -EBADMSG;
		}
		/* The hash takes the bytes after the sections up to the file size
		 * less the table: the table must be able to sit there. */
		if (len > hashed && len - hashed < cert_size) {
			lg_err_set(err, "bad PE file: the certificate table (0x%x bytes) overlaps the "
				   "headers or sections", cert_size);
			return -EBADMSG;
		}
	}
	info->cert_offset = cert_size ? cert_off : 0;
	info->cert_size = cert_size;
	return 0;
}

int lg_pe_parse(const unsigned char *buf, size_t len, struct lg_pe_info *info,
		struct lg_err *err)
{
	if ((!buf && len) || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));

	if (len < 2 || buf[0] != 'M' || buf[1] != 'Z') {
		lg_err_set(err, "not a PE file: it does not start with \"MZ\"");
		return -ENOEXEC;
	}
	if (len < PE_DOS_HEADER_SIZE) {
		lg_err_set(err, "not a PE file: %zu bytes, shorter than a DOS header", len);
		return -ENOEXEC;
	}
	uint32_t pe_off = rd32(buf + 0x3c);
	if (!lg_in_bounds(pe_off, 4, len) || memcmp(buf + pe_off, "PE\0\0", 4)) {
		lg_err_set(err, "not a PE file: no \"PE\\0\\0\" signature at offset 0x%x (e_lfanew)",
			   pe_off);
		return -ENOEXEC;
	}
	uint64_t coff = (uint64_t)pe_off + 4;
	if (!lg_in_bounds(coff, PE_COFF_HEADER_SIZE, len)) {
		lg_err_set(err, "PE file cut short: the COFF header at 0x%" PRIx64
			   " needs %d bytes, the file has %zu", coff, PE_COFF_HEADER_SIZE, len);
		return -EBADMSG;
	}
	const unsigned char *c = buf + coff;
	info->machine = rd16(c);
	unsigned n_sections = rd16(c + 2);
	info->timestamp = rd32(c + 4);
	unsigned opt_size = rd16(c + 16);
	info->characteristics = rd16(c + 18);
	if (opt_size == 0) {
		lg_err_set(err, "not a PE image: a COFF object without an optional header");
		return -ENOEXEC;
	}

	uint64_t opt = coff + PE_COFF_HEADER_SIZE;
	if (!lg_in_bounds(opt, opt_size, len)) {
		lg_err_set(err, "PE file cut short: the optional header (%u bytes at 0x%" PRIx64
			   ") runs past the end of the file (%zu bytes)", opt_size, opt, len);
		return -EBADMSG;
	}
	const unsigned char *o = buf + opt;
	uint16_t magic = opt_size >= 2 ? rd16(o) : 0;
	if (magic == PE_MAGIC_PE32PLUS)
		info->pe32plus = true;
	else if (magic != PE_MAGIC_PE32) {
		lg_err_set(err, "bad PE file: optional header magic 0x%x (expected 0x10b for PE32 "
			   "or 0x20b for PE32+)", magic);
		return -EBADMSG;
	}
	/* The data directories start here; NumberOfRvaAndSizes is just before. */
	unsigned dirs = info->pe32plus ? 112 : 96;
	if (opt_size < dirs) {
		lg_err_set(err, "bad PE file: the optional header is %u bytes, too short for %s "
			   "(at least %u)", opt_size, info->pe32plus ? "PE32+" : "PE32", dirs);
		return -EBADMSG;
	}
	info->size_of_headers = rd32(o + 60);
	info->checksum = rd32(o + 64);
	info->subsystem = rd16(o + 68);
	info->checksum_offset = (size_t)opt + 64;
	uint32_t n_dirs = rd32(o + dirs - 4);
	if (n_dirs > PE_MAX_DIRS)
		n_dirs = PE_MAX_DIRS;
	if (dirs + 8u * n_dirs > opt_size) {
		lg_err_set(err, "bad PE file: %u data directories do not fit in the %u-byte "
			   "optional header", n_dirs, opt_size);
		return -EBADMSG;
	}
	if (n_dirs > PE_DIR_RESOURCE) {
		info->resource_rva = rd32(o + dirs + 8 * PE_DIR_RESOURCE);
		info->resource_size = rd32(o + dirs + 8 * PE_DIR_RESOURCE + 4);
	}
	uint32_t cert_off = 0, cert_size = 0;
	if (n_dirs > PE_DIR_SECURITY) {
		info->cert_dir_offset = (size_t)opt + dirs + 8 * PE_DIR_SECURITY;
		cert_off = rd32(buf + info->cert_dir_offset);
		cert_size = rd32(buf + info->cert_dir_offset + 4);
	}

	if (n_sections > LG_PE_MAX_SECTIONS) {
		lg_err_set(err, "bad PE file: %u sections, more than Windows loads (%d)",
			   n_sections, LG_PE_MAX_SECTIONS);
		return -EBADMSG;
	}
	uint64_t sect = opt + opt_size;
	uint64_t sect_end = sect + (uint64_t)n_sections * PE_SECTION_HEADER_SIZE;
	if (sect_end > len) {
		lg_err_set(err, "PE file cut short: the section table (%u entries at 0x%" PRIx64
			   ") runs past the end of the file (%zu bytes)", n_sections, sect, len);
		return -EBADMSG;
	}
	/* What Authenticode hashes as "headers" must cover every header it
	 * trusts, or bytes outside the hash could change the image. */
	uint64_t hdr_need = info->cert_dir_offset ? info->cert_dir_offset + 8 : info->checksum_offset + 4;
	if (sect_end > hdr_need)
		hdr_need = sect_end;
	if (info->size_of_headers > len) {
		lg_err_set(err, "bad PE file: SizeOfHeaders 0x%x is past the end of the file "
			   "(%zu bytes)", info->size_of_headers, len);
		return -EBADMSG;
	}
	if (info->size_of_headers < hdr_need) {
		lg_err_set(err, "bad PE file: SizeOfHeaders 0x%x ends before the headers and "
			   "section table do (0x%" PRIx64 ")", info->size_of_headers, hdr_need);
		return -EBADMSG;
	}

	uint64_t hashed = info->size_of_headers;
	int r = read_sections(buf, len, sect, n_sections, info, &hashed, err);
	if (r < 0)
		return r;
	r = check_cert_table(len, cert_off, cert_size, hashed, info, err);
	if (r < 0)
		return r;
	info->pad_bytes = !cert_size && len % 8 ? (unsigned)(8 - len % 8) : 0;
	return 0;
}

/* Section indexes in PointerToRawData order (stable: ties keep table order). */
static unsigned sections_by_offset(const struct lg_pe_info *info, unsigned idx[LG_PE_MAX_SECTIONS])
{
	unsigned n = 0;
	for (unsigned i = 0; i < info->n_sections; i++) {
		if (!info->sections[i].raw_size)
			continue;
		unsigned j = n++;
		while (j > 0 && info->sections[idx[j - 1]].raw_offset > info->sections[i].raw_offset) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return n;
}

static int hash_range(struct lg_hash *h, const unsigned char *buf, size_t len, uint64_t from,
		      uint64_t to)
{
	if (from > to || to > len)
		return -EINVAL;
	return lg_hash_update(h, buf + from, (size_t)(to - from));
}

static int authentihash(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
			bool pad, unsigned char sha256[LG_SHA256_LEN], unsigned char sha1[LG_SHA1_LEN])
{
	if (!buf || !info || info->n_sections > LG_PE_MAX_SECTIONS || info->pad_bytes > 7)
		return -EINVAL;
	unsigned algs = (sha256 ? LG_HASH_SHA256 : 0) | (sha1 ? LG_HASH_SHA1 : 0);
	_cleanup_(lg_hash_free) struct lg_hash h = { 0 };
	int r = lg_hash_init(&h, algs);
	if (r < 0)
		return r;

	/* Headers, skipping CheckSum and the Certificate Table entry. The
	 * ranges are re-checked (-EINVAL) in case buf is not the parsed one. */
	uint64_t cks = info->checksum_offset, soh = info->size_of_headers;
	r = hash_range(&h, buf, len, 0, cks);
	if (r >= 0 && info->cert_dir_offset) {
		r = hash_range(&h, buf, len, cks + 4, info->cert_dir_offset);
		if (r >= 0)
			r = hash_range(&h, buf, len, info->cert_dir_offset + 8, soh);
	} else if (r >= 0)
		r = hash_range(&h, buf, len, cks + 4, soh);
	if (r < 0)
		return r;

	unsigned idx[LG_PE_MAX_SECTIONS];
	unsigned n = sections_by_offset(info, idx);
	uint64_t hashed = soh;
	for (unsigned i = 0; i < n; i++) {
		const struct lg_pe_section *s = &info->sections[idx[i]];
		r = hash_range(&h, buf, len, s->raw_offset, (uint64_t)s->raw_offset + s->raw_size);
		if (r < 0)
			return r;
		hashed += s->raw_size;
	}

	/* Trailing data: from SUM_OF_BYTES_HASHED (used as a file offset, as
	 * the specification does) to the file size less the certificate table. */
	if (len > hashed) {
		if (len - hashed < info->cert_size)
			return -EINVAL;
		r = hash_range(&h, buf, len, hashed, len - info->cert_size);
		if (r < 0)
			return r;
	}
	if (pad && info->pad_bytes) {
		static const unsigned char zeros[8];
		r = lg_hash_update(&h, zeros, info->pad_bytes);
		if (r < 0)
			return r;
	}
	return lg_hash_final(&h, sha256, sha1);
}

int lg_pe_authentihash(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
		       unsigned char sha256[LG_SHA256_LEN], unsigned char sha1[LG_SHA1_LEN])
{
	return authentihash(buf, len, info, true, sha256, sha1);
}

int lg_pe_authentihash_unpadded(const unsigned char *buf, size_t len,
				const struct lg_pe_info *info,
				unsigned char sha256[LG_SHA256_LEN],
				unsigned char sha1[LG_SHA1_LEN])
{
	return authentihash(buf, len, info, false, sha256, sha1);
}

/* ---- version resource ---- */

/* Map [rva, rva+size) to a file offset inside one section's raw data. */
static bool rva_to_off(const struct lg_pe_info *info, uint32_t rva, uint32_t size, uint64_t *off,
		       uint64_t *avail)
{
	for (unsigned i = 0; i < info->n_sections; i++) {
		const struct lg_pe_section *s = &info->sections[i];
		if (!s->raw_size || rva < s->virtual_address)
			continue;
		uint64_t delta = (uint64_t)rva - s->virtual_address;
		if (delta >= s->raw_size)
			continue;
		if (delta + size > s->raw_size)
			return false;
		*off = (uint64_t)s->raw_offset + delta;
		if (avail)
			*avail = s->raw_size - delta;
		return true;
	}
	return false;
}

/* The resource tree: directory offsets are relative to its start and must
 * stay inside the section that holds it (the window). */
struct res_win {
	const unsigned char *p;
	uint64_t len;
};

#define RES_ANY UINT32_MAX

/* In the directory at dir, find the entry for id (RES_ANY: the first; with
 * prefer set, id if present, else the first). Returns the entry's target
 * (subdirectory flag kept) in *target. 0, -ENOENT, -EBADMSG. */
static int res_lookup(const struct res_win *w, uint32_t dir, uint32_t id, bool prefer,
		      uint32_t *target, struct lg_err *err)
{
	if (!lg_in_bounds(dir, 16, w->len)) {
		lg_err_set(err, "bad resource tree: directory at +0x%x is outside the resource "
			   "section", dir);
		return -EBADMSG;
	}
	unsigned n = (unsigned)rd16(w->p + dir + 12) + rd16(w->p + dir + 14);
	if (!lg_in_bounds((uint64_t)dir + 16, (uint64_t)n * 8, w->len)) {
		lg_err_set(err, "bad resource tree: %u entries at +0x%x run past the resource "
			   "section", n, dir);
		return -EBADMSG;
	}
	const unsigned char *e = w->p + dir + 16;
	if (!n)
		return -ENOENT;
	for (unsigned i = 0; i < n; i++) {
		uint32_t name = rd32(e + 8 * i);
		if (id != RES_ANY && !(name & 0x80000000u) && name == id) {
			*target = rd32(e + 8 * i + 4);
			return 0;
		}
	}
	if (id != RES_ANY && !prefer)
		return -ENOENT;
	*target = rd32(e + 4);
	return 0;
}

static bool key_is(const unsigned char *k, size_t chars, const char *want)
{
	size_t wl = strlen(want);
	if (chars != wl)
		return false;
	for (size_t i = 0; i < wl; i++) {
		uint16_t u = rd16(k + 2 * i);
		unsigned char a = (unsigned char)want[i];
		if (u > 0x7f)
			return false;
		unsigned char b = (unsigned char)u;
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* One VS_VERSIONINFO-style block: wLength, wValueLength, wType, szKey,
 * padding, Value, padding, Children. Offsets are relative to the resource
 * data, which Windows aligns to 4 bytes; so are the paddings. */
struct vblock {
	uint64_t start, end;      /* [start, end): the whole block */
	uint16_t value_len, type;
	uint64_t key;             /* offset of the UTF-16LE key */
	size_t key_chars;         /* without the NUL */
	uint64_t value;           /* offset of the value (may equal end) */
	uint64_t children;        /* offset of the first child (may equal end) */
};

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~(uint64_t)3;
}

/* Read the block at start, which must end by limit. 0; 1 for the zero
 * padding some linkers leave at the end of a list; -EBADMSG. */
static int vblock_read(const unsigned char *d, uint64_t start, uint64_t limit, struct vblock *v,
		       struct lg_err *err)
{
	if (!lg_in_bounds(start, 6, limit)) {
		lg_err_set(err, "bad version resource: block at +0x%" PRIx64 " is cut short", start);
		return -EBADMSG;
	}
	uint16_t wlen = rd16(d + start);
	if (wlen == 0)
		return 1;
	if (wlen < 6 || start + wlen > limit) {
		lg_err_set(err, "bad version resource: block at +0x%" PRIx64 " claims %u bytes, "
			   "its container has %" PRIu64, start, wlen, limit - start);
		return -EBADMSG;
	}
	v->start = start;
	v->end = start + wlen;
	v->value_len = rd16(d + start + 2);
	v->type = rd16(d + start + 4);
	v->key = start + 6;
	uint64_t p = v->key;
	while (p + 2 <= v->end && rd16(d + p))
		p += 2;
	if (p + 2 > v->end) {
		lg_err_set(err, "bad version resource: the key of the block at +0x%" PRIx64
			   " is not terminated", start);
		return -EBADMSG;
	}
	v->key_chars = (size_t)((p - v->key) / 2);
	v->value = align4(p + 2);
	if (v->value > v->end)
		v->value = v->end;
	/* wValueLength counts bytes for binary values and, in theory, WCHARs
	 * for text; text values are read up to their NUL instead. */
	uint64_t vbytes = v->type == 1 ? 2ull * v->value_len : v->value_len;
	if (v->value + vbytes > v->end)
		vbytes = v->end - v->value;
	v->children = align4(v->value + vbytes);
	if (v->children > v->end)
		v->children = v->end;
	return 0;
}

static void read_fixed(const unsigned char *f, struct lg_pe_version *ver)
{
	uint32_t fv_ms = rd32(f + 8), fv_ls = rd32(f + 12);
	uint32_t pv_ms = rd32(f + 16), pv_ls = rd32(f + 20);
	ver->file_version[0] = (uint16_t)(fv_ms >> 16);
	ver->file_version[1] = (uint16_t)fv_ms;
	ver->file_version[2] = (uint16_t)(fv_ls >> 16);
	ver->file_version[3] = (uint16_t)fv_ls;
	ver->product_version[0] = (uint16_t)(pv_ms >> 16);
	ver->product_version[1] = (uint16_t)pv_ms;
	ver->product_version[2] = (uint16_t)(pv_ls >> 16);
	ver->product_version[3] = (uint16_t)pv_ls;
	ver->file_flags = rd32(f + 28) & rd32(f + 24);
	ver->file_os = rd32(f + 32);
	ver->file_type = rd32(f + 36);
	ver->has_fixed = true;
}

/* StringFileInfo: children are StringTables ("040904b0"), whose children
 * are the String blocks. Fixed depth, so plain loops, no recursion. A list
 * of children ends where fewer than 6 bytes (a block header) remain: that
 * is alignment padding after the last child, which some linkers count in
 * the parent's length and some do not. */
static int read_string_file_info(const unsigned char *d, const struct vblock *sfi,
				 struct lg_pe_version *ver, unsigned *budget, struct lg_err *err)
{
	struct vblock t, s;
	for (uint64_t tp = sfi->children; tp + 6 <= sfi->end; tp = align4(t.end)) {
		if (!(*budget)--)
			goto too_many;
		int r = vblock_read(d, tp, sfi->end, &t, err);
		if (r < 0)
			return r;
		if (r > 0)
			break;
		for (uint64_t sp = t.children; sp + 6 <= t.end; sp = align4(s.end)) {
			if (!(*budget)--)
				goto too_many;
			r = vblock_read(d, sp, t.end, &s, err);
			if (r < 0)
				return r;
			if (r > 0)
				break;
			for (unsigned k = 0; k < LG_PE_STR_COUNT; k++) {
				if (ver->has_str[k] || !key_is(d + s.key, s.key_chars, str_keys[k]))
					continue;
				lg_utf16_to_utf8_buf(d + s.value, (size_t)((s.end - s.value) / 2), LG_UTF16_STOP_NUL,
						     ver->str[k], LG_PE_STR_MAX, NULL, &ver->truncated[k]);
				ver->has_str[k] = true;
				break;
			}
		}
	}
	return 0;
too_many:
	lg_err_set(err, "bad version resource: more than %d blocks", VS_MAX_BLOCKS);
	return -EBADMSG;
}

int lg_pe_version(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
		  struct lg_pe_version *ver, struct lg_err *err)
{
	if (!buf || !info || !ver || info->n_sections > LG_PE_MAX_SECTIONS)
		return -EINVAL;
	memset(ver, 0, sizeof(*ver));
	if (!info->resource_rva || !info->resource_size) {
		lg_err_set(err, "no resources, so no version information");
		return -ENOENT;
	}

	uint64_t root, avail;
	if (!rva_to_off(info, info->resource_rva, 16, &root, &avail) ||
	    !lg_in_bounds(root, avail, len)) {
		lg_err_set(err, "bad resource tree: the resource directory (RVA 0x%x) is not in "
			   "any section's data", info->resource_rva);
		return -EBADMSG;
	}
	struct res_win w = { buf + root, avail };

	uint32_t t;
	int r = res_lookup(&w, 0, RT_VERSION, false, &t, err);
	if (r == -ENOENT) {
		lg_err_set(err, "no version resource (RT_VERSION)");
		return r;
	}
	if (r < 0)
		return r;
	for (int level = 0; level < 2; level++) {
		if (!(t & 0x80000000u)) {
			lg_err_set(err, "bad resource tree: RT_VERSION entry at level %d is not a "
				   "directory", level + 1);
			return -EBADMSG;
		}
		/* Level 2 is the name (VS_VERSION_INFO is 1), level 3 the language. */
		r = res_lookup(&w, t & 0x7fffffffu, level == 0 ? 1 : RES_ANY, true, &t, err);
		if (r == -ENOENT) {
			lg_err_set(err, "no version resource (RT_VERSION directory is empty)");
			return r;
		}
		if (r < 0)
			return r;
	}
	if ((t & 0x80000000u) || !lg_in_bounds(t, 16, w.len)) {
		lg_err_set(err, "bad resource tree: the RT_VERSION data entry (+0x%x) is not a "
			   "data entry inside the resource section", t);
		return -EBADMSG;
	}
	uint32_t data_rva = rd32(w.p + t), data_size = rd32(w.p + t + 4);
	uint64_t data;
	if (!rva_to_off(info, data_rva, data_size, &data, NULL) || !lg_in_bounds(data, data_size, len)) {
		lg_err_set(err, "bad resource tree: the version data (RVA 0x%x, %u bytes) is not "
			   "inside a section's data", data_rva, data_size);
		return -EBADMSG;
	}
	const unsigned char *d = buf + data;

	struct vblock root_blk;
	r = vblock_read(d, 0, data_size, &root_blk, err);
	if (r > 0) {
		lg_err_set(err, "bad version resource: empty VS_VERSIONINFO");
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	if (!key_is(d + root_blk.key, root_blk.key_chars, "VS_VERSION_INFO")) {
		lg_err_set(err, "bad version resource: the first block is not VS_VERSION_INFO");
		return -EBADMSG;
	}
	if (root_blk.value_len) {
		if (root_blk.value_len < VS_FIXEDFILEINFO_SIZE ||
		    root_blk.value + VS_FIXEDFILEINFO_SIZE > root_blk.end) {
			lg_err_set(err, "bad version resource: VS_FIXEDFILEINFO is %u bytes, expected %d",
				   root_blk.value_len, VS_FIXEDFILEINFO_SIZE);
			return -EBADMSG;
		}
		uint32_t sig = rd32(d + root_blk.value);
		if (sig != VS_FFI_SIGNATURE) {
			lg_err_set(err, "bad version resource: VS_FIXEDFILEINFO signature 0x%08x "
				   "(expected 0x%08x)", sig, VS_FFI_SIGNATURE);
			return -EBADMSG;
		}
		read_fixed(d + root_blk.value, ver);
	}

	unsigned budget = VS_MAX_BLOCKS;
	struct vblock c;
	for (uint64_t p = root_blk.children; p + 6 <= root_blk.end; p = align4(c.end)) {
		if (!budget--) {
			lg_err_set(err, "bad version resource: more than %d blocks", VS_MAX_BLOCKS);
			return -EBADMSG;
		}
		r = vblock_read(d, p, root_blk.end, &c, err);
		if (r < 0)
			return r;
		if (r > 0)
			break;
		if (key_is(d + c.key, c.key_chars, "StringFileInfo")) {
			r = read_string_file_info(d, &c, ver, &budget, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
