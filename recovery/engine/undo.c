// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lg_undo: find the volume holding a run's journal ($LastGood/journal/<run>)
 * among the targets (BitLocker volumes unlocked as fix unlocks them) and
 * undo the run there (quarantine.h: lg_quarantine_undo).
 */
#include "engine/run_ctx.h"

#include "engine/inspect.h"
#include "engine/journal.h"
#include "engine/outcome.h"
#include "engine/paths.h"
#include "engine/policy.h"
#include "engine/quarantine.h"
#include "engine/trust.h"
#include "formats/keys.h"
#include "storage/bitlocker.h"
#include "storage/fsops.h"
#include "storage/volume.h"

struct undo_ctx {
	const struct lg_undo_opts *o;
	const struct lg_keyring *keys;
	json_t *vols;
	char jpath[256];
	bool found;
	unsigned locked;             /* BitLocker volumes that could not be searched */
	char locked_why[sizeof(((struct lg_err *)0)->msg)]; /* the first one's reason */
	int rc;
};

/* The policy for the volume holding the run: not mounted on this host
 * (unless --force), not hibernated. False: refused (status set in vr). */
static bool undo_allowed(struct undo_ctx *u, const struct lg_volinfo *vi, json_t *vr)
{
	char where[512];
	if (!u->o->force && lg_policy_mounted(vi->disk->path, where, sizeof(where))) {
		json_object_set_new(vr, "status", json_string("refused"));
		lg_run_say(u->o->log, u->o->log_ctx, "%s is mounted on this host at %s; unmount it first (or --force)",
			   vi->disk->path, where);
		u->rc = lg_run_worse(u->rc, LG_EXIT_POLICY);
		return false;
	}
	if (lg_policy_hibernated(vi)) {
		json_object_set_new(vr, "status", json_string("refused"));
		lg_run_say(u->o->log, u->o->log_ctx, "Windows on %s is hibernated; boot it and shut down fully first",
			   vi->disk->path);
		u->rc = lg_run_worse(u->rc, LG_EXIT_POLICY);
		return false;
	}
	return true;
}

/* The run's journal undone on the volume v (open read-write). */
static void undo_journal(struct undo_ctx *u, struct lg_volume *v, json_t *vr)
{
	struct lg_err err = { "" };
	struct lg_journal *j = NULL;
	json_t *results = json_array();
	json_object_set_new(vr, "steps", results);
	int r = lg_trust_journal_file(v, u->o->run_id, &j, &err);
	if (r == 0 && j->undo_ended) {
		json_object_set_new(vr, "status", json_string("already-undone"));
	} else if (r == 0) {
		r = lg_quarantine_undo(v, j, results, &err);
		json_object_set_new(vr, "status", json_string(r < 0 ? "refused" : "undone"));
	}
	if (r < 0) {
		json_object_set_new(vr, "reason", json_string(err.msg));
		lg_run_say(u->o->log, u->o->log_ctx, "%s", err.msg);
		u->rc = lg_run_worse(u->rc, r == -EEXIST || r == -EPERM || r == -EBADMSG || r == -ESTALE ? LG_EXIT_POLICY
											       : LG_EXIT_ERROR);
	}
	lg_journal_free(j);
}

/* One NTFS volume (a partition, or the mapping of an unlocked BitLocker
 * volume): undo the run when its journal is there. bl: the BitLocker
 * facts to report with it, or NULL. Returns whether the run was there. */
static bool undo_ntfs(struct undo_ctx *u, const struct lg_volinfo *vi, json_t *bl)
{
	struct lg_err err = { "" };
	if (!vi->windows || vi->bitlocker || vi->error)
		return false;
	struct lg_volume *v = NULL;
	/* Look read-only first: only the volume holding the run is opened
	 * read-write. */
	if (lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, 0, &v, &err) < 0)
		return false;
	bool has = lg_fs_stat(v, u->jpath, NULL, NULL, NULL) == 0;
	lg_volume_close(v);
	v = NULL;
	if (!has)
		return false;
	u->found = true;
	json_t *vr = bl ? json_incref(bl) : lg_volinfo_json(vi);
	json_array_append_new(u->vols, vr);
	if (!undo_allowed(u, vi, vr))
		return true;
	if (lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, LG_VOL_RW, &v, &err) < 0) {
		json_object_set_new(vr, "status", json_string("error"));
		lg_run_say(u->o->log, u->o->log_ctx, "%s", err.msg);
		u->rc = lg_run_worse(u->rc, LG_EXIT_ERROR);
		return true;
	}
	undo_journal(u, v, vr);
	if (lg_volume_close(v) < 0)
		u->rc = lg_run_worse(u->rc, LG_EXIT_ERROR);
	return true;
}

/* A BitLocker volume: unlocked like fix unlocks it (--keys, --prompt) and
 * searched for the run through the mapping, which is closed again. */
static void undo_bitlocker(struct undo_ctx *u, const struct lg_volinfo *vi)
{
	struct lg_err err = { "" };
	char where[512];
	if (!u->o->force && lg_policy_mounted(vi->disk->path, where, sizeof(where))) {
		lg_run_say(u->o->log, u->o->log_ctx, "%s is mounted on this host at %s; unmount it first (or --force)",
			   vi->disk->path, where);
		u->rc = lg_run_worse(u->rc, LG_EXIT_POLICY);
		return;
	}
	struct lg_bl_unlock_opts uo = { .keys = u->keys, .asker = u->o->asker };
	struct lg_bl_result ur;
	memset(&ur, 0, sizeof(ur));
	char *mapped = NULL;
	struct lg_bitlocker_session *bs = NULL;
	if (lg_bitlocker_unlock_ex(vi->disk->path, vi->part->offset, vi->part->size, &uo, &mapped, &bs, &ur, &err) < 0) {
		/* Said at the end, and only when the run was found nowhere:
		 * a locked volume that does not hold it is no failure. */
		if (!u->locked++)
			snprintf(u->locked_why, sizeof(u->locked_why), "%s", err.msg);
		return;
	}
	struct lg_inventory *inner = NULL;
	if (lg_inventory_build(&mapped, 1, &inner, &err) == 0 && inner->n_vols) {
		json_t *bl = lg_volinfo_json(vi);
		json_object_set_new(bl, "unlock", lg_bl_result_json(&ur));
		json_object_set_new(bl, "mapped_device", json_string(mapped));
		undo_ntfs(u, &inner->vols[0], bl);
		json_decref(bl);
	}
	lg_inventory_free(inner);
	if (lg_bitlocker_close(bs) < 0) {
		lg_run_say(u->o->log, u->o->log_ctx, "the BitLocker mapping %s could not be closed", mapped);
		u->rc = lg_run_worse(u->rc, LG_EXIT_ERROR);
	}
	free(mapped);
}

/* The undo report's counters: volumes holding the run, and how many of
 * them have it undone now. */
static json_t *undo_summary(json_t *vols)
{
	size_t i, undone = 0;
	json_t *v;
	json_array_foreach(vols, i, v) {
		const char *st = json_string_value(json_object_get(v, "status"));
		undone += st && (!strcmp(st, "undone") || !strcmp(st, "already-undone"));
	}
	return json_pack("{s:i, s:i}", "volumes", (int)json_array_size(vols), "undone", (int)undone);
}

int lg_undo(const struct lg_undo_opts *o, json_t **report_out)
{
	struct lg_err err = { "" };
	struct undo_ctx u = { .o = o, .rc = LG_EXIT_OK };
	struct lg_keyring *own_keys = NULL;
	if (report_out)
		*report_out = NULL;
	if (o->keyring)
		u.keys = o->keyring;
	else if (lg_run_load_keyring(o->keys, o->n_keys, o->log, o->log_ctx, &own_keys) < 0)
		return LG_EXIT_ERROR;
	else
		u.keys = own_keys;
	struct lg_inventory *inv = NULL;
	int r = lg_inventory_build(o->targets, o->n_targets, &inv, &err);
	if (r < 0) {
		lg_run_say(o->log, o->log_ctx, "%s", err.msg);
		lg_keyring_free(own_keys);
		return LG_EXIT_ERROR;
	}
	u.vols = json_array();
	(void)lg_path_journal(u.jpath, sizeof(u.jpath), o->run_id);
	for (size_t i = 0; i < inv->n_vols; i++) {
		if (inv->vols[i].bitlocker)
			undo_bitlocker(&u, &inv->vols[i]);
		else
			undo_ntfs(&u, &inv->vols[i], NULL);
	}
	if (!u.found && u.locked) {
		lg_run_say(o->log, o->log_ctx, "run %s is not on the volumes lastgood could read; %u BitLocker volume%s "
			   "stayed locked: %s", o->run_id, u.locked, u.locked == 1 ? "" : "s", u.locked_why);
		u.rc = LG_EXIT_POLICY;
	} else if (!u.found) {
		lg_run_say(o->log, o->log_ctx, "no volume on the targets has a run %s (looked for \\%s)", o->run_id, u.jpath);
		u.rc = LG_EXIT_ERROR;
	}
	if (report_out) {
		json_t *rep = json_pack("{s:s, s:s, s:O, s:i, s:o, s:o}", "mode", "undo", "run_id", o->run_id,
					"volumes", u.vols, "exit_code", u.rc, "machine", lg_report_machine(),
					"summary", undo_summary(u.vols));
		if (rep && u.locked)
			json_object_set_new(rep, "locked", json_pack("{s:i, s:s}", "volumes", u.locked, "first_reason",
								     u.locked_why));
		lg_report_add_fleet_fields(rep);
		*report_out = rep;
	}
	json_decref(u.vols);
	lg_inventory_free(inv);
	lg_keyring_free(own_keys);
	return u.rc;
}
