// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * minisign.c against signatures made by the real minisign tool: both
 * formats verify; a flipped bit anywhere in the file, the signature, the
 * trusted comment or its signature is refused with the matching message.
 */
#include "test.h"
#include "formats/minisign.h"

#include <sodium.h>
#include <sys/stat.h>

static char dir[] = "/tmp/lg-test-minisign-XXXXXX";

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
		exit(1);
	}
}

static char *path(const char *name)
{
	static char buf[8][512];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static char *slurp(const char *p, size_t *len)
{
	char *b = NULL;
	if (lg_read_file(p, 1 << 20, &b, len) < 0) {
		fprintf(stderr, "cannot read %s\n", p);
		exit(1);
	}
	return b;
}

static const char msg[] = "{\"schema\": 1, \"note\": \"a message signed by minisign for the tests\"}\n";
static const char tcomment[] = "lastgood test: trusted comment with spaces\tand a tab";

static struct lg_ms_pubkey key_a, key_b;

static void setup(void)
{
	if (system("command -v minisign >/dev/null 2>&1") != 0)
		T_SKIP("the minisign tool is not installed (Debian package minisign)");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	FILE *f = fopen(path("msg"), "w");
	fputs(msg, f);
	fclose(f);
	run("cd %s && minisign -G -W -p a.pub -s a.key >/dev/null && minisign -G -W -p b.pub -s b.key >/dev/null", dir);
	run("cd %s && minisign -S -s a.key -m msg -x msg.ED.minisig -t '%s' >/dev/null", dir, tcomment);
	run("cd %s && minisign -S -l -s a.key -m msg -x msg.Ed.minisig -t '%s' >/dev/null", dir, tcomment);
	run("cd %s && minisign -S -s b.key -m msg -x msg.b.minisig >/dev/null", dir);
	struct lg_err e = { "" };
	if (lg_ms_pubkey_load(path("a.pub"), &key_a, &e) < 0 || lg_ms_pubkey_load(path("b.pub"), &key_b, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
}

static void test_keyid_as_minisign_prints_it(void)
{
	size_t len;
	char *pub = slurp(path("a.pub"), &len);
	char id[17], want[17];
	lg_ms_keyid_format(key_a.keyid, id);
	/* "untrusted comment: minisign public key <ID>", where minisign drops
	 * leading zeros; we always print 16 digits. */
	snprintf(want, sizeof(want), "%016llX", strtoull(strstr(pub, "public key ") + 11, NULL, 16));
	CHECK_STR(id, want);
	/* and the fixed key of tests/fixtures/keys, byte order included */
	struct lg_ms_pubkey k;
	struct lg_err e = { "" };
	const char *fixed = "RWSKlhy1b9GCP+Kk4IQb62anBmLR/jFISrz6EXn0kYsux5WXLJb9LdzP";
	CHECK_INT(lg_ms_pubkey_parse(fixed, strlen(fixed), &k, &e), 0);
	lg_ms_keyid_format(k.keyid, id);
	CHECK_STR(id, "3F82D16FB51C968A");
	unsigned char zero_led[8] = { 0x40, 0xe5, 0x55, 0x63, 0xbc, 0x66, 0xb4, 0x06 };
	lg_ms_keyid_format(zero_led, id);
	CHECK_STR(id, "06B466BC6355E540");
	free(pub);
}

static void test_pubkey_forms(void)
{
	size_t len;
	char *pub = slurp(path("a.pub"), &len);
	struct lg_ms_pubkey k;
	struct lg_err e = { "" };

	/* The bare base64 line (what minisign -P takes), with and without newline. */
	char *b64 = strchr(pub, '\n') + 1;
	CHECK_INT(lg_ms_pubkey_parse(b64, strlen(b64), &k, &e), 0);
	CHECK_MEM(&k, &key_a, sizeof(k));
	CHECK_INT(lg_ms_pubkey_parse(b64, 56, &k, &e), 0);
	CHECK_MEM(&k, &key_a, sizeof(k));

	/* CRLF line ends, as after a trip through a Windows share. */
	char crlf[512];
	size_t cl = strchr(pub, '\n') - pub;
	snprintf(crlf, sizeof(crlf), "%.*s\r\n%.56s\r\n", (int)cl, pub, b64);
	CHECK_INT(lg_ms_pubkey_parse(crlf, strlen(crlf), &k, &e), 0);
	CHECK_MEM(&k, &key_a, sizeof(k));

	/* One character short, one too many, not base64. */
	CHECK_INT(lg_ms_pubkey_parse(b64, 55, &k, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "expected 56 base64 characters, found 55");
	char bad[64];
	memcpy(bad, b64, 56);
	bad[10] = '!';
	CHECK_INT(lg_ms_pubkey_parse(bad, 56, &k, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "invalid base64");
	CHECK_INT(lg_ms_pubkey_parse("", 0, &k, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "empty");

	/* Text after the key. */
	char extra[512];
	snprintf(extra, sizeof(extra), "%sjunk\n", pub);
	CHECK_INT(lg_ms_pubkey_parse(extra, strlen(extra), &k, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "unexpected text after line 2");

	/* A signature's base64 is no key: "ED" would need 100 characters. */
	CHECK_INT(lg_ms_pubkey_parse("untrusted comment: x\n", 21, &k, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "line 2");

	/* Algorithm other than Ed: re-encode with "Eq". */
	unsigned char bin[42];
	size_t bl;
	CHECK_INT(sodium_base642bin(bin, sizeof(bin), b64, 56, NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	bin[1] = 'q';
	char enc[64];
	sodium_bin2base64(enc, sizeof(enc), bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	CHECK_INT(lg_ms_pubkey_parse(enc, strlen(enc), &k, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "unsupported algorithm \"Eq\"");

	/* Missing file, named in the message. */
	CHECK_INT(lg_ms_pubkey_load(path("nope.pub"), &k, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "nope.pub");
	free(pub);
}

static void test_verify_both_formats(void)
{
	struct lg_ms_sig s;
	struct lg_err e = { "" };

	CHECK_INT(lg_ms_sig_load(path("msg.ED.minisig"), &s, &e), 0);
	CHECK_INT(s.alg, LG_MS_ALG_PREHASHED);
	CHECK_STR(s.trusted_comment, tcomment);
	CHECK_INT(s.trusted_comment_len, strlen(tcomment));
	CHECK_INT(lg_ms_verify(&key_a, &s, msg, strlen(msg), &e), 0);

	CHECK_INT(lg_ms_sig_load(path("msg.Ed.minisig"), &s, &e), 0);
	CHECK_INT(s.alg, LG_MS_ALG_LEGACY);
	CHECK_STR(s.trusted_comment, tcomment);
	CHECK_INT(lg_ms_verify(&key_a, &s, msg, strlen(msg), &e), 0);

	/* minisign's own default trusted comment (timestamp and file name) */
	CHECK_INT(lg_ms_sig_load(path("msg.b.minisig"), &s, &e), 0);
	CHECK_CONTAINS(s.trusted_comment, "timestamp:");
	CHECK_INT(lg_ms_verify(&key_b, &s, msg, strlen(msg), &e), 0);
}

/* Every bit of the message, both formats. */
static void test_flipped_bit_in_file(void)
{
	static const char *const sigs[] = { "msg.ED.minisig", "msg.Ed.minisig" };
	size_t n = strlen(msg);
	char m[sizeof(msg)];
	for (size_t k = 0; k < 2; k++) {
		struct lg_ms_sig s;
		struct lg_err e = { "" };
		CHECK_INT(lg_ms_sig_load(path(sigs[k]), &s, &e), 0);
		int refused = 0, right_msg = 0;
		for (size_t bit = 0; bit < n * 8; bit++) {
			memcpy(m, msg, n);
			m[bit / 8] ^= (char)(1 << (bit % 8));
			e.msg[0] = 0;
			if (lg_ms_verify(&key_a, &s, m, n, &e) == -EBADMSG)
				refused++;
			if (strstr(e.msg, "the file does not match its signature"))
				right_msg++;
		}
		CHECK_INT(refused, n * 8);
		CHECK_INT(right_msg, n * 8);
		/* one byte more or less */
		CHECK_INT(lg_ms_verify(&key_a, &s, msg, n - 1, &e), -EBADMSG);
		CHECK_INT(lg_ms_verify(&key_a, &s, "", 0, &e), -EBADMSG);
	}
}

/* Rebuild a .minisig text from its parts, with one bit of the binary
 * signature line flipped (bit < 74 * 8) or of the global signature. */
static void rebuild(const char *sigfile, size_t line, size_t bit, char *out, size_t outsz)
{
	size_t len;
	char *t = slurp(path(sigfile), &len);
	char *l[4];
	char *p = t;
	for (int i = 0; i < 4; i++) {
		l[i] = p;
		p = strchr(p, '\n');
		*p++ = 0;
	}
	unsigned char bin[74];
	size_t bl;
	const char *src = l[line];
	sodium_base642bin(bin, sizeof(bin), src, strlen(src), NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL);
	bin[bit / 8] ^= (unsigned char)(1 << (bit % 8));
	char enc[128];
	sodium_bin2base64(enc, sizeof(enc), bin, bl, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, outsz, "%s\n%s\n%s\n%s\n", l[0], line == 1 ? enc : l[1], l[2], line == 3 ? enc : l[3]);
	free(t);
}

static void test_flipped_bit_in_signature(void)
{
	static const char *const sigs[] = { "msg.ED.minisig", "msg.Ed.minisig" };
	char text[4096];
	for (size_t k = 0; k < 2; k++) {
		int sig_refused = 0, id_refused = 0, alg_refused = 0, global_refused = 0;
		for (size_t bit = 0; bit < 74 * 8; bit++) {
			struct lg_ms_sig s;
			struct lg_err e = { "" };
			rebuild(sigs[k], 1, bit, text, sizeof(text));
			int r = lg_ms_sig_parse(text, strlen(text), &s, &e);
			if (r == 0)
				r = lg_ms_verify(&key_a, &s, msg, strlen(msg), &e);
			if (bit < 16)
				alg_refused += r != 0; /* another algorithm: parse or verify fails */
			else if (bit < 80)
				id_refused += r == -ENOKEY && strstr(e.msg, "unknown key");
			else
				sig_refused += r == -EBADMSG && strstr(e.msg, "the file does not match its signature");
		}
		CHECK_INT(alg_refused, 16);
		CHECK_INT(id_refused, 64);
		CHECK_INT(sig_refused, 64 * 8);
		for (size_t bit = 0; bit < 64 * 8; bit++) {
			struct lg_ms_sig s;
			struct lg_err e = { "" };
			rebuild(sigs[k], 3, bit, text, sizeof(text));
			CHECK_INT(lg_ms_sig_parse(text, strlen(text), &s, &e), 0);
			global_refused += lg_ms_verify(&key_a, &s, msg, strlen(msg), &e) == -EBADMSG &&
					  strstr(e.msg, "the trusted comment does not match its signature");
		}
		CHECK_INT(global_refused, 64 * 8);
	}
}

static void test_flipped_bit_in_trusted_comment(void)
{
	static const char *const sigs[] = { "msg.ED.minisig", "msg.Ed.minisig" };
	for (size_t k = 0; k < 2; k++) {
		size_t len;
		char *t = slurp(path(sigs[k]), &len);
		char *tc = (strstr(t, "\ntrusted comment: ") + 1) + strlen("trusted comment: ");
		size_t tcl = strchr(tc, '\n') - tc;
		int refused = 0, right = 0, tried = 0;
		for (size_t bit = 0; bit < tcl * 8; bit++) {
			char c = tc[bit / 8];
			tc[bit / 8] ^= (char)(1 << (bit % 8));
			struct lg_ms_sig s;
			struct lg_err e = { "" };
			tried++;
			int r = lg_ms_sig_parse(t, len, &s, &e);
			if (r == 0)
				r = lg_ms_verify(&key_a, &s, msg, strlen(msg), &e);
			refused += r != 0;
			/* a flip to '\n', '\r' or NUL breaks the file's layout instead */
			right += r == -EBADMSG && strstr(e.msg, "trusted comment was changed");
			right += r == -EINVAL;
			tc[bit / 8] = c;
		}
		CHECK_INT(refused, tried);
		CHECK_INT(right, tried);
		/* a comment cut short, or one character added */
		struct lg_ms_sig s;
		struct lg_err e = { "" };
		CHECK_INT(lg_ms_sig_parse(t, len, &s, &e), 0);
		s.trusted_comment_len--;
		CHECK_INT(lg_ms_verify(&key_a, &s, msg, strlen(msg), &e), -EBADMSG);
		s.trusted_comment_len += 2;
		CHECK_INT(lg_ms_verify(&key_a, &s, msg, strlen(msg), &e), -EBADMSG);
		free(t);
	}
}

static void test_wrong_key(void)
{
	struct lg_ms_sig s;
	struct lg_err e = { "" };
	char ida[17], idb[17];
	lg_ms_keyid_format(key_a.keyid, ida);
	lg_ms_keyid_format(key_b.keyid, idb);

	CHECK_INT(lg_ms_sig_load(path("msg.ED.minisig"), &s, &e), 0);
	CHECK_INT(lg_ms_verify(&key_b, &s, msg, strlen(msg), &e), -ENOKEY);
	CHECK_CONTAINS(e.msg, ida);
	CHECK_CONTAINS(e.msg, idb);

	/* Same id, other key bytes: the id check passes, the signature fails. */
	struct lg_ms_pubkey forged = key_b;
	memcpy(forged.keyid, key_a.keyid, sizeof(forged.keyid));
	CHECK_INT(lg_ms_verify(&forged, &s, msg, strlen(msg), &e), -EBADMSG);

	/* Several trusted keys: the one with the id verifies. */
	struct lg_ms_pubkey set[3] = { key_b, forged, key_a };
	size_t which = 99;
	CHECK_INT(lg_ms_verify_any(set, 3, &s, msg, strlen(msg), &which, &e), 0);
	CHECK_INT(which, 2);
	CHECK_INT(lg_ms_verify_any(set, 2, &s, msg, strlen(msg), &which, &e), -EBADMSG);
	CHECK_INT(lg_ms_verify_any(set, 1, &s, msg, strlen(msg), &which, &e), -ENOKEY);
	CHECK_CONTAINS(e.msg, "unknown key: signed with key ID");
	CHECK_CONTAINS(e.msg, ida);
	CHECK_CONTAINS(e.msg, idb);
	CHECK_INT(lg_ms_verify_any(set, 0, &s, msg, strlen(msg), &which, &e), -ENOKEY);
	CHECK_CONTAINS(e.msg, "no trusted key");
}

static void test_sig_file_layout(void)
{
	size_t len;
	char *t = slurp(path("msg.ED.minisig"), &len);
	struct lg_ms_sig s;
	struct lg_err e = { "" };
	char buf[20000];

	/* CRLF everywhere, and extra line ends at the end, are fine. */
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\n')
			buf[o++] = '\r';
		buf[o++] = t[i];
	}
	memcpy(buf + o, "\r\n\n", 3);
	CHECK_INT(lg_ms_sig_parse(buf, o + 3, &s, &e), 0);
	CHECK_STR(s.trusted_comment, tcomment);
	CHECK_INT(lg_ms_verify(&key_a, &s, msg, strlen(msg), &e), 0);

	/* Three lines only. */
	char *l4 = (strstr(t, "\ntrusted comment: ") + 1);
	l4 = strchr(l4, '\n') + 1;
	CHECK_INT(lg_ms_sig_parse(t, (size_t)(l4 - t), &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "3 lines, expected 4");
	/* Text after line 4. */
	snprintf(buf, sizeof(buf), "%sextra\n", t);
	CHECK_INT(lg_ms_sig_parse(buf, strlen(buf), &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "after line 4");
	/* A NUL byte. */
	memcpy(buf, t, len);
	buf[5] = 0;
	CHECK_INT(lg_ms_sig_parse(buf, len, &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "NUL");
	/* Wrong prefixes. */
	memcpy(buf, t, len);
	buf[0] = 'U';
	CHECK_INT(lg_ms_sig_parse(buf, len, &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "line 1");
	memcpy(buf, t, len);
	buf[(strstr(t, "\ntrusted comment: ") + 1) - t + 1] = 'R';
	CHECK_INT(lg_ms_sig_parse(buf, len, &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "line 3");
	/* Signature line one character short / global signature with a bad character. */
	char *l2 = strchr(t, '\n') + 1;
	o = (size_t)(l2 - t);
	memcpy(buf, t, o);
	memcpy(buf + o, l2 + 1, len - o - 1);
	CHECK_INT(lg_ms_sig_parse(buf, len - 1, &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "line 2: expected 100 base64 characters, found 99");
	memcpy(buf, t, len);
	buf[len - 5] = '*';
	CHECK_INT(lg_ms_sig_parse(buf, len, &s, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "line 4: invalid base64");

	/* Trusted comment at minisign's limit, and over it. */
	char *l3 = (strstr(t, "\ntrusted comment: ") + 1);
	size_t head = (size_t)(l3 - t);
	char *rest = strchr(l3, '\n');
	for (size_t tl = 8192 - 18; tl <= 8192 - 17; tl++) {
		o = head;
		memcpy(buf, t, head);
		o += (size_t)sprintf(buf + o, "trusted comment: ");
		memset(buf + o, 'x', tl);
		o += tl;
		memcpy(buf + o, rest, strlen(rest));
		o += strlen(rest);
		int r = lg_ms_sig_parse(buf, o, &s, &e);
		if (tl == 8192 - 18) {
			CHECK_INT(r, 0);
			CHECK_INT(s.trusted_comment_len, tl);
			/* parses, but the global signature is over another text */
			CHECK_INT(lg_ms_verify(&key_a, &s, msg, strlen(msg), &e), -EBADMSG);
		} else {
			CHECK_INT(r, -EINVAL);
			CHECK_CONTAINS(e.msg, "trusted comment longer than");
		}
	}

	/* A file of 1 MiB is no signature file. */
	FILE *f = fopen(path("big.minisig"), "w");
	for (int i = 0; i < 1 << 20; i++)
		fputc('A', f);
	fclose(f);
	CHECK_INT(lg_ms_sig_load(path("big.minisig"), &s, &e), -EFBIG);
	CHECK_CONTAINS(e.msg, "big.minisig");
	free(t);
}

int main(void)
{
	setup();
	RUN(test_keyid_as_minisign_prints_it);
	RUN(test_pubkey_forms);
	RUN(test_verify_both_formats);
	RUN(test_flipped_bit_in_file);
	RUN(test_flipped_bit_in_signature);
	RUN(test_flipped_bit_in_trusted_comment);
	RUN(test_wrong_key);
	RUN(test_sig_file_layout);
	run("rm -rf %s", dir);
	return t_done();
}
