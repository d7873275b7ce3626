// SPDX-License-Identifier: GPL-2.0-or-later
#include "storage/links.h"

#include "lib/utf16.h"

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>

#define NAMES_READ 1024   /* $FILE_NAME attributes looked at in one record (Windows allows 1024 links) */
#define DIR_NAMES 16      /* of a folder, for its one long name */
#define PATH_CAP 4096

struct fname {
	u64 parent;       /* MFT reference of the folder, with its sequence number */
	u8 type;          /* FILE_NAME_POSIX, _WIN32, _DOS, _WIN32_AND_DOS */
	u8 len;
	ntfschar name[255];
};

/* The $FILE_NAME attributes of ni, copied out (at most max). Returns how
 * many; *bad (may be NULL) counts those too damaged to read. */
static int read_names(ntfs_inode *ni, struct fname *out, int max, size_t *bad)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -ENOMEM;
	int n = 0;
	while (n < max && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const ATTR_RECORD *a = ctx->attr;
		u32 alen = le32_to_cpu(a->length), vlen = le32_to_cpu(a->value_length);
		u16 voff = le16_to_cpu(a->value_offset);
		const FILE_NAME_ATTR *fn = (const FILE_NAME_ATTR *)((const u8 *)a + voff);
		if (a->non_resident || vlen < sizeof(FILE_NAME_ATTR) || voff > alen || vlen > alen - voff ||
		    !fn->file_name_length || sizeof(FILE_NAME_ATTR) + fn->file_name_length * 2u > vlen) {
			if (bad)
				(*bad)++;
			continue;
		}
		out[n].parent = le64_to_cpu(fn->parent_directory);
		out[n].type = fn->file_name_type;
		out[n].len = fn->file_name_length;
		memcpy(out[n].name, fn->file_name, fn->file_name_length * sizeof(ntfschar));
		n++;
	}
	ntfs_attr_put_search_ctx(ctx);
	return n;
}

/* A record by MFT reference, only if it still has that sequence number
 * (and, for want_dir, is a directory). */
static ntfs_inode *open_ref(ntfs_volume *vol, u64 ref, bool want_dir)
{
	ntfs_inode *ni = ntfs_inode_open(vol, MREF(ref));
	if (ni && (le16_to_cpu(ni->mrec->sequence_number) != MSEQNO(ref) ||
		   (want_dir && !(ni->mrec->flags & MFT_RECORD_IS_DIRECTORY)))) {
		ntfs_inode_close(ni);
		ni = NULL;
	}
	return ni;
}

/* A folder's own name: its first that is not an 8.3 spelling. */
static bool long_name(ntfs_inode *dir, struct fname *out)
{
	struct fname *v = malloc(DIR_NAMES * sizeof(*v));
	if (!v)
		return false;
	int n = read_names(dir, v, DIR_NAMES, NULL);
	bool found = false;
	for (int i = 0; i < n && !found; i++)
		if (v[i].type != FILE_NAME_DOS) {
			*out = v[i];
			found = true;
		}
	free(v);
	return found;
}

/* Put name in front of the path built so far (buf[*pos..]). */
static int prepend(char *buf, size_t *pos, const struct fname *f)
{
	char comp[3 * 255 + 1];
	bool lossy = false;
	size_t cl = lg_utf16_to_utf8((const uint16_t *)f->name, f->len, comp, &lossy);
	if (lossy || lg_volume_name_unusable(f->name, f->len))
		return -EILSEQ;
	bool first = buf[*pos] == 0;
	if (cl + !first > *pos)
		return -ENAMETOOLONG;
	if (!first)
		buf[--*pos] = '/';
	*pos -= cl;
	memcpy(buf + *pos, comp, cl);
	return 0;
}

/* The path of one name of the record `child`, each step up confirmed by
 * the folder's index: the name there leads to the record below. */
static int build_path(ntfs_volume *vol, u64 child, const struct fname *name, char **out)
{
	char buf[PATH_CAP];
	size_t pos = sizeof(buf) - 1;
	buf[pos] = 0;
	struct fname cur = *name;
	u64 below = child;
	for (int depth = 0; depth < LG_LINKS_DEPTH; depth++) {
		int r = prepend(buf, &pos, &cur);
		if (r < 0)
			return r;
		ntfs_inode *dir = open_ref(vol, cur.parent, true);
		if (!dir)
			return -ENOENT;
		bool holds = ntfs_inode_lookup_by_name(dir, cur.name, cur.len) == below;
		bool root = dir->mft_no == FILE_root;
		struct fname up;
		bool named = holds && !root && long_name(dir, &up);
		ntfs_inode_close(dir);
		if (!holds)
			return -ESTALE;
		if (root) {
			*out = strdup(buf + pos);
			return *out ? 0 : -ENOMEM;
		}
		if (!named)
			return -ENOENT;
		below = cur.parent;
		cur = up;
	}
	return -ELOOP;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void lg_links_free(struct lg_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

/* Sorted, each path once (a record may hold the same name twice). */
static void sort_unique(struct lg_links *l)
{
	if (l->n < 2)
		return;
	qsort(l->paths, l->n, sizeof(*l->paths), cmp_str);
	size_t w = 1;
	for (size_t i = 1; i < l->n; i++) {
		if (!strcmp(l->paths[i], l->paths[w - 1]))
			free(l->paths[i]);
		else
			l->paths[w++] = l->paths[i];
	}
	l->n = w;
}

static bool is_except(const struct fname *f, uint64_t parent, const ntfschar *name, size_t len)
{
	return name && MREF(f->parent) == MREF(parent) && f->len == len &&
	       !memcmp(f->name, name, len * sizeof(ntfschar));
}

int lg_links_read(struct lg_volume *v, uint64_t mref, uint64_t except_parent, const ntfschar *except_name,
		  size_t except_len, struct lg_links *out)
{
	memset(out, 0, sizeof(*out));
	ntfs_inode *ni = open_ref(v->vol, mref, false);
	if (!ni)
		return -ENOENT;
	struct fname *names = malloc(NAMES_READ * sizeof(*names));
	out->paths = calloc(LG_LINKS_MAX, sizeof(*out->paths));
	int n = names && out->paths ? read_names(ni, names, NAMES_READ, &out->unlisted) : -ENOMEM;
	ntfs_inode_close(ni);
	int r = n < 0 ? n : 0;
	for (int i = 0; i < n && r == 0; i++) {
		if (names[i].type == FILE_NAME_DOS || is_except(&names[i], except_parent, except_name, except_len))
			continue;
		char *p = NULL;
		int b = out->n < LG_LINKS_MAX ? build_path(v->vol, mref, &names[i], &p) : -E2BIG;
		if (b == -ENOMEM)
			r = b;
		else if (b < 0)
			out->unlisted++;
		else
			out->paths[out->n++] = p;
	}
	free(names);
	if (r < 0) {
		lg_links_free(out);
		return r;
	}
	sort_unique(out);
	return 0;
}
