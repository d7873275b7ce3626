// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lg_run: for every Windows volume on the targets, in order,
 *   facts (inspect) -> policy (policy.c) -> open -> state and interrupted
 *   runs -> match -> plan (plan.c) -> journalled changes (apply.c) ->
 *   evidence, the volume's report (report.c).
 * scan stops after the plan and never opens a volume read-write.
 */
#include "engine/run_ctx.h"

#include "engine/apply.h"
#include "engine/crashes.h"
#include "engine/evidence.h"
#include "engine/inspect.h"
#include "engine/match.h"
#include "engine/paths.h"
#include "engine/plan.h"
#include "engine/policy.h"
#include "engine/registry.h"
#include "engine/report.h"
#include "formats/denylist.h"
#include "formats/keys.h"
#include "storage/bitlocker.h"
#include "storage/volume.h"

#include <sys/random.h>
#include <time.h>

#include <ntfs-3g/layout.h>

void lg_run_id_new(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	unsigned char rnd[3] = { 0 };
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		/* No entropy yet (early boot): the pid and clock still differ
		 * between runs, which is all a run id needs. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint32_t x = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 8;
		memcpy(rnd, &x, 3);
	}
	char day[20];
	strftime(day, sizeof(day), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, 32, "%s-%02x%02x%02x", day, rnd[0], rnd[1], rnd[2]);
}

/* ---- one volume ----------------------------------------------------- */

/* The crash facts first: whatever happens next, the report has them. */
static void volume_crashes(struct lg_vol_ctx *vol)
{
	json_t *crashes = lg_crashes_scan(vol->v, vol->vi->windows_dir, LG_CRASHES_MAX);
	if (json_array_size(crashes))
		json_object_set_new(vol->vr, "crashes", crashes);
	else
		json_decref(crashes);
	lg_report_phase(vol, "crashes");
}

/* The volume opened as the policy allows it (read-write for a fix). */
static bool open_volume(struct lg_vol_ctx *vol)
{
	const struct lg_volinfo *vi = vol->vi;
	struct lg_err err = { "" };
	int r = lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, lg_policy_open_flags(vol),
			       &vol->v, &err);
	if (r < 0) {
		bool ro = r == -EROFS || r == -EACCES;
		lg_report_status(vol, ro ? "refused" : "error", LG_EXIT_ERROR, "%s%s", err.msg,
				 ro ? " (the target is read-only: nothing can be quarantined)" : "");
		return false;
	}
	lg_report_phase(vol, "open");
	volume_crashes(vol);
	if (vol->v->replayed)
		json_object_set_new(vol->vr, "redo_replayed", json_string("changes an interrupted run had committed were completed when the volume was opened"));
	if (vol->run->o->fix && !vol->v->atomic)
		json_object_set_new(vol->vr, "warning", json_string("the volume's $LogFile has no room for lastgood's commit groups: changes are written directly, and a power cut mid-run may need chkdsk"));
	return true;
}

/* After the changes: evidence (--evidence-dir) and the volume's own copy
 * of the report, written last so it holds the final result of this volume. */
static void after_fix(struct lg_vol_ctx *vol)
{
	struct lg_run_ctx *run = vol->run;
	const struct lg_run_opts *o = run->o;
	char qdir[160];
	if (lg_path_quarantine_dir(qdir, sizeof(qdir), run->run_id) == 0)
		json_object_set_new(vol->vr, "quarantine_dir", json_string(qdir));
	if (o->evidence_dir) {
		char serial[17];
		snprintf(serial, sizeof(serial), "%016llX", (unsigned long long)vol->vi->serial);
		char *ev = NULL;
		struct lg_err eerr = { "" };
		int e = lg_evidence_write(vol->v, o->evidence_dir, serial, run->run_id, &ev, &eerr);
		json_object_set_new(vol->vr, "evidence", e < 0 ? json_pack("{s:s}", "error", eerr.msg)
							       : json_pack("{s:s}", "path", ev));
		if (e < 0)
			run->exit = lg_run_worse(run->exit, LG_EXIT_ERROR);
		free(ev);
	}
	int wr = lg_report_write_volume(vol);
	if (wr < 0) {
		json_object_set_new(vol->vr, "report_error", json_string(strerror(-wr)));
		run->exit = lg_run_worse(run->exit, LG_EXIT_ERROR);
	}
}

/* A fix with something to move: the changes, then what follows them. */
static void fix_volume(struct lg_vol_ctx *vol, const struct lg_plan *plan)
{
	struct lg_run_ctx *run = vol->run;
	struct lg_err err = { "" };
	int r = lg_apply(vol, plan, &err);
	lg_report_phase(vol, "apply");
	if (r < 0 && r != -EAGAIN) {
		lg_report_status(vol, "error", LG_EXIT_ERROR, "%s", err.msg);
		run->totals.failed++;
	} else {
		json_object_set_new(vol->vr, "status", json_string(r == -EAGAIN ? "partly-fixed" : "fixed"));
		if (r == -EAGAIN) {
			run->exit = lg_run_worse(run->exit, LG_EXIT_ERROR);
			run->totals.failed++;
		}
		after_fix(vol);
	}
	if (vol->vi->dirty) {
		/* Leave it marked so Windows checks the volume at next boot. */
		ntfs_volume_write_flags(vol->v->vol, le16_to_cpu(vol->v->vol->flags) | le16_to_cpu(VOLUME_IS_DIRTY));
	}
}

/* Match, plan, and (fix) apply on the open volume. */
static void match_plan_apply(struct lg_vol_ctx *vol)
{
	struct lg_run_ctx *run = vol->run;
	struct lg_err err = { "" };
	struct lg_matcher *m = NULL;
	struct lg_match_result res = { 0 };
	int r = lg_matcher_new(run->dl, &m, &err);
	if (r >= 0)
		r = lg_matcher_run(m, vol->v->vol, LG_MATCH_HASH_MATCHES, &res, &err);
	lg_report_phase(vol, "match");
	if (r < 0) {
		lg_report_status(vol, "error", LG_EXIT_ERROR, "matching failed: %s", err.msg);
		lg_matcher_free(m);
		return;
	}
	struct lg_plan plan;
	lg_plan_build(vol, &res, &plan);
	lg_report_match_stats(vol, &res);
	if (!run->o->fix) {
		json_object_set_new(vol->vr, "status", json_string(res.n_matches ? "matches" : "clean"));
		if (plan.actionable)
			run->exit = lg_run_worse(run->exit, LG_EXIT_MATCHES);
	} else if (!plan.actionable) {
		lg_plan_nothing_to_do(vol, &plan);
	} else {
		fix_volume(vol, &plan);
	}
	lg_match_result_clear(&res);
	lg_matcher_free(m);
	lg_registry_free(vol->reg);
	vol->reg = NULL;
}

/* An NTFS volume (a partition, or the mapping of an unlocked BitLocker
 * volume), through the pipeline. */
static void run_ntfs(struct lg_vol_ctx *vol)
{
	struct lg_run_ctx *run = vol->run;
	const struct lg_volinfo *vi = vol->vi;
	if (vi->error) {
		lg_report_status(vol, "error", LG_EXIT_ERROR, "%s", vi->error);
		return;
	}
	if (!vi->windows) {
		json_object_set_new(vol->vr, "status", json_string("not-windows"));
		return;
	}
	run->totals.windows++;
	if (!lg_policy_may_open(vol) || !open_volume(vol))
		return;
	struct lg_err err = { "" };
	if (lg_policy_state(vol)) {
		if (lg_apply_pending(vol, &err) < 0)
			lg_report_status(vol, "error", LG_EXIT_ERROR, "%s", err.msg);
		else
			match_plan_apply(vol);
	}
	int r = lg_volume_close(vol->v);
	vol->v = NULL;
	if (r < 0 && run->o->fix)
		lg_report_status(vol, "error", LG_EXIT_ERROR, "closing the volume failed: %s (changes may be incomplete; run fix again)",
				 strerror(-r));
	lg_report_phase(vol, "close");
}

/* A BitLocker volume: unlocked with a key file key (matched by protector
 * GUID) or, when a person is there, a typed recovery password; then the
 * NTFS volume inside is handled like any other, through the mapping. */
static void run_bitlocker(struct lg_vol_ctx *vol)
{
	const struct lg_run_opts *o = vol->run->o;
	const struct lg_volinfo *vi = vol->vi;
	struct lg_err err = { "" };
	struct lg_bl_unlock_opts uo = { .keys = vol->run->keys, .asker = o->asker, .read_only = !o->fix };
	struct lg_bl_result ur;
	memset(&ur, 0, sizeof(ur));
	char *mapped = NULL;
	struct lg_bitlocker_session *bs = NULL;
	int r = lg_bitlocker_unlock_ex(vi->disk->path, vi->part->offset, vi->part->size, &uo, &mapped, &bs, &ur, &err);
	json_object_set_new(vol->vr, "unlock", lg_bl_result_json(&ur));
	if (r < 0) {
		bool policy = r == -ENOKEY || r == -EKEYREJECTED || r == -ECANCELED || r == -ENOTSUP || r == -ENODEV;
		lg_report_status(vol, "locked", policy ? LG_EXIT_POLICY : LG_EXIT_ERROR, "%s", err.msg);
		return;
	}
	struct lg_inventory *inner = NULL;
	r = lg_inventory_build(&mapped, 1, &inner, &err);
	if (r < 0 || !inner->n_vols) {
		lg_report_status(vol, "error", LG_EXIT_ERROR, "unlocked, but %s", r < 0 ? err.msg : "no NTFS volume inside");
	} else {
		/* The facts of the volume inside join the BitLocker facts. */
		json_t *facts = lg_volinfo_json(&inner->vols[0]);
		json_object_del(facts, "target");
		json_object_del(facts, "partition");
		json_object_del(facts, "offset");
		json_object_del(facts, "filesystem");
		json_object_update(vol->vr, facts);
		json_decref(facts);
		json_object_set_new(vol->vr, "filesystem", json_string("bitlocker"));
		json_object_set_new(vol->vr, "mapped_device", json_string(mapped));
		vol->vi = &inner->vols[0];
		run_ntfs(vol);
		vol->vi = vi;
	}
	lg_inventory_free(inner);
	if (lg_bitlocker_close(bs) < 0)
		json_object_set_new(vol->vr, "warning", json_string("the BitLocker mapping could not be closed"));
	free(mapped);
}

static void run_volume(struct lg_run_ctx *run, const struct lg_volinfo *vi)
{
	struct lg_vol_ctx vol = { .run = run, .vi = vi };
	lg_report_volume(&vol);
	run->totals.volumes++;
	if (vi->bitlocker)
		run_bitlocker(&vol);
	else
		run_ntfs(&vol);
}

/* ---- the run -------------------------------------------------------- */

/* The deny-list (the caller's, or loaded and verified here) and the keys. */
static int run_inputs(struct lg_run_ctx *run, struct lg_denylist **own_dl, struct lg_keyring **own_keys)
{
	const struct lg_run_opts *o = run->o;
	struct lg_err err = { "" };
	int64_t now = o->have_now ? o->now : (int64_t)time(NULL);
	if (o->list) {
		run->dl = o->list;
	} else {
		int r = lg_denylist_load(o->denylist, o->sig, o->trust, o->n_trust, now, own_dl, &err);
		if (r < 0) {
			lg_run_say(o->log, o->log_ctx, "deny-list refused: %s", err.msg);
			return r == -ENOMEM ? LG_EXIT_ERROR : LG_EXIT_DENYLIST;
		}
		run->dl = *own_dl;
	}
	if (o->keyring) {
		run->keys = o->keyring;
	} else if (lg_run_load_keyring(o->keys, o->n_keys, o->log, o->log_ctx, own_keys) < 0) {
		return LG_EXIT_ERROR;
	} else {
		run->keys = *own_keys;
	}
	return LG_EXIT_OK;
}

int lg_run(const struct lg_run_opts *o, json_t **report_out)
{
	struct lg_run_ctx run = { .o = o };
	double t_start = lg_run_clock();
	if (o->run_id)
		snprintf(run.run_id, sizeof(run.run_id), "%s", o->run_id);
	else
		lg_run_id_new(run.run_id);

	struct lg_err err = { "" };
	struct lg_denylist *own_dl = NULL;
	struct lg_keyring *own_keys = NULL;
	struct lg_inventory *inv = NULL;
	int rc = run_inputs(&run, &own_dl, &own_keys);
	if (rc != LG_EXIT_OK)
		goto out;
	double t_verify = lg_run_clock();
	if (lg_inventory_build(o->targets, o->n_targets, &inv, &err) < 0) {
		lg_run_say(o->log, o->log_ctx, "%s", err.msg);
		rc = LG_EXIT_ERROR;
		goto out;
	}
	double t_discover = lg_run_clock();
	lg_report_new(&run);
	/* A target that cannot be read is an error even when the others are
	 * fine: a script must not take a damaged disk for a clean one. */
	if (inv->n_problems) {
		json_t *pr = json_array();
		for (size_t i = 0; i < inv->n_problems; i++) {
			json_array_append_new(pr, json_string(inv->problems[i]));
			lg_run_say(o->log, o->log_ctx, "%s", inv->problems[i]);
		}
		json_object_set_new(run.report, "problems", pr);
		run.exit = lg_run_worse(run.exit, LG_EXIT_ERROR);
	}
	for (size_t i = 0; i < inv->n_vols; i++)
		run_volume(&run, &inv->vols[i]);
	if (run.totals.windows == 0 && inv->n_vols == 0)
		json_object_set_new(run.report, "note", json_string("no NTFS or BitLocker volume found on the targets"));
	lg_report_finish(&run, t_start, t_verify, t_discover);
	if (o->report_dir) {
		int r = lg_report_write_dir(o->report_dir, run.run_id, run.report);
		if (r < 0) {
			lg_run_say(o->log, o->log_ctx, "cannot write the report into %s: %s", o->report_dir, strerror(-r));
			run.exit = lg_run_worse(run.exit, LG_EXIT_ERROR);
		}
	}
	if (report_out)
		*report_out = json_incref(run.report);
	rc = run.exit;
	json_decref(run.volumes);
	json_decref(run.report);
out:
	lg_inventory_free(inv);
	lg_keyring_free(own_keys);
	lg_denylist_free(own_dl);
	return rc;
}
