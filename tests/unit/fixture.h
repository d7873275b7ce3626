/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixture disks for the unit tests: a private copy of $OUT/fixtures/NAME.img
 * (made by mkfixture with mkntfs and libntfs-3g; docs/fixtures.md) in a
 * temporary folder removed at exit. A test that finds the image missing
 * skips (exit 77): `make fixtures` builds them.
 */
#ifndef LG_TEST_FIXTURE_H
#define LG_TEST_FIXTURE_H

#include "test.h"

#include "engine/inspect.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char fx_dir[64];

static inline void fx_cleanup(void)
{
	char cmd[128];
	if (!fx_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx_dir);
}

/* A path in the test's temporary folder (static buffer: copy it). */
static inline const char *fx_tmp(const char *name)
{
	static char p[16][256];
	static int k;
	if (!fx_dir[0]) {
		snprintf(fx_dir, sizeof(fx_dir), "%s/lg-unit.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(fx_dir)) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(fx_cleanup);
	}
	k = (k + 1) % 16;
	snprintf(p[k], sizeof(p[k]), "%s/%s", fx_dir, name);
	return p[k];
}

static inline int fx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int fx_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A fresh copy of fixture `name` as <tmp>/<as>.img; skips when not built. */
static inline const char *fx_copy_as(const char *name, const char *as)
{
	const char *out = getenv("OUT") ? getenv("OUT") : "out";
	char src[512];
	snprintf(src, sizeof(src), "%s/fixtures/%s.img", out, name);
	struct stat st;
	if (stat(src, &st) < 0)
		T_SKIP("%s is not built (make fixtures)", src);
	char leaf[128];
	snprintf(leaf, sizeof(leaf), "%s.img", as);
	const char *dst = fx_tmp(leaf);
	if (fx_sh("cp --sparse=always '%s' '%s'", src, dst) != 0) {
		fprintf(stderr, "cannot copy %s\n", src);
		exit(1);
	}
	return dst;
}

static inline const char *fx_copy(const char *name)
{
	return fx_copy_as(name, name);
}

/* The first Windows volume of an inventory, or NULL. */
static inline const struct lg_volinfo *fx_windows(const struct lg_inventory *inv)
{
	for (size_t i = 0; inv && i < inv->n_vols; i++)
		if (inv->vols[i].windows)
			return &inv->vols[i];
	return NULL;
}

#endif
