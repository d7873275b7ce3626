/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registry hive transaction logs (issue 17, docs/registry.md "A dirty
 * hive"): the recovery Windows makes at boot when a hive's base block says
 * the last write did not finish, done here on buffers so that lastgood
 * decides and edits on the hive as Windows will see it.
 *
 * Both formats of Maxim Suhanov's "Windows registry file format
 * specification" (msuhanov/regf):
 *   old  (Windows XP to 8): <hive>.LOG / .LOG1 / .LOG2 of type 1 or 2, a
 *        partial base block, a dirty vector ("DIRT" + one bit per 512-byte
 *        page of the hive bins data) and the dirty pages;
 *   new  (Windows 8.1 and later): .LOG1 and .LOG2 of type 6, a partial
 *        base block then "HvLE" log entries, each with its sequence
 *        number, its pages and two Marvin32 hashes.
 *
 * Pure: no I/O, no printing; every offset and size read from the buffers
 * is checked before use, sizes are capped (LG_HIVELOG_MAX_BYTES), nothing
 * recurses. Fuzzed by tests/fuzz/fuzz_hivelog.c.
 */
#ifndef LG_HIVELOG_H
#define LG_HIVELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_HIVELOG_MAX_BYTES (1u << 30) /* hive bins data, and each file */

/* The log files of a hive, by name: index 0 = <hive>.LOG, 1 = .LOG1,
 * 2 = .LOG2. A missing or empty file is { NULL, 0 }. */
enum { LG_HIVELOG_LOG, LG_HIVELOG_LOG1, LG_HIVELOG_LOG2, LG_HIVELOG_N };
extern const char *const lg_hivelog_suffix[LG_HIVELOG_N]; /* ".LOG", ".LOG1", ".LOG2" */

struct lg_hivelog_buf {
	const unsigned char *buf;
	size_t len;
};

enum lg_hivelog_format { LG_HIVELOG_NONE = 0, LG_HIVELOG_OLD, LG_HIVELOG_NEW };

struct lg_hivelog_result {
	bool dirty;                 /* the primary's base block asks for recovery */
	char dirty_why[96];         /* "its sequence numbers differ (5 and 4)" ... */
	enum lg_hivelog_format format;
	unsigned used;              /* bit i: log i (LG_HIVELOG_LOG...) was applied */
	unsigned n_entries;         /* log entries applied (an old log counts as 1) */
	unsigned n_pages;           /* pages written */
	uint32_t seq;               /* sequence number of the recovered hive */
	uint32_t max_seq;           /* the highest sequence number in the primary's
				     * base block, a valid log's base block or a log
				     * entry whose hashes hold: a hive written back
				     * with a higher one is never replayed over */
	bool base_recovered;        /* the primary's base block came from a log */
	char reason[320];           /* no usable log: which file, what did not check out */
};

/*
 * Recover a primary hive file with its logs as Windows does at boot:
 *   - clean (valid checksum, equal sequence numbers): nothing to do,
 *     returns 0 with *out = NULL (the logs are ignored, as Windows does);
 *   - dirty: the logs are chosen and applied by the specification's rules
 *     (new format preferred, LOG1 and LOG2 in sequence-number order,
 *     entries from the primary's secondary sequence number on, stopping
 *     at the first entry that does not check out; old format: the log
 *     whose last-written time equals the primary's), and the result is
 *     checked (every hive bin in place). Returns 0 with *out a malloc'd
 *     clean primary file (base block with equal sequence numbers res->seq,
 *     type 0, checksum) and *out_len its size;
 *   - dirty and no log can be applied: -EBADMSG, res->reason says which
 *     file and what did not check out (or that there is none);
 *   - not a primary hive at all: -ENOTSUP; too large: -EFBIG; -ENOMEM.
 * name ("SYSTEM") names the files in res->reason ("SYSTEM.LOG1: its base
 * block checksum is wrong; SYSTEM.LOG2: ..."). res is always filled.
 */
int lg_hivelog_recover(const char *name, const unsigned char *prim, size_t plen,
		       const struct lg_hivelog_buf logs[LG_HIVELOG_N], unsigned char **out, size_t *out_len,
		       struct lg_hivelog_result *res);

/* Windows' base block checksum of the first 508 bytes (0 -> 1, ~0 -> ~0-1). */
uint32_t lg_hivelog_checksum(const unsigned char *base);

/* Marvin32 (the hash of log entries), seed as 64-bit little-endian. */
uint64_t lg_marvin32(const unsigned char *d, size_t n, uint64_t seed);
#define LG_HIVELOG_MARVIN_SEED 0x82EF4D887A4E55C5ull

#endif
