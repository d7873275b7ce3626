// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hive transaction log replay (recovery/formats/hivelog.c) against hives
 * and logs real Windows made, and against the hives Windows itself
 * recovered from the same files (RecoveredHive_Windows10 / _Windows7):
 * a replay is right when every key and value equals Windows' result,
 * compared through libhivex.
 *
 * The files are unpacked into $OUT/cache/hives-dirty when missing
 * (LG_HIVELOG_ARCHIVE names the archive; default
 * ../shared/fixtures/hives-dirty/yarp-dirty-hives.tar.xz); without the
 * archive only the synthetic tests run.
 */
#include "formats/hivelog.h"
#include "lib/util.h"
#include "test.h"

#include <errno.h>
#include <hivex.h>
#include <time.h>
#include <unistd.h>

static char dir[512];

static const char *out_dir(void)
{
	const char *o = getenv("OUT");
	return o && *o ? o : "out";
}

static bool have_files(void)
{
	snprintf(dir, sizeof(dir), "%s/cache/hives-dirty/hives_for_tests", out_dir());
	char probe[600];
	snprintf(probe, sizeof(probe), "%.500s/NewDirtyHive1/NewDirtyHive", dir);
	if (access(probe, R_OK) == 0)
		return true;
	const char *ar = getenv("LG_HIVELOG_ARCHIVE");
	if (!ar || !*ar)
		ar = "../shared/fixtures/hives-dirty/yarp-dirty-hives.tar.xz";
	if (access(ar, R_OK) != 0)
		return false;
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/cache/hives-dirty' && tar -xJf '%s' -C '%s/cache/hives-dirty'",
		 out_dir(), ar, out_dir());
	return system(cmd) == 0 && access(probe, R_OK) == 0;
}

struct file {
	unsigned char *b;
	size_t n;
};

static struct file load(const char *rel)
{
	struct file f = { 0 };
	char p[800];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	char *b = NULL;
	if (access(p, R_OK) == 0 && lg_read_file(p, 1u << 30, &b, &f.n) == 0)
		f.b = (unsigned char *)b;
	return f;
}

/* Primary and its three logs (missing ones empty). */
struct set {
	struct file prim;
	struct lg_hivelog_buf logs[LG_HIVELOG_N];
	struct file lf[LG_HIVELOG_N];
};

static void set_load(struct set *s, const char *prim)
{
	memset(s, 0, sizeof(*s));
	s->prim = load(prim);
	for (int i = 0; i < LG_HIVELOG_N; i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s%s", prim, lg_hivelog_suffix[i]);
		s->lf[i] = load(p);
		s->logs[i] = (struct lg_hivelog_buf){ s->lf[i].b, s->lf[i].n };
	}
}

static void set_free(struct set *s)
{
	free(s->prim.b);
	for (int i = 0; i < LG_HIVELOG_N; i++)
		free(s->lf[i].b);
}

static int recover(struct set *s, unsigned char **out, size_t *n, struct lg_hivelog_result *res)
{
	return lg_hivelog_recover("H", s->prim.b, s->prim.n, s->logs, out, n, res);
}

/* ---- comparing hives through libhivex ---------------------------------- */

static hive_h *hx_buf(const unsigned char *b, size_t n)
{
	char tmp[] = "/tmp/lg-hivelog-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0)
		return NULL;
	bool ok = write(fd, b, n) == (ssize_t)n;
	close(fd);
	hive_h *h = ok ? hivex_open(tmp, 0) : NULL;
	unlink(tmp);
	return h;
}

static hive_h *hx_file(const char *rel)
{
	struct file f = load(rel);
	hive_h *h = f.b ? hx_buf(f.b, f.n) : NULL;
	free(f.b);
	return h;
}

static size_t n_keys, n_values;

/* Every key (by name, in order) and value (name, type, data) the same. */
static bool same_tree(hive_h *a, hive_node_h na, hive_h *b, hive_node_h nb, const char *path)
{
	char *an = hivex_node_name(a, na), *bn = hivex_node_name(b, nb);
	bool ok = an && bn && !strcmp(an, bn);
	if (!ok)
		fprintf(stderr, "key %s: name %s vs %s\n", path, an, bn);
	free(an);
	free(bn);
	n_keys++;
	hive_value_h *va = hivex_node_values(a, na), *vb = hivex_node_values(b, nb);
	size_t i = 0;
	for (; ok && va && vb && va[i] && vb[i]; i++) {
		char *ka = hivex_value_key(a, va[i]), *kb = hivex_value_key(b, vb[i]);
		hive_type ta, tb;
		size_t la, lb;
		char *da = hivex_value_value(a, va[i], &ta, &la), *db = hivex_value_value(b, vb[i], &tb, &lb);
		ok = ka && kb && !strcmp(ka, kb) && da && db && ta == tb && la == lb && !memcmp(da, db, la);
		if (!ok)
			fprintf(stderr, "key %s: value %s differs\n", path, ka ? ka : "?");
		free(ka);
		free(kb);
		free(da);
		free(db);
		n_values++;
	}
	ok = ok && va && vb && !va[i] && !vb[i];
	free(va);
	free(vb);
	hive_node_h *ca = hivex_node_children(a, na), *cb = hivex_node_children(b, nb);
	for (i = 0; ok && ca && cb && ca[i] && cb[i]; i++) {
		char sub[1024];
		char *nm = hivex_node_name(a, ca[i]);
		snprintf(sub, sizeof(sub), "%.500s\\%.500s", path, nm ? nm : "?");
		free(nm);
		ok = same_tree(a, ca[i], b, cb[i], sub);
	}
	if (ok && (!ca || !cb || ca[i] || cb[i])) {
		fprintf(stderr, "key %s: subkeys differ in number\n", path);
		ok = false;
	}
	free(ca);
	free(cb);
	return ok;
}

static bool same_hive(hive_h *a, hive_h *b)
{
	n_keys = n_values = 0;
	return a && b && same_tree(a, hivex_root(a), b, hivex_root(b), "");
}

static hive_node_h find(hive_h *h, const char *path)
{
	hive_node_h n = hivex_root(h);
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *sv, *p = strtok_r(buf, "\\", &sv); p && n; p = strtok_r(NULL, "\\", &sv))
		n = hivex_node_get_child(h, n, p);
	return n;
}

static bool clean_base(const unsigned char *b)
{
	return !memcmp(b, "regf", 4) && lg_hivelog_checksum(b) == (uint32_t)(b[508] | b[509] << 8 | b[510] << 16 | (uint32_t)b[511] << 24) &&
	       !memcmp(b + 4, b + 8, 4) && b[28] == 0;
}

/* ---- the cases of the shared data --------------------------------------- */

static double ms_new1, ms_old;

static void test_new_dirty_1(void)
{
	struct set s;
	set_load(&s, "NewDirtyHive1/NewDirtyHive");
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(recover(&s, &out, &n, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms_new1 = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(res.dirty);
	CHECK_CONTAINS(res.dirty_why, "sequence numbers differ (3 and 2)");
	CHECK_INT(res.format, LG_HIVELOG_NEW);
	CHECK_INT(res.used, 1u << LG_HIVELOG_LOG1 | 1u << LG_HIVELOG_LOG2);
	CHECK_INT(res.n_entries, 4);
	CHECK_INT(res.seq, 5);
	CHECK(res.max_seq >= 5);
	CHECK(!res.base_recovered);
	struct file win = load("NewDirtyHive1/RecoveredHive_Windows10");
	CHECK(out && win.b && n == win.n);
	if (out && win.b && n == win.n) {
		/* The hive bins data is Windows' own, byte for byte. */
		CHECK(!memcmp(out + 4096, win.b + 4096, n - 4096));
		CHECK(clean_base(out));
		hive_h *a = hx_buf(out, n), *b = hx_buf(win.b, win.n);
		CHECK(same_hive(a, b));
		CHECK(n_keys >= 5);
		/* Keys only the logs knew, and keys the logs deleted. */
		CHECK(find(a, "Key3\\Key3_1") && find(a, "key3\\key3_3"));
		CHECK(!find(a, "Key1") && !find(a, "Key2"));
		if (a)
			hivex_close(a);
		if (b)
			hivex_close(b);
		/* The primary before replay was different. */
		hive_h *p = hx_buf(s.prim.b, s.prim.n);
		CHECK(p && find(p, "Key1"));
		if (p)
			hivex_close(p);
	}
	/* The logs swapped in place: the sequence numbers decide, not the names. */
	struct lg_hivelog_buf sw[LG_HIVELOG_N] = { { 0 }, s.logs[2], s.logs[1] };
	unsigned char *out2 = NULL;
	size_t n2 = 0;
	CHECK_INT(lg_hivelog_recover("H", s.prim.b, s.prim.n, sw, &out2, &n2, &res), 0);
	CHECK_INT(res.n_entries, 4);
	CHECK(out && out2 && n == n2 && !memcmp(out, out2, n));
	free(out2);
	free(out);
	free(win.b);
	set_free(&s);
}

static void test_new_dirty_2(void)
{
	struct set s;
	set_load(&s, "NewDirtyHive2/NewDirtyHive");
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	CHECK_INT(recover(&s, &out, &n, &res), 0);
	/* LOG1 (sequence 2) is older than the hive's 3: one log set, from LOG2. */
	CHECK_INT(res.used, 1u << LG_HIVELOG_LOG2);
	CHECK_INT(res.seq, 5);
	CHECK_INT(res.n_entries, 3);
	CHECK(out && clean_base(out));
	if (out) {
		CHECK_INT(out[4], 5);
		hive_h *a = hx_buf(out, n);
		CHECK(a != NULL);
		if (a)
			hivex_close(a);
	}
	free(out);
	set_free(&s);
}

static void test_old_dirty(void)
{
	struct set s;
	set_load(&s, "OldDirtyHive/OldDirtyHive");
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(recover(&s, &out, &n, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms_old = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK_INT(res.format, LG_HIVELOG_OLD);
	CHECK_INT(res.used, 1u << LG_HIVELOG_LOG1);
	CHECK_INT(res.n_entries, 1);
	CHECK_INT(res.n_pages, 64);
	CHECK(out && clean_base(out));
	hive_h *a = out ? hx_buf(out, n) : NULL, *b = hx_file("OldDirtyHive/RecoveredHive_Windows7");
	CHECK(same_hive(a, b));
	CHECK(n_keys > 5000);
	printf("figure: OldDirtyHive replayed = Windows 7's recovery: %zu keys, %zu values compared\n", n_keys,
	       n_values);
	CHECK(a && !find(a, "key_with_many_subkeys\\1"));
	CHECK(a && find(a, "key_with_many_subkeys\\5000\\find_me_in_log"));
	hive_value_h v = a ? hivex_node_get_value(a, find(a, "key_with_many_subkeys\\4500"), "v") : 0;
	CHECK(v != 0);
	if (a)
		hivex_close(a);
	if (b)
		hivex_close(b);

	/* The same log with stale data after its dirty pages (4 bytes, then a
	 * whole stale page): the stale data is never applied. */
	struct file rem = load("OldLogWithRemnantData");
	CHECK(rem.b && rem.n == s.lf[1].n + 4);
	if (rem.b && out) {
		struct lg_hivelog_buf l[LG_HIVELOG_N] = { { 0 }, { rem.b, rem.n }, { 0 } };
		unsigned char *o2 = NULL;
		size_t n2 = 0;
		CHECK_INT(lg_hivelog_recover("H", s.prim.b, s.prim.n, l, &o2, &n2, &res), 0);
		CHECK_INT(res.n_pages, 64);
		CHECK(o2 && n2 == n && !memcmp(o2, out, n));
		free(o2);
		unsigned char *big = malloc(rem.n + 1024);
		memcpy(big, rem.b, rem.n);
		for (size_t i = rem.n; i < rem.n + 1024; i++)
			big[i] = "remn"[i % 4];
		l[1] = (struct lg_hivelog_buf){ big, rem.n + 1024 };
		CHECK_INT(lg_hivelog_recover("H", s.prim.b, s.prim.n, l, &o2, &n2, &res), 0);
		CHECK(o2 && n2 == n && !memcmp(o2, out, n));
		CHECK(o2 && !memmem(o2, n2, "remnremn", 8));
		free(o2);
		free(big);
	}
	free(rem.b);
	/* In LOG2 or .LOG instead of LOG1: found all the same. */
	struct lg_hivelog_buf l2[LG_HIVELOG_N] = { s.logs[1], { 0 }, { 0 } };
	unsigned char *o3 = NULL;
	size_t n3 = 0;
	CHECK_INT(lg_hivelog_recover("H", s.prim.b, s.prim.n, l2, &o3, &n3, &res), 0);
	CHECK_INT(res.used, 1u << LG_HIVELOG_LOG);
	CHECK(o3 && out && n3 == n && !memcmp(o3, out, n));
	free(o3);
	/* A log of another time is never applied. */
	unsigned char *lg = malloc(s.lf[1].n);
	memcpy(lg, s.lf[1].b, s.lf[1].n);
	lg[12] ^= 1;
	uint32_t c = lg_hivelog_checksum(lg);
	memcpy(lg + 508, &c, 4);
	struct lg_hivelog_buf l3[LG_HIVELOG_N] = { { 0 }, { lg, s.lf[1].n }, { 0 } };
	CHECK_INT(lg_hivelog_recover("SYSTEM", s.prim.b, s.prim.n, l3, &o3, &n3, &res), -EBADMSG);
	CHECK_CONTAINS(res.reason, "SYSTEM.LOG1: written at another time than the hive");
	CHECK(o3 == NULL);
	free(lg);
	free(out);
	set_free(&s);
}

static void test_bad_base_block(void)
{
	struct set s;
	set_load(&s, "BadBaseBlockHive/BadBaseBlockHive");
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	CHECK_INT(recover(&s, &out, &n, &res), 0);
	CHECK_CONTAINS(res.dirty_why, "checksum");
	CHECK(res.base_recovered);
	CHECK_INT(res.used, 1u << LG_HIVELOG_LOG1);
	CHECK_INT(res.format, LG_HIVELOG_OLD);
	CHECK(out && clean_base(out));
	if (out) {
		CHECK_INT(out[24], 3); /* the minor version comes back from the log */
		hive_h *a = hx_buf(out, n);
		CHECK(a && find(a, "key_with_many_subkeys"));
		if (a)
			hivex_close(a);
	}
	free(out);
	set_free(&s);
}

static void refused(const char *prim, const char *what)
{
	struct set s;
	set_load(&s, prim);
	unsigned char *out = (unsigned char *)"x";
	size_t n = 1;
	struct lg_hivelog_result res;
	CHECK(s.prim.b != NULL);
	CHECK_INT(lg_hivelog_recover("SYSTEM", s.prim.b, s.prim.n, s.logs, &out, &n, &res), -EBADMSG);
	CHECK(out == NULL && n == 0);
	CHECK(res.dirty);
	CHECK_INT(res.used, 0);
	CHECK_INT(res.n_entries, 0);
	CHECK_CONTAINS(res.reason, what);
	printf("refused %s: %s\n", prim, res.reason);
	set_free(&s);
}

static void test_refusals(void)
{
	refused("BadLogHive1/BadLogHive", "SYSTEM.LOG1: its base block checksum is wrong");
	refused("BadLogHive2/BadLogHive", "SYSTEM.LOG1: ");
	refused("BadLogHive3/BadLogHive", "SYSTEM.LOG1: its base block checksum is wrong");
	refused("BadLogHive3/BadLogHive", "SYSTEM.LOG2: its base block checksum is wrong");
	refused("TruncatedDirtyHive", "SYSTEM has no transaction log");
	/* A truncated dirty primary with a log of another hive: refused too. */
	struct file t = load("TruncatedDirtyHive"), l = load("OldDirtyHive/OldDirtyHive.LOG1");
	struct lg_hivelog_buf logs[LG_HIVELOG_N] = { { 0 }, { l.b, l.n }, { 0 } };
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	CHECK_INT(lg_hivelog_recover("SYSTEM", t.b, t.n, logs, &out, &n, &res), -EBADMSG);
	CHECK(out == NULL);
	free(t.b);
	free(l.b);
}

static void test_clean(void)
{
	struct file f = load("NewDirtyHive1/RecoveredHive_Windows10");
	struct file l = load("NewDirtyHive1/NewDirtyHive.LOG2");
	struct lg_hivelog_buf logs[LG_HIVELOG_N] = { { 0 }, { 0 }, { l.b, l.n } };
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	/* A clean hive: the logs are ignored, as Windows ignores them. */
	CHECK_INT(lg_hivelog_recover("H", f.b, f.n, logs, &out, &n, &res), 0);
	CHECK(out == NULL && !res.dirty);
	CHECK_INT(res.max_seq, 6);
	free(f.b);
	free(l.b);
}

/* Hostile logs: an entry that does not check out ends the replay there;
 * every cut of the files is handled without reading past them. */
static void test_hostile(void)
{
	struct set s;
	set_load(&s, "NewDirtyHive1/NewDirtyHive");
	if (!s.lf[2].b)
		return;
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	/* Flip one byte in the last page of LOG2: its last entry stops the replay. */
	unsigned char *l2 = malloc(s.lf[2].n);
	memcpy(l2, s.lf[2].b, s.lf[2].n);
	size_t last = 0;
	for (size_t p = 512; p + 40 <= s.lf[2].n; p += 512)
		if (!memcmp(l2 + p, "HvLE", 4))
			last = p;
	CHECK(last > 512);
	l2[last + 600] ^= 0x40;
	struct lg_hivelog_buf logs[LG_HIVELOG_N] = { { 0 }, s.logs[1], { l2, s.lf[2].n } };
	CHECK_INT(lg_hivelog_recover("H", s.prim.b, s.prim.n, logs, &out, &n, &res), 0);
	CHECK_INT(res.n_entries, 3);
	CHECK_INT(res.seq, 4);
	free(out);
	/* Every cut of LOG2 at a sector, and random damage: never a crash. */
	unsigned seed = 17;
	for (size_t cut = 0; cut <= s.lf[2].n; cut += 512) {
		logs[2] = (struct lg_hivelog_buf){ s.lf[2].b, cut };
		int rc = lg_hivelog_recover("H", s.prim.b, s.prim.n, logs, &out, &n, &res);
		CHECK(rc == 0 || rc == -EBADMSG);
		free(out);
	}
	for (int k = 0; k < 300; k++) {
		memcpy(l2, s.lf[2].b, s.lf[2].n);
		for (int j = 0; j < 4; j++) {
			seed = seed * 1103515245u + 12345u;
			l2[(seed >> 8) % s.lf[2].n] = (unsigned char)(seed >> 3);
		}
		logs[2] = (struct lg_hivelog_buf){ l2, s.lf[2].n };
		int rc = lg_hivelog_recover("H", s.prim.b, s.prim.n, logs, &out, &n, &res);
		CHECK(rc == 0 || rc == -EBADMSG);
		if (rc == 0)
			CHECK(out && clean_base(out));
		free(out);
	}
	free(l2);
	set_free(&s);
}

static void test_synthetic(void)
{
	unsigned char b[4096] = "regf";
	unsigned char *out = NULL;
	size_t n = 0;
	struct lg_hivelog_result res;
	CHECK_INT(lg_hivelog_recover("H", b, 100, NULL, &out, &n, &res), -ENOTSUP);
	b[4] = 2;
	b[8] = 1;
	CHECK_INT(lg_hivelog_recover("H", b, sizeof(b), NULL, &out, &n, &res), -EBADMSG);
	CHECK(res.dirty);
	CHECK_CONTAINS(res.reason, "H has no transaction log");
	b[28] = 1; /* a log is not a primary file */
	CHECK_INT(lg_hivelog_recover("H", b, sizeof(b), NULL, &out, &n, &res), -ENOTSUP);
	/* Marvin32 of nothing and of one word: the final mix only. */
	CHECK(lg_marvin32((const unsigned char *)"", 0, 1) != lg_marvin32((const unsigned char *)"a", 1, 1));
	CHECK(lg_marvin32((const unsigned char *)"abcd", 4, 7) != lg_marvin32((const unsigned char *)"abcd", 4, 8));
}

int main(void)
{
	RUN(test_synthetic);
	if (!have_files()) {
		printf("note: Windows-made hive tests skipped: no archive (LG_HIVELOG_ARCHIVE)\n");
		return t_done();
	}
	RUN(test_new_dirty_1);
	RUN(test_new_dirty_2);
	RUN(test_old_dirty);
	RUN(test_bad_base_block);
	RUN(test_refusals);
	RUN(test_clean);
	RUN(test_hostile);
	printf("figure: replay NewDirtyHive1 (4 entries, 2 logs) %.2f ms, OldDirtyHive (64 pages) %.2f ms\n",
	       ms_new1, ms_old);
	return t_done();
}
