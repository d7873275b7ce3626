// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/apply.h"

#include "engine/journal.h"
#include "engine/match.h"
#include "engine/paths.h"
#include "engine/plan.h"
#include "engine/policy.h"
#include "engine/quarantine.h"
#include "engine/registry.h"
#include "engine/restore.h"
#include "formats/denylist.h"
#include "storage/fsops.h"
#include "storage/volume.h"

#include <time.h>

#include <ntfs-3g/layout.h>

/* One journal of the volume: completed when it has no end record. */
static int pending_one(struct lg_vol_ctx *vol, const char *id, json_t *done, struct lg_err *err)
{
	struct lg_journal *j = NULL;
	int r = lg_journal_load(vol->v, id, &j, err);
	if (r < 0)
		return r;
	if (!j->ended && !j->undo_ended) {
		if (vol->run->o->fix)
			r = lg_quarantine_complete(vol->v, j, err);
		json_array_append_new(done, json_string(j->run_id));
	} else if (j->undo_ended == false && j->ended) {
		/* An undo cut short is finished by running undo again. */
		for (size_t k = 0; k < j->n_steps; k++)
			if (j->steps[k].state == LG_STEP_UNDO_INTENT) {
				lg_err_set(err, "run %s was being undone when it stopped; finish with 'lastgood undo --run %s'",
					   j->run_id, j->run_id);
				r = -EBUSY;
			}
	}
	lg_journal_free(j);
	return r;
}

int lg_apply_pending(struct lg_vol_ctx *vol, struct lg_err *err)
{
	bool fix = vol->run->o->fix;
	char **ids = NULL;
	size_t n = 0;
	int r = lg_journal_list(vol->v, &ids, &n);
	if (r < 0) {
		lg_journal_ids_free(ids, n);
		lg_err_set(err, "cannot list \\%s\\journal", LG_DIR);
		return r;
	}
	json_t *done = json_array();
	for (size_t i = 0; i < n && r == 0; i++)
		r = pending_one(vol, ids[i], done, err);
	lg_journal_ids_free(ids, n);
	if (json_array_size(done))
		json_object_set_new(vol->vr, fix ? "completed_interrupted_runs" : "interrupted_runs", done);
	else
		json_decref(done);
	return r;
}

/* $LastGood (hidden, system) and the run's journal. */
static int begin(struct lg_vol_ctx *vol, struct lg_jwriter *w, struct lg_err *err)
{
	const struct lg_run_ctx *run = vol->run;
	int r = lg_fs_mkdirs(vol->v, LG_DIR, le32_to_cpu(FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM));
	if (r < 0) {
		lg_err_set(err, "cannot create \\%s: %s", LG_DIR,
			   r == -ENOSPC ? "the volume is full" : strerror(-r));
		return r;
	}
	/* mkdirs only sets attributes on directories it creates; make sure. */
	lg_fs_set_attrs(vol->v, LG_DIR, le32_to_cpu(FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM));
	json_t *b = json_pack("{s:I, s:s, s:s}", "serial", (json_int_t)run->dl->serial,
			      "key_id", run->dl->key_id, "lastgood", LG_VERSION);
	r = lg_jwriter_begin(w, vol->v, run->run_id, b);
	json_decref(b);
	if (r < 0)
		lg_err_set(err, "cannot start the journal: %s", r == -ENOSPC ? "the volume is full" : strerror(-r));
	return r;
}

/* The known-good copy of a quarantined file, put in its place. Returns 0,
 * 1 when it failed and the run goes on, or a negative errno to stop. */
static int restore_one(struct lg_vol_ctx *vol, struct lg_jwriter *w, const struct lg_match *m, json_t *mj,
		       void *good, size_t good_len, struct lg_err *err)
{
	const struct lg_rule *rule = m->rule;
	struct lg_err rerr = { "" };
	json_t *rf = json_pack("{s:s, s:s, s:s}", "rule", rule->id,
			       "bundle", rule->restore->bundle, "entry", rule->restore->entry);
	int r = lg_quarantine_restore(w, m->path, good, good_len, rule->restore->sha256, rf, &rerr);
	if (r < 0) {
		json_object_set_new(mj, "restore", json_pack("{s:s, s:s}", "result", "failed",
							     "error", rerr.msg));
		if (r == -ENOSPC || r == -EIO) {
			lg_err_set(err, "%s", rerr.msg);
			return r;
		}
		return 1;
	}
	vol->run->totals.restored++;
	json_object_set_new(mj, "restore", json_pack("{s:s, s:s, s:s}", "result", "restored",
		"bundle", rule->restore->bundle, "entry", rule->restore->entry));
	return 0;
}

/* One match: known-good content fetched, the file quarantined, the
 * content restored. Returns how many failures (0, 1 or 2: the run goes
 * on) or a negative errno to stop. */
static int apply_one(struct lg_vol_ctx *vol, struct lg_jwriter *w, const struct lg_match *m, json_t *mj,
		     json_t *manifest, struct lg_err *err)
{
	const struct lg_run_opts *o = vol->run->o;
	const struct lg_rule *rule = m->rule;
	/* Known-good content is fetched and checked before anything moves:
	 * a driver taken away with nothing to put back may not boot. */
	void *good = NULL;
	size_t good_len = 0;
	struct lg_err rerr = { "" };
	int r;
	if (rule->restore) {
		r = lg_restore_fetch(rule->restore, o->bundle_dirs, o->n_bundle_dirs, &good, &good_len, &rerr);
		if (r < 0) {
			json_object_set_new(mj, "result", json_string("skipped"));
			json_object_set_new(mj, "error", json_string(rerr.msg));
			return 1;
		}
	}
	char qpath[4096];
	json_t *facts = json_deep_copy(mj);
	json_object_del(facts, "result");
	r = lg_quarantine(w, m->path, facts, qpath, sizeof(qpath), &rerr);
	if (r < 0) {
		free(good);
		json_object_set_new(mj, "result", json_string("failed"));
		json_object_set_new(mj, "error", json_string(rerr.msg));
		if (r == -ENOSPC || r == -EROFS || r == -EIO) {
			lg_err_set(err, "%s", rerr.msg);
			return r; /* the journal says what was done; stop here */
		}
		return 1;
	}
	vol->run->totals.quarantined++;
	json_object_set_new(mj, "result", json_string("quarantined"));
	json_object_set_new(mj, "quarantine_path", json_string(qpath));
	json_array_append_new(manifest, json_deep_copy(mj));
	if (!rule->restore)
		return 0;
	r = restore_one(vol, w, m, mj, good, good_len, err);
	free(good);
	return r;
}

/* The manifest lists what this run put in quarantine (files: stolen). */
static int write_manifest(struct lg_vol_ctx *vol, json_t *files, struct lg_err *err)
{
	const struct lg_run_ctx *run = vol->run;
	char mpath[160];
	int r = lg_path_manifest(mpath, sizeof(mpath), run->run_id);
	json_t *mobj = json_pack("{s:s, s:I, s:s, s:o}", "run_id", run->run_id,
				 "denylist_serial", (json_int_t)run->dl->serial,
				 "key_id", run->dl->key_id, "files", files);
	char *mtxt = json_dumps(mobj, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	json_decref(mobj);
	if (r == 0)
		r = mtxt ? lg_fs_create(vol->v, mpath, mtxt, strlen(mtxt)) : -ENOMEM;
	free(mtxt);
	if (r < 0 && r != -EEXIST) {
		lg_err_set(err, "cannot write the manifest: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* state.json: the highest deny-list serial applied (anti-rollback). */
static int write_state(struct lg_vol_ctx *vol, struct lg_err *err)
{
	const struct lg_denylist *dl = vol->run->dl;
	if (dl->serial <= vol->stored_serial)
		return 0;
	char *st = lg_state_format(dl->serial, dl->key_id, time(NULL));
	int r = st ? lg_fs_overwrite(vol->v, LG_PATH_STATE, st, strlen(st)) : -ENOMEM;
	free(st);
	if (r < 0)
		lg_err_set(err, "cannot write \\%s: %s", LG_PATH_STATE, strerror(-r));
	return r;
}

int lg_apply(struct lg_vol_ctx *vol, const struct lg_plan *plan, struct lg_err *err)
{
	struct lg_jwriter w;
	int r = begin(vol, &w, err);
	if (r < 0)
		return r;
	if (lg_policy_hibernated(vol->vi)) {
		if ((r = lg_discard_hibernation(&w, err)) < 0)
			return r;
		json_object_set_new(vol->vr, "hibernation_discarded", json_true());
	}
	/* The registry first: a disabled driver whose file is still there is
	 * harmless; a registered driver whose file is gone bricks the PC. */
	if (vol->reg && lg_registry_n_changes(vol->reg) > 0) {
		if ((r = lg_registry_commit(vol->reg, &w, err)) < 0)
			return r;
	}
	json_t *manifest = json_array();
	int failures = 0;
	for (size_t i = 0; i < plan->res->n_matches; i++) {
		const struct lg_match *m = &plan->res->matches[i];
		json_t *mj = json_array_get(plan->matches, i);
		if (json_object_get(mj, "refused") || m->rule->action != LG_ACTION_QUARANTINE)
			continue;
		if ((r = apply_one(vol, &w, m, mj, manifest, err)) < 0) {
			json_decref(manifest);
			return r;
		}
		failures += r;
	}
	if ((r = write_manifest(vol, manifest, err)) < 0 || (r = write_state(vol, err)) < 0)
		return r;
	if ((r = lg_jwriter_mark(&w, "end", 0)) < 0) {
		lg_err_set(err, "cannot close the journal: %s", strerror(-r));
		return r;
	}
	return failures ? -EAGAIN : 0;
}
