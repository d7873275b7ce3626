// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The BitLocker recovery key typed at the console (term/keyprompt.h):
 * raw-mode digit entry on every console at once, each 6-digit group
 * checked as soon as it is complete. The unlock code never reads a
 * terminal itself: the front ends hand it lg_keyprompt_asker.
 */
#include "term/keyprompt.h"
#include "formats/keys.h"
#include "storage/bitlocker.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <strings.h>
#include <termios.h>
#include <time.h>

/* ---- typed at the console ------------------------------------------------- */

int lg_keyprompt_consoles_open(const char *consoles_path, int *fds, size_t max)
{
	FILE *f = fopen(consoles_path, "re");
	if (!f)
		return 0;
	char line[256];
	size_t n = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char name[64], dev[80];
		if (sscanf(line, "%63s", name) != 1 || strchr(name, '/') || name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", name);
		int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		/* blocking writes: the prompt's text must not be dropped */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		fds[n++] = fd;
	}
	fclose(f);
	return (int)n;
}

struct prompt_io {
	const int *fds;
	size_t n;
	bool alive[8];
	struct termios saved[8];
	bool have[8];
};

static void pw_out(struct prompt_io *io, const char *s)
{
	for (size_t i = 0; i < io->n; i++) {
		if (!io->alive[i])
			continue;
		/* "\n" as "\r\n": the terminal is in raw mode */
		const char *p = s;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			if (l && write(io->fds[i], p, l) < 0) {
				io->alive[i] = false;
				break;
			}
			if (!nl)
				break;
			if (write(io->fds[i], "\r\n", 2) < 0) {
				io->alive[i] = false;
				break;
			}
			p = nl + 1;
		}
	}
}

__attribute__((format(printf, 2, 3)))
static void pw_printf(struct prompt_io *io, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pw_out(io, buf);
}

static void pw_raw(struct prompt_io *io, bool raw)
{
	for (size_t i = 0; i < io->n; i++) {
		if (raw) {
			io->have[i] = tcgetattr(io->fds[i], &io->saved[i]) == 0;
			if (!io->have[i])
				continue;
			struct termios t = io->saved[i];
			/* no echo (we echo, group by group), no line editing,
			 * Ctrl-C as a byte rather than a signal */
			t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
			t.c_iflag &= ~(tcflag_t)(IXON | INLCR | IGNCR);
			t.c_oflag &= ~(tcflag_t)OPOST; /* we write "\r\n" ourselves */
			t.c_cc[VMIN] = 1;
			t.c_cc[VTIME] = 0;
			tcsetattr(io->fds[i], TCSANOW, &t);
		} else if (io->have[i]) {
			tcsetattr(io->fds[i], TCSANOW, &io->saved[i]);
		}
	}
}

static void pw_flush_input(struct prompt_io *io)
{
	for (size_t i = 0; i < io->n; i++)
		if (io->have[i])
			tcflush(io->fds[i], TCIFLUSH);
}

/* Next byte from any console: 1 with *c, 0 at idle timeout, -EIO when
 * every console is gone. */
static int pw_getc(struct prompt_io *io, int idle_s, char *c)
{
	for (;;) {
		struct pollfd pfd[8];
		size_t map[8], np = 0;
		for (size_t i = 0; i < io->n; i++)
			if (io->alive[i]) {
				pfd[np] = (struct pollfd){ .fd = io->fds[i], .events = POLLIN };
				map[np++] = i;
			}
		if (!np)
			return -EIO;
		int r = poll(pfd, (nfds_t)np, idle_s > 0 ? idle_s * 1000 : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0;
		for (size_t j = 0; j < np; j++) {
			if (!pfd[j].revents)
				continue;
			ssize_t n = read(pfd[j].fd, c, 1);
			if (n == 1)
				return 1;
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				io->alive[map[j]] = false;
		}
	}
}

/* The prompt line, with the groups accepted so far masked. */
static void pw_prompt(struct prompt_io *io, int attempt, int attempts, size_t n)
{
	char line[160];
	int o = snprintf(line, sizeof(line), "Recovery key (attempt %d of %d): ", attempt, attempts);
	for (size_t i = 0; i < n && o + 2 < (int)sizeof(line); i++) {
		line[o++] = '*';
		if ((i + 1) % 6 == 0 && i + 1 < LG_RP_DIGITS)
			line[o++] = '-';
	}
	line[o] = 0;
	pw_out(io, line);
}

static void upper_id(const char *id, char *out)
{
	size_t i = 0;
	for (; id[i] && i < 36; i++)
		out[i] = (char)toupper((unsigned char)id[i]);
	out[i] = 0;
}

int lg_keyprompt_ask(const struct lg_key_prompt *p, lg_key_try_fn try_fn, void *ctx, struct lg_err *err)
{
	struct prompt_io io = { .fds = p->fds, .n = p->n_fds > 8 ? 8 : p->n_fds };
	for (size_t i = 0; i < io.n; i++)
		io.alive[i] = true;
	int attempts = p->attempts > 0 ? p->attempts : 3;
	char digits[LG_RP_DIGITS];
	char pw[LG_RP_LEN + 1];
	int r = -EACCES;

	pw_raw(&io, true);
	pw_out(&io, "\n");
	pw_printf(&io, "BitLocker recovery: %s is locked.\n", p->volume ? p->volume : "a volume");
	if (p->volume_guid)
		pw_printf(&io, "  Volume GUID: %s\n", p->volume_guid);
	for (size_t i = 0; i < p->n_key_ids; i++) {
		unsigned char g[16];
		char kid[9], full[37];
		if (lg_guid_parse(p->key_ids[i], strlen(p->key_ids[i]), g) < 0)
			continue;
		lg_guid_recovery_key_id(g, kid);
		upper_id(p->key_ids[i], full);
		pw_printf(&io, "  Recovery key ID: %s   (full ID %s)\n", kid, full);
	}
	pw_out(&io, "  Find the recovery key with this ID (Active Directory, Entra ID, Intune, a printout)\n"
		    "  and type its 48 digits; dashes are optional. Backspace corrects, Ctrl-C skips.\n");

	for (int attempt = 1; attempt <= attempts; attempt++) {
		size_t n = 0;
		int esc = 0;
		bool submit = false;
		pw_prompt(&io, attempt, attempts, 0);
		while (!submit) {
			char c;
			int g = pw_getc(&io, p->idle_s, &c);
			if (g <= 0) {
				r = g == 0 ? -ETIMEDOUT : g;
				if (g == 0)
					lg_err_set(err, "nobody typed a recovery key for %d s", p->idle_s);
				else
					lg_err_set(err, "the console went away during recovery key entry");
				goto out;
			}
			if (esc) {
				/* an escape sequence (arrow keys): swallow it */
				if (esc == 1 && c != '[' && c != 'O')
					esc = 0;
				else if (esc == 2 && c >= 0x40 && c <= 0x7e)
					esc = 0;
				else
					esc = 2;
				continue;
			}
			if (c >= '0' && c <= '9') {
				if (n == LG_RP_DIGITS)
					continue;
				digits[n++] = c;
				pw_out(&io, (char[]){ c, 0 });
				if (n % 6)
					continue;
				int gr = lg_rp_group_check(digits + n - 6, NULL);
				if (gr < 0) {
					pw_printf(&io, "\n  Group %zu %s: type group %zu again.\n", n / 6,
						  lg_rp_group_error(gr), n / 6);
					n -= 6;
					pw_prompt(&io, attempt, attempts, n);
					continue;
				}
				/* mask the group now that it is checked */
				pw_out(&io, "\b\b\b\b\b\b******");
				if (n == LG_RP_DIGITS)
					submit = true;
				else
					pw_out(&io, "-");
			} else if (c == 0x7f || c == '\b') {
				if (!n)
					continue;
				if (n % 6 == 0)
					pw_out(&io, "\b \b"); /* the dash after a full group */
				n--;
				pw_out(&io, "\b \b");
			} else if (c == 0x15) { /* Ctrl-U */
				n = 0;
				pw_out(&io, "\n");
				pw_prompt(&io, attempt, attempts, 0);
			} else if (c == 0x03 || c == 0x04) { /* Ctrl-C, Ctrl-D */
				pw_out(&io, "\n  Skipped: the volume stays locked.\n");
				lg_err_set(err, "recovery key entry skipped at the console");
				r = -ECANCELED;
				goto out;
			} else if (c == '\r' || c == '\n') {
				if (!n)
					continue;
				pw_printf(&io, "\n  %zu of %d digits so far: keep typing.\n", n, LG_RP_DIGITS);
				pw_prompt(&io, attempt, attempts, n);
			} else if (c == 0x1b) {
				esc = 1;
			} else if (c == '-' || c == ' ') {
				/* dashes come by themselves */
			} else {
				pw_out(&io, "\a");
			}
		}
		struct lg_err nerr = { "" };
		if (lg_rp_normalize(digits, n, pw, &nerr) < 0) {
			/* cannot happen: every group was checked */
			pw_printf(&io, "\n  %s\n", nerr.msg);
			continue;
		}
		pw_out(&io, "\n  Checking the recovery key ...\n");
		int t = try_fn(ctx, pw);
		lg_wipe(pw, sizeof(pw));
		lg_wipe(digits, sizeof(digits));
		pw_flush_input(&io);
		if (t == 0) {
			pw_out(&io, "  The volume is unlocked.\n");
			r = 0;
			goto out;
		}
		if (t != -EPERM) {
			pw_printf(&io, "  Checking the key failed: %s\n", strerror(-t));
			lg_err_set(err, "checking the typed recovery key failed: %s", strerror(-t));
			r = t;
			goto out;
		}
		pw_printf(&io, "  That recovery key does not unlock this volume%s\n",
			  attempt < attempts ? ": check the recovery key ID and try again." : ".");
	}
	lg_err_set(err, "%d recovery keys were typed at the console, none unlocks it", attempts);
	r = -EACCES;
out:
	pw_raw(&io, false);
	lg_wipe(digits, sizeof(digits));
	lg_wipe(pw, sizeof(pw));
	return r;
}

static int console_ask(void *ctx, const struct lg_key_request *req, lg_key_try_fn try_fn, void *try_ctx,
		       struct lg_err *err)
{
	struct lg_keyprompt_asker *c = ctx;
	int fds[8];
	int nfds = 0;
	bool own = !c->fds;
	if (own)
		nfds = lg_keyprompt_consoles_open("/proc/consoles", fds, ARRAY_SIZE(fds));
	struct lg_key_prompt kp = {
		.fds = own ? fds : c->fds,
		.n_fds = own ? (size_t)nfds : c->n_fds,
		.volume = req->volume,
		.volume_guid = req->volume_guid,
		.key_ids = req->key_ids,
		.n_key_ids = req->n_key_ids,
		.idle_s = c->idle_s,
	};
	int r;
	if (!kp.n_fds) {
		lg_err_set(err, "no console to ask for a recovery key");
		r = -EIO;
	} else {
		if (c->state)
			c->state(true, c->state_ctx);
		r = lg_keyprompt_ask(&kp, try_fn, try_ctx, err);
		if (c->state)
			c->state(false, c->state_ctx);
	}
	for (int i = 0; own && i < nfds; i++)
		close(fds[i]);
	return r;
}

struct lg_key_asker lg_keyprompt_asker(struct lg_keyprompt_asker *c)
{
	return (struct lg_key_asker){ .ask = console_ask, .ctx = c };
}
