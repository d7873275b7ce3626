/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the files of the UEFI stub share (stub.c is the entry point; see
 * its header for the boot steps): a buffer from the firmware's pool.
 */
#ifndef LG_EFI_BLOB_H
#define LG_EFI_BLOB_H

#include <efi.h>
#include <efilib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct blob {
	void *data;
	UINTN size;
};

static inline void blob_free(struct blob *b)
{
	if (b->data)
		FreePool(b->data);
	b->data = NULL;
	b->size = 0;
}

/* For key material: zeroed before the pool is given back. */
static inline void blob_wipe(struct blob *b)
{
	if (b->data)
		SetMem(b->data, b->size, 0);
	blob_free(b);
}

#endif
