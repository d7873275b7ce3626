// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BitLocker: the FVE metadata parser on built and damaged blocks, then the
 * real volumes Windows made (the cryptsetup project's test images, see
 * ../shared/fixtures/bitlocker/README.md): identity and protectors against
 * images.conf, and key verification through libcryptsetup for every image
 * with its recovery password and startup key, from a key file, typed at a
 * pseudo-terminal, wrong, for another volume. Verification maps nothing,
 * so it runs without device-mapper; mapping is tested in QEMU
 * (tests/e2e/test_bitlocker*.sh).
 *
 * The images are unpacked into $OUT/cache/bitlk when missing
 * (LG_BITLK_ARCHIVE names the archive; default
 * ../shared/fixtures/bitlocker/bitlk-images.tar.xz); without the archive
 * the image tests are skipped and the parser tests still run.
 */
#include "test.h"

#include "storage/bitlocker.h"
#include "formats/keys.h"
#include "term/keyprompt.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

/* ---- GUIDs ---------------------------------------------------------------- */

static void test_guid(void)
{
	unsigned char g[16];
	char s[37], kid[9];
	CHECK_INT(lg_guid_parse("{64311DEA-4587-4029-924A-BA299647998E}", 38, g), 0);
	/* on disk the first three fields are little-endian */
	CHECK_INT(g[0], 0xea);
	CHECK_INT(g[3], 0x64);
	CHECK_INT(g[4], 0x87);
	CHECK_INT(g[8], 0x92);
	lg_guid_format(g, s);
	CHECK_STR(s, "64311dea-4587-4029-924a-ba299647998e");
	lg_guid_recovery_key_id(g, kid);
	CHECK_STR(kid, "64311DEA");
	CHECK_INT(lg_guid_parse("64311dea-4587-4029-924a-ba299647998", 35, g), -EINVAL);
	CHECK_INT(lg_guid_parse("64311dea+4587-4029-924a-ba299647998e", 36, g), -EINVAL);
	CHECK_INT(lg_guid_parse("64311dea-4587-4029-924a-ba299647998g", 36, g), -EINVAL);
}

/* ---- a built FVE metadata block ------------------------------------------- */

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> 8 * i); }

struct blk {
	unsigned char b[8192];
	size_t end;              /* of the entries */
};

static void blk_start(struct blk *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->b, "-FVE-FS-", 8);
	put16(k->b + 10, 2);
	put16(k->b + 12, 4);
	put16(k->b + 14, 4);
	put64(k->b + 16, 100 << 20);
	put32(k->b + 68, 1);
	put32(k->b + 72, 48);
	unsigned char g[16];
	lg_guid_parse("8f595209-f5b9-49a0-85d4-cb8f80258c27", 36, g);
	memcpy(k->b + 80, g, 16);
	put16(k->b + 100, 0x8004);
	put64(k->b + 104, 132066085150000000ULL); /* 2019-07-04 */
	k->end = 112;
}

static void blk_string(struct blk *k, unsigned type, const char *utf8ascii)
{
	size_t n = strlen(utf8ascii) + 1, sz = 8 + 2 * n;
	unsigned char *e = k->b + k->end;
	put16(e, (unsigned)sz);
	put16(e + 2, type);
	put16(e + 4, 2);
	put16(e + 6, 1);
	for (size_t i = 0; i < n; i++)
		put16(e + 8 + 2 * i, (unsigned char)utf8ascii[i]);
	k->end += sz;
}

static void blk_vmk(struct blk *k, const char *id, unsigned protection, const char *name)
{
	unsigned char *e = k->b + k->end;
	size_t sz = 8 + 28;
	unsigned char g[16];
	lg_guid_parse(id, strlen(id), g);
	put16(e + 2, 2);
	put16(e + 4, 8);
	put16(e + 6, 1);
	memcpy(e + 8, g, 16);
	put16(e + 8 + 26, protection);
	if (name) {
		size_t n = strlen(name) + 1;
		unsigned char *p = e + sz;
		put16(p, (unsigned)(8 + 2 * n));
		put16(p + 4, 2);
		for (size_t i = 0; i < n; i++)
			put16(p + 8 + 2 * i, (unsigned char)name[i]);
		sz += 8 + 2 * n;
	}
	/* an encrypted key property, as every real VMK has */
	unsigned char *p = e + sz;
	put16(p, 8 + 12 + 16 + 44);
	put16(p + 4, 5);
	sz += 8 + 12 + 16 + 44;
	put16(e, (unsigned)sz);
	k->end += sz;
}

/* Sizes and CRC: returns the block's length with its validation record. */
static size_t blk_finish(struct blk *k)
{
	put32(k->b + 64, (uint32_t)(k->end - 64));
	put32(k->b + 76, (uint32_t)(k->end - 64));
	size_t size = (k->end + 15) / 16 * 16;
	put16(k->b + 8, (unsigned)(size / 16));
	put16(k->b + size, 0x50);
	put16(k->b + size + 2, 2);
	put32(k->b + size + 4, (uint32_t)crc32(0, k->b, (uInt)size));
	return size + 8;
}

static void test_fve_parse(void)
{
	struct blk k;
	struct lg_bitlocker_info info;
	struct lg_err err = { "" };
	blk_start(&k);
	blk_string(&k, 7, "POS-17 C: 7/19/2024");
	blk_vmk(&k, "3e55195c-8811-4d9b-97b4-2b9e5f8f5384", 0x0100, NULL);
	blk_vmk(&k, "64311dea-4587-4029-924a-ba299647998e", 0x0800, "DiskPassword");
	blk_vmk(&k, "4381f759-c4f8-4de0-bb61-fc33a831bda5", 0x0200, "ExternalKey");
	blk_vmk(&k, "7d2245b9-ccd5-49d0-b4f5-653162a71744", 0x0300, NULL);
	size_t len = blk_finish(&k);
	memset(&info, 0, sizeof(info));
	CHECK_INT(lg_fve_parse(k.b, len, &info, &err), 0);
	CHECK_STR(info.volume_guid, "8f595209-f5b9-49a0-85d4-cb8f80258c27");
	CHECK(info.crc_ok);
	CHECK_INT(info.encryption, 0x8004);
	CHECK_STR(lg_bl_encryption_name(info.encryption), "XTS-AES 128");
	CHECK_STR(info.description, "POS-17 C: 7/19/2024");
	CHECK_INT(info.created, 1562134915);
	CHECK_INT(info.n_protectors, 4);
	CHECK_INT(info.protectors[0].kind, LG_BL_PROT_TPM);
	CHECK_INT(info.protectors[1].kind, LG_BL_PROT_RECOVERY_PASSWORD);
	CHECK_STR(info.protectors[1].id, "64311dea-4587-4029-924a-ba299647998e");
	CHECK_STR(info.protectors[1].name, "DiskPassword");
	CHECK_INT(info.protectors[2].kind, LG_BL_PROT_STARTUP_KEY);
	CHECK_STR(info.protectors[2].name, "ExternalKey");
	/* not a type Windows is known to write: shown by number, not guessed */
	CHECK_INT(info.protectors[3].kind, LG_BL_PROT_UNKNOWN);
	CHECK_INT(info.protectors[3].protection, 0x0300);

	json_t *j = lg_bitlocker_info_json(&info);
	json_t *p1 = json_array_get(json_object_get(j, "protectors"), 1);
	CHECK_STR(json_string_value(json_object_get(p1, "type")), "recovery-password");
	CHECK_STR(json_string_value(json_object_get(p1, "recovery_key_id")), "64311DEA");
	CHECK_STR(json_string_value(json_object_get(j, "cipher")), "aes-xts-plain64");
	CHECK_INT(json_integer_value(json_object_get(j, "key_bits")), 256);
	CHECK_STR(json_string_value(json_object_get(j, "created")), "2019-07-03T06:21:55Z");
	CHECK(json_object_get(j, "unsupported") == NULL);
	json_decref(j);

	/* a flipped bit: still parsed (listing must not depend on it), CRC
	 * says so */
	k.b[200] ^= 1;
	CHECK_INT(lg_fve_parse(k.b, len, &info, &err), 0);
	CHECK(!info.crc_ok);
	k.b[200] ^= 1;

	/* the validation record cut off: parsed, CRC unknown */
	CHECK_INT(lg_fve_parse(k.b, len - 8, &info, &err), 0);
	CHECK(!info.crc_ok);
}

static void test_fve_hostile(void)
{
	struct blk k, m;
	struct lg_bitlocker_info info;
	struct lg_err err = { "" };
	blk_start(&k);
	blk_vmk(&k, "64311dea-4587-4029-924a-ba299647998e", 0x0800, NULL);
	size_t len = blk_finish(&k);

	CHECK_INT(lg_fve_parse(k.b, 100, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata block: 100 bytes, its headers need 112");
	m = k;
	m.b[0] = 'X';
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata block: no \"-FVE-FS-\" signature");
	m = k;
	put16(m.b + 10, 1);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata block: version 1 (Windows Vista: not supported)");
	m = k;
	put16(m.b + 8, 3);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata block: size 48 is smaller than its headers");
	put16(m.b + 8, 4097);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata block: size 65552 is larger than the 64 KiB metadata area");
	/* metadata size beyond the block, and beyond what was read */
	m = k;
	put32(m.b + 64, 0xfffffff0u);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "metadata size 4294967280 does not fit the block");
	CHECK_INT(lg_fve_parse(k.b, 150, &info, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "does not fit the block (150 bytes)");
	m = k;
	put32(m.b + 72, 40);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata header at byte 64: version 1, header size 40 (expected 1 and 48)");
	/* an entry running past the metadata, one smaller than its header */
	m = k;
	put16(m.b + 112, 4000);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata entry at byte 112: size 4000 runs past the metadata");
	m = k;
	put16(m.b + 112, 5);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata entry at byte 112: size 5 is smaller than its header");
	/* a VMK entry too short for its GUID and type */
	m = k;
	put16(m.b + 112, 20);
	put16(m.b + 132, 0);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), -EBADMSG);
	CHECK_STR(err.msg, "FVE metadata entry at byte 112: VMK entry of 20 bytes, needs 36");
	/* a VMK property running past its entry: the protector stays listed */
	m = k;
	put16(m.b + 112 + 36, 2000);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), 0);
	CHECK_INT(info.n_protectors, 1);
	CHECK_STR(info.protectors[0].name, "");

	/* more protectors than kept */
	blk_start(&m);
	for (int i = 0; i < LG_BL_MAX_PROTECTORS + 3; i++) {
		char id[37];
		snprintf(id, sizeof(id), "%08x-4587-4029-924a-ba299647998e", i);
		blk_vmk(&m, id, 0x0800, NULL);
	}
	len = blk_finish(&m);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), 0);
	CHECK_INT(info.n_protectors, LG_BL_MAX_PROTECTORS);
	CHECK(info.protectors_truncated);

	/* a description with control characters and a lone surrogate */
	blk_start(&m);
	unsigned char *e = m.b + m.end;
	static const unsigned short text[] = { 'P', 'C', 0x1b, '[', '2', 'J', 0x9b, 0xd800, 'x', 0x00e9, 0 };
	put16(e, 8 + sizeof(text));
	put16(e + 2, 7);
	put16(e + 4, 2);
	for (size_t i = 0; i < ARRAY_SIZE(text); i++)
		put16(e + 8 + 2 * i, text[i]);
	m.end += 8 + sizeof(text);
	len = blk_finish(&m);
	CHECK_INT(lg_fve_parse(m.b, len, &info, &err), 0);
	CHECK_STR(info.description, "PC?[2J?\xef\xbf\xbdx\xc3\xa9");
}

/* ---- the images Windows made ---------------------------------------------- */

struct image {
	char name[64];
	char cipher[32], guid[40], pw_vmk[40], rp[64], rp_vmk[40], rp2[64], rp2_vmk[40];
	char sk_vmk[40], sc_vmk[40], ck_vmk[40];
};

static struct image images[32];
static size_t n_images;
static char imgdir[512];

static const char *out_dir(void)
{
	const char *o = getenv("OUT");
	return o && *o ? o : "out";
}

/* The unpacked images, unpacking the archive when needed. */
static bool have_images(void)
{
	static int state = -1;
	if (state >= 0)
		return state;
	state = 0;
	snprintf(imgdir, sizeof(imgdir), "%s/cache/bitlk/bitlk-images", out_dir());
	char conf[600];
	snprintf(conf, sizeof(conf), "%.400s/images.conf", imgdir);
	if (access(conf, R_OK) != 0) {
		const char *ar = getenv("LG_BITLK_ARCHIVE");
		if (!ar || !*ar)
			ar = "../shared/fixtures/bitlocker/bitlk-images.tar.xz";
		if (access(ar, R_OK) != 0)
			return false;
		char cmd[1400];
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s/cache/bitlk' && tar -xJf '%s' -C '%s/cache/bitlk'",
			 out_dir(), ar, out_dir());
		if (system(cmd) != 0)
			return false;
	}
	FILE *f = fopen(conf, "r");
	if (!f)
		return false;
	char line[256];
	struct image *im = NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '[' && n_images < ARRAY_SIZE(images)) {
			im = &images[n_images++];
			memset(im, 0, sizeof(*im));
			snprintf(im->name, sizeof(im->name), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
			continue;
		}
		char *eq = strchr(line, '=');
		if (!im || !eq)
			continue;
		*eq = 0;
		const char *v = eq + 1;
		struct { const char *k; char *dst; size_t n; } map[] = {
			{ "CIPHER", im->cipher, sizeof(im->cipher) }, { "GUID", im->guid, sizeof(im->guid) },
			{ "PW_VMK_GUID", im->pw_vmk, sizeof(im->pw_vmk) }, { "RP", im->rp, sizeof(im->rp) },
			{ "RP_VMK_GUID", im->rp_vmk, sizeof(im->rp_vmk) }, { "RP2", im->rp2, sizeof(im->rp2) },
			{ "RP2_VMK_GUID", im->rp2_vmk, sizeof(im->rp2_vmk) },
			{ "SK_VMK_GUID", im->sk_vmk, sizeof(im->sk_vmk) },
			{ "SC_VMK_GUID", im->sc_vmk, sizeof(im->sc_vmk) },
			{ "CLEARKEY_VMK_GUID", im->ck_vmk, sizeof(im->ck_vmk) },
		};
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(line, map[i].k))
				snprintf(map[i].dst, map[i].n, "%s", v);
	}
	fclose(f);
	state = n_images > 15;
	return state;
}

static void img_path(const struct image *im, char *out, size_t n)
{
	snprintf(out, n, "%.400s/%.63s.img", imgdir, im->name);
}

static const struct lg_bl_protector *prot(const struct lg_bitlocker_info *info, const char *id)
{
	for (size_t i = 0; i < info->n_protectors; i++)
		if (!strcmp(info->protectors[i].id, id))
			return &info->protectors[i];
	return NULL;
}

static bool probe_file(const char *path, uint64_t offset, struct lg_bitlocker_info *info, int *rc)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	struct stat st;
	fstat(fd, &st);
	*rc = lg_bitlocker_probe(fd, offset, (uint64_t)st.st_size - offset, info);
	close(fd);
	return true;
}

static void test_images_listing(void)
{
	if (!have_images()) {
		printf("(no BitLocker test images: listing not checked)\n");
		return;
	}
	for (size_t i = 0; i < n_images; i++) {
		const struct image *im = &images[i];
		char path[1024];
		img_path(im, path, sizeof(path));
		struct lg_bitlocker_info info;
		int rc = 0;
		CHECK(probe_file(path, 0, &info, &rc));
		CHECK_INT(rc, 1);
		CHECK_STR(info.volume_guid, im->guid);
		const char *cipher;
		int bits;
		CHECK_INT(lg_bl_cipher(info.encryption, &cipher, &bits), 0);
		CHECK_STR(cipher, im->cipher);
		CHECK_INT(info.to_go, strstr(im->name, "togo") != NULL);
		CHECK_INT(info.encrypt_on_write, strstr(im->name, "eow") || strstr(im->name, "partially"));
		const struct { const char *id; enum lg_bl_kind kind; } want[] = {
			{ im->pw_vmk, LG_BL_PROT_PASSWORD }, { im->rp_vmk, LG_BL_PROT_RECOVERY_PASSWORD },
			{ im->rp2_vmk, LG_BL_PROT_RECOVERY_PASSWORD }, { im->sk_vmk, LG_BL_PROT_STARTUP_KEY },
			{ im->sc_vmk, LG_BL_PROT_SMART_CARD }, { im->ck_vmk, LG_BL_PROT_CLEAR_KEY },
		};
		for (size_t w = 0; w < ARRAY_SIZE(want); w++) {
			if (!want[w].id[0])
				continue;
			const struct lg_bl_protector *p = prot(&info, want[w].id);
			CHECK(p != NULL);
			if (!p)
				fprintf(stderr, "%s: protector %s missing\n", im->name, want[w].id);
			else
				CHECK_INT(p->kind, want[w].kind);
		}
		/* three good copies, except where the image's name says */
		CHECK(info.crc_ok);
		CHECK_INT(info.metadata_copy, strstr(im->name, "-crc") ? 3 : 1);
	}
}

/* The keys of every image, as an Entra-style CSV; startup keys from the
 * archive's .BEK files. */
static struct lg_keyring *all_keys(void)
{
	char csv[8192];
	size_t o = (size_t)snprintf(csv, sizeof(csv), "BitLockerKeyId,BitLockerRecoveryKey,DeviceName\n");
	for (size_t i = 0; i < n_images; i++) {
		const struct image *im = &images[i];
		/* -crc is a damaged copy of bitlk-aes-xts-128: the same key */
		if (im->rp[0] && !strstr(im->name, "-crc"))
			o += (size_t)snprintf(csv + o, sizeof(csv) - o, "%s,%s,%s\n", im->rp_vmk, im->rp, im->name);
		if (im->rp2[0])
			o += (size_t)snprintf(csv + o, sizeof(csv) - o, "%s,%s,%s\n", im->rp2_vmk, im->rp2, im->name);
	}
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	int r = lg_keyring_parse_csv(kr, "keys.csv", csv, o, &err);
	CHECK(r > 15);
	if (r < 0)
		fprintf(stderr, "%s\n", err.msg);
	return kr;
}

static int verify(const char *path, uint64_t offset, const struct lg_keyring *kr, struct lg_bl_result *res,
		  struct lg_err *err)
{
	struct lg_bl_unlock_opts o = { .keys = kr, .verify_only = true };
	err->msg[0] = 0;
	return lg_bitlocker_unlock_ex(path, offset, 0, &o, NULL, NULL, res, err);
}

static void test_images_verify(void)
{
	if (!have_images()) {
		printf("(no BitLocker test images: keys not verified)\n");
		return;
	}
	struct lg_keyring *kr = all_keys();
	struct lg_err err = { "" };
	for (size_t i = 0; i < n_images; i++) {
		const struct image *im = &images[i];
		char path[1024];
		img_path(im, path, sizeof(path));
		struct lg_bl_result res;
		int r = verify(path, 0, kr, &res, &err);
		if (strstr(im->name, "eow") || strstr(im->name, "partially")) {
			CHECK_INT(r, -ENOTSUP);
			CHECK_CONTAINS(err.msg, "conversion in progress");
			continue;
		}
		if (strstr(im->name, "clearkey")) {
			CHECK_INT(r, -ENOTSUP);
			CHECK_CONTAINS(err.msg, "BitLocker is suspended on this volume");
			continue;
		}
		CHECK_INT(r, 0);
		if (r) {
			fprintf(stderr, "%s: %s\n", im->name, err.msg);
			continue;
		}
		CHECK(res.verified_only);
		CHECK_INT(res.kind, LG_BL_PROT_RECOVERY_PASSWORD);
		CHECK_INT(res.keys_tried, 1);
		CHECK_STR(res.protector_id, im->rp_vmk);
		CHECK_CONTAINS(res.source, "keys.csv line ");
	}
	lg_keyring_free(kr);
}

static void test_images_second_recovery_password(void)
{
	if (!have_images())
		return;
	for (size_t i = 0; i < n_images; i++) {
		const struct image *im = &images[i];
		if (!im->rp2[0])
			continue;
		char csv[256], path[1024];
		snprintf(csv, sizeof(csv), "KeyId,RecoveryPassword\n%s,%s\n", im->rp2_vmk, im->rp2);
		struct lg_keyring *kr = lg_keyring_new();
		struct lg_err err = { "" };
		CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", csv, strlen(csv), &err), 1);
		img_path(im, path, sizeof(path));
		struct lg_bl_result res;
		CHECK_INT(verify(path, 0, kr, &res, &err), 0);
		CHECK_STR(res.protector_id, im->rp2_vmk);
		lg_keyring_free(kr);
	}
}

static void test_images_bek(void)
{
	if (!have_images())
		return;
	size_t checked = 0;
	for (size_t i = 0; i < n_images; i++) {
		const struct image *im = &images[i];
		if (!im->sk_vmk[0])
			continue;
		char bek[1024], upper[40], path[1024];
		size_t j = 0;
		for (; im->sk_vmk[j]; j++)
			upper[j] = (char)(im->sk_vmk[j] >= 'a' && im->sk_vmk[j] <= 'f' ? im->sk_vmk[j] - 32 : im->sk_vmk[j]);
		upper[j] = 0;
		snprintf(bek, sizeof(bek), "%.400s/%.39s.BEK", imgdir, upper);
		struct lg_keyring *kr = lg_keyring_new();
		struct lg_err err = { "" };
		CHECK_INT(lg_keyring_load_bek(kr, bek, &err), 1);
		img_path(im, path, sizeof(path));
		struct lg_bl_result res;
		int r = verify(path, 0, kr, &res, &err);
		CHECK_INT(r, 0);
		if (r)
			fprintf(stderr, "%s: %s\n", im->name, err.msg);
		CHECK_INT(res.kind, LG_BL_PROT_STARTUP_KEY);
		CHECK_STR(res.protector_id, im->sk_vmk);
		char src[48];
		snprintf(src, sizeof(src), "%s.BEK", upper);
		CHECK_STR(res.source, src);
		checked++;

		/* the Windows 11 file names its volume */
		const struct lg_key *k = kr->keys;
		char vol[37];
		lg_guid_format(k->volume, vol);
		if (strstr(im->name, "win11")) {
			CHECK(k->has_volume);
			CHECK_STR(vol, im->guid);
		}
		lg_keyring_free(kr);
	}
	CHECK_INT(checked, 2);

	/* each image's .BEK on the other image: no protector matches */
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	char p[1024];
	snprintf(p, sizeof(p), "%.400s/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK", imgdir);
	CHECK_INT(lg_keyring_load_bek(kr, p, &err), 1);
	snprintf(p, sizeof(p), "%.400s/bitlk-aes-xts-128-startup-key-win11.img", imgdir);
	struct lg_bl_result res;
	CHECK_INT(verify(p, 0, kr, &res, &err), -ENOKEY);
	CHECK_CONTAINS(err.msg, "is locked and no key for it was found (1 key loaded, none for this volume)");
	CHECK_CONTAINS(err.msg, "startup key file aa80a52b-9b66-47ae-b097-33f536ffbb07.BEK");
	CHECK_INT(res.keys_tried, 0);
	lg_keyring_free(kr);
}

static void test_images_wrong_keys(void)
{
	if (!have_images())
		return;
	char path[1024];
	snprintf(path, sizeof(path), "%.400s/bitlk-aes-xts-128.img", imgdir);
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	struct lg_bl_result res;

	/* the right protector id with another volume's (valid) password */
	const char *csv = "KeyId,RecoveryPassword\n"
			  "64311dea-4587-4029-924a-ba299647998e,404558-436711-420860-678557-638220-018909-039941-695321\n";
	CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", csv, strlen(csv), &err), 1);
	CHECK_INT(verify(path, 0, kr, &res, &err), -EKEYREJECTED);
	char want[1600];
	snprintf(want, sizeof(want), "BitLocker volume 8f595209-f5b9-49a0-85d4-cb8f80258c27 (%s): the recovery "
		 "password for protector 64311dea-4587-4029-924a-ba299647998e (keys.csv line 2) does not unlock it. "
		 "Look up: password 3e55195c-8811-4d9b-97b4-2b9e5f8f5384 (not usable by lastgood); recovery key ID "
		 "64311DEA (protector 64311dea-4587-4029-924a-ba299647998e)", path);
	CHECK_STR(err.msg, want);
	CHECK(!strstr(err.msg, "404558"));
	CHECK_INT(res.keys_tried, 1);
	lg_keyring_free(kr);

	/* keys for other volumes only */
	kr = lg_keyring_new();
	csv = "KeyId,RecoveryPassword\n"
	      "83abdb8f-3218-4bfd-aced-215e1e189bdf,404558-436711-420860-678557-638220-018909-039941-695321\n";
	CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", csv, strlen(csv), &err), 1);
	CHECK_INT(verify(path, 0, kr, &res, &err), -ENOKEY);
	CHECK_CONTAINS(err.msg, "is locked and no key for it was found (1 key loaded, none for this volume). "
		       "Look up: password 3e55195c-8811-4d9b-97b4-2b9e5f8f5384 (not usable by lastgood); "
		       "recovery key ID 64311DEA (protector 64311dea-4587-4029-924a-ba299647998e)");
	lg_keyring_free(kr);

	/* no key file at all */
	CHECK_INT(verify(path, 0, NULL, &res, &err), -ENOKEY);
	CHECK_CONTAINS(err.msg, "(0 keys loaded, none for this volume)");

	/* not BitLocker */
	snprintf(path, sizeof(path), "%.400s/images.conf", imgdir);
	CHECK_INT(verify(path, 0, NULL, &res, &err), -EMEDIUMTYPE);
	CHECK_CONTAINS(err.msg, "images.conf at offset 0 is not a BitLocker volume");
}

/* Without device-mapper (this build host), a real unlock checks the key
 * and says why it cannot map the volume. */

/* An asker that counts how often it is asked, and never unlocks. */
static int count_ask(void *ctx, const struct lg_key_request *req, lg_key_try_fn try_fn, void *try_ctx,
		     struct lg_err *err)
{
	(void)req; (void)try_fn; (void)try_ctx;
	(*(int *)ctx)++;
	lg_err_set(err, "not asked here");
	return -ECANCELED;
}

static void test_images_no_dm(void)
{
	if (!have_images())
		return;
	struct lg_err why = { "" };
	if (lg_dm_available(&why)) {
		printf("(device-mapper present: the no-dm message is not checked here)\n");
		return;
	}
	CHECK_CONTAINS(why.msg, "this host has no device-mapper (/dev/mapper/control is missing");
	char path[1024];
	snprintf(path, sizeof(path), "%.400s/bitlk-aes-xts-256.img", imgdir);
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	const char *csv = "KeyId,RecoveryPassword\n"
			  "83abdb8f-3218-4bfd-aced-215e1e189bdf,404558-436711-420860-678557-638220-018909-039941-695321\n";
	CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", csv, strlen(csv), &err), 1);
	char *mapped = (char *)"unchanged";
	struct lg_bitlocker_session *s = (struct lg_bitlocker_session *)&err;
	CHECK_INT(lg_bitlocker_unlock(path, 0, 0, kr, NULL, &mapped, &s, &err), -ENODEV);
	CHECK(mapped == NULL);
	CHECK(s == NULL);
	CHECK_CONTAINS(err.msg, "the recovery password from keys.csv line 2 is right, but this host has no "
		       "device-mapper");
	CHECK(!strstr(err.msg, "404558"));
	/* someone to ask changes nothing where nothing can be mapped:
	 * nobody is asked for a key that could not be used */
	int asked = 0;
	struct lg_key_asker nobody = { .ask = count_ask, .ctx = &asked };
	CHECK_INT(lg_bitlocker_unlock(path, 0, 0, NULL, &nobody, &mapped, &s, &err), -ENOKEY);
	CHECK_INT(asked, 0);
	CHECK_CONTAINS(err.msg, "; besides, this host has no device-mapper");
	lg_keyring_free(kr);
	CHECK_INT(lg_bitlocker_close(NULL), 0);
}

/* A BitLocker partition inside a disk image: found by offset through a
 * loop device (when this host lets us make one). */
static void test_images_partition(void)
{
	if (!have_images())
		return;
	char src[1024], disk[] = "/tmp/lg-bl-disk-XXXXXX";
	snprintf(src, sizeof(src), "%.400s/bitlk-aes-cbc-128.img", imgdir);
	int out = mkstemp(disk);
	int in = open(src, O_RDONLY);
	CHECK(out >= 0 && in >= 0);
	const uint64_t off = 1 << 20;
	static char buf[1 << 20];
	uint64_t pos = off;
	ssize_t n;
	/* sparse copy: the image is mostly zeros */
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		bool zero = true;
		for (ssize_t i = 0; i < n && zero; i++)
			zero = !buf[i];
		if (!zero && pwrite(out, buf, (size_t)n, (off_t)pos) != n)
			break;
		pos += (uint64_t)n;
	}
	CHECK_INT(ftruncate(out, (off_t)(pos + off)), 0);
	close(in);
	close(out);

	struct lg_bitlocker_info info;
	int rc = 0;
	CHECK(probe_file(disk, off, &info, &rc));
	CHECK_INT(rc, 1);
	CHECK_STR(info.volume_guid, "e9726fab-7656-4bc5-bb9e-adf115953328");

	if (access("/dev/loop-control", W_OK) != 0) {
		printf("(no /dev/loop-control: the partition's key is not verified)\n");
	} else {
		struct lg_keyring *kr = lg_keyring_new();
		struct lg_err err = { "" };
		const char *csv = "KeyId,RecoveryPassword\n3fd763f9-74c7-4e90-8fa2-1f6a2e2b4e0c,"
				  "042647-302313-590458-071500-554323-116567-412181-516978\n";
		CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", csv, strlen(csv), &err), 1);
		struct lg_bl_result res;
		int r = verify(disk, off, kr, &res, &err);
		if (r == -EPERM || r == -EACCES || (r < 0 && strstr(err.msg, "loop device"))) {
			printf("(cannot make a loop device here: %s)\n", err.msg);
		} else {
			CHECK_INT(r, 0);
			CHECK_STR(res.protector_id, "3fd763f9-74c7-4e90-8fa2-1f6a2e2b4e0c");
		}
		/* the loop device went away with the check (auto-clear) */
		FILE *p = popen("losetup -a 2>/dev/null | grep -c lg-bl-disk", "r");
		char cnt[16] = "";
		if (p && fgets(cnt, sizeof(cnt), p))
			CHECK_INT(atoi(cnt), 0);
		if (p)
			pclose(p);
		lg_keyring_free(kr);
	}
	unlink(disk);
}

/* The console prompt against a real volume: typed on a pseudo-terminal,
 * checked by libcryptsetup. */
static void test_images_typed(void)
{
	if (!have_images())
		return;
	int master, slave;
	CHECK_INT(openpty(&master, &slave, NULL, NULL, NULL), 0);
	char path[1024];
	snprintf(path, sizeof(path), "%.400s/bitlk-aes-xts-128-two-recovery.img", imgdir);
	pid_t pid = fork();
	if (pid == 0) {
		close(master);
		struct lg_keyprompt_asker con = { .fds = &slave, .n_fds = 1, .idle_s = 30 };
		struct lg_key_asker asker = lg_keyprompt_asker(&con);
		struct lg_bl_unlock_opts o = { .asker = &asker, .verify_only = true };
		struct lg_bl_result res;
		struct lg_err err = { "" };
		int r = lg_bitlocker_unlock_ex(path, 0, 0, &o, NULL, NULL, &res, &err);
		_exit(r == 0 && !strcmp(res.source, "typed at the console") ? 0 : 1);
	}
	close(slave);
	static char out[16384];
	size_t o = 0;
	int step = 0;
	/* a wrong key first (another volume's), then the second recovery
	 * password of this one */
	const char *keys[] = { "235818357951253979013365241120245575342914591910",
			       "297693-343387-338492-284526-405482-424886-634931-555093" };
	for (int t = 0; t < 600; t++) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		if (poll(&pfd, 1, 100) > 0) {
			ssize_t n = read(master, out + o, sizeof(out) - o - 1);
			if (n <= 0)
				break;
			o += (size_t)n;
			out[o] = 0;
		}
		if (step == 0 && strstr(out, "(attempt 1 of 3): ")) {
			CHECK(write(master, keys[0], strlen(keys[0])) > 0);
			step = 1;
		} else if (step == 1 && strstr(out, "(attempt 2 of 3): ")) {
			CHECK(write(master, keys[1], strlen(keys[1])) > 0);
			step = 2;
		} else if (step == 2 && strstr(out, "The volume is unlocked.")) {
			break;
		}
	}
	int st = 0;
	waitpid(pid, &st, 0);
	close(master);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_CONTAINS(out, "Recovery key ID: E7E48BAE");
	CHECK_CONTAINS(out, "Recovery key ID: B7ADC334");
	CHECK_CONTAINS(out, "That recovery key does not unlock this volume");
	CHECK_CONTAINS(out, "The volume is unlocked.");
	CHECK(!strstr(out, "297693-343387"));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_guid);
	RUN(test_fve_parse);
	RUN(test_fve_hostile);
	RUN(test_images_listing);
	RUN(test_images_verify);
	RUN(test_images_second_recovery_password);
	RUN(test_images_bek);
	RUN(test_images_wrong_keys);
	RUN(test_images_no_dm);
	RUN(test_images_partition);
	RUN(test_images_typed);
	if (!have_images())
		printf("note: image tests skipped: no %s/cache/bitlk/bitlk-images and no archive\n", out_dir());
	return t_done();
}
