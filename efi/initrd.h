/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The initrd, served to the kernel (5.8+) through the LoadFile2 initrd
 * protocol: the embedded one, then (padded to 4 bytes) the extra newc
 * archive the stub built, as one.
 */
#ifndef LG_EFI_INITRD_H
#define LG_EFI_INITRD_H

#include "blob.h"

struct initrd_loader {
	EFI_LOAD_FILE_PROTOCOL lf;	/* first: the protocol pointer is ours */
	const UINT8 *main;
	UINTN main_size;
	const UINT8 *extra;
	UINTN extra_size;
};

/* The bytes the kernel gets. */
UINTN initrd_total(const struct initrd_loader *l);
/* Install the protocol on a new handle; EFI_ALREADY_STARTED when another
 * loader's initrd is registered (it would be served instead of ours). */
EFI_STATUS initrd_register(struct initrd_loader *l, EFI_HANDLE *handle);
/* Take it back (handle may be NULL). */
void initrd_unregister(struct initrd_loader *l, EFI_HANDLE handle);

#endif
