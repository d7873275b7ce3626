// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power cuts at every write. The engine's device layer can stop persisting
 * writes after the Nth one while still reporting success: what a power
 * cut does to a disk. For every N from 1 to the number of writes a run
 * makes, this harness
 *   1. copies the pristine image,
 *   2. runs fix (or undo) with writes dropped after N, in a child process,
 *   3. runs fix (or undo) again on the result, as the next boot would,
 *   4. checks the volume: every file of the original volume is at its
 *      original path or in the quarantine with identical bytes, no
 *      temporary restore file is left, every journal is complete, and
 *      ntfs-3g's own ntfsfix -n finds nothing to fix.
 *
 * usage: powercut [--undo] [--bundle-dir DIR] [--restored-sha256 HEX] [--step K] [--dense N]
 *                 IMAGE DENYLIST TRUST.pub
 * --step K: every K-th write only; --dense N: but every one of the first N
 * (where a run reads and sets aside what it does not trust).
 */
#include "engine/engine.h"
#include "storage/fsops.h"
#include "lib/hash.h"
#include "engine/inspect.h"
#include "engine/journal.h"
#include "storage/redo.h"
#include "storage/volume.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/wait.h>

#include <ntfs-3g/dir.h>

struct file {
	char *path;
	unsigned char sha[32];
	bool changed;            /* a fix without a cut leaves other bytes (or none) at path */
};

static struct file *files;
static size_t n_files;
static char tmpdir[256];
static const char *denylist, *trust, *bundle_dir;
static unsigned char restored_sha[32];
static bool have_restored_sha;
static uint64_t part_off, part_size;
static int part_no;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

struct walk {
	struct lg_volume *v;
	char **names;
	unsigned char *is_dir;
	size_t n;
};

static int walk_cb(void *ctx, const ntfschar *name, const int len, const int type,
		   const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct walk *w = ctx;
	if (type == FILE_NAME_DOS)
		return 0;
	char *mb = NULL;
	if (ntfs_ucstombs(name, len, &mb, 0) < 0)
		return 0;
	if (!strcmp(mb, ".") || !strcmp(mb, "..")) {
		free(mb);
		return 0;
	}
	w->names = realloc(w->names, (w->n + 1) * sizeof(*w->names));
	w->is_dir = realloc(w->is_dir, w->n + 1);
	w->names[w->n] = mb;
	w->is_dir[w->n++] = dt_type == NTFS_DT_DIR;
	return 0;
}

/* Every regular file under dir, with its sha256. Root entries starting
 * with '$' are NTFS metadata (and our own $LastGood). */
static void walk(struct lg_volume *v, const char *dir)
{
	ntfs_inode *ni = dir[0] ? lg_volume_lookup(v, dir) : ntfs_inode_open(v->vol, FILE_root);
	if (!ni)
		return;
	struct walk w = { .v = v };
	s64 pos = 0;
	ntfs_readdir(ni, &pos, &w, walk_cb);
	ntfs_inode_close(ni);
	for (size_t i = 0; i < w.n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", w.names[i]);
		if (!dir[0] && w.names[i][0] == '$') {
			free(w.names[i]);
			continue;
		}
		if (w.is_dir[i]) {
			walk(v, path);
		} else {
			char *buf = NULL;
			size_t len = 0;
			if (lg_fs_read(v, path, 1u << 30, &buf, &len) == 0) {
				files = realloc(files, (n_files + 1) * sizeof(*files));
				files[n_files].path = strdup(path);
				lg_hash_buf(buf, len, files[n_files].sha, NULL);
				n_files++;
				free(buf);
			}
		}
		free(w.names[i]);
	}
	free(w.names);
	free(w.is_dir);
}

static int file_sha(struct lg_volume *v, const char *path, unsigned char sha[32])
{
	char *buf = NULL;
	size_t len = 0;
	int r = lg_fs_read(v, path, 1u << 30, &buf, &len);
	if (r < 0)
		return r;
	lg_hash_buf(buf, len, sha, NULL);
	free(buf);
	return 0;
}

/* Run fix or undo on img in a child; drop writes after `cut` (0: never).
 * Returns the child's exit code; *writes gets the writes it made. */
static int run_child(const char *img, bool undo, const char *run_id, uint64_t cut, uint64_t *writes)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		lg_dev_faults.writes = 0;
		lg_dev_faults.drop_after = cut;
		int rc;
		char *targets[] = { (char *)img };
		if (undo) {
			struct lg_undo_opts o = { .run_id = run_id, .targets = targets, .n_targets = 1 };
			rc = lg_undo(&o, NULL);
		} else {
			const char *tr[] = { trust };
			const char *bd[] = { bundle_dir ? bundle_dir : "." };
			struct lg_run_opts o = { .fix = true, .denylist = denylist, .trust = tr, .n_trust = 1,
						 .targets = targets, .n_targets = 1,
						 .bundle_dirs = bd, .n_bundle_dirs = 1, .run_id = run_id };
			rc = lg_run(&o, NULL);
		}
		uint64_t w = lg_dev_faults.writes;
		if (write(pfd[1], &w, sizeof(w)) != sizeof(w))
			rc = 99;
		_exit(rc);
	}
	close(pfd[1]);
	uint64_t w = 0;
	ssize_t got = read(pfd[0], &w, sizeof(w));
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (writes)
		*writes = got == sizeof(w) ? w : 0;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* A SYSTEM hive the registry step rewrote (docs/registry.md): the new
 * file is in place and the original, the very file, is the backup in the
 * quarantine of a run. */
static bool hive_kept(struct lg_volume *v, const char *path, const unsigned char want[32], const char *const *runs,
		      size_t n_runs)
{
	size_t len = strlen(path), tail = strlen("System32/config/SYSTEM");
	if (len < tail || strcasecmp(path + len - tail, "System32/config/SYSTEM"))
		return false;
	for (size_t r = 0; r < n_runs; r++) {
		char q[256];
		unsigned char sha[32];
		snprintf(q, sizeof(q), LG_DIR "/quarantine/%s/registry/SYSTEM", runs[r]);
		if (file_sha(v, q, sha) == 0 && !memcmp(sha, want, 32))
			return true;
	}
	return false;
}

/* Which files a fix without a cut changes: a cut and a rerun must change
 * the same ones, no more (a planted journal must not add any) and no
 * fewer. */
static int note_changed(const char *img)
{
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	if (lg_volume_open(img, part_off, part_size, 0, &v, &err) < 0) {
		fprintf(stderr, "powercut: %s\n", err.msg);
		return -1;
	}
	for (size_t i = 0; i < n_files; i++) {
		unsigned char sha[32];
		files[i].changed = file_sha(v, files[i].path, sha) < 0 || memcmp(sha, files[i].sha, 32);
	}
	lg_volume_close(v);
	return 0;
}

/* Check the volume after recovery. Returns the number of problems. */
static int verify(const char *img, bool undo, char *why, size_t wlen)
{
	struct lg_volume *v = NULL;
	struct lg_err err = { "" };
	if (lg_volume_open(img, part_off, part_size, 0, &v, &err) < 0) {
		snprintf(why, wlen, "cannot open the volume: %s", err.msg);
		return 1;
	}
	int problems = 0;
		const char *runs[] = { "cut", "again", "base" };
	for (size_t i = 0; i < n_files && !problems; i++) {
		unsigned char sha[32];
		bool in_place = file_sha(v, files[i].path, sha) == 0;
		bool same = in_place && !memcmp(sha, files[i].sha, 32);
		if (!undo && same == files[i].changed) {
			snprintf(why, wlen, "%s: %s, unlike after a fix without a cut", files[i].path,
				 same ? "left as it was" : "changed or moved");
			problems++;
			continue;
		}
		if (same)
			continue;
		if (in_place && !undo && hive_kept(v, files[i].path, files[i].sha, runs, ARRAY_SIZE(runs)))
			continue;
		if (in_place && !(have_restored_sha && !memcmp(sha, restored_sha, 32))) {
			snprintf(why, wlen, "%s: content changed", files[i].path);
			problems++;
			continue;
		}
		/* Here: absent, or replaced by the known-good content. */
		if (undo) {
			snprintf(why, wlen, "%s: not back at its path after undo", files[i].path);
			problems++;
			continue;
		}
		/* The original must then be in the quarantine of some run. */
		bool found = false;
		for (size_t r = 0; r < ARRAY_SIZE(runs) && !found; r++) {
			char q[4200];
			snprintf(q, sizeof(q), LG_DIR "/quarantine/%s/%s", runs[r], files[i].path);
			if (file_sha(v, q, sha) == 0 && !memcmp(sha, files[i].sha, 32))
				found = true;
		}
		if (!found) {
			snprintf(why, wlen, "%s: neither at its path nor in a quarantine: LOST", files[i].path);
			problems++;
		}
	}
	/* Journals complete. */
	for (size_t r = 0; r < ARRAY_SIZE(runs) && !problems; r++) {
		char jp[256], *buf = NULL;
		size_t len;
		snprintf(jp, sizeof(jp), LG_DIR "/journal/%s", runs[r]);
		if (lg_fs_read(v, jp, LG_JOURNAL_MAX_BYTES, &buf, &len) < 0)
			continue;
		struct lg_journal *j = NULL;
		if (lg_journal_parse(buf, len, &j, &err) < 0) {
			snprintf(why, wlen, "journal %s: %s", runs[r], err.msg);
			problems++;
		} else if (!j->ended || (undo && !strcmp(runs[r], "base") && !j->undo_ended)) {
			snprintf(why, wlen, "journal %s is not complete", runs[r]);
			problems++;
		}
		lg_journal_free(j);
		free(buf);
	}
	lg_volume_close(v);
	if (problems)
		return problems;
	/* No temporary restore copy left anywhere the matcher looks. */
	/* Whole MiB reads: 512-byte ones made this most of a cut point's time. */
	if (sh("dd if=%s of=%s/part bs=1M iflag=skip_bytes,count_bytes skip=%llu count=%llu status=none conv=sparse",
	       img, tmpdir, (unsigned long long)part_off, (unsigned long long)part_size) != 0) {
		snprintf(why, wlen, "dd failed");
		return 1;
	}
	if (sh("ntfsls -f -R %s/part 2>/dev/null | grep -q '~lastgood-'", tmpdir) == 0) {
		snprintf(why, wlen, "a temporary restore file is left on the volume");
		return 1;
	}
	if (sh("ntfsfix -n %s/part >%s/ntfsfix.log 2>&1", tmpdir, tmpdir) != 0) {
		snprintf(why, wlen, "ntfsfix -n reports a problem (see %s/ntfsfix.log)", tmpdir);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "undo", no_argument, NULL, 'u' },
		{ "bundle-dir", required_argument, NULL, 'b' },
		{ "step", required_argument, NULL, 's' },
		{ "restored-sha256", required_argument, NULL, 'r' },
		{ "dense", required_argument, NULL, 'd' },
		{ 0 }
	};
	bool undo = false;
	unsigned step = 1, dense = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': undo = true; break;
		case 'b': bundle_dir = optarg; break;
		case 's': step = (unsigned)atoi(optarg); break;
		case 'd': dense = (unsigned)atoi(optarg); break;
		case 'r':
			if (lg_unhex(optarg, restored_sha, 32) < 0)
				return 2;
			have_restored_sha = true;
			break;
		default: return 2;
		}
	}
	if (argc - optind != 3 || !step) {
		fprintf(stderr, "usage: powercut [--undo] [--bundle-dir DIR] [--restored-sha256 HEX] [--step K] [--dense N] "
			"IMAGE DENYLIST TRUST.pub\n");
		return 2;
	}
	const char *pristine = argv[optind];
	denylist = argv[optind + 1];
	trust = argv[optind + 2];
	/* $TMPDIR may be a tmpfs (/dev/shm): every cut copies the image and
	 * the runs sync it, which a disk makes slow. */
	const char *td = getenv("TMPDIR");
	td = td && *td ? td : "/tmp";
	int tl = snprintf(tmpdir, sizeof(tmpdir), "%s/lg-powercut-XXXXXX", td);
	bool fits = tl > 0 && (size_t)tl < sizeof(tmpdir);
	if (!fits || !mkdtemp(tmpdir)) {
		fprintf(stderr, "powercut: cannot make a directory in %s: %s\n", td, fits ? strerror(errno) : "path too long");
		return 1;
	}
	struct lg_inventory *inv = NULL;
	struct lg_err err = { "" };
	char *tg[] = { (char *)pristine };
	if (lg_inventory_build(tg, 1, &inv, &err) < 0) {
		fprintf(stderr, "powercut: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < inv->n_vols; i++)
		if (inv->vols[i].windows) {
			part_off = inv->vols[i].part->offset;
			part_size = inv->vols[i].part->size;
			part_no = inv->vols[i].part->number;
			break;
		}
	lg_inventory_free(inv);
	if (!part_size) {
		fprintf(stderr, "powercut: no Windows volume on %s\n", pristine);
		return 1;
	}
	struct lg_volume *v = NULL;
	if (lg_volume_open(pristine, part_off, part_size, 0, &v, &err) < 0) {
		fprintf(stderr, "powercut: %s\n", err.msg);
		return 1;
	}
	walk(v, "");
	lg_volume_close(v);
	printf("powercut: %zu files on the original volume (partition %d)\n", n_files, part_no);

	/* The image every cut starts from: pristine for fix; fixed for undo. */
	char base[512], work[512];
	snprintf(base, sizeof(base), "%s/base.img", tmpdir);
	snprintf(work, sizeof(work), "%s/work.img", tmpdir);
	sh("cp --sparse=always %s %s", pristine, base);
	uint64_t total = 0;
	if (undo) {
		if (run_child(base, false, "base", 0, NULL) != 0) {
			fprintf(stderr, "powercut: the fix before undo failed\n");
			return 1;
		}
		sh("cp --sparse=always %s %s", base, work);
		run_child(work, true, "base", 0, &total);
	} else {
		sh("cp --sparse=always %s %s", base, work);
		run_child(work, false, "cut", 0, &total);
		if (note_changed(work) < 0)
			return 1;
	}
	printf("powercut: a full %s makes %llu device writes\n", undo ? "undo" : "fix", (unsigned long long)total);
	unsigned tried = 0, held = 0;
	for (uint64_t n = 1; n <= total; n += n < dense ? 1 : step) {
		sh("cp --sparse=always %s %s", base, work);
		int rc1 = run_child(work, undo, undo ? "base" : "cut", n, NULL);
		int rc2 = run_child(work, undo, undo ? "base" : "again", 0, NULL);
		char why[2048] = "";
		int bad = rc2 != 0 ? 1 : verify(work, undo, why, sizeof(why));
		if (rc2 != 0)
			snprintf(why, sizeof(why), "the %s after the cut failed (exit %d)", undo ? "undo" : "fix", rc2);
		tried++;
		if (bad) {
			printf("cut after write %llu: FAILED: %s (first run exit %d)\n", (unsigned long long)n, why, rc1);
			sh("cp --sparse=always %s %s/failed-%llu.img", work, tmpdir, (unsigned long long)n);
		} else {
			held++;
		}
	}
	printf("SUMMARY: %s: %u cut points tried, %u held\n", undo ? "undo" : bundle_dir ? "fix with a restore" : "fix",
	       tried, held);
	if (held == tried)
		sh("rm -rf %s", tmpdir);
	else
		printf("failed images kept in %s\n", tmpdir);
	return held == tried && tried > 0 ? 0 : 1;
}
