// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/report.h"

#include "engine/inspect.h"
#include "engine/match.h"
#include "engine/outcome.h"
#include "engine/paths.h"
#include "formats/denylist.h"
#include "lib/hash.h"
#include "storage/fsops.h"

#include <time.h>

#define REPORT_JSON_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6))

static void iso_time(int64_t unix_s, char out[LG_RFC3339_LEN])
{
	lg_rfc3339_format(unix_s, out);
}

static json_t *nt_time_json(int64_t nt)
{
	/* Times to the second for people, ticks for exact comparison. */
	char s[LG_RFC3339_LEN];
	iso_time(lg_nt_to_unix(nt), s);
	return json_string(s);
}

static json_t *denylist_json(const struct lg_denylist *dl, const char *path)
{
	char iss[LG_RFC3339_LEN], exp[LG_RFC3339_LEN], sha[65];
	iso_time(dl->issued, iss);
	iso_time(dl->expires, exp);
	lg_hex(dl->file_sha256, 32, sha);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:i}", "path", path,
			 "serial", (json_int_t)dl->serial, "publisher", dl->publisher ? dl->publisher : "",
			 "issued", iss, "expires", exp, "key_id", dl->key_id, "sha256", sha,
			 "rules", (int)dl->n_rules);
}

int lg_report_new(struct lg_run_ctx *run)
{
	const struct lg_run_opts *o = run->o;
	char started[LG_RFC3339_LEN];
	iso_time(time(NULL), started);
	run->volumes = json_array();
	run->report = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "run_id", run->run_id,
				"mode", o->fix ? "fix" : "scan", "lastgood_version", LG_VERSION,
				"started", started, "machine", lg_report_machine(),
				"denylist", denylist_json(run->dl, o->denylist), "volumes", run->volumes);
	json_incref(run->volumes);
	return run->report ? 0 : -ENOMEM;
}

static json_t *summary_json(const struct lg_run_totals *t)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "volumes", t->volumes, "windows_volumes", t->windows,
			 "matches", t->matched, "quarantined", t->quarantined, "restored", t->restored,
			 "refused", t->refused, "failed", t->failed);
}

void lg_report_finish(struct lg_run_ctx *run, double t_start, double t_verify, double t_discover)
{
	char finished[LG_RFC3339_LEN];
	iso_time(time(NULL), finished);
	json_object_set_new(run->report, "finished", json_string(finished));
	json_object_set_new(run->report, "timings", json_pack("{s:f, s:f, s:f}",
		"verify", t_verify - t_start, "discover", t_discover - t_verify, "total", lg_run_clock() - t_start));
	json_object_set_new(run->report, "summary", summary_json(&run->totals));
	json_object_set_new(run->report, "exit_code", json_integer(run->exit));
	lg_report_add_fleet_fields(run->report);
}

json_t *lg_report_bare(const char *run_id, const char *mode, int exit_code, const char *note, json_t *machine)
{
	static const struct lg_run_totals none;
	char finished[LG_RFC3339_LEN];
	iso_time(time(NULL), finished);
	json_t *rep = json_pack("{s:s, s:s, s:s, s:s, s:o, s:[], s:o, s:i, s:s}", "run_id", run_id, "mode", mode,
				"lastgood_version", LG_VERSION, "finished", finished,
				"machine", machine ? machine : lg_report_machine(), "volumes", "summary",
				summary_json(&none), "exit_code", exit_code, "note", note);
	lg_report_add_fleet_fields(rep);
	return rep;
}

void lg_report_volume(struct lg_vol_ctx *vol)
{
	vol->t0 = lg_run_clock();
	vol->timings = json_object();
	vol->vr = lg_volinfo_json(vol->vi);
	json_object_set_new(vol->vr, "timings", vol->timings);
	json_array_append_new(vol->run->volumes, vol->vr);
}

void lg_report_status(struct lg_vol_ctx *vol, const char *status, int code, const char *fmt, ...)
{
	json_object_set_new(vol->vr, "status", json_string(status));
	if (fmt) {
		char *msg = NULL;
		va_list ap;
		va_start(ap, fmt);
		int n = vasprintf(&msg, fmt, ap);
		va_end(ap);
		json_object_set_new(vol->vr, "reason", json_string(n < 0 ? "(out of memory)" : msg));
		free(msg);
	}
	vol->run->exit = lg_run_worse(vol->run->exit, code);
}

void lg_report_phase(struct lg_vol_ctx *vol, const char *name)
{
	double t = lg_run_clock();
	json_object_set_new(vol->timings, name, json_real((double)(long)((t - vol->t0) * 1e4) / 1e4));
	vol->t0 = t;
}

json_t *lg_report_match_json(const struct lg_match *m)
{
	json_t *o = json_pack("{s:s, s:s, s:I}", "rule", m->rule->id, "path", m->path,
			      "size", (json_int_t)m->size);
	json_object_set_new(o, "times", json_pack("{s:o, s:o, s:o, s:o}",
		"created", nt_time_json(m->creation_time), "modified", nt_time_json(m->last_write_time),
		"mft_changed", nt_time_json(m->mft_change_time), "accessed", nt_time_json(m->last_access_time)));
	if (m->has_sha256) {
		char hex[65];
		lg_hex(m->sha256, 32, hex);
		json_object_set_new(o, "sha256", json_string(hex));
	}
	if (m->flags & LG_MATCH_CHANGED_AFTER_SIGNING)
		json_object_set_new(o, "changed_after_signing", json_true());
	return o;
}

void lg_report_match_stats(struct lg_vol_ctx *vol, const struct lg_match_result *res)
{
	const struct lg_match_stats *st = &res->stats;
	json_t *counters = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"directories_listed", (json_int_t)st->dirs_listed,
		"index_lookups", (json_int_t)st->index_lookups,
		"index_blocks_read", (json_int_t)st->index_blocks_read,
		"index_entries", (json_int_t)st->index_entries,
		"mft_records_read", (json_int_t)st->records_opened,
		"files_checked", (json_int_t)st->files_evaluated,
		"files_hashed", (json_int_t)st->files_hashed,
		"bytes_read", (json_int_t)st->bytes_read,
		"bytes_hashed", (json_int_t)st->bytes_hashed,
		"reparse_points_skipped", (json_int_t)st->reparse_skipped);
	json_object_set_new(counters, "walk_seconds", json_real((double)st->walk_ns / 1e9));
	json_object_set_new(counters, "check_seconds", json_real((double)st->eval_ns / 1e9));
	json_object_set_new(vol->vr, "counters", counters);
	if (res->n_problems) {
		json_t *pr = json_array();
		for (size_t i = 0; i < res->n_problems; i++)
			json_array_append_new(pr, json_pack("{s:s, s:s, s:s}", "path", res->problems[i].path,
				"what", res->problems[i].what, "error", strerror(-res->problems[i].error)));
		json_object_set_new(vol->vr, "problems", pr);
	}
}

int lg_report_write_volume(struct lg_vol_ctx *vol)
{
	char path[160];
	int r = lg_path_report(path, sizeof(path), vol->run->run_id);
	if (r < 0)
		return r;
	json_object_set_new(vol->vr, "report_path", json_string(path));
	char *txt = json_dumps(vol->run->report, REPORT_JSON_FLAGS);
	if (!txt)
		return -ENOMEM;
	r = lg_fs_create(vol->v, path, txt, strlen(txt));
	free(txt);
	return r;
}

int lg_report_write_dir(const char *dir, const char *run_id, json_t *report)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.json", dir, run_id);
	char *txt = json_dumps(report, REPORT_JSON_FLAGS);
	if (!txt)
		return -ENOMEM;
	int r = lg_write_file_atomic(path, txt, strlen(txt));
	free(txt);
	return r;
}
