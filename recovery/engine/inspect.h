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
json_t *lg_volinfo_json(const struct lg_volinfo *v);

/* {"disks": [...], "volumes": [...]}: what `inspect --json` prints. */
json_t *lg_inventory_json(const struct lg_inventory *inv);

#endif
