/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PID 1 of the recovery image, shared between its files: the state of one
 * boot and the steps init.c (main) takes in order. One concern per file:
 *
 *   cmdline.c        the kernel command line
 *   disks.c          drivers, waiting for disks, which disks hold Windows
 *   medium.c         the boot medium: finding it, BitLocker key files on
 *                    it, the reports saved on it at the end
 *   denylist_pick.c  the newest valid deny-list, verified once per boot
 *   run.c            the engine, run in a child (child.c: the protocol)
 *   screen.c         phases, the verdict and the final screen
 *
 * Everything on the consoles goes through boot/console.h.
 */
#ifndef LG_BOOT_PID1_H
#define LG_BOOT_PID1_H

#include "boot/cmdline.h"
#include "boot/coldplug.h"
#include "boot/screen.h"

#define RUN_DIR "/run/lastgood"
#define REPORT_DIR RUN_DIR "/reports"
#define CONSOLE_LOG RUN_DIR "/console.log"
#define MEDIUM_DIR "/mnt/medium"
#define OVERRIDE_DIR "/lastgood/override"
#define BAKED_DENYLIST "/etc/lastgood/denylist.json"
#define OVERRIDE_DENYLIST OVERRIDE_DIR "/denylist.json"
#define MEDIUM_DENYLIST MEDIUM_DIR "/lastgood/denylist.json"
#define DEMO_MARKER "/etc/lastgood/DEMO-KEY"
#define MAX_DISKS 64
#define SUMMARY_LINES 16

struct lg_denylist;
struct lg_keyring;

enum phase { PH_MOUNTS, PH_DRIVERS, PH_DISKS, PH_DENYLIST, PH_ENGINE, PH_FINISH, PH_COUNT };

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

	/* the engine's report (JSON text) and its last lines, for the final screen */
	char *report;
	size_t report_len;
	char summary[SUMMARY_LINES][256];
	size_t n_summary;
};

/* cmdline.c: fill s->opts from /proc/cmdline and say which mode. */
void pid1_read_cmdline(struct init_state *s);

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
