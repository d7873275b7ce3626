// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * engine/inspect.h on the fixture disks: which partitions are volumes,
 * the facts that decide what a run may do (Windows, dirty, hibernated),
 * the problems of targets that cannot be read, and the JSON of it all.
 */
#include "fixture.h"

#include "storage/fsops.h"
#include "storage/volume.h"

#include <fcntl.h>

static struct lg_inventory *inventory(const char *const *fixtures, size_t n)
{
	struct lg_err err = { "" };
	char *targets[4];
	for (size_t i = 0; i < n; i++)
		targets[i] = (char *)fx_copy(fixtures[i]);
	struct lg_inventory *inv = NULL;
	if (lg_inventory_build(targets, n, &inv, &err) < 0)
		fprintf(stderr, "inventory: %s\n", err.msg);
	return inv;
}

static void test_windows_volume(void)
{
	const char *f[] = { "crowdstrike" };
	struct lg_inventory *inv = inventory(f, 1);
	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK_INT(inv->n_disks, 1);
	CHECK_INT(inv->n_problems, 0);
	/* the ESP (FAT) and the MSR are no volumes of lastgood's */
	CHECK_INT(inv->n_vols, 1);
	const struct lg_volinfo *vi = &inv->vols[0];
	CHECK(vi->disk == inv->disks[0]);
	CHECK_INT(vi->part->number, 3);
	CHECK(vi->ntfs && vi->windows && !vi->dirty && !vi->bitlocker);
	CHECK(vi->error == NULL);
	CHECK_STR(vi->windows_dir, "Windows");
	CHECK_STR(vi->label, "Windows");
	CHECK_INT(vi->hiber, LG_HIBER_NONE);
	CHECK_INT(vi->ntfs_major, 3);
	CHECK_INT(vi->ntfs_minor, 1);
	CHECK(vi->serial != 0);

	json_t *j = lg_volinfo_json(vi);
	CHECK_INT(json_integer_value(json_object_get(j, "partition")), 3);
	CHECK_INT(json_integer_value(json_object_get(j, "offset")), (long long)vi->part->offset);
	CHECK_STR(json_string_value(json_object_get(j, "filesystem")), "ntfs");
	CHECK_STR(json_string_value(json_object_get(j, "hibernation")), "none");
	CHECK_STR(json_string_value(json_object_get(j, "ntfs_version")), "3.1");
	CHECK_STR(json_string_value(json_object_get(j, "windows_dir")), "Windows");
	char serial[17];
	snprintf(serial, sizeof(serial), "%016llX", (unsigned long long)vi->serial);
	CHECK_STR(json_string_value(json_object_get(j, "serial")), serial);
	CHECK(json_is_false(json_object_get(j, "dirty")));
	json_decref(j);
	j = lg_inventory_json(inv);
	CHECK_INT(json_array_size(json_object_get(j, "disks")), 1);
	CHECK_INT(json_array_size(json_object_get(j, "volumes")), 1);
	json_t *d = json_array_get(json_object_get(j, "disks"), 0);
	CHECK_STR(json_string_value(json_object_get(d, "partition_table")), "gpt");
	CHECK_INT(json_array_size(json_object_get(d, "partitions")), 3);
	json_decref(j);
	lg_inventory_free(inv);
}

static void test_states(void)
{
	const char *f[] = { "hibernated", "dirty", "no-windows", "mbr" };
	struct lg_inventory *inv = inventory(f, 4);
	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK_INT(inv->n_disks, 4);
	/* in target order: hibernated, dirty, the data disk, then the MBR
	 * disk's "System Reserved" and Windows volumes */
	CHECK_INT(inv->n_vols, 5);
	if (inv->n_vols == 5) {
		CHECK_INT(inv->vols[0].hiber, LG_HIBER_ACTIVE);
		CHECK(inv->vols[0].windows && !inv->vols[0].dirty);
		CHECK(inv->vols[1].dirty && inv->vols[1].windows);
		CHECK_INT(inv->vols[1].hiber, LG_HIBER_NONE);
		CHECK(!inv->vols[2].windows);
		CHECK(inv->vols[2].windows_dir == NULL);
		CHECK_STR(inv->vols[2].label, "Data");
		CHECK(!inv->vols[3].windows);
		CHECK_STR(inv->vols[3].label, "System Reserved");
		CHECK(inv->vols[4].windows);
		CHECK(inv->vols[4].disk == inv->disks[3]);
		json_t *j = lg_volinfo_json(&inv->vols[0]);
		CHECK_STR(json_string_value(json_object_get(j, "hibernation")), "active");
		json_decref(j);
		j = lg_volinfo_json(&inv->vols[1]);
		CHECK(json_is_true(json_object_get(j, "dirty")));
		json_decref(j);
	}
	lg_inventory_free(inv);
	CHECK_STR(lg_hiber_name(LG_HIBER_NONE), "none");
	CHECK_STR(lg_hiber_name(LG_HIBER_INACTIVE), "inactive");
	CHECK_STR(lg_hiber_name(LG_HIBER_ACTIVE), "active");
	CHECK_STR(lg_hiber_name(LG_HIBER_WAKE), "resuming");
}

/* The hibernation header as found: "wake" is a resume in progress, a
 * cleared header an inactive file. */
static void set_hiber(const char *img, const char *head)
{
	struct lg_err err = { "" };
	struct lg_volume *v = NULL;
	CHECK_INT(lg_volume_open(img, 122683392, 144703488, LG_VOL_RW | LG_VOL_IGNORE_HIBER, &v, &err), 0);
	if (!v)
		return;
	CHECK_INT(lg_fs_pwrite(v, "hiberfil.sys", 0, head, 4), 0);
	CHECK_INT(lg_volume_close(v), 0);
}

static void test_hiber_states(void)
{
	const char *img = fx_copy("hibernated");
	struct lg_err err = { "" };
	char *targets[] = { (char *)img };
	static const struct { const char *head; enum lg_hiber want; } cases[] = {
		{ "wake", LG_HIBER_WAKE }, { "WAKE", LG_HIBER_WAKE }, { "hibr", LG_HIBER_ACTIVE },
		{ "\0\0\0\0", LG_HIBER_INACTIVE }, { "RSTR", LG_HIBER_INACTIVE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_hiber(img, cases[i].head);
		struct lg_inventory *inv = NULL;
		CHECK_INT(lg_inventory_build(targets, 1, &inv, &err), 0);
		if (inv && inv->n_vols == 1)
			CHECK_INT(inv->vols[0].hiber, cases[i].want);
		else
			CHECK(!"one volume");
		lg_inventory_free(inv);
	}
}

static void test_problems(void)
{
	struct lg_err err = { "" };
	struct lg_inventory *inv = (struct lg_inventory *)1;
	char *missing[] = { "/nonexistent/disk.img" };
	CHECK_INT(lg_inventory_build(missing, 1, &inv, &err), -ENOENT);
	CHECK(inv == NULL);
	CHECK_CONTAINS(err.msg, "/nonexistent/disk.img");
	/* a target of zeros: read, nothing recognised, said as a problem */
	const char *zero = fx_tmp("zero.img");
	CHECK_INT(fx_sh("truncate -s 4M '%s'", zero), 0);
	const char *cut = fx_copy_as("crowdstrike", "cut");
	CHECK_INT(truncate(cut, 200 << 20), 0);
	char *targets[] = { (char *)zero, (char *)cut };
	CHECK_INT(lg_inventory_build(targets, 2, &inv, &err), 0);
	if (inv) {
		CHECK_INT(inv->n_vols, 0);
		CHECK_INT(inv->n_problems, 2);
		if (inv->n_problems == 2) {
			CHECK_CONTAINS(inv->problems[0], "no partition table and no file system recognised");
			CHECK_CONTAINS(inv->problems[1], "does not fit the target");
		}
		lg_inventory_free(inv);
	}
	/* NTFS that libntfs-3g refuses ($MFTMirr differs from $MFT): a volume
	 * with its error, not a failure of the inventory */
	const char *bad = fx_copy_as("no-windows", "badmirr");
	int fd = open(bad, O_RDWR);
	unsigned char bs[512];
	CHECK(fd >= 0 && pread(fd, bs, sizeof(bs), 1 << 20) == (ssize_t)sizeof(bs));
	uint64_t cluster = (uint64_t)(bs[0x0b] | bs[0x0c] << 8) * bs[0x0d], lcn = 0;
	for (int i = 7; i >= 0; i--)
		lcn = lcn << 8 | bs[0x38 + i];
	CHECK(pwrite(fd, "garbage!", 8, (1 << 20) + (off_t)(lcn * cluster) + 0x100) == 8);
	close(fd);
	char *t2[] = { (char *)bad };
	CHECK_INT(lg_inventory_build(t2, 1, &inv, &err), 0);
	if (inv) {
		CHECK_INT(inv->n_vols, 1);
		CHECK_INT(inv->n_problems, 0);
		if (inv->n_vols == 1) {
			CHECK(!inv->vols[0].ntfs && !inv->vols[0].windows);
			CHECK_CONTAINS(inv->vols[0].error, "cannot open read-only");
			json_t *j = lg_volinfo_json(&inv->vols[0]);
			CHECK_CONTAINS(json_string_value(json_object_get(j, "error")), "cannot open read-only");
			json_decref(j);
		}
		lg_inventory_free(inv);
	}
	lg_inventory_free(NULL);
}

int main(void)
{
	RUN(test_windows_volume);
	RUN(test_states);
	RUN(test_hiber_states);
	RUN(test_problems);
	return t_done();
}
