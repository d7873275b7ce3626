/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known-good content from a bundle (tar, tar.gz or zip, read with
 * libarchive) named by a signed deny-list rule. The bundle itself is not
 * signed: every entry is checked against the sha256 in the signed list.
 */
#ifndef LG_RESTORE_H
#define LG_RESTORE_H

#include "formats/denylist.h"

#define LG_RESTORE_MAX_BYTES (512u << 20)

/* Find rs->bundle in dirs (first hit), read rs->entry, check its sha256.
 * *data is malloc'd. Errors: -ENOENT (bundle or entry missing, err says
 * where it looked), -EBADMSG (hash differs), -EFBIG, -EINVAL (the bundle
 * name has a directory part or the archive is damaged). */
int lg_restore_fetch(const struct lg_restore *rs, const char *const *dirs, size_t n_dirs,
		     void **data, size_t *len, struct lg_err *err);

#endif
