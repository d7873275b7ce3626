// SPDX-License-Identifier: GPL-2.0-or-later
/* Validation of a PC's report for the fleet server (report.h). */
#include "serve/report.h"

#include <ctype.h>
#include <jansson.h>

static const char *const outcomes[] = {
	"fixed", "nothing-to-do", "locked", "refused", "failed", "no-windows", "undone", "scanned",
};

bool lg_fleet_machine_id(const char *in, char out[37])
{
	if (!in || strlen(in) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = in[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!isxdigit((unsigned char)c)) {
			return false;
		}
		out[i] = (char)tolower((unsigned char)c);
	}
	out[36] = '\0';
	return true;
}

static bool run_id_ok(const char *s)
{
	/* 20261204T170211Z-3fa2c1 */
	if (strlen(s) != 23)
		return false;
	for (int i = 0; i < 23; i++) {
		char c = s[i];
		bool ok;
		if (i == 8)
			ok = c == 'T';
		else if (i == 15)
			ok = c == 'Z';
		else if (i == 16)
			ok = c == '-';
		else if (i > 16)
			ok = isxdigit((unsigned char)c) && !isupper((unsigned char)c);
		else
			ok = isdigit((unsigned char)c);
		if (!ok)
			return false;
	}
	return true;
}

/* Printable text only (no control characters): what the page and the CSV
 * export show. Copies at most outsz-1 bytes. */
static bool text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* An optional string member: absent or null is "", anything but a
 * string of printable text is an error. */
static int opt_str(json_t *obj, const char *key, const char *where, char *out, size_t outsz,
		   struct lg_err *err)
{
	out[0] = '\0';
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !text_ok(json_string_value(v))) {
		lg_err_set(err, "%s%s must be a string of printable text", where, key);
		return -EINVAL;
	}
	snprintf(out, outsz, "%s", json_string_value(v));
	return 0;
}

static void crash_signature(json_t *crashes, char *out, size_t outsz)
{
	out[0] = '\0';
	json_t *c = json_array_get(crashes, 0);
	if (!json_is_object(c))
		return;
	char code[24] = "";
	json_t *b = json_object_get(c, "bugcheck");
	if (!b)
		b = json_object_get(c, "bugcheck_code");
	if (json_is_integer(b))
		snprintf(code, sizeof(code), "0x%08llX", (unsigned long long)json_integer_value(b) & 0xffffffffull);
	else if (json_is_string(b) && text_ok(json_string_value(b)))
		snprintf(code, sizeof(code), "%s", json_string_value(b));
	const char *drv = "";
	static const char *const dkeys[] = { "driver", "module", "image_name", "faulting_module" };
	for (size_t i = 0; i < ARRAY_SIZE(dkeys) && !*drv; i++) {
		json_t *d = json_object_get(c, dkeys[i]);
		if (json_is_string(d) && text_ok(json_string_value(d)))
			drv = json_string_value(d);
	}
	if (*code || *drv)
		snprintf(out, outsz, "%.23s%s%.120s", *code ? code : "?", " ", *drv ? drv : "?");
}

int lg_fleet_report_check(const char *body, size_t len, struct lg_fleet_report *out,
			  struct lg_err *err)
{
	memset(out, 0, sizeof(*out));
	out->matches = -1;
	if (len > LG_FLEET_REPORT_MAX) {
		lg_err_set(err, "report larger than %u bytes", LG_FLEET_REPORT_MAX);
		return -EFBIG;
	}
	json_error_t je;
	json_t *r = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!r) {
		lg_err_set(err, "not JSON: line %d column %d: %s", je.line, je.column, je.text);
		return -EINVAL;
	}
	int rc = -EINVAL;
	if (!json_is_object(r)) {
		lg_err_set(err, "a report is a JSON object");
		goto out;
	}
	json_t *v = json_object_get(r, "run_id");
	if (!json_is_string(v) || !run_id_ok(json_string_value(v))) {
		lg_err_set(err, "run_id missing or not like 20261204T170211Z-3fa2c1");
		goto out;
	}
	snprintf(out->run_id, sizeof(out->run_id), "%s", json_string_value(v));
	v = json_object_get(r, "mode");
	if (!json_is_string(v) || (strcmp(json_string_value(v), "scan") && strcmp(json_string_value(v), "fix") &&
				   strcmp(json_string_value(v), "undo"))) {
		lg_err_set(err, "mode missing or not scan, fix or undo");
		goto out;
	}
	snprintf(out->mode, sizeof(out->mode), "%s", json_string_value(v));
	json_t *m = json_object_get(r, "machine");
	if (!json_is_object(m)) {
		lg_err_set(err, "machine missing or not an object");
		goto out;
	}
	v = json_object_get(m, "product_uuid");
	if (!json_is_string(v) || !lg_fleet_machine_id(json_string_value(v), out->machine)) {
		lg_err_set(err, "machine.product_uuid missing or not a UUID");
		goto out;
	}
	if (!json_is_array(json_object_get(r, "volumes"))) {
		lg_err_set(err, "volumes missing or not an array");
		goto out;
	}
	json_t *sum = json_object_get(r, "summary");
	if (!json_is_object(sum)) {
		lg_err_set(err, "summary missing or not an object");
		goto out;
	}
	v = json_object_get(r, "exit_code");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255) {
		lg_err_set(err, "exit_code missing or not an integer 0-255");
		goto out;
	}
	out->exit_code = (int)json_integer_value(v);
	v = json_object_get(r, "outcome");
	const char *oc = json_is_string(v) ? json_string_value(v) : NULL;
	size_t i;
	for (i = 0; oc && i < ARRAY_SIZE(outcomes); i++)
		if (!strcmp(oc, outcomes[i]))
			break;
	if (!oc || i == ARRAY_SIZE(outcomes)) {
		lg_err_set(err, "outcome missing or not one of fixed, nothing-to-do, locked, refused, failed, "
				"no-windows, undone, scanned");
		goto out;
	}
	snprintf(out->outcome, sizeof(out->outcome), "%s", oc);

	/* Optional facts: wrong types are errors too. */
	char vendor[64], product[64];
	if (opt_str(m, "computer_name", "machine.", out->computer_name, sizeof(out->computer_name), err) ||
	    opt_str(m, "product_serial", "machine.", out->serial, sizeof(out->serial), err) ||
	    opt_str(m, "sys_vendor", "machine.", vendor, sizeof(vendor), err) ||
	    opt_str(m, "product_name", "machine.", product, sizeof(product), err) ||
	    opt_str(m, "ip", "machine.", out->ip, sizeof(out->ip), err) ||
	    opt_str(m, "mac", "machine.", out->mac, sizeof(out->mac), err) ||
	    opt_str(r, "finished", "", out->finished, sizeof(out->finished), err))
		goto out;
	snprintf(out->model, sizeof(out->model), "%s%s%s", vendor, *vendor && *product ? " " : "", product);
	v = json_object_get(sum, "matches");
	if (v && !json_is_integer(v)) {
		lg_err_set(err, "summary.matches must be an integer");
		goto out;
	}
	if (v)
		out->matches = json_integer_value(v);
	json_t *p = json_object_get(r, "plan");
	if (p && !json_is_object(p)) {
		lg_err_set(err, "plan must be an object");
		goto out;
	}
	if (p && opt_str(p, "mode", "plan.", out->plan_mode, sizeof(out->plan_mode), err))
		goto out;
	json_t *k = json_object_get(r, "keys_needed");
	if (k && !json_is_array(k)) {
		lg_err_set(err, "keys_needed must be an array");
		goto out;
	}
	size_t idx;
	json_array_foreach(k, idx, v) {
		const char *s = json_string_value(v);
		bool ok = s && strlen(s) == 8;
		for (int j = 0; ok && j < 8; j++)
			ok = isxdigit((unsigned char)s[j]);
		if (!ok) {
			lg_err_set(err, "keys_needed[%zu] is not a recovery key ID (8 hex digits)", idx);
			goto out;
		}
		size_t used = strlen(out->keys_needed);
		if (used + 10 < sizeof(out->keys_needed))
			snprintf(out->keys_needed + used, sizeof(out->keys_needed) - used, "%s%s",
				 used ? "," : "", s);
	}
	json_t *c = json_object_get(r, "crashes");
	if (c && !json_is_array(c)) {
		lg_err_set(err, "crashes must be an array");
		goto out;
	}
	crash_signature(c, out->crash, sizeof(out->crash));
	rc = 0;
out:
	json_decref(r);
	return rc;
}
