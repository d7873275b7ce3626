// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood denylist verify|show: the deny-list gate as a command, for the
 * people who write lists and for scripts (docs/denylist.md).
 */
#include "commands.h"
#include "denylist.h"
#include "minisign.h"

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
		"\n"
		"verify  check the signature (default FILE.minisig), the schema and the expiry;\n"
		"        exit 0 when the list would be used, 5 with the reason when not\n"
		"show    print the list (serial, dates, publisher, one line per rule) and\n"
		"        whether verify would accept it (exit 0) or not (exit 5)\n"
		"\n"
		"  --trust KEY.pub  a trusted minisign public key (repeatable); without it, the\n"
		"                   *.pub files of $LASTGOOD_TRUST_DIR, else of " LG_TRUST_DIR_DEFAULT "\n"
		"  --sig FILE       the signature file\n"
		"  --now TIME       check the expiry against TIME (2024-07-19T06:00:00Z or @UNIX)\n"
		"                   instead of the clock. Only for a machine whose clock is wrong:\n"
		"                   a TIME in the past makes an expired list pass.\n");
}

static int parse_now(const char *s, int64_t *out)
{
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return lg_rfc3339_parse(s, out, NULL);
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
			if (parse_now(optarg, &o->now) < 0) {
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
	const char *dir = getenv("LASTGOOD_TRUST_DIR");
	if (!dir || !*dir)
		dir = LG_TRUST_DIR_DEFAULT;
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

int cmd_denylist(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? LG_EXIT_USAGE : LG_EXIT_OK;
	}
	bool verify = !strcmp(argv[1], "verify");
	if (!verify && strcmp(argv[1], "show")) {
		fprintf(stderr, "lastgood denylist: unknown action '%s' (verify or show)\n", argv[1]);
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
