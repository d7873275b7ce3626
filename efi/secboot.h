/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Secure Boot: whether it is on, and loading the embedded kernel under it. */
#ifndef LG_EFI_SECBOOT_H
#define LG_EFI_SECBOOT_H

#include "blob.h"

/* The SecureBoot variable is 1. */
BOOLEAN secure_boot_enabled(void);

/* Around the one LoadImage call of the embedded kernel (buf, size): the
 * firmware's image verification accepts that buffer, every other image
 * is still checked (see secboot.c). */
void sb_override_install(const VOID *buf, UINTN size);
void sb_override_remove(void);

#endif
