// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_pe_rules: 2,000 hash rules against 5,000 driver files (issue 6).
 *
 *   bench_pe_rules [--files N] [--rules N] [--keep IMG] [--jsonl FILE]
 *
 * Builds an NTFS volume (mkntfs, then libntfs-3g) that looks like the
 * driver folders of a Windows PC: N PE drivers written by mkpe (a tenth in
 * Windows/System32/drivers, the rest three to a package under
 * Windows/System32/DriverStore/FileRepository), each package also with an
 * .inf and a .cat that are not PE files. Then it runs the matcher with
 * rules shaped like an imported LOLDrivers list (`lastgood denylist
 * import`: every entry once anywhere below drivers and once anywhere
 * below DriverStore):
 *
 *   mixed     80 % Authenticode SHA-256, 15 % file SHA-256, 5 % original
 *             file name + version; 1 % of the entries name a file present
 *   pe-only   the same without the file SHA-256 rules
 *
 * and checks what the issue asks for: every file is read at most once
 * (bytes read = the bytes of the files read in full + 4 KiB of each
 * other), no file is hashed that a cheaper condition excluded (non-PE
 * files are never read in full nor Authenticode-hashed; without SHA-256
 * rules nothing is SHA-256-hashed), and the matches are exactly the files
 * named. Each run is timed with the volume's pages dropped from the page
 * cache (cold, as after a boot) and again warm; it prints files per
 * second, and with --jsonl appends one result per run to FILE in the form
 * of `make bench` (docs/benchmarks.md: name, value, baseline, ratio, unit,
 * notes; no baseline: no other tool matches Authenticode rules on an
 * NTFS volume). Exit 1 when a check fails, 77 when mkntfs is missing.
 */
#include "formats/glob.h"
#include "lib/hash.h"
#include "engine/match.h"
#include "formats/pe.h"
#include "storage/volume.h"
#include "../fixtures/mkpe.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>

static int failures;
static FILE *jsonl;
#define CHECK(c, ...)                                          \
	do {                                                   \
		if (!(c)) {                                    \
			failures++;                            \
			fprintf(stderr, "FAIL: " __VA_ARGS__); \
			fputc('\n', stderr);                   \
		}                                              \
	} while (0)

struct file {
	char path[160];
	uint64_t size;
	bool pe;
	unsigned char ah256[32], sha[32];
	char ofn[32];
	uint16_t ver[4];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---------------------------------------------------------------- volume */

static ntfs_inode *mkdirs(ntfs_volume *vol, const char *path)
{
	ntfs_inode *ni = ntfs_inode_open(vol, FILE_root);
	char *copy = strdup(path), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && ni; c = strtok_r(NULL, "/", &save)) {
		ntfschar u[LG_NAME_MAX];
		int n = lg_utf8_to_utf16(c, strlen(c), u, LG_NAME_MAX);
		u64 mref = ntfs_inode_lookup_by_name(ni, u, n);
		ntfs_inode *child = mref == (u64)-1 ? ntfs_create(ni, 0, u, (u8)n, S_IFDIR)
						    : ntfs_inode_open(vol, MREF(mref));
		ntfs_inode_close(ni);
		ni = child;
	}
	free(copy);
	return ni;
}

static int put_file(ntfs_volume *vol, const char *path, const void *data, size_t len)
{
	char dir[160];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	*slash = 0;
	ntfs_inode *d = mkdirs(vol, dir);
	if (!d)
		return -1;
	ntfschar u[LG_NAME_MAX];
	int n = lg_utf8_to_utf16(slash + 1, strlen(slash + 1), u, LG_NAME_MAX);
	ntfs_inode *ni = ntfs_create(d, 0, u, (u8)n, S_IFREG);
	ntfs_inode_close(d);
	if (!ni)
		return -1;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	int r = na && ntfs_attr_pwrite(na, 0, (s64)len, data) == (s64)len ? 0 : -1;
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return r;
}

/* The driver folders: n PE drivers and 2 non-PE files per package. */
static int build(const char *img, struct file *f, size_t n, size_t *n_files)
{
	uint64_t size = 64ull << 20;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct mkpe_opts o = { .pe32plus = true, .version = true };
		o.n_sections = 1 + (unsigned)(rnd() % 4);
		o.section_size = (uint32_t)(0x1000 + (rnd() % 24) * 0x400);
		o.trailing = (uint32_t)(rnd() % 3 ? 0 : rnd() % 64);
		o.file_version[0] = (uint16_t)(1 + rnd() % 10);
		o.file_version[2] = (uint16_t)(rnd() % 20000);
		snprintf(f[k].ofn, sizeof(f[k].ofn), "drv%05zu.sys", i);
		memcpy(f[k].ver, o.file_version, sizeof(f[k].ver));
		o.strings[0] = (struct mkpe_string){ "CompanyName", "Benchmark Devices Inc." };
		o.strings[1] = (struct mkpe_string){ "OriginalFilename", f[k].ofn };
		unsigned char *data;
		size_t len;
		if (mkpe_build(&o, &data, &len, NULL))
			return -1;
		free(data);
		f[k].size = len;
		f[k].pe = true;
		if (i % 10 == 0)
			snprintf(f[k].path, sizeof(f[k].path), "Windows/System32/drivers/%s", f[k].ofn);
		else
			snprintf(f[k].path, sizeof(f[k].path),
				 "Windows/System32/DriverStore/FileRepository/pkg%04zu.inf_amd64_%08llx/%s", i / 3,
				 (unsigned long long)(i / 3 * 2654435761u & 0xffffffffu), f[k].ofn);
		size += (len + 8191) / 4096 * 4096;
		k++;
		if (i % 10 && i % 3 == 2) {
			/* The package's .inf and .cat: text and DER, not PE. */
			for (int e = 0; e < 2; e++) {
				snprintf(f[k].path, sizeof(f[k].path), "%.*s/pkg%04zu.%s",
					 (int)(strrchr(f[k - 1 - e].path, '/') - f[k - 1 - e].path), f[k - 1 - e].path,
					 i / 3, e ? "cat" : "inf");
				f[k].size = 2000 + rnd() % 30000;
				f[k].pe = false;
				size += (f[k].size + 8191) / 4096 * 4096;
				k++;
			}
		}
	}
	*n_files = k;
	int fd = open(img, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)(size * 2)) < 0) {
		perror(img);
		return -1;
	}
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "mkntfs -F -Q -q %s >/dev/null 2>&1", img);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		printf("SKIP: mkntfs is not installed\n");
		exit(77);
	}
	if (WEXITSTATUS(st))
		return -1;
	struct lg_volume *v;
	struct lg_err err = { "" };
	if (lg_volume_open(img, 0, size * 2, LG_VOL_RW | LG_VOL_DIRECT, &v, &err) < 0) {
		fprintf(stderr, "%s: %s\n", img, err.msg);
		return -1;
	}
	/* Same generator again: the same images, now written and hashed. */
	rng_state = 0x9e3779b97f4a7c15ull;
	unsigned char *junk = malloc(64 << 10);
	for (size_t i = 0, j = 0; i < n; i++) {
		struct mkpe_opts o = { .pe32plus = true, .version = true };
		o.n_sections = 1 + (unsigned)(rnd() % 4);
		o.section_size = (uint32_t)(0x1000 + (rnd() % 24) * 0x400);
		o.trailing = (uint32_t)(rnd() % 3 ? 0 : rnd() % 64);
		o.file_version[0] = (uint16_t)(1 + rnd() % 10);
		o.file_version[2] = (uint16_t)(rnd() % 20000);
		while (!f[j].pe)
			j++;
		o.strings[0] = (struct mkpe_string){ "CompanyName", "Benchmark Devices Inc." };
		o.strings[1] = (struct mkpe_string){ "OriginalFilename", f[j].ofn };
		unsigned char *data;
		size_t len;
		struct lg_pe_info info;
		if (mkpe_build(&o, &data, &len, NULL) || lg_pe_parse(data, len, &info, NULL) ||
		    lg_pe_authentihash(data, len, &info, f[j].ah256, NULL) || lg_hash_buf(data, len, f[j].sha, NULL) ||
		    put_file(v->vol, f[j].path, data, len)) {
			fprintf(stderr, "cannot write %s\n", f[j].path);
			return -1;
		}
		free(data);
		j++;
		if (i % 10 && i % 3 == 2) {
			(void)rnd(), (void)rnd(); /* the sizes drawn in the first pass */
			for (int e = 0; e < 2; e++, j++) {
				for (size_t b = 0; b < f[j].size; b++)
					junk[b] = e ? (unsigned char)(0x30 + b % 7) : (unsigned char)"[Version]\r\n"[b % 11];
				lg_hash_buf(junk, f[j].size, f[j].sha, NULL);
				if (put_file(v->vol, f[j].path, junk, f[j].size))
					return -1;
			}
		}
	}
	free(junk);
	return lg_volume_close(v);
}

/* ---------------------------------------------------------------- rules */

enum rkind { R_AUTH, R_SHA, R_NAME };

struct ruleset {
	struct lg_rule *rules;
	size_t n;
	unsigned char (*hashes)[32];
	char (*ids)[32];
	size_t expect_matches;       /* distinct files named */
	bool *named;                 /* per file */
};

/* n rules = n/2 entries, each below drivers and below DriverStore; two in 100
 * entries name a file of the volume (by a hash or its name and version), the
 * others hashes no file has. */
static void make_rules(struct ruleset *rs, size_t n, bool with_sha, const struct file *f, size_t n_files)
{
	static const char *const paths[2] = { "Windows/System32/drivers/**", "Windows/System32/DriverStore/**" };
	size_t entries = n / 2;
	rs->rules = calloc(n, sizeof(*rs->rules));
	rs->hashes = calloc(entries, sizeof(*rs->hashes));
	rs->ids = calloc(n, sizeof(*rs->ids));
	rs->named = calloc(n_files, sizeof(bool));
	rs->n = 0;
	rs->expect_matches = 0;
	size_t pick = 0;
	for (size_t e = 0; e < entries; e++) {
		unsigned pct = (unsigned)(e % 100);
		enum rkind kind = pct < 5 ? R_NAME : (with_sha && pct < 20) ? R_SHA : R_AUTH;
		const struct file *hit = NULL;
		if (e % 100 == 7 || e % 100 == 2) {
			/* A file of the volume, PE for PE conditions. */
			while (!f[pick % n_files].pe)
				pick++;
			hit = &f[pick % n_files];
			pick += 97;
		}
		for (int p = 0; p < 2; p++) {
			struct lg_rule *r = &rs->rules[rs->n];
			snprintf(rs->ids[rs->n], sizeof(rs->ids[0]), "e%zu.%d", e, p);
			r->id = rs->ids[rs->n];
			r->path = (char *)paths[p];
			r->line = 1;
			r->action = LG_ACTION_REPORT;
			if (kind == R_NAME) {
				static char names[100000][32];
				snprintf(names[e % 100000], sizeof(names[0]), "%s", hit ? hit->ofn : "absent.sys");
				r->original_filename = names[e % 100000];
				r->has_file_version = true;
				r->file_version_min = r->file_version_max =
					hit ? LG_FILE_VERSION(hit->ver[0], hit->ver[1], hit->ver[2], hit->ver[3]) : 1;
			} else {
				unsigned char *h = rs->hashes[e];
				if (hit)
					memcpy(h, kind == R_SHA ? hit->sha : hit->ah256, 32);
				else
					for (int b = 0; b < 32; b++)
						h[b] = (unsigned char)rnd();
				if (kind == R_SHA) {
					r->sha256 = (unsigned char (*)[32])h;
					r->n_sha256 = 1;
				} else {
					r->authentihash_sha256 = (unsigned char (*)[32])h;
					r->n_authentihash_sha256 = 1;
				}
			}
			rs->n++;
		}
		if (hit && !rs->named[hit - f]) {
			rs->named[hit - f] = true;
			rs->expect_matches++;
		}
	}
}

static void ruleset_free(struct ruleset *rs)
{
	free(rs->rules);
	free(rs->hashes);
	free(rs->ids);
	free(rs->named);
}

/* ---------------------------------------------------------------- runs */

static void drop_cache(const char *img)
{
	int fd = open(img, O_RDONLY);
	if (fd >= 0) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

static void run(const char *name, const char *img, uint64_t img_size, struct ruleset *rs, bool with_sha,
		const struct file *f, size_t n_files)
{
	struct lg_denylist dl = { .schema = 1, .rules = rs->rules, .n_rules = rs->n };
	uint64_t pe_bytes = 0, other = 0, all_bytes = 0, n_pe = 0;
	for (size_t i = 0; i < n_files; i++) {
		all_bytes += f[i].size;
		if (f[i].pe) {
			pe_bytes += f[i].size;
			n_pe++;
		} else {
			other += f[i].size < LG_MATCH_PREFIX ? f[i].size : LG_MATCH_PREFIX;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			drop_cache(img);
		double t0 = now_s();
		struct lg_volume *v;
		struct lg_err err = { "" };
		if (lg_volume_open(img, 0, img_size, 0, &v, &err) < 0) {
			CHECK(0, "open %s: %s", img, err.msg);
			return;
		}
		double t1 = now_s();
		struct lg_matcher *m = NULL;
		struct lg_match_result res = { 0 };
		int r = lg_matcher_new(&dl, &m, &err);
		if (r == 0)
			r = lg_matcher_run(m, v->vol, 0, &res, &err);
		double t2 = now_s();
		CHECK(r == 0, "%s: matcher: %s", name, err.msg);
		const struct lg_match_stats *s = &res.stats;
		/* Exactly the named files, each under its drivers/ or DriverStore/ rule. */
		CHECK(res.n_matches == rs->expect_matches, "%s: %zu matches, expected %zu", name, res.n_matches,
		      rs->expect_matches);
		/* Each file read at most once; non-PE files only their first
		 * 4 KiB unless a SHA-256 rule needs them whole. */
		uint64_t want_read = with_sha ? all_bytes : pe_bytes + other;
		CHECK(s->bytes_read == want_read, "%s: %" PRIu64 " bytes read, expected %" PRIu64, name, s->bytes_read,
		      want_read);
		CHECK(s->files_evaluated == n_files, "%s: %" PRIu64 " files evaluated of %zu", name, s->files_evaluated,
		      n_files);
		CHECK(s->pe_parsed == n_pe, "%s: %" PRIu64 " PE parses, expected %" PRIu64, name, s->pe_parsed, n_pe);
		CHECK(s->files_authentihashed == n_pe, "%s: %" PRIu64 " Authenticode hashes, expected %" PRIu64 " (PE only)",
		      name, s->files_authentihashed, n_pe);
		CHECK(s->files_hashed == (with_sha ? n_files : 0), "%s: %" PRIu64 " files SHA-256-hashed, expected %zu",
		      name, s->files_hashed, with_sha ? n_files : (size_t)0);
		double match_s = t2 - t1;
		printf("%-8s %-4s %zu rules, %zu files (%" PRIu64 " PE, %.1f MiB): %zu matches in %.3f s "
		       "(volume open %.3f s, walk %.3f s, conditions %.3f s) = %.0f files/s, %.0f MiB/s read\n"
		       "         %" PRIu64 " PE parsed, %" PRIu64 " refused as not PE, %" PRIu64
		       " Authenticode-hashed, %" PRIu64 " SHA-256-hashed, %" PRIu64 " bytes read\n",
		       name, pass ? "warm" : "cold", rs->n, n_files, n_pe, (double)all_bytes / 1048576.0, res.n_matches,
		       match_s, t1 - t0, (double)s->walk_ns / 1e9, (double)s->eval_ns / 1e9, (double)n_files / match_s,
		       (double)s->bytes_read / 1048576.0 / match_s, s->pe_parsed, s->pe_rejected,
		       s->files_authentihashed, s->files_hashed, s->bytes_read);
		if (jsonl)
			fprintf(jsonl,
				"{\"name\": \"pe_rules_%s%s\", \"value\": %.0f, \"baseline\": null, \"ratio\": null, "
				"\"unit\": \"files/s\", \"notes\": \"%zu hash rules (imported-list shape, %s) against %zu "
				"files (%" PRIu64 " PE drivers), %s page cache; each file read once, non-PE files never "
				"hashed for PE rules\", \"rules\": %zu, \"files\": %zu, \"seconds\": %.4f, "
				"\"bytes_read\": %" PRIu64 ", \"authentihashed\": %" PRIu64 ", \"sha256_hashed\": %" PRIu64
				", \"checks_failed\": %d}\n",
				name[0] == 'm' ? "mixed" : "pe_only", pass ? "" : "_cold", (double)n_files / match_s, rs->n,
				with_sha ? "with file SHA-256 rules" : "Authenticode and name rules only", n_files, n_pe,
				pass ? "warm" : "cold", rs->n, n_files, match_s, s->bytes_read, s->files_authentihashed,
				s->files_hashed, failures);
		lg_match_result_clear(&res);
		lg_matcher_free(m);
		lg_volume_close(v);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "files", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "keep", required_argument, NULL, 'k' },
		{ "jsonl", required_argument, NULL, 'j' },
		{ 0 }
	};
	size_t n = 5000, n_rules = 2000;
	const char *keep = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': n = strtoul(optarg, NULL, 10); break;
		case 'r': n_rules = strtoul(optarg, NULL, 10); break;
		case 'k': keep = optarg; break;
		case 'j':
			jsonl = fopen(optarg, "a");
			if (!jsonl) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: bench_pe_rules [--files N] [--rules N] [--keep IMG] [--jsonl FILE]\n");
			return 2;
		}
	}
	if (n < 10 || n > 200000 || n_rules < 200 || n_rules > LG_DENYLIST_MAX_RULES) {
		fprintf(stderr, "bench_pe_rules: 10 <= files <= 200000, 200 <= rules <= %u\n", LG_DENYLIST_MAX_RULES);
		return 2;
	}
	char tmp[] = "/tmp/bench-pe-rules-XXXXXX";
	const char *img = keep;
	if (!img) {
		int fd = mkstemp(tmp);
		if (fd < 0) {
			perror("mkstemp");
			return 1;
		}
		close(fd);
		img = tmp;
	}
	struct file *f = calloc(n * 2, sizeof(*f));
	size_t n_files = 0;
	double t0 = now_s();
	if (build(img, f, n, &n_files) < 0) {
		fprintf(stderr, "bench_pe_rules: cannot build the volume\n");
		if (!keep)
			unlink(img);
		return 1;
	}
	struct stat st;
	stat(img, &st);
	printf("built %zu files (%zu PE drivers) in %.1f s: %s\n", n_files, n, now_s() - t0, img);

	struct ruleset rs;
	make_rules(&rs, n_rules, true, f, n_files);
	run("mixed", img, (uint64_t)st.st_size, &rs, true, f, n_files);
	ruleset_free(&rs);
	make_rules(&rs, n_rules, false, f, n_files);
	run("pe-only", img, (uint64_t)st.st_size, &rs, false, f, n_files);
	ruleset_free(&rs);

	free(f);
	if (!keep)
		unlink(img);
	if (jsonl && fclose(jsonl)) {
		perror("--jsonl");
		return 1;
	}
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
