/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every path lastgood keeps on a Windows volume, in one place. They are
 * volume paths as storage/fsops.h takes them ('/' between names, no
 * leading slash), all under the root folder $LastGood:
 *
 *   $LastGood/journal/<run>                      the run's journal (journal.h)
 *   $LastGood/state.json                         highest deny-list serial applied
 *   $LastGood/reports/<run>.json                 the volume's copy of the report
 *   $LastGood/quarantine/<run>/                  what the run moved away:
 *     <path>                                       a quarantined file, at its own path
 *     manifest.json                                the list of those files
 *     undone-restores/<path>                       a restored copy an undo set aside
 *     registry/[<prefix>]SYSTEM<suffix>            SYSTEM hive copies (registry.h)
 *
 * The lg_path_* builders return 0, or -ENAMETOOLONG when the path does not
 * fit in out (which then holds a truncated, unusable path).
 */
#ifndef LG_PATHS_H
#define LG_PATHS_H

#include <stddef.h>

/* The root folder, in the volume's root directory. */
#define LG_DIR "$LastGood"
#define LG_PATH_JOURNALS LG_DIR "/journal"
#define LG_PATH_STATE LG_DIR "/state.json"
#define LG_PATH_REPORTS LG_DIR "/reports"
#define LG_PATH_QUARANTINE LG_DIR "/quarantine"
#define LG_PATH_SET_ASIDE LG_DIR "/set-aside"

/* $LastGood/journal/<run_id> */
int lg_path_journal(char *out, size_t len, const char *run_id);
/* $LastGood/reports/<run_id>.json */
int lg_path_report(char *out, size_t len, const char *run_id);
/* $LastGood/quarantine/<run_id> */
int lg_path_quarantine_dir(char *out, size_t len, const char *run_id);
/* $LastGood/quarantine/<run_id>/<path>: where a quarantined file goes */
int lg_path_quarantined(char *out, size_t len, const char *run_id, const char *path);
/* $LastGood/quarantine/<run_id>/manifest.json */
int lg_path_manifest(char *out, size_t len, const char *run_id);
/* $LastGood/quarantine/<run_id>/undone-restores/<path> */
int lg_path_undone_restore(char *out, size_t len, const char *run_id, const char *path);
/* $LastGood/quarantine/<run_id>/registry/<prefix>SYSTEM<suffix> */
int lg_path_registry_copy(char *out, size_t len, const char *run_id, const char *prefix, const char *suffix);
/* $LastGood/set-aside/<run_id>/<leaf>: an untrusted journal or state file, kept */
int lg_path_set_aside(char *out, size_t len, const char *run_id, const char *leaf);
/* $LastGood.untrusted-<run_id>: a $LastGood that is not lastgood's, kept */
int lg_path_untrusted_dir(char *out, size_t len, const char *run_id);

#endif
