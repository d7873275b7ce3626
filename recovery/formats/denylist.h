/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deny-list: a signed JSON document naming the files to quarantine
 * (format in docs/denylist.md). This header is shared by the loader
 * (denylist.c), the matcher (match.c) and the engine: fields may be added,
 * not renamed or removed, without changing every user.
 *
 * Ownership: lg_denylist_free() frees the list and everything it points
 * to. Errors: negative errno; for a reason meant for people (line and
 * column of a schema error, which key, which date), the lg_err is filled.
 */
#ifndef LG_DENYLIST_H
#define LG_DENYLIST_H

#include "lib/file_version.h"
#include "lib/rfc3339.h"
#include "lib/util.h"

#define LG_DENYLIST_MAX_BYTES (16u << 20)
#define LG_DENYLIST_MAX_RULES 100000u

enum lg_action {
	LG_ACTION_QUARANTINE = 0, /* default */
	LG_ACTION_REPORT,         /* report only, never touch the file */
};

/* Known-good content to put in place of a quarantined file. */
struct lg_restore {
	char *bundle;              /* bundle file name, no directory part */
	char *entry;               /* path inside the bundle */
	unsigned char sha256[32];  /* of the entry's content */
};

struct lg_rule {
	char *id;
	char *description;
	char *path;                /* the glob as written, separators normalised to '/' */
	unsigned line;             /* where the rule starts in the JSON text */

	bool has_size;             /* size: exact (min == max) or a range */
	uint64_t size_min, size_max;

	unsigned char (*sha256)[32]; /* any of these; NULL when absent */
	size_t n_sha256;

	unsigned char *header;     /* bytes expected at header_offset; NULL when absent */
	size_t header_len;
	uint64_t header_offset;

	/* $STANDARD_INFORMATION last-write time window, in NTFS time (100 ns
	 * ticks since 1601-01-01 UTC): after inclusive, before exclusive. */
	bool has_modified_after, has_modified_before;
	int64_t modified_after, modified_before;

	enum lg_action action;
	struct lg_restore *restore; /* NULL when the rule restores nothing */

	/* "registry": {"disable_service", "remove_filter"} (docs/denylist.md,
	 * docs/registry.md): registry work besides the services whose
	 * ImagePath names a quarantined file; NULL when absent. */
	char *reg_disable_service;
	char *reg_remove_filter;
	bool allow_boot_critical;  /* may disable or unfilter a boot-critical driver */

	/* PE conditions (issue 6, docs/denylist.md "PE conditions"). A file
	 * that is not a PE image, or has no version resource where a
	 * version field is asked for, fails them. */
	unsigned char (*authentihash_sha256)[32]; /* any of these; NULL when absent */
	size_t n_authentihash_sha256;
	unsigned char (*authentihash_sha1)[20];
	size_t n_authentihash_sha1;
	char *original_filename;   /* VERSIONINFO OriginalFilename, UTF-8, compared ignoring case; NULL when absent */
	char *company;             /* VERSIONINFO CompanyName, same comparison; NULL when absent */
	/* VS_FIXEDFILEINFO file version range, inclusive; a.b.c.d packed as
	 * LG_FILE_VERSION(a, b, c, d) so that integer order is version order. */
	bool has_file_version;
	uint64_t file_version_min, file_version_max;

	/* Signer conditions (issue 18, docs/denylist.md "signer"): the file
	 * holds when any of them holds for any of its Authenticode signatures. */
	struct lg_signer_cond *signers; /* NULL when absent */
	size_t n_signers;
};

/* WDAC's CertRoot Type="TBS" (+ CertPublisher): a certificate of the
 * signature's chain with this TBS hash, and, when publisher is set, a
 * signer (leaf) certificate whose subject CN is publisher. */
#define LG_SIGNER_TBS_MAX 64
struct lg_signer_cond {
	unsigned char tbs[LG_SIGNER_TBS_MAX];
	unsigned tbs_len;          /* 20, 32, 48 or 64 (SHA-1, -256, -384, -512) */
	char *publisher;           /* NULL when absent */
};

/* Does the rule have a condition that needs the PE parser? */
static inline bool lg_rule_has_pe(const struct lg_rule *r)
{
	return r->n_authentihash_sha256 || r->n_authentihash_sha1 || r->original_filename ||
	       r->company || r->has_file_version || r->n_signers;
}

struct lg_denylist {
	int schema;
	int64_t serial;
	int64_t issued, expires;   /* Unix seconds, UTC */
	char *publisher;
	struct lg_rule *rules;
	size_t n_rules;

	/* Set by lg_denylist_load() after the signature verified. */
	char key_id[17];           /* signing key id, always 16 uppercase hex digits (minisign itself drops leading zeros) */
	unsigned char file_sha256[32]; /* of the signed file's bytes */
	char *trusted_comment;     /* the signature's verified trusted comment (for the report); NULL after lg_denylist_parse() */
};

/*
 * Parse a deny-list from memory (no signature check: use lg_denylist_load()
 * for anything that acts on the list). Strict: JSON syntax, duplicate keys,
 * trailing text, unknown fields, wrong types and invalid values are errors
 * whose message starts "line L, column C: <field path>: ...". Returns 0 and
 * a new list in *out, or -EINVAL (schema or syntax), -EFBIG (more than
 * LG_DENYLIST_MAX_BYTES), -E2BIG (more than LG_DENYLIST_MAX_RULES rules),
 * -ENOMEM. A leading UTF-8 byte order mark is skipped.
 */
int lg_denylist_parse(const char *buf, size_t len, struct lg_denylist **out, struct lg_err *err);

/* Frees the list and everything it points to; takes NULL. */
void lg_denylist_free(struct lg_denylist *dl);
static inline void lg_denylist_freep(struct lg_denylist **dl) { lg_denylist_free(*dl); }
#define _cleanup_denylist_ _cleanup_(lg_denylist_freep)

/*
 * Read, verify and parse a deny-list, in that order: the signature is
 * checked over the raw bytes before the JSON parser sees them. sig_path
 * NULL means path + ".minisig"; trust_keys are paths of minisign .pub files
 * (at least one). now is the time the expiry is checked against (Unix
 * seconds): now >= expires is refused. An `issued` time after now is NOT
 * refused: a dead RTC battery must not stop a recovery, and the signature,
 * not the clock, says who wrote the list (docs/denylist.md).
 * On success sets key_id, file_sha256 and trusted_comment.
 * Errors (negative errno, with a message in err):
 *   -ENOENT     the list or its signature file does not exist (message says which)
 *   -EFBIG      the list is larger than 16 MiB
 *   -EINVAL     malformed signature/key file, or a schema error
 *   -ENOKEY     no trusted key, or signed by a key that is not trusted (both ids)
 *   -EBADMSG    bad signature (file or trusted comment changed)
 *   -EKEYEXPIRED the list expired (both dates in the message)
 *   -E2BIG      more than 100000 rules
 */
int lg_denylist_load(const char *path, const char *sig_path, const char *const *trust_keys,
		     size_t n_trust, int64_t now, struct lg_denylist **out, struct lg_err *err);

/* Anti-rollback: stored_serial is the highest serial already applied to
 * the volume (from state.json; pass -1 when the volume has none). A lower
 * serial is refused with -ESTALE; an equal one is allowed (re-runs). */
int lg_denylist_check_serial(const struct lg_denylist *dl, int64_t stored_serial, struct lg_err *err);

/*
 * \$LastGood\state.json on a volume: {"schema": 1, "highest_serial": N,
 * "key_id": "...", "updated": "RFC 3339"}. lg_state_parse() needs schema 1
 * and highest_serial (a non-negative integer); key_id and updated are
 * checked when present; other fields are ignored so that a newer lastgood
 * can add some. Returns 0, -EINVAL (message in err) or -EFBIG (over 64 KiB).
 * lg_state_format() returns a malloc'd, newline-terminated JSON text, or
 * NULL when out of memory; key_id may be NULL; when is Unix seconds.
 */
#define LG_STATE_MAX_BYTES (64u << 10)
int lg_state_parse(const char *buf, size_t len, int64_t *highest_serial, struct lg_err *err);
char *lg_state_format(int64_t highest_serial, const char *key_id, int64_t when);

/*
 * Trusted keys: the *.pub files of a directory, sorted by name. The CLI
 * uses $LASTGOOD_TRUST_DIR, else LG_TRUST_DIR_DEFAULT; the recovery image
 * (PID 1) should use only the default, which is inside its own signed
 * image. Returns 0 with n == 0 when the directory is missing or holds no
 * key (the caller refuses then), or a negative errno.
 */
#define LG_TRUST_DIR_DEFAULT "/etc/lastgood/trusted"
/* The CLI's trust directory: $LASTGOOD_TRUST_DIR when set and not empty,
 * else LG_TRUST_DIR_DEFAULT. */
const char *lg_trust_dir(void);
int lg_trust_keys_in_dir(const char *dir, char ***paths, size_t *n, struct lg_err *err);
void lg_trust_keys_free(char **paths, size_t n);

#endif
