/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the stub hands PID 1 beside the embedded initrd: a newer deny-list
 * from the boot device or the PXE server it came from, and BitLocker key
 * files from that PXE server, packed as one newc archive
 * (/lastgood/override/...). PID 1 checks the deny-list's signature and
 * serial; here it is only carried.
 */
#ifndef LG_EFI_OVERRIDE_H
#define LG_EFI_OVERRIDE_H

#include "blob.h"

/* Look for them, saying on the console what was found and what not;
 * *extra gets the archive (left empty when there is nothing to carry, or
 * when it cannot be packed: the embedded deny-list is used then). Returns
 * EFI_OUT_OF_RESOURCES when the search cannot even start, else
 * EFI_SUCCESS: a missing or bad file never stops the boot. */
EFI_STATUS override_fetch(EFI_HANDLE device, struct blob *extra);

#endif
