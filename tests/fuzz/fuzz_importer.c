// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: `lastgood denylist import` on arbitrary bytes, as
 * LOLDrivers JSON and as SiPolicy XML (libxml2 under importer.c's
 * options: no DTD, no network). The first byte picks the format, the
 * second the options (action, paths). Beyond "no crash, no leak, no UB":
 * an import that succeeds returns a list the strict loader accepts, with
 * one rule per imported entry and path, each with the action asked for,
 * and the report's counts add up.
 */
#include "import/importer.h"

#include <stdint.h>

#define REQUIRE(c)                                  \
	do {                                        \
		if (!(c))                           \
			__builtin_trap();           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static const char *const paths[] = { "Windows/System32/drivers/**", "**/*.sys", "Windows/x.sys" };
	struct lg_import_opts o = {
		.from = data[0] & 1 ? LG_IMPORT_SIPOLICY : LG_IMPORT_LOLDRIVERS,
		.action = data[1] & 1 ? LG_ACTION_QUARANTINE : LG_ACTION_REPORT,
		.paths = paths,
		.n_paths = (data[1] >> 1) % 4, /* 0: the defaults */
		.issued = 1722470400,
		.serial = -1,
		.source = "fuzz",
	};
	struct lg_import_report rep;
	struct lg_err err = { "" };
	char *out = NULL;
	size_t out_len = 0;
	int r = lg_import((const char *)data + 2, size - 2, &o, &out, &out_len, &rep, &err);
	if (r < 0) {
		REQUIRE(!out && (err.msg[0] || r == -ENOMEM));
		lg_import_report_clear(&rep);
		return 0;
	}
	REQUIRE(out && out_len == strlen(out));
	struct lg_denylist *dl = NULL;
	REQUIRE(lg_denylist_parse(out, out_len, &dl, &err) == 0);
	size_t np = o.n_paths ? o.n_paths : 2;
	REQUIRE(dl->n_rules == rep.imported * np && rep.rules == dl->n_rules);
	REQUIRE(rep.imported == rep.by_authentihash + rep.by_sha256 + rep.by_name + rep.by_signer);
	REQUIRE(rep.name_with_signer <= rep.by_name);
	size_t skipped = 0;
	for (int i = 0; i < LG_IMPORT_SKIP_COUNT; i++)
		skipped += rep.skipped[i];
	/* Every entry is imported or skipped for one reason (LOLDrivers also
	 * counts drivers without samples as skipped). */
	if (o.from == LG_IMPORT_SIPOLICY)
		REQUIRE(rep.imported + skipped == rep.samples);
	else
		REQUIRE(rep.imported + skipped >= rep.samples);
	for (size_t i = 0; i < dl->n_rules; i++) {
		const struct lg_rule *rl = &dl->rules[i];
		REQUIRE(rl->action == o.action);
		/* a hash, a file name (with a version range and maybe signers), or
		 * signers alone (a denied signer without FileAttribRef) */
		REQUIRE(rl->n_sha256 + rl->n_authentihash_sha256 + rl->n_authentihash_sha1 == 1 ||
			rl->original_filename || rl->n_signers);
		REQUIRE(!strcmp(rl->path, o.n_paths ? paths[i % np]
						    : i % 2 ? "Windows/System32/DriverStore/**"
							    : "Windows/System32/drivers/**"));
	}
	lg_denylist_free(dl);
	free(out);
	lg_import_report_clear(&rep);
	return 0;
}
