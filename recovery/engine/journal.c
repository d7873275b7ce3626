// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/journal.h"

void lg_journal_free(struct lg_journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n_steps; i++) {
		free(j->steps[i].op);
		json_decref(j->steps[i].rec);
	}
	free(j->steps);
	json_decref(j->begin);
	free(j->run_id);
	free(j);
}

const char *lg_step_str(const struct lg_step *s, const char *key)
{
	return json_string_value(json_object_get(s->rec, key));
}

char *lg_journal_line(json_t *rec)
{
	char *s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = 0;
	return line;
}

bool lg_journal_run_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (!n || n > 31)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

bool lg_journal_path_ok(const char *path)
{
	if (!path || !*path || strlen(path) > 4000)
		return false;
	const char *c = path;
	for (;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (!n || n > 255 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '\\' || c[i] == ':')
				return false;
		if (c == path && n == strlen(LG_DIR) && !strncasecmp(c, LG_DIR, n))
			return false; /* never lastgood's own folder as a target */
		if (!e)
			return true;
		c = e + 1;
	}
}

static bool sha_ok(const char *h)
{
	unsigned char d[32];
	return h && strlen(h) == 64 && lg_unhex(h, d, 32) == 0;
}

static int step_bad(struct lg_err *err, const struct lg_step *s, const char *why)
{
	lg_err_set(err, "journal step %u (%s): %s", s->seq, s->op, why);
	return -EBADMSG;
}

int lg_journal_check(const struct lg_journal *j, const char *file_name, struct lg_err *err)
{
	if (!lg_journal_run_id_valid(j->run_id)) {
		lg_err_set(err, "journal %s: the run id is not one lastgood makes", file_name);
		return -EBADMSG;
	}
	if (strcmp(j->run_id, file_name)) {
		lg_err_set(err, "journal %s: its begin record names another run", file_name);
		return -EBADMSG;
	}
	json_t *serial = json_object_get(j->begin, "serial");
	if (!json_is_integer(serial) || json_integer_value(serial) < 0) {
		lg_err_set(err, "journal %s: the begin record has no valid serial", file_name);
		return -EBADMSG;
	}
	for (size_t i = 0; i < j->n_steps; i++) {
		const struct lg_step *s = &j->steps[i];
		if (!strcmp(s->op, "quarantine")) {
			const char *from = lg_step_str(s, "from"), *to = lg_step_str(s, "to");
			if (!lg_journal_path_ok(from) || !to)
				return step_bad(err, s, "the original path is not one lastgood acts on");
			char want[4200];
			if (lg_path_quarantined(want, sizeof(want), j->run_id, from) < 0 || strcmp(to, want))
				return step_bad(err, s, "the quarantine path is not the run's quarantine");
			if (!sha_ok(lg_step_str(s, "sha256")))
				return step_bad(err, s, "no sha256 of the file");
			json_t *mref = json_object_get(s->rec, "mref");
			if (mref && (!json_is_integer(mref) || json_integer_value(mref) <= 0))
				return step_bad(err, s, "the MFT reference is not a number");
		} else if (!strcmp(s->op, "restore")) {
			const char *path = lg_step_str(s, "path"), *tmp = lg_step_str(s, "tmp");
			if (!lg_journal_path_ok(path) || !tmp)
				return step_bad(err, s, "the path is not one lastgood acts on");
			const char *slash = strrchr(path, '/');
			int dir = slash ? (int)(slash - path + 1) : 0;
			char want[4200];
			int n = snprintf(want, sizeof(want), "%.*s~lastgood-%s-%s", dir, path, j->run_id,
					 slash ? slash + 1 : path);
			if (n < 0 || (size_t)n >= sizeof(want) || strcmp(tmp, want))
				return step_bad(err, s, "the temporary name is not the one lastgood makes");
			if (!sha_ok(lg_step_str(s, "sha256")))
				return step_bad(err, s, "no sha256 of the content");
			/* lastgood restores only where it has just moved a file away. */
			bool moved = false;
			for (size_t k = 0; k < i && !moved; k++) {
				const char *f = !strcmp(j->steps[k].op, "quarantine") ? lg_step_str(&j->steps[k], "from") : NULL;
				moved = f && !strcasecmp(f, path);
			}
			if (!moved)
				return step_bad(err, s, "no earlier step of the run moved the file at that path away");
		} else if (!strcmp(s->op, "hiberfile")) {
			const char *path = lg_step_str(s, "path");
			if (!path || strcmp(path, "hiberfil.sys"))
				return step_bad(err, s, "not the hibernation file");
		} else if (strcmp(s->op, "registry")) {
			return step_bad(err, s, "not an operation lastgood makes");
		}
	}
	return 0;
}

static struct lg_step *find_step(struct lg_journal *j, json_int_t seq)
{
	for (size_t i = 0; i < j->n_steps; i++)
		if ((json_int_t)j->steps[i].seq == seq)
			return &j->steps[i];
	return NULL;
}

static int apply_record(struct lg_journal *j, json_t *rec, unsigned lineno, struct lg_err *err)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	if (!type) {
		lg_err_set(err, "journal line %u: no record type", lineno);
		return -EBADMSG;
	}
	if (!strcmp(type, "begin")) {
		const char *run = json_string_value(json_object_get(rec, "run_id"));
		if (j->begin || !run) {
			lg_err_set(err, "journal line %u: %s", lineno,
				   j->begin ? "second begin record" : "begin without run_id");
			return -EBADMSG;
		}
		j->run_id = strdup(run);
		j->begin = json_incref(rec);
		return j->run_id ? 0 : -ENOMEM;
	}
	if (!j->begin) {
		lg_err_set(err, "journal line %u: record before the begin record", lineno);
		return -EBADMSG;
	}
	if (!strcmp(type, "end")) {
		j->ended = true;
		return 0;
	}
	if (!strcmp(type, "undo-end")) {
		j->undo_ended = true;
		return 0;
	}
	json_t *jseq = json_object_get(rec, "seq");
	if (!json_is_integer(jseq) || json_integer_value(jseq) <= 0 ||
	    json_integer_value(jseq) > 10000000) {
		lg_err_set(err, "journal line %u: %s record without a valid seq", lineno, type);
		return -EBADMSG;
	}
	json_int_t seq = json_integer_value(jseq);
	struct lg_step *s = find_step(j, seq);
	if (!strcmp(type, "intent")) {
		const char *op = json_string_value(json_object_get(rec, "op"));
		if (s || !op) {
			lg_err_set(err, "journal line %u: %s", lineno,
				   s ? "step announced twice" : "intent without op");
			return -EBADMSG;
		}
		if (j->ended) {
			lg_err_set(err, "journal line %u: step after the end record", lineno);
			return -EBADMSG;
		}
		struct lg_step *ns = realloc(j->steps, (j->n_steps + 1) * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		j->steps = ns;
		s = &j->steps[j->n_steps++];
		memset(s, 0, sizeof(*s));
		s->seq = (unsigned)seq;
		s->op = strdup(op);
		s->rec = json_incref(rec);
		s->state = LG_STEP_INTENT;
		return s->op ? 0 : -ENOMEM;
	}
	if (!s) {
		lg_err_set(err, "journal line %u: %s for unknown step %lld", lineno, type, (long long)seq);
		return -EBADMSG;
	}
	if (!strcmp(type, "done"))
		s->state = LG_STEP_DONE;
	else if (!strcmp(type, "undo-intent"))
		s->state = LG_STEP_UNDO_INTENT;
	else if (!strcmp(type, "undone"))
		s->state = LG_STEP_UNDONE;
	else {
		lg_err_set(err, "journal line %u: unknown record type \"%.40s\"", lineno, type);
		return -EBADMSG;
	}
	return 0;
}

static bool valid_record_follows(const char *buf, size_t len, size_t pos)
{
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (!nl)
			return false;
		size_t llen = (size_t)(nl - (buf + pos));
		json_t *rec = llen ? json_loadb(buf + pos, llen, JSON_REJECT_DUPLICATES, NULL) : NULL;
		bool ok = rec && json_is_object(rec) && json_is_string(json_object_get(rec, "type"));
		json_decref(rec);
		if (ok)
			return true;
		pos += llen + 1;
	}
	return false;
}

int lg_journal_parse(const char *buf, size_t len, struct lg_journal **out, struct lg_err *err)
{
	*out = NULL;
	if (len > LG_JOURNAL_MAX_BYTES) {
		lg_err_set(err, "journal larger than %u bytes", LG_JOURNAL_MAX_BYTES);
		return -EFBIG;
	}
	struct lg_journal *j = lg_zalloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	size_t pos = 0;
	unsigned lineno = 0;
	while (pos < len) {
		lineno++;
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		json_error_t jerr;
		json_t *rec = NULL;
		if (llen)
			rec = json_loadb(buf + pos, llen, JSON_REJECT_DUPLICATES, &jerr);
		if (!nl) {
			/* No newline: the append was cut; whatever it held never
			 * took effect (write-ahead), so it is dropped. */
			json_decref(rec);
			j->torn_tail = true;
			break;
		}
		if (!rec || !json_is_object(rec)) {
			json_decref(rec);
			/* A cut during an append can leave stale bytes, newlines
			 * included, past the last good record: damage that no
			 * valid record follows is such a tail. */
			if (!valid_record_follows(buf, len, pos + llen + 1)) {
				j->torn_tail = true;
				break;
			}
			lg_err_set(err, "journal line %u is damaged", lineno);
			lg_journal_free(j);
			return -EBADMSG;
		}
		int r = apply_record(j, rec, lineno, err);
		json_decref(rec);
		if (r < 0) {
			lg_journal_free(j);
			return r;
		}
		pos += llen + 1;
	}
	if (!j->begin) {
		lg_err_set(err, "journal has no begin record");
		lg_journal_free(j);
		return -EBADMSG;
	}
	*out = j;
	return 0;
}

#include "storage/fsops.h"
#include "storage/volume.h"

#include <time.h>

#include <ntfs-3g/dir.h>
#include <ntfs-3g/layout.h>

static int jw_append(struct lg_jwriter *w, json_t *rec)
{
	char *line = lg_journal_line(rec);
	json_decref(rec);
	if (!line)
		return -ENOMEM;
	int r = lg_fs_append(w->v, w->path, line, strlen(line));
	free(line);
	return r;
}

static void jw_init(struct lg_jwriter *w, struct lg_volume *v, const char *run_id)
{
	memset(w, 0, sizeof(*w));
	w->v = v;
	snprintf(w->run_id, sizeof(w->run_id), "%s", run_id);
	(void)lg_path_journal(w->path, sizeof(w->path), run_id);
	w->next_seq = 1;
}

int lg_jwriter_begin(struct lg_jwriter *w, struct lg_volume *v, const char *run_id, json_t *extra)
{
	jw_init(w, v, run_id);
	if (lg_fs_stat(v, w->path, NULL, NULL, NULL) == 0)
		return -EEXIST;
	json_t *rec = json_pack("{s:s, s:s, s:I}", "type", "begin", "run_id", run_id,
				"time", (json_int_t)time(NULL));
	if (!rec)
		return -ENOMEM;
	if (extra)
		json_object_update(rec, extra);
	return jw_append(w, rec);
}

int lg_jwriter_reopen(struct lg_jwriter *w, struct lg_volume *v, const struct lg_journal *j)
{
	jw_init(w, v, j->run_id);
	for (size_t i = 0; i < j->n_steps; i++)
		if (j->steps[i].seq >= w->next_seq)
			w->next_seq = j->steps[i].seq + 1;
	return 0;
}

int lg_jwriter_intent(struct lg_jwriter *w, const char *op, json_t *fields, unsigned *seq)
{
	json_t *rec = fields ? fields : json_object();
	if (!rec)
		return -ENOMEM;
	json_object_set_new(rec, "type", json_string("intent"));
	json_object_set_new(rec, "op", json_string(op));
	json_object_set_new(rec, "seq", json_integer(w->next_seq));
	int r = jw_append(w, rec);
	if (r == 0)
		*seq = w->next_seq++;
	return r;
}

int lg_jwriter_mark(struct lg_jwriter *w, const char *type, unsigned seq)
{
	json_t *rec = seq ? json_pack("{s:s, s:i}", "type", type, "seq", (int)seq)
			  : json_pack("{s:s, s:I}", "type", type, "time", (json_int_t)time(NULL));
	if (!rec)
		return -ENOMEM;
	return jw_append(w, rec);
}

/* ---- reading the journals of a volume ------------------------------- */

int lg_journal_load(struct lg_volume *v, const char *run_id, struct lg_journal **out, struct lg_err *err)
{
	char path[256];
	(void)lg_path_journal(path, sizeof(path), run_id);
	char *buf = NULL;
	size_t len = 0;
	int r = lg_fs_read(v, path, LG_JOURNAL_MAX_BYTES, &buf, &len);
	if (r < 0) {
		lg_err_set(err, "cannot read journal %s: %s", run_id, strerror(-r));
		return r;
	}
	r = lg_journal_parse(buf, len, out, err);
	free(buf);
	return r;
}

struct ids {
	char **v;
	size_t n;
};

static int list_cb(void *ctx, const ntfschar *name, const int len, const int type,
		   const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct ids *p = ctx;
	if (type == FILE_NAME_DOS || dt_type != NTFS_DT_REG)
		return 0;
	char *mb = NULL;
	if (ntfs_ucstombs(name, len, &mb, 0) < 0)
		return 0;
	char **n = realloc(p->v, (p->n + 1) * sizeof(*n));
	if (!n) {
		free(mb);
		return -1;
	}
	p->v = n;
	p->v[p->n++] = mb;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void lg_journal_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int lg_journal_list(struct lg_volume *v, char ***ids, size_t *n)
{
	struct ids p = { 0 };
	*ids = NULL;
	*n = 0;
	ntfs_inode *dir = lg_volume_lookup(v, LG_PATH_JOURNALS);
	if (!dir)
		return 0;
	s64 pos = 0;
	int r = ntfs_readdir(dir, &pos, &p, list_cb) ? -EIO : 0;
	ntfs_inode_close(dir);
	if (p.n)
		qsort(p.v, p.n, sizeof(*p.v), cmp_str);
	*ids = p.v;
	*n = p.n;
	return r;
}
