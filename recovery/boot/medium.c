// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The boot medium (the stick or CD lastgood started from): finding and
 * mounting it read-only, the BitLocker key files on it (and those the
 * stub fetched over the network), and the reports written onto it at the
 * end, the only time it is writable.
 */
#include "boot/pid1.h"

#include "boot/console.h"
#include "formats/keys.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

struct medium_search {
	const char *partuuid;
	char found[64];
};

static void match_partuuid(const char *name, void *ud)
{
	struct medium_search *m = ud;
	char dev[64], type[32], uuid[64];
	if (m->found[0])
		return;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (pid1_probe_dev(dev, type, sizeof(type), uuid, sizeof(uuid)) == 0 && !strcasecmp(uuid, m->partuuid))
		snprintf(m->found, sizeof(m->found), "%s", dev);
}

static bool mount_medium_at(struct init_state *s, const char *dev, const char *type)
{
	if (mount(dev, MEDIUM_DIR, type, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  !strcmp(type, "vfat") ? "shortname=mixed,utf8" : NULL) < 0)
		return false;
	if (dev != s->medium_dev)	/* the caller may pass our own buffer */
		snprintf(s->medium_dev, sizeof(s->medium_dev), "%s", dev);
	snprintf(s->medium_fs, sizeof(s->medium_fs), "%s", type);
	s->medium_mounted = true;
	return true;
}

/* Without the stub's hint (ISO on a CD, another loader): the first FAT or
 * ISO 9660 file system that has a \lastgood folder. */
static void fallback_medium(const char *name, void *ud)
{
	struct init_state *s = ud;
	char dev[64], type[32], uuid[64];
	if (s->medium_mounted)
		return;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (pid1_probe_dev(dev, type, sizeof(type), uuid, sizeof(uuid)) < 0 ||
	    (strcmp(type, "vfat") && strcmp(type, "iso9660")))
		return;
	if (!mount_medium_at(s, dev, type))
		return;
	struct stat st;
	if (stat(MEDIUM_DIR "/lastgood", &st) == 0 && S_ISDIR(st.st_mode))
		return;
	umount(MEDIUM_DIR);
	s->medium_mounted = false;
	s->medium_dev[0] = 0;
}

bool pid1_find_medium(struct init_state *s, const char *partuuid)
{
	struct medium_search m = { .partuuid = partuuid };
	for (size_t i = 0; i < s->n_disks && !m.found[0]; i++)
		pid1_for_each_part(s->disks[i].name, match_partuuid, &m);
	if (!m.found[0])
		return false;
	snprintf(s->medium_dev, sizeof(s->medium_dev), "%s", m.found);
	return true;
}

/* After the wait for disks: the medium the stub named, mounted read-only,
 * or without that hint the first FAT or ISO 9660 file system with a
 * \lastgood folder. */
void pid1_mount_medium(struct init_state *s)
{
	mkdir(MEDIUM_DIR, 0755);
	if (s->medium_dev[0]) {
		char type[32], uuid[64];
		if (pid1_probe_dev(s->medium_dev, type, sizeof(type), uuid, sizeof(uuid)) == 0 && type[0] &&
		    mount_medium_at(s, s->medium_dev, type))
			;
		else
			lg_con_printf("    cannot mount the boot medium %s: reports stay on the Windows volume",
				      s->medium_dev);
	} else {
		for (size_t i = 0; i < s->n_disks && !s->medium_mounted; i++)
			pid1_for_each_part(s->disks[i].name, fallback_medium, s);
		for (int i = 0; i < 4 && !s->medium_mounted; i++) {
			char sr[16];
			snprintf(sr, sizeof(sr), "sr%d", i);
			fallback_medium(sr, s);
		}
	}
	if (s->medium_mounted) {
		const char *slash = strrchr(s->medium_dev, '/');
		if (!slash || lg_coldplug_disk_of_partition("/sys/class/block", slash + 1, s->medium_disk) < 0)
			s->medium_disk[0] = 0;
		lg_con_printf("    boot medium: %s (%s), left alone", s->medium_dev, s->medium_fs);
	} else {
		lg_con_printf("    no boot medium found (network boot?): reports stay on the Windows volume");
	}
}

/* ---- BitLocker key files ---------------------------------------------------- */

static bool is_key_file(const char *name)
{
	size_t len = strlen(name);
	return !strcasecmp(name, "keys.csv") || (len > 4 && !strcasecmp(name + len - 4, ".bek"));
}

/* The stub's copies of key files in the unpacked initrd (RAM): once in the
 * keyring, one copy of a key is enough. Zeros first, so that the pages
 * freed by the unlink do not hold it. */
static void wipe_key_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!is_key_file(e->d_name))
			continue;
		char path[512];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			static const char zeros[4096];
			for (off_t left = st.st_size; left > 0;) {
				ssize_t w = write(fd, zeros, left < (off_t)sizeof(zeros) ? (size_t)left : sizeof(zeros));
				if (w <= 0) {
					lg_con_printf("    cannot wipe %s: %s", path, strerror(w < 0 ? errno : EIO));
					break;
				}
				left -= w;
			}
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	if (d)
		closedir(d);
}

/* Keys are read from the boot medium's \lastgood\ and from the stub's
 * network hand-over into memory only: never written anywhere else (not to
 * the Windows volume, not to reports), so the medium may be unmounted
 * while the engine works on its own disk. */
int pid1_load_keys(struct init_state *s, struct lg_keyring *kr)
{
	static const char *const dirs[] = { MEDIUM_DIR "/lastgood", OVERRIDE_DIR };
	size_t files[2] = { 0, 0 };
	int bad = 0;
	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		if (d == 0 && !s->medium_mounted)
			continue;
		struct lg_err err = { "" };
		size_t before = kr->files;
		if (lg_keyring_load_dir(kr, dirs[d], &err) < 0) {
			lg_con_printf("lastgood %s: key file refused: %s", s->opts.mode == LG_MODE_SCAN ? "scan" : "fix",
				      err.msg);
			bad = -1;
		}
		files[d] = kr->files - before;
		if (d == 1)
			wipe_key_files(dirs[d]);
	}
	size_t n = files[0] + files[1];
	if (n)
		lg_con_printf("    %zu BitLocker key file%s from the boot %s (kept in memory only)", n, n == 1 ? "" : "s",
			      files[0] && files[1] ? "medium and the network" : files[0] ? "medium" : "server");
	return bad < 0 ? bad : (int)n;
}

/* ---- reports ------------------------------------------------------------------ */

static int copy_file(const char *from, const char *to)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = lg_read_file(from, 64u << 20, &buf, &len);
	if (r < 0)
		return r;
	return lg_write_file_atomic(to, buf, len);
}

/* Reports (and this console's log) onto the boot medium, read-write only
 * for that moment. Returns how many reports were saved, or -errno. */
int pid1_save_reports(struct init_state *s, char *where, size_t wcap)
{
	bool known = s->medium_mounted || s->medium_detached;
	if (!known || strcmp(s->medium_fs, "vfat")) {
		snprintf(where, wcap, "not saved on the boot medium (%s)", known ? "read-only" : "none found");
		return -EROFS;
	}
	if (s->medium_detached) {
		if (mount(s->medium_dev, MEDIUM_DIR, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC, "shortname=mixed,utf8") < 0) {
			snprintf(where, wcap, "cannot mount the boot medium again: %s", strerror(errno));
			return -errno;
		}
		s->medium_mounted = true;
		s->medium_detached = false;
	} else if (mount(NULL, MEDIUM_DIR, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(where, wcap, "cannot write to the boot medium: %s", strerror(errno));
		return -errno;
	}
	mkdir(MEDIUM_DIR "/lastgood", 0755);
	mkdir(MEDIUM_DIR "/lastgood/reports", 0755);
	int saved = 0, r = 0;
	char first[256] = "";
	DIR *d = opendir(REPORT_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char from[512], to[512];
		snprintf(from, sizeof(from), "%s/%s", REPORT_DIR, e->d_name);
		snprintf(to, sizeof(to), "%s/lastgood/reports/%s", MEDIUM_DIR, e->d_name);
		r = copy_file(from, to);
		if (r < 0)
			break;
		if (!first[0])
			snprintf(first, sizeof(first), "%s", e->d_name);
		saved++;
	}
	if (d)
		closedir(d);
	/* The console log, named after the first report (or the time). */
	char logname[300];
	if (first[0]) {
		snprintf(logname, sizeof(logname), "%s", first);
		char *dot = strrchr(logname, '.');
		if (dot)
			*dot = 0;
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(logname, sizeof(logname), "console-%Y%m%dT%H%M%SZ", &tm);
	}
	char to[512];
	snprintf(to, sizeof(to), "%s/lastgood/reports/%s.log", MEDIUM_DIR, logname);
	if (r >= 0)
		r = copy_file(CONSOLE_LOG, to);
	sync();
	mount(NULL, MEDIUM_DIR, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0) {
		snprintf(where, wcap, "writing to the boot medium failed: %s", strerror(-r));
		return r;
	}
	if (saved)
		snprintf(where, wcap, "\\lastgood\\reports\\%s on the boot medium%s", first,
			 s->opts.mode == LG_MODE_FIX ? " (and on the Windows volume)" : "");
	else
		snprintf(where, wcap, "\\lastgood\\reports\\%s.log on the boot medium", logname);
	return saved;
}
