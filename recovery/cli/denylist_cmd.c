// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood denylist verify|show: the deny-list gate as a command, for the
 * people who write lists and for scripts (docs/denylist.md).
 */
#include "cli/commands.h"
#include "formats/denylist.h"
#include "import/importer.h"
#include "formats/minisign.h"

#include <getopt.h>
#include <time.h>

struct opts {
	const char **trust;
	size_t n_trust;
	const char *sig;
	bool have_now;
	int64_t now;
	const char *file;
	char **dir_keys; /* from the trust directory, owned */
	size_t n_dir_keys;
	const char *trust_source; /* where the keys came from, for messages */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lastgood denylist verify [--trust KEY.pub]... [--sig FILE] [--now TIME] FILE\n"
		"       lastgood denylist show   [--trust KEY.pub]... [--sig FILE] [--now TIME] FILE\n"
		"       lastgood denylist import --from loldrivers|sipolicy [--action report|quarantine]\n"
		"                                [--path GLOB]... [-o FILE] [...] INPUT\n"
		"\n"
		"verify  check the signature (default FILE.minisig), the schema and the expiry;\n"
		"        exit 0 when the list would be used, 5 with the reason when not\n"
		"show    print the list (serial, dates, publisher, one line per rule) and\n"
		"        whether verify would accept it (exit 0) or not (exit 5)\n"
		"import  write an unsigned list from LOLDrivers' drivers.json or a WDAC SiPolicy\n"
		"        XML (lastgood denylist import --help)\n"
		"\n"
		"  --trust KEY.pub  a trusted minisign public key (repeatable); without it, the\n"
		"                   *.pub files of $LASTGOOD_TRUST_DIR, else of " LG_TRUST_DIR_DEFAULT "\n"
		"  --sig FILE       the signature file\n"
		"  --now TIME       check the expiry against TIME (2024-07-19T06:00:00Z or @UNIX)\n"
		"                   instead of the clock. Only for a machine whose clock is wrong:\n"
		"                   a TIME in the past makes an expired list pass.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "trust", required_argument, NULL, 't' },
		{ "sig", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 0; /* glibc: full reinitialisation */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': {
			const char **nt = realloc(o->trust, (o->n_trust + 1) * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			o->trust = nt;
			o->trust[o->n_trust++] = optarg;
			break;
		}
		case 's':
			o->sig = optarg;
			break;
		case 'n':
			if (lg_rfc3339_parse_arg(optarg, &o->now) < 0) {
				fprintf(stderr, "lastgood denylist: --now wants 2024-07-19T06:00:00Z or @UNIXSECONDS, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			o->have_now = true;
			break;
		case 'h':
			usage(stdout);
			exit(LG_EXIT_OK);
		default:
			return -EINVAL;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "lastgood denylist: expected exactly one FILE\n");
		return -EINVAL;
	}
	o->file = argv[optind];
	if (!o->have_now)
		o->now = (int64_t)time(NULL);
	return 0;
}

/* Fill o->trust from the trust directory when --trust was not given.
 * Returns 0 (maybe with no key: lg_denylist_load refuses then). */
static int default_trust(struct opts *o, struct lg_err *err)
{
	if (o->n_trust) {
		o->trust_source = "--trust";
		return 0;
	}
	const char *dir = lg_trust_dir();
	o->trust_source = dir;
	int r = lg_trust_keys_in_dir(dir, &o->dir_keys, &o->n_dir_keys, err);
	if (r < 0)
		return r;
	o->trust = calloc(o->n_dir_keys ? o->n_dir_keys : 1, sizeof(*o->trust));
	if (!o->trust)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_dir_keys; i++)
		o->trust[i] = o->dir_keys[i];
	o->n_trust = o->n_dir_keys;
	if (!o->n_trust)
		lg_err_set(err, "no trusted key is configured: no *.pub file in %s; give --trust KEY.pub, "
			   "or put the publisher's key in $LASTGOOD_TRUST_DIR or " LG_TRUST_DIR_DEFAULT, dir);
	return 0;
}

/* Which trusted key file carries this id (for the message only). */
static const char *key_path_for(const struct opts *o, const char *key_id)
{
	for (size_t i = 0; i < o->n_trust; i++) {
		struct lg_ms_pubkey pk;
		char id[2 * LG_MS_KEYID_BYTES + 1];
		if (lg_ms_pubkey_load(o->trust[i], &pk, NULL) < 0)
			continue;
		lg_ms_keyid_format(pk.keyid, id);
		if (!strcmp(id, key_id))
			return o->trust[i];
	}
	return "?";
}

/* Print text from a signed file on a console: control bytes escaped. */
static void put_safe(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void warn_clock(const struct opts *o, const struct lg_denylist *dl)
{
	char t[LG_RFC3339_LEN], i[LG_RFC3339_LEN];
	lg_rfc3339_format(o->now, t);
	if (o->have_now)
		fprintf(stderr, "warning: expiry checked against --now %s, not the clock\n", t);
	if (dl && o->now < dl->issued) {
		lg_rfc3339_format(dl->issued, i);
		fprintf(stderr, "warning: the list was issued at %s, after the time used (%s): "
			"the clock is probably behind, so the expiry check means little\n", i, t);
	}
}

static void fmt_nt(int64_t nt, char out[LG_RFC3339_LEN])
{
	int64_t s = nt >= LG_NTFS_UNIX_OFFSET ? lg_nt_to_unix(nt)
					     : -((LG_NTFS_UNIX_OFFSET - nt + 9999999) / 10000000);
	lg_rfc3339_format(s, out);
	if (nt != lg_unix_to_nt(s)) {
		/* show sub-second bounds exactly: ".fffffffZ" */
		size_t l = strlen(out);
		if (l && out[l - 1] == 'Z')
			snprintf(out + l - 1, LG_RFC3339_LEN - (l - 1), ".%07lldZ",
				 (long long)(nt - lg_unix_to_nt(s)));
	}
}

static void print_rule(const struct lg_rule *r)
{
	char a[LG_RFC3339_LEN], b[LG_RFC3339_LEN], hex[17];
	printf("  %-20s %-10s ", r->id, r->action == LG_ACTION_REPORT ? "report" : "quarantine");
	put_safe(stdout, r->path);
	if (r->has_size) {
		if (r->size_min == r->size_max)
			printf("  size=%llu", (unsigned long long)r->size_min);
		else if (r->size_max == UINT64_MAX)
			printf("  size>=%llu", (unsigned long long)r->size_min);
		else
			printf("  size=%llu..%llu", (unsigned long long)r->size_min, (unsigned long long)r->size_max);
	}
	if (r->header) {
		size_t n = r->header_len > 8 ? 8 : r->header_len;
		lg_hex(r->header, n, hex);
		printf("  header@%llu=%s%s", (unsigned long long)r->header_offset, hex,
		       r->header_len > 8 ? "..." : "");
	}
	if (r->has_modified_after || r->has_modified_before) {
		if (r->has_modified_after)
			fmt_nt(r->modified_after, a);
		if (r->has_modified_before)
			fmt_nt(r->modified_before, b);
		printf("  modified=[%s, %s)", r->has_modified_after ? a : "-inf", r->has_modified_before ? b : "+inf");
	}
	if (r->n_sha256) {
		lg_hex(r->sha256[0], 4, hex);
		printf("  sha256=%s...", hex);
		if (r->n_sha256 > 1)
			printf("(+%zu)", r->n_sha256 - 1);
	}
	if (r->n_authentihash_sha256) {
		lg_hex(r->authentihash_sha256[0], 4, hex);
		printf("  authentihash_sha256=%s...", hex);
		if (r->n_authentihash_sha256 > 1)
			printf("(+%zu)", r->n_authentihash_sha256 - 1);
	}
	if (r->n_authentihash_sha1) {
		lg_hex(r->authentihash_sha1[0], 4, hex);
		printf("  authentihash_sha1=%s...", hex);
		if (r->n_authentihash_sha1 > 1)
			printf("(+%zu)", r->n_authentihash_sha1 - 1);
	}
	if (r->original_filename) {
		printf("  original_filename=");
		put_safe(stdout, r->original_filename);
	}
	if (r->has_file_version) {
		char vmin[LG_FILE_VERSION_LEN], vmax[LG_FILE_VERSION_LEN];
		lg_file_version_format(r->file_version_min, vmin);
		lg_file_version_format(r->file_version_max, vmax);
		if (r->file_version_min == r->file_version_max)
			printf("  file_version=%s", vmin);
		else
			printf("  file_version=[%s, %s]", vmin, vmax);
	}
	if (r->company) {
		printf("  company=");
		put_safe(stdout, r->company);
	}
	if (r->n_signers) {
		lg_hex(r->signers[0].tbs, 4, hex);
		printf("  signer=tbs:%s...", hex);
		if (r->signers[0].publisher) {
			printf("/publisher=");
			put_safe(stdout, r->signers[0].publisher);
		}
		if (r->n_signers > 1)
			printf("(+%zu)", r->n_signers - 1);
	}
	if (r->restore) {
		printf("  restore=");
		put_safe(stdout, r->restore->bundle);
		putchar(':');
		put_safe(stdout, r->restore->entry);
	}
	if (r->description && *r->description) {
		printf("  # ");
		put_safe(stdout, r->description);
	}
	putchar('\n');
}

static int do_verify(struct opts *o)
{
	struct lg_err err = { "" };
	_cleanup_denylist_ struct lg_denylist *dl = NULL;

	int r = default_trust(o, &err);
	if (r == -ENOMEM) {
		fprintf(stderr, "lastgood denylist verify: out of memory\n");
		return LG_EXIT_ERROR;
	}
	if (r < 0 || !o->n_trust) {
		fprintf(stderr, "lastgood denylist verify: REFUSED: %s\n", err.msg);
		return LG_EXIT_DENYLIST;
	}
	r = lg_denylist_load(o->file, o->sig, o->trust, o->n_trust, o->now, &dl, &err);
	if (r == -ENOMEM) {
		fprintf(stderr, "lastgood denylist verify: out of memory\n");
		return LG_EXIT_ERROR;
	}
	if (r < 0) {
		warn_clock(o, NULL);
		fprintf(stderr, "lastgood denylist verify: REFUSED: %s\n", err.msg);
		return LG_EXIT_DENYLIST;
	}
	warn_clock(o, dl);

	char iss[LG_RFC3339_LEN], exp[LG_RFC3339_LEN], sha[65];
	lg_rfc3339_format(dl->issued, iss);
	lg_rfc3339_format(dl->expires, exp);
	lg_hex(dl->file_sha256, 32, sha);
	printf("OK: %s\n", o->file);
	printf("  signed by key %s (%s)\n", dl->key_id, key_path_for(o, dl->key_id));
	printf("  trusted comment: ");
	put_safe(stdout, dl->trusted_comment);
	printf("\n  serial %lld, issued %s, expires %s\n", (long long)dl->serial, iss, exp);
	printf("  publisher: ");
	put_safe(stdout, dl->publisher);
	printf("\n  %zu rule%s, sha256 %s\n", dl->n_rules, dl->n_rules == 1 ? "" : "s", sha);
	return LG_EXIT_OK;
}

static int do_show(struct opts *o)
{
	struct lg_err err = { "" };
	_cleanup_free_ char *buf = NULL;
	_cleanup_denylist_ struct lg_denylist *dl = NULL, *verified = NULL;
	size_t len = 0;

	int r = lg_read_file(o->file, LG_DENYLIST_MAX_BYTES, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "lastgood denylist show: %s: %s\n", o->file,
			r == -EFBIG ? "larger than the 16 MiB limit for a deny-list" : strerror(-r));
		return r == -ENOMEM ? LG_EXIT_ERROR : LG_EXIT_DENYLIST;
	}
	r = lg_denylist_parse(buf, len, &dl, &err);
	if (r < 0) {
		fprintf(stderr, "lastgood denylist show: %s: %s\n", o->file, err.msg);
		return r == -ENOMEM ? LG_EXIT_ERROR : LG_EXIT_DENYLIST;
	}

	/* The verdict, the way verify reaches it. */
	struct lg_err verr = { "" };
	int vr = default_trust(o, &verr);
	if (vr >= 0 && o->n_trust)
		vr = lg_denylist_load(o->file, o->sig, o->trust, o->n_trust, o->now, &verified, &verr);
	else if (vr >= 0)
		vr = -ENOKEY;

	char iss[LG_RFC3339_LEN], exp[LG_RFC3339_LEN];
	lg_rfc3339_format(dl->issued, iss);
	lg_rfc3339_format(dl->expires, exp);
	printf("deny-list  %s\n", o->file);
	if (vr == 0) {
		printf("verdict    OK: signed by key %s (%s), trusted comment \"", verified->key_id,
		       key_path_for(o, verified->key_id));
		put_safe(stdout, verified->trusted_comment);
		printf("\"\n");
	} else {
		printf("verdict    REFUSED: %s\n", verr.msg);
	}
	printf("schema     %d\nserial     %lld\n", dl->schema, (long long)dl->serial);
	printf("issued     %s\nexpires    %s%s\n", iss, exp, o->now >= dl->expires ? "  (EXPIRED)" : "");
	printf("publisher  ");
	put_safe(stdout, dl->publisher);
	printf("\nrules      %zu\n", dl->n_rules);
	for (size_t i = 0; i < dl->n_rules; i++)
		print_rule(&dl->rules[i]);
	warn_clock(o, dl);
	return vr == 0 ? LG_EXIT_OK : vr == -ENOMEM ? LG_EXIT_ERROR : LG_EXIT_DENYLIST;
}

/* ---------------------------------------------------------------- import */

static void import_usage(FILE *f)
{
	fprintf(f,
		"usage: lastgood denylist import --from loldrivers|sipolicy [options] INPUT\n"
		"\n"
		"Write an UNSIGNED deny-list from a published vulnerable-driver list:\n"
		"  --from loldrivers  INPUT is LOLDrivers' drivers.json\n"
		"  --from sipolicy    INPUT is a WDAC SiPolicy XML (Microsoft's driver block rules)\n"
		"\n"
		"  --action report|quarantine  what the rules do (default report: scan and report\n"
		"                   only; a vulnerable driver is not necessarily a crashing one)\n"
		"  --path GLOB      match every entry under GLOB (repeatable; default\n"
		"                   Windows/System32/drivers/** and Windows/System32/DriverStore/**)\n"
		"  -o, --output FILE  write the list there (default: standard output)\n"
		"  --serial N       the list's serial (default: the issue time in Unix seconds)\n"
		"  --now TIME       the issue time (default: the clock); RFC 3339 or @UNIX\n"
		"  --expires TIME   the expiry (default: %d days after the issue time)\n"
		"  --publisher TEXT the publisher (default: names the source)\n"
		"  --verbose        list every entry skipped, not only the first 20\n"
		"\n"
		"The summary (what was imported, what was skipped and why) goes to standard\n"
		"error. Sign the list before use: minisign -S -s KEY -m FILE.\n"
		"Exit codes: 0 written, 1 unreadable or malformed input, 2 usage.\n",
		LG_IMPORT_DEFAULT_DAYS);
}

#define IMPORT_NOTES_SHOWN 20

static void print_import_summary(const char *input, const struct lg_import_opts *o,
				 const struct lg_import_report *rep, bool verbose)
{
	FILE *f = stderr;
	bool lol = o->from == LG_IMPORT_LOLDRIVERS;
	size_t np = o->n_paths ? o->n_paths : 2;
	fprintf(f, "lastgood denylist import: ");
	put_safe(f, input);
	fprintf(f, " (%s): %zu %s, %zu %s\n", lol ? "LOLDrivers" : "SiPolicy", rep->entries,
		lol ? "drivers" : "file rules and signers", rep->samples,
		lol ? "samples" : "deny rules and denied signers");
	fprintf(f, "  imported %zu as %zu rule%s (%zu path%s each, action %s): %zu by Authenticode hash, "
		"%zu by file SHA-256, %zu by original file name",
		rep->imported, rep->rules, rep->rules == 1 ? "" : "s", np, np == 1 ? "" : "s",
		o->action == LG_ACTION_QUARANTINE ? "quarantine" : "report", rep->by_authentihash, rep->by_sha256,
		rep->by_name);
	if (!lol)
		fprintf(f, " (%zu of them with their signers), %zu by signer alone", rep->name_with_signer,
			rep->by_signer);
	fputc('\n', f);
	size_t skipped = 0;
	for (int i = 0; i < LG_IMPORT_SKIP_COUNT; i++)
		skipped += rep->skipped[i];
	fprintf(f, "  skipped %zu", skipped);
	const char *sep = ": ";
	for (int i = 0; i < LG_IMPORT_SKIP_COUNT; i++)
		if (rep->skipped[i]) {
			fprintf(f, "%s%zu %s", sep, rep->skipped[i], lg_import_skip_name((enum lg_import_skip)i));
			sep = ", ";
		}
	fputc('\n', f);
	if (rep->ignored_allow)
		fprintf(f, "  ignored %zu Allow rule%s\n", rep->ignored_allow, rep->ignored_allow == 1 ? "" : "s");
	if (rep->fallbacks)
		fprintf(f, "  %zu imported by a weaker field after a malformed hash\n", rep->fallbacks);
	if (rep->skipped[LG_IMPORT_SKIP_SIGNER])
		fprintf(f, "  %zu rule%s depend on a signer lastgood cannot check (CertOemID, CertEKU, CertIssuer, "
			"well-known root) or that no DeniedSigners list names: not imported\n", rep->skipped[LG_IMPORT_SKIP_SIGNER],
			rep->skipped[LG_IMPORT_SKIP_SIGNER] == 1 ? "" : "s");
	size_t shown = verbose ? rep->n_notes : (rep->n_notes < IMPORT_NOTES_SHOWN ? rep->n_notes : IMPORT_NOTES_SHOWN);
	for (size_t i = 0; i < shown; i++) {
		fprintf(f, "  - ");
		put_safe(f, rep->notes[i]);
		fputc('\n', f);
	}
	if (shown < rep->n_notes + rep->notes_dropped)
		fprintf(f, "  ... and %zu more (--verbose lists them)\n", rep->n_notes + rep->notes_dropped - shown);
}

static int do_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "action", required_argument, NULL, 'a' },
		{ "path", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "serial", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' },
		{ "expires", required_argument, NULL, 'e' },
		{ "publisher", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct lg_import_opts o = { .action = LG_ACTION_REPORT, .serial = -1 };
	const char *paths[LG_IMPORT_MAX_PATHS];
	const char *output = NULL;
	bool have_from = false, have_now = false, verbose = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "loldrivers"))
				o.from = LG_IMPORT_LOLDRIVERS;
			else if (!strcmp(optarg, "sipolicy"))
				o.from = LG_IMPORT_SIPOLICY;
			else {
				fprintf(stderr, "lastgood denylist import: --from loldrivers or --from sipolicy, not '%s'\n",
					optarg);
				return LG_EXIT_USAGE;
			}
			have_from = true;
			break;
		case 'a':
			if (!strcmp(optarg, "report"))
				o.action = LG_ACTION_REPORT;
			else if (!strcmp(optarg, "quarantine"))
				o.action = LG_ACTION_QUARANTINE;
			else {
				fprintf(stderr, "lastgood denylist import: --action report or --action quarantine, not '%s'\n",
					optarg);
				return LG_EXIT_USAGE;
			}
			break;
		case 'p':
			if (o.n_paths == LG_IMPORT_MAX_PATHS) {
				fprintf(stderr, "lastgood denylist import: at most %d --path\n", LG_IMPORT_MAX_PATHS);
				return LG_EXIT_USAGE;
			}
			paths[o.n_paths++] = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 's': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0) {
				fprintf(stderr, "lastgood denylist import: --serial wants a number >= 0, not '%s'\n", optarg);
				return LG_EXIT_USAGE;
			}
			o.serial = v;
			break;
		}
		case 'n':
		case 'e': {
			int64_t t;
			if (lg_rfc3339_parse_arg(optarg, &t) < 0) {
				fprintf(stderr, "lastgood denylist import: --%s wants 2024-07-19T06:00:00Z or @UNIXSECONDS, "
					"not '%s'\n", c == 'n' ? "now" : "expires", optarg);
				return LG_EXIT_USAGE;
			}
			if (c == 'n') {
				o.issued = t;
				have_now = true;
			} else {
				o.expires = t;
			}
			break;
		}
		case 'P':
			o.publisher = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			import_usage(stdout);
			return LG_EXIT_OK;
		default:
			import_usage(stderr);
			return LG_EXIT_USAGE;
		}
	}
	if (!have_from || argc - optind != 1) {
		fprintf(stderr, "lastgood denylist import: %s\n",
			!have_from ? "--from loldrivers or --from sipolicy is required" : "expected exactly one INPUT");
		import_usage(stderr);
		return LG_EXIT_USAGE;
	}
	const char *input = argv[optind];
	if (!have_now)
		o.issued = (int64_t)time(NULL);
	o.paths = paths;
	const char *slash = strrchr(input, '/');
	o.source = slash ? slash + 1 : input;

	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = lg_read_file(input, LG_IMPORT_MAX_INPUT, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "lastgood denylist import: %s: %s\n", input,
			r == -EFBIG ? "larger than the 256 MiB import limit" : strerror(-r));
		return LG_EXIT_ERROR;
	}
	struct lg_err err = { "" };
	struct lg_import_report rep;
	_cleanup_free_ char *out = NULL;
	size_t out_len = 0;
	r = lg_import(buf, len, &o, &out, &out_len, &rep, &err);
	if (r < 0) {
		fprintf(stderr, "lastgood denylist import: %s: %s\n", input, r == -ENOMEM ? "out of memory" : err.msg);
		lg_import_report_clear(&rep);
		return LG_EXIT_ERROR;
	}
	print_import_summary(input, &o, &rep, verbose);
	if (!rep.imported)
		fprintf(stderr, "  warning: nothing was imported: the list has no rules\n");
	lg_import_report_clear(&rep);
	if (output) {
		r = lg_write_file_atomic(output, out, out_len);
		if (r < 0) {
			fprintf(stderr, "lastgood denylist import: cannot write %s: %s\n", output, strerror(-r));
			return LG_EXIT_ERROR;
		}
		fprintf(stderr, "  wrote %s, UNSIGNED: sign it with minisign -S -s KEY -m %s\n", output, output);
	} else if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout)) {
		fprintf(stderr, "lastgood denylist import: cannot write to standard output: %s\n", strerror(errno));
		return LG_EXIT_ERROR;
	}
	return LG_EXIT_OK;
}

int cmd_denylist(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? LG_EXIT_USAGE : LG_EXIT_OK;
	}
	if (!strcmp(argv[1], "import"))
		return do_import(argc - 1, argv + 1);
	bool verify = !strcmp(argv[1], "verify");
	if (!verify && strcmp(argv[1], "show")) {
		fprintf(stderr, "lastgood denylist: unknown action '%s' (verify, show or import)\n", argv[1]);
		usage(stderr);
		return LG_EXIT_USAGE;
	}
	struct opts o = {};
	int r = parse_args(argc - 1, argv + 1, &o);
	int rc;
	if (r == -ENOMEM)
		rc = LG_EXIT_ERROR;
	else if (r < 0)
		rc = LG_EXIT_USAGE;
	else
		rc = verify ? do_verify(&o) : do_show(&o);
	free(o.trust);
	lg_trust_keys_free(o.dir_keys, o.n_dir_keys);
	return rc;
}
