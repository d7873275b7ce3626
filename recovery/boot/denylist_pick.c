// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which deny-list this boot uses (docs/cmdline.md, "Which deny-list is
 * used"): the built-in one, the stub's hand-over, the boot medium's and
 * the fleet server's (network.c); every candidate is verified against the image's trusted keys,
 * the newest valid one is kept, verified, for the engine (once per boot:
 * the engine child gets the list itself, not its path to check again).
 */
#include "boot/pid1.h"

#include "boot/console.h"
#include "formats/denylist.h"

#include <time.h>

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

static int try_denylist(struct init_state *s, const struct trust *t, const char *path, const char *label)
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
	struct lg_denylist *dl = NULL;
	int r = lg_denylist_load(path, NULL, (const char *const *)t->paths, t->n, time(NULL), &dl, &err);
	if (slot)
		slot->result = r;
	if (r < 0) {
		lg_con_printf("    %s: REJECTED: %s", label, err.msg);
		return r;
	}
	lg_con_printf("    %s: serial %lld, signed by key %s, %zu rule%s", label, (long long)dl->serial, dl->key_id,
		      dl->n_rules, dl->n_rules == 1 ? "" : "s");
	if (!s->list || dl->serial > s->list->serial) {
		/* this one is kept for the engine: verified once, not again */
		lg_denylist_free(s->list);
		s->list = dl;
		snprintf(s->denylist, sizeof(s->denylist), "%s", path);
		s->serial = dl->serial;
	} else {
		lg_denylist_free(dl);
	}
	return 0;
}

bool pid1_pick_denylist(struct init_state *s)
{
	pid1_phase_begin(s, PH_DENYLIST, "Checking deny-lists");
	struct lg_err err = { "" };
	struct trust tr = { NULL, 0 }, *t = &tr;
	int r = lg_trust_keys_in_dir(LG_TRUST_DIR_DEFAULT, &t->paths, &t->n, &err);
	if (r < 0 || t->n == 0) {
		lg_con_printf("    no trusted key in %s%s%s", LG_TRUST_DIR_DEFAULT, r < 0 ? ": " : "", r < 0 ? err.msg : "");
		lg_trust_keys_free(t->paths, t->n);
		pid1_phase_end(s, PH_DENYLIST);
		return false;
	}
	if (s->demo)
		lg_con_printf("    DEMO KEY: this image trusts a key made when it was built; for tests only");
	if (s->opts.denylist[0]) {
		/* Asked for by name: that one or none. */
		try_denylist(s, t, s->opts.denylist, s->opts.denylist);
		if (!s->list)
			lg_con_printf("    %s (lastgood.denylist=) cannot be used", s->opts.denylist);
	} else {
		/* The built-in one, then newer ones (higher serial) from the
		 * stub's hand-over and the medium; equal serials keep the first. */
		try_denylist(s, t, BAKED_DENYLIST, "built-in deny-list");
		try_denylist(s, t, OVERRIDE_DENYLIST, "deny-list handed over at boot");
		if (s->medium_mounted)
			try_denylist(s, t, MEDIUM_DENYLIST, "deny-list on the boot medium");
		if (pid1_net_denylist(s))
			try_denylist(s, t, FLEET_DENYLIST, "deny-list from the fleet server");
	}
	checked_free();
	lg_trust_keys_free(t->paths, t->n);
	if (s->list)
		lg_con_printf("    using %s (serial %lld)", s->denylist, (long long)s->serial);
	pid1_phase_end(s, PH_DENYLIST);
	return s->list != NULL;
}
