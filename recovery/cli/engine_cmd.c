// SPDX-License-Identifier: GPL-2.0-or-later
/* Command-line front ends of scan, fix and undo: options only. */
#include "cli/commands.h"
#include "formats/denylist.h"
#include "engine/engine.h"
#include "term/keyprompt.h"
#include "term/summary.h"

#include <ctype.h>
#include <getopt.h>
#include <libgen.h>

enum {
	OPT_DENYLIST = 256, OPT_SIG, OPT_TRUST, OPT_NOW, OPT_JSON, OPT_DISCARD_HIBER,
	OPT_REFUSE_DIRTY, OPT_FORCE, OPT_BUNDLE_DIR, OPT_EVIDENCE, OPT_REPORT_DIR, OPT_RUN_ID,
	OPT_RUN, OPT_HELP, OPT_QUIET, OPT_KEYS, OPT_PROMPT,
};

static const char scan_fix_help[] =
	"usage: lastgood %s --denylist FILE [--sig FILE] [--trust KEY.pub]... [--json] TARGET...\n"
	"\n"
	"TARGET: a whole-disk image, a partition image or a block device.\n"
	"  --denylist FILE        the signed deny-list (required)\n"
	"  --sig FILE             its minisign signature (default FILE.minisig)\n"
	"  --trust KEY.pub        a trusted public key; repeatable. Default: the keys in\n"
	"                         $LASTGOOD_TRUST_DIR or " LG_TRUST_DIR_DEFAULT "\n"
	"  --now TIME             check expiry against TIME (RFC 3339 or @unix) instead of\n"
	"                         the clock: for machines with a wrong clock; see docs\n"
	"  --json                 print the report (JSON) on stdout\n"
	"  --report-dir DIR       also write the report to DIR/<run-id>.json\n"
	"  --keys PATH            BitLocker keys: a CSV export (AD, Entra ID, Intune), a\n"
	"                         .BEK startup key, or a folder of them; repeatable\n"
	"  --prompt               ask for a BitLocker recovery password at the terminal\n"
	"                         when no key file has the volume's key\n"
	"%s"
	"Exit codes: 0 done or nothing to do, 1 error, 2 usage, 3 scan found matches,\n"
	"4 refused by a safety policy, 5 deny-list rejected.\n";

static const char fix_only_help[] =
	"  --bundle-dir DIR       where restore bundles are (default: the deny-list's folder)\n"
	"  --evidence DIR         write <volume-serial>-<run-id>.tar.gz of what was quarantined\n"
	"  --discard-hibernation  fix a hibernated (Fast Startup) Windows: its hibernated\n"
	"                         session is lost\n"
	"  --refuse-dirty         refuse a volume Windows did not shut down cleanly instead\n"
	"                         of replaying its log first\n"
	"  --force                act on a block device mounted on this host\n";

/* The engine's messages, on stderr with the command's name. */
static void log_stderr(void *ctx, const char *line)
{
	fprintf(stderr, "%s: %s\n", (const char *)ctx, line);
}

static void line_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* --prompt: ask at the consoles of /proc/consoles, giving up after 10 idle minutes. */
static struct lg_keyprompt_asker console = { .idle_s = 600 };
static struct lg_key_asker asker;

static const struct lg_key_asker *prompt_asker(void)
{
	asker = lg_keyprompt_asker(&console);
	return &asker;
}

static void print_json(json_t *report)
{
	if (!report)
		return;
	json_dumpf(report, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	putchar('\n');
	fflush(stdout);
}

static int scan_or_fix(int argc, char **argv, bool fix)
{
	static const struct option opts[] = {
		{ "denylist", required_argument, NULL, OPT_DENYLIST },
		{ "sig", required_argument, NULL, OPT_SIG },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "discard-hibernation", no_argument, NULL, OPT_DISCARD_HIBER },
		{ "refuse-dirty", no_argument, NULL, OPT_REFUSE_DIRTY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "bundle-dir", required_argument, NULL, OPT_BUNDLE_DIR },
		{ "evidence", required_argument, NULL, OPT_EVIDENCE },
		{ "report-dir", required_argument, NULL, OPT_REPORT_DIR },
		{ "run-id", required_argument, NULL, OPT_RUN_ID },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "prompt", no_argument, NULL, OPT_PROMPT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	const char *name = fix ? "fix" : "scan";
	const char *keyfiles[16];
	struct lg_run_opts o = { .fix = fix, .log = log_stderr, .log_ctx = fix ? "lastgood fix" : "lastgood scan" };
	bool json = false, quiet = false;
	const char *trust[64], *bundles[16];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DENYLIST: o.denylist = optarg; break;
		case OPT_SIG: o.sig = optarg; break;
		case OPT_TRUST:
			if (o.n_trust == ARRAY_SIZE(trust)) {
				fprintf(stderr, "lastgood %s: too many --trust keys (at most %zu)\n", name, ARRAY_SIZE(trust));
				return LG_EXIT_USAGE;
			}
			trust[o.n_trust++] = optarg;
			break;
		case OPT_NOW:
			if (lg_rfc3339_parse_arg(optarg, &o.now) < 0) {
				fprintf(stderr, "lastgood %s: --now %s: expected RFC 3339 UTC (2024-07-19T06:00:00Z) or @unix-seconds\n",
					name, optarg);
				return LG_EXIT_USAGE;
			}
			o.have_now = true;
			break;
		case OPT_JSON: json = true; break;
		case OPT_QUIET: quiet = true; break;
		case OPT_DISCARD_HIBER: o.discard_hibernation = true; break;
		case OPT_REFUSE_DIRTY: o.refuse_dirty = true; break;
		case OPT_FORCE: o.force = true; break;
		case OPT_BUNDLE_DIR:
			if (o.n_bundle_dirs == ARRAY_SIZE(bundles)) {
				fprintf(stderr, "lastgood %s: too many --bundle-dir\n", name);
				return LG_EXIT_USAGE;
			}
			bundles[o.n_bundle_dirs++] = optarg;
			break;
		case OPT_EVIDENCE: o.evidence_dir = optarg; break;
		case OPT_REPORT_DIR: o.report_dir = optarg; break;
		case OPT_RUN_ID: o.run_id = optarg; break;
		case OPT_KEYS:
			if (o.n_keys == ARRAY_SIZE(keyfiles)) {
				fprintf(stderr, "lastgood %s: too many --keys\n", name);
				return LG_EXIT_USAGE;
			}
			keyfiles[o.n_keys++] = optarg;
			break;
		case OPT_PROMPT: o.asker = prompt_asker(); break;
		case OPT_HELP:
			printf(scan_fix_help, name, fix ? fix_only_help : "");
			return LG_EXIT_OK;
		default:
			fprintf(stderr, "Run 'lastgood %s --help' for the options.\n", name);
			return LG_EXIT_USAGE;
		}
	}
	if (!o.denylist) {
		fprintf(stderr, "lastgood %s: --denylist FILE is required (a deny-list signed with minisign)\n", name);
		return LG_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "lastgood %s: no target given (a disk image, partition image or block device)\n", name);
		return LG_EXIT_USAGE;
	}
	if (o.run_id) {
		for (const char *p = o.run_id; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
				fprintf(stderr, "lastgood %s: --run-id may hold only letters, digits, '-' and '_'\n", name);
				return LG_EXIT_USAGE;
			}
		if (strlen(o.run_id) > 31 || !o.run_id[0]) {
			fprintf(stderr, "lastgood %s: --run-id must be 1 to 31 characters\n", name);
			return LG_EXIT_USAGE;
		}
	}
	o.targets = argv + optind;
	o.n_targets = (size_t)(argc - optind);
	o.keys = keyfiles;
	char **keys = NULL;
	size_t n_keys = 0;
	if (!o.n_trust) {
		const char *dir = lg_trust_dir();
		struct lg_err err = { "" };
		if (lg_trust_keys_in_dir(dir, &keys, &n_keys, &err) < 0) {
			fprintf(stderr, "lastgood %s: %s\n", name, err.msg);
			return LG_EXIT_DENYLIST;
		}
		if (!n_keys) {
			fprintf(stderr, "lastgood %s: deny-list refused: no trusted key configured (give --trust KEY.pub, "
				"or put keys in %s)\n", name, dir);
			return LG_EXIT_DENYLIST;
		}
		o.trust = (const char **)keys;
		o.n_trust = n_keys;
	} else {
		o.trust = trust;
	}
	/* Restore bundles are looked for next to the deny-list by default. */
	char *dlcopy = strdup(o.denylist);
	if (!o.n_bundle_dirs && dlcopy) {
		bundles[0] = dirname(dlcopy);
		o.n_bundle_dirs = 1;
	}
	o.bundle_dirs = bundles;
	json_t *report = NULL;
	int rc = lg_run(&o, &report);
	if (json)
		print_json(report);
	if (report && !quiet)
		lg_summary_run(report, line_stderr, NULL);
	json_decref(report);
	free(dlcopy);
	lg_trust_keys_free(keys, n_keys);
	return rc;
}

int cmd_scan(int argc, char **argv) { return scan_or_fix(argc, argv, false); }
int cmd_fix(int argc, char **argv) { return scan_or_fix(argc, argv, true); }

int cmd_undo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, OPT_RUN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "prompt", no_argument, NULL, OPT_PROMPT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	struct lg_undo_opts o = { .log = log_stderr, .log_ctx = "lastgood undo" };
	bool json = false;
	const char *keyfiles[16];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_RUN: o.run_id = optarg; break;
		case OPT_JSON: json = true; break;
		case OPT_FORCE: o.force = true; break;
		case OPT_KEYS:
			if (o.n_keys == ARRAY_SIZE(keyfiles)) {
				fprintf(stderr, "lastgood undo: too many --keys\n");
				return LG_EXIT_USAGE;
			}
			keyfiles[o.n_keys++] = optarg;
			break;
		case OPT_PROMPT: o.asker = prompt_asker(); break;
		case OPT_HELP:
			printf("usage: lastgood undo --run ID [--json] [--force] [--keys PATH]... [--prompt] TARGET...\n"
			       "Moves every file run ID quarantined back to its place, sets restored copies\n"
			       "aside, and refuses (exit 4) when an original path has been taken since.\n"
			       "BitLocker volumes are unlocked as by fix: --keys (CSV export, .BEK, or a\n"
			       "folder of them) and --prompt (ask for a recovery password at the terminal).\n");
			return LG_EXIT_OK;
		default:
			return LG_EXIT_USAGE;
		}
	}
	if (!o.run_id || !o.run_id[0] || strpbrk(o.run_id, "/\\:") || strlen(o.run_id) > 63) {
		fprintf(stderr, "lastgood undo: --run ID is required (the run_id of the fix report)\n");
		return LG_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "lastgood undo: no target given\n");
		return LG_EXIT_USAGE;
	}
	o.targets = argv + optind;
	o.n_targets = (size_t)(argc - optind);
	o.keys = keyfiles;
	json_t *report = NULL;
	int rc = lg_undo(&o, &report);
	if (json)
		print_json(report);
	else if (report)
		lg_summary_undo(report, line_stderr, NULL);
	json_decref(report);
	return rc;
}
