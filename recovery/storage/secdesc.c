// SPDX-License-Identifier: GPL-2.0-or-later
#include "storage/secdesc.h"

/* Control bits and ACE values (MS-DTYP 2.4.6, 2.4.4). */
#define SE_DACL_PRESENT 0x0004
#define SE_DACL_PROTECTED 0x1000
#define SE_SELF_RELATIVE 0x8000
#define ACE_ALLOWED 0x00
#define ACE_DENIED 0x01
#define ACE_INHERIT_OI_CI 0x03
#define FILE_ALL_ACCESS 0x001F01FFu

static const unsigned char sid_system[12] = { 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0 };
static const unsigned char sid_admins[16] = { 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0 };

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static size_t put_ace(unsigned char *p, unsigned char flags, const unsigned char *sid, size_t sid_len)
{
	p[0] = ACE_ALLOWED;
	p[1] = flags;
	put16(p + 2, (uint16_t)(8 + sid_len));
	put32(p + 4, FILE_ALL_ACCESS);
	memcpy(p + 8, sid, sid_len);
	return 8 + sid_len;
}

size_t lg_sd_own(bool dir, unsigned char *out)
{
	/* header (20) | DACL: header (8), SYSTEM ACE (20), Administrators
	 * ACE (24) | owner (16) | group (12): 100 bytes. */
	memset(out, 0, LG_SD_OWN_MAX);
	unsigned char flags = dir ? ACE_INHERIT_OI_CI : 0;
	size_t dacl = 20, p = dacl + 8;
	p += put_ace(out + p, flags, sid_system, sizeof(sid_system));
	p += put_ace(out + p, flags, sid_admins, sizeof(sid_admins));
	out[dacl] = 2; /* ACL revision */
	put16(out + dacl + 2, (uint16_t)(p - dacl));
	put16(out + dacl + 4, 2);
	size_t owner = p;
	memcpy(out + p, sid_admins, sizeof(sid_admins));
	p += sizeof(sid_admins);
	size_t group = p;
	memcpy(out + p, sid_system, sizeof(sid_system));
	p += sizeof(sid_system);
	out[0] = 1; /* revision */
	put16(out + 2, SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_DACL_PROTECTED);
	put32(out + 4, (uint32_t)owner);
	put32(out + 8, (uint32_t)group);
	put32(out + 16, (uint32_t)dacl);
	return p;
}

/* The length of a valid SID at off, or 0. */
static size_t sid_len(const unsigned char *b, size_t len, size_t off)
{
	if (!lg_in_bounds(off, 8, len) || b[off] != 1 || b[off + 1] > 15)
		return 0;
	size_t n = 8 + 4 * (size_t)b[off + 1];
	return lg_in_bounds(off, n, len) ? n : 0;
}

static bool sid_is_admin_or_system(const unsigned char *sid, size_t n)
{
	return (n == sizeof(sid_system) && !memcmp(sid, sid_system, n)) ||
	       (n == sizeof(sid_admins) && !memcmp(sid, sid_admins, n));
}

int lg_sd_trusted(const void *sd, size_t len, const char **why)
{
	const unsigned char *b = sd;
	static const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!b || len < 20 || len > LG_SD_MAX || b[0] != 1) {
		*why = "not a valid security descriptor";
		return -EBADMSG;
	}
	uint16_t control = get16(b + 2);
	uint32_t owner = get32(b + 4), dacl = get32(b + 16);
	if (!(control & SE_SELF_RELATIVE)) {
		*why = "not a valid security descriptor";
		return -EBADMSG;
	}
	size_t on = owner ? sid_len(b, len, owner) : 0;
	if (!on) {
		*why = owner ? "not a valid security descriptor" : "it has no owner";
		return owner ? -EBADMSG : 0;
	}
	if (!sid_is_admin_or_system(b + owner, on)) {
		*why = "its owner is not SYSTEM or Administrators";
		return 0;
	}
	if (!(control & SE_DACL_PRESENT) || !dacl) {
		*why = "it has no DACL: everyone has full access";
		return 0;
	}
	if (!lg_in_bounds(dacl, 8, len) || (b[dacl] != 2 && b[dacl] != 4)) {
		*why = "not a valid security descriptor";
		return -EBADMSG;
	}
	size_t acl_size = get16(b + dacl + 2), count = get16(b + dacl + 4);
	if (acl_size < 8 || !lg_in_bounds(dacl, acl_size, len)) {
		*why = "not a valid security descriptor";
		return -EBADMSG;
	}
	size_t p = dacl + 8, end = dacl + acl_size;
	for (size_t i = 0; i < count; i++) {
		if (!lg_in_bounds(p, 8, end)) {
			*why = "not a valid security descriptor";
			return -EBADMSG;
		}
		size_t asz = get16(b + p + 2);
		if (asz < 8 || !lg_in_bounds(p, asz, end)) {
			*why = "not a valid security descriptor";
			return -EBADMSG;
		}
		unsigned char type = b[p];
		if (type == ACE_DENIED) {
			p += asz;
			continue;
		}
		if (type != ACE_ALLOWED) {
			/* Object and callback ACEs have other layouts: whatever
			 * they grant, lastgood never writes them. */
			*why = "its DACL has an entry lastgood does not write";
			return 0;
		}
		size_t sn = sid_len(b, p + asz, p + 8);
		if (!sn) {
			*why = "not a valid security descriptor";
			return -EBADMSG;
		}
		if (get32(b + p + 4) && !sid_is_admin_or_system(b + p + 8, sn)) {
			*why = "it grants rights to someone other than SYSTEM and Administrators";
			return 0;
		}
		p += asz;
	}
	return 1;
}
