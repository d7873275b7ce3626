/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drivers and disks in the recovery image. There is no udev: PID 1 loads
 * the modules the hardware asks for itself (coldplug: every modalias file
 * under /sys/devices, looked up in the initramfs' modules.alias through
 * libkmod) and the few that no device asks for (file systems, crypto),
 * then lists the disks that appeared in /sys/block.
 *
 * Errors: negative errno; lg_modload_new() fills the lg_err.
 */
#ifndef LG_COLDPLUG_H
#define LG_COLDPLUG_H

#include "lib/util.h"

struct lg_modload;

/* Called for each module an lg_modload_* call tried to load: result is 0
 * (now loaded) or a negative errno. Modules already loaded or built in
 * are not reported. */
typedef void (*lg_mod_cb)(const char *module, int result, void *userdata);

/* A libkmod context over dirname (NULL: /lib/modules/`uname -r`), with
 * its indexes loaded. */
int lg_modload_new(const char *dirname, struct lg_modload **out, struct lg_err *err);
void lg_modload_free(struct lg_modload *m);

/* Load one module (and its dependencies) by name or alias. Returns 1 when
 * something was loaded, 0 when already there or tried before, or a
 * negative errno. Each module is tried at most once per context, so that
 * repeated coldplug rounds do not retry a driver that refused a device. */
int lg_modload_name(struct lg_modload *m, const char *name, lg_mod_cb cb, void *userdata);

/* Load every module named in a file, one per line ('#' comments).
 * Returns how many were loaded, or a negative errno if the file cannot be
 * read (-ENOENT when missing). */
int lg_modload_file(struct lg_modload *m, const char *path, lg_mod_cb cb, void *userdata);

/* One coldplug round: read every "modalias" file under sysdevices
 * (/sys/devices) without following symlinks and load what matches. Aliases
 * seen in an earlier round are skipped. Returns how many modules were
 * loaded (new devices may appear behind them: call again until 0). */
int lg_coldplug(struct lg_modload *m, const char *sysdevices, lg_mod_cb cb, void *userdata);

/* Whole disks worth looking at: sd*, nvme<C>n<N>, vd*, hd*, xvd*,
 * mmcblk<N> (not their boot or rpmb areas). Not: loop, ram, zram, sr
 * (CD-ROM), dm-, md, nbd, partitions. */
bool lg_coldplug_disk_name_ok(const char *name);

#define LG_DISK_NAME_MAX 32
struct lg_disk {
	char name[LG_DISK_NAME_MAX];	/* kernel name, /dev/<name> */
	uint64_t sectors;		/* 512-byte sectors, from sysfs "size" */
};

/* The disks in sysblock (/sys/block) that pass lg_coldplug_disk_name_ok() and
 * have media (size > 0), sorted by name. Up to cap entries. */
int lg_coldplug_disks_list(const char *sysblock, struct lg_disk *out, size_t cap, size_t *n);

/* The whole-disk name holding partition `part` (a name as in
 * /sys/class/block), e.g. "nvme0n1" for "nvme0n1p2"; a whole disk gives
 * itself. Reads sysclassblock (/sys/class/block). */
int lg_coldplug_disk_of_partition(const char *sysclassblock, const char *part, char out[LG_DISK_NAME_MAX]);

/* The names these had before they took their file's prefix, until the
 * split of boot/init.c calls them by the new ones. */
#define lg_disks_list lg_coldplug_disks_list
#define lg_disk_of_partition lg_coldplug_disk_of_partition

#endif
