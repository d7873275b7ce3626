// SPDX-License-Identifier: GPL-2.0-or-later
#include "storage/dirty.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

/* Run argv, capture up to cap bytes of its stdout+stderr. Returns the exit
 * status (0..255), or -errno when it could not run. */
static int run_capture(char *const argv[], char *out, size_t cap)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -e;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	for (;;) {
		char buf[4096];
		ssize_t r = read(pfd[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t take = (size_t)r < cap - 1 - n ? (size_t)r : cap - 1 - n;
		memcpy(out + n, buf, take);
		n += take;
	}
	out[n] = 0;
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 127 ? -ENOENT : WEXITSTATUS(st);
	return -EINTR;
}

/* The partition node of a block device whose partition starts at offset. */
static int partition_node(const char *disk, uint64_t offset, char *out, size_t len)
{
	struct stat st;
	if (stat(disk, &st) < 0 || !S_ISBLK(st.st_mode))
		return -ENODEV;
	char sys[128];
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	DIR *d = opendir(sys);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = -ENOENT;
	while ((de = readdir(d))) {
		char p[512], *buf = NULL;
		snprintf(p, sizeof(p), "%s/%s/start", sys, de->d_name);
		if (lg_read_file(p, 64, &buf, NULL) < 0)
			continue;
		unsigned long long start = strtoull(buf, NULL, 10);
		free(buf);
		if (start * 512 == offset) {
			r = (size_t)snprintf(out, len, "/dev/%.200s", de->d_name) < len ? 0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return r;
}

int lg_dirty_replay(const char *target, uint64_t offset, uint64_t size, json_t **report,
		    struct lg_err *err)
{
	*report = NULL;
	char dev[256], loopdev[64] = "", out[8192];
	struct stat st;
	if (stat(target, &st) < 0) {
		lg_err_set(err, "%s: %s", target, strerror(errno));
		return -errno;
	}
	int r;
	if (offset == 0 && (S_ISBLK(st.st_mode) || (uint64_t)st.st_size == size)) {
		snprintf(dev, sizeof(dev), "%s", target);
	} else if (S_ISBLK(st.st_mode) && partition_node(target, offset, dev, sizeof(dev)) == 0) {
		/* the kernel's own partition node */
	} else {
		char off[32], sz[32];
		snprintf(off, sizeof(off), "%llu", (unsigned long long)offset);
		snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
		char *argv[] = { "losetup", "--find", "--show", "--offset", off, "--sizelimit", sz,
				 (char *)target, NULL };
		r = run_capture(argv, out, sizeof(out));
		if (r != 0 || strncmp(out, "/dev/", 5)) {
			out[strcspn(out, "\n")] = 0;
			lg_err_set(err, "the volume is dirty (Windows did not shut down cleanly) and its log must be "
				   "replayed with ntfsrecover, which needs a device; no loop device could be set up "
				   "for the partition at offset %s of %s (%s). Run as root on a host with loop devices, "
				   "or replay it on a partition device yourself, or use --refuse-dirty", off, target,
				   r < 0 ? strerror(-r) : out);
			return -ENODEV;
		}
		out[strcspn(out, "\n")] = 0;
		snprintf(loopdev, sizeof(loopdev), "%.60s", out);
		snprintf(dev, sizeof(dev), "%s", loopdev);
	}
	char *argv[] = { "ntfsrecover", dev, NULL };
	r = run_capture(argv, out, sizeof(out));
	*report = json_pack("{s:s, s:s, s:i}", "command", "ntfsrecover", "device",
			    loopdev[0] ? "loop device" : dev, "exit_status", r);
	json_object_set_new(*report, "output", json_string(out));
	if (loopdev[0]) {
		char tmp[256];
		char *dargv[] = { "losetup", "--detach", loopdev, NULL };
		run_capture(dargv, tmp, sizeof(tmp));
	}
	/* An empty ("wiped out") log holds no transaction: nothing to replay.
	 * mkntfs and ntfs-3g leave logs in that state; Windows never does. */
	if (r == 1 && strstr(out, "has been wiped out")) {
		json_object_set_new(*report, "result", json_string("log empty: nothing to replay"));
		return 0;
	}
	json_object_set_new(*report, "result", json_string(r == 0 ? "replayed" : "failed"));
	if (r != 0) {
		out[strcspn(out, "\n")] = 0;
		lg_err_set(err, "replaying the volume's log with ntfsrecover failed (%s): %s; nothing was changed. "
			   "Let Windows check the disk, or use --refuse-dirty",
			   r < 0 ? strerror(-r) : "non-zero exit", out);
		return r < 0 ? r : -EIO;
	}
	return 0;
}
