// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block devices as PID 1 sees them: a device's file system type and
 * partition UUID, and the partitions of a disk. Used by the disk wait
 * (disks.c) and the boot medium search (medium.c).
 */
#include "boot/pid1.h"

#include <blkid.h>
#include <dirent.h>

/* TYPE and PART_ENTRY_UUID of a block device through libblkid's
 * low-level probe (no cache, no udev). */
int pid1_probe_dev(const char *dev, char *type, size_t tcap, char *partuuid, size_t pcap)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	if (!pr)
		return -errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	int r = blkid_do_safeprobe(pr);
	const char *v;
	type[0] = partuuid[0] = 0;
	if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
		snprintf(type, tcap, "%s", v);
	if (r >= 0 && blkid_probe_lookup_value(pr, "PART_ENTRY_UUID", &v, NULL) == 0)
		snprintf(partuuid, pcap, "%s", v);
	blkid_free_probe(pr);
	return r < 0 ? -EIO : 0;
}

/* Calls fn for the whole disk and each of its partitions (/dev names). */
void pid1_for_each_part(const char *disk, void (*fn)(const char *name, void *ud), void *ud)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/block/%s", disk);
	DIR *d = opendir(path);
	if (!d)
		return;
	fn(disk, ud);
	struct dirent *e;
	while ((e = readdir(d))) {
		char p2[512];
		if (strncmp(e->d_name, disk, strlen(disk)))
			continue;
		snprintf(p2, sizeof(p2), "%s/%s/partition", path, e->d_name);
		if (access(p2, F_OK) == 0)
			fn(e->d_name, ud);
	}
	closedir(d);
}
