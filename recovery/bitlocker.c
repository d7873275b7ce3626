// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BitLocker detection. Layout (public: libbde's documentation, Microsoft's
 * FVE headers): the boot sector carries the BitLocker identifier GUID and
 * three offsets of identical FVE metadata blocks; each block starts with
 * "-FVE-FS-" and, 64 bytes in, the metadata header whose volume GUID
 * identifies the volume (manage-bde's "Volume ID" is another thing; the
 * recovery screen shows protector GUIDs, listed by the unlock code).
 */
#include "bitlocker.h"

/* 4967d63b-2e29-4ad8-8399-f6a339e3d001 as stored on disk */
static const unsigned char bitlocker_id[16] = {
	0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
	0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01,
};

void lg_guid_format(const unsigned char g[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int lg_bitlocker_probe(int fd, uint64_t offset, uint64_t size, struct lg_bitlocker_info *info)
{
	unsigned char bs[512];
	memset(info, 0, sizeof(*info));
	if (size < sizeof(bs))
		return 0;
	ssize_t r = pread(fd, bs, sizeof(bs), (off_t)offset);
	if (r < 0)
		return -errno;
	if (r != (ssize_t)sizeof(bs))
		return 0;
	size_t ptr_at;
	if (!memcmp(bs + 3, "-FVE-FS-", 8) && !memcmp(bs + 0xa0, bitlocker_id, 16)) {
		ptr_at = 0xb0; /* Windows 7 and later */
	} else if (!memcmp(bs + 0x1a8, bitlocker_id, 16)) {
		ptr_at = 0x1b8; /* To Go: a FAT boot sector that hides the volume */
		info->to_go = true;
	} else if (!memcmp(bs + 3, "-FVE-FS-", 8)) {
		return -EBADMSG; /* Vista layout or damaged: recognised, not supported */
	} else {
		return 0;
	}
	int good = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t mo = le64(bs + ptr_at + 8 * (size_t)i);
		info->metadata_offset[i] = mo;
		unsigned char blk[64 + 48];
		if (!lg_in_bounds(mo, sizeof(blk), size))
			continue;
		r = pread(fd, blk, sizeof(blk), (off_t)(offset + mo));
		if (r != (ssize_t)sizeof(blk) || memcmp(blk, "-FVE-FS-", 8))
			continue;
		uint32_t hdr_size = le32(blk + 64 + 8);
		uint32_t meta_size = le32(blk + 64);
		if (hdr_size < 48 || meta_size < hdr_size)
			continue;
		if (!good) {
			info->metadata_version = (uint16_t)(blk[10] | blk[11] << 8);
			lg_guid_format(blk + 64 + 16, info->volume_guid);
		}
		good++;
	}
	return good ? 1 : -EBADMSG;
}
