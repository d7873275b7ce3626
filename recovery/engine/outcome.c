// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fleet view of a report (outcome.h).
 */
#include "engine/outcome.h"

#include "lib/util.h"

static bool status_is(const json_t *vol, const char *s)
{
	const char *st = json_string_value(json_object_get(vol, "status"));
	return st && !strcmp(st, s);
}

const char *lg_report_outcome(const json_t *report)
{
	const char *mode = json_string_value(json_object_get(report, "mode"));
	json_t *vols = json_object_get(report, "volumes"), *v;
	size_t i;
	bool failed = false, locked = false, refused = false, fixed = false, undone = false, windows = false;
	json_array_foreach(vols, i, v) {
		failed |= status_is(v, "error") || status_is(v, "partly-fixed");
		locked |= status_is(v, "locked");
		refused |= status_is(v, "refused");
		fixed |= status_is(v, "fixed");
		undone |= status_is(v, "undone") || status_is(v, "already-undone");
		windows |= json_is_true(json_object_get(v, "windows")) || !status_is(v, "not-windows");
	}
	json_int_t exit_code = json_integer_value(json_object_get(report, "exit_code"));
	/* exit code 5: no deny-list could be used, nothing was looked at */
	if (failed || (exit_code == LG_EXIT_ERROR && !locked) || exit_code == LG_EXIT_DENYLIST)
		return "failed";
	if (locked)
		return "locked";
	if (refused)
		return "refused";
	if (mode && !strcmp(mode, "undo"))
		return undone ? "undone" : "nothing-to-do";
	if (fixed)
		return "fixed";
	if (!windows || !json_array_size(vols))
		return "no-windows";
	if (mode && !strcmp(mode, "scan"))
		return "scanned";
	return "nothing-to-do";
}

static void keys_needed(json_t *report)
{
	json_t *out = json_array(), *vols = json_object_get(report, "volumes"), *v;
	size_t i;
	json_array_foreach(vols, i, v) {
		if (!status_is(v, "locked"))
			continue;
		size_t k;
		json_t *p;
		json_array_foreach(json_object_get(json_object_get(v, "bitlocker"), "protectors"), k, p) {
			const char *id = json_string_value(json_object_get(p, "recovery_key_id"));
			if (id && strlen(id) == 8)
				json_array_append_new(out, json_string(id));
		}
	}
	json_object_set_new(report, "keys_needed", out);
}

static void crashes(json_t *report)
{
	json_t *out = json_array(), *vols = json_object_get(report, "volumes"), *v;
	size_t i;
	json_array_foreach(vols, i, v) {
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(v, "crashes"), k, c) {
			json_t *copy = json_deep_copy(c);
			json_object_set_new(copy, "volume", json_integer((json_int_t)i));
			json_array_append_new(out, copy);
		}
	}
	json_object_set_new(report, "crashes", out);
}

static void computer_name(json_t *report)
{
	json_t *machine = json_object_get(report, "machine");
	if (!json_is_object(machine) || json_object_get(machine, "computer_name"))
		return;
	json_t *vols = json_object_get(report, "volumes"), *v;
	size_t i;
	json_array_foreach(vols, i, v) {
		json_t *name = json_object_get(v, "computer_name");
		if (json_is_string(name)) {
			json_object_set(machine, "computer_name", name);
			return;
		}
	}
}

json_t *lg_report_machine(void)
{
	json_t *o = json_object();
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) == 0)
		json_object_set_new(o, "hostname", json_string(host));
	static const char *const dmi[] = { "sys_vendor", "product_name", "product_serial", "product_uuid" };
	for (size_t i = 0; i < ARRAY_SIZE(dmi); i++) {
		char p[128], *buf = NULL;
		snprintf(p, sizeof(p), "/sys/class/dmi/id/%s", dmi[i]);
		if (lg_read_file(p, 4096, &buf, NULL) == 0) {
			buf[strcspn(buf, "\n")] = 0;
			json_t *v = buf[0] ? json_string(buf) : NULL; /* NULL: not UTF-8 */
			if (v)
				json_object_set_new(o, dmi[i], v);
			free(buf);
		}
	}
	return o;
}

void lg_report_add_fleet_fields(json_t *report)
{
	if (!json_is_object(report))
		return;
	computer_name(report);
	keys_needed(report);
	crashes(report);
	json_object_set_new(report, "outcome", json_string(lg_report_outcome(report)));
}
