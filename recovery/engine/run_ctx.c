// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the steps of a run share (engine/run_ctx.h): exit code ranking, the
 * log, the clock, the keyring of --keys. Below every step, so that no step
 * needs run.c, which calls them all.
 */
#include "engine/run_ctx.h"
#include "formats/keys.h"

#include <stdarg.h>
#include <time.h>

double lg_run_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int lg_run_worse(int a, int b)
{
	static const int rank[] = { [LG_EXIT_OK] = 0, [LG_EXIT_MATCHES] = 1, [LG_EXIT_ERROR] = 3,
				    [LG_EXIT_POLICY] = 2, [LG_EXIT_DENYLIST] = 4, [LG_EXIT_USAGE] = 5 };
	return rank[b] > rank[a] ? b : a;
}

void lg_run_say(lg_log_fn log, void *ctx, const char *fmt, ...)
{
	if (!log)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log(ctx, line);
}

int lg_run_load_keyring(const char *const *files, size_t n, lg_log_fn log, void *log_ctx,
			struct lg_keyring **out)
{
	struct lg_err err = { "" };
	*out = NULL;
	if (!n)
		return 0;
	struct lg_keyring *k = lg_keyring_new();
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (lg_keyring_load(k, files[i], &err) < 0) {
			lg_run_say(log, log_ctx, "key file refused: %s", err.msg);
			lg_keyring_free(k);
			return -EINVAL;
		}
	}
	*out = k;
	return 0;
}
