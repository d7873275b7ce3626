/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A writer of newc ("070701") cpio archives, the format the kernel unpacks
 * into its rootfs. Freestanding: the UEFI stub and the host tests build it.
 * The stub appends such an archive after the embedded initrd to hand over a
 * deny-list found at boot, and BitLocker key files fetched from a PXE
 * server; bek_list_parse() checks the list of .BEK file names such a
 * server offers (bek.txt) before any of them is fetched.
 */
#ifndef LG_EFI_NEWC_H
#define LG_EFI_NEWC_H

#include <stddef.h>
#include <stdint.h>

struct newc_entry {
	const char *name;	/* relative path, no leading '/' */
	uint32_t mode;		/* full st_mode: 0040755 directory, 0100644 file */
	const void *data;	/* file content; NULL for a directory */
	uint32_t size;		/* bytes of data */
};

/* Bytes the archive of these n entries plus its trailer takes, or 0 when
 * a name is empty or too long (>= 4096) or the total would overflow. */
size_t newc_size(const struct newc_entry *e, size_t n);

/* Write the archive into buf (bufsize bytes, at least newc_size()).
 * Returns the bytes written, or 0 on the same errors as newc_size() or a
 * short buffer. Every entry gets owner root, nlink 1 and mtime. */
size_t newc_write(const struct newc_entry *e, size_t n, uint32_t mtime, void *buf, size_t bufsize);

/* bek.txt: the names of the .BEK startup key files beside lastgood.efi on
 * a TFTP server (TFTP cannot list a directory), one per line. */
#define BEK_LIST_MAX 32u	/* names in one bek.txt */
#define BEK_NAME_MAX 64u	/* bytes of one name, ".BEK" included */
#define BEK_TXT_MAX 4096u	/* bytes of bek.txt */

enum bek_list_status {
	BEK_LIST_OK = 0,
	BEK_LIST_BAD_NAME,	/* a line is not hex digits and dashes, then .BEK */
	BEK_LIST_TOO_MANY,	/* more than BEK_LIST_MAX names */
	BEK_LIST_TWICE,		/* a name (any case) on two lines */
	BEK_LIST_TOO_BIG,	/* more than BEK_TXT_MAX bytes */
};

struct bek_list {
	unsigned n;
	char name[BEK_LIST_MAX][BEK_NAME_MAX + 1];	/* NUL-terminated, case as written */
};

/* 1 when name[0..n) is a .BEK file name lastgood fetches: at least one
 * hex digit, only hex digits and dashes, then ".BEK" in any case; at most
 * BEK_NAME_MAX bytes. Nothing else (no dots, slashes or spaces) can reach
 * a TFTP request or an archive member name. */
int bek_name_ok(const char *name, size_t n);

/* Parse bek.txt (len bytes, not NUL-terminated). Lines end with LF or
 * CRLF; spaces and tabs around a name, blank lines and a UTF-8 BOM are
 * allowed; anything else refuses the whole file. Returns BEK_LIST_OK with
 * out->n names, or an error with out->n = 0 and *line the 1-based line it
 * is on (0 when it is about the whole file). */
enum bek_list_status bek_list_parse(const void *txt, size_t len, struct bek_list *out, size_t *line);

#endif
