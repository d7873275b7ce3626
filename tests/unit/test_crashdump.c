// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lg_crashdump_parse against dumps written by tests/fixtures/mkdump.h with
 * known facts: type, time, bugcheck, parameters, the driver the faulting
 * address or a parameter falls in; damaged and truncated dumps are named
 * errors, never a crash or a wrong fact.
 */
#include "test.h"
#include "formats/crashdump.h"

#include "../fixtures/mkdump.h"

static const struct mkdump_module kmods[] = {
	{ "ntoskrnl.exe", 0xfffff80072600000ULL, 0x1046000 },
	{ "csagent.sys", 0xfffff8007a400000ULL, 0x1a2000 },
	{ "Ntfs.sys", 0xfffff80075a00000ULL, 0x2f0000 },
};

static struct mkdump_opts small_opts(void)
{
	struct mkdump_opts o = { .format = MKDUMP_PAGEDU64, .dump_type = 4, .code = 0x50, .build = 19045,
				 .unix_time = 1721362200 };
	o.param[0] = 0xffff840500000008ULL;
	o.param[2] = 0xfffff8007a4e35a1ULL;
	o.param[3] = 2;
	o.address = 0xfffff8007a4e35a1ULL;
	memcpy(o.modules, kmods, sizeof(kmods));
	return o;
}

static unsigned char *build(const struct mkdump_opts *o, size_t *len, struct mkdump_layout *lay)
{
	unsigned char *b = NULL;
	if (mkdump_build(o, &b, len, lay) != 0) {
		T_FAIL_AT("mkdump_build failed");
		exit(1);
	}
	return b;
}

static void test_small_dump(void)
{
	struct mkdump_opts o = small_opts();
	size_t len;
	unsigned char *b = build(&o, &len, NULL);
	struct lg_crash c;
	struct lg_err err = { "" };
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), 0);
	CHECK_STR(c.format, "PAGEDU64");
	CHECK_STR(c.type, "small");
	CHECK(c.have_time);
	CHECK_INT(c.time, 1721362200);
	CHECK_INT(c.code, 0x50);
	CHECK_STR(lg_bugcheck_name(c.code), "PAGE_FAULT_IN_NONPAGED_AREA");
	CHECK(c.param[0] == 0xffff840500000008ULL);
	CHECK(c.param[2] == 0xfffff8007a4e35a1ULL);
	CHECK_INT(c.param[3], 2);
	CHECK_INT(c.build, 19045);
	CHECK_INT(c.n_modules, 3);
	CHECK_STR(c.driver, "csagent.sys");
	CHECK(c.driver_base == 0xfffff8007a400000ULL);
	CHECK_INT(c.driver_size, 0x1a2000);
	CHECK_INT(c.fault, LG_CRASH_FAULT_ADDRESS);
	free(b);
}

static void test_param_when_no_address(void)
{
	struct mkdump_opts o = small_opts();
	o.address = 0;
	o.param[2] = 0;
	o.param[1] = 0xfffff80075a01000ULL; /* in Ntfs.sys */
	size_t len;
	unsigned char *b = build(&o, &len, NULL);
	struct lg_crash c;
	struct lg_err err = { "" };
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), 0);
	CHECK_STR(c.driver, "Ntfs.sys");
	CHECK_INT(c.fault, LG_CRASH_FAULT_PARAM1 + 1);
	/* nothing in any module: no driver */
	o.param[1] = 0x1234;
	free(b);
	b = build(&o, &len, NULL);
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), 0);
	CHECK_STR(c.driver, "");
	CHECK_INT(c.fault, LG_CRASH_FAULT_NONE);
	CHECK_INT(c.n_modules, 3);
	free(b);
}

static void test_kernel_and_full(void)
{
	struct mkdump_opts o = small_opts();
	o.dump_type = 2;
	o.code = 0x7e;
	size_t len;
	unsigned char *b = build(&o, &len, NULL);
	struct lg_crash c;
	struct lg_err err = { "" };
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), 0);
	CHECK_STR(c.type, "kernel");
	CHECK_STR(lg_bugcheck_name(c.code), "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED");
	CHECK_INT(c.n_modules, 0); /* a kernel dump's list is in its memory, not read */
	CHECK_STR(c.driver, "");
	free(b);

	struct mkdump_opts p = { .format = MKDUMP_PAGEDUMP, .dump_type = 1, .code = 0xd1, .build = 7601,
				 .unix_time = 1300000000 };
	p.param[0] = 0x10;
	p.param[3] = 0x8a123456;
	b = build(&p, &len, NULL);
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), 0);
	CHECK_STR(c.format, "PAGEDUMP");
	CHECK_STR(c.type, "full");
	CHECK_INT(c.code, 0xd1);
	CHECK_STR(lg_bugcheck_name(c.code), "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
	CHECK_INT(c.param[0], 0x10);
	CHECK_INT(c.param[3], 0x8a123456);
	CHECK_INT(c.time, 1300000000);
	CHECK_INT(c.build, 7601);
	free(b);
	CHECK(lg_bugcheck_name(0x12345) == NULL);
}

static void test_mdmp(void)
{
	struct mkdump_opts o = { .format = MKDUMP_MDMP, .code = 0xc0000005, .unix_time = 1721362300,
				 .address = 0xfffff80080011234ULL };
	o.param[1] = 0x18;
	o.modules[0] = (struct mkdump_module){ "\\SystemRoot\\system32\\ntoskrnl.exe", 0xfffff80072600000ULL, 0x1046000 };
	o.modules[1] = (struct mkdump_module){ "\\SystemRoot\\System32\\drivers\\ACMEflt.sys", 0xfffff80080000000ULL, 0x20000 };
	size_t len;
	struct mkdump_layout lay;
	unsigned char *b = build(&o, &len, &lay);
	struct lg_crash c;
	struct lg_err err = { "" };
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), 0);
	CHECK_STR(c.format, "MDMP");
	CHECK_STR(c.type, "minidump");
	CHECK_INT(c.code, 0xc0000005);
	CHECK_INT(c.time, 1721362300);
	CHECK_INT(c.n_modules, 2);
	CHECK_STR(c.driver, "ACMEflt.sys");
	CHECK_INT(c.fault, LG_CRASH_FAULT_ADDRESS);
	/* a module count past the cap is named */
	mkdump_le32(b + lay.driver_list, 100000);
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "100000 modules");
	free(b);
}

static void test_damaged(void)
{
	struct mkdump_opts o = small_opts();
	size_t len;
	struct mkdump_layout lay;
	unsigned char *b = build(&o, &len, &lay);
	struct lg_crash c;
	struct lg_err err = { "" };
	mkdump_le32(b + lay.triage + 0x30, (uint32_t)len + 0x1000);
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "driver list");
	/* restore; break the name offset of csagent.sys (the module hit) */
	mkdump_le32(b + lay.triage + 0x30, (uint32_t)lay.driver_list);
	mkdump_le32(b + lay.driver_list + 1 * 0x90, 0xfffffff0u);
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "module name");
	/* a huge name length */
	mkdump_le32(b + lay.driver_list + 1 * 0x90, (uint32_t)lay.strings);
	mkdump_le32(b + lay.strings, 0x7fffffff);
	CHECK_INT(lg_crashdump_parse(b, len, &c, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "2147483647 characters");
	free(b);

	/* not a dump */
	static const unsigned char junk[16] = "MZ\x90\0garbage....";
	CHECK_INT(lg_crashdump_parse(junk, sizeof(junk), &c, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "not a Windows crash dump");
	CHECK_INT(lg_crashdump_parse(junk, 3, &c, &err), -EINVAL);
}

static void test_truncated_everywhere(void)
{
	struct mkdump_opts variants[3] = { small_opts() };
	variants[1] = (struct mkdump_opts){ .format = MKDUMP_MDMP, .code = 5, .address = 0xfffff80072600100ULL,
					    .unix_time = 1 };
	variants[1].modules[0] = kmods[0];
	variants[2] = (struct mkdump_opts){ .format = MKDUMP_PAGEDUMP, .dump_type = 2, .code = 1 };
	for (size_t v = 0; v < 3; v++) {
		size_t len;
		unsigned char *b = build(&variants[v], &len, NULL);
		struct lg_crash c, full;
		struct lg_err err = { "" };
		CHECK_INT(lg_crashdump_parse(b, len, &full, &err), 0);
		/* a cut dump is refused, or (cut in names nothing needed) gives
		 * the same facts */
		for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 7)) {
			unsigned char *t = malloc(cut ? cut : 1);
			memcpy(t, b, cut);
			int r = lg_crashdump_parse(t, cut, &c, &err);
			if (r == 0 && (c.code != full.code || strcmp(c.driver, full.driver) ||
				       c.param[3] != full.param[3] || c.time != full.time))
				T_FAIL_AT("variant %zu cut at %zu: other facts", v, cut);
			else if (r != 0 && r != -EBADMSG && r != -EINVAL)
				T_FAIL_AT("variant %zu cut at %zu: %d", v, cut, r);
			free(t);
		}
		free(b);
	}
}

int main(void)
{
	RUN(test_small_dump);
	RUN(test_param_when_no_address);
	RUN(test_kernel_and_full);
	RUN(test_mdmp);
	RUN(test_damaged);
	RUN(test_truncated_everywhere);
	return t_done();
}
