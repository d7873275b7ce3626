/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run's report (internal; docs/engine.md, "The report"): the JSON
 * objects of the run, each volume and each match, and where the report is
 * written (the volume's $LastGood/reports/<run>.json, --report-dir).
 */
#ifndef LG_ENGINE_REPORT_H
#define LG_ENGINE_REPORT_H

#include "engine/run_ctx.h"

struct lg_match;
struct lg_match_result;

/* The run's report as it starts: run id, mode, version, start time,
 * machine, deny-list and the (empty) "volumes". Sets run->report and
 * run->volumes (one reference each). */
int lg_report_new(struct lg_run_ctx *run);

/* The end of the run: finish time, timings (t_* from lg_run_clock),
 * summary (the totals) and exit code. */
void lg_report_finish(struct lg_run_ctx *run, double t_start, double t_verify, double t_discover);

/* A new volume object (the facts of vi) in the report's "volumes"; sets
 * vol->vr, vol->timings and vol->t0. */
void lg_report_volume(struct lg_vol_ctx *vol);

/* The volume's "status" (and "reason" when fmt is not NULL); the run's
 * exit code takes code in. */
void lg_report_status(struct lg_vol_ctx *vol, const char *status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The time since the last phase, as the volume's timings[name]. */
void lg_report_phase(struct lg_vol_ctx *vol, const char *name);

/* One matched file, as the report and the journal describe it: rule,
 * path, size, times, sha256. */
json_t *lg_report_match_json(const struct lg_match *m);

/* The matcher's counters and the problems it met, into the volume. */
void lg_report_match_stats(struct lg_vol_ctx *vol, const struct lg_match_result *res);

/* The volume's own copy of the report, $LastGood/reports/<run>.json
 * ("report_path" set first, so the copy names itself). */
int lg_report_write_volume(struct lg_vol_ctx *vol);

/* The report as <dir>/<run_id>.json (atomically). */
int lg_report_write_dir(const char *dir, const char *run_id, json_t *report);

#endif
