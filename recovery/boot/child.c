// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine child of PID 1 and its record protocol (boot/child.h).
 */
#include "boot/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

/* ---- records ------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The largest payload a type may carry; 0 for an unknown type. */
static size_t type_max(uint32_t type)
{
	switch (type) {
	case LG_REC_LOG: return LG_REC_LOG_MAX;
	case LG_REC_STATE: return 1;
	case LG_REC_REPORT: return LG_REC_REPORT_MAX;
	default: return 0;
	}
}

int lg_rec_send(int fd, enum lg_rec_type type, const void *data, size_t len)
{
	size_t max = type_max(type);
	if (!max)
		return -EINVAL;
	if (type == LG_REC_LOG && len > max)
		len = max;
	if (len > max || (type == LG_REC_STATE && len != 1))
		return -EMSGSIZE;
	uint32_t hdr[2] = { (uint32_t)type, (uint32_t)len };
	/* one write for a small record, so that records of two writers
	 * never interleave and a pipe gets them whole */
	unsigned char small[LG_REC_HDR + 512];
	if (len <= sizeof(small) - LG_REC_HDR) {
		memcpy(small, hdr, LG_REC_HDR);
		if (len)
			memcpy(small + LG_REC_HDR, data, len);
		return write_all(fd, small, LG_REC_HDR + len);
	}
	int r = write_all(fd, hdr, LG_REC_HDR);
	return r < 0 ? r : write_all(fd, data, len);
}

int lg_rec_feed(struct lg_rec_reader *r, const void *data, size_t n)
{
	if (r->off) {	/* drop what was consumed */
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (n > SIZE_MAX - r->len)
		return -ENOMEM;
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n)
			cap = cap > SIZE_MAX / 2 ? r->len + n : cap * 2;
		unsigned char *b = realloc(r->buf, cap);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	if (n)
		memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

int lg_rec_next(struct lg_rec_reader *r, struct lg_rec *out)
{
	if (r->broken)
		return -EPROTO;
	size_t have = r->len - r->off;
	if (have < LG_REC_HDR)
		return 0;
	uint32_t hdr[2];
	memcpy(hdr, r->buf + r->off, LG_REC_HDR);
	size_t max = type_max(hdr[0]);
	if (!max || hdr[1] > max || (hdr[0] == LG_REC_STATE && hdr[1] != 1)) {
		r->broken = true;
		return -EPROTO;
	}
	if (have - LG_REC_HDR < hdr[1])
		return 0;
	out->type = (enum lg_rec_type)hdr[0];
	out->data = (const char *)r->buf + r->off + LG_REC_HDR;
	out->len = hdr[1];
	r->off += LG_REC_HDR + hdr[1];
	return 1;
}

size_t lg_rec_pending(const struct lg_rec_reader *r)
{
	return r->len - r->off;
}

void lg_rec_reader_free(struct lg_rec_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* ---- the child's side ----------------------------------------------------- */

void lg_child_log(void *ctx, const char *line)
{
	struct lg_child_chan *c = ctx;
	lg_rec_send(c->fd, LG_REC_LOG, line, strlen(line));
}

void lg_child_state(bool asking, void *ctx)
{
	struct lg_child_chan *c = ctx;
	unsigned char b = asking ? 1 : 0;
	if (lg_rec_send(c->fd, LG_REC_STATE, &b, 1) < 0)
		return;
	/* PID 1's answer: its progress lines have stopped (or resumed) */
	while (read(c->fd, &b, 1) < 0 && errno == EINTR)
		;
}

/* ---- PID 1's side ----------------------------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct follow {
	const struct lg_child_ops *ops;
	struct lg_child_result *res;
	pid_t pid;
	int sock;
	struct lg_rec_reader rd;
	char line[1024];	/* the output line being assembled */
	size_t ll;
	bool asking;
};

static void output_flush(struct follow *f)
{
	if (!f->ll)
		return;
	f->line[f->ll] = 0;
	if (f->ops->output)
		f->ops->output(f->ops->ctx, f->line);
	f->ll = 0;
}

static void output_bytes(struct follow *f, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (f->ll)
				output_flush(f);
			else if (f->ops->output)
				f->ops->output(f->ops->ctx, "");
			continue;
		}
		f->line[f->ll++] = buf[i];
		if (f->ll == sizeof(f->line) - 1)
			output_flush(f);
	}
}

static void dispatch(struct follow *f, const struct lg_rec *rec)
{
	const struct lg_child_ops *ops = f->ops;
	char line[LG_REC_LOG_MAX + 1];
	switch (rec->type) {
	case LG_REC_LOG:
		memcpy(line, rec->data, rec->len);
		line[rec->len] = 0;
		if (ops->log)
			ops->log(ops->ctx, line);
		break;
	case LG_REC_STATE:
		f->asking = rec->data[0] != 0;
		if (ops->state)
			ops->state(ops->ctx, f->asking);
		/* the answer the child waits for (no SIGPIPE if it is gone) */
		while (send(f->sock, "k", 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
			;
		break;
	case LG_REC_REPORT:
		if (f->res->got_report)
			break;	/* one report per run: a second one is ignored */
		f->res->got_report = true;
		if (ops->report)
			ops->report(ops->ctx, rec->data, rec->len);
		break;
	}
}

/* New bytes on the record socket. Returns false when it is to be closed. */
static bool records_in(struct follow *f, const char *buf, size_t n)
{
	struct lg_rec rec;
	int r;
	if (lg_rec_feed(&f->rd, buf, n) < 0) {
		f->res->protocol_error = true;
		return false;
	}
	while ((r = lg_rec_next(&f->rd, &rec)) > 0)
		dispatch(f, &rec);
	if (r < 0) {
		f->res->protocol_error = true;
		return false;
	}
	return true;
}

static void follow_loop(struct follow *f, int out)
{
	const struct lg_child_ops *ops = f->ops;
	struct pollfd p[2] = { { .fd = f->sock, .events = POLLIN }, { .fd = out, .events = POLLIN } };
	double start = mono_s(), last = start;
	int tick = ops->quiet_s > 0 && ops->quiet_s < 1.0 ? (int)(ops->quiet_s * 500) : 500;
	char buf[16384];

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int r = poll(p, 2, tick > 0 ? tick : 1);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; r > 0 && i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			bool keep = n > 0;
			if (n > 0 && i == 0)
				keep = records_in(f, buf, (size_t)n);
			else if (n > 0)
				output_bytes(f, buf, (size_t)n);
			last = mono_s();
			if (keep)
				continue;
			if (i == 0 && f->res->protocol_error)
				kill(f->pid, SIGKILL);	/* a child that breaks the protocol is not listened to */
			p[i].fd = -1;
		}
		if (r == 0)
			output_flush(f);	/* a line without its end yet: show what there is */
		double now = mono_s();
		if (f->asking)
			last = now;
		if (ops->quiet && ops->quiet_s > 0 && p[0].fd >= 0 && now - last >= ops->quiet_s) {
			ops->quiet(ops->ctx, now - start);
			last = now;
		}
	}
	output_flush(f);
	f->res->truncated = !f->res->protocol_error && lg_rec_pending(&f->rd) > 0;
}

int lg_child_run(lg_child_fn fn, void *arg, const struct lg_child_ops *ops, struct lg_child_result *res)
{
	int sv[2], po[2];
	memset(res, 0, sizeof(*res));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (pipe2(po, O_CLOEXEC) < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		close(po[0]);
		close(po[1]);
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		close(po[0]);
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		dup2(po[1], STDOUT_FILENO);
		dup2(po[1], STDERR_FILENO);
		setvbuf(stdout, NULL, _IOLBF, 0);
		setvbuf(stderr, NULL, _IONBF, 0);
		int rc = fn(sv[1], arg);
		fflush(NULL);
		_exit(rc & 0xff);
	}
	close(sv[1]);
	close(po[1]);
	struct follow f = { .ops = ops, .res = res, .pid = pid, .sock = sv[0] };
	follow_loop(&f, po[0]);
	close(sv[0]);
	close(po[0]);
	lg_rec_reader_free(&f.rd);
	while (waitpid(pid, &res->wait_status, 0) < 0 && errno == EINTR)
		;
	return 0;
}
