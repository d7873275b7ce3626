// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Console output mirrored to every kernel console (see console.h).
 */
#include "boot/console.h"

#include "lib/escape.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <time.h>

#define LG_CON_MAX 8

static int con_fd[LG_CON_MAX];
static int n_con;
static int log_fd = -1;

double lg_con_uptime(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* a console that went away is not worth stopping for */
		buf += w;
		len -= (size_t)w;
	}
}

/* A terminal wants "\r\n"; termios' ONLCR does that on a tty, but the
 * serial console may be set raw, so add the '\r' ourselves. */
static void write_con(int fd, const char *buf, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		write_all(fd, buf + start, i - start);
		write_all(fd, "\r\n", 2);
		start = i + 1;
	}
	write_all(fd, buf + start, len - start);
}

void lg_con_write(const char *raw, size_t rlen)
{
	/* Lines come from the engine and from names on the volume: no
	 * control character but the line ends reaches a console or the log. */
	size_t cap = rlen * 6 + 1;
	char stack[4096], *heap = cap > sizeof(stack) ? malloc(cap) : NULL;
	char *buf = heap ? heap : stack;
	size_t len = lg_escape_term(raw, rlen, buf, heap ? cap : sizeof(stack), true);
	if (n_con == 0)
		write_all(STDERR_FILENO, buf, len);
	for (int i = 0; i < n_con; i++)
		write_con(con_fd[i], buf, len);
	if (log_fd >= 0)
		write_all(log_fd, buf, len);
	free(heap);
}

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	int n = 0;
	if (prefix)
		n = snprintf(line, sizeof(line), "%s", prefix);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	lg_con_write(line, len);
}

void lg_con_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(NULL, fmt, ap);
	va_end(ap);
}

double lg_con_step(const char *fmt, ...)
{
	double t = lg_con_uptime();
	char prefix[48];
	snprintf(prefix, sizeof(prefix), "[%9.3f] lastgood: ==> ", t);
	va_list ap;
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
	return t;
}

void lg_con_set_log(const char *path)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

static void add_console(const char *dev)
{
	if (n_con >= LG_CON_MAX)
		return;
	int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	con_fd[n_con++] = fd;
}

int lg_con_open(const char *consoles_path)
{
	/* Standard streams on /dev/console: the kernel gives PID 1 none when
	 * the initramfs has no /dev/console node, as ours (devtmpfs has it). */
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}

	_cleanup_fclose_ FILE *f = consoles_path ? fopen(consoles_path, "re") : NULL;
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		char name[64], dev[80];
		if (sscanf(line, "%63s", name) != 1 || strchr(name, '/'))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", name);
		add_console(dev);
	}
	if (n_con == 0)
		add_console("/dev/console");
	return n_con;
}

static void set_raw(bool raw, struct termios *saved, bool *have)
{
	for (int i = 0; i < n_con; i++) {
		if (raw) {
			have[i] = tcgetattr(con_fd[i], &saved[i]) == 0;
			if (!have[i])
				continue;
			struct termios t = saved[i];
			t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
			t.c_cc[VMIN] = 1;
			t.c_cc[VTIME] = 0;
			tcsetattr(con_fd[i], TCSANOW, &t);
			tcflush(con_fd[i], TCIFLUSH);
		} else if (have[i]) {
			tcsetattr(con_fd[i], TCSANOW, &saved[i]);
		}
	}
}

int lg_con_countdown(int seconds, const char *what)
{
	struct termios saved[LG_CON_MAX];
	bool have[LG_CON_MAX] = { false };
	struct pollfd pfd[LG_CON_MAX];
	int pressed = 0;

	set_raw(true, saved, have);
	for (int i = 0; i < n_con; i++)
		pfd[i] = (struct pollfd){ .fd = con_fd[i], .events = POLLIN };
	for (int left = seconds; left > 0 && !pressed; left--) {
		lg_con_printf("%s in %d s. Press any key to keep this screen.", what, left);
		int r = n_con ? poll(pfd, (nfds_t)n_con, 1000) : (sleep(1), 0);
		for (int i = 0; r > 0 && i < n_con; i++) {
			if (pfd[i].revents & POLLIN) {
				char c;
				if (read(con_fd[i], &c, 1) == 1)
					pressed = 1;
			}
		}
	}
	set_raw(false, saved, have);
	return pressed;
}

int lg_con_read_key_line(void)
{
	struct pollfd pfd[LG_CON_MAX];
	for (int i = 0; i < n_con; i++)
		pfd[i] = (struct pollfd){ .fd = con_fd[i], .events = POLLIN };
	if (n_con == 0)
		return -1;
	for (;;) {
		if (poll(pfd, (nfds_t)n_con, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n_con; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			char buf[128];
			ssize_t n = read(con_fd[i], buf, sizeof(buf));
			if (n > 0)
				return (unsigned char)buf[0];
		}
	}
}
