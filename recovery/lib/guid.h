/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GUIDs as Windows stores them on disk (the first three fields
 * little-endian, the rest as bytes) and as people read them.
 */
#ifndef LG_GUID_H
#define LG_GUID_H

#include <stddef.h>

/* Format a GUID as stored on disk (mixed-endian) into 37 bytes, lowercase
 * ("64311dea-4587-4029-924a-ba299647998e"). */
void lg_guid_format(const unsigned char g[16], char out[37]);
/* Parse "64311dea-4587-4029-924a-ba299647998e", with or without braces,
 * any case, into the on-disk byte order. Returns 0 or -EINVAL. */
int lg_guid_parse(const char *s, size_t len, unsigned char out[16]);
/* What the BitLocker recovery screen shows as "Recovery key ID": the
 * first 8 hex digits of the protector GUID, uppercase. */
void lg_guid_recovery_key_id(const unsigned char guid[16], char out[9]);

#endif
