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

#include "util.h"

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
};

struct lg_denylist {
	int schema;
	int64_t serial;
	int64_t issued, expires;   /* Unix seconds, UTC */
	char *publisher;
	struct lg_rule *rules;
	size_t n_rules;

	/* Set by lg_denylist_load() after the signature verified. */
	char key_id[17];           /* signing key id, 16 uppercase hex digits as minisign prints it */
	unsigned char file_sha256[32]; /* of the signed file's bytes */
};

/* NTFS time conversions (100 ns ticks since 1601 <-> Unix seconds). */
#define LG_NTFS_UNIX_OFFSET 116444736000000000LL
static inline int64_t lg_unix_to_nt(int64_t s) { return s * 10000000LL + LG_NTFS_UNIX_OFFSET; }
static inline int64_t lg_nt_to_unix(int64_t t) { return (t - LG_NTFS_UNIX_OFFSET) / 10000000LL; }

#endif
