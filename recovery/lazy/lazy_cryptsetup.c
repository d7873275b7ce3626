// SPDX-License-Identifier: GPL-2.0-or-later
/* libcryptsetup at first use (lazy.h): BitLocker volumes only. */
#include "lazy/lazy.h"

#include <libcryptsetup.h>
#include <stddef.h>

static struct lg_lazy_lib cryptsetup = { LG_SONAME_cryptsetup, "unlocking a BitLocker volume", NULL };

LG_LAZY_FN(cryptsetup, int, crypt_activate_by_volume_key,
	   (struct crypt_device *cd, const char *name, const char *volume_key, size_t volume_key_size, uint32_t flags),
	   (cd, name, volume_key, volume_key_size, flags))
LG_LAZY_FN(cryptsetup, int, crypt_deactivate, (struct crypt_device *cd, const char *name), (cd, name))
LG_LAZY_VOID(cryptsetup, crypt_free, (struct crypt_device *cd), (cd))
LG_LAZY_FN(cryptsetup, const char *, crypt_get_uuid, (struct crypt_device *cd), (cd))
LG_LAZY_FN(cryptsetup, int, crypt_init, (struct crypt_device **cd, const char *device), (cd, device))
LG_LAZY_FN(cryptsetup, int, crypt_load, (struct crypt_device *cd, const char *requested_type, void *params),
	   (cd, requested_type, params))
LG_LAZY_VOID(cryptsetup, crypt_set_log_callback,
	     (struct crypt_device *cd, void (*log)(int level, const char *msg, void *usrptr), void *usrptr),
	     (cd, log, usrptr))
LG_LAZY_FN(cryptsetup, crypt_status_info, crypt_status, (struct crypt_device *cd, const char *name), (cd, name))
LG_LAZY_FN(cryptsetup, int, crypt_volume_key_get,
	   (struct crypt_device *cd, int keyslot, char *volume_key, size_t *volume_key_size, const char *passphrase,
	    size_t passphrase_size),
	   (cd, keyslot, volume_key, volume_key_size, passphrase, passphrase_size))
