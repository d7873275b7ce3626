// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/evidence.h"

#include "storage/fsops.h"
#include "engine/paths.h"

#include <jansson.h>
#include <archive.h>
#include <archive_entry.h>
#include <time.h>

#define EVIDENCE_FILE_MAX (1ull << 30)

static int add_file(struct archive *a, const char *name, const void *data, size_t len, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	int r = archive_write_header(a, e) == ARCHIVE_OK &&
		(len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len) ? 0 : -EIO;
	archive_entry_free(e);
	return r;
}

int lg_evidence_write(struct lg_volume *v, const char *dir, const char *volume_serial,
		      const char *run_id, char **path_out, struct lg_err *err)
{
	char mpath[256];
	(void)lg_path_manifest(mpath, sizeof(mpath), run_id);
	char *manifest = NULL;
	size_t mlen = 0;
	int r = lg_fs_read(v, mpath, 16u << 20, &manifest, &mlen);
	if (r < 0) {
		lg_err_set(err, "cannot read the run's manifest: %s", strerror(-r));
		return r;
	}
	json_t *mj = json_loadb(manifest, mlen, 0, NULL);
	char final[4096], tmp[4200];
	snprintf(final, sizeof(final), "%s/%s-%s.tar.gz", dir, volume_serial, run_id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", final);
	struct archive *a = archive_write_new();
	if (!a || !mj) {
		free(manifest);
		json_decref(mj);
		if (a)
			archive_write_free(a);
		return -ENOMEM;
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		lg_err_set(err, "cannot create %s: %s", tmp, archive_error_string(a));
		r = -EIO;
		goto out;
	}
	time_t now = time(NULL);
	r = add_file(a, "manifest.json", manifest, mlen, now);
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(mj, "files"), i, f) {
		const char *q = json_string_value(json_object_get(f, "quarantine_path"));
		const char *orig = json_string_value(json_object_get(f, "path"));
		if (r < 0 || !q || !orig)
			break;
		char *data = NULL;
		size_t len = 0;
		r = lg_fs_read(v, q, EVIDENCE_FILE_MAX, &data, &len);
		if (r < 0) {
			lg_err_set(err, "cannot read %s from the quarantine: %s", q, strerror(-r));
			break;
		}
		char name[4200];
		snprintf(name, sizeof(name), "files/%s", orig);
		r = add_file(a, name, data, len, now);
		free(data);
	}
	if (archive_write_close(a) != ARCHIVE_OK && r == 0) {
		lg_err_set(err, "cannot write %s: %s", tmp, archive_error_string(a));
		r = -EIO;
	}
	if (r == 0 && rename(tmp, final) < 0) {
		r = -errno;
		lg_err_set(err, "cannot rename %s: %s", tmp, strerror(errno));
	}
	if (r == 0)
		*path_out = strdup(final);
	else
		unlink(tmp);
	if (r < 0 && !err->msg[0])
		lg_err_set(err, "cannot write the evidence archive %s: %s", final, strerror(-r));
out:
	archive_write_free(a);
	json_decref(mj);
	free(manifest);
	return r;
}
