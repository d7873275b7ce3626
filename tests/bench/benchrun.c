// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * benchrun: run one command and measure it, for tests/bench/.
 *
 *   benchrun [-t SECONDS] [-l LOG [-k TEXT]] [-o FILE] -- COMMAND [ARG]...
 *
 * Prints one line on stdout (or appends it to FILE with -o):
 *   wall=S maxrss_kb=N user=S sys=S status=N
 * wall: from fork to the exit of the last process of the command's tree;
 * maxrss_kb: the largest resident set of any process of that tree;
 * status: the command's exit code, 128+signal, 124 when -t expired or 125
 * when -k saw its text (the command's process group is then killed).
 *
 * Why not /usr/bin/time -v: a FUSE mount (the ntfs-3g baseline) forks a
 * daemon that leaves the command's process tree, so time(1) never sees its
 * memory, and its wall time stops before the daemon has finished. Here we
 * are a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned descendants
 * are re-parented to us, we reap them, and their rusage (ru_maxrss is the
 * maximum over every reaped descendant) is in RUSAGE_CHILDREN.
 *
 * -l LOG: the command's stdout and stderr go through a pipe to LOG, each
 * line prefixed with the seconds since the start ("12.345\t"): QEMU's
 * serial console on stdio, timed on the host side. -k TEXT: a line holding
 * TEXT ends the command at once (its process group is killed; status 125):
 * a firmware that crashed says so and then hangs until the timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child_pgid;
static volatile sig_atomic_t killed_on_text;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (child_pgid > 0)
		kill(-child_pgid, SIGKILL);
}

static int usage(void)
{
	fprintf(stderr, "usage: benchrun [-t SECONDS] [-l LOG [-k TEXT]] [-o FILE] -- COMMAND [ARG]...\n");
	return 2;
}

/* Copy the pipe to the log, one time-stamped line at a time. */
static void pump(int fd, FILE *log, double t0, const char *kill_text)
{
	char buf[65536];
	char line[8192];
	size_t ll = 0;
	bool start = true;
	double stamp = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (start) {
				stamp = now() - t0;
				start = false;
			}
			if (ll < sizeof(line) - 1)
				line[ll++] = buf[i];
			if (buf[i] == '\n') {
				fprintf(log, "%.3f\t%.*s", stamp, (int)ll, line);
				if (kill_text && !killed_on_text && memmem(line, ll, kill_text, strlen(kill_text))) {
					killed_on_text = 1;
					kill(-child_pgid, SIGKILL);
				}
				ll = 0;
				start = true;
			}
		}
		fflush(log);
	}
	if (ll)
		fprintf(log, "%.3f\t%.*s\n", stamp, (int)ll, line);
	fflush(log);
}

int main(int argc, char **argv)
{
	unsigned timeout = 0;
	const char *logpath = NULL, *outpath = NULL, *kill_text = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+t:l:o:k:")) != -1) {
		switch (opt) {
		case 't':
			timeout = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			logpath = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'k':
			kill_text = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("benchrun: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	FILE *log = NULL;
	int pfd[2] = { -1, -1 };
	if (logpath) {
		log = fopen(logpath, "w");
		if (!log || pipe2(pfd, O_CLOEXEC) < 0) {
			perror(logpath);
			return 1;
		}
	}
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("benchrun: fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (logpath) {
			dup2(pfd[1], STDOUT_FILENO);
			dup2(pfd[1], STDERR_FILENO);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "benchrun: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	child_pgid = pid;
	if (timeout) {
		struct sigaction sa = { .sa_handler = on_alarm };
		sigaction(SIGALRM, &sa, NULL);
		alarm(timeout);
	}
	if (logpath) {
		close(pfd[1]);
		pump(pfd[0], log, t0, kill_text);
		close(pfd[0]);
		fclose(log);
	}
	int status = -1;
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (w == pid)
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	double wall = now() - t0;
	alarm(0);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	if (timed_out)
		status = 124;
	else if (killed_on_text)
		status = 125;
	FILE *res = stdout;
	if (outpath) {
		res = fopen(outpath, "a");
		if (!res) {
			perror(outpath);
			return 1;
		}
	}
	fprintf(res, "wall=%.6f maxrss_kb=%ld user=%.3f sys=%.3f status=%d\n", wall, ru.ru_maxrss,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, status);
	if (res != stdout && fclose(res) != 0) {
		perror(outpath);
		return 1;
	}
	return 0;
}
