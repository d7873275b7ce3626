// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PID 1 and the fleet server (docs/fleet-api.md, docs/pxe.md, docs/usb.md):
 * whether this boot uses the network at all, the interface (configured
 * from the PXE lease the stub handed on, or by DHCP with busybox's
 * udhcpc), the server's deny-list, the plan, and after the engine the
 * report POSTed and the syslog lines. Keys by protector ID are asked for
 * in the engine child (run.c), which reads the BitLocker metadata.
 *
 * The network is a help, never a condition: every failure here is said
 * in one line and the boot goes on with the image's own list, keys and
 * mode. No server configured and no syslog collector: nothing here runs.
 */
#include "boot/pid1.h"

#include "boot/console.h"
#include "boot/modload.h"
#include "engine/engine.h"
#include "net/ifconfig.h"
#include "net/lease.h"
#include "net/syslog.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define UDHCPC "/usr/lib/lastgood/busybox"
#define UDHCPC_SCRIPT "/usr/lib/lastgood/udhcpc.script"
#define DHCP_LEASE RUN_DIR "/dhcp-lease"
#define RESOLV_CONF "/etc/resolv.conf"
#define FIRMWARE_MISSING "/etc/lastgood/firmware-missing" /* media/mkinitramfs.sh */
#define IFACE_WAIT_S 5		/* for the NIC's driver to make its interface */
#define LINK_WAIT_S 6		/* for a link (cable, switch port) */
#define DHCP_WAIT_S 20		/* for a DHCP answer, in all */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- which server, with which CA ----------------------------------------- */

/* The server from the command line, else the image's; the CA only ever
 * from the image. True with n->server set; false with n->why_not saying
 * why when one is named but cannot be used, or nothing when none is. */
static bool pick_server(struct init_state *s)
{
	struct pid1_net *n = &s->net;
	char url[LG_FLEET_URL_MAX] = "";
	_cleanup_free_ char *built_in = NULL;
	if (s->opts.server[0]) {
		snprintf(url, sizeof(url), "%s", s->opts.server);
	} else if (lg_read_file(SERVER_FILE, 4096, &built_in, NULL) == 0) {
		built_in[strcspn(built_in, "\r\n")] = 0;
		struct lg_err err = { "" };
		if (built_in[0] && lg_fleet_server_check(built_in, url, sizeof(url), &err) < 0) {
			snprintf(n->why_not, sizeof(n->why_not), "the server built into this image cannot be used: %.200s",
				 err.msg);
			return false;
		}
	}
	if (!url[0])
		return false;
	if (lg_read_file(SERVER_CA_FILE, 1 << 20, &n->ca, &n->ca_len) < 0 || !n->ca_len) {
		snprintf(n->why_not, sizeof(n->why_not), "%.200s not used: this image has no CA built in to check "
			 "it against (make image SERVER=... SERVER_CA=...)", url);
		free(n->ca);
		n->ca = NULL;
		return false;
	}
	snprintf(n->server, sizeof(n->server), "%s", url);
	return true;
}

/* ---- the interface ---------------------------------------------------------- */

/* By the MAC the firmware booted from (PXE), or the first Ethernet one;
 * its driver may still be making it. */
static int find_iface(struct pid1_net *n, const uint8_t *mac, struct lg_err *err)
{
	uint8_t m[6];
	for (int waited_ms = 0;; waited_ms += 250) {
		if (lg_net_find("/sys/class/net", mac, n->ifname, m, err) == 0) {
			lg_mac_format(m, n->mac);
			return 0;
		}
		if (waited_ms >= IFACE_WAIT_S * 1000)
			return -ENODEV;
		if (waited_ms && waited_ms % 2000 == 0)
			lg_con_printf("    waiting for a network interface, %d s", waited_ms / 1000);
		sleep_ms(250);
	}
}

static int link_up(struct pid1_net *n, struct lg_err *err)
{
	int r = -ENOLINK;
	for (int waited = 0; waited < LINK_WAIT_S && r == -ENOLINK; waited += 2) {
		if (waited)
			lg_con_printf("    waiting for a link on %s (cable?), %d s", n->ifname, waited);
		r = lg_net_up(n->ifname, 2000, err);
	}
	return r;
}

static bool configure(struct pid1_net *n, const struct lg_lease *l, const char *how)
{
	struct lg_err err = { "" };
	if (lg_net_configure(n->ifname, l, RESOLV_CONF, &err) < 0) {
		lg_con_printf("    network: %s", err.msg);
		return false;
	}
	char gw[16] = "none";
	if (l->have_gateway)
		lg_ip_format(l->gateway, gw);
	lg_ip_format(l->ip, n->ip);
	lg_con_printf("    network: %s (%s) %s/%u, router %s: %s", n->ifname, n->mac, n->ip, l->prefix, gw, how);
	n->up = true;
	return true;
}

/* Booted over PXE: the lease the firmware's PXE client got, as the stub
 * handed it on. False when there is none (not a PXE boot) or it cannot be
 * used (then DHCP is tried). */
static bool up_from_pxe(struct init_state *s)
{
	struct pid1_net *n = &s->net;
	_cleanup_free_ char *station = NULL, *ack = NULL;
	size_t station_len = 0, ack_len = 0;
	if (lg_read_file(OVERRIDE_DIR "/pxe-dhcp-ack", 64 << 10, &ack, &ack_len) < 0)
		return false;
	if (lg_read_file(OVERRIDE_DIR "/pxe-station", 4096, &station, &station_len) < 0)
		station_len = 0;
	struct lg_lease l;
	struct lg_err err = { "" };
	if (lg_lease_parse(station, station_len, (const unsigned char *)ack, ack_len, &l, &err) < 0 ||
	    find_iface(n, l.have_mac ? l.mac : NULL, &err) < 0 || link_up(n, &err) < 0) {
		lg_con_printf("    the PXE lease cannot be used: %s: asking DHCP instead", err.msg);
		return false;
	}
	return configure(n, &l, "the firmware's PXE lease, no second DHCP round");
}

/* udhcpc's lines on the consoles as they come, a line of ours every two
 * seconds without one; stopped at the deadline. Returns its wait status,
 * or -1 when it had to be stopped. */
static int follow_udhcpc(pid_t pid, int fd, const char *ifname)
{
	char buf[1024];
	size_t len = 0;
	double t0 = lg_con_uptime(), said = t0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, 500);
		double now = lg_con_uptime();
		ssize_t got = pr > 0 ? read(fd, buf + len, sizeof(buf) - 1 - len) : 0;
		if (got > 0) {
			len += (size_t)got;
			buf[len] = 0;
			char *nl;
			while ((nl = strchr(buf, '\n'))) {
				*nl = 0;
				lg_con_printf("    %s", buf);
				memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf) + 1);
				len = strlen(buf);
				said = now;
			}
			if (len == sizeof(buf) - 1)
				len = 0; /* a line that long is no udhcpc line */
		} else if (pr > 0) {
			break; /* the end of its output: it exited */
		}
		if (now - t0 >= DHCP_WAIT_S) {
			kill(pid, SIGKILL);
			break;
		}
		if (now - said >= 2.0) {
			lg_con_printf("    DHCP on %s: no lease yet, %.0f s (at most %d s)", ifname, now - t0, DHCP_WAIT_S);
			said = now;
		}
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return lg_con_uptime() - t0 >= DHCP_WAIT_S ? -1 : ws;
}

/* Booted from a stick or a CD (or UEFI HTTP boot): busybox's udhcpc asks
 * for a lease, its script writes it to DHCP_LEASE and PID 1 configures
 * the interface with it as it does with the PXE lease. */
static bool up_by_dhcp(struct init_state *s)
{
	struct pid1_net *n = &s->net;
	struct lg_err err = { "" };
	if (access(UDHCPC, X_OK) < 0 || access(UDHCPC_SCRIPT, X_OK) < 0) {
		lg_con_printf("    this image has no DHCP client (busybox's udhcpc): no network");
		snprintf(n->why_not, sizeof(n->why_not), "no network: this image has no DHCP client");
		return false;
	}
	if (find_iface(n, NULL, &err) < 0 || link_up(n, &err) < 0) {
		lg_con_printf("    no network: %s", err.msg);
		snprintf(n->why_not, sizeof(n->why_not), "no network: %.300s", err.msg);
		return false;
	}
	unlink(DHCP_LEASE);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return false;
	lg_con_printf("    asking DHCP for an address on %s (%s), at most %d s", n->ifname, n->mac, DHCP_WAIT_S);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		setenv("LG_LEASE_FILE", DHCP_LEASE, 1);
		/* foreground, quit once bound, fail when none answers: 6 tries 3 s apart */
		execl(UDHCPC, "udhcpc", "-f", "-q", "-n", "-t", "6", "-T", "3", "-i", n->ifname, "-s", UDHCPC_SCRIPT,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	int ws = pid > 0 ? follow_udhcpc(pid, pfd[0], n->ifname) : -1;
	close(pfd[0]);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct lg_lease l;
	if (ws < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || lg_read_file(DHCP_LEASE, 4096, &text, &len) < 0) {
		lg_con_printf("    no DHCP answer on %s: going on without the network", n->ifname);
		snprintf(n->why_not, sizeof(n->why_not), "no network: no DHCP answer on %s", n->ifname);
		return false;
	}
	if (lg_lease_parse_udhcpc(text, len, &l, &err) < 0) {
		lg_con_printf("    the DHCP lease cannot be used: %s: going on without the network", err.msg);
		snprintf(n->why_not, sizeof(n->why_not), "no network: %.300s", err.msg);
		return false;
	}
	char from[16];
	lg_ip_format(l.server, from);
	char how[64];
	snprintf(how, sizeof(how), "DHCP from %s", from);
	return configure(n, &l, how);
}

static void on_progress(void *ctx, const char *line)
{
	(void)ctx;
	lg_con_printf("    %s", line);
}

void pid1_net_start(struct init_state *s)
{
	struct pid1_net *n = &s->net;
	bool server = pick_server(s), syslog = s->opts.syslog[0] != 0;
	n->server_named = server || n->why_not[0];
	if (!n->server_named && !syslog)
		return; /* nothing configured: no network, as without this file */
	n->wanted = true;
	pid1_phase_begin(s, PH_NETWORK, "Network");
	if (n->why_not[0])
		lg_con_printf("    fleet server: %s", n->why_not);
	if (!s->opts.net) {
		lg_con_printf("    network off (lastgood.net=off): the image's own deny-list, keys and mode");
		snprintf(n->why_not, sizeof(n->why_not), "not used (lastgood.net=off)");
		n->server[0] = 0;
	} else if (server || syslog) {
		char gaps[400];
		if (s->mods && lg_modload_firmware_gaps(s->mods, FIRMWARE_MISSING, gaps, sizeof(gaps)) > 0)
			lg_con_printf("    a network adapter here may not work: this image lacks the firmware its driver "
				      "asks for: %s (docs/pxe.md, \"Network drivers and firmware\")", gaps);
		if (!up_from_pxe(s))
			up_by_dhcp(s);
	}
	if (server && n->up) {
		struct lg_err err = { "" };
		if (lg_fleet_open(n->server, n->ca, n->ca_len, &n->fleet, &err) < 0) {
			lg_con_printf("    fleet server: %s", err.msg);
			snprintf(n->why_not, sizeof(n->why_not), "%.300s", err.msg);
		} else {
			lg_fleet_set_progress(n->fleet, on_progress, NULL);
			lg_con_printf("    fleet server %s (its certificate checked against the CA built into this image)",
				      n->server);
		}
	}
	pid1_phase_end(s, PH_NETWORK);
}

/* ---- what the server is asked before the engine ------------------------------ */

/* A request failed: a certificate that does not check ends every use of
 * the server; one that cannot be reached ends the GETs (the report is
 * still tried, with retries, at the end). */
static void request_failed(struct pid1_net *n, int r, const char *msg)
{
	if (r == -EPERM) {
		lg_con_printf("    fleet server %s is NOT trusted: %s. Nothing is taken from it or sent to it: "
			      "no deny-list, no keys, no plan, no report", n->server, msg);
		snprintf(n->why_not, sizeof(n->why_not), "not trusted: its certificate does not check against the "
			 "CA built into this image; nothing was taken from it or sent to it");
		lg_fleet_close(n->fleet);
		n->fleet = NULL;
	} else if (r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -EIO) {
		lg_con_printf("    fleet server unreachable (%s): the image's own deny-list, keys and mode", msg);
		snprintf(n->why_not, sizeof(n->why_not), "unreachable: %.280s", msg);
		n->unreachable = true;
	}
}

bool pid1_net_usable(const struct pid1_net *n)
{
	return n->fleet && !n->unreachable;
}

bool pid1_net_denylist(struct init_state *s)
{
	struct pid1_net *n = &s->net;
	if (!pid1_net_usable(n))
		return false;
	char *list = NULL, *sig = NULL;
	size_t list_len = 0, sig_len = 0;
	struct lg_err err = { "" };
	lg_con_printf("    asking the fleet server for its deny-list (at most %d s to connect)", LG_FLEET_CONNECT_MS / 1000);
	int r = lg_fleet_get_denylist(n->fleet, &list, &list_len, &sig, &sig_len, &err);
	if (r < 0) {
		if (r == -ENOENT) {
			lg_con_printf("    the fleet server has no deny-list (404)");
		} else {
			request_failed(n, r, err.msg);
			if (pid1_net_usable(n)) /* not a connection or trust failure: an HTTP error, too large */
				lg_con_printf("    the fleet server's deny-list is not used: %s", err.msg);
		}
		return false;
	}
	r = lg_write_file_atomic(FLEET_DENYLIST, list, list_len);
	if (r == 0)
		r = lg_write_file_atomic(FLEET_DENYLIST ".minisig", sig, sig_len);
	free(list);
	free(sig);
	if (r < 0) {
		lg_con_printf("    cannot keep the server's deny-list: %s", strerror(-r));
		return false;
	}
	lg_con_printf("    fetched denylist.json (%zu bytes) and its signature from the fleet server", list_len);
	return true;
}

/* "scan (the fleet server's plan: paused by alice at ...)", for the
 * console and the final screen. */
static void mode_line(struct pid1_net *n)
{
	static const char *const names[] = { "none", "fix", "scan", "undo" };
	snprintf(n->mode_line, sizeof(n->mode_line), "%s%s%s (%s: %.300s)", names[n->plan.mode],
		 n->plan.mode == LG_PLAN_UNDO ? " of run " : "", n->plan.mode == LG_PLAN_UNDO ? n->plan.run_id : "",
		 !strcmp(n->plan.source, "server") ? "the fleet server's plan" : "the image's own mode", n->plan.reason);
}

void pid1_net_plan(struct init_state *s)
{
	struct pid1_net *n = &s->net;
	if (!n->wanted || !n->server[0])
		return;
	bool image_fix = s->opts.mode == LG_MODE_FIX;
	struct lg_fleet_plan got;
	struct lg_err err = { "" };
	char id[40];
	int r = -ENOTCONN;
	if (!pid1_net_usable(n)) {
		snprintf(err.msg, sizeof(err.msg), "%s", n->why_not[0] ? n->why_not : "the server is not used");
	} else if (lg_machine_id(NULL, id) < 0) {
		snprintf(err.msg, sizeof(err.msg), "this PC has no SMBIOS system UUID to ask with");
	} else {
		r = lg_fleet_get_plan(n->fleet, id, &got, &err);
		if (r < 0 && r != -ENOENT)
			request_failed(n, r, err.msg);
	}
	lg_plan_decide(image_fix, r, r == 0 ? &got : NULL, err.msg, &n->plan);
	n->have_plan = true;
	if (n->plan.mode == LG_PLAN_SCAN)
		s->opts.mode = LG_MODE_SCAN;
	if (n->plan.mode == LG_PLAN_UNDO)
		snprintf(s->undo_run, sizeof(s->undo_run), "%s", n->plan.run_id);
	mode_line(n);
	lg_con_printf("    mode %s", n->mode_line);
}

/* ---- after the engine -------------------------------------------------------- */

/* PID 1's own report when the engine did not run (no Windows, no valid
 * deny-list) or died before sending one: the fields docs/fleet-api.md
 * requires, so that the fleet sees this PC too. */
static json_t *own_report(struct init_state *s, enum lg_outcome outcome, int ws)
{
	char run_id[32];
	lg_run_id_new(run_id);
	int code = outcome == LG_OUTCOME_NO_DENYLIST ? LG_EXIT_DENYLIST
		 : outcome == LG_OUTCOME_NO_WINDOWS ? LG_EXIT_OK : LG_EXIT_ERROR;
	const char *note = outcome == LG_OUTCOME_NO_DENYLIST ? "no deny-list passed its checks: nothing was done"
			 : outcome == LG_OUTCOME_NO_WINDOWS ? "no NTFS or BitLocker volume on any disk"
			 : WIFSIGNALED(ws) ? "the engine stopped with an internal error (crash) before its report"
			 : "the engine stopped before its report";
	return lg_report_bare(run_id, s->opts.mode == LG_MODE_SCAN ? "scan" : "fix", code, note, NULL);
}

/* The report as the server and the stick get it. */
static json_t *complete_report(struct init_state *s, enum lg_outcome outcome, int ws)
{
	struct pid1_net *n = &s->net;
	json_t *rep = s->report ? json_loadb(s->report, s->report_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(rep)) {
		json_decref(rep);
		rep = own_report(s, outcome, ws);
		if (!rep)
			return NULL;
	}
	/* an undo is a run of its own: the undone run is named apart (docs/fleet-api.md) */
	char run_id[32];
	lg_run_id_new(run_id);
	if (!lg_report_undo_rename(rep, run_id) && n->have_plan && n->plan.mode == LG_PLAN_UNDO) {
		/* undo was asked, but no volume holds that run: the engine scanned */
		n->plan.mode = LG_PLAN_SCAN;
		char why[320];
		snprintf(why, sizeof(why), "undo of run %s asked (%.200s), but no volume here holds it: scanned instead",
			 n->plan.run_id, n->plan.reason);
		memcpy(n->plan.reason, why, sizeof(why));
		mode_line(n);
		s->opts.mode = LG_MODE_SCAN; /* the verdict and the next boot of a scan, as for a scan plan */
	}
	lg_report_add_network(rep, n->up ? n->mac : NULL, n->up ? n->ip : NULL, n->have_plan ? &n->plan : NULL);
	return rep;
}

static void post_report(struct pid1_net *n, const char *text, size_t len)
{
	if (!n->fleet) {
		snprintf(n->delivered, sizeof(n->delivered), "not sent to the fleet server (%s)",
			 n->why_not[0] ? n->why_not : "no server");
		lg_con_printf("    report %s", n->delivered);
		return;
	}
	lg_con_printf("    sending the report to %s", n->server);
	long status = 0;
	struct lg_err err = { "" };
	int r = lg_fleet_post_report(n->fleet, text, len, &status, &err);
	if (r > 0) {
		snprintf(n->delivered, sizeof(n->delivered), "delivered to the fleet server %.300s (HTTP %d%s)", n->server,
			 r, r == 200 ? ": it had it already" : "");
		lg_con_printf("    report delivered (HTTP %d)", r);
	} else {
		snprintf(n->delivered, sizeof(n->delivered), "NOT delivered to the fleet server: %.300s", err.msg);
		lg_con_printf("    report NOT delivered: %s", err.msg);
	}
}

static void send_syslog(struct init_state *s, json_t *rep)
{
	if (!s->opts.syslog[0])
		return;
	if (!s->net.up) {
		lg_con_printf("    syslog to %s: not sent (no network)", s->opts.syslog);
		return;
	}
	char **lines = NULL;
	size_t n = lg_syslog_lines(rep, &lines);
	struct lg_err err = { "" };
	int r = lines ? lg_syslog_send(&s->opts.syslog_target, lines, &err) : -ENOMEM;
	if (r < 0)
		lg_con_printf("    syslog to %s: %s", s->opts.syslog, err.msg[0] ? err.msg : strerror(-r));
	else
		lg_con_printf("    syslog: %d of %zu line%s sent to %s", r, n, n == 1 ? "" : "s", s->opts.syslog);
	lg_syslog_lines_free(lines);
}

void pid1_net_report(struct init_state *s, enum lg_outcome outcome, int ws)
{
	struct pid1_net *n = &s->net;
	if (!n->wanted || outcome == LG_OUTCOME_NO_SHELL || outcome == LG_OUTCOME_SHELL_DONE)
		return;
	pid1_phase_begin(s, PH_REPORT, "Reporting");
	json_t *rep = complete_report(s, outcome, ws);
	char *text = rep ? json_dumps(rep, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) : NULL;
	if (!text) {
		lg_con_printf("    the report could not be completed (out of memory)");
		snprintf(n->delivered, sizeof(n->delivered), "not sent (the report could not be made)");
		json_decref(rep);
		pid1_phase_end(s, PH_REPORT);
		return;
	}
	/* the copy for the boot medium, the same as the server's */
	const char *run_id = json_string_value(json_object_get(rep, "run_id"));
	if (run_id && lg_fleet_run_id_valid(run_id)) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s.json", REPORT_DIR, run_id);
		int r = lg_write_file_atomic(path, text, strlen(text));
		if (r < 0)
			lg_con_printf("    cannot keep the report in %s: %s", REPORT_DIR, strerror(-r));
	}
	free(s->report);
	s->report = text;
	s->report_len = strlen(text);
	if (n->server_named)
		post_report(n, text, s->report_len);
	send_syslog(s, rep);
	json_decref(rep);
	pid1_phase_end(s, PH_REPORT);
}

void pid1_net_end(struct init_state *s)
{
	lg_fleet_close(s->net.fleet);
	s->net.fleet = NULL;
	free(s->net.ca);
	s->net.ca = NULL;
}
