// SPDX-License-Identifier: GPL-2.0-or-later
/* The initrd through LoadFile2 (initrd.h). */
#include "initrd.h"

/* EFI_LOAD_FILE2_PROTOCOL: same interface as LoadFile, another GUID. */
static EFI_GUID load_file2_guid = {
	0x4006c0c1, 0xfcb3, 0x403e, { 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d }
};

/* The kernel (5.8+) asks for its initrd on a handle with this device path:
 * a vendor media node with LINUX_EFI_INITRD_MEDIA_GUID, then the end. */
static struct __attribute__((packed)) {
	VENDOR_DEVICE_PATH vendor;
	EFI_DEVICE_PATH end;
} initrd_dp = {
	.vendor = {
		.Header = { MEDIA_DEVICE_PATH, MEDIA_VENDOR_DP,
			    { sizeof(VENDOR_DEVICE_PATH), 0 } },
		.Guid = { 0x5568e427, 0x68fc, 0x4f3d, { 0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68 } },
	},
	.end = { END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE,
		 { sizeof(EFI_DEVICE_PATH), 0 } },
};

UINTN initrd_total(const struct initrd_loader *l)
{
	if (!l->extra_size)
		return l->main_size;
	/* the kernel skips the zero padding between concatenated archives */
	return ((l->main_size + 3) & ~(UINTN)3) + l->extra_size;
}

static EFI_STATUS EFIAPI initrd_load_file(EFI_LOAD_FILE_PROTOCOL *this, EFI_DEVICE_PATH *path,
					  BOOLEAN boot_policy, UINTN *size, VOID *buf)
{
	struct initrd_loader *l = (struct initrd_loader *)this;

	if (!this || !size)
		return EFI_INVALID_PARAMETER;
	if (boot_policy)
		return EFI_UNSUPPORTED;
	UINTN total = initrd_total(l);
	if (!buf || *size < total) {
		*size = total;
		return EFI_BUFFER_TOO_SMALL;
	}
	UINT8 *out = buf;
	CopyMem(out, (VOID *)l->main, l->main_size);
	if (l->extra_size) {
		UINTN pad = total - l->main_size - l->extra_size;
		SetMem(out + l->main_size, pad, 0);
		CopyMem(out + l->main_size + pad, (VOID *)l->extra, l->extra_size);
	}
	*size = total;
	return EFI_SUCCESS;
}

EFI_STATUS initrd_register(struct initrd_loader *l, EFI_HANDLE *handle)
{
	EFI_DEVICE_PATH *dp = (EFI_DEVICE_PATH *)&initrd_dp;
	EFI_HANDLE existing;

	/* Another loader's initrd would be served instead of ours. */
	if (BS->LocateDevicePath(&load_file2_guid, &dp, &existing) == EFI_SUCCESS)
		return EFI_ALREADY_STARTED;
	l->lf.LoadFile = initrd_load_file;
	*handle = NULL;
	return BS->InstallMultipleProtocolInterfaces(handle, &DevicePathProtocol, &initrd_dp,
						     &load_file2_guid, &l->lf, NULL);
}

void initrd_unregister(struct initrd_loader *l, EFI_HANDLE handle)
{
	if (handle)
		BS->UninstallMultipleProtocolInterfaces(handle, &DevicePathProtocol, &initrd_dp,
							&load_file2_guid, &l->lf, NULL);
}
