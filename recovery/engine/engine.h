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

struct lg_run_opts {
	bool fix;                    /* false: scan, which writes nothing */
	const char *denylist;
	const char *sig;             /* NULL: denylist + ".minisig" */
	const char **trust;          /* trusted public keys (paths) */
	size_t n_trust;
	bool have_now;
	int64_t now;                 /* --now: the clock for expiry checks */
	bool json;                   /* report on stdout */
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
	const char **keys;           /* BitLocker key files or folders (CSV, .BEK) */
	size_t n_keys;
	bool interactive;            /* a person is there: ask for a recovery password */
	bool quiet;                  /* no human summary on stderr */
};

/* Returns an LG_EXIT_* code; prints the report and the summary. When
 * report_out is non-NULL it receives the report (caller decrefs). */
int lg_run(const struct lg_run_opts *o, json_t **report_out);

struct lg_undo_opts {
	const char *run_id;
	char **targets;
	size_t n_targets;
	bool json;
	bool force;
	const char **keys;           /* BitLocker key files or folders (CSV, .BEK) */
	size_t n_keys;
	bool interactive;            /* a person is there: ask for a recovery password */
};
/* Undo run_id on whichever volume of the targets holds it; BitLocker
 * volumes are unlocked as fix unlocks them. Returns an LG_EXIT_* code. */
int lg_undo(const struct lg_undo_opts *o);

/* With LASTGOOD_PROMPT_MARKERS=1 in the environment, a BitLocker key
 * prompt is framed by these lines on stderr (for the recovery image's
 * init, which holds its own console lines back meanwhile). */
#define LG_PROMPT_BEGIN "lastgood: @prompt-begin"
#define LG_PROMPT_END "lastgood: @prompt-end"

/* A new run id: UTC time and random bits, e.g. 20260719T052700Z-3fa2c1. */
void lg_run_id_new(char out[32]);

#endif
