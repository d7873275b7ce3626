// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * engine/quarantine.h on copies of the fixture disks: quarantine moves,
 * known-good restores, the hibernation header, crash completion and undo,
 * each checked on the volume and in the journal.
 */
#include "fixture.h"

#include "engine/journal.h"
#include "engine/paths.h"
#include "engine/quarantine.h"
#include "lib/hash.h"
#include "storage/fsops.h"
#include "storage/volume.h"

#define DIR_ "Windows/System32/drivers/CrowdStrike/"
#define BAD DIR_ "C-00000291-00000000-00000032.sys"
#define GOOD DIR_ "C-00000291-00000000-00000033.sys"
#define RUN_ID "20260102T000000Z-00q001"

/* The Windows volume of a fresh copy of a fixture, open read-write. */
static struct lg_volume *open_copy(const char *fixture, unsigned flags)
{
	struct lg_err err = { "" };
	struct lg_inventory *inv = NULL;
	char *targets[] = { (char *)fx_copy(fixture) };
	if (lg_inventory_build(targets, 1, &inv, &err) < 0 || !fx_windows(inv)) {
		fprintf(stderr, "%s: %s\n", fixture, err.msg[0] ? err.msg : "no Windows volume");
		exit(1);
	}
	const struct lg_volinfo *vi = fx_windows(inv);
	struct lg_volume *v = NULL;
	if (lg_volume_open(vi->disk->path, vi->part->offset, vi->part->size, LG_VOL_RW | flags, &v, &err) < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		exit(1);
	}
	lg_inventory_free(inv);
	return v;
}

static void sha_of(struct lg_volume *v, const char *path, char hex[65])
{
	char *buf = NULL;
	size_t n = 0;
	unsigned char d[32];
	hex[0] = 0;
	if (lg_fs_read(v, path, 1u << 26, &buf, &n) < 0)
		return;
	lg_hash_buf(buf, n, d, NULL);
	lg_hex(d, 32, hex);
	free(buf);
}

static struct lg_journal *journal(struct lg_volume *v, const char *run)
{
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	if (lg_journal_load(v, run, &j, &err) < 0)
		fprintf(stderr, "journal: %s\n", err.msg);
	return j;
}

static void begin(struct lg_jwriter *w, struct lg_volume *v, const char *run)
{
	json_t *b = json_pack("{s:i}", "serial", 1);
	CHECK_INT(lg_jwriter_begin(w, v, run, b), 0);
	json_decref(b);
}

static void test_quarantine_move(void)
{
	struct lg_volume *v = open_copy("crowdstrike", 0);
	struct lg_err err = { "" };
	struct lg_jwriter w;
	begin(&w, v, RUN_ID);
	char before[65], after[65], q[512], want[512];
	uint64_t mref = 0, mref_q = 1;
	sha_of(v, BAD, before);
	CHECK_INT(lg_fs_stat(v, BAD, &mref, NULL, NULL), 0);
	CHECK_INT(lg_quarantine(&w, BAD, json_pack("{s:s}", "rule", "r1"), q, sizeof(q), &err), 0);
	CHECK_INT(lg_path_quarantined(want, sizeof(want), RUN_ID, BAD), 0);
	CHECK_STR(q, want);
	/* the same file (MFT record), the same bytes, at the new name only */
	CHECK_INT(lg_fs_stat(v, BAD, NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_fs_stat(v, q, &mref_q, NULL, NULL), 0);
	CHECK_INT(mref_q, mref);
	sha_of(v, q, after);
	CHECK_STR(after, before);

	/* the quarantine path taken: refused before anything is journalled */
	char q2[512];
	CHECK_INT(lg_path_quarantined(q2, sizeof(q2), RUN_ID, GOOD), 0);
	CHECK_INT(lg_fs_create(v, q2, "x", 1), 0);
	CHECK_INT(lg_quarantine(&w, GOOD, NULL, q, sizeof(q), &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "already exists");
	CHECK_INT(lg_fs_stat(v, GOOD, NULL, NULL, NULL), 0);
	/* a file that is not there: announced, then the move fails */
	CHECK(lg_quarantine(&w, DIR_ "missing.sys", NULL, q, sizeof(q), &err) < 0);
	CHECK_CONTAINS(err.msg, "cannot move to quarantine");
	/* a path that cannot fit */
	char small[32];
	CHECK_INT(lg_quarantine(&w, BAD, NULL, small, sizeof(small), &err), -ENAMETOOLONG);

	struct lg_journal *j = journal(v, RUN_ID);
	CHECK(j != NULL);
	if (j) {
		CHECK_INT(j->n_steps, 2);
		CHECK_STR(j->steps[0].op, "quarantine");
		CHECK_INT(j->steps[0].state, LG_STEP_DONE);
		CHECK_STR(lg_step_str(&j->steps[0], "from"), BAD);
		CHECK_STR(lg_step_str(&j->steps[0], "to"), want);
		CHECK_STR(lg_step_str(&j->steps[0], "rule"), "r1");
		CHECK_INT(j->steps[1].state, LG_STEP_INTENT);
		CHECK_STR(lg_step_str(&j->steps[1], "from"), DIR_ "missing.sys");
		CHECK(!j->ended);
		lg_journal_free(j);
	}
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_restore(void)
{
	struct lg_volume *v = open_copy("crowdstrike", 0);
	struct lg_err err = { "" };
	struct lg_jwriter w;
	begin(&w, v, RUN_ID);
	char q[512];
	CHECK_INT(lg_quarantine(&w, BAD, NULL, q, sizeof(q), &err), 0);
	static const char good[] = "known-good driver bytes";
	unsigned char sha[32], wrong[32] = { 0 };
	lg_hash_buf(good, sizeof(good), sha, NULL);
	char hex[65], got[65];
	lg_hex(sha, 32, hex);
	/* the wrong checksum: the copy is not put in place */
	CHECK_INT(lg_quarantine_restore(&w, BAD, good, sizeof(good), wrong, NULL, &err), -EIO);
	CHECK_CONTAINS(err.msg, "does not read back as written");
	CHECK_INT(lg_fs_stat(v, BAD, NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_fs_stat(v, DIR_ "~lastgood-" RUN_ID "-C-00000291-00000000-00000032.sys", NULL, NULL, NULL), 0);

	struct lg_jwriter w2;
	begin(&w2, v, "20260102T000000Z-00q002");
	char q2[512];
	CHECK_INT(lg_quarantine(&w2, GOOD, NULL, q2, sizeof(q2), &err), 0);
	CHECK_INT(lg_quarantine_restore(&w2, GOOD, good, sizeof(good), sha,
				     json_pack("{s:s}", "bundle", "b.zip"), &err), 0);
	sha_of(v, GOOD, got);
	CHECK_STR(got, hex);
	CHECK_INT(lg_fs_stat(v, DIR_ "~lastgood-20260102T000000Z-00q002-C-00000291-00000000-00000033.sys",
			     NULL, NULL, NULL), -ENOENT);
	/* a taken path is never overwritten */
	CHECK_INT(lg_quarantine_restore(&w2, GOOD, good, sizeof(good), sha, NULL, &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "the path is taken");
	struct lg_journal *j = journal(v, "20260102T000000Z-00q002");
	CHECK(j && j->n_steps == 2);
	if (j && j->n_steps == 2) {
		CHECK_STR(j->steps[1].op, "restore");
		CHECK_INT(j->steps[1].state, LG_STEP_DONE);
		CHECK_STR(lg_step_str(&j->steps[1], "path"), GOOD);
		CHECK_STR(lg_step_str(&j->steps[1], "sha256"), hex);
		CHECK_STR(lg_step_str(&j->steps[1], "bundle"), "b.zip");
		CHECK_INT(json_integer_value(json_object_get(j->steps[1].rec, "size")), sizeof(good));
	}
	lg_journal_free(j);
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_discard_hibernation(void)
{
	struct lg_volume *v = open_copy("hibernated", LG_VOL_IGNORE_HIBER);
	struct lg_err err = { "" };
	struct lg_jwriter w;
	char head[8];
	CHECK_INT(lg_fs_pread(v, "hiberfil.sys", 0, head, 4), 4);
	CHECK_MEM(head, "HIBR", 4);
	begin(&w, v, RUN_ID);
	CHECK_INT(lg_discard_hibernation(&w, &err), 0);
	static const char zero[4096];
	char page[4096];
	CHECK_INT(lg_fs_pread(v, "hiberfil.sys", 0, page, sizeof(page)), sizeof(page));
	CHECK_MEM(page, zero, sizeof(page));
	struct lg_journal *j = journal(v, RUN_ID);
	CHECK(j && j->n_steps == 1);
	if (j && j->n_steps == 1) {
		CHECK_STR(j->steps[0].op, "hiberfile");
		CHECK_STR(lg_step_str(&j->steps[0], "signature"), "HIBR");
		CHECK_INT(j->steps[0].state, LG_STEP_DONE);
	}
	lg_journal_free(j);
	CHECK_INT(lg_volume_close(v), 0);
	/* no hiberfil.sys: an error, nothing journalled */
	v = open_copy("crowdstrike", 0);
	begin(&w, v, RUN_ID);
	CHECK(lg_discard_hibernation(&w, &err) < 0);
	CHECK_CONTAINS(err.msg, "hiberfil.sys");
	j = journal(v, RUN_ID);
	CHECK(j && j->n_steps == 0);
	lg_journal_free(j);
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_complete(void)
{
	struct lg_volume *v = open_copy("crowdstrike", 0);
	struct lg_err err = { "" };
	struct lg_jwriter w;
	unsigned seq;
	char q[512], before[65], after[65];
	sha_of(v, BAD, before);
	/* cut after the intent of a quarantine: completion makes the move */
	begin(&w, v, RUN_ID);
	CHECK_INT(lg_path_quarantined(q, sizeof(q), RUN_ID, BAD), 0);
	CHECK_INT(lg_jwriter_intent(&w, "quarantine", json_pack("{s:s, s:s}", "from", BAD, "to", q), &seq), 0);
	/* and a restore whose copy was written whole under its temporary name */
	static const char good[] = "the good one";
	unsigned char sha[32];
	char hex[65];
	lg_hash_buf(good, sizeof(good), sha, NULL);
	lg_hex(sha, 32, hex);
	const char *tmp = DIR_ "~lastgood-" RUN_ID "-C-00000291-00000000-00000032.sys";
	CHECK_INT(lg_jwriter_intent(&w, "restore", json_pack("{s:s, s:s, s:s}", "path", BAD, "tmp", tmp,
							     "sha256", hex), &seq), 0);
	CHECK_INT(lg_fs_create(v, tmp, good, sizeof(good)), 0);
	struct lg_journal *j = journal(v, RUN_ID);
	CHECK_INT(lg_quarantine_complete(v, j, &err), 0);
	lg_journal_free(j);
	sha_of(v, q, after);
	CHECK_STR(after, before);
	sha_of(v, BAD, after);
	CHECK_STR(after, hex);
	CHECK_INT(lg_fs_stat(v, tmp, NULL, NULL, NULL), -ENOENT);
	j = journal(v, RUN_ID);
	CHECK(j && j->ended && j->steps[0].state == LG_STEP_DONE && j->steps[1].state == LG_STEP_DONE);
	lg_journal_free(j);

	/* a half-written copy is set aside, never put in place */
	const char *run2 = "20260102T000000Z-00q003";
	begin(&w, v, run2);
	char tmp2[512], partial[600];
	snprintf(tmp2, sizeof(tmp2), DIR_ "~lastgood-%s-new.sys", run2);
	CHECK_INT(lg_jwriter_intent(&w, "restore", json_pack("{s:s, s:s, s:s}", "path", DIR_ "new.sys", "tmp", tmp2,
							     "sha256", hex), &seq), 0);
	CHECK_INT(lg_fs_create(v, tmp2, "the go", 6), 0);
	j = journal(v, run2);
	CHECK_INT(lg_quarantine_complete(v, j, &err), 0);
	lg_journal_free(j);
	CHECK_INT(lg_fs_stat(v, DIR_ "new.sys", NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_path_quarantined(partial, sizeof(partial), run2, tmp2), 0);
	strcat(partial, ".partial");
	CHECK_INT(lg_fs_stat(v, partial, NULL, NULL, NULL), 0);

	/* neither name there: an error naming both */
	const char *run3 = "20260102T000000Z-00q004";
	begin(&w, v, run3);
	CHECK_INT(lg_jwriter_intent(&w, "quarantine", json_pack("{s:s, s:s}", "from", "gone.sys", "to", "also-gone.sys"),
				    &seq), 0);
	j = journal(v, run3);
	CHECK_INT(lg_quarantine_complete(v, j, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "neither gone.sys nor also-gone.sys exists");
	lg_journal_free(j);
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_undo(void)
{
	struct lg_volume *v = open_copy("crowdstrike", 0);
	struct lg_err err = { "" };
	struct lg_jwriter w;
	char q[512], before[65], now[65], aside[512];
	sha_of(v, BAD, before);
	begin(&w, v, RUN_ID);
	CHECK_INT(lg_quarantine(&w, BAD, NULL, q, sizeof(q), &err), 0);
	static const char good[] = "replacement";
	unsigned char sha[32];
	lg_hash_buf(good, sizeof(good), sha, NULL);
	CHECK_INT(lg_quarantine_restore(&w, BAD, good, sizeof(good), sha, NULL, &err), 0);
	CHECK_INT(lg_jwriter_mark(&w, "end", 0), 0);

	json_t *results = json_array();
	struct lg_journal *j = journal(v, RUN_ID);
	CHECK_INT(lg_quarantine_undo(v, j, results, &err), 0);
	lg_journal_free(j);
	sha_of(v, BAD, now);
	CHECK_STR(now, before);
	CHECK_INT(lg_fs_stat(v, q, NULL, NULL, NULL), -ENOENT);
	CHECK_INT(lg_path_undone_restore(aside, sizeof(aside), RUN_ID, BAD), 0);
	CHECK_INT(lg_fs_stat(v, aside, NULL, NULL, NULL), 0);
	/* newest first: the restore, then the quarantine */
	CHECK_INT(json_array_size(results), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(results, 0), "result")), "restored copy set aside");
	CHECK_STR(json_string_value(json_object_get(json_array_get(results, 1), "result")), "moved back");
	json_decref(results);
	j = journal(v, RUN_ID);
	CHECK(j && j->undo_ended);
	lg_journal_free(j);

	/* the original path taken by another file since: undo refuses, nothing moves */
	const char *run2 = "20260102T000000Z-00q005";
	begin(&w, v, run2);
	CHECK_INT(lg_quarantine(&w, GOOD, NULL, q, sizeof(q), &err), 0);
	CHECK_INT(lg_jwriter_mark(&w, "end", 0), 0);
	CHECK_INT(lg_fs_create(v, GOOD, "newcomer", 8), 0);
	results = json_array();
	j = journal(v, run2);
	CHECK_INT(lg_quarantine_undo(v, j, results, &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "has been taken since by another file");
	lg_journal_free(j);
	CHECK_INT(json_array_size(results), 0);
	CHECK_INT(lg_fs_stat(v, q, NULL, NULL, NULL), 0);
	json_decref(results);
	CHECK_INT(lg_volume_close(v), 0);
}

int main(void)
{
	RUN(test_quarantine_move);
	RUN(test_restore);
	RUN(test_discard_hibernation);
	RUN(test_complete);
	RUN(test_undo);
	return t_done();
}
