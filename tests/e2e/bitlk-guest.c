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
 *   vdb 1048576 104857600 lastgood fill vdc
 *                                unlock, copy all of vdc (an NTFS image) into
 *                                the mapping, read it back and compare
 *   vdb 1048576 104857600 lastgood export vdd
 *                                unlock read-only, copy the mapping into vdd
 *   vdb 0 0 lastgood undo RUN-ID lastgood undo --run RUN-ID --keys DIR /dev/vdb
 *                                (the engine's own undo, unlocking the volume)
 *
 * Results go to the serial console as "BITLK-RESULT <disk> rc=<n> ..."
 * lines for the host to check; then the guest powers off.
 */
#include "storage/bitlocker.h"
#include "boot/coldplug.h"
#include "cli/commands.h"
#include "formats/keys.h"
#include "term/keyprompt.h"

#include <linux/fs.h>
#include <sys/ioctl.h>

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

static uint64_t dev_size(int fd)
{
	uint64_t n = 0;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &n) == 0)
		return n;
	return 0;
}

/* Copy the smaller of the two sizes from one device to the other; with
 * verify, read the target back and compare. Returns bytes copied, or
 * -errno, or -EILSEQ when the read-back differs (at *bad). */
static int64_t copy_dev(const char *from, const char *to, bool verify, uint64_t *bad)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(to, O_RDWR | O_CLOEXEC);
	if (in < 0 || out < 0)
		return -errno;
	uint64_t a = dev_size(in), b = dev_size(out), n = a < b ? a : b;
	static char buf[1 << 20], back[1 << 20];
	for (uint64_t pos = 0; pos < n; pos += sizeof(buf)) {
		size_t len = n - pos < sizeof(buf) ? (size_t)(n - pos) : sizeof(buf);
		if (pread(in, buf, len, (off_t)pos) != (ssize_t)len || pwrite(out, buf, len, (off_t)pos) != (ssize_t)len)
			return -EIO;
	}
	if (fsync(out) < 0)
		return -errno;
	for (uint64_t pos = 0; verify && pos < n; pos += sizeof(buf)) {
		size_t len = n - pos < sizeof(buf) ? (size_t)(n - pos) : sizeof(buf);
		if (pread(in, buf, len, (off_t)pos) != (ssize_t)len || pread(out, back, len, (off_t)pos) != (ssize_t)len)
			return -EIO;
		if (memcmp(buf, back, len)) {
			for (size_t i = 0; i < len; i++)
				if (buf[i] != back[i]) {
					*bad = pos + i;
					break;
				}
			return -EILSEQ;
		}
	}
	return (int64_t)n;
}

/* lastgood undo with the engine's own command, the volume unlocked with
 * the key files of keydir. */
static void run_undo(const char *disk, const char *keydir, const char *run_id)
{
	char dev[64], dir[128];
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	snprintf(dir, sizeof(dir), "/mnt/%s", keydir);
	char *argv[] = { "undo", "--run", (char *)run_id, "--keys", dir, "--json", dev, NULL };
	say("BITLK-UNDO-JSON-BEGIN");
	int rc = cmd_undo(7, argv);
	fflush(stdout);
	say("BITLK-UNDO-JSON-END");
	say("BITLK-RESULT %s undo rc=%d", disk, rc);
}

static void run_line(char *line)
{
	char disk[32], keydir[64], mode[16], extra[64] = "";
	unsigned long long off, size;
	if (sscanf(line, "%31s %llu %llu %63s %15s %63s", disk, &off, &size, keydir, mode, extra) < 5)
		return;
	if (!strcmp(mode, "undo")) {
		run_undo(disk, keydir, extra);
		return;
	}
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
	struct lg_keyprompt_asker console = { .fds = &con, .n_fds = 1, .idle_s = 120 };
	struct lg_key_asker asker = lg_keyprompt_asker(&console);
	struct lg_bl_unlock_opts o = {
		.keys = kr, .asker = typed ? &asker : NULL, .read_only = !strcmp(mode, "export"),
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
	if (!strcmp(mode, "fill") || !strcmp(mode, "export")) {
		char other[80];
		uint64_t bad = 0;
		snprintf(other, sizeof(other), "/dev/%s", extra);
		bool fill = !strcmp(mode, "fill");
		int64_t n = fill ? copy_dev(other, mapped, true, &bad) : copy_dev(mapped, other, false, &bad);
		say("BITLK-COPY %s %s %s: %lld%s", disk, fill ? "from" : "to", extra, (long long)n,
		    n == -EILSEQ ? " (read-back differs)" : "");
		if (n == -EILSEQ)
			say("BITLK-COPY %s first difference at byte %llu", disk, (unsigned long long)bad);
		io = n < 0 ? (int)n : 0;
	} else {
		io = io_mapping(mapped, !strcmp(mode, "write"), disk);
	}
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
