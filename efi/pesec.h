/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Find a named section in a PE image, either as a file on disk or as the
 * firmware mapped it in memory. Freestanding (stub and host tests). The
 * image is treated as hostile: every offset is checked against its size.
 */
#ifndef LG_EFI_PESEC_H
#define LG_EFI_PESEC_H

#include <stddef.h>
#include <stdint.h>

enum pe_layout {
	PE_LAYOUT_FILE,		/* section at PointerToRawData */
	PE_LAYOUT_MEMORY,	/* section at VirtualAddress (a loaded image) */
};

/* Look up section `name` (at most 8 characters). On success returns 0 and
 * sets *off and *size (VirtualSize, capped by SizeOfRawData in a file) so
 * that [off, off+size) lies within img_size. Returns -1 for a malformed
 * image, -2 when there is no such section. */
int pe_find_section(const void *img, size_t img_size, enum pe_layout layout, const char *name,
		    size_t *off, size_t *size);

#endif
