// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel command line of the recovery image (boot/cmdline.h,
 * docs/cmdline.md): the pure parser, and PID 1 reading /proc/cmdline.
 */
#include "boot/cmdline.h"

#include "boot/console.h"

void lg_init_opts_default(struct lg_init_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = LG_MODE_FIX;
	o->wait_s = LG_INIT_WAIT_DEFAULT;
	o->net = true;
}

static int parse_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* An absolute path without "." or ".." components or doubled slashes:
 * the deny-list path is used as given, never resolved. */
static bool path_ok(const char *p)
{
	if (p[0] != '/' || strstr(p, "//"))
		return false;
	for (const char *s = p; (s = strchr(s, '/')); s++) {
		if (!strcmp(s, "/.") || !strncmp(s, "/./", 3) || !strcmp(s, "/..") || !strncmp(s, "/../", 4))
			return false;
	}
	return true;
}

/* lastgood.server= and lastgood.syslog=: checked here, so that a bad
 * one is named at once and never half-used. 1: not one of these. */
static int apply_net_option(const char *key, const char *val, struct lg_init_opts *o, struct lg_err *err)
{
	struct lg_err why = { "" };
	if (!strcmp(key, "server")) {
		char url[LG_FLEET_URL_MAX];
		if (!val || lg_fleet_server_check(val, url, sizeof(url), &why) < 0) {
			lg_err_set(err, "lastgood.server=%.200s: %s (ignored)", val ? val : "",
				   why.msg[0] ? why.msg : "expected https://host[:port]/prefix");
			return -EINVAL;
		}
		memcpy(o->server, url, sizeof(url));
		return 0;
	}
	if (!strcmp(key, "syslog")) {
		struct lg_syslog_target t;
		if (!val || strlen(val) >= sizeof(o->syslog) || lg_syslog_target_parse(val, &t, &why) < 0) {
			lg_err_set(err, "lastgood.syslog=%.200s: %s (ignored)", val ? val : "",
				   why.msg[0] ? why.msg : "expected udp://host[:port] or tcp://host[:port]");
			return -EINVAL;
		}
		memcpy(o->syslog, val, strlen(val) + 1);
		o->syslog_target = t;
		return 0;
	}
	return 1;
}

static int apply_option(const char *key, const char *val, struct lg_init_opts *o, struct lg_err *err)
{
	if (!strcmp(key, "mode")) {
		if (val && !strcmp(val, "fix"))
			o->mode = LG_MODE_FIX;
		else if (val && !strcmp(val, "scan"))
			o->mode = LG_MODE_SCAN;
		else if (val && !strcmp(val, "shell"))
			o->mode = LG_MODE_SHELL;
		else {
			lg_err_set(err, "lastgood.mode=%s: expected fix, scan or shell (using %s)", val ? val : "",
				   o->mode == LG_MODE_SCAN ? "scan" : o->mode == LG_MODE_SHELL ? "shell" : "fix");
			return -EINVAL;
		}
		return 0;
	}
	bool *flag = !strcmp(key, "poweroff") ? &o->poweroff
		   : !strcmp(key, "reboot") ? &o->reboot
		   : !strcmp(key, "unattended") ? &o->unattended
		   : !strcmp(key, "discard_hibernation") ? &o->discard_hibernation
		   : !strcmp(key, "net") ? &o->net : NULL;
	if (flag) {
		if (parse_bool(val, flag) < 0) {
			lg_err_set(err, "lastgood.%s=%s: expected %s (ignored)", key, val,
				   flag == &o->net ? "on or off" : "1 or 0");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "denylist")) {
		if (!val || strlen(val) >= sizeof(o->denylist) || !path_ok(val)) {
			lg_err_set(err, "lastgood.denylist=%s: expected an absolute path without . or .. "
				   "(under /mnt/medium for the boot medium; ignored)", val ? val : "");
			return -EINVAL;
		}
		memcpy(o->denylist, val, strlen(val) + 1);
		return 0;
	}
	if (!strcmp(key, "wait")) {
		char *end;
		errno = 0;
		long s = val ? strtol(val, &end, 10) : 0;
		if (!val || errno || end == val || *end || s < 1 || s > LG_INIT_WAIT_MAX) {
			lg_err_set(err, "lastgood.wait=%s: expected seconds from 1 to %d (using %d)", val ? val : "",
				   LG_INIT_WAIT_MAX, o->wait_s);
			return -EINVAL;
		}
		o->wait_s = (int)s;
		return 0;
	}
	int r = apply_net_option(key, val, o, err);
	if (r <= 0)
		return r;
	lg_err_set(err, "unknown option lastgood.%s (ignored)", key);
	return -EINVAL;
}

int lg_cmdline_parse(const char *cmdline, struct lg_init_opts *o, struct lg_err *err)
{
	int ret = 0;
	const char *p = cmdline ? cmdline : "";
	char word[1024];

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		/* One word; quotes group and are dropped, as the kernel does. */
		size_t n = 0;
		bool quoted = false, too_long = false;
		for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (n + 1 < sizeof(word))
				word[n++] = *p;
			else
				too_long = true;
		}
		word[n] = 0;
		if (strncmp(word, "lastgood.", 9))
			continue;
		if (too_long) {
			lg_err_set(err, "an option starting with %.40s is too long (ignored)", word);
			ret = -EINVAL;
			continue;
		}
		char *key = word + 9, *eq = strchr(key, '=');
		if (eq)
			*eq = 0;
		if (apply_option(key, eq ? eq + 1 : NULL, o, err) < 0)
			ret = -EINVAL;
	}
	return ret;
}

void lg_cmdline_read(struct lg_init_opts *o)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	lg_init_opts_default(o);
	if (lg_read_file("/proc/cmdline", 64 << 10, &buf, &len) < 0) {
		lg_con_printf("lastgood: cannot read /proc/cmdline: using the defaults");
		return;
	}
	struct lg_err err = { "" };
	if (lg_cmdline_parse(buf, o, &err) < 0)
		lg_con_printf("lastgood: warning: %s", err.msg);
	static const char *const modes[] = { "fix", "scan", "shell" };
	lg_con_printf("lastgood: mode %s%s%s%s%s", modes[o->mode], o->poweroff ? ", power off at the end" : "",
		      o->reboot ? ", reboot at the end" : "", o->unattended ? ", unattended" : "",
		      o->net ? "" : ", network off");
}
