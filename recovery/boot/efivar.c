// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UEFI variables through efivarfs (see efivar.h). Little-endian fields are
 * read byte by byte: variable data has no alignment guarantee.
 */
#include "boot/efivar.h"
#include "lib/le.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

static char ascii_of(uint16_t c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

int lg_load_option_parse(const void *buf, size_t len, struct lg_load_option *out, struct lg_err *err)
{
	const uint8_t *p = buf;
	memset(out, 0, sizeof(*out));
	if (!p || len < 6) {
		lg_err_set(err, "load option of %zu bytes is shorter than its 6-byte header", len);
		return -EBADMSG;
	}
	out->attributes = lg_le32(p);
	size_t dp_len = lg_le16(p + 4);
	size_t off = 6, o = 0;

	/* Description: UCS-2 up to and including a NUL that must exist. */
	for (;;) {
		if (!lg_in_bounds(off, 2, len)) {
			lg_err_set(err, "description runs past the end of the load option (%zu bytes)", len);
			return -EBADMSG;
		}
		uint16_t c = lg_le16(p + off);
		off += 2;
		if (!c)
			break;
		if (o + 1 < sizeof(out->description))
			out->description[o++] = ascii_of(c);
	}
	out->description[o] = 0;

	if (!lg_in_bounds(off, dp_len, len)) {
		lg_err_set(err, "device path list of %zu bytes at offset %zu runs past the end (%zu bytes)",
			   dp_len, off, len);
		return -EBADMSG;
	}
	const uint8_t *dp = p + off;
	size_t pos = 0, fo = 0;
	bool prev_file = false;
	while (pos < dp_len) {
		if (!lg_in_bounds(pos, 4, dp_len)) {
			lg_err_set(err, "device path node header at offset %zu is cut off", pos);
			return -EBADMSG;
		}
		uint8_t type = dp[pos], sub = dp[pos + 1];
		size_t nlen = lg_le16(dp + pos + 2);
		if (nlen < 4 || !lg_in_bounds(pos, nlen, dp_len)) {
			lg_err_set(err, "device path node at offset %zu has length %zu (list is %zu bytes)",
				   pos, nlen, dp_len);
			return -EBADMSG;
		}
		if (type == 0x7f)	/* end of this instance (0xff) or of all: only the first matters */
			break;
		if (type == 0x04 && sub == 0x04) {
			/* File path node: UCS-2 path, NUL-terminated within the
			 * node. Consecutive nodes are parts of one path. */
			if (prev_file && fo > 0 && out->file_path[fo - 1] != '\\' && fo + 1 < sizeof(out->file_path) &&
			    nlen >= 6 && lg_le16(dp + pos + 4) != '\\')
				out->file_path[fo++] = '\\';
			for (size_t i = 4; i + 1 < nlen; i += 2) {
				uint16_t c = lg_le16(dp + pos + i);
				if (!c)
					break;
				if (fo + 1 < sizeof(out->file_path))
					out->file_path[fo++] = c == '/' ? '\\' : ascii_of(c);
			}
			out->file_path[fo] = 0;
			prev_file = true;
		} else {
			prev_file = false;
		}
		pos += nlen;
	}
	return 0;
}

static int var_path(char *out, size_t cap, const char *dir, const char *name, const char *guid)
{
	int n = snprintf(out, cap, "%s/%s-%s", dir, name, guid);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int lg_efivar_read(const char *dir, const char *name, const char *guid, uint32_t *attrs,
		   uint8_t **data, size_t *len)
{
	char path[512];
	int r = var_path(path, sizeof(path), dir, name, guid);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = NULL;
	size_t n;
	r = lg_read_file(path, LG_EFI_VAR_MAX, &buf, &n);
	if (r < 0)
		return r;
	if (n < 4)
		return -EBADMSG;
	uint8_t *d = malloc(n - 4 + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, buf + 4, n - 4);
	if (attrs)
		*attrs = lg_le32((const uint8_t *)buf);
	*data = d;
	*len = n - 4;
	return 0;
}

int lg_efivar_write(const char *dir, const char *name, const char *guid, uint32_t attrs,
		    const void *data, size_t len)
{
	char path[512];
	int r = var_path(path, sizeof(path), dir, name, guid);
	if (r < 0)
		return r;
	if (len > LG_EFI_VAR_MAX)
		return -EFBIG;

	/* efivarfs marks existing variables immutable so that a stray rm
	 * cannot brick firmware; lift that for the one we replace. Plain
	 * file systems (tests) may not support the flags: not an error. */
	_cleanup_close_ int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (rfd >= 0) {
		int flags;
		if (ioctl(rfd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
			flags &= ~FS_IMMUTABLE_FL;
			if (ioctl(rfd, FS_IOC_SETFLAGS, &flags) < 0)
				return -errno;
		}
	}

	_cleanup_free_ uint8_t *buf = malloc(4 + len);
	if (!buf)
		return -ENOMEM;
	buf[0] = (uint8_t)attrs;
	buf[1] = (uint8_t)(attrs >> 8);
	buf[2] = (uint8_t)(attrs >> 16);
	buf[3] = (uint8_t)(attrs >> 24);
	memcpy(buf + 4, data, len);

	/* No O_TRUNC: efivarfs replaces the whole variable on each write,
	 * and does not implement truncation. */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, buf, 4 + len);
	if (w < 0)
		return -errno;
	if ((size_t)w != 4 + len)
		return -EIO;
	return 0;
}

int lg_efi_get_bootnext(const char *dir, uint16_t *num)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	int r = lg_efivar_read(dir, "BootNext", LG_EFI_GLOBAL_GUID, NULL, &d, &n);
	if (r < 0)
		return r;
	if (n != 2)
		return -EBADMSG;
	*num = lg_le16(d);
	return 0;
}

int lg_efi_set_bootnext(const char *dir, uint16_t num, struct lg_err *err)
{
	const uint8_t v[2] = { (uint8_t)num, (uint8_t)(num >> 8) };
	int r = lg_efivar_write(dir, "BootNext", LG_EFI_GLOBAL_GUID,
				LG_EFI_VAR_NON_VOLATILE | LG_EFI_VAR_BOOTSERVICE_ACCESS | LG_EFI_VAR_RUNTIME_ACCESS,
				v, sizeof(v));
	if (r < 0) {
		lg_err_set(err, "cannot write BootNext=Boot%04X in %s: %s", num, dir, strerror(-r));
		return r;
	}
	uint16_t back;
	r = lg_efi_get_bootnext(dir, &back);
	if (r < 0 || back != num) {
		lg_err_set(err, "BootNext reads back as %s after writing Boot%04X",
			   r < 0 ? strerror(-r) : "another entry", num);
		return r < 0 ? r : -EIO;
	}
	return 0;
}

static bool is_windows(const struct lg_load_option *o)
{
	return !strcasecmp(o->file_path, LG_EFI_WINDOWS_BOOTMGR);
}

/* 0 and *opt when Boot<num> is the Windows Boot Manager; -ENOENT otherwise. */
static int check_entry(const char *dir, uint16_t num, struct lg_load_option *opt)
{
	char name[16];
	snprintf(name, sizeof(name), "Boot%04X", num);
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	if (lg_efivar_read(dir, name, LG_EFI_GLOBAL_GUID, NULL, &d, &n) < 0)
		return -ENOENT;
	if (lg_load_option_parse(d, n, opt, NULL) < 0 || !is_windows(opt))
		return -ENOENT;
	return 0;
}

static int hex4(const char *s, uint16_t *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]) || islower((unsigned char)s[i]))
			return -EINVAL;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' : s[i] - 'A' + 10);
	}
	*out = (uint16_t)v;
	return 0;
}

/* Consider one candidate: keep the first active match, or else the first
 * inactive one. Returns true when the search can stop. */
static bool consider(const char *dir, uint16_t num, bool *found, bool *found_active, uint16_t *best,
		     struct lg_load_option *best_opt)
{
	struct lg_load_option o;
	if (check_entry(dir, num, &o) < 0)
		return false;
	bool active = (o.attributes & LG_LOAD_OPTION_ACTIVE) != 0;
	if (!*found || (active && !*found_active)) {
		*found = true;
		*found_active = active;
		*best = num;
		*best_opt = o;
	}
	return *found_active;
}

int lg_efi_find_windows(const char *dir, uint16_t *num, struct lg_load_option *opt, struct lg_err *err)
{
	bool found = false, active = false;
	uint16_t best = 0;
	struct lg_load_option best_opt;
	memset(&best_opt, 0, sizeof(best_opt));

	_cleanup_free_ uint8_t *order = NULL;
	size_t n = 0;
	if (lg_efivar_read(dir, "BootOrder", LG_EFI_GLOBAL_GUID, NULL, &order, &n) == 0) {
		for (size_t i = 0; i + 1 < n; i += 2)
			if (consider(dir, lg_le16(order + i), &found, &active, &best, &best_opt))
				goto done;
	}

	DIR *d = opendir(dir);
	if (!d) {
		int r = -errno;
		lg_err_set(err, "cannot list UEFI variables in %s: %s", dir, strerror(-r));
		return r;
	}
	/* Directory order is arbitrary: collect, then take the numbers in
	 * ascending order so the choice does not depend on it. */
	static const char suffix[] = "-" LG_EFI_GLOBAL_GUID;
	uint8_t seen[65536 / 8];
	memset(seen, 0, sizeof(seen));
	struct dirent *e;
	while ((e = readdir(d))) {
		uint16_t v;
		if (strlen(e->d_name) != 8 + sizeof(suffix) - 1 || strncmp(e->d_name, "Boot", 4) ||
		    strcmp(e->d_name + 8, suffix) || hex4(e->d_name + 4, &v) < 0)
			continue;
		seen[v / 8] |= (uint8_t)(1u << (v % 8));
	}
	closedir(d);
	for (uint32_t v = 0; v < 65536; v++)
		if ((seen[v / 8] & (1u << (v % 8))) &&
		    consider(dir, (uint16_t)v, &found, &active, &best, &best_opt))
			break;
done:
	if (!found) {
		lg_err_set(err, "no UEFI boot entry points to %s", LG_EFI_WINDOWS_BOOTMGR);
		return -ENOENT;
	}
	*num = best;
	if (opt)
		*opt = best_opt;
	return 0;
}

int lg_efivar_read_string(const char *dir, const char *name, const char *guid, char *out, size_t cap)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n, o = 0;
	if (!cap)
		return -EINVAL;
	int r = lg_efivar_read(dir, name, guid, NULL, &d, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t c = lg_le16(d + i);
		if (!c)
			break;
		if (c < 0x20 || c >= 0x7f)
			return -EBADMSG;
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = (char)tolower(c);
	}
	out[o] = 0;
	return 0;
}
