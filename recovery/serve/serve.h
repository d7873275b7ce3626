/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `lastgood serve`: the fleet server (docs/fleet.md, docs/fleet-api.md).
 * HTTPS by libmicrohttpd (GnuTLS), storage in SQLite (serve/db.h). Host
 * only: never linked into the recovery image's PID 1.
 */
#ifndef LG_SERVE_H
#define LG_SERVE_H

#include "lib/util.h"

struct lg_serve_opts {
	const char *root;          /* the boot tree (out/pxe): lastgood.efi, denylist.json(.minisig) */
	const char *keys;          /* CSV key export, .BEK file or directory (lg_keyring_load) */
	const char *tls_cert, *tls_key;
	const char *db;
	const char *admin_token;
	const char *listen;        /* "ADDR:PORT", "[V6]:PORT"; default 0.0.0.0:443 */
	unsigned canary;           /* --canary N */
	const char *canary_list;   /* --canary-list FILE */
	unsigned key_uses;         /* --key-uses N, 0 = no limit */
	unsigned miss_limit;       /* key misses a client may make per minute before 429 */
	const char *import_reports;/* --import-reports DIR: loaded at start */
	const char *port_file;     /* write the bound port here once listening (tests) */
	/* Where the server's log lines go (one line, no newline); the engine
	 * layers print nothing. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

/* Runs until SIGTERM or SIGINT (SIGHUP reloads the keys). Blocks those
 * signals in every thread. Returns 0 after a clean shutdown, or a
 * negative errno with err set when it could not start. */
int lg_serve_run(const struct lg_serve_opts *o, struct lg_err *err);

/* The fleet page and its script (page.c). */
extern const char lg_fleet_page_head[];
extern const char lg_fleet_page_tail[];
extern const char lg_fleet_page_js[];

#endif
