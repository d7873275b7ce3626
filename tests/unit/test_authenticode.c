// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Authenticode signatures (formats/authenticode.c) on PE images written by
 * tests/fixtures/mkpe.h and signed here with OpenSSL's PKCS7 API: a test
 * chain (self-signed CA, leaf), SpcIndirectDataContent over the image's
 * Authenticode hash, the messageDigest attribute over the content as
 * Authenticode defines it. Checked: every field against what OpenSSL says
 * of the same certificates (thumbprints, TBS hash recomputed from
 * i2d_re_X509_tbs), bytes appended after the signature, a nested
 * signature, a counter-signature's time, a truncated signature, a
 * signature without certificates,
 * a certificate table that lies, and mutated signatures (no crash).
 */
#include "formats/authenticode.h"
#include "test.h"

#include "../fixtures/mkpe.h"

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

/* SpcIndirectDataContent, to write one (authenticode.c reads it). */
typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
} T_SPC_ATTR;
typedef struct {
	T_SPC_ATTR *data;
	X509_SIG *digest;
} T_SPC_INDIRECT;
DECLARE_ASN1_ITEM(T_SPC_ATTR)
DECLARE_ASN1_ITEM(T_SPC_INDIRECT)
ASN1_SEQUENCE(T_SPC_ATTR) = {
	ASN1_SIMPLE(T_SPC_ATTR, type, ASN1_OBJECT),
	ASN1_OPT(T_SPC_ATTR, value, ASN1_ANY),
} ASN1_SEQUENCE_END(T_SPC_ATTR)
ASN1_SEQUENCE(T_SPC_INDIRECT) = {
	ASN1_SIMPLE(T_SPC_INDIRECT, data, T_SPC_ATTR),
	ASN1_SIMPLE(T_SPC_INDIRECT, digest, X509_SIG),
} ASN1_SEQUENCE_END(T_SPC_INDIRECT)

struct ident {
	EVP_PKEY *key;
	X509 *cert;
};

static X509 *make_cert(const char *cn, EVP_PKEY *key, const struct ident *issuer, long serial)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"lastgood tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : n);
	X509_set_pubkey(x, key);
	X509_sign(x, issuer ? issuer->key : key, EVP_sha256());
	return x;
}

static struct ident make_ident(const char *cn, const struct ident *issuer, long serial)
{
	struct ident id;
	id.key = EVP_EC_gen("P-256");
	id.cert = make_cert(cn, id.key, issuer, serial);
	return id;
}

static void free_ident(struct ident *id)
{
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
}

/* DER of a PKCS#7 SignedData over SpcIndirectDataContent{digest}. */
static PKCS7 *make_p7(const unsigned char *digest, size_t dlen, const EVP_MD *md, const struct ident *signer,
		      X509 *const *certs, size_t n_certs)
{
	T_SPC_INDIRECT *ind = (T_SPC_INDIRECT *)ASN1_item_new(ASN1_ITEM_rptr(T_SPC_INDIRECT));
	ind->data->type = OBJ_txt2obj("1.3.6.1.4.1.311.2.1.15", 1);
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *dig;
	X509_SIG_getm(ind->digest, &alg, &dig);
	X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL);
	ASN1_OCTET_STRING_set(dig, digest, (int)dlen);
	unsigned char *der = NULL;
	int der_len = ASN1_item_i2d((ASN1_VALUE *)ind, &der, ASN1_ITEM_rptr(T_SPC_INDIRECT));
	ASN1_item_free((ASN1_VALUE *)ind, ASN1_ITEM_rptr(T_SPC_INDIRECT));

	PKCS7 *p7 = PKCS7_new();
	PKCS7_set_type(p7, NID_pkcs7_signed);
	PKCS7_SIGNER_INFO *si = PKCS7_add_signature(p7, signer->cert, signer->key, md);
	for (size_t i = 0; i < n_certs; i++)
		PKCS7_add_certificate(p7, certs[i]);
	PKCS7 *inner = PKCS7_new();
	inner->type = OBJ_txt2obj("1.3.6.1.4.1.311.2.1.4", 1);
	ASN1_STRING *seq = ASN1_STRING_new();
	ASN1_STRING_set(seq, der, der_len);
	inner->d.other = ASN1_TYPE_new();
	ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
	PKCS7_set_content(p7, inner);
	PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
				   OBJ_txt2obj("1.3.6.1.4.1.311.2.1.4", 1));
	/* The signed bytes: the content without its SEQUENCE header. */
	const unsigned char *p = der;
	long clen;
	int tag, cls;
	ASN1_get_object(&p, &clen, &tag, &cls, der_len);
	unsigned char md_out[EVP_MAX_MD_SIZE];
	unsigned int md_len;
	EVP_Digest(p, (size_t)clen, md_out, &md_len, md, NULL);
	PKCS7_add1_attrib_digest(si, md_out, (int)md_len);
	CHECK(PKCS7_SIGNER_INFO_sign(si) == 1);
	OPENSSL_free(der);
	return p7;
}

static unsigned char *p7_der(PKCS7 *p7, int *len)
{
	unsigned char *der = NULL;
	*len = i2d_PKCS7(p7, &der);
	return der;
}

/* An unsigned driver image from mkpe, and its Authenticode hashes. */
static unsigned char *unsigned_image(size_t *len, unsigned char ah256[32], unsigned char ah1[20])
{
	struct mkpe_opts o = {
		.pe32plus = true,
		.n_sections = 2,
		.version = true,
		.file_version = { 1, 2, 3, 4 },
		.strings = { { "OriginalFilename", "signed.sys" } },
	};
	unsigned char *img = NULL;
	struct mkpe_layout lay;
	if (mkpe_build(&o, &img, len, &lay) != 0 || *len % 8) {
		T_FAIL_AT("mkpe_build");
		exit(1);
	}
	struct lg_pe_info info;
	CHECK_INT(lg_pe_parse(img, *len, &info, NULL), 0);
	CHECK_INT(lg_pe_authentihash(img, *len, &info, ah256, ah1), 0);
	return img;
}

/* Append a WIN_CERTIFICATE holding der and point data directory 4 at it. */
static unsigned char *attach(unsigned char *img, size_t *len, const unsigned char *der, size_t dlen)
{
	struct lg_pe_info info;
	CHECK_INT(lg_pe_parse(img, *len, &info, NULL), 0);
	size_t entry = (8 + dlen + 7) & ~(size_t)7;
	img = realloc(img, *len + entry);
	unsigned char *w = img + *len;
	memset(w, 0, entry);
	uint32_t el = (uint32_t)(8 + dlen);
	memcpy(w, &el, 4); /* little-endian host (x86_64, arm64) */
	w[4] = 0x00, w[5] = 0x02, w[6] = 0x02, w[7] = 0x00;
	memcpy(w + 8, der, dlen);
	uint32_t off = (uint32_t)*len, sz = (uint32_t)entry;
	memcpy(img + info.cert_dir_offset, &off, 4);
	memcpy(img + info.cert_dir_offset + 4, &sz, 4);
	*len += entry;
	return img;
}

static int read_ac(const unsigned char *img, size_t len, struct lg_authenticode *ac, struct lg_err *err)
{
	struct lg_pe_info info;
	int r = lg_pe_parse(img, len, &info, err);
	if (r < 0)
		return r;
	return lg_authenticode_read(img, len, &info, NULL, NULL, LG_AC_VERIFY, ac, err);
}

static void check_cert_fields(const struct lg_ac_cert *c, X509 *x, const char *cn, const char *issuer_cn)
{
	CHECK(!strcmp(c->subject_cn, cn));
	CHECK(!strcmp(c->issuer_cn, issuer_cn));
	unsigned char d[32];
	unsigned int dl;
	X509_digest(x, EVP_sha1(), d, &dl);
	CHECK(!memcmp(c->sha1, d, 20));
	X509_digest(x, EVP_sha256(), d, &dl);
	CHECK(!memcmp(c->sha256, d, 32));
	/* The TBS hash, independently: OpenSSL's own TBS encoding, SHA-256
	 * (the certificates are signed with ecdsa-with-SHA256). */
	unsigned char *tbs = NULL;
	int tl = i2d_re_X509_tbs(x, &tbs);
	EVP_Digest(tbs, (size_t)tl, d, &dl, EVP_sha256(), NULL);
	OPENSSL_free(tbs);
	CHECK_INT(c->tbs_len, 32);
	CHECK(!memcmp(c->tbs, d, 32));
	CHECK(!strcmp(c->tbs_alg, "sha256"));
	unsigned char der[4096], *p = der;
	int n = i2d_X509(x, &p);
	unsigned char t2[LG_AC_DIGEST_MAX];
	char alg[LG_AC_ALG_MAX];
	CHECK_INT(lg_ac_tbs_hash(der, (size_t)n, t2, alg), 32);
	CHECK(!memcmp(t2, c->tbs, 32));
}

static struct ident ca, leaf, other;

static void test_one_signature(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	X509 *certs[] = { leaf.cert, ca.cert };
	PKCS7 *p7 = make_p7(ah256, 32, EVP_sha256(), &leaf, certs, 2);
	int dl;
	unsigned char *der = p7_der(p7, &dl);
	img = attach(img, &len, der, (size_t)dl);

	struct lg_authenticode *ac = malloc(sizeof(*ac));
	struct lg_err err = { "" };
	CHECK_INT(read_ac(img, len, ac, &err), 0);
	CHECK_INT(ac->n_sigs, 1);
	CHECK_INT(ac->n_bad, 0);
	const struct lg_ac_sig *s = &ac->sigs[0];
	CHECK(!strcmp(s->digest_alg, "sha256"));
	CHECK_INT(s->digest_len, 32);
	CHECK(!memcmp(s->digest, ah256, 32));
	CHECK_INT(s->digest_matches_file, 1);
	CHECK_INT(s->signature_ok, 1);
	CHECK_INT(s->parent, -1);
	CHECK_INT(s->n_certs, 2);
	CHECK_INT(s->signer, 0);
	CHECK_INT(s->n_chain, 2);
	CHECK_INT(s->chain[0], 0);
	CHECK_INT(s->chain[1], 1);
	CHECK_INT(s->chain_ok, 1);
	CHECK(!s->has_time);
	check_cert_fields(&s->certs[0], leaf.cert, "Test Leaf Publisher", "Test Code Signing CA");
	check_cert_fields(&s->certs[1], ca.cert, "Test Code Signing CA", "Test Code Signing CA");
	CHECK(!strcmp(s->certs[0].serial, "1002"));
	CHECK(s->certs[1].self_signed);
	CHECK_INT(s->certs[0].issuer, 1);

	/* Signer conditions: the CA's or the leaf's TBS, with or without
	 * the leaf's CN (ASCII case ignored); not another certificate's. */
	CHECK(lg_ac_has_signer(ac, s->certs[1].tbs, 32, NULL));
	CHECK(lg_ac_has_signer(ac, s->certs[0].tbs, 32, NULL));
	CHECK(lg_ac_has_signer(ac, s->certs[1].tbs, 32, "test leaf PUBLISHER"));
	CHECK(!lg_ac_has_signer(ac, s->certs[1].tbs, 32, "Test Leaf"));
	unsigned char wrong[32];
	memcpy(wrong, s->certs[1].tbs, 32);
	wrong[31] ^= 1;
	CHECK(!lg_ac_has_signer(ac, wrong, 32, NULL));
	CHECK(!lg_ac_has_signer(ac, s->certs[1].tbs, 20, NULL));

	/* Without LG_AC_VERIFY nothing is checked, everything else read. */
	struct lg_pe_info info;
	CHECK_INT(lg_pe_parse(img, len, &info, NULL), 0);
	CHECK_INT(lg_authenticode_read(img, len, &info, NULL, NULL, 0, ac, NULL), 0);
	CHECK_INT(ac->sigs[0].digest_matches_file, -1);
	CHECK_INT(ac->sigs[0].signature_ok, -1);
	CHECK_INT(ac->sigs[0].chain_ok, -1);
	CHECK_INT(ac->sigs[0].n_chain, 2);

	/* Another key's signature over the same content does not verify. */
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	ASN1_OCTET_STRING *sig = si->enc_digest;
	sig->data[sig->length / 2] ^= 0x55;
	OPENSSL_free(der);
	der = p7_der(p7, &dl);
	free(img);
	img = unsigned_image(&len, ah256, ah1);
	img = attach(img, &len, der, (size_t)dl);
	CHECK_INT(read_ac(img, len, ac, &err), 0);
	CHECK_INT(ac->sigs[0].signature_ok, 0);
	CHECK_INT(ac->sigs[0].digest_matches_file, 1);
	free(ac);
	free(img);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

/* Bytes appended after the certificate table (what a real gdrv.sys has):
 * the file's hash changes, the signed digest does not. */
static void test_appended_data(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20], after[32];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	X509 *certs[] = { leaf.cert, ca.cert };
	PKCS7 *p7 = make_p7(ah256, 32, EVP_sha256(), &leaf, certs, 2);
	int dl;
	unsigned char *der = p7_der(p7, &dl);
	img = attach(img, &len, der, (size_t)dl);
	img = realloc(img, len + 949);
	memset(img + len, 0xa5, 949);
	len += 949;
	struct lg_pe_info info;
	CHECK_INT(lg_pe_parse(img, len, &info, NULL), 0);
	CHECK_INT(lg_pe_authentihash(img, len, &info, after, NULL), 0);
	CHECK(memcmp(after, ah256, 32) != 0);
	struct lg_authenticode *ac = malloc(sizeof(*ac));
	CHECK_INT(read_ac(img, len, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 1);
	CHECK(!memcmp(ac->sigs[0].digest, ah256, 32));
	CHECK_INT(ac->sigs[0].digest_matches_file, 0);
	CHECK_INT(ac->sigs[0].signature_ok, 1);
	free(ac);
	free(img);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

/* A dual-signed file: SHA-256 outside, SHA-1 nested in its unauthenticated
 * attribute 1.3.6.1.4.1.311.2.4.1, signed by another publisher. */
/* An unauthenticated attribute of p7's (first) signer holding DER bytes:
 * a nested signature, a counter-signature. */
static void add_unsigned_attr(PKCS7 *p7, int nid, const unsigned char *der, int len)
{
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	ASN1_STRING *seq = ASN1_STRING_new();
	ASN1_STRING_set(seq, der, len);
	CHECK(PKCS7_add_attribute(si, nid, V_ASN1_SEQUENCE, seq) == 1);
}

static void test_nested(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	X509 *certs[] = { leaf.cert, ca.cert };
	X509 *certs2[] = { other.cert, ca.cert };
	PKCS7 *outer = make_p7(ah256, 32, EVP_sha256(), &leaf, certs, 2);
	PKCS7 *in = make_p7(ah1, 20, EVP_sha1(), &other, certs2, 2);
	int il;
	unsigned char *ider = p7_der(in, &il);
	int nid = OBJ_txt2nid("1.3.6.1.4.1.311.2.4.1");
	if (nid == NID_undef)
		nid = OBJ_create("1.3.6.1.4.1.311.2.4.1", "lgTestNested", "nested signature (test)");
	add_unsigned_attr(outer, nid, ider, il);
	int dl;
	unsigned char *der = p7_der(outer, &dl);
	img = attach(img, &len, der, (size_t)dl);

	struct lg_authenticode *ac = malloc(sizeof(*ac));
	CHECK_INT(read_ac(img, len, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 2);
	CHECK(!strcmp(ac->sigs[0].digest_alg, "sha256"));
	CHECK_INT(ac->sigs[1].parent, 0);
	CHECK(!strcmp(ac->sigs[1].digest_alg, "sha1"));
	CHECK_INT(ac->sigs[1].digest_len, 20);
	CHECK_INT(ac->sigs[1].digest_matches_file, 1);
	CHECK_INT(ac->sigs[1].signature_ok, 1);
	CHECK(!strcmp(ac->sigs[1].certs[ac->sigs[1].signer].subject_cn, "Other Publisher"));
	/* The nested signer's publisher is found too. */
	CHECK(lg_ac_has_signer(ac, ac->sigs[1].certs[1].tbs, 32, "Other Publisher"));
	/* Digests only (what the matcher reads for an Authenticode rule). */
	struct lg_pe_info info;
	CHECK_INT(lg_pe_parse(img, len, &info, NULL), 0);
	CHECK_INT(lg_authenticode_read(img, len, &info, NULL, NULL, LG_AC_DIGESTS_ONLY, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 2);
	CHECK_INT(ac->sigs[0].n_certs, 0);
	CHECK_INT(ac->sigs[0].signer, -1);
	CHECK(!memcmp(ac->sigs[0].digest, ah256, 32));
	CHECK(!memcmp(ac->sigs[1].digest, ah1, 20));
	CHECK(!lg_ac_has_signer(ac, ah256, 32, NULL));
	free(ac);
	free(img);
	OPENSSL_free(der);
	OPENSSL_free(ider);
	PKCS7_free(outer);
	PKCS7_free(in);
}

/* An Authenticode counter-signature (the timestamp form older than RFC
 * 3161, PKCS #9 countersignature in the unauthenticated attributes): its
 * signingTime is the signature's time, source "countersignature". Made
 * with OpenSSL's API: a SignerInfo of the "timestamp authority" over the
 * signature's encrypted digest. */
static void test_countersignature(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	X509 *certs[] = { leaf.cert, ca.cert };
	PKCS7 *p7 = make_p7(ah256, 32, EVP_sha256(), &leaf, certs, 2);
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);

	PKCS7_SIGNER_INFO *cs = PKCS7_SIGNER_INFO_new();
	CHECK(PKCS7_SIGNER_INFO_set(cs, other.cert, other.key, EVP_sha256()) == 1);
	ASN1_UTCTIME *when = ASN1_UTCTIME_new();
	CHECK(ASN1_UTCTIME_set_string(when, "210304050607Z") == 1); /* 2021-03-04T05:06:07Z */
	CHECK(PKCS7_add_signed_attribute(cs, NID_pkcs9_signingTime, V_ASN1_UTCTIME, when) == 1);
	CHECK(PKCS7_add_signed_attribute(cs, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data)) == 1);
	unsigned char md[32];
	unsigned int mdl;
	EVP_Digest(si->enc_digest->data, (size_t)si->enc_digest->length, md, &mdl, EVP_sha256(), NULL);
	CHECK(PKCS7_add1_attrib_digest(cs, md, (int)mdl) == 1);
	CHECK(PKCS7_SIGNER_INFO_sign(cs) == 1);
	unsigned char *csder = NULL;
	int csl = i2d_PKCS7_SIGNER_INFO(cs, &csder);
	CHECK(csl > 0);
	add_unsigned_attr(p7, NID_pkcs9_countersignature, csder, csl);
	int dl;
	unsigned char *der = p7_der(p7, &dl);
	img = attach(img, &len, der, (size_t)dl);

	struct lg_authenticode *ac = malloc(sizeof(*ac));
	CHECK_INT(read_ac(img, len, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 1);
	CHECK(ac->sigs[0].has_time);
	CHECK_INT(ac->sigs[0].signing_time, 1614834367);
	CHECK(ac->sigs[0].time_source && !strcmp(ac->sigs[0].time_source, "countersignature"));
	CHECK_INT(ac->sigs[0].digest_matches_file, 1);
	CHECK_INT(ac->sigs[0].signature_ok, 1);

	free(ac);
	free(img);
	OPENSSL_free(der);
	OPENSSL_free(csder);
	PKCS7_SIGNER_INFO_free(cs);
	PKCS7_free(p7);
}

/* A signature cut short inside its entry, and a table entry that claims
 * more than the table has. */
static void test_truncated(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	X509 *certs[] = { leaf.cert, ca.cert };
	PKCS7 *p7 = make_p7(ah256, 32, EVP_sha256(), &leaf, certs, 2);
	int dl;
	unsigned char *der = p7_der(p7, &dl);
	size_t base = len;
	img = attach(img, &len, der, (size_t)dl / 2);
	struct lg_authenticode *ac = malloc(sizeof(*ac));
	struct lg_err err = { "" };
	CHECK_INT(read_ac(img, len, ac, &err), 0);
	CHECK_INT(ac->n_sigs, 0);
	CHECK_INT(ac->n_bad, 1);
	CHECK(strstr(ac->bad, "not PKCS#7 SignedData") != NULL);

	/* dwLength past the table: -EBADMSG, with the reason. */
	uint32_t big = 0x100000;
	memcpy(img + base, &big, 4);
	CHECK_INT(read_ac(img, len, ac, &err), -EBADMSG);
	CHECK(strstr(err.msg, "claims") != NULL);
	/* dwLength below the header size. */
	uint32_t tiny = 4;
	memcpy(img + base, &tiny, 4);
	CHECK_INT(read_ac(img, len, ac, &err), -EBADMSG);
	free(ac);
	free(img);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

/* A signature that carries no certificate: the digest is read, there is
 * no signer certificate, nothing to match a signer condition with. */
static void test_no_certificates(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	PKCS7 *p7 = make_p7(ah256, 32, EVP_sha256(), &leaf, NULL, 0);
	int dl;
	unsigned char *der = p7_der(p7, &dl);
	img = attach(img, &len, der, (size_t)dl);
	struct lg_authenticode *ac = malloc(sizeof(*ac));
	CHECK_INT(read_ac(img, len, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 1);
	CHECK_INT(ac->sigs[0].n_certs, 0);
	CHECK_INT(ac->sigs[0].signer, -1);
	CHECK_INT(ac->sigs[0].n_chain, 0);
	CHECK_INT(ac->sigs[0].signature_ok, -1);
	CHECK_INT(ac->sigs[0].chain_ok, -1);
	CHECK_INT(ac->sigs[0].digest_matches_file, 1);
	CHECK(!lg_ac_has_signer(ac, ah256, 32, NULL));
	free(ac);
	free(img);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

/* An unsigned file; a table entry of another type; garbage certificates. */
static void test_odd_tables(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	struct lg_authenticode *ac = malloc(sizeof(*ac));
	CHECK_INT(read_ac(img, len, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 0);
	CHECK_INT(ac->n_bad, 0);
	unsigned char junk[40];
	memset(junk, 0x30, sizeof(junk));
	img = attach(img, &len, junk, sizeof(junk));
	CHECK_INT(read_ac(img, len, ac, NULL), 0);
	CHECK_INT(ac->n_sigs, 0);
	CHECK_INT(ac->n_bad, 1);
	unsigned char out[LG_AC_DIGEST_MAX];
	char alg[LG_AC_ALG_MAX];
	CHECK_INT(lg_ac_tbs_hash(junk, sizeof(junk), out, alg), -EBADMSG);
	free(ac);
	free(img);
}

/* Every byte of a signed image's table flipped in turn: no crash, only
 * the documented results (the sanitizer build checks memory). */
static void test_mutations(void)
{
	size_t len;
	unsigned char ah256[32], ah1[20];
	unsigned char *img = unsigned_image(&len, ah256, ah1);
	X509 *certs[] = { leaf.cert, ca.cert };
	PKCS7 *p7 = make_p7(ah256, 32, EVP_sha256(), &leaf, certs, 2);
	int dl;
	unsigned char *der = p7_der(p7, &dl);
	size_t base = len;
	img = attach(img, &len, der, (size_t)dl);
	struct lg_authenticode *ac = malloc(sizeof(*ac));
	unsigned bad_results = 0;
	for (size_t i = base; i < len; i += 3) {
		unsigned char save = img[i];
		img[i] ^= 0xff;
		int r = read_ac(img, len, ac, NULL);
		if (r != 0 && r != -EBADMSG)
			bad_results++;
		if (r == 0 && ac->n_sigs > LG_AC_MAX_SIGS)
			bad_results++;
		img[i] = save;
	}
	CHECK_INT(bad_results, 0);
	free(ac);
	free(img);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

int main(void)
{
	ca = make_ident("Test Code Signing CA", NULL, 1001);
	leaf = make_ident("Test Leaf Publisher", &ca, 0x1002);
	other = make_ident("Other Publisher", &ca, 1003);
	RUN(test_one_signature);
	RUN(test_appended_data);
	RUN(test_nested);
	RUN(test_countersignature);
	RUN(test_truncated);
	RUN(test_no_certificates);
	RUN(test_odd_tables);
	RUN(test_mutations);
	free_ident(&ca);
	free_ident(&leaf);
	free_ident(&other);
	return t_done();
}
