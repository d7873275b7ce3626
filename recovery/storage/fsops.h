/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File operations on an open NTFS volume, by '/'-separated path relative
 * to the root, through libntfs-3g. Lookups fold case as NTFS does.
 *
 * Nothing here deletes a file. A rename is a new name linked first, then
 * the old name unlinked: the same MFT record (data, security descriptor,
 * streams, times) under another name. A crash between the two steps
 * leaves both names on the one file, which the journal resolves.
 *
 * Errors: negative errno (-ENOENT, -EEXIST, -ENOSPC, -EROFS, -EISDIR...).
 */
#ifndef LG_FSOPS_H
#define LG_FSOPS_H

#include "storage/volume.h"

/* 0 when the path names a file or directory, -ENOENT when not. With
 * mref/is_dir/is_reparse non-NULL, fills them. */
int lg_fs_stat(struct lg_volume *v, const char *path, uint64_t *mref, bool *is_dir,
	       bool *is_reparse);

/* Create every missing directory of path; new ones get attrs (NTFS file
 * attribute bits, e.g. hidden|system) when non-zero. */
int lg_fs_mkdirs(struct lg_volume *v, const char *path, uint32_t attrs);

/* Rename a file: refuses -EEXIST when `to` exists, -EISDIR for a
 * directory. Creates missing parent directories of `to`. */
int lg_fs_rename(struct lg_volume *v, const char *from, const char *to);

/* Remove the name `path` when `other` names the same MFT record (the
 * half-done rename a crash leaves). -ESTALE when they differ. */
int lg_fs_unlink_duplicate(struct lg_volume *v, const char *path, const char *other);

/* Read a whole file of at most max bytes (NUL-terminated). */
int lg_fs_read(struct lg_volume *v, const char *path, size_t max, char **buf, size_t *len);

/* Read up to n bytes at off; returns the count read or a negative errno. */
ssize_t lg_fs_pread(struct lg_volume *v, const char *path, uint64_t off, void *buf, size_t n);

/* Create a file that must not exist, write data, flush. */
int lg_fs_create(struct lg_volume *v, const char *path, const void *data, size_t len);

/* Append to a file (created when missing) and flush it to the device:
 * the journal's write-ahead primitive. */
int lg_fs_append(struct lg_volume *v, const char *path, const void *data, size_t len);

/* Replace a file's whole content (small metadata files of ours only). */
int lg_fs_overwrite(struct lg_volume *v, const char *path, const void *data, size_t len);

/* Overwrite bytes in place, without changing the size. */
int lg_fs_pwrite(struct lg_volume *v, const char *path, uint64_t off, const void *data, size_t len);

/* lastgood's own folder at the root: what fsops creates in it gets
 * lastgood's security descriptor (storage/secdesc.h: SYSTEM and
 * Administrators only), whoever asks. */
#define LG_FS_OWN_DIR "$LastGood"

/* The MFT reference (record number and sequence number) of the file at
 * path, and its link count (DOS names count) when links is non-NULL. */
int lg_fs_ref(struct lg_volume *v, const char *path, uint64_t *mref, unsigned *links);

/* Rename like lg_fs_rename, only when `from` still names the record
 * expect (MFT reference with sequence number): -ESTALE when not. */
int lg_fs_rename_ref(struct lg_volume *v, const char *from, const char *to, uint64_t expect);

/* Rename a directory (with what it holds) in the same way. */
int lg_fs_rename_dir(struct lg_volume *v, const char *from, const char *to);

/* The security descriptor of a file (self-relative, malloc'd). */
int lg_fs_get_sd(struct lg_volume *v, const char *path, void **sd, size_t *len);
/* Its FILE_ATTR_* bits, host order. */
int lg_fs_get_attrs(struct lg_volume *v, const char *path, uint32_t *attrs);

/* What a new file takes from the file it replaces. */
#define LG_FS_COPY_ATTRS 0x27u /* readonly, hidden, system, archive */
struct lg_fs_meta {
	const void *sd;          /* self-relative descriptor; NULL: the default */
	size_t sd_len;
	uint32_t attrs;          /* FILE_ATTR_* (LG_FS_COPY_ATTRS of them are set) */
	bool has_attrs;
};
/* lg_fs_create, the new file given meta's descriptor and attributes in
 * the same commit group as its creation. */
int lg_fs_create_meta(struct lg_volume *v, const char *path, const void *data, size_t len,
		      const struct lg_fs_meta *meta);

/* Set NTFS file attribute bits (FILE_ATTR_HIDDEN...) on a path. */
int lg_fs_set_attrs(struct lg_volume *v, const char *path, uint32_t set);

/* Flush everything written so far to the device. */
int lg_fs_sync(struct lg_volume *v);

#endif
