// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PID 1 and the hardware: the drivers the devices ask for (coldplug.c),
 * the wait for disks to settle, and which disks hold an NTFS or BitLocker
 * volume (the ones the engine is given).
 */
#include "boot/pid1.h"

#include "boot/console.h"
#include "boot/efivar.h"

#include <blkid.h>
#include <dirent.h>
#include <glob.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>

/* Loaded drivers are collected into one line per round (flush_drivers). */
static char drivers_line[512];
static size_t drivers_len;

static void flush_drivers(void)
{
	if (drivers_len)
		lg_con_printf("    drivers:%s", drivers_line);
	drivers_len = 0;
	drivers_line[0] = 0;
}

static void mod_cb(const char *module, int result, void *ud)
{
	struct init_state *s = ud;
	if (result == 0) {
		s->modules_loaded++;
		if (drivers_len + strlen(module) + 2 >= sizeof(drivers_line) - 1)
			flush_drivers();
		drivers_len += (size_t)snprintf(drivers_line + drivers_len, sizeof(drivers_line) - drivers_len, " %s",
						module);
	} else if (result != -ENOENT && result != -ENODEV) {
		flush_drivers();
		lg_con_printf("    driver %s failed: %s", module, strerror(-result));
	}
}

static void mount_efivarfs(void)
{
	if (access("/sys/firmware/efi", F_OK) < 0) {
		lg_con_printf("lastgood: not started by UEFI firmware: BootNext cannot be set");
		return;
	}
	if (mount("efivarfs", LG_EFIVARFS, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		lg_con_printf("lastgood: cannot mount efivarfs: %s (BootNext cannot be set)", strerror(errno));
}

/* The kernel's uevents (no udev here): a device that appears wakes the
 * disk wait at once, instead of at its next quarter-second round. Only
 * the wake-up is used; what changed is read from sysfs as before. */
static int uevent_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -1;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Up to ms milliseconds, less when a uevent comes: then the burst it
 * belongs to (a device brings several) is let in for 20 ms and drained. */
static void uevent_wait(int fd, int ms)
{
	if (fd < 0) {
		usleep((useconds_t)ms * 1000);
		return;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return;
	usleep(20 * 1000);
	char buf[4096];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

void pid1_load_drivers(struct init_state *s)
{
	pid1_phase_begin(s, PH_DRIVERS, "Loading drivers");
	s->uevent_fd = uevent_open();
	struct lg_err err = { "" };
	int r = lg_modload_new(NULL, &s->mods, &err);
	if (r < 0) {
		lg_con_printf("lastgood: %s: only built-in drivers are available", err.msg);
	} else {
		r = lg_modload_file(s->mods, "/etc/lastgood/modules.load", mod_cb, s);
		if (r < 0 && r != -ENOENT)
			lg_con_printf("lastgood: cannot read /etc/lastgood/modules.load: %s", strerror(-r));
		flush_drivers();
		/* Controllers first; the disks behind them (USB) show up with
		 * their own modaliases a moment later, handled while waiting. */
		lg_coldplug(s->mods, "/sys/devices", mod_cb, s);
		flush_drivers();
	}
	mount_efivarfs();
	lg_con_printf("    %u drivers loaded", s->modules_loaded);
	pid1_phase_end(s, PH_DRIVERS);
}

static bool same_disks(const struct lg_disk *a, size_t na, const struct lg_disk *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) || a[i].sectors != b[i].sectors)
			return false;
	return true;
}

static void print_disks(struct init_state *s, double t0)
{
	char line[1024];
	size_t o = 0;
	line[0] = 0;
	for (size_t i = 0; i < s->n_disks && o + 64 < sizeof(line); i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s (%.1f GB)", s->disks[i].name,
				      (double)s->disks[i].sectors * 512 / 1e9);
	lg_con_printf("    %4.1f s: %s", lg_con_uptime() - t0, s->n_disks ? line + 1 : "no disk yet");
}

/* Wait until the set of disks has not changed for two seconds (a tenth
 * to half a second once the boot medium the stub named is there with
 * another disk) and that medium is there, at most opts.wait_s seconds. */
/* Whether the only disk is the boot medium the stub named, on removable
 * media (a USB stick): then nothing to repair has shown up yet. */
static bool only_removable_medium(const struct init_state *s, bool medium_known)
{
	if (!medium_known || s->n_disks != 1)
		return false;
	const char *dev = s->medium_dev, *name = s->disks[0].name;
	if (strncmp(dev, "/dev/", 5) || strncmp(dev + 5, name, strlen(name)))
		return false;
	char path[LG_DISK_NAME_MAX + 32], *text = NULL;
	snprintf(path, sizeof(path), "/sys/block/%.*s/removable", (int)(sizeof(path) - 32), name);
	bool removable = lg_read_file(path, 16, &text, NULL) == 0 && text[0] == '1';
	free(text);
	return removable;
}

/* Whether a USB storage interface is bound (usb-storage or uas) with no
 * disk behind it yet: usb-storage waits a second after a device shows up
 * before it scans it, so a disk is on its way. */
static bool usb_disk_pending(void)
{
	static const char *const drivers[] = { "/sys/bus/usb/drivers/usb-storage", "/sys/bus/usb/drivers/uas" };
	bool pending = false;
	for (size_t i = 0; i < ARRAY_SIZE(drivers) && !pending; i++) {
		DIR *d = opendir(drivers[i]);
		if (!d)
			continue;
		struct dirent *e;
		while (!pending && (e = readdir(d))) {
			if (!strchr(e->d_name, ':'))	/* interfaces: 1-1:1.0 */
				continue;
			char pat[PATH_MAX];
			glob_t g;
			snprintf(pat, sizeof(pat), "%s/%s/host*/target*/*/block/*", drivers[i], e->d_name);
			pending = glob(pat, GLOB_NOSORT, NULL, &g) != 0;
			globfree(&g);
		}
		closedir(d);
	}
	return pending;
}

void pid1_wait_for_disks(struct init_state *s)
{
	pid1_phase_begin(s, PH_DISKS, "Looking for disks");
	char partuuid[64] = "";
	if (lg_efivar_read_string(LG_EFIVARFS, "LoaderDevicePartUUID", LG_EFI_LOADER_GUID, partuuid,
				  sizeof(partuuid)) == 0)
		lg_con_printf("    boot medium: partition %s", partuuid);

	double t0 = lg_con_uptime(), changed = t0, last_print = t0;
	struct lg_disk prev[MAX_DISKS];
	size_t n_prev = 0;
	bool medium_seen = !partuuid[0], waiting_said = false;
	for (;;) {
		if (s->mods) {
			lg_coldplug(s->mods, "/sys/devices", mod_cb, s);
			flush_drivers();
		}
		lg_coldplug_disks_list("/sys/block", s->disks, MAX_DISKS, &s->n_disks);
		double now = lg_con_uptime();
		if (!same_disks(prev, n_prev, s->disks, s->n_disks)) {
			memcpy(prev, s->disks, sizeof(prev[0]) * s->n_disks);
			n_prev = s->n_disks;
			changed = now;
			print_disks(s, t0);
			last_print = now;
		}
		if (!medium_seen && pid1_find_medium(s, partuuid))
			medium_seen = true;
		/* Two quiet seconds, or once the medium the stub named has
		 * shown up beside another disk, half a second while a USB disk
		 * is still on its way, a tenth otherwise: the medium is on the
		 * slowest bus (USB: the kernel waits a second before it scans
		 * a stick), internal disks come first. */
		double settle = 2.0;
		if (partuuid[0] && medium_seen && s->n_disks > 1)
			settle = usb_disk_pending() ? 0.5 : 0.1;
		bool enough = s->n_disks > 0 && medium_seen && now - changed >= settle;
		/* Only the boot stick so far: a USB disk or dock with the PC's
		 * Windows may still be coming, keep waiting (up to wait_s). */
		if (enough && only_removable_medium(s, partuuid[0] && medium_seen)) {
			if (!waiting_said)
				lg_con_printf("    %4.1f s: only the boot medium so far: waiting for another disk "
					      "(at most %d s, lastgood.wait=N)", now - t0, s->opts.wait_s);
			waiting_said = true;
			enough = false;
		}
		if (enough || now - t0 >= s->opts.wait_s)
			break;
		if (now - last_print >= 1.9) {
			lg_con_printf("    %4.1f s: waiting for disks to settle (at most %d s, lastgood.wait=N)",
				      now - t0, s->opts.wait_s);
			last_print = now;
		}
		/* a quarter second at most; less when the quiet time ends sooner */
		double left = settle - (now - changed);
		int ms = s->n_disks > 0 && medium_seen && left > 0 && left < 0.25 ? (int)(left * 1000) + 1 : 250;
		uevent_wait(s->uevent_fd, ms);
	}
	if (s->uevent_fd >= 0)
		close(s->uevent_fd);
	s->uevent_fd = -1;
	if (partuuid[0] && !medium_seen)
		lg_con_printf("    the boot medium (partition %s) did not show up", partuuid);

	pid1_mount_medium(s);
	pid1_phase_end(s, PH_DISKS);
}

struct vol_count {
	size_t windows;
	size_t bitlocker;
	char line[512];
	size_t o;
};

static void count_windows(const char *name, void *ud)
{
	struct vol_count *c = ud;
	char dev[64], type[32], uuid[64];
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (pid1_probe_dev(dev, type, sizeof(type), uuid, sizeof(uuid)) < 0)
		return;
	if (strcmp(type, "ntfs") && strcmp(type, "BitLocker"))
		return;
	c->windows++;
	if (!strcmp(type, "BitLocker"))
		c->bitlocker++;
	if (c->o + 48 < sizeof(c->line))
		c->o += (size_t)snprintf(c->line + c->o, sizeof(c->line) - c->o, " %s (%s)", name, type);
}

/* Only disks with an NTFS or BitLocker volume go to the engine. The boot
 * medium's disk is one of them only when lastgood was started from the
 * Windows disk's own ESP: then the medium is unmounted while the engine
 * works on that disk. */
void pid1_count_windows(struct init_state *s)
{
	struct vol_count vc = { 0 };
	for (size_t i = 0; i < s->n_disks; i++) {
		size_t before = vc.windows;
		pid1_for_each_part(s->disks[i].name, count_windows, &vc);
		s->has_windows[i] = vc.windows > before;
	}
	s->n_windows = vc.windows;
	lg_con_printf("    NTFS and BitLocker volumes: %s", vc.windows ? vc.line + 1 : "none");
	/* dm-crypt and the kernel crypto API libcryptsetup uses: only when
	 * there is a BitLocker volume to open, or a person at the shell who
	 * may (media/modules.list: "bitlocker"; 0.3-0.5 s of a boot). */
	if (s->mods && (vc.bitlocker || s->opts.mode == LG_MODE_SHELL)) {
		unsigned before = s->modules_loaded;
		int r = lg_modload_file(s->mods, "/etc/lastgood/modules.bitlocker", mod_cb, s);
		if (r < 0 && r != -ENOENT)
			lg_con_printf("lastgood: cannot read /etc/lastgood/modules.bitlocker: %s", strerror(-r));
		flush_drivers();
		if (s->modules_loaded > before)
			lg_con_printf("    %u BitLocker drivers loaded", s->modules_loaded - before);
	}
}
