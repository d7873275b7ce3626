// SPDX-License-Identifier: GPL-2.0-or-later
/* Secure Boot (secboot.h). */
#include "secboot.h"

BOOLEAN secure_boot_enabled(void)
{
	UINTN size = 0;
	UINT8 *v = LibGetVariableAndSize(L"SecureBoot", &EfiGlobalVariable, &size);
	BOOLEAN on = v && size == 1 && *v == 1;
	if (v)
		FreePool(v);
	return on;
}

/* With Secure Boot on, LoadImage checks the kernel's own signature against
 * db; but what the firmware (or shim) verified is this whole file, kernel
 * section included. As systemd-stub does, the firmware's image
 * verification hooks (the Security and Security2 architectural protocols)
 * are overridden for the one LoadImage call of our own .linux buffer:
 * every other image is still checked by the original hooks. */

typedef struct _LG_SECURITY_ARCH LG_SECURITY_ARCH;
typedef EFI_STATUS(EFIAPI *LG_FILE_AUTHENTICATION_STATE)(const LG_SECURITY_ARCH *this, UINT32 status,
							 const EFI_DEVICE_PATH *file);
struct _LG_SECURITY_ARCH {
	LG_FILE_AUTHENTICATION_STATE FileAuthenticationState;
};

typedef struct _LG_SECURITY2_ARCH LG_SECURITY2_ARCH;
typedef EFI_STATUS(EFIAPI *LG_FILE_AUTHENTICATION)(const LG_SECURITY2_ARCH *this, const EFI_DEVICE_PATH *path,
						   VOID *buf, UINTN size, BOOLEAN boot_policy);
struct _LG_SECURITY2_ARCH {
	LG_FILE_AUTHENTICATION FileAuthentication;
};

static EFI_GUID security_arch_guid = {
	0xa46423e3, 0x4617, 0x49f1, { 0xb9, 0xff, 0xd1, 0xbf, 0xa9, 0x11, 0x58, 0x39 }
};
static EFI_GUID security2_arch_guid = {
	0x94ab2f58, 0x1438, 0x4ef1, { 0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68 }
};

static struct {
	LG_SECURITY_ARCH *sec;
	LG_SECURITY2_ARCH *sec2;
	LG_FILE_AUTHENTICATION_STATE orig_state;
	LG_FILE_AUTHENTICATION orig_auth;
	const VOID *buf;
	UINTN size;
	BOOLEAN in_load;	/* only during our LoadImage call */
} sb_override;

static EFI_STATUS EFIAPI sb_auth_state(const LG_SECURITY_ARCH *this, UINT32 status, const EFI_DEVICE_PATH *file)
{
	/* An image from a buffer has no file path: that is ours. */
	if (sb_override.in_load && !file)
		return EFI_SUCCESS;
	return sb_override.orig_state(this, status, file);
}

static EFI_STATUS EFIAPI sb_auth(const LG_SECURITY2_ARCH *this, const EFI_DEVICE_PATH *path, VOID *buf,
				 UINTN size, BOOLEAN boot_policy)
{
	if (sb_override.in_load && buf == sb_override.buf && size == sb_override.size)
		return EFI_SUCCESS;
	return sb_override.orig_auth(this, path, buf, size, boot_policy);
}

void sb_override_install(const VOID *buf, UINTN size)
{
	sb_override.buf = buf;
	sb_override.size = size;
	if (!EFI_ERROR(LibLocateProtocol(&security_arch_guid, (VOID **)&sb_override.sec)) && sb_override.sec) {
		sb_override.orig_state = sb_override.sec->FileAuthenticationState;
		sb_override.sec->FileAuthenticationState = sb_auth_state;
	} else {
		sb_override.sec = NULL;
	}
	if (!EFI_ERROR(LibLocateProtocol(&security2_arch_guid, (VOID **)&sb_override.sec2)) && sb_override.sec2) {
		sb_override.orig_auth = sb_override.sec2->FileAuthentication;
		sb_override.sec2->FileAuthentication = sb_auth;
	} else {
		sb_override.sec2 = NULL;
	}
	sb_override.in_load = TRUE;
}

void sb_override_remove(void)
{
	sb_override.in_load = FALSE;
	if (sb_override.sec)
		sb_override.sec->FileAuthenticationState = sb_override.orig_state;
	if (sb_override.sec2)
		sb_override.sec2->FileAuthentication = sb_override.orig_auth;
	sb_override.sec = NULL;
	sb_override.sec2 = NULL;
}
