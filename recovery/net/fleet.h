/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recovery image's side of the fleet HTTP interface (docs/fleet-api.md):
 * an HTTPS client (libcurl) for the deny-list, BitLocker keys by protector
 * ID, the plan and the report, and the pure parsers of what the server
 * answers (answer.c: no network, unit-tested and fuzzed).
 *
 * Trust: the server's certificate is checked against ONE PEM blob given at
 * lg_fleet_open() (the CA, or the server's own certificate as a pin, built
 * into the image): no system CA store, no CA from the command line, no
 * proxy from the environment, no redirects, HTTPS only, TLS 1.2 or newer.
 * Every request has a bounded time (LG_FLEET_CONNECT_MS to connect,
 * LG_FLEET_REQUEST_MS in all) and a bounded answer size.
 *
 * Secrets: a key answer is read into a buffer that is wiped before it is
 * freed and goes straight into a keyring (formats/keys.h); no message,
 * log line or error text carries a key.
 *
 * This is a lower layer: nothing here prints. Errors are a negative errno
 * and a message in err:
 *   -ENOENT        404: the server does not have it
 *   -EAGAIN        429 (after the one wait Retry-After asks for) or 5xx
 *   -ECONNREFUSED / -EHOSTUNREACH / -ETIMEDOUT   the server was not reached
 *   -EPERM         the certificate did not verify against the built-in one
 *   -EBADMSG       the answer is not what the interface says
 *   -EFBIG         the answer is larger than allowed
 */
#ifndef LG_FLEET_H
#define LG_FLEET_H

#include "lib/util.h"

struct lg_keyring;

#define LG_FLEET_CONNECT_MS 5000
#define LG_FLEET_REQUEST_MS 20000
#define LG_FLEET_URL_MAX 512
#define LG_FLEET_LIST_MAX (16u << 20)   /* deny-list */
#define LG_FLEET_SIG_MAX 4096            /* its .minisig */
#define LG_FLEET_KEY_MAX (64u << 10)     /* a key answer (a .BEK is < 4 KiB) */
#define LG_FLEET_PLAN_MAX 4096
#define LG_FLEET_REPORT_MAX (4u << 20)
#define LG_FLEET_RETRY_AFTER_MAX 30      /* seconds a 429 may ask the PC to wait */
#define LG_FLEET_POST_BUDGET_S 60        /* the report's retries, in all */

/* ---- answer.c: pure parsing -------------------------------------------- */

/* Check a server URL: https://host[:port][/prefix], no user info, query
 * or fragment, at most LG_FLEET_URL_MAX - 64 bytes; writes it without a
 * trailing '/' into out. Returns 0 or -EINVAL with err saying why. */
int lg_fleet_server_check(const char *url, char *out, size_t outlen, struct lg_err *err);

/* The path of a protector's key: "v1/keys/" + the GUID upper case. */
void lg_fleet_key_path(const unsigned char protector[16], char out[64]);

/* A key answer for protector: JSON {"protector_id", "recovery_password"}
 * or the bytes of a .BEK file, told apart by the body (a JSON object
 * starts with '{'; a static server may send any Content-Type). The key goes into kr (1 added, 0 already there).
 * -EBADMSG with err when the answer is not a key for that protector
 * (err never holds key material). content_type may be NULL. */
int lg_fleet_parse_key(const char *content_type, const unsigned char *body, size_t len,
		       const unsigned char protector[16], struct lg_keyring *kr, struct lg_err *err);

enum lg_plan_mode { LG_PLAN_NONE = 0, LG_PLAN_FIX, LG_PLAN_SCAN, LG_PLAN_UNDO };

struct lg_fleet_plan {
	enum lg_plan_mode mode;
	char run_id[32];             /* undo: the run to undo (validated form) */
	char reason[256];            /* printable ASCII/UTF-8, control characters dropped */
};

/* {"mode": "fix"|"scan"|"undo", "run_id": ..., "reason": ...}. An unknown
 * mode, an undo without a well-formed run_id, or anything that is not
 * such an object: -EBADMSG (the PC then keeps its own mode). */
int lg_fleet_parse_plan(const char *body, size_t len, struct lg_fleet_plan *plan, struct lg_err *err);

/* Whether a run id has the engine's form YYYYMMDDTHHMMSSZ-hhhhhh. */
bool lg_fleet_run_id_valid(const char *s);

/* A Retry-After header value in seconds ("120"), capped at
 * LG_FLEET_RETRY_AFTER_MAX; -1 when it is not delay-seconds. */
int lg_fleet_retry_after(const char *value);

/* ---- http.c: the client ------------------------------------------------ */

struct lg_fleet;

/* Progress of a long step for the screen ("report: attempt 2, next in
 * 4 s"), without a newline. */
typedef void (*lg_fleet_progress_fn)(void *ctx, const char *line);

/* server: checked with lg_fleet_server_check(). ca_pem: the PEM of the
 * built-in CA or pinned certificate (copied). */
int lg_fleet_open(const char *server, const void *ca_pem, size_t ca_len, struct lg_fleet **out,
		  struct lg_err *err);
void lg_fleet_close(struct lg_fleet *f);
void lg_fleet_set_progress(struct lg_fleet *f, lg_fleet_progress_fn fn, void *ctx);
/* Tests: shorter bounds (milliseconds; 0 keeps the default). */
void lg_fleet_set_timeouts(struct lg_fleet *f, long connect_ms, long request_ms, long post_budget_ms);

/* GET v1/denylist.json and its .minisig (malloc'd, NUL-terminated).
 * -ENOENT when either is 404. Verification is the caller's. */
int lg_fleet_get_denylist(struct lg_fleet *f, char **list, size_t *list_len, char **sig, size_t *sig_len,
			  struct lg_err *err);

/* GET v1/keys/<GUID> into kr: 1 a key was added, 0 the server does not
 * know this protector (404) or the key was there already. On 429 it waits
 * Retry-After once (capped) and asks again; a second 429 is -EAGAIN. */
int lg_fleet_get_key(struct lg_fleet *f, const unsigned char protector[16], struct lg_keyring *kr,
		     struct lg_err *err);

/* GET v1/plan/<machine-id> (the SMBIOS UUID, lower case). */
int lg_fleet_get_plan(struct lg_fleet *f, const char *machine_id, struct lg_fleet_plan *plan,
		      struct lg_err *err);

/* POST v1/reports: retried on connection errors and 5xx with backoff
 * (1, 2, 4, 8 ... s) for at most the post budget. Returns the final HTTP
 * status (201, 200) or a negative errno; *status gets the last status
 * seen (0 when none). */
int lg_fleet_post_report(struct lg_fleet *f, const char *json, size_t len, long *status,
			 struct lg_err *err);

#endif
