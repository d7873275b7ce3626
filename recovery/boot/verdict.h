/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The words of the recovery image's final screen, from what happened
 * (verdict.c: pure, unit-tested). PID 1 draws the screen in screen.c
 * (boot/pid1.h).
 */
#ifndef LG_BOOT_VERDICT_H
#define LG_BOOT_VERDICT_H

#include "boot/cmdline.h"

/* What happened, for the final screen. */
enum lg_outcome {
	LG_OUTCOME_ENGINE,	/* the engine ran: see wait_status */
	LG_OUTCOME_NO_WINDOWS,	/* no NTFS or BitLocker volume on any disk */
	LG_OUTCOME_NO_DENYLIST,	/* no deny-list verified */
	LG_OUTCOME_NO_SHELL,	/* lastgood.mode=shell in an image without a shell */
	LG_OUTCOME_SHELL_DONE,	/* the shell exited */
};

/* What the engine's JSON report says (docs/report.md), when it could be
 * read: the summary counters and how many volumes were already fixed. */
struct lg_run_facts {
	bool have;
	long windows_volumes, matches, quarantined, restored, refused, failed;
	long already_fixed;
	long hibernated;	/* volumes refused because Windows is hibernated (Fast Startup) */
	long locked;		/* BitLocker volumes that stayed locked */
	char locked_ids[96];	/* their recovery key IDs, "64311DEA, 1A2B3C4D" */
	bool undo;		/* an undo report (the fleet server asked to roll back) */
	long undone;		/* volumes where the run is undone now */
	char undo_run[32];	/* the run undone */
};

/* Fill facts from the report's JSON text; facts->have stays false when
 * the text is not a report (the engine died before sending it). */
void lg_run_facts_parse(const char *json, size_t len, struct lg_run_facts *facts);

struct lg_verdict {
	char title[160];	/* one line */
	const char *text;	/* what it means and what to do next, plain words */
	bool windows_should_start;
};

/* The words of the final screen. wait_status is from waitpid() and facts
 * (may be NULL) from the report, when outcome is LG_OUTCOME_ENGINE. */
void lg_init_verdict(enum lg_init_mode mode, enum lg_outcome outcome, int wait_status,
		     const struct lg_run_facts *facts, struct lg_verdict *v);

#endif
