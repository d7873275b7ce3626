// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Coldplug module loading through libkmod, and disk discovery in sysfs
 * (see coldplug.h).
 */
#include "boot/coldplug.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <libkmod.h>
#include <limits.h>
#include <sys/stat.h>

/* A growable set of strings; linear search is fine for a few hundred. */
struct strset {
	char **v;
	size_t n, cap;
};

static bool strset_has(const struct strset *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

static int strset_add(struct strset *s, const char *str)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(str);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

struct lg_modload {
	struct kmod_ctx *ctx;
	struct strset tried_modules;
	int *results;		/* parallel to tried_modules: 0 or -errno */
	size_t results_cap;
	struct strset seen_aliases;
};

static int record(struct lg_modload *m, const char *name, int result)
{
	if (m->results_cap < m->tried_modules.n + 1) {
		size_t cap = m->results_cap ? m->results_cap * 2 : 64;
		int *v = realloc(m->results, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->results = v;
		m->results_cap = cap;
	}
	int r = strset_add(&m->tried_modules, name);
	if (r < 0)
		return r;
	m->results[m->tried_modules.n - 1] = result;
	return 0;
}

int lg_modload_new(const char *dirname, struct lg_modload **out, struct lg_err *err)
{
	struct lg_modload *m = lg_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	/* No configuration: the image has no modprobe.d, and a host's must
	 * not change what the recovery image does. */
	static const char *const no_config[] = { "/dev/null/none", NULL };
	m->ctx = kmod_new(dirname, no_config);
	if (!m->ctx) {
		free(m);
		lg_err_set(err, "libkmod: cannot create a context for %s", dirname ? dirname : "/lib/modules");
		return -ENOMEM;
	}
	kmod_set_log_priority(m->ctx, 0);
	int r = kmod_load_resources(m->ctx);
	if (r < 0) {
		lg_err_set(err, "libkmod: cannot load the module indexes (modules.dep.bin...): %s", strerror(-r));
		lg_modload_free(m);
		return r;
	}
	*out = m;
	return 0;
}

void lg_modload_free(struct lg_modload *m)
{
	if (!m)
		return;
	kmod_unref(m->ctx);
	strset_free(&m->tried_modules);
	free(m->results);
	strset_free(&m->seen_aliases);
	free(m);
}

static int load_list(struct lg_modload *m, struct kmod_list *list, lg_mod_cb cb, void *ud)
{
	int loaded = 0;
	struct kmod_list *it;
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);
		const char *name = kmod_module_get_name(mod);
		int state = kmod_module_get_initstate(mod);
		if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE ||
		    state == KMOD_MODULE_COMING || strset_has(&m->tried_modules, name)) {
			kmod_module_unref(mod);
			continue;
		}
		int r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_COMMAND, NULL, NULL, NULL, NULL);
		/* -EEXIST: loaded meanwhile (a dependency of another); a
		 * positive value: refused by a blacklist we do not use. */
		if (r == -EEXIST)
			r = 0;
		else if (r > 0)
			r = -EPERM;
		record(m, name, r);
		if (cb)
			cb(name, r, ud);
		if (r == 0)
			loaded++;
		kmod_module_unref(mod);
	}
	return loaded;
}

int lg_modload_name(struct lg_modload *m, const char *name, lg_mod_cb cb, void *ud)
{
	struct kmod_list *list = NULL;
	int r = kmod_module_new_from_lookup(m->ctx, name, &list);
	if (r < 0)
		return r;
	if (!list) {
		if (cb && !strset_has(&m->tried_modules, name)) {
			record(m, name, -ENOENT);
			cb(name, -ENOENT, ud);
		}
		return 0;
	}
	r = load_list(m, list, cb, ud);
	kmod_module_unref_list(list);
	return r;
}

int lg_modload_file(struct lg_modload *m, const char *path, lg_mod_cb cb, void *ud)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[256];
	int loaded = 0;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		if (sscanf(line, "%127s", name) != 1)
			continue;
		int r = lg_modload_name(m, name, cb, ud);
		if (r > 0)
			loaded += r;
	}
	return loaded;
}

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
	if (!alias[0] || strset_has(&walk_m->seen_aliases, alias))
		return 0;
	if (strset_add(&walk_m->seen_aliases, alias) < 0)
		return 0;
	/* No callback: most aliases match no module, which is normal. */
	lg_modload_name(walk_m, alias, NULL, NULL);
	return 0;
}

int lg_coldplug(struct lg_modload *m, const char *sysdevices, lg_mod_cb cb, void *ud)
{
	size_t before = m->tried_modules.n;
	walk_m = m;
	int r = nftw(sysdevices, walk_cb, 32, FTW_PHYS);
	walk_m = NULL;
	if (r < 0)
		return -errno;
	int loaded = 0;
	for (size_t i = before; i < m->tried_modules.n; i++) {
		if (m->results[i] == 0)
			loaded++;
		if (cb)
			cb(m->tried_modules.v[i], m->results[i], ud);
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
