/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An NTFS volume opened through libntfs-3g with our own device layer: the
 * volume lives at a byte offset inside a target (disk image, partition
 * image, block device), so images need no loop device and no root.
 *
 * Ownership: lg_volume_close() unmounts and frees; it takes NULL.
 * Errors: negative errno; err names the target, the offset and the reason.
 */
#ifndef LG_VOLUME_H
#define LG_VOLUME_H

#include "lib/util.h"

#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>

enum {
	LG_VOL_RW = 1 << 0,          /* open read-write (default: read-only) */
	LG_VOL_IGNORE_HIBER = 1 << 1, /* open read-write despite an active hiberfil.sys */
	LG_VOL_DIRECT = 1 << 2        /* no commit groups: writes go straight to the device
				       * (builders of test images, where a cut does not matter) */
};

struct lg_volume {
	ntfs_volume *vol;
	struct ntfs_device *dev;
	char *target;                /* path of the target */
	uint64_t offset, size;       /* where the volume lies in it, bytes */
	bool rw;
	bool was_dirty;              /* the dirty flag as found, before we opened it */
	uint64_t serial;             /* volume serial number from the boot sector */
	bool atomic;                 /* writes go in commit groups (redo.h) */
	bool replayed;               /* a committed group of an interrupted run was replayed at open */
};

int lg_volume_open(const char *target, uint64_t offset, uint64_t size, unsigned flags,
		   struct lg_volume **out, struct lg_err *err);
int lg_volume_close(struct lg_volume *v);

/* Make everything written since the last commit durable as one group:
 * all of it or, after a cut, none of it (redo.h). Call it only where the
 * volume is consistent (every inode closed or synced). */
int lg_volume_commit(struct lg_volume *v);
/* The largest group a commit can hold: write big files in pieces. */
uint64_t lg_volume_commit_capacity(struct lg_volume *v);

/* Look a path up, '/'-separated and relative to the root, case-insensitive
 * as NTFS is. Returns an open inode or NULL with errno set. */
ntfs_inode *lg_volume_lookup(struct lg_volume *v, const char *path);

/* Look one name up in an open directory, case-insensitively through the
 * volume's $UpCase table whatever the name's namespace (POSIX names too,
 * as Windows' own lookups do). Returns the MFT reference or (u64)-1. */
u64 lg_volume_lookup_in(ntfs_inode *dir, const ntfschar *name, int len);
/* The same for a UTF-8 name of n bytes (one path component). */
u64 lg_volume_lookup_name(ntfs_inode *dir, const char *name, size_t n);

/* Whether an on-disk name (UTF-16LE, len units) cannot stand for itself
 * in a '/'-separated path: empty, "." or "..", or holding U+0000, '/',
 * '\\' or ':'. Windows never makes such a name; a path built from it
 * would name another file. */
bool lg_volume_name_unusable(const ntfschar *name, size_t len);

/* Convert an NTFS little-endian 64-bit time to a signed tick count. */
static inline int64_t lg_nttime(sle64 t) { return (int64_t)sle64_to_cpu(t); }

#endif
