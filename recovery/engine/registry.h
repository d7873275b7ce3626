/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SYSTEM hive kept consistent with what was quarantined (issue 7,
 * docs/registry.md): services whose ImagePath names a quarantined file are
 * disabled (Start = 4) and their names leave every UpperFilters and
 * LowerFilters list of Control\Class\{GUID} and of the device keys under
 * Enum, in every control set that Select names (Current, Default,
 * LastKnownGood). A rule may also name that work directly
 * ("registry": {"disable_service": ..., "remove_filter": ...}).
 *
 * How the engine uses it, per Windows volume:
 *
 *   lg_registry_load()         copy Windows/System32/config/SYSTEM off the
 *                              volume (libhivex needs a file: a host temp)
 *   lg_registry_check()        per rule, BEFORE anything moves: which
 *                              services and filter names it touches, and
 *                              whether it is refused (boot-critical driver
 *                              without "allow_boot_critical", or a dirty
 *                              hive). A refused rule quarantines nothing.
 *   lg_registry_apply()        per rule not refused: the changes, in memory
 *   lg_registry_commit()       journal step "registry", then the hive back:
 *                              original moved to $LastGood/quarantine/<run>/
 *                              registry/SYSTEM, the edited hive written
 *                              under a temporary name beside it, renamed
 *                              into place (no half-written SYSTEM ever)
 *   (quarantine the rules' files)
 *   lg_registry_report()       the changes for the report
 *   lg_registry_free()
 *
 * Commit before the files move: a disabled driver whose file is still
 * there is harmless, a registered driver whose file is gone is what
 * bricks the PC. With the registry step journalled first, a cut leaves
 * only the harmless state, and undo (newest step first) moves the files
 * back before it sets the values back.
 *
 * Crash completion and undo of a "registry" journal step:
 * lg_registry_complete_step() and lg_registry_undo_step(), for
 * lg_quarantine_complete() and lg_quarantine_undo() to call. Undo sets back the
 * values lastgood changed (not the whole file, which Windows may have
 * changed since), and only those still holding what lastgood wrote.
 *
 * The hive is edited in place in memory, cell by cell: a DWORD is
 * rewritten where it is, a shorter filter list in its own cell, a longer
 * one (undo) in a new cell; nothing else in the file moves. libhivex reads
 * the key structure (its checks guard against hostile hives).
 *
 * Ownership: lg_registry_free() and lg_reg_verdict_clear() take NULL /
 * empty structures. Errors: negative errno; a message for people in err:
 *   -ENOENT   no SYSTEM hive, or Select names no control set in it
 *   -EFBIG    hive larger than LG_HIVE_MAX_BYTES
 *   -ENOTSUP  not a regf hive, or a version lastgood does not edit
 *   -EBADMSG  a damaged hive (libhivex or our own checks refused it)
 *   -EUCLEAN  a dirty hive where it must be clean (commit, undo)
 *   -EEXIST   a path lastgood wants to create is taken
 */
#ifndef LG_REGISTRY_H
#define LG_REGISTRY_H

#include "engine/journal.h"
#include "engine/regpath.h"
#include "storage/volume.h"

#include <jansson.h>

#define LG_HIVE_MAX_BYTES (1u << 30)
#define LG_REG_MAX_SETS 3

/* Registry value types (winnt.h numbers). */
enum {
	LG_REG_SZ = 1,
	LG_REG_EXPAND_SZ = 2,
	LG_REG_DWORD = 4,
	LG_REG_MULTI_SZ = 7,
};

/* ---- the SYSTEM hive of one installation -------------------------------- */

struct lg_registry;

struct lg_reg_opts {
	const char *windir;       /* "Windows" (volume-relative, as found) */
	char system_drive;        /* see lg_reg_paths; 0 = unknown */
	int64_t now;              /* NTFS time written as the hive's last-write
				   * time; 0 = the clock */
	const char *tmpdir;       /* where the host copy for libhivex goes;
				   * NULL = $TMPDIR or /tmp */
};

/* Open a hive file on the host (tests, tools). A dirty hive is recovered
 * from its transaction logs beside it (<path>.LOG, .LOG1, .LOG2) as
 * Windows would at its next boot (formats/hivelog.h); one that cannot be
 * opens dirty, and check() refuses every rule that needs registry work on
 * it. lg_registry_load() does the same on the volume. */
int lg_registry_open(const char *hive_path, const struct lg_reg_opts *o, struct lg_registry **out,
		     struct lg_err *err);
/* Read <windir>/System32/config/SYSTEM from an open volume. */
int lg_registry_load(struct lg_volume *v, const struct lg_reg_opts *o, struct lg_registry **out,
		     struct lg_err *err);
void lg_registry_free(struct lg_registry *r);

/* The Windows computer name (Control\ComputerName\ComputerName, value
 * ComputerName, of the first control set Select names) as UTF-8, control
 * characters dropped, at most outlen - 1 bytes. Returns 0, or -ENOENT. */
int lg_registry_computer_name(struct lg_registry *r, char *out, size_t outlen);

/* The hive's base block says Windows has log data to replay
 * (SYSTEM.LOG1/LOG2: the sequence numbers differ or the checksum is
 * wrong) and lastgood could not replay it. */
bool lg_registry_dirty(const struct lg_registry *r);
/* A dirty hive whose transaction logs were replayed on load (decisions and
 * edits are made on the recovered hive): the logs applied ("SYSTEM.LOG1,
 * SYSTEM.LOG2") and how many entries, else NULL. */
const char *lg_registry_replayed(const struct lg_registry *r, unsigned *entries);
/* The hive's state for the report's "registry" object: "dirty_hive", and
 * "replayed_log_entries" + "replayed_from", or "logs_unusable" (why). */
void lg_registry_report_state(const struct lg_registry *r, json_t *o);

/* The control sets in use ("ControlSet001"...), in Select order. */
size_t lg_registry_control_sets(const struct lg_registry *r, const char *const **names);

/* What one rule asks of the registry. */
struct lg_reg_request {
	const char *rule_id;
	const char *const *files;     /* volume-relative paths it quarantines ('/') */
	size_t n_files;
	const char *disable_service;  /* "registry": {"disable_service"}, or NULL */
	const char *remove_filter;    /* "registry": {"remove_filter"}, or NULL */
	bool allow_boot_critical;
};

/* lg_registry_check()'s answer for one rule. */
struct lg_reg_verdict {
	bool refused;                 /* quarantine nothing for this rule */
	char reason[640];             /* why, for the report and the console */
	char **services;              /* services to disable (key names as stored) */
	size_t n_services;
	char **filters;               /* names to remove from filter lists */
	size_t n_filters;
	bool boot_critical;           /* touches a boot-critical driver (allowed or not) */
	char critical_why[320];       /* which and why, also when allowed */
	char note[320];               /* e.g. a named service the hive does not have */
};
void lg_reg_verdict_clear(struct lg_reg_verdict *v);

/*
 * Decide, reading only. Services: every one, in any control set in use,
 * whose ImagePath resolves to one of the files, plus disable_service when
 * the hive has it; filter names: those services plus remove_filter.
 * Boot-critical (refused unless allow_boot_critical): a service or filter
 * name in the load-order groups Boot Bus Extender, System Bus Extender,
 * SCSI miniport, SCSI Class, Boot File System, FSFilter Bottom,
 * FSFilter Encryption, or a filter or the function driver of the disk
 * drive, storage volume, SCSI/RAID controller or IDE/SATA controller
 * classes (class keys and Enum device keys). A dirty hive refuses every
 * rule that has registry work. Returns 0 (refusal is a verdict, not an
 * error) or a negative errno for a hive that cannot be read.
 */
int lg_registry_check(struct lg_registry *r, const struct lg_reg_request *req,
		      struct lg_reg_verdict *v, struct lg_err *err);

/* Make the verdict's changes in memory (never for a refused verdict:
 * -EPERM). Start = 4 for each service whose Start is another DWORD; each
 * filter name out of every list that holds it. rule_id labels the changes
 * in the report. Returns the number of value changes made. */
int lg_registry_apply(struct lg_registry *r, const struct lg_reg_verdict *v, const char *rule_id,
		      struct lg_err *err);

/* Changes made so far. */
size_t lg_registry_n_changes(const struct lg_registry *r);

/* Report entries: [{"control_set", "key", "value", "type", "old", "new",
 * "name", "rule"}], DWORDs as numbers, lists as arrays of strings. */
json_t *lg_registry_report(const struct lg_registry *r);

/* The same in the form the journal records (adds "type_id", "old_hex",
 * "new_hex": the exact data), as lg_registry_revert() takes it. */
json_t *lg_registry_changes_json(const struct lg_registry *r);

/* Write the edited hive to a host path (base block: both sequence numbers
 * one higher, last-write time, checksum). */
int lg_registry_save(struct lg_registry *r, const char *path, struct lg_err *err);

/*
 * Write the changes to the volume the hive was loaded from, journalled as
 * one "registry" step (fields: hive, tmp, backup, sha256, size, changes
 * with old and new data). Nothing to do (no change) returns 0 and journals
 * nothing. A dirty hive is -EUCLEAN.
 */
int lg_registry_commit(struct lg_registry *r, struct lg_jwriter *w, struct lg_err *err);

/*
 * Set back the values of a journalled list of changes (the "changes" of a
 * registry step), newest first, on an open hive: each value that still
 * holds what lastgood wrote gets its old data; a filter list changed since
 * gets the removed name back at its old place if it is missing. Values
 * changed otherwise since are left and reported. results (may be NULL)
 * gets one object per change: {"control_set", "key", "value", "result"}.
 * Returns the number of values set back.
 */
int lg_registry_revert(struct lg_registry *r, json_t *changes, json_t *results, struct lg_err *err);

/* Journal hooks for a step whose op is "registry". complete: finish an
 * interrupted commit (or redo it when the edited copy never got written
 * whole). undo: revert on the volume's current SYSTEM hive and write it
 * back the same safe way (the hive as it was before the undo goes to
 * $LastGood/quarantine/<run>/registry/SYSTEM.before-undo). */
/* Whether a "registry" step read from a journal holds only what lastgood
 * writes: its file names are the run's, and every change is a service's
 * Start set to 4 or one name taken out of a filter list (the new value is
 * the old one without it). -EBADMSG with err saying which change. */
int lg_registry_step_valid(const char *run_id, const struct lg_step *s, struct lg_err *err);
int lg_registry_complete_step(struct lg_volume *v, const char *run_id, const struct lg_step *s,
			      struct lg_err *err);
int lg_registry_undo_step(struct lg_volume *v, const char *run_id, const struct lg_step *s,
			  json_t *results, struct lg_err *err);

#endif
