// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/quarantine.h"

#include "storage/fsops.h"
#include "lib/hash.h"
#include "engine/paths.h"
#include "engine/registry.h"

#include <ntfs-3g/layout.h>

static void set_errmsg(struct lg_err *err, int r, const char *what, const char *path)
{
	const char *why = strerror(-r);
	if (r == -ENOSPC)
		why = "the volume is full";
	else if (r == -EROFS)
		why = "the volume is read-only";
	lg_err_set(err, "%s %s: %s", what, path, why);
}

int lg_quarantine(struct lg_jwriter *w, const char *path, json_t *facts, char *qpath,
		  size_t qlen, struct lg_err *err)
{
	int r = lg_path_quarantined(qpath, qlen, w->run_id, path);
	if (r < 0) {
		json_decref(facts);
		lg_err_set(err, "quarantine path too long for %s", path);
		return r;
	}
	if (lg_fs_stat(w->v, qpath, NULL, NULL, NULL) == 0) {
		json_decref(facts);
		lg_err_set(err, "quarantine path %s already exists; refusing to overwrite it", qpath);
		return -EEXIST;
	}
	json_t *rec = facts ? facts : json_object();
	json_object_set_new(rec, "from", json_string(path));
	json_object_set_new(rec, "to", json_string(qpath));
	unsigned seq;
	if ((r = lg_jwriter_intent(w, "quarantine", rec, &seq)) < 0) {
		set_errmsg(err, r, "cannot write the journal before moving", path);
		return r;
	}
	if ((r = lg_fs_rename(w->v, path, qpath)) < 0) {
		set_errmsg(err, r, "cannot move to quarantine", path);
		return r;
	}
	if ((r = lg_jwriter_mark(w, "done", seq)) < 0)
		set_errmsg(err, r, "moved, but cannot mark done in the journal:", path);
	return r;
}

static int tmp_name(const char *path, const char *run_id, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	int dir = slash ? (int)(slash - path + 1) : 0;
	int n = snprintf(out, len, "%.*s~lastgood-%s-%s", dir, path, run_id, slash ? slash + 1 : path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Whether the file at path has the wanted sha256. 1 yes, 0 no, <0 error. */
static int content_matches(struct lg_volume *v, const char *path, const char *sha_hex)
{
	char *buf = NULL;
	size_t n = 0;
	int r = lg_fs_read(v, path, 1u << 30, &buf, &n);
	if (r < 0)
		return r;
	unsigned char d[32];
	char hex[65];
	r = lg_hash_buf(buf, n, d, NULL);
	free(buf);
	if (r < 0)
		return r;
	lg_hex(d, 32, hex);
	return !strcmp(hex, sha_hex);
}

int lg_quarantine_restore(struct lg_jwriter *w, const char *path, const void *data, size_t len,
			  const unsigned char sha256[32], json_t *facts, struct lg_err *err)
{
	char tmp[4096], hex[65];
	int r = tmp_name(path, w->run_id, tmp, sizeof(tmp));
	if (r < 0) {
		json_decref(facts);
		lg_err_set(err, "path too long: %s", path);
		return r;
	}
	if (lg_fs_stat(w->v, path, NULL, NULL, NULL) == 0) {
		json_decref(facts);
		lg_err_set(err, "cannot restore %s: the path is taken", path);
		return -EEXIST;
	}
	lg_hex(sha256, 32, hex);
	json_t *rec = facts ? facts : json_object();
	json_object_set_new(rec, "path", json_string(path));
	json_object_set_new(rec, "tmp", json_string(tmp));
	json_object_set_new(rec, "sha256", json_string(hex));
	json_object_set_new(rec, "size", json_integer((json_int_t)len));
	unsigned seq;
	if ((r = lg_jwriter_intent(w, "restore", rec, &seq)) < 0) {
		set_errmsg(err, r, "cannot write the journal before restoring", path);
		return r;
	}
	if ((r = lg_fs_create(w->v, tmp, data, len)) < 0) {
		set_errmsg(err, r, "cannot write the known-good copy of", path);
		return r;
	}
	/* Read back what landed before it takes the driver's place. */
	if ((r = content_matches(w->v, tmp, hex)) != 1) {
		lg_err_set(err, "restored copy of %s does not read back as written", path);
		return r < 0 ? r : -EIO;
	}
	if ((r = lg_fs_rename(w->v, tmp, path)) < 0) {
		set_errmsg(err, r, "cannot put the known-good copy in place:", path);
		return r;
	}
	if ((r = lg_jwriter_mark(w, "done", seq)) < 0)
		set_errmsg(err, r, "restored, but cannot mark done in the journal:", path);
	return r;
}

#define HIBER_PAGE 4096

/* Zero the header page of hiberfil.sys, as Windows does after a resume
 * (only the signature decides a resume). Never past the file's end: the
 * same call completes an interrupted discard. */
static int clear_hiber_header(struct lg_volume *v)
{
	static char page[HIBER_PAGE];
	ssize_t n = lg_fs_pread(v, "hiberfil.sys", 0, page, sizeof(page));
	if (n <= 0)
		return (int)n;
	memset(page, 0, (size_t)n);
	return lg_fs_pwrite(v, "hiberfil.sys", 0, page, (size_t)n);
}

int lg_discard_hibernation(struct lg_jwriter *w, struct lg_err *err)
{
	char head[9] = { 0 };
	ssize_t n = lg_fs_pread(w->v, "hiberfil.sys", 0, head, 8);
	if (n < 0) {
		set_errmsg(err, (int)n, "cannot read", "hiberfil.sys");
		return (int)n;
	}
	int r;
	json_t *rec = json_pack("{s:s, s:s}", "path", "hiberfil.sys", "signature", head);
	unsigned seq;
	if ((r = lg_jwriter_intent(w, "hiberfile", rec, &seq)) < 0) {
		set_errmsg(err, r, "cannot write the journal before clearing", "hiberfil.sys");
		return r;
	}
	if ((r = clear_hiber_header(w->v)) < 0) {
		set_errmsg(err, r, "cannot clear the hibernation header of", "hiberfil.sys");
		return r;
	}
	return lg_jwriter_mark(w, "done", seq);
}

/* Decide what became of an announced quarantine. */
static int complete_quarantine(struct lg_volume *v, const struct lg_step *s, struct lg_err *err)
{
	const char *from = lg_step_str(s, "from"), *to = lg_step_str(s, "to");
	if (!from || !to) {
		lg_err_set(err, "journal step %u: quarantine without paths", s->seq);
		return -EBADMSG;
	}
	bool has_from = lg_fs_stat(v, from, NULL, NULL, NULL) == 0;
	bool has_to = lg_fs_stat(v, to, NULL, NULL, NULL) == 0;
	if (has_from && has_to) {
		/* Cut between link and unlink: one file, two names. */
		int r = lg_fs_unlink_duplicate(v, from, to);
		if (r == -ESTALE)
			lg_err_set(err, "%s and %s are different files; resolve by hand", from, to);
		return r;
	}
	if (has_from)
		return lg_fs_rename(v, from, to); /* never started: finish it */
	if (has_to)
		return 0;
	lg_err_set(err, "journal step %u: neither %s nor %s exists", s->seq, from, to);
	return -ENOENT;
}

static int complete_restore(struct lg_volume *v, const char *run_id, const struct lg_step *s,
			    struct lg_err *err)
{
	const char *path = lg_step_str(s, "path"), *tmp = lg_step_str(s, "tmp");
	const char *sha = lg_step_str(s, "sha256");
	if (!path || !tmp || !sha) {
		lg_err_set(err, "journal step %u: restore without paths", s->seq);
		return -EBADMSG;
	}
	bool has_path = lg_fs_stat(v, path, NULL, NULL, NULL) == 0;
	bool has_tmp = lg_fs_stat(v, tmp, NULL, NULL, NULL) == 0;
	if (has_path && has_tmp)
		return lg_fs_unlink_duplicate(v, tmp, path) == -ESTALE ? -EEXIST : 0;
	if (!has_tmp)
		return 0; /* in place, or never written: nothing half-made remains */
	int m = content_matches(v, tmp, sha);
	if (m == 1)
		return lg_fs_rename(v, tmp, path);
	/* A half-written copy: moved aside, never deleted, never put in place. */
	char q[4096];
	if (lg_path_quarantined(q, sizeof(q), run_id, tmp) < 0)
		return -ENAMETOOLONG;
	strncat(q, ".partial", sizeof(q) - strlen(q) - 1);
	return lg_fs_rename(v, tmp, q);
}

int lg_quarantine_complete(struct lg_volume *v, const struct lg_journal *j, struct lg_err *err)
{
	struct lg_jwriter w;
	lg_jwriter_reopen(&w, v, j);
	for (size_t i = 0; i < j->n_steps; i++) {
		const struct lg_step *s = &j->steps[i];
		if (s->state != LG_STEP_INTENT)
			continue;
		int r = 0;
		if (!strcmp(s->op, "quarantine"))
			r = complete_quarantine(v, s, err);
		else if (!strcmp(s->op, "restore"))
			r = complete_restore(v, j->run_id, s, err);
		else if (!strcmp(s->op, "registry"))
			r = lg_registry_complete_step(v, j->run_id, s, err);
		else if (!strcmp(s->op, "hiberfile"))
			r = clear_hiber_header(v);
		if (r < 0) {
			if (!err->msg[0])
				lg_err_set(err, "cannot complete step %u (%s) of run %s: %s", s->seq,
					   s->op, j->run_id, strerror(-r));
			return r;
		}
		if ((r = lg_jwriter_mark(&w, "done", s->seq)) < 0)
			return r;
	}
	if (!j->ended)
		return lg_jwriter_mark(&w, "end", 0);
	return 0;
}

static int undo_step(struct lg_volume *v, const char *run_id, const struct lg_step *s,
		     json_t *results, struct lg_err *err)
{
	int r = 0;
	if (!strcmp(s->op, "quarantine")) {
		const char *from = lg_step_str(s, "from"), *to = lg_step_str(s, "to");
		bool has_from = lg_fs_stat(v, from, NULL, NULL, NULL) == 0;
		bool has_to = lg_fs_stat(v, to, NULL, NULL, NULL) == 0;
		if (has_from && has_to)
			r = lg_fs_unlink_duplicate(v, to, from);
		else if (has_to)
			r = lg_fs_rename(v, to, from);
		else if (!has_from)
			r = -ENOENT;
		json_array_append_new(results, json_pack("{s:s, s:s, s:s, s:s}", "op", "quarantine",
			"path", from, "from", to, "result", r < 0 ? strerror(-r) : "moved back"));
		if (r < 0)
			lg_err_set(err, "cannot move %s back to %s: %s", to, from, strerror(-r));
	} else if (!strcmp(s->op, "restore")) {
		/* The restored copy goes aside into the run's quarantine. */
		const char *path = lg_step_str(s, "path");
		char aside[4096];
		if (lg_path_undone_restore(aside, sizeof(aside), run_id, path) < 0)
			return -ENAMETOOLONG;
		if (lg_fs_stat(v, path, NULL, NULL, NULL) == 0)
			r = lg_fs_rename(v, path, aside);
		json_array_append_new(results, json_pack("{s:s, s:s, s:s}", "op", "restore", "path", path,
			"result", r < 0 ? strerror(-r) : "restored copy set aside"));
		if (r < 0)
			lg_err_set(err, "cannot set the restored copy %s aside: %s", path, strerror(-r));
	}
	else if (!strcmp(s->op, "registry"))
		r = lg_registry_undo_step(v, run_id, s, results, err);
	/* hiberfile: a stale hibernation image must never be resumed after
	 * Windows has run; its header stays cleared. */
	return r;
}

int lg_quarantine_undo(struct lg_volume *v, const struct lg_journal *j, json_t *results,
		       struct lg_err *err)
{
	/* First make an interrupted run whole, so undo has one state to undo. */
	int r = lg_quarantine_complete(v, j, err);
	if (r < 0)
		return r;
	/* Refuse before changing anything when a path is taken since. */
	for (size_t i = 0; i < j->n_steps; i++) {
		const struct lg_step *s = &j->steps[i];
		/* An undo announced earlier may have moved the file back already:
		 * the file at its path is then ours, not a newcomer's. */
		if (s->state == LG_STEP_UNDONE || s->state == LG_STEP_UNDO_INTENT || strcmp(s->op, "quarantine"))
			continue;
		const char *from = lg_step_str(s, "from"), *to = lg_step_str(s, "to");
		if (!from || !to)
			return -EBADMSG;
		uint64_t a, b;
		if (lg_fs_stat(v, from, &a, NULL, NULL) == 0 &&
		    (lg_fs_stat(v, to, &b, NULL, NULL) < 0 || a != b)) {
			/* Restored content from the same run moves aside first. */
			bool restored_here = false;
			for (size_t k = 0; k < j->n_steps; k++) {
				const char *p = !strcmp(j->steps[k].op, "restore") ? lg_step_str(&j->steps[k], "path") : NULL;
				if (p && !strcasecmp(p, from) && j->steps[k].state != LG_STEP_UNDONE)
					restored_here = true;
			}
			if (!restored_here) {
				lg_err_set(err, "cannot undo run %s: %s has been taken since by another file; "
					   "move it away, then run undo again", j->run_id, from);
				return -EEXIST;
			}
		}
	}
	struct lg_jwriter w;
	lg_jwriter_reopen(&w, v, j);
	for (size_t i = j->n_steps; i-- > 0;) {
		const struct lg_step *s = &j->steps[i];
		if (s->state == LG_STEP_UNDONE)
			continue;
		if ((r = lg_jwriter_mark(&w, "undo-intent", s->seq)) < 0)
			return r;
		if ((r = undo_step(v, j->run_id, s, results, err)) < 0)
			return r;
		if ((r = lg_jwriter_mark(&w, "undone", s->seq)) < 0)
			return r;
	}
	return lg_jwriter_mark(&w, "undo-end", 0);
}
