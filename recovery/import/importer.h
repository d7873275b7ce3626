/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Importers: published vulnerable-driver lists turned into a lastgood
 * deny-list (docs/importers.md). Two sources:
 *
 *  - LOLDrivers' drivers.json: each KnownVulnerableSamples entry becomes
 *    one rule, on its Authentihash.SHA256, else its SHA256, else its
 *    OriginalFilename with an exact FileVersion.
 *  - A WDAC SiPolicy XML (Microsoft's recommended driver block rules):
 *    Deny rules with an Authenticode Hash (SHA-1 or SHA-256; page hashes
 *    are left out) and Deny/FileAttrib rules on FileName with
 *    MinimumFileVersion/MaximumFileVersion; FileAttrib rules bound to
 *    denied signers become name + version + signer rules, denied signers
 *    without FileAttribRef signer-only rules (docs/importers.md). Signers
 *    with conditions lastgood cannot check are reported and skipped.
 *
 * Each imported entry gives one rule per path glob (by default anywhere
 * below Windows/System32/drivers and Windows/System32/DriverStore), with
 * "action": "report" unless the caller asks for "quarantine": a
 * vulnerable driver is not necessarily one that stops Windows from
 * booting. The result is an unsigned list, checked by lg_denylist_parse()
 * before it is returned; it is to be signed with minisign.
 *
 * The input is hostile: every field is checked for type and form before
 * use, strings going into the list are cleaned of control characters and
 * capped, XML with a document type declaration is refused (no entity
 * expansion, no network), and the number of rules is capped by the
 * deny-list limits. Nothing here prints: what was skipped and why is in
 * the report, for the caller to show.
 *
 * Ownership: lg_import() allocates *out (free()) and the report's notes
 * (lg_import_report_clear()). Errors: -EINVAL (the input is not the
 * format asked for: message with line/column where known), -E2BIG (more
 * rules than a deny-list may hold), -EFBIG (input over
 * LG_IMPORT_MAX_INPUT, or a result over the 16 MiB deny-list limit),
 * -ENOMEM.
 */
#ifndef LG_IMPORTER_H
#define LG_IMPORTER_H

#include "formats/denylist.h"
#include "lib/util.h"

#define LG_IMPORT_MAX_INPUT (256u << 20)
#define LG_IMPORT_MAX_PATHS 16
/* Lines kept in the report's notes; further ones are only counted. */
#define LG_IMPORT_NOTES_MAX 10000
/* Default validity of an imported list. */
#define LG_IMPORT_DEFAULT_DAYS 30

enum lg_import_from {
	LG_IMPORT_LOLDRIVERS,
	LG_IMPORT_SIPOLICY,
};

struct lg_import_opts {
	enum lg_import_from from;
	const char *const *paths;  /* globs every imported entry is matched under; n_paths 0: the defaults */
	size_t n_paths;
	enum lg_action action;     /* LG_ACTION_REPORT, or LG_ACTION_QUARANTINE when asked for */
	int64_t issued;            /* Unix seconds */
	int64_t expires;           /* Unix seconds; 0: issued + LG_IMPORT_DEFAULT_DAYS days */
	int64_t serial;            /* < 0: issued (grows with every import) */
	const char *publisher;     /* NULL: names the source */
	const char *source;        /* input file name for the publisher text; may be NULL */
};

/* Why an entry was not imported (each skipped entry has one reason). */
enum lg_import_skip {
	LG_IMPORT_SKIP_NOTHING,    /* no hash, no file name with a version */
	LG_IMPORT_SKIP_HASH,       /* its only hash was malformed (not hex, wrong length) */
	LG_IMPORT_SKIP_VERSION,    /* a file name whose version is free text that does not parse */
	LG_IMPORT_SKIP_NAME,       /* a file name that cannot be matched (control characters, too long, wildcard) */
	LG_IMPORT_SKIP_DUPLICATE,  /* the same hash or name/version as an earlier entry */
	LG_IMPORT_SKIP_PAGE_HASH,  /* SiPolicy page hash (first page only), not an Authenticode hash */
	LG_IMPORT_SKIP_SIGNER,     /* SiPolicy rule bound to a signer lastgood cannot check (CertOemID,
				      CertEKU, CertIssuer, a well-known root), or to an allowed signer */
	LG_IMPORT_SKIP_UNSUPPORTED,/* a malformed entry, or a kind of rule lastgood cannot match */
	LG_IMPORT_SKIP_FILE_PATH,  /* SiPolicy FilePath rule */
	LG_IMPORT_SKIP_PACKAGE,    /* SiPolicy packaged-app rule (PackageFamilyName, PackageVersion) */
	LG_IMPORT_SKIP_OTHER_ATTR, /* SiPolicy rule on InternalName, FileDescription, ProductName, AppIDs */
	LG_IMPORT_SKIP_COUNT,
};

struct lg_import_report {
	size_t entries;            /* LOLDrivers: drivers; SiPolicy: FileRules children and Signers */
	size_t samples;            /* LOLDrivers: samples; SiPolicy: Deny and FileAttrib rules, denied signers */
	size_t imported;           /* entries that became rules */
	size_t by_authentihash, by_sha256, by_name;
	size_t by_signer;          /* SiPolicy denied signers without FileAttribRef: signer-only rules */
	size_t name_with_signer;   /* of by_name: SiPolicy FileAttrib rules bound to their signers */
	size_t rules;              /* rules written: imported x paths */
	size_t skipped[LG_IMPORT_SKIP_COUNT];
	size_t ignored_allow;      /* SiPolicy Allow rules (not deny rules) */
	size_t fallbacks;          /* imported by a weaker field after a malformed stronger one */
	char **notes;              /* one line each, for people */
	size_t n_notes, notes_dropped;
};

/* A short name of each skip reason, for summaries ("malformed hash"). */
const char *lg_import_skip_name(enum lg_import_skip s);

int lg_import(const char *buf, size_t len, const struct lg_import_opts *o, char **out, size_t *out_len,
	      struct lg_import_report *rep, struct lg_err *err);

/* Frees the notes and zeroes the report; takes NULL. */
void lg_import_report_clear(struct lg_import_report *rep);

#endif
