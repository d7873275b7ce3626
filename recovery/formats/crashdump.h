/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Windows kernel crash dumps, headers and module lists only (issue 19,
 * docs/report.md "crashes"): Windows\MEMORY.DMP and Windows\Minidump\*.dmp.
 *
 *   PAGEDU64   64-bit kernel dumps: full, kernel (summary), bitmap, automatic
 *              and small (triage) dumps. The 8 KiB header gives the dump
 *              type, time, bugcheck code and parameters and the exception
 *              address; a small dump's triage block gives the loaded
 *              drivers (name, base, size).
 *   PAGEDUMP   the 32-bit header (4 KiB), same facts, no module list.
 *   MDMP       the minidump format: the exception stream (code, address,
 *              parameters) and the module list stream.
 *
 * The driver named is the one whose [base, base + size) holds the
 * faulting address, else one of the four parameters (first found).
 *
 * Nothing but those headers and lists is read: a full MEMORY.DMP of many
 * GiB costs one 8 KiB read. Everything is hostile: every offset and count
 * is checked against the file size and capped (LG_CRASH_MAX_*). Reads go
 * through a callback so that the engine reads from an NTFS volume and the
 * fuzzer and tests from memory.
 *
 * Errors: -EINVAL not a dump lastgood knows (err says what the first bytes
 * are), -EBADMSG a damaged dump (err says which field), or the reader's
 * negative errno.
 */
#ifndef LG_CRASHDUMP_H
#define LG_CRASHDUMP_H

#include "lib/util.h"

#define LG_CRASH_MAX_MODULES 4096
#define LG_CRASH_NAME_MAX 128     /* bytes of a module name kept (UTF-8) */

/* Read n bytes at off into buf: returns the bytes read (short at the end
 * of the file) or a negative errno. */
typedef ssize_t (*lg_crash_read_fn)(void *ctx, uint64_t off, void *buf, size_t n);

enum lg_crash_fault {
	LG_CRASH_FAULT_NONE = 0,
	LG_CRASH_FAULT_PARAM1 = 1,    /* ..PARAM4 = 4: that bugcheck parameter */
	LG_CRASH_FAULT_ADDRESS = 5,   /* the exception's faulting address */
};

struct lg_crash {
	const char *format;           /* "PAGEDU64", "PAGEDUMP", "MDMP" */
	const char *type;             /* "full", "kernel", "small", "header", "bitmap-full",
				       * "bitmap-kernel", "automatic", "minidump", "unknown" */
	bool have_time;
	int64_t time;                 /* UTC, Unix seconds */
	uint32_t code;                /* bugcheck code (MDMP: exception code) */
	uint64_t param[4];
	bool have_address;
	uint64_t address;             /* faulting address (exception record) */
	uint32_t build;               /* Windows build (PAGEDU64/PAGEDUMP MinorVersion), 0 = unknown */
	size_t n_modules;             /* modules in the dump's list */
	char driver[LG_CRASH_NAME_MAX]; /* "" = none found */
	uint64_t driver_base;
	uint32_t driver_size;
	enum lg_crash_fault fault;    /* which value fell in driver */
};

int lg_crashdump_read(lg_crash_read_fn rd, void *ctx, uint64_t file_size, struct lg_crash *out,
		      struct lg_err *err);

/* The same over a buffer. */
int lg_crashdump_parse(const unsigned char *buf, size_t len, struct lg_crash *out, struct lg_err *err);

/* "PAGE_FAULT_IN_NONPAGED_AREA" for 0x50, NULL for a code not in the
 * table of common ones. */
const char *lg_bugcheck_name(uint32_t code);

#endif
