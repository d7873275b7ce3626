/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Evidence for the vendor's analysis: a tar.gz of what one run put in
 * quarantine and its manifest, read from the volume, written on the host
 * as DIR/<volume-serial>-<run-id>.tar.gz (temporary name, then rename).
 * Key files and reports are never part of it.
 */
#ifndef LG_EVIDENCE_H
#define LG_EVIDENCE_H

#include "storage/volume.h"

int lg_evidence_write(struct lg_volume *v, const char *dir, const char *volume_serial,
		      const char *run_id, char **path_out, struct lg_err *err);

#endif
