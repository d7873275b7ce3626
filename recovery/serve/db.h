/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fleet database of `lastgood serve` (SQLite, WAL): every report
 * (history kept, idempotent by run_id), the machines and what they were
 * told, the operator's decisions, the served-key log. One connection
 * behind one mutex; the writes that arrive together share one commit and
 * one fdatasync of the WAL (group commit), and a call that stores
 * something returns once it is on disk: a report is in the database, and
 * survives a crash of the process or of the machine, when
 * lg_fleet_db_add_report() returns. Once a sync of the WAL has failed,
 * every call that stores something fails (-EIO) until the database is
 * opened again.
 */
#ifndef LG_SERVE_DB_H
#define LG_SERVE_DB_H

#include "serve/report.h"

struct lg_fleet_db;

struct lg_fleet_plan_cfg {
	unsigned canary;            /* --canary N, 0 = none */
	char **canary_list;         /* --canary-list: uuids, serials, computer names (lower case) */
	size_t canary_list_n;
};

int lg_fleet_db_open(struct lg_fleet_db **db, const char *path, const struct lg_fleet_plan_cfg *cfg,
		     struct lg_err *err);
void lg_fleet_db_close(struct lg_fleet_db *db);

/* Stores a validated report. Returns 1 stored, 0 the run_id was there
 * already (nothing changed), or a negative errno with err set. *recrash
 * (may be NULL) says the machine had reported a fix before. received:
 * when it arrived (RFC 3339 UTC; NULL = now; imports give the run's end). */
int lg_fleet_db_add_report(struct lg_fleet_db *db, const struct lg_fleet_report *r, const char *body,
			   size_t len, const char *client_ip, const char *source, const char *received,
			   bool *recrash, struct lg_err *err);

/* What /v1/plan/<machine> answers (a JSON object, malloc'd), recorded on
 * the machine's row. NULL on a database error. */
char *lg_fleet_db_plan(struct lg_fleet_db *db, const char *machine, const char *client_ip, struct lg_err *err);

/* An operator's decision: "pause", "resume", "promote", "rollback"
 * (also ends a pause: the returning PCs undo). Recorded with the time and
 * operator. -EINVAL for another action. */
int lg_fleet_db_decide(struct lg_fleet_db *db, const char *action, const char *operator_name,
		       struct lg_err *err);

/* A client fetched a boot file or the deny-list (what: "boot", "denylist"). */
void lg_fleet_db_seen(struct lg_fleet_db *db, const char *client_ip, const char *what);

/* Key log (never the key). lg_fleet_db_key_take: the key is about to be
 * served; returns 1 (logged "served") or 0 when it was served `limit`
 * times already (logged "use-limit"; limit 0 = none), once the log entry
 * is on disk; -EIO when it could not be written. lg_fleet_db_key_miss:
 * logs "miss". The machine is the one that last asked for its plan from
 * that address. */
int lg_fleet_db_key_take(struct lg_fleet_db *db, const char *client_ip, const char *protector, unsigned limit);
void lg_fleet_db_key_miss(struct lg_fleet_db *db, const char *client_ip, const char *protector);

/* For the page and the exports (malloc'd text; NULL on error).
 * outcome: only machines with this outcome, or NULL. */
char *lg_fleet_db_machines_json(struct lg_fleet_db *db, const char *outcome);
char *lg_fleet_db_machines_csv(struct lg_fleet_db *db, const char *outcome);
/* Counts by outcome, ring and mode, crash groups, key log, decisions.
 * throttled: key lookups answered 429 since the start. */
char *lg_fleet_db_summary_json(struct lg_fleet_db *db, long long throttled, unsigned keys_loaded);
long long lg_fleet_db_report_count(struct lg_fleet_db *db);

#endif
