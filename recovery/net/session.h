/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one boot of the recovery image does with the fleet server, as
 * steps PID 1 calls (docs/fleet-api.md): keys for the locked volumes by
 * protector ID, the mode the plan allows, the network facts for the
 * report. Nothing prints: lines for the screen go to a log callback and
 * never carry a key.
 */
#ifndef LG_FLEET_SESSION_H
#define LG_FLEET_SESSION_H

#include "net/fleet.h"

#include <jansson.h>

struct lg_keyring;
typedef void (*lg_fleet_log_fn)(void *ctx, const char *line);

struct lg_key_fetch {
	size_t asked, found, unknown, failed;  /* protectors asked for, by answer */
	json_t *needed;                        /* recovery key IDs not served (8 hex) */
};

/* For each BitLocker volume on the targets and each recovery-password or
 * startup-key protector on it that kr has no key for: GET its key. A
 * connection or certificate failure stops asking (the rest would fail
 * too). Returns 0 or the first error that stopped it. */
int lg_fleet_fetch_keys(struct lg_fleet *f, char *const *targets, size_t n, struct lg_keyring *kr,
			lg_fleet_log_fn log, void *ctx, struct lg_key_fetch *out);

/* What the image may do, what the server asked, and what is done: the
 * server can only ask for less (scan instead of fix) or for undo of one
 * of lastgood's own runs (checked when undo runs: unknown there means
 * scan). image_fix: the image's own mode is fix; an image that only
 * scans neither fixes nor undoes, whatever the server says. */
struct lg_plan_choice {
	enum lg_plan_mode mode;      /* LG_PLAN_FIX, LG_PLAN_SCAN or LG_PLAN_UNDO */
	const char *source;          /* "server" or "image" */
	char run_id[32];
	char reason[320];
};
void lg_plan_decide(bool image_fix, int fetch_result, const struct lg_fleet_plan *server,
		    const char *fetch_error, struct lg_plan_choice *out);
json_t *lg_plan_json(const struct lg_plan_choice *c);

/* What the recovery image adds to a report before it is POSTed
 * (docs/fleet-api.md): machine.mac and machine.ip of the interface used
 * (either may be NULL), and plan. */
void lg_report_add_network(json_t *report, const char *mac, const char *ip, const struct lg_plan_choice *plan);

/* An undo report (mode "undo") as the fleet interface takes it: run_id
 * becomes new_run_id and the run undone moves to undo_run_id. False (and
 * nothing changed) for any other report. */
bool lg_report_undo_rename(json_t *report, const char *new_run_id);

/* The machine id for GET v1/plan/: /sys/class/dmi/id/product_uuid, lower
 * case, checked (hex digits and dashes). -ENOENT without one. */
int lg_machine_id(const char *path, char out[40]);

#endif
