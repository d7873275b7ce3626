// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a fleet server answers, parsed without the network (fleet.h):
 * server URLs, key answers, plans, Retry-After. Everything here is hostile
 * input; fuzzed by tests/fuzz/fuzz_fleet.c.
 */
#include "net/fleet.h"

#include "formats/keys.h"
#include "lib/guid.h"

#include <ctype.h>
#include <jansson.h>
#include <strings.h>

int lg_fleet_server_check(const char *url, char *out, size_t outlen, struct lg_err *err)
{
	size_t n = url ? strlen(url) : 0;
	if (!n) {
		lg_err_set(err, "no server given");
		return -EINVAL;
	}
	if (n > LG_FLEET_URL_MAX - 64 || n >= outlen) {
		lg_err_set(err, "the server URL is %zu bytes, longer than lastgood takes (%d)", n, LG_FLEET_URL_MAX - 64);
		return -EINVAL;
	}
	if (strncasecmp(url, "https://", 8)) {
		lg_err_set(err, "the server must be https://host[:port][/prefix] (HTTPS only), not \"%.64s\"", url);
		return -EINVAL;
	}
	const char *host = url + 8, *end = host + strcspn(host, "/");
	if (end == host) {
		lg_err_set(err, "the server URL has no host");
		return -EINVAL;
	}
	for (const char *p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\' || c == '"') {
			lg_err_set(err, "the server URL has a character lastgood does not take (byte 0x%02x at %zu): "
				   "no query, fragment, spaces or non-ASCII", c, (size_t)(p - url));
			return -EINVAL;
		}
		if (c == '@' && p < end) {
			lg_err_set(err, "the server URL carries user information (user@host): not taken");
			return -EINVAL;
		}
	}
	/* host: name or [IPv6], optional :port of 1..65535 */
	const char *colon = NULL;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));
		if (!rb) {
			lg_err_set(err, "the server URL has an unclosed [IPv6] host");
			return -EINVAL;
		}
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':') {
			lg_err_set(err, "the server URL has junk after the [IPv6] host");
			return -EINVAL;
		}
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		if (colon == host) {
			lg_err_set(err, "the server URL has no host");
			return -EINVAL;
		}
	}
	if (colon) {
		unsigned long port = 0;
		const char *p = colon + 1;
		if (p == end) {
			lg_err_set(err, "the server URL has an empty port");
			return -EINVAL;
		}
		for (; p < end; p++) {
			if (!isdigit((unsigned char)*p) || port > 65535) {
				lg_err_set(err, "the server URL's port is not a number from 1 to 65535");
				return -EINVAL;
			}
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port == 0 || port > 65535) {
			lg_err_set(err, "the server URL's port is not a number from 1 to 65535");
			return -EINVAL;
		}
	}
	/* the prefix may not climb: no "." or ".." segments */
	for (const char *s = end; *s;) {
		s++;
		size_t seg = strcspn(s, "/");
		if ((seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.')) {
			lg_err_set(err, "the server URL's path has a \".\" or \"..\" segment");
			return -EINVAL;
		}
		s += seg;
	}
	memcpy(out, url, n + 1);
	while (n > 8 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

void lg_fleet_key_path(const unsigned char protector[16], char out[64])
{
	char id[37];
	lg_guid_format(protector, id);
	for (char *p = id; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(out, 64, "v1/keys/%s", id);
}

static bool is_json_type(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, "application/json", 16) && (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

static bool body_is_json_object(const unsigned char *body, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb((const char *)body, len, 0, &je);
	bool yes = json_is_object(o);
	if (o) {
		/* a recovery password may be in it: wipe jansson's copies */
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v)
			if (json_is_string(v))
				lg_wipe((char *)json_string_value(v), json_string_length(v));
		json_decref(o);
	}
	return yes;
}

int lg_fleet_parse_key(const char *content_type, const unsigned char *body, size_t len,
		       const unsigned char protector[16], struct lg_keyring *kr, struct lg_err *err)
{
	char want[37];
	lg_guid_format(protector, want);
	if (len == 0) {
		lg_err_set(err, "the server answered key id %s with an empty body", want);
		return -EBADMSG;
	}
	if (len > LG_FLEET_KEY_MAX) {
		lg_err_set(err, "the server's answer for key id %s is %zu bytes (at most %u)", want, len,
			   LG_FLEET_KEY_MAX);
		return -EBADMSG;
	}
	/* Told apart by the body (a static server sends any Content-Type):
	 * JSON starts with '{'; a .BEK starts with its own size, 156 to 180
	 * bytes for what Windows writes. */
	if (body[0] == '{' && (is_json_type(content_type) || body_is_json_object(body, len))) {
		json_error_t je;
		json_t *o = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
		/* je.text may quote the body: it is not shown */
		if (!o || !json_is_object(o)) {
			json_decref(o);
			lg_err_set(err, "the server's answer for key id %s is not a JSON object", want);
			return -EBADMSG;
		}
		const char *id = json_string_value(json_object_get(o, "protector_id"));
		json_t *pw = json_object_get(o, "recovery_password");
		unsigned char g[16];
		int r = -EBADMSG;
		if (!id || lg_guid_parse(id, strlen(id), g) < 0 || memcmp(g, protector, 16)) {
			lg_err_set(err, "the server's answer for key id %s names another protector_id", want);
		} else if (!json_is_string(pw)) {
			lg_err_set(err, "the server's answer for key id %s has no recovery_password string", want);
		} else {
			char src[96];
			snprintf(src, sizeof(src), "server key %s", want);
			struct lg_err kerr = { "" };
			r = lg_keyring_add_password(kr, protector, json_string_value(pw), json_string_length(pw), src,
						    &kerr);
			if (r == -EINVAL) {
				lg_err_set(err, "%s", kerr.msg);
				r = -EBADMSG;
			} else if (r < 0) {
				lg_err_set(err, "%s", kerr.msg);
			}
			/* jansson's copy of the password: wipe it before it is freed */
			lg_wipe((char *)json_string_value(pw), json_string_length(pw));
		}
		json_decref(o);
		return r;
	}
	char src[96];
	snprintf(src, sizeof(src), "server key %s.BEK", want);
	struct lg_err kerr = { "" };
	size_t before = kr ? kr->n : 0;
	int r = lg_keyring_parse_bek(kr, src, body, len, &kerr);
	if (r < 0) {
		lg_err_set(err, "%s", kerr.msg);
		return r == -EINVAL ? -EBADMSG : r;
	}
	/* a startup key for another protector than the one asked for */
	for (size_t i = before; i < kr->n; i++) {
		if (memcmp(kr->keys[i].protector, protector, 16)) {
			char got[37];
			lg_guid_format(kr->keys[i].protector, got);
			while (kr->n > before) {
				struct lg_key *k = &kr->keys[--kr->n];
				if (k->bek) {
					lg_wipe(k->bek, k->bek_len);
					free(k->bek);
				}
				lg_wipe(k, sizeof(*k));
			}
			lg_err_set(err, "the server answered key id %s with the startup key of %s", want, got);
			return -EBADMSG;
		}
	}
	return r;
}

bool lg_fleet_run_id_valid(const char *s)
{
	/* YYYYMMDDTHHMMSSZ-hhhhhh */
	if (!s || strlen(s) != 23)
		return false;
	for (int i = 0; i < 23; i++) {
		char c = s[i];
		bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : i == 16 ? c == '-'
			: i > 16 ? (isdigit((unsigned char)c) || (c >= 'a' && c <= 'f'))
			: isdigit((unsigned char)c);
		if (!ok)
			return false;
	}
	return true;
}

static void printable(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *in && o + 1 < outlen; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c == 0x7f)
			continue;
		out[o++] = (char)c;
	}
	/* do not end inside a UTF-8 sequence */
	while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
		o--;
	if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
		o--;
	out[o] = '\0';
}

int lg_fleet_parse_plan(const char *body, size_t len, struct lg_fleet_plan *plan, struct lg_err *err)
{
	memset(plan, 0, sizeof(*plan));
	if (len > LG_FLEET_PLAN_MAX) {
		lg_err_set(err, "the plan is %zu bytes (at most %u)", len, LG_FLEET_PLAN_MAX);
		return -EBADMSG;
	}
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		lg_err_set(err, "the plan is not a JSON object%s%s", o ? "" : ": ", o ? "" : je.text);
		return -EBADMSG;
	}
	int r = 0;
	const char *mode = json_string_value(json_object_get(o, "mode"));
	const char *run_id = json_string_value(json_object_get(o, "run_id"));
	const char *reason = json_string_value(json_object_get(o, "reason"));
	if (reason)
		printable(reason, plan->reason, sizeof(plan->reason));
	if (!mode) {
		lg_err_set(err, "the plan has no \"mode\" string");
		r = -EBADMSG;
	} else if (!strcmp(mode, "fix")) {
		plan->mode = LG_PLAN_FIX;
	} else if (!strcmp(mode, "scan")) {
		plan->mode = LG_PLAN_SCAN;
	} else if (!strcmp(mode, "undo")) {
		if (!lg_fleet_run_id_valid(run_id)) {
			lg_err_set(err, "the plan asks for undo without a run_id of the form YYYYMMDDTHHMMSSZ-hhhhhh");
			r = -EBADMSG;
		} else {
			plan->mode = LG_PLAN_UNDO;
			memcpy(plan->run_id, run_id, 24);
		}
	} else {
		char shown[32];
		printable(mode, shown, sizeof(shown));
		lg_err_set(err, "the plan's mode \"%s\" is not fix, scan or undo", shown);
		r = -EBADMSG;
	}
	if (r < 0)
		plan->mode = LG_PLAN_NONE;
	json_decref(o);
	return r;
}

int lg_fleet_retry_after(const char *value)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (!isdigit((unsigned char)*value))
		return -1;
	long s = 0;
	for (; isdigit((unsigned char)*value); value++) {
		s = s * 10 + (*value - '0');
		if (s > LG_FLEET_RETRY_AFTER_MAX)
			s = LG_FLEET_RETRY_AFTER_MAX + 1;
	}
	while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
		value++;
	if (*value)
		return -1;
	return s > LG_FLEET_RETRY_AFTER_MAX ? LG_FLEET_RETRY_AFTER_MAX : (int)s;
}
