// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PID 1 runs the engine: lg_run() (engine/engine.h) in a child process
 * (boot/child.c), given the deny-list verified once for this boot, the
 * BitLocker keys loaded into memory and, when a person may be there, the
 * console key asker. With a fleet server, the child first asks it for the
 * keys of the locked volumes by protector ID (net/session.h); when the
 * server asked to roll back, the child runs lg_undo() of that run instead
 * (a scan when no volume holds it). The child's log lines and its report
 * come back as records; PID 1 shows them on the consoles, with the
 * summary of the report (term/summary.h), and keeps the report for the
 * final screen.
 */
#include "boot/pid1.h"

#include "boot/child.h"
#include "boot/console.h"
#include "engine/engine.h"
#include "formats/keys.h"
#include "term/keyprompt.h"
#include "term/summary.h"

#include <jansson.h>
#include <libgen.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* What the child runs: the options are made in PID 1, the callbacks that
 * talk to PID 1 are added in the child. */
struct engine_job {
	struct lg_run_opts opts;
	bool prompt;		/* a person may be asked for a recovery password */
	struct lg_keyring *kr;	/* the keys (opts.keyring): the child adds the server's */
	const struct pid1_net *net; /* ask this fleet server for keys (NULL: none) */
	const char *undo_run;	/* undo this run instead of a fix ("": none) */
};

/* The keys of the locked volumes by protector ID, from the fleet server,
 * into the child's copy of the keyring (wiped when the child ends). The
 * child has its own connection: the parent's stays the parent's. */
static void server_keys(struct engine_job *job, struct lg_child_chan *chan)
{
	struct lg_fleet *f = NULL;
	struct lg_err err = { "" };
	if (lg_fleet_open(job->net->server, job->net->ca, job->net->ca_len, &f, &err) < 0) {
		lg_child_log(chan, err.msg);
		return;
	}
	lg_fleet_set_progress(f, lg_child_log, chan); /* a 429's wait is said */
	struct lg_key_fetch kf;
	int r = lg_fleet_fetch_keys(f, job->opts.targets, job->opts.n_targets, job->kr, lg_child_log, chan, &kf);
	if (kf.asked) {
		char line[256];
		snprintf(line, sizeof(line), "keys by protector ID from the fleet server: %zu asked for, %zu served, "
			 "%zu not known, %zu failed", kf.asked, kf.found, kf.unknown, kf.failed);
		lg_child_log(chan, line);
	}
	if (r < 0 && !kf.asked)
		lg_child_log(chan, "the BitLocker volumes could not be listed to ask for their keys");
	json_decref(kf.needed);
	lg_fleet_close(f);
}

/* lg_undo() of the run the server named; when no volume holds it, a
 * scan instead (the server can only ask for less). */
static int run_undo(struct engine_job *job, struct lg_child_chan *chan, json_t **report)
{
	struct lg_undo_opts uo = {
		.run_id = job->undo_run, .targets = job->opts.targets, .n_targets = job->opts.n_targets,
		.keyring = job->opts.keyring, .asker = job->opts.asker, .log = lg_child_log, .log_ctx = chan,
	};
	int rc = lg_undo(&uo, report);
	if (*report && json_array_size(json_object_get(*report, "volumes")) == 0) {
		char line[160];
		snprintf(line, sizeof(line), "run %s is on none of this PC's volumes: scanning instead, nothing is changed",
			 job->undo_run);
		lg_child_log(chan, line);
		json_decref(*report);
		*report = NULL;
		job->opts.fix = false;
		rc = lg_run(&job->opts, report);
	}
	return rc;
}

static int engine_child(int fd, void *arg)
{
	struct engine_job *job = arg;
	struct lg_child_chan chan = { .fd = fd };
	/* the prompt gives up after 10 idle minutes, as the CLI's --prompt */
	struct lg_keyprompt_asker console = { .idle_s = 600, .state = lg_child_state, .state_ctx = &chan };
	struct lg_key_asker asker = lg_keyprompt_asker(&console);
	job->opts.log = lg_child_log;
	job->opts.log_ctx = &chan;
	job->opts.asker = job->prompt ? &asker : NULL;
	if (job->net)
		server_keys(job, &chan);
	json_t *report = NULL;
	int rc = job->undo_run[0] ? run_undo(job, &chan, &report) : lg_run(&job->opts, &report);
	lg_keyring_free(job->kr); /* this process's copy of the keys, wiped */
	job->kr = NULL;
	if (report) {
		char *text = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
		if (!text || lg_rec_send(fd, LG_REC_REPORT, text, strlen(text)) < 0)
			lg_child_log(&chan, "the report could not be handed back to the recovery system");
		free(text);
		json_decref(report);
	}
	return rc;
}

/* ---- PID 1's side: the child's words on the consoles --------------------- */

struct follow_ctx {
	struct init_state *s;
	const char *name;	/* "lastgood fix": the engine's lines carry it, as on the CLI */
	const char *doing;	/* "repairing" */
};

static void on_log(void *ctx, const char *line)
{
	struct follow_ctx *f = ctx;
	char buf[LG_REC_LOG_MAX + 64];
	snprintf(buf, sizeof(buf), "%s: %s", f->name, line);
	lg_con_printf("%s", buf);
	pid1_keep_summary(f->s, buf);
}

static void on_output(void *ctx, const char *line)
{
	struct follow_ctx *f = ctx;
	lg_con_printf("%s", line);
	pid1_keep_summary(f->s, line);
}

static void on_report(void *ctx, const char *json, size_t len)
{
	struct follow_ctx *f = ctx;
	free(f->s->report);
	f->s->report = malloc(len + 1);
	if (!f->s->report) {
		f->s->report_len = 0;
		return;
	}
	memcpy(f->s->report, json, len);
	f->s->report[len] = 0;
	f->s->report_len = len;
}

static void on_quiet(void *ctx, double elapsed)
{
	struct follow_ctx *f = ctx;
	lg_con_printf("    ... %s, %.0f s", f->doing, elapsed);
}

static void summary_line(void *ctx, const char *line)
{
	on_output(ctx, line);
}

/* The report's summary, as the CLI prints it after a run. */
static void show_summary(struct follow_ctx *f)
{
	if (!f->s->report)
		return;
	json_t *report = json_loadb(f->s->report, f->s->report_len, JSON_REJECT_DUPLICATES, NULL);
	const char *mode = json_string_value(json_object_get(report, "mode"));
	if (json_is_object(report) && mode && !strcmp(mode, "undo"))
		lg_summary_undo(report, summary_line, f);
	else if (json_is_object(report))
		lg_summary_run(report, summary_line, f);
	else
		lg_con_printf("lastgood: the engine's report could not be read");
	json_decref(report);
}

/* The engine's targets: every disk with an NTFS or BitLocker volume. The
 * boot medium's own disk is unmounted first when it is one of them. */
static size_t engine_targets(struct init_state *s, char names[][LG_DISK_NAME_MAX + 8], char **targets)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_disks; i++) {
		if (!s->has_windows[i])
			continue;
		if (s->medium_mounted && !strcmp(s->disks[i].name, s->medium_disk)) {
			lg_con_printf("    the boot medium is on this disk: unmounted while lastgood works on it");
			umount(MEDIUM_DIR);
			s->medium_mounted = false;
			s->medium_detached = true;
		}
		snprintf(names[n], sizeof(names[n]), "/dev/%s", s->disks[i].name);
		targets[n] = names[n];
		n++;
	}
	return n;
}

static void say_job(const struct engine_job *job, const struct lg_keyring *kr)
{
	char line[1024];
	size_t o = job->undo_run[0] ? (size_t)snprintf(line, sizeof(line), "    engine: undo of run %s on", job->undo_run)
				    : (size_t)snprintf(line, sizeof(line), "    engine: %s of", job->opts.fix ? "fix" : "scan");
	for (size_t i = 0; i < job->opts.n_targets && o + 2 < sizeof(line); i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s", job->opts.targets[i]);
	lg_con_printf("%s", line);
	lg_con_printf("    deny-list %s (verified above), reports in %s", job->opts.denylist, job->opts.report_dir);
	if (kr->n)
		lg_con_printf("    %zu BitLocker key%s handed to the engine", kr->n, kr->n == 1 ? "" : "s");
	if (job->net)
		lg_con_printf("    keys of locked volumes are asked for by protector ID from %s", job->net->server);
	if (job->prompt)
		lg_con_printf("    a recovery password may be asked for at the console");
}

int pid1_run_engine(struct init_state *s)
{
	bool fix = s->opts.mode != LG_MODE_SCAN;
	char title[96];
	snprintf(title, sizeof(title), "Undoing repair %s (the fleet server asked)", s->undo_run);
	pid1_phase_begin(s, PH_ENGINE, s->undo_run[0] ? title
				       : fix ? "Repairing Windows" : "Scanning Windows (changing nothing)");
	struct lg_keyring *kr = lg_keyring_new();
	if (!kr || pid1_load_keys(s, kr) < 0) {
		lg_keyring_free(kr);
		pid1_phase_end(s, PH_ENGINE);
		return W_EXITCODE(LG_EXIT_ERROR, 0);
	}
	char names[MAX_DISKS][LG_DISK_NAME_MAX + 8];
	char *targets[MAX_DISKS];
	/* restore bundles are looked for beside the deny-list, as by the CLI */
	char dir[sizeof(s->denylist)];
	snprintf(dir, sizeof(dir), "%s", s->denylist);
	const char *bundles[1] = { dirname(dir) };
	struct engine_job job = {
		.opts = {
			.fix = fix,
			.denylist = s->denylist,
			.list = s->list,
			.targets = targets,
			.n_targets = engine_targets(s, names, targets),
			.bundle_dirs = bundles,
			.n_bundle_dirs = 1,
			.report_dir = REPORT_DIR,
			.keyring = kr,
			.discard_hibernation = s->opts.discard_hibernation,
		},
		.prompt = !s->opts.unattended,
		.kr = kr,
		/* a server that is reachable and trusted so far */
		.net = pid1_net_usable(&s->net) ? &s->net : NULL,
		.undo_run = s->undo_run,
	};
	say_job(&job, kr);

	struct follow_ctx f = { .s = s, .name = s->undo_run[0] ? "lastgood undo" : fix ? "lastgood fix" : "lastgood scan",
				.doing = s->undo_run[0] ? "undoing" : fix ? "repairing" : "scanning" };
	struct lg_child_ops ops = { .log = on_log, .output = on_output, .report = on_report, .quiet = on_quiet,
				    .quiet_s = 2.0, .ctx = &f };
	struct lg_child_result res;
	int r = lg_child_run(engine_child, &job, &ops, &res);
	lg_keyring_free(kr);	/* the keys are wiped from PID 1's memory */
	if (r < 0) {
		lg_con_printf("lastgood: cannot start the engine: %s", strerror(-r));
		pid1_phase_end(s, PH_ENGINE);
		return W_EXITCODE(LG_EXIT_ERROR, 0);
	}
	if (res.protocol_error)
		lg_con_printf("lastgood: the engine sent something it never sends: it was stopped");
	else if (res.truncated)
		lg_con_printf("lastgood: the engine stopped in the middle of a message");
	show_summary(&f);
	int ws = res.wait_status;
	if (WIFEXITED(ws))
		lg_con_printf("    engine finished with exit code %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		lg_con_printf("    engine was killed by signal %d", WTERMSIG(ws));
	pid1_phase_end(s, PH_ENGINE);
	return ws;
}
