// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PID 1 of the BitLocker end-to-end tests (tests/e2e/test_bitlocker*.sh):
 * a small init that drives the engine's unlock code against real dm-crypt
 * in a QEMU guest, where the build host has no device-mapper.
 *
 * The first virtio disk (/dev/vda) is a FAT "medium" holding key
 * directories and bitlk/plan.txt; each plan line names a disk, the
 * partition's offset and size, the key directory, and what to do:
 *
 *   vdb 0 0 lastgood read        unlock read-write, read through the mapping
 *   vdc 1048576 104857600 lastgood write
 *                                unlock, write a pattern through the mapping,
 *                                close, unlock again, read it back
 *   vdd 0 0 wrong read           (expected to fail: the result says why)
 *   vde 0 0 - typed              ask at the serial console (keys typed by
 *                                the host through QEMU's serial pipe)
 *
 * Results go to the serial console as "BITLK-RESULT <disk> rc=<n> ..."
 * lines for the host to check; then the guest powers off.
 */
#include "bitlocker.h"
#include "coldplug.h"
#include "keys.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void halt(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static int count_vd(void)
{
	DIR *d = opendir("/sys/block");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, "vd", 2);
	if (d)
		closedir(d);
	return n;
}

#define PATTERN_OFF (16ull << 20)
#define PATTERN_LEN 4096

static int io_mapping(const char *path, bool write_it, const char *name)
{
	_cleanup_close_ int fd = open(path, (write_it ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	static char buf[PATTERN_LEN], want[PATTERN_LEN];
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = "lastgood BitLocker e2e "[i % 23];
	memcpy(want, name, strlen(name));
	if (write_it) {
		if (pwrite(fd, want, sizeof(want), PATTERN_OFF) != (ssize_t)sizeof(want) || fsync(fd) < 0)
			return -errno;
		return 0;
	}
	if (pread(fd, buf, sizeof(buf), PATTERN_OFF) != (ssize_t)sizeof(buf))
		return -EIO;
	return memcmp(buf, want, sizeof(buf)) ? 1 : 0;
}

static void run_line(char *line)
{
	char disk[32], keydir[64], mode[16];
	unsigned long long off, size;
	if (sscanf(line, "%31s %llu %llu %63s %15s", disk, &off, &size, keydir, mode) != 5)
		return;
	char dev[64];
	snprintf(dev, sizeof(dev), "/dev/%s", disk);

	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	if (strcmp(keydir, "-")) {
		char dir[128];
		snprintf(dir, sizeof(dir), "/mnt/%s", keydir);
		int n = lg_keyring_load_dir(kr, dir, &err);
		if (n < 0) {
			say("BITLK-RESULT %s rc=%d keyfile-error: %s", disk, n, err.msg);
			lg_keyring_free(kr);
			return;
		}
	}
	bool typed = !strcmp(mode, "typed");
	int con = STDIN_FILENO;
	struct lg_bl_unlock_opts o = {
		.keys = kr, .interactive = typed, .console_fds = &con, .n_console_fds = 1, .prompt_idle_s = 120,
	};
	struct lg_bl_result res;
	char *mapped = NULL;
	struct lg_bitlocker_session *s = NULL;
	err.msg[0] = 0;
	int r = lg_bitlocker_unlock_ex(dev, off, size, &o, &mapped, &s, &res, &err);
	if (r < 0) {
		say("BITLK-RESULT %s rc=%d error: %s", disk, r, err.msg);
		lg_keyring_free(kr);
		return;
	}
	struct stat st;
	bool blk = stat(mapped, &st) == 0 && S_ISBLK(st.st_mode);
	int io = 0;
	if (!strcmp(mode, "write"))
		io = io_mapping(mapped, true, disk);
	else
		io = io_mapping(mapped, false, disk);
	char keep[64];
	snprintf(keep, sizeof(keep), "%s", mapped);
	int c = lg_bitlocker_close(s);
	bool gone = access(keep, F_OK) != 0;
	int again = -1;
	if (!strcmp(mode, "write")) {
		/* a fresh mapping must read back what went through the first */
		char *m2 = NULL;
		struct lg_bitlocker_session *s2 = NULL;
		int r2 = lg_bitlocker_unlock_ex(dev, off, size, &o, &m2, &s2, NULL, &err);
		again = r2 < 0 ? r2 : io_mapping(m2, false, disk);
		lg_bitlocker_close(s2);
		free(m2);
	}
	say("BITLK-RESULT %s rc=0 mapped=%s block=%d with=%s source=%s protector=%s io=%d close=%d gone=%d readback=%d device=%s",
	    disk, keep, blk, lg_bl_kind_name(res.kind), res.source, res.protector_id[0] ? res.protector_id : "-",
	    io, c, gone, again, res.device);
	free(mapped);
	lg_keyring_free(kr);
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/run", 0755);
	int fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	say("BITLK-GUEST started");

	struct lg_modload *m = NULL;
	struct lg_err err = { "" };
	if (lg_modload_new(NULL, &m, &err) < 0) {
		say("BITLK-FATAL modules: %s", err.msg);
		halt();
	}
	lg_modload_file(m, "/etc/lastgood/modules.load", NULL, NULL);
	for (int round = 0; round < 8 && lg_coldplug(m, "/sys/devices", NULL, NULL) > 0; round++)
		;
	/* the disks, once the virtio driver has seen them all */
	int want = 0;
	char cmdline[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	const char *p = strstr(cmdline, "bitlk.disks=");
	if (p)
		want = atoi(p + 12);
	for (int i = 0; i < 200 && count_vd() < want; i++)
		usleep(100 * 1000);
	say("BITLK-DISKS %d of %d", count_vd(), want);
	say("BITLK-DM %s", access("/dev/mapper/control", F_OK) == 0 ? "yes" : "no");

	mkdir("/mnt", 0755);
	if (mount("/dev/vda", "/mnt", "vfat", MS_RDONLY, NULL) < 0) {
		say("BITLK-FATAL cannot mount the medium /dev/vda: %s", strerror(errno));
		halt();
	}
	f = fopen("/mnt/bitlk/plan.txt", "r");
	if (!f) {
		say("BITLK-FATAL no /bitlk/plan.txt on the medium");
		halt();
	}
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		run_line(line);
	}
	fclose(f);
	/* nothing of ours may stay mapped */
	DIR *d = opendir("/dev/mapper");
	struct dirent *e;
	int left = 0;
	while (d && (e = readdir(d)))
		left += !strncmp(e->d_name, "lastgood-", 9);
	if (d)
		closedir(d);
	say("BITLK-LEFT %d", left);
	umount("/mnt");
	lg_modload_free(m);
	say("BITLK-DONE");
	halt();
}
