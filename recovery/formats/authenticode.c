// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Authenticode signatures, decoded by OpenSSL (PKCS7, X509, TS). Layouts:
 * Microsoft's "Windows Authenticode Portable Executable Signature Format"
 * (WIN_CERTIFICATE, SpcIndirectDataContent, nested signatures and
 * counter-signatures) and RFC 3161 (timestamps). The only bytes read here
 * without OpenSSL are the 8-byte WIN_CERTIFICATE headers, each checked
 * against the table and the file.
 */
#include "formats/authenticode.h"

#include "lib/le.h"

#include <inttypes.h>
#include <limits.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <time.h>

#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define WIN_CERT_HEADER 8
/* A signature is a few KiB to a few tens of KiB; no entry is decoded past this. */
#define AC_MAX_ENTRY (4u << 20)

#define OID_SPC_INDIRECT_DATA "1.3.6.1.4.1.311.2.1.4"
#define OID_NESTED_SIGNATURE "1.3.6.1.4.1.311.2.4.1"
#define OID_RFC3161_COUNTERSIGN "1.3.6.1.4.1.311.3.3.1"

/* SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue,
 * messageDigest DigestInfo }, declared with OpenSSL's templates (DigestInfo
 * is OpenSSL's X509_SIG). */
typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
} LG_SPC_ATTR;

typedef struct {
	LG_SPC_ATTR *data;
	X509_SIG *digest;
} LG_SPC_INDIRECT;

DECLARE_ASN1_ITEM(LG_SPC_ATTR)
DECLARE_ASN1_ITEM(LG_SPC_INDIRECT)

ASN1_SEQUENCE(LG_SPC_ATTR) = {
	ASN1_SIMPLE(LG_SPC_ATTR, type, ASN1_OBJECT),
	ASN1_OPT(LG_SPC_ATTR, value, ASN1_ANY),
} ASN1_SEQUENCE_END(LG_SPC_ATTR)

ASN1_SEQUENCE(LG_SPC_INDIRECT) = {
	ASN1_SIMPLE(LG_SPC_INDIRECT, data, LG_SPC_ATTR),
	ASN1_SIMPLE(LG_SPC_INDIRECT, digest, X509_SIG),
} ASN1_SEQUENCE_END(LG_SPC_INDIRECT)

static void alg_name(int nid, char out[LG_AC_ALG_MAX])
{
	const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	size_t i = 0;
	for (; sn && sn[i] && i + 1 < LG_AC_ALG_MAX; i++)
		out[i] = (char)((sn[i] >= 'A' && sn[i] <= 'Z') ? sn[i] - 'A' + 'a' : sn[i]);
	out[i] = 0;
}

/* A name's first common name as UTF-8, cut at LG_AC_NAME_MAX - 1 bytes on
 * a character boundary. */
static void name_cn(const X509_NAME *name, char out[LG_AC_NAME_MAX])
{
	out[0] = 0;
	int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	if (i < 0)
		return;
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return;
	size_t k = (size_t)n < LG_AC_NAME_MAX - 1 ? (size_t)n : LG_AC_NAME_MAX - 1;
	while (k && (size_t)n > k && (u[k] & 0xc0) == 0x80)
		k--;
	memcpy(out, u, k);
	out[k] = 0;
	/* A NUL inside the name would cut it silently: show it instead. */
	for (size_t j = 0; j < k; j++)
		if (!out[j])
			out[j] = '?';
	OPENSSL_free(u);
}

static int64_t asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

int lg_ac_tbs_hash(const unsigned char *der, size_t len, unsigned char out[LG_AC_DIGEST_MAX],
		   char alg[LG_AC_ALG_MAX])
{
	if (!der || len > LONG_MAX)
		return -EINVAL;
	alg[0] = 0;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x)
		return -EBADMSG;
	int mdnid = NID_undef, pknid = NID_undef;
	if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &mdnid, &pknid))
		mdnid = NID_undef;
	X509_free(x);
	const EVP_MD *md = mdnid != NID_undef ? EVP_get_digestbynid(mdnid) : NULL;
	if (!md)
		return -ENOTSUP;
	/* Certificate ::= SEQUENCE { tbsCertificate, ... }: the TBS is the
	 * first element, taken with its own tag and length, as encoded. */
	p = der;
	long clen;
	int tag, cls;
	int rv = ASN1_get_object(&p, &clen, &tag, &cls, (long)len);
	if ((rv & 0x80) || tag != V_ASN1_SEQUENCE)
		return -EBADMSG;
	const unsigned char *tbs = p;
	long avail = (long)len - (long)(p - der);
	rv = ASN1_get_object(&p, &clen, &tag, &cls, avail);
	if ((rv & 0x80) || tag != V_ASN1_SEQUENCE || (rv & 0x01))
		return -EBADMSG;
	size_t tbs_len = (size_t)(p - tbs) + (size_t)clen;
	unsigned int n = 0;
	if (tbs_len > (size_t)avail || !EVP_Digest(tbs, tbs_len, out, &n, md, NULL))
		return -EBADMSG;
	alg_name(mdnid, alg);
	return (int)n;
}

static int cert_fill(X509 *x, struct lg_ac_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->issuer = -1;
	name_cn(X509_get_subject_name(x), c->subject_cn);
	name_cn(X509_get_issuer_name(x), c->issuer_cn);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	const unsigned char *d = ASN1_STRING_get0_data(sn);
	int n = ASN1_STRING_length(sn);
	size_t o = 0;
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		c->serial[o++] = '-';
	for (int i = 0; i < n && o + 3 <= LG_AC_SERIAL_MAX; i++, o += 2)
		snprintf(c->serial + o, 3, "%02x", d[i]);
	c->serial[o] = 0;
	unsigned int dl;
	if (!X509_digest(x, EVP_sha1(), c->sha1, &dl) || !X509_digest(x, EVP_sha256(), c->sha256, &dl))
		return -ENOMEM;
	c->not_before = asn1_time_unix(X509_get0_notBefore(x));
	c->not_after = asn1_time_unix(X509_get0_notAfter(x));
	c->self_signed = X509_check_issued(x, x) == X509_V_OK;

	unsigned char *der = NULL;
	int dlen = i2d_X509(x, &der);
	if (dlen <= 0)
		return -ENOMEM;
	int r = lg_ac_tbs_hash(der, (size_t)dlen, c->tbs, c->tbs_alg);
	OPENSSL_free(der);
	c->tbs_len = r > 0 ? (unsigned)r : 0;
	return 0;
}

/* Work list: signatures to decode, top-level ones and nested ones found
 * while decoding, processed in order (no recursion). */
struct pending {
	PKCS7 *p7;
	unsigned entry, depth;
	int parent;
};

struct actx {
	const unsigned char *buf;
	size_t len;
	const struct lg_pe_info *info;
	unsigned char ah256[LG_SHA256_LEN], ah1[LG_SHA1_LEN];
	int have_ah;                /* 0 not yet, 1 computed, < 0 failed */
	unsigned flags;
	struct lg_authenticode *ac;
	struct pending q[LG_AC_MAX_SIGS];
	unsigned nq;
	ASN1_OBJECT *oid_nested, *oid_rfc3161;
};

static void bad(struct actx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct actx *x, const char *fmt, ...)
{
	if (!x->ac->n_bad++) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->ac->bad, sizeof(x->ac->bad), fmt, ap);
		va_end(ap);
	}
}

static void enqueue(struct actx *x, PKCS7 *p7, unsigned entry, unsigned depth, int parent)
{
	if (x->nq >= ARRAY_SIZE(x->q) || depth > LG_AC_MAX_DEPTH) {
		x->ac->sigs_dropped++;
		PKCS7_free(p7);
		return;
	}
	x->q[x->nq++] = (struct pending){ p7, entry, depth, parent };
}

/* The SpcIndirectDataContent of a signature: its digest, and the bytes
 * the signer signed (the content without its outer tag and length, as
 * Authenticode defines it). */
static int indirect_data(struct actx *x, PKCS7 *p7, struct lg_ac_sig *s, const unsigned char **content,
			 long *content_len)
{
	PKCS7 *c = p7->d.sign->contents;
	char oid[64] = "";
	if (c && c->type)
		OBJ_obj2txt(oid, sizeof(oid), c->type, 1);
	/* Only for a type OpenSSL does not know is d.other the content. */
	if (strcmp(oid, OID_SPC_INDIRECT_DATA)) {
		bad(x, "a signature whose content type is %s, not SpcIndirectDataContent",
		    oid[0] ? oid : "missing");
		return -EBADMSG;
	}
	if (!c->d.other || c->d.other->type != V_ASN1_SEQUENCE) {
		bad(x, "a signature whose SpcIndirectDataContent is not a SEQUENCE");
		return -EBADMSG;
	}
	const ASN1_STRING *seq = c->d.other->value.sequence;
	const unsigned char *p = ASN1_STRING_get0_data(seq);
	long n = ASN1_STRING_length(seq);
	LG_SPC_INDIRECT *ind = (LG_SPC_INDIRECT *)ASN1_item_d2i(NULL, &p, n, ASN1_ITEM_rptr(LG_SPC_INDIRECT));
	if (!ind) {
		bad(x, "a signature whose SpcIndirectDataContent does not decode");
		return -EBADMSG;
	}
	const X509_ALGOR *alg;
	const ASN1_OCTET_STRING *dig;
	X509_SIG_get0(ind->digest, &alg, &dig);
	alg_name(OBJ_obj2nid(alg->algorithm), s->digest_alg);
	int dl = ASN1_STRING_length(dig);
	s->digest_len = dl > 0 && dl <= LG_AC_DIGEST_MAX ? (unsigned)dl : 0;
	memcpy(s->digest, ASN1_STRING_get0_data(dig), s->digest_len);
	ASN1_item_free((ASN1_VALUE *)ind, ASN1_ITEM_rptr(LG_SPC_INDIRECT));

	p = ASN1_STRING_get0_data(seq);
	long clen;
	int tag, cls;
	int rv = ASN1_get_object(&p, &clen, &tag, &cls, n);
	if (rv & 0x80)
		return -EBADMSG;
	*content = p;
	*content_len = n - (long)(p - ASN1_STRING_get0_data(seq));
	return 0;
}

static void digest_check(struct actx *x, struct lg_ac_sig *s)
{
	s->digest_matches_file = -1;
	bool is256 = !strcmp(s->digest_alg, "sha256") && s->digest_len == LG_SHA256_LEN;
	bool is1 = !strcmp(s->digest_alg, "sha1") && s->digest_len == LG_SHA1_LEN;
	if (!is256 && !is1)
		return;
	if (!x->have_ah) {
		int r = lg_pe_authentihash(x->buf, x->len, x->info, x->ah256, x->ah1);
		x->have_ah = r < 0 ? r : 1;
	}
	if (x->have_ah < 0)
		return;
	s->digest_matches_file = !memcmp(s->digest, is256 ? x->ah256 : x->ah1, s->digest_len);
}

/* Does the SignerInfo verify over the content, with the signer certificate
 * it carries? No chain, no trust store: OpenSSL's PKCS7_verify with
 * PKCS7_NOVERIFY checks the messageDigest attribute and the signature. */
static int signature_verifies(PKCS7 *p7, const unsigned char *content, long content_len)
{
	/* The memory BIO sits behind a pass-through filter: OpenSSL 3.0's
	 * PKCS7_verify copies a memory BIO it is given into one of its own,
	 * which it does not free when the signature's digest algorithm is
	 * unusable (found by tests/fuzz/fuzz_pe.c). */
	BIO *mem = BIO_new_mem_buf(content, (int)content_len);
	BIO *in = mem ? BIO_new(BIO_f_null()) : NULL;
	if (!in) {
		BIO_free(mem);
		return -1;
	}
	BIO_push(in, mem);
	int ok = PKCS7_verify(p7, NULL, NULL, in, NULL,
			      PKCS7_NOVERIFY | PKCS7_NOCHAIN | PKCS7_BINARY | PKCS7_NOCRL);
	BIO_free_all(in);
	ERR_clear_error();
	return ok == 1;
}

static void signing_time(struct actx *x, PKCS7_SIGNER_INFO *si, struct lg_ac_sig *s)
{
	STACK_OF(X509_ATTRIBUTE) *ua = si->unauth_attr;
	int i = X509at_get_attr_by_OBJ(ua, x->oid_rfc3161, -1);
	if (i >= 0) {
		X509_ATTRIBUTE *a = X509at_get_attr(ua, i);
		ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, 0);
		if (t && t->type == V_ASN1_SEQUENCE) {
			const unsigned char *p = t->value.sequence->data;
			PKCS7 *ts = d2i_PKCS7(NULL, &p, t->value.sequence->length);
			TS_TST_INFO *tst = ts ? PKCS7_to_TS_TST_INFO(ts) : NULL;
			const ASN1_GENERALIZEDTIME *gt = tst ? TS_TST_INFO_get_time(tst) : NULL;
			if (gt) {
				s->signing_time = asn1_time_unix(gt);
				s->has_time = true;
				s->time_source = "rfc3161";
			}
			TS_TST_INFO_free(tst);
			PKCS7_free(ts);
			ERR_clear_error();
			if (s->has_time)
				return;
		}
	}
	i = X509at_get_attr_by_NID(ua, NID_pkcs9_countersignature, -1);
	if (i < 0)
		return;
	ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(X509at_get_attr(ua, i), 0);
	if (!t || t->type != V_ASN1_SEQUENCE)
		return;
	const unsigned char *p = t->value.sequence->data;
	PKCS7_SIGNER_INFO *cs = d2i_PKCS7_SIGNER_INFO(NULL, &p, t->value.sequence->length);
	ASN1_TYPE *st = cs ? PKCS7_get_signed_attribute(cs, NID_pkcs9_signingTime) : NULL;
	if (st && (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME)) {
		s->signing_time = asn1_time_unix(st->value.utctime);
		s->has_time = true;
		s->time_source = "countersignature";
	}
	PKCS7_SIGNER_INFO_free(cs);
	ERR_clear_error();
}

/* Signatures nested in the unauthenticated attributes: queued. */
static void nested(struct actx *x, PKCS7_SIGNER_INFO *si, unsigned entry, unsigned depth, int parent)
{
	STACK_OF(X509_ATTRIBUTE) *ua = si->unauth_attr;
	for (int i = X509at_get_attr_by_OBJ(ua, x->oid_nested, -1); i >= 0;
	     i = X509at_get_attr_by_OBJ(ua, x->oid_nested, i)) {
		X509_ATTRIBUTE *a = X509at_get_attr(ua, i);
		int n = X509_ATTRIBUTE_count(a);
		for (int k = 0; k < n; k++) {
			ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, k);
			if (!t || t->type != V_ASN1_SEQUENCE) {
				bad(x, "a nested signature attribute that is not a SEQUENCE");
				continue;
			}
			const unsigned char *p = t->value.sequence->data;
			PKCS7 *p7 = d2i_PKCS7(NULL, &p, t->value.sequence->length);
			if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign) {
				bad(x, "a nested signature that is not PKCS#7 SignedData");
				PKCS7_free(p7);
				ERR_clear_error();
				continue;
			}
			enqueue(x, p7, entry, depth + 1, parent);
		}
	}
}

/* From the signer, each issuer among the carried certificates. */
static void build_chain(STACK_OF(X509) *certs, struct lg_ac_sig *s, bool verify)
{
	for (unsigned i = 0; i < s->n_certs; i++) {
		if (s->certs[i].self_signed)
			continue;
		X509 *sub = sk_X509_value(certs, (int)i);
		for (unsigned j = 0; j < s->n_certs; j++)
			if (j != i && X509_check_issued(sk_X509_value(certs, (int)j), sub) == X509_V_OK) {
				s->certs[i].issuer = (int)j;
				break;
			}
	}
	s->chain_ok = -1;
	if (s->signer < 0)
		return;
	bool seen[LG_AC_MAX_CERTS] = { false };
	int k = s->signer;
	s->chain_ok = verify ? 1 : -1;
	while (k >= 0 && !seen[k] && s->n_chain < LG_AC_MAX_CERTS) {
		seen[k] = true;
		s->chain[s->n_chain++] = (unsigned)k;
		int up = s->certs[k].issuer;
		X509 *sub = sk_X509_value(certs, k);
		X509 *iss = sk_X509_value(certs, up >= 0 ? up : k);
		if (verify && (up >= 0 || s->certs[k].self_signed)) {
			EVP_PKEY *pk = X509_get0_pubkey(iss);
			if (!pk || X509_verify(sub, pk) != 1)
				s->chain_ok = 0;
		}
		k = up;
	}
	ERR_clear_error();
}

static int decode_one(struct actx *x, const struct pending *pd)
{
	PKCS7 *p7 = pd->p7;
	struct lg_ac_sig *s = &x->ac->sigs[x->ac->n_sigs];
	memset(s, 0, sizeof(*s));
	s->entry = pd->entry;
	s->parent = pd->parent;
	s->signer = -1;
	const unsigned char *content;
	long content_len;
	if (indirect_data(x, p7, s, &content, &content_len) < 0)
		return 0;
	STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(p7);
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_num(sis) > 0 ? sk_PKCS7_SIGNER_INFO_value(sis, 0) : NULL;
	if (!si) {
		bad(x, "a signature without a SignerInfo");
		return 0;
	}
	int idx = (int)x->ac->n_sigs++;
	if (x->flags & LG_AC_DIGESTS_ONLY) {
		s->digest_matches_file = s->signature_ok = s->chain_ok = -1;
		nested(x, si, pd->entry, pd->depth, idx);
		return 0;
	}

	STACK_OF(X509) *certs = p7->d.sign->cert;
	int nc = certs ? sk_X509_num(certs) : 0;
	for (int i = 0; i < nc; i++) {
		if (s->n_certs >= LG_AC_MAX_CERTS) {
			s->certs_dropped++;
			continue;
		}
		int r = cert_fill(sk_X509_value(certs, i), &s->certs[s->n_certs]);
		if (r < 0)
			return r;
		s->n_certs++;
	}
	X509 *signer = certs ? X509_find_by_issuer_and_serial(certs, si->issuer_and_serial->issuer,
							      si->issuer_and_serial->serial) : NULL;
	for (unsigned i = 0; signer && i < s->n_certs; i++)
		if (sk_X509_value(certs, (int)i) == signer)
			s->signer = (int)i;
	build_chain(certs, s, x->flags & LG_AC_VERIFY);
	s->digest_matches_file = s->signature_ok = -1;
	if (x->flags & LG_AC_VERIFY) {
		digest_check(x, s);
		if (s->signer >= 0)
			s->signature_ok = signature_verifies(p7, content, content_len);
	}
	signing_time(x, si, s);
	nested(x, si, pd->entry, pd->depth, idx);
	return 0;
}

/* The WIN_CERTIFICATE entries of the table, each 8-byte aligned. */
static int read_table(struct actx *x, struct lg_err *err)
{
	const struct lg_pe_info *info = x->info;
	uint64_t off = info->cert_offset, end = (uint64_t)info->cert_offset + info->cert_size;
	if (!lg_in_bounds(info->cert_offset, info->cert_size, x->len))
		return -EINVAL;
	unsigned entries = 0, good = 0;
	while (off + WIN_CERT_HEADER <= end && entries < LG_AC_MAX_ENTRIES) {
		uint32_t elen = lg_le32(x->buf + off);
		uint16_t type = lg_le16(x->buf + off + 6);
		if (elen < WIN_CERT_HEADER || elen > end - off) {
			if (!entries)
				lg_err_set(err, "bad certificate table: entry at 0x%" PRIx64 " claims %u bytes, "
					   "the table has %" PRIu64, off, elen, end - off);
			else
				bad(x, "entry %u of the certificate table claims %u bytes, %" PRIu64
				    " remain", entries, elen, end - off);
			break;
		}
		entries++;
		if (type == WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
			uint32_t dlen = elen - WIN_CERT_HEADER;
			const unsigned char *p = x->buf + off + WIN_CERT_HEADER;
			PKCS7 *p7 = dlen <= AC_MAX_ENTRY ? d2i_PKCS7(NULL, &p, (long)dlen) : NULL;
			if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign) {
				bad(x, "entry %u of the certificate table is not PKCS#7 SignedData",
				    entries - 1);
				PKCS7_free(p7);
				ERR_clear_error();
			} else {
				good++;
				enqueue(x, p7, entries - 1, 0, -1);
			}
		} else {
			bad(x, "entry %u of the certificate table has type 0x%04x, not PKCS#7", entries - 1,
			    type);
		}
		off += ((uint64_t)elen + 7) & ~(uint64_t)7;
	}
	if (!entries && !err->msg[0])
		lg_err_set(err, "bad certificate table: %u bytes, too short for an entry", info->cert_size);
	return entries ? (int)good : -EBADMSG;
}

int lg_authenticode_read(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
			 const unsigned char ah256[LG_SHA256_LEN], const unsigned char ah1[LG_SHA1_LEN],
			 unsigned flags, struct lg_authenticode *ac, struct lg_err *err)
{
	if (!buf || !info || !ac || info->n_sections > LG_PE_MAX_SECTIONS)
		return -EINVAL;
	memset(ac, 0, sizeof(*ac));
	if (!info->cert_size)
		return 0;
	struct lg_err dummy = { "" };
	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	struct actx *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->buf = buf;
	x->len = len;
	x->info = info;
	x->ac = ac;
	x->flags = flags;
	if (ah256 && ah1) {
		memcpy(x->ah256, ah256, LG_SHA256_LEN);
		memcpy(x->ah1, ah1, LG_SHA1_LEN);
		x->have_ah = 1;
	}
	x->oid_nested = OBJ_txt2obj(OID_NESTED_SIGNATURE, 1);
	x->oid_rfc3161 = OBJ_txt2obj(OID_RFC3161_COUNTERSIGN, 1);
	int r = -ENOMEM;
	if (x->oid_nested && x->oid_rfc3161)
		r = read_table(x, err);
	for (unsigned i = 0; i < x->nq && r >= 0; i++) {
		int e = decode_one(x, &x->q[i]);
		if (e < 0)
			r = e;
	}
	for (unsigned i = 0; i < x->nq; i++)
		PKCS7_free(x->q[i].p7);
	ASN1_OBJECT_free(x->oid_nested);
	ASN1_OBJECT_free(x->oid_rfc3161);
	free(x);
	ERR_clear_error();
	return r < 0 ? r : 0;
}

static bool ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
	}
	return !*a && !*b;
}

bool lg_ac_has_signer(const struct lg_authenticode *ac, const unsigned char *tbs, size_t tbs_len,
		      const char *publisher)
{
	if (!ac || !tbs || !tbs_len)
		return false;
	for (unsigned i = 0; i < ac->n_sigs; i++) {
		const struct lg_ac_sig *s = &ac->sigs[i];
		if (s->signer < 0)
			continue;
		if (publisher && !ascii_caseeq(s->certs[s->signer].subject_cn, publisher))
			continue;
		for (unsigned k = 0; k < s->n_chain; k++) {
			const struct lg_ac_cert *c = &s->certs[s->chain[k]];
			if (c->tbs_len == tbs_len && !memcmp(c->tbs, tbs, tbs_len))
				return true;
		}
	}
	return false;
}
