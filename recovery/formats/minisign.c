// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * minisign verification (format in minisign.h). Written the signify way:
 * fixed-size structures, exact lengths checked before decoding, the key
 * id compared before any cryptography, nothing allocated.
 */
#include "formats/minisign.h"

#include <sys/random.h>

#include <sodium.h>

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "

/* base64 lengths of the fixed binary blobs (with '=' padding). */
#define B64_LEN(n) ((((n) + 2) / 3) * 4)
#define PUBKEY_BIN (2 + LG_MS_KEYID_BYTES + LG_MS_PK_BYTES)   /* 42 */
#define SIG_BIN (2 + LG_MS_KEYID_BYTES + LG_MS_SIG_BYTES)     /* 74 */

/* One line of a text buffer: [p, p + len), without its "\n" or "\r\n". */
struct line {
	const char *p;
	size_t len;
};

/* Split off the next line; false at the end of the text. */
static bool next_line(const char **pos, const char *end, struct line *l)
{
	if (*pos >= end)
		return false;
	const char *nl = memchr(*pos, '\n', (size_t)(end - *pos));
	const char *stop = nl ? nl : end;
	l->p = *pos;
	l->len = (size_t)(stop - *pos);
	if (l->len && l->p[l->len - 1] == '\r')
		l->len--;
	*pos = nl ? nl + 1 : end;
	return true;
}

/* Only line ends may follow the last line. */
static bool only_line_ends(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r')
			return false;
	return true;
}

static bool starts_with(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);
	return l->len >= n && !memcmp(l->p, prefix, n);
}

/* Decode a base64 line that must hold exactly n bytes. */
static int decode_b64(const struct line *l, unsigned char *out, size_t n)
{
	if (l->len != B64_LEN(n))
		return -EINVAL;
	size_t got = 0;
	const char *b64_end = NULL;
	if (sodium_base642bin(out, n, l->p, l->len, NULL, &got, &b64_end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -EINVAL;
	if (got != n || b64_end != l->p + l->len)
		return -EINVAL;
	return 0;
}

void lg_ms_keyid_format(const unsigned char keyid[LG_MS_KEYID_BYTES], char out[2 * LG_MS_KEYID_BYTES + 1])
{
	static const char d[] = "0123456789ABCDEF";
	/* minisign prints the id as a little-endian 64-bit number. */
	for (size_t i = 0; i < LG_MS_KEYID_BYTES; i++) {
		unsigned char b = keyid[LG_MS_KEYID_BYTES - 1 - i];
		out[2 * i] = d[b >> 4];
		out[2 * i + 1] = d[b & 15];
	}
	out[2 * LG_MS_KEYID_BYTES] = 0;
}

int lg_ms_pubkey_parse(const char *text, size_t len, struct lg_ms_pubkey *pk, struct lg_err *err)
{
	unsigned char bin[PUBKEY_BIN];
	const char *pos = text, *end = text + len;
	struct line l;

	memset(pk, 0, sizeof(*pk));
	if (memchr(text, 0, len)) {
		lg_err_set(err, "public key contains a NUL byte: not a minisign public key");
		return -EINVAL;
	}
	if (!next_line(&pos, end, &l)) {
		lg_err_set(err, "public key is empty");
		return -EINVAL;
	}
	unsigned key_line = 1;
	if (starts_with(&l, UNTRUSTED_PREFIX)) {
		if (l.len + 1 > LG_MS_COMMENT_MAX) {
			lg_err_set(err, "public key line 1: comment longer than %u bytes", LG_MS_COMMENT_MAX - 1);
			return -EINVAL;
		}
		key_line = 2;
		if (!next_line(&pos, end, &l)) {
			lg_err_set(err, "public key: line 2 (the base64 key) is missing");
			return -EINVAL;
		}
	}
	if (!only_line_ends(pos, end)) {
		lg_err_set(err, "public key: unexpected text after line %u", key_line);
		return -EINVAL;
	}
	if (l.len != B64_LEN(PUBKEY_BIN)) {
		lg_err_set(err, "public key line %u: expected %u base64 characters, found %zu%s",
			   key_line, (unsigned)B64_LEN(PUBKEY_BIN), l.len,
			   key_line == 1 ? " (a .pub file starts with \"" UNTRUSTED_PREFIX "\")" : "");
		return -EINVAL;
	}
	if (decode_b64(&l, bin, sizeof(bin)) < 0) {
		lg_err_set(err, "public key line %u: invalid base64", key_line);
		return -EINVAL;
	}
	if (bin[0] != 'E' || bin[1] != 'd') {
		lg_err_set(err, "public key line %u: unsupported algorithm \"%c%c\" (expected \"Ed\")",
			   key_line, bin[0] >= 0x20 && bin[0] < 0x7f ? bin[0] : '?',
			   bin[1] >= 0x20 && bin[1] < 0x7f ? bin[1] : '?');
		return -EINVAL;
	}
	memcpy(pk->keyid, bin + 2, LG_MS_KEYID_BYTES);
	memcpy(pk->pk, bin + 2 + LG_MS_KEYID_BYTES, LG_MS_PK_BYTES);
	return 0;
}

int lg_ms_sig_parse(const char *text, size_t len, struct lg_ms_sig *sig, struct lg_err *err)
{
	unsigned char bin[SIG_BIN];
	const char *pos = text, *end = text + len;
	struct line l[4];

	memset(sig, 0, sizeof(*sig));
	if (memchr(text, 0, len)) {
		lg_err_set(err, "signature file contains a NUL byte: not a minisign signature");
		return -EINVAL;
	}
	for (unsigned i = 0; i < 4; i++)
		if (!next_line(&pos, end, &l[i])) {
			lg_err_set(err, "signature file has %u line%s, expected 4", i, i == 1 ? "" : "s");
			return -EINVAL;
		}
	if (!only_line_ends(pos, end)) {
		lg_err_set(err, "signature file: unexpected text after line 4");
		return -EINVAL;
	}

	if (!starts_with(&l[0], UNTRUSTED_PREFIX)) {
		lg_err_set(err, "signature file line 1: expected \"" UNTRUSTED_PREFIX "...\"");
		return -EINVAL;
	}
	if (l[0].len + 1 > LG_MS_COMMENT_MAX) {
		lg_err_set(err, "signature file line 1: comment longer than %u bytes", LG_MS_COMMENT_MAX - 1);
		return -EINVAL;
	}

	if (l[1].len != B64_LEN(SIG_BIN)) {
		lg_err_set(err, "signature file line 2: expected %u base64 characters, found %zu",
			   (unsigned)B64_LEN(SIG_BIN), l[1].len);
		return -EINVAL;
	}
	if (decode_b64(&l[1], bin, sizeof(bin)) < 0) {
		lg_err_set(err, "signature file line 2: invalid base64");
		return -EINVAL;
	}
	if (bin[0] == 'E' && bin[1] == 'd')
		sig->alg = LG_MS_ALG_LEGACY;
	else if (bin[0] == 'E' && bin[1] == 'D')
		sig->alg = LG_MS_ALG_PREHASHED;
	else {
		lg_err_set(err, "signature file line 2: unsupported signature algorithm (expected \"Ed\" or \"ED\")");
		return -EINVAL;
	}
	memcpy(sig->keyid, bin + 2, LG_MS_KEYID_BYTES);
	memcpy(sig->sig, bin + 2 + LG_MS_KEYID_BYTES, LG_MS_SIG_BYTES);

	if (!starts_with(&l[2], TRUSTED_PREFIX)) {
		lg_err_set(err, "signature file line 3: expected \"" TRUSTED_PREFIX "...\"");
		return -EINVAL;
	}
	if (l[2].len + 1 > LG_MS_TRUSTED_COMMENT_MAX) {
		lg_err_set(err, "signature file line 3: trusted comment longer than %u bytes",
			   (unsigned)(LG_MS_TRUSTED_COMMENT_MAX - 1 - strlen(TRUSTED_PREFIX)));
		return -EINVAL;
	}
	sig->trusted_comment_len = l[2].len - strlen(TRUSTED_PREFIX);
	memcpy(sig->trusted_comment, l[2].p + strlen(TRUSTED_PREFIX), sig->trusted_comment_len);
	sig->trusted_comment[sig->trusted_comment_len] = 0;

	if (l[3].len != B64_LEN(LG_MS_SIG_BYTES)) {
		lg_err_set(err, "signature file line 4: expected %u base64 characters, found %zu",
			   (unsigned)B64_LEN(LG_MS_SIG_BYTES), l[3].len);
		return -EINVAL;
	}
	if (decode_b64(&l[3], sig->global_sig, LG_MS_SIG_BYTES) < 0) {
		lg_err_set(err, "signature file line 4: invalid base64");
		return -EINVAL;
	}
	return 0;
}

/* Read a small text file and hand it to parse(), prefixing errors with the path. */
static int load_small(const char *path, const char *what, void *out,
		      int (*parse)(const char *, size_t, void *, struct lg_err *), struct lg_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = lg_read_file(path, LG_MS_FILE_MAX, &buf, &len);
	if (r == -EFBIG) {
		lg_err_set(err, "%s %s: larger than %u bytes, not a minisign file", what, path, LG_MS_FILE_MAX);
		return r;
	}
	if (r < 0) {
		lg_err_set(err, "%s %s: %s", what, path, strerror(-r));
		return r;
	}
	struct lg_err e = { "" };
	r = parse(buf, len, out, &e);
	if (r < 0)
		lg_err_set(err, "%s %s: %s", what, path, e.msg);
	return r;
}

static int parse_pubkey_cb(const char *t, size_t n, void *out, struct lg_err *e)
{
	return lg_ms_pubkey_parse(t, n, out, e);
}

static int parse_sig_cb(const char *t, size_t n, void *out, struct lg_err *e)
{
	return lg_ms_sig_parse(t, n, out, e);
}

int lg_ms_pubkey_load(const char *path, struct lg_ms_pubkey *pk, struct lg_err *err)
{
	memset(pk, 0, sizeof(*pk));
	return load_small(path, "public key", pk, parse_pubkey_cb, err);
}

int lg_ms_sig_load(const char *path, struct lg_ms_sig *sig, struct lg_err *err)
{
	memset(sig, 0, sizeof(*sig));
	return load_small(path, "signature file", sig, parse_sig_cb, err);
}

/* Checking a signature needs no randomness, but sodium_init() seeds
 * libsodium's generator with a getrandom() that blocks until the kernel's
 * pool is ready: at early boot in the recovery image that is about a
 * second of nothing. A source that never blocks (/dev/urandom semantics)
 * is installed first; nothing here draws from it for a secret. */
static void nb_buf(void *const buf, const size_t size)
{
	size_t done = 0;
	while (done < size) {
		ssize_t r = getrandom((char *)buf + done, size - done, GRND_NONBLOCK | GRND_INSECURE);
		if (r < 0 && errno == EINVAL)
			r = getrandom((char *)buf + done, size - done, GRND_NONBLOCK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* No entropy yet and no insecure source: not needed for
			 * verification; fill deterministically rather than block. */
			memset((char *)buf + done, 0x5a, size - done);
			return;
		}
		done += (size_t)r;
	}
}

static uint32_t nb_random(void)
{
	uint32_t v;
	nb_buf(&v, sizeof(v));
	return v;
}

static const char *nb_name(void)
{
	return "lastgood-nonblocking";
}

static randombytes_implementation nb_impl = {
	.implementation_name = nb_name,
	.random = nb_random,
	.buf = nb_buf,
};

static int init_sodium(void)
{
	static bool set;
	if (!set) {
		randombytes_set_implementation(&nb_impl);
		set = true;
	}
	return sodium_init();
}


int lg_ms_verify(const struct lg_ms_pubkey *pk, const struct lg_ms_sig *sig,
		 const void *msg, size_t len, struct lg_err *err)
{
	char want[2 * LG_MS_KEYID_BYTES + 1], got[2 * LG_MS_KEYID_BYTES + 1];

	/* The key id first: a signature by another key is "unknown key", a
	 * clearer message than "bad signature", and costs no cryptography. */
	if (sodium_memcmp(pk->keyid, sig->keyid, LG_MS_KEYID_BYTES) != 0) {
		lg_ms_keyid_format(sig->keyid, got);
		lg_ms_keyid_format(pk->keyid, want);
		lg_err_set(err, "unknown key: signed with key ID %s, but the trusted key is %s", got, want);
		return -ENOKEY;
	}
	if (init_sodium() < 0) {
		lg_err_set(err, "libsodium failed to initialise");
		return -EIO;
	}
	if (sig->trusted_comment_len > LG_MS_TRUSTED_COMMENT_MAX) {
		lg_err_set(err, "trusted comment too long");
		return -EINVAL;
	}

	int r;
	if (sig->alg == LG_MS_ALG_PREHASHED) {
		unsigned char h[crypto_generichash_BYTES_MAX];
		crypto_generichash(h, sizeof(h), msg, len, NULL, 0);
		r = crypto_sign_verify_detached(sig->sig, h, sizeof(h), pk->pk);
	} else if (sig->alg == LG_MS_ALG_LEGACY) {
		r = crypto_sign_verify_detached(sig->sig, msg, len, pk->pk);
	} else {
		lg_err_set(err, "unsupported signature algorithm");
		return -EINVAL;
	}
	if (r != 0) {
		lg_ms_keyid_format(sig->keyid, got);
		lg_err_set(err, "bad signature: the file does not match its signature by key %s "
			   "(the file or the signature was changed after signing)", got);
		return -EBADMSG;
	}

	/* The global signature binds the trusted comment to the signature. */
	unsigned char g[LG_MS_SIG_BYTES + LG_MS_TRUSTED_COMMENT_MAX];
	memcpy(g, sig->sig, LG_MS_SIG_BYTES);
	memcpy(g + LG_MS_SIG_BYTES, sig->trusted_comment, sig->trusted_comment_len);
	if (crypto_sign_verify_detached(sig->global_sig, g, LG_MS_SIG_BYTES + sig->trusted_comment_len,
					pk->pk) != 0) {
		lg_err_set(err, "bad signature: the trusted comment does not match its signature "
			   "(the trusted comment was changed after signing)");
		return -EBADMSG;
	}
	return 0;
}

int lg_ms_verify_any(const struct lg_ms_pubkey *keys, size_t n, const struct lg_ms_sig *sig,
		     const void *msg, size_t len, size_t *which, struct lg_err *err)
{
	char got[2 * LG_MS_KEYID_BYTES + 1];
	int r = -ENOKEY;
	bool tried = false;

	for (size_t i = 0; i < n; i++) {
		if (sodium_memcmp(keys[i].keyid, sig->keyid, LG_MS_KEYID_BYTES) != 0)
			continue;
		/* Two trusted keys may share an id by accident: try each. */
		struct lg_err e = { "" };
		int q = lg_ms_verify(&keys[i], sig, msg, len, &e);
		if (q == 0) {
			if (which)
				*which = i;
			return 0;
		}
		if (!tried) {
			r = q;
			lg_err_set(err, "%s", e.msg);
		}
		tried = true;
	}
	if (tried)
		return r;

	lg_ms_keyid_format(sig->keyid, got);
	if (n == 0) {
		lg_err_set(err, "signed with key ID %s, but no trusted key is configured", got);
		return -ENOKEY;
	}
	/* Name every trusted id (as many as fit) so the operator can see at
	 * once whether the medium carries the wrong key or the wrong list. */
	char ids[400] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		char id[2 * LG_MS_KEYID_BYTES + 1];
		lg_ms_keyid_format(keys[i].keyid, id);
		int w = snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? ", " : "", id);
		if (w < 0 || (size_t)w >= sizeof(ids) - used) {
			snprintf(ids + used, sizeof(ids) - used, ", ...");
			break;
		}
		used += (size_t)w;
	}
	lg_err_set(err, "unknown key: signed with key ID %s, which is not a trusted key (trusted: %s)", got, ids);
	return -ENOKEY;
}
