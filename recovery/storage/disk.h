/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A target: a whole-disk image, a partition image or a block device.
 * lg_disk_open() reads its partition table (GPT or MBR, libblkid) and
 * probes each partition's file system. A target without a partition table
 * is one partition spanning the whole target. Nothing is written.
 *
 * Ownership: lg_disk_free() frees the disk and its partitions.
 * Errors: negative errno, and err says what was wrong with which target.
 */
#ifndef LG_DISK_H
#define LG_DISK_H

#include "lib/util.h"

enum lg_fs {
	LG_FS_UNKNOWN = 0,
	LG_FS_NTFS,
	LG_FS_VFAT,
	LG_FS_BITLOCKER,
	LG_FS_OTHER,
};

struct lg_partition {
	int number;              /* 1-based, as the partition table numbers it; 0 = whole target */
	uint64_t offset, size;   /* bytes */
	char type[40];           /* GPT type GUID (lowercase) or MBR type "0x07" */
	char *name;              /* GPT partition name, or NULL */
	bool esp, msr, container; /* EFI system, Microsoft reserved, MBR extended */
	bool truncated;          /* extends past the end of the target */
	enum lg_fs fs;
	char *fstype;            /* as libblkid names it, or NULL */
	char *label;             /* file system label, or NULL */
	char *uuid;              /* file system UUID / serial, or NULL */
};

struct lg_disk {
	char *path;
	bool block_device;
	uint64_t size;           /* bytes */
	char pttype[8];          /* "gpt", "dos" or "none" */
	char *pt_id;             /* disk GUID or MBR signature, or NULL */
	bool pt_rejected;        /* a GPT header or MBR signature is there, but no valid table */
	struct lg_partition *parts;
	size_t n_parts;
};

int lg_disk_open(const char *path, struct lg_disk **out, struct lg_err *err);
void lg_disk_free(struct lg_disk *disk);

const char *lg_disk_fs_name(enum lg_fs fs);

#endif
