// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/trust.h"

#include "engine/quarantine.h"
#include "engine/registry.h"
#include "formats/denylist.h"
#include "storage/fsops.h"
#include "storage/secdesc.h"

#include <ntfs-3g/dir.h>
#include <ntfs-3g/layout.h>

#define MAX_JOURNALS 10000

int lg_trust_path(struct lg_volume *v, const char *path, const char **why)
{
	void *sd = NULL;
	size_t len = 0;
	*why = NULL;
	int r = lg_fs_get_sd(v, path, &sd, &len);
	if (r == -ENODATA) {
		*why = "it has no security descriptor";
		return 0;
	}
	if (r < 0)
		return r;
	r = lg_sd_trusted(sd, len, why);
	free(sd);
	if (r == -EBADMSG)
		return 0; /* why says so */
	return r;
}

/* Each of the paths, in order, trusted: 1, else 0 with why. */
static int trust_chain(struct lg_volume *v, const char *const *paths, size_t n, const char **why,
		       const char **which)
{
	for (size_t i = 0; i < n; i++) {
		int r = lg_trust_path(v, paths[i], why);
		if (r <= 0) {
			*which = paths[i];
			if (r < 0 && !*why)
				*why = r == -ENOENT ? "it is missing" : "its security descriptor cannot be read";
			return r < 0 && r != -ENOENT ? r : 0;
		}
	}
	return 1;
}

int lg_trust_journal_file(struct lg_volume *v, const char *file_name, struct lg_journal **out,
			  struct lg_err *err)
{
	*out = NULL;
	char path[512];
	if (!lg_journal_run_id_valid(file_name) || lg_path_journal(path, sizeof(path), file_name) < 0) {
		lg_err_set(err, "journal file name is not a run id lastgood makes");
		return -EBADMSG;
	}
	const char *chain[] = { LG_DIR, LG_PATH_JOURNALS, path };
	const char *why = NULL, *which = NULL;
	int r = trust_chain(v, chain, ARRAY_SIZE(chain), &why, &which);
	if (r <= 0) {
		lg_err_set(err, "\\%s is not lastgood's: %s", which, why);
		return r < 0 ? r : -EPERM;
	}
	char *buf = NULL;
	size_t len = 0;
	r = lg_fs_read(v, path, LG_JOURNAL_MAX_BYTES, &buf, &len);
	if (r < 0) {
		lg_err_set(err, "cannot read journal %s: %s", file_name, strerror(-r));
		return r;
	}
	struct lg_journal *j = NULL;
	r = lg_journal_parse(buf, len, &j, err);
	free(buf);
	if (r < 0)
		return r;
	if ((r = lg_journal_check(j, file_name, err)) == 0) {
		for (size_t i = 0; i < j->n_steps && r == 0; i++)
			if (!strcmp(j->steps[i].op, "registry"))
				r = lg_registry_step_valid(j->run_id, &j->steps[i], err);
	}
	if (r < 0) {
		lg_journal_free(j);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	*out = j;
	return 0;
}

/* Move what is not trusted out of the way: kept, never read again. */
static int set_aside(struct lg_volume *v, const char *path, const char *run_id, const char *leaf,
		     char *moved, size_t mlen)
{
	int r = lg_path_set_aside(moved, mlen, run_id, leaf);
	return r < 0 ? r : lg_fs_rename(v, path, moved);
}

static void note(json_t *vr, const char *field, const char *path, const char *why, const char *moved)
{
	json_t *a = json_object_get(vr, field);
	if (!a) {
		a = json_array();
		json_object_set_new(vr, field, a);
	}
	json_t *o = json_pack("{s:s, s:s}", "path", path, "why", why);
	if (o && moved)
		json_object_set_new(o, "moved_to", json_string(moved));
	json_array_append_new(a, o);
}

int lg_trust_prepare(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, bool *usable,
		     struct lg_err *err)
{
	*usable = true;
	const char *why = NULL;
	int r = lg_trust_path(v, LG_DIR, &why);
	if (r == -ENOENT || r == 1)
		return 0;
	if (r < 0 && !why)
		why = "its security descriptor cannot be read";
	json_t *o = json_pack("{s:b, s:s}", "trusted", 0, "why", why);
	json_object_set_new(vr, "lastgood_dir", o);
	if (!fix) {
		*usable = false;
		return 0;
	}
	char moved[128];
	r = lg_path_untrusted_dir(moved, sizeof(moved), run_id);
	if (r == 0)
		r = lg_fs_rename_dir(v, LG_DIR, moved);
	if (r < 0) {
		lg_err_set(err, "\\%s is not lastgood's (%s) and cannot be set aside: %s", LG_DIR, why, strerror(-r));
		return r;
	}
	json_object_set_new(o, "moved_to", json_string(moved));
	return 0;
}

/* A journal that is not acted on: set aside by fix (as journal-<n>),
 * listed as ignored by scan. A name too long for a path is cut in the
 * report only; the move then fails and it is listed as ignored. */
static void journal_aside(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, const char *name, size_t i,
			  const char *why)
{
	char path[512], moved[600], leaf[64];
	int r = lg_path_journal(path, sizeof(path), name);
	snprintf(leaf, sizeof(leaf), "journal-%zu", i + 1);
	int m = fix && r == 0 ? set_aside(v, path, run_id, leaf, moved, sizeof(moved)) : -EROFS;
	note(vr, m == 0 ? "set_aside" : "ignored", path, why, m == 0 ? moved : NULL);
}

struct names {
	char **v;
	size_t n;
};

static int list_cb(void *ctx, const ntfschar *name, const int len, const int type, const s64 pos,
		   const MFT_REF mref, const unsigned dt_type)
{
	struct names *p = ctx;
	if (type == FILE_NAME_DOS || p->n >= MAX_JOURNALS)
		return 0;
	if ((len == 1 && name[0] == cpu_to_le16('.')) ||
	    (len == 2 && name[0] == cpu_to_le16('.') && name[1] == cpu_to_le16('.')))
		return 0;
	char *mb = NULL;
	if (ntfs_ucstombs(name, len, &mb, 0) < 0 || !mb) {
		/* A name that cannot be shown cannot be ours either. */
		mb = strdup("(a name that is not valid UTF-16)");
		if (!mb)
			return -1;
	}
	char **nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv) {
		free(mb);
		return -1;
	}
	p->v = nv;
	p->v[p->n++] = mb;
	return 0;
}

static void names_free(struct names *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_journals(struct lg_volume *v, struct names *p)
{
	memset(p, 0, sizeof(*p));
	ntfs_inode *dir = lg_volume_lookup(v, LG_PATH_JOURNALS);
	if (!dir)
		return 0;
	s64 pos = 0;
	int r = ntfs_readdir(dir, &pos, p, list_cb) ? -EIO : 0;
	ntfs_inode_close(dir);
	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), cmp_str);
	return r;
}

/* Each journal, checked: trusted ones to fn, the others set aside or
 * ignored. */
static int each_journal(struct lg_volume *v, bool fix, const char *run_id, json_t *vr,
			int (*fn)(void *ctx, struct lg_journal *j, struct lg_err *err), void *ctx,
			struct lg_err *err)
{
	struct names p;
	if (list_journals(v, &p) < 0) {
		names_free(&p);
		lg_err_set(err, "cannot list \\%s", LG_PATH_JOURNALS);
		return -EIO;
	}
	int r = 0;
	for (size_t i = 0; i < p.n && r >= 0; i++) {
		/* This run's own journal is not there yet; a name equal to it
		 * was planted and goes aside like any other bad one. */
		struct lg_journal *j = NULL;
		struct lg_err jerr = { "" };
		int t = lg_trust_journal_file(v, p.v[i], &j, &jerr);
		if (t == -ENOMEM) {
			r = t;
			break;
		}
		if (t < 0) {
			journal_aside(v, fix, run_id, vr, p.v[i], i, jerr.msg);
			continue;
		}
		r = fn(ctx, j, &jerr);
		lg_journal_free(j);
		if (r == -ESTALE || r == -EBADMSG) {
			/* Its records do not fit the volume: not acted on. */
			journal_aside(v, fix, run_id, vr, p.v[i], i, jerr.msg);
			r = 0;
		} else if (r < 0) {
			lg_err_set(err, "%s", jerr.msg);
		}
	}
	names_free(&p);
	return r;
}

static int max_serial_cb(void *ctx, struct lg_journal *j, struct lg_err *err)
{
	int64_t *s = ctx;
	json_t *js = json_object_get(j->begin, "serial");
	if (json_integer_value(js) > *s && json_integer_value(js) <= LG_SERIAL_MAX)
		*s = json_integer_value(js);
	return 0;
}

int lg_trust_read_state(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, int64_t *serial,
			struct lg_err *err)
{
	*serial = -1;
	const char *why = NULL;
	int t = lg_trust_path(v, LG_PATH_STATE, &why);
	if (t == -ENOENT)
		return 0;
	struct lg_err serr = { "" };
	int r = -EPERM;
	if (t == 1) {
		char *buf = NULL;
		size_t len = 0;
		r = lg_fs_read(v, LG_PATH_STATE, LG_STATE_MAX_BYTES, &buf, &len);
		if (r < 0)
			lg_err_set(&serr, "cannot read it: %s", strerror(-r));
		else
			r = lg_state_parse(buf, len, serial, &serr);
		free(buf);
		if (r == 0 && *serial > LG_SERIAL_MAX) {
			lg_err_set(&serr, "its serial %lld is impossible (above %lld): damage, not a rollback",
				   (long long)*serial, (long long)LG_SERIAL_MAX);
			r = -EBADMSG;
		}
		if (r == 0)
			return 0;
	} else {
		lg_err_set(&serr, "not lastgood's: %s", why ? why : "its security descriptor cannot be read");
	}
	char moved[256];
	int m = fix ? set_aside(v, LG_PATH_STATE, run_id, "state.json", moved, sizeof(moved)) : -EROFS;
	note(vr, m == 0 ? "set_aside" : "ignored", LG_PATH_STATE, serr.msg, m == 0 ? moved : NULL);
	/* The journals of finished runs hold the same facts (the serial is
	 * in each begin record): the trusted ones stand in for it. */
	*serial = -1;
	struct lg_err jerr = { "" };
	json_t *scratch = json_object();
	r = each_journal(v, false, run_id, scratch, max_serial_cb, serial, &jerr);
	json_decref(scratch);
	if (r < 0) {
		lg_err_set(err, "%s", jerr.msg);
		return r;
	}
	json_object_set_new(vr, "state_rebuilt",
			    json_string("state.json was damaged or not lastgood's; the applied serial was taken from the journals"));
	return 0;
}

struct pending_ctx {
	struct lg_volume *v;
	bool fix;
	json_t *done, *unfinished_undo;
};

static int pending_cb(void *ctx, struct lg_journal *j, struct lg_err *err)
{
	struct pending_ctx *p = ctx;
	if (!j->ended && !j->undo_ended) {
		int r = lg_quarantine_complete_check(p->v, j, err);
		if (r < 0)
			return r;
		if (p->fix && (r = lg_quarantine_complete(p->v, j, err)) < 0)
			return r;
		json_array_append_new(p->done, json_string(j->run_id));
	} else if (!j->undo_ended) {
		/* An undo cut short is finished by running undo again; this
		 * run does not need it. */
		for (size_t k = 0; k < j->n_steps; k++)
			if (j->steps[k].state == LG_STEP_UNDO_INTENT) {
				json_array_append_new(p->unfinished_undo, json_string(j->run_id));
				break;
			}
	}
	return 0;
}

int lg_trust_pending(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, struct lg_err *err)
{
	struct pending_ctx p = { v, fix, json_array(), json_array() };
	int r = each_journal(v, fix, run_id, vr, pending_cb, &p, err);
	if (json_array_size(p.done))
		json_object_set_new(vr, fix ? "completed_interrupted_runs" : "interrupted_runs", p.done);
	else
		json_decref(p.done);
	if (json_array_size(p.unfinished_undo))
		json_object_set_new(vr, "unfinished_undo", p.unfinished_undo);
	else
		json_decref(p.unfinished_undo);
	return r;
}
