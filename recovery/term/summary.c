// SPDX-License-Identifier: GPL-2.0-or-later
/* The human summary of a run, from its report (term/summary.h). */
#include "term/summary.h"

#include "lib/escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void out(lg_line_fn line, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void out(lg_line_fn line, void *ctx, const char *fmt, ...)
{
	char buf[2048], shown[2048 * 6];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Names and reasons come from the volume: a control character in
	 * one must not move the cursor or forge a line (lib/escape.h). */
	lg_escape_term(buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, shown, sizeof(shown),
		       false);
	line(ctx, shown);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void unlocked_line(const json_t *v, lg_line_fn line, void *ctx)
{
	json_t *ul = json_object_get(v, "unlock");
	const char *src = str(ul, "key_source"), *prot = str(ul, "protector"), *with = str(ul, "unlocked_with");
	if (!json_object_get(v, "mapped_device") || !src)
		return;
	out(line, ctx, "    BitLocker volume %s unlocked: %s %s%s%s%s%s",
	    str(json_object_get(v, "bitlocker"), "volume_guid"),
	    with && !strcmp(with, "startup-key") ? "startup key" : "recovery password",
	    strstr(src, "typed") ? "" : "from ", src, prot ? " (protector " : "", prot ? prot : "", prot ? ")" : "");
}

static void match_line(const json_t *m, lg_line_fn line, void *ctx)
{
	const char *res = str(m, "result"), *ref = str(m, "refused"), *er = str(m, "error");
	out(line, ctx, "    [%s] %s (%lld bytes, modified %s)%s%s%s%s", str(m, "rule"), str(m, "path"), num(m, "size"),
	    str(json_object_get(m, "times"), "modified"), res ? " -> " : ref ? " -> refused: " : "",
	    res ? res : ref ? ref : "", er ? ": " : "", er ? er : "");
	/* Hard links: quarantine moves one name; these keep the content. */
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(m, "other_links"), i, l)
		out(line, ctx, "      also named %s (a hard link: it keeps the content)", json_string_value(l));
	long long unlisted = num(m, "other_links_unlisted");
	if (unlisted)
		out(line, ctx, "      and %lld other name%s that cannot be shown (hard links: they keep the content)",
		    unlisted, unlisted == 1 ? "" : "s");
}

void lg_summary_run(const json_t *report, lg_line_fn line, void *ctx)
{
	const json_t *dl = json_object_get(report, "denylist"), *sum = json_object_get(report, "summary");
	out(line, ctx, "lastgood %s: run %s, deny-list serial %lld (key %s)", str(report, "mode"), str(report, "run_id"),
	    num(dl, "serial"), str(dl, "key_id"));
	size_t i, k;
	json_t *v, *m;
	json_array_foreach(json_object_get(report, "volumes"), i, v) {
		const char *status = str(v, "status"), *reason = str(v, "reason");
		out(line, ctx, "  %s part %lld: %s%s%s", str(v, "target"), num(v, "partition"), status ? status : "?",
		    reason ? ": " : "", reason ? reason : "");
		unlocked_line(v, line, ctx);
		json_array_foreach(json_object_get(v, "matches"), k, m)
			match_line(m, line, ctx);
	}
	long long win = num(sum, "windows_volumes"), matched = num(sum, "matches");
	out(line, ctx, "%lld Windows volume%s, %lld match%s, %lld quarantined, %lld restored, %lld refused, %lld failed",
	    win, win == 1 ? "" : "s", matched, matched == 1 ? "" : "es", num(sum, "quarantined"), num(sum, "restored"),
	    num(sum, "refused"), num(sum, "failed"));
}

void lg_summary_undo(const json_t *report, lg_line_fn line, void *ctx)
{
	size_t i, k;
	json_t *vr, *s;
	json_array_foreach(json_object_get(report, "volumes"), i, vr) {
		out(line, ctx, "lastgood undo: run %s on %s part %lld: %s", str(report, "run_id"), str(vr, "target"),
		    num(vr, "partition"), str(vr, "status"));
		json_array_foreach(json_object_get(vr, "steps"), k, s)
			out(line, ctx, "    %s: %s", str(s, "path"), str(s, "result"));
	}
}
