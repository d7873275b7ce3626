// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/policy.h"

#include "engine/trust.h"

#include "engine/inspect.h"
#include "engine/journal.h"
#include "engine/match.h"
#include "engine/paths.h"
#include "engine/registry.h"
#include "engine/report.h"
#include "formats/denylist.h"
#include "storage/dirty.h"
#include "storage/fsops.h"
#include "storage/volume.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

bool lg_policy_hibernated(const struct lg_volinfo *vi)
{
	return vi->hiber == LG_HIBER_ACTIVE || vi->hiber == LG_HIBER_WAKE;
}

bool lg_policy_mounted(const char *dev, char *where, size_t wlen)
{
	struct stat st;
	if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
	char sysdir[128];
	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%u:%u", maj, min);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool hit = false;
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned a, b;
		char mnt[1024];
		if (sscanf(line, "%*u %*u %u:%u %*s %1023s", &a, &b, mnt) != 3)
			continue;
		if (a == maj && b == min) {
			hit = true;
		} else {
			/* A partition of this disk: /sys/dev/block/a:b/.. is the disk. */
			char part[160], real_disk[4096], real_part[4096];
			snprintf(part, sizeof(part), "/sys/dev/block/%u:%u/..", a, b);
			if (realpath(sysdir, real_disk) && realpath(part, real_part) &&
			    !strcmp(real_disk, real_part))
				hit = true;
		}
		/* a longer mount point is shown cut to wlen - 1 bytes */
		if (hit && wlen) {
			size_t n = strnlen(mnt, wlen - 1);
			memcpy(where, mnt, n);
			where[n] = '\0';
		}
	}
	fclose(f);
	return hit;
}

/* A dirty volume: refused with --refuse-dirty, else its NTFS log replayed
 * (storage/dirty.h) before it is opened. */
static bool dirty_ok(struct lg_vol_ctx *vol)
{
	const struct lg_volinfo *vi = vol->vi;
	struct lg_err err = { "" };
	if (vol->run->o->refuse_dirty) {
		lg_report_status(vol, "refused", LG_EXIT_POLICY,
				 "the volume was not shut down cleanly (dirty) and --refuse-dirty was given");
		return false;
	}
	json_t *replay = NULL;
	int r = lg_dirty_replay(vi->disk->path, vi->part->offset, vi->part->size, &replay, &err);
	if (replay)
		json_object_set_new(vol->vr, "log_replay", replay);
	if (r < 0) {
		lg_report_status(vol, "refused", LG_EXIT_POLICY, "%s", err.msg);
		return false;
	}
	lg_report_phase(vol, "log_replay");
	return true;
}

bool lg_policy_may_open(struct lg_vol_ctx *vol)
{
	const struct lg_run_opts *o = vol->run->o;
	const struct lg_volinfo *vi = vol->vi;
	if (!o->fix)
		return true;
	char where[512] = "";
	if (!o->force && lg_policy_mounted(vi->disk->path, where, sizeof(where))) {
		lg_report_status(vol, "refused", LG_EXIT_POLICY,
				 "%s is mounted on this host at %s; unmount it first (or --force)", vi->disk->path, where);
		return false;
	}
	if (lg_policy_hibernated(vi) && !o->discard_hibernation) {
		lg_report_status(vol, "refused", LG_EXIT_POLICY,
			"Windows on this volume is hibernated (Fast Startup or hibernation): changing it now could "
			"corrupt it when Windows resumes. Boot Windows and shut it down fully, or run again with "
			"--discard-hibernation, which throws away the hibernated session (open programs and unsaved "
			"work in it are lost)");
		return false;
	}
	return !vi->dirty || dirty_ok(vol);
}

unsigned lg_policy_open_flags(const struct lg_vol_ctx *vol)
{
	if (!vol->run->o->fix)
		return 0;
	return LG_VOL_RW | (lg_policy_hibernated(vol->vi) ? LG_VOL_IGNORE_HIBER : 0);
}

bool lg_policy_state(struct lg_vol_ctx *vol)
{
	struct lg_err err = { "" };
	/* \$LastGood is input from the volume: engine/trust.h. */
	bool fix = vol->run->o->fix, usable = true;
	vol->stored_serial = -1;
	if (lg_trust_prepare(vol->v, fix, vol->run->run_id, vol->vr, &usable, &err) < 0 ||
	    (usable && lg_trust_read_state(vol->v, fix, vol->run->run_id, vol->vr, &vol->stored_serial, &err) < 0)) {
		lg_report_status(vol, "error", LG_EXIT_ERROR, "%s", err.msg);
		return false;
	}
	vol->lastgood_ignored = !usable;
	if (vol->stored_serial >= 0)
		json_object_set_new(vol->vr, "applied_serial", json_integer(vol->stored_serial));
	if (lg_denylist_check_serial(vol->run->dl, vol->stored_serial, &err) < 0) {
		lg_report_status(vol, "refused", LG_EXIT_DENYLIST, "%s", err.msg);
		return false;
	}
	return true;
}

const char *lg_policy_match_refusal(const struct lg_match *m)
{
	if (m->flags & LG_MATCH_DIRECTORY)
		return "the rule names a directory; lastgood moves only files";
	if (m->flags & LG_MATCH_REPARSE)
		return "the target is a reparse point (link or junction); lastgood does not follow or move those";
	if (m->flags & LG_MATCH_NAME_LOSSY)
		return "the name is not valid UTF-16; lastgood will not act on a name it cannot show exactly";
	if (m->flags & LG_MATCH_NAME_UNUSABLE)
		return "the name holds a NUL, '/', '\\' or ':', or is '.' or '..' (Windows never makes such a name); "
		       "its path would lead to another file, so lastgood will not act on it";
	return NULL;
}

/* Without the hive, nothing that may be a service can move: a boot-start
 * driver whose file is gone stops Windows. Data files (channel files are
 * not PE images) still go. */
static bool any_pe_image(struct lg_vol_ctx *vol, const char **files, size_t nf)
{
	for (size_t k = 0; k < nf; k++) {
		char mz[2];
		if (lg_fs_pread(vol->v, files[k], 0, mz, 2) == 2 && mz[0] == 'M' && mz[1] == 'Z')
			return true;
	}
	return false;
}

const char *lg_policy_registry(struct lg_vol_ctx *vol, const struct lg_rule *rule, const char **files,
			       size_t nf, const char *load_err, struct lg_reg_verdict *vd, char *why,
			       size_t wlen)
{
	struct lg_err err = { "" };
	bool named = rule->reg_disable_service || rule->reg_remove_filter;
	if (!vol->reg) {
		bool driver = !named && any_pe_image(vol, files, nf);
		if (!named && !driver)
			return NULL;
		snprintf(why, wlen, "%s, but the SYSTEM hive cannot be read (%s): nothing that may be a "
			 "registered driver is moved without keeping the registry consistent",
			 named ? "the rule needs registry changes" : "the file is a driver (PE image)", load_err);
		return why;
	}
	if (lg_registry_check(vol->reg, &(struct lg_reg_request){
			.rule_id = rule->id, .files = files, .n_files = nf,
			.disable_service = rule->reg_disable_service,
			.remove_filter = rule->reg_remove_filter,
			.allow_boot_critical = rule->allow_boot_critical }, vd, &err) < 0) {
		snprintf(why, wlen, "registry check failed: %s", err.msg);
		return why;
	}
	if (vd->refused) {
		snprintf(why, wlen, "%s", vd->reason);
		return why;
	}
	return NULL;
}
