/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text the registry code reads from a hive (regpath.c; registry.h
 * includes this): ImagePath values resolved to paths on the volume, and
 * REG_MULTI_SZ filter lists. Pure functions on hostile input, fuzzed by
 * tests/fuzz/fuzz_imagepath.c.
 */
#ifndef LG_REGPATH_H
#define LG_REGPATH_H

#include "lib/util.h"

#define LG_IMAGEPATH_MAX 32767    /* the longest NT path, in characters */

struct lg_reg_paths {
	const char *windir;       /* the Windows directory as on the volume, "Windows" */
	char system_drive;        /* 'C'; 0 = unknown: any drive letter is this volume */
};

/*
 * The volume-relative path ('/'-separated, e.g.
 * "Windows/System32/drivers/x.sys") of a path as a service's ImagePath
 * gives it: "\SystemRoot\...", "System32\..." (relative to the Windows
 * directory), "\??\C:\...", "\DosDevices\C:\...", "\GLOBAL??\C:\...",
 * "C:\...", "%SystemRoot%\..." / "%windir%\..." / "%SystemDrive%\..." /
 * "%ProgramFiles%\..." ..., a quoted path ("\"C:\...\" -args": the part
 * in quotes), and a path rooted at the volume ("\Windows\..."). NULL or an
 * empty string means the default of a driver: System32\drivers\<service>.sys.
 * "." and ".." parts are resolved (a path cannot leave the volume).
 * Case is kept (NTFS lookups fold it). An image longer than
 * 3 * LG_IMAGEPATH_MAX bytes is -ENAMETOOLONG. Returns 0, or
 *   -ENOENT        not a file on this volume (other drive, UNC path,
 *                  \Device\..., unknown %variable%, no service name)
 *   -EINVAL        leaves the volume root, or has characters no file name has
 *   -ENAMETOOLONG  longer than outlen - 1 or a part over 255 bytes
 */
int lg_imagepath_resolve(const char *image, const char *service, const struct lg_reg_paths *p,
			 char *out, size_t outlen);

/*
 * REG_MULTI_SZ lists as the PnP manager reads them: UTF-16LE strings, each
 * NUL-terminated, the list ends at the first empty string or at the end of
 * the data (an odd last byte is ignored). lg_multisz_remove() writes into
 * out (at least len + 4 bytes) the list without every string equal to name
 * (ASCII case folded), others kept in order, terminated by one more NUL;
 * an emptied list is the single NUL (2 bytes), see docs/registry.md.
 * Returns how many strings were removed, or -EINVAL for a name that is not
 * valid UTF-8. Whatever followed the first empty string is dropped: the
 * PnP manager never reads it.
 */
int lg_multisz_remove(const unsigned char *data, size_t len, const char *name, unsigned char *out,
		      size_t *out_len);
/* Number of strings in the list, and with i < count the i-th as UTF-8
 * (malloc'd; invalid UTF-16 becomes U+FFFD). */
size_t lg_multisz_count(const unsigned char *data, size_t len);
char *lg_multisz_get(const unsigned char *data, size_t len, size_t i);
/* Whether the list holds name (ASCII case folded). */
bool lg_multisz_has(const unsigned char *data, size_t len, const char *name);
/* Undo of a removal from a list that changed since: cur with name put
 * back where it stood in old (before the name that followed it there, if
 * cur has it, else after the one that preceded it, else last), in the
 * UTF-16 it had in old. *out is malloc'd. -EBADMSG when old lacks name. */
int lg_multisz_reinsert(const unsigned char *cur, size_t cur_len, const unsigned char *old,
			size_t old_len, const char *name, unsigned char **out, size_t *out_len);

#endif
