/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan, fix and undo over a set of targets: discovery, deny-list checks,
 * matching, the journalled changes, the report. The CLI commands and the
 * recovery image's init both drive it through lg_run()/lg_undo().
 */
#ifndef LG_ENGINE_H
#define LG_ENGINE_H

#include "lib/util.h"

#include <jansson.h>

struct lg_denylist;
struct lg_keyring;
struct lg_key_asker;

/* Where the engine's messages go (errors and warnings that are not in the
 * report alone): one line each, without the program's name, which the
 * front end adds. The engine itself never prints. */
typedef void (*lg_log_fn)(void *ctx, const char *line);

struct lg_run_opts {
	bool fix;                    /* false: scan, which writes nothing */
	const char *denylist;        /* the list's path: loaded and verified here unless list is set */
	const struct lg_denylist *list; /* a list the caller already verified (PID 1: once per
				      * boot), borrowed; denylist then only names it */
	const char *sig;             /* NULL: denylist + ".minisig" */
	const char **trust;          /* trusted public keys (paths) */
	size_t n_trust;
	bool have_now;
	int64_t now;                 /* --now: the clock for expiry checks */
	char **targets;
	size_t n_targets;
	bool discard_hibernation;
	bool refuse_dirty;
	bool force;                  /* act on a block device mounted on this host */
	const char **bundle_dirs;
	size_t n_bundle_dirs;
	const char *evidence_dir;
	const char *report_dir;      /* also write the report here */
	const char *run_id;          /* fixed run id (tests); NULL: generated */
	const char **keys;           /* BitLocker key files or folders (CSV, .BEK), loaded here */
	size_t n_keys;
	const struct lg_keyring *keyring; /* keys the caller loaded (borrowed); keys[] is then not read */
	const struct lg_key_asker *asker; /* someone to ask for a recovery password; NULL: nobody */
	lg_log_fn log;               /* NULL: messages are dropped (they are in the report too) */
	void *log_ctx;
};

/* Returns an LG_EXIT_* code. When report_out is non-NULL it receives the
 * report (caller decrefs); it stays NULL when the run could not start
 * (deny-list refused, a key file refused, no target readable). */
int lg_run(const struct lg_run_opts *o, json_t **report_out);

struct lg_undo_opts {
	const char *run_id;
	char **targets;
	size_t n_targets;
	bool force;
	const char **keys;           /* BitLocker key files or folders (CSV, .BEK) */
	size_t n_keys;
	const struct lg_keyring *keyring; /* as in lg_run_opts */
	const struct lg_key_asker *asker;
	lg_log_fn log;
	void *log_ctx;
};
/* Undo run_id on whichever volume of the targets holds it; BitLocker
 * volumes are unlocked as fix unlocks them. Returns an LG_EXIT_* code;
 * report_out (when non-NULL) receives {"mode":"undo", "run_id",
 * "volumes":[... "steps":[{path, result}]], "exit_code", "locked"}. */
int lg_undo(const struct lg_undo_opts *o, json_t **report_out);

/* A new run id: UTC time and random bits, e.g. 20260719T052700Z-3fa2c1. */
void lg_run_id_new(char out[32]);

/* The report of a run that never started (the recovery image's own when
 * the engine did not run: no Windows, no valid deny-list, or the engine
 * died first), shaped as lg_run() shapes every report (docs/report.md):
 * run_id, mode ("fix" or "scan"), lastgood_version, finished (now),
 * machine (NULL: lg_report_machine(); taken), an empty "volumes", the
 * "summary" of a run that counted nothing, exit_code, note, and the fleet
 * fields (engine/outcome.h). */
json_t *lg_report_bare(const char *run_id, const char *mode, int exit_code, const char *note, json_t *machine);

#endif
