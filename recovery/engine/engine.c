// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The run: for every Windows volume on the targets, in order,
 *   facts (inspect) -> policies -> open -> state/journals -> match ->
 *   plan -> journalled changes -> manifest, state, report.
 * scan stops after the plan and never opens a volume read-write.
 */
#include "engine/engine.h"

#include "formats/denylist.h"
#include "storage/dirty.h"
#include "storage/bitlocker.h"
#include "engine/evidence.h"
#include "storage/fsops.h"
#include "lib/hash.h"
#include "engine/inspect.h"
#include "engine/journal.h"
#include "formats/keys.h"
#include "engine/match.h"
#include "engine/quarantine.h"
#include "engine/registry.h"
#include "engine/restore.h"
#include "storage/volume.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <ntfs-3g/dir.h>
#include <ntfs-3g/layout.h>

#define STATE_PATH LG_DIR "/state.json"

void lg_run_id_new(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	unsigned char rnd[3] = { 0 };
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		/* No entropy yet (early boot): the pid and clock still differ
		 * between runs, which is all a run id needs. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint32_t x = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 8;
		memcpy(rnd, &x, 3);
	}
	char day[20];
	strftime(day, sizeof(day), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, 32, "%s-%02x%02x%02x", day, rnd[0], rnd[1], rnd[2]);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void iso_time(int64_t unix_s, char out[LG_RFC3339_LEN])
{
	lg_rfc3339_format(unix_s, out);
}

static json_t *nt_time_json(int64_t nt)
{
	/* Times to the second for people, ticks for exact comparison. */
	char s[LG_RFC3339_LEN];
	iso_time(lg_nt_to_unix(nt), s);
	return json_string(s);
}

/* Exit codes combine: the most serious one wins. */
static int worse(int a, int b)
{
	static const int rank[] = { [LG_EXIT_OK] = 0, [LG_EXIT_MATCHES] = 1, [LG_EXIT_ERROR] = 3,
				    [LG_EXIT_POLICY] = 2, [LG_EXIT_DENYLIST] = 4, [LG_EXIT_USAGE] = 5 };
	return rank[b] > rank[a] ? b : a;
}

struct run {
	const struct lg_run_opts *o;
	const struct lg_keyring *keys; /* BitLocker keys (--keys or the caller's); NULL when none */
	const struct lg_denylist *dl;
	char run_id[32];
	json_t *report;
	json_t *volumes;
	int exit;
	struct {
		unsigned volumes, windows, matched, quarantined, restored, refused, failed;
	} totals;
};

/* ---- block devices mounted on this host ---------------------------- */

/* One line to the front end's log (lg_run_opts.log), if it gave one. */
static void say(lg_log_fn log, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(lg_log_fn log, void *ctx, const char *fmt, ...)
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

/* Whether dev (a block device) or one of its partitions is mounted. */
static bool mounted_on_host(const char *path, char *where, size_t wlen)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
	char sysdir[128];
	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%u:%u", maj, min);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool hit = false;
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned a, b;
		char mnt[1024];
		if (sscanf(line, "%*u %*u %u:%u %*s %1023s", &a, &b, mnt) != 3)
			continue;
		if (a == maj && b == min) {
			hit = true;
		} else {
			/* A partition of this disk: /sys/dev/block/a:b/.. is the disk. */
			char part[160], real_disk[4096], real_part[4096];
			snprintf(part, sizeof(part), "/sys/dev/block/%u:%u/..", a, b);
			if (realpath(sysdir, real_disk) && realpath(part, real_part) &&
			    !strcmp(real_disk, real_part))
				hit = true;
		}
		/* a longer mount point is shown cut to wlen - 1 bytes */
		if (hit && wlen) {
			size_t n = strnlen(mnt, wlen - 1);
			memcpy(where, mnt, n);
			where[n] = '\0';
		}
	}
	fclose(f);
	return hit;
}

/* ---- per-volume work ------------------------------------------------ */

struct vol_run {
	struct lg_registry *reg;     /* the SYSTEM hive, when it could be read */
	struct run *run;
	const struct lg_volinfo *vi;
	json_t *vr;                  /* this volume's report object */
	struct lg_volume *v;
	int64_t stored_serial;
	double t0;
	json_t *timings;
};

static void phase(struct vol_run *vr, const char *name)
{
	double t = now_s();
	json_object_set_new(vr->timings, name, json_real((double)(long)((t - vr->t0) * 1e4) / 1e4));
	vr->t0 = t;
}

static void vol_status(struct vol_run *vr, const char *status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void vol_status(struct vol_run *vr, const char *status, int code, const char *fmt, ...)
{
	json_object_set_new(vr->vr, "status", json_string(status));
	if (fmt) {
		char *msg = NULL;
		va_list ap;
		va_start(ap, fmt);
		int n = vasprintf(&msg, fmt, ap);
		va_end(ap);
		json_object_set_new(vr->vr, "reason", json_string(n < 0 ? "(out of memory)" : msg));
		free(msg);
	}
	vr->run->exit = worse(vr->run->exit, code);
}

/* Runs whose journal has no end record: a fix that was cut short. */
struct pending {
	char **ids;
	size_t n;
};
static int list_journals(struct lg_volume *v, struct pending *p);
static void pending_free(struct pending *p);
static int load_journal(struct lg_volume *v, const char *id, struct lg_journal **j, struct lg_err *err);

static int read_state(struct vol_run *vr, struct lg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	vr->stored_serial = -1;
	int r = lg_fs_read(vr->v, STATE_PATH, LG_STATE_MAX_BYTES, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		lg_err_set(err, "cannot read \\%s: %s", STATE_PATH, strerror(-r));
		return r;
	}
	r = lg_state_parse(buf, len, &vr->stored_serial, err);
	free(buf);
	if (r == 0)
		return 0;
	/* A cut while state.json was rewritten: the journals of finished runs
	 * hold the same facts (the serial is in each begin record). */
	struct lg_err jerr = { "" };
	struct pending p;
	if (list_journals(vr->v, &p) < 0) {
		lg_err_set(err, "\\%s is damaged and the journals cannot be listed", STATE_PATH);
		return -EBADMSG;
	}
	vr->stored_serial = -1;
	for (size_t i = 0; i < p.n; i++) {
		struct lg_journal *j = NULL;
		if (load_journal(vr->v, p.ids[i], &j, &jerr) < 0)
			continue;
		json_t *s = json_object_get(j->begin, "serial");
		if (json_is_integer(s) && json_integer_value(s) > vr->stored_serial)
			vr->stored_serial = json_integer_value(s);
		lg_journal_free(j);
	}
	pending_free(&p);
	json_object_set_new(vr->vr, "state_rebuilt", json_string("state.json was damaged; the applied serial was taken from the journals"));
	return 0;
}


static int list_journals_cb(void *ctx, const ntfschar *name, const int len, const int type,
			    const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct pending *p = ctx;
	if (type == FILE_NAME_DOS || dt_type != NTFS_DT_REG)
		return 0;
	char *mb = NULL;
	if (ntfs_ucstombs(name, len, &mb, 0) < 0)
		return 0;
	char **n = realloc(p->ids, (p->n + 1) * sizeof(*n));
	if (!n) {
		free(mb);
		return -1;
	}
	p->ids = n;
	p->ids[p->n++] = mb;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void pending_free(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->ids[i]);
	free(p->ids);
}

static int list_journals(struct lg_volume *v, struct pending *p)
{
	memset(p, 0, sizeof(*p));
	ntfs_inode *dir = lg_volume_lookup(v, LG_DIR "/journal");
	if (!dir)
		return 0;
	s64 pos = 0;
	int r = ntfs_readdir(dir, &pos, p, list_journals_cb) ? -EIO : 0;
	ntfs_inode_close(dir);
	if (p->n)
		qsort(p->ids, p->n, sizeof(*p->ids), cmp_str);
	return r;
}

static int load_journal(struct lg_volume *v, const char *id, struct lg_journal **j, struct lg_err *err)
{
	char path[256];
	snprintf(path, sizeof(path), LG_DIR "/journal/%s", id);
	char *buf = NULL;
	size_t len = 0;
	int r = lg_fs_read(v, path, LG_JOURNAL_MAX_BYTES, &buf, &len);
	if (r < 0) {
		lg_err_set(err, "cannot read journal %s: %s", id, strerror(-r));
		return r;
	}
	r = lg_journal_parse(buf, len, j, err);
	free(buf);
	return r;
}

/* Complete interrupted runs (fix) or report them (scan). */
static int handle_pending(struct vol_run *vr, bool fix, struct lg_err *err)
{
	struct pending p;
	int r = list_journals(vr->v, &p);
	if (r < 0) {
		lg_err_set(err, "cannot list \\%s\\journal", LG_DIR);
		return r;
	}
	json_t *done = json_array();
	for (size_t i = 0; i < p.n && r == 0; i++) {
		struct lg_journal *j = NULL;
		r = load_journal(vr->v, p.ids[i], &j, err);
		if (r < 0)
			break;
		if (!j->ended && !j->undo_ended) {
			if (fix)
				r = lg_quarantine_complete(vr->v, j, err);
			json_array_append_new(done, json_string(j->run_id));
		} else if (j->undo_ended == false && j->ended) {
			/* An undo cut short is finished by running undo again. */
			for (size_t k = 0; k < j->n_steps; k++)
				if (j->steps[k].state == LG_STEP_UNDO_INTENT) {
					lg_err_set(err, "run %s was being undone when it stopped; finish with 'lastgood undo --run %s'",
						   j->run_id, j->run_id);
					r = -EBUSY;
				}
		}
		lg_journal_free(j);
	}
	pending_free(&p);
	if (json_array_size(done))
		json_object_set_new(vr->vr, fix ? "completed_interrupted_runs" : "interrupted_runs", done);
	else
		json_decref(done);
	return r;
}

/* One matched file, as the report and the journal describe it. */
static json_t *match_json(const struct lg_match *m, const struct lg_rule *rule)
{
	json_t *o = json_pack("{s:s, s:s, s:I}", "rule", rule->id, "path", m->path,
			      "size", (json_int_t)m->size);
	json_object_set_new(o, "times", json_pack("{s:o, s:o, s:o, s:o}",
		"created", nt_time_json(m->creation_time), "modified", nt_time_json(m->last_write_time),
		"mft_changed", nt_time_json(m->mft_change_time), "accessed", nt_time_json(m->last_access_time)));
	if (m->has_sha256) {
		char hex[65];
		lg_hex(m->sha256, 32, hex);
		json_object_set_new(o, "sha256", json_string(hex));
	}
	return o;
}

static char *volume_serial_str(const struct lg_volinfo *vi)
{
	char *s = malloc(17);
	if (s)
		snprintf(s, 17, "%016llX", (unsigned long long)vi->serial);
	return s;
}

static int write_report_file(struct vol_run *vr, json_t *report)
{
	char *txt = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	if (!txt)
		return -ENOMEM;
	char path[160];
	snprintf(path, sizeof(path), LG_DIR "/reports/%s.json", vr->run->run_id);
	int r = lg_fs_create(vr->v, path, txt, strlen(txt));
	free(txt);
	return r;
}

/* The actual changes of a fix on one volume. */
static int apply(struct vol_run *vr, struct lg_match_result *res, struct lg_err *err)
{
	struct run *run = vr->run;
	const struct lg_run_opts *o = run->o;
	struct lg_volume *v = vr->v;
	int r = lg_fs_mkdirs(v, LG_DIR, le32_to_cpu(FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM));
	if (r < 0) {
		lg_err_set(err, "cannot create \\%s: %s", LG_DIR,
			   r == -ENOSPC ? "the volume is full" : strerror(-r));
		return r;
	}
	/* mkdirs only sets attributes on directories it creates; make sure. */
	lg_fs_set_attrs(v, LG_DIR, le32_to_cpu(FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM));
	struct lg_jwriter w;
	json_t *begin = json_pack("{s:I, s:s, s:s}", "serial", (json_int_t)run->dl->serial,
				  "key_id", run->dl->key_id, "lastgood", LG_VERSION);
	r = lg_jwriter_begin(&w, v, run->run_id, begin);
	json_decref(begin);
	if (r < 0) {
		lg_err_set(err, "cannot start the journal: %s", r == -ENOSPC ? "the volume is full" : strerror(-r));
		return r;
	}
	if (vr->vi->hiber == LG_HIBER_ACTIVE || vr->vi->hiber == LG_HIBER_WAKE) {
		if ((r = lg_discard_hibernation(&w, err)) < 0)
			return r;
		json_object_set_new(vr->vr, "hibernation_discarded", json_true());
	}
	/* The registry first: a disabled driver whose file is still there is
	 * harmless; a registered driver whose file is gone bricks the PC. */
	if (vr->reg && lg_registry_n_changes(vr->reg) > 0) {
		if ((r = lg_registry_commit(vr->reg, &w, err)) < 0)
			return r;
	}
	json_t *matches = json_object_get(vr->vr, "matches");
	json_t *manifest = json_array();
	int failures = 0;
	for (size_t i = 0; i < res->n_matches; i++) {
		const struct lg_match *m = &res->matches[i];
		const struct lg_rule *rule = m->rule;
		json_t *mj = json_array_get(matches, i);
		const char *refusal = json_string_value(json_object_get(mj, "refused"));
		if (refusal || rule->action != LG_ACTION_QUARANTINE)
			continue;
		/* Known-good content is fetched and checked before anything moves:
		 * a driver taken away with nothing to put back may not boot. */
		void *good = NULL;
		size_t good_len = 0;
		struct lg_err rerr = { "" };
		if (rule->restore) {
			r = lg_restore_fetch(rule->restore, o->bundle_dirs, o->n_bundle_dirs, &good, &good_len, &rerr);
			if (r < 0) {
				json_object_set_new(mj, "result", json_string("skipped"));
				json_object_set_new(mj, "error", json_string(rerr.msg));
				failures++;
				continue;
			}
		}
		char qpath[4096];
		json_t *facts = json_deep_copy(mj);
		json_object_del(facts, "result");
		r = lg_quarantine(&w, m->path, facts, qpath, sizeof(qpath), &rerr);
		if (r < 0) {
			free(good);
			json_object_set_new(mj, "result", json_string("failed"));
			json_object_set_new(mj, "error", json_string(rerr.msg));
			failures++;
			if (r == -ENOSPC || r == -EROFS || r == -EIO) {
				lg_err_set(err, "%s", rerr.msg);
				return r; /* the journal says what was done; stop here */
			}
			continue;
		}
		run->totals.quarantined++;
		json_object_set_new(mj, "result", json_string("quarantined"));
		json_object_set_new(mj, "quarantine_path", json_string(qpath));
		json_array_append_new(manifest, json_deep_copy(mj));
		if (rule->restore) {
			json_t *rf = json_pack("{s:s, s:s, s:s}", "rule", rule->id,
					       "bundle", rule->restore->bundle, "entry", rule->restore->entry);
			r = lg_quarantine_restore(&w, m->path, good, good_len, rule->restore->sha256, rf, &rerr);
			free(good);
			if (r < 0) {
				json_object_set_new(mj, "restore", json_pack("{s:s, s:s}", "result", "failed",
									     "error", rerr.msg));
				failures++;
				if (r == -ENOSPC || r == -EIO) {
					lg_err_set(err, "%s", rerr.msg);
					return r;
				}
			} else {
				run->totals.restored++;
				json_object_set_new(mj, "restore", json_pack("{s:s, s:s, s:s}", "result", "restored",
					"bundle", rule->restore->bundle, "entry", rule->restore->entry));
			}
		}
	}
	/* The manifest lists what this run put in quarantine. */
	char mpath[160];
	snprintf(mpath, sizeof(mpath), LG_DIR "/quarantine/%s/manifest.json", run->run_id);
	json_t *mobj = json_pack("{s:s, s:I, s:s, s:o}", "run_id", run->run_id,
				 "denylist_serial", (json_int_t)run->dl->serial,
				 "key_id", run->dl->key_id, "files", manifest);
	char *mtxt = json_dumps(mobj, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	json_decref(mobj);
	r = mtxt ? lg_fs_create(v, mpath, mtxt, strlen(mtxt)) : -ENOMEM;
	free(mtxt);
	if (r < 0 && r != -EEXIST) {
		lg_err_set(err, "cannot write the manifest: %s", strerror(-r));
		return r;
	}
	if (run->dl->serial > vr->stored_serial) {
		char *st = lg_state_format(run->dl->serial, run->dl->key_id, time(NULL));
		r = st ? lg_fs_overwrite(v, STATE_PATH, st, strlen(st)) : -ENOMEM;
		free(st);
		if (r < 0) {
			lg_err_set(err, "cannot write \\%s: %s", STATE_PATH, strerror(-r));
			return r;
		}
	}
	if ((r = lg_jwriter_mark(&w, "end", 0)) < 0) {
		lg_err_set(err, "cannot close the journal: %s", strerror(-r));
		return r;
	}
	return failures ? -EAGAIN : 0;
}

/* Decide, per rule, the registry work its quarantines need (services to
 * disable, filters to remove) and refuse rules that would touch a
 * boot-critical driver or need a dirty hive. Returns how many actionable
 * matches were refused here. */
static size_t registry_plan(struct vol_run *vr, const struct lg_match_result *res, json_t *matches)
{
	const struct lg_denylist *dl = vr->run->dl;
	size_t refused = 0;
	struct lg_err err = { "" };
	struct lg_reg_opts ro = { .windir = vr->vi->windows_dir };
	int lr = lg_registry_load(vr->v, &ro, &vr->reg, &err);
	json_t *rj = json_object();
	json_object_set_new(vr->vr, "registry", rj);
	if (lr < 0) {
		vr->reg = NULL;
		json_object_set_new(rj, "error", json_string(err.msg));
	}
	for (size_t ri = 0; ri < dl->n_rules; ri++) {
		const struct lg_rule *rule = &dl->rules[ri];
		const char **files = calloc(res->n_matches + 1, sizeof(*files));
		size_t nf = 0;
		for (size_t i = 0; i < res->n_matches; i++) {
			json_t *mj = json_array_get(matches, i);
			if (res->matches[i].rule == rule && rule->action == LG_ACTION_QUARANTINE &&
			    !json_object_get(mj, "refused"))
				files[nf++] = res->matches[i].path;
		}
		bool named = rule->reg_disable_service || rule->reg_remove_filter;
		if (!nf && !named) {
			free(files);
			continue;
		}
		const char *why = NULL;
		char buf[sizeof(err.msg) + 256];
		struct lg_reg_verdict vd = { 0 };
		if (!vr->reg) {
			/* Without the hive, nothing that may be a service can move:
			 * a boot-start driver whose file is gone stops Windows. Data
			 * files (channel files are not PE images) still go. */
			bool driver = false;
			for (size_t k = 0; k < nf && !driver; k++) {
				char mz[2];
				driver = lg_fs_pread(vr->v, files[k], 0, mz, 2) == 2 && mz[0] == 'M' && mz[1] == 'Z';
			}
			if (named || driver) {
				snprintf(buf, sizeof(buf), "%s, but the SYSTEM hive cannot be read (%s): nothing that may be a "
					 "registered driver is moved without keeping the registry consistent",
					 named ? "the rule needs registry changes" : "the file is a driver (PE image)", err.msg);
				why = buf;
			}
		} else if (lg_registry_check(vr->reg, &(struct lg_reg_request){
				.rule_id = rule->id, .files = files, .n_files = nf,
				.disable_service = rule->reg_disable_service,
				.remove_filter = rule->reg_remove_filter,
				.allow_boot_critical = rule->allow_boot_critical }, &vd, &err) < 0) {
			snprintf(buf, sizeof(buf), "registry check failed: %s", err.msg);
			why = buf;
		} else if (vd.refused) {
			snprintf(buf, sizeof(buf), "%s", vd.reason);
			why = buf;
		} else if ((vd.n_services || vd.n_filters) && lg_registry_apply(vr->reg, &vd, rule->id, &err) < 0) {
			snprintf(buf, sizeof(buf), "registry change failed: %s", err.msg);
			why = buf;
		}
		if (vd.boot_critical && vd.critical_why[0])
			json_object_set_new(rj, "boot_critical_allowed", json_string(vd.critical_why));
		if (vd.note[0])
			json_object_set_new(rj, "note", json_string(vd.note));
		lg_reg_verdict_clear(&vd);
		free(files);
		if (!why)
			continue;
		/* The file and its registry work go together: neither is done. */
		vr->run->exit = worse(vr->run->exit, LG_EXIT_POLICY);
		for (size_t i = 0; i < res->n_matches; i++) {
			json_t *mj = json_array_get(matches, i);
			if (res->matches[i].rule != rule || json_object_get(mj, "refused"))
				continue;
			json_object_set_new(mj, "refused", json_string(why));
			vr->run->totals.refused++;
			if (rule->action == LG_ACTION_QUARANTINE)
				refused++;
		}
		if (!json_object_get(rj, "refused_rules"))
			json_object_set_new(rj, "refused_rules", json_array());
		json_array_append_new(json_object_get(rj, "refused_rules"),
				      json_pack("{s:s, s:s}", "rule", rule->id, "reason", why));
	}
	if (vr->reg) {
		json_object_set_new(rj, "dirty_hive", json_boolean(lg_registry_dirty(vr->reg)));
		json_object_set_new(rj, "changes", lg_registry_report(vr->reg));
	}
	return refused;
}

static void run_ntfs(struct vol_run *vrp);

/* A BitLocker volume: unlocked with a key file key (matched by protector
 * GUID) or, when a person is there, a typed recovery password; then the
 * NTFS volume inside is handled like any other, through the mapping. */
static void run_bitlocker(struct vol_run *vr)
{
	const struct lg_run_opts *o = vr->run->o;
	const struct lg_volinfo *vi = vr->vi;
	struct lg_err err = { "" };
	struct lg_bl_unlock_opts uo = { .keys = vr->run->keys, .asker = o->asker, .read_only = !o->fix };
	struct lg_bl_result ur;
	memset(&ur, 0, sizeof(ur));
	char *mapped = NULL;
	struct lg_bitlocker_session *bs = NULL;
	int r = lg_bitlocker_unlock_ex(vi->disk->path, vi->part->offset, vi->part->size, &uo, &mapped, &bs, &ur, &err);
	json_object_set_new(vr->vr, "unlock", lg_bl_result_json(&ur));
	if (r < 0) {
		bool policy = r == -ENOKEY || r == -EKEYREJECTED || r == -ECANCELED || r == -ENOTSUP || r == -ENODEV;
		vol_status(vr, "locked", policy ? LG_EXIT_POLICY : LG_EXIT_ERROR, "%s", err.msg);
		return;
	}
	struct lg_inventory *inner = NULL;
	r = lg_inventory_build(&mapped, 1, &inner, &err);
	if (r < 0 || !inner->n_vols) {
		vol_status(vr, "error", LG_EXIT_ERROR, "unlocked, but %s", r < 0 ? err.msg : "no NTFS volume inside");
	} else {
		/* The facts of the volume inside join the BitLocker facts. */
		json_t *facts = lg_volinfo_json(&inner->vols[0]);
		json_object_del(facts, "target");
		json_object_del(facts, "partition");
		json_object_del(facts, "offset");
		json_object_del(facts, "filesystem");
		json_object_update(vr->vr, facts);
		json_decref(facts);
		json_object_set_new(vr->vr, "filesystem", json_string("bitlocker"));
		json_object_set_new(vr->vr, "mapped_device", json_string(mapped));
		vr->vi = &inner->vols[0];
		run_ntfs(vr);
		vr->vi = vi;
	}
	lg_inventory_free(inner);
	if (lg_bitlocker_close(bs) < 0)
		json_object_set_new(vr->vr, "warning", json_string("the BitLocker mapping could not be closed"));
	free(mapped);
}

static void run_volume(struct run *run, const struct lg_volinfo *vi)
{
	struct vol_run vr = { .run = run, .vi = vi, .t0 = now_s(), .timings = json_object() };
	vr.vr = lg_volinfo_json(vi);
	json_object_set_new(vr.vr, "timings", vr.timings);
	json_array_append_new(run->volumes, vr.vr);
	run->totals.volumes++;
	if (vi->bitlocker)
		run_bitlocker(&vr);
	else
		run_ntfs(&vr);
}

static void run_ntfs(struct vol_run *vrp)
{
	struct vol_run vr = *vrp;
	struct run *run = vr.run;
	const struct lg_volinfo *vi = vr.vi;
	const struct lg_run_opts *o = run->o;
	struct lg_err err = { "" };
	int r;

	if (vi->error) {
		vol_status(&vr, "error", LG_EXIT_ERROR, "%s", vi->error);
		return;
	}
	if (!vi->windows) {
		json_object_set_new(vr.vr, "status", json_string("not-windows"));
		return;
	}
	run->totals.windows++;
	char where[512] = "";
	if (o->fix && !o->force && mounted_on_host(vi->disk->path, where, sizeof(where))) {
		vol_status(&vr, "refused", LG_EXIT_POLICY,
			   "%s is mounted on this host at %s; unmount it first (or --force)", vi->disk->path, where);
		return;
	}
	bool hibernated = vi->hiber == LG_HIBER_ACTIVE || vi->hiber == LG_HIBER_WAKE;
	if (o->fix && hibernated && !o->discard_hibernation) {
		vol_status(&vr, "refused", LG_EXIT_POLICY,
			   "Windows on this volume is hibernated (Fast Startup or hibernation): changing it now could "
			   "corrupt it when Windows resumes. Boot Windows and shut it down fully, or run again with "
			   "--discard-hibernation, which throws away the hibernated session (open programs and unsaved "
			   "work in it are lost)");
		return;
	}
	if (o->fix && vi->dirty) {
		if (o->refuse_dirty) {
			vol_status(&vr, "refused", LG_EXIT_POLICY,
				   "the volume was not shut down cleanly (dirty) and --refuse-dirty was given");
			return;
		}
		json_t *replay = NULL;
		r = lg_dirty_replay(vi->disk->path, vi->part->offset, vi->part->size, &replay, &err);
		if (replay)
			json_object_set_new(vr.vr, "log_replay", replay);
		if (r < 0) {
			vol_status(&vr, "refused", LG_EXIT_POLICY, "%s", err.msg);
			return;
		}
		phase(&vr, "log_replay");
	}
	unsigned flags = o->fix ? LG_VOL_RW : 0;
	if (o->fix && hibernated)
		flags |= LG_VOL_IGNORE_HIBER;
	r = lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, flags, &vr.v, &err);
	if (r < 0) {
		bool ro = r == -EROFS || r == -EACCES;
		vol_status(&vr, ro ? "refused" : "error", LG_EXIT_ERROR, "%s%s", err.msg,
			   ro ? " (the target is read-only: nothing can be quarantined)" : "");
		return;
	}
	phase(&vr, "open");
	if (vr.v->replayed)
		json_object_set_new(vr.vr, "redo_replayed", json_string("changes an interrupted run had committed were completed when the volume was opened"));
	if (o->fix && !vr.v->atomic)
		json_object_set_new(vr.vr, "warning", json_string("the volume's $LogFile has no room for lastgood's commit groups: changes are written directly, and a power cut mid-run may need chkdsk"));
	if ((r = read_state(&vr, &err)) < 0) {
		vol_status(&vr, "error", LG_EXIT_ERROR, "%s", err.msg);
		goto out;
	}
	if (vr.stored_serial >= 0)
		json_object_set_new(vr.vr, "applied_serial", json_integer(vr.stored_serial));
	if ((r = lg_denylist_check_serial(run->dl, vr.stored_serial, &err)) < 0) {
		vol_status(&vr, "refused", LG_EXIT_DENYLIST, "%s", err.msg);
		goto out;
	}
	if ((r = handle_pending(&vr, o->fix, &err)) < 0) {
		vol_status(&vr, "error", LG_EXIT_ERROR, "%s", err.msg);
		goto out;
	}

	struct lg_matcher *m = NULL;
	struct lg_match_result res = { 0 };
	r = lg_matcher_new(run->dl, &m, &err);
	if (r >= 0)
		r = lg_matcher_run(m, vr.v->vol, LG_MATCH_HASH_MATCHES, &res, &err);
	phase(&vr, "match");
	if (r < 0) {
		vol_status(&vr, "error", LG_EXIT_ERROR, "matching failed: %s", err.msg);
		lg_matcher_free(m);
		goto out;
	}
	json_t *matches = json_array();
	size_t actionable = 0;
	for (size_t i = 0; i < res.n_matches; i++) {
		const struct lg_match *mt = &res.matches[i];
		json_t *mj = match_json(mt, mt->rule);
		const char *refusal = mt->flags & LG_MATCH_DIRECTORY ? "the rule names a directory; lastgood moves only files"
				    : mt->flags & LG_MATCH_REPARSE ? "the target is a reparse point (link or junction); lastgood does not follow or move those"
				    : mt->flags & LG_MATCH_NAME_LOSSY ? "the name is not valid UTF-16; lastgood will not act on a name it cannot show exactly"
				    : NULL;
		if (refusal) {
			json_object_set_new(mj, "refused", json_string(refusal));
			run->totals.refused++;
			run->exit = worse(run->exit, LG_EXIT_POLICY);
		} else if (mt->rule->action == LG_ACTION_QUARANTINE) {
			actionable++;
		}
		json_object_set_new(mj, "action", json_string(mt->rule->action == LG_ACTION_QUARANTINE ? "quarantine" : "report"));
		json_array_append_new(matches, mj);
	}
	run->totals.matched += (unsigned)res.n_matches;
	json_object_set_new(vr.vr, "matches", matches);
	actionable -= registry_plan(&vr, &res, matches);
	const struct lg_match_stats *st = &res.stats;
	json_t *counters = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"directories_listed", (json_int_t)st->dirs_listed,
		"index_lookups", (json_int_t)st->index_lookups,
		"index_blocks_read", (json_int_t)st->index_blocks_read,
		"index_entries", (json_int_t)st->index_entries,
		"mft_records_read", (json_int_t)st->records_opened,
		"files_checked", (json_int_t)st->files_evaluated,
		"files_hashed", (json_int_t)st->files_hashed,
		"bytes_read", (json_int_t)st->bytes_read,
		"bytes_hashed", (json_int_t)st->bytes_hashed,
		"reparse_points_skipped", (json_int_t)st->reparse_skipped);
	json_object_set_new(counters, "walk_seconds", json_real((double)st->walk_ns / 1e9));
	json_object_set_new(counters, "check_seconds", json_real((double)st->eval_ns / 1e9));
	json_object_set_new(vr.vr, "counters", counters);
	if (res.n_problems) {
		json_t *pr = json_array();
		for (size_t i = 0; i < res.n_problems; i++)
			json_array_append_new(pr, json_pack("{s:s, s:s, s:s}", "path", res.problems[i].path,
				"what", res.problems[i].what, "error", strerror(-res.problems[i].error)));
		json_object_set_new(vr.vr, "problems", pr);
	}

	if (!o->fix) {
		json_object_set_new(vr.vr, "status", json_string(res.n_matches ? "matches" : "clean"));
		if (actionable)
			run->exit = worse(run->exit, LG_EXIT_MATCHES);
	} else if (!actionable) {
		bool already = vr.stored_serial >= 0 && vr.stored_serial == run->dl->serial;
		bool refused = false;
		size_t k;
		json_t *mj;
		json_array_foreach(matches, k, mj)
			refused = refused || json_object_get(mj, "refused");
		json_object_set_new(vr.vr, "status", json_string(refused ? "refused" : already ? "already-fixed" : "clean"));
		if (already)
			json_object_set_new(vr.vr, "reason", json_string("this volume was already fixed for this deny-list serial; nothing left to do"));
	} else {
		r = apply(&vr, &res, &err);
		phase(&vr, "apply");
		if (r < 0 && r != -EAGAIN) {
			vol_status(&vr, "error", LG_EXIT_ERROR, "%s", err.msg);
			run->totals.failed++;
		} else {
			json_object_set_new(vr.vr, "status", json_string(r == -EAGAIN ? "partly-fixed" : "fixed"));
			if (r == -EAGAIN) {
				run->exit = worse(run->exit, LG_EXIT_ERROR);
				run->totals.failed++;
			}
			json_object_set_new(vr.vr, "quarantine_dir", json_sprintf("%s/quarantine/%s", LG_DIR, run->run_id));
			if (o->evidence_dir) {
				char *serial = volume_serial_str(vi);
				char *ev = NULL;
				struct lg_err eerr = { "" };
				int e = lg_evidence_write(vr.v, o->evidence_dir, serial, run->run_id, &ev, &eerr);
				json_object_set_new(vr.vr, "evidence", e < 0 ? json_pack("{s:s}", "error", eerr.msg)
									    : json_pack("{s:s}", "path", ev));
				if (e < 0)
					run->exit = worse(run->exit, LG_EXIT_ERROR);
				free(ev);
				free(serial);
			}
			/* The volume's own copy of the report, written last so it
			 * holds the final result of this volume. */
			json_object_set_new(vr.vr, "report_path", json_sprintf("%s/reports/%s.json", LG_DIR, run->run_id));
			int wr = write_report_file(&vr, run->report);
			if (wr < 0) {
				json_object_set_new(vr.vr, "report_error", json_string(strerror(-wr)));
				run->exit = worse(run->exit, LG_EXIT_ERROR);
			}
		}
		if (vi->dirty) {
			/* Leave it marked so Windows checks the volume at next boot. */
			ntfs_volume_write_flags(vr.v->vol, le16_to_cpu(vr.v->vol->flags) | le16_to_cpu(VOLUME_IS_DIRTY));
		}
	}
	lg_match_result_clear(&res);
	lg_matcher_free(m);
	lg_registry_free(vr.reg);
out:
	r = lg_volume_close(vr.v);
	if (r < 0 && o->fix)
		vol_status(&vr, "error", LG_EXIT_ERROR, "closing the volume failed: %s (changes may be incomplete; run fix again)",
			   strerror(-r));
	phase(&vr, "close");
}

static json_t *denylist_json(const struct lg_denylist *dl, const char *path)
{
	char iss[LG_RFC3339_LEN], exp[LG_RFC3339_LEN], sha[65];
	iso_time(dl->issued, iss);
	iso_time(dl->expires, exp);
	lg_hex(dl->file_sha256, 32, sha);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:i}", "path", path,
			 "serial", (json_int_t)dl->serial, "publisher", dl->publisher ? dl->publisher : "",
			 "issued", iss, "expires", exp, "key_id", dl->key_id, "sha256", sha,
			 "rules", (int)dl->n_rules);
}

static json_t *machine_json(void)
{
	json_t *o = json_object();
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) == 0)
		json_object_set_new(o, "hostname", json_string(host));
	static const char *const dmi[] = { "sys_vendor", "product_name", "product_serial", "product_uuid" };
	for (size_t i = 0; i < ARRAY_SIZE(dmi); i++) {
		char p[128], *buf = NULL;
		snprintf(p, sizeof(p), "/sys/class/dmi/id/%s", dmi[i]);
		if (lg_read_file(p, 4096, &buf, NULL) == 0) {
			buf[strcspn(buf, "\n")] = 0;
			if (buf[0] && json_string(buf))
				json_object_set_new(o, dmi[i], json_string(buf));
			free(buf);
		}
	}
	return o;
}

static int write_report_dir(const char *dir, const char *run_id, json_t *report)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.json", dir, run_id);
	char *txt = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	if (!txt)
		return -ENOMEM;
	int r = lg_write_file_atomic(path, txt, strlen(txt));
	free(txt);
	return r;
}

/* The BitLocker keys of --keys, loaded before any volume is touched: a key
 * file that does not read is fixed first, the keys it holds may be the
 * ones needed. NULL in *out when no file was given. */
static int load_keyring(const char *const *files, size_t n, lg_log_fn log, void *log_ctx, struct lg_keyring **out)
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
			say(log, log_ctx, "key file refused: %s", err.msg);
			lg_keyring_free(k);
			return -EINVAL;
		}
	}
	*out = k;
	return 0;
}

int lg_run(const struct lg_run_opts *o, json_t **report_out)
{
	struct run run = { .o = o };
	double t_start = now_s();
	if (o->run_id)
		snprintf(run.run_id, sizeof(run.run_id), "%s", o->run_id);
	else
		lg_run_id_new(run.run_id);

	struct lg_err err = { "" };
	int64_t now = o->have_now ? o->now : (int64_t)time(NULL);
	struct lg_denylist *own_dl = NULL;
	struct lg_keyring *own_keys = NULL;
	int r = 0;
	if (o->list) {
		run.dl = o->list;
	} else {
		r = lg_denylist_load(o->denylist, o->sig, o->trust, o->n_trust, now, &own_dl, &err);
		if (r < 0) {
			say(o->log, o->log_ctx, "deny-list refused: %s", err.msg);
			return r == -ENOMEM ? LG_EXIT_ERROR : LG_EXIT_DENYLIST;
		}
		run.dl = own_dl;
	}
	if (o->keyring) {
		run.keys = o->keyring;
	} else if (load_keyring(o->keys, o->n_keys, o->log, o->log_ctx, &own_keys) < 0) {
		lg_denylist_free(own_dl);
		return LG_EXIT_ERROR;
	} else {
		run.keys = own_keys;
	}
	double t_verify = now_s();
	struct lg_inventory *inv = NULL;
	r = lg_inventory_build(o->targets, o->n_targets, &inv, &err);
	if (r < 0) {
		say(o->log, o->log_ctx, "%s", err.msg);
		lg_keyring_free(own_keys);
		lg_denylist_free(own_dl);
		return LG_EXIT_ERROR;
	}
	double t_discover = now_s();
	char started[LG_RFC3339_LEN];
	iso_time(time(NULL), started);
	run.volumes = json_array();
	run.report = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "run_id", run.run_id,
			       "mode", o->fix ? "fix" : "scan", "lastgood_version", LG_VERSION,
			       "started", started, "machine", machine_json(),
			       "denylist", denylist_json(run.dl, o->denylist), "volumes", run.volumes);
	json_incref(run.volumes);
	/* A target that cannot be read is an error even when the others are
	 * fine: a script must not take a damaged disk for a clean one. */
	if (inv->n_problems) {
		json_t *pr = json_array();
		for (size_t i = 0; i < inv->n_problems; i++) {
			json_array_append_new(pr, json_string(inv->problems[i]));
			say(o->log, o->log_ctx, "%s", inv->problems[i]);
		}
		json_object_set_new(run.report, "problems", pr);
		run.exit = worse(run.exit, LG_EXIT_ERROR);
	}
	for (size_t i = 0; i < inv->n_vols; i++)
		run_volume(&run, &inv->vols[i]);
	if (run.totals.windows == 0 && inv->n_vols == 0)
		json_object_set_new(run.report, "note", json_string("no NTFS or BitLocker volume found on the targets"));
	char finished[LG_RFC3339_LEN];
	iso_time(time(NULL), finished);
	json_object_set_new(run.report, "finished", json_string(finished));
	json_object_set_new(run.report, "timings", json_pack("{s:f, s:f, s:f}",
		"verify", t_verify - t_start, "discover", t_discover - t_verify, "total", now_s() - t_start));
	json_object_set_new(run.report, "summary", json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
		"volumes", run.totals.volumes, "windows_volumes", run.totals.windows,
		"matches", run.totals.matched, "quarantined", run.totals.quarantined,
		"restored", run.totals.restored, "refused", run.totals.refused, "failed", run.totals.failed));
	json_object_set_new(run.report, "exit_code", json_integer(run.exit));
	if (o->report_dir) {
		r = write_report_dir(o->report_dir, run.run_id, run.report);
		if (r < 0) {
			say(o->log, o->log_ctx, "cannot write the report into %s: %s", o->report_dir, strerror(-r));
			run.exit = worse(run.exit, LG_EXIT_ERROR);
		}
	}
	if (report_out)
		*report_out = json_incref(run.report);
	json_decref(run.volumes);
	json_decref(run.report);
	lg_inventory_free(inv);
	lg_keyring_free(own_keys);
	lg_denylist_free(own_dl);
	return run.exit;
}

/* ---- undo ----------------------------------------------------------- */

struct undo_ctx {
	const struct lg_undo_opts *o;
	const struct lg_keyring *keys;
	json_t *vols;
	char jpath[256];
	bool found;
	unsigned locked;             /* BitLocker volumes that could not be searched */
	char locked_why[sizeof(((struct lg_err *)0)->msg)]; /* the first one's reason */
	int rc;
};

/* One NTFS volume (a partition, or the mapping of an unlocked BitLocker
 * volume): undo the run when its journal is there. bl: the BitLocker
 * facts to report with it, or NULL. Returns whether the run was there. */
static bool undo_ntfs(struct undo_ctx *u, const struct lg_volinfo *vi, json_t *bl)
{
	struct lg_err err = { "" };
	const struct lg_undo_opts *o = u->o;
	if (!vi->windows || vi->bitlocker || vi->error)
		return false;
	struct lg_volume *v = NULL;
	/* Look read-only first: only the volume holding the run is opened
	 * read-write. */
	if (lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, 0, &v, &err) < 0)
		return false;
	bool has = lg_fs_stat(v, u->jpath, NULL, NULL, NULL) == 0;
	lg_volume_close(v);
	v = NULL;
	if (!has)
		return false;
	u->found = true;
	json_t *vr = bl ? json_incref(bl) : lg_volinfo_json(vi);
	json_array_append_new(u->vols, vr);
	char where[512];
	if (!o->force && mounted_on_host(vi->disk->path, where, sizeof(where))) {
		json_object_set_new(vr, "status", json_string("refused"));
		say(u->o->log, u->o->log_ctx, "%s is mounted on this host at %s; unmount it first (or --force)",
			vi->disk->path, where);
		u->rc = worse(u->rc, LG_EXIT_POLICY);
		return true;
	}
	if (vi->hiber == LG_HIBER_ACTIVE || vi->hiber == LG_HIBER_WAKE) {
		json_object_set_new(vr, "status", json_string("refused"));
		say(u->o->log, u->o->log_ctx, "Windows on %s is hibernated; boot it and shut down fully first",
			vi->disk->path);
		u->rc = worse(u->rc, LG_EXIT_POLICY);
		return true;
	}
	if (lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, LG_VOL_RW, &v, &err) < 0) {
		json_object_set_new(vr, "status", json_string("error"));
		say(u->o->log, u->o->log_ctx, "%s", err.msg);
		u->rc = worse(u->rc, LG_EXIT_ERROR);
		return true;
	}
	struct lg_journal *j = NULL;
	json_t *results = json_array();
	json_object_set_new(vr, "steps", results);
	int r = load_journal(v, o->run_id, &j, &err);
	if (r == 0 && j->undo_ended) {
		json_object_set_new(vr, "status", json_string("already-undone"));
	} else if (r == 0) {
		r = lg_quarantine_undo(v, j, results, &err);
		json_object_set_new(vr, "status", json_string(r < 0 ? "refused" : "undone"));
	}
	if (r < 0) {
		json_object_set_new(vr, "reason", json_string(err.msg));
		say(u->o->log, u->o->log_ctx, "%s", err.msg);
		u->rc = worse(u->rc, r == -EEXIST ? LG_EXIT_POLICY : LG_EXIT_ERROR);
	}
	lg_journal_free(j);
	if (lg_volume_close(v) < 0)
		u->rc = worse(u->rc, LG_EXIT_ERROR);
	return true;
}

/* A BitLocker volume: unlocked like fix unlocks it (--keys, --prompt) and
 * searched for the run through the mapping, which is closed again. */
static void undo_bitlocker(struct undo_ctx *u, const struct lg_volinfo *vi)
{
	struct lg_err err = { "" };
	char where[512];
	if (!u->o->force && mounted_on_host(vi->disk->path, where, sizeof(where))) {
		say(u->o->log, u->o->log_ctx, "%s is mounted on this host at %s; unmount it first (or --force)",
			vi->disk->path, where);
		u->rc = worse(u->rc, LG_EXIT_POLICY);
		return;
	}
	struct lg_bl_unlock_opts uo = { .keys = u->keys, .asker = u->o->asker };
	struct lg_bl_result ur;
	memset(&ur, 0, sizeof(ur));
	char *mapped = NULL;
	struct lg_bitlocker_session *bs = NULL;
	if (lg_bitlocker_unlock_ex(vi->disk->path, vi->part->offset, vi->part->size, &uo, &mapped, &bs, &ur, &err) < 0) {
		/* Said at the end, and only when the run was found nowhere:
		 * a locked volume that does not hold it is no failure. */
		if (!u->locked++)
			snprintf(u->locked_why, sizeof(u->locked_why), "%s", err.msg);
		return;
	}
	struct lg_inventory *inner = NULL;
	if (lg_inventory_build(&mapped, 1, &inner, &err) == 0 && inner->n_vols) {
		json_t *bl = lg_volinfo_json(vi);
		json_object_set_new(bl, "unlock", lg_bl_result_json(&ur));
		json_object_set_new(bl, "mapped_device", json_string(mapped));
		undo_ntfs(u, &inner->vols[0], bl);
		json_decref(bl);
	}
	lg_inventory_free(inner);
	if (lg_bitlocker_close(bs) < 0) {
		say(u->o->log, u->o->log_ctx, "the BitLocker mapping %s could not be closed", mapped);
		u->rc = worse(u->rc, LG_EXIT_ERROR);
	}
	free(mapped);
}

int lg_undo(const struct lg_undo_opts *o, json_t **report_out)
{
	struct lg_err err = { "" };
	struct undo_ctx u = { .o = o, .rc = LG_EXIT_OK };
	struct lg_keyring *own_keys = NULL;
	if (report_out)
		*report_out = NULL;
	if (o->keyring)
		u.keys = o->keyring;
	else if (load_keyring(o->keys, o->n_keys, o->log, o->log_ctx, &own_keys) < 0)
		return LG_EXIT_ERROR;
	else
		u.keys = own_keys;
	struct lg_inventory *inv = NULL;
	int r = lg_inventory_build(o->targets, o->n_targets, &inv, &err);
	if (r < 0) {
		say(o->log, o->log_ctx, "%s", err.msg);
		lg_keyring_free(own_keys);
		return LG_EXIT_ERROR;
	}
	u.vols = json_array();
	snprintf(u.jpath, sizeof(u.jpath), LG_DIR "/journal/%s", o->run_id);
	for (size_t i = 0; i < inv->n_vols; i++) {
		if (inv->vols[i].bitlocker)
			undo_bitlocker(&u, &inv->vols[i]);
		else
			undo_ntfs(&u, &inv->vols[i], NULL);
	}
	if (!u.found && u.locked) {
		say(o->log, o->log_ctx, "run %s is not on the volumes lastgood could read; %u BitLocker volume%s "
		    "stayed locked: %s", o->run_id, u.locked, u.locked == 1 ? "" : "s", u.locked_why);
		u.rc = LG_EXIT_POLICY;
	} else if (!u.found) {
		say(o->log, o->log_ctx, "no volume on the targets has a run %s (looked for \\%s)", o->run_id, u.jpath);
		u.rc = LG_EXIT_ERROR;
	}
	if (report_out) {
		json_t *rep = json_pack("{s:s, s:s, s:O, s:i}", "mode", "undo", "run_id", o->run_id,
					"volumes", u.vols, "exit_code", u.rc);
		if (rep && u.locked)
			json_object_set_new(rep, "locked", json_pack("{s:i, s:s}", "volumes", u.locked, "first_reason",
								     u.locked_why));
		*report_out = rep;
	}
	json_decref(u.vols);
	lg_inventory_free(inv);
	lg_keyring_free(own_keys);
	return u.rc;
}
