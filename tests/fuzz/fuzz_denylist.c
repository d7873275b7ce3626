// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the deny-list parser (JSON, schema, globs, times, the
 * line/column locator) and the state.json parser, on arbitrary bytes.
 * Beyond "no crash, no leak, no UB", it checks what a parsed list
 * promises to the matcher, including that glob.c compiles every path.
 */
#include "formats/denylist.h"
#include "formats/glob.h"

#include <stdint.h>

#define REQUIRE(c)                                  \
	do {                                        \
		if (!(c))                           \
			__builtin_trap();           \
	} while (0)

static void check_list(const struct lg_denylist *dl)
{
	REQUIRE(dl->schema == 1 && dl->serial >= 0 && dl->expires > dl->issued && dl->publisher);
	REQUIRE(dl->n_rules <= LG_DENYLIST_MAX_RULES);
	for (size_t i = 0; i < dl->n_rules; i++) {
		const struct lg_rule *r = &dl->rules[i];
		REQUIRE(r->id && r->description && r->path && r->line >= 1);
		/* paths the matcher can trust: relative, '/'-separated, no '..' */
		REQUIRE(r->path[0] && r->path[0] != '/' && !strchr(r->path, '\\') && !strchr(r->path, ':'));
		REQUIRE(strcmp(r->path, "..") && strncmp(r->path, "../", 3) && !strstr(r->path, "/../") &&
			!strstr(r->path, "//"));
		size_t pl = strlen(r->path);
		REQUIRE(!(pl >= 3 && !strcmp(r->path + pl - 3, "/..")) && r->path[pl - 1] != '/');
		/* what the loader accepts, the matcher must compile */
		struct lg_glob *g = NULL;
		REQUIRE(lg_glob_compile(r->path, &g, NULL) == 0);
		lg_glob_free(g);
		REQUIRE(!r->has_size || r->size_min <= r->size_max);
		REQUIRE((r->sha256 != NULL) == (r->n_sha256 > 0));
		REQUIRE((r->header != NULL) == (r->header_len > 0));
		if (r->has_modified_after && r->has_modified_before)
			REQUIRE(r->modified_after < r->modified_before);
		REQUIRE(r->action == LG_ACTION_QUARANTINE || r->action == LG_ACTION_REPORT);
		if (r->restore) {
			REQUIRE(r->action == LG_ACTION_QUARANTINE);
			REQUIRE(r->restore->bundle && !strchr(r->restore->bundle, '/'));
			REQUIRE(r->restore->entry && r->restore->entry[0] != '/');
		}
		for (size_t j = 0; j < i; j++)
			if (i < 64) /* ids unique (quadratic: only the first ones) */
				REQUIRE(strcmp(dl->rules[j].id, r->id));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_denylist *dl = NULL;
	struct lg_err err = { "" };

	int r = lg_denylist_parse((const char *)data, size, &dl, &err);
	if (r == 0) {
		REQUIRE(dl != NULL);
		check_list(dl);
		lg_denylist_free(dl);
	} else {
		REQUIRE(dl == NULL && err.msg[0] && memchr(err.msg, 0, sizeof(err.msg)));
	}

	int64_t hs = -1;
	err.msg[0] = 0;
	if (lg_state_parse((const char *)data, size, &hs, &err) == 0)
		REQUIRE(hs >= 0);
	else
		REQUIRE(err.msg[0]);

	/* the time parser on a NUL-terminated prefix */
	char t[40];
	size_t n = size < sizeof(t) - 1 ? size : sizeof(t) - 1;
	memcpy(t, data, n);
	t[n] = 0;
	int64_t s, nt;
	if (lg_rfc3339_parse(t, &s, &nt) == 0) {
		char back[LG_RFC3339_LEN];
		lg_rfc3339_format(s, back);
		REQUIRE(!strncmp(back, t, 19)); /* seconds round-trip */
		REQUIRE(nt >= lg_unix_to_nt(s) && nt < lg_unix_to_nt(s) + 10000000);
	}
	return 0;
}
