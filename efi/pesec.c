// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PE section lookup (see pesec.h). Reads little-endian fields byte by byte:
 * no alignment or endianness assumptions about the buffer.
 */
#include "pesec.h"

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }

static int in_bounds(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

int pe_find_section(const void *img, size_t img_size, enum pe_layout layout, const char *name,
		    size_t *off, size_t *size)
{
	const uint8_t *p = img;
	size_t namelen = 0;
	while (name[namelen])
		if (++namelen > 8)
			return -2;

	if (!in_bounds(0, 64, img_size) || p[0] != 'M' || p[1] != 'Z')
		return -1;
	uint32_t pe = rd32(p + 0x3c);
	/* signature (4) + COFF file header (20) */
	if (!in_bounds(pe, 24, img_size) || rd32(p + pe) != 0x00004550u)
		return -1;
	uint32_t nsec = rd16(p + pe + 6);
	uint32_t opt_size = rd16(p + pe + 20);
	uint64_t sec = (uint64_t)pe + 24 + opt_size;
	if (!in_bounds(sec, (uint64_t)nsec * 40, img_size))
		return -1;

	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *s = p + sec + (uint64_t)i * 40;
		size_t k;
		for (k = 0; k < namelen; k++)
			if (s[k] != (uint8_t)name[k])
				break;
		if (k != namelen || (namelen < 8 && s[namelen] != 0))
			continue;
		uint32_t vsize = rd32(s + 8), vaddr = rd32(s + 12);
		uint32_t rawsize = rd32(s + 16), rawptr = rd32(s + 20);
		uint64_t o, n;
		if (layout == PE_LAYOUT_MEMORY) {
			o = vaddr;
			n = vsize;
		} else {
			o = rawptr;
			/* VirtualSize is the content; raw data is padded to
			 * FileAlignment, or shorter when the tail is zero. */
			n = vsize && vsize < rawsize ? vsize : rawsize;
		}
		if (!in_bounds(o, n, img_size))
			return -1;
		*off = (size_t)o;
		*size = (size_t)n;
		return 0;
	}
	return -2;
}
