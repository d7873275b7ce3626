// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Coldplug module loading (modload.c), and disk discovery in sysfs
 * (see coldplug.h).
 */
#include "boot/coldplug.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>

/* One device's modalias file: its module loaded (once per alias). */
static void load_modalias(struct lg_modload *m, int dirfd)
{
	char alias[512];
	_cleanup_close_ int fd = openat(dirfd, "modalias", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, alias, sizeof(alias) - 1);
	if (n <= 0)
		return;
	alias[n] = 0;
	alias[strcspn(alias, "\n")] = 0;
	/* No callback: most aliases match no module, which is normal. */
	if (alias[0])
		lg_modload_alias_once(m, alias);
}

/* The device tree under dirfd, directories only, symlinks not followed:
 * readdir's d_type says which entries are directories, so that the
 * thousands of attribute files of /sys/devices are not stat()ed one by
 * one (nftw did: 0.2 s a round under QEMU's emulation). */
static void walk(struct lg_modload *m, int dirfd, unsigned depth)
{
	if (depth > 64)
		return;
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	/* the device before the devices under it, as they appear */
	load_modalias(m, dirfd);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		unsigned char type = e->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
		}
		if (type == DT_DIR) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(m, sub, depth + 1);
		}
	}
	closedir(d);
}

int lg_coldplug(struct lg_modload *m, const char *sysdevices, lg_mod_cb cb, void *ud)
{
	size_t before = lg_modload_tried(m);
	int fd = open(sysdevices, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	walk(m, fd, 0);
	int loaded = 0;
	for (size_t i = before; i < lg_modload_tried(m); i++) {
		int result = 0;
		const char *name = lg_modload_tried_name(m, i, &result);
		if (result == 0)
			loaded++;
		if (cb)
			cb(name, result, ud);
	}
	return loaded;
}

bool lg_coldplug_disk_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len >= LG_DISK_NAME_MAX)
		return false;
	/* sda .. sdzz: letters only after the prefix (sda1 is a partition) */
	if (!strncmp(n, "sd", 2) || !strncmp(n, "vd", 2) || !strncmp(n, "hd", 2) || !strncmp(n, "xvd", 3)) {
		const char *p = n + (n[0] == 'x' ? 3 : 2);
		if (!*p)
			return false;
		for (; *p; p++)
			if (!islower((unsigned char)*p))
				return false;
		return true;
	}
	/* nvme<ctrl>n<ns>, not nvme0n1p1, not the controller char device nvme0 */
	if (!strncmp(n, "nvme", 4)) {
		const char *p = n + 4;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != 'n' || !isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		return *p == 0;
	}
	/* mmcblk<N>, not mmcblk0p1, mmcblk0boot0, mmcblk0rpmb */
	if (!strncmp(n, "mmcblk", 6)) {
		const char *p = n + 6;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		return *p == 0;
	}
	return false;
}

static int read_u64(const char *path, uint64_t *v)
{
	char buf[32];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*v = x;
	return 0;
}

static int cmp_disk(const void *a, const void *b)
{
	return strcmp(((const struct lg_disk *)a)->name, ((const struct lg_disk *)b)->name);
}

int lg_coldplug_disks_list(const char *sysblock, struct lg_disk *out, size_t cap, size_t *n)
{
	DIR *d = opendir(sysblock);
	*n = 0;
	if (!d)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d)) && *n < cap) {
		if (!lg_coldplug_disk_name_ok(e->d_name))
			continue;
		char path[PATH_MAX];
		uint64_t size = 0;
		snprintf(path, sizeof(path), "%s/%s/size", sysblock, e->d_name);
		if (read_u64(path, &size) < 0 || size == 0)
			continue;
		memcpy(out[*n].name, e->d_name, strlen(e->d_name) + 1);	/* < LG_DISK_NAME_MAX: lg_coldplug_disk_name_ok */
		out[*n].sectors = size;
		(*n)++;
	}
	closedir(d);
	qsort(out, *n, sizeof(*out), cmp_disk);
	return 0;
}

int lg_coldplug_disk_of_partition(const char *sysclassblock, const char *part, char out[LG_DISK_NAME_MAX])
{
	char path[PATH_MAX], real[PATH_MAX], probe[PATH_MAX + 16];
	if (strchr(part, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", sysclassblock, part);
	if (!realpath(path, real))
		return -errno;
	/* A partition's sysfs directory sits inside its disk's and has a
	 * "partition" file. */
	snprintf(probe, sizeof(probe), "%s/partition", real);
	const char *name;
	if (access(probe, F_OK) == 0)
		name = basename(dirname(real));
	else
		name = basename(real);
	if (strlen(name) >= LG_DISK_NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(out, LG_DISK_NAME_MAX, "%s", name);
	return 0;
}
