// SPDX-License-Identifier: GPL-2.0-or-later
/* The deny-list and key files carried to PID 1 (override.h). */
#include "override.h"
#include "newc.h"

#define DENYLIST_MAX (8u * 1024 * 1024)
#define SIG_MAX (64u * 1024)
#define KEYS_CSV_MAX (64u * 1024 * 1024)	/* the engine's own cap for a key file */
#define BEK_MAX (64u * 1024)		/* a .BEK file is a few hundred bytes */
#define TFTP_NAME_MAX 256u		/* DHCP boot file (128) + a leaf */

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

/* ---- the network the firmware set up ------------------------------------- */

/* What the firmware's PXE client learned, for PID 1 to configure the
 * same interface without a second DHCP round (docs/pxe.md): the address
 * and mask it used (pxe-station, "ip=A.B.C.D\nmask=A.B.C.D\n") and the
 * DHCP ACK as received (pxe-dhcp-ack, 1472 bytes: router, DNS and the
 * client's MAC are read from it by PID 1, recovery/net/lease.c). */
struct pxe_lease {
	struct blob station, ack;
};

static UINTN put_ip(char *out, const UINT8 ip[4])
{
	UINTN o = 0;
	for (int i = 0; i < 4; i++) {
		UINT8 v = ip[i];
		if (v >= 100)
			out[o++] = (char)('0' + v / 100);
		if (v >= 10)
			out[o++] = (char)('0' + v / 10 % 10);
		out[o++] = (char)('0' + v % 10);
		if (i < 3)
			out[o++] = '.';
	}
	return o;
}

static void lease_from_pxe(EFI_HANDLE device, struct pxe_lease *l)
{
	EFI_PXE_BASE_CODE *pxe;
	if (EFI_ERROR(BS->HandleProtocol(device, &PxeBaseCodeProtocol, (VOID **)&pxe)))
		return;
	EFI_PXE_BASE_CODE_MODE *m = pxe->Mode;
	if (!m || !m->Started || m->UsingIpv6 || !m->DhcpAckReceived || !m->StationIp.v4.Addr[0])
		return;
	l->ack.data = AllocatePool(sizeof(m->DhcpAck.Raw));
	l->station.data = AllocatePool(64);
	if (!l->ack.data || !l->station.data) {
		blob_free(&l->ack);
		blob_free(&l->station);
		return;
	}
	CopyMem(l->ack.data, m->DhcpAck.Raw, sizeof(m->DhcpAck.Raw));
	l->ack.size = sizeof(m->DhcpAck.Raw);
	char *t = l->station.data;
	UINTN o = 0;
	CopyMem(t + o, "ip=", 3), o += 3;
	o += put_ip(t + o, m->StationIp.v4.Addr);
	CopyMem(t + o, "\nmask=", 6), o += 6;
	o += put_ip(t + o, m->SubnetMask.v4.Addr);
	t[o++] = '\n';
	l->station.size = o;
	Print(L"lastgood:       network: %d.%d.%d.%d from the firmware's PXE client, handed on to the recovery system\r\n",
	      m->StationIp.v4.Addr[0], m->StationIp.v4.Addr[1], m->StationIp.v4.Addr[2], m->StationIp.v4.Addr[3]);
}

/* The extra archive PID 1 looks for: /lastgood/override/denylist.json(.minisig),
 * keys.csv and *.BEK (these readable by root only), pxe-station and
 * pxe-dhcp-ack. */
static EFI_STATUS make_override_cpio(struct blob *list, struct blob *sig, struct keyfiles *k,
				     struct pxe_lease *lease, struct blob *out)
{
	struct newc_entry e[4 + 1 + BEK_LIST_MAX + 2] = {
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
	if (lease->station.data && lease->ack.data) {
		e[n++] = (struct newc_entry){ "lastgood/override/pxe-station", 0100644, lease->station.data,
					      (uint32_t)lease->station.size };
		e[n++] = (struct newc_entry){ "lastgood/override/pxe-dhcp-ack", 0100644, lease->ack.data,
					      (uint32_t)lease->ack.size };
	}
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

/* ---- the step ------------------------------------------------------------- */

/* A newer deny-list beside us overrides the embedded one; PID 1 checks
 * its signature and serial, so here it is only carried. */
EFI_STATUS override_fetch(EFI_HANDLE device, struct blob *extra)
{
	struct blob list = { 0 }, sig = { 0 };
	struct pxe_lease lease = { { 0 }, { 0 } };
	struct keyfiles *keys = AllocateZeroPool(sizeof(*keys));
	UINT8 server[4] = { 0 };
	if (!keys)
		return EFI_OUT_OF_RESOURCES;
	Print(L"lastgood: [2/4] looking for \\lastgood\\denylist.json on the boot device\r\n");
	EFI_STATUS st = denylist_from_disk(device, &list, &sig);
	if (st == EFI_UNSUPPORTED) {
		struct pxe_src src;
		st = pxe_source(device, &src, server);
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
		lease_from_pxe(device, &lease);
	} else if (EFI_ERROR(st)) {
		Print(L"lastgood:       none usable (%r): using the embedded deny-list\r\n", st);
	} else {
		Print(L"lastgood:       found denylist.json (%d bytes) + .minisig; the recovery system checks its signature\r\n",
		      (INT32)list.size);
	}
	BOOLEAN have_keys = keys->csv.data || keys->n_bek;
	if (((list.data && sig.data) || have_keys || lease.ack.data) &&
	    EFI_ERROR(make_override_cpio(&list, &sig, keys, &lease, extra)))
		Print(L"lastgood:       cannot pack them: using the embedded deny-list%s\r\n",
		      have_keys ? L", no key files" : L"");
	blob_free(&list);
	blob_free(&sig);
	blob_free(&lease.station);
	blob_free(&lease.ack);
	/* The archive holds its own copy; this one is not needed any more. */
	keyfiles_wipe(keys);
	FreePool(keys);
	return EFI_SUCCESS;
}
