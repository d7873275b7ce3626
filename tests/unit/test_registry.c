// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry: ImagePath resolution, filter lists, and the SYSTEM hive work
 * on hives built by the fixture builder (tests/fixtures/hivebuild.c, the
 * same code as mkhive), read back with libhivex's own reader; then the
 * journalled commit, crash completion and undo on a real mkntfs volume.
 */
#include "test.h"
#include "engine/registry.h"
#include "formats/hivelog.h"

#include "formats/denylist.h"
#include "storage/fsops.h"
#include "lib/hash.h"

#include "../fixtures/hivebuild.c"

#include <hivex.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/security.h>
#include <ntfs-3g/unistr.h>

static char tdir[] = "/tmp/lg-test-registry-XXXXXX";

/* ---- helpers -------------------------------------------------------- */

static const char *tmp_path(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tdir, name);
	return buf[k];
}

/* Build a hive from description lines; returns its path. */
static const char *build(const char *name, const char *desc)
{
	const char *out = tmp_path(name);
	struct lg_err err = { "" };
	int r = hb_build(desc, strlen(desc), name, out, &err);
	if (r < 0)
		fprintf(stderr, "build %s: %s\n", name, err.msg);
	return r < 0 ? NULL : out;
}

static struct lg_registry *open_hive(const char *path, struct lg_err *err)
{
	struct lg_reg_opts o = { .windir = "Windows", .system_drive = 'C', .now = 133658964000000000LL };
	struct lg_registry *r = NULL;
	if (!path)
		return NULL;
	int rc = lg_registry_open(path, &o, &r, err);
	if (rc < 0)
		fprintf(stderr, "open %s: %d %s\n", path, rc, err->msg);
	return r;
}

/* libhivex's view of a value: DWORD as a number, else -1. */
static long long hx_dword(const char *hive, const char *key, const char *value)
{
	hive_h *h = hivex_open(hive, 0);
	if (!h)
		return -2;
	hive_node_h n = hivex_root(h);
	char *copy = strdup(key), *save = NULL;
	for (char *c = strtok_r(copy, "\\", &save); c && n; c = strtok_r(NULL, "\\", &save))
		n = hivex_node_get_child(h, n, c);
	free(copy);
	long long v = -1;
	hive_value_h val = n ? hivex_node_get_value(h, n, value) : 0;
	hive_type t;
	size_t len;
	if (val && hivex_value_type(h, val, &t, &len) == 0 && t == hive_t_REG_DWORD && len == 4)
		v = (uint32_t)hivex_value_dword(h, val);
	hivex_close(h);
	return v;
}

/* libhivex's view of a list: "a,b,c" (type and length checked), or
 * "(missing)", "(type N)". */
static const char *hx_list(const char *hive, const char *key, const char *value)
{
	static char out[4096];
	hive_h *h = hivex_open(hive, 0);
	if (!h)
		return "(no hive)";
	hive_node_h n = hivex_root(h);
	char *copy = strdup(key), *save = NULL;
	for (char *c = strtok_r(copy, "\\", &save); c && n; c = strtok_r(NULL, "\\", &save))
		n = hivex_node_get_child(h, n, c);
	free(copy);
	hive_value_h val = n ? hivex_node_get_value(h, n, value) : 0;
	hive_type t;
	size_t len;
	snprintf(out, sizeof(out), "(missing)");
	if (val && hivex_value_type(h, val, &t, &len) == 0) {
		if (t != hive_t_REG_MULTI_SZ) {
			snprintf(out, sizeof(out), "(type %d)", (int)t);
		} else {
			/* libhivex returns the terminating empty string too: the
			 * list ends there, as the PnP manager reads it. */
			char **s = hivex_value_multiple_strings(h, val);
			out[0] = 0;
			bool ended = false;
			for (size_t i = 0; s && s[i]; i++) {
				ended |= !s[i][0];
				if (!ended)
					snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", s[i]);
				free(s[i]);
			}
			free(s);
			if (!out[0])
				snprintf(out, sizeof(out), "(empty, %zu bytes)", len);
		}
	}
	hivex_close(h);
	return out;
}

static const char *const disk_class = "Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}";

/* The filter-driver scenario hive, from its description file. */
static const char *scenario_hive(void)
{
	const char *out = tmp_path("filter-driver.hive");
	struct lg_err err = { "" };
	if (hb_build_file("tests/fixtures/hives/filter-driver.txt", out, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return out;
}

static const char *acme_file[] = { "Windows/System32/drivers/ACMEflt.sys" };

/* ---- pure functions ---------------------------------------------------- */

static void test_imagepath_forms(void)
{
	struct lg_reg_paths p = { "Windows", 'C' };
	static const struct {
		const char *image, *service, *want;
		int rc;
	} t[] = {
		{ "\\SystemRoot\\System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "\\systemroot\\system32\\DRIVERS\\X.SYS", "x", "Windows/system32/DRIVERS/X.SYS", 0 },
		{ "System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "system32\\drivers\\x.sys", NULL, "Windows/system32/drivers/x.sys", 0 },
		{ "\\??\\C:\\Windows\\System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "\\??\\c:\\windows\\system32\\drivers\\x.sys", "x", "windows/system32/drivers/x.sys", 0 },
		{ "\\DosDevices\\C:\\Windows\\x.sys", "x", "Windows/x.sys", 0 },
		{ "\\GLOBAL??\\C:\\Windows\\x.sys", "x", "Windows/x.sys", 0 },
		{ "\\\\?\\C:\\Windows\\x.sys", "x", "Windows/x.sys", 0 },
		{ "C:\\Windows\\System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "%SystemRoot%\\System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "%systemroot%\\System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "%windir%\\System32\\x.sys", "x", "Windows/System32/x.sys", 0 },
		{ "%SystemDrive%\\Tools\\x.sys", "x", "Tools/x.sys", 0 },
		{ "%ProgramFiles%\\ACME\\svc.exe", "x", "Program Files/ACME/svc.exe", 0 },
		{ "\"C:\\Program Files\\ACME\\svc.exe\" -k run", "x", "Program Files/ACME/svc.exe", 0 },
		{ "  \\SystemRoot\\x.sys  ", "x", "Windows/x.sys", 0 },
		{ NULL, "ACMEflt", "Windows/System32/drivers/ACMEflt.sys", 0 },
		{ "", "ACMEflt", "Windows/System32/drivers/ACMEflt.sys", 0 },
		{ "\\Windows\\System32\\drivers\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "\\SystemRoot\\System32\\drivers\\..\\drivers\\.\\x.sys", "x", "Windows/System32/drivers/x.sys", 0 },
		{ "System32\\..\\..\\x.sys", "x", "x.sys", 0 },
		/* not this volume, not a file */
		{ "\\??\\D:\\Windows\\x.sys", "x", "", -ENOENT },
		{ "D:\\Windows\\x.sys", "x", "", -ENOENT },
		{ "\\??\\UNC\\server\\share\\x.sys", "x", "", -ENOENT },
		{ "\\\\server\\share\\x.sys", "x", "", -ENOENT },
		{ "\\Device\\HarddiskVolume3\\Windows\\x.sys", "x", "", -ENOENT },
		{ "%NOSUCHVAR%\\x.sys", "x", "", -ENOENT },
		{ NULL, NULL, "", -ENOENT },
		/* hostile */
		{ "\\SystemRoot\\..\\..\\..\\x.sys", "x", "", -EINVAL },
		{ "..\\..\\x.sys", "x", "", -EINVAL },
		{ "System32\\drivers\\x.sys:stream", "x", "", -EINVAL },
		{ "System32\\drivers\\x\x01.sys", "x", "", -EINVAL },
		{ "System32\\drivers\\*.sys", "x", "", -EINVAL },
		{ "\\SystemRoot", "x", "Windows", 0 },
		{ "\"\" -x", "x", "", -ENOENT },
		{ "\"", "x", "", -ENOENT },
		{ "\\??\\C:", "x", "", -EINVAL },
	};
	char out[4096];
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int rc = lg_imagepath_resolve(t[i].image, t[i].service, &p, out, sizeof(out));
		if (rc != t[i].rc || strcmp(out, t[i].want))
			T_FAIL_AT("resolve(\"%s\", %s): got %d \"%s\", want %d \"%s\"",
				  t[i].image ? t[i].image : "(null)", t[i].service ? t[i].service : "(null)", rc,
				  out, t[i].rc, t[i].want);
		t_checks++;
	}
	/* Unknown system drive: every letter is this volume. */
	struct lg_reg_paths any = { "WINDOWS", 0 };
	CHECK_INT(lg_imagepath_resolve("\\??\\E:\\WINDOWS\\x.sys", "x", &any, out, sizeof(out)), 0);
	CHECK_STR(out, "WINDOWS/x.sys");
	CHECK_INT(lg_imagepath_resolve("System32\\x.sys", "x", &any, out, sizeof(out)), 0);
	CHECK_STR(out, "WINDOWS/System32/x.sys");

	/* Overlong: the NT limit, a part over 255 bytes, a small buffer. */
	char *big = malloc(200000);
	memset(big, 'A', 199999);
	big[199999] = 0;
	CHECK_INT(lg_imagepath_resolve(big, "x", &p, out, sizeof(out)), -ENAMETOOLONG);
	big[300] = 0;
	CHECK_INT(lg_imagepath_resolve(big, "x", &p, out, sizeof(out)), -ENAMETOOLONG);
	for (int i = 0; i < 300; i += 10)
		big[i] = '\\';
	CHECK_INT(lg_imagepath_resolve(big, "x", &p, out, sizeof(out)), 0);
	CHECK_INT(lg_imagepath_resolve(big, "x", &p, out, 40), -ENAMETOOLONG);
	CHECK_STR(out, "");
	char longsvc[300];
	memset(longsvc, 's', 299);
	longsvc[299] = 0;
	CHECK_INT(lg_imagepath_resolve(NULL, longsvc, &p, out, sizeof(out)), -ENAMETOOLONG);
	free(big);
}

/* UTF-16LE list from ASCII strings separated by '|' (an empty part is an
 * empty string inside the list). */
static size_t msz(const char *spec, unsigned char *out)
{
	size_t n = 0;
	for (const char *p = spec;; p++) {
		out[n++] = *p == '|' ? 0 : (unsigned char)*p;
		out[n++] = 0;
		if (!*p)
			break;
	}
	out[n++] = 0;
	out[n++] = 0;
	return n;
}

static void test_multisz(void)
{
	unsigned char in[256], out[300], want[256];
	size_t len, olen, wlen;

	len = msz("partmgr|ACMEflt", in);
	CHECK_INT(lg_multisz_count(in, len), 2);
	CHECK_INT(lg_multisz_remove(in, len, "acmeflt", out, &olen), 1);
	wlen = msz("partmgr", want);
	CHECK_INT(olen, wlen);
	CHECK_MEM(out, want, wlen);

	len = msz("a|ACMEflt|b|ACMEFLT|c", in);
	CHECK_INT(lg_multisz_remove(in, len, "ACMEflt", out, &olen), 2);
	wlen = msz("a|b|c", want);
	CHECK_INT(olen, wlen);
	CHECK_MEM(out, want, wlen);
	char *s = lg_multisz_get(out, olen, 2);
	CHECK_STR(s, "c");
	free(s);
	CHECK(lg_multisz_get(out, olen, 3) == NULL);

	/* The last name out: one NUL, nothing else (docs/registry.md). */
	len = msz("ACMEflt", in);
	CHECK_INT(lg_multisz_remove(in, len, "ACMEflt", out, &olen), 1);
	CHECK_INT(olen, 2);
	CHECK(out[0] == 0 && out[1] == 0);
	CHECK_INT(lg_multisz_count(out, olen), 0);

	/* Not there: a copy, nothing removed. */
	len = msz("a|b", in);
	CHECK_INT(lg_multisz_remove(in, len, "ACMEflt", out, &olen), 0);
	CHECK_INT(olen, len);

	/* The PnP manager stops at the first empty string: so do we. */
	len = msz("a||ACMEflt", in);
	CHECK_INT(lg_multisz_count(in, len), 1);
	CHECK_INT(lg_multisz_remove(in, len, "ACMEflt", out, &olen), 0);
	wlen = msz("a", want);
	CHECK_INT(olen, wlen);

	/* No terminator at all, odd length: the last string still counts. */
	static const unsigned char raw[] = { 'a', 0, 0, 0, 'A', 0, 'C', 0, 'M', 0, 'E', 0, 'f', 0, 'l', 0, 't', 0, 'x' };
	CHECK_INT(lg_multisz_count(raw, sizeof(raw)), 2);
	CHECK_INT(lg_multisz_remove(raw, sizeof(raw), "ACMEflt", out, &olen), 1);
	wlen = msz("a", want);
	CHECK_INT(olen, wlen);
	CHECK_MEM(out, want, wlen);
	CHECK_INT(lg_multisz_remove(raw, 0, "x", out, &olen), 0);
	CHECK_INT(olen, 2);
	CHECK_INT(lg_multisz_remove(raw, sizeof(raw), "", out, &olen), -EINVAL);

	/* Unpaired surrogates read as U+FFFD. */
	static const unsigned char sur[] = { 0x00, 0xd8, 'a', 0, 0, 0, 0, 0 };
	s = lg_multisz_get(sur, sizeof(sur), 0);
	CHECK_STR(s, "\xef\xbf\xbd" "a");
	free(s);
}

/* ---- hives ---------------------------------------------------------------- */

static void test_open_and_select(void)
{
	struct lg_err err = { "" };
	const char *h = build("sel.hive",
			      "controlsets 1 2 3 4\n"
			      "value Select Current dword 2\nvalue Select Default dword 1\n"
			      "value Select LastKnownGood dword 3\nvalue Select Failed dword 4\n"
			      "key @\\Services\n");
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	const char *const *names;
	CHECK_INT(lg_registry_control_sets(r, &names), 3);
	CHECK_STR(names[0], "ControlSet002");
	CHECK_STR(names[1], "ControlSet001");
	CHECK_STR(names[2], "ControlSet003");
	CHECK(!lg_registry_dirty(r));
	lg_registry_free(r);

	/* Duplicates counted once; a set that does not exist skipped. */
	h = build("sel2.hive", "value Select Current dword 1\nvalue Select Default dword 1\n"
			       "value Select LastKnownGood dword 7\nkey ControlSet001\n");
	r = open_hive(h, &err);
	CHECK(r && lg_registry_control_sets(r, &names) == 1);
	lg_registry_free(r);

	/* Absurd Select values and no control set: refused with a reason. */
	h = build("sel3.hive", "value Select Current dword 0xffffffff\nvalue Select Default sz one\n"
			       "key ControlSet001\n");
	struct lg_reg_opts o = { .windir = "Windows" };
	r = NULL;
	CHECK_INT(lg_registry_open(h, &o, &r, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "names no control set");
	h = build("sel4.hive", "key ControlSet001\n");
	CHECK_INT(lg_registry_open(h, &o, &r, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "no Select key");
	CHECK(r == NULL);
}

static void test_not_a_hive(void)
{
	struct lg_err err = { "" };
	struct lg_reg_opts o = { .windir = "Windows" };
	struct lg_registry *r = NULL;
	const char *p = tmp_path("junk");
	char junk[9000];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	lg_write_file_atomic(p, junk, sizeof(junk));
	CHECK_INT(lg_registry_open(p, &o, &r, &err), -ENOTSUP);
	CHECK_CONTAINS(err.msg, "not a registry hive");
	CHECK_INT(lg_registry_open(tmp_path("nothing-here"), &o, &r, &err), -ENOENT);

	/* A valid base block over garbage bins: libhivex refuses it. */
	const char *h = build("trunc.hive", "value Select Current dword 1\nkey ControlSet001\n");
	char *buf = NULL;
	size_t len = 0;
	lg_read_file(h, 1 << 20, &buf, &len);
	memset(buf + 0x1000, 0x41, len - 0x1000);
	lg_write_file_atomic(p, buf, len);
	CHECK_INT(lg_registry_open(p, &o, &r, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "libhivex");
	/* Truncated: the bins data size no longer fits. */
	free(buf);
	lg_read_file(h, 1 << 20, &buf, &len);
	lg_write_file_atomic(p, buf, 0x2000);
	CHECK(lg_registry_open(p, &o, &r, &err) < 0);
	/* A version we do not edit. */
	free(buf);
	lg_read_file(h, 1 << 20, &buf, &len);
	put32((unsigned char *)buf + 20, 2);
	put32((unsigned char *)buf + 0x1fc, hb_base_checksum((unsigned char *)buf));
	lg_write_file_atomic(p, buf, len);
	CHECK_INT(lg_registry_open(p, &o, &r, &err), -ENOTSUP);
	CHECK_CONTAINS(err.msg, "version 2.5");
	free(buf);
	CHECK(r == NULL);
}

static void verdict_for(struct lg_registry *r, const char **files, size_t n, const char *disable,
			const char *filter, bool allow, struct lg_reg_verdict *v)
{
	struct lg_reg_request q = { "rule-1", files, n, disable, filter, allow };
	struct lg_err err = { "" };
	int rc = lg_registry_check(r, &q, v, &err);
	if (rc < 0)
		fprintf(stderr, "check: %s\n", err.msg);
	CHECK_INT(rc, 0);
}

static bool has_service(const struct lg_reg_verdict *v, const char *name)
{
	for (size_t i = 0; i < v->n_services; i++)
		if (!strcmp(v->services[i], name))
			return true;
	return false;
}

/* The scenario: refused as boot-critical without the flag, done with it:
 * Start = 4 in both control sets, ACMEflt out of the disk class list
 * (partmgr kept, type kept), the device's LowerFilters emptied, nothing
 * else touched. */
static void test_filter_driver_scenario(void)
{
	struct lg_err err = { "" };
	const char *h = scenario_hive();
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	struct lg_reg_verdict v;
	verdict_for(r, acme_file, 1, NULL, NULL, false, &v);
	CHECK(v.refused);
	CHECK(v.boot_critical);
	CHECK_INT(v.n_services, 1);
	CHECK(has_service(&v, "ACMEflt"));
	CHECK_CONTAINS(v.reason, "upper filter of the disk drives class");
	CHECK_CONTAINS(v.reason, "INACCESSIBLE_BOOT_DEVICE");
	CHECK_CONTAINS(v.reason, "\"allow_boot_critical\": true");
	CHECK_CONTAINS(v.reason, "no quarantine");
	CHECK_INT(lg_registry_apply(r, &v, "rule-1", &err), -EPERM);
	CHECK_INT(lg_registry_n_changes(r), 0);
	lg_reg_verdict_clear(&v);

	verdict_for(r, acme_file, 1, NULL, NULL, true, &v);
	CHECK(!v.refused);
	CHECK(v.boot_critical);
	CHECK_STR(v.reason, "");
	CHECK_INT(lg_registry_apply(r, &v, "acme-filter", &err), 6);
	lg_reg_verdict_clear(&v);
	/* Applying again changes nothing. */
	verdict_for(r, acme_file, 1, NULL, NULL, true, &v);
	CHECK_INT(lg_registry_apply(r, &v, "acme-filter", &err), 0);
	lg_reg_verdict_clear(&v);

	json_t *rep = lg_registry_report(r);
	CHECK_INT(json_array_size(rep), 6);
	char *txt = json_dumps(rep, JSON_COMPACT);
	CHECK_CONTAINS(txt, "{\"control_set\":\"ControlSet001\",\"key\":\"Services\\\\ACMEflt\",\"value\":\"Start\","
			    "\"type\":\"REG_DWORD\",\"old\":0,\"new\":4,\"name\":\"ACMEflt\",\"rule\":\"acme-filter\"}");
	CHECK_CONTAINS(txt, "\"control_set\":\"ControlSet002\",\"key\":\"Services\\\\ACMEflt\"");
	CHECK_CONTAINS(txt, "\"value\":\"UpperFilters\",\"type\":\"REG_MULTI_SZ\",\"old\":[\"partmgr\",\"ACMEflt\"],"
			    "\"new\":[\"partmgr\"]");
	CHECK_CONTAINS(txt, "\"key\":\"Enum\\\\SCSI\\\\Disk&Ven_ACME&Prod_SSD\\\\4&1a2b3c4d&0&000000\","
			    "\"value\":\"LowerFilters\",\"type\":\"REG_MULTI_SZ\",\"old\":[\"ACMEflt\"],\"new\":[]");
	free(txt);
	json_decref(rep);

	const char *out = tmp_path("filter-driver-fixed.hive");
	CHECK_INT(lg_registry_save(r, out, &err), 0);
	lg_registry_free(r);

	/* What libhivex reads in the result. */
	for (int cs = 1; cs <= 2; cs++) {
		char key[256];
		snprintf(key, sizeof(key), "ControlSet00%d\\Services\\ACMEflt", cs);
		CHECK_INT(hx_dword(out, key, "Start"), 4);
		snprintf(key, sizeof(key), "ControlSet00%d\\Services\\partmgr", cs);
		CHECK_INT(hx_dword(out, key, "Start"), 0);
		snprintf(key, sizeof(key), "ControlSet00%d\\%s", cs, disk_class);
		CHECK_STR(hx_list(out, key, "UpperFilters"), "partmgr");
		snprintf(key, sizeof(key), "ControlSet00%d\\Enum\\SCSI\\Disk&Ven_ACME&Prod_SSD\\4&1a2b3c4d&0&000000", cs);
		CHECK_STR(hx_list(out, key, "LowerFilters"), "(empty, 2 bytes)");
		snprintf(key, sizeof(key), "ControlSet00%d\\Control\\Class\\{71a27cdd-812a-11d0-bec7-08002be2e9ba}", cs);
		CHECK_STR(hx_list(out, key, "LowerFilters"), "fvevol");
	}
	/* The base block: sequence numbers one up and equal, our time,
	 * Windows' checksum; the rest of the file is what it was, except the
	 * cells of the changed values. */
	char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	lg_read_file(h, 1 << 20, &a, &al);
	lg_read_file(out, 1 << 20, &b, &bl);
	CHECK_INT(bl, al);
	const unsigned char *ub = (const unsigned char *)b;
	CHECK_INT(get32(ub + 4), get32((const unsigned char *)a + 4) + 1);
	CHECK_INT(get32(ub + 8), get32(ub + 4));
	CHECK_INT(get32(ub + 12) | (uint64_t)get32(ub + 16) << 32, 133658964000000000LL);
	CHECK_INT(get32(ub + 0x1fc), hb_base_checksum(ub));
	size_t differ = 0;
	for (size_t i = 0x1000 + 0x20; i < al && i < bl; i++)
		differ += a[i] != b[i];
	CHECK(differ > 0 && differ < 64);
	free(a);
	free(b);

	/* The fixed hive opens clean and has nothing left to do. */
	r = open_hive(out, &err);
	CHECK(r && !lg_registry_dirty(r));
	if (r) {
		verdict_for(r, acme_file, 1, NULL, NULL, false, &v);
		CHECK(!v.refused);
		CHECK_INT(v.n_services, 1);
		CHECK_CONTAINS(v.note, "");
		CHECK_INT(lg_registry_apply(r, &v, "x", &err), 0);
		lg_reg_verdict_clear(&v);
		lg_registry_free(r);
	}
}

/* Every way an ImagePath names the same driver, in one hive. */
static void test_every_imagepath_form(void)
{
	struct lg_err err = { "" };
	const char *h = build("forms.hive",
		"controlsets 1\n"
		"value Select Current dword 1\n"
		"value @\\Services\\f1 ImagePath expand \\SystemRoot\\System32\\drivers\\evil.sys\n"
		"value @\\Services\\f2 ImagePath expand System32\\drivers\\evil.sys\n"
		"value @\\Services\\f3 ImagePath expand \\??\\C:\\Windows\\System32\\drivers\\evil.sys\n"
		"value @\\Services\\f4 ImagePath expand %SystemRoot%\\system32\\DRIVERS\\EVIL.SYS\n"
		"value @\\Services\\evil Type dword 1\n"
		"value @\\Services\\f6 ImagePath sz C:\\Windows\\System32\\drivers\\evil.sys\n"
		"value @\\Services\\f7 ImagePath expand '\"C:\\Windows\\System32\\drivers\\evil.sys\" -x'\n"
		"value @\\Services\\f8 ImagePath expand \\SystemRoot\\System32\\drivers\\..\\drivers\\evil.sys\n"
		"value @\\Services\\f9 Type dword 16\n"
		"value @\\Services\\f9 ImagePath expand '%windir%\\System32\\drivers\\evil.sys --service'\n"
		"value @\\Services\\f10\\Parameters ServiceDll expand %SystemRoot%\\System32\\drivers\\evil.sys\n"
		/* decoys */
		"value @\\Services\\d1 ImagePath expand \\??\\D:\\Windows\\System32\\drivers\\evil.sys\n"
		"value @\\Services\\d2 ImagePath expand System32\\drivers\\evil2.sys\n"
		"value @\\Services\\d3 ImagePath expand \\\\server\\share\\evil.sys\n"
		"value @\\Services\\d4 ImagePath expand '\\SystemRoot\\..\\..\\..\\evil.sys'\n"
		"value @\\Services\\d5 ImagePath expand 'A'*70000\n"
		"value @\\Services\\d6 ImagePath binary 5c0053007900\n"
		"value @\\Services\\evil2 Type dword 16\n"
		"value @\\Services\\d7 ImagePath expand %UNKNOWN%\\System32\\drivers\\evil.sys\n");
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	const char *files[] = { "Windows/System32/drivers/evil.sys" };
	struct lg_reg_verdict v;
	verdict_for(r, files, 1, NULL, NULL, false, &v);
	static const char *const want[] = { "f1", "f2", "f3", "f4", "evil", "f6", "f7", "f8", "f9", "f10" };
	CHECK_INT(v.n_services, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!has_service(&v, want[i]))
			T_FAIL_AT("service %s not found", want[i]);
	for (size_t i = 0; i < v.n_services; i++)
		if (v.services[i][0] == 'd' || !strcmp(v.services[i], "evil2"))
			T_FAIL_AT("decoy %s matched", v.services[i]);
	/* None has a Start value: nothing to change, nothing refused. */
	CHECK(!v.refused);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 0);
	lg_reg_verdict_clear(&v);
	lg_registry_free(r);
}

/* Start = 4 in exactly the control sets Select names. */
static void test_start_in_every_selected_set(void)
{
	struct lg_err err = { "" };
	const char *h = build("sets.hive",
		"controlsets 1 2 3 4\n"
		"value Select Current dword 2\nvalue Select Default dword 1\nvalue Select LastKnownGood dword 3\n"
		"value Select Failed dword 4\n"
		"value @\\Services\\bad Type dword 1\nvalue @\\Services\\bad Start dword 1\n"
		"value @\\Services\\bad ImagePath expand System32\\drivers\\bad.sys\n"
		"value @\\Services\\bad Group sz 'PnP Filter'\n");
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	const char *files[] = { "windows/system32/DRIVERS/BAD.SYS" };
	struct lg_reg_verdict v;
	verdict_for(r, files, 1, NULL, NULL, false, &v);
	CHECK(!v.refused);
	CHECK(!v.boot_critical);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 3);
	lg_reg_verdict_clear(&v);
	const char *out = tmp_path("sets-fixed.hive");
	CHECK_INT(lg_registry_save(r, out, &err), 0);
	lg_registry_free(r);
	CHECK_INT(hx_dword(out, "ControlSet001\\Services\\bad", "Start"), 4);
	CHECK_INT(hx_dword(out, "ControlSet002\\Services\\bad", "Start"), 4);
	CHECK_INT(hx_dword(out, "ControlSet003\\Services\\bad", "Start"), 4);
	CHECK_INT(hx_dword(out, "ControlSet004\\Services\\bad", "Start"), 1);
}

/* Names out of lists in class and device keys, order and type kept,
 * values that do not hold the name untouched; registry-only rules. */
static void test_filter_lists(void)
{
	struct lg_err err = { "" };
	const char *h = build("lists.hive",
		"value Select Current dword 1\n"
		"value @\\Services\\kbflt Start dword 3\n"
		"value @\\Services\\kbflt ImagePath expand System32\\drivers\\kbflt.sys\n"
		"value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters multi a kbflt b KBFLT c\n"
		"value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} LowerFilters multi kbflt\n"
		"value @\\Control\\Class\\{4d36e96f-e325-11ce-bfc1-08002be10318} UpperFilters multi mouclass\n"
		"value @\\Enum\\HID\\VID_1&PID_2\\7&1&0&0000 UpperFilters multi x kbflt\n"
		"value @\\Enum\\HID\\VID_1&PID_2\\7&1&0&0000 ClassGUID sz {4d36e96b-e325-11ce-bfc1-08002be10318}\n"
		"value '@\\Enum\\HID\\VID_1&PID_2\\7&1&0&0000\\Device Parameters' UpperFilters multi kbflt\n");
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	struct lg_reg_verdict v;
	/* A registry-only rule: remove_filter without a file. */
	verdict_for(r, NULL, 0, NULL, "kbflt", false, &v);
	CHECK(!v.refused);
	CHECK_INT(v.n_services, 0);
	CHECK_INT(v.n_filters, 1);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 3);
	lg_reg_verdict_clear(&v);
	/* disable_service of a name the hive lacks: a note, no change. */
	verdict_for(r, NULL, 0, "NoSuchService", NULL, false, &v);
	CHECK(!v.refused);
	CHECK_CONTAINS(v.note, "nothing to change in the registry for NoSuchService");
	lg_reg_verdict_clear(&v);
	/* disable_service: Start only now (the lists are clean already). */
	verdict_for(r, NULL, 0, "KBFLT", NULL, false, &v);
	CHECK(has_service(&v, "kbflt"));
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 1);
	lg_reg_verdict_clear(&v);
	const char *out = tmp_path("lists-fixed.hive");
	CHECK_INT(lg_registry_save(r, out, &err), 0);
	lg_registry_free(r);
	CHECK_STR(hx_list(out, "ControlSet001\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "a,b,c");
	CHECK_STR(hx_list(out, "ControlSet001\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318}", "LowerFilters"),
		  "(empty, 2 bytes)");
	CHECK_STR(hx_list(out, "ControlSet001\\Control\\Class\\{4d36e96f-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "mouclass");
	CHECK_STR(hx_list(out, "ControlSet001\\Enum\\HID\\VID_1&PID_2\\7&1&0&0000", "UpperFilters"), "x");
	/* Below the device key: not a filter list the PnP manager reads. */
	CHECK_STR(hx_list(out, "ControlSet001\\Enum\\HID\\VID_1&PID_2\\7&1&0&0000\\Device Parameters", "UpperFilters"),
		  "kbflt");
	CHECK_INT(hx_dword(out, "ControlSet001\\Services\\kbflt", "Start"), 4);
}

static void expect_refused(const char *name, const char *desc, const char *file, const char *why)
{
	struct lg_err err = { "" };
	const char *h = build(name, desc);
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	const char *files[] = { file };
	struct lg_reg_verdict v;
	verdict_for(r, files, 1, NULL, NULL, false, &v);
	CHECK(v.refused);
	CHECK_CONTAINS(v.reason, why);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), -EPERM);
	CHECK_INT(lg_registry_n_changes(r), 0);
	lg_reg_verdict_clear(&v);
	lg_registry_free(r);
}

static void test_boot_critical(void)
{
	static const char *const groups[] = { "Boot Bus Extender", "System Bus Extender", "SCSI miniport",
					      "SCSI Class", "Boot File System", "FSFilter Bottom",
					      "fsfilter encryption" };
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		char desc[512];
		snprintf(desc, sizeof(desc), "value Select Current dword 1\n"
			 "value @\\Services\\st Start dword 0\nvalue @\\Services\\st Group sz '%s'\n", groups[i]);
		expect_refused("crit-group.hive", desc, "Windows/System32/drivers/st.sys", "load-order group");
	}
	/* Storage classes: filters of the class keys and of device keys, and
	 * the function driver of a device. */
	static const char *const classes[] = { "{4d36e967-e325-11ce-bfc1-08002be10318}",
					       "{71A27CDD-812A-11D0-BEC7-08002BE2E9BA}",
					       "{4d36e97b-e325-11ce-bfc1-08002be10318}",
					       "{4d36e96a-e325-11ce-bfc1-08002be10318}" };
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		char desc[1024];
		snprintf(desc, sizeof(desc), "value Select Current dword 1\nvalue @\\Services\\st Start dword 0\n"
			 "value @\\Control\\Class\\%s LowerFilters multi st\n", classes[i]);
		expect_refused("crit-class.hive", desc, "Windows/System32/drivers/st.sys", "lower filter of the");
		snprintf(desc, sizeof(desc), "value Select Current dword 1\nvalue @\\Services\\st Start dword 0\n"
			 "value @\\Enum\\PCI\\VEN_1\\3&0 ClassGUID sz %s\nvalue @\\Enum\\PCI\\VEN_1\\3&0 Service sz st\n",
			 classes[i]);
		expect_refused("crit-fn.hive", desc, "Windows/System32/drivers/st.sys", "drives a device of the");
		snprintf(desc, sizeof(desc), "value Select Current dword 1\nvalue @\\Services\\st Start dword 0\n"
			 "value @\\Enum\\PCI\\VEN_1\\3&0 ClassGUID sz %s\nvalue @\\Enum\\PCI\\VEN_1\\3&0 UpperFilters multi st\n",
			 classes[i]);
		expect_refused("crit-dev.hive", desc, "Windows/System32/drivers/st.sys", "upper filter of the");
	}
	/* Only in the LastKnownGood set: still refused. */
	expect_refused("crit-lkg.hive",
		       "controlsets 1 2\nvalue Select Current dword 1\nvalue Select LastKnownGood dword 2\n"
		       "value @\\Services\\st Start dword 0\n"
		       "value ControlSet002\\Services\\st Group sz 'Boot Bus Extender'\n",
		       "Windows/System32/drivers/st.sys", "ControlSet002\\Services\\st");
	/* A keyboard filter is not boot-critical. */
	struct lg_err err = { "" };
	const char *h = build("notcrit.hive", "value Select Current dword 1\nvalue @\\Services\\st Start dword 0\n"
				"value @\\Services\\st Group sz 'Keyboard Port'\n"
				"value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters multi st\n");
	struct lg_registry *r = open_hive(h, &err);
	const char *files[] = { "Windows/System32/drivers/st.sys" };
	struct lg_reg_verdict v;
	CHECK(r != NULL);
	if (r) {
		verdict_for(r, files, 1, NULL, NULL, false, &v);
		CHECK(!v.refused && !v.boot_critical);
		CHECK_INT(lg_registry_apply(r, &v, "r", &err), 2);
		lg_reg_verdict_clear(&v);
		lg_registry_free(r);
	}
}

/* Refusal of a rule naming only registry work on a storage filter. */
static void test_boot_critical_remove_filter(void)
{
	struct lg_err err = { "" };
	const char *h = build("crit-rf2.hive", "value Select Current dword 1\n"
				"value @\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318} UpperFilters multi partmgr\n");
	struct lg_registry *r = open_hive(h, &err);
	if (!r) {
		CHECK(r != NULL);
		return;
	}
	struct lg_reg_verdict v;
	verdict_for(r, NULL, 0, NULL, "partmgr", false, &v);
	CHECK(v.refused);
	CHECK_CONTAINS(v.reason, "partmgr is an upper filter of the disk drives class");
	lg_reg_verdict_clear(&v);
	verdict_for(r, NULL, 0, NULL, "partmgr", true, &v);
	CHECK(!v.refused);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 1);
	lg_reg_verdict_clear(&v);
	lg_registry_free(r);
}

static void test_dirty_hive(void)
{
	struct lg_err err = { "" };
	const char *desc = "sequence 12 11\nvalue Select Current dword 1\n"
			   "value @\\Services\\bad Start dword 1\n"
			   "value @\\Services\\bad ImagePath expand System32\\drivers\\bad.sys\n";
	const char *h = build("dirty.hive", desc);
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(lg_registry_dirty(r));
	const char *files[] = { "Windows/System32/drivers/bad.sys" };
	struct lg_reg_verdict v;
	verdict_for(r, files, 1, NULL, NULL, true, &v);
	CHECK(v.refused);
	CHECK_CONTAINS(v.reason, "dirty (its sequence numbers differ (12 and 11) and no transaction log can be "
		       "replayed: SYSTEM has no transaction log (.LOG, .LOG1, .LOG2))");
	lg_reg_verdict_clear(&v);
	/* A rule without registry work (the channel files) goes ahead. */
	const char *cs[] = { "Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys" };
	verdict_for(r, cs, 1, NULL, NULL, false, &v);
	CHECK(!v.refused);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 0);
	lg_reg_verdict_clear(&v);
	json_t *none = json_array();
	CHECK_INT(lg_registry_revert(r, none, NULL, &err), -EUCLEAN);
	json_decref(none);
	lg_registry_free(r);

	/* A wrong checksum is dirty too (Windows recovers the base block
	 * from the log then). */
	h = build("badsum.hive", desc + strlen("sequence 12 11\n"));
	char *buf = NULL;
	size_t len = 0;
	lg_read_file(h, 1 << 20, &buf, &len);
	buf[0x1fc] ^= 1;
	lg_write_file_atomic(h, buf, len);
	free(buf);
	r = open_hive(h, &err);
	CHECK(r != NULL);
	if (r) {
		CHECK(lg_registry_dirty(r));
		verdict_for(r, files, 1, NULL, NULL, true, &v);
		CHECK(v.refused);
		CHECK_CONTAINS(v.reason, "dirty (its base block checksum is wrong and no transaction log");
		lg_reg_verdict_clear(&v);
		lg_registry_free(r);
	}
}

/* A dirty hive with usable logs: recovered on open as Windows would,
 * decisions made on what only the logs hold, and the hive written back
 * clean with a sequence number above every one in its logs. */
static void dirty_replayed(const char *fmt, const char *name, const char *from)
{
	struct lg_err err = { "" };
	char desc[2048];
	snprintf(desc, sizeof(desc),
		 "logs %s 9\nvalue Select Current dword 1\n"
		 "value @\\Services\\kbdclass Start dword 3\n"
		 "value @\\Services\\bad Start dword 3\n"
		 "log value @\\Services\\bad Start dword 1\n"
		 "log value @\\Services\\bad ImagePath expand System32\\drivers\\bad.sys\n"
		 "value @\\Services\\new Start dword 3\n"
		 "log value @\\Services\\only Start dword 0\n"
		 "log value @\\Services\\only ImagePath expand System32\\drivers\\only.sys\n"
		 "value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters multi kbdclass\n"
		 "log value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters multi kbdclass bad\n",
		 fmt);
	const char *h = build(name, desc);
	struct lg_registry *r = open_hive(h, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(!lg_registry_dirty(r));
	unsigned entries = 0;
	CHECK_STR(lg_registry_replayed(r, &entries), from);
	CHECK_INT(entries, 1);
	json_t *st = json_object();
	lg_registry_report_state(r, st);
	CHECK_INT(json_integer_value(json_object_get(st, "replayed_log_entries")), 1);
	CHECK_STR(json_string_value(json_object_get(st, "replayed_from")), from);
	CHECK(json_is_false(json_object_get(st, "dirty_hive")));
	json_decref(st);
	/* Start differs (3 in the primary, 1 in the log) and the filter is
	 * only in the log: both seen. */
	const char *files[] = { "Windows/System32/drivers/bad.sys" };
	struct lg_reg_verdict v;
	verdict_for(r, files, 1, NULL, NULL, false, &v);
	CHECK(!v.refused);
	CHECK(has_service(&v, "bad"));
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 2);
	lg_reg_verdict_clear(&v);
	/* A service only in the logs. */
	const char *only[] = { "Windows/System32/drivers/only.sys" };
	verdict_for(r, only, 1, NULL, NULL, false, &v);
	CHECK(!v.refused && has_service(&v, "only"));
	lg_reg_verdict_clear(&v);
	const char *out = tmp_path("replayed-out.hive");
	CHECK_INT(lg_registry_save(r, out, &err), 0);
	lg_registry_free(r);
	CHECK_INT(hx_dword(out, "ControlSet001\\Services\\bad", "Start"), 4);
	CHECK_INT(hx_dword(out, "ControlSet001\\Services\\only", "Start"), 0);
	CHECK_STR(hx_list(out, "ControlSet001\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "kbdclass");
	/* Clean, above the logs' numbers (the primary said 10 and 9): Windows
	 * applies none of their entries; the stale LOG2 entry never was. */
	char *b = NULL, *l1 = NULL, *l2 = NULL;
	size_t n = 0, n1 = 0, n2 = 0;
	char p1[600], p2[600];
	snprintf(p1, sizeof(p1), "%s.LOG1", h);
	snprintf(p2, sizeof(p2), "%s.LOG2", h);
	lg_read_file(out, 1 << 24, &b, &n);
	lg_read_file(p1, 1 << 24, &l1, &n1);
	lg_read_file(p2, 1 << 24, &l2, &n2);
	CHECK(b && n > 4096);
	if (b) {
		uint32_t s1, s2;
		memcpy(&s1, b + 4, 4);
		memcpy(&s2, b + 8, 4);
		CHECK_INT(s1, 11);
		CHECK_INT(s2, 11);
		CHECK(!memmem(b, n, "STAL", 4));
		struct lg_hivelog_buf logs[LG_HIVELOG_N] = { { 0 }, { (unsigned char *)l1, n1 }, { (unsigned char *)l2, n2 } };
		unsigned char *o = NULL;
		size_t on = 0;
		struct lg_hivelog_result res;
		CHECK_INT(lg_hivelog_recover("SYSTEM", (unsigned char *)b, n, logs, &o, &on, &res), 0);
		CHECK(o == NULL && !res.dirty);
		CHECK(res.max_seq <= 11);
	}
	free(b);
	free(l1);
	free(l2);

	/* The same hive with LOG1 damaged: dirty, refused, the file named. */
	h = build(name, desc);
	lg_read_file(p1, 1 << 24, &l1, &n1);
	if (l1 && n1 > 600) {
		l1[100] ^= 1;
		lg_write_file_atomic(p1, l1, n1);
	}
	free(l1);
	r = open_hive(h, &err);
	CHECK(r && lg_registry_dirty(r) && !lg_registry_replayed(r, NULL));
	if (r) {
		verdict_for(r, files, 1, NULL, NULL, false, &v);
		CHECK(v.refused);
		CHECK_CONTAINS(v.reason, "SYSTEM.LOG1: its base block checksum is wrong");
		lg_reg_verdict_clear(&v);
		lg_registry_free(r);
	}
}

static void test_dirty_hive_replayed(void)
{
	dirty_replayed("new", "dirty-new.hive", "SYSTEM.LOG1");
	dirty_replayed("old", "dirty-old.hive", "SYSTEM.LOG1");
}

/* Values that are not what they should be are refused, never rewritten. */
static void test_hostile_values(void)
{
	const char *bad = "Windows/System32/drivers/bad.sys";
	expect_refused("h1.hive", "value Select Current dword 1\nvalue @\\Services\\bad Start sz 0\n", bad,
		       "Start is not a 4-byte REG_DWORD");
	expect_refused("h2.hive", "value Select Current dword 1\nvalue @\\Services\\bad Start raw 4 0000000000000000\n",
		       bad, "Start is not a 4-byte REG_DWORD");
	expect_refused("h3.hive", "value Select Current dword 1\nvalue @\\Services\\bad Start dword 1\n"
		       "value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters sz bad\n",
		       bad, "is not a REG_MULTI_SZ list");
	expect_refused("h4.hive", "value Select Current dword 1\nvalue @\\Services\\bad Start dword 1\n"
		       "value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters multi 'x'*9000 bad\n",
		       bad, "larger than 16 KiB");

	/* A Start value whose data offset points outside the hive. */
	struct lg_err err = { "" };
	const char *h = build("h5.hive", "value Select Current dword 1\nvalue @\\Services\\bad Start dword 1\n");
	hive_h *hx = hivex_open(h, 0);
	hive_node_h n = hivex_node_get_child(hx, hivex_node_get_child(hx, hivex_node_get_child(hx,
			hivex_root(hx), "ControlSet001"), "Services"), "bad");
	size_t vk = hivex_node_get_value(hx, n, "Start");
	hivex_close(hx);
	char *buf = NULL;
	size_t len = 0;
	lg_read_file(h, 1 << 20, &buf, &len);
	put32((unsigned char *)buf + vk + 8, 4);          /* not inline */
	put32((unsigned char *)buf + vk + 12, 0x7ffffff0); /* far away */
	lg_write_file_atomic(h, buf, len);
	free(buf);
	struct lg_registry *r = open_hive(h, &err);
	if (r) {
		const char *files[] = { bad };
		struct lg_reg_verdict v;
		verdict_for(r, files, 1, NULL, NULL, true, &v);
		CHECK(v.refused);
		CHECK_CONTAINS(v.reason, "Start is damaged");
		lg_reg_verdict_clear(&v);
		lg_registry_free(r);
	} else {
		CHECK(r != NULL);
	}
}

/* A list whose data offset points into the middle of a cell: neither
 * reader accepts it, nothing is written through it. */
static void test_hostile_cell_pointer(void)
{
	struct lg_err err = { "" };
	const char *h = build("h6.hive", "value Select Current dword 1\nvalue @\\Services\\bad Start dword 1\n"
				"value @\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318} UpperFilters multi a bad bbbbbbbb\n");
	hive_h *hx = hivex_open(h, 0);
	hive_node_h n = hivex_node_get_child(hx, hivex_node_get_child(hx, hivex_node_get_child(hx,
			hivex_node_get_child(hx, hivex_root(hx), "ControlSet001"), "Control"), "Class"),
			"{4d36e96b-e325-11ce-bfc1-08002be10318}");
	size_t vk = hivex_node_get_value(hx, n, "UpperFilters");
	hivex_close(hx);
	char *buf = NULL;
	size_t len = 0;
	lg_read_file(h, 1 << 20, &buf, &len);
	unsigned char *u = (unsigned char *)buf;
	uint32_t data = get32(u + vk + 12);
	put32(u + vk + 12, data + 8);
	lg_write_file_atomic(h, buf, len);
	struct lg_registry *r = open_hive(h, &err);
	if (!r) {
		CHECK(r != NULL);
		free(buf);
		return;
	}
	const char *files[] = { "Windows/System32/drivers/bad.sys" };
	struct lg_reg_verdict v;
	verdict_for(r, files, 1, NULL, NULL, false, &v);
	CHECK(!v.refused);
	CHECK_INT(lg_registry_apply(r, &v, "r", &err), 1); /* Start only */
	lg_reg_verdict_clear(&v);
	const char *out = tmp_path("h6-fixed.hive");
	CHECK_INT(lg_registry_save(r, out, &err), 0);
	lg_registry_free(r);
	char *after = NULL;
	size_t alen = 0;
	lg_read_file(out, 1 << 20, &after, &alen);
	CHECK_INT(alen, len);
	if (alen == len)
		CHECK_MEM(after + 0x1000 + data, buf + 0x1000 + data, 64);
	CHECK_INT(hx_dword(out, "ControlSet001\\Services\\bad", "Start"), 4);
	free(after);
	free(buf);
}

/* Undo: the old values back, also when Windows changed the lists since. */
static void test_revert(void)
{
	struct lg_err err = { "" };
	const char *h = scenario_hive();
	struct lg_registry *r = open_hive(h, &err);
	if (!r) {
		CHECK(r != NULL);
		return;
	}
	struct lg_reg_verdict v;
	verdict_for(r, acme_file, 1, NULL, NULL, true, &v);
	CHECK_INT(lg_registry_apply(r, &v, "acme", &err), 6);
	lg_reg_verdict_clear(&v);
	json_t *changes = lg_registry_changes_json(r);
	const char *fixed = tmp_path("rv-fixed.hive");
	CHECK_INT(lg_registry_save(r, fixed, &err), 0);
	lg_registry_free(r);

	/* Straight undo: byte for byte the values as before. */
	r = open_hive(fixed, &err);
	json_t *res = json_array();
	CHECK_INT(lg_registry_revert(r, changes, res, &err), 6);
	CHECK_INT(json_array_size(res), 6);
	CHECK_STR(json_string_value(json_object_get(json_array_get(res, 0), "result")), "set back");
	const char *undone = tmp_path("rv-undone.hive");
	CHECK_INT(lg_registry_save(r, undone, &err), 0);
	lg_registry_free(r);
	json_decref(res);
	for (int cs = 1; cs <= 2; cs++) {
		char key[256];
		snprintf(key, sizeof(key), "ControlSet00%d\\Services\\ACMEflt", cs);
		CHECK_INT(hx_dword(undone, key, "Start"), 0);
		snprintf(key, sizeof(key), "ControlSet00%d\\%s", cs, disk_class);
		CHECK_STR(hx_list(undone, key, "UpperFilters"), "partmgr,ACMEflt");
		snprintf(key, sizeof(key), "ControlSet00%d\\Enum\\SCSI\\Disk&Ven_ACME&Prod_SSD\\4&1a2b3c4d&0&000000", cs);
		CHECK_STR(hx_list(undone, key, "LowerFilters"), "ACMEflt");
	}
	/* Undo twice: nothing more to do. */
	r = open_hive(undone, &err);
	CHECK_INT(lg_registry_revert(r, changes, NULL, &err), 0);
	lg_registry_free(r);

	/* Windows ran in between: Start of ControlSet001 is 3 now, a new
	 * filter came after partmgr in ControlSet002. */
	const char *changed = tmp_path("rv-changed.hive");
	hive_h *hx = hivex_open(fixed, HIVEX_OPEN_WRITE);
	hive_node_h root = hivex_root(hx);
	hive_node_h n = hivex_node_get_child(hx, hivex_node_get_child(hx, hivex_node_get_child(hx, root,
			"ControlSet001"), "Services"), "ACMEflt");
	hive_set_value sv = { (char *)"Start", hive_t_REG_DWORD, 4, (char *)"\x03\0\0\0" };
	hivex_node_set_value(hx, n, &sv, 0);
	n = hivex_node_get_child(hx, hivex_node_get_child(hx, root, "ControlSet002"), "Control");
	n = hivex_node_get_child(hx, hivex_node_get_child(hx, n, "Class"), "{4d36e967-e325-11ce-bfc1-08002be10318}");
	unsigned char lst[64];
	hive_set_value lv = { (char *)"UpperFilters", hive_t_REG_MULTI_SZ, msz("partmgr|newflt", lst), (char *)lst };
	hivex_node_set_value(hx, n, &lv, 0);
	hivex_commit(hx, changed, 0);
	hivex_close(hx);
	r = open_hive(changed, &err);
	res = json_array();
	CHECK_INT(lg_registry_revert(r, changes, res, &err), 5);
	char *txt = json_dumps(res, JSON_COMPACT);
	CHECK_CONTAINS(txt, "\"control_set\":\"ControlSet001\",\"key\":\"Services\\\\ACMEflt\",\"value\":\"Start\","
			    "\"name\":\"ACMEflt\",\"result\":\"changed since (now 3); left as it is\"");
	CHECK_CONTAINS(txt, "\"result\":\"ACMEflt put back (the list had changed since)\"");
	free(txt);
	json_decref(res);
	const char *out = tmp_path("rv-changed-undone.hive");
	CHECK_INT(lg_registry_save(r, out, &err), 0);
	lg_registry_free(r);
	CHECK_INT(hx_dword(out, "ControlSet001\\Services\\ACMEflt", "Start"), 3);
	CHECK_INT(hx_dword(out, "ControlSet002\\Services\\ACMEflt", "Start"), 0);
	CHECK_STR(hx_list(out, "ControlSet002\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "partmgr,ACMEflt,newflt");
	CHECK_STR(hx_list(out, "ControlSet001\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "partmgr,ACMEflt");

	/* A malformed journal list is refused before anything changes. */
	r = open_hive(fixed, &err);
	json_t *badj = json_pack("[{s:s, s:s, s:s, s:s, s:i, s:s, s:s}]", "control_set", "ControlSet001/../x",
				 "key", "Services\\ACMEflt", "value", "Start", "name", "ACMEflt", "type_id", 4,
				 "old_hex", "00000000", "new_hex", "04000000");
	CHECK_INT(lg_registry_revert(r, badj, NULL, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "malformed");
	json_decref(badj);
	lg_registry_free(r);
	json_decref(changes);
}

/* ---- the deny-list fields ------------------------------------------------------ */

static int parse_rule_text(const char *rule, struct lg_denylist **dl, struct lg_err *err)
{
	char buf[2048];
	snprintf(buf, sizeof(buf), "{\"schema\": 1, \"serial\": 1, \"issued\": \"2024-07-19T07:30:00Z\", "
		 "\"expires\": \"2024-07-26T07:30:00Z\", \"publisher\": \"t\", \"rules\": [%s]}", rule);
	*dl = NULL;
	return lg_denylist_parse(buf, strlen(buf), dl, err);
}

static void test_denylist_fields(void)
{
	struct lg_err err = { "" };
	struct lg_denylist *dl = NULL;
	CHECK_INT(parse_rule_text("{\"id\": \"a\", \"path\": \"Windows/System32/drivers/acmeflt.sys\", "
				  "\"registry\": {\"disable_service\": \"ACMEsvc\", \"remove_filter\": \"ACMEflt\"}, "
				  "\"allow_boot_critical\": true}", &dl, &err), 0);
	if (dl) {
		CHECK_STR(dl->rules[0].reg_disable_service, "ACMEsvc");
		CHECK_STR(dl->rules[0].reg_remove_filter, "ACMEflt");
		CHECK(dl->rules[0].allow_boot_critical);
		lg_denylist_free(dl);
	}
	CHECK_INT(parse_rule_text("{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": {\"remove_filter\": \"f\"}}",
				  &dl, &err), 0);
	if (dl) {
		CHECK(dl->rules[0].reg_disable_service == NULL);
		CHECK_STR(dl->rules[0].reg_remove_filter, "f");
		CHECK(!dl->rules[0].allow_boot_critical);
		lg_denylist_free(dl);
	}
	static const struct {
		const char *rule, *msg;
	} bad[] = {
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"action\": \"report\", \"registry\": {\"remove_filter\": \"f\"}}",
		  "rules[0].registry: a \"report\" rule changes nothing" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": {}}",
		  "rules[0].registry: give \"disable_service\", \"remove_filter\" or both" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": {\"disable\": \"f\"}}",
		  "rules[0].registry.disable: unknown field (allowed here: disable_service, remove_filter)" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": {\"disable_service\": \"a\\\\b\"}}",
		  "rules[0].registry.disable_service: a service name has no" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": {\"remove_filter\": \"\"}}",
		  "rules[0].registry.remove_filter: must not be empty" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": {\"remove_filter\": 7}}",
		  "rules[0].registry.remove_filter: expected a service name, got an integer" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"registry\": [\"f\"]}",
		  "rules[0].registry: expected {\"disable_service\"" },
		{ "{\"id\": \"a\", \"path\": \"x.sys\", \"allow_boot_critical\": \"yes\"}",
		  "rules[0].allow_boot_critical: expected true or false, got a string" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = 0;
		CHECK_INT(parse_rule_text(bad[i].rule, &dl, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, bad[i].msg);
		CHECK_CONTAINS(err.msg, "line 1, column");
		CHECK(dl == NULL);
	}
}

/* ---- on a volume: commit, crash completion, undo ------------------------------ */

static char img[600];

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static struct lg_volume *vol_open(void)
{
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	if (lg_volume_open(img, 0, 32 << 20, LG_VOL_RW, &v, &err) < 0)
		fprintf(stderr, "volume: %s\n", err.msg);
	return v;
}

static const char *const HIVE = "Windows/System32/config/SYSTEM";

static void sha_of(struct lg_volume *v, const char *path, char hex[65])
{
	char *b = NULL;
	size_t n = 0;
	hex[0] = 0;
	if (lg_fs_read(v, path, 1 << 24, &b, &n) == 0) {
		unsigned char d[32];
		lg_hash_buf(b, n, d, NULL);
		lg_hex(d, 32, hex);
	}
	free(b);
}

/* libhivex's view of a value in the hive on the volume. */
static long long vol_dword(struct lg_volume *v, const char *key, const char *value)
{
	char *b = NULL;
	size_t n = 0;
	if (lg_fs_read(v, HIVE, 1 << 24, &b, &n) < 0)
		return -3;
	const char *p = tmp_path("vol-copy.hive");
	lg_write_file_atomic(p, b, n);
	free(b);
	return hx_dword(p, key, value);
}

static const char *vol_list(struct lg_volume *v, const char *key, const char *value)
{
	char *b = NULL;
	size_t n = 0;
	if (lg_fs_read(v, HIVE, 1 << 24, &b, &n) < 0)
		return "(no hive)";
	const char *p = tmp_path("vol-copy.hive");
	lg_write_file_atomic(p, b, n);
	free(b);
	return hx_list(p, key, value);
}

static char *sd_of(struct lg_volume *v, const char *path, int *len)
{
	ntfs_inode *ni = lg_volume_lookup(v, path);
	struct SECURITY_CONTEXT scx;
	memset(&scx, 0, sizeof(scx));
	scx.vol = v->vol;
	*len = ni ? ntfs_get_ntfs_acl(&scx, ni, NULL, 0) : -1;
	char *sd = *len > 0 ? malloc((size_t)*len) : NULL;
	if (sd)
		ntfs_get_ntfs_acl(&scx, ni, sd, (size_t)*len);
	if (ni)
		ntfs_inode_close(ni);
	return sd;
}

/* Fix on the volume: returns the journal (caller frees). */
static struct lg_journal *commit_run(const char *run_id)
{
	struct lg_err err = { "" };
	struct lg_volume *v = vol_open();
	if (!v)
		return NULL;
	struct lg_reg_opts o = { .windir = "Windows", .now = 133658964000000000LL };
	struct lg_registry *r = NULL;
	CHECK_INT(lg_registry_load(v, &o, &r, &err), 0);
	struct lg_journal *j = NULL;
	if (r) {
		struct lg_reg_verdict vd;
		verdict_for(r, acme_file, 1, NULL, NULL, true, &vd);
		CHECK_INT(lg_registry_apply(r, &vd, "acme", &err), 6);
		lg_reg_verdict_clear(&vd);
		struct lg_jwriter w;
		CHECK_INT(lg_jwriter_begin(&w, v, run_id, NULL), 0);
		int rc = lg_registry_commit(r, &w, &err);
		if (rc < 0)
			fprintf(stderr, "commit: %s\n", err.msg);
		CHECK_INT(rc, 0);
		lg_jwriter_mark(&w, "end", 0);
		lg_registry_free(r);
		char jp[256], *buf = NULL;
		size_t n = 0;
		snprintf(jp, sizeof(jp), LG_DIR "/journal/%s", run_id);
		if (lg_fs_read(v, jp, 1 << 20, &buf, &n) == 0)
			lg_journal_parse(buf, n, &j, &err);
		free(buf);
	}
	lg_volume_close(v);
	return j;
}

static const struct lg_step *registry_step(const struct lg_journal *j)
{
	for (size_t i = 0; j && i < j->n_steps; i++)
		if (!strcmp(j->steps[i].op, "registry"))
			return &j->steps[i];
	return NULL;
}

static void test_volume_commit_and_undo(void)
{
	struct lg_err err = { "" };
	struct lg_volume *v = vol_open();
	if (!v) {
		CHECK(v != NULL);
		return;
	}
	char before[65], after[65], backup[65];
	sha_of(v, HIVE, before);
	int sdl0 = 0;
	char *sd0 = sd_of(v, HIVE, &sdl0);
	lg_volume_close(v);

	struct lg_journal *j = commit_run("20240719T060000Z-000001");
	const struct lg_step *s = registry_step(j);
	CHECK(s != NULL);
	if (!s) {
		lg_journal_free(j);
		free(sd0);
		return;
	}
	CHECK_INT(s->state, LG_STEP_DONE);
	CHECK_STR(lg_step_str(s, "hive"), HIVE);
	CHECK_STR(lg_step_str(s, "backup"), LG_DIR "/quarantine/20240719T060000Z-000001/registry/SYSTEM");
	CHECK_STR(lg_step_str(s, "sha256_before"), before);
	CHECK_INT(json_array_size(json_object_get(s->rec, "changes")), 6);

	v = vol_open();
	sha_of(v, HIVE, after);
	sha_of(v, lg_step_str(s, "backup"), backup);
	CHECK_STR(backup, before);          /* the original, moved whole */
	CHECK_STR(after, lg_step_str(s, "sha256"));
	CHECK(strcmp(after, before));
	CHECK_INT(lg_fs_stat(v, lg_step_str(s, "tmp"), NULL, NULL, NULL), -ENOENT);
	CHECK_INT(vol_dword(v, "ControlSet001\\Services\\ACMEflt", "Start"), 4);
	CHECK_INT(vol_dword(v, "ControlSet002\\Services\\ACMEflt", "Start"), 4);
	CHECK_STR(vol_list(v, "ControlSet001\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "partmgr");
	/* The new file carries the original's security descriptor. */
	int sdl1 = 0;
	char *sd1 = sd_of(v, HIVE, &sdl1);
	CHECK(sdl0 > 0);
	CHECK_INT(sdl1, sdl0);
	if (sd0 && sd1 && sdl1 == sdl0)
		CHECK_MEM(sd1, sd0, (size_t)sdl0);
	free(sd1);

	/* Undo: values back, the hive before the undo kept aside. */
	json_t *res = json_array();
	int rc = lg_registry_undo_step(v, j->run_id, s, res, &err);
	if (rc < 0)
		fprintf(stderr, "undo: %s\n", err.msg);
	CHECK_INT(rc, 0);
	CHECK_INT(json_array_size(res), 6);
	CHECK_STR(json_string_value(json_object_get(json_array_get(res, 0), "path")),
		  "ControlSet002\\Enum\\SCSI\\Disk&Ven_ACME&Prod_SSD\\4&1a2b3c4d&0&000000\\LowerFilters");
	json_decref(res);
	CHECK_INT(vol_dword(v, "ControlSet001\\Services\\ACMEflt", "Start"), 0);
	CHECK_INT(vol_dword(v, "ControlSet002\\Services\\ACMEflt", "Start"), 0);
	CHECK_STR(vol_list(v, "ControlSet002\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}", "UpperFilters"),
		  "partmgr,ACMEflt");
	char aside[65];
	sha_of(v, LG_DIR "/quarantine/20240719T060000Z-000001/registry/SYSTEM.before-undo", aside);
	CHECK_STR(aside, after);
	/* Undo again (an undo cut after its swap): nothing to do. */
	char undone[65], again[65];
	sha_of(v, HIVE, undone);
	CHECK_INT(lg_registry_undo_step(v, j->run_id, s, NULL, &err), 0);
	sha_of(v, HIVE, again);
	CHECK_STR(again, undone);
	int sdl2 = 0;
	char *sd2 = sd_of(v, HIVE, &sdl2);
	CHECK_INT(sdl2, sdl0);
	free(sd2);
	free(sd0);
	lg_volume_close(v);
	lg_journal_free(j);
}

/* Put the volume into the state a power cut at some point of the commit
 * leaves, then complete the step and check the hive is the edited one. */
static void test_volume_crash_completion(void)
{
	struct lg_err err = { "" };
	static const char *const runs[] = { "20240719T070000Z-00000a", "20240719T070000Z-00000b",
					    "20240719T070000Z-00000c", "20240719T070000Z-00000d" };
	for (int cut = 0; cut < 4; cut++) {
		struct lg_journal *j = commit_run(runs[cut]);
		const struct lg_step *s = registry_step(j);
		if (!s) {
			CHECK(s != NULL);
			lg_journal_free(j);
			continue;
		}
		const char *tmp = lg_step_str(s, "tmp"), *bak = lg_step_str(s, "backup");
		struct lg_volume *v = vol_open();
		char edited[65], orig[65];
		sha_of(v, HIVE, edited);
		sha_of(v, bak, orig);
		const char *park = "parked-edited-hive";
		switch (cut) {
		case 0: /* cut before anything: the original in place, no copy */
			CHECK_INT(lg_fs_rename(v, HIVE, park), 0);
			CHECK_INT(lg_fs_rename(v, bak, HIVE), 0);
			break;
		case 1: /* copy written, names not swapped yet */
			CHECK_INT(lg_fs_rename(v, HIVE, tmp), 0);
			CHECK_INT(lg_fs_rename(v, bak, HIVE), 0);
			break;
		case 2: /* original moved aside, copy not in place: no SYSTEM */
			CHECK_INT(lg_fs_rename(v, HIVE, tmp), 0);
			break;
		case 3: /* cut inside the first rename: two names, one file */
			CHECK_INT(lg_fs_rename(v, HIVE, tmp), 0);
			CHECK_INT(lg_fs_rename(v, bak, HIVE), 0);
			break;
		}
		if (cut == 3) {
			/* link the backup name to SYSTEM without unlinking */
			ntfs_inode *ni = lg_volume_lookup(v, HIVE);
			ntfs_inode *dir = lg_volume_lookup(v, LG_DIR "/quarantine/20240719T070000Z-00000d/registry");
			ntfschar *u = NULL;
			int ul = ntfs_mbstoucs("SYSTEM", &u);
			CHECK(ni && dir && ul > 0 && ntfs_link(ni, dir, u, (u8)ul) == 0);
			free(u);
			if (dir)
				ntfs_inode_close(dir);
			if (ni)
				ntfs_inode_close(ni);
		}
		lg_volume_close(v);
		v = vol_open();
		int rc = lg_registry_complete_step(v, runs[cut], s, &err);
		if (rc < 0)
			fprintf(stderr, "complete (cut %d): %s\n", cut, err.msg);
		CHECK_INT(rc, 0);
		char now[65], bnow[65];
		sha_of(v, HIVE, now);
		sha_of(v, bak, bnow);
		CHECK_STR(bnow, orig);
		if (cut >= 2)
			CHECK_STR(now, edited); /* the very copy, renamed in */
		CHECK_INT(vol_dword(v, "ControlSet001\\Services\\ACMEflt", "Start"), 4);
		CHECK_INT(vol_dword(v, "ControlSet002\\Services\\ACMEflt", "Start"), 4);
		CHECK_STR(vol_list(v, "ControlSet002\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}",
				   "UpperFilters"), "partmgr");
		CHECK_INT(lg_fs_stat(v, tmp, NULL, NULL, NULL), -ENOENT);
		if (cut == 1) {
			char partial[512];
			snprintf(partial, sizeof(partial), LG_DIR "/quarantine/%s/registry/SYSTEM.partial", runs[cut]);
			CHECK_INT(lg_fs_stat(v, partial, NULL, NULL, NULL), 0);
		}
		/* Put the original back for the next round. */
		char spare[512];
		snprintf(spare, sizeof(spare), LG_DIR "/spare-%d", cut);
		if (cut == 0)
			CHECK_INT(lg_fs_rename(v, park, LG_DIR "/parked-0"), 0);
		CHECK_INT(lg_fs_rename(v, HIVE, spare), 0);
		CHECK_INT(lg_fs_rename(v, bak, HIVE), 0);
		lg_volume_close(v);
		lg_journal_free(j);
	}
}

static void test_volume_refusals(void)
{
	struct lg_err err = { "" };
	struct lg_volume *v = vol_open();
	if (!v)
		return;
	struct lg_reg_opts o = { .windir = "WinNT" };
	struct lg_registry *r = NULL;
	CHECK_INT(lg_registry_load(v, &o, &r, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "WinNT/System32/config/SYSTEM");
	/* A journal step naming other files is refused. */
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "windir", "Windows", "hive", "Windows/win.ini",
				"tmp", "x", "backup", "y", "changes");
	struct lg_step s = { .seq = 3, .op = (char *)"registry", .rec = rec };
	CHECK_INT(lg_registry_complete_step(v, "r1", &s, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "bad paths");
	CHECK_INT(lg_registry_undo_step(v, "r1", &s, NULL, &err), -EBADMSG);
	json_decref(rec);
	lg_volume_close(v);
}

int main(void)
{
	if (!mkdtemp(tdir))
		T_SKIP("no temporary directory");
	RUN(test_imagepath_forms);
	RUN(test_multisz);
	RUN(test_open_and_select);
	RUN(test_not_a_hive);
	RUN(test_filter_driver_scenario);
	RUN(test_every_imagepath_form);
	RUN(test_start_in_every_selected_set);
	RUN(test_filter_lists);
	RUN(test_boot_critical);
	RUN(test_boot_critical_remove_filter);
	RUN(test_dirty_hive);
	RUN(test_dirty_hive_replayed);
	RUN(test_hostile_values);
	RUN(test_hostile_cell_pointer);
	RUN(test_revert);
	RUN(test_denylist_fields);

	snprintf(img, sizeof(img), "%s/vol.img", tdir);
	const char *h = scenario_hive();
	if (!h || sh("truncate -s 32M %s && mkntfs -F -Q -q %s >/dev/null 2>&1", img, img) != 0) {
		printf("SKIP: mkntfs failed; the volume tests did not run\n");
	} else {
		struct lg_volume *v = vol_open();
		char *b = NULL;
		size_t n = 0;
		lg_read_file(h, 1 << 24, &b, &n);
		CHECK(v && lg_fs_create(v, HIVE, b, n) == 0);
		free(b);
		lg_volume_close(v);
		/* Give SYSTEM a descriptor of its own (not the one ntfs-3g
		 * gives a new file) to see it carried over to the new hive. */
		v = vol_open();
		ntfs_inode *ni = v ? lg_volume_lookup(v, HIVE) : NULL;
		unsigned char sd[256];
		size_t sdlen = security_descriptor(sd);
		struct SECURITY_CONTEXT scx;
		memset(&scx, 0, sizeof(scx));
		scx.vol = v ? v->vol : NULL;
		int set = ni ? ntfs_set_ntfs_acl(&scx, ni, (char *)sd, sdlen, 0) : -1;
		if (set)
			fprintf(stderr, "set acl: %s\n", strerror(errno));
		CHECK_INT(set, 0);
		if (ni)
			ntfs_inode_close(ni);
		lg_volume_close(v);
		RUN(test_volume_commit_and_undo);
		RUN(test_volume_crash_completion);
		RUN(test_volume_refusals);
	}
	sh("rm -rf %s", tdir);
	return t_done();
}
