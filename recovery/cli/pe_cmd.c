// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood pe: read each file once, run the PE parser of formats/pe.c over
 * it and print what a deny-list rule can match (text or JSON). The parser
 * does not print; this is its front end.
 */
#include "cli/commands.h"
#include "formats/authenticode.h"
#include "formats/pe.h"
#include "lib/rfc3339.h"

#include <getopt.h>
#include <jansson.h>

/* Drivers are a few MiB; the largest PE files seen in practice are a few
 * hundred. The whole file is read once and hashed from memory. */
#define LG_PE_MAX_FILE (512u << 20)

struct pe_report {
	const char *path;
	size_t size;
	struct lg_pe_info info;
	struct lg_pe_version ver;
	int ver_r;                  /* 0, -ENOENT (none) or an error */
	struct lg_err ver_err;
	unsigned char sha256[LG_SHA256_LEN];
	unsigned char auth256[LG_SHA256_LEN];
	unsigned char auth1[LG_SHA1_LEN];
	unsigned char unpadded256[LG_SHA256_LEN]; /* only when info.pad_bytes */
	unsigned char unpadded1[LG_SHA1_LEN];
	struct lg_authenticode *ac; /* NULL when unsigned */
	int ac_r;                   /* 0 or the error reading the signatures */
	struct lg_err ac_err;
};

/* Strings from the file may hold terminal control sequences: show those
 * bytes as \xNN instead of sending them to the terminal. */
static void print_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static int pe_examine(const char *path, struct pe_report *rep, struct lg_err *err)
{
	_cleanup_free_ char *raw = NULL;
	size_t len = 0;
	int r = lg_read_file(path, LG_PE_MAX_FILE, &raw, &len);
	if (r == -EFBIG) {
		lg_err_set(err, "larger than %u MiB, not read", LG_PE_MAX_FILE >> 20);
		return r;
	}
	if (r < 0) {
		lg_err_set(err, "cannot read: %s", strerror(-r));
		return r;
	}
	const unsigned char *buf = (const unsigned char *)raw;
	rep->path = path;
	rep->size = len;
	r = lg_pe_parse(buf, len, &rep->info, err);
	if (r < 0)
		return r;
	r = lg_hash_buf(buf, len, rep->sha256, NULL);
	if (r >= 0)
		r = lg_pe_authentihash(buf, len, &rep->info, rep->auth256, rep->auth1);
	if (r >= 0 && rep->info.pad_bytes)
		r = lg_pe_authentihash_unpadded(buf, len, &rep->info, rep->unpadded256,
						rep->unpadded1);
	if (r < 0) {
		lg_err_set(err, "hashing failed: %s", strerror(-r));
		return r;
	}
	rep->ver_r = lg_pe_version(buf, len, &rep->info, &rep->ver, &rep->ver_err);
	if (rep->info.cert_size) {
		rep->ac = malloc(sizeof(*rep->ac));
		if (!rep->ac) {
			lg_err_set(err, "out of memory");
			return -ENOMEM;
		}
		rep->ac_r = lg_authenticode_read(buf, len, &rep->info, rep->auth256, rep->auth1, LG_AC_VERIFY, rep->ac,
						 &rep->ac_err);
		if (rep->ac_r == -ENOMEM) {
			lg_err_set(err, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

static const char *tri(int v, const char *yes, const char *no, const char *unknown)
{
	return v > 0 ? yes : v == 0 ? no : unknown;
}

static void print_cert(const struct lg_ac_sig *s, unsigned k)
{
	const struct lg_ac_cert *c = &s->certs[k];
	char hex[2 * LG_AC_DIGEST_MAX + 1], t1[LG_RFC3339_LEN], t2[LG_RFC3339_LEN];
	printf("    certificate %u%s\n", k, (int)k == s->signer ? " (signer)" : "");
	printf("      %-24s ", "subject_cn");
	print_safe(c->subject_cn);
	printf("\n      %-24s ", "issuer_cn");
	print_safe(c->issuer_cn);
	printf("\n      %-24s %s\n", "serial", c->serial);
	lg_hex(c->sha1, 20, hex);
	printf("      %-24s %s\n", "sha1", hex);
	lg_hex(c->sha256, 32, hex);
	printf("      %-24s %s\n", "sha256", hex);
	if (c->tbs_len) {
		lg_hex(c->tbs, c->tbs_len, hex);
		printf("      %-24s %s (%s)\n", "tbs_hash", hex, c->tbs_alg);
	} else
		printf("      %-24s unknown (no digest in the signature algorithm)\n", "tbs_hash");
	lg_rfc3339_format(c->not_before, t1);
	lg_rfc3339_format(c->not_after, t2);
	printf("      %-24s %s .. %s\n", "valid", t1, t2);
}

static void print_signatures(const struct pe_report *rep)
{
	if (!rep->ac)
		return;
	if (rep->ac_r < 0) {
		printf("  %-28s unreadable (%s)\n", "signatures", rep->ac_err.msg);
		return;
	}
	const struct lg_authenticode *ac = rep->ac;
	printf("  %-28s %u\n", "signatures", ac->n_sigs);
	if (ac->n_bad) {
		printf("  %-28s %u not decoded (", "signature_problems", ac->n_bad);
		print_safe(ac->bad);
		puts(")");
	}
	if (ac->sigs_dropped)
		printf("  %-28s %u more not read (limit %d)\n", "signatures_dropped", ac->sigs_dropped,
		       LG_AC_MAX_SIGS);
	char hex[2 * LG_AC_DIGEST_MAX + 1], t[LG_RFC3339_LEN];
	for (unsigned i = 0; i < ac->n_sigs; i++) {
		const struct lg_ac_sig *s = &ac->sigs[i];
		if (s->parent >= 0)
			printf("  signature %u (nested in signature %d)\n", i, s->parent);
		else
			printf("  signature %u (certificate table entry %u)\n", i, s->entry);
		lg_hex(s->digest, s->digest_len, hex);
		printf("    %-26s %s (%s)\n", "digest", hex, s->digest_alg[0] ? s->digest_alg : "unknown");
		printf("    %-26s %s\n", "digest_matches_file",
		       tri(s->digest_matches_file, "yes",
			   "NO: the file was changed after signing", "not checked (algorithm)"));
		printf("    %-26s %s\n", "signature_verifies",
		       tri(s->signature_ok, "yes", "NO", "not checked (no signer certificate)"));
		printf("    %-26s %s\n", "chain_verifies",
		       tri(s->chain_ok, "yes (as carried, not against a trust store)", "NO", "no chain"));
		if (s->has_time) {
			lg_rfc3339_format(s->signing_time, t);
			printf("    %-26s %s (%s)\n", "signing_time", t, s->time_source);
		} else
			printf("    %-26s none (no timestamp)\n", "signing_time");
		printf("    %-26s", "chain");
		for (unsigned k = 0; k < s->n_chain; k++)
			printf(" %u", s->chain[k]);
		puts(s->n_chain ? "" : " none (the signer certificate is not carried)");
		for (unsigned k = 0; k < s->n_certs; k++)
			print_cert(s, k);
		if (s->certs_dropped)
			printf("    %u more certificates not read (limit %d)\n", s->certs_dropped,
			       LG_AC_MAX_CERTS);
	}
}

static void version_str(const uint16_t v[4], char out[24])
{
	snprintf(out, 24, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
}

static void print_text(const struct pe_report *rep)
{
	const struct lg_pe_info *in = &rep->info;
	char hex[2 * LG_SHA256_LEN + 1];
	const char *name;

	print_safe(rep->path);
	putchar('\n');
	printf("  %-28s %zu\n", "size", rep->size);
	name = lg_pe_machine_name(in->machine);
	printf("  %-28s %s (0x%04x)\n", "machine", name ? name : "unknown", in->machine);
	printf("  %-28s %s\n", "format", in->pe32plus ? "PE32+" : "PE32");
	name = lg_pe_subsystem_name(in->subsystem);
	printf("  %-28s %s (%u)\n", "subsystem", name ? name : "unknown", in->subsystem);
	lg_hex(rep->sha256, LG_SHA256_LEN, hex);
	printf("  %-28s %s\n", "sha256", hex);
	lg_hex(rep->auth256, LG_SHA256_LEN, hex);
	printf("  %-28s %s\n", "authentihash_sha256", hex);
	lg_hex(rep->auth1, LG_SHA1_LEN, hex);
	printf("  %-28s %s\n", "authentihash_sha1", hex);
	if (in->pad_bytes) {
		/* Unsigned, size not a multiple of 8: some tools skip the padding. */
		lg_hex(rep->unpadded256, LG_SHA256_LEN, hex);
		printf("  %-28s %s\n", "authentihash_sha256_unpadded", hex);
		lg_hex(rep->unpadded1, LG_SHA1_LEN, hex);
		printf("  %-28s %s\n", "authentihash_sha1_unpadded", hex);
	}
	if (in->cert_size)
		printf("  %-28s %u bytes at 0x%x\n", "certificate_table", in->cert_size, in->cert_offset);
	else
		printf("  %-28s none (unsigned)\n", "certificate_table");

	if (rep->ver_r == -ENOENT) {
		printf("  %-28s none (%s)\n", "version", rep->ver_err.msg);
		print_signatures(rep);
		return;
	}
	if (rep->ver_r < 0) {
		printf("  %-28s unreadable (%s)\n", "version", rep->ver_err.msg);
		print_signatures(rep);
		return;
	}
	char v[24];
	if (rep->ver.has_fixed) {
		version_str(rep->ver.file_version, v);
		printf("  %-28s %s\n", "file_version", v);
		version_str(rep->ver.product_version, v);
		printf("  %-28s %s\n", "product_version", v);
	} else
		printf("  %-28s none (no VS_FIXEDFILEINFO)\n", "file_version");
	for (unsigned k = 0; k < LG_PE_STR_COUNT; k++) {
		if (!rep->ver.has_str[k])
			continue;
		printf("  %-28s ", lg_pe_str_key(k));
		print_safe(rep->ver.str[k]);
		puts(rep->ver.truncated[k] ? " [truncated]" : "");
	}
	print_signatures(rep);
}

static json_t *json_hex(const unsigned char *b, size_t n)
{
	char hex[2 * LG_AC_DIGEST_MAX + 1];
	if (n > LG_AC_DIGEST_MAX)
		n = LG_AC_DIGEST_MAX;
	lg_hex(b, n, hex);
	return json_string(hex);
}

static json_t *json_tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *json_time(int64_t t)
{
	char s[LG_RFC3339_LEN];
	lg_rfc3339_format(t, s);
	return json_string(s);
}

static json_t *cert_json(const struct lg_ac_cert *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "subject_cn", json_string(c->subject_cn));
	json_object_set_new(o, "issuer_cn", json_string(c->issuer_cn));
	json_object_set_new(o, "serial", json_string(c->serial));
	json_object_set_new(o, "sha1", json_hex(c->sha1, 20));
	json_object_set_new(o, "sha256", json_hex(c->sha256, 32));
	json_object_set_new(o, "tbs_algorithm", c->tbs_len ? json_string(c->tbs_alg) : json_null());
	json_object_set_new(o, "tbs_hash", c->tbs_len ? json_hex(c->tbs, c->tbs_len) : json_null());
	json_object_set_new(o, "not_before", json_time(c->not_before));
	json_object_set_new(o, "not_after", json_time(c->not_after));
	json_object_set_new(o, "issuer_index", c->issuer >= 0 ? json_integer(c->issuer) : json_null());
	return o;
}

static json_t *signatures_json(const struct pe_report *rep)
{
	const struct lg_authenticode *ac = rep->ac;
	json_t *a = json_array();
	for (unsigned i = 0; ac && rep->ac_r == 0 && i < ac->n_sigs; i++) {
		const struct lg_ac_sig *s = &ac->sigs[i];
		json_t *o = json_object();
		json_object_set_new(o, "index", json_integer(i));
		json_object_set_new(o, "nested_in", s->parent >= 0 ? json_integer(s->parent) : json_null());
		json_object_set_new(o, "table_entry", json_integer(s->entry));
		json_object_set_new(o, "digest_algorithm", json_string(s->digest_alg));
		json_object_set_new(o, "digest", json_hex(s->digest, s->digest_len));
		json_object_set_new(o, "digest_matches_file", json_tri(s->digest_matches_file));
		json_object_set_new(o, "signature_verifies", json_tri(s->signature_ok));
		json_object_set_new(o, "chain_verifies", json_tri(s->chain_ok));
		json_object_set_new(o, "signing_time", s->has_time ? json_time(s->signing_time) : json_null());
		json_object_set_new(o, "signing_time_source",
				    s->has_time ? json_string(s->time_source) : json_null());
		json_object_set_new(o, "signer", s->signer >= 0 ? json_integer(s->signer) : json_null());
		json_t *ch = json_array();
		for (unsigned k = 0; k < s->n_chain; k++)
			json_array_append_new(ch, json_integer(s->chain[k]));
		json_object_set_new(o, "chain", ch);
		json_t *cs = json_array();
		for (unsigned k = 0; k < s->n_certs; k++)
			json_array_append_new(cs, cert_json(&s->certs[k]));
		json_object_set_new(o, "certificates", cs);
		if (s->certs_dropped)
			json_object_set_new(o, "certificates_dropped", json_integer(s->certs_dropped));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *report_json(const struct pe_report *rep)
{
	const struct lg_pe_info *in = &rep->info;
	json_t *o = json_object();
	if (!o)
		return NULL;
	const char *machine = lg_pe_machine_name(in->machine);
	const char *subsystem = lg_pe_subsystem_name(in->subsystem);
	json_object_set_new(o, "path", json_string(rep->path));
	json_object_set_new(o, "size", json_integer((json_int_t)rep->size));
	json_object_set_new(o, "machine", json_string(machine ? machine : "unknown"));
	json_object_set_new(o, "machine_id", json_integer(in->machine));
	json_object_set_new(o, "format", json_string(in->pe32plus ? "PE32+" : "PE32"));
	json_object_set_new(o, "subsystem", json_string(subsystem ? subsystem : "unknown"));
	json_object_set_new(o, "subsystem_id", json_integer(in->subsystem));
	json_object_set_new(o, "sha256", json_hex(rep->sha256, LG_SHA256_LEN));
	json_object_set_new(o, "authentihash_sha256", json_hex(rep->auth256, LG_SHA256_LEN));
	json_object_set_new(o, "authentihash_sha1", json_hex(rep->auth1, LG_SHA1_LEN));
	if (in->pad_bytes) {
		json_object_set_new(o, "authentihash_sha256_unpadded",
				    json_hex(rep->unpadded256, LG_SHA256_LEN));
		json_object_set_new(o, "authentihash_sha1_unpadded",
				    json_hex(rep->unpadded1, LG_SHA1_LEN));
	}
	if (in->cert_size)
		json_object_set_new(o, "certificate_table",
				    json_pack("{s:I,s:I}", "offset", (json_int_t)in->cert_offset,
					      "size", (json_int_t)in->cert_size));
	else
		json_object_set_new(o, "certificate_table", json_null());

	char v[24];
	bool fixed = rep->ver_r == 0 && rep->ver.has_fixed;
	if (fixed)
		version_str(rep->ver.file_version, v);
	json_object_set_new(o, "file_version", fixed ? json_string(v) : json_null());
	if (fixed)
		version_str(rep->ver.product_version, v);
	json_object_set_new(o, "product_version", fixed ? json_string(v) : json_null());
	json_t *strs = json_object();
	for (unsigned k = 0; rep->ver_r == 0 && k < LG_PE_STR_COUNT; k++)
		if (rep->ver.has_str[k])
			json_object_set_new(strs, lg_pe_str_key(k), json_string(rep->ver.str[k]));
	json_object_set_new(o, "version_strings", strs);
	if (rep->ver_r < 0 && rep->ver_r != -ENOENT)
		json_object_set_new(o, "version_error", json_string(rep->ver_err.msg));
	json_object_set_new(o, "signatures", signatures_json(rep));
	if (rep->ac && rep->ac_r < 0)
		json_object_set_new(o, "signature_error", json_string(rep->ac_err.msg));
	else if (rep->ac && rep->ac->n_bad)
		json_object_set_new(o, "signature_problems",
				    json_pack("{s:I,s:s}", "count", (json_int_t)rep->ac->n_bad, "first",
					      rep->ac->bad));
	if (rep->ac && rep->ac->sigs_dropped)
		json_object_set_new(o, "signatures_dropped", json_integer(rep->ac->sigs_dropped));
	return o;
}

static void pe_usage(FILE *f)
{
	fprintf(f, "usage: lastgood pe [--json] FILE...\n\n"
		   "Print what a deny-list rule can match in each PE file (driver, EFI binary,\n"
		   "executable): machine, PE32/PE32+, sha256 of the file, the Authenticode\n"
		   "hashes (SHA-256 and SHA-1), file and product version, version strings, and\n"
		   "each Authenticode signature: the digest it signs and whether the file still\n"
		   "has it, signing time, signer and certificates with their TBS hashes.\n\n"
		   "  --json   one JSON object per file (an array when there are several)\n\n"
		   "Exit: 0 every file read, 1 a file was unreadable or not a valid PE, 2 usage.\n");
}

int cmd_pe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			pe_usage(stdout);
			return LG_EXIT_OK;
		default:
			pe_usage(stderr);
			return LG_EXIT_USAGE;
		}
	}
	int nfiles = argc - optind;
	if (nfiles < 1) {
		fprintf(stderr, "lastgood pe: no FILE given\n");
		pe_usage(stderr);
		return LG_EXIT_USAGE;
	}

	_cleanup_free_ struct pe_report *rep = malloc(sizeof(*rep));
	json_t *all = json && nfiles > 1 ? json_array() : NULL;
	json_t *one = NULL;
	int failed = 0;
	if (!rep || (json && nfiles > 1 && !all)) {
		fprintf(stderr, "lastgood pe: out of memory\n");
		json_decref(all);
		return LG_EXIT_ERROR;
	}
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		struct lg_err err = { "" };
		free(rep->ac);
		memset(rep, 0, sizeof(*rep));
		int r = pe_examine(path, rep, &err);
		json_t *o = NULL;
		if (r < 0) {
			failed++;
			fprintf(stderr, "lastgood pe: %s: %s\n", path, err.msg);
			if (json)
				o = json_pack("{s:s,s:s}", "path", path, "error", err.msg);
		} else {
			if (rep->ver_r < 0 && rep->ver_r != -ENOENT) {
				failed++;
				fprintf(stderr, "lastgood pe: %s: version information: %s\n", path,
					rep->ver_err.msg);
			}
			if (json)
				o = report_json(rep);
			else {
				if (i > optind)
					putchar('\n');
				print_text(rep);
			}
		}
		if (json && !o) {
			free(rep->ac);
			fprintf(stderr, "lastgood pe: out of memory\n");
			json_decref(all);
			return LG_EXIT_ERROR;
		}
		if (all)
			json_array_append_new(all, o);
		else if (o)
			one = o;
	}
	free(rep->ac);
	rep->ac = NULL;
	if (json) {
		json_t *out = all ? all : one;
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(out);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "lastgood pe: writing the output failed: %s\n", strerror(errno));
		return LG_EXIT_ERROR;
	}
	return failed ? LG_EXIT_ERROR : LG_EXIT_OK;
}
