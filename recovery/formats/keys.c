// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BitLocker key sources (see keys.h and docs/bitlocker.md).
 *
 * The CSV reader follows RFC 4180 (quoted fields, "" inside quotes, CRLF
 * or LF) plus what Windows tools write: a UTF-8 BOM (Excel), UTF-16LE
 * with BOM (PowerShell 5's Out-File), a "#TYPE ..." first line
 * (Export-Csv without -NoTypeInformation), semicolons (Excel in locales
 * whose decimal separator is a comma). It is strict: the file is a
 * recovery team's list of secrets, and a half-read list that silently
 * misses keys is worse than a clear message naming the line.
 *
 * The .BEK layout (libbde's documentation, cryptsetup's BITLK code):
 * a 48-byte header like the FVE metadata header (size = file size,
 * version 1, the protector GUID at 16), then one startup key entry
 * (type 6, value type 9: external key) holding the same GUID, a time,
 * and properties: the 32-byte key, the name "ExternalKey", and on
 * Windows 11 the volume GUID the key belongs to.
 */
#include "formats/keys.h"
#include "lib/guid.h"
#include "lib/le.h"
#include "lib/utf16.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* ---- keyring ------------------------------------------------------------ */

struct lg_keyring *lg_keyring_new(void)
{
	return calloc(1, sizeof(struct lg_keyring));
}

static void key_wipe(struct lg_key *k)
{
	if (k->bek) {
		lg_wipe(k->bek, k->bek_len);
		free(k->bek);
	}
	lg_wipe(k, sizeof(*k));
}

void lg_keyring_free(struct lg_keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->n; i++)
		key_wipe(&kr->keys[i]);
	if (kr->keys) {
		lg_wipe(kr->keys, kr->cap * sizeof(*kr->keys));
		free(kr->keys);
	}
	free(kr);
}

/* realloc() would leave a copy of every password in the freed block:
 * grow by hand and wipe the old array. */
static struct lg_key *keyring_add(struct lg_keyring *kr)
{
	if (kr->n == kr->cap) {
		size_t ncap = kr->cap ? kr->cap * 2 : 16;
		struct lg_key *nk = calloc(ncap, sizeof(*nk));
		if (!nk)
			return NULL;
		if (kr->keys) {
			memcpy(nk, kr->keys, kr->n * sizeof(*nk));
			lg_wipe(kr->keys, kr->cap * sizeof(*nk));
			free(kr->keys);
		}
		kr->keys = nk;
		kr->cap = ncap;
	}
	struct lg_key *k = &kr->keys[kr->n++];
	memset(k, 0, sizeof(*k));
	return k;
}

/* Drop keys [from, n): a file that failed leaves nothing behind. */
static void keyring_truncate(struct lg_keyring *kr, size_t from)
{
	while (kr->n > from)
		key_wipe(&kr->keys[--kr->n]);
}

const struct lg_key *lg_keyring_find(const struct lg_keyring *kr, enum lg_key_type type,
				     const unsigned char protector[16])
{
	for (size_t i = 0; kr && i < kr->n; i++)
		if (kr->keys[i].type == type && !memcmp(kr->keys[i].protector, protector, 16))
			return &kr->keys[i];
	return NULL;
}

static int key_cmp(const void *a, const void *b)
{
	const struct lg_key *x = *(const struct lg_key *const *)a, *y = *(const struct lg_key *const *)b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	int c = memcmp(x->protector, y->protector, 16);
	if (c)
		return c;
	return x < y ? -1 : x > y ? 1 : 0; /* file order among equals */
}

static bool key_same_secret(const struct lg_key *a, const struct lg_key *b)
{
	if (a->type == LG_KEY_RECOVERY_PASSWORD)
		return !strcmp(a->password, b->password);
	return a->bek_len == b->bek_len && !memcmp(a->bek, b->bek, a->bek_len);
}

/* Keys from `from` on are new. The same key given twice (an AD export
 * keeps old entries, two exports overlap) is kept once; one protector
 * with two different keys is an error, since only one of them can be
 * right and trying both is what matching by GUID avoids. */
static int keyring_dedup(struct lg_keyring *kr, size_t from, struct lg_err *err)
{
	if (kr->n - from == 0)
		return 0;
	_cleanup_free_ struct lg_key **idx = malloc(kr->n * sizeof(*idx));
	_cleanup_free_ bool *drop = calloc(kr->n, sizeof(*drop));
	if (!idx || !drop)
		return -ENOMEM;
	for (size_t i = 0; i < kr->n; i++)
		idx[i] = &kr->keys[i];
	qsort(idx, kr->n, sizeof(*idx), key_cmp);
	for (size_t i = 1; i < kr->n; i++) {
		const struct lg_key *a = idx[i - 1], *b = idx[i];
		if (a->type != b->type || memcmp(a->protector, b->protector, 16))
			continue;
		if (!key_same_secret(a, b)) {
			/* Where, not what: no field of a key file is echoed. */
			lg_err_set(err, "%s: the same key id as %s, with a different %s", b->source, a->source,
				   b->type == LG_KEY_RECOVERY_PASSWORD ? "recovery password" : "key");
			return -EINVAL;
		}
		drop[b - kr->keys] = true;
	}
	/* compact, keeping the first of equal keys */
	size_t w = from;
	for (size_t i = from; i < kr->n; i++) {
		if (drop[i]) {
			key_wipe(&kr->keys[i]);
			continue;
		}
		if (w != i) {
			kr->keys[w] = kr->keys[i];
			lg_wipe(&kr->keys[i], sizeof(kr->keys[i]));
		}
		w++;
	}
	kr->n = w;
	return 0;
}

/* Read a key file into one allocation of exactly its size, so that no
 * stale copy of it is left in freed memory; the caller wipes it. */
static int read_secret(const char *path, size_t max, unsigned char **buf, size_t *len, struct lg_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		lg_err_set(err, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		lg_err_set(err, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		lg_err_set(err, "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		lg_err_set(err, "%s: %llu bytes, more than a key file may have (%zu)", path,
			   (unsigned long long)st.st_size, max);
		return -EFBIG;
	}
	size_t cap = (size_t)st.st_size;
	unsigned char *b = malloc(cap + 1);
	if (!b)
		return -ENOMEM;
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			lg_wipe(b, cap);
			free(b);
			lg_err_set(err, "%s: %s", path, strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- recovery passwords ------------------------------------------------- */

int lg_rp_group_check(const char *six, unsigned *word)
{
	unsigned v = 0;
	for (int i = 0; i < 6; i++) {
		if (six[i] < '0' || six[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(six[i] - '0');
	}
	if (v % 11)
		return -EDOM;
	if (v / 11 > 0xffff)
		return -ERANGE;
	if (word)
		*word = v / 11;
	return 0;
}

const char *lg_rp_group_error(int r)
{
	return r == -EDOM ? "is not divisible by 11 (a mistyped digit?)"
			  : "is too large (every group is below 720896)";
}

int lg_rp_normalize(const char *in, size_t len, char out[LG_RP_LEN + 1], struct lg_err *err)
{
	char d[LG_RP_DIGITS];
	size_t n = 0;
	int r = -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c >= '0' && c <= '9') {
			if (n == LG_RP_DIGITS) {
				lg_err_set(err, "more than %d digits (a recovery password is 8 groups of 6)", LG_RP_DIGITS);
				goto out;
			}
			d[n++] = c;
			if (n % 6 == 0) {
				int g = lg_rp_group_check(d + n - 6, NULL);
				if (g < 0) {
					lg_err_set(err, "group %zu %s", n / 6, lg_rp_group_error(g));
					goto out;
				}
			}
			continue;
		}
		if (c == '-' || c == ' ') {
			/* separators only between groups: a dash after five
			 * digits means a digit is missing, say so here rather
			 * than as a wrong group later */
			if (n % 6 || n == 0 || n == LG_RP_DIGITS) {
				if (n % 6)
					lg_err_set(err, "group %zu has %zu digit%s, a group has 6", n / 6 + 1, n % 6,
						   n % 6 == 1 ? "" : "s");
				else
					lg_err_set(err, "a separator at character %zu is not between two groups", i + 1);
				goto out;
			}
			/* "123456 - 234567": a run of separators is one */
			while (i + 1 < len && (in[i + 1] == ' ' || in[i + 1] == '-'))
				i++;
			continue;
		}
		/* Its place, never the character: it may be a terminal control,
		 * or part of a key typed or filed in the wrong column (issue 16). */
		lg_err_set(err, "character %zu is not a digit (not shown)", i + 1);
		goto out;
	}
	if (n != LG_RP_DIGITS) {
		lg_err_set(err, "%zu digits, a recovery password has %d (8 groups of 6)", n, LG_RP_DIGITS);
		goto out;
	}
	for (size_t g = 0, o = 0; g < 8; g++) {
		memcpy(out + o, d + 6 * g, 6);
		o += 6;
		if (g < 7)
			out[o++] = '-';
	}
	out[LG_RP_LEN] = 0;
	r = 0;
out:
	lg_wipe(d, sizeof(d));
	return r;
}

/* ---- CSV key files -------------------------------------------------------- */

#define CSV_MAX_FIELDS 64
#define CSV_MAX_RECORD (64 * 1024)

struct csv {
	const char *p, *end;
	size_t line;             /* of p */
	const char *line_start;
	char delim;
	const char *name;
};

struct csv_field {
	char *s;                 /* NUL-terminated, in the record buffer */
	size_t len;
	size_t line, col;
	bool quoted;
};

/* One record into buf (cap bytes): returns the number of fields, 0 at
 * the end of the input, or -EINVAL with err set. */
static int csv_record(struct csv *c, char *buf, size_t cap, struct csv_field *f, struct lg_err *err)
{
	size_t nf = 0, o = 0;
	/* blank lines and '#' comment lines between records */
	for (;;) {
		if (c->p == c->end)
			return 0;
		if (*c->p == '\n' || *c->p == '\r') {
			if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
				c->p++;
			c->p++;
			c->line++;
			c->line_start = c->p;
			continue;
		}
		if (*c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
			continue;
		}
		break;
	}
	for (;;) {
		if (nf == CSV_MAX_FIELDS) {
			lg_err_set(err, "%s:%zu: more than %d fields", c->name, c->line, CSV_MAX_FIELDS);
			return -EINVAL;
		}
		struct csv_field *fl = &f[nf++];
		fl->line = c->line;
		fl->col = (size_t)(c->p - c->line_start) + 1;
		fl->quoted = false;
		size_t start = o;
		if (c->p < c->end && *c->p == '"') {
			fl->quoted = true;
			size_t qline = c->line, qcol = fl->col;
			c->p++;
			for (;;) {
				if (c->p == c->end) {
					lg_err_set(err, "%s:%zu:%zu: quoted field never closed", c->name, qline, qcol);
					return -EINVAL;
				}
				char ch = *c->p++;
				if (ch == '"') {
					if (c->p < c->end && *c->p == '"') {
						c->p++;
					} else {
						break;
					}
				} else if (ch == '\n') {
					c->line++;
					c->line_start = c->p;
				}
				if (o + 1 >= cap) {
					lg_err_set(err, "%s:%zu: record longer than %d bytes", c->name, qline, CSV_MAX_RECORD);
					return -EINVAL;
				}
				buf[o++] = ch;
			}
			if (c->p < c->end && *c->p != c->delim && *c->p != '\n' && *c->p != '\r') {
				lg_err_set(err, "%s:%zu:%zu: text after the closing quote of a field", c->name, c->line,
					   (size_t)(c->p - c->line_start) + 1);
				return -EINVAL;
			}
		} else {
			while (c->p < c->end && *c->p != c->delim && *c->p != '\n' && *c->p != '\r') {
				if (*c->p == '"') {
					lg_err_set(err, "%s:%zu:%zu: quote inside a field that does not start with one",
						   c->name, c->line, (size_t)(c->p - c->line_start) + 1);
					return -EINVAL;
				}
				if (o + 1 >= cap) {
					lg_err_set(err, "%s:%zu: record longer than %d bytes", c->name, c->line, CSV_MAX_RECORD);
					return -EINVAL;
				}
				buf[o++] = *c->p++;
			}
			/* spaces around unquoted fields are layout, not data */
			while (o > start && (buf[o - 1] == ' ' || buf[o - 1] == '\t'))
				o--;
			size_t lead = 0;
			while (start + lead < o && (buf[start + lead] == ' ' || buf[start + lead] == '\t'))
				lead++;
			if (lead) {
				memmove(buf + start, buf + start + lead, o - start - lead);
				o -= lead;
				fl->col += lead;
			}
		}
		buf[o++] = 0;
		fl->s = buf + start;
		fl->len = o - 1 - start;
		if (c->p < c->end && *c->p == c->delim) {
			c->p++;
			continue;
		}
		/* end of record */
		if (c->p < c->end) {
			if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
				c->p++;
			c->p++;
			c->line++;
			c->line_start = c->p;
		}
		return (int)nf;
	}
}

enum col_role { COL_NONE, COL_ID, COL_PASSWORD, COL_COMPUTER, COL_VOLUME, COL_DN, COL_NAME };

/* Normalised header names (lowercase, letters and digits only), in order
 * of preference within each role. Keep docs/bitlocker.md in step. */
static const struct { const char *name; enum col_role role; } header_names[] = {
	{ "keyprotectorid", COL_ID },          /* Get-BitLockerVolume */
	{ "bitlockerkeyid", COL_ID },          /* Graph exports (michev.info and others) */
	{ "bitlockerrecoverykeyid", COL_ID },
	{ "recoverykeyid", COL_ID },           /* Entra/Intune portal wording */
	{ "keyid", COL_ID },
	{ "passwordid", COL_ID },              /* BitLocker Recovery Password Viewer */
	{ "protectorid", COL_ID },
	{ "msfverecoveryguid", COL_ID },       /* AD attribute, when exported as text */
	{ "recoveryguid", COL_ID },
	{ "id", COL_ID },                      /* Graph bitlockerRecoveryKey.id */
	{ "recoverypassword", COL_PASSWORD },
	{ "msfverecoverypassword", COL_PASSWORD }, /* Get-ADObject msFVE-RecoveryInformation */
	{ "bitlockerrecoverypassword", COL_PASSWORD },
	{ "bitlockerrecoverykey", COL_PASSWORD },
	{ "recoverykey", COL_PASSWORD },
	{ "bitlockerkey", COL_PASSWORD },
	{ "key", COL_PASSWORD },               /* Graph bitlockerRecoveryKey.key */
	{ "computername", COL_COMPUTER },
	{ "computer", COL_COMPUTER },
	{ "devicename", COL_COMPUTER },
	{ "device", COL_COMPUTER },
	{ "displayname", COL_COMPUTER },
	{ "hostname", COL_COMPUTER },
	{ "machinename", COL_COMPUTER },
	{ "machine", COL_COMPUTER },
	{ "msfvevolumeguid", COL_VOLUME },
	{ "volumeguid", COL_VOLUME },
	{ "volumeid", COL_VOLUME },
	{ "volume", COL_VOLUME },
	{ "distinguishedname", COL_DN },       /* CN=<time>{GUID},CN=<computer>,... */
	{ "name", COL_NAME },                  /* AD: <time>{GUID}; elsewhere a computer name */
};

static void header_norm(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 1 < cap; s++)
		if (isalnum((unsigned char)*s))
			out[o++] = (char)tolower((unsigned char)*s);
	out[o] = 0;
}

static const char *accepted(enum col_role role, char *buf, size_t cap)
{
	static const char *const shown_id = "KeyProtectorId, BitLockerKeyId, RecoveryKeyId, KeyId, PasswordId, "
					    "ProtectorId, Id, or msFVE-RecoveryInformation's Name/DistinguishedName";
	static const char *const shown_pw = "RecoveryPassword, msFVE-RecoveryPassword, BitLockerRecoveryKey, "
					    "RecoveryKey, Key";
	snprintf(buf, cap, "%s", role == COL_ID ? shown_id : shown_pw);
	return buf;
}

/* Printable, bounded copy of a field for a message (never a password). */
static void shown(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 4 < cap; s++)
		out[o++] = isprint((unsigned char)*s) ? *s : '?';
	if (*s && cap > 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

/* A GUID in a field: bare, in braces, or inside an AD object name
 * ("2024-07-19T05:27:00-00:00{GUID}", "CN=...{GUID},CN=PC01,..."). */
static int field_guid(const char *s, size_t len, unsigned char g[16])
{
	const char *open = memchr(s, '{', len);
	if (open) {
		const char *close = memchr(open, '}', len - (size_t)(open - s));
		if (!close)
			return -EINVAL;
		return lg_guid_parse(open, (size_t)(close - open) + 1, g);
	}
	return lg_guid_parse(s, len, g);
}

/* The computer of an AD recovery object: its parent's CN. */
static void dn_computer(const char *dn, char *out, size_t cap)
{
	out[0] = 0;
	const char *p = dn;
	/* skip the first RDN, minding escaped commas */
	while (*p && !(*p == ',' && (p == dn || p[-1] != '\\')))
		p++;
	if (strncasecmp(p, ",CN=", 4))
		return;
	p += 4;
	size_t o = 0;
	while (*p && !(*p == ',' && p[-1] != '\\') && o + 1 < cap) {
		if (*p != '\\')
			out[o++] = *p;
		p++;
	}
	out[o] = 0;
}

static char detect_delim(const char *p, const char *end)
{
	size_t counts[3] = { 0, 0, 0 };
	static const char cand[3] = { ',', ';', '\t' };
	bool q = false;
	for (; p < end && (q || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"')
			q = !q;
		for (int i = 0; !q && i < 3; i++)
			counts[i] += *p == cand[i];
	}
	int best = 0;
	for (int i = 1; i < 3; i++)
		if (counts[i] > counts[best])
			best = i;
	return cand[best];
}

/* Which column holds what, from the header record f[0..nh). */
struct csv_cols {
	int col[COL_NAME + 1];  /* by role, -1 when absent */
	int id_col;             /* the recovery key id: COL_ID, COL_DN or (AD) COL_NAME */
	size_t header_line;
};

static int csv_columns(const char *name, const struct csv_field *f, int nh, struct csv_cols *c,
		       struct lg_err *err)
{
	int *col = c->col;
	c->header_line = f[0].line;
	int prio[COL_NAME + 1];
	for (int i = 0; i <= COL_NAME; i++)
		col[i] = -1, prio[i] = 1 << 30;
	for (int i = 0; i < nh; i++) {
		char norm[64];
		header_norm(f[i].s, norm, sizeof(norm));
		for (size_t k = 0; k < ARRAY_SIZE(header_names); k++) {
			if (strcmp(norm, header_names[k].name))
				continue;
			enum col_role role = header_names[k].role;
			if ((int)k < prio[role]) {
				prio[role] = (int)k;
				col[role] = i;
			}
		}
	}
	/* AD exports: Name is "<time>{GUID}" of the recovery object when the
	 * file is one (it has msFVE-RecoveryPassword); elsewhere Name is the
	 * computer. */
	bool ad = col[COL_PASSWORD] >= 0 && !strcmp(header_names[prio[COL_PASSWORD]].name, "msfverecoverypassword");
	int id_from_name = -1;
	c->id_col = col[COL_ID];
	if (c->id_col < 0 && col[COL_DN] >= 0)
		c->id_col = col[COL_DN];
	if (c->id_col < 0 && ad && col[COL_NAME] >= 0)
		c->id_col = id_from_name = col[COL_NAME];
	if (col[COL_COMPUTER] < 0 && col[COL_NAME] >= 0 && col[COL_NAME] != id_from_name && !ad)
		col[COL_COMPUTER] = col[COL_NAME];
	char acc[256];
	if (col[COL_PASSWORD] < 0) {
		/* The header's own text is not echoed: a file without a header
		 * line has a key in its place. */
		lg_err_set(err, "%s:%zu: no recovery password column among the header's %d fields (accepted: %s)",
			   name, c->header_line, nh, accepted(COL_PASSWORD, acc, sizeof(acc)));
		return -EINVAL;
	}
	if (c->id_col < 0) {
		lg_err_set(err, "%s:%zu: no recovery key id column among the header's %d fields (accepted: %s)",
			   name, c->header_line, nh, accepted(COL_ID, acc, sizeof(acc)));
		return -EINVAL;
	}
	return 0;
}

/* One record: a recovery password added to kr (0), or skipped because it
 * is empty or "N/A" (1), or a message naming the line (-EINVAL). */
static int csv_key(struct lg_keyring *kr, const char *name, const struct csv_field *f, size_t line,
		   const struct csv_cols *c, struct lg_err *err)
{
	const int *col = c->col;
	const struct csv_field *pw = &f[col[COL_PASSWORD]], *id = &f[c->id_col];
	if (pw->len == 0 || !strcasecmp(pw->s, "N/A") || !strcasecmp(pw->s, "null"))
		return 1;
	unsigned char guid[16];
	if (field_guid(id->s, id->len, guid) < 0) {
		/* Never echoed: with the columns swapped it is the key. */
		lg_err_set(err, "%s:%zu:%zu: the key id column (column %d) does not hold a GUID (like "
			   "64311DEA-4587-4029-924A-BA299647998E); what it holds is not shown (are the columns "
			   "swapped?)", name, id->line, id->col, c->id_col + 1);
		return -EINVAL;
	}
	struct lg_key *k = keyring_add(kr);
	if (!k)
		return -ENOMEM;
	k->type = LG_KEY_RECOVERY_PASSWORD;
	memcpy(k->protector, guid, 16);
	lg_guid_format(guid, k->id);
	snprintf(k->source, sizeof(k->source), "%s line %zu", base_name(name), line);
	struct lg_err perr = { "" };
	if (lg_rp_normalize(pw->s, pw->len, k->password, &perr) < 0) {
		lg_err_set(err, "%s:%zu:%zu: the recovery password (field %d): %s", name, pw->line, pw->col,
			   col[COL_PASSWORD] + 1, perr.msg);
		return -EINVAL;
	}
	if (col[COL_COMPUTER] >= 0)
		shown(f[col[COL_COMPUTER]].s, k->computer, sizeof(k->computer));
	else if (col[COL_DN] >= 0)
		dn_computer(f[col[COL_DN]].s, k->computer, sizeof(k->computer));
	if (col[COL_VOLUME] >= 0) {
		const struct csv_field *v = &f[col[COL_VOLUME]];
		k->has_volume = field_guid(v->s, v->len, k->volume) == 0;
	}
	return 0;
}

int lg_keyring_parse_csv(struct lg_keyring *kr, const char *name, const char *buf, size_t len,
			 struct lg_err *err)
{
	char *conv = NULL;
	size_t conv_len = 0;
	const unsigned char *u = (const unsigned char *)buf;
	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		/* UTF-16LE (after its BOM): the ASCII-only content of a key
		 * file is what matters, anything else becomes '?'. */
		conv = lg_utf16_to_utf8_dup(u + 2, (len - 2) / 2, LG_UTF16_ASCII, &conv_len);
		if (!conv)
			return -ENOMEM;
		buf = conv;
		len = conv_len;
	} else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		lg_err_set(err, "%s: UTF-16 big-endian: save it as UTF-8 or UTF-16LE", name);
		return -EINVAL;
	} else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		buf += 3;
		len -= 3;
	}
	const char *nul = memchr(buf, 0, len);
	char *rec = malloc(CSV_MAX_RECORD);
	struct csv_field *f = calloc(CSV_MAX_FIELDS, sizeof(*f));
	size_t first = kr->n, skipped = 0;
	int r = -EINVAL;
	if (!rec || !f) {
		r = -ENOMEM;
		goto out;
	}
	if (nul) {
		size_t line = 1;
		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		lg_err_set(err, "%s:%zu: NUL byte (a UTF-16 file without byte order mark?)", name, line);
		goto out;
	}

	struct csv c = { .p = buf, .end = buf + len, .line = 1, .line_start = buf, .name = name };
	/* PowerShell 5's Export-Csv writes "#TYPE <class>" first; the
	 * comment skipping in csv_record covers it. */
	const char *h = buf;
	while (h < c.end && (*h == '#' || *h == '\n' || *h == '\r')) {
		while (h < c.end && *h != '\n')
			h++;
		if (h < c.end)
			h++;
	}
	c.delim = detect_delim(h, c.end);

	int nh = csv_record(&c, rec, CSV_MAX_RECORD, f, err);
	if (nh <= 0) {
		if (nh == 0)
			lg_err_set(err, "%s: empty: no header line", name);
		goto out;
	}
	struct csv_cols cols;
	if (csv_columns(name, f, nh, &cols, err) < 0)
		goto out;

	for (;;) {
		int n = csv_record(&c, rec, CSV_MAX_RECORD, f, err);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		size_t line = f[0].line;
		if (n != nh) {
			lg_err_set(err, "%s:%zu: %d field%s, the header (line %zu) has %d", name, line, n,
				   n == 1 ? "" : "s", cols.header_line, nh);
			goto out;
		}
		int q = csv_key(kr, name, f, line, &cols, err);
		if (q < 0) {
			r = q;
			goto out;
		}
		skipped += (size_t)q;
	}
	r = keyring_dedup(kr, first, err);
	if (r == 0) {
		r = (int)(kr->n - first);
		kr->skipped += skipped;
		kr->files++;
	}
out:
	if (r < 0)
		keyring_truncate(kr, first);
	if (rec) {
		lg_wipe(rec, CSV_MAX_RECORD);
		free(rec);
	}
	if (f) {
		lg_wipe(f, CSV_MAX_FIELDS * sizeof(*f));
		free(f);
	}
	if (conv) {
		lg_wipe(conv, conv_len);
		free(conv);
	}
	return r;
}

int lg_keyring_add_password(struct lg_keyring *kr, const unsigned char protector[16], const char *pw,
			    size_t len, const char *source, struct lg_err *err)
{
	size_t first = kr->n;
	struct lg_key *k = keyring_add(kr);
	if (!k)
		return -ENOMEM;
	k->type = LG_KEY_RECOVERY_PASSWORD;
	memcpy(k->protector, protector, 16);
	lg_guid_format(protector, k->id);
	snprintf(k->source, sizeof(k->source), "%s", source);
	struct lg_err perr = { "" };
	int r = lg_rp_normalize(pw, len, k->password, &perr);
	if (r < 0) {
		lg_err_set(err, "%s: recovery password for key id %s: %s", source, k->id, perr.msg);
		keyring_truncate(kr, first);
		return r;
	}
	if ((r = keyring_dedup(kr, first, err)) < 0) {
		keyring_truncate(kr, first);
		return r;
	}
	return (int)(kr->n - first);
}

int lg_keyring_load_csv(struct lg_keyring *kr, const char *path, struct lg_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r = read_secret(path, LG_KEYFILE_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	r = lg_keyring_parse_csv(kr, path, (const char *)buf, len, err);
	lg_wipe(buf, len);
	free(buf);
	return r;
}

/* ---- .BEK startup key files ----------------------------------------------- */

#define BEK_HDR 48
#define BEK_ENTRY_HDR 8
#define BEK_EXTKEY_HDR 24

int lg_keyring_parse_bek(struct lg_keyring *kr, const char *name, const unsigned char *buf,
			 size_t len, struct lg_err *err)
{
	if (len < BEK_HDR + BEK_ENTRY_HDR + BEK_EXTKEY_HDR || len > LG_BEK_MAX) {
		lg_err_set(err, "%s: %zu bytes: not a .BEK startup key file", name, len);
		return -EINVAL;
	}
	/* Which field is wrong, never its value (no field of a key file is
	 * echoed). */
	const char *bad = lg_le32(buf) != len ? "the header's size field does not match the file's"
			  : lg_le32(buf + 4) != 1 ? "the header's version field is not 1 for a file of"
			  : lg_le32(buf + 8) != BEK_HDR ? "the header's length field is not 48 for a file of" : NULL;
	if (bad) {
		lg_err_set(err, "%s: not a .BEK startup key file (%s %zu bytes)", name, bad, len);
		return -EINVAL;
	}
	const unsigned char *e = buf + BEK_HDR;
	size_t esize = lg_le16(e), room = len - BEK_HDR;
	bad = esize < BEK_ENTRY_HDR + BEK_EXTKEY_HDR || esize > room ? "its size field does not fit the file"
	      : lg_le16(e + 2) != 0x0006 ? "its type field is not a startup key's"
	      : lg_le16(e + 4) != 0x0009 ? "its value type field is not an external key's" : NULL;
	if (bad) {
		lg_err_set(err, "%s: no startup key entry after the header (%s)", name, bad);
		return -EINVAL;
	}
	if (memcmp(e + BEK_ENTRY_HDR, buf + 16, 16)) {
		lg_err_set(err, "%s: the startup key entry names another key id than the header", name);
		return -EINVAL;
	}
	bool has_key = false, has_volume = false;
	unsigned char volume[16];
	size_t pos = BEK_ENTRY_HDR + BEK_EXTKEY_HDR;
	while (esize - pos >= BEK_ENTRY_HDR) {
		const unsigned char *p = e + pos;
		size_t sz = lg_le16(p);
		if (sz == 0)
			break;
		if (sz < BEK_ENTRY_HDR || sz > esize - pos) {
			lg_err_set(err, "%s: property at byte %zu: its size field does not fit the entry", name,
				   BEK_HDR + pos);
			return -EINVAL;
		}
		uint16_t value = lg_le16(p + 4);
		if (value == 0x0001 && sz >= BEK_ENTRY_HDR + 4 + 32)
			has_key = true;          /* encryption method, then the 256-bit key */
		else if (value == 0x0017 && sz >= BEK_ENTRY_HDR + 16) {
			memcpy(volume, p + BEK_ENTRY_HDR, 16);
			has_volume = true;       /* Windows 11: the volume this key is for */
		}
		pos += sz;
	}
	if (!has_key) {
		lg_err_set(err, "%s: the startup key entry holds no key", name);
		return -EINVAL;
	}
	size_t first = kr->n;
	struct lg_key *k = keyring_add(kr);
	if (!k)
		return -ENOMEM;
	k->type = LG_KEY_STARTUP_KEY;
	memcpy(k->protector, buf + 16, 16);
	lg_guid_format(k->protector, k->id);
	snprintf(k->source, sizeof(k->source), "%s", base_name(name));
	k->has_volume = has_volume;
	if (has_volume)
		memcpy(k->volume, volume, 16);
	k->bek = malloc(len);
	if (!k->bek) {
		keyring_truncate(kr, first);
		return -ENOMEM;
	}
	memcpy(k->bek, buf, len);
	k->bek_len = len;
	int r = keyring_dedup(kr, first, err);
	if (r < 0) {
		keyring_truncate(kr, first);
		return r;
	}
	kr->files++;
	return (int)(kr->n - first);
}

int lg_keyring_load_bek(struct lg_keyring *kr, const char *path, struct lg_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r = read_secret(path, LG_BEK_MAX, &buf, &len, err);
	if (r == -EFBIG)
		lg_err_set(err, "%s: %zu bytes or more: not a .BEK startup key file", path, (size_t)LG_BEK_MAX);
	if (r < 0)
		return r;
	r = lg_keyring_parse_bek(kr, path, buf, len, err);
	lg_wipe(buf, len);
	free(buf);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lg_keyring_load_dir(struct lg_keyring *kr, const char *dir, struct lg_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < ARRAY_SIZE(names)) {
		size_t l = strlen(e->d_name);
		bool csv = !strcasecmp(e->d_name, "keys.csv");
		bool bek = l > 4 && !strcasecmp(e->d_name + l - 4, ".bek");
		if ((csv || bek) && (names[n] = strdup(e->d_name)))
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	int total = 0, first_err = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		struct lg_err e1 = { "" };
		size_t l = strlen(names[i]);
		int r = strcasecmp(names[i] + (l > 4 ? l - 4 : 0), ".bek") ? lg_keyring_load_csv(kr, path, &e1)
									  : lg_keyring_load_bek(kr, path, &e1);
		if (r < 0 && !first_err) {
			first_err = r;
			lg_err_set(err, "%s", e1.msg);
		} else if (r > 0) {
			total += r;
		}
		free(names[i]);
	}
	return first_err ? first_err : total;
}

int lg_keyring_load(struct lg_keyring *kr, const char *path, struct lg_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		lg_err_set(err, "%s: %s", path, strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode))
		return lg_keyring_load_dir(kr, path, err);
	size_t l = strlen(path);
	if (l > 4 && !strcasecmp(path + l - 4, ".bek"))
		return lg_keyring_load_bek(kr, path, err);
	return lg_keyring_load_csv(kr, path, err);
}
