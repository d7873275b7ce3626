// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine's pipeline steps, driven through their internal headers on
 * copies of the fixture disks: the policy (what may be touched), the plan
 * (what will be done), apply (the journalled changes), the report, and
 * the $LastGood paths.
 */
#include "fixture.h"

#include "engine/apply.h"
#include "engine/journal.h"
#include "engine/match.h"
#include "engine/paths.h"
#include "engine/plan.h"
#include "engine/policy.h"
#include "engine/registry.h"
#include "engine/report.h"
#include "formats/denylist.h"
#include "storage/fsops.h"
#include "storage/volume.h"

#define BAD "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys"
#define GOOD "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000033.sys"
#define RUN_ID "20260101T000000Z-0000aa"
#define KEY_ID "0123456789ABCDEF"

/* The example deny-list's rule (docs/examples), with the serial and any
 * extra rules given. */
static struct lg_denylist *denylist(int serial, const char *extra_rules)
{
	char buf[4096];
	snprintf(buf, sizeof(buf),
		 "{\"schema\":1,\"serial\":%d,\"publisher\":\"unit test\",\"issued\":\"2024-07-19T07:00:00Z\",\"expires\":\"2036-07-19T00:00:00Z\","
		 "\"rules\":[{\"id\":\"cs-channel-291-bad\",\"path\":\"Windows/System32/drivers/CrowdStrike/C-00000291*.sys\","
		 "\"header\":{\"hex\":\"AAAAAAAA01002301\",\"offset\":0},"
		 "\"modified\":{\"after\":\"2024-07-19T04:09:00Z\",\"before\":\"2024-07-19T05:27:00Z\"},"
		 "\"action\":\"quarantine\"}%s]}", serial, extra_rules ? extra_rules : "");
	struct lg_denylist *dl = NULL;
	struct lg_err err = { "" };
	if (lg_denylist_parse(buf, strlen(buf), &dl, &err) < 0) {
		fprintf(stderr, "deny-list: %s\n", err.msg);
		exit(1);
	}
	/* as lg_denylist_load sets it after the signature verified */
	snprintf(dl->key_id, sizeof(dl->key_id), "%s", KEY_ID);
	return dl;
}

/* One run on one volume of a fixture copy, as lg_run sets it up. */
struct h {
	struct lg_run_opts o;
	struct lg_run_ctx run;
	struct lg_vol_ctx vol;
	struct lg_inventory *inv;
	struct lg_denylist *dl;
	const char *img;
};

static void h_start(struct h *h, const char *fixture, bool fix, struct lg_denylist *dl)
{
	memset(h, 0, sizeof(*h));
	struct lg_err err = { "" };
	h->img = fx_copy(fixture);
	char *targets[] = { (char *)h->img };
	if (lg_inventory_build(targets, 1, &h->inv, &err) < 0) {
		fprintf(stderr, "%s: %s\n", fixture, err.msg);
		exit(1);
	}
	h->o.fix = fix;
	h->o.denylist = "test.json";
	h->dl = dl;
	h->run.o = &h->o;
	h->run.dl = dl;
	snprintf(h->run.run_id, sizeof(h->run.run_id), "%s", RUN_ID);
	CHECK_INT(lg_report_new(&h->run), 0);
	h->vol.run = &h->run;
	h->vol.vi = fx_windows(h->inv);
	if (!h->vol.vi) {
		fprintf(stderr, "%s: no Windows volume\n", fixture);
		exit(1);
	}
	lg_report_volume(&h->vol);
}

static bool h_open(struct h *h)
{
	struct lg_err err = { "" };
	const struct lg_volinfo *vi = h->vol.vi;
	int r = lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, lg_policy_open_flags(&h->vol),
			       &h->vol.v, &err);
	if (r < 0)
		fprintf(stderr, "open: %s\n", err.msg);
	return r == 0;
}

static void h_end(struct h *h)
{
	lg_registry_free(h->vol.reg);
	if (h->vol.v)
		CHECK_INT(lg_volume_close(h->vol.v), 0);
	json_decref(h->run.volumes);
	json_decref(h->run.report);
	lg_inventory_free(h->inv);
	lg_denylist_free(h->dl);
}

static const char *vstr(struct h *h, const char *key)
{
	return json_string_value(json_object_get(h->vol.vr, key));
}

/* ---- policy --------------------------------------------------------- */

static void test_policy_hibernated(void)
{
	struct h h;
	h_start(&h, "hibernated", true, denylist(1, NULL));
	CHECK(lg_policy_hibernated(h.vol.vi));
	CHECK(!lg_policy_may_open(&h.vol));
	CHECK_STR(vstr(&h, "status"), "refused");
	CHECK_CONTAINS(vstr(&h, "reason"), "--discard-hibernation");
	CHECK_INT(h.run.exit, LG_EXIT_POLICY);
	h.o.discard_hibernation = true;
	CHECK(lg_policy_may_open(&h.vol));
	CHECK_INT(lg_policy_open_flags(&h.vol), LG_VOL_RW | LG_VOL_IGNORE_HIBER);
	/* scan never opens for writing and needs no permission */
	h.o.fix = false;
	h.o.discard_hibernation = false;
	CHECK(lg_policy_may_open(&h.vol));
	CHECK_INT(lg_policy_open_flags(&h.vol), 0);
	h_end(&h);

	h_start(&h, "crowdstrike", true, denylist(1, NULL));
	CHECK(!lg_policy_hibernated(h.vol.vi));
	CHECK(lg_policy_may_open(&h.vol));
	CHECK_INT(lg_policy_open_flags(&h.vol), LG_VOL_RW);
	CHECK(json_object_get(h.vol.vr, "status") == NULL);
	CHECK_INT(h.run.exit, LG_EXIT_OK);
	h_end(&h);
}

static void test_policy_dirty(void)
{
	struct h h;
	h_start(&h, "dirty", true, denylist(1, NULL));
	CHECK(h.vol.vi->dirty);
	h.o.refuse_dirty = true;
	CHECK(!lg_policy_may_open(&h.vol));
	CHECK_STR(vstr(&h, "status"), "refused");
	CHECK_CONTAINS(vstr(&h, "reason"), "--refuse-dirty");
	CHECK_INT(h.run.exit, LG_EXIT_POLICY);
	/* without it, the NTFS log is replayed before the volume is opened */
	h.o.refuse_dirty = false;
	json_object_del(h.vol.vr, "status");
	CHECK(lg_policy_may_open(&h.vol));
	CHECK(json_object_get(h.vol.vr, "log_replay") != NULL);
	CHECK(json_object_get(h.vol.timings, "log_replay") != NULL);
	CHECK(h_open(&h));
	h_end(&h);
}

static void test_policy_mounted(void)
{
	char where[64] = "unchanged";
	/* an image file is never "mounted": only block devices are checked */
	const char *img = fx_copy("no-windows");
	CHECK(!lg_policy_mounted(img, where, sizeof(where)));
	CHECK(!lg_policy_mounted("/nonexistent/disk", where, sizeof(where)));
	CHECK_STR(where, "unchanged");
}

static void put_state(struct h *h, const char *text)
{
	CHECK_INT(lg_fs_mkdirs(h->vol.v, LG_DIR, 0), 0);
	CHECK_INT(lg_fs_overwrite(h->vol.v, LG_PATH_STATE, text, strlen(text)), 0);
}

static void test_policy_state(void)
{
	struct h h;
	h_start(&h, "crowdstrike", true, denylist(4, NULL));
	CHECK(h_open(&h));
	/* no state.json: any serial goes */
	CHECK(lg_policy_state(&h.vol));
	CHECK_INT(h.vol.stored_serial, -1);
	CHECK(json_object_get(h.vol.vr, "applied_serial") == NULL);
	/* an older list than the one applied is refused (anti-rollback) */
	char *st = lg_state_format(5, KEY_ID, 1700000000);
	put_state(&h, st);
	free(st);
	CHECK(!lg_policy_state(&h.vol));
	CHECK_INT(h.vol.stored_serial, 5);
	CHECK_INT(json_integer_value(json_object_get(h.vol.vr, "applied_serial")), 5);
	CHECK_STR(vstr(&h, "status"), "refused");
	CHECK_INT(h.run.exit, LG_EXIT_DENYLIST);
	/* the same serial again is allowed */
	st = lg_state_format(4, KEY_ID, 1700000000);
	put_state(&h, st);
	free(st);
	CHECK(lg_policy_state(&h.vol));
	CHECK_INT(h.vol.stored_serial, 4);
	/* damaged state.json: the serial comes from the journals' begin records */
	struct lg_jwriter w;
	json_t *b = json_pack("{s:i}", "serial", 7);
	CHECK_INT(lg_jwriter_begin(&w, h.vol.v, "20250101T000000Z-000001", b), 0);
	json_decref(b);
	b = json_pack("{s:i}", "serial", 3);
	CHECK_INT(lg_jwriter_begin(&w, h.vol.v, "20250102T000000Z-000002", b), 0);
	json_decref(b);
	put_state(&h, "{\"schema\": 1, \"highest_ser");
	CHECK(!lg_policy_state(&h.vol));
	CHECK_INT(h.vol.stored_serial, 7);
	CHECK_CONTAINS(vstr(&h, "state_rebuilt"), "taken from the journals");
	h_end(&h);
}

static void test_policy_match_refusal(void)
{
	struct lg_match m = { 0 };
	CHECK(lg_policy_match_refusal(&m) == NULL);
	m.flags = LG_MATCH_DIRECTORY;
	CHECK_CONTAINS(lg_policy_match_refusal(&m), "names a directory");
	m.flags = LG_MATCH_REPARSE;
	CHECK_CONTAINS(lg_policy_match_refusal(&m), "reparse point");
	m.flags = LG_MATCH_NAME_LOSSY;
	CHECK_CONTAINS(lg_policy_match_refusal(&m), "not valid UTF-16");
	m.flags = LG_MATCH_UNVERIFIED;
	CHECK(lg_policy_match_refusal(&m) == NULL);
}

/* ---- plan ----------------------------------------------------------- */

static void run_matcher(struct h *h, struct lg_match_result *res)
{
	struct lg_err err = { "" };
	struct lg_matcher *m = NULL;
	memset(res, 0, sizeof(*res));
	CHECK_INT(lg_matcher_new(h->dl, &m, &err), 0);
	CHECK_INT(lg_matcher_run(m, h->vol.v->vol, LG_MATCH_HASH_MATCHES, res, &err), 0);
	lg_matcher_free(m);
}

static void test_plan(void)
{
	struct h h;
	/* a report-only rule and a rule naming a directory next to the quarantine */
	h_start(&h, "crowdstrike", false, denylist(1,
		",{\"id\":\"report-good\",\"path\":\"" GOOD "\",\"action\":\"report\"}"
		",{\"id\":\"the-folder\",\"path\":\"Windows/System32/drivers/CrowdStrike\",\"action\":\"quarantine\"}"));
	CHECK(h_open(&h));
	struct lg_match_result res;
	run_matcher(&h, &res);
	CHECK_INT(res.n_matches, 3);
	struct lg_plan plan;
	lg_plan_build(&h.vol, &res, &plan);
	CHECK_INT(plan.actionable, 1);
	CHECK(json_object_get(h.vol.vr, "matches") == plan.matches);
	CHECK_INT(json_array_size(plan.matches), 3);
	int seen = 0;
	for (size_t i = 0; i < res.n_matches; i++) {
		json_t *mj = json_array_get(plan.matches, i);
		const char *path = json_string_value(json_object_get(mj, "path"));
		const char *action = json_string_value(json_object_get(mj, "action"));
		const char *refused = json_string_value(json_object_get(mj, "refused"));
		CHECK_STR(path, res.matches[i].path);
		if (!strcmp(path, BAD)) {
			seen |= 1;
			CHECK_STR(action, "quarantine");
			CHECK(refused == NULL);
			CHECK_STR(json_string_value(json_object_get(mj, "rule")), "cs-channel-291-bad");
			CHECK_INT(strlen(json_string_value(json_object_get(mj, "sha256"))), 64);
		} else if (!strcmp(path, GOOD)) {
			seen |= 2;
			CHECK_STR(action, "report");
			CHECK(refused == NULL);
		} else {
			seen |= 4;
			CHECK_STR(path, "Windows/System32/drivers/CrowdStrike");
			CHECK_STR(action, "quarantine");
			CHECK_CONTAINS(refused, "names a directory");
		}
	}
	CHECK_INT(seen, 7);
	CHECK_INT(h.run.totals.matched, 3);
	CHECK_INT(h.run.totals.refused, 1);
	CHECK_INT(h.run.exit, LG_EXIT_POLICY);
	/* the hive was read; a data file needs no registry work */
	json_t *rj = json_object_get(h.vol.vr, "registry");
	CHECK(rj != NULL && json_object_get(rj, "error") == NULL);
	CHECK(json_is_false(json_object_get(rj, "dirty_hive")));
	CHECK_INT(json_array_size(json_object_get(rj, "changes")), 0);
	lg_match_result_clear(&res);
	h_end(&h);
}

static void test_plan_registry_refusal(void)
{
	/* A rule that needs registry work on a volume whose hive cannot be
	 * read: it is refused with its matches, and nothing is actionable. */
	struct h h;
	h_start(&h, "crowdstrike", true, denylist(1, NULL));
	CHECK(h_open(&h));
	CHECK_INT(lg_fs_rename(h.vol.v, "Windows/System32/config/SYSTEM", "Windows/System32/config/SYSTEM.away"), 0);
	struct lg_rule *rule = (struct lg_rule *)&h.dl->rules[0];
	rule->reg_disable_service = strdup("CSAgent");
	struct lg_match_result res;
	run_matcher(&h, &res);
	CHECK_INT(res.n_matches, 1);
	struct lg_plan plan;
	lg_plan_build(&h.vol, &res, &plan);
	CHECK_INT(plan.actionable, 0);
	CHECK(h.vol.reg == NULL);
	json_t *mj = json_array_get(plan.matches, 0);
	CHECK_CONTAINS(json_string_value(json_object_get(mj, "refused")), "the SYSTEM hive cannot be read");
	json_t *rj = json_object_get(h.vol.vr, "registry");
	CHECK(json_is_string(json_object_get(rj, "error")));
	json_t *rr = json_array_get(json_object_get(rj, "refused_rules"), 0);
	CHECK_STR(json_string_value(json_object_get(rr, "rule")), "cs-channel-291-bad");
	CHECK_INT(h.run.exit, LG_EXIT_POLICY);
	CHECK_INT(h.run.totals.refused, 1);
	/* fix: nothing to do, and the volume says it was refused */
	lg_plan_nothing_to_do(&h.vol, &plan);
	CHECK_STR(vstr(&h, "status"), "refused");
	lg_match_result_clear(&res);
	h_end(&h);
}

static void test_plan_nothing_to_do(void)
{
	struct h h;
	h_start(&h, "crowdstrike", true, denylist(2, NULL));
	struct lg_plan plan = { .matches = json_array() };
	h.vol.stored_serial = -1;
	lg_plan_nothing_to_do(&h.vol, &plan);
	CHECK_STR(vstr(&h, "status"), "clean");
	CHECK(json_object_get(h.vol.vr, "reason") == NULL);
	h.vol.stored_serial = 2;
	lg_plan_nothing_to_do(&h.vol, &plan);
	CHECK_STR(vstr(&h, "status"), "already-fixed");
	CHECK_CONTAINS(vstr(&h, "reason"), "already fixed for this deny-list serial");
	json_array_append_new(plan.matches, json_pack("{s:s}", "refused", "because"));
	lg_plan_nothing_to_do(&h.vol, &plan);
	CHECK_STR(vstr(&h, "status"), "refused");
	json_decref(plan.matches);
	CHECK_INT(h.run.exit, LG_EXIT_OK);
	h_end(&h);
}

/* ---- apply ---------------------------------------------------------- */

static struct lg_journal *journal_of(struct lg_volume *v, const char *run_id)
{
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	if (lg_journal_load(v, run_id, &j, &err) < 0)
		fprintf(stderr, "journal %s: %s\n", run_id, err.msg);
	return j;
}

static void test_apply_fix(void)
{
	struct h h;
	struct lg_err err = { "" };
	h_start(&h, "crowdstrike", true, denylist(3, NULL));
	CHECK(lg_policy_may_open(&h.vol));
	CHECK(h_open(&h));
	CHECK(lg_policy_state(&h.vol));
	CHECK_INT(lg_apply_pending(&h.vol, &err), 0);
	struct lg_match_result res;
	run_matcher(&h, &res);
	struct lg_plan plan;
	lg_plan_build(&h.vol, &res, &plan);
	CHECK_INT(plan.actionable, 1);
	CHECK_INT(lg_apply(&h.vol, &plan, &err), 0);
	CHECK_INT(h.run.totals.quarantined, 1);

	/* the report of the match */
	char q[512];
	CHECK_INT(lg_path_quarantined(q, sizeof(q), RUN_ID, BAD), 0);
	json_t *mj = json_array_get(plan.matches, 0);
	CHECK_STR(json_string_value(json_object_get(mj, "result")), "quarantined");
	CHECK_STR(json_string_value(json_object_get(mj, "quarantine_path")), q);
	/* the volume: moved, the good file left */
	CHECK_INT(lg_fs_stat(h.vol.v, BAD, NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_fs_stat(h.vol.v, q, NULL, NULL, NULL), 0);
	CHECK_INT(lg_fs_stat(h.vol.v, GOOD, NULL, NULL, NULL), 0);
	/* the journal: begin (serial, key), one quarantine step done, end */
	struct lg_journal *j = journal_of(h.vol.v, RUN_ID);
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(j->run_id, RUN_ID);
		CHECK_INT(json_integer_value(json_object_get(j->begin, "serial")), 3);
		CHECK_STR(json_string_value(json_object_get(j->begin, "lastgood")), LG_VERSION);
		CHECK(j->ended);
		CHECK(!j->undo_ended);
		CHECK_INT(j->n_steps, 1);
		if (j->n_steps == 1) {
			CHECK_STR(j->steps[0].op, "quarantine");
			CHECK_INT(j->steps[0].state, LG_STEP_DONE);
			CHECK_STR(lg_step_str(&j->steps[0], "from"), BAD);
			CHECK_STR(lg_step_str(&j->steps[0], "to"), q);
			CHECK_STR(lg_step_str(&j->steps[0], "rule"), "cs-channel-291-bad");
		}
		lg_journal_free(j);
	}
	/* state.json and the manifest */
	char *buf = NULL;
	size_t len = 0;
	int64_t serial = -1;
	CHECK_INT(lg_fs_read(h.vol.v, LG_PATH_STATE, 65536, &buf, &len), 0);
	CHECK_INT(lg_state_parse(buf, len, &serial, &err), 0);
	CHECK_INT(serial, 3);
	free(buf);
	char mp[256];
	CHECK_INT(lg_path_manifest(mp, sizeof(mp), RUN_ID), 0);
	CHECK_INT(lg_fs_read(h.vol.v, mp, 65536, &buf, &len), 0);
	json_t *man = json_loadb(buf, len, 0, NULL);
	free(buf);
	CHECK_STR(json_string_value(json_object_get(man, "run_id")), RUN_ID);
	CHECK_INT(json_integer_value(json_object_get(man, "denylist_serial")), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(man, "files"), 0), "path")), BAD);
	json_decref(man);
	/* the same run id again: the journal exists, nothing more is done */
	CHECK(lg_apply(&h.vol, &plan, &err) < 0);
	CHECK_CONTAINS(err.msg, "cannot start the journal");
	lg_match_result_clear(&res);
	h_end(&h);
}

static void test_apply_pending(void)
{
	struct h h;
	struct lg_err err = { "" };
	h_start(&h, "crowdstrike", false, denylist(1, NULL));
	h.o.fix = true;
	CHECK(h_open(&h));
	/* a fix cut short after announcing a quarantine, before making it */
	struct lg_jwriter w;
	const char *cut = "20250101T000000Z-00cut0";
	json_t *b = json_pack("{s:i}", "serial", 1);
	CHECK_INT(lg_jwriter_begin(&w, h.vol.v, cut, b), 0);
	json_decref(b);
	char q[512];
	CHECK_INT(lg_path_quarantined(q, sizeof(q), cut, BAD), 0);
	unsigned seq = 0;
	CHECK_INT(lg_jwriter_intent(&w, "quarantine", json_pack("{s:s, s:s}", "from", BAD, "to", q), &seq), 0);

	/* scan names it and changes nothing */
	h.o.fix = false;
	CHECK_INT(lg_apply_pending(&h.vol, &err), 0);
	json_t *ir = json_object_get(h.vol.vr, "interrupted_runs");
	CHECK_INT(json_array_size(ir), 1);
	CHECK_STR(json_string_value(json_array_get(ir, 0)), cut);
	CHECK_INT(lg_fs_stat(h.vol.v, BAD, NULL, NULL, NULL), 0);
	/* fix completes it: the move is made and the journal ended */
	h.o.fix = true;
	CHECK_INT(lg_apply_pending(&h.vol, &err), 0);
	json_t *cr = json_object_get(h.vol.vr, "completed_interrupted_runs");
	CHECK_STR(json_string_value(json_array_get(cr, 0)), cut);
	CHECK_INT(lg_fs_stat(h.vol.v, BAD, NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_fs_stat(h.vol.v, q, NULL, NULL, NULL), 0);
	struct lg_journal *j = journal_of(h.vol.v, cut);
	CHECK(j && j->ended);
	lg_journal_free(j);
	/* an undo cut short stops a fix: it is finished by undo */
	const char *undoing = "20250102T000000Z-00cut1";
	b = json_pack("{s:i}", "serial", 1);
	CHECK_INT(lg_jwriter_begin(&w, h.vol.v, undoing, b), 0);
	json_decref(b);
	CHECK_INT(lg_jwriter_intent(&w, "quarantine", json_pack("{s:s, s:s}", "from", "a.sys", "to", "b.sys"), &seq), 0);
	CHECK_INT(lg_jwriter_mark(&w, "done", seq), 0);
	CHECK_INT(lg_jwriter_mark(&w, "end", 0), 0);
	CHECK_INT(lg_jwriter_mark(&w, "undo-intent", seq), 0);
	CHECK_INT(lg_apply_pending(&h.vol, &err), -EBUSY);
	CHECK_CONTAINS(err.msg, "lastgood undo --run 20250102T000000Z-00cut1");
	h_end(&h);
}

/* ---- report --------------------------------------------------------- */

static void test_report(void)
{
	struct h h;
	h_start(&h, "crowdstrike", true, denylist(1, NULL));
	json_t *rep = h.run.report;
	CHECK_STR(json_string_value(json_object_get(rep, "run_id")), RUN_ID);
	CHECK_STR(json_string_value(json_object_get(rep, "mode")), "fix");
	CHECK_STR(json_string_value(json_object_get(rep, "lastgood_version")), LG_VERSION);
	json_t *dj = json_object_get(rep, "denylist");
	CHECK_INT(json_integer_value(json_object_get(dj, "serial")), 1);
	CHECK_STR(json_string_value(json_object_get(dj, "path")), "test.json");
	CHECK_STR(json_string_value(json_object_get(dj, "expires")), "2036-07-19T00:00:00Z");
	CHECK_INT(json_integer_value(json_object_get(dj, "rules")), 1);
	CHECK(json_array_get(json_object_get(rep, "volumes"), 0) == h.vol.vr);
	/* a volume object carries the facts of discovery */
	CHECK_STR(json_string_value(json_object_get(h.vol.vr, "filesystem")), "ntfs");
	CHECK(json_is_true(json_object_get(h.vol.vr, "windows")));

	/* status, reason and the exit code: the most serious one wins */
	lg_report_status(&h.vol, "refused", LG_EXIT_POLICY, "why %d", 42);
	CHECK_STR(vstr(&h, "status"), "refused");
	CHECK_STR(vstr(&h, "reason"), "why 42");
	lg_report_status(&h.vol, "clean", LG_EXIT_MATCHES, NULL);
	CHECK_STR(vstr(&h, "status"), "clean");
	CHECK_INT(h.run.exit, LG_EXIT_POLICY);
	CHECK_INT(lg_run_worse(LG_EXIT_OK, LG_EXIT_MATCHES), LG_EXIT_MATCHES);
	CHECK_INT(lg_run_worse(LG_EXIT_POLICY, LG_EXIT_ERROR), LG_EXIT_ERROR);
	CHECK_INT(lg_run_worse(LG_EXIT_ERROR, LG_EXIT_POLICY), LG_EXIT_ERROR);
	CHECK_INT(lg_run_worse(LG_EXIT_DENYLIST, LG_EXIT_ERROR), LG_EXIT_DENYLIST);
	CHECK_INT(lg_run_worse(LG_EXIT_MATCHES, LG_EXIT_OK), LG_EXIT_MATCHES);
	lg_report_phase(&h.vol, "open");
	CHECK(json_is_real(json_object_get(h.vol.timings, "open")));

	/* one match, as the report and the journal describe it */
	CHECK(h_open(&h));
	struct lg_match_result res;
	run_matcher(&h, &res);
	CHECK_INT(res.n_matches, 1);
	json_t *mj = lg_report_match_json(&res.matches[0]);
	CHECK_STR(json_string_value(json_object_get(mj, "path")), BAD);
	CHECK_STR(json_string_value(json_object_get(mj, "rule")), "cs-channel-291-bad");
	CHECK_INT(json_integer_value(json_object_get(mj, "size")), (long long)res.matches[0].size);
	json_t *times = json_object_get(mj, "times");
	CHECK_STR(json_string_value(json_object_get(times, "modified")), "2024-07-19T04:09:00Z");
	CHECK(json_is_string(json_object_get(times, "created")));
	CHECK(json_is_string(json_object_get(times, "mft_changed")));
	CHECK(json_is_string(json_object_get(times, "accessed")));
	char hex[65];
	lg_hex(res.matches[0].sha256, 32, hex);
	CHECK_STR(json_string_value(json_object_get(mj, "sha256")), hex);
	json_decref(mj);
	lg_report_match_stats(&h.vol, &res);
	json_t *c = json_object_get(h.vol.vr, "counters");
	CHECK_INT(json_integer_value(json_object_get(c, "files_hashed")), (long long)res.stats.files_hashed);
	CHECK(json_integer_value(json_object_get(c, "mft_records_read")) > 0);
	CHECK(json_is_real(json_object_get(c, "walk_seconds")));
	CHECK(json_object_get(h.vol.vr, "problems") == NULL);
	lg_match_result_clear(&res);

	/* the end of the run */
	h.run.totals.volumes = 1;
	h.run.totals.quarantined = 2;
	lg_report_finish(&h.run, lg_run_clock() - 1, lg_run_clock(), lg_run_clock());
	json_t *s = json_object_get(rep, "summary");
	CHECK_INT(json_integer_value(json_object_get(s, "volumes")), 1);
	CHECK_INT(json_integer_value(json_object_get(s, "quarantined")), 2);
	CHECK_INT(json_integer_value(json_object_get(s, "failed")), 0);
	CHECK_INT(json_integer_value(json_object_get(rep, "exit_code")), LG_EXIT_POLICY);
	CHECK(json_real_value(json_object_get(json_object_get(rep, "timings"), "total")) >= 1.0);
	CHECK(json_is_string(json_object_get(rep, "finished")));

	/* the volume's copy names itself; a second copy is never overwritten */
	char rp[256];
	CHECK_INT(lg_path_report(rp, sizeof(rp), RUN_ID), 0);
	CHECK_INT(lg_report_write_volume(&h.vol), 0);
	CHECK_STR(vstr(&h, "report_path"), rp);
	char *buf = NULL;
	size_t len = 0;
	CHECK_INT(lg_fs_read(h.vol.v, rp, 1 << 20, &buf, &len), 0);
	json_t *back = json_loadb(buf, len, 0, NULL);
	free(buf);
	CHECK_STR(json_string_value(json_object_get(back, "run_id")), RUN_ID);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(back, "volumes"), 0), "report_path")), rp);
	json_decref(back);
	CHECK_INT(lg_report_write_volume(&h.vol), -EEXIST);
	/* and the copy for --report-dir */
	const char *dir = fx_tmp("reports");
	CHECK_INT(mkdir(dir, 0700), 0);
	CHECK_INT(lg_report_write_dir(dir, RUN_ID, rep), 0);
	char file[512];
	snprintf(file, sizeof(file), "%s/%s.json", dir, RUN_ID);
	json_t *fj = json_load_file(file, 0, NULL);
	CHECK_INT(json_integer_value(json_object_get(fj, "exit_code")), LG_EXIT_POLICY);
	json_decref(fj);
	CHECK(lg_report_write_dir("/nonexistent/dir", RUN_ID, rep) < 0);
	h_end(&h);
}

/* ---- paths ---------------------------------------------------------- */

static void test_paths(void)
{
	char p[128];
	CHECK_INT(lg_path_journal(p, sizeof(p), "R1"), 0);
	CHECK_STR(p, "$LastGood/journal/R1");
	CHECK_INT(lg_path_report(p, sizeof(p), "R1"), 0);
	CHECK_STR(p, "$LastGood/reports/R1.json");
	CHECK_INT(lg_path_quarantine_dir(p, sizeof(p), "R1"), 0);
	CHECK_STR(p, "$LastGood/quarantine/R1");
	CHECK_INT(lg_path_quarantined(p, sizeof(p), "R1", "Windows/a.sys"), 0);
	CHECK_STR(p, "$LastGood/quarantine/R1/Windows/a.sys");
	CHECK_INT(lg_path_manifest(p, sizeof(p), "R1"), 0);
	CHECK_STR(p, "$LastGood/quarantine/R1/manifest.json");
	CHECK_INT(lg_path_undone_restore(p, sizeof(p), "R1", "a.sys"), 0);
	CHECK_STR(p, "$LastGood/quarantine/R1/undone-restores/a.sys");
	CHECK_INT(lg_path_registry_copy(p, sizeof(p), "R1", "", ".before-undo"), 0);
	CHECK_STR(p, "$LastGood/quarantine/R1/registry/SYSTEM.before-undo");
	CHECK_INT(lg_path_registry_copy(p, sizeof(p), "R1", "undo-", ".partial"), 0);
	CHECK_STR(p, "$LastGood/quarantine/R1/registry/undo-SYSTEM.partial");
	CHECK_STR(LG_PATH_STATE, "$LastGood/state.json");
	/* too long: refused, never silently cut */
	char small[24];
	CHECK_INT(lg_path_quarantined(small, sizeof(small), "R1", "Windows/a.sys"), -ENAMETOOLONG);
	CHECK_INT(lg_path_journal(small, sizeof(small), "20260101T000000Z-0000aa"), -ENAMETOOLONG);
	CHECK_INT(lg_path_journal(small, 22, "R"), 0);
}

int main(void)
{
	RUN(test_paths);
	RUN(test_policy_match_refusal);
	RUN(test_policy_mounted);
	RUN(test_policy_hibernated);
	RUN(test_policy_dirty);
	RUN(test_policy_state);
	RUN(test_plan);
	RUN(test_plan_registry_refusal);
	RUN(test_plan_nothing_to_do);
	RUN(test_apply_fix);
	RUN(test_apply_pending);
	RUN(test_report);
	return t_done();
}
