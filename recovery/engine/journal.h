/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The write-ahead journal of a run, kept on the Windows volume at
 * $LastGood/journal/<run-id>: one JSON object per line.
 *
 *   {"type":"begin","run_id":...,"serial":...,"key_id":...,"time":...}
 *   {"type":"intent","seq":1,"op":"quarantine","from":...,"to":...,...}
 *   {"type":"done","seq":1}
 *   {"type":"intent","seq":2,"op":"restore","path":...,"tmp":...,...}
 *   {"type":"done","seq":2}
 *   {"type":"end"}
 *   {"type":"undo-intent","seq":2} / {"type":"undone","seq":2} / {"type":"undo-end"}
 *
 * Every record is written and flushed to the device before the change it
 * announces is made, and "done" after it. A torn last line (power cut
 * mid-append) is ignored; damage anywhere else is an error. The journal is
 * input from disk: the parser is strict and fuzzed.
 */
#ifndef LG_JOURNAL_H
#define LG_JOURNAL_H

#include "engine/paths.h"
#include "lib/util.h"

#include <jansson.h>

#define LG_JOURNAL_MAX_BYTES (64u << 20)

enum lg_step_state {
	LG_STEP_INTENT = 0,      /* announced, maybe half made */
	LG_STEP_DONE,
	LG_STEP_UNDO_INTENT,     /* undo announced */
	LG_STEP_UNDONE,
};

struct lg_step {
	unsigned seq;
	char *op;                /* "quarantine", "restore", "hiberfile", ... */
	json_t *rec;             /* the intent record, owned */
	enum lg_step_state state;
};

struct lg_journal {
	char *run_id;
	json_t *begin;           /* the begin record, owned */
	struct lg_step *steps;
	size_t n_steps;
	bool ended;              /* "end" seen: the fix finished */
	bool undo_ended;         /* "undo-end" seen */
	bool torn_tail;          /* the last line was incomplete and ignored */
};

int lg_journal_parse(const char *buf, size_t len, struct lg_journal **out, struct lg_err *err);
void lg_journal_free(struct lg_journal *j);

/* A run id: 1 to 31 letters, digits, '-' and '_' (what lg_run_id_new
 * makes and --run-id accepts). */
bool lg_journal_run_id_valid(const char *id);

/* Whether a journal read from `file_name` (its name in
 * $LastGood/journal) holds only what lastgood writes: the run id has its
 * format and is the file's name; every step is one of lastgood's ops with
 * the paths lastgood makes for this run (a quarantine's "to" is
 * $LastGood/quarantine/<run>/<from>; a restore's "tmp" is
 * ~lastgood-<run>-<name> beside its "path", which an earlier quarantine
 * of the same run moved away; the hibernation file is hiberfil.sys);
 * paths are plain (no '.', '..', empty component, '\', ':', control
 * character, nothing inside $LastGood); every sha256 is 64 hex digits.
 * Registry steps are checked by lg_registry_step_valid(). -EBADMSG with
 * err naming the line's step when not. */
int lg_journal_check(const struct lg_journal *j, const char *file_name, struct lg_err *err);

/* A path a journal may name: see lg_journal_check. */
bool lg_journal_path_ok(const char *path);

/* The record's string field, or NULL. */
const char *lg_step_str(const struct lg_step *s, const char *key);

/* Serialise one record as a journal line (compact JSON + '\n'). */
char *lg_journal_line(json_t *rec);

/* Reader side, on a volume. */
struct lg_volume;
/* Read and parse $LastGood/journal/<run_id>. */
int lg_journal_load(struct lg_volume *v, const char *run_id, struct lg_journal **out, struct lg_err *err);
/* The run ids of every journal on the volume, sorted (oldest run first):
 * *ids (n of them) is freed with lg_journal_ids_free. No journal folder:
 * 0 and none. */
int lg_journal_list(struct lg_volume *v, char ***ids, size_t *n);
void lg_journal_ids_free(char **ids, size_t n);

/* Writer side: records appended to $LastGood/journal/<run-id> on an open
 * read-write volume, each flushed before the call returns. */
struct lg_volume;
struct lg_jwriter {
	struct lg_volume *v;
	char run_id[64];
	char path[128];
	unsigned next_seq;
};

/* Start a new journal (fails -EEXIST if the run's journal exists). The
 * begin record gets run_id, time and the fields of `extra` (borrowed). */
int lg_jwriter_begin(struct lg_jwriter *w, struct lg_volume *v, const char *run_id, json_t *extra);
/* Continue an existing journal (completing or undoing a run). */
int lg_jwriter_reopen(struct lg_jwriter *w, struct lg_volume *v, const struct lg_journal *j);
/* Announce a step; `fields` (stolen) describe it. Sets *seq. */
int lg_jwriter_intent(struct lg_jwriter *w, const char *op, json_t *fields, unsigned *seq);
/* "done", "undo-intent", "undone" for a step; "end", "undo-end" with seq 0. */
int lg_jwriter_mark(struct lg_jwriter *w, const char *type, unsigned seq);

#endif
