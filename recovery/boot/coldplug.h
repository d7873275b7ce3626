/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drivers and disks in the recovery image. There is no udev: PID 1 loads
 * the modules the hardware asks for itself (coldplug: every modalias file
 * under /sys/devices, looked up in the initramfs' modules.alias:
 * modload.h) and the few that no device asks for (file systems, crypto),
 * then lists the disks that appeared in /sys/block.
 *
 * Errors: negative errno; lg_modload_new() fills the lg_err.
 */
#ifndef LG_COLDPLUG_H
#define LG_COLDPLUG_H

#include "boot/modload.h"
#include "lib/util.h"

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

#endif
