/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * minisign signatures, verified with libsodium, as the minisign tool
 * writes them (signing stays with that tool, see docs/denylist.md).
 *
 * Public key: an "untrusted comment:" line and a base64 line, or just the
 * base64 string (what `minisign -P` takes). It decodes to "Ed", an 8-byte
 * key id and a 32-byte Ed25519 key.
 *
 * Signature file (.minisig), four lines:
 *   untrusted comment: <anything, not covered by any signature>
 *   base64("Ed" or "ED" || key id || 64-byte signature)
 *   trusted comment: <text>
 *   base64(64-byte global signature over signature || text)
 * "Ed" (legacy) signs the file itself, "ED" signs BLAKE2b-512 of the file.
 *
 * Everything is fixed-size: no structure here owns memory. Every function
 * returns 0 or a negative errno and fills the lg_err with the reason:
 *   -EINVAL   malformed key or signature file (which line, what was expected)
 *   -ENOKEY   the signature was made by a key that is not the one (or none
 *             of the ones) given; both key ids are in the message
 *   -EBADMSG  the signature or the trusted comment's signature is wrong
 *   -EFBIG    a key or signature file too large to be one
 *   -ENOENT and other errnos from reading a file
 */
#ifndef LG_MINISIGN_H
#define LG_MINISIGN_H

#include "lib/util.h"

#define LG_MS_KEYID_BYTES 8
#define LG_MS_PK_BYTES 32
#define LG_MS_SIG_BYTES 64
/* Line caps as in minisign itself (each counts the prefix and newline). */
#define LG_MS_COMMENT_MAX 1024
#define LG_MS_TRUSTED_COMMENT_MAX 8192
/* Files larger than this are not minisign keys or signatures. */
#define LG_MS_FILE_MAX (16u << 10)

enum lg_ms_alg {
	LG_MS_ALG_LEGACY = 1, /* "Ed": Ed25519 over the file */
	LG_MS_ALG_PREHASHED,  /* "ED": Ed25519 over BLAKE2b-512(file) */
};

struct lg_ms_pubkey {
	unsigned char keyid[LG_MS_KEYID_BYTES];
	unsigned char pk[LG_MS_PK_BYTES];
};

struct lg_ms_sig {
	enum lg_ms_alg alg;
	unsigned char keyid[LG_MS_KEYID_BYTES];
	unsigned char sig[LG_MS_SIG_BYTES];
	unsigned char global_sig[LG_MS_SIG_BYTES];
	/* The trusted comment's text, without the "trusted comment: " prefix
	 * and the line end. Only trustworthy after lg_ms_verify() returned 0.
	 * Never contains NUL; may contain any other byte but '\r' and '\n'. */
	size_t trusted_comment_len;
	char trusted_comment[LG_MS_TRUSTED_COMMENT_MAX + 1];
};

/* Parse a public key: the two-line .pub file or the bare base64 string.
 * Surrounding line ends are accepted ("\n" or "\r\n"). */
int lg_ms_pubkey_parse(const char *text, size_t len, struct lg_ms_pubkey *pk, struct lg_err *err);
/* Read and parse a .pub file; the message names the path. */
int lg_ms_pubkey_load(const char *path, struct lg_ms_pubkey *pk, struct lg_err *err);

/* Parse a .minisig file's content. */
int lg_ms_sig_parse(const char *text, size_t len, struct lg_ms_sig *sig, struct lg_err *err);
/* Read and parse a .minisig file; the message names the path. */
int lg_ms_sig_load(const char *path, struct lg_ms_sig *sig, struct lg_err *err);

/* Verify msg against sig with pk: the key id first, then the signature of
 * the file, then the global signature of the trusted comment. */
int lg_ms_verify(const struct lg_ms_pubkey *pk, const struct lg_ms_sig *sig,
		 const void *msg, size_t len, struct lg_err *err);

/* Verify with whichever of n keys carries the signature's key id. On
 * success *which (if not NULL) is the index of the key that verified. */
int lg_ms_verify_any(const struct lg_ms_pubkey *keys, size_t n, const struct lg_ms_sig *sig,
		     const void *msg, size_t len, size_t *which, struct lg_err *err);

/* A key id as minisign prints it: 16 uppercase hex digits (the 8 bytes
 * read as a little-endian number). */
void lg_ms_keyid_format(const unsigned char keyid[LG_MS_KEYID_BYTES], char out[2 * LG_MS_KEYID_BYTES + 1]);

#endif
