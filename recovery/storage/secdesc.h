/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NTFS security descriptors (self-relative, as $Secure and the
 * $SECURITY_DESCRIPTOR attribute hold them): the one lastgood gives what
 * it creates under \$LastGood, and the check of one read from a volume.
 *
 * lastgood's descriptor: owner Administrators (S-1-5-32-544), group SYSTEM
 * (S-1-5-18), a protected DACL (nothing inherited from the parent) with
 * two ACEs, SYSTEM and Administrators full control (FILE_ALL_ACCESS),
 * inherited by subfolders and files for a folder. Nobody else has any
 * right.
 *
 * A descriptor read from a volume is hostile input: every offset, size
 * and count is checked against the buffer.
 */
#ifndef LG_SECDESC_H
#define LG_SECDESC_H

#include "lib/util.h"

/* Largest descriptor lastgood reads or copies (Windows' limit is 64 KiB). */
#define LG_SD_MAX (64u << 10)

/* lastgood's own descriptor into out (at least LG_SD_OWN_MAX bytes);
 * returns its length. dir: with inheritance flags for a folder. */
#define LG_SD_OWN_MAX 128
size_t lg_sd_own(bool dir, unsigned char *out);

/* Whether sd (len bytes) gives nobody but SYSTEM and Administrators any
 * right: its owner is one of them, the DACL is present (not NULL) and
 * every access-allowed ACE names one of them. Returns 1 trusted, 0 not
 * (why, a static text, says what is wrong), -EBADMSG when the bytes are
 * not a valid descriptor. */
int lg_sd_trusted(const void *sd, size_t len, const char **why);

#endif
