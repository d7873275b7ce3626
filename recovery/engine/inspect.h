/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Discovery: the facts about every volume on a set of targets that decide
 * what lastgood may do there (Windows installation, dirty, hibernated,
 * BitLocker). `inspect` prints them; scan and fix start from them.
 * Nothing here writes to a target.
 */
#ifndef LG_INSPECT_H
#define LG_INSPECT_H

#include "storage/bitlocker.h"
#include "storage/disk.h"

#include <jansson.h>

enum lg_hiber {
	LG_HIBER_NONE = 0,       /* no hiberfil.sys */
	LG_HIBER_INACTIVE,       /* present, header cleared: resumed or unused */
	LG_HIBER_ACTIVE,         /* "hibr"/"HIBR": hibernated or Fast Startup */
	LG_HIBER_WAKE,           /* "wake"/"WAKE": being resumed */
};

/* The SYSTEM hive of a Windows installation (issue 17). */
enum lg_hive_state {
	LG_HIVE_ABSENT = 0,
	LG_HIVE_CLEAN,
	LG_HIVE_DIRTY_REPLAYABLE, /* dirty; its transaction logs replay */
	LG_HIVE_DIRTY,            /* dirty; no log can be applied */
	LG_HIVE_UNREADABLE,
};

struct lg_volinfo {
	const struct lg_disk *disk;
	const struct lg_partition *part;
	bool ntfs;               /* NTFS opened read-only */
	char *error;             /* why it could not be opened, or NULL */
	char *label;
	uint64_t serial;
	int ntfs_major, ntfs_minor;
	bool dirty;
	bool windows;            /* holds a Windows installation */
	char *windows_dir;       /* "Windows" as the directory is named on disk */
	enum lg_hiber hiber;
	enum lg_hive_state hive;
	unsigned hive_log_entries; /* LG_HIVE_DIRTY_REPLAYABLE: entries replayed */
	char *hive_note;          /* the logs replayed ("SYSTEM.LOG1, SYSTEM.LOG2"),
				   * or why none can be (what did not check out) */
	bool bitlocker;
	struct lg_bitlocker_info bl;
};

struct lg_inventory {
	struct lg_disk **disks;
	size_t n_disks;
	struct lg_volinfo *vols; /* NTFS and BitLocker partitions, in disk order */
	size_t n_vols;
	char **problems;         /* what could not be read, one line each: a target
				  * with nothing recognisable, a partition past the end */
	size_t n_problems;
};

/* Open every target and gather the facts. A target that cannot be read at
 * all fails the call (err says which and why); a partition that cannot be
 * opened is recorded with its error. */
int lg_inventory_build(char *const *targets, size_t n, struct lg_inventory **out, struct lg_err *err);
void lg_inventory_free(struct lg_inventory *inv);

const char *lg_hiber_name(enum lg_hiber h);
const char *lg_hive_state_name(enum lg_hive_state h); /* "clean", "dirty, logs usable"... */
json_t *lg_volinfo_json(const struct lg_volinfo *v);

/* {"disks": [...], "volumes": [...]}: what `inspect --json` prints. */
json_t *lg_inventory_json(const struct lg_inventory *inv);

#endif
