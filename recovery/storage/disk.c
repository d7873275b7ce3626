// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Partition tables and file system probing with libblkid. The target is
 * opened read-only; each partition is probed through the same fd with an
 * offset, so no partition device nodes or loop devices are needed.
 */
#include "storage/disk.h"

#include <blkid.h>
#include <ctype.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define GPT_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_MSR "e3c9e316-0b5c-4db8-817d-f92df00215ae"

const char *lg_disk_fs_name(enum lg_fs fs)
{
	switch (fs) {
	case LG_FS_NTFS: return "ntfs";
	case LG_FS_VFAT: return "vfat";
	case LG_FS_BITLOCKER: return "bitlocker";
	case LG_FS_OTHER: return "other";
	default: return "unknown";
	}
}

void lg_disk_free(struct lg_disk *disk)
{
	if (!disk)
		return;
	for (size_t i = 0; i < disk->n_parts; i++) {
		free(disk->parts[i].name);
		free(disk->parts[i].fstype);
		free(disk->parts[i].label);
		free(disk->parts[i].uuid);
	}
	free(disk->parts);
	free(disk->pt_id);
	free(disk->path);
	free(disk);
}

static void blkid_free_probep(blkid_probe *p)
{
	if (*p)
		blkid_free_probe(*p);
}

static char *lookup_dup(blkid_probe pr, const char *name)
{
	const char *v = NULL;
	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
		return strdup(v);
	return NULL;
}

/* Probe the file system inside [offset, offset+size) of fd. */
static int probe_fs(int fd, struct lg_partition *p)
{
	__attribute__((cleanup(blkid_free_probep))) blkid_probe pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)p->offset, (blkid_loff_t)p->size) < 0)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
	blkid_probe_enable_partitions(pr, 0);
	int r = blkid_do_safeprobe(pr);
	if (r != 0) {
		/* 1: nothing found; -2: ambiguous. Our own check below still
		 * recognises a BitLocker boot sector. */
		p->fs = LG_FS_UNKNOWN;
	} else {
		p->fstype = lookup_dup(pr, "TYPE");
		p->label = lookup_dup(pr, "LABEL");
		p->uuid = lookup_dup(pr, "UUID");
		if (!p->fstype)
			p->fs = LG_FS_UNKNOWN;
		else if (!strcmp(p->fstype, "ntfs"))
			p->fs = LG_FS_NTFS;
		else if (!strcmp(p->fstype, "vfat"))
			p->fs = LG_FS_VFAT;
		else if (!strcasecmp(p->fstype, "bitlocker"))
			p->fs = LG_FS_BITLOCKER;
		else
			p->fs = LG_FS_OTHER;
	}
	/* BitLocker's boot sector carries "-FVE-FS-" as its OEM id; check it
	 * directly so detection does not depend on the libblkid version. */
	unsigned char bs[11];
	if (p->size >= 512 && pread(fd, bs, sizeof(bs), (off_t)p->offset) == (ssize_t)sizeof(bs)) {
		if (!memcmp(bs + 3, "-FVE-FS-", 8) && p->fs != LG_FS_BITLOCKER) {
			p->fs = LG_FS_BITLOCKER;
			free(p->fstype);
			p->fstype = strdup("BitLocker");
		} else if (!memcmp(bs + 3, "NTFS    ", 8) && p->fs == LG_FS_UNKNOWN) {
			/* libblkid rejects an NTFS boot sector whose fields do not
			 * add up; keep it as NTFS so the open reports why. */
			p->fs = LG_FS_NTFS;
			p->fstype = strdup("ntfs");
		}
	}
	return 0;
}

static int target_size(int fd, bool *block, uint64_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		*block = true;
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return -errno;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	*block = false;
	*size = (uint64_t)st.st_size;
	return 0;
}

int lg_disk_open(const char *path, struct lg_disk **out, struct lg_err *err)
{
	*out = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		lg_err_set(err, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	struct lg_disk *d = lg_zalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->path = strdup(path);
	strcpy(d->pttype, "none");
	int r = target_size(fd, &d->block_device, &d->size);
	if (r < 0) {
		lg_err_set(err, "%s: %s", path,
			   r == -ENODEV ? "not a disk image or block device" : strerror(-r));
		lg_disk_free(d);
		return r;
	}
	if (d->size < 512) {
		lg_err_set(err, "%s: too small to hold a partition table or a file system (%llu bytes)",
			   path, (unsigned long long)d->size);
		lg_disk_free(d);
		return -EINVAL;
	}

	__attribute__((cleanup(blkid_free_probep))) blkid_probe pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		lg_err_set(err, "%s: libblkid cannot read it", path);
		lg_disk_free(d);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	blkid_partlist pl = blkid_probe_get_partitions(pr);
	int n = pl ? blkid_partlist_numof_partitions(pl) : 0;
	if (pl && n > 0) {
		blkid_parttable tab = blkid_partlist_get_table(pl);
		const char *t = tab ? blkid_parttable_get_type(tab) : NULL;
		snprintf(d->pttype, sizeof(d->pttype), "%s", t ? t : "unknown");
		const char *id = tab ? blkid_parttable_get_id(tab) : NULL;
		d->pt_id = id ? strdup(id) : NULL;
		d->parts = calloc((size_t)n, sizeof(*d->parts));
		if (!d->parts) {
			lg_disk_free(d);
			return -ENOMEM;
		}
		for (int i = 0; i < n; i++) {
			blkid_partition bp = blkid_partlist_get_partition(pl, i);
			if (!bp)
				continue;
			struct lg_partition *p = &d->parts[d->n_parts++];
			p->number = blkid_partition_get_partno(bp);
			/* libblkid counts in 512-byte sectors whatever the device's. */
			uint64_t start = (uint64_t)blkid_partition_get_start(bp);
			uint64_t len = (uint64_t)blkid_partition_get_size(bp);
			if (start > UINT64_MAX / 512 || len > UINT64_MAX / 512) {
				p->truncated = true;
				continue;
			}
			p->offset = start * 512;
			p->size = len * 512;
			const char *ts = blkid_partition_get_type_string(bp);
			if (ts)
				snprintf(p->type, sizeof(p->type), "%s", ts);
			else
				snprintf(p->type, sizeof(p->type), "0x%02x", blkid_partition_get_type(bp));
			for (char *c = p->type; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			const char *nm = blkid_partition_get_name(bp);
			p->name = nm ? strdup(nm) : NULL;
			p->esp = !strcmp(p->type, GPT_ESP) || !strcmp(p->type, "0xef");
			p->msr = !strcmp(p->type, GPT_MSR);
			p->container = blkid_partition_is_extended(bp);
			if (!lg_in_bounds(p->offset, p->size, d->size)) {
				p->truncated = true;
				continue;
			}
			if (!p->container && p->size > 0) {
				r = probe_fs(fd, p);
				if (r < 0) {
					lg_err_set(err, "%s: partition %d: %s", path, p->number, strerror(-r));
					lg_disk_free(d);
					return r;
				}
			}
		}
	} else {
		/* A GPT header at LBA 1 that libblkid did not accept: the table
		 * does not fit the target (truncated image) or is damaged. */
		unsigned char hdr[8];
		if (pread(fd, hdr, sizeof(hdr), 512) == (ssize_t)sizeof(hdr) && !memcmp(hdr, "EFI PART", 8))
			d->pt_rejected = true;
		/* No partition table: a partition image or an unpartitioned disk. */
		d->parts = lg_zalloc(sizeof(*d->parts));
		if (!d->parts) {
			lg_disk_free(d);
			return -ENOMEM;
		}
		struct lg_partition *p = &d->parts[d->n_parts++];
		p->number = 0;
		p->offset = 0;
		p->size = d->size;
		r = probe_fs(fd, p);
		if (r < 0) {
			lg_err_set(err, "%s: %s", path, strerror(-r));
			lg_disk_free(d);
			return r;
		}
	}
	*out = d;
	return 0;
}
