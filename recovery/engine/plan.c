// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/plan.h"

#include "engine/inspect.h"
#include "engine/match.h"
#include "engine/policy.h"
#include "engine/registry.h"
#include "engine/report.h"
#include "formats/denylist.h"
#include "storage/links.h"

/* The other names (hard links) of a file to be quarantined: the move
 * takes one name; the others keep the content (storage/links.h). */
static void plan_links(struct lg_vol_ctx *vol, const struct lg_match *mt, json_t *mj)
{
	struct lg_links l;
	if (!vol->v || lg_links_read(vol->v, mt->mref, mt->parent_mref, mt->name, mt->name_len, &l) < 0)
		return;
	if (l.n) {
		json_t *a = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(a, json_string(l.paths[i]));
		json_object_set_new(mj, "other_links", a);
	}
	if (l.unlisted)
		json_object_set_new(mj, "other_links_unlisted", json_integer((json_int_t)l.unlisted));
	lg_links_free(&l);
}

/* Each match into the report with its action; refusals of the policy. */
static void plan_matches(struct lg_vol_ctx *vol, struct lg_plan *plan)
{
	struct lg_run_ctx *run = vol->run;
	const struct lg_match_result *res = plan->res;
	for (size_t i = 0; i < res->n_matches; i++) {
		const struct lg_match *mt = &res->matches[i];
		json_t *mj = lg_report_match_json(mt);
		const char *refusal = lg_policy_match_refusal(mt);
		if (refusal) {
			json_object_set_new(mj, "refused", json_string(refusal));
			run->totals.refused++;
			run->exit = lg_run_worse(run->exit, LG_EXIT_POLICY);
		} else if (mt->rule->action == LG_ACTION_QUARANTINE) {
			plan->actionable++;
			plan_links(vol, mt, mj);
		}
		json_object_set_new(mj, "action", json_string(mt->rule->action == LG_ACTION_QUARANTINE ? "quarantine" : "report"));
		json_array_append_new(plan->matches, mj);
	}
	run->totals.matched += (unsigned)res->n_matches;
}

/* The rule refused by the registry policy: all its matches are refused;
 * returns how many of them were quarantines. */
static size_t refuse_rule(struct lg_vol_ctx *vol, const struct lg_plan *plan, const struct lg_rule *rule,
			  const char *why, json_t *rj)
{
	size_t refused = 0;
	vol->run->exit = lg_run_worse(vol->run->exit, LG_EXIT_POLICY);
	for (size_t i = 0; i < plan->res->n_matches; i++) {
		json_t *mj = json_array_get(plan->matches, i);
		if (plan->res->matches[i].rule != rule || json_object_get(mj, "refused"))
			continue;
		json_object_set_new(mj, "refused", json_string(why));
		vol->run->totals.refused++;
		if (rule->action == LG_ACTION_QUARANTINE)
			refused++;
	}
	if (!json_object_get(rj, "refused_rules"))
		json_object_set_new(rj, "refused_rules", json_array());
	json_array_append_new(json_object_get(rj, "refused_rules"),
			      json_pack("{s:s, s:s}", "rule", rule->id, "reason", why));
	return refused;
}

/* One rule's registry work: decided by the policy, staged in vol->reg.
 * Returns how many actionable matches it refused. */
static size_t plan_rule_registry(struct lg_vol_ctx *vol, const struct lg_plan *plan, const struct lg_rule *rule,
				 const char *load_err, json_t *rj)
{
	const struct lg_match_result *res = plan->res;
	const char **files = calloc(res->n_matches + 1, sizeof(*files));
	size_t nf = 0;
	for (size_t i = 0; i < res->n_matches; i++) {
		json_t *mj = json_array_get(plan->matches, i);
		if (res->matches[i].rule == rule && rule->action == LG_ACTION_QUARANTINE &&
		    !json_object_get(mj, "refused"))
			files[nf++] = res->matches[i].path;
	}
	if (!nf && !rule->reg_disable_service && !rule->reg_remove_filter) {
		free(files);
		return 0;
	}
	struct lg_err err = { "" };
	char buf[sizeof(err.msg) + 256];
	struct lg_reg_verdict vd = { 0 };
	const char *why = lg_policy_registry(vol, rule, files, nf, load_err, &vd, buf, sizeof(buf));
	if (!why && (vd.n_services || vd.n_filters) && lg_registry_apply(vol->reg, &vd, rule->id, &err) < 0) {
		snprintf(buf, sizeof(buf), "registry change failed: %s", err.msg);
		why = buf;
	}
	if (vd.boot_critical && vd.critical_why[0])
		json_object_set_new(rj, "boot_critical_allowed", json_string(vd.critical_why));
	if (vd.note[0])
		json_object_set_new(rj, "note", json_string(vd.note));
	lg_reg_verdict_clear(&vd);
	free(files);
	return why ? refuse_rule(vol, plan, rule, why, rj) : 0;
}

/* The SYSTEM hive, and per rule the registry work its quarantines need. */
static void plan_registry(struct lg_vol_ctx *vol, struct lg_plan *plan)
{
	const struct lg_denylist *dl = vol->run->dl;
	struct lg_err err = { "" };
	struct lg_reg_opts ro = { .windir = vol->vi->windows_dir };
	int lr = lg_registry_load(vol->v, &ro, &vol->reg, &err);
	json_t *rj = json_object();
	json_object_set_new(vol->vr, "registry", rj);
	if (lr < 0) {
		vol->reg = NULL;
		json_object_set_new(rj, "error", json_string(err.msg));
	} else {
		char name[64];
		if (lg_registry_computer_name(vol->reg, name, sizeof(name)) == 0)
			json_object_set_new(vol->vr, "computer_name", json_string(name));
	}
	for (size_t ri = 0; ri < dl->n_rules; ri++)
		plan->actionable -= plan_rule_registry(vol, plan, &dl->rules[ri], err.msg, rj);
	if (vol->reg) {
		lg_registry_report_state(vol->reg, rj);
		json_object_set_new(rj, "changes", lg_registry_report(vol->reg));
	}
}

void lg_plan_build(struct lg_vol_ctx *vol, const struct lg_match_result *res, struct lg_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->res = res;
	plan->matches = json_array();
	json_object_set_new(vol->vr, "matches", plan->matches);
	plan_matches(vol, plan);
	plan_registry(vol, plan);
}

void lg_plan_nothing_to_do(struct lg_vol_ctx *vol, const struct lg_plan *plan)
{
	bool already = vol->stored_serial >= 0 && vol->stored_serial == vol->run->dl->serial;
	bool refused = false;
	size_t k;
	json_t *mj;
	json_array_foreach(plan->matches, k, mj)
		refused = refused || json_object_get(mj, "refused");
	json_object_set_new(vol->vr, "status", json_string(refused ? "refused" : already ? "already-fixed" : "clean"));
	if (already)
		json_object_set_new(vol->vr, "reason", json_string("this volume was already fixed for this deny-list serial; nothing left to do"));
}
