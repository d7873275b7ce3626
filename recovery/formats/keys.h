/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BitLocker key sources: CSV key files exported from Active Directory,
 * Entra ID or Intune, .BEK startup key files, and a recovery password typed
 * at the console. Keys are found by protector GUID, never by trying each.
 *
 * Everything here handles secrets. Recovery passwords and .BEK bytes live
 * only in a keyring (wiped by lg_keyring_free) and in buffers wiped before
 * they are freed; no message, return value or source string carries them.
 * The accepted CSV headers are listed in docs/bitlocker.md.
 */
#ifndef LG_KEYS_H
#define LG_KEYS_H

#include "lib/util.h"

/* "dddddd-dddddd-...": 8 groups of 6 digits and 7 dashes. */
#define LG_RP_LEN 55
#define LG_RP_DIGITS 48
/* Key files larger than this are refused (an AD export of 100,000
 * computers is about 25 MB). */
#define LG_KEYFILE_MAX (64u << 20)
/* A .BEK file is 156 to 180 bytes; anything this large is not one. */
#define LG_BEK_MAX 4096

enum lg_key_type {
	LG_KEY_RECOVERY_PASSWORD = 1,
	LG_KEY_STARTUP_KEY,       /* a .BEK file */
};

struct lg_key {
	enum lg_key_type type;
	unsigned char protector[16];  /* on-disk GUID byte order */
	char id[37];                  /* lowercase GUID text */
	char source[160];             /* "keys.csv line 12", "4381F759-....BEK" */
	char computer[64];            /* from the export, or "" */
	bool has_volume;
	unsigned char volume[16];     /* the volume GUID, when the key names one */
	char password[LG_RP_LEN + 1]; /* SECRET: normalised recovery password */
	unsigned char *bek;           /* SECRET: the .BEK file as read */
	size_t bek_len;
};

struct lg_keyring {
	struct lg_key *keys;
	size_t n, cap;
	size_t skipped;               /* CSV rows without a recovery password ("", "N/A") */
	size_t files;                 /* key files loaded */
};

struct lg_keyring *lg_keyring_new(void);
/* Wipes every key, then frees. Takes NULL. */
void lg_keyring_free(struct lg_keyring *kr);

/* A CSV key file: the header names the columns (any order, any case;
 * comma, semicolon or tab separated; UTF-8 with or without BOM, or
 * UTF-16LE with BOM; a PowerShell "#TYPE" line is skipped). Strict: any
 * malformed line rejects the whole file, nothing is added, and err says
 * "FILE:LINE:COLUMN: what" (or which header is missing). Rows whose
 * recovery password is empty or "N/A" are counted in kr->skipped.
 * Returns the number of keys added, or -EINVAL (malformed), -EFBIG, or an
 * errno from reading. name is used in messages and sources. */
int lg_keyring_parse_csv(struct lg_keyring *kr, const char *name, const char *buf, size_t len,
			 struct lg_err *err);
int lg_keyring_load_csv(struct lg_keyring *kr, const char *path, struct lg_err *err);

/* A .BEK startup key file. Returns 1 (added), 0 (the same key was
 * there already), -EINVAL (not a .BEK file: err says why) or an errno. */
int lg_keyring_parse_bek(struct lg_keyring *kr, const char *name, const unsigned char *buf,
			 size_t len, struct lg_err *err);
int lg_keyring_load_bek(struct lg_keyring *kr, const char *path, struct lg_err *err);

/* Every key file in a directory (the boot medium's \lastgood\): keys.csv
 * and *.BEK, names matched without regard to case. A missing directory
 * or one without key files adds nothing and is not an error. Returns the
 * number of keys added or the first file's error. */
int lg_keyring_load_dir(struct lg_keyring *kr, const char *dir, struct lg_err *err);

/* What the CLI's --keys takes: a directory (as lg_keyring_load_dir), a
 * file ending in .BEK (any case), or a CSV key file. Returns the number of
 * keys added or a negative errno with err set. */
int lg_keyring_load(struct lg_keyring *kr, const char *path, struct lg_err *err);

/* One recovery password for a protector (from a fleet server's answer):
 * normalised as lg_rp_normalize() does. Returns 1 (added), 0 (the same key
 * was there already), -EINVAL (not a recovery password: err says which
 * group, never the password) or -ENOMEM. source names where it came from. */
int lg_keyring_add_password(struct lg_keyring *kr, const unsigned char protector[16], const char *pw,
			    size_t len, const char *source, struct lg_err *err);

/* The key for this protector, or NULL. */
const struct lg_key *lg_keyring_find(const struct lg_keyring *kr, enum lg_key_type type,
				     const unsigned char protector[16]);

/* ---- recovery passwords --------------------------------------------------- */

/* Check one 6-digit group: returns 0 and its value / 11 in *word, or
 * -EINVAL (not 6 digits), -EDOM (not divisible by 11), -ERANGE (the
 * quotient does not fit 16 bits: 720896 or more). */
int lg_rp_group_check(const char *six, unsigned *word);

/* Why lg_rp_group_check() refused a group (its negative return), in words
 * that follow "group N ". */
const char *lg_rp_group_error(int r);

/* Normalise a recovery password typed or exported with or without dashes
 * (spaces also separate groups) into out ("dddddd-...-dddddd").
 * -EINVAL with err naming the wrong group and why, or the digit count.
 * err never holds the password itself, only the wrong group's digits. */
int lg_rp_normalize(const char *in, size_t len, char out[LG_RP_LEN + 1], struct lg_err *err);

#endif
