// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The deny-list loader: every field, every refused form, the messages
 * (with line and column) an incident team reads, and lg_denylist_load()
 * against lists signed by the real minisign tool.
 */
#include "test.h"
#include "formats/denylist.h"
#include "formats/glob.h"

#include <sys/stat.h>
#include <time.h>

#define HEAD                                   \
	"{\n"                                  \
	"  \"schema\": 1,\n"                   \
	"  \"serial\": 5,\n"                   \
	"  \"issued\": \"2024-07-19T06:00:00Z\",\n" \
	"  \"expires\": \"2036-01-01T00:00:00Z\",\n" \
	"  \"publisher\": \"Test team\",\n"    \
	"  \"rules\": [\n"
#define TAIL "\n  ]\n}\n"

#define H64A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static char dir[] = "/tmp/lg-test-denylist-XXXXXX";

static int parse(const char *doc, struct lg_denylist **dl, struct lg_err *e)
{
	e->msg[0] = 0;
	return lg_denylist_parse(doc, strlen(doc), dl, e);
}

/* Parse a document that must fail with code and a message holding both needles. */
#define EXPECT_ERR(doc, code, n1, n2)                                  \
	do {                                                           \
		struct lg_denylist *_dl = (void *)1;                   \
		struct lg_err _err;                                      \
		CHECK_INT(parse(doc, &_dl, &_err), code);                \
		CHECK(_dl == NULL);                                    \
		CHECK_CONTAINS(_err.msg, n1);                            \
		CHECK_CONTAINS(_err.msg, n2);                            \
	} while (0)

static const char full[] =
	HEAD
	"    {\n"
	"      \"id\": \"cs-291\",\n"
	"      \"path\": \"Windows\\\\System32\\\\drivers\\\\CrowdStrike\\\\C-00000291*.sys\",\n"
	"      \"header\": {\"hex\": \"AAAAAAAA01002301\", \"offset\": 0},\n"
	"      \"modified\": {\"after\": \"2024-07-19T04:09:00Z\", \"before\": \"2024-07-19T05:27:00.5Z\"}\n"
	"    },\n"
	"    {\n"
	"      \"id\": \"bad_driver.v2\",\n"
	"      \"description\": \"vulnerable driver, report only\",\n"
	"      \"path\": \"**/baddrv.sys\",\n"
	"      \"size\": {\"min\": 100, \"max\": 2000},\n"
	"      \"sha256\": [\"" H64A "\", \"" H64B "\"],\n"
	"      \"action\": \"report\"\n"
	"    },\n"
	"    {\"id\": \"exact\", \"path\": \"Windows/x.sys\", \"size\": 1234, \"header\": \"4d5a\", \"action\": \"quarantine\",\n"
	"     \"modified\": {\"before\": \"2024-01-01T00:00:00Z\"},\n"
	"     \"restore\": {\"bundle\": \"good.tar.gz\", \"entry\": \"Windows\\\\x.sys\", \"sha256\": \"" H64A "\"}}"
	TAIL;

static void test_full_document(void)
{
	struct lg_denylist *dl = NULL;
	struct lg_err e;
	CHECK_INT(parse(full, &dl, &e), 0);
	if (!dl) {
		fprintf(stderr, "%s\n", e.msg);
		t_failures++;
		return;
	}
	CHECK_INT(dl->schema, 1);
	CHECK_INT(dl->serial, 5);
	CHECK_INT(dl->issued, 1721368800);  /* date -u -d 2024-07-19T06:00:00Z +%s */
	CHECK_INT(dl->expires, 2082758400); /* 2036-01-01 */
	CHECK_STR(dl->publisher, "Test team");
	CHECK(dl->trusted_comment == NULL);
	CHECK_INT(dl->n_rules, 3);

	const struct lg_rule *r = &dl->rules[0];
	CHECK_STR(r->id, "cs-291");
	CHECK_STR(r->description, "");
	CHECK_STR(r->path, "Windows/System32/drivers/CrowdStrike/C-00000291*.sys");
	CHECK_INT(r->line, 8);
	CHECK(!r->has_size);
	CHECK(r->sha256 == NULL);
	CHECK_INT(r->header_len, 8);
	CHECK_MEM(r->header, "\xaa\xaa\xaa\xaa\x01\x00\x23\x01", 8);
	CHECK_INT(r->header_offset, 0);
	CHECK(r->has_modified_after && r->has_modified_before);
	CHECK_INT(r->modified_after, lg_unix_to_nt(1721362140));        /* 04:09:00 */
	CHECK_INT(r->modified_before, lg_unix_to_nt(1721366820) + 5000000); /* 05:27:00.5 */
	CHECK_INT(r->action, LG_ACTION_QUARANTINE);
	CHECK(r->restore == NULL);

	r = &dl->rules[1];
	CHECK_STR(r->id, "bad_driver.v2");
	CHECK_STR(r->description, "vulnerable driver, report only");
	CHECK_STR(r->path, "**/baddrv.sys");
	CHECK_INT(r->line, 14);
	CHECK(r->has_size);
	CHECK_INT(r->size_min, 100);
	CHECK_INT(r->size_max, 2000);
	CHECK_INT(r->n_sha256, 2);
	CHECK_MEM(r->sha256[0], "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	CHECK_MEM(r->sha256[1] + 24, "\xfe\xdc\xba\x98\x76\x54\x32\x10", 8);
	CHECK(r->header == NULL);
	CHECK(!r->has_modified_after && !r->has_modified_before);
	CHECK_INT(r->action, LG_ACTION_REPORT);

	r = &dl->rules[2];
	CHECK_INT(r->line, 22);
	CHECK_INT(r->size_min, 1234);
	CHECK_INT(r->size_max, 1234);
	CHECK_INT(r->header_len, 2);
	CHECK_MEM(r->header, "MZ", 2);
	CHECK(!r->has_modified_after && r->has_modified_before);
	CHECK_INT(r->modified_before, lg_unix_to_nt(1704067200));
	CHECK(r->restore != NULL);
	if (r->restore) {
		CHECK_STR(r->restore->bundle, "good.tar.gz");
		CHECK_STR(r->restore->entry, "Windows/x.sys");
		CHECK_MEM(r->restore->sha256, "\x01\x23\x45\x67", 4);
	}
	lg_denylist_free(dl);
	lg_denylist_free(NULL);
}

static void test_bom_and_empty_rules(void)
{
	struct lg_denylist *dl = NULL;
	struct lg_err e;
	CHECK_INT(parse("\xef\xbb\xbf" HEAD TAIL, &dl, &e), 0);
	CHECK(dl && dl->n_rules == 0);
	lg_denylist_free(dl);
}

static void test_time(void)
{
	int64_t s, nt;
	CHECK_INT(lg_rfc3339_parse("1970-01-01T00:00:00Z", &s, &nt), 0);
	CHECK_INT(s, 0);
	CHECK_INT(nt, LG_NTFS_UNIX_OFFSET);
	CHECK_INT(lg_rfc3339_parse("1601-01-01T00:00:00Z", &s, &nt), 0);
	CHECK_INT(nt, 0);
	CHECK_INT(lg_rfc3339_parse("2024-02-29T23:59:59.1234567Z", &s, &nt), 0);
	CHECK_INT(s, 1709251199);
	CHECK_INT(nt, lg_unix_to_nt(1709251199) + 1234567);
	CHECK_INT(lg_rfc3339_parse("2000-02-29T00:00:00Z", &s, NULL), 0);
	CHECK_INT(lg_rfc3339_parse("9999-12-31T23:59:59Z", &s, NULL), 0);
	CHECK_INT(s, 253402300799LL);

	static const char *const bad[] = {
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-07-19T24:00:00Z", "2024-07-19T23:60:00Z", "2024-07-19T23:59:60Z",
		"2024-07-19T04:09:00", "2024-07-19T04:09:00+00:00", "2024-07-19 04:09:00Z", "2024-07-19t04:09:00Z",
		"2024-07-19T04:09:00z", "2024-07-19T04:09:00.Z", "2024-07-19T04:09:00.12345678Z",
		"2024-07-19T04:09Z", "1600-12-31T23:59:59Z", "24-07-19T04:09:00Z", "2024-07-19T04:09:00ZZ",
		"", "+024-07-19T04:09:00Z",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = lg_rfc3339_parse(bad[i], &s, &nt);
		if (r != -EINVAL)
			T_FAIL_AT("\"%s\" accepted", bad[i]);
		t_checks++;
	}

	char out[LG_RFC3339_LEN];
	lg_rfc3339_format(1721362140, out);
	CHECK_STR(out, "2024-07-19T04:09:00Z");
	lg_rfc3339_format(-11644473600LL, out);
	CHECK_STR(out, "1601-01-01T00:00:00Z");
	lg_rfc3339_format(253402300800LL, out);
	CHECK_STR(out, "@253402300800");
}

static void test_syntax_errors(void)
{
	EXPECT_ERR(HEAD TAIL "x", -EINVAL, "line 11, column 1", "end of file expected");
	EXPECT_ERR(HEAD TAIL "}", -EINVAL, "line 11", "end of file expected");
	EXPECT_ERR("{\n  \"schema\": 1,\n  \"schema\": 1\n}", -EINVAL, "line 3", "duplicate object key");
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\", \"path\": \"b.sys\"}" TAIL, -EINVAL, "line 8",
		   "duplicate object key");
	EXPECT_ERR("", -EINVAL, "line 1", "JSON syntax");
	EXPECT_ERR("{\"schema\": 1,}", -EINVAL, "line 1", "JSON syntax");
	EXPECT_ERR("[]", -EINVAL, "line 1, column 1", "a deny-list is a JSON object");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 99999999999999999999}", -EINVAL, "line 1", "too big integer");
	/* NUL bytes inside the text */
	struct lg_denylist *dl;
	struct lg_err e;
	/* NUL bytes: jansson alone would skip them and accept this */
	static const char nul[] = HEAD "    {\"id\": \"a\", \"path\": \"W/\xc3\xa9.sys\"\0}" TAIL;
	CHECK_INT(lg_denylist_parse(nul, sizeof(nul) - 1, &dl, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "line 8, column 34: NUL byte");
	int64_t hs;
	static const char snul[] = "{\"schema\": 1, \"highest_serial\": 7\0}";
	CHECK_INT(lg_state_parse(snul, sizeof(snul) - 1, &hs, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "NUL byte");
}

static void test_top_level_errors(void)
{
	EXPECT_ERR("{\n  \"schema\": 2,\n  \"whatever\": 1\n}", -EINVAL, "line 2, column 13: schema: ",
		   "schema 2 is not supported: this lastgood reads schema 1");
	EXPECT_ERR("{\n  \"serial\": 1\n}", -EINVAL, "line 1, column 1: ", "missing required field \"schema\"");
	EXPECT_ERR("{\n  \"schema\": \"1\"\n}", -EINVAL, "line 2, column 13: schema: ", "expected 1, got a string");

	EXPECT_ERR("{\n  \"schema\": 1,\n  \"serial\": 5,\n  \"issued\": \"2024-07-19T06:00:00Z\",\n"
		   "  \"expires\": \"2036-01-01T00:00:00Z\",\n  \"publisher\": \"x\",\n  \"color\": \"red\",\n"
		   "  \"rules\": []\n}\n",
		   -EINVAL, "line 7, column 3: color: ", "unknown field (allowed here: schema, serial, issued");
	EXPECT_ERR("{\n  \"schema\": 1,\n  \"serial\": \"5\"\n}", -EINVAL, "line 3, column 13: serial: ",
		   "expected an integer that grows with each release, got a string");
	EXPECT_ERR("{\n  \"schema\": 1,\n  \"serial\": 5.0\n}", -EINVAL, "line 3, column 13: serial: ",
		   "got a number with a fraction");
	EXPECT_ERR("{\n  \"schema\": 1,\n  \"serial\": -1\n}", -EINVAL, "serial: ", "must not be negative");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19\"}", -EINVAL, "line 1, column 38: issued: ",
		   "\"2024-07-19\" is not an RFC 3339 UTC time like 2024-07-19T04:09:00Z");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19T06:00:00Z\", \"expires\": \"2024-07-19T06:00:00Z\"}",
		   -EINVAL, "expires: ", "expires must be later than issued");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19T06:00:00Z\", \"expires\": \"2025-07-19T06:00:00Z\"}",
		   -EINVAL, "line 1, column 1: ", "missing required field \"publisher\"");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19T06:00:00Z\", \"expires\": \"2025-07-19T06:00:00Z\", "
		   "\"publisher\": \"\", \"rules\": []}",
		   -EINVAL, "publisher: ", "must not be empty");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19T06:00:00Z\", \"expires\": \"2025-07-19T06:00:00Z\", "
		   "\"publisher\": \"a\\u001b[2Jb\", \"rules\": []}",
		   -EINVAL, "publisher: ", "control character 0x1b");
	EXPECT_ERR("{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19T06:00:00Z\", \"expires\": \"2025-07-19T06:00:00Z\", "
		   "\"publisher\": \"a\", \"rules\": {}}",
		   -EINVAL, "rules: ", "expected a list of rules, got an object");
}

static void test_rule_errors_located(void)
{
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"Windows/a.sys\", \"sizee\": 1}" TAIL, -EINVAL,
		   "line 8, column 42: rules[0].sizee: ", "unknown field (allowed here: id, description, path");
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": 5}" TAIL, -EINVAL, "line 8, column 25: rules[0].path: ",
		   "got an integer");
	EXPECT_ERR(HEAD "    {\"id\": \"a\"}" TAIL, -EINVAL, "line 8, column 5: rules[0]: ",
		   "missing required field \"path\"");
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\", \"size\": {\"min\": \"1\"}}" TAIL, -EINVAL,
		   "line 8, column 50: rules[0].size.min: ", "expected an integer (bytes), got a string");
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\", \"sha256\": [\"abc\"]}" TAIL, -EINVAL,
		   "line 8, column 45: rules[0].sha256[0]: ", "\"abc\" is not a SHA-256 (64 hex digits)");
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\", \"header\": {\"hex\": \"AA\", \"off\": 1}}" TAIL, -EINVAL,
		   "line 8, column 58: rules[0].header.off: ", "unknown field (allowed here: hex, offset)");
	/* a key written with an escape is found where it is written */
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\", \"\\u0078\": 1}" TAIL, -EINVAL,
		   "line 8, column 34: rules[0].x: ", "unknown field");
	/* columns count characters, as jansson does, not bytes */
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"description\": \"\xc3\xa9t\xc3\xa9 \xe2\x82\xac\", \"path\": \"a.sys\", \"zz\": 1}" TAIL,
		   -EINVAL, "line 8, column 58: rules[0].zz: ", "unknown field");
	/* the second rule, on the next line */
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\"},\n    {\"id\": \"a\", \"path\": \"b.sys\"}" TAIL, -EINVAL,
		   "line 9, column 12: rules[1].id: ", "duplicate id \"a\" (first used by rules[0])");
	EXPECT_ERR(HEAD "    {\"id\": \"a\", \"path\": \"a.sys\"},\n    7" TAIL, -EINVAL, "line 9, column 5: rules[1]: ",
		   "a rule must be an object, got an integer");
}

/* One rule in a document, for the value checks. */
static char *rule_doc(const char *rule)
{
	char *d;
	if (asprintf(&d, HEAD "    %s" TAIL, rule) < 0)
		exit(1);
	return d;
}

#define RULE_ERR(rule, n1, n2)                                          \
	do {                                                            \
		char *_d = rule_doc(rule);                              \
		EXPECT_ERR(_d, -EINVAL, n1, n2);                        \
		free(_d);                                               \
	} while (0)

static void test_rule_values(void)
{
	RULE_ERR("{\"id\": \"has space\", \"path\": \"a.sys\"}", "rules[0].id: ", "1 to 64 characters");
	RULE_ERR("{\"id\": \"\", \"path\": \"a.sys\"}", "rules[0].id: ", "1 to 64 characters");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"description\": \"two\\nlines\"}", "rules[0].description: ",
		 "control character 0x0a");
	/* size */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"size\": -1}", "rules[0].size: ", "must not be negative");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"size\": 1.5}", "rules[0].size: ", "expected an integer (exact size in bytes)");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"size\": {}}", "rules[0].size: ", "give \"min\", \"max\" or both");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"size\": {\"min\": 5, \"max\": 4}}", "rules[0].size: ",
		 "min (5) is larger than max (4)");
	/* sha256 */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"sha256\": []}", "rules[0].sha256: ", "the list is empty");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"sha256\": \"" H64A "\"}", "rules[0].sha256: ", "got a string");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"sha256\": [\"" H64A "\", 1]}", "rules[0].sha256[1]: ", "got an integer");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"sha256\": [\"" H64A "0\"]}", "rules[0].sha256[0]: ", "64 hex digits");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"sha256\": [\"x123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]}",
		 "rules[0].sha256[0]: ", "64 hex digits");
	/* header */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": \"AAA\"}", "rules[0].header: ", "even number of hex digits");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": \"\"}", "rules[0].header: ", "even number of hex digits");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": \"AA BB\"}", "rules[0].header: ", "even number");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": \"GG\"}", "rules[0].header: ", "not hex");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": {\"hex\": \"GG\"}}", "rules[0].header.hex: ", "not hex");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": {\"offset\": 1}}", "rules[0].header: ",
		 "missing required field \"hex\"");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": {\"hex\": \"AA\", \"offset\": -1}}", "rules[0].header.offset: ",
		 "must not be negative");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"header\": 5}", "rules[0].header: ", "expected hex bytes");
	/* modified */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"modified\": {\"after\": \"2024-07-19T05:27:00Z\", \"before\": \"2024-07-19T05:27:00Z\"}}",
		 "rules[0].modified: ", "\"after\" must be earlier than \"before\"");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"modified\": {\"after\": \"2024-07-19T05:27:00+02:00\"}}",
		 "rules[0].modified.after: ", "is not an RFC 3339 UTC time");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"modified\": {}}", "rules[0].modified: ", "give \"after\", \"before\" or both");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"modified\": {\"since\": \"2024-07-19T05:27:00Z\"}}",
		 "rules[0].modified.since: ", "unknown field (allowed here: after, before)");
	/* action and restore */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"action\": \"delete\"}", "rules[0].action: ",
		 "expected \"quarantine\" or \"report\"");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"action\": \"report\", \"restore\": {}}", "rules[0].restore: ",
		 "cannot restore");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"x/y.tar\", \"entry\": \"a\", \"sha256\": \"" H64A "\"}}",
		 "rules[0].restore.bundle: ", "without a directory part");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"..\", \"entry\": \"a\", \"sha256\": \"" H64A "\"}}",
		 "rules[0].restore.bundle: ", "not bundle names");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"b.tar\", \"entry\": \"../a\", \"sha256\": \"" H64A "\"}}",
		 "rules[0].restore.entry: ", "'..' are refused");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"b.tar\", \"entry\": \"/a\", \"sha256\": \"" H64A "\"}}",
		 "rules[0].restore.entry: ", "absolute entry name");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"b.tar\", \"entry\": \"a/*.sys\", \"sha256\": \"" H64A "\"}}",
		 "rules[0].restore.entry: ", "not a glob");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"b.tar\", \"entry\": \"a\"}}",
		 "rules[0].restore: ", "missing required field \"sha256\"");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"restore\": {\"bundle\": \"b.tar\", \"entry\": \"a\", \"sha256\": \"" H64A "\", \"x\": 1}}",
		 "rules[0].restore.x: ", "unknown field");
	/* a wildcard alone would quarantine too much */
	RULE_ERR("{\"id\": \"a\", \"path\": \"Windows/System32/drivers/*.sys\"}", "rules[0].path: ",
		 "needs another condition");
	RULE_ERR("{\"id\": \"a\", \"path\": \"**/x?.sys\"}", "rules[0].path: ", "needs another condition");
}

static void test_rule_defaults_and_accepted(void)
{
	static const char *const ok[] = {
		"{\"id\": \"a\", \"path\": \"Windows/System32/drivers/*.sys\", \"action\": \"report\"}",
		"{\"id\": \"a\", \"path\": \"Windows/System32/drivers/bad.sys\"}",
		"{\"id\": \"a\", \"path\": \"**/x.sys\", \"size\": {\"max\": 10}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *d = rule_doc(ok[i]);
		struct lg_denylist *dl = NULL;
		struct lg_err e;
		int r = parse(d, &dl, &e);
		if (r != 0)
			T_FAIL_AT("rule %zu refused: %s", i, e.msg);
		t_checks++;
		if (dl && i == 1) {
			CHECK_INT(dl->rules[0].action, LG_ACTION_QUARANTINE);
			CHECK_STR(dl->rules[0].description, "");
		}
		if (dl && i == 2) {
			CHECK_INT(dl->rules[0].size_min, 0);
			CHECK_INT(dl->rules[0].size_max, 10);
		}
		lg_denylist_free(dl);
		free(d);
	}
}

static void test_globs(void)
{
	static const struct {
		const char *json; /* the path as written inside the JSON string */
		const char *why;
	} refused[] = {
		{ "", "empty path" },
		{ "..", "'..' is refused" },
		{ "Windows/../x.sys", "'..' is refused" },
		{ "Windows\\\\..\\\\x.sys", "'..' is refused" },
		{ "./x.sys", "'.' component is refused" },
		{ "/Windows/x.sys", "absolute path" },
		{ "\\\\Windows\\\\x.sys", "absolute path" },
		{ "\\\\\\\\?\\\\C:\\\\x.sys", "absolute path" },
		{ "C:/Windows/x.sys", "drive letter" },
		{ "c:\\\\x.sys", "drive letter" },
		{ "C:x.sys", "drive letter" },
		{ "Windows/x.sys:evil", "':' is refused" },
		{ "Windows/x.sys::$DATA", "':' is refused" },
		{ "CON", "device name" },
		{ "con", "device name" },
		{ "Windows/nul.txt", "device name" },
		{ "Windows/Com1.sys", "device name" },
		{ "LPT9", "device name" },
		{ "aux.a.b", "device name" },
		{ "PRN", "device name" },
		{ "Windows/CON .txt", "device name" },
		{ "COM\\u00b9", "device name" },
		{ "conin$", "device name" },
		{ "Windows//x.sys", "empty path component" },
		{ "Windows/", "empty path component" },
		{ "Windows\\\\", "empty path component" },
		{ "Windows/**x.sys", "'**' must be a whole component" },
		{ "Windows/***/x.sys", "'**' must be a whole component" },
		{ "a<b.sys", "'<' cannot appear" },
		{ "a>b.sys", "'>' cannot appear" },
		{ "a|b.sys", "'|' cannot appear" },
		{ "a\\\"b.sys", "'\"' cannot appear" },
		{ "a\\u0001b.sys", "control character 0x01" },
		{ "a\\tb.sys", "control character 0x09" },
		{ "Windows/x.", "ends with '.'" },
		{ "Windows/x /y.sys", "ends with ' '" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		char rule[256];
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"%s\", \"sha256\": [\"" H64A "\"]}", refused[i].json);
		char *d = rule_doc(rule);
		struct lg_denylist *dl = NULL;
		struct lg_err e;
		int r = parse(d, &dl, &e);
		t_checks++;
		if (r != -EINVAL || !strstr(e.msg, "rules[0].path: ") || !strstr(e.msg, refused[i].why))
			T_FAIL_AT("path \"%s\": got %d \"%s\", expected \"%s\"", refused[i].json, r, e.msg, refused[i].why);
		lg_denylist_free(dl);
		free(d);
	}

	/* A name of 256 UTF-16 units is too long; 255 is fine. A character
	 * outside the BMP counts two, as on NTFS. */
	{
		char rule[600], name[300];
		memset(name, 'a', 254);
		name[254] = 0;
		/* U+1F600 and 254 'a': 255 characters, 256 UTF-16 units */
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"W/\\ud83d\\ude00%s\"}", name);
		RULE_ERR(rule, "rules[0].path: ", "longer than 255 characters");
		name[253] = 0;
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"W/\\ud83d\\ude00%s\"}", name);
		char *d = rule_doc(rule);
		struct lg_denylist *dl = NULL;
		struct lg_err e;
		CHECK_INT(parse(d, &dl, &e), 0);
		lg_denylist_free(dl);
		free(d);
	}
	/* 129 components, 4097 bytes */
	{
		char rule[8400], path[4200];
		size_t o = 0;
		for (int i = 0; i < 129; i++)
			o += (size_t)sprintf(path + o, "%sd", i ? "/" : "");
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"%s\"}", path);
		RULE_ERR(rule, "rules[0].path: ", "more than 128 components");
		memset(path, 'a', 4097);
		path[4097] = 0;
		for (int i = 200; i < 4097; i += 200)
			path[i] = '/';
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"%s\"}", path);
		RULE_ERR(rule, "rules[0].path: ", "longer than 4096 bytes");
		path[4096] = 0;
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"%s\"}", path);
		char *d = rule_doc(rule);
		struct lg_denylist *dl = NULL;
		struct lg_err e;
		CHECK_INT(parse(d, &dl, &e), 0);
		lg_denylist_free(dl);
		free(d);
	}

	for (int n = 255; n <= 256; n++) {
		char rule[600], name[300];
		memset(name, 'a', n);
		name[n] = 0;
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"W/%s\"}", name);
		char *d = rule_doc(rule);
		struct lg_denylist *dl = NULL;
		struct lg_err e;
		int r = parse(d, &dl, &e);
		CHECK_INT(r, n == 255 ? 0 : -EINVAL);
		if (n == 256)
			CHECK_CONTAINS(e.msg, "longer than 255 characters");
		lg_denylist_free(dl);
		free(d);
	}

	static const struct {
		const char *json, *normal;
	} accepted[] = {
		{ "Windows\\\\System32\\\\drivers\\\\x.sys", "Windows/System32/drivers/x.sys" },
		{ "**/x.sys", "**/x.sys" },
		{ "Windows/**/drivers/*.sys", "Windows/**/drivers/*.sys" },
		{ "CONFIG/x.sys", "CONFIG/x.sys" },
		{ "COM10.sys", "COM10.sys" },
		{ "console.sys", "console.sys" },
		{ "Windows/.hidden/x.sys", "Windows/.hidden/x.sys" },
		{ "Program Files/Vendor [x86]/d.sys", "Program Files/Vendor [x86]/d.sys" },
		{ "Windows/\\u00e9t\\u00e9.sys", "Windows/\xc3\xa9t\xc3\xa9.sys" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
		char rule[256];
		snprintf(rule, sizeof(rule), "{\"id\": \"a\", \"path\": \"%s\", \"sha256\": [\"" H64A "\"]}", accepted[i].json);
		char *d = rule_doc(rule);
		struct lg_denylist *dl = NULL;
		struct lg_err e;
		int r = parse(d, &dl, &e);
		t_checks++;
		if (r != 0 || strcmp(dl->rules[0].path, accepted[i].normal))
			T_FAIL_AT("path \"%s\": got %d \"%s\" %s", accepted[i].json, r, e.msg, dl ? dl->rules[0].path : "");
		/* what the loader accepts, the matcher compiles */
		struct lg_glob *g = NULL;
		if (dl) {
			CHECK_INT(lg_glob_compile(dl->rules[0].path, &g, &e), 0);
			lg_glob_free(g);
		}
		lg_denylist_free(dl);
		free(d);
	}
}

/* A list with n rules (~45 bytes each). */
static char *many_rules(size_t n, size_t *len)
{
	size_t cap = 256 + n * 64;
	char *d = malloc(cap);
	size_t o = (size_t)snprintf(d, cap, HEAD);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(d + o, cap - o, "%s{\"id\": \"r%zu\", \"path\": \"W/r%zu.sys\"}", i ? ",\n" : "", i, i);
	o += (size_t)snprintf(d + o, cap - o, TAIL);
	*len = o;
	return d;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_caps(void)
{
	struct lg_denylist *dl = NULL;
	struct lg_err e;
	size_t len;

	char *d = many_rules(LG_DENYLIST_MAX_RULES, &len);
	double t0 = now_s();
	CHECK_INT(lg_denylist_parse(d, len, &dl, &e), 0);
	double t1 = now_s();
	printf("parsed %u rules (%zu bytes) in %.3f s\n", LG_DENYLIST_MAX_RULES, len, t1 - t0);
	if (dl) {
		CHECK_INT(dl->n_rules, LG_DENYLIST_MAX_RULES);
		CHECK_STR(dl->rules[99999].id, "r99999");
		CHECK_INT(dl->rules[99999].line, 8 + 99999);
	}
	lg_denylist_free(dl);
	free(d);

	d = many_rules(LG_DENYLIST_MAX_RULES + 1, &len);
	CHECK_INT(lg_denylist_parse(d, len, &dl, &e), -E2BIG);
	CHECK_CONTAINS(e.msg, "too many rules: 100001 (at most 100000)");
	free(d);

	/* 16 MiB exactly is parsed (here: valid JSON padded with spaces),
	 * one byte more is refused before jansson sees it. */
	len = LG_DENYLIST_MAX_BYTES + 1;
	d = malloc(len);
	memset(d, ' ', len);
	memcpy(d, HEAD TAIL, strlen(HEAD TAIL));
	CHECK_INT(lg_denylist_parse(d, len - 1, &dl, &e), 0);
	lg_denylist_free(dl);
	CHECK_INT(lg_denylist_parse(d, len, &dl, &e), -EFBIG);
	CHECK_CONTAINS(e.msg, "16 MiB");
	free(d);
}

static void test_serial_and_state(void)
{
	struct lg_denylist dl = { .serial = 42 };
	struct lg_err e = { "" };
	CHECK_INT(lg_denylist_check_serial(&dl, -1, &e), 0);
	CHECK_INT(lg_denylist_check_serial(&dl, 41, &e), 0);
	CHECK_INT(lg_denylist_check_serial(&dl, 42, &e), 0);
	CHECK_INT(lg_denylist_check_serial(&dl, 43, &e), -ESTALE);
	CHECK_CONTAINS(e.msg, "rollback refused: deny-list serial 42 is lower than serial 43");

	char *s = lg_state_format(42, "3F82D16FB51C968A", 1721362140);
	CHECK(s != NULL);
	CHECK_CONTAINS(s, "\"highest_serial\": 42");
	CHECK_CONTAINS(s, "\"key_id\": \"3F82D16FB51C968A\"");
	CHECK_CONTAINS(s, "\"updated\": \"2024-07-19T04:09:00Z\"");
	CHECK(s && s[strlen(s) - 1] == '\n');
	int64_t hs = -5;
	CHECK_INT(lg_state_parse(s, strlen(s), &hs, &e), 0);
	CHECK_INT(hs, 42);
	free(s);
	s = lg_state_format(0, NULL, 0);
	CHECK(s && !strstr(s, "key_id"));
	CHECK_INT(lg_state_parse(s, strlen(s), &hs, &e), 0);
	CHECK_INT(hs, 0);
	free(s);

	/* fields a newer lastgood may add are ignored */
	const char *newer = "{\"schema\": 1, \"highest_serial\": 7, \"runs\": [1, 2]}";
	CHECK_INT(lg_state_parse(newer, strlen(newer), &hs, &e), 0);
	CHECK_INT(hs, 7);

	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "state.json line 1" },
		{ "{\"schema\": 1, \"highest_serial\": 7} x", "end of file expected" },
		{ "{\"schema\": 1, \"highest_serial\": 7, \"highest_serial\": 9}", "duplicate" },
		{ "[]", "not a JSON object" },
		{ "{\"schema\": 2, \"highest_serial\": 7}", "\"schema\" must be 1" },
		{ "{\"highest_serial\": 7}", "\"schema\" must be 1" },
		{ "{\"schema\": 1}", "\"highest_serial\" must be" },
		{ "{\"schema\": 1, \"highest_serial\": -1}", "\"highest_serial\" must be" },
		{ "{\"schema\": 1, \"highest_serial\": \"7\"}", "\"highest_serial\" must be" },
		{ "{\"schema\": 1, \"highest_serial\": 7, \"key_id\": \"xyz\"}", "\"key_id\" must be" },
		{ "{\"schema\": 1, \"highest_serial\": 7, \"updated\": 5}", "\"updated\" must be" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		e.msg[0] = 0;
		int r = lg_state_parse(bad[i].text, strlen(bad[i].text), &hs, &e);
		t_checks++;
		if (r != -EINVAL || !strstr(e.msg, bad[i].why))
			T_FAIL_AT("state \"%s\": got %d \"%s\"", bad[i].text, r, e.msg);
	}
}

/* ------------------------------------------------ signed, with minisign */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
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

/* A path in the test directory; kept until exit (tests hold several). */
static char *p(const char *name)
{
	static char *keep[256];
	static size_t k;
	char *b;
	if (k == ARRAY_SIZE(keep) || asprintf(&b, "%s/%s", dir, name) < 0)
		exit(1);
	return keep[k++] = b;
}

static void write_text(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(p(name), "w");
	fwrite(text, 1, len, f);
	fclose(f);
}

/* The key id minisign wrote in a .pub comment ("minisign public key
 * 6B466BC6355E540": it drops leading zeros), as 16 digits. */
static const char *id_of(const char *pub)
{
	static char out[17];
	char *t = NULL;
	if (lg_read_file(p(pub), 4096, &t, NULL) < 0 || !strstr(t, "public key "))
		exit(1);
	snprintf(out, sizeof(out), "%016llX", strtoull(strstr(t, "public key ") + 11, NULL, 16));
	free(t);
	return out;
}

static const char signed_list[] =
	"{\n  \"schema\": 1,\n  \"serial\": 3,\n  \"issued\": \"2024-07-19T06:00:00Z\",\n"
	"  \"expires\": \"2024-07-26T06:00:00Z\",\n  \"publisher\": \"Test team\",\n  \"rules\": [\n"
	"    {\"id\": \"cs\", \"path\": \"Windows/System32/drivers/CrowdStrike/C-00000291*.sys\",\n"
	"     \"header\": \"AAAAAAAA01002301\"}\n  ]\n}\n";

#define T_INSIDE 1721500000 /* 2024-07-20T18:26:40Z, between issued and expires */

static void sign(const char *name, const char *key, bool legacy, const char *tc)
{
	sh("cd %s && minisign -S %s -s %s -m %s -t '%s' >/dev/null", dir, legacy ? "-l" : "", key, name, tc);
}

static void test_load_signed(void)
{
	const char *trust[] = { p("a.pub") };
	struct lg_denylist *dl = NULL;
	struct lg_err e = { "" };

	for (int legacy = 0; legacy <= 1; legacy++) {
		write_text("list.json", signed_list, strlen(signed_list));
		sign("list.json", "a.key", legacy, "list serial 3");
		CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, T_INSIDE, &dl, &e), 0);
		if (!dl) {
			fprintf(stderr, "%s\n", e.msg);
			t_failures++;
			continue;
		}
		CHECK_INT(dl->serial, 3);
		CHECK_INT(dl->n_rules, 1);
		CHECK_STR(dl->trusted_comment, "list serial 3");
		/* the id minisign printed when it made the key */
		CHECK_STR(dl->key_id, id_of("a.pub"));
		/* the file hash, as sha256sum computes it */
		char cmd[600], want[65] = "", got[65];
		snprintf(cmd, sizeof(cmd), "sha256sum %s", p("list.json"));
		FILE *f = popen(cmd, "r");
		CHECK(f && fscanf(f, "%64s", want) == 1);
		if (f)
			pclose(f);
		lg_hex(dl->file_sha256, 32, got);
		CHECK_STR(got, want);
		lg_denylist_free(dl);
		dl = NULL;
	}

	/* Several trusted keys, the signer second; an explicit signature path. */
	const char *two[] = { p("b.pub"), p("a.pub") };
	sh("cd %s && minisign -S -s a.key -m list.json -x elsewhere.sig -t x >/dev/null && rm list.json.minisig", dir);
	CHECK_INT(lg_denylist_load(p("list.json"), p("elsewhere.sig"), two, 2, T_INSIDE, &dl, &e), 0);
	lg_denylist_free(dl);
	dl = NULL;

	/* Unsigned: the default .minisig is gone now. */
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, two, 2, T_INSIDE, &dl, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "no signature: ");
	CHECK_CONTAINS(e.msg, "list.json.minisig does not exist");
	CHECK(dl == NULL);

	/* The list itself missing. */
	CHECK_INT(lg_denylist_load(p("nothere.json"), NULL, two, 2, T_INSIDE, &dl, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "nothere.json: No such file");

	/* No trusted key at all. */
	CHECK_INT(lg_denylist_load(p("list.json"), p("elsewhere.sig"), NULL, 0, T_INSIDE, &dl, &e), -ENOKEY);
	CHECK_CONTAINS(e.msg, "no trusted key is configured");

	/* A trusted key file that is not one. */
	const char *notkey[] = { p("list.json") };
	CHECK_INT(lg_denylist_load(p("list.json"), p("elsewhere.sig"), notkey, 1, T_INSIDE, &dl, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "trusted public key ");
}

static void test_load_refusals(void)
{
	const char *trust[] = { p("a.pub") };
	struct lg_denylist *dl = NULL;
	struct lg_err e = { "" };
	char ida[17], idb[17];
	strcpy(ida, id_of("a.pub"));
	strcpy(idb, id_of("b.pub"));

	/* Wrong key: both ids named. */
	write_text("list.json", signed_list, strlen(signed_list));
	sign("list.json", "b.key", false, "by b");
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, T_INSIDE, &dl, &e), -ENOKEY);
	CHECK_CONTAINS(e.msg, "unknown key: signed with key ID ");
	CHECK_CONTAINS(e.msg, ida);
	CHECK_CONTAINS(e.msg, idb);

	/* Tampered after signing: one byte of the serial. */
	sign("list.json", "a.key", false, "by a");
	char tampered[sizeof(signed_list)];
	memcpy(tampered, signed_list, sizeof(signed_list));
	strstr(tampered, "\"serial\": 3")[10] = '4';
	write_text("list.json", tampered, strlen(tampered));
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, T_INSIDE, &dl, &e), -EBADMSG);
	CHECK_CONTAINS(e.msg, "bad signature: the file does not match its signature");

	/* Expiry: one second before is fine, at expires refused, dates named. */
	write_text("list.json", signed_list, strlen(signed_list));
	sign("list.json", "a.key", false, "by a");
	int64_t expires = 1721973600; /* 2024-07-26T06:00:00Z */
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, expires - 1, &dl, &e), 0);
	lg_denylist_free(dl);
	dl = NULL;
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, expires, &dl, &e), -EKEYEXPIRED);
	CHECK_CONTAINS(e.msg, "expired: serial 3 expired at 2024-07-26T06:00:00Z and the time now is 2024-07-26T06:00:00Z");
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, 1900000000, &dl, &e), -EKEYEXPIRED);
	CHECK_CONTAINS(e.msg, "the time now is 2030-03-17T17:46:40Z");
	CHECK_CONTAINS(e.msg, "get a newer list from Test team");
	/* Issued after "now" (a clock that is behind) is accepted: documented. */
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, 946684800, &dl, &e), 0);
	lg_denylist_free(dl);
	dl = NULL;

	/* A schema error in a correctly signed list: signature passes, schema says where. */
	const char *bad = "{\n  \"schema\": 1,\n  \"serial\": 3,\n  \"issued\": \"2024-07-19T06:00:00Z\",\n"
			  "  \"expires\": \"2024-07-26T06:00:00Z\",\n  \"publisher\": \"T\",\n  \"rules\": [\n"
			  "    {\"id\": \"x\", \"path\": \"C:/Windows/x.sys\"}\n  ]\n}\n";
	write_text("list.json", bad, strlen(bad));
	sign("list.json", "a.key", false, "bad schema");
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, T_INSIDE, &dl, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "list.json: line 8, column 25: rules[0].path: drive letter");

	/* More than 100000 rules, signed. */
	size_t len;
	char *d = many_rules(LG_DENYLIST_MAX_RULES + 1, &len);
	write_text("many.json", d, len);
	free(d);
	sign("many.json", "a.key", false, "many");
	CHECK_INT(lg_denylist_load(p("many.json"), NULL, trust, 1, T_INSIDE, &dl, &e), -E2BIG);
	CHECK_CONTAINS(e.msg, "too many rules: 100001 (at most 100000)");

	/* Over 16 MiB: refused before anything else is read. */
	sh("cd %s && head -c %u /dev/zero | tr '\\0' ' ' > big.json && cp many.json.minisig big.json.minisig",
	   dir, LG_DENYLIST_MAX_BYTES + 1);
	CHECK_INT(lg_denylist_load(p("big.json"), NULL, trust, 1, T_INSIDE, &dl, &e), -EFBIG);
	CHECK_CONTAINS(e.msg, "big.json: larger than the 16 MiB limit");

	/* A signature file that is something else. */
	write_text("list.json", signed_list, strlen(signed_list));
	write_text("list.json.minisig", "hello\n", 6);
	CHECK_INT(lg_denylist_load(p("list.json"), NULL, trust, 1, T_INSIDE, &dl, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "list.json.minisig: signature file has 1 line, expected 4");
	CHECK(dl == NULL);
}

static void test_trust_dir(void)
{
	char **paths = NULL;
	size_t n = 9;
	struct lg_err e = { "" };
	sh("mkdir -p %s/trust && cp %s/b.pub %s/trust/zz.pub && cp %s/a.pub %s/trust/aa.pub && "
	   "touch %s/trust/notes.txt %s/trust/.hidden.pub %s/trust/.pub",
	   dir, dir, dir, dir, dir, dir, dir, dir);
	CHECK_INT(lg_trust_keys_in_dir(p("trust"), &paths, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(paths[0], p("trust/aa.pub"));
		CHECK_STR(paths[1], p("trust/zz.pub"));
	}
	lg_trust_keys_free(paths, n);
	CHECK_INT(lg_trust_keys_in_dir(p("no-such-dir"), &paths, &n, &e), 0);
	CHECK_INT(n, 0);
	CHECK(paths == NULL);
	lg_trust_keys_free(NULL, 0);
}

/* ---------------------------------------------------------------- PE conditions */

#define H40A "0123456789abcdef0123456789abcdef01234567"

static void test_pe_conditions(void)
{
	/* Every PE field, the exact-version shorthand, any case of hex. */
	char *d = rule_doc("{\"id\": \"pe\", \"path\": \"Windows/System32/drivers/**\", "
			   "\"authentihash_sha256\": [\"" H64A "\", \"" H64B "\"], "
			   "\"authentihash_sha1\": [\"" H40A "\"], "
			   "\"original_filename\": \"AcmeIO.sys\", \"company\": \"Acme \xc3\x89lectronique\", "
			   "\"file_version\": {\"min\": \"1.2.3.4\", \"max\": \"65535.65535.65535.65535\"}}");
	struct lg_denylist *dl = NULL;
	struct lg_err e;
	CHECK_INT(parse(d, &dl, &e), 0);
	free(d);
	if (!dl) {
		fprintf(stderr, "%s\n", e.msg);
		t_failures++;
		return;
	}
	const struct lg_rule *r = &dl->rules[0];
	CHECK(lg_rule_has_pe(r));
	CHECK_INT(r->n_authentihash_sha256, 2);
	CHECK_INT(r->authentihash_sha256[0][0], 0x01);
	CHECK_INT(r->authentihash_sha256[1][0], 0xfe);
	CHECK_INT(r->n_authentihash_sha1, 1);
	CHECK_INT(r->authentihash_sha1[0][19], 0x67);
	CHECK_STR(r->original_filename, "AcmeIO.sys");
	CHECK_STR(r->company, "Acme \xc3\x89lectronique");
	CHECK(r->has_file_version);
	CHECK(r->file_version_min == LG_FILE_VERSION(1, 2, 3, 4));
	CHECK(r->file_version_max == LG_FILE_VERSION(65535, 65535, 65535, 65535));
	CHECK_INT(r->action, LG_ACTION_QUARANTINE);
	lg_denylist_free(dl);

	d = rule_doc("{\"id\": \"v\", \"path\": \"a.sys\", \"file_version\": \"10.0.19041.3636\"}");
	CHECK_INT(parse(d, &dl, &e), 0);
	free(d);
	if (dl) {
		CHECK(dl->rules[0].file_version_min == LG_FILE_VERSION(10, 0, 19041, 3636));
		CHECK(dl->rules[0].file_version_max == dl->rules[0].file_version_min);
		CHECK(!dl->rules[0].original_filename && lg_rule_has_pe(&dl->rules[0]));
		lg_denylist_free(dl);
	}
	d = rule_doc("{\"id\": \"v\", \"path\": \"a.sys\", \"file_version\": {\"max\": \"2.0.0.0\"}}");
	CHECK_INT(parse(d, &dl, &e), 0);
	free(d);
	if (dl) {
		CHECK(dl->rules[0].file_version_min == 0);
		CHECK(dl->rules[0].file_version_max == LG_FILE_VERSION(2, 0, 0, 0));
		lg_denylist_free(dl);
	}

	/* Version text: four numbers, nothing else. */
	uint64_t v;
	CHECK_INT(lg_file_version_parse("0.0.0.0", &v), 0);
	CHECK(v == 0);
	CHECK_INT(lg_file_version_parse("65535.1.2.3", &v), 0);
	CHECK(v == LG_FILE_VERSION(65535, 1, 2, 3));
	CHECK_INT(lg_file_version_parse("00001.2.3.4", &v), 0);
	static const char *const bad_versions[] = { "", "1.2.3", "1.2.3.4.5", "1.2.3.65536", "1.2.3.-4",
						    "1,2,3,4", " 1.2.3.4", "1.2.3.4 ", "1..3.4", "1.2.3.4a",
						    "000001.2.3.4", "1.2.3.4 (WinBuild)", "v1.2.3.4" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_versions); i++) {
		int q = lg_file_version_parse(bad_versions[i], &v);
		if (q != -EINVAL)
			T_FAIL_AT("version \"%s\" accepted", bad_versions[i]);
		t_checks++;
	}
	char vs[LG_FILE_VERSION_LEN];
	lg_file_version_format(LG_FILE_VERSION(10, 0, 65535, 7), vs);
	CHECK_STR(vs, "10.0.65535.7");

	/* Refused values, located. */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"authentihash_sha256\": []}", "rules[0].authentihash_sha256: ",
		 "the list is empty");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"authentihash_sha256\": \"" H64A "\"}",
		 "rules[0].authentihash_sha256: ", "got a string");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"authentihash_sha256\": [\"" H40A "\"]}",
		 "rules[0].authentihash_sha256[0]: ", "is not an Authenticode SHA-256 (64 hex digits)");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"authentihash_sha1\": [\"" H40A "\", \"" H64A "\"]}",
		 "rules[0].authentihash_sha1[1]: ", "is not an Authenticode SHA-1 (40 hex digits)");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"authentihash_sha1\": [7]}", "rules[0].authentihash_sha1[0]: ",
		 "got an integer");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"original_filename\": \"\"}", "rules[0].original_filename: ",
		 "must not be empty");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"original_filename\": \"a.sys \"}", "rules[0].original_filename: ",
		 "trailing spaces");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"original_filename\": \"a\\u001b[2J.sys\"}",
		 "rules[0].original_filename: ", "control character 0x1b");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"company\": 5}", "rules[0].company: ", "got an integer");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"file_version\": \"1.2.3\"}", "rules[0].file_version: ",
		 "\"1.2.3\" is not a file version");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"file_version\": {\"min\": \"2.0.0.0\", \"max\": \"1.0.0.0\"}}",
		 "rules[0].file_version: ", "min is larger than max");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"file_version\": {}}", "rules[0].file_version: ",
		 "give \"min\", \"max\" or both");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"file_version\": {\"min\": \"1.0.0.0\", \"exact\": \"1.0.0.0\"}}",
		 "rules[0].file_version.exact: ", "unknown field (allowed here: min, max)");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"file_version\": {\"max\": \"1.0.0.0 beta\"}}",
		 "rules[0].file_version.max: ", "is not a file version");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"file_version\": 10}", "rules[0].file_version: ",
		 "expected \"a.b.c.d\" (exact)");
	/* 256 characters: longer than a file name. */
	char longname[400] = "{\"id\": \"a\", \"path\": \"a.sys\", \"original_filename\": \"";
	memset(longname + strlen(longname), 'x', 256);
	strcat(longname, "\"}");
	RULE_ERR(longname, "rules[0].original_filename: ", "longer than 255 characters");

	/* The wildcard safety rule: an Authenticode hash or an original file
	 * name is a second condition; company or version alone is not. */
	static const char *const wild_ok[] = {
		"{\"id\": \"a\", \"path\": \"Windows/System32/drivers/**\", \"authentihash_sha256\": [\"" H64A "\"]}",
		"{\"id\": \"a\", \"path\": \"Windows/System32/DriverStore/**\", \"authentihash_sha1\": [\"" H40A "\"]}",
		"{\"id\": \"a\", \"path\": \"**/*.sys\", \"original_filename\": \"acmeio.sys\", \"file_version\": \"1.0.0.0\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(wild_ok); i++) {
		d = rule_doc(wild_ok[i]);
		int q = parse(d, &dl, &e);
		if (q != 0)
			T_FAIL_AT("rule %zu refused: %s", i, e.msg);
		t_checks++;
		lg_denylist_free(dl);
		free(d);
	}
	RULE_ERR("{\"id\": \"a\", \"path\": \"Windows/System32/drivers/*.sys\", \"company\": \"Acme\"}", "rules[0].path: ",
		 "needs another condition");
	RULE_ERR("{\"id\": \"a\", \"path\": \"**\", \"file_version\": {\"max\": \"9.0.0.0\"}}", "rules[0].path: ",
		 "needs another condition");
	/* Unknown fields name the PE ones among the allowed. */
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"authentihash\": [\"" H64A "\"]}", "rules[0].authentihash: ",
		 "authentihash_sha256, authentihash_sha1, original_filename, file_version, company");
}


/* "signer": one object or a list; TBS hashes of the four lengths WDAC
 * writes; the publisher as a version-resource string; refusals located. */
static void test_signer_condition(void)
{
	char *d = rule_doc("{\"id\": \"s\", \"path\": \"Windows/System32/drivers/**\", "
			   "\"signer\": [{\"tbs\": \"" H64A "\", \"publisher\": \"Contoso Ltd.\"}, "
			   "{\"tbs\": \"" H40A "\"}]}");
	struct lg_denylist *dl = NULL;
	struct lg_err e;
	CHECK_INT(parse(d, &dl, &e), 0);
	free(d);
	if (dl) {
		const struct lg_rule *r = &dl->rules[0];
		CHECK(lg_rule_has_pe(r));
		CHECK_INT(r->n_signers, 2);
		CHECK_INT(r->signers[0].tbs_len, 32);
		CHECK_INT(r->signers[0].tbs[0], 0x01);
		CHECK_STR(r->signers[0].publisher, "Contoso Ltd.");
		CHECK_INT(r->signers[1].tbs_len, 20);
		CHECK(r->signers[1].publisher == NULL);
		CHECK_INT(r->action, LG_ACTION_QUARANTINE);
		lg_denylist_free(dl);
	}
	char big[300];
	snprintf(big, sizeof(big), "{\"id\": \"s\", \"path\": \"a.sys\", \"signer\": {\"tbs\": \"%s%s\"}}",
		 H64A, H64B);
	d = rule_doc(big);
	CHECK_INT(parse(d, &dl, &e), 0);
	free(d);
	if (dl) {
		CHECK_INT(dl->rules[0].n_signers, 1);
		CHECK_INT(dl->rules[0].signers[0].tbs_len, 64);
		lg_denylist_free(dl);
	}
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"signer\": []}", "rules[0].signer: ", "the list is empty");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"signer\": \"" H64A "\"}", "rules[0].signer: ",
		 "expected {\"tbs\"");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"signer\": {\"publisher\": \"X\"}}", "rules[0].signer: ",
		 "missing required field \"tbs\"");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"signer\": [{\"tbs\": \"abc\"}]}", "rules[0].signer[0].tbs: ",
		 "is not a TBS hash");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"signer\": {\"tbs\": \"" H64A "\", \"issuer\": \"X\"}}",
		 "rules[0].signer.issuer: ", "unknown field (allowed here: tbs, publisher)");
	RULE_ERR("{\"id\": \"a\", \"path\": \"a.sys\", \"signer\": {\"tbs\": \"" H64A "\", \"publisher\": \" X\"}}",
		 "rules[0].signer.publisher: ", "leading or trailing spaces");
	/* A signer is a second condition for a wildcard quarantine rule
	 * (what an incident team writes for a leaked certificate). */
	d = rule_doc("{\"id\": \"leak\", \"path\": \"**/*.sys\", \"signer\": {\"tbs\": \"" H64A "\"}}");
	CHECK_INT(parse(d, &dl, &e), 0);
	lg_denylist_free(dl);
	free(d);
}

int main(void)
{
	if (system("command -v minisign >/dev/null 2>&1") != 0)
		T_SKIP("the minisign tool is not installed (Debian package minisign)");
	RUN(test_full_document);
	RUN(test_bom_and_empty_rules);
	RUN(test_time);
	RUN(test_syntax_errors);
	RUN(test_top_level_errors);
	RUN(test_rule_errors_located);
	RUN(test_rule_values);
	RUN(test_rule_defaults_and_accepted);
	RUN(test_globs);
	RUN(test_caps);
	RUN(test_serial_and_state);
	RUN(test_pe_conditions);
	RUN(test_signer_condition);

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	sh("cd %s && minisign -G -W -p a.pub -s a.key >/dev/null && minisign -G -W -p b.pub -s b.key >/dev/null", dir);
	RUN(test_load_signed);
	RUN(test_load_refusals);
	RUN(test_trust_dir);
	sh("rm -rf %s", dir);
	return t_done();
}
