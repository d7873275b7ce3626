// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BitLocker: detection, protector listing, unlock. Layout (public: libbde's
 * format documentation, cryptsetup's BITLK code, checked against volumes
 * Windows made): the boot sector carries the BitLocker identifier GUID and
 * three offsets of identical FVE metadata blocks. Each block is
 *
 *   block header (64)  "-FVE-FS-", size in 16-byte units, version 2,
 *                      conversion state, volume size, the three offsets
 *   metadata header (48)  metadata size, volume GUID, encryption method,
 *                      creation time
 *   entries            size, type, value type, version, data; VMK entries
 *                      (type 2) hold the protector GUID and its protection
 *                      type, then nested property entries
 *   validation         at the block size: size, version, CRC-32 of the block
 *
 * Windows keeps three copies so that one torn write cannot lose them: the
 * first copy whose CRC-32 holds is the one read (cryptsetup 2.7 does the
 * same; 2.6 reads the first copy unchecked).
 *
 * Unlocking is libcryptsetup's: it derives the keys, checks the metadata's
 * MAC and builds the dm-crypt table. What is ours: choosing the key by
 * protector GUID, the device (partition node or loop device with offset),
 * the mapping's name and lifetime, and the messages.
 */
#include "storage/bitlocker.h"
#include "formats/keys.h"
#include "lib/le.h"
#include "lib/utf16.h"

#include <dirent.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <zlib.h>

/* 4967d63b-2e29-4ad8-8399-f6a339e3d001 as stored on disk */
static const unsigned char bitlocker_id[16] = {
	0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
	0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01,
};
/* 92a84d3b-dd80-4d0e-9e4e-b1e3284eaed8: a volume being converted
 * ("encrypt on write"); libcryptsetup refuses to open these. */
static const unsigned char bitlocker_eow_id[16] = {
	0x3b, 0x4d, 0xa8, 0x92, 0x80, 0xdd, 0x0e, 0x4d,
	0x9e, 0x4e, 0xb1, 0xe3, 0x28, 0x4e, 0xae, 0xd8,
};

#define FVE_BLOCK_HDR 64
#define FVE_META_HDR 48
#define FVE_HDRS (FVE_BLOCK_HDR + FVE_META_HDR)
#define FVE_ENTRY_HDR 8
#define FVE_VMK_HDR 28

enum {
	ENTRY_PROPERTY = 0x0000,
	ENTRY_VMK = 0x0002,
	ENTRY_DESCRIPTION = 0x0007,
};
enum {
	VALUE_STRING = 0x0002,
	VALUE_VMK = 0x0008,
};

/* Unix time of the FILETIME epoch, in 100 ns units. */
#define FILETIME_UNIX_EPOCH 116444736000000000ULL

const char *lg_bl_kind_name(enum lg_bl_kind k)
{
	switch (k) {
	case LG_BL_PROT_CLEAR_KEY: return "clear-key";
	case LG_BL_PROT_TPM: return "tpm";
	case LG_BL_PROT_STARTUP_KEY: return "startup-key";
	case LG_BL_PROT_TPM_PIN: return "tpm-pin";
	case LG_BL_PROT_RECOVERY_PASSWORD: return "recovery-password";
	case LG_BL_PROT_SMART_CARD: return "smart-card";
	case LG_BL_PROT_PASSWORD: return "password";
	case LG_BL_PROT_UNKNOWN: break;
	}
	return "unknown";
}

const char *lg_bl_kind_words(enum lg_bl_kind k)
{
	switch (k) {
	case LG_BL_PROT_CLEAR_KEY: return "clear key (BitLocker suspended)";
	case LG_BL_PROT_TPM: return "TPM";
	case LG_BL_PROT_STARTUP_KEY: return "startup key (.BEK file)";
	case LG_BL_PROT_TPM_PIN: return "TPM and PIN";
	case LG_BL_PROT_RECOVERY_PASSWORD: return "recovery password";
	case LG_BL_PROT_SMART_CARD: return "smart card";
	case LG_BL_PROT_PASSWORD: return "password";
	case LG_BL_PROT_UNKNOWN: break;
	}
	return "unknown protector";
}

/* Only the protection types Windows is known to write; the others are
 * shown with their number rather than guessed. */
static enum lg_bl_kind protection_kind(uint16_t p)
{
	switch (p) {
	case 0x0000: return LG_BL_PROT_CLEAR_KEY;
	case 0x0100: return LG_BL_PROT_TPM;
	case 0x0200: return LG_BL_PROT_STARTUP_KEY;
	case 0x0500: return LG_BL_PROT_TPM_PIN;
	case 0x0800: return LG_BL_PROT_RECOVERY_PASSWORD;
	case 0x1000: return LG_BL_PROT_SMART_CARD;
	case 0x2000: return LG_BL_PROT_PASSWORD;
	default: return LG_BL_PROT_UNKNOWN;
	}
}

bool lg_bl_kind_usable(enum lg_bl_kind k)
{
	return k == LG_BL_PROT_RECOVERY_PASSWORD || k == LG_BL_PROT_STARTUP_KEY;
}

const char *lg_bl_encryption_name(uint16_t e)
{
	switch (e) {
	case 0x8000: return "AES-CBC 128 with diffuser";
	case 0x8001: return "AES-CBC 256 with diffuser";
	case 0x8002: return "AES-CBC 128";
	case 0x8003: return "AES-CBC 256";
	case 0x8004: return "XTS-AES 128";
	case 0x8005: return "XTS-AES 256";
	default: return NULL;
	}
}

int lg_bl_cipher(uint16_t e, const char **cipher, int *key_bits)
{
	static const struct { const char *c; int bits; } t[] = {
		{ "aes-cbc-elephant", 256 }, { "aes-cbc-elephant", 512 },
		{ "aes-cbc-eboiv", 128 }, { "aes-cbc-eboiv", 256 },
		{ "aes-xts-plain64", 256 }, { "aes-xts-plain64", 512 },
	};
	if (e < 0x8000 || e > 0x8005)
		return -ENOTSUP;
	*cipher = t[e - 0x8000].c;
	*key_bits = t[e - 0x8000].bits;
	return 0;
}

/* The nested properties of a VMK entry: only the VMK's name is listed.
 * A malformed property ends the walk, the protector stays listed. */
static void vmk_properties(const unsigned char *p, size_t len, struct lg_bl_protector *pr)
{
	size_t pos = 0;
	while (len - pos >= FVE_ENTRY_HDR) {
		uint16_t sz = lg_le16(p + pos);
		if (sz < FVE_ENTRY_HDR || sz > len - pos)
			return;
		/* Controls would let a volume move the cursor on the
		 * technician's screen: they become '?'. */
		if (lg_le16(p + pos + 4) == VALUE_STRING && !pr->name[0])
			lg_utf16_to_utf8_buf(p + pos + FVE_ENTRY_HDR, (sz - FVE_ENTRY_HDR) / 2,
					     LG_UTF16_STOP_NUL | LG_UTF16_NO_CONTROL, pr->name, sizeof(pr->name),
					     NULL, NULL);
		pos += sz;
	}
}

int lg_fve_parse(const unsigned char *blk, size_t len, struct lg_bitlocker_info *info, struct lg_err *err)
{
	if (len < FVE_HDRS) {
		lg_err_set(err, "FVE metadata block: %zu bytes, its headers need %d", len, FVE_HDRS);
		return -EBADMSG;
	}
	if (memcmp(blk, "-FVE-FS-", 8)) {
		lg_err_set(err, "FVE metadata block: no \"-FVE-FS-\" signature");
		return -EBADMSG;
	}
	uint16_t version = lg_le16(blk + 10);
	if (version != 2) {
		lg_err_set(err, "FVE metadata block: version %u (%s)", version,
			   version == 1 ? "Windows Vista: not supported" : "unknown");
		return -EBADMSG;
	}
	size_t block_size = (size_t)lg_le16(blk + 8) * 16;
	if (block_size < FVE_HDRS || block_size > LG_FVE_BLOCK_MAX) {
		lg_err_set(err, "FVE metadata block: size %zu is %s", block_size,
			   block_size < FVE_HDRS ? "smaller than its headers" : "larger than the 64 KiB metadata area");
		return -EBADMSG;
	}
	uint32_t meta_size = lg_le32(blk + 64), meta_version = lg_le32(blk + 68), meta_hdr = lg_le32(blk + 72);
	if (meta_version != 1 || meta_hdr != FVE_META_HDR) {
		lg_err_set(err, "FVE metadata header at byte 64: version %u, header size %u (expected 1 and %d)",
			   meta_version, meta_hdr, FVE_META_HDR);
		return -EBADMSG;
	}
	/* The entries end where the metadata says, which must lie within the
	 * block and within what the caller could read. */
	uint64_t entries_end = (uint64_t)FVE_BLOCK_HDR + meta_size;
	if (meta_size < FVE_META_HDR || entries_end > block_size || entries_end > len) {
		lg_err_set(err, "FVE metadata header at byte 64: metadata size %u does not fit the block (%zu bytes)",
			   meta_size, block_size < len ? block_size : len);
		return -EBADMSG;
	}

	info->crc_ok = false;
	if (lg_in_bounds(block_size, 8, len)) {
		const unsigned char *v = blk + block_size;
		info->crc_ok = lg_le16(v) >= 8 &&
			       (uint32_t)crc32(0, blk, (uInt)block_size) == lg_le32(v + 4);
	}
	info->metadata_version = version;
	info->state = lg_le16(blk + 12);
	info->next_state = lg_le16(blk + 14);
	info->volume_size = lg_le64(blk + 16);
	memcpy(info->volume_guid_raw, blk + 80, 16);
	lg_guid_format(info->volume_guid_raw, info->volume_guid);
	info->encryption = lg_le16(blk + 100);
	uint64_t ft = lg_le64(blk + 104);
	info->created = ft > FILETIME_UNIX_EPOCH ? (int64_t)((ft - FILETIME_UNIX_EPOCH) / 10000000u) : 0;
	info->description[0] = 0;
	info->n_protectors = 0;
	info->protectors_truncated = false;

	size_t pos = FVE_HDRS, end = (size_t)entries_end;
	while (end - pos >= FVE_ENTRY_HDR) {
		uint16_t sz = lg_le16(blk + pos), type = lg_le16(blk + pos + 2), value = lg_le16(blk + pos + 4);
		if (sz == 0)
			break; /* padding after the last entry */
		if (sz < FVE_ENTRY_HDR || sz > end - pos) {
			lg_err_set(err, "FVE metadata entry at byte %zu: size %u %s", pos, sz,
				   sz < FVE_ENTRY_HDR ? "is smaller than its header" : "runs past the metadata");
			return -EBADMSG;
		}
		const unsigned char *data = blk + pos + FVE_ENTRY_HDR;
		size_t dlen = sz - FVE_ENTRY_HDR;
		if (type == ENTRY_VMK && value == VALUE_VMK) {
			if (dlen < FVE_VMK_HDR) {
				lg_err_set(err, "FVE metadata entry at byte %zu: VMK entry of %u bytes, needs %d",
					   pos, sz, FVE_ENTRY_HDR + FVE_VMK_HDR);
				return -EBADMSG;
			}
			if (info->n_protectors == LG_BL_MAX_PROTECTORS) {
				info->protectors_truncated = true;
			} else {
				struct lg_bl_protector *pr = &info->protectors[info->n_protectors++];
				memset(pr, 0, sizeof(*pr));
				memcpy(pr->guid, data, 16);
				lg_guid_format(pr->guid, pr->id);
				pr->protection = lg_le16(data + 26);
				pr->kind = protection_kind(pr->protection);
				vmk_properties(data + FVE_VMK_HDR, dlen - FVE_VMK_HDR, pr);
			}
		} else if (type == ENTRY_DESCRIPTION && value == VALUE_STRING && !info->description[0]) {
			lg_utf16_to_utf8_buf(data, dlen / 2, LG_UTF16_STOP_NUL | LG_UTF16_NO_CONTROL,
					     info->description, sizeof(info->description), NULL, NULL);
		}
		pos += sz;
	}
	return 0;
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
	bool fve_sig = !memcmp(bs + 3, "-FVE-FS-", 8);
	if (fve_sig && (!memcmp(bs + 0xa0, bitlocker_id, 16) || !memcmp(bs + 0xa0, bitlocker_eow_id, 16))) {
		ptr_at = 0xb0; /* Windows 7 and later */
		info->encrypt_on_write = !memcmp(bs + 0xa0, bitlocker_eow_id, 16);
	} else if (!memcmp(bs + 0x1a8, bitlocker_id, 16) || !memcmp(bs + 0x1a8, bitlocker_eow_id, 16)) {
		ptr_at = 0x1b8; /* To Go: a FAT boot sector that hides the volume */
		info->to_go = true;
		info->encrypt_on_write = !memcmp(bs + 0x1a8, bitlocker_eow_id, 16);
	} else if (fve_sig) {
		return -EBADMSG; /* Vista layout or damaged: recognised, not supported */
	} else {
		return 0;
	}
	info->sector_size = lg_le16(bs + 11);

	_cleanup_free_ unsigned char *blk = malloc(LG_FVE_BLOCK_MAX + 8);
	if (!blk)
		return -ENOMEM;
	struct lg_bitlocker_info *fallback = NULL;
	_cleanup_free_ struct lg_bitlocker_info *cand = malloc(sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	int chosen = 0;
	for (int i = 0; i < 3 && !chosen; i++) {
		uint64_t mo = lg_le64(bs + ptr_at + 8 * (size_t)i);
		info->metadata_offset[i] = mo;
		if (!lg_in_bounds(mo, FVE_HDRS, size))
			continue;
		r = pread(fd, blk, FVE_BLOCK_HDR, (off_t)(offset + mo));
		if (r != FVE_BLOCK_HDR || memcmp(blk, "-FVE-FS-", 8))
			continue;
		/* Read the block and its validation record, as much of them as
		 * the partition holds. */
		size_t want = (size_t)lg_le16(blk + 8) * 16 + 8;
		if (want > LG_FVE_BLOCK_MAX + 8)
			want = LG_FVE_BLOCK_MAX + 8;
		if (want < FVE_HDRS)
			want = FVE_HDRS;
		if (!lg_in_bounds(mo, want, size))
			want = (size_t)(size - mo);
		r = pread(fd, blk, want, (off_t)(offset + mo));
		if (r < FVE_HDRS)
			continue;
		memcpy(cand, info, sizeof(*cand));
		if (lg_fve_parse(blk, (size_t)r, cand, NULL) < 0)
			continue;
		cand->metadata_copy = i + 1;
		if (cand->crc_ok) {
			memcpy(info, cand, sizeof(*info));
			chosen = i + 1;
		} else if (!fallback) {
			fallback = TAKE_PTR(cand);
			cand = malloc(sizeof(*cand));
			if (!cand) {
				free(fallback);
				return -ENOMEM;
			}
		}
	}
	if (!chosen && fallback) {
		memcpy(info, fallback, sizeof(*info));
		chosen = info->metadata_copy;
	}
	free(fallback);
	/* The offsets of all three copies, as the boot sector gives them. */
	for (int i = 0; i < 3; i++)
		info->metadata_offset[i] = lg_le64(bs + ptr_at + 8 * (size_t)i);
	return chosen ? 1 : -EBADMSG;
}

/* Why libcryptsetup cannot open this volume, or NULL. */
const char *lg_bl_unsupported_reason(const struct lg_bitlocker_info *info)
{
	if (info->encrypt_on_write)
		return "BitLocker is still encrypting or decrypting this volume (conversion in progress): "
		       "libcryptsetup cannot open it until Windows has finished";
	for (size_t i = 0; i < info->n_protectors; i++)
		if (info->protectors[i].kind == LG_BL_PROT_CLEAR_KEY)
			return "BitLocker is suspended on this volume (its key is stored in clear): "
			       "libcryptsetup does not open such volumes";
	const char *c;
	int bits;
	if (lg_bl_cipher(info->encryption, &c, &bits) < 0)
		return "unknown encryption method";
	return NULL;
}

json_t *lg_bitlocker_info_json(const struct lg_bitlocker_info *info)
{
	json_t *o = json_pack("{s:s, s:b}", "volume_guid", info->volume_guid, "to_go", info->to_go);
	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string(info->encrypt_on_write ? "encrypt-on-write" : "normal"));
	if (!info->metadata_version)
		return o; /* only the boot sector was read */
	const char *name = lg_bl_encryption_name(info->encryption);
	char unk[32];
	snprintf(unk, sizeof(unk), "unknown (0x%04x)", info->encryption);
	json_object_set_new(o, "encryption", json_string(name ? name : unk));
	const char *cipher;
	int bits;
	if (lg_bl_cipher(info->encryption, &cipher, &bits) == 0) {
		json_object_set_new(o, "cipher", json_string(cipher));
		json_object_set_new(o, "key_bits", json_integer(bits));
	}
	json_object_set_new(o, "description", json_string(info->description));
	if (info->created > 0) {
		char t[32];
		time_t tt = (time_t)info->created;
		struct tm tm;
		if (gmtime_r(&tt, &tm) && strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm))
			json_object_set_new(o, "created", json_string(t));
	}
	json_object_set_new(o, "sector_size", json_integer(info->sector_size));
	json_object_set_new(o, "volume_size", json_integer((json_int_t)info->volume_size));
	json_object_set_new(o, "metadata_copy", json_integer(info->metadata_copy));
	json_object_set_new(o, "metadata_crc_ok", json_boolean(info->crc_ok));
	json_t *arr = json_array();
	for (size_t i = 0; i < info->n_protectors; i++) {
		const struct lg_bl_protector *p = &info->protectors[i];
		char prot[8];
		snprintf(prot, sizeof(prot), "0x%04x", p->protection);
		json_t *po = json_pack("{s:s, s:s, s:s}", "id", p->id, "type", lg_bl_kind_name(p->kind),
				       "protection", prot);
		if (p->name[0])
			json_object_set_new(po, "name", json_string(p->name));
		if (p->kind == LG_BL_PROT_RECOVERY_PASSWORD) {
			char kid[9];
			lg_guid_recovery_key_id(p->guid, kid);
			json_object_set_new(po, "recovery_key_id", json_string(kid));
		}
		json_array_append_new(arr, po);
	}
	json_object_set_new(o, "protectors", arr);
	if (info->protectors_truncated)
		json_object_set_new(o, "protectors_truncated", json_true());
	const char *why = lg_bl_unsupported_reason(info);
	if (why)
		json_object_set_new(o, "unsupported", json_string(why));
	return o;
}

bool lg_dm_available(struct lg_err *why)
{
	bool control = access("/dev/mapper/control", F_OK) == 0;
	bool module = access("/sys/module/dm_mod", F_OK) == 0;
	if (control)
		return true;
	lg_err_set(why, "this host has no device-mapper (%s%s): the volume can be unlocked by the "
		   "recovery image, or on a Linux host with dm-crypt (modprobe dm_crypt)",
		   "/dev/mapper/control is missing",
		   module ? "" : ", the dm_mod module is not loaded");
	return false;
}

/* ---- unlock -------------------------------------------------------------- */

struct lg_bitlocker_session {
	struct crypt_device *cd;
	char name[32];
	int loop_fd;             /* our auto-clearing loop device, or -1 */
};

/* libcryptsetup prints errors on stderr unless told otherwise; keep the
 * last one for our message instead. Its messages never hold key material. */
static char cs_last_error[256];

static void cs_log(int level, const char *msg, void *usrptr)
{
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(cs_last_error, sizeof(cs_last_error), "%s", msg);
	size_t n = strlen(cs_last_error);
	while (n && (cs_last_error[n - 1] == '\n' || cs_last_error[n - 1] == '.'))
		cs_last_error[--n] = 0;
}

/* The partition node of a block device whose partition starts at offset:
 * the recovery image's disks are /dev/sdX, /dev/nvme0n1 with partitions
 * /dev/sdX3, /dev/nvme0n1p3. */
static int partition_node(dev_t disk, uint64_t offset, uint64_t size, char *out, size_t outlen)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(disk), minor(disk));
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	int r = -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 64)
			continue;
		char p[384], buf[32];
		unsigned long long start = 0, sectors = 0;
		snprintf(p, sizeof(p), "%s/%s/start", dir, e->d_name);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		bool ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%llu", &start) == 1;
		fclose(f);
		snprintf(p, sizeof(p), "%s/%s/size", dir, e->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		ok = ok && fgets(buf, sizeof(buf), f) && sscanf(buf, "%llu", &sectors) == 1;
		fclose(f);
		/* sysfs counts 512-byte sectors whatever the disk's sector size */
		if (!ok || start * 512 != offset || (size && sectors * 512 != size))
			continue;
		snprintf(out, outlen, "/dev/%s", e->d_name);
		r = access(out, F_OK) == 0 ? 0 : -ENOENT;
		break;
	}
	closedir(d);
	return r;
}

/* A loop device over [offset, offset+size) of path, cleared by the kernel
 * once nothing holds it open: the caller keeps *fd until the mapping on top
 * is gone, then closes it. */
static int loop_attach(const char *path, uint64_t offset, uint64_t size, bool read_only,
		       char *out, size_t outlen, int *fd)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	_cleanup_close_ int back = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (back < 0)
		return -errno;
	for (int attempt = 0; attempt < 8; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return -errno;
		snprintf(out, outlen, "/dev/loop%d", n);
		int lfd = open(out, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (lfd < 0)
			return -errno;
		struct loop_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (uint32_t)back;
		cfg.info.lo_offset = offset;
		cfg.info.lo_sizelimit = size;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "lastgood-bitlocker");
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
			*fd = lfd;
			return 0;
		}
		int e = errno;
		if (e == EINVAL || e == ENOTTY) {
			/* kernels before 5.8: the two-step setup */
			struct loop_info64 info = cfg.info;
			if (ioctl(lfd, LOOP_SET_FD, back) == 0) {
				if (ioctl(lfd, LOOP_SET_STATUS64, &info) == 0) {
					*fd = lfd;
					return 0;
				}
				e = errno;
				ioctl(lfd, LOOP_CLR_FD, 0);
			} else {
				e = errno;
			}
		}
		close(lfd);
		if (e != EBUSY)
			return -e;
		/* someone took that loop device between GET_FREE and ours */
	}
	return -EBUSY;
}

/* What libcryptsetup is given: the device itself, its partition node, or
 * a loop device with the offset. */
static int open_target(const char *dev, uint64_t offset, uint64_t size, bool need_block, bool read_only,
		       char *path, size_t pathlen, int *loop_fd, struct lg_err *err)
{
	struct stat st;
	*loop_fd = -1;
	if (stat(dev, &st) < 0) {
		int e = errno;
		lg_err_set(err, "%s: %s", dev, strerror(e));
		return -e;
	}
	if (S_ISBLK(st.st_mode)) {
		if (offset == 0 || partition_node(st.st_rdev, offset, size, path, pathlen) == 0) {
			if (offset == 0)
				snprintf(path, pathlen, "%s", dev);
			return 0;
		}
	} else if (!S_ISREG(st.st_mode)) {
		lg_err_set(err, "%s: neither a block device nor an image file", dev);
		return -ENOTBLK;
	} else if (offset == 0 && !need_block) {
		/* libcryptsetup reads the metadata of an image file itself */
		snprintf(path, pathlen, "%s", dev);
		return 0;
	}
	int r = loop_attach(dev, offset, size, read_only, path, pathlen, loop_fd);
	if (r < 0)
		lg_err_set(err, "%s: cannot set up a loop device for the partition at offset %llu: %s",
			   dev, (unsigned long long)offset, strerror(-r));
	return r;
}

struct unlock_ctx {
	struct crypt_device *cd;
	const char *map_name;    /* NULL: check only */
	uint32_t flags;
	int map_error;           /* the key was right, mapping failed */
};

/* 0: unlocked; -EPERM: not this volume's key; other: stop.
 * The key is checked before anything is mapped: libcryptsetup 2.6 says
 * -EINVAL for a recovery password that fails the VMK's authentication,
 * the same as for a failed mapping, and a check alone tells them apart.
 * Checking means deriving the volume key (a million SHA-256 rounds); the
 * mapping then takes that key rather than deriving it again, which halves
 * the wait on a slow machine. */
static int try_key(struct unlock_ctx *u, const char *key, size_t len)
{
	char vk[128];
	size_t vk_len = sizeof(vk);
	cs_last_error[0] = 0;
	int r = crypt_volume_key_get(u->cd, CRYPT_ANY_SLOT, vk, &vk_len, key, len);
	if (r < 0) {
		lg_wipe(vk, sizeof(vk));
		cs_last_error[0] = 0; /* "Cannot retrieve volume key": the key is wrong */
		return r == -EPERM || r == -EINVAL || r == -ENOENT ? -EPERM : r;
	}
	if (u->map_name) {
		r = crypt_activate_by_volume_key(u->cd, u->map_name, vk, vk_len, u->flags);
		if (r < 0)
			u->map_error = r;
	}
	lg_wipe(vk, sizeof(vk));
	return r < 0 ? r : 0;
}

static int typed_try(void *ctx, const char *password)
{
	return try_key(ctx, password, strlen(password));
}

static void volume_words(const char *dev, uint64_t offset, const struct lg_bitlocker_info *info,
			 char *out, size_t len)
{
	if (offset)
		snprintf(out, len, "BitLocker volume %s (%s at offset %llu)", info->volume_guid, dev,
			 (unsigned long long)offset);
	else
		snprintf(out, len, "BitLocker volume %s (%s)", info->volume_guid, dev);
}

/* "recovery key ID 64311DEA (protector 64311dea-...), startup key
 * 4381F759-....BEK": what a person looks up when no key was found. */
static void protector_list(const struct lg_bitlocker_info *info, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < info->n_protectors && o < len; i++) {
		const struct lg_bl_protector *p = &info->protectors[i];
		char kid[9];
		lg_guid_recovery_key_id(p->guid, kid);
		int n;
		if (p->kind == LG_BL_PROT_RECOVERY_PASSWORD)
			n = snprintf(out + o, len - o, "%srecovery key ID %s (protector %s)", o ? "; " : "", kid, p->id);
		else if (p->kind == LG_BL_PROT_STARTUP_KEY)
			n = snprintf(out + o, len - o, "%sstartup key file %s.BEK", o ? "; " : "", p->id);
		else
			n = snprintf(out + o, len - o, "%s%s %s (not usable by lastgood)", o ? "; " : "",
				     lg_bl_kind_words(p->kind), p->id);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (o >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

/* Our own reading of the volume's metadata (the size found when 0). */
static int unlock_probe(const char *dev, uint64_t offset, uint64_t *size, struct lg_bitlocker_info *info,
			struct lg_err *err)
{
	_cleanup_close_ int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		lg_err_set(err, "%s: cannot open: %s", dev, strerror(e));
		return -e;
	}
	if (!*size) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > offset)
			*size = (uint64_t)st.st_size - offset;
		else if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode))
			ioctl(fd, BLKGETSIZE64, size);
	}
	int r = lg_bitlocker_probe(fd, offset, *size, info);
	if (r == 0) {
		lg_err_set(err, "%s at offset %llu is not a BitLocker volume", dev, (unsigned long long)offset);
		return -EMEDIUMTYPE;
	}
	if (r < 0) {
		if (r == -EBADMSG)
			lg_err_set(err, "%s at offset %llu: BitLocker boot sector, but no readable FVE metadata "
				   "(damaged, or Windows Vista's BitLocker)", dev, (unsigned long long)offset);
		else
			lg_err_set(err, "%s: %s", dev, strerror(-r));
		return r == -EBADMSG ? -ENOTSUP : r;
	}
	return 0;
}

/* Keys for this volume, by protector GUID, in the documented order:
 * recovery passwords from the key file, then startup keys. Returns how
 * many; *has_rp says whether the volume has a recovery-password protector. */
static size_t unlock_candidates(const struct lg_bitlocker_info *info, const struct lg_keyring *keys,
				const struct lg_key *cands[2 * LG_BL_MAX_PROTECTORS], bool *has_rp)
{
	size_t ncand = 0;
	*has_rp = false;
	for (int pass = 0; pass < 2; pass++) {
		enum lg_bl_kind want = pass == 0 ? LG_BL_PROT_RECOVERY_PASSWORD : LG_BL_PROT_STARTUP_KEY;
		enum lg_key_type kt = pass == 0 ? LG_KEY_RECOVERY_PASSWORD : LG_KEY_STARTUP_KEY;
		for (size_t i = 0; i < info->n_protectors; i++) {
			if (info->protectors[i].kind != want)
				continue;
			*has_rp |= pass == 0;
			const struct lg_key *k = keys ? lg_keyring_find(keys, kt, info->protectors[i].guid) : NULL;
			if (k)
				cands[ncand++] = k;
		}
	}
	return ncand;
}

/* Ask a person (o->asker) for a recovery password, showing every
 * recovery-password protector's id to read to the helpdesk. */
static int unlock_ask(const struct lg_key_asker *asker, const char *vol, const struct lg_bitlocker_info *info,
		      struct unlock_ctx *u, struct lg_err *err)
{
	const char *ids[LG_BL_MAX_PROTECTORS];
	size_t nids = 0;
	for (size_t i = 0; i < info->n_protectors; i++)
		if (info->protectors[i].kind == LG_BL_PROT_RECOVERY_PASSWORD)
			ids[nids++] = info->protectors[i].id;
	struct lg_key_request req = { .volume = vol, .volume_guid = info->volume_guid, .key_ids = ids,
				      .n_key_ids = nids };
	return asker->ask(asker->ctx, &req, typed_try, u, err);
}

/* A session on the volume: the device (a loop device for an image),
 * libcryptsetup's context on it, its reading checked against ours. */
static int unlock_session(const char *dev, uint64_t offset, uint64_t size, bool check_only, bool read_only,
			  const char *vol, const struct lg_bitlocker_info *info, struct lg_bitlocker_session **sp,
			  struct lg_bl_result *res, struct lg_err *err)
{
	char path[PATH_MAX];
	int loop_fd = -1;
	int r = open_target(dev, offset, size, !check_only, read_only, path, sizeof(path), &loop_fd, err);
	if (r < 0)
		return r;
	struct lg_bitlocker_session *s = calloc(1, sizeof(*s));
	if (!s) {
		if (loop_fd >= 0)
			close(loop_fd);
		return -ENOMEM;
	}
	s->loop_fd = loop_fd;
	snprintf(res->device, sizeof(res->device), "%.*s", (int)sizeof(res->device) - 1, path);
	crypt_set_log_callback(NULL, cs_log, NULL);
	cs_last_error[0] = 0;
	r = crypt_init(&s->cd, path);
	if (r == 0) {
		crypt_set_log_callback(s->cd, cs_log, NULL);
		r = crypt_load(s->cd, CRYPT_BITLK, NULL);
	}
	if (r < 0) {
		lg_err_set(err, "%s: libcryptsetup cannot read it: %s", vol,
			   cs_last_error[0] ? cs_last_error : strerror(-r));
		lg_bitlocker_close(s);
		return r == -ENOTSUP ? -ENOTSUP : r;
	}
	/* Both readers must agree on which volume this is. */
	const char *their = crypt_get_uuid(s->cd);
	if (their && strcasecmp(their, info->volume_guid)) {
		lg_err_set(err, "%s: libcryptsetup reads volume GUID %s", vol, their);
		lg_bitlocker_close(s);
		return -EBADMSG;
	}
	*sp = s;
	return 0;
}

/* The key file's keys, each for its own protector: 0 when one unlocked
 * (res says which), -EKEYREJECTED when all were wrong (rejected lists
 * them), -ENOKEY when there were none, another error as it came. */
static int unlock_with_files(struct unlock_ctx *u, const struct lg_key *const *cands, size_t ncand,
			     struct lg_bl_result *res, char *rejected, size_t rcap)
{
	size_t ro = 0;
	int r = -ENOKEY;
	for (size_t i = 0; i < ncand; i++) {
		const struct lg_key *k = cands[i];
		res->keys_tried++;
		if (k->type == LG_KEY_RECOVERY_PASSWORD)
			r = try_key(u, k->password, strlen(k->password));
		else
			r = try_key(u, (const char *)k->bek, k->bek_len);
		if (r == 0) {
			snprintf(res->protector_id, sizeof(res->protector_id), "%s", k->id);
			res->kind = k->type == LG_KEY_RECOVERY_PASSWORD ? LG_BL_PROT_RECOVERY_PASSWORD
									: LG_BL_PROT_STARTUP_KEY;
			snprintf(res->source, sizeof(res->source), "%s", k->source);
			return 0;
		}
		if (r != -EPERM)
			return r;
		int n = snprintf(rejected + ro, rcap - ro, "%s%s for protector %s (%s)",
				 ro ? "; " : "", k->type == LG_KEY_RECOVERY_PASSWORD ? "the recovery password" :
				 "the startup key", k->id, k->source);
		if (n > 0 && (size_t)n < rcap - ro)
			ro += (size_t)n;
		r = -EKEYREJECTED;
	}
	return r;
}

int lg_bitlocker_unlock_ex(const char *dev, uint64_t offset, uint64_t size,
			   const struct lg_bl_unlock_opts *o, char **mapped_path,
			   struct lg_bitlocker_session **sp, struct lg_bl_result *res,
			   struct lg_err *err)
{
	struct lg_bl_result dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (mapped_path)
		*mapped_path = NULL;
	if (sp)
		*sp = NULL;
	bool verify_only = o->verify_only || !mapped_path || !sp;

	/* Our own look first: which protectors there are decides which keys
	 * are tried, and the volume GUID names it in every message. */
	_cleanup_free_ struct lg_bitlocker_info *info = malloc(sizeof(*info));
	if (!info)
		return -ENOMEM;
	int r = unlock_probe(dev, offset, &size, info, err);
	if (r < 0)
		return r;
	char vol[256];
	volume_words(dev, offset, info, vol, sizeof(vol));
	const char *why = lg_bl_unsupported_reason(info);
	if (why) {
		lg_err_set(err, "%s: %s", vol, why);
		return -ENOTSUP;
	}

	/* Keys for this volume, by protector GUID, in the documented order:
	 * recovery passwords from the key file, then startup keys. */
	const struct lg_key *cands[2 * LG_BL_MAX_PROTECTORS];
	bool has_rp;
	size_t ncand = unlock_candidates(info, o->keys, cands, &has_rp);

	struct lg_err dmwhy = { "" };
	bool dm = verify_only || lg_dm_available(&dmwhy);
	bool can_prompt = o->asker && o->asker->ask && has_rp && dm;
	char plist[512];
	protector_list(info, plist, sizeof(plist));
	if (!ncand && !can_prompt) {
		size_t nkeys = o->keys ? o->keys->n : 0;
		lg_err_set(err, "%s is locked and no key for it was found (%zu key%s loaded, none for this volume)%s%s. "
			   "Look up: %s", vol, nkeys, nkeys == 1 ? "" : "s",
			   dm ? "" : "; besides, ", dm ? "" : dmwhy.msg, plist);
		return -ENOKEY;
	}

	/* The device, then libcryptsetup's own reading of the metadata. */
	bool check_only = verify_only || !dm;
	struct lg_bitlocker_session *s = NULL;
	r = unlock_session(dev, offset, size, check_only, o->read_only || check_only, vol, info, &s, res, err);
	if (r < 0)
		return r;

	struct unlock_ctx u = { .cd = s->cd, .flags = o->read_only ? CRYPT_ACTIVATE_READONLY : 0 };
	if (!check_only) {
		for (int n = 0; n < 100; n++) {
			snprintf(s->name, sizeof(s->name), "lastgood-%d", n);
			if (crypt_status(NULL, s->name) == CRYPT_INACTIVE)
				break;
		}
		u.map_name = s->name;
	}

	char rejected[512] = "";
	r = unlock_with_files(&u, cands, ncand, res, rejected, sizeof(rejected));

	if (r != 0 && (r == -ENOKEY || r == -EKEYREJECTED) && can_prompt) {
		struct lg_err perr = { "" };
		int pr = unlock_ask(o->asker, vol, info, &u, &perr);
		if (pr == 0) {
			res->keys_tried++;
			snprintf(res->source, sizeof(res->source), "typed at the console");
			res->kind = LG_BL_PROT_RECOVERY_PASSWORD;
			r = 0;
		} else {
			lg_err_set(err, "%s stays locked: %s%s%s. Look up: %s", vol,
				   perr.msg,
				   rejected[0] ? "; before that, wrong keys: " : "", rejected, plist);
			lg_bitlocker_close(s);
			return pr == -EACCES || pr == -ETIMEDOUT || pr == -EIO ? -ECANCELED : pr;
		}
	}

	if (r == -EKEYREJECTED || r == -ENOKEY) {
		lg_err_set(err, "%s: %s does not unlock it%s%s. Look up: %s", vol, rejected,
			   dm ? "" : "; besides, ", dm ? "" : dmwhy.msg, plist);
		lg_bitlocker_close(s);
		return -EKEYREJECTED;
	}
	if (r < 0) {
		if (u.map_error)
			lg_err_set(err, "%s: the key is right, but the volume cannot be mapped: %s", vol,
				   cs_last_error[0] ? cs_last_error : strerror(-r));
		else
			lg_err_set(err, "%s: libcryptsetup: %s", vol, cs_last_error[0] ? cs_last_error : strerror(-r));
		lg_bitlocker_close(s);
		return r;
	}

	if (!dm) {
		lg_err_set(err, "%s: the %s from %s is right, but %s", vol,
			   res->kind == LG_BL_PROT_STARTUP_KEY ? "startup key" : "recovery password",
			   res->source, dmwhy.msg);
		res->verified_only = true;
		lg_bitlocker_close(s);
		return -ENODEV;
	}
	if (verify_only) {
		res->verified_only = true;
		lg_bitlocker_close(s);
		return 0;
	}
	if (asprintf(mapped_path, "/dev/mapper/%s", s->name) < 0) {
		*mapped_path = NULL;
		lg_bitlocker_close(s);
		return -ENOMEM;
	}
	*sp = s;
	return 0;
}

int lg_bitlocker_unlock(const char *dev, uint64_t offset, uint64_t size,
			const struct lg_keyring *keys, const struct lg_key_asker *asker,
			char **mapped_path, struct lg_bitlocker_session **s, struct lg_err *err)
{
	struct lg_bl_unlock_opts o = { .keys = keys, .asker = asker };
	return lg_bitlocker_unlock_ex(dev, offset, size, &o, mapped_path, s, NULL, err);
}

int lg_bitlocker_close(struct lg_bitlocker_session *s)
{
	if (!s)
		return 0;
	int r = 0;
	if (s->cd && s->name[0] && crypt_status(s->cd, s->name) == CRYPT_ACTIVE) {
		/* blkid and udev open a new mapping briefly; wait them out */
		for (int i = 0; i < 50; i++) {
			r = crypt_deactivate(s->cd, s->name);
			if (r != -EBUSY)
				break;
			usleep(100 * 1000);
		}
	}
	crypt_free(s->cd);
	if (s->loop_fd >= 0)
		close(s->loop_fd);
	free(s);
	return r < 0 ? r : 0;
}

json_t *lg_bl_result_json(const struct lg_bl_result *r)
{
	json_t *o = json_pack("{s:i, s:b}", "keys_tried", r->keys_tried, "verified_only", r->verified_only);
	if (o && r->device[0])
		json_object_set_new(o, "device", json_string(r->device));
	if (o && r->source[0]) {
		json_object_set_new(o, "unlocked_with", json_string(lg_bl_kind_name(r->kind)));
		json_object_set_new(o, "key_source", json_string(r->source));
		if (r->protector_id[0])
			json_object_set_new(o, "protector", json_string(r->protector_id));
	}
	return o;
}
