/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UEFI variables through efivarfs: find the Windows Boot Manager among the
 * Boot#### load options and make it the next boot (BootNext), so that the
 * machine restarts into Windows and not into lastgood again.
 *
 * Every function takes the efivarfs directory (LG_EFIVARFS on a booted
 * system; a plain directory in tests: a file there holds a 4-byte
 * little-endian attributes word followed by the variable's data, as
 * efivarfs presents it). Variable content is firmware data written by any
 * OS or tool that ran before: parsed as hostile input, every length
 * checked. Errors: negative errno; a message for people in the lg_err.
 */
#ifndef LG_EFIVAR_H
#define LG_EFIVAR_H

#include "lib/util.h"

#define LG_EFIVARFS "/sys/firmware/efi/efivars"
/* EFI_GLOBAL_VARIABLE (UEFI spec 3.3; gnu-efi efidef.h) */
#define LG_EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
/* systemd's loader interface: the stub sets LoaderDevicePartUUID there. */
#define LG_EFI_LOADER_GUID "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define LG_EFI_WINDOWS_BOOTMGR "\\EFI\\Microsoft\\Boot\\bootmgfw.efi"

#define LG_EFI_VAR_NON_VOLATILE 0x1u
#define LG_EFI_VAR_BOOTSERVICE_ACCESS 0x2u
#define LG_EFI_VAR_RUNTIME_ACCESS 0x4u
#define LG_LOAD_OPTION_ACTIVE 0x1u

/* No UEFI variable we read is larger (a Boot#### with a long path and
 * optional data is a few hundred bytes). */
#define LG_EFI_VAR_MAX (64u << 10)

/* One decoded EFI_LOAD_OPTION. Strings are ASCII: characters outside
 * printable ASCII become '?', so they can be shown and compared safely. */
struct lg_load_option {
	uint32_t attributes;
	char description[128];
	/* The file path nodes (media type 4, subtype 4) of the first device
	 * path instance, joined; "" when the option names no file (a whole
	 * disk, a network boot). */
	char file_path[512];
};

/* Decode an EFI_LOAD_OPTION (UEFI spec 3.1.3): attributes (4),
 * FilePathListLength (2), NUL-terminated UCS-2 description, device path
 * list, optional data. Returns 0, or -EBADMSG for malformed data (with
 * what was wrong in err): truncated fields, a description without its NUL,
 * a device path node shorter than its header or running past the list.
 * Overlong strings are cut, not refused. */
int lg_load_option_parse(const void *buf, size_t len, struct lg_load_option *out, struct lg_err *err);

/* Read a variable: *data (malloc'd, caller frees) and its length, *attrs
 * when not NULL. -ENOENT when there is no such variable, -EBADMSG when
 * the file is shorter than its attribute word, -EFBIG over LG_EFI_VAR_MAX. */
int lg_efivar_read(const char *dir, const char *name, const char *guid, uint32_t *attrs,
		   uint8_t **data, size_t *len);

/* Write a variable in one write() (attributes word + data), clearing the
 * immutable flag efivarfs puts on existing variables first. */
int lg_efivar_write(const char *dir, const char *name, const char *guid, uint32_t attrs,
		    const void *data, size_t len);

/* The Boot#### whose file path is \EFI\Microsoft\Boot\bootmgfw.efi
 * (compared without regard to case). Entries listed in BootOrder are
 * tried first, in that order, then the other Boot#### variables; active
 * entries win over inactive ones. Malformed entries are skipped.
 * Returns 0 with *num (and *opt when not NULL), -ENOENT when there is no
 * such entry, or another negative errno when the directory cannot be read. */
int lg_efi_find_windows(const char *dir, uint16_t *num, struct lg_load_option *opt, struct lg_err *err);

/* BootNext = num (attributes NV|BS|RT). */
int lg_efi_set_bootnext(const char *dir, uint16_t num, struct lg_err *err);

/* Read BootNext; -ENOENT when unset, -EBADMSG when not 2 bytes. */
int lg_efi_get_bootnext(const char *dir, uint16_t *num);

/* A UCS-2, NUL-terminated string variable (LoaderDevicePartUUID) as
 * lowercase ASCII into out (cap bytes). -EBADMSG for non-ASCII content. */
int lg_efivar_read_string(const char *dir, const char *name, const char *guid, char *out, size_t cap);

#endif
