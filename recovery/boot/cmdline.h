/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recovery image's options: the lastgood.* words of the kernel
 * command line (docs/cmdline.md). The parser is pure (unit-tested).
 */
#ifndef LG_BOOT_CMDLINE_H
#define LG_BOOT_CMDLINE_H

#include "lib/util.h"
#include "net/fleet.h"
#include "net/syslog.h"

enum lg_init_mode {
	LG_MODE_FIX = 0,
	LG_MODE_SCAN,
	LG_MODE_SHELL,
};

#define LG_INIT_WAIT_DEFAULT 10
#define LG_INIT_WAIT_MAX 300
#define LG_INIT_COUNTDOWN 10

struct lg_init_opts {
	enum lg_init_mode mode;	/* lastgood.mode=fix|scan|shell (default fix) */
	bool poweroff;		/* lastgood.poweroff=1: power off at the end, no countdown */
	bool reboot;		/* lastgood.reboot=1: reboot at the end, no countdown */
	bool unattended;	/* lastgood.unattended=1: never wait for a person */
	char denylist[256];	/* lastgood.denylist=PATH (absolute, in the recovery system); "" if unset */
	int wait_s;		/* lastgood.wait=N: longest wait for disks, seconds */
	bool discard_hibernation; /* lastgood.discard_hibernation=1: fix a hibernated Windows,
				   * losing its hibernated session (fix --discard-hibernation) */
	/* The fleet server (docs/fleet-api.md): lastgood.server=https://host[:port]/prefix,
	 * checked and without a trailing '/' ("" unset: the image's own, if any). The CA
	 * its certificate is checked against only ever comes from the image. */
	char server[LG_FLEET_URL_MAX];
	bool net;		/* lastgood.net=off: no network at all, whatever the image says */
	char syslog[300];	/* lastgood.syslog=udp://host[:port] or tcp://...; "" unset */
	struct lg_syslog_target syslog_target; /* the same, parsed */
};

void lg_init_opts_default(struct lg_init_opts *o);

/*
 * Parse the kernel command line (the text of /proc/cmdline). Words are
 * separated by spaces; double quotes group (the kernel's rules). Words
 * not starting with "lastgood." belong to the kernel and are skipped. The
 * last occurrence of an option wins. A boolean given without a value is
 * true; 1/yes/true/on and 0/no/false/off are accepted.
 * A bad value or an unknown lastgood.* option never stops the boot: that
 * option keeps its default, the others still apply, and the function
 * returns -EINVAL with the (last) problem in err, for the console.
 */
int lg_cmdline_parse(const char *cmdline, struct lg_init_opts *o, struct lg_err *err);

/* PID 1: o from /proc/cmdline (the defaults when it cannot be read), a
 * bad option said on the console, then one line naming the mode. */
void lg_cmdline_read(struct lg_init_opts *o);

#endif
