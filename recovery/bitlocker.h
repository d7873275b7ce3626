/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BitLocker volumes: recognise them and read their identity without a key.
 * The FVE metadata is hostile input: every offset is checked against the
 * partition before it is read.
 */
#ifndef LG_BITLOCKER_H
#define LG_BITLOCKER_H

#include "util.h"

struct lg_bitlocker_info {
	bool to_go;              /* BitLocker To Go (FAT-looking boot sector) */
	char volume_guid[37];    /* lowercase, as manage-bde prints it */
	uint64_t metadata_offset[3];
	uint16_t metadata_version;
};

/* Probe the partition at [offset, offset+size) of fd. Returns 1 when it is
 * BitLocker (info filled), 0 when not, negative errno on I/O errors or
 * -EBADMSG when the boot sector says BitLocker but no metadata block
 * checks out. */
int lg_bitlocker_probe(int fd, uint64_t offset, uint64_t size, struct lg_bitlocker_info *info);

/* Format a GUID as stored on disk (mixed-endian) into 37 bytes. */
void lg_guid_format(const unsigned char g[16], char out[37]);

#endif
