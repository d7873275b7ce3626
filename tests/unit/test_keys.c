// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key sources: recovery password checks, CSV key files in the shapes the
 * AD, Entra ID and Intune exports have (and malformed ones), .BEK files,
 * a key directory, and the console prompt driven through a pseudo-terminal
 * and a socket pair the way a technician's keystrokes arrive.
 */
#include "test.h"

#include "storage/bitlocker.h"
#include "formats/keys.h"
#include "term/keyprompt.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

/* A real recovery password and its protector (bitlk-aes-xts-128 of the
 * cryptsetup test images; the values are public test data). */
#define RP1 "235818-357951-253979-013365-241120-245575-342914-591910"
#define RP1_ID "64311dea-4587-4029-924a-ba299647998e"
#define RP2 "404558-436711-420860-678557-638220-018909-039941-695321"
#define RP2_ID "83abdb8f-3218-4bfd-aced-215e1e189bdf"

static const struct lg_key *find_id(const struct lg_keyring *kr, enum lg_key_type t, const char *id)
{
	unsigned char g[16];
	if (lg_guid_parse(id, strlen(id), g) < 0)
		return NULL;
	return lg_keyring_find(kr, t, g);
}

static void test_groups(void)
{
	unsigned w = 99;
	CHECK_INT(lg_rp_group_check("000000", &w), 0);
	CHECK_INT(w, 0);
	CHECK_INT(lg_rp_group_check("235818", &w), 0);
	CHECK_INT(w, 235818 / 11);
	CHECK_INT(lg_rp_group_check("720885", &w), 0); /* 65535 * 11 */
	CHECK_INT(w, 65535);
	CHECK_INT(lg_rp_group_check("720896", &w), -ERANGE); /* 65536 * 11 */
	CHECK_INT(lg_rp_group_check("999998", NULL), -EDOM);
	CHECK_INT(lg_rp_group_check("999999", NULL), -ERANGE); /* 11 * 90909 */
	CHECK_INT(lg_rp_group_check("235819", NULL), -EDOM);
	CHECK_INT(lg_rp_group_check("23581x", NULL), -EINVAL);
}

static void test_normalize(void)
{
	char out[LG_RP_LEN + 1];
	struct lg_err err = { "" };
	/* accepted: with dashes, without, with spaces and runs of separators */
	static const char *const good[] = {
		RP1,
		"235818357951253979013365241120245575342914591910",
		"235818 357951 253979 013365  241120 - 245575 342914 591910",
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		CHECK_INT(lg_rp_normalize(good[i], strlen(good[i]), out, &err), 0);
		CHECK_STR(out, RP1);
	}
	/* refused, each with its message. Messages name the group or the
	 * place, never the digits; and (issue 16) never the character
	 * itself: it may be a terminal control, or part of a key in the
	 * wrong column. */
	static const struct {
		const char *in, *msg;
	} bad[] = {
		/* group 3 off by one digit */
		{ "235818-357951-253970-013365-241120-245575-342914-591910",
		  "group 3 is not divisible by 11 (a mistyped digit?)" },
		{ "235818-357951-253979-013365-241120-245575-342914-720896",
		  "group 8 is too large (every group is below 720896)" },
		{ "235818-35795-253979-013365-241120-245575-342914-591910", "group 2 has 5 digits, a group has 6" },
		{ "23581835795125397901336524112024557534291459191",
		  "47 digits, a recovery password has 48 (8 groups of 6)" },
		{ RP1 "0", "more than 48 digits (a recovery password is 8 groups of 6)" },
		{ "235818-357951-25397x-013365-241120-245575-342914-591910", "character 20 is not a digit (not shown)" },
		{ "235818-357951-25397\x1b[2J-013365-241120-245575-342914-591910",
		  "character 20 is not a digit (not shown)" },
		{ "83ABDB8F-3218-4BFD-ACED-215E1E189BDF", "character 3 is not a digit (not shown)" },
		{ "-" RP1, "a separator at character 1 is not between two groups" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = 0;
		CHECK_INT(lg_rp_normalize(bad[i].in, strlen(bad[i].in), out, &err), -EINVAL);
		CHECK_STR(err.msg, bad[i].msg);
		CHECK(!strstr(err.msg, "235818") && !strstr(err.msg, "ABDB"));
		for (const char *c = err.msg; *c; c++)
			CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
	}
}

static int parse(struct lg_keyring *kr, const char *text, struct lg_err *err)
{
	err->msg[0] = 0;
	return lg_keyring_parse_csv(kr, "keys.csv", text, strlen(text), err);
}

/* Entra ID through Graph PowerShell (Export-Csv, PowerShell 5: #TYPE line,
 * every field quoted, CRLF). */
static void test_csv_graph(void)
{
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	const char *csv =
		"#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphBitlockerRecoveryKey\r\n"
		"\"Id\",\"CreatedDateTime\",\"DeviceId\",\"Key\",\"VolumeType\"\r\n"
		"\"" RP1_ID "\",\"7/19/2024 5:27:00 AM\",\"1c1f1a2b-0000-4000-8000-000000000001\",\"" RP1 "\",\"1\"\r\n"
		"\"{" RP2_ID "}\",\"7/19/2024 5:28:00 AM\",\"1c1f1a2b-0000-4000-8000-000000000002\",\"" RP2 "\",\"2\"\r\n";
	CHECK_INT(parse(kr, csv, &err), 2);
	CHECK_STR(err.msg, "");
	const struct lg_key *k = find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP1_ID);
	CHECK(k != NULL);
	if (k) {
		CHECK_STR(k->password, RP1);
		CHECK_STR(k->id, RP1_ID);
		CHECK_STR(k->source, "keys.csv line 3");
		CHECK_STR(k->computer, "");
	}
	k = find_id(kr, LG_KEY_RECOVERY_PASSWORD, "83ABDB8F-3218-4BFD-ACED-215E1E189BDF");
	CHECK(k && !strcmp(k->password, RP2));
	CHECK(find_id(kr, LG_KEY_STARTUP_KEY, RP1_ID) == NULL);
	CHECK(find_id(kr, LG_KEY_RECOVERY_PASSWORD, "3e55195c-8811-4d9b-97b4-2b9e5f8f5384") == NULL);
	lg_keyring_free(kr);
}

/* Active Directory: Get-ADObject -Filter {objectclass -eq
 * 'msFVE-RecoveryInformation'} -Properties msFVE-RecoveryPassword |
 * Export-Csv. The key id is in Name and DistinguishedName, the computer
 * is the parent object. */
static void test_csv_ad(void)
{
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	const char *csv =
		"\"DistinguishedName\",\"msFVE-RecoveryPassword\",\"Name\",\"ObjectClass\",\"ObjectGUID\"\n"
		"\"CN=2024-07-19T05:27:00-00:00{64311DEA-4587-4029-924A-BA299647998E},CN=PC0042,OU=Tills,DC=shop,DC=example\","
		"\"" RP1 "\",\"2024-07-19T05:27:00-00:00{64311DEA-4587-4029-924A-BA299647998E}\","
		"\"msFVE-RecoveryInformation\",\"a1b2c3d4-0000-4000-8000-000000000001\"\n";
	CHECK_INT(parse(kr, csv, &err), 1);
	const struct lg_key *k = find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP1_ID);
	CHECK(k != NULL);
	if (k) {
		CHECK_STR(k->computer, "PC0042");
		CHECK_STR(k->password, RP1);
	}
	lg_keyring_free(kr);

	/* Name alone (no DistinguishedName column) */
	kr = lg_keyring_new();
	csv = "Name,msFVE-RecoveryPassword\n"
	      "2024-07-19T05:27:00-00:00{64311DEA-4587-4029-924A-BA299647998E}," RP1 "\n";
	CHECK_INT(parse(kr, csv, &err), 1);
	CHECK(find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP1_ID) != NULL);
	lg_keyring_free(kr);
}

/* A Graph report with device columns (BitLockerKeyId wins over Id, which
 * is the device's object id there), semicolons, a UTF-8 BOM, and rows
 * whose key could not be read ("N/A", empty). */
static void test_csv_report_shapes(void)
{
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	const char *csv =
		"\xef\xbb\xbf"
		"Id;DeviceName;BitLockerKeyId;BitLockerRecoveryKey;BitLockerDriveType\n"
		"0a0a0a0a-0000-4000-8000-000000000009;TILL-07;" RP1_ID ";" RP1 ";operatingSystemVolume\n"
		"0a0a0a0a-0000-4000-8000-00000000000a;TILL-08;" RP2_ID ";N/A;operatingSystemVolume\n"
		"0a0a0a0a-0000-4000-8000-00000000000b;TILL-09;3e55195c-8811-4d9b-97b4-2b9e5f8f5384;;fixedDataVolume\n";
	CHECK_INT(parse(kr, csv, &err), 1);
	CHECK_INT(kr->skipped, 2);
	const struct lg_key *k = find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP1_ID);
	CHECK(k && !strcmp(k->computer, "TILL-07"));
	CHECK(find_id(kr, LG_KEY_RECOVERY_PASSWORD, "0a0a0a0a-0000-4000-8000-000000000009") == NULL);
	lg_keyring_free(kr);

	/* hand-made: no dashes in the key, spaces, tab separated, comments */
	kr = lg_keyring_new();
	csv = "# keys for the 2024-07-19 incident\n"
	      "Recovery Key ID\tRecovery Key\tComputer Name\tVolume GUID\n"
	      "\n"
	      "64311DEA-4587-4029-924A-BA299647998E\t 235818357951253979013365241120245575342914591910 \tPOS 1\t"
	      "8f595209-f5b9-49a0-85d4-cb8f80258c27\n";
	CHECK_INT(parse(kr, csv, &err), 1);
	k = find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP1_ID);
	CHECK(k != NULL);
	if (k) {
		CHECK_STR(k->password, RP1);
		CHECK_STR(k->computer, "POS 1");
		CHECK_STR(k->source, "keys.csv line 4");
		CHECK(k->has_volume);
		char v[37];
		lg_guid_format(k->volume, v);
		CHECK_STR(v, "8f595209-f5b9-49a0-85d4-cb8f80258c27");
	}
	lg_keyring_free(kr);

	/* UTF-16LE with BOM, as PowerShell 5's Out-File writes */
	const char *ascii = "KeyId,RecoveryPassword\r\n" RP1_ID "," RP1 "\r\n";
	size_t n = strlen(ascii);
	char *u16 = malloc(2 + 2 * n);
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++) {
		u16[2 + 2 * i] = ascii[i];
		u16[3 + 2 * i] = 0;
	}
	kr = lg_keyring_new();
	CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", u16, 2 + 2 * n, &err), 1);
	CHECK(find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP1_ID) != NULL);
	/* the same bytes without the BOM: a NUL byte, said plainly */
	CHECK_INT(lg_keyring_parse_csv(kr, "keys.csv", u16 + 2, 2 * n, &err), -EINVAL);
	CHECK_STR(err.msg, "keys.csv:1: NUL byte (a UTF-16 file without byte order mark?)");
	free(u16);
	lg_keyring_free(kr);
}

/* Every malformed file: the precise message, nothing added, no secret in
 * the message. */
static void test_csv_errors(void)
{
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	CHECK_INT(parse(kr, "KeyId,RecoveryPassword\n" RP1_ID "," RP1 "\n", &err), 1);
	size_t before = kr->n;

	static const struct {
		const char *csv, *msg;
	} bad[] = {
		{ "KeyId,ComputerName\n" RP1_ID ",PC1\n",
		  "keys.csv:1: no recovery password column among the header's 2 fields (accepted: "
		  "RecoveryPassword, msFVE-RecoveryPassword, BitLockerRecoveryKey, RecoveryKey, Key)" },
		{ "ComputerName,RecoveryPassword\nPC1," RP2 "\n",
		  "keys.csv:1: no recovery key id column among the header's 2 fields (accepted: "
		  "KeyProtectorId, BitLockerKeyId, RecoveryKeyId, KeyId, PasswordId, ProtectorId, Id, or "
		  "msFVE-RecoveryInformation's Name/DistinguishedName)" },
		{ "KeyId,RecoveryPassword,ComputerName\n" RP2_ID "," RP2 ",PC1\n" RP2_ID "," RP2 "\n",
		  "keys.csv:3: 2 fields, the header (line 1) has 3" },
		{ "KeyId,RecoveryPassword\n\"" RP2_ID "," RP2 "\n",
		  "keys.csv:2:1: quoted field never closed" },
		{ "KeyId,RecoveryPassword\n\"" RP2_ID "\"x," RP2 "\n",
		  "keys.csv:2:39: text after the closing quote of a field" },
		{ "KeyId,RecoveryPassword\n" RP2_ID ",4045\"58-436711\n",
		  "keys.csv:2:42: quote inside a field that does not start with one" },
		{ "KeyId,RecoveryPassword\nPC1-KEY," RP2 "\n",
		  "keys.csv:2:1: the key id column (column 1) does not hold a GUID (like "
		  "64311DEA-4587-4029-924A-BA299647998E); what it holds is not shown (are the columns swapped?)" },
		/* Issue 16: the id and password columns swapped: nothing of the
		 * password may reach the screen or the saved log. */
		{ "KeyId,RecoveryPassword\n" RP2 "," RP2_ID "\n",
		  "keys.csv:2:1: the key id column (column 1) does not hold a GUID (like "
		  "64311DEA-4587-4029-924A-BA299647998E); what it holds is not shown (are the columns swapped?)" },
		{ "404558-436711,RecoveryPassword\n" RP2_ID "," RP2 "\n",
		  "keys.csv:1: no recovery key id column among the header's 2 fields (accepted: "
		  "KeyProtectorId, BitLockerKeyId, RecoveryKeyId, KeyId, PasswordId, ProtectorId, Id, or "
		  "msFVE-RecoveryInformation's Name/DistinguishedName)" },
		{ "KeyId,RecoveryPassword\n" RP2_ID ",404558-436711-420861-678557-638220-018909-039941-695321\n",
		  "keys.csv:2:38: the recovery password (field 2): group 3 is not divisible by 11 "
		  "(a mistyped digit?)" },
		/* a hostile or mistyped character: its place, never itself */
		{ "KeyId,RecoveryPassword\n" RP2_ID ",404558-43671\x1b-420861\n",
		  "keys.csv:2:38: the recovery password (field 2): character 13 is not a digit (not shown)" },
		{ "KeyId;Name;RecoveryPassword\n" RP2_ID ";PC1;4045\xc3\xa9\n",
		  "keys.csv:2:42: the recovery password (field 3): character 5 is not a digit (not shown)" },
		{ "KeyId,RecoveryPassword\n" RP2_ID "," RP2 "\n" RP2_ID ",618871-562507-462814-555324-264660-562727-105171-668195\n",
		  "keys.csv line 3: the same key id as keys.csv line 2, with a different recovery password" },
		{ "", "keys.csv: empty: no header line" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = parse(kr, bad[i].csv, &err);
		CHECK_INT(r, -EINVAL);
		CHECK_STR(err.msg, bad[i].msg);
		CHECK_INT(kr->n, before);
		CHECK(!strstr(err.msg, "404558"));
		CHECK(!strstr(err.msg, "618871"));
		/* no field of the file, not even a key id, and no raw byte */
		CHECK(!strstr(err.msg, RP2_ID));
		CHECK(!strstr(err.msg, "PC1"));
		for (const char *c = err.msg; *c; c++)
			CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
	}
	/* a key already loaded from another file, given again with another
	 * password: refused, naming both places */
	const char *more = "KeyId,RecoveryPassword\n" RP1_ID "," RP2 "\n";
	CHECK_INT(lg_keyring_parse_csv(kr, "/media/usb/lastgood/more.csv", more, strlen(more), &err), -EINVAL);
	CHECK_STR(err.msg, "more.csv line 2: the same key id as keys.csv line 2, with a different "
		  "recovery password");
	/* the same key again is fine, and kept once */
	CHECK_INT(parse(kr, "KeyId,RecoveryPassword\n" RP1_ID "," RP1 "\n", &err), 0);
	CHECK_INT(kr->n, before);
	lg_keyring_free(kr);
}

/* A .BEK file laid out as Windows writes one. */
static size_t make_bek(unsigned char *b, const char *id, const char *volume)
{
	unsigned char g[16];
	lg_guid_parse(id, strlen(id), g);
	memset(b, 0, 256);
	size_t o = 48;
	b[4] = 1;
	b[8] = 48;
	memcpy(b + 16, g, 16);
	b[32] = 1;
	size_t entry = o;
	b[o + 2] = 6, b[o + 4] = 9, b[o + 6] = 1;
	memcpy(b + o + 8, g, 16);
	o += 8 + 24;
	/* "ExternalKey" name */
	static const char nm[] = "ExternalKey";
	size_t sl = 8 + 2 * sizeof(nm);
	b[o] = (unsigned char)sl, b[o + 4] = 2, b[o + 6] = 1;
	for (size_t i = 0; i < sizeof(nm); i++)
		b[o + 8 + 2 * i] = (unsigned char)nm[i];
	o += sl;
	if (volume) {
		unsigned char v[16];
		lg_guid_parse(volume, strlen(volume), v);
		b[o] = 24, b[o + 2] = 0x19, b[o + 4] = 0x17, b[o + 6] = 1;
		memcpy(b + o + 8, v, 16);
		o += 24;
	}
	/* the key: encryption method 0x2002 and 32 bytes */
	b[o] = 44, b[o + 4] = 1, b[o + 6] = 1, b[o + 8] = 0x02, b[o + 9] = 0x20;
	for (int i = 0; i < 32; i++)
		b[o + 12 + i] = (unsigned char)(0xa0 + i);
	o += 44;
	b[entry] = (unsigned char)(o - entry);
	b[0] = (unsigned char)o;
	b[12] = (unsigned char)o;
	return o;
}

static void test_bek(void)
{
	unsigned char b[256], m[256];
	struct lg_err err = { "" };
	struct lg_keyring *kr = lg_keyring_new();
	size_t n = make_bek(b, "4381f759-c4f8-4de0-bb61-fc33a831bda5", NULL);
	CHECK_INT(lg_keyring_parse_bek(kr, "/x/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK", b, n, &err), 1);
	const struct lg_key *k = find_id(kr, LG_KEY_STARTUP_KEY, "4381f759-c4f8-4de0-bb61-fc33a831bda5");
	CHECK(k != NULL);
	if (k) {
		CHECK_STR(k->source, "4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK");
		CHECK_INT(k->bek_len, n);
		CHECK_MEM(k->bek, b, n);
		CHECK(!k->has_volume);
	}
	/* the same file twice: kept once */
	CHECK_INT(lg_keyring_parse_bek(kr, "copy.BEK", b, n, &err), 0);
	CHECK_INT(kr->n, 1);

	/* Windows 11 names the volume */
	n = make_bek(b, "aa80a52b-9b66-47ae-b097-33f536ffbb07", "e8ea9756-9cc1-4ca2-b99d-fae884f56150");
	CHECK_INT(lg_keyring_parse_bek(kr, "w11.BEK", b, n, &err), 1);
	k = find_id(kr, LG_KEY_STARTUP_KEY, "aa80a52b-9b66-47ae-b097-33f536ffbb07");
	CHECK(k && k->has_volume);
	if (k) {
		char v[37];
		lg_guid_format(k->volume, v);
		CHECK_STR(v, "e8ea9756-9cc1-4ca2-b99d-fae884f56150");
	}

	/* malformed: each refused with its reason, nothing added */
	CHECK_INT(lg_keyring_parse_bek(kr, "short.BEK", b, 60, &err), -EINVAL);
	CHECK_STR(err.msg, "short.BEK: 60 bytes: not a .BEK startup key file");
	memcpy(m, b, n);
	m[0]++;
	CHECK_INT(lg_keyring_parse_bek(kr, "size.BEK", m, n, &err), -EINVAL);
	CHECK_STR(err.msg, "size.BEK: not a .BEK startup key file (the header's size field does not match "
		  "the file's 180 bytes)");
	memcpy(m, b, n);
	m[48 + 2] = 2;
	CHECK_INT(lg_keyring_parse_bek(kr, "type.BEK", m, n, &err), -EINVAL);
	CHECK_STR(err.msg, "type.BEK: no startup key entry after the header (its type field is not a "
		  "startup key's)");
	memcpy(m, b, n);
	m[48 + 8] ^= 1;
	CHECK_INT(lg_keyring_parse_bek(kr, "guid.BEK", m, n, &err), -EINVAL);
	CHECK_STR(err.msg, "guid.BEK: the startup key entry names another key id than the header");
	memcpy(m, b, n);
	m[48 + 32] = 200; /* the first property runs past the entry */
	CHECK_INT(lg_keyring_parse_bek(kr, "prop.BEK", m, n, &err), -EINVAL);
	CHECK_STR(err.msg, "prop.BEK: property at byte 80: its size field does not fit the entry");
	memcpy(m, b, n);
	m[n - 44 + 4] = 3; /* the key property is something else */
	CHECK_INT(lg_keyring_parse_bek(kr, "nokey.BEK", m, n, &err), -EINVAL);
	CHECK_STR(err.msg, "nokey.BEK: the startup key entry holds no key");
	CHECK_INT(kr->n, 2);
	lg_keyring_free(kr);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static void test_dir(void)
{
	char dir[] = "/tmp/lg-keys-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char p[256];
	struct lg_err err = { "" };
	struct lg_keyring *kr = lg_keyring_new();
	/* missing directory: nothing, not an error */
	snprintf(p, sizeof(p), "%s/none", dir);
	CHECK_INT(lg_keyring_load_dir(kr, p, &err), 0);

	snprintf(p, sizeof(p), "%s/KEYS.CSV", dir);
	const char *csv = "KeyId,RecoveryPassword\n" RP1_ID "," RP1 "\n" RP2_ID "," RP2 "\n";
	write_file(p, csv, strlen(csv));
	unsigned char b[256];
	size_t n = make_bek(b, "4381f759-c4f8-4de0-bb61-fc33a831bda5", NULL);
	snprintf(p, sizeof(p), "%s/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.bek", dir);
	write_file(p, b, n);
	snprintf(p, sizeof(p), "%s/denylist.json", dir);
	write_file(p, "{}", 2);
	CHECK_INT(lg_keyring_load_dir(kr, dir, &err), 3);
	CHECK_INT(kr->files, 2);
	const struct lg_key *k = find_id(kr, LG_KEY_RECOVERY_PASSWORD, RP2_ID);
	CHECK(k && !strcmp(k->source, "KEYS.CSV line 3"));

	/* --keys takes a directory, a .BEK or a CSV file */
	lg_keyring_free(kr);
	kr = lg_keyring_new();
	CHECK_INT(lg_keyring_load(kr, dir, &err), 3);
	lg_keyring_free(kr);
	kr = lg_keyring_new();
	snprintf(p, sizeof(p), "%s/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.bek", dir);
	CHECK_INT(lg_keyring_load(kr, p, &err), 1);
	CHECK(find_id(kr, LG_KEY_STARTUP_KEY, "4381f759-c4f8-4de0-bb61-fc33a831bda5") != NULL);
	snprintf(p, sizeof(p), "%s/KEYS.CSV", dir);
	CHECK_INT(lg_keyring_load(kr, p, &err), 2);
	snprintf(p, sizeof(p), "%s/missing.csv", dir);
	CHECK_INT(lg_keyring_load(kr, p, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "missing.csv: No such file or directory");

	/* a broken .BEK next to a good CSV: its error is returned, the
	 * CSV's keys stay */
	lg_keyring_free(kr);
	kr = lg_keyring_new();
	snprintf(p, sizeof(p), "%s/broken.BEK", dir);
	write_file(p, "not a key", 9);
	CHECK_INT(lg_keyring_load_dir(kr, dir, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "broken.BEK: 9 bytes: not a .BEK startup key file");
	CHECK_INT(kr->n, 3);
	lg_keyring_free(kr);

	kr = lg_keyring_new();
	CHECK_INT(lg_keyring_load_csv(kr, "/nonexistent/keys.csv", &err), -ENOENT);
	CHECK_STR(err.msg, "/nonexistent/keys.csv: No such file or directory");
	lg_keyring_free(kr);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

/* ---- the prompt ---------------------------------------------------------- */

struct fake_volume {
	const char *right;
	int calls;
};

/* Stands in for libcryptsetup here (test_bitlocker drives the prompt
 * against a real volume): right or wrong by comparison. */
static int fake_try(void *ctx, const char *pw)
{
	struct fake_volume *v = ctx;
	v->calls++;
	return strcmp(pw, v->right) ? -EPERM : 0;
}

struct prompt_run {
	int rc;
	char err[sizeof(((struct lg_err *)0)->msg)];
	int calls;
};

/* Run lg_keyprompt_ask in a child on fd `console`, feed it `keys` from the
 * parent side once the prompt is shown (in pieces, as typing arrives),
 * collect everything it wrote. */
static struct prompt_run run_prompt(int console, int parent, const char *const *chunks, size_t nchunks,
				    int idle_s, char *out, size_t outcap)
{
	struct prompt_run pr = { 0 };
	int res[2];
	if (pipe(res) < 0)
		return pr;
	pid_t pid = fork();
	if (pid == 0) {
		close(parent);
		close(res[0]);
		const char *ids[] = { RP1_ID };
		struct lg_key_prompt kp = {
			.fds = &console, .n_fds = 1, .volume = "disk.img part 3",
			.volume_guid = "8f595209-f5b9-49a0-85d4-cb8f80258c27",
			.key_ids = ids, .n_key_ids = 1, .idle_s = idle_s,
		};
		struct fake_volume v = { .right = RP1 };
		struct lg_err err = { "" };
		struct prompt_run r = { 0 };
		r.rc = lg_keyprompt_ask(&kp, fake_try, &v, &err);
		r.calls = v.calls;
		snprintf(r.err, sizeof(r.err), "%s", err.msg);
		if (write(res[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(res[1]);
	size_t o = 0, next = 0;
	bool shown = false, exited = false;
	out[0] = 0;
	for (int ticks = 0; ticks < 400 && !exited; ticks++) {
		struct pollfd pfd = { .fd = parent, .events = POLLIN };
		if (parent < 0)
			usleep(50 * 1000);
		else if (poll(&pfd, 1, 50) > 0) {
			ssize_t n = read(parent, out + o, outcap - o - 1);
			if (n > 0) {
				o += (size_t)n;
				out[o] = 0;
				if (!shown && strstr(out, "Recovery key (attempt 1 of 3): "))
					shown = true;
				continue;
			}
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			exited = true;
			break;
		}
		if (shown && next < nchunks) {
			const char *c = chunks[next++];
			if (!strcmp(c, "<close>")) {
				close(parent);
				parent = -1;
			} else if (write(parent, c, strlen(c)) < 0) {
				break;
			}
		}
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (read(res[0], &pr, sizeof(pr)) != sizeof(pr))
		pr.rc = 9999;
	close(res[0]);
	if (parent >= 0) {
		/* what came after the last poll */
		struct pollfd pfd = { .fd = parent, .events = POLLIN };
		while (poll(&pfd, 1, 50) > 0) {
			ssize_t n = read(parent, out + o, outcap - o - 1);
			if (n <= 0)
				break;
			o += (size_t)n;
		}
		out[o] = 0;
	}
	return pr;
}

static struct prompt_run on_pty(const char *const *chunks, size_t n, int idle_s, char *out, size_t cap)
{
	int master, slave;
	if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
		struct prompt_run pr = { .rc = 9998 };
		return pr;
	}
	struct prompt_run pr = run_prompt(slave, master, chunks, n, idle_s, out, cap);
	close(slave);
	close(master);
	return pr;
}

/* After the prompt, no run of 7 or more digits: no group shown twice,
 * no key in one piece. */
static bool no_key_on_screen(const char *out)
{
	int run = 0;
	const char *from = strstr(out, "Recovery key (attempt");
	for (const char *p = from ? from : out; *p; p++) {
		run = *p >= '0' && *p <= '9' ? run + 1 : 0;
		if (run > 6)
			return false;
	}
	return !strstr(out, RP1) && !strstr(out, "235818357951");
}

static void test_prompt_pty(void)
{
	static char out[16384];
	/* with dashes, in bursts as a person types */
	const char *typed[] = { "235818-", "357951-2539", "79-013365-241120-", "245575-342914-591910", "\r" };
	struct prompt_run pr = on_pty(typed, ARRAY_SIZE(typed), 0, out, sizeof(out));
	CHECK_INT(pr.rc, 0);
	CHECK_INT(pr.calls, 1);
	CHECK_CONTAINS(out, "BitLocker recovery: disk.img part 3 is locked.");
	CHECK_CONTAINS(out, "Volume GUID: 8f595209-f5b9-49a0-85d4-cb8f80258c27");
	CHECK_CONTAINS(out, "Recovery key ID: 64311DEA   (full ID 64311DEA-4587-4029-924A-BA299647998E)");
	CHECK_CONTAINS(out, "The volume is unlocked.");
	CHECK(no_key_on_screen(out));
	/* each group is masked once checked */
	CHECK_CONTAINS(out, "\b\b\b\b\b\b******-");

	/* a wrong group is caught as it is typed, then retyped */
	const char *typo[] = { "235818357951253970", "253979013365241120245575342914591910" };
	pr = on_pty(typo, ARRAY_SIZE(typo), 0, out, sizeof(out));
	CHECK_INT(pr.rc, 0);
	CHECK_INT(pr.calls, 1);
	CHECK_CONTAINS(out, "Group 3 is not divisible by 11 (a mistyped digit?): type group 3 again.");
	CHECK_CONTAINS(out, "Recovery key (attempt 1 of 3): ******-******-");
	CHECK(no_key_on_screen(out));

	/* backspace corrects a digit within a group */
	const char *bs[] = { "2358", "9\x7f", "18357951253979013365241120245575342914591910" };
	pr = on_pty(bs, ARRAY_SIZE(bs), 0, out, sizeof(out));
	CHECK_INT(pr.rc, 0);

	/* three valid-looking but wrong keys */
	const char *wrong[] = { "404558436711420860678557638220018909039941695321",
				"404558436711420860678557638220018909039941695321",
				"404558436711420860678557638220018909039941695321" };
	pr = on_pty(wrong, ARRAY_SIZE(wrong), 0, out, sizeof(out));
	CHECK_INT(pr.rc, -EACCES);
	CHECK_INT(pr.calls, 3);
	CHECK_STR(pr.err, "3 recovery keys were typed at the console, none unlocks it");
	CHECK_CONTAINS(out, "That recovery key does not unlock this volume: check the recovery key ID and try again.");
	CHECK_CONTAINS(out, "Recovery key (attempt 3 of 3): ");

	/* Enter too early says how far it got */
	const char *early[] = { "235818357951\r", "253979013365241120245575342914591910" };
	pr = on_pty(early, ARRAY_SIZE(early), 0, out, sizeof(out));
	CHECK_INT(pr.rc, 0);
	CHECK_CONTAINS(out, "12 of 48 digits so far: keep typing.");

	/* Ctrl-C skips */
	const char *skip[] = { "2358", "\x03" };
	pr = on_pty(skip, ARRAY_SIZE(skip), 0, out, sizeof(out));
	CHECK_INT(pr.rc, -ECANCELED);
	CHECK_STR(pr.err, "recovery key entry skipped at the console");
	CHECK_INT(pr.calls, 0);

	/* nobody there */
	const char *none[] = { "" };
	pr = on_pty(none, 0, 1, out, sizeof(out));
	CHECK_INT(pr.rc, -ETIMEDOUT);
	CHECK_STR(pr.err, "nobody typed a recovery key for 1 s");
}

static void test_prompt_terminal_restored(void)
{
	int master, slave;
	CHECK_INT(openpty(&master, &slave, NULL, NULL, NULL), 0);
	struct termios before, after;
	tcgetattr(slave, &before);
	static char out[16384];
	const char *typed[] = { RP1 };
	struct prompt_run pr = run_prompt(slave, master, typed, 1, 0, out, sizeof(out));
	CHECK_INT(pr.rc, 0);
	tcgetattr(slave, &after);
	CHECK_INT(after.c_lflag, before.c_lflag);
	CHECK_INT(after.c_iflag, before.c_iflag);
	close(slave);
	close(master);
}

/* A serial line that is not a tty (here a socket pair): same dialogue,
 * and the line going away ends it. */
static void test_prompt_socket(void)
{
	static char out[16384];
	int sv[2];
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	const char *typed[] = { RP1 "\n" };
	struct prompt_run pr = run_prompt(sv[0], sv[1], typed, 1, 0, out, sizeof(out));
	close(sv[0]);
	CHECK_INT(pr.rc, 0);
	CHECK(no_key_on_screen(out));
	CHECK_CONTAINS(out, "\r\n"); /* raw lines end in CR LF */

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	const char *gone[] = { "235818", "<close>" };
	pr = run_prompt(sv[0], sv[1], gone, 2, 0, out, sizeof(out));
	close(sv[0]);
	CHECK_INT(pr.rc, -EIO);
	CHECK_STR(pr.err, "the console went away during recovery key entry");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_groups);
	RUN(test_normalize);
	RUN(test_csv_graph);
	RUN(test_csv_ad);
	RUN(test_csv_report_shapes);
	RUN(test_csv_errors);
	RUN(test_bek);
	RUN(test_dir);
	RUN(test_prompt_pty);
	RUN(test_prompt_terminal_restored);
	RUN(test_prompt_socket);
	return t_done();
}
