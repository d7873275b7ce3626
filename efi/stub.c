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
 */
#include <efi.h>
#include <efilib.h>
#include <stddef.h>

#include "newc.h"
#include "pesec.h"

/* EFI_LOAD_FILE2_PROTOCOL: same interface as LoadFile, another GUID. */
static EFI_GUID load_file2_guid = {
	0x4006c0c1, 0xfcb3, 0x403e, { 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d }
};
/* systemd's loader interface vendor GUID: LoaderDevicePartUUID tells the
 * booted system which partition it came from. PID 1 reads it to find the
 * boot medium (where reports go, and which disk not to touch). */
static EFI_GUID loader_vendor_guid = {
	0x4a67b082, 0x0a4c, 0x41cf, { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f }
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DENYLIST_MAX (8u * 1024 * 1024)
#define SIG_MAX (64u * 1024)
#define KEYS_CSV_MAX (64u * 1024 * 1024)	/* the engine's own cap for a key file */
#define BEK_MAX (64u * 1024)		/* a .BEK file is a few hundred bytes */
#define TFTP_NAME_MAX 256u		/* DHCP boot file (128) + a leaf */
#define CMDLINE_MAX 4096u
#define FAIL_PAUSE_US (5u * 1000 * 1000)

struct blob {
	void *data;
	UINTN size;
};

static void blob_free(struct blob *b)
{
	if (b->data)
		FreePool(b->data);
	b->data = NULL;
	b->size = 0;
}

/* For key material: zeroed before the pool is given back. */
static void blob_wipe(struct blob *b)
{
	if (b->data)
		SetMem(b->data, b->size, 0);
	blob_free(b);
}

/* ---- the initrd, served through LoadFile2 -------------------------------- */

struct initrd_loader {
	EFI_LOAD_FILE_PROTOCOL lf;	/* first: the protocol pointer is ours */
	const UINT8 *main;
	UINTN main_size;
	const UINT8 *extra;
	UINTN extra_size;
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

static UINTN initrd_total(const struct initrd_loader *l)
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

static EFI_STATUS initrd_register(struct initrd_loader *l, EFI_HANDLE *handle)
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

static void initrd_unregister(struct initrd_loader *l, EFI_HANDLE handle)
{
	if (handle)
		BS->UninstallMultipleProtocolInterfaces(handle, &DevicePathProtocol, &initrd_dp,
							&load_file2_guid, &l->lf, NULL);
}

/* ---- command line ------------------------------------------------------- */

static BOOLEAN secure_boot_enabled(void)
{
	UINTN size = 0;
	UINT8 *v = LibGetVariableAndSize(L"SecureBoot", &EfiGlobalVariable, &size);
	BOOLEAN on = v && size == 1 && *v == 1;
	if (v)
		FreePool(v);
	return on;
}

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

/* ---- the deny-list from the boot device ------------------------------------ */

static EFI_STATUS read_file(EFI_FILE_HANDLE root, CHAR16 *path, UINTN max, struct blob *out)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st = root->Open(root, &f, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	EFI_FILE_INFO *info = LibFileInfo(f);
	if (!info) {
		f->Close(f);
		return EFI_DEVICE_ERROR;
	}
	UINT64 size = info->FileSize;
	BOOLEAN dir = (info->Attribute & EFI_FILE_DIRECTORY) != 0;
	FreePool(info);
	if (dir || size == 0 || size > max) {
		f->Close(f);
		return EFI_BAD_BUFFER_SIZE;
	}
	out->data = AllocatePool(size);
	if (!out->data) {
		f->Close(f);
		return EFI_OUT_OF_RESOURCES;
	}
	out->size = size;
	UINTN got = size;
	st = f->Read(f, &got, out->data);
	f->Close(f);
	if (!EFI_ERROR(st) && got != size)
		st = EFI_END_OF_FILE;
	if (EFI_ERROR(st))
		blob_free(out);
	return st;
}

static EFI_STATUS denylist_from_disk(EFI_HANDLE device, struct blob *list, struct blob *sig)
{
	EFI_FILE_HANDLE root = LibOpenRoot(device);
	if (!root)
		return EFI_UNSUPPORTED;
	EFI_STATUS st = read_file(root, L"\\lastgood\\denylist.json", DENYLIST_MAX, list);
	if (!EFI_ERROR(st)) {
		st = read_file(root, L"\\lastgood\\denylist.json.minisig", SIG_MAX, sig);
		if (EFI_ERROR(st))
			blob_free(list);
	}
	root->Close(root);
	return st;
}

static EFI_STATUS tftp_get(EFI_PXE_BASE_CODE *pxe, EFI_IP_ADDRESS *server, UINT8 *name, UINTN max,
			   struct blob *out)
{
	UINT64 size = 0;
	EFI_STATUS st = pxe->Mtftp(pxe, EFI_PXE_BASE_CODE_TFTP_GET_FILE_SIZE, NULL, FALSE, &size,
				   NULL, server, name, NULL, FALSE);
	BOOLEAN known = !EFI_ERROR(st);
	/* The server answered with an error packet (no such file, access
	 * denied): asking again for the file itself would get the same. A
	 * server without the tsize option would have sent data instead. */
	if (st == EFI_TFTP_ERROR)
		return st;
	/* A server without the tsize option cannot say the size: read into
	 * a buffer of the largest allowed size instead. */
	if (!known)
		size = max;
	if (size == 0 || size > max)
		return EFI_BAD_BUFFER_SIZE;
	out->data = AllocatePool(size);
	if (!out->data)
		return EFI_OUT_OF_RESOURCES;
	out->size = size;
	UINT64 got = size;
	st = pxe->Mtftp(pxe, EFI_PXE_BASE_CODE_TFTP_READ_FILE, out->data, FALSE, &got, NULL, server,
			name, NULL, FALSE);
	if (!EFI_ERROR(st) && (known ? got != size : got == 0 || got > size))
		st = EFI_END_OF_FILE;
	/* A failed transfer may have left part of a key file in the buffer. */
	if (EFI_ERROR(st))
		blob_wipe(out);
	else
		out->size = got;
	return st;
}

/* "dir/" of the boot file name the DHCP server gave (the deny-list sits
 * beside lastgood.efi on the TFTP server), then `leaf`. */
static void tftp_path(const UINT8 *bootfile, UINTN n, const char *leaf, UINT8 *out, UINTN cap)
{
	UINTN len = 0, dir = 0;
	while (len < n && bootfile[len])
		len++;
	for (UINTN i = 0; i < len; i++)
		if (bootfile[i] == '/' || bootfile[i] == '\\')
			dir = i + 1;
	UINTN o = 0;
	for (UINTN i = 0; i < dir && o + 1 < cap; i++)
		out[o++] = bootfile[i];
	for (UINTN i = 0; leaf[i] && o + 1 < cap; i++)
		out[o++] = (UINT8)leaf[i];
	out[o] = 0;
}

/* The PXE server we were loaded from and the boot file it named. */
struct pxe_src {
	EFI_PXE_BASE_CODE *pxe;
	EFI_IP_ADDRESS server;
	const UINT8 *bootfile;
	UINTN bootfile_size;
};

static EFI_STATUS pxe_source(EFI_HANDLE device, struct pxe_src *src, UINT8 server_out[4])
{
	EFI_STATUS st = BS->HandleProtocol(device, &PxeBaseCodeProtocol, (VOID **)&src->pxe);
	if (EFI_ERROR(st))
		return EFI_UNSUPPORTED;
	EFI_PXE_BASE_CODE_MODE *m = src->pxe->Mode;
	if (!m || !m->Started || m->UsingIpv6 || !m->DhcpAckReceived)
		return EFI_NOT_READY;
	/* A proxy DHCP server, when there is one, is the boot server. */
	EFI_PXE_BASE_CODE_DHCPV4_PACKET *p = &m->DhcpAck.Dhcpv4;
	if (m->ProxyOfferReceived && m->ProxyOffer.Dhcpv4.BootpSiAddr[0])
		p = &m->ProxyOffer.Dhcpv4;
	SetMem(&src->server, sizeof(src->server), 0);
	CopyMem(&src->server.v4, p->BootpSiAddr, 4);
	CopyMem(server_out, p->BootpSiAddr, 4);
	src->bootfile = p->BootpBootFile;
	src->bootfile_size = sizeof(p->BootpBootFile);
	if (!src->server.v4.Addr[0])
		return EFI_NOT_FOUND;
	return EFI_SUCCESS;
}

/* `leaf`, from the boot file's directory on the PXE server. */
static EFI_STATUS pxe_get(struct pxe_src *src, const char *leaf, UINTN max, struct blob *out)
{
	UINT8 name[TFTP_NAME_MAX];
	tftp_path(src->bootfile, src->bootfile_size, leaf, name, sizeof(name));
	return tftp_get(src->pxe, &src->server, name, max, out);
}

static EFI_STATUS denylist_from_pxe(struct pxe_src *src, struct blob *list, struct blob *sig)
{
	EFI_STATUS st = pxe_get(src, "denylist.json", DENYLIST_MAX, list);
	if (EFI_ERROR(st))
		return st;
	st = pxe_get(src, "denylist.json.minisig", SIG_MAX, sig);
	if (EFI_ERROR(st))
		blob_free(list);
	return st;
}

/* ---- BitLocker key files from the PXE server -------------------------------- */

/* keys.csv and the .BEK files bek.txt names. PID 1 stages what it finds
 * in /lastgood/override for the engine (--keys). */
struct keyfiles {
	struct blob csv;
	unsigned n_bek;
	struct blob bek[BEK_LIST_MAX];
	char bek_path[BEK_LIST_MAX][sizeof("lastgood/override/") + BEK_NAME_MAX];
};

static void keyfiles_wipe(struct keyfiles *k)
{
	blob_wipe(&k->csv);
	for (unsigned i = 0; i < k->n_bek; i++)
		blob_wipe(&k->bek[i]);
	k->n_bek = 0;
}

/* Why a file is not used, in words, for a one-line message: the TFTP
 * server's own error text (printable ASCII only), or the size limit. */
static void fetch_why(struct pxe_src *src, EFI_STATUS st, const CHAR16 *limit, CHAR16 *out, UINTN cap)
{
	EFI_PXE_BASE_CODE_MODE *m = src->pxe->Mode;
	UINTN o = 0;
	if (st == EFI_BAD_BUFFER_SIZE || st == EFI_BUFFER_TOO_SMALL) {
		UnicodeSPrint(out, cap * sizeof(CHAR16), L"empty or over %s", limit);
		return;
	}
	if (st != EFI_TFTP_ERROR || !m || !m->TftpErrorReceived) {
		UnicodeSPrint(out, cap * sizeof(CHAR16), L"%r", st);
		return;
	}
	static const CHAR16 said[] = L"the server said: ";
	for (UINTN i = 0; said[i] && o + 1 < cap; i++)
		out[o++] = said[i];
	const CHAR8 *e = (const CHAR8 *)m->TftpError.ErrorString;
	for (UINTN i = 0; i < sizeof(m->TftpError.ErrorString) && e[i] && o + 1 < cap; i++)
		out[o++] = (e[i] >= 0x20 && e[i] <= 0x7e) ? e[i] : '?';
	out[o] = 0;
}

static void print_ip(const UINT8 ip[4])
{
	Print(L"%d.%d.%d.%d", ip[0], ip[1], ip[2], ip[3]);
}

/* Fetch the optional key files; say in one line each what came (names and
 * sizes, never content) and what did not. A bad or missing file is left
 * out and the boot goes on. */
static void keys_from_pxe(struct pxe_src *src, const UINT8 server[4], struct keyfiles *k)
{
	CHAR16 why[96];
	EFI_STATUS st = pxe_get(src, "keys.csv", KEYS_CSV_MAX, &k->csv);
	if (EFI_ERROR(st)) {
		fetch_why(src, st, L"64 MiB", why, ARRAY_SIZE(why));
		Print(L"lastgood:       no BitLocker key file keys.csv from TFTP server ");
		print_ip(server);
		Print(L" (%s)\r\n", why);
	} else {
		Print(L"lastgood:       fetched BitLocker key file keys.csv (%d bytes) from TFTP server ",
		      (INT32)k->csv.size);
		print_ip(server);
		Print(L"\r\n");
	}

	struct blob txt = { 0 };
	st = pxe_get(src, "bek.txt", BEK_TXT_MAX, &txt);
	if (EFI_ERROR(st)) {
		fetch_why(src, st, L"4 KiB", why, ARRAY_SIZE(why));
		Print(L"lastgood:       no startup key list bek.txt (%s): no .BEK files fetched\r\n", why);
		return;
	}
	struct bek_list *list = AllocateZeroPool(sizeof(*list));
	if (!list) {
		blob_free(&txt);
		Print(L"lastgood:       out of memory for bek.txt: no .BEK files fetched\r\n");
		return;
	}
	size_t line = 0;
	enum bek_list_status ls = bek_list_parse(txt.data, txt.size, list, &line);
	blob_wipe(&txt);
	/* Line numbers only: a mistaken line could hold a recovery password. */
	if (ls == BEK_LIST_BAD_NAME)
		Print(L"lastgood:       bek.txt line %d is not a .BEK file name (hex digits and dashes, then .BEK): "
		      L"no .BEK files fetched\r\n", (INT32)line);
	else if (ls == BEK_LIST_TOO_MANY)
		Print(L"lastgood:       bek.txt names more than %d files (line %d): no .BEK files fetched\r\n",
		      (INT32)BEK_LIST_MAX, (INT32)line);
	else if (ls == BEK_LIST_TWICE)
		Print(L"lastgood:       bek.txt line %d repeats a name from an earlier line: no .BEK files fetched\r\n",
		      (INT32)line);
	else if (ls != BEK_LIST_OK)
		Print(L"lastgood:       bek.txt is not a list of .BEK file names: no .BEK files fetched\r\n");
	else if (list->n == 0)
		Print(L"lastgood:       bek.txt names no .BEK file\r\n");
	for (unsigned i = 0; ls == BEK_LIST_OK && i < list->n; i++) {
		const char *name = list->name[i];
		CHAR16 wname[BEK_NAME_MAX + 1];
		UINTN j = 0;
		for (; name[j]; j++)
			wname[j] = (UINT8)name[j];
		wname[j] = 0;
		struct blob *b = &k->bek[k->n_bek];
		st = pxe_get(src, name, BEK_MAX, b);
		if (EFI_ERROR(st)) {
			fetch_why(src, st, L"64 KiB", why, ARRAY_SIZE(why));
			Print(L"lastgood:       startup key %s not used (%s)\r\n", wname, why);
			continue;
		}
		Print(L"lastgood:       fetched startup key %s (%d bytes)\r\n", wname, (INT32)b->size);
		static const char dir[] = "lastgood/override/";
		char *path = k->bek_path[k->n_bek];
		UINTN o = 0;
		for (j = 0; dir[j]; j++)
			path[o++] = dir[j];
		for (j = 0; name[j]; j++)
			path[o++] = name[j];
		path[o] = 0;
		k->n_bek++;
	}
	FreePool(list);
}

/* The extra archive PID 1 looks for: /lastgood/override/denylist.json(.minisig),
 * keys.csv and *.BEK (these readable by root only). */
static EFI_STATUS make_override_cpio(struct blob *list, struct blob *sig, struct keyfiles *k, struct blob *out)
{
	struct newc_entry e[4 + 1 + BEK_LIST_MAX] = {
		{ "lastgood", 0040755, NULL, 0 },
		{ "lastgood/override", 0040755, NULL, 0 },
	};
	size_t n = 2;
	if (list->data && sig->data) {
		e[n++] = (struct newc_entry){ "lastgood/override/denylist.json", 0100644, list->data, (uint32_t)list->size };
		e[n++] = (struct newc_entry){ "lastgood/override/denylist.json.minisig", 0100644, sig->data,
					      (uint32_t)sig->size };
	}
	if (k->csv.data)
		e[n++] = (struct newc_entry){ "lastgood/override/keys.csv", 0100600, k->csv.data, (uint32_t)k->csv.size };
	for (unsigned i = 0; i < k->n_bek; i++)
		e[n++] = (struct newc_entry){ k->bek_path[i], 0100600, k->bek[i].data, (uint32_t)k->bek[i].size };
	size_t size = newc_size(e, n);
	if (!size)
		return EFI_BAD_BUFFER_SIZE;
	out->data = AllocatePool(size);
	if (!out->data)
		return EFI_OUT_OF_RESOURCES;
	out->size = size;
	if (newc_write(e, n, 0, out->data, size) != size) {
		blob_wipe(out);
		return EFI_BAD_BUFFER_SIZE;
	}
	return EFI_SUCCESS;
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

/* ---- Secure Boot: the embedded kernel ------------------------------------- */

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

static void sb_override_install(const VOID *buf, UINTN size)
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

static void sb_override_remove(void)
{
	sb_override.in_load = FALSE;
	if (sb_override.sec)
		sb_override.sec->FileAuthenticationState = sb_override.orig_state;
	if (sb_override.sec2)
		sb_override.sec2->FileAuthentication = sb_override.orig_auth;
	sb_override.sec = NULL;
	sb_override.sec2 = NULL;
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

	/* A newer deny-list beside us overrides the embedded one; PID 1
	 * checks its signature and serial, so here it is only carried. */
	struct blob list = { 0 }, sig = { 0 }, extra = { 0 };
	struct keyfiles *keys = AllocateZeroPool(sizeof(*keys));
	UINT8 server[4] = { 0 };
	if (!keys)
		return fail(L"out of memory", EFI_OUT_OF_RESOURCES);
	Print(L"lastgood: [2/4] looking for \\lastgood\\denylist.json on the boot device\r\n");
	st = denylist_from_disk(self->DeviceHandle, &list, &sig);
	if (st == EFI_UNSUPPORTED) {
		struct pxe_src src;
		st = pxe_source(self->DeviceHandle, &src, server);
		BOOLEAN have_server = !EFI_ERROR(st);
		if (have_server)
			st = denylist_from_pxe(&src, &list, &sig);
		if (st == EFI_UNSUPPORTED)
			Print(L"lastgood:       boot device has no file system and no PXE: using the embedded deny-list\r\n");
		else if (EFI_ERROR(st))
			Print(L"lastgood:       no denylist.json + .minisig from TFTP server %d.%d.%d.%d (%r): using the embedded deny-list\r\n",
			      server[0], server[1], server[2], server[3], st);
		else
			Print(L"lastgood:       fetched denylist.json (%d bytes) + .minisig from TFTP server %d.%d.%d.%d\r\n",
			      (INT32)list.size, server[0], server[1], server[2], server[3]);
		/* Key files do not depend on a served deny-list: the embedded
		 * one may be current while the keys differ per site. From a
		 * disk, PID 1 reads them from the medium itself. */
		if (have_server)
			keys_from_pxe(&src, server, keys);
	} else if (EFI_ERROR(st)) {
		Print(L"lastgood:       none usable (%r): using the embedded deny-list\r\n", st);
	} else {
		Print(L"lastgood:       found denylist.json (%d bytes) + .minisig; the recovery system checks its signature\r\n",
		      (INT32)list.size);
	}
	BOOLEAN have_keys = keys->csv.data || keys->n_bek;
	if (((list.data && sig.data) || have_keys) && EFI_ERROR(make_override_cpio(&list, &sig, keys, &extra)))
		Print(L"lastgood:       cannot pack them: using the embedded deny-list%s\r\n",
		      have_keys ? L", no key files" : L"");
	blob_free(&list);
	blob_free(&sig);
	/* The archive holds its own copy; this one is not needed any more. */
	keyfiles_wipe(keys);
	FreePool(keys);

	struct initrd_loader loader = {
		.main = initrd, .main_size = initrd_size,
		.extra = extra.data, .extra_size = extra.size,
	};
	EFI_HANDLE initrd_handle = NULL;
	Print(L"lastgood: [3/4] handing over the initrd (%d KiB)\r\n", (INT32)(initrd_total(&loader) / 1024));
	st = initrd_register(&loader, &initrd_handle);
	if (EFI_ERROR(st)) {
		blob_wipe(&extra);
		return fail(L"cannot register the initrd with the firmware (LoadFile2)", st);
	}

	CHAR16 *cmd = build_cmdline(cmdline, cmdline_size, self, sb);
	if (!cmd) {
		initrd_unregister(&loader, initrd_handle);
		blob_wipe(&extra);
		return fail(L"out of memory for the kernel command line", EFI_OUT_OF_RESOURCES);
	}

	Print(L"lastgood: [4/4] starting the kernel%s\r\n", sb ? L" (Secure Boot is on)" : L"");
	EFI_HANDLE kernel;
	if (sb)
		sb_override_install(linux_img, linux_size);
	st = BS->LoadImage(FALSE, image, NULL, (VOID *)linux_img, linux_size, &kernel);
	if (sb)
		sb_override_remove();
	if (EFI_ERROR(st)) {
		initrd_unregister(&loader, initrd_handle);
		blob_wipe(&extra);
		FreePool(cmd);
		return fail(st == EFI_SECURITY_VIOLATION || st == EFI_ACCESS_DENIED
				    ? L"the firmware refused the embedded kernel (Secure Boot: its signature is not trusted)"
				    : L"the firmware could not load the embedded kernel",
			    st);
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
	initrd_unregister(&loader, initrd_handle);
	blob_wipe(&extra);
	FreePool(cmd);
	return fail(L"the kernel returned to the firmware instead of starting", EFI_ERROR(st) ? st : EFI_LOAD_ERROR);
}
