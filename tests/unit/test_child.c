// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PID 1's engine child (boot/child.h): the record framing, bytes that
 * arrive a few at a time, headers no sender writes, a truncated record,
 * and whole runs of a forked child: one that talks and reports, one that
 * asks a person (PID 1 answers, its progress lines hold back), one that
 * dies in the middle of a record, one that breaks the protocol.
 */
#include "test.h"

#include "boot/child.h"

#include <signal.h>
#include <sys/wait.h>

/* Everything a pipe holds after the writes (non-blocking read to the end). */
static size_t drain(int fd, unsigned char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

static void test_framing(void)
{
	int p[2];
	CHECK_INT(pipe(p), 0);
	unsigned char one = 1;
	const char *report = "{\"exit_code\":0}";
	CHECK_INT(lg_rec_send(p[1], LG_REC_LOG, "first line", 10), 0);
	CHECK_INT(lg_rec_send(p[1], LG_REC_STATE, &one, 1), 0);
	CHECK_INT(lg_rec_send(p[1], LG_REC_LOG, "", 0), 0);
	CHECK_INT(lg_rec_send(p[1], LG_REC_REPORT, report, strlen(report)), 0);
	close(p[1]);
	unsigned char buf[256];
	size_t n = drain(p[0], buf, sizeof(buf));
	close(p[0]);
	CHECK_INT(n, 4 * LG_REC_HDR + 10 + 1 + 0 + strlen(report));
	/* the header: type, then length, host byte order */
	uint32_t hdr[2];
	memcpy(hdr, buf, 8);
	CHECK_INT(hdr[0], LG_REC_LOG);
	CHECK_INT(hdr[1], 10);
	CHECK_MEM(buf + 8, "first line", 10);

	/* fed one byte at a time: the same records, in order */
	struct lg_rec_reader rd = { 0 };
	struct lg_rec rec;
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK_INT(lg_rec_feed(&rd, buf + i, 1), 0);
		int r;
		while ((r = lg_rec_next(&rd, &rec)) > 0) {
			seen++;
			if (seen == 1) {
				CHECK_INT(rec.type, LG_REC_LOG);
				CHECK_INT(rec.len, 10);
				CHECK_MEM(rec.data, "first line", 10);
			} else if (seen == 2) {
				CHECK_INT(rec.type, LG_REC_STATE);
				CHECK_INT(rec.len, 1);
				CHECK_INT(rec.data[0], 1);
			} else if (seen == 3) {
				CHECK_INT(rec.type, LG_REC_LOG);
				CHECK_INT(rec.len, 0);
			} else if (seen == 4) {
				CHECK_INT(rec.type, LG_REC_REPORT);
				CHECK_INT(rec.len, strlen(report));
				CHECK_MEM(rec.data, report, strlen(report));
			}
		}
		CHECK_INT(r, 0);
	}
	CHECK_INT(seen, 4);
	CHECK_INT(lg_rec_pending(&rd), 0);
	lg_rec_reader_free(&rd);

	/* all at once */
	CHECK_INT(lg_rec_feed(&rd, buf, n), 0);
	seen = 0;
	while (lg_rec_next(&rd, &rec) > 0)
		seen++;
	CHECK_INT(seen, 4);
	lg_rec_reader_free(&rd);
}

static void test_send_limits(void)
{
	int p[2];
	CHECK_INT(pipe(p), 0);
	unsigned char two[2] = { 1, 1 };
	CHECK_INT(lg_rec_send(p[1], LG_REC_STATE, two, 2), -EMSGSIZE);
	CHECK_INT(lg_rec_send(p[1], (enum lg_rec_type)9, "x", 1), -EINVAL);
	/* a log line longer than the limit is cut, not refused */
	char *long_line = malloc(LG_REC_LOG_MAX + 100);
	memset(long_line, 'a', LG_REC_LOG_MAX + 100);
	CHECK_INT(lg_rec_send(p[1], LG_REC_LOG, long_line, LG_REC_LOG_MAX + 100), 0);
	close(p[1]);
	static unsigned char buf[LG_REC_LOG_MAX + 200];
	size_t n = drain(p[0], buf, sizeof(buf));
	close(p[0]);
	CHECK_INT(n, LG_REC_HDR + LG_REC_LOG_MAX);
	uint32_t hdr[2];
	memcpy(hdr, buf, 8);
	CHECK_INT(hdr[1], LG_REC_LOG_MAX);
	free(long_line);
}

static void test_bad_headers(void)
{
	struct {
		uint32_t type, len;
	} bad[] = {
		{ 0, 0 },			/* no such type */
		{ 9, 1 },
		{ LG_REC_LOG, LG_REC_LOG_MAX + 1 },	/* longer than any line sent */
		{ LG_REC_STATE, 0 },		/* a state is one byte */
		{ LG_REC_STATE, 2 },
		{ LG_REC_REPORT, LG_REC_REPORT_MAX + 1 },
		{ LG_REC_REPORT, 0xffffffffu },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lg_rec_reader rd = { 0 };
		struct lg_rec rec;
		CHECK_INT(lg_rec_feed(&rd, &bad[i], 8), 0);
		CHECK_INT(lg_rec_next(&rd, &rec), -EPROTO);
		/* and it stays broken: nothing after it is read */
		CHECK_INT(lg_rec_next(&rd, &rec), -EPROTO);
		lg_rec_reader_free(&rd);
	}
}

static void test_truncated(void)
{
	struct lg_rec_reader rd = { 0 };
	struct lg_rec rec;
	uint32_t hdr[2] = { LG_REC_REPORT, 10 };
	CHECK_INT(lg_rec_feed(&rd, hdr, 8), 0);
	CHECK_INT(lg_rec_feed(&rd, "{\"a\"", 4), 0);
	CHECK_INT(lg_rec_next(&rd, &rec), 0);	/* more is needed */
	CHECK_INT(lg_rec_pending(&rd), 12);
	/* half a header is pending too */
	lg_rec_reader_free(&rd);
	CHECK_INT(lg_rec_feed(&rd, hdr, 3), 0);
	CHECK_INT(lg_rec_next(&rd, &rec), 0);
	CHECK_INT(lg_rec_pending(&rd), 3);
	lg_rec_reader_free(&rd);
}

/* ---- whole runs of a child ------------------------------------------------ */

struct seen {
	char log[8][128];
	int n_log;
	char out[8][128];
	int n_out;
	int states[4];
	int n_states;
	char report[256];
	int n_report;
	int quiet;
	bool quiet_while_asking;
	bool asking;
};

static void on_log(void *ctx, const char *line)
{
	struct seen *s = ctx;
	if (s->n_log < 8)
		snprintf(s->log[s->n_log++], sizeof(s->log[0]), "%s", line);
}

static void on_output(void *ctx, const char *line)
{
	struct seen *s = ctx;
	if (s->n_out < 8)
		snprintf(s->out[s->n_out++], sizeof(s->out[0]), "%s", line);
}

static void on_state(void *ctx, bool asking)
{
	struct seen *s = ctx;
	s->asking = asking;
	if (s->n_states < 4)
		s->states[s->n_states++] = asking;
}

static void on_report(void *ctx, const char *json, size_t len)
{
	struct seen *s = ctx;
	s->n_report++;
	snprintf(s->report, sizeof(s->report), "%.*s", (int)len, json);
}

static void on_quiet(void *ctx, double elapsed)
{
	struct seen *s = ctx;
	s->quiet++;
	if (s->asking)
		s->quiet_while_asking = true;
}

static struct lg_child_ops ops_for(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return (struct lg_child_ops){ .log = on_log, .output = on_output, .state = on_state, .report = on_report,
				      .quiet = on_quiet, .quiet_s = 0.1, .ctx = s };
}

static int child_talks(int fd, void *arg)
{
	struct lg_child_chan c = { .fd = fd };
	lg_child_log(&c, "volume 1: fixed");
	fprintf(stderr, "a library says something\n");
	printf("half a line");
	fflush(stdout);
	lg_child_log(&c, "volume 2: clean");
	const char *r = "{\"summary\":{}}";
	lg_rec_send(fd, LG_REC_REPORT, r, strlen(r));
	lg_rec_send(fd, LG_REC_REPORT, "{}", 2);	/* a second report is not taken */
	return 3;
}

static void test_run_talks(void)
{
	struct seen s;
	struct lg_child_ops ops = ops_for(&s);
	struct lg_child_result res;
	CHECK_INT(lg_child_run(child_talks, NULL, &ops, &res), 0);
	CHECK(WIFEXITED(res.wait_status) && WEXITSTATUS(res.wait_status) == 3);
	CHECK(res.got_report);
	CHECK(!res.truncated && !res.protocol_error);
	CHECK_INT(s.n_log, 2);
	CHECK_STR(s.log[0], "volume 1: fixed");
	CHECK_STR(s.log[1], "volume 2: clean");
	CHECK_INT(s.n_out, 2);
	CHECK_STR(s.out[0], "a library says something");
	CHECK_STR(s.out[1], "half a line");	/* shown even without its newline */
	CHECK_INT(s.n_report, 1);
	CHECK_STR(s.report, "{\"summary\":{}}");
}

/* Asks a person for 0.5 s (PID 1 must answer the state before the child
 * goes on), then is quiet for 0.5 s without asking. */
static int child_asks(int fd, void *arg)
{
	struct lg_child_chan c = { .fd = fd };
	lg_child_state(true, &c);
	usleep(500 * 1000);
	lg_child_state(false, &c);
	lg_child_log(&c, "unlocked");
	usleep(500 * 1000);
	return 0;
}

static void test_run_asks(void)
{
	struct seen s;
	struct lg_child_ops ops = ops_for(&s);
	struct lg_child_result res;
	CHECK_INT(lg_child_run(child_asks, NULL, &ops, &res), 0);
	CHECK(WIFEXITED(res.wait_status) && WEXITSTATUS(res.wait_status) == 0);
	CHECK_INT(s.n_states, 2);
	CHECK_INT(s.states[0], 1);
	CHECK_INT(s.states[1], 0);
	CHECK(!s.quiet_while_asking);	/* no progress line inside the prompt */
	CHECK(s.quiet >= 2);		/* but afterwards, while it is quiet */
	CHECK(!res.got_report);
	CHECK_INT(s.n_log, 1);
}

/* Says one line, then dies in the middle of its report. */
static int child_dies(int fd, void *arg)
{
	struct lg_child_chan c = { .fd = fd };
	lg_child_log(&c, "starting");
	uint32_t hdr[2] = { LG_REC_REPORT, 100 };
	if (write(fd, hdr, 8) != 8 || write(fd, "{\"summ", 6) != 6)
		return 1;
	raise(SIGKILL);
	return 0;
}

static void test_run_dies(void)
{
	struct seen s;
	struct lg_child_ops ops = ops_for(&s);
	struct lg_child_result res;
	CHECK_INT(lg_child_run(child_dies, NULL, &ops, &res), 0);
	CHECK(WIFSIGNALED(res.wait_status) && WTERMSIG(res.wait_status) == SIGKILL);
	CHECK(res.truncated);
	CHECK(!res.got_report);
	CHECK(!res.protocol_error);
	CHECK_INT(s.n_log, 1);
	CHECK_STR(s.log[0], "starting");
	CHECK_INT(s.n_report, 0);
}

/* Sends a header no child sends, then would go on for ever: it is killed. */
static int child_garbles(int fd, void *arg)
{
	struct lg_child_chan c = { .fd = fd };
	lg_child_log(&c, "fine so far");
	uint32_t hdr[2] = { 77, 5 };
	if (write(fd, hdr, 8) != 8)
		return 1;
	for (;;)
		pause();
}

static void test_run_garbles(void)
{
	struct seen s;
	struct lg_child_ops ops = ops_for(&s);
	struct lg_child_result res;
	CHECK_INT(lg_child_run(child_garbles, NULL, &ops, &res), 0);
	CHECK(res.protocol_error);
	CHECK(WIFSIGNALED(res.wait_status) && WTERMSIG(res.wait_status) == SIGKILL);
	CHECK_INT(s.n_log, 1);
	CHECK(!res.got_report);
}

int main(void)
{
	RUN(test_framing);
	RUN(test_send_limits);
	RUN(test_bad_headers);
	RUN(test_truncated);
	RUN(test_run_talks);
	RUN(test_run_asks);
	RUN(test_run_dies);
	RUN(test_run_garbles);
	return t_done();
}
