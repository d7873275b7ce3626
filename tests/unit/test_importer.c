// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The importers (importer.c) on small inputs: which field each entry is
 * imported by, the free-text versions accepted and refused, what is
 * skipped and why, ids, descriptions cleaned of control characters, the
 * header defaults, the rule limit. The end-to-end path (sign, scan a
 * fixture disk) is tests/host/45-importers.sh.
 */
#include "test.h"
#include "import/importer.h"

#define H64 "09c1ffcd0f48b6a3a7b4de8f6c6e82d0a59e7f226c48be50a9a435749ef4f131"
#define H40 "ccd431e8f2c5ce32e15062abcc76ad9e9cf33d25"

static struct lg_import_report rep;
static struct lg_err err;

/* Import text; on success the parsed list (caller frees), else NULL. */
static struct lg_denylist *imp(enum lg_import_from from, enum lg_action action, const char *text, int want)
{
	struct lg_import_opts o = { .from = from, .action = action, .issued = 1722470400, .serial = -1,
				    .source = "t" };
	char *out = NULL;
	size_t len = 0;
	lg_import_report_clear(&rep);
	err.msg[0] = 0;
	int r = lg_import(text, strlen(text), &o, &out, &len, &rep, &err);
	CHECK_INT(r, want);
	if (r < 0) {
		CHECK(out == NULL);
		return NULL;
	}
	struct lg_denylist *dl = NULL;
	struct lg_err perr = { "" };
	CHECK_INT(lg_denylist_parse(out, len, &dl, &perr), 0);
	CHECK(len > 0 && out[len - 1] == '\n');
	free(out);
	return dl;
}

static bool has_note(const char *needle)
{
	for (size_t i = 0; i < rep.n_notes; i++)
		if (strstr(rep.notes[i], needle))
			return true;
	return false;
}

static void test_loldrivers_fields(void)
{
	char doc[4096];
	/* One sample per form of FileVersion: what the catalogue has. */
	static const struct {
		const char *fv;
		const char *want; /* NULL: skipped */
	} versions[] = {
		{ "1.2.3.4", "1.2.3.4" },
		{ "1, 0, 0, 1", "1.0.0.1" },
		{ "10.0.19041.1 (WinBuild.160101.0800)", "10.0.19041.1" },
		{ "5.1.2600.0 built by: WinDDK", "5.1.2600.0" },
		{ " 2.0.0.7", "2.0.0.7" },
		{ "3.1 beta", NULL },
		{ "1.2.3", NULL },
		{ "v1.2.3.4", NULL },
		{ "1.2.3.4beta", NULL },
		{ "1.2.3.70000", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		snprintf(doc, sizeof(doc),
			 "[{\"Id\": \"aaaaaaaa-0000\", \"KnownVulnerableSamples\": [{\"OriginalFilename\": \"x.sys\", "
			 "\"FileVersion\": \"%s\", \"SHA256\": \"\", \"Authentihash\": {\"SHA256\": \"\"}}]}]",
			 versions[i].fv);
		struct lg_denylist *dl = imp(LG_IMPORT_LOLDRIVERS, LG_ACTION_REPORT, doc, 0);
		if (!dl)
			continue;
		if (versions[i].want) {
			char v[LG_FILE_VERSION_LEN];
			CHECK_INT(dl->n_rules, 2);
			lg_file_version_format(dl->rules[0].file_version_min, v);
			CHECK_STR(v, versions[i].want);
			CHECK(dl->rules[0].file_version_max == dl->rules[0].file_version_min);
			CHECK_STR(dl->rules[0].original_filename, "x.sys");
			CHECK_INT(rep.by_name, 1);
		} else {
			CHECK_INT(dl->n_rules, 0);
			CHECK_INT(rep.skipped[LG_IMPORT_SKIP_VERSION], 1);
			CHECK(has_note("is not four numbers"));
		}
		lg_denylist_free(dl);
	}

	/* Authentihash first, then SHA256, then the name; a malformed
	 * stronger field falls through and is counted. */
	struct lg_denylist *dl = imp(LG_IMPORT_LOLDRIVERS, LG_ACTION_REPORT,
				     "[{\"Id\": \"0123abcd-x\", \"Category\": \"malicious\", \"KnownVulnerableSamples\": ["
				     "{\"Filename\": \"a.sys\", \"SHA256\": \"" H64 "\", \"OriginalFilename\": \"a.sys\", "
				     "\"FileVersion\": \"1.0.0.0\", \"Authentihash\": {\"SHA256\": \" " H64 " \"}},"
				     "{\"Filename\": \"b.sys\", \"SHA256\": \"" H64 "\", \"Authentihash\": {\"SHA256\": \"zz\"}},"
				     "{\"Filename\": \"c.sys\", \"SHA256\": 5, \"Authentihash\": [1]},"
				     "{\"Filename\": \"d.sys\", \"SHA256\": \"" H40 "\"}]}]",
				     0);
	if (dl) {
		CHECK_INT(dl->n_rules, 4);
		CHECK_STR(dl->rules[0].id, "lol-0123abcd-1.drivers");
		CHECK_STR(dl->rules[1].id, "lol-0123abcd-1.driverstore");
		CHECK_STR(dl->rules[1].path, "Windows/System32/DriverStore/**");
		CHECK_INT(dl->rules[0].n_authentihash_sha256, 1);
		CHECK(!dl->rules[0].original_filename && !dl->rules[0].n_sha256);
		CHECK_STR(dl->rules[2].id, "lol-0123abcd-2.drivers");
		CHECK_INT(dl->rules[2].n_sha256, 1);
		CHECK_CONTAINS(dl->rules[0].description, "LOLDrivers malicious a.sys");
		CHECK_CONTAINS(dl->rules[0].description, "entry 0123abcd-x");
		CHECK_INT(dl->rules[0].action, LG_ACTION_REPORT);
		lg_denylist_free(dl);
	}
	CHECK_INT(rep.samples, 4);
	CHECK_INT(rep.imported, 2);
	CHECK_INT(rep.fallbacks, 1);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_NOTHING], 1);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_HASH], 1);
	CHECK(has_note("Authentihash.SHA256 \"zz\" is not 64 hex digits: trying the next field"));
	CHECK(has_note("SHA256 \"" H40 "\" is not 64 hex digits"));
	lg_import_report_clear(&rep);

	/* Control characters from the input never reach the list or a
	 * console; ids stay unique when two entries share an Id prefix. */
	dl = imp(LG_IMPORT_LOLDRIVERS, LG_ACTION_QUARANTINE,
		 "[{\"Id\": \"deadbeef-1\", \"KnownVulnerableSamples\": [{\"Filename\": \"e\\u001b[2Jvil.sys\", "
		 "\"Company\": \"Evil\\nCorp\", \"Authentihash\": {\"SHA256\": \"" H64 "\"}}]},"
		 " {\"Id\": \"deadbeef-2\", \"KnownVulnerableSamples\": [{\"OriginalFilename\": \"n.sys\", "
		 "\"FileVersion\": \"1.0.0.0\"}, {\"OriginalFilename\": \"bad\\u0007.sys\", \"FileVersion\": \"1.0.0.0\"}]}]",
		 0);
	if (dl) {
		CHECK_INT(dl->n_rules, 4);
		CHECK_CONTAINS(dl->rules[0].description, "e?[2Jvil.sys (Evil?Corp)");
		CHECK_STR(dl->rules[0].id, "lol-deadbeef-1.drivers");
		CHECK_STR(dl->rules[2].id, "lol-deadbeef-1-2.drivers");
		/* quarantine rules with a wildcard path pass the safety rule */
		CHECK_INT(dl->rules[2].action, LG_ACTION_QUARANTINE);
		lg_denylist_free(dl);
	}
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_NAME], 1);
	CHECK(has_note("OriginalFilename is control character: skipped"));
	lg_import_report_clear(&rep);

	/* Not the format asked for. */
	imp(LG_IMPORT_LOLDRIVERS, LG_ACTION_REPORT, "{\"KnownVulnerableSamples\": []}", -EINVAL);
	CHECK_CONTAINS(err.msg, "a JSON array of drivers");
	imp(LG_IMPORT_LOLDRIVERS, LG_ACTION_REPORT, "[1,\n 2", -EINVAL);
	CHECK_CONTAINS(err.msg, "line 2, column");
}

static void test_sipolicy_rules(void)
{
	struct lg_denylist *dl = imp(
		LG_IMPORT_SIPOLICY, LG_ACTION_REPORT,
		"<?xml version=\"1.0\"?>\n<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\"><FileRules>"
		"<Deny ID=\"ID_DENY_A\" FriendlyName=\"a.sys Hash Sha256 \" Hash=\"" H64 "\"/>"
		"<Deny ID=\"ID_DENY_A_DUP\" FriendlyName=\"a.sys copy Hash Sha256\" Hash=\"" H64 "\"/>"
		"<Deny ID=\"ID_DENY_B\" FriendlyName=\"b.sys Hash Sha1\" Hash=\"" H64 "\"/>"
		"<Deny ID=\"ID_DENY_C\" FriendlyName=\"c.sys hash page sha256\" Hash=\"" H64 "\"/>"
		"<Deny ID=\"ID_DENY_V\" FriendlyName=\"v\" FileName=\" v.sys \" MinimumFileVersion=\"1.0.0.0\"/>"
		"<Deny ID=\"ID_DENY_W\" FriendlyName=\"w\" FileName=\"*\"/>"
		"<Deny ID=\"ID_DENY_X\" FriendlyName=\"x\" FileName=\"x.sys\" MinimumFileVersion=\"2.0.0.0\" "
		"MaximumFileVersion=\"1.0.0.0\"/>"
		"<Deny ID=\"ID_DENY_Y\" FriendlyName=\"y\" FileName=\"y.sys\" MaximumFileVersion=\"1.0\"/>"
		"<FileAttrib ID=\"ID_FILEATTRIB_FREE\" FileName=\"free.sys\" MaximumFileVersion=\"3.0.0.0\"/>"
		"<Deny ID=\"ID_DENY_PRODUCT\" ProductName=\"Evil\"/>"
		"<Other ID=\"O\"/>"
		"</FileRules></SiPolicy>",
		0);
	if (dl) {
		CHECK_INT(dl->n_rules, 6);
		CHECK_STR(dl->rules[0].id, "ID_DENY_A.drivers");
		CHECK_INT(dl->rules[0].n_authentihash_sha256, 1);
		CHECK_STR(dl->rules[2].id, "ID_DENY_V.drivers");
		CHECK_STR(dl->rules[2].original_filename, "v.sys");
		CHECK(dl->rules[2].has_file_version);
		CHECK(dl->rules[2].file_version_min == LG_FILE_VERSION(1, 0, 0, 0));
		CHECK(dl->rules[2].file_version_max == LG_FILE_VERSION(65535, 65535, 65535, 65535));
		CHECK_STR(dl->rules[4].id, "ID_FILEATTRIB_FREE.drivers");
		CHECK(dl->rules[4].file_version_min == 0);
		lg_denylist_free(dl);
	}
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_DUPLICATE], 1);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_HASH], 1); /* "Hash Sha1" with 64 digits */
	CHECK(has_note("Hash has 64 hex digits, not what \"Hash Sha1\" says"));
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_PAGE_HASH], 1);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_NAME], 1);
	CHECK(has_note("FileName is a wildcard"));
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_VERSION], 2);
	CHECK(has_note("MinimumFileVersion is above MaximumFileVersion"));
	CHECK(has_note("MaximumFileVersion \"1.0\" is not a version a.b.c.d"));
	CHECK(has_note("a FileAttrib no signer refers to: imported"));
	CHECK(has_note("a ProductName rule, which lastgood cannot match"));
	CHECK(has_note("<Other>: not a rule lastgood knows"));
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_UNSUPPORTED], 1);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_OTHER_ATTR], 1);
	CHECK_INT(rep.samples, 11);
	lg_import_report_clear(&rep);

	/* Hostile XML: a DTD is refused before entities are expanded;
	 * malformed XML and the wrong namespace are named. */
	imp(LG_IMPORT_SIPOLICY, LG_ACTION_REPORT,
	    "<!DOCTYPE a [<!ENTITY b \"bb\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;\">]>"
	    "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\"/>", -EINVAL);
	CHECK_CONTAINS(err.msg, "document type declaration");
	imp(LG_IMPORT_SIPOLICY, LG_ACTION_REPORT, "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\">\n<a>",
	    -EINVAL);
	CHECK_CONTAINS(err.msg, "line 2: not well-formed XML");
	imp(LG_IMPORT_SIPOLICY, LG_ACTION_REPORT, "<SiPolicy/>", -EINVAL);
	CHECK_CONTAINS(err.msg, "not a WDAC policy");
}

/* Signers: a FileAttrib bound to denied signers becomes name + version +
 * signer (any of them); a denied signer alone becomes a signer-only rule;
 * signers lastgood cannot check (CertOemID, a well-known root) and allowed
 * signers are skipped and named; a FileAttrib bound to both kinds keeps
 * the checkable ones; packages and file paths are counted by kind. */
static void test_sipolicy_signers(void)
{
#define TBS1 "AA00000000000000000000000000000000000000000000000000000000000001"
#define TBS2 "BB00000000000000000000000000000000000002"
	struct lg_denylist *dl = imp(
		LG_IMPORT_SIPOLICY, LG_ACTION_REPORT,
		"<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\"><FileRules>"
		"<FileAttrib ID=\"FA_BOUND\" FileName=\"bound.sys\" MaximumFileVersion=\"2.0.0.0\"/>"
		"<FileAttrib ID=\"FA_OEM\" FileName=\"oem.sys\" MaximumFileVersion=\"2.0.0.0\"/>"
		"<FileAttrib ID=\"FA_ALLOWED\" FileName=\"allowed.sys\" MaximumFileVersion=\"2.0.0.0\"/>"
		"<FileAttrib ID=\"FA_MIXED\" FileName=\"mixed.sys\" MaximumFileVersion=\"2.0.0.0\"/>"
		"<Deny ID=\"D_PKG\" PackageFamilyName=\"Evil.App\"/>"
		"<Deny ID=\"D_PATH\" FilePath=\"C:\\Temp\\*\"/>"
		"</FileRules><Signers>"
		"<Signer ID=\"S_CA\" Name=\"Some CA\"><CertRoot Type=\"TBS\" Value=\"" TBS1 "\"/>"
		"<CertPublisher Value=\"Vendor Ltd\"/><FileAttribRef RuleID=\"FA_BOUND\"/>"
		"<FileAttribRef RuleID=\"FA_MIXED\"/></Signer>"
		"<Signer ID=\"S_CA2\" Name=\"Other CA\"><CertRoot Type=\"TBS\" Value=\"" TBS2 "\"/>"
		"<FileAttribRef RuleID=\"FA_BOUND\"/></Signer>"
		"<Signer ID=\"S_OEM\" Name=\"OPUS\"><CertRoot Type=\"TBS\" Value=\"" TBS1 "\"/>"
		"<CertOemID Value=\"Vendor\"/><FileAttribRef RuleID=\"FA_OEM\"/><FileAttribRef RuleID=\"FA_MIXED\"/></Signer>"
		"<Signer ID=\"S_ALLOW\" Name=\"Allowed\"><CertRoot Type=\"TBS\" Value=\"" TBS1 "\"/>"
		"<FileAttribRef RuleID=\"FA_ALLOWED\"/></Signer>"
		"<Signer ID=\"S_LEAK\" Name=\"Leaked\"><CertRoot Type=\"TBS\" Value=\"" TBS2 "\"/>"
		"<CertPublisher Value=\"Leaky Inc\"/></Signer>"
		"<Signer ID=\"S_WELLKNOWN\" Name=\"Well known\"><CertRoot Type=\"Wellknown\" Value=\"06\"/></Signer>"
		"</Signers><SigningScenarios><SigningScenario Value=\"131\" ID=\"X\"><ProductSigners>"
		"<AllowedSigners><AllowedSigner SignerId=\"S_ALLOW\"/></AllowedSigners>"
		"<DeniedSigners><DeniedSigner SignerId=\"S_CA\"/><DeniedSigner SignerId=\"S_CA2\"/>"
		"<DeniedSigner SignerId=\"S_OEM\"/><DeniedSigner SignerId=\"S_LEAK\"/>"
		"<DeniedSigner SignerId=\"S_WELLKNOWN\"/></DeniedSigners>"
		"</ProductSigners></SigningScenario></SigningScenarios></SiPolicy>",
		0);
	if (dl) {
		CHECK_INT(dl->n_rules, 6);
		/* Signers first (the policy declares them before file rules are read). */
		CHECK_STR(dl->rules[0].id, "S_LEAK.drivers");
		CHECK_INT(dl->rules[0].n_signers, 1);
		CHECK_INT(dl->rules[0].signers[0].tbs_len, 20);
		CHECK_STR(dl->rules[0].signers[0].publisher, "Leaky Inc");
		CHECK(!dl->rules[0].original_filename);
		CHECK_STR(dl->rules[2].id, "FA_BOUND.drivers");
		CHECK_STR(dl->rules[2].original_filename, "bound.sys");
		CHECK(dl->rules[2].file_version_max == LG_FILE_VERSION(2, 0, 0, 0));
		CHECK_INT(dl->rules[2].n_signers, 2);
		CHECK_INT(dl->rules[2].signers[0].tbs[0], 0xaa);
		CHECK_STR(dl->rules[2].signers[0].publisher, "Vendor Ltd");
		CHECK_INT(dl->rules[2].signers[1].tbs_len, 20);
		CHECK(dl->rules[2].signers[1].publisher == NULL);
		CHECK_STR(dl->rules[4].id, "FA_MIXED.drivers");
		CHECK_INT(dl->rules[4].n_signers, 1);
		CHECK_CONTAINS(dl->rules[4].description, "signed by a denied signer");
		lg_denylist_free(dl);
	}
	CHECK_INT(rep.imported, 3);
	CHECK_INT(rep.by_signer, 1);
	CHECK_INT(rep.by_name, 2);
	CHECK_INT(rep.name_with_signer, 2);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_SIGNER], 3); /* FA_OEM, FA_ALLOWED, S_WELLKNOWN */
	CHECK(has_note("FA_OEM: holds only for files signed by signer \"OPUS\" (S_OEM), which has a CertOemID"));
	CHECK(has_note("FA_ALLOWED: holds only for files signed by signer \"Allowed\" (S_ALLOW), which no DeniedSigners list names"));
	CHECK(has_note("Signer S_WELLKNOWN \"Well known\": denies every file signed by that certificate, but has a "
		       "CertRoot of a well-known Microsoft root"));
	CHECK(has_note("FA_MIXED: imported with the signers lastgood can check; not with signer \"OPUS\""));
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_PACKAGE], 1);
	CHECK_INT(rep.skipped[LG_IMPORT_SKIP_FILE_PATH], 1);
	CHECK(!strcmp(lg_import_skip_name(LG_IMPORT_SKIP_PACKAGE), "package rule"));
	lg_import_report_clear(&rep);
#undef TBS1
#undef TBS2
}

static void test_header_and_limits(void)
{
	const char *one = "[{\"Id\": \"x\", \"KnownVulnerableSamples\": [{\"SHA256\": \"" H64 "\"}]}]";
	struct lg_import_opts o = { .from = LG_IMPORT_LOLDRIVERS, .issued = 1722470400, .serial = -1 };
	char *out = NULL;
	size_t len;
	CHECK_INT(lg_import(one, strlen(one), &o, &out, &len, &rep, &err), 0);
	struct lg_denylist *dl = NULL;
	struct lg_err perr = { "" };
	if (out && lg_denylist_parse(out, len, &dl, &perr) == 0) {
		CHECK_INT(dl->serial, 1722470400);
		CHECK_INT(dl->issued, 1722470400);
		CHECK_INT(dl->expires, 1722470400 + LG_IMPORT_DEFAULT_DAYS * 86400);
		CHECK_STR(dl->publisher, "imported from LOLDrivers by lastgood denylist import");
		lg_denylist_free(dl);
	}
	free(out);
	lg_import_report_clear(&rep);

	o.expires = o.issued;
	CHECK_INT(lg_import(one, strlen(one), &o, &out, &len, &rep, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "expiry must be later");
	lg_import_report_clear(&rep);

	static const char *const bad[] = { "../x.sys" };
	o.expires = 0;
	o.paths = bad;
	o.n_paths = 1;
	CHECK_INT(lg_import(one, strlen(one), &o, &out, &len, &rep, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "path \"../x.sys\": '..' is refused");
	lg_import_report_clear(&rep);

	/* 50,001 distinct hashes on the two default paths: more rules than a
	 * deny-list may hold. */
	size_t n = LG_DENYLIST_MAX_RULES / 2 + 1;
	size_t cap = n * 140 + 200;
	char *x = malloc(cap), *p = x;
	p += sprintf(p, "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\"><FileRules>");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "<Deny ID=\"D%zu\" FriendlyName=\"d Hash Sha1\" Hash=\"%040zx\"/>", i, i + 1);
	strcpy(p, "</FileRules></SiPolicy>");
	o.from = LG_IMPORT_SIPOLICY;
	o.paths = NULL;
	o.n_paths = 0;
	CHECK_INT(lg_import(x, strlen(x), &o, &out, &len, &rep, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "more rules than a deny-list may hold");
	lg_import_report_clear(&rep);
	/* One path each: 50,001 rules fit. */
	static const char *const one_path[] = { "Windows/System32/drivers/**" };
	o.paths = one_path;
	o.n_paths = 1;
	CHECK_INT(lg_import(x, strlen(x), &o, &out, &len, &rep, &err), 0);
	CHECK_INT(rep.rules, n);
	CHECK(len < LG_DENYLIST_MAX_BYTES);
	free(out);
	free(x);
	lg_import_report_clear(&rep);
}

int main(void)
{
	RUN(test_loldrivers_fields);
	RUN(test_sipolicy_rules);
	RUN(test_sipolicy_signers);
	RUN(test_header_and_limits);
	lg_import_report_clear(&rep);
	return t_done();
}
