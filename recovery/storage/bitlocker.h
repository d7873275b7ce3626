/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BitLocker volumes: recognise them, read their identity and key
 * protectors without a key, and unlock them through libcryptsetup (BITLK)
 * and device-mapper. See docs/bitlocker.md.
 *
 * The FVE metadata is hostile input: every offset and length read from it
 * is checked against the block it came from and the partition before use.
 * Key material (recovery passwords, .BEK contents) never appears in an
 * lg_err, a return value, JSON or a log; buffers holding it are wiped.
 */
#ifndef LG_BITLOCKER_H
#define LG_BITLOCKER_H

#include "lib/guid.h"
#include "lib/util.h"

#include <jansson.h>

/* More protectors than this on one volume are counted, not kept (Windows
 * makes two to five). */
#define LG_BL_MAX_PROTECTORS 16
/* An FVE metadata block never exceeds its 64 KiB area. */
#define LG_FVE_BLOCK_MAX (64 * 1024)

/* What protects a volume master key (VMK). */
enum lg_bl_kind {
	LG_BL_PROT_CLEAR_KEY,         /* BitLocker suspended: key stored in clear */
	LG_BL_PROT_TPM,
	LG_BL_PROT_STARTUP_KEY,       /* external key, a .BEK file */
	LG_BL_PROT_TPM_PIN,
	LG_BL_PROT_RECOVERY_PASSWORD, /* the 48 digits */
	LG_BL_PROT_SMART_CARD,
	LG_BL_PROT_PASSWORD,
	LG_BL_PROT_UNKNOWN,
};

struct lg_bl_protector {
	unsigned char guid[16];  /* as stored on disk (mixed-endian) */
	char id[37];             /* lowercase text, as cryptsetup and manage-bde print it */
	uint16_t protection;     /* the on-disk protection type */
	enum lg_bl_kind kind;
	char name[32];           /* the VMK's own string ("ExternalKey", "DiskPassword"), or "" */
};

struct lg_bitlocker_info {
	bool to_go;              /* BitLocker To Go (FAT-looking boot sector) */
	char volume_guid[37];    /* lowercase, as manage-bde prints it */
	uint64_t metadata_offset[3];
	uint16_t metadata_version;

	/* From the FVE metadata block (lg_fve_parse). */
	bool encrypt_on_write;   /* conversion in progress (boot sector "EOW" GUID) */
	unsigned char volume_guid_raw[16];
	int metadata_copy;       /* 1..3: the copy read (the first whose CRC-32 holds) */
	bool crc_ok;             /* that copy's CRC-32 matched */
	uint16_t sector_size;    /* from the boot sector */
	uint16_t state, next_state; /* FVE block header; 4 and 4 when fully encrypted */
	uint64_t volume_size;    /* bytes, as the FVE block header says */
	uint16_t encryption;     /* 0x8000..0x8005 (lg_bl_encryption_name) */
	int64_t created;         /* Unix time, 0 when absent */
	char description[128];   /* "PC-NAME C: 7/19/2024", UTF-8 */
	size_t n_protectors;
	bool protectors_truncated;
	struct lg_bl_protector protectors[LG_BL_MAX_PROTECTORS];
};

/* Probe the partition at [offset, offset+size) of fd. Returns 1 when it is
 * BitLocker (info filled, protectors listed), 0 when not, negative errno
 * on I/O errors or -EBADMSG when the boot sector says BitLocker but no
 * metadata block checks out. Vista's BitLocker (not supported) is
 * -EBADMSG too. */
int lg_bitlocker_probe(int fd, uint64_t offset, uint64_t size, struct lg_bitlocker_info *info);

/* Parse one FVE metadata block held in blk[0..len) (the block header at 0):
 * block header, metadata header, entries. Fills the FVE fields of info
 * (volume GUID, encryption, description, protectors, crc_ok) and leaves
 * the boot sector fields alone. Returns 0, or -EBADMSG with err saying
 * what is wrong and at which byte of the block. Never reads outside
 * blk[0..len). */
int lg_fve_parse(const unsigned char *blk, size_t len, struct lg_bitlocker_info *info, struct lg_err *err);

/* "recovery-password", "startup-key", "tpm", ... */
const char *lg_bl_kind_name(enum lg_bl_kind k);
/* "XTS-AES 128", "AES-CBC 256 with diffuser", ...; NULL when unknown. */
const char *lg_bl_encryption_name(uint16_t encryption);
/* The dm-crypt view: cipher "aes-xts-plain64" and key bits (512 for
 * XTS-AES 256), as cryptsetup bitlkDump prints them. -ENOTSUP when unknown. */
int lg_bl_cipher(uint16_t encryption, const char **cipher, int *key_bits);

/* The facts of a probed volume for reports and inspect --json:
 * volume_guid, to_go, type, encryption, cipher, key_bits, description,
 * created, sector_size, volume_size, metadata_copy, protectors[] (id,
 * type, protection, name, recovery_key_id), unlock (how lastgood can open
 * it). Never NULL unless out of memory. */
json_t *lg_bitlocker_info_json(const struct lg_bitlocker_info *info);

/* A protector kind in words ("recovery password", "TPM and PIN", ...). */
const char *lg_bl_kind_words(enum lg_bl_kind k);

/* Why lastgood cannot unlock this volume (conversion in progress, clear
 * key, ...), or NULL when it can. */
const char *lg_bl_unsupported_reason(const struct lg_bitlocker_info *info);

/* The protector types lastgood can use (libcryptsetup opens these). */
bool lg_bl_kind_usable(enum lg_bl_kind k);

/* Whether this host can map a volume: /dev/mapper/control and the dm_mod
 * module. When not, why says what is missing. */
bool lg_dm_available(struct lg_err *why);

/* ---- unlocking ------------------------------------------------------------ */

struct lg_keyring;
struct lg_bitlocker_session;

/* How a volume was (or would have been) unlocked: for the report. Holds no
 * key material. */
struct lg_bl_result {
	char protector_id[37];   /* the protector that opened it, or "" */
	enum lg_bl_kind kind;
	char source[160];        /* "keys.csv line 12", "4381F759-....BEK", "typed at the console" */
	int keys_tried;          /* keys matched by GUID and tried */
	bool verified_only;      /* the key was checked, nothing was mapped */
	char device[256];        /* what libcryptsetup opened: the partition node
				  * (/dev/sda3), a loop device, or the image file */
};

/* Try a normalised recovery password: 0 when it unlocked, -EPERM when it
 * is the wrong key, anything else stops the asking with that error. */
typedef int (*lg_key_try_fn)(void *ctx, const char *password);

/* What a person is asked for when no key file opens a volume. */
struct lg_key_request {
	const char *volume;          /* "disk /dev/sda part 3" */
	const char *volume_guid;
	const char *const *key_ids;  /* recovery-password protector GUIDs (text) */
	size_t n_key_ids;
};

/* Someone who can be asked for a recovery password. The unlock code never
 * opens a terminal: the front ends provide an asker (term/keyprompt.h has
 * the console one). ask tries each complete password with try_fn and
 * returns 0 (unlocked), -EACCES (attempts used up), -ECANCELED (skipped),
 * -ETIMEDOUT (nobody answered), -EIO (nobody to ask), or try_fn's error;
 * err says why and never holds key material. */
struct lg_key_asker {
	int (*ask)(void *ctx, const struct lg_key_request *req, lg_key_try_fn try_fn, void *try_ctx,
		   struct lg_err *err);
	void *ctx;
};

struct lg_bl_unlock_opts {
	const struct lg_keyring *keys; /* may be NULL */
	const struct lg_key_asker *asker; /* asked when no key file key works; NULL: nobody */
	bool read_only;          /* map read-only (scan) */
	bool verify_only;        /* check the key and map nothing: works without device-mapper */
};

/* Unlock the BitLocker volume at [offset, offset+size) of dev (a block
 * device, a partition, or an image file). Keys are chosen by protector
 * GUID: recovery passwords from the key file first, then .BEK startup
 * keys, then (when o->asker is set) a recovery password a person types.
 * On success *mapped_path is "/dev/mapper/lastgood-N" (caller frees) and
 * *s owns the mapping and any loop device: lg_bitlocker_close() removes
 * both. With verify_only, *mapped_path and *s stay NULL.
 *
 * Errors (err always says which volume, which protector ids and why):
 *   -ENOKEY       no key for any protector of this volume
 *   -EKEYREJECTED keys matched by GUID but none unlocked the volume
 *   -ECANCELED    typed entry given up (three wrong keys, Ctrl-C, idle)
 *   -ENOTSUP      a volume libcryptsetup cannot open (conversion in
 *                 progress, BitLocker suspended with a clear key, Vista)
 *   -ENODEV       no device-mapper on this host (the key was checked)
 *   -EMEDIUMTYPE  not a BitLocker volume
 *   other         I/O and system errors
 * The engine turns the first five into exit code 4. */
int lg_bitlocker_unlock_ex(const char *dev, uint64_t offset, uint64_t size,
			   const struct lg_bl_unlock_opts *o, char **mapped_path,
			   struct lg_bitlocker_session **s, struct lg_bl_result *res,
			   struct lg_err *err);

/* Read-write, as fix unlocks: lg_bitlocker_unlock_ex with keys and asker. */
int lg_bitlocker_unlock(const char *dev, uint64_t offset, uint64_t size,
			const struct lg_keyring *keys, const struct lg_key_asker *asker,
			char **mapped_path, struct lg_bitlocker_session **s, struct lg_err *err);

/* Remove the mapping (retrying while udev or blkid still hold it), free
 * libcryptsetup's context, release the loop device. Takes NULL. Returns 0
 * or the negative errno of the removal (the session is freed anyway). */
int lg_bitlocker_close(struct lg_bitlocker_session *s);

/* The result for a report: protector, type, source, keys_tried, device. */
json_t *lg_bl_result_json(const struct lg_bl_result *r);

#endif
