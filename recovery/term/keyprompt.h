/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A BitLocker recovery password typed by a person at the machine. The
 * unlock code (storage/bitlocker.h) never opens a terminal: it asks
 * through a struct lg_key_asker, and the front ends (the CLI's --prompt,
 * the recovery image's PID 1) give it the console asker below.
 */
#ifndef LG_TERM_KEYPROMPT_H
#define LG_TERM_KEYPROMPT_H

#include "storage/bitlocker.h"

struct lg_key_prompt {
	const int *fds;          /* consoles: keys read from any, text written to all */
	size_t n_fds;
	const char *volume;      /* "disk /dev/sda part 3" */
	const char *volume_guid;
	const char *const *key_ids;  /* recovery-password protector GUIDs (text) */
	size_t n_key_ids;
	int attempts;            /* 0: three */
	int idle_s;              /* give up after this many seconds without a key; 0: never */
};

/* Ask for a recovery password: shows the recovery key id(s) the way the
 * Windows recovery screen does, reads digits in raw mode (dashes and
 * spaces optional), checks each 6-digit group as soon as it is complete
 * and says which group is wrong, tries a complete password with try_fn.
 * Digits are shown while typed, never again afterwards; the line is
 * overwritten once checked. Backspace deletes, Ctrl-U starts over, Ctrl-C
 * or Ctrl-D skips the volume. Terminal settings are restored and every
 * buffer wiped. Returns 0 (unlocked), -EACCES (attempts used up),
 * -ECANCELED (skipped), -ETIMEDOUT (idle), -EIO (no console left), or
 * try_fn's error. */
int lg_keyprompt_ask(const struct lg_key_prompt *p, lg_key_try_fn try_fn, void *ctx, struct lg_err *err);

/* Open the consoles listed in consoles_path (/proc/consoles) read-write
 * into fds (at most max). Returns how many, 0 when none. */
int lg_keyprompt_consoles_open(const char *consoles_path, int *fds, size_t max);

/* The console asker: asks on fds (n_fds of them), or, with fds NULL, on
 * every console in /proc/consoles (opened for the prompt, closed after).
 * state, when set, is called with true before the prompt and false after
 * it (PID 1 holds its progress lines back meanwhile). */
struct lg_keyprompt_asker {
	const int *fds;
	size_t n_fds;
	int idle_s;              /* give up after this many idle seconds; 0: never */
	void (*state)(bool asking, void *ctx);
	void *state_ctx;
};

/* An lg_key_asker that asks through c (borrowed: it must outlive the asker). */
struct lg_key_asker lg_keyprompt_asker(struct lg_keyprompt_asker *c);

#endif
