/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journalled changes to a Windows volume: quarantine (a rename into
 * $LastGood/quarantine/<run-id>/, engine/paths.h), restore of known-good content, the
 * hibernation header, and their undo and crash recovery.
 *
 * Each change is announced in the journal and flushed before it is made,
 * and marked done after. Crash recovery looks at the volume to decide
 * whether an announced change happened, and completes it or leaves it,
 * never guessing: a state it cannot explain is an error that names the
 * paths.
 */
#ifndef LG_QUARANTINE_H
#define LG_QUARANTINE_H

#include "engine/journal.h"
#include "storage/volume.h"

/* Move `path` into the run's quarantine. `facts` (stolen) is stored in
 * the intent record (size, sha256, times, rule). */
int lg_quarantine(struct lg_jwriter *w, const char *path, json_t *facts, char *qpath,
		  size_t qlen, struct lg_err *err);

/* Put `data` at `path` (which must be free): written under a temporary
 * name in the same directory, read back and checked against sha256, then
 * renamed into place. */
int lg_quarantine_restore(struct lg_jwriter *w, const char *path, const void *data, size_t len,
			  const unsigned char sha256[32], json_t *facts, struct lg_err *err);

/* Clear the header page of an active hiberfil.sys (what Windows itself
 * does after a resume), so the next boot is a fresh start. */
int lg_discard_hibernation(struct lg_jwriter *w, struct lg_err *err);

/* Complete the steps of an interrupted run (intent without done). */
int lg_quarantine_complete(struct lg_volume *v, const struct lg_journal *j, struct lg_err *err);

/* Undo every step of a run, newest first. Before changing anything,
 * checks that every original path is free: a path taken since makes the
 * whole undo refuse (-EEXIST) and err names it. */
int lg_quarantine_undo(struct lg_volume *v, const struct lg_journal *j, json_t *results,
		       struct lg_err *err);

#endif
