/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PID 1 runs the engine in a child process (fork, no exec): a crash there
 * cannot take PID 1, and the machine, down with it. The child says what it
 * has to say as records on a socket, and PID 1 follows them:
 *
 *   u32 type, u32 length (host byte order: both ends are one binary),
 *   then length bytes of payload.
 *
 *   LG_REC_LOG     one line of the engine's messages (no newline)
 *   LG_REC_STATE   one byte: 1 while a person is asked for a BitLocker
 *                  key at the consoles, 0 once done. PID 1 answers each
 *                  with one byte before the child goes on, so that its own
 *                  progress lines have stopped before the prompt shows.
 *   LG_REC_REPORT  the report's JSON text, once, at the end
 *
 * Anything the child's libraries write on its stdout or stderr comes to
 * PID 1 on a separate pipe, as lines. Nothing here prints: the caller's
 * callbacks do (boot/run.c shows them on the consoles).
 */
#ifndef LG_BOOT_CHILD_H
#define LG_BOOT_CHILD_H

#include "lib/util.h"

#include <sys/types.h>

enum lg_rec_type {
	LG_REC_LOG = 1,
	LG_REC_STATE = 2,
	LG_REC_REPORT = 3,
};

#define LG_REC_HDR 8
#define LG_REC_LOG_MAX 4096u		/* a longer line is cut by the sender */
#define LG_REC_REPORT_MAX (64u << 20)	/* a larger report is not sent */

/* Write one record (header and payload) to fd. LOG payloads longer than
 * LG_REC_LOG_MAX are cut. Returns 0, -EMSGSIZE (too large for its type),
 * -EINVAL (unknown type) or -errno from write. */
int lg_rec_send(int fd, enum lg_rec_type type, const void *data, size_t len);

/* Collects bytes as they arrive and cuts them into records. */
struct lg_rec_reader {
	unsigned char *buf;
	size_t len, cap, off;	/* bytes held, allocated, already consumed */
	bool broken;		/* a header that no sender writes: stop reading */
};

struct lg_rec {
	enum lg_rec_type type;
	const char *data;	/* valid until the next feed or next call */
	size_t len;
};

/* Add n bytes. Returns 0 or -ENOMEM. */
int lg_rec_feed(struct lg_rec_reader *r, const void *data, size_t n);

/* The next complete record: 1 (in *out), 0 (more bytes needed), or
 * -EPROTO (an unknown type, or a length its type never has; the reader
 * stays broken). */
int lg_rec_next(struct lg_rec_reader *r, struct lg_rec *out);

/* Bytes of a record not complete yet (at the end of the stream: a
 * truncated record). */
size_t lg_rec_pending(const struct lg_rec_reader *r);

void lg_rec_reader_free(struct lg_rec_reader *r);

/* ---- the child's side ------------------------------------------------ */

struct lg_child_chan {
	int fd;
};

/* An lg_log_fn (engine/engine.h): ctx is a struct lg_child_chan. */
void lg_child_log(void *ctx, const char *line);

/* The state callback of term/keyprompt.h's console asker: sends the state
 * and waits for PID 1's answer. ctx is a struct lg_child_chan. */
void lg_child_state(bool asking, void *ctx);

/* ---- PID 1's side ---------------------------------------------------- */

struct lg_child_ops {
	void (*log)(void *ctx, const char *line);	/* an LG_REC_LOG record */
	void (*output)(void *ctx, const char *line);	/* a line of the child's stdout/stderr */
	void (*state)(void *ctx, bool asking);
	void (*report)(void *ctx, const char *json, size_t len);
	/* called after quiet_s seconds without a word from the child (and
	 * every quiet_s after), except while a person is asked for a key;
	 * elapsed: seconds since the child started */
	void (*quiet)(void *ctx, double elapsed);
	double quiet_s;			/* 0: never */
	void *ctx;
};

struct lg_child_result {
	int wait_status;		/* waitpid()'s */
	bool got_report;
	bool truncated;			/* the stream ended inside a record */
	bool protocol_error;		/* a record no child sends: the child was killed */
};

/* The child's body: fd is its end of the record socket. Its return value
 * is its exit code. */
typedef int (*lg_child_fn)(int fd, void *arg);

/* Fork; in the child, stdin from /dev/null, stdout and stderr to the
 * output pipe, then _exit(fn(fd, arg)). In the parent, follow the records
 * and output until both end, then reap the child. Returns 0 with res
 * filled, or -errno when the child could not be started. */
int lg_child_run(lg_child_fn fn, void *arg, const struct lg_child_ops *ops, struct lg_child_result *res);

#endif
