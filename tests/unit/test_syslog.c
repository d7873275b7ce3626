// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood.syslog (recovery/net/syslog.c): targets, the RFC 5424 lines of
 * a report (one per volume, structured data escaped), and delivery to
 * real sockets on loopback: UDP datagrams and octet-counted TCP frames.
 */
#include "test.h"
#include "net/syslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void test_target(void)
{
	struct lg_syslog_target t;
	struct lg_err err = { "" };
	CHECK_INT(lg_syslog_target_parse("udp://10.0.0.5", &t, &err), 0);
	CHECK(!t.tcp);
	CHECK_STR(t.host, "10.0.0.5");
	CHECK_INT(t.port, 514);
	CHECK_INT(lg_syslog_target_parse("tcp://logs.example.org:6514", &t, &err), 0);
	CHECK(t.tcp);
	CHECK_INT(t.port, 6514);
	CHECK_INT(lg_syslog_target_parse("http://x", &t, &err), -EINVAL);
	CHECK_INT(lg_syslog_target_parse("udp://", &t, &err), -EINVAL);
	CHECK_INT(lg_syslog_target_parse("udp://h:0", &t, &err), -EINVAL);
	CHECK_INT(lg_syslog_target_parse("udp://h:70000", &t, &err), -EINVAL);
	CHECK_INT(lg_syslog_target_parse("udp://h;rm:5", &t, &err), -EINVAL);
}

static json_t *report(void)
{
	return json_loads("{\"run_id\":\"20240719T060000Z-c0ffee\",\"outcome\":\"fixed\","
			  "\"machine\":{\"product_uuid\":\"4c4c4544-0042-3510-8052-b4c04f564433\",\"product_serial\":\"SN\\\"]\\\\1\","
			  "\"computer_name\":\"PC 0042\"},\"volumes\":[{\"target\":\"/dev/nvme0n1\",\"status\":\"fixed\","
			  "\"matches\":[{},{}]},{\"target\":\"/dev/sda\",\"status\":\"locked\"}]}", 0, NULL);
}

static void test_lines(void)
{
	json_t *r = report();
	char **lines = NULL;
	CHECK_INT(lg_syslog_lines(r, &lines), 2);
	CHECK(lines && !strncmp(lines[0], "<13>1 ", 6));
	CHECK_CONTAINS(lines[0], " PC0042 lastgood - volume [lastgood@32473 run_id=\"20240719T060000Z-c0ffee\" "
				 "machine=\"4c4c4544-0042-3510-8052-b4c04f564433\" serial=\"SN\\\"\\]\\\\1\" computer=\"PC 0042\" "
				 "volume=\"0\" status=\"fixed\" matches=\"2\" outcome=\"fixed\"] volume 0 (/dev/nvme0n1): fixed, 2 matches");
	CHECK(!strncmp(lines[1], "<12>1 ", 6)); /* locked: warning */
	CHECK_CONTAINS(lines[1], "volume=\"1\" status=\"locked\" matches=\"0\"");
	CHECK(lines[2] == NULL);
	lg_syslog_lines_free(lines);
	json_decref(r);
	r = json_loads("{\"outcome\":\"no-windows\",\"machine\":{},\"volumes\":[]}", 0, NULL);
	CHECK_INT(lg_syslog_lines(r, &lines), 1);
	CHECK_CONTAINS(lines[0], " - lastgood - volume [");
	CHECK_CONTAINS(lines[0], "no volume: run no-windows");
	lg_syslog_lines_free(lines);
	json_decref(r);
}

static int listener(int type, unsigned *port)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	if (type == SOCK_STREAM && listen(fd, 1) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_send(void)
{
	json_t *r = report();
	char **lines = NULL;
	lg_syslog_lines(r, &lines);
	struct lg_err err = { "" };
	unsigned port;
	int u = listener(SOCK_DGRAM, &port);
	CHECK(u >= 0);
	struct lg_syslog_target t = { .tcp = false, .host = "127.0.0.1", .port = port };
	CHECK_INT(lg_syslog_send(&t, lines, &err), 2);
	char buf[4096];
	ssize_t n = recv(u, buf, sizeof(buf) - 1, 0);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, lines[0]);
	close(u);

	int l = listener(SOCK_STREAM, &port);
	CHECK(l >= 0);
	t = (struct lg_syslog_target){ .tcp = true, .host = "127.0.0.1", .port = port };
	CHECK_INT(lg_syslog_send(&t, lines, &err), 2);
	int c = accept(l, NULL, NULL);
	size_t got = 0;
	while (c >= 0 && got < sizeof(buf) - 1 && (n = recv(c, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	char want[4096];
	snprintf(want, sizeof(want), "%zu %s%zu %s", strlen(lines[0]), lines[0], strlen(lines[1]), lines[1]);
	CHECK_STR(buf, want);
	if (c >= 0)
		close(c);
	/* nobody listening: a TCP refusal is an error that names the target */
	unsigned dead = port;
	close(l);
	t.port = dead;
	CHECK(lg_syslog_send(&t, lines, &err) < 0);
	CHECK_CONTAINS(err.msg, "syslog to tcp://127.0.0.1:");
	lg_syslog_lines_free(lines);
	json_decref(r);
}

int main(void)
{
	RUN(test_target);
	RUN(test_lines);
	RUN(test_send);
	return t_done();
}
