// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/policy.h"

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

/* The highest serial the volume's journals were made with: what state.json
 * said, when a cut while it was rewritten damaged it. */
static int serial_from_journals(struct lg_vol_ctx *vol, struct lg_err *err)
{
	char **ids = NULL;
	size_t n = 0;
	if (lg_journal_list(vol->v, &ids, &n) < 0) {
		lg_journal_ids_free(ids, n);
		lg_err_set(err, "\\%s is damaged and the journals cannot be listed", LG_PATH_STATE);
		return -EBADMSG;
	}
	struct lg_err jerr = { "" };
	vol->stored_serial = -1;
	for (size_t i = 0; i < n; i++) {
		struct lg_journal *j = NULL;
		if (lg_journal_load(vol->v, ids[i], &j, &jerr) < 0)
			continue;
		json_t *s = json_object_get(j->begin, "serial");
		if (json_is_integer(s) && json_integer_value(s) > vol->stored_serial)
			vol->stored_serial = json_integer_value(s);
		lg_journal_free(j);
	}
	lg_journal_ids_free(ids, n);
	json_object_set_new(vol->vr, "state_rebuilt", json_string("state.json was damaged; the applied serial was taken from the journals"));
	return 0;
}

static int read_state(struct lg_vol_ctx *vol, struct lg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	vol->stored_serial = -1;
	int r = lg_fs_read(vol->v, LG_PATH_STATE, LG_STATE_MAX_BYTES, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		lg_err_set(err, "cannot read \\%s: %s", LG_PATH_STATE, strerror(-r));
		return r;
	}
	r = lg_state_parse(buf, len, &vol->stored_serial, err);
	free(buf);
	return r == 0 ? 0 : serial_from_journals(vol, err);
}

bool lg_policy_state(struct lg_vol_ctx *vol)
{
	struct lg_err err = { "" };
	if (read_state(vol, &err) < 0) {
		lg_report_status(vol, "error", LG_EXIT_ERROR, "%s", err.msg);
		return false;
	}
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
