/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A volume Windows did not shut down cleanly: before we change it, the
 * transactions Windows committed to $LogFile are replayed with ntfs-3g's
 * own ntfsrecover, so nothing Windows wrote is thrown away.
 */
#ifndef LG_DIRTY_H
#define LG_DIRTY_H

#include "lib/util.h"

#include <jansson.h>

/* Replay the log of the NTFS volume at [offset, offset+size) of target.
 * ntfsrecover works on a device: a partition image is used as it is, a
 * partition of a block device through its partition node, a partition
 * inside a disk image through a loop device. *report gets what was run
 * and what it printed. Returns 0, or a negative errno with err saying why
 * (no loop device, ntfsrecover missing or failing). */
int lg_dirty_replay(const char *target, uint64_t offset, uint64_t size, json_t **report,
		    struct lg_err *err);

#endif
