// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fleetget: drive the recovery image's fleet client (recovery/net/) from
 * the host tests, against a real HTTPS server (nginx in
 * tests/host/65-fleet-keys.sh).
 *
 *   fleetget SERVER CA.pem key GUID        exit 0: a key, prints its type and
 *                                          the SHA-256 of the secret; 3: 404
 *   fleetget SERVER CA.pem plan UUID       prints mode, run_id, reason
 *   fleetget SERVER CA.pem denylist DIR    writes DIR/denylist.json(.minisig)
 *   fleetget SERVER CA.pem report FILE     POSTs FILE, prints the status
 *   fleetget SERVER CA.pem fetch-keys IMG  PID 1's step: keys for every locked
 *                                          volume of IMG by protector ID; prints
 *                                          the log lines and the counts
 * Errors: exit 1 with the client's message on stderr. FLEET_POST_BUDGET_MS
 * and FLEET_REQUEST_MS shorten the bounds for tests.
 */
#include "net/fleet.h"
#include "net/session.h"
#include "formats/keys.h"
#include "lib/hash.h"
#include "lib/guid.h"

static void show_progress(void *ctx, const char *line)
{
	fprintf(stderr, "progress: %s\n", line);
}

static long env_ms(const char *name)
{
	const char *v = getenv(name);
	return v ? atol(v) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: fleetget SERVER CA.pem key GUID|plan UUID|denylist DIR|report FILE\n");
		return 2;
	}
	char *ca = NULL;
	size_t ca_len = 0;
	if (lg_read_file(argv[2], 1 << 20, &ca, &ca_len) < 0) {
		perror(argv[2]);
		return 1;
	}
	struct lg_err err = { "" };
	struct lg_fleet *f = NULL;
	int r = lg_fleet_open(argv[1], ca, ca_len, &f, &err);
	free(ca);
	if (r < 0) {
		fprintf(stderr, "fleetget: %s\n", err.msg);
		return 1;
	}
	lg_fleet_set_progress(f, show_progress, NULL);
	lg_fleet_set_timeouts(f, 0, env_ms("FLEET_REQUEST_MS"), env_ms("FLEET_POST_BUDGET_MS"));
	int rc = 0;
	const char *what = argv[3];
	if (!strcmp(what, "key")) {
		unsigned char g[16];
		if (lg_guid_parse(argv[4], strlen(argv[4]), g) < 0) {
			fprintf(stderr, "fleetget: %s is not a GUID\n", argv[4]);
			return 2;
		}
		struct lg_keyring *kr = lg_keyring_new();
		r = lg_fleet_get_key(f, g, kr, &err);
		if (r < 0) {
			fprintf(stderr, "fleetget: %s\n", err.msg);
			rc = 1;
		} else if (r == 0) {
			printf("not known\n");
			rc = 3;
		} else {
			const struct lg_key *k = &kr->keys[0];
			unsigned char d[32];
			char hex[65];
			if (k->type == LG_KEY_RECOVERY_PASSWORD)
				lg_hash_buf(k->password, strlen(k->password), d, NULL);
			else
				lg_hash_buf(k->bek, k->bek_len, d, NULL);
			lg_hex(d, 32, hex);
			printf("%s %s %s\n", k->type == LG_KEY_RECOVERY_PASSWORD ? "recovery-password" : "startup-key",
			       k->id, hex);
		}
		lg_keyring_free(kr);
	} else if (!strcmp(what, "plan")) {
		struct lg_fleet_plan p;
		r = lg_fleet_get_plan(f, argv[4], &p, &err);
		if (r < 0) {
			fprintf(stderr, "fleetget: %s\n", err.msg);
			rc = r == -ENOENT ? 3 : 1;
		} else {
			static const char *const modes[] = { "none", "fix", "scan", "undo" };
			printf("mode=%s run_id=%s reason=%s\n", modes[p.mode], p.run_id, p.reason);
		}
	} else if (!strcmp(what, "denylist")) {
		char *list = NULL, *sig = NULL;
		size_t ll = 0, sl = 0;
		r = lg_fleet_get_denylist(f, &list, &ll, &sig, &sl, &err);
		if (r < 0) {
			fprintf(stderr, "fleetget: %s\n", err.msg);
			rc = r == -ENOENT ? 3 : 1;
		} else {
			char p[4096];
			snprintf(p, sizeof(p), "%s/denylist.json", argv[4]);
			int w = lg_write_file_atomic(p, list, ll);
			snprintf(p, sizeof(p), "%s/denylist.json.minisig", argv[4]);
			w = w < 0 ? w : lg_write_file_atomic(p, sig, sl);
			rc = w < 0;
			printf("denylist %zu bytes, signature %zu bytes\n", ll, sl);
		}
		free(list);
		free(sig);
	} else if (!strcmp(what, "fetch-keys")) {
		struct lg_keyring *kr = lg_keyring_new();
		struct lg_key_fetch kf;
		char *targets[1] = { argv[4] };
		r = lg_fleet_fetch_keys(f, targets, 1, kr, show_progress, NULL, &kf);
		char *needed = json_dumps(kf.needed, JSON_COMPACT);
		printf("asked %zu found %zu unknown %zu failed %zu needed %s keyring %zu\n", kf.asked, kf.found, kf.unknown,
		       kf.failed, needed ? needed : "?", kr->n);
		free(needed);
		json_decref(kf.needed);
		lg_keyring_free(kr);
		rc = r < 0;
	} else if (!strcmp(what, "report")) {
		char *body = NULL;
		size_t len = 0;
		if (lg_read_file(argv[4], 8u << 20, &body, &len) < 0) {
			perror(argv[4]);
			return 1;
		}
		long status = 0;
		r = lg_fleet_post_report(f, body, len, &status, &err);
		free(body);
		printf("status %ld\n", status);
		if (r < 0) {
			fprintf(stderr, "fleetget: %s\n", err.msg);
			rc = 1;
		}
	} else {
		fprintf(stderr, "fleetget: unknown request %s\n", what);
		rc = 2;
	}
	lg_fleet_close(f);
	return rc;
}
