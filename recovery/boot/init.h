/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PID 1 of the recovery image (cmd_init). The pure parts are here so that
 * unit tests can drive them: the kernel command line parser, the engine's
 * argument vector, the words of the final screen.
 */
#ifndef LG_INIT_H
#define LG_INIT_H

#include "lib/util.h"

enum lg_init_mode {
	LG_MODE_FIX = 0,
	LG_MODE_SCAN,
	LG_MODE_SHELL,
};

#define LG_INIT_WAIT_DEFAULT 10
#define LG_INIT_WAIT_MAX 300
#define LG_INIT_COUNTDOWN 10

struct lg_init_opts {
	enum lg_init_mode mode;	/* lastgood.mode=fix|scan|shell (default fix) */
	bool poweroff;		/* lastgood.poweroff=1: power off at the end, no countdown */
	bool reboot;		/* lastgood.reboot=1: reboot at the end, no countdown */
	bool unattended;	/* lastgood.unattended=1: never wait for a person */
	char denylist[256];	/* lastgood.denylist=PATH (absolute, in the recovery system); "" if unset */
	int wait_s;		/* lastgood.wait=N: longest wait for disks, seconds */
};

void lg_init_opts_default(struct lg_init_opts *o);

/*
 * Parse the kernel command line (the text of /proc/cmdline). Words are
 * separated by spaces; double quotes group (the kernel's rules). Words
 * not starting with "lastgood." belong to the kernel and are skipped. The
 * last occurrence of an option wins. A boolean given without a value is
 * true; 1/yes/true/on and 0/no/false/off are accepted.
 * A bad value or an unknown lastgood.* option never stops the boot: that
 * option keeps its default, the others still apply, and the function
 * returns -EINVAL with the (last) problem in err, for the console.
 */
int lg_cmdline_parse(const char *cmdline, struct lg_init_opts *o, struct lg_err *err);

/*
 * The engine's arguments: "fix" or "scan", --denylist, one --trust per
 * key, --json, --report-dir, then the targets (/dev/<name>). The strings
 * are borrowed, the array is malloc'd and NULL-terminated; *argc is set.
 * Returns 0 or -ENOMEM.
 */
/* keys: folders of BitLocker key files staged in RAM (one --keys each);
 * prompt: a person may be asked for a recovery password (not when
 * unattended). */
int lg_init_engine_argv(enum lg_init_mode mode, const char *denylist, char *const *trust, size_t n_trust,
			const char *report_dir, char *const *keys, size_t n_keys, bool prompt, char *const *targets,
			size_t n_targets, int *argc, char ***argv);

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
	long locked;		/* BitLocker volumes that stayed locked */
	char locked_ids[96];	/* their recovery key IDs, "64311DEA, 1A2B3C4D" */
};

/* Fill facts from the report's JSON text; facts->have stays false when
 * the text is not a report (the engine died before printing it). */
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
