/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A writer of newc ("070701") cpio archives, the format the kernel unpacks
 * into its rootfs. Freestanding: the UEFI stub and the host tests build it.
 * The stub appends such an archive after the embedded initrd to hand over a
 * deny-list found at boot.
 */
#ifndef LG_EFI_NEWC_H
#define LG_EFI_NEWC_H

#include <stddef.h>
#include <stdint.h>

struct newc_entry {
	const char *name;	/* relative path, no leading '/' */
	uint32_t mode;		/* full st_mode: 0040755 directory, 0100644 file */
	const void *data;	/* file content; NULL for a directory */
	uint32_t size;		/* bytes of data */
};

/* Bytes the archive of these n entries plus its trailer takes, or 0 when
 * a name is empty or too long (>= 4096) or the total would overflow. */
size_t newc_size(const struct newc_entry *e, size_t n);

/* Write the archive into buf (bufsize bytes, at least newc_size()).
 * Returns the bytes written, or 0 on the same errors as newc_size() or a
 * short buffer. Every entry gets owner root, nlink 1 and mtime. */
size_t newc_write(const struct newc_entry *e, size_t n, uint32_t mtime, void *buf, size_t bufsize);

#endif
