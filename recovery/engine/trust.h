/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trust boundary on the Windows volume (docs/engine.md, "Trust
 * boundary"). lastgood runs as root, usually unattended, on volumes any
 * standard Windows user could write to, and \$LastGood is on that volume:
 * what it holds is believed only when
 *
 *  - \$LastGood, the folder holding the file (journal\) and the file
 *    itself have a security descriptor that gives nobody but SYSTEM and
 *    Administrators any right (owner one of them; storage/secdesc.h):
 *    a standard user can neither create such a file nor change one; and
 *  - a journal passes every invariant of lg_journal_check() and
 *    lg_registry_step_valid(); a state file parses and its serial is
 *    possible (at most LG_SERIAL_MAX).
 *
 * A \$LastGood folder that fails the first test is set aside whole
 * (renamed \$LastGood.untrusted-<run-id>, kept, named in the report) by
 * fix, and ignored by scan; nothing in it is acted on. A journal or state
 * file that fails is set aside into \$LastGood\set-aside\<run-id>\ (fix)
 * or ignored (scan), named in the report, and the run goes on.
 *
 * Report fields (the volume's object): "lastgood_dir" {"trusted", "why",
 * "moved_to"}, "set_aside" [{"path", "why", "moved_to"}], "ignored"
 * [{"path", "why"}], "state_rebuilt", "unfinished_undo" [run ids].
 */
#ifndef LG_TRUST_H
#define LG_TRUST_H

#include "engine/journal.h"
#include "storage/volume.h"

/* Highest deny-list serial a state file may hold: a larger one is damage. */
#define LG_SERIAL_MAX ((int64_t)1 << 40)

/* 1 when the file or folder at path has a descriptor lastgood trusts,
 * 0 when not (why: static text), negative errno when it cannot be read
 * (-ENOENT: not there). */
int lg_trust_path(struct lg_volume *v, const char *path, const char **why);

/* The whole check of a journal read from $LastGood/journal/<file_name>:
 * descriptors of the folders and the file, then every record. */
int lg_trust_journal_file(struct lg_volume *v, const char *file_name, struct lg_journal **out,
			  struct lg_err *err);

/* Before a run reads anything of \$LastGood: check the folder. fix sets
 * an untrusted one aside; scan ignores it. *usable is false when what is
 * in \$LastGood must not be read (scan, untrusted). Reports into vr. */
int lg_trust_prepare(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, bool *usable,
		     struct lg_err *err);

/* The applied serial from \$LastGood\state.json (-1: none), a damaged or
 * untrusted state file set aside (fix) or ignored (scan) and the serial
 * then taken from the trusted journals. */
int lg_trust_read_state(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, int64_t *serial,
			struct lg_err *err);

/* Interrupted runs: every journal is checked; a trusted one without its
 * end record is completed (fix) or reported (scan); what fails is set
 * aside (fix) or ignored (scan), and the run goes on. */
int lg_trust_pending(struct lg_volume *v, bool fix, const char *run_id, json_t *vr, struct lg_err *err);

#endif
