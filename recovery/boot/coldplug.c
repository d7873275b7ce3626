// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Coldplug module loading (modload.c), and disk discovery in sysfs
 * (see coldplug.h).
 */
#include "boot/coldplug.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>

/* nftw has no user pointer: the walk runs in one thread, so a file-scope
 * context is enough. */
static struct lg_modload *walk_m;

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_F || strcmp(path + ftw->base, "modalias"))
		return 0;
	char alias[512];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, alias, sizeof(alias) - 1);
	if (n <= 0)
		return 0;
	alias[n] = 0;
	alias[strcspn(alias, "\n")] = 0;
	/* No callback: most aliases match no module, which is normal. */
	if (alias[0])
		lg_modload_alias_once(walk_m, alias);
	return 0;
}

int lg_coldplug(struct lg_modload *m, const char *sysdevices, lg_mod_cb cb, void *ud)
{
	size_t before = lg_modload_tried(m);
	walk_m = m;
	int r = nftw(sysdevices, walk_cb, 32, FTW_PHYS);
	walk_m = NULL;
	if (r < 0)
		return -errno;
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
