/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run for existing log collectors (rsyslog, syslog-ng, Graylog,
 * Splunk): lastgood.syslog=udp://host[:port] or tcp://host[:port] on the
 * kernel command line; one RFC 5424 line per volume of the report with
 * structured data (docs/pxe.md, "Syslog"). UDP: one datagram per line;
 * TCP: octet-counted frames (RFC 6587). Bounded time; nothing here
 * prints.
 */
#ifndef LG_SYSLOG_H
#define LG_SYSLOG_H

#include "lib/util.h"

#include <jansson.h>

#define LG_SYSLOG_PORT 514
#define LG_SYSLOG_LINE_MAX 2048
#define LG_SYSLOG_TIMEOUT_MS 3000
/* The structured-data ID: 32473 is the enterprise number RFC 5612
 * reserves for documentation and examples; lastgood has none of its own. */
#define LG_SYSLOG_SDID "lastgood@32473"

struct lg_syslog_target {
	bool tcp;
	char host[256];
	unsigned port;
};

/* "udp://10.0.0.5", "tcp://logs.example.org:6514". -EINVAL with err. */
int lg_syslog_target_parse(const char *spec, struct lg_syslog_target *t, struct lg_err *err);

/* One line per volume of the report (a report without volumes gives one
 * line for the machine); *lines is a NULL-terminated malloc'd array of
 * malloc'd strings (free with lg_syslog_lines_free). Returns the count. */
size_t lg_syslog_lines(const json_t *report, char ***lines);
void lg_syslog_lines_free(char **lines);

/* Send them: returns how many were sent, or a negative errno with err. */
int lg_syslog_send(const struct lg_syslog_target *t, char *const *lines, struct lg_err *err);

#endif
