// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood serve: the fleet server (recovery/serve/, docs/fleet.md), and
 * lastgood serve ctl: an operator's decision sent to a running server
 * over its HTTPS admin API (libcurl).
 */
#include "cli/commands.h"
#include "serve/serve.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lastgood serve --root DIR --keys KEYS --tls-cert CERT.pem --tls-key KEY.pem\n"
		"                      --db FLEET.sqlite --admin-token TOKEN|--admin-token-file FILE\n"
		"                      [--listen ADDR:PORT] [--canary N | --canary-list FILE]\n"
		"                      [--key-uses N] [--miss-limit N] [--import-reports DIR]\n"
		"       lastgood serve ctl [--url https://HOST:PORT] [--token-file FILE] [--cacert CA.pem]\n"
		"                      [--operator NAME] pause|resume|promote|rollback|status\n"
		"\n"
		"serve: the boot tree, the deny-list, BitLocker keys by protector ID, the PCs'\n"
		"plans and reports, and the fleet page at / (docs/fleet.md, docs/fleet-api.md).\n"
		"  --root DIR           the boot tree (make image: out/pxe): lastgood.efi,\n"
		"                       denylist.json(.minisig) and anything else under it\n"
		"  --keys KEYS          CSV key export (AD, Entra ID, Intune), .BEK file or a\n"
		"                       directory of them; checked at start, reloaded on SIGHUP\n"
		"  --tls-cert, --tls-key  the server's certificate (PEM) and its key\n"
		"  --db FILE            the fleet database (SQLite; created if missing)\n"
		"  --admin-token TOKEN  the operator's token for /, /v1/machines and ctl\n"
		"                       (Bearer, or basic auth with it as the password);\n"
		"                       --admin-token-file or $LASTGOOD_ADMIN_TOKEN keep it out of ps\n"
		"  --listen ADDR:PORT   default 0.0.0.0:443; [::]:443 for IPv6 and IPv4\n"
		"  --canary N           the first N PCs to ask fix, the others scan until promoted\n"
		"  --canary-list FILE   ring 1 is the PCs named here (UUID, serial or computer\n"
		"                       name, one a line)\n"
		"  --key-uses N         hand out each key at most N times (default: no limit)\n"
		"  --miss-limit N       unknown protectors one client may ask for per minute\n"
		"                       before it gets 429 (default 30)\n"
		"  --import-reports DIR load the *.json reports under DIR (sticks, a collector)\n"
		"  --port-file FILE     write the port listened on (with --listen ADDR:0)\n"
		"ctl: pause (every PC from now on only scans), resume, promote (everyone fixes),\n"
		"rollback (PCs that come back undo their last fix), status. The token comes from\n"
		"--token-file or $LASTGOOD_ADMIN_TOKEN; --url defaults to https://127.0.0.1:443.\n");
}

static void log_line(void *ctx, const char *line)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s serve: %s\n", ts, line);
}

static int parse_uint(const char *s, const char *name, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 1000000000ul || *s == '-') {
		fprintf(stderr, "lastgood serve: %s takes a number, not '%s'\n", name, s);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* A token from a file: the first line, without its newline. */
static char *read_token(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int r = lg_read_file(path, 4096, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "lastgood serve: %s: %s\n", path, strerror(-r));
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	FILE *f = ud;
	return fwrite(p, size, n, f);
}

static int cmd_ctl(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "operator", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *url = "https://127.0.0.1:443", *cacert = NULL, *op = NULL;
	char *token = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 't': free(token); if (!(token = read_token(optarg))) return LG_EXIT_ERROR; break;
		case 'c': cacert = optarg; break;
		case 'o': op = optarg; break;
		case 'h': usage(stdout); free(token); return LG_EXIT_OK;
		default: usage(stderr); free(token); return LG_EXIT_USAGE;
		}
	}
	if (!token && getenv("LASTGOOD_ADMIN_TOKEN"))
		token = strdup(getenv("LASTGOOD_ADMIN_TOKEN"));
	const char *action = optind < argc ? argv[optind] : NULL;
	bool status = action && !strcmp(action, "status");
	if (!action || optind + 1 != argc ||
	    (!status && strcmp(action, "pause") && strcmp(action, "resume") && strcmp(action, "promote") &&
	     strcmp(action, "rollback"))) {
		fprintf(stderr, "lastgood serve ctl: one of pause, resume, promote, rollback, status\n");
		free(token);
		return LG_EXIT_USAGE;
	}
	if (!token) {
		fprintf(stderr, "lastgood serve ctl: no token (--token-file FILE or LASTGOOD_ADMIN_TOKEN)\n");
		return LG_EXIT_USAGE;
	}
	if (!op)
		op = getenv("USER") ? getenv("USER") : "operator";
	char full[1024], auth[4200], opname[200];
	snprintf(full, sizeof(full), "%s%s%s", url, status ? "/v1/fleet" : "/v1/admin/", status ? "" : action);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(opname, sizeof(opname), "X-Lastgood-Operator: %s", op);
	lg_wipe(token, strlen(token));
	free(token);
	char *body = NULL;
	size_t blen = 0;
	FILE *mem = open_memstream(&body, &blen);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, auth);
	hdr = curl_slist_append(hdr, opname);
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
	if (!status) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, mem);
	CURLcode cr = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	lg_wipe(auth, sizeof(auth));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	fclose(mem);
	int rc = LG_EXIT_OK;
	if (cr != CURLE_OK) {
		fprintf(stderr, "lastgood serve ctl: %s: %s\n", url, curl_easy_strerror(cr));
		rc = LG_EXIT_ERROR;
	} else if (code != 200) {
		fprintf(stderr, "lastgood serve ctl: %s: HTTP %ld: %s\n", action, code, body ? body : "");
		rc = LG_EXIT_ERROR;
	} else {
		json_t *s = json_loads(body, 0, NULL);
		const char *mode = json_string_value(json_object_get(s, "mode"));
		printf("mode: %s\n", mode ? mode : "?");
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(s, "counts"), k, v)
			printf("%s: %lld\n", k, (long long)json_integer_value(v));
		json_decref(s);
	}
	free(body);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "keys", required_argument, NULL, 'k' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "db", required_argument, NULL, 'd' },
		{ "admin-token", required_argument, NULL, 'a' },
		{ "admin-token-file", required_argument, NULL, 'A' },
		{ "listen", required_argument, NULL, 'l' },
		{ "canary", required_argument, NULL, 'n' },
		{ "canary-list", required_argument, NULL, 'N' },
		{ "key-uses", required_argument, NULL, 'u' },
		{ "miss-limit", required_argument, NULL, 'm' },
		{ "import-reports", required_argument, NULL, 'i' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct lg_serve_opts o = { .miss_limit = 30, .log = log_line };
	char *token = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'r': o.root = optarg; break;
		case 'k': o.keys = optarg; break;
		case 'C': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'd': o.db = optarg; break;
		case 'a': free(token); token = strdup(optarg); break;
		case 'A': free(token); if (!(token = read_token(optarg))) return LG_EXIT_ERROR; break;
		case 'l': o.listen = optarg; break;
		case 'n': bad = parse_uint(optarg, "--canary", &o.canary); break;
		case 'N': o.canary_list = optarg; break;
		case 'u': bad = parse_uint(optarg, "--key-uses", &o.key_uses); break;
		case 'm': bad = parse_uint(optarg, "--miss-limit", &o.miss_limit); break;
		case 'i': o.import_reports = optarg; break;
		case 'p': o.port_file = optarg; break;
		case 'h': usage(stdout); free(token); return LG_EXIT_OK;
		default: usage(stderr); free(token); return LG_EXIT_USAGE;
		}
		if (bad) {
			free(token);
			return LG_EXIT_USAGE;
		}
	}
	if (!token && getenv("LASTGOOD_ADMIN_TOKEN"))
		token = strdup(getenv("LASTGOOD_ADMIN_TOKEN"));
	const char *missing = !o.root ? "--root" : !o.keys ? "--keys" : !o.tls_cert ? "--tls-cert" :
			      !o.tls_key ? "--tls-key" : !o.db ? "--db" : !token ? "--admin-token" : NULL;
	if (missing || optind != argc) {
		if (missing)
			fprintf(stderr, "lastgood serve: %s is required\n", missing);
		else
			fprintf(stderr, "lastgood serve: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		free(token);
		return LG_EXIT_USAGE;
	}
	if (strlen(token) < 16) {
		fprintf(stderr, "lastgood serve: the admin token must be at least 16 characters\n");
		free(token);
		return LG_EXIT_USAGE;
	}
	if (o.canary && o.canary_list) {
		fprintf(stderr, "lastgood serve: --canary and --canary-list exclude each other\n");
		free(token);
		return LG_EXIT_USAGE;
	}
	if (!o.miss_limit)
		o.miss_limit = 1;
	o.admin_token = token;
	struct lg_err err = { "" };
	int r = lg_serve_run(&o, &err);
	lg_wipe(token, strlen(token));
	free(token);
	if (r < 0) {
		fprintf(stderr, "lastgood serve: %s\n", err.msg);
		return LG_EXIT_ERROR;
	}
	return LG_EXIT_OK;
}
