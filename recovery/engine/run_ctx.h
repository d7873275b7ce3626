/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside lg_run (internal to the engine, run_ctx.c): the state of a run and of the
 * volume it is working on, which the pipeline's steps share.
 *
 *   run.c      lg_run: the deny-list and keys, discovery, each volume
 *              (BitLocker unlocked first) through the steps below, in order
 *   policy.c   what may be touched: mounted, hibernated, dirty, state.json
 *              (anti-rollback), matches lastgood will not move, the registry
 *              (boot-critical drivers, unreadable hive)
 *   plan.c     what will be done: the matches and the registry work, as
 *              the volume's "matches" with a refusal on each one not done
 *   apply.c    the journalled changes of a fix, and completing the changes
 *              of a run that was cut short
 *   report.c   the report: its JSON objects, writing it to the volume and a folder
 *   undo.c     lg_undo
 *   paths.h    every path under $LastGood
 */
#ifndef LG_ENGINE_RUN_CTX_H
#define LG_ENGINE_RUN_CTX_H

#include "engine/engine.h"

struct lg_volinfo;
struct lg_volume;
struct lg_registry;

struct lg_run_totals {
	unsigned volumes, windows, matched, quarantined, restored, refused, failed;
};

/* One lg_run. */
struct lg_run_ctx {
	const struct lg_run_opts *o;
	const struct lg_keyring *keys;  /* BitLocker keys (--keys or the caller's); NULL when none */
	const struct lg_denylist *dl;
	char run_id[32];
	json_t *report;
	json_t *volumes;                /* the report's "volumes" */
	int exit;                       /* LG_EXIT_*, combined with lg_run_worse */
	struct lg_run_totals totals;
};

/* One volume of the run. */
struct lg_vol_ctx {
	struct lg_run_ctx *run;
	const struct lg_volinfo *vi;
	json_t *vr;                     /* this volume's report object */
	struct lg_volume *v;            /* open from the policy's go-ahead to the end */
	struct lg_registry *reg;        /* the SYSTEM hive, when it could be read (plan.c) */
	int64_t stored_serial;          /* from state.json; -1: none */
	bool lastgood_ignored;          /* \$LastGood is not trusted and was left as it is (scan): engine/trust.h */
	double t0;                      /* start of the current phase */
	json_t *timings;                /* the volume's "timings" */
};

/* Exit codes combine: the more serious one of a and b. */
int lg_run_worse(int a, int b);

/* One line to the front end's log (lg_run_opts.log), if it gave one. */
void lg_run_say(lg_log_fn log, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The BitLocker keys of --keys, loaded before any volume is touched. NULL
 * in *out when no file was given; a file refused is logged, -EINVAL. */
int lg_run_load_keyring(const char *const *files, size_t n, lg_log_fn log, void *log_ctx,
			struct lg_keyring **out);

/* Seconds on the monotonic clock. */
double lg_run_clock(void);

#endif
