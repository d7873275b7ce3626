// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Windows kernel crash dump headers and module lists (crashdump.h).
 *
 * Layouts learned from public descriptions: Microsoft's documentation of
 * the minidump format (MINIDUMP_HEADER, MINIDUMP_DIRECTORY,
 * MINIDUMP_MODULE_LIST, MINIDUMP_EXCEPTION_STREAM in minidumpapiset.h) and,
 * for the kernel dump header (DUMP_HEADER64/32) and the triage block of
 * small dumps, the published descriptions of those structures (e.g. the
 * field tables in the rizin and Volatility documentation of the crash dump
 * format). The offsets used are listed in docs/report.md.
 */
#include "formats/crashdump.h"

#include "lib/le.h"
#include "lib/rfc3339.h"
#include "lib/utf16.h"

/* PAGEDU64 header (0x2000 bytes) */
#define H64_SIZE        0x2000
#define H64_MINOR       0x00c
#define H64_BUGCHECK    0x038
#define H64_PARAMS      0x040
#define H64_EXC_ADDRESS 0xf10    /* Exception (EXCEPTION_RECORD64, at 0xf00) .ExceptionAddress */
#define H64_DUMPTYPE    0xf98
#define H64_SYSTIME     0xfa8
/* the triage block of a small dump follows the header */
#define TRI_DRIVER_LIST 0x30
#define TRI_DRIVER_CNT  0x34
#define TRI_SIZE        0x48
/* DUMP_DRIVER_ENTRY64: name offset (+ alignment), then the loader entry */
#define DRV64_STRIDE    0x90
#define DRV64_BASE      0x38
#define DRV64_SIZE      0x48

/* PAGEDUMP header (0x1000 bytes) */
#define H32_SIZE        0x1000
#define H32_MINOR       0x00c
#define H32_BUGCHECK    0x028
#define H32_PARAMS      0x02c
#define H32_EXC_ADDRESS 0x7dc    /* Exception (EXCEPTION_RECORD32, at 0x7d0) .ExceptionAddress */
#define H32_DUMPTYPE    0xf88
#define H32_SYSTIME     0xfc0

/* MDMP */
#define MD_HEADER       32
#define MD_DIRENT       12
#define MD_MAX_STREAMS  1024
#define MD_MODULE       108
#define MD_STREAM_MODULES   4
#define MD_STREAM_EXCEPTION 6


struct src {
	lg_crash_read_fn rd;
	void *ctx;
	uint64_t size;
	struct lg_err *err;
};

/* Exactly n bytes at off, inside the file, or an error naming what. */
static int get(struct src *s, uint64_t off, void *buf, size_t n, const char *what)
{
	if (!lg_in_bounds(off, n, s->size)) {
		lg_err_set(s->err, "%s (offset %llu, %zu bytes) lies outside the file (%llu bytes)", what,
			   (unsigned long long)off, n, (unsigned long long)s->size);
		return -EBADMSG;
	}
	ssize_t r = s->rd(s->ctx, off, buf, n);
	if (r < 0) {
		lg_err_set(s->err, "cannot read %s: %s", what, strerror((int)-r));
		return (int)r;
	}
	if ((size_t)r != n) {
		lg_err_set(s->err, "%s is cut short", what);
		return -EBADMSG;
	}
	return 0;
}

static bool filetime_ok(uint64_t ft, int64_t *out)
{
	/* 1990 .. 2200: anything else is not a crash time */
	if (ft < (uint64_t)lg_unix_to_nt(631152000LL) || ft > (uint64_t)lg_unix_to_nt(7258118400LL))
		return false;
	*out = lg_nt_to_unix((int64_t)ft);
	return true;
}

static const char *kernel_type(uint32_t t)
{
	static const char *const names[] = { "unknown", "full", "kernel", "header", "small",
					     "bitmap-full", "bitmap-kernel", "automatic" };
	return t < ARRAY_SIZE(names) ? names[t] : "unknown";
}

/* One module: does it hold the faulting address or a parameter? The
 * address wins over a parameter, a lower parameter over a higher one. */
static void consider(struct lg_crash *c, uint64_t base, uint64_t size, const char *name)
{
	if (!size || base + size < base)
		return;
	enum lg_crash_fault f = LG_CRASH_FAULT_NONE;
	if (c->have_address && c->address >= base && c->address - base < size)
		f = LG_CRASH_FAULT_ADDRESS;
	for (int i = 3; i >= 0; i--)
		if (f != LG_CRASH_FAULT_ADDRESS && c->param[i] >= base && c->param[i] - base < size)
			f = (enum lg_crash_fault)(LG_CRASH_FAULT_PARAM1 + i);
	if (f == LG_CRASH_FAULT_NONE)
		return;
	bool better = c->fault == LG_CRASH_FAULT_NONE ||
		      (f == LG_CRASH_FAULT_ADDRESS && c->fault != LG_CRASH_FAULT_ADDRESS) ||
		      (c->fault != LG_CRASH_FAULT_ADDRESS && f != LG_CRASH_FAULT_ADDRESS && f < c->fault);
	if (!better)
		return;
	c->fault = f;
	c->driver_base = base;
	c->driver_size = (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size);
	snprintf(c->driver, sizeof(c->driver), "%s", name);
}

/* A counted UTF-16 string: a 4-byte count (units, or bytes when
 * count_is_bytes), then the characters. */
static int read_name(struct src *s, uint64_t off, bool count_is_bytes, char *out, size_t outlen)
{
	unsigned char cnt[4];
	int r = get(s, off, cnt, 4, "a module name's length");
	if (r < 0)
		return r;
	uint64_t units = lg_le32(cnt);
	if (count_is_bytes)
		units /= 2;
	if (units > 1024) {
		lg_err_set(s->err, "a module name of %llu characters at offset %llu", (unsigned long long)units,
			   (unsigned long long)off);
		return -EBADMSG;
	}
	unsigned char u[2048];
	if ((r = get(s, off + 4, u, (size_t)units * 2, "a module name")) < 0)
		return r;
	lg_utf16_to_utf8_buf(u, (size_t)units, LG_UTF16_STOP_NUL | LG_UTF16_NO_CONTROL, out, outlen, NULL, NULL);
	return 0;
}

static int triage_modules(struct src *s, struct lg_crash *c)
{
	unsigned char t[TRI_SIZE];
	int r = get(s, H64_SIZE, t, sizeof(t), "the small dump's triage block");
	if (r < 0)
		return r;
	uint32_t list = lg_le32(t + TRI_DRIVER_LIST), count = lg_le32(t + TRI_DRIVER_CNT);
	if (!count)
		return 0;
	if (count > LG_CRASH_MAX_MODULES) {
		lg_err_set(s->err, "the driver list claims %u drivers (at most %u are read)", count, LG_CRASH_MAX_MODULES);
		return -EBADMSG;
	}
	if (!lg_in_bounds(list, (uint64_t)count * DRV64_STRIDE, s->size)) {
		lg_err_set(s->err, "the driver list (%u entries at offset %u) lies outside the file", count, list);
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < count; i++) {
		unsigned char e[DRV64_STRIDE];
		if ((r = get(s, (uint64_t)list + (uint64_t)i * DRV64_STRIDE, e, sizeof(e), "a driver list entry")) < 0)
			return r;
		uint64_t base = lg_le64(e + DRV64_BASE);
		uint32_t size = lg_le32(e + DRV64_SIZE);
		c->n_modules++;
		if (!size)
			continue;
		bool hit = (c->have_address && c->address >= base && c->address - base < size);
		for (int k = 0; k < 4; k++)
			hit = hit || (c->param[k] >= base && c->param[k] - base < size);
		if (!hit)
			continue; /* the name is read only for a module that matters */
		char name[LG_CRASH_NAME_MAX];
		if ((r = read_name(s, lg_le32(e), false, name, sizeof(name))) < 0)
			return r;
		consider(c, base, size, name);
	}
	return 0;
}

static int pagedu64(struct src *s, struct lg_crash *c)
{
	unsigned char *h = malloc(H64_SIZE);
	if (!h)
		return -ENOMEM;
	int r = get(s, 0, h, H64_SIZE, "the 64-bit dump header");
	if (r < 0)
		goto out;
	c->format = "PAGEDU64";
	c->build = lg_le32(h + H64_MINOR);
	c->code = lg_le32(h + H64_BUGCHECK);
	for (int i = 0; i < 4; i++)
		c->param[i] = lg_le64(h + H64_PARAMS + 8 * i);
	c->address = lg_le64(h + H64_EXC_ADDRESS);
	c->have_address = c->address != 0;
	uint32_t type = lg_le32(h + H64_DUMPTYPE);
	c->type = kernel_type(type);
	c->have_time = filetime_ok(lg_le64(h + H64_SYSTIME), &c->time);
	if (type == 4)
		r = triage_modules(s, c);
out:
	free(h);
	return r;
}

static int pagedump(struct src *s, struct lg_crash *c)
{
	unsigned char *h = malloc(H32_SIZE);
	if (!h)
		return -ENOMEM;
	int r = get(s, 0, h, H32_SIZE, "the 32-bit dump header");
	if (r == 0) {
		c->format = "PAGEDUMP";
		c->build = lg_le32(h + H32_MINOR);
		c->code = lg_le32(h + H32_BUGCHECK);
		for (int i = 0; i < 4; i++)
			c->param[i] = lg_le32(h + H32_PARAMS + 4 * i);
		c->address = lg_le32(h + H32_EXC_ADDRESS);
		c->have_address = c->address != 0;
		c->type = kernel_type(lg_le32(h + H32_DUMPTYPE));
		c->have_time = filetime_ok(lg_le64(h + H32_SYSTIME), &c->time);
	}
	free(h);
	return r;
}

static int mdmp_modules(struct src *s, struct lg_crash *c, uint32_t rva, uint32_t size)
{
	unsigned char n4[4];
	int r = get(s, rva, n4, 4, "the module list");
	if (r < 0)
		return r;
	uint32_t n = lg_le32(n4);
	if (n > LG_CRASH_MAX_MODULES) {
		lg_err_set(s->err, "the module list claims %u modules (at most %u are read)", n, LG_CRASH_MAX_MODULES);
		return -EBADMSG;
	}
	if ((uint64_t)n * MD_MODULE + 4 > size || !lg_in_bounds(rva, 4 + (uint64_t)n * MD_MODULE, s->size)) {
		lg_err_set(s->err, "the module list (%u modules) does not fit its stream", n);
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < n; i++) {
		unsigned char m[MD_MODULE];
		if ((r = get(s, (uint64_t)rva + 4 + (uint64_t)i * MD_MODULE, m, sizeof(m), "a module entry")) < 0)
			return r;
		c->n_modules++;
		uint64_t base = lg_le64(m);
		uint32_t msize = lg_le32(m + 8);
		bool hit = c->have_address && c->address >= base && c->address - base < msize;
		for (int k = 0; k < 4; k++)
			hit = hit || (c->param[k] >= base && c->param[k] - base < msize);
		if (!msize || !hit)
			continue;
		char name[LG_CRASH_NAME_MAX];
		if ((r = read_name(s, lg_le32(m + 20), true, name, sizeof(name))) < 0)
			return r;
		/* a full path: keep the file name */
		const char *b = strrchr(name, '\\');
		consider(c, base, msize, b ? b + 1 : name);
	}
	return 0;
}

static int mdmp(struct src *s, struct lg_crash *c)
{
	unsigned char h[MD_HEADER];
	int r = get(s, 0, h, sizeof(h), "the minidump header");
	if (r < 0)
		return r;
	c->format = "MDMP";
	c->type = "minidump";
	uint32_t nstreams = lg_le32(h + 8), dir = lg_le32(h + 12), stamp = lg_le32(h + 20);
	if (stamp) {
		c->time = stamp;
		c->have_time = true;
	}
	if (nstreams > MD_MAX_STREAMS) {
		lg_err_set(s->err, "the minidump claims %u streams (at most %u are read)", nstreams, MD_MAX_STREAMS);
		return -EBADMSG;
	}
	if (!lg_in_bounds(dir, (uint64_t)nstreams * MD_DIRENT, s->size)) {
		lg_err_set(s->err, "the stream directory (%u streams at offset %u) lies outside the file", nstreams, dir);
		return -EBADMSG;
	}
	uint32_t mod_rva = 0, mod_size = 0;
	bool have_mod = false, have_exc = false;
	for (uint32_t i = 0; i < nstreams; i++) {
		unsigned char d[MD_DIRENT];
		if ((r = get(s, (uint64_t)dir + (uint64_t)i * MD_DIRENT, d, sizeof(d), "a stream directory entry")) < 0)
			return r;
		uint32_t type = lg_le32(d), size = lg_le32(d + 4), rva = lg_le32(d + 8);
		if (!lg_in_bounds(rva, size, s->size)) {
			lg_err_set(s->err, "stream %u (type %u) lies outside the file", i, type);
			return -EBADMSG;
		}
		if (type == MD_STREAM_EXCEPTION && !have_exc) {
			/* ThreadId, alignment, MINIDUMP_EXCEPTION: code, flags,
			 * record, address, NumberParameters, alignment, info[15] */
			unsigned char e[8 + 32 + 32];
			if (size < sizeof(e)) {
				lg_err_set(s->err, "the exception stream is %u bytes, too short", size);
				return -EBADMSG;
			}
			if ((r = get(s, rva, e, sizeof(e), "the exception stream")) < 0)
				return r;
			c->code = lg_le32(e + 8);
			c->address = lg_le64(e + 8 + 16);
			c->have_address = true;
			for (int k = 0; k < 4; k++)
				c->param[k] = lg_le64(e + 8 + 32 + 8 * k);
			have_exc = true;
		} else if (type == MD_STREAM_MODULES && !have_mod) {
			mod_rva = rva;
			mod_size = size;
			have_mod = true;
		}
	}
	/* the exception must be known before modules are matched */
	if (have_mod && (have_exc || c->param[0] || c->param[1] || c->param[2] || c->param[3]))
		return mdmp_modules(s, c, mod_rva, mod_size);
	if (have_mod) {
		unsigned char n4[4];
		if ((r = get(s, mod_rva, n4, 4, "the module list")) < 0)
			return r;
		c->n_modules = lg_le32(n4) > LG_CRASH_MAX_MODULES ? LG_CRASH_MAX_MODULES : lg_le32(n4);
	}
	return 0;
}

int lg_crashdump_read(lg_crash_read_fn rd, void *ctx, uint64_t file_size, struct lg_crash *out,
		      struct lg_err *err)
{
	memset(out, 0, sizeof(*out));
	out->format = "";
	out->type = "unknown";
	struct src s = { rd, ctx, file_size, err };
	unsigned char magic[8];
	int r = get(&s, 0, magic, sizeof(magic), "the signature");
	if (r < 0)
		return r == -EBADMSG ? -EINVAL : r;
	if (!memcmp(magic, "PAGEDU64", 8))
		r = pagedu64(&s, out);
	else if (!memcmp(magic, "PAGEDUMP", 8))
		r = pagedump(&s, out);
	else if (!memcmp(magic, "MDMP", 4))
		r = mdmp(&s, out);
	else {
		char shown[8 * 4 + 1];
		for (size_t i = 0; i < 8; i++)
			snprintf(shown + 2 * i, 3, "%02x", magic[i]);
		lg_err_set(err, "not a Windows crash dump (it starts with %s, not PAGEDU64, PAGEDUMP or MDMP)", shown);
		return -EINVAL;
	}
	return r;
}

struct membuf {
	const unsigned char *p;
	size_t n;
};

static ssize_t mem_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	const struct membuf *m = ctx;
	if (off >= m->n)
		return 0;
	size_t k = m->n - off < n ? m->n - off : n;
	memcpy(buf, m->p + off, k);
	return (ssize_t)k;
}

int lg_crashdump_parse(const unsigned char *buf, size_t len, struct lg_crash *out, struct lg_err *err)
{
	struct membuf m = { buf, len };
	return lg_crashdump_read(mem_read, &m, len, out, err);
}

const char *lg_bugcheck_name(uint32_t code)
{
	static const struct {
		uint32_t code;
		const char *name;
	} t[] = {
		{ 0x0000000a, "IRQL_NOT_LESS_OR_EQUAL" },
		{ 0x0000001a, "MEMORY_MANAGEMENT" },
		{ 0x0000001e, "KMODE_EXCEPTION_NOT_HANDLED" },
		{ 0x00000024, "NTFS_FILE_SYSTEM" },
		{ 0x0000003b, "SYSTEM_SERVICE_EXCEPTION" },
		{ 0x00000050, "PAGE_FAULT_IN_NONPAGED_AREA" },
		{ 0x0000007a, "KERNEL_DATA_INPAGE_ERROR" },
		{ 0x0000007b, "INACCESSIBLE_BOOT_DEVICE" },
		{ 0x0000007e, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED" },
		{ 0x0000007f, "UNEXPECTED_KERNEL_MODE_TRAP" },
		{ 0x0000009f, "DRIVER_POWER_STATE_FAILURE" },
		{ 0x000000c2, "BAD_POOL_CALLER" },
		{ 0x000000c4, "DRIVER_VERIFIER_DETECTED_VIOLATION" },
		{ 0x000000d1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL" },
		{ 0x000000ef, "CRITICAL_PROCESS_DIED" },
		{ 0x000000f4, "CRITICAL_OBJECT_TERMINATION" },
		{ 0x00000101, "CLOCK_WATCHDOG_TIMEOUT" },
		{ 0x00000116, "VIDEO_TDR_FAILURE" },
		{ 0x00000124, "WHEA_UNCORRECTABLE_ERROR" },
		{ 0x00000133, "DPC_WATCHDOG_VIOLATION" },
		{ 0x00000139, "KERNEL_SECURITY_CHECK_FAILURE" },
		{ 0x0000013a, "KERNEL_MODE_HEAP_CORRUPTION" },
		{ 0x00000154, "UNEXPECTED_STORE_EXCEPTION" },
		{ 0x000001c8, "MANUALLY_INITIATED_POWER_BUTTON_HOLD" },
		{ 0x000000e2, "MANUALLY_INITIATED_CRASH" },
		{ 0xdeaddead, "MANUALLY_INITIATED_CRASH1" },
		{ 0xc0000005, "STATUS_ACCESS_VIOLATION" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}
