/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atomic commit groups for writes made through libntfs-3g.
 *
 * libntfs-3g does not journal its metadata: one change (a new directory,
 * a rename) is several device writes, and a power cut between them leaves
 * an index entry pointing at an MFT record that never reached the disk.
 * So every write of a read-write volume is staged in memory, and a commit
 * makes the staged group durable all at once, the way a file system
 * journal does:
 *
 *   1. the staged writes are written to a redo area and flushed;
 *   2. a header with their checksum is written and flushed: the commit;
 *   3. the writes are made in place and flushed;
 *   4. the header is wiped and flushed.
 *
 * A cut before 2 loses the group (nothing of it was in place); after 2,
 * the next open replays it. The redo area is the tail of the volume's own
 * $LogFile, which libntfs-3g empties (fills with 0xFF) when it opens a
 * volume read-write and never reads again; lastgood wipes its area back
 * to 0xFF when it closes the volume, so Windows finds the log as ntfs-3g
 * leaves it. A volume whose $LogFile offers no usable area is written
 * without commit groups, and the caller is told.
 *
 * Everything read here (boot sector, MFT record 2, the redo area) is
 * hostile input: bounds and checksums are checked before use.
 */
#ifndef LG_REDO_H
#define LG_REDO_H

#include "lib/util.h"

struct lg_redo;

/* Locate the redo area of the NTFS volume at [part_off, part_off +
 * part_size) of fd. A committed group found there is replayed when rw
 * (and the area wiped), or kept as an overlay for reads when read-only.
 * *out is NULL (and 0 returned) when the volume has no usable area. */
int lg_redo_open(int fd, uint64_t part_off, uint64_t part_size, bool rw, struct lg_redo **out,
		 struct lg_err *err);
void lg_redo_free(struct lg_redo *r);

/* Start staging writes (after the mount's own writes went through). */
void lg_redo_begin(struct lg_redo *r);
bool lg_redo_staging(const struct lg_redo *r);
/* Stage a write at pos (volume-relative). */
int lg_redo_stage(struct lg_redo *r, const void *buf, uint64_t len, uint64_t pos);
/* Lay staged (or pending, read-only) writes over a buffer just read. */
void lg_redo_overlay(const struct lg_redo *r, void *buf, uint64_t len, uint64_t pos);
/* Make the staged group durable (see above). */
int lg_redo_commit(struct lg_redo *r);
/* Largest group the area can hold, bytes (callers chunk big writes). */
uint64_t lg_redo_capacity(const struct lg_redo *r);
uint64_t lg_redo_staged(const struct lg_redo *r);
/* Wipe the area back to 0xFF (at close, after the last commit). */
int lg_redo_wipe(struct lg_redo *r);
/* Whether a group was too big for the area and went in place directly. */
bool lg_redo_overflowed(const struct lg_redo *r);
/* Whether a committed group was replayed (or is pending, read-only). */
bool lg_redo_replayed(const struct lg_redo *r);

/* Count of writes that reached the device through lg_raw_pwrite (for tests and the power-cut
 * harness, which sets a limit after which writes are silently dropped). */
struct lg_dev_faults {
	uint64_t writes;             /* writes seen so far, all volumes */
	uint64_t drop_after;         /* 0 = never drop; else drop writes after this many */
};
extern struct lg_dev_faults lg_dev_faults;

/* pwrite of the whole buffer at an absolute offset of fd, honouring the
 * power-cut simulation (lg_dev_faults). */
int lg_raw_pwrite(int fd, const void *buf, size_t len, uint64_t off);
int lg_raw_fsync(int fd);

#endif
