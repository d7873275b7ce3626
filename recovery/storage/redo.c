// SPDX-License-Identifier: GPL-2.0-or-later
#include "storage/redo.h"

#include "lib/le.h"

#include <zlib.h>

#define REDO_MAGIC "LGREDO01"
#define HDR_SIZE 4096u
#define REC_HDR 16u                  /* u64 offset, u32 length, u32 crc */
#define LOG_HEAD_KEEP (512u << 10)   /* the restart pages and then some stay untouched */
#define REDO_MAX (16u << 20)

struct lg_dev_faults lg_dev_faults;

struct stage {
	uint64_t off;
	uint32_t len;
	unsigned char *data;
};

struct lg_redo {
	int fd;
	uint64_t part_off, part_size;
	uint64_t area_off, area_len;     /* volume-relative */
	bool rw, staging, replayed, overflowed;
	struct stage *st;
	size_t n, cap;
	uint64_t bytes;
	uint64_t seq;
};

int lg_raw_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	lg_dev_faults.writes++;
	if (lg_dev_faults.drop_after && lg_dev_faults.writes > lg_dev_faults.drop_after)
		return 0; /* the power is gone: reported done, nothing lands */
	const char *p = buf;
	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int lg_raw_fsync(int fd)
{
	if (lg_dev_faults.drop_after && lg_dev_faults.writes > lg_dev_faults.drop_after)
		return 0;
	return fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
}

static int rd(struct lg_redo *r, void *buf, size_t len, uint64_t voff)
{
	if (!lg_in_bounds(voff, len, r->part_size))
		return -EINVAL;
	ssize_t got = pread(r->fd, buf, len, (off_t)(r->part_off + voff));
	return got == (ssize_t)len ? 0 : -EIO;
}

/* Find the $LogFile data runs from the boot sector and MFT record 2, and
 * choose the area: the longest run past the log's first LOG_HEAD_KEEP. */
static int locate(struct lg_redo *r)
{
	unsigned char bs[512];
	if (rd(r, bs, sizeof(bs), 0) < 0 || memcmp(bs + 3, "NTFS    ", 8))
		return -EINVAL;
	uint32_t bps = lg_le16(bs + 0x0b);
	uint8_t spc_raw = bs[0x0d];
	uint32_t spc = spc_raw <= 0x80 ? spc_raw : (256 - spc_raw <= 12 ? 1u << (256 - spc_raw) : 0);
	if (bps < 256 || bps > 4096 || (bps & (bps - 1)) || !spc || spc > 4096)
		return -EINVAL;
	uint64_t cs = (uint64_t)bps * spc;
	int8_t cpr = (int8_t)bs[0x40];
	uint64_t rec = cpr > 0 ? (uint64_t)cpr * cs : (cpr < 0 && cpr > -32 ? 1ull << -cpr : 0);
	uint64_t mft_lcn = lg_le64(bs + 0x30);
	if (rec < 512 || rec > 65536 || mft_lcn > r->part_size / cs)
		return -EINVAL;
	unsigned char *m = malloc(rec);
	if (!m)
		return -ENOMEM;
	int ret = -EINVAL;
	if (rd(r, m, rec, mft_lcn * cs + 2 * rec) < 0 || memcmp(m, "FILE", 4))
		goto out;
	/* Update sequence fixups: the last two bytes of each sector. */
	uint16_t usa_ofs = lg_le16(m + 4), usa_n = lg_le16(m + 6);
	if (usa_n < 2 || (uint64_t)(usa_n - 1) * bps != rec || !lg_in_bounds(usa_ofs, 2u * usa_n, rec))
		goto out;
	for (unsigned i = 1; i < usa_n; i++) {
		unsigned char *end = m + i * bps - 2;
		if (memcmp(end, m + usa_ofs, 2))
			goto out;
		memcpy(end, m + usa_ofs + 2 * i, 2);
	}
	uint32_t pos = lg_le16(m + 0x14);
	uint64_t best_v = 0, best_l = 0, best_n = 0;
	while (lg_in_bounds(pos, 16, rec)) {
		uint32_t type = lg_le32(m + pos), alen = lg_le32(m + pos + 4);
		if (type == 0xffffffffu || alen < 16 || !lg_in_bounds(pos, alen, rec))
			break;
		if (type == 0x80 && m[pos + 8] == 1 && m[pos + 9] == 0 && alen >= 0x40) {
			uint64_t vcn = lg_le64(m + pos + 0x10);
			uint32_t mp = lg_le16(m + pos + 0x20);
			int64_t lcn = 0;
			while (mp < alen && m[pos + mp]) {
				uint8_t h = m[pos + mp];
				unsigned ls = h & 15, os = h >> 4;
				if (!ls || ls > 8 || os > 8 || mp + 1u + ls + os > alen)
					goto out;
				uint64_t len = 0;
				for (unsigned i = 0; i < ls; i++)
					len |= (uint64_t)m[pos + mp + 1 + i] << 8 * i;
				int64_t delta = 0;
				for (unsigned i = 0; i < os; i++)
					delta |= (int64_t)((uint64_t)m[pos + mp + 1 + ls + i] << 8 * i);
				if (os && os < 8 && (m[pos + mp + ls + os] & 0x80))
					delta |= (int64_t)(~0ull << 8 * os); /* sign-extend a short offset */
				mp += 1 + ls + os;
				if (!os) { /* sparse: no area there */
					vcn += len;
					continue;
				}
				if (__builtin_add_overflow(lcn, delta, &lcn))
					goto out;
				if (lcn < 0 || (uint64_t)lcn > r->part_size / cs || len > r->part_size / cs)
					goto out;
				/* The usable part of this run starts at LOG_HEAD_KEEP. */
				uint64_t skip_v = LOG_HEAD_KEEP / cs;
				uint64_t first = vcn < skip_v ? skip_v - vcn : 0;
				if (first < len && len - first > best_n) {
					best_n = len - first;
					best_l = (uint64_t)lcn + first;
					best_v = vcn + first;
				}
				vcn += len;
			}
			break;
		}
		pos += alen;
	}
	(void)best_v;
	if (best_n * cs < HDR_SIZE + (64u << 10))
		goto out;
	r->area_off = best_l * cs;
	r->area_len = best_n * cs < REDO_MAX ? best_n * cs : REDO_MAX;
	if (!lg_in_bounds(r->area_off, r->area_len, r->part_size))
		goto out;
	ret = 0;
out:
	free(m);
	return ret;
}

static void clear_stage(struct lg_redo *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->st[i].data);
	r->n = 0;
	r->bytes = 0;
}

int lg_redo_stage(struct lg_redo *r, const void *buf, uint64_t len, uint64_t pos)
{
	while (len) {
		uint32_t piece = len > (1u << 30) ? 1u << 30 : (uint32_t)len;
		if (r->n == r->cap) {
			size_t nc = r->cap ? r->cap * 2 : 64;
			struct stage *ns = realloc(r->st, nc * sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			r->st = ns;
			r->cap = nc;
		}
		unsigned char *d = malloc(piece);
		if (!d)
			return -ENOMEM;
		memcpy(d, buf, piece);
		r->st[r->n++] = (struct stage){ pos, piece, d };
		r->bytes += piece;
		buf = (const char *)buf + piece;
		pos += piece;
		len -= piece;
	}
	return 0;
}

void lg_redo_overlay(const struct lg_redo *r, void *buf, uint64_t len, uint64_t pos)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct stage *s = &r->st[i];
		uint64_t a = s->off > pos ? s->off : pos;
		uint64_t b = s->off + s->len < pos + len ? s->off + s->len : pos + len;
		if (a < b)
			memcpy((char *)buf + (a - pos), s->data + (a - s->off), b - a);
	}
}

/* Make the writes in place and flush. */
static int apply(struct lg_redo *r)
{
	for (size_t i = 0; i < r->n; i++) {
		int e = lg_raw_pwrite(r->fd, r->st[i].data, r->st[i].len, r->part_off + r->st[i].off);
		if (e < 0)
			return e;
	}
	return lg_raw_fsync(r->fd);
}

static int wipe_header(struct lg_redo *r)
{
	unsigned char ff[HDR_SIZE];
	memset(ff, 0xff, sizeof(ff));
	int e = lg_raw_pwrite(r->fd, ff, sizeof(ff), r->part_off + r->area_off);
	return e < 0 ? e : lg_raw_fsync(r->fd);
}

uint64_t lg_redo_capacity(const struct lg_redo *r)
{
	return r ? r->area_len - HDR_SIZE : 0;
}

uint64_t lg_redo_staged(const struct lg_redo *r)
{
	return r ? r->bytes + r->n * REC_HDR : 0;
}

int lg_redo_commit(struct lg_redo *r)
{
	if (!r || !r->n)
		return 0;
	uint64_t total = r->bytes + r->n * REC_HDR;
	if (total > lg_redo_capacity(r)) {
		/* Too big for one group (callers keep groups small; this is the
		 * last resort): written directly, without the guarantee. */
		r->overflowed = true;
		int e = apply(r);
		clear_stage(r);
		return e;
	}
	/* 1. the group, record by record, into the area */
	unsigned char *buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	uint64_t p = 0;
	for (size_t i = 0; i < r->n; i++) {
		lg_put_le64(buf + p, r->st[i].off);
		lg_put_le32(buf + p + 8, r->st[i].len);
		lg_put_le32(buf + p + 12, (uint32_t)crc32(0, r->st[i].data, r->st[i].len));
		memcpy(buf + p + REC_HDR, r->st[i].data, r->st[i].len);
		p += REC_HDR + r->st[i].len;
	}
	int e = lg_raw_pwrite(r->fd, buf, total, r->part_off + r->area_off + HDR_SIZE);
	uint32_t pcrc = (uint32_t)crc32(0, buf, (uInt)total);
	free(buf);
	if (e < 0 || (e = lg_raw_fsync(r->fd)) < 0)
		return e;
	/* 2. the commit record */
	unsigned char h[HDR_SIZE];
	memset(h, 0xff, sizeof(h));
	memcpy(h, REDO_MAGIC, 8);
	lg_put_le64(h + 8, ++r->seq);
	lg_put_le64(h + 16, total);
	lg_put_le32(h + 24, (uint32_t)r->n);
	lg_put_le32(h + 28, pcrc);
	lg_put_le32(h + 32, (uint32_t)crc32(0, h, 32));
	if ((e = lg_raw_pwrite(r->fd, h, sizeof(h), r->part_off + r->area_off)) < 0 ||
	    (e = lg_raw_fsync(r->fd)) < 0)
		return e;
	/* 3. in place; 4. done */
	if ((e = apply(r)) < 0 || (e = wipe_header(r)) < 0)
		return e;
	clear_stage(r);
	return 0;
}

/* Read a committed group from the area into the stage. 1 found, 0 none. */
static int load_pending(struct lg_redo *r)
{
	unsigned char h[64];
	if (rd(r, h, sizeof(h), r->area_off) < 0)
		return -EIO;
	if (memcmp(h, REDO_MAGIC, 8) || lg_le32(h + 32) != (uint32_t)crc32(0, h, 32))
		return 0;
	uint64_t total = lg_le64(h + 16);
	uint32_t n = lg_le32(h + 24);
	if (total > r->area_len - HDR_SIZE || n > total / REC_HDR)
		return 0;
	unsigned char *buf = malloc(total ? total : 1);
	if (!buf)
		return -ENOMEM;
	int ret = 0;
	if (rd(r, buf, total, r->area_off + HDR_SIZE) < 0 || (uint32_t)crc32(0, buf, (uInt)total) != lg_le32(h + 28))
		goto out; /* not a complete commit: it never started in place */
	uint64_t p = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!lg_in_bounds(p, REC_HDR, total))
			goto bad;
		uint64_t off = lg_le64(buf + p);
		uint32_t len = lg_le32(buf + p + 8);
		if (!lg_in_bounds(p + REC_HDR, len, total) || !lg_in_bounds(off, len, r->part_size) ||
		    lg_le32(buf + p + 12) != (uint32_t)crc32(0, buf + p + REC_HDR, len))
			goto bad;
		if ((ret = lg_redo_stage(r, buf + p + REC_HDR, len, off)) < 0)
			goto out;
		p += REC_HDR + len;
	}
	r->seq = lg_le64(h + 8);
	ret = 1;
	goto out;
bad:
	clear_stage(r);
	ret = 0;
out:
	free(buf);
	return ret;
}

int lg_redo_open(int fd, uint64_t part_off, uint64_t part_size, bool rw, struct lg_redo **out,
		 struct lg_err *err)
{
	*out = NULL;
	struct lg_redo *r = lg_zalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->part_off = part_off;
	r->part_size = part_size;
	r->rw = rw;
	if (locate(r) < 0) {
		free(r);
		return 0;
	}
	int e = load_pending(r);
	if (e < 0) {
		lg_err_set(err, "cannot read the redo area of the volume: %s", strerror(-e));
		lg_redo_free(r);
		return e;
	}
	if (e == 1) {
		r->replayed = true;
		if (rw) {
			if ((e = apply(r)) < 0 || (e = wipe_header(r)) < 0) {
				lg_err_set(err, "cannot replay the changes an interrupted run committed: %s", strerror(-e));
				lg_redo_free(r);
				return e;
			}
			clear_stage(r);
		}
		/* read-only: the stage stays as an overlay for reads */
	}
	*out = r;
	return 0;
}

void lg_redo_begin(struct lg_redo *r)
{
	if (r && r->rw)
		r->staging = true;
}

bool lg_redo_staging(const struct lg_redo *r)
{
	return r && r->staging;
}

bool lg_redo_overflowed(const struct lg_redo *r)
{
	return r && r->overflowed;
}

bool lg_redo_replayed(const struct lg_redo *r)
{
	return r && r->replayed;
}

int lg_redo_wipe(struct lg_redo *r)
{
	if (!r || !r->rw)
		return 0;
	unsigned char *ff = malloc(1u << 16);
	if (!ff)
		return -ENOMEM;
	memset(ff, 0xff, 1u << 16);
	int e = 0;
	/* Header last: until it is wiped... it already is; order is free. */
	for (uint64_t p = 0; p < r->area_len && !e; p += 1u << 16) {
		uint64_t n = r->area_len - p < (1u << 16) ? r->area_len - p : 1u << 16;
		e = lg_raw_pwrite(r->fd, ff, n, r->part_off + r->area_off + p);
	}
	free(ff);
	return e < 0 ? e : lg_raw_fsync(r->fd);
}

void lg_redo_free(struct lg_redo *r)
{
	if (!r)
		return;
	clear_stage(r);
	free(r->st);
	free(r);
}
