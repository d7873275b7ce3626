// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One boot's steps with the fleet server (session.h).
 */
#include "net/session.h"

#include "engine/inspect.h"
#include "formats/keys.h"
#include "lib/guid.h"

#include <ctype.h>

__attribute__((format(printf, 3, 4)))
static void say(lg_fleet_log_fn log, void *ctx, const char *fmt, ...)
{
	if (!log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log(ctx, line);
}

static bool fatal(int r)
{
	return r == -EPERM || r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -EIO;
}

int lg_fleet_fetch_keys(struct lg_fleet *f, char *const *targets, size_t n, struct lg_keyring *kr,
			lg_fleet_log_fn log, void *ctx, struct lg_key_fetch *out)
{
	memset(out, 0, sizeof(*out));
	out->needed = json_array();
	struct lg_inventory *inv = NULL;
	struct lg_err err = { "" };
	int r = lg_inventory_build(targets, n, &inv, &err);
	if (r < 0)
		return r;
	int stop = 0;
	for (size_t v = 0; v < inv->n_vols && !stop; v++) {
		const struct lg_volinfo *vi = &inv->vols[v];
		if (!vi->bitlocker)
			continue;
		for (size_t p = 0; p < vi->bl.n_protectors && !stop; p++) {
			const struct lg_bl_protector *pr = &vi->bl.protectors[p];
			enum lg_key_type t;
			if (pr->kind == LG_BL_PROT_RECOVERY_PASSWORD)
				t = LG_KEY_RECOVERY_PASSWORD;
			else if (pr->kind == LG_BL_PROT_STARTUP_KEY)
				t = LG_KEY_STARTUP_KEY;
			else
				continue;
			char kid[9];
			lg_guid_recovery_key_id(pr->guid, kid);
			if (lg_keyring_find(kr, t, pr->guid))
				continue; /* the stick or the stub already brought it */
			out->asked++;
			struct lg_err kerr = { "" };
			int k = lg_fleet_get_key(f, pr->guid, kr, &kerr);
			if (k > 0) {
				out->found++;
				say(log, ctx, "key %s (%s): from the server", kid,
				    t == LG_KEY_RECOVERY_PASSWORD ? "recovery password" : "startup key");
			} else if (k == 0) {
				out->unknown++;
				if (t == LG_KEY_RECOVERY_PASSWORD)
					json_array_append_new(out->needed, json_string(kid));
				say(log, ctx, "key %s: not known to the server", kid);
			} else {
				out->failed++;
				say(log, ctx, "key %s: %s", kid, kerr.msg);
				if (fatal(k))
					stop = k;
			}
		}
	}
	lg_inventory_free(inv);
	return stop;
}

void lg_plan_decide(bool image_fix, int fetch_result, const struct lg_fleet_plan *server, const char *fetch_error,
		    struct lg_plan_choice *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = image_fix ? LG_PLAN_FIX : LG_PLAN_SCAN;
	c->source = "image";
	if (fetch_result == -ENOENT) {
		snprintf(c->reason, sizeof(c->reason), "the server has no plan for this PC");
		return;
	}
	if (fetch_result < 0 || !server || server->mode == LG_PLAN_NONE) {
		snprintf(c->reason, sizeof(c->reason), "no plan from the server (%s)",
			 fetch_error && *fetch_error ? fetch_error : "unreachable");
		return;
	}
	const char *why = server->reason[0] ? server->reason : "no reason given";
	switch (server->mode) {
	case LG_PLAN_SCAN:
		c->mode = LG_PLAN_SCAN;
		c->source = "server";
		snprintf(c->reason, sizeof(c->reason), "%s", why);
		break;
	case LG_PLAN_FIX:
		/* fix only when the image would fix: never more */
		if (image_fix) {
			c->source = "server";
			snprintf(c->reason, sizeof(c->reason), "%s", why);
		} else {
			snprintf(c->reason, sizeof(c->reason), "the server asked for fix, but this image only scans");
		}
		break;
	case LG_PLAN_UNDO:
		/* undo changes the disk: an image that only scans never does */
		if (!image_fix) {
			snprintf(c->reason, sizeof(c->reason), "the server asked for undo, but this image only scans");
			break;
		}
		c->mode = LG_PLAN_UNDO;
		c->source = "server";
		memcpy(c->run_id, server->run_id, sizeof(c->run_id));
		snprintf(c->reason, sizeof(c->reason), "%s", why);
		break;
	default:
		break;
	}
}

json_t *lg_plan_json(const struct lg_plan_choice *c)
{
	static const char *const names[] = { "none", "fix", "scan", "undo" };
	json_t *o = json_pack("{s:s, s:s, s:s}", "mode", names[c->mode], "source", c->source, "reason", c->reason);
	if (o && c->mode == LG_PLAN_UNDO)
		json_object_set_new(o, "run_id", json_string(c->run_id));
	return o;
}

void lg_report_add_network(json_t *report, const char *mac, const char *ip, const struct lg_plan_choice *plan)
{
	json_t *m = json_object_get(report, "machine");
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(report, "machine", m);
	}
	if (mac)
		json_object_set_new(m, "mac", json_string(mac));
	if (ip)
		json_object_set_new(m, "ip", json_string(ip));
	if (plan)
		json_object_set_new(report, "plan", lg_plan_json(plan));
}

bool lg_report_undo_rename(json_t *report, const char *new_run_id)
{
	const char *mode = json_string_value(json_object_get(report, "mode"));
	json_t *old = json_object_get(report, "run_id");
	if (!mode || strcmp(mode, "undo") || !json_is_string(old))
		return false;
	json_object_set(report, "undo_run_id", old);
	json_object_set_new(report, "run_id", json_string(new_run_id));
	return true;
}

int lg_machine_id(const char *path, char out[40])
{
	char buf[64] = "";
	FILE *fp = fopen(path ? path : "/sys/class/dmi/id/product_uuid", "re");
	if (!fp)
		return -ENOENT;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	n = strlen(buf);
	if (n != 36)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)buf[i]);
		if (!(isxdigit((unsigned char)c) || (c == '-' && (i == 8 || i == 13 || i == 18 || i == 23))))
			return -EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}
