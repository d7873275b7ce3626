// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PID 1 of the recovery image: mount the kernel file systems, load the
 * drivers the hardware asks for, wait for the disks, pick the newest valid
 * deny-list, run the engine (in a child, so that a crash there cannot take
 * PID 1 and the machine down with it), say in plain words what happened,
 * make Windows the next boot, then reboot or power off. It never returns:
 * PID 1 exiting panics the kernel.
 *
 * Every phase prints a timestamped line (console.h); nothing waits more
 * than two seconds without saying so.
 */
#include "boot/init.h"

#include "boot/coldplug.h"
#include "cli/commands.h"
#include "boot/console.h"
#include "formats/denylist.h"
#include "boot/efivar.h"
#include "engine/engine.h"
#include "engine/paths.h"
#include "term/keyprompt.h"

#include <blkid.h>
#include <jansson.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/* ---- pure parts (unit-tested) --------------------------------------------- */

void lg_init_opts_default(struct lg_init_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = LG_MODE_FIX;
	o->wait_s = LG_INIT_WAIT_DEFAULT;
}

static int parse_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* An absolute path without "." or ".." components or doubled slashes:
 * the deny-list path is used as given, never resolved. */
static bool path_ok(const char *p)
{
	if (p[0] != '/' || strstr(p, "//"))
		return false;
	for (const char *s = p; (s = strchr(s, '/')); s++) {
		if (!strcmp(s, "/.") || !strncmp(s, "/./", 3) || !strcmp(s, "/..") || !strncmp(s, "/../", 4))
			return false;
	}
	return true;
}

static int apply_option(const char *key, const char *val, struct lg_init_opts *o, struct lg_err *err)
{
	if (!strcmp(key, "mode")) {
		if (val && !strcmp(val, "fix"))
			o->mode = LG_MODE_FIX;
		else if (val && !strcmp(val, "scan"))
			o->mode = LG_MODE_SCAN;
		else if (val && !strcmp(val, "shell"))
			o->mode = LG_MODE_SHELL;
		else {
			lg_err_set(err, "lastgood.mode=%s: expected fix, scan or shell (using %s)", val ? val : "",
				   o->mode == LG_MODE_SCAN ? "scan" : o->mode == LG_MODE_SHELL ? "shell" : "fix");
			return -EINVAL;
		}
		return 0;
	}
	bool *flag = !strcmp(key, "poweroff") ? &o->poweroff
		   : !strcmp(key, "reboot") ? &o->reboot
		   : !strcmp(key, "unattended") ? &o->unattended : NULL;
	if (flag) {
		if (parse_bool(val, flag) < 0) {
			lg_err_set(err, "lastgood.%s=%s: expected 1 or 0 (ignored)", key, val);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "denylist")) {
		if (!val || strlen(val) >= sizeof(o->denylist) || !path_ok(val)) {
			lg_err_set(err, "lastgood.denylist=%s: expected an absolute path without . or .. "
				   "(under /mnt/medium for the boot medium; ignored)", val ? val : "");
			return -EINVAL;
		}
		memcpy(o->denylist, val, strlen(val) + 1);
		return 0;
	}
	if (!strcmp(key, "wait")) {
		char *end;
		errno = 0;
		long s = val ? strtol(val, &end, 10) : 0;
		if (!val || errno || end == val || *end || s < 1 || s > LG_INIT_WAIT_MAX) {
			lg_err_set(err, "lastgood.wait=%s: expected seconds from 1 to %d (using %d)", val ? val : "",
				   LG_INIT_WAIT_MAX, o->wait_s);
			return -EINVAL;
		}
		o->wait_s = (int)s;
		return 0;
	}
	lg_err_set(err, "unknown option lastgood.%s (ignored)", key);
	return -EINVAL;
}

int lg_cmdline_parse(const char *cmdline, struct lg_init_opts *o, struct lg_err *err)
{
	int ret = 0;
	const char *p = cmdline ? cmdline : "";
	char word[1024];

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		/* One word; quotes group and are dropped, as the kernel does. */
		size_t n = 0;
		bool quoted = false, too_long = false;
		for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (n + 1 < sizeof(word))
				word[n++] = *p;
			else
				too_long = true;
		}
		word[n] = 0;
		if (strncmp(word, "lastgood.", 9))
			continue;
		if (too_long) {
			lg_err_set(err, "an option starting with %.40s is too long (ignored)", word);
			ret = -EINVAL;
			continue;
		}
		char *key = word + 9, *eq = strchr(key, '=');
		if (eq)
			*eq = 0;
		if (apply_option(key, eq ? eq + 1 : NULL, o, err) < 0)
			ret = -EINVAL;
	}
	return ret;
}

int lg_init_engine_argv(enum lg_init_mode mode, const char *denylist, char *const *trust, size_t n_trust,
			const char *report_dir, char *const *keys, size_t n_keys, bool prompt, char *const *targets,
			size_t n_targets, int *argc, char ***argv)
{
	size_t cap = 1 + 2 + 2 * n_trust + 1 + 2 + 2 * n_keys + 1 + n_targets + 1, n = 0;
	char **v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[n++] = mode == LG_MODE_SCAN ? "scan" : "fix";
	v[n++] = "--denylist";
	v[n++] = (char *)denylist;
	for (size_t i = 0; i < n_trust; i++) {
		v[n++] = "--trust";
		v[n++] = trust[i];
	}
	v[n++] = "--json";
	if (report_dir) {
		v[n++] = "--report-dir";
		v[n++] = (char *)report_dir;
	}
	for (size_t i = 0; i < n_keys; i++) {
		v[n++] = "--keys";
		v[n++] = keys[i];
	}
	if (prompt)
		v[n++] = "--prompt";
	for (size_t i = 0; i < n_targets; i++)
		v[n++] = targets[i];
	v[n] = NULL;
	*argc = (int)n;
	*argv = v;
	return 0;
}

static long count_of(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? (long)json_integer_value(v) : 0;
}

void lg_run_facts_parse(const char *text, size_t len, struct lg_run_facts *f)
{
	memset(f, 0, sizeof(*f));
	json_t *root = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *sum = json_object_get(root, "summary");
	if (!json_is_object(sum)) {
		json_decref(root);
		return;
	}
	f->have = true;
	f->windows_volumes = count_of(sum, "windows_volumes");
	f->matches = count_of(sum, "matches");
	f->quarantined = count_of(sum, "quarantined");
	f->restored = count_of(sum, "restored");
	f->refused = count_of(sum, "refused");
	f->failed = count_of(sum, "failed");
	json_t *vols = json_object_get(root, "volumes"), *vol;
	size_t i;
	json_array_foreach(vols, i, vol) {
		const char *st = json_string_value(json_object_get(vol, "status"));
		if (st && !strcmp(st, "already-fixed"))
			f->already_fixed++;
		if (st && !strcmp(st, "locked")) {
			f->locked++;
			/* the IDs the helpdesk finds the recovery key by */
			size_t k;
			json_t *p;
			json_array_foreach(json_object_get(json_object_get(vol, "bitlocker"), "protectors"), k, p) {
				const char *id = json_string_value(json_object_get(p, "recovery_key_id"));
				size_t used = strlen(f->locked_ids);
				if (!id || strlen(id) != 8 || used + 11 > sizeof(f->locked_ids))
					continue;
				snprintf(f->locked_ids + used, sizeof(f->locked_ids) - used, "%s%s", used ? ", " : "", id);
			}
		}
	}
	json_decref(root);
}

static const char no_windows_text[] =
	"lastgood found no Windows installation on this computer's disks, so it changed nothing. "
	"If this computer has Windows, its disk may be behind a controller this image has no "
	"driver for (for example Intel RST/RAID mode: switching the storage mode to AHCI in the "
	"firmware setup can make it visible), or the disk is not connected.";

static const char error_next[] =
	"Nothing more will be changed now. Anything started is recorded in the journal on the "
	"Windows volume: the next run of lastgood completes it or puts it back. Start lastgood "
	"again; if this repeats, give the report on this stick to your IT team.";

#define TITLE(...) snprintf(v->title, sizeof(v->title), __VA_ARGS__)

static void verdict_fix_ok(const struct lg_run_facts *f, struct lg_verdict *v)
{
	if (f && f->have && f->quarantined + f->restored == 0 && f->already_fixed > 0) {
		TITLE("Already repaired with this deny-list: Windows should start");
		v->text = "This Windows volume was repaired by an earlier run of lastgood with this deny-list "
			  "(or a newer one); nothing was left to do and nothing was changed. If Windows still "
			  "crashes, the cause is not on this deny-list.";
		v->windows_should_start = true;
	} else if (f && f->have && f->matches == 0) {
		TITLE("Nothing on the deny-list was found: nothing was changed");
		v->text = "None of the files this deny-list names is on this computer's Windows volume. If "
			  "Windows still crashes at start, the cause is not on this deny-list: ask your IT "
			  "team for a newer one.";
	} else {
		if (f && f->have)
			TITLE("Done: %ld file%s moved to quarantine%s. Windows should now start", f->quarantined,
			      f->quarantined == 1 ? "" : "s", f->restored ? ", known-good files restored" : "");
		else
			TITLE("Done: Windows should now start");
		v->text = "Every file on the deny-list that was found is now in the quarantine folder "
			  "\\" LG_DIR "\\quarantine on the Windows volume (nothing was deleted; "
			  "'lastgood undo' puts it back).";
		v->windows_should_start = true;
	}
}

void lg_init_verdict(enum lg_init_mode mode, enum lg_outcome outcome, int ws, const struct lg_run_facts *f,
		     struct lg_verdict *v)
{
	v->windows_should_start = false;
	v->title[0] = 0;
	switch (outcome) {
	case LG_OUTCOME_NO_WINDOWS:
		TITLE("No Windows installation found");
		v->text = no_windows_text;
		return;
	case LG_OUTCOME_NO_DENYLIST:
		TITLE("No valid deny-list: nothing was changed");
		v->text = "None of the deny-lists available (the one built into this image, one on the boot "
			  "medium or from the network) passed the signature and date checks shown above. "
			  "Ask your incident team for a current signed deny-list and copy denylist.json and "
			  "denylist.json.minisig into the \\lastgood\\ folder of this USB stick.";
		return;
	case LG_OUTCOME_NO_SHELL:
		TITLE("No shell in this image: nothing was changed");
		v->text = "lastgood.mode=shell was asked for, but this image was built without a shell "
			  "(make image SHELL_BIN=/path/to/static/busybox adds one). Boot without "
			  "lastgood.mode=shell to repair Windows.";
		return;
	case LG_OUTCOME_SHELL_DONE:
		TITLE("Shell closed");
		v->text = "In shell mode lastgood changes nothing by itself.";
		return;
	case LG_OUTCOME_ENGINE:
		break;
	}
	if (WIFSIGNALED(ws)) {
		TITLE("lastgood stopped with an internal error (crash)");
		v->text = error_next;
		return;
	}
	int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : LG_EXIT_ERROR;
	/* A report that saw no Windows says more than any exit code, unless
	 * the Windows volume may be the one BitLocker keeps locked. */
	if (f && f->have && f->windows_volumes == 0 && f->locked && code != LG_EXIT_DENYLIST) {
		if (f->locked_ids[0])
			TITLE("Windows is locked by BitLocker: recovery key ID %s needed", f->locked_ids);
		else
			TITLE("Windows is locked by BitLocker and no key for it was found");
		v->text = "Nothing was changed. lastgood needs the BitLocker recovery key of this computer: "
			  "find it by the recovery key ID shown (Active Directory, Entra ID, Intune, or the "
			  "printout), then either put the key file exported from there as \\lastgood\\keys.csv "
			  "on this stick, or start lastgood again without lastgood.unattended=1 and type the "
			  "48 digits when asked.";
		return;
	}
	if (f && f->have && f->windows_volumes == 0 && code != LG_EXIT_DENYLIST) {
		TITLE("No Windows installation found");
		v->text = no_windows_text;
		return;
	}
	switch (code) {
	case LG_EXIT_OK:
		if (mode == LG_MODE_SCAN) {
			TITLE("Scan finished: nothing on the deny-list was found");
			v->text = "Nothing was changed (scan mode). If Windows still crashes at start, the cause "
				  "is not on this deny-list.";
		} else {
			verdict_fix_ok(f, v);
		}
		return;
	case LG_EXIT_MATCHES:
		if (f && f->have)
			TITLE("Scan found %ld file%s on the deny-list: nothing was changed", f->matches,
			      f->matches == 1 ? "" : "s");
		else
			TITLE("Scan found files on the deny-list: nothing was changed");
		v->text = "This was a scan only (lastgood.mode=scan). To repair, start lastgood again "
			  "without lastgood.mode=scan.";
		return;
	case LG_EXIT_POLICY:
		TITLE("lastgood refused to change Windows, to keep your data safe");
		v->text = "The reason is shown above: for example Windows was hibernated or shut down with "
			  "Fast Startup, the volume is locked by BitLocker, or a registry file has unsaved "
			  "changes. Nothing was changed on that volume, so Windows will probably still "
			  "crash. Give this screen or the report to your IT team: they can unlock the "
			  "volume or allow discarding the hibernated session.";
		return;
	case LG_EXIT_DENYLIST:
		TITLE("The deny-list was rejected: nothing was changed");
		v->text = "The deny-list did not pass its checks (signature, expiry, or it is older than "
			  "one already applied to this volume), see above. Ask your incident team for a "
			  "current signed deny-list and copy denylist.json and denylist.json.minisig into "
			  "the \\lastgood\\ folder of this USB stick.";
		return;
	case LG_EXIT_USAGE:
		TITLE("lastgood could not start its repair (internal error: bad arguments)");
		v->text = error_next;
		return;
	default:
		TITLE("lastgood stopped with an error");
		v->text = error_next;
		return;
	}
}

/* ---- PID 1 ------------------------------------------------------------------ */

#define RUN_DIR "/run/lastgood"
#define REPORT_DIR RUN_DIR "/reports"
#define CONSOLE_LOG RUN_DIR "/console.log"
#define ENGINE_JSON RUN_DIR "/engine.json"
#define MEDIUM_DIR "/mnt/medium"
#define BAKED_DENYLIST "/etc/lastgood/denylist.json"
#define OVERRIDE_DENYLIST "/lastgood/override/denylist.json"
#define MEDIUM_DENYLIST MEDIUM_DIR "/lastgood/denylist.json"
#define DEMO_MARKER "/etc/lastgood/DEMO-KEY"
#define MAX_DISKS 64
#define SUMMARY_LINES 16

enum phase { PH_MOUNTS, PH_DRIVERS, PH_DISKS, PH_DENYLIST, PH_ENGINE, PH_FINISH, PH_COUNT };
static const char *const phase_names[PH_COUNT] = { "mounts", "drivers", "disks", "denylist", "engine", "finish" };

struct init_state {
	struct lg_init_opts opts;
	double phase_start[PH_COUNT], phase_end[PH_COUNT];
	bool demo;
	struct lg_modload *mods;
	unsigned modules_loaded;

	char medium_dev[64];		/* /dev/sdb1, "" when none */
	char medium_disk[LG_DISK_NAME_MAX];
	bool medium_mounted;
	char medium_fs[16];
	bool medium_detached;		/* unmounted while the engine ran on its disk */

	struct lg_disk disks[MAX_DISKS];
	size_t n_disks;
	bool has_windows[MAX_DISKS];	/* the disk has an NTFS or BitLocker volume */
	size_t n_windows;		/* NTFS + BitLocker volumes seen */

	char denylist[300];
	int64_t serial;

	/* the engine's last stderr lines, for the final screen */
	char summary[SUMMARY_LINES][256];
	size_t n_summary;
};

static void phase_begin(struct init_state *s, enum phase p, const char *what)
{
	s->phase_start[p] = lg_con_step("%s", what);
}

static void phase_end(struct init_state *s, enum phase p)
{
	s->phase_end[p] = lg_con_uptime();
}

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

static void mount_efivarfs(void)
{
	if (access("/sys/firmware/efi", F_OK) < 0) {
		lg_con_printf("lastgood: not started by UEFI firmware: BootNext cannot be set");
		return;
	}
	if (mount("efivarfs", LG_EFIVARFS, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		lg_con_printf("lastgood: cannot mount efivarfs: %s (BootNext cannot be set)", strerror(errno));
}

static void read_cmdline(struct init_state *s)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	lg_init_opts_default(&s->opts);
	if (lg_read_file("/proc/cmdline", 64 << 10, &buf, &len) < 0) {
		lg_con_printf("lastgood: cannot read /proc/cmdline: using the defaults");
		return;
	}
	struct lg_err err = { "" };
	if (lg_cmdline_parse(buf, &s->opts, &err) < 0)
		lg_con_printf("lastgood: warning: %s", err.msg);
	static const char *const modes[] = { "fix", "scan", "shell" };
	lg_con_printf("lastgood: mode %s%s%s%s", modes[s->opts.mode], s->opts.poweroff ? ", power off at the end" : "",
		      s->opts.reboot ? ", reboot at the end" : "", s->opts.unattended ? ", unattended" : "");
}

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

static void load_drivers(struct init_state *s)
{
	phase_begin(s, PH_DRIVERS, "Loading drivers");
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
	phase_end(s, PH_DRIVERS);
}

/* TYPE and PART_ENTRY_UUID of a block device through libblkid's
 * low-level probe (no cache, no udev). */
static int probe_dev(const char *dev, char *type, size_t tcap, char *partuuid, size_t pcap)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	if (!pr)
		return -errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	int r = blkid_do_safeprobe(pr);
	const char *v;
	type[0] = partuuid[0] = 0;
	if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
		snprintf(type, tcap, "%s", v);
	if (r >= 0 && blkid_probe_lookup_value(pr, "PART_ENTRY_UUID", &v, NULL) == 0)
		snprintf(partuuid, pcap, "%s", v);
	blkid_free_probe(pr);
	return r < 0 ? -EIO : 0;
}

/* Calls fn for the whole disk and each of its partitions (/dev names). */
static void for_each_part(const char *disk, void (*fn)(const char *name, void *ud), void *ud)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/block/%s", disk);
	DIR *d = opendir(path);
	if (!d)
		return;
	fn(disk, ud);
	struct dirent *e;
	while ((e = readdir(d))) {
		char p2[512];
		if (strncmp(e->d_name, disk, strlen(disk)))
			continue;
		snprintf(p2, sizeof(p2), "%s/%s/partition", path, e->d_name);
		if (access(p2, F_OK) == 0)
			fn(e->d_name, ud);
	}
	closedir(d);
}

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
	if (probe_dev(dev, type, sizeof(type), uuid, sizeof(uuid)) == 0 && !strcasecmp(uuid, m->partuuid))
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
	if (probe_dev(dev, type, sizeof(type), uuid, sizeof(uuid)) < 0 ||
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

static bool find_medium_by_partuuid(struct init_state *s, const char *partuuid)
{
	struct medium_search m = { .partuuid = partuuid };
	for (size_t i = 0; i < s->n_disks && !m.found[0]; i++)
		for_each_part(s->disks[i].name, match_partuuid, &m);
	if (!m.found[0])
		return false;
	snprintf(s->medium_dev, sizeof(s->medium_dev), "%s", m.found);
	return true;
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

/* Wait until the set of disks has not changed for two seconds (half a
 * second once the boot medium the stub named is there with another disk)
 * and that medium is there, at most opts.wait_s seconds. */
static void wait_for_disks(struct init_state *s)
{
	phase_begin(s, PH_DISKS, "Looking for disks");
	char partuuid[64] = "";
	if (lg_efivar_read_string(LG_EFIVARFS, "LoaderDevicePartUUID", LG_EFI_LOADER_GUID, partuuid,
				  sizeof(partuuid)) == 0)
		lg_con_printf("    boot medium: partition %s", partuuid);

	double t0 = lg_con_uptime(), changed = t0, last_print = t0;
	struct lg_disk prev[MAX_DISKS];
	size_t n_prev = 0;
	bool medium_seen = !partuuid[0];
	for (;;) {
		if (s->mods) {
			lg_coldplug(s->mods, "/sys/devices", mod_cb, s);
			flush_drivers();
		}
		lg_disks_list("/sys/block", s->disks, MAX_DISKS, &s->n_disks);
		double now = lg_con_uptime();
		if (!same_disks(prev, n_prev, s->disks, s->n_disks)) {
			memcpy(prev, s->disks, sizeof(prev[0]) * s->n_disks);
			n_prev = s->n_disks;
			changed = now;
			print_disks(s, t0);
			last_print = now;
		}
		if (!medium_seen && find_medium_by_partuuid(s, partuuid))
			medium_seen = true;
		/* Two quiet seconds, or half a second once the medium the stub
		 * named has shown up beside another disk: the medium is on the
		 * slowest bus (USB: the kernel waits a second before it scans
		 * a stick), internal disks come first. */
		double settle = partuuid[0] && medium_seen && s->n_disks > 1 ? 0.5 : 2.0;
		bool enough = s->n_disks > 0 && medium_seen && now - changed >= settle;
		if (enough || now - t0 >= s->opts.wait_s)
			break;
		if (now - last_print >= 1.9) {
			lg_con_printf("    %4.1f s: waiting for disks to settle (at most %d s, lastgood.wait=N)",
				      now - t0, s->opts.wait_s);
			last_print = now;
		}
		usleep(250 * 1000);
	}
	if (partuuid[0] && !medium_seen)
		lg_con_printf("    the boot medium (partition %s) did not show up", partuuid);

	mkdir(MEDIUM_DIR, 0755);
	if (s->medium_dev[0]) {
		char type[32], uuid[64];
		if (probe_dev(s->medium_dev, type, sizeof(type), uuid, sizeof(uuid)) == 0 && type[0] &&
		    mount_medium_at(s, s->medium_dev, type))
			;
		else
			lg_con_printf("    cannot mount the boot medium %s: reports stay on the Windows volume",
				      s->medium_dev);
	} else {
		for (size_t i = 0; i < s->n_disks && !s->medium_mounted; i++)
			for_each_part(s->disks[i].name, fallback_medium, s);
		for (int i = 0; i < 4 && !s->medium_mounted; i++) {
			char sr[16];
			snprintf(sr, sizeof(sr), "sr%d", i);
			fallback_medium(sr, s);
		}
	}
	if (s->medium_mounted) {
		const char *slash = strrchr(s->medium_dev, '/');
		if (!slash || lg_disk_of_partition("/sys/class/block", slash + 1, s->medium_disk) < 0)
			s->medium_disk[0] = 0;
		lg_con_printf("    boot medium: %s (%s), left alone", s->medium_dev, s->medium_fs);
	} else {
		lg_con_printf("    no boot medium found (network boot?): reports stay on the Windows volume");
	}
	phase_end(s, PH_DISKS);
}

struct vol_count {
	size_t windows;
	char line[512];
	size_t o;
};

static void count_windows(const char *name, void *ud)
{
	struct vol_count *c = ud;
	char dev[64], type[32], uuid[64];
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (probe_dev(dev, type, sizeof(type), uuid, sizeof(uuid)) < 0)
		return;
	if (strcmp(type, "ntfs") && strcmp(type, "BitLocker"))
		return;
	c->windows++;
	if (c->o + 48 < sizeof(c->line))
		c->o += (size_t)snprintf(c->line + c->o, sizeof(c->line) - c->o, " %s (%s)", name, type);
}

/* ---- deny-list ------------------------------------------------------------- */

struct trust {
	char **paths;
	size_t n;
};

/* The deny-lists checked so far in this boot: the same file is often
 * offered two or three times (built in, handed over by the stub from the
 * medium, on the medium), and each check costs a noticeable part of a
 * second under slow CPUs (emulators); a byte-identical list and signature
 * get the first check's verdict. */
struct checked_list {
	const char *label;
	char *list, *sig;
	size_t list_len, sig_len;
	int result;
};
#define MAX_CHECKED 4
static struct checked_list checked[MAX_CHECKED];
static size_t n_checked;

static void checked_free(void)
{
	for (size_t i = 0; i < n_checked; i++) {
		free(checked[i].list);
		free(checked[i].sig);
	}
	n_checked = 0;
}

/* The earlier check of the same bytes, or NULL. Keeps path's bytes for
 * the next call when there is room. */
static const struct checked_list *same_as_checked(const char *path, const char *label, struct checked_list **slot)
{
	char sigpath[320];
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", path);
	struct checked_list c = { .label = label };
	*slot = NULL;
	if (lg_read_file(path, LG_DENYLIST_MAX_BYTES, &c.list, &c.list_len) < 0 ||
	    lg_read_file(sigpath, 64 * 1024, &c.sig, &c.sig_len) < 0) {
		free(c.list);
		free(c.sig);
		return NULL;
	}
	for (size_t i = 0; i < n_checked; i++)
		if (checked[i].list_len == c.list_len && checked[i].sig_len == c.sig_len &&
		    !memcmp(checked[i].list, c.list, c.list_len) && !memcmp(checked[i].sig, c.sig, c.sig_len)) {
			free(c.list);
			free(c.sig);
			return &checked[i];
		}
	if (n_checked == MAX_CHECKED) {
		free(c.list);
		free(c.sig);
		return NULL;
	}
	checked[n_checked] = c;
	*slot = &checked[n_checked++];
	return NULL;
}

static int try_denylist(struct init_state *s, const struct trust *t, const char *path, const char *label,
			bool *have, int64_t *best)
{
	if (access(path, F_OK) < 0)
		return -ENOENT;
	struct checked_list *slot;
	const struct checked_list *same = same_as_checked(path, label, &slot);
	if (same) {
		lg_con_printf("    %s: the same file as the %s%s", label, same->label,
			      same->result < 0 ? " (rejected)" : "");
		return same->result;
	}
	struct lg_err err = { "" };
	_cleanup_denylist_ struct lg_denylist *dl = NULL;
	int r = lg_denylist_load(path, NULL, (const char *const *)t->paths, t->n, time(NULL), &dl, &err);
	if (slot)
		slot->result = r;
	if (r < 0) {
		lg_con_printf("    %s: REJECTED: %s", label, err.msg);
		return r;
	}
	lg_con_printf("    %s: serial %lld, signed by key %s, %zu rule%s", label, (long long)dl->serial, dl->key_id,
		      dl->n_rules, dl->n_rules == 1 ? "" : "s");
	if (!*have || dl->serial > *best) {
		*have = true;
		*best = dl->serial;
		snprintf(s->denylist, sizeof(s->denylist), "%s", path);
		s->serial = dl->serial;
	}
	return 0;
}

static bool pick_denylist(struct init_state *s, struct trust *t)
{
	phase_begin(s, PH_DENYLIST, "Checking deny-lists");
	struct lg_err err = { "" };
	bool have = false;
	int64_t best = -1;
	int r = lg_trust_keys_in_dir(LG_TRUST_DIR_DEFAULT, &t->paths, &t->n, &err);
	if (r < 0 || t->n == 0) {
		lg_con_printf("    no trusted key in %s%s%s", LG_TRUST_DIR_DEFAULT, r < 0 ? ": " : "", r < 0 ? err.msg : "");
		phase_end(s, PH_DENYLIST);
		return false;
	}
	if (s->demo)
		lg_con_printf("    DEMO KEY: this image trusts a key made when it was built; for tests only");
	if (s->opts.denylist[0]) {
		/* Asked for by name: that one or none. */
		try_denylist(s, t, s->opts.denylist, s->opts.denylist, &have, &best);
		if (!have)
			lg_con_printf("    %s (lastgood.denylist=) cannot be used", s->opts.denylist);
	} else {
		/* The built-in one, then newer ones (higher serial) from the
		 * stub's hand-over and the medium; equal serials keep the first. */
		try_denylist(s, t, BAKED_DENYLIST, "built-in deny-list", &have, &best);
		try_denylist(s, t, OVERRIDE_DENYLIST, "deny-list handed over at boot", &have, &best);
		if (s->medium_mounted)
			try_denylist(s, t, MEDIUM_DENYLIST, "deny-list on the boot medium", &have, &best);
	}
	checked_free();
	if (have)
		lg_con_printf("    using %s (serial %lld)", s->denylist, (long long)s->serial);
	phase_end(s, PH_DENYLIST);
	return have;
}

/* ---- the engine -------------------------------------------------------------- */

static void keep_summary(struct init_state *s, const char *line, size_t len)
{
	if (len == 0)
		return;
	if (s->n_summary == SUMMARY_LINES) {
		memmove(s->summary[0], s->summary[1], sizeof(s->summary[0]) * (SUMMARY_LINES - 1));
		s->n_summary--;
	}
	size_t n = len < sizeof(s->summary[0]) - 1 ? len : sizeof(s->summary[0]) - 1;
	memcpy(s->summary[s->n_summary], line, n);
	s->summary[s->n_summary][n] = 0;
	s->n_summary++;
}

/* Whether line (len bytes, newline included) is one of the engine's
 * prompt markers (LG_PROMPT_BEGIN/END): 1 begin, 0 end, -1 neither. */
static int prompt_marker(const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == strlen(LG_PROMPT_BEGIN) && !memcmp(line, LG_PROMPT_BEGIN, len))
		return 1;
	if (len == strlen(LG_PROMPT_END) && !memcmp(line, LG_PROMPT_END, len))
		return 0;
	return -1;
}

/* Copy the child's stderr to the consoles line by line; say something
 * when it has been quiet for two seconds, except while it asks for a
 * BitLocker recovery key at the console (between its prompt markers,
 * which are not shown). Returns its wait status. */
static int follow_child(struct init_state *s, pid_t pid, int fd, const char *what)
{
	char buf[4096], line[1024];
	size_t ll = 0;
	double start = lg_con_uptime(), last = start;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	bool open_ = true, asking = false;

	while (open_) {
		int r = poll(&p, 1, 500);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				open_ = false;
			} else {
				last = lg_con_uptime();
				for (ssize_t i = 0; i < n; i++) {
					line[ll++] = buf[i];
					if (buf[i] != '\n' && ll < sizeof(line))
						continue;
					int m = buf[i] == '\n' ? prompt_marker(line, ll) : -1;
					if (m >= 0) {
						asking = m == 1;
					} else {
						lg_con_write(line, ll);
						keep_summary(s, line, buf[i] == '\n' ? ll - 1 : ll);
					}
					ll = 0;
				}
			}
		} else if (ll) {
			/* a line without its end yet: show what there is */
			lg_con_write(line, ll);
			keep_summary(s, line, ll);
			ll = 0;
		}
		double now = lg_con_uptime();
		if (asking)
			last = now;
		if (open_ && now - last >= 2.0) {
			lg_con_printf("    ... %s, %.0f s", what, now - start);
			last = now;
		}
	}
	if (ll) {
		lg_con_write(line, ll);
		keep_summary(s, line, ll);
	}
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return ws;
}

#define KEYS_DIR RUN_DIR "/keys"

/* BitLocker key files (keys.csv, *.BEK) from the boot medium's \lastgood\
 * and from what the stub fetched over the network, copied into RAM: the
 * medium may be unmounted while the engine works on its own disk, and
 * keys are never written anywhere else (not to the Windows volume, not to
 * reports). Each source gets its own folder (same file names, so reports
 * say "keys.csv line 12"); dirs[] receives the folders that got a file.
 * Returns how many files were staged. */
static int stage_keys(struct init_state *s, char dirs_out[2][64], size_t *n_dirs)
{
	static const char *const from_dirs[] = { MEDIUM_DIR "/lastgood", "/lastgood/override" };
	static const char *const to_dirs[] = { KEYS_DIR "/medium", KEYS_DIR "/network" };
	int count = 0;
	*n_dirs = 0;
	mkdir(RUN_DIR, 0755);
	if (mkdir(KEYS_DIR, 0700) < 0 && errno != EEXIST)
		return 0;
	for (size_t d = 0; d < ARRAY_SIZE(from_dirs); d++) {
		if (d == 0 && !s->medium_mounted)
			continue;
		DIR *dir = opendir(from_dirs[d]);
		if (!dir)
			continue;
		int here = 0;
		struct dirent *e;
		while ((e = readdir(dir))) {
			size_t len = strlen(e->d_name);
			bool csv = !strcasecmp(e->d_name, "keys.csv");
			bool bek = len > 4 && !strcasecmp(e->d_name + len - 4, ".bek");
			if (!csv && !bek)
				continue;
			char from[512], to[512], *buf = NULL;
			size_t n = 0;
			snprintf(from, sizeof(from), "%s/%s", from_dirs[d], e->d_name);
			snprintf(to, sizeof(to), "%s/%s", to_dirs[d], e->d_name);
			if (lg_read_file(from, 64u << 20, &buf, &n) < 0)
				continue;
			if (mkdir(to_dirs[d], 0700) < 0 && errno != EEXIST) {
				lg_wipe(buf, n);
				free(buf);
				continue;
			}
			int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd >= 0) {
				if (write(fd, buf, n) == (ssize_t)n)
					here++;
				close(fd);
			}
			if (d == 1) {
				/* The stub's copy in the unpacked initrd (RAM): one
				 * copy of a key is enough. Zeros first, so the pages
				 * freed by the unlink do not hold it. */
				memset(buf, 0, n);
				fd = open(from, O_WRONLY | O_CLOEXEC);
				if (fd >= 0) {
					if (write(fd, buf, n) < 0)
						lg_con_printf("    cannot wipe %s: %s", from, strerror(errno));
					close(fd);
				}
				unlink(from);
			}
			lg_wipe(buf, n);
			free(buf);
		}
		closedir(dir);
		if (here)
			snprintf(dirs_out[(*n_dirs)++], sizeof(dirs_out[0]), "%s", to_dirs[d]);
		count += here;
	}
	return count;
}


static int run_engine(struct init_state *s, const struct trust *t)
{
	phase_begin(s, PH_ENGINE, s->opts.mode == LG_MODE_SCAN ? "Scanning Windows (changing nothing)"
							       : "Repairing Windows");
	char *targets[MAX_DISKS];
	char names[MAX_DISKS][LG_DISK_NAME_MAX + 8];
	size_t n = 0;
	for (size_t i = 0; i < s->n_disks; i++) {
		if (!s->has_windows[i])
			continue;
		if (s->medium_mounted && !strcmp(s->disks[i].name, s->medium_disk)) {
			lg_con_printf("    the boot medium is on this disk: unmounted while lastgood works on it");
			umount(MEDIUM_DIR);
			s->medium_mounted = false;
			s->medium_detached = true;
		}
		snprintf(names[n], sizeof(names[n]), "/dev/%s", s->disks[i].name);
		targets[n] = names[n];
		n++;
	}
	int argc;
	_cleanup_free_ char **argv = NULL;
	char kdirs[2][64];
	char *kv[2] = { kdirs[0], kdirs[1] };
	size_t nkd = 0;
	int nkeys = stage_keys(s, kdirs, &nkd);
	if (nkeys > 0)
		lg_con_printf("    %d BitLocker key file%s from the boot %s (kept in memory only)", nkeys,
			      nkeys == 1 ? "" : "s", nkd == 2 ? "medium and the network" :
			      !strcmp(kdirs[0], KEYS_DIR "/medium") ? "medium" : "server");
	if (lg_init_engine_argv(s->opts.mode, s->denylist, t->paths, t->n, REPORT_DIR, kv, nkd,
				!s->opts.unattended, targets, n, &argc, &argv) < 0)
		return W_EXITCODE(LG_EXIT_ERROR, 0);
	char cmd[1024];
	size_t o = 0;
	for (int i = 0; i < argc && o + 2 < sizeof(cmd); i++)
		o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, "%s%s", i ? " " : "", argv[i]);
	lg_con_printf("    lastgood %s", cmd);

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		lg_con_printf("lastgood: cannot create a pipe: %s", strerror(errno));
		return W_EXITCODE(LG_EXIT_ERROR, 0);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		lg_con_printf("lastgood: cannot start the engine: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return W_EXITCODE(LG_EXIT_ERROR, 0);
	}
	if (pid == 0) {
		int out = open(ENGINE_JSON, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);
		if (out >= 0)
			dup2(out, STDOUT_FILENO);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		setvbuf(stderr, NULL, _IOLBF, 0);
		setenv("LASTGOOD_PROMPT_MARKERS", "1", 1);
		int rc = s->opts.mode == LG_MODE_SCAN ? cmd_scan(argc, argv) : cmd_fix(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(rc & 0xff);
	}
	close(pfd[1]);
	int ws = follow_child(s, pid, pfd[0], s->opts.mode == LG_MODE_SCAN ? "scanning" : "repairing");
	close(pfd[0]);
	if (WIFEXITED(ws))
		lg_con_printf("    engine finished with exit code %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		lg_con_printf("    engine was killed by signal %d", WTERMSIG(ws));
	phase_end(s, PH_ENGINE);
	return ws;
}

/* ---- end of the run -------------------------------------------------------- */

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
static int save_reports(struct init_state *s, char *where, size_t wcap)
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

static void print_wrapped(const char *text)
{
	const size_t width = 76;
	const char *p = text;
	while (*p) {
		size_t len = strlen(p), cut = len;
		if (len > width) {
			cut = width;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		lg_con_printf("  %.*s", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static const char rule[] = "==============================================================================";

static void final_screen(struct init_state *s, const struct lg_verdict *v, const char *report, const char *next)
{
	lg_con_printf("%s", "");
	lg_con_printf("%s", rule);
	lg_con_printf("  lastgood: %s", v->title);
	lg_con_printf("%s", rule);
	if (s->n_summary) {
		lg_con_printf("  What lastgood reported:");
		for (size_t i = 0; i < s->n_summary; i++)
			lg_con_printf("    %s", s->summary[i]);
		lg_con_printf("%s", "");
	}
	print_wrapped(v->text);
	lg_con_printf("%s", "");
	lg_con_printf("  Report:    %s", report);
	lg_con_printf("  Next boot: %s", next);
	if (s->demo)
		lg_con_printf("  DEMO KEY:  this image trusts a key made when it was built: for tests only.");
	lg_con_printf("%s", rule);
}

static void phase_summary(struct init_state *s)
{
	char line[512];
	size_t o = 0;
	for (int p = 0; p < PH_COUNT; p++)
		if (s->phase_end[p] > 0)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " %s=%.2f", phase_names[p],
					      s->phase_end[p] - s->phase_start[p]);
	snprintf(line + o, sizeof(line) - o, " total=%.2f", lg_con_uptime());
	lg_con_printf("lastgood-phases:%s", line);
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

int cmd_init(int argc, char **argv)
{
	if (getpid() != 1) {
		fprintf(stderr, "lastgood init: this is the recovery image's PID 1; it only runs as process 1 "
				"(the kernel starts it as /init)\n");
		return LG_EXIT_USAGE;
	}
	static struct init_state st;
	struct init_state *s = &st;
	struct trust trust = { NULL, 0 };
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
	read_cmdline(s);
	phase_end(s, PH_MOUNTS);

	load_drivers(s);
	wait_for_disks(s);

	/* Only disks with an NTFS or BitLocker volume go to the engine. The
	 * boot medium's disk is one of them only when lastgood was started
	 * from the Windows disk's own ESP: then the medium is unmounted while
	 * the engine works on that disk. */
	struct vol_count vc = { 0 };
	for (size_t i = 0; i < s->n_disks; i++) {
		size_t before = vc.windows;
		for_each_part(s->disks[i].name, count_windows, &vc);
		s->has_windows[i] = vc.windows > before;
	}
	s->n_windows = vc.windows;
	lg_con_printf("    NTFS and BitLocker volumes: %s", vc.windows ? vc.line + 1 : "none");

	/* The deny-list is checked even when there is nothing to apply it
	 * to: the console then shows which list this medium would use. */
	if (s->opts.mode == LG_MODE_SHELL)
		outcome = run_shell();
	else if (!pick_denylist(s, &trust))
		outcome = s->n_windows ? LG_OUTCOME_NO_DENYLIST : LG_OUTCOME_NO_WINDOWS;
	else if (s->n_windows == 0)
		outcome = LG_OUTCOME_NO_WINDOWS;
	else
		ws = run_engine(s, &trust);

	phase_begin(s, PH_FINISH, "Finishing");
	char report[600] = "", next[512] = "";
	if (save_reports(s, report, sizeof(report) - 80) < 0 && outcome == LG_OUTCOME_ENGINE)
		strcat(report, "; the Windows volume keeps its copy in \\" LG_DIR "\\reports");
	if (s->opts.mode != LG_MODE_FIX)
		snprintf(next, sizeof(next), "firmware default (%s mode changes nothing, not even BootNext)",
			 s->opts.mode == LG_MODE_SCAN ? "scan" : "shell");
	else
		set_next_boot(next, sizeof(next));
	phase_end(s, PH_FINISH);

	struct lg_run_facts facts = { 0 };
	if (outcome == LG_OUTCOME_ENGINE) {
		_cleanup_free_ char *json = NULL;
		size_t len;
		if (lg_read_file(ENGINE_JSON, 64u << 20, &json, &len) == 0)
			lg_run_facts_parse(json, len, &facts);
	}
	struct lg_verdict v;
	lg_init_verdict(s->opts.mode, outcome, ws, &facts, &v);
	final_screen(s, &v, report, next);
	phase_summary(s);
	lg_trust_keys_free(trust.paths, trust.n);
	lg_modload_free(s->mods);
	finish(s);
}
