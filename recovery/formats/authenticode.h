/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Authenticode signatures of a PE file (docs/pe.md, "Signatures"): every
 * PKCS#7 SignedData in the attribute certificate table, and those nested
 * in a signature's unauthenticated attributes (OID 1.3.6.1.4.1.311.2.4.1:
 * how a dual-signed SHA-1 + SHA-256 driver carries its second signature).
 *
 * For each signature: the image digest it signs (SpcIndirectDataContent)
 * and its algorithm, whether that digest equals the file's Authenticode
 * hash, whether the signer's signature verifies with the signer
 * certificate carried, the signing time of an RFC 3161 timestamp or an
 * Authenticode counter-signature, and every certificate it carries: the
 * common names of subject and issuer, serial, SHA-1 and SHA-256
 * thumbprints, and the TBS hash as WDAC computes it (the digest of the
 * DER TBSCertificate with the hash algorithm of the certificate's own
 * signature: what `<CertRoot Type="TBS" Value=...>` holds).
 *
 * Nothing is trusted: no chain is verified against a root store. The
 * chain is "as carried": from the signer certificate, each issuer found
 * among the certificates of the same signature. A deny-list matches on
 * what a signature claims (docs/denylist.md, "signer").
 *
 * All DER decoding is OpenSSL's (PKCS7, X509, TS); the input is hostile:
 * the certificate table entries are bounds-checked here, counts are
 * capped (LG_AC_MAX_*), names are cut, and a signature that does not
 * decode is counted and skipped, never fatal for the others.
 */
#ifndef LG_AUTHENTICODE_H
#define LG_AUTHENTICODE_H

#include "formats/pe.h"

#include <stdint.h>

#define LG_AC_MAX_SIGS 8        /* signatures kept per file, nested ones included */
#define LG_AC_MAX_CERTS 24      /* certificates kept per signature */
#define LG_AC_MAX_DEPTH 2       /* nesting levels followed below a top-level signature */
#define LG_AC_MAX_ENTRIES 16    /* WIN_CERTIFICATE entries looked at */
#define LG_AC_NAME_MAX 256      /* UTF-8 bytes of a common name, NUL included */
#define LG_AC_SERIAL_MAX 67     /* hex digits of a serial (up to 32 bytes), sign and NUL */
#define LG_AC_DIGEST_MAX 64     /* SHA-512 */
#define LG_AC_ALG_MAX 16

struct lg_ac_cert {
	char subject_cn[LG_AC_NAME_MAX];  /* "" when the name has no CN */
	char issuer_cn[LG_AC_NAME_MAX];
	char serial[LG_AC_SERIAL_MAX];    /* lowercase hex of the magnitude, '-' when negative */
	unsigned char sha1[20], sha256[32]; /* thumbprints: digests of the whole DER certificate */
	char tbs_alg[LG_AC_ALG_MAX];      /* "sha256", "sha1", "sha384"...; "" when unknown */
	unsigned char tbs[LG_AC_DIGEST_MAX]; /* TBS hash (WDAC's CertRoot Type="TBS") */
	unsigned tbs_len;                 /* 0 when the signature algorithm names no digest */
	int64_t not_before, not_after;    /* Unix seconds */
	int issuer;                       /* index of the issuer among the signature's certs; -1 */
	bool self_signed;
};

struct lg_ac_sig {
	unsigned entry;                   /* WIN_CERTIFICATE entry it came from */
	int parent;                       /* index of the signature it is nested in; -1: top level */
	char digest_alg[LG_AC_ALG_MAX];   /* of SpcIndirectDataContent: "sha256", "sha1"... */
	unsigned char digest[LG_AC_DIGEST_MAX];
	unsigned digest_len;
	int digest_matches_file;          /* 1, 0; -1 not checked (an algorithm lastgood does not compute) */
	int signature_ok;                 /* the SignerInfo verifies with the signer cert: 1, 0, -1 no signer cert */
	int chain_ok;                     /* every link of the chain as carried verifies: 1, 0; -1 no chain */
	bool has_time;
	int64_t signing_time;             /* Unix seconds, when has_time */
	const char *time_source;          /* "rfc3161" or "countersignature"; NULL */
	int signer;                       /* index of the signer certificate in certs; -1 not carried */
	unsigned chain[LG_AC_MAX_CERTS];  /* signer first, then each issuer carried */
	unsigned n_chain;
	unsigned n_certs, certs_dropped;  /* certificates kept, and beyond LG_AC_MAX_CERTS */
	struct lg_ac_cert certs[LG_AC_MAX_CERTS];
};

struct lg_authenticode {
	unsigned n_sigs;
	unsigned sigs_dropped;            /* beyond LG_AC_MAX_SIGS or LG_AC_MAX_DEPTH */
	unsigned n_bad;                   /* entries or nested signatures that did not decode */
	char bad[256];                    /* what was wrong with the first of them */
	struct lg_ac_sig sigs[LG_AC_MAX_SIGS];
};

/*
 * Read the signatures of a parsed image (buf, len and info as given to
 * lg_pe_parse()). ah256/ah1 are its Authenticode hashes when the caller
 * has them already (NULL: computed here when LG_AC_VERIFY needs them).
 * Returns 0 (ac->n_sigs 0: unsigned, or nothing decoded: see n_bad),
 * -EBADMSG when the certificate table has no well-formed entry although
 * its size says it has (err says why), -ENOMEM, -EINVAL.
 * ac is large (about 150 KiB): allocate it.
 */
enum lg_ac_flags {
	/* Check digest_matches_file, signature_ok and chain_ok (else they
	 * stay -1): what `lastgood pe` shows. The matcher leaves it out: a
	 * rule holds on what a signature claims, checked or not. */
	LG_AC_VERIFY = 1u << 0,
	/* Only each signature's digest (and nesting): no certificate is read,
	 * n_certs stays 0. For matching an Authenticode hash against the
	 * digests signatures carry, at a fraction of the cost. */
	LG_AC_DIGESTS_ONLY = 1u << 1,
};
int lg_authenticode_read(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
			 const unsigned char ah256[LG_SHA256_LEN], const unsigned char ah1[LG_SHA1_LEN],
			 unsigned flags, struct lg_authenticode *ac, struct lg_err *err);

/* The TBS hash of one DER certificate (der[0, len)), as above: out gets up
 * to LG_AC_DIGEST_MAX bytes, alg the algorithm name. Returns the digest
 * length, -EBADMSG (not a certificate), -ENOTSUP (no digest named). */
int lg_ac_tbs_hash(const unsigned char *der, size_t len, unsigned char out[LG_AC_DIGEST_MAX],
		   char alg[LG_AC_ALG_MAX]);

/* Does any certificate of any signature's chain as carried have this TBS
 * hash (tbs_len bytes) and, when publisher is not NULL, is the leaf's
 * (signer's) subject CN equal to it (ASCII case ignored)? As WDAC's
 * CertRoot Type="TBS" with an optional CertPublisher. */
bool lg_ac_has_signer(const struct lg_authenticode *ac, const unsigned char *tbs, size_t tbs_len,
		      const char *publisher);

#endif
