// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The words of the recovery image's final screen (boot/verdict.h), from
 * the engine's exit and report: pure, unit-tested (tests/unit/test_cmdline.c).
 * PID 1 draws them in screen.c.
 */
#include "boot/verdict.h"

#include "engine/paths.h"

#include <jansson.h>
#include <sys/wait.h>

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
	const char *mode = json_string_value(json_object_get(root, "mode"));
	if (mode && !strcmp(mode, "undo")) {
		f->undo = true;
		f->undone = count_of(sum, "undone");
		json_t *run = json_object_get(root, "undo_run_id");
		const char *id = json_string_value(run ? run : json_object_get(root, "run_id"));
		snprintf(f->undo_run, sizeof(f->undo_run), "%s", id && strlen(id) < sizeof(f->undo_run) ? id : "?");
	}
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
		if (st && !strcmp(st, "refused")) {
			const char *h = json_string_value(json_object_get(vol, "hibernation"));
			if (h && (!strcmp(h, "active") || !strcmp(h, "resuming")))
				f->hibernated++;
		}
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

/* The fleet server asked to roll back this PC's repair (lastgood undo). */
static void verdict_undo(const struct lg_run_facts *f, int code, struct lg_verdict *v)
{
	if (code == LG_EXIT_OK && f->undone > 0) {
		TITLE("Repair %s undone, as the fleet server asked", f->undo_run);
		v->text = "The fleet server asked for this PC's repair to be rolled back. Every file that run had "
			  "moved into quarantine is back in its place (the journal on the Windows volume records "
			  "it): Windows starts as it did before that repair.";
		v->windows_should_start = true;
		return;
	}
	if (code == LG_EXIT_POLICY) {
		TITLE("lastgood refused to undo repair %s, to keep your data safe", f->undo_run);
		v->text = "The reason is shown above: for example Windows is hibernated, a BitLocker volume "
			  "stayed locked, or a file has been put where a quarantined one came from. Nothing was "
			  "changed. Give this screen or the report to your IT team.";
		return;
	}
	TITLE("Undoing repair %s stopped with an error", f->undo_run);
	v->text = error_next;
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
	if (f && f->have && f->undo) {
		verdict_undo(f, code, v);
		return;
	}
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
		if (f && f->have && f->locked && !f->hibernated && f->quarantined + f->restored > 0) {
			/* one volume repaired, another one stayed locked: both said */
			TITLE("Done: %ld file%s moved to quarantine; a BitLocker volume stayed locked%s%.40s%s",
			      f->quarantined, f->quarantined == 1 ? "" : "s", f->locked_ids[0] ? " (recovery key ID " : "",
			      f->locked_ids, f->locked_ids[0] ? ")" : "");
			v->text = "The files on the deny-list that were found are in the quarantine folder "
				  "\\" LG_DIR "\\quarantine of their volume. Another volume is locked by "
				  "BitLocker and was not looked at: find its recovery key by the ID shown, and "
				  "start lastgood again with the key (\\lastgood\\keys.csv on the stick, typed "
				  "at the console, or from the fleet server) if that volume holds Windows.";
			v->windows_should_start = true;
			return;
		}
		TITLE("lastgood refused to change Windows, to keep your data safe");
		if (f && f->hibernated) {
			v->text = "Windows is hibernated (or was shut down with Fast Startup): its open session "
				  "is saved on the disk, and changing files under it could lose data, so nothing "
				  "was changed. If Windows can start, start it, then shut it down fully (hold Shift "
				  "while choosing Shut down) and run lastgood again. If it cannot start, boot "
				  "lastgood with lastgood.discard_hibernation=1 on its command line: the hibernated "
				  "session (open programs, unsaved work) is lost; files on the disk are kept.";
			return;
		}
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
