/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names (hard links) of one file, from its own MFT record: each
 * $FILE_NAME attribute is one name in one folder. Quarantine moves one
 * name; the others keep the content, and the report lists them.
 *
 * Everything read is hostile: a $FILE_NAME may name a folder that does
 * not exist, that was reused (another sequence number), that does not
 * hold the name, or that leads back into itself. A name is listed only
 * when every step from it up to the root is confirmed by the folder's own
 * index (the name there leads to the record below it), within
 * LG_LINKS_DEPTH folders and 4096 bytes; 8.3 DOS names are another
 * spelling of a long name, not a link, and are never listed. What cannot
 * be confirmed, or whose name could not be shown safely (U+0000, '/',
 * '\\', ':', "." or "..", an unpaired surrogate), is counted in unlisted.
 */
#ifndef LG_LINKS_H
#define LG_LINKS_H

#include "storage/volume.h"

#define LG_LINKS_MAX 64       /* names listed per file; the rest are counted */
#define LG_LINKS_DEPTH 128    /* folders walked up from one name */

struct lg_links {
	char **paths;         /* '/'-separated, relative to the root, UTF-8, sorted */
	size_t n;
	size_t unlisted;      /* names that exist in the record but are not listed */
};

/* The names of the file with MFT reference mref (record and sequence
 * number), except the one in the folder except_parent (record number)
 * called except_name (UTF-16LE, except_len units): the name a match was
 * found by. 0, -ENOENT when the record is not that file any more, or
 * another negative errno. Free with lg_links_free. */
int lg_links_read(struct lg_volume *v, uint64_t mref, uint64_t except_parent, const ntfschar *except_name,
		  size_t except_len, struct lg_links *out);
void lg_links_free(struct lg_links *l);

#endif
