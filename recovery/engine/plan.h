/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a run will do on a volume (internal): the matcher's result and the
 * registry work turned into a list of actions, which scan reports and fix
 * applies (apply.h).
 */
#ifndef LG_ENGINE_PLAN_H
#define LG_ENGINE_PLAN_H

#include "engine/run_ctx.h"

struct lg_match_result;

struct lg_plan {
	const struct lg_match_result *res; /* what matched (borrowed) */
	json_t *matches;    /* the volume's report "matches" (borrowed): matches[i] describes
			     * res->matches[i] with its "action" (quarantine, report) and,
			     * when it is not done, "refused" (why) */
	size_t actionable;  /* quarantines not refused: what a fix will move */
};

/*
 * Builds the plan: every match with its action and the policy's refusals
 * (policy.h); then, per rule, the registry work its quarantines need
 * (services to disable, filters to remove), staged in vol->reg, which
 * this loads (the volume's "registry" report). A rule refused by the
 * registry policy has all its matches refused: a file and its registry
 * work go together. Counts matches and refusals in the run's totals.
 */
void lg_plan_build(struct lg_vol_ctx *vol, const struct lg_match_result *res, struct lg_plan *plan);

/* A fix with nothing to move: the volume's status (clean, already-fixed,
 * refused). */
void lg_plan_nothing_to_do(struct lg_vol_ctx *vol, const struct lg_plan *plan);

#endif
