// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/paths.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static int path_fmt(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int path_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lg_path_journal(char *out, size_t len, const char *run_id)
{
	return path_fmt(out, len, LG_PATH_JOURNALS "/%s", run_id);
}

int lg_path_report(char *out, size_t len, const char *run_id)
{
	return path_fmt(out, len, LG_PATH_REPORTS "/%s.json", run_id);
}

int lg_path_quarantine_dir(char *out, size_t len, const char *run_id)
{
	return path_fmt(out, len, LG_PATH_QUARANTINE "/%s", run_id);
}

int lg_path_quarantined(char *out, size_t len, const char *run_id, const char *path)
{
	return path_fmt(out, len, LG_PATH_QUARANTINE "/%s/%s", run_id, path);
}

int lg_path_manifest(char *out, size_t len, const char *run_id)
{
	return path_fmt(out, len, LG_PATH_QUARANTINE "/%s/manifest.json", run_id);
}

int lg_path_undone_restore(char *out, size_t len, const char *run_id, const char *path)
{
	return path_fmt(out, len, LG_PATH_QUARANTINE "/%s/undone-restores/%s", run_id, path);
}

int lg_path_registry_copy(char *out, size_t len, const char *run_id, const char *prefix, const char *suffix)
{
	return path_fmt(out, len, LG_PATH_QUARANTINE "/%s/registry/%sSYSTEM%s", run_id, prefix, suffix);
}

int lg_path_set_aside(char *out, size_t len, const char *run_id, const char *leaf)
{
	return path_fmt(out, len, LG_PATH_SET_ASIDE "/%s/%s", run_id, leaf);
}

int lg_path_untrusted_dir(char *out, size_t len, const char *run_id)
{
	return path_fmt(out, len, LG_DIR ".untrusted-%s", run_id);
}
