/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The newest kernel crash dumps on a Windows volume, for the report's
 * "crashes" (docs/report.md): <windir>\MEMORY.DMP and <windir>\Minidump\
 * *.dmp, newest (last written) first, at most max of them, each read only
 * as far as its header and module list (formats/crashdump.h), read-only
 * through the volume layer. A damaged dump is listed with "error".
 */
#ifndef LG_CRASHES_H
#define LG_CRASHES_H

#include "storage/volume.h"

#include <jansson.h>

#define LG_CRASHES_MAX 5
/* More dump files than this in Minidump\ are not looked at. */
#define LG_CRASHES_SCAN_MAX 512

/* An array (empty when there are no dumps); NULL only without memory. */
json_t *lg_crashes_scan(struct lg_volume *v, const char *windir, size_t max);

#endif
