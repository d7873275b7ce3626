/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The changes of a fix (internal; docs/engine.md, "Journal"): each one
 * journalled before it is made ($LastGood/journal/<run>), and the changes
 * of a run that was cut short completed before anything else is done.
 */
#ifndef LG_ENGINE_APPLY_H
#define LG_ENGINE_APPLY_H

#include "engine/run_ctx.h"

struct lg_plan;

/* Runs whose journal has no end record (a fix cut short): completed (fix)
 * or named in the report (scan: "interrupted_runs"; fix:
 * "completed_interrupted_runs"). An undo cut short refuses (-EBUSY): it
 * is finished by running undo again. */
int lg_apply_pending(struct lg_vol_ctx *vol, struct lg_err *err);

/*
 * Do the plan on the open read-write volume, in this order, all in the
 * run's journal: the hibernation header (when hibernated), the registry
 * (a disabled driver whose file is still there is harmless; a registered
 * driver whose file is gone is not), then each quarantine with its
 * known-good restore (fetched and checked before anything moves); then the
 * manifest, state.json and the journal's end. Each match's "result" goes
 * into the report. Returns 0; -EAGAIN when some matches failed and the
 * others were done; another negative errno when the run had to stop (err
 * says why; the journal says what was done).
 */
int lg_apply(struct lg_vol_ctx *vol, const struct lg_plan *plan, struct lg_err *err);

#endif
