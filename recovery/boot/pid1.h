/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PID 1 of the recovery image, shared between its files: the state of one
 * boot and the steps init.c (main) takes in order. One concern per file:
 *
 *   cmdline.c        the kernel command line
 *   disks.c          drivers, waiting for disks, which disks hold Windows
 *   medium.c         the boot medium: finding it, BitLocker key files on
 *                    it, the reports saved on it at the end
 *   network.c        the fleet server: the network (the PXE lease or DHCP),
 *                    its deny-list, the plan, the report POSTed, syslog
 *   denylist_pick.c  the newest valid deny-list, verified once per boot
 *   run.c            the engine, run in a child (child.c: the protocol);
 *                    keys by protector ID from the server are asked for there
 *   screen.c         phases, the verdict and the final screen
 *
 * Everything on the consoles goes through boot/console.h.
 */
#ifndef LG_BOOT_PID1_H
#define LG_BOOT_PID1_H

#include "boot/cmdline.h"
#include "boot/coldplug.h"
#include "boot/verdict.h"
#include "net/session.h"

#include <net/if.h>

#define RUN_DIR "/run/lastgood"
#define REPORT_DIR RUN_DIR "/reports"
#define CONSOLE_LOG RUN_DIR "/console.log"
#define MEDIUM_DIR "/mnt/medium"
#define OVERRIDE_DIR "/lastgood/override"
#define BAKED_DENYLIST "/etc/lastgood/denylist.json"
#define OVERRIDE_DENYLIST OVERRIDE_DIR "/denylist.json"
#define MEDIUM_DENYLIST MEDIUM_DIR "/lastgood/denylist.json"
#define DEMO_MARKER "/etc/lastgood/DEMO-KEY"
/* The fleet server built into the image (make image SERVER= SERVER_CA=) */
#define SERVER_FILE "/etc/lastgood/server"
#define SERVER_CA_FILE "/etc/lastgood/server-ca.pem"
#define FLEET_DENYLIST RUN_DIR "/fleet-denylist.json"
#define MAX_DISKS 64
#define SUMMARY_LINES 16

struct lg_denylist;
struct lg_keyring;

enum phase { PH_MOUNTS, PH_DRIVERS, PH_DISKS, PH_NETWORK, PH_DENYLIST, PH_ENGINE, PH_REPORT, PH_FINISH, PH_COUNT };

/* The network and the fleet server in this boot (network.c). */
struct pid1_net {
	bool wanted;			/* a server or a syslog collector is configured */
	bool server_named;		/* a server is named (usable or not) */
	char server[LG_FLEET_URL_MAX];	/* the server used; "" for none */
	char *ca;			/* its built-in CA (PEM) */
	size_t ca_len;
	bool up;			/* an interface is configured */
	char ifname[IF_NAMESIZE], mac[18], ip[16];
	struct lg_fleet *fleet;		/* NULL: the server is not (or no longer) asked */
	bool unreachable;		/* no answer so far: no more GETs, the report is still tried */
	char why_not[320];		/* why the server is not used, or not fully */
	bool have_plan;
	struct lg_plan_choice plan;	/* what this PC does, and why */
	char mode_line[480];		/* the same in words */
	char delivered[400];		/* what became of the report, for the final screen */
};

struct init_state {
	struct lg_init_opts opts;
	double phase_start[PH_COUNT], phase_end[PH_COUNT];
	bool demo;
	struct lg_modload *mods;
	unsigned modules_loaded;
	int uevent_fd;			/* kernel uevents while drivers load and disks come, or -1 */

	char medium_dev[64];		/* /dev/sdb1, "" when none */
	char medium_disk[LG_DISK_NAME_MAX];
	bool medium_mounted;
	char medium_fs[16];
	bool medium_detached;		/* unmounted while the engine ran on its disk */

	struct lg_disk disks[MAX_DISKS];
	size_t n_disks;
	bool has_windows[MAX_DISKS];	/* the disk has an NTFS or BitLocker volume */
	size_t n_windows;		/* NTFS + BitLocker volumes seen */

	/* the deny-list chosen (denylist_pick.c), verified once for the boot */
	struct lg_denylist *list;
	char denylist[300];
	int64_t serial;

	struct pid1_net net;
	char undo_run[32];		/* the fleet server asked to undo this run ("" none) */

	/* the engine's report (JSON text) and its last lines, for the final screen */
	char *report;
	size_t report_len;
	char summary[SUMMARY_LINES][256];
	size_t n_summary;
};

/* disks.c */
void pid1_load_drivers(struct init_state *s);
void pid1_wait_for_disks(struct init_state *s);
void pid1_count_windows(struct init_state *s);

/* parts.c */
/* TYPE and PART_ENTRY_UUID of a block device (libblkid, no cache). */
int pid1_probe_dev(const char *dev, char *type, size_t tcap, char *partuuid, size_t pcap);
/* Calls fn for the whole disk and each of its partitions (kernel names). */
void pid1_for_each_part(const char *disk, void (*fn)(const char *name, void *ud), void *ud);

/* medium.c */
/* The partition the stub named (LoaderDevicePartUUID), when it is there:
 * true with s->medium_dev set. */
bool pid1_find_medium(struct init_state *s, const char *partuuid);
/* Mount s->medium_dev read-only, or look for a medium without the hint. */
void pid1_mount_medium(struct init_state *s);
/* The BitLocker key files (keys.csv, *.BEK) of the boot medium's \lastgood\
 * and of what the stub fetched over the network, loaded into kr (memory
 * only; the stub's copies are wiped). Returns the number of key files
 * loaded, or -1 when one was refused (said on the console). */
int pid1_load_keys(struct init_state *s, struct lg_keyring *kr);
/* Reports and the console log onto the boot medium; where says where.
 * Returns how many reports were saved, or -errno. */
int pid1_save_reports(struct init_state *s, char *where, size_t wcap);

/* network.c */
/* When a fleet server (or a syslog collector) is configured and the
 * network is not off: the interface up, from the PXE lease the stub
 * handed on or by DHCP (bounded wait), and the HTTPS client opened with
 * the built-in CA. Otherwise nothing, and no line. */
void pid1_net_start(struct init_state *s);
/* A server is open, trusted so far and not found unreachable: it is asked. */
bool pid1_net_usable(const struct pid1_net *n);
/* The server's deny-list and signature into FLEET_DENYLIST(.minisig):
 * true when both are there for denylist_pick.c to check. */
bool pid1_net_denylist(struct init_state *s);
/* GET the plan for this machine and decide (lg_plan_decide): may set
 * opts.mode to scan, or undo_run. */
void pid1_net_plan(struct init_state *s);
/* After the engine, whatever happened: the report completed (a report of
 * PID 1's own when the engine did not run), machine mac/ip and plan
 * added, saved in REPORT_DIR, POSTed with bounded retries, syslog lines
 * sent. s->report is replaced by what was sent. */
void pid1_net_report(struct init_state *s, enum lg_outcome outcome, int ws);
void pid1_net_end(struct init_state *s);

/* denylist_pick.c: the newest valid deny-list into s->list; false when none. */
bool pid1_pick_denylist(struct init_state *s);

/* run.c: run the engine on the disks with Windows; returns its wait status. */
int pid1_run_engine(struct init_state *s);

/* screen.c */
void pid1_phase_begin(struct init_state *s, enum phase p, const char *what);
void pid1_phase_end(struct init_state *s, enum phase p);
void pid1_keep_summary(struct init_state *s, const char *line);
void pid1_final_screen(struct init_state *s, const struct lg_verdict *v, const char *report, const char *next);
void pid1_phase_summary(struct init_state *s);

#endif
