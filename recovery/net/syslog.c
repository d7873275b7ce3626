// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 5424 lines of a report, sent over UDP or TCP (syslog.h).
 */
#include "net/syslog.h"

#include <ctype.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

int lg_syslog_target_parse(const char *spec, struct lg_syslog_target *t, struct lg_err *err)
{
	memset(t, 0, sizeof(*t));
	const char *h;
	if (!strncasecmp(spec, "udp://", 6)) {
		h = spec + 6;
	} else if (!strncasecmp(spec, "tcp://", 6)) {
		h = spec + 6;
		t->tcp = true;
	} else {
		lg_err_set(err, "lastgood.syslog takes udp://host[:port] or tcp://host[:port]");
		return -EINVAL;
	}
	size_t n = strcspn(h, ":/");
	if (!n || n >= sizeof(t->host)) {
		lg_err_set(err, "lastgood.syslog: no host");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-') {
			lg_err_set(err, "lastgood.syslog: the host has a character a host name has not");
			return -EINVAL;
		}
	memcpy(t->host, h, n);
	t->port = LG_SYSLOG_PORT;
	const char *p = h + n;
	if (*p == ':') {
		char *end;
		unsigned long v = strtoul(p + 1, &end, 10);
		if (end == p + 1 || v == 0 || v > 65535 || (*end && strcmp(end, "/"))) {
			lg_err_set(err, "lastgood.syslog: the port is not a number from 1 to 65535");
			return -EINVAL;
		}
		t->port = (unsigned)v;
	} else if (*p && strcmp(p, "/")) {
		lg_err_set(err, "lastgood.syslog: junk after the host");
		return -EINVAL;
	}
	return 0;
}

/* An SD-PARAM value: '"', '\' and ']' escaped, control characters
 * dropped, at most 200 bytes. */
static void sd_value(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (; in && *in && o + 3 < cap && o < 200; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == '"' || c == '\\' || c == ']')
			out[o++] = '\\';
		out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* A header field (HOSTNAME): printable US-ASCII without spaces, or "-". */
static void header_field(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (; in && *in && o + 1 < cap; in++)
		if (*in > 0x20 && *in < 0x7f)
			out[o++] = *in;
	if (!o)
		out[o++] = '-';
	out[o] = '\0';
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int severity(const char *status)
{
	if (!strcmp(status, "error") || !strcmp(status, "partly-fixed"))
		return 3; /* err */
	if (!strcmp(status, "locked") || !strcmp(status, "refused") || !strcmp(status, "matches"))
		return 4; /* warning */
	return 5;         /* notice */
}

static char *line_for(const json_t *r, const json_t *vol, size_t idx)
{
	const json_t *m = json_object_get(r, "machine");
	char host[256], run[80], uuid[80], serial[220], name[220], status[80], outcome[40], now[40], msg[400];
	const char *cn = str(m, "computer_name");
	header_field(*cn ? cn : str(m, "product_uuid"), host, sizeof(host));
	sd_value(str(r, "run_id"), run, sizeof(run));
	sd_value(str(m, "product_uuid"), uuid, sizeof(uuid));
	sd_value(str(m, "product_serial"), serial, sizeof(serial));
	sd_value(cn, name, sizeof(name));
	sd_value(vol ? str(vol, "status") : "none", status, sizeof(status));
	sd_value(str(r, "outcome"), outcome, sizeof(outcome));
	size_t matches = vol ? json_array_size(json_object_get(vol, "matches")) : 0;
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	int sev = severity(status);
	if (vol)
		snprintf(msg, sizeof(msg), "volume %zu (%s): %s, %zu match%s; run %s", idx, str(vol, "target"),
			 status, matches, matches == 1 ? "" : "es", outcome);
	else
		snprintf(msg, sizeof(msg), "no volume: run %s", outcome);
	char *line = NULL;
	/* facility 1 (user-level), like a program's own log */
	if (asprintf(&line, "<%d>1 %s %s lastgood - volume [" LG_SYSLOG_SDID " run_id=\"%s\" machine=\"%s\" serial=\"%s\""
		     " computer=\"%s\" volume=\"%zu\" status=\"%s\" matches=\"%zu\" outcome=\"%s\"] %s",
		     8 + sev, now, host, run, uuid, serial, name, idx, status, matches, outcome, msg) < 0)
		return NULL;
	if (strlen(line) > LG_SYSLOG_LINE_MAX)
		line[LG_SYSLOG_LINE_MAX] = '\0';
	return line;
}

size_t lg_syslog_lines(const json_t *report, char ***lines)
{
	json_t *vols = json_object_get(report, "volumes");
	size_t n = json_array_size(vols), k = 0;
	char **out = calloc((n ? n : 1) + 1, sizeof(*out));
	if (!out) {
		*lines = NULL;
		return 0;
	}
	if (!n) {
		if ((out[0] = line_for(report, NULL, 0)))
			k = 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *l = line_for(report, json_array_get(vols, i), i);
		if (l)
			out[k++] = l;
	}
	*lines = out;
	return k;
}

void lg_syslog_lines_free(char **lines)
{
	for (size_t i = 0; lines && lines[i]; i++)
		free(lines[i]);
	free(lines);
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, ms);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		int w = wait_fd(fd, POLLOUT, LG_SYSLOG_TIMEOUT_MS);
		if (w < 0)
			return w;
		ssize_t s = send(fd, buf, len, MSG_NOSIGNAL);
		if (s < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (s > 0)
			buf += s, len -= (size_t)s;
	}
	return 0;
}

int lg_syslog_send(const struct lg_syslog_target *t, char *const *lines, struct lg_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = t->tcp ? SOCK_STREAM : SOCK_DGRAM }, *ai = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", t->port);
	int g = getaddrinfo(t->host, port, &hints, &ai);
	if (g) {
		lg_err_set(err, "syslog: cannot resolve %s: %s", t->host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r = fd < 0 ? -errno : 0;
	if (r == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		r = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, LG_SYSLOG_TIMEOUT_MS) : -errno;
		int so = 0;
		socklen_t sl = sizeof(so);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so)
			r = -so;
	}
	freeaddrinfo(ai);
	int sent = 0;
	for (size_t i = 0; r == 0 && lines && lines[i]; i++) {
		size_t len = strlen(lines[i]);
		if (t->tcp) {
			char pre[16];
			int pl = snprintf(pre, sizeof(pre), "%zu ", len);
			r = send_all(fd, pre, (size_t)pl);
			if (r == 0)
				r = send_all(fd, lines[i], len);
		} else if (send(fd, lines[i], len, MSG_NOSIGNAL) < 0) {
			r = -errno;
		}
		if (r == 0)
			sent++;
	}
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		lg_err_set(err, "syslog to %s://%s:%u: %s", t->tcp ? "tcp" : "udp", t->host, t->port, strerror(-r));
		return r;
	}
	return sent;
}
