// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood.efi: a GNU-EFI stub carrying the kernel (.linux), the initrd
 * (.initrd), the command line (.cmdline), .sbat and .version in its own PE
 * sections. It looks for a newer deny-list on the device it was loaded
 * from (or on the PXE server it came from), and after BitLocker key files
 * on that PXE server; hands the initrd to the kernel through the LoadFile2
 * initrd protocol with what it found appended as an extra newc archive, and
 * starts the kernel. Every step is printed; any
 * failure is said in words and control goes back to the firmware, which
 * then tries its next boot option.
 *
 * This file is the entry point and the order of the steps; each step
 * that is a concern of its own has its file: override.c (deny-list and key
 * files from the boot device or PXE), initrd.c (LoadFile2), secboot.c
 * (Secure Boot), newc.c (the archive), pesec.c (our own PE sections).
 */
#include "blob.h"

#include <stddef.h>

#include "initrd.h"
#include "override.h"
#include "pesec.h"
#include "secboot.h"

/* systemd's loader interface vendor GUID: LoaderDevicePartUUID tells the
 * booted system which partition it came from. PID 1 reads it to find the
 * boot medium (where reports go, and which disk not to touch). */
static EFI_GUID loader_vendor_guid = {
	0x4a67b082, 0x0a4c, 0x41cf, { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f }
};

#define CMDLINE_MAX 4096u
#define FAIL_PAUSE_US (5u * 1000 * 1000)

/* ---- command line ------------------------------------------------------- */

static BOOLEAN is_space(CHAR16 c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Append to dst (capacity cap chars including NUL) the words of the load
 * options that start with "lastgood.": only those, so that a UEFI shell's
 * program name or a firmware's binary option data never reaches the
 * kernel, and nothing but lastgood's own switches can be changed. */
static void append_lastgood_words(CHAR16 *dst, UINTN *len, UINTN cap, const CHAR16 *opt, UINTN n)
{
	static const CHAR16 prefix[] = L"lastgood.";
	UINTN i = 0;
	while (i < n && opt[i]) {
		while (i < n && opt[i] && is_space(opt[i]))
			i++;
		UINTN start = i;
		BOOLEAN printable = TRUE;
		while (i < n && opt[i] && !is_space(opt[i])) {
			if (opt[i] < 0x21 || opt[i] > 0x7e)
				printable = FALSE;
			i++;
		}
		UINTN wlen = i - start, k;
		if (!printable || wlen <= 9)
			continue;
		for (k = 0; k < 9 && opt[start + k] == prefix[k]; k++)
			;
		if (k != 9 || *len + 1 + wlen + 1 > cap)
			continue;
		dst[(*len)++] = ' ';
		for (k = 0; k < wlen; k++)
			dst[(*len)++] = opt[start + k];
		dst[*len] = 0;
	}
}

/* Build the kernel's command line from .cmdline (ASCII) plus, without
 * Secure Boot, lastgood.* words from our load options. */
static CHAR16 *build_cmdline(const UINT8 *ascii, UINTN n, EFI_LOADED_IMAGE *self, BOOLEAN sb)
{
	CHAR16 *c = AllocateZeroPool(CMDLINE_MAX * sizeof(CHAR16));
	UINTN len = 0;
	if (!c)
		return NULL;
	while (n && (ascii[n - 1] == 0 || is_space(ascii[n - 1])))
		n--;
	for (UINTN i = 0; i < n && len + 1 < CMDLINE_MAX; i++)
		c[len++] = (ascii[i] >= 0x20 && ascii[i] <= 0x7e) ? ascii[i] : ' ';
	c[len] = 0;
	if (!sb && self->LoadOptions && self->LoadOptionsSize >= sizeof(CHAR16))
		append_lastgood_words(c, &len, CMDLINE_MAX, self->LoadOptions,
				      self->LoadOptionsSize / sizeof(CHAR16));
	return c;
}

/* ---- boot partition hint for PID 1 -------------------------------------- */

static void put_hex(CHAR16 *s, UINTN *o, UINT64 v, int digits)
{
	static const char hex[] = "0123456789ABCDEF";
	for (int i = digits - 1; i >= 0; i--)
		s[(*o)++] = hex[(v >> (i * 4)) & 0xf];
}

static void set_loader_partuuid(EFI_HANDLE device)
{
	EFI_DEVICE_PATH *dp = DevicePathFromHandle(device);
	for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		if (DevicePathNodeLength(dp) < 4)
			return;
		/* gnu-efi's struct is not packed: sizeof is 48, the node 42. */
		if (DevicePathType(dp) != MEDIA_DEVICE_PATH || DevicePathSubType(dp) != MEDIA_HARDDRIVE_DP ||
		    (UINTN)DevicePathNodeLength(dp) < offsetof(HARDDRIVE_DEVICE_PATH, SignatureType) + 1)
			continue;
		HARDDRIVE_DEVICE_PATH *hd = (HARDDRIVE_DEVICE_PATH *)dp;
		if (hd->SignatureType != SIGNATURE_TYPE_GUID)
			return;
		EFI_GUID g;
		CopyMem(&g, hd->Signature, sizeof(g));
		CHAR16 s[37];
		UINTN o = 0;
		put_hex(s, &o, g.Data1, 8);
		s[o++] = '-';
		put_hex(s, &o, g.Data2, 4);
		s[o++] = '-';
		put_hex(s, &o, g.Data3, 4);
		s[o++] = '-';
		for (int i = 0; i < 8; i++) {
			if (i == 2)
				s[o++] = '-';
			put_hex(s, &o, g.Data4[i], 2);
		}
		s[o] = 0;
		RT->SetVariable(L"LoaderDevicePartUUID", &loader_vendor_guid,
				EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS,
				sizeof(s), s);
		return;
	}
}

/* ---- main ------------------------------------------------------------------ */

static EFI_STATUS fail(const CHAR16 *what, EFI_STATUS st)
{
	Print(L"lastgood: FAILED: %s (%r).\r\n", what, st);
	Print(L"lastgood: returning to the firmware; it will try the next boot option.\r\n");
	BS->Stall(FAIL_PAUSE_US);
	return EFI_ERROR(st) ? st : EFI_LOAD_ERROR;
}

static EFI_STATUS section(EFI_LOADED_IMAGE *self, const char *name, const UINT8 **data, UINTN *size)
{
	size_t off, n;
	int r = pe_find_section(self->ImageBase, self->ImageSize, PE_LAYOUT_MEMORY, name, &off, &n);
	if (r == -1)
		return EFI_COMPROMISED_DATA;
	if (r < 0)
		return EFI_NOT_FOUND;
	*data = (const UINT8 *)self->ImageBase + off;
	*size = n;
	return EFI_SUCCESS;
}

static void print_ascii_line(const CHAR16 *label, const UINT8 *s, UINTN n)
{
	CHAR16 line[128];
	UINTN o = 0;
	for (UINTN i = 0; i < n && o + 1 < ARRAY_SIZE(line) && s[i] && s[i] != '\n'; i++)
		line[o++] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	line[o] = 0;
	Print(L"%s%s\r\n", label, line);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *self;
	EFI_STATUS st;
	const UINT8 *linux_img, *initrd, *cmdline, *version;
	UINTN linux_size, initrd_size, cmdline_size, version_size;

	InitializeLib(image, systab);
	st = BS->HandleProtocol(image, &LoadedImageProtocol, (VOID **)&self);
	if (EFI_ERROR(st))
		return fail(L"cannot read this program's own loaded-image information", st);

	if (!EFI_ERROR(section(self, ".version", &version, &version_size)))
		print_ascii_line(L"", version, version_size);
	else
		Print(L"lastgood\r\n");

	st = section(self, ".linux", &linux_img, &linux_size);
	if (EFI_ERROR(st) || linux_size == 0)
		return fail(L"this lastgood.efi has no kernel (.linux section): rebuild it with 'make image'", st);
	st = section(self, ".initrd", &initrd, &initrd_size);
	if (EFI_ERROR(st) || initrd_size == 0)
		return fail(L"this lastgood.efi has no initrd (.initrd section): rebuild it with 'make image'", st);
	if (EFI_ERROR(section(self, ".cmdline", &cmdline, &cmdline_size))) {
		cmdline = (const UINT8 *)"";
		cmdline_size = 0;
	}
	Print(L"lastgood: [1/4] kernel %d KiB, initrd %d KiB found in the image\r\n",
	      (INT32)(linux_size / 1024), (INT32)(initrd_size / 1024));

	BOOLEAN sb = secure_boot_enabled();
	set_loader_partuuid(self->DeviceHandle);

	/* A newer deny-list and key files for PID 1, as an extra archive. */
	struct blob extra = { 0 };
	st = override_fetch(self->DeviceHandle, &extra);
	if (EFI_ERROR(st))
		return fail(L"out of memory", st);

	struct initrd_loader loader = {
		.main = initrd, .main_size = initrd_size,
		.extra = extra.data, .extra_size = extra.size,
	};
	EFI_HANDLE initrd_handle = NULL;
	const CHAR16 *why;
	Print(L"lastgood: [3/4] handing over the initrd (%d KiB)\r\n", (INT32)(initrd_total(&loader) / 1024));
	st = initrd_register(&loader, &initrd_handle);
	if (EFI_ERROR(st)) {
		why = L"cannot register the initrd with the firmware (LoadFile2)";
		goto out_extra;
	}

	CHAR16 *cmd = build_cmdline(cmdline, cmdline_size, self, sb);
	if (!cmd) {
		why = L"out of memory for the kernel command line";
		st = EFI_OUT_OF_RESOURCES;
		goto out_initrd;
	}

	Print(L"lastgood: [4/4] starting the kernel%s\r\n", sb ? L" (Secure Boot is on)" : L"");
	EFI_HANDLE kernel;
	if (sb)
		sb_override_install(linux_img, linux_size);
	st = BS->LoadImage(FALSE, image, NULL, (VOID *)linux_img, linux_size, &kernel);
	if (sb)
		sb_override_remove();
	if (EFI_ERROR(st)) {
		why = st == EFI_SECURITY_VIOLATION || st == EFI_ACCESS_DENIED
			      ? L"the firmware refused the embedded kernel (Secure Boot: its signature is not trusted)"
			      : L"the firmware could not load the embedded kernel";
		goto out_cmd;
	}
	EFI_LOADED_IMAGE *kli;
	st = BS->HandleProtocol(kernel, &LoadedImageProtocol, (VOID **)&kli);
	if (!EFI_ERROR(st)) {
		kli->LoadOptions = cmd;
		kli->LoadOptionsSize = (StrLen(cmd) + 1) * sizeof(CHAR16);
		st = BS->StartImage(kernel, NULL, NULL);
	}
	/* Only reached when the kernel did not take over. */
	BS->UnloadImage(kernel);
	why = L"the kernel returned to the firmware instead of starting";
	if (!EFI_ERROR(st))
		st = EFI_LOAD_ERROR;
out_cmd:
	FreePool(cmd);
out_initrd:
	initrd_unregister(&loader, initrd_handle);
out_extra:
	blob_wipe(&extra);
	return fail(why, st);
}
