/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a run may touch (internal; docs/engine.md, "Policies"). Each check
 * that says no sets the volume's status and reason in the report and the
 * run's exit code, and returns false (or the refusal's text).
 */
#ifndef LG_ENGINE_POLICY_H
#define LG_ENGINE_POLICY_H

#include "engine/run_ctx.h"

struct lg_match;
struct lg_rule;
struct lg_reg_verdict;

/* Windows is hibernated on the volume (Fast Startup or hibernation). */
bool lg_policy_hibernated(const struct lg_volinfo *vi);

/* Whether dev (a block device) or one of its partitions is mounted on this
 * host; where receives the mount point. */
bool lg_policy_mounted(const char *dev, char *where, size_t wlen);

/* Before the volume is opened, for a fix: not mounted on this host (unless
 * --force), not hibernated (unless --discard-hibernation), not dirty with
 * --refuse-dirty. A dirty volume's NTFS log is replayed here. Scan: true. */
bool lg_policy_may_open(struct lg_vol_ctx *vol);

/* lg_volume_open flags the run's policy allows (LG_VOL_*). */
unsigned lg_policy_open_flags(const struct lg_vol_ctx *vol);

/* Once the volume is open: the serial applied before (state.json, or the
 * journals when it is damaged) into vol->stored_serial and the report's
 * "applied_serial"; a deny-list older than it is refused (anti-rollback). */
bool lg_policy_state(struct lg_vol_ctx *vol);

/* Why lastgood will not act on this match (a directory, a reparse point, a
 * name it cannot show exactly), or NULL. */
const char *lg_policy_match_refusal(const struct lg_match *m);

/* Whether rule's quarantines (files, nf) may move with the registry as it
 * is (vol->reg; load_err says why it is NULL): NULL when they may, vd then
 * holding the services and filters they need; else why not, in why. A
 * boot-critical driver needs the rule's allow_boot_critical; without the
 * hive nothing that may be a driver moves. Reads only. */
const char *lg_policy_registry(struct lg_vol_ctx *vol, const struct lg_rule *rule, const char **files,
			       size_t nf, const char *load_err, struct lg_reg_verdict *vd, char *why,
			       size_t wlen);

#endif
