// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * newc cpio writer and the bek.txt check (see newc.h). No libc beyond what the UEFI stub has:
 * explicit loops instead of string functions.
 */
#include "newc.h"

#define NEWC_HDR 110u
#define NEWC_NAME_MAX 4096u
static const char trailer[] = "TRAILER!!!";

static size_t align4(size_t v) { return (v + 3u) & ~(size_t)3u; }

static size_t name_len(const char *s)
{
	size_t n = 0;
	while (s && s[n] && n < NEWC_NAME_MAX)
		n++;
	return n;
}

/* Size of one member: header, name with its NUL padded to 4, data padded to 4. */
static size_t member_size(size_t namelen, uint32_t datalen, size_t *out)
{
	size_t a = align4(NEWC_HDR + namelen + 1);
	size_t b = align4((size_t)datalen);
	if (b < datalen || a + b < a)
		return 0;
	*out = a + b;
	return 1;
}

size_t newc_size(const struct newc_entry *e, size_t n)
{
	size_t total = 0, m;
	for (size_t i = 0; i < n; i++) {
		size_t len = name_len(e[i].name);
		if (len == 0 || len >= NEWC_NAME_MAX)
			return 0;
		if (!member_size(len, e[i].data ? e[i].size : 0, &m) || total + m < total)
			return 0;
		total += m;
	}
	member_size(sizeof(trailer) - 1, 0, &m);
	if (total + m < total)
		return 0;
	return total + m;
}

static void put_hex8(unsigned char *p, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)digits[v & 0xf];
		v >>= 4;
	}
}

static size_t put_member(unsigned char *p, uint32_t ino, const char *name, size_t namelen,
			 uint32_t mode, const void *data, uint32_t size, uint32_t mtime)
{
	const uint32_t fields[13] = {
		ino, mode, 0 /* uid */, 0 /* gid */, 1 /* nlink */, mtime, size,
		0, 0, 0, 0, (uint32_t)namelen + 1, 0 /* check */
	};
	size_t off = 0;
	const char magic[] = "070701";
	for (int i = 0; i < 6; i++)
		p[off++] = (unsigned char)magic[i];
	for (int i = 0; i < 13; i++, off += 8)
		put_hex8(p + off, fields[i]);
	for (size_t i = 0; i < namelen; i++)
		p[off++] = (unsigned char)name[i];
	p[off++] = 0;
	while (off & 3)
		p[off++] = 0;
	const unsigned char *d = data;
	for (uint32_t i = 0; i < size; i++)
		p[off++] = d[i];
	while (off & 3)
		p[off++] = 0;
	return off;
}

size_t newc_write(const struct newc_entry *e, size_t n, uint32_t mtime, void *buf, size_t bufsize)
{
	size_t need = newc_size(e, n);
	if (need == 0 || !buf || bufsize < need)
		return 0;
	unsigned char *p = buf;
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t size = e[i].data ? e[i].size : 0;
		/* inode numbers only need to be distinct; the kernel links
		 * entries by inode only when nlink > 1, never here. */
		off += put_member(p + off, (uint32_t)(0x4c470000u + i), e[i].name, name_len(e[i].name),
				  e[i].mode, e[i].data, size, mtime);
	}
	off += put_member(p + off, 0, trailer, sizeof(trailer) - 1, 0, 0, 0, 0);
	return off;
}

/* ---- bek.txt ------------------------------------------------------------ */

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

int bek_name_ok(const char *name, size_t n)
{
	static const char ext[] = ".bek";
	if (!name || n < 5 || n > BEK_NAME_MAX)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (lower(name[n - 4 + i]) != ext[i])
			return 0;
	int digits = 0;
	for (size_t i = 0; i < n - 4; i++) {
		if (is_hex(name[i]))
			digits = 1;
		else if (name[i] != '-')
			return 0;
	}
	return digits;
}

static int same_name(const char *a, const char *b)
{
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return a[i] == b[i];
}

enum bek_list_status bek_list_parse(const void *txt, size_t len, struct bek_list *out, size_t *line)
{
	const unsigned char *p = txt;
	size_t off = 0, lineno = 0;
	out->n = 0;
	*line = 0;
	if (len > BEK_TXT_MAX || (len && !p))
		return BEK_LIST_TOO_BIG;
	/* Windows Notepad may start the file with a UTF-8 byte order mark. */
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		off = 3;
	while (off < len) {
		size_t start = off, end;
		while (off < len && p[off] != '\n')
			off++;
		end = off;
		if (off < len)
			off++;	/* the LF */
		lineno++;
		if (end > start && p[end - 1] == '\r')
			end--;
		while (start < end && (p[start] == ' ' || p[start] == '\t'))
			start++;
		while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (start == end)
			continue;
		enum bek_list_status st = BEK_LIST_OK;
		if (!bek_name_ok((const char *)p + start, end - start))
			st = BEK_LIST_BAD_NAME;
		else if (out->n == BEK_LIST_MAX)
			st = BEK_LIST_TOO_MANY;
		if (st == BEK_LIST_OK) {
			char *d = out->name[out->n];
			for (size_t i = 0; i < end - start; i++)
				d[i] = (char)p[start + i];
			d[end - start] = 0;
			for (unsigned k = 0; k < out->n; k++)
				if (same_name(out->name[k], d))
					st = BEK_LIST_TWICE;
		}
		if (st != BEK_LIST_OK) {
			out->n = 0;
			*line = lineno;
			return st;
		}
		out->n++;
	}
	return BEK_LIST_OK;
}
