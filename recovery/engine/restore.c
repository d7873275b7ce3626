// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/restore.h"

#include "lib/hash.h"

#include <archive.h>
#include <archive_entry.h>

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* Entry names compare without a leading "./" or "/", separators either way. */
static bool same_entry(const char *a, const char *b)
{
	while (*a == '.' && (a[1] == '/' || a[1] == '\\'))
		a += 2;
	while (*a == '/' || *a == '\\')
		a++;
	while (*b == '/' || *b == '\\')
		b++;
	for (; *a && *b; a++, b++) {
		char x = *a == '\\' ? '/' : *a, y = *b == '\\' ? '/' : *b;
		if (x != y)
			return false;
	}
	return !*a && !*b;
}

static int read_entry(const char *bundle, const char *entry, void **data, size_t *len,
		      struct lg_err *err)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, bundle, 65536) != ARCHIVE_OK) {
		lg_err_set(err, "bundle %s: %s", bundle, archive_error_string(a));
		return -EINVAL;
	}
	struct archive_entry *ae;
	int r;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		if (!name || !same_entry(name, entry) || archive_entry_filetype(ae) != AE_IFREG)
			continue;
		la_int64_t sz = archive_entry_size(ae);
		if (sz < 0 || (uint64_t)sz > LG_RESTORE_MAX_BYTES) {
			lg_err_set(err, "bundle %s: entry %s is larger than %u MiB", bundle, entry,
				   LG_RESTORE_MAX_BYTES >> 20);
			return -EFBIG;
		}
		char *buf = malloc((size_t)sz ? (size_t)sz : 1);
		if (!buf)
			return -ENOMEM;
		la_ssize_t got = archive_read_data(a, buf, (size_t)sz);
		if (got != sz) {
			free(buf);
			lg_err_set(err, "bundle %s: entry %s is damaged or truncated", bundle, entry);
			return -EINVAL;
		}
		*data = buf;
		*len = (size_t)sz;
		return 0;
	}
	if (r != ARCHIVE_EOF) {
		lg_err_set(err, "bundle %s: %s", bundle, archive_error_string(a));
		return -EINVAL;
	}
	lg_err_set(err, "bundle %s has no entry %s", bundle, entry);
	return -ENOENT;
}

int lg_restore_fetch(const struct lg_restore *rs, const char *const *dirs, size_t n_dirs,
		     void **data, size_t *len, struct lg_err *err)
{
	*data = NULL;
	if (strchr(rs->bundle, '/') || strchr(rs->bundle, '\\') || !strcmp(rs->bundle, "..")) {
		lg_err_set(err, "bundle name %s has a directory part", rs->bundle);
		return -EINVAL;
	}
	for (size_t i = 0; i < n_dirs; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dirs[i], rs->bundle);
		if (access(path, R_OK) < 0)
			continue;
		void *buf = NULL;
		size_t n = 0;
		int r = read_entry(path, rs->entry, &buf, &n, err);
		if (r < 0)
			return r;
		unsigned char d[32];
		if ((r = lg_hash_buf(buf, n, d, NULL)) < 0) {
			free(buf);
			return r;
		}
		if (memcmp(d, rs->sha256, 32)) {
			char want[65], got[65];
			lg_hex(rs->sha256, 32, want);
			lg_hex(d, 32, got);
			free(buf);
			lg_err_set(err, "bundle %s: entry %s has sha256 %s, the deny-list says %s; not restored",
				   path, rs->entry, got, want);
			return -EBADMSG;
		}
		*data = buf;
		*len = n;
		return 0;
	}
	char where[1024] = "";
	for (size_t i = 0; i < n_dirs; i++) {
		strncat(where, i ? ", " : "", sizeof(where) - strlen(where) - 1);
		strncat(where, dirs[i], sizeof(where) - strlen(where) - 1);
	}
	lg_err_set(err, "restore bundle %s not found (looked in: %s); pass --bundle-dir", rs->bundle,
		   n_dirs ? where : "nowhere");
	return -ENOENT;
}
