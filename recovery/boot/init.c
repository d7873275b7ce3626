// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood-init: PID 1 of the recovery image. Mount the kernel file
 * systems, load the drivers the hardware asks for, wait for the disks,
 * pick the newest valid deny-list, run the engine (in a child, so that a
 * crash there cannot take PID 1 and the machine down with it), say in
 * plain words what happened, make Windows the next boot, then reboot or
 * power off. It never returns: PID 1 exiting panics the kernel.
 *
 * Every phase prints a timestamped line (console.h); nothing waits more
 * than two seconds without saying so. The steps live in their own files
 * (boot/pid1.h); this one holds their order, the start and the end.
 */
#include "boot/pid1.h"

#include "boot/console.h"
#include "boot/efivar.h"
#include "engine/paths.h"
#include "formats/denylist.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static void do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
		lg_con_printf("lastgood: cannot mount %s on %s: %s", type, dst, strerror(errno));
}

static void mount_basics(void)
{
	/* /dev and /proc first: the consoles are found there. */
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	lg_con_open("/proc/consoles");
	do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mkdir(RUN_DIR, 0755);
	mkdir(REPORT_DIR, 0755);
}

static void set_next_boot(char *where, size_t wcap)
{
	struct lg_err err = { "" };
	struct lg_load_option opt;
	uint16_t num;
	if (access(LG_EFIVARFS "/BootOrder-" LG_EFI_GLOBAL_GUID, F_OK) < 0 && access(LG_EFIVARFS, F_OK) < 0) {
		snprintf(where, wcap, "firmware default (UEFI variables not available)");
		return;
	}
	int r = lg_efi_find_windows(LG_EFIVARFS, &num, &opt, &err);
	if (r < 0) {
		snprintf(where, wcap, "firmware default (%.400s)", err.msg);
		return;
	}
	r = lg_efi_set_bootnext(LG_EFIVARFS, num, &err);
	if (r < 0)
		snprintf(where, wcap, "firmware default (%.400s)", err.msg);
	else
		snprintf(where, wcap, "Windows Boot Manager (Boot%04X \"%s\"), BootNext set", num, opt.description);
}

static void __attribute__((noreturn)) finish(struct init_state *s)
{
	bool off = s->opts.poweroff;
	if (!s->opts.poweroff && !s->opts.reboot && !s->opts.unattended) {
		if (lg_con_countdown(LG_INIT_COUNTDOWN, "Restarting")) {
			lg_con_printf("Held. Press Enter to restart, or p then Enter to power off.");
			int c = lg_con_read_key_line();
			off = c == 'p' || c == 'P';
		}
	}
	lg_con_step("%s", off ? "Powering off" : "Restarting");
	if (s->medium_mounted)
		umount2(MEDIUM_DIR, MNT_DETACH);
	sync();
	reboot(off ? RB_POWER_OFF : RB_AUTOBOOT);
	/* Only reached when reboot() failed: PID 1 must not exit. */
	lg_con_printf("lastgood: the machine did not %s (%s): switch it off by hand.", off ? "power off" : "restart",
		      strerror(errno));
	for (;;)
		pause();
}

static enum lg_outcome run_shell(void)
{
	if (access("/bin/sh", X_OK) < 0)
		return LG_OUTCOME_NO_SHELL;
	lg_con_printf("lastgood: starting /bin/sh; leave it (exit) to restart. Disks are not mounted; "
		      "the boot medium is at " MEDIUM_DIR " (read-only).");
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			ioctl(fd, TIOCSCTTY, 1);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/bin/sh", "sh", (char *)NULL);
		_exit(127);
	}
	int ws;
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return LG_OUTCOME_SHELL_DONE;
}

/* jansson seeds its hash tables from /dev/urandom when the first JSON
 * object is made. This early in a boot on a machine without a hardware
 * random source (virtual machines, older PCs), that read waits while the
 * kernel gathers jitter entropy: 0.9 s of the deny-list check under
 * QEMU. The seed only guards hash tables against crafted keys, which
 * GRND_INSECURE bytes (never waiting) do as well; the engine processes
 * forked from here inherit it. */
static void seed_json(void)
{
	uint32_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_INSECURE) != (ssize_t)sizeof(seed))
		seed = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	json_object_seed(seed ? seed : 1);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (getpid() != 1) {
		fprintf(stderr, "lastgood-init: this is the recovery image's PID 1; it only runs as process 1 "
				"(the kernel starts it as /init). The command-line tool is lastgood.\n");
		return LG_EXIT_USAGE;
	}
	static struct init_state st;
	struct init_state *s = &st;
	enum lg_outcome outcome = LG_OUTCOME_ENGINE;
	int ws = 0;

	setenv("PATH", "/usr/sbin:/usr/bin", 1);
	setenv("LANG", "C.UTF-8", 1);
	umask(022);
	seed_json();
	mount_basics();
	lg_con_set_log(CONSOLE_LOG);
	lg_con_printf("%s", "");
	s->phase_start[PH_MOUNTS] = lg_con_step("lastgood %s recovery system", LG_VERSION);
	s->demo = access(DEMO_MARKER, F_OK) == 0;
	if (s->demo)
		lg_con_printf("lastgood: DEMO KEY: this image trusts a key made when it was built; for tests only");
	lg_cmdline_read(&s->opts);
	pid1_phase_end(s, PH_MOUNTS);

	pid1_load_drivers(s);
	pid1_wait_for_disks(s);
	pid1_count_windows(s);
	if (s->opts.mode != LG_MODE_SHELL)
		pid1_net_start(s);

	/* The deny-list is checked even when there is nothing to apply it
	 * to: the console then shows which list this medium would use. The
	 * fleet server's plan is asked for either way (it learns of the PC). */
	if (s->opts.mode == LG_MODE_SHELL) {
		outcome = run_shell();
	} else {
		bool listed = pid1_pick_denylist(s);
		pid1_net_plan(s);
		if (!listed)
			outcome = s->n_windows ? LG_OUTCOME_NO_DENYLIST : LG_OUTCOME_NO_WINDOWS;
		else if (s->n_windows == 0)
			outcome = LG_OUTCOME_NO_WINDOWS;
		else
			ws = pid1_run_engine(s);
	}
	pid1_net_report(s, outcome, ws);

	pid1_phase_begin(s, PH_FINISH, "Finishing");
	char report[600] = "", next[512] = "";
	if (pid1_save_reports(s, report, sizeof(report) - 80) < 0 && outcome == LG_OUTCOME_ENGINE)
		strcat(report, "; the Windows volume keeps its copy in \\" LG_DIR "\\reports");
	if (s->opts.mode != LG_MODE_FIX)
		snprintf(next, sizeof(next), "firmware default (%s mode changes nothing, not even BootNext)",
			 s->opts.mode == LG_MODE_SCAN ? "scan" : "shell");
	else
		set_next_boot(next, sizeof(next));
	pid1_phase_end(s, PH_FINISH);

	struct lg_run_facts facts = { 0 };
	if (outcome == LG_OUTCOME_ENGINE)
		lg_run_facts_parse(s->report, s->report_len, &facts);
	struct lg_verdict v;
	lg_init_verdict(s->opts.mode, outcome, ws, &facts, &v);
	pid1_final_screen(s, &v, report, next);
	pid1_phase_summary(s);
	lg_denylist_free(s->list);
	pid1_net_end(s);
	free(s->report);
	lg_modload_free(s->mods);
	finish(s);
}
