/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Matching a deny-list against an NTFS volume.
 *
 * lg_matcher_new() compiles every rule's path glob once (glob.h has the
 * glob language). lg_matcher_run() then walks the volume read-only:
 *
 *  - It descends only where some rule's glob can reach. Literal leading
 *    components are found by B+tree lookups in the directory index, so a
 *    rule under Windows/System32/drivers looks up "Windows", "System32"
 *    and "drivers" and lists only the directory where its first wildcard
 *    is. All rules advance together: a directory is read once, whatever
 *    number of rules reach it. Rules whose compiled globs are identical
 *    (an imported hash list: thousands of rules on two or three globs)
 *    share one walk: its cost follows the number of distinct globs, not
 *    of rules.
 *  - It never descends into a reparse point (junction, symlink, mount
 *    point): stats.reparse_skipped counts those it declined.
 *  - For each file whose name matches, it checks the conditions in order
 *    of cost, across all the rules that named the file: $STANDARD_INFORMATION
 *    last-write time and $DATA size (from the MFT record; the copies in
 *    the directory index are stale on real Windows volumes and are not
 *    used), then header bytes (one read of the first 4 KiB serves every
 *    rule), then SHA-256 (for the rules of one glob whose only condition
 *    is SHA-256, the file's digest is looked up once in a sorted table
 *    rather than compared with each rule's list). A file's content is read
 *    and hashed at most once however many rules or names (hard links)
 *    lead to it: the hash reuses the bytes already read for headers.
 *  - A path that matches several rules is reported once, under the first
 *    matching rule in list order; the others are listed.
 *
 * Directories and reparse points as targets: content conditions (size,
 * sha256, header) never hold for a directory; a directory whose name (and
 * time window, if any) matches a rule without content conditions is
 * reported with LG_MATCH_DIRECTORY so that the engine refuses it rather
 * than moving a tree. A trailing "**" selects the files below, never the
 * directories. A file that is itself a reparse point is never read (its
 * content may live elsewhere); when its name and times match it is
 * reported with LG_MATCH_REPARSE, and with LG_MATCH_UNVERIFIED when the
 * rule had content conditions, for the engine to refuse and show.
 *
 * Names: 8.3 aliases (DOS namespace) are not names for matching; hidden
 * and system files are matched like any other. lastgood's own folder at
 * the root ($LastGood, LG_DIR: quarantine, journal, reports) is never
 * entered nor reported, so a "**" rule does not find what an earlier run
 * quarantined. Where two entries differ
 * only in case (POSIX namespace), a literal component finds one of them.
 *
 * Trust: the directory index is used only for names, MFT references and
 * the "is a directory" hint that decides whether a "**" walk descends
 * into an entry; everything a condition or the report uses comes from the
 * file's own MFT record. Index structures are hostile input: every
 * offset and length is checked, B+tree descent is depth-capped, and a
 * directory is listed at most once even if a damaged index loops.
 *
 * Ownership: the matcher borrows the deny-list, which must outlive it and
 * every result (lg_match.rule points into it). lg_matcher_free() and
 * lg_match_result_clear() take NULL. Results own their strings and arrays.
 * Errors: negative errno. lg_matcher_new() fails with -EINVAL and err
 * naming the rule (id and line) for a glob that is not acceptable. A run
 * fails (-ENOMEM, or the error of the root directory when it cannot be
 * read) with err set and no matches; a directory or file that cannot be
 * read further down is recorded in res->problems and the walk goes on.
 */
#ifndef LG_MATCH_H
#define LG_MATCH_H

#include "formats/denylist.h"
#include "lib/util.h"

#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>

/* Bytes read once from the start of each candidate that needs a header
 * check; every header inside it is checked without another read. */
#define LG_MATCH_PREFIX 4096
/* Largest file whose whole content is kept in memory for conditions that
 * need it (PE, issue 6): a larger file fails PE conditions, with a
 * problem recorded. SHA-256 alone streams and has no limit. */
#define LG_MATCH_BUFFER_MAX (256u << 20)
/* Paths longer than this many UTF-16 code units (Windows' own limit) are
 * not followed; they are recorded as problems. */
#define LG_MATCH_PATH_MAX 32767
/* At most this many problems are recorded (the count goes on). */
#define LG_MATCH_PROBLEMS_MAX 1000

struct lg_matcher;

int lg_matcher_new(const struct lg_denylist *dl, struct lg_matcher **out, struct lg_err *err);
void lg_matcher_free(struct lg_matcher *m);

enum lg_match_run_flags {
	/* Compute the SHA-256 of every matched regular file, even when no
	 * condition needed it (the plan and report print hashes). Still at
	 * most one read per file. */
	LG_MATCH_HASH_MATCHES = 1u << 0,
};

enum lg_match_flags {
	LG_MATCH_DIRECTORY = 1u << 0,  /* the target is a directory: refuse it */
	LG_MATCH_REPARSE = 1u << 1,    /* the target is a reparse point: refuse it */
	LG_MATCH_UNVERIFIED = 1u << 2, /* content conditions exist but were not checked (reparse point) */
	LG_MATCH_NAME_LOSSY = 1u << 3, /* the name has an unpaired surrogate, shown as U+FFFD in path:
					  use parent_mref + name to act on it */
	LG_MATCH_CHANGED_AFTER_SIGNING = 1u << 4, /* an authentihash rule held by the digest a signature
						     carries, not the file's own hash (also a problem line) */
	LG_MATCH_NAME_UNUSABLE = 1u << 5, /* the name holds U+0000, '/', '\\' or ':', or is "." or "..":
					     its path would name another file; refuse it
					     (lg_volume_name_unusable) */
};

struct lg_match {
	char *path;                    /* relative to the root, '/'-separated, UTF-8, case as on disk */
	uint64_t mref;                 /* MFT reference (record number and sequence) */
	uint64_t parent_mref;          /* of the directory the name is in */
	ntfschar *name;                /* last component as on disk, UTF-16LE, name_len code units */
	uint16_t name_len;
	uint32_t file_attributes;      /* FILE_ATTR_* from $STANDARD_INFORMATION, host order */
	uint64_t size;                 /* of the unnamed $DATA stream; 0 for a directory */
	/* $STANDARD_INFORMATION times, NTFS ticks (100 ns since 1601, UTC). */
	int64_t creation_time, last_write_time, mft_change_time, last_access_time;
	bool has_sha256;               /* sha256 was computed (a condition or LG_MATCH_HASH_MATCHES) */
	unsigned char sha256[32];
	size_t rule_index;             /* first matching rule, in deny-list order */
	const struct lg_rule *rule;    /* &dl->rules[rule_index] */
	size_t *other_rules;           /* further matching rules, ascending; NULL when none */
	size_t n_other_rules;
	unsigned flags;                /* enum lg_match_flags */
};

/* Something the walk could not read; the run went on without it. */
struct lg_match_problem {
	char *path;                    /* as far as known, UTF-8; "/" for the root */
	int error;                     /* negative errno */
	const char *what;              /* static text: what was being done */
};

struct lg_match_stats {
	uint64_t dirs_listed;          /* directory indexes read in full */
	uint64_t index_lookups;        /* names found (or not) by B+tree lookup */
	uint64_t index_blocks_read;    /* $INDEX_ALLOCATION blocks read, lookups and listings */
	uint64_t index_entries;        /* index entries examined, lookups and listings */
	uint64_t records_opened;       /* MFT records opened (directories and candidates) */
	uint64_t files_evaluated;      /* records whose conditions were checked */
	uint64_t files_hashed;
	uint64_t bytes_read;           /* file content read, headers and hashing */
	uint64_t bytes_hashed;
	uint64_t reparse_skipped;      /* reparse-point directories not descended into */
	uint64_t problems;             /* all problems, also those beyond LG_MATCH_PROBLEMS_MAX */
	uint64_t walk_ns, eval_ns;     /* time spent finding candidates / checking conditions */
	/* PE conditions (issue 6): files given to the PE parser (each read in
	 * full once), files that failed as PE images (most from the first 4 KiB
	 * alone, never read in full), files whose Authenticode hash was
	 * computed (only those that passed every cheaper condition). */
	uint64_t pe_parsed;
	uint64_t pe_rejected;
	uint64_t files_authentihashed;
};

struct lg_match_result {
	struct lg_match *matches;      /* sorted by path (bytewise) */
	size_t n_matches;
	struct lg_match_problem *problems;
	size_t n_problems;
	struct lg_match_stats stats;
};

/* Match every rule against the volume; vol is only read. res is
 * overwritten (clear a previous result first); it is filled on success
 * and holds only stats and problems on failure. */
int lg_matcher_run(struct lg_matcher *m, ntfs_volume *vol, unsigned flags,
		   struct lg_match_result *res, struct lg_err *err);

/* Free what a run put in res and zero it. */
void lg_match_result_clear(struct lg_match_result *res);

#endif
