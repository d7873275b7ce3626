// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for hive transaction log replay (formats/hivelog.c).
 * Input: one flag byte, four little-endian 32-bit lengths (primary, .LOG,
 * .LOG1, .LOG2, each cut to what is left), then the four files in turn.
 * Flag bit 0: before the call, give every base block a right checksum and
 * every HvLE entry right Marvin32 hashes, so that the fuzzer gets past
 * them and into the replay itself.
 *
 * Besides not crashing, it checks what the engine relies on: a recovered
 * hive is a clean primary file (signature, type 0, equal sequence
 * numbers, right checksum) whose hive bins data lies inside it and whose
 * sequence number is at most max_seq; a refusal returns nothing.
 */
#include "formats/hivelog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static void fix_up(uint8_t *b, size_t n, bool log)
{
	if (n >= 512 && !memcmp(b, "regf", 4))
		wr32(b + 508, lg_hivelog_checksum(b));
	if (!log)
		return;
	for (size_t p = 512; p + 40 <= n; p += 512) {
		if (memcmp(b + p, "HvLE", 4))
			continue;
		uint32_t sz = rd32(b + p + 4);
		if (sz < 40 || sz > n - p)
			continue;
		wr64(b + p + 24, lg_marvin32(b + p + 40, sz - 40, LG_HIVELOG_MARVIN_SEED));
		wr64(b + p + 32, lg_marvin32(b + p, 32, LG_HIVELOG_MARVIN_SEED));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 17)
		return 0;
	uint8_t flags = data[0];
	size_t len[4], off = 17;
	for (int i = 0; i < 4; i++) {
		len[i] = rd32(data + 1 + 4 * i);
		if (len[i] > size - off)
			len[i] = size - off;
		off += len[i];
	}
	uint8_t *f[4];
	off = 17;
	for (int i = 0; i < 4; i++) {
		f[i] = malloc(len[i] ? len[i] : 1);
		if (!f[i])
			abort();
		memcpy(f[i], data + off, len[i]);
		off += len[i];
		if (flags & 1)
			fix_up(f[i], len[i], i > 0);
	}
	struct lg_hivelog_buf logs[LG_HIVELOG_N];
	for (int i = 0; i < LG_HIVELOG_N; i++)
		logs[i] = (struct lg_hivelog_buf){ f[i + 1], len[i + 1] };
	unsigned char *out = NULL;
	size_t out_len = 0;
	struct lg_hivelog_result res;
	int rc = lg_hivelog_recover("SYSTEM", f[0], len[0], logs, &out, &out_len, &res);
	if (rc != 0 && rc != -EBADMSG && rc != -ENOTSUP && rc != -EFBIG && rc != -ENOMEM)
		abort();
	if (rc != 0 && (out || out_len || res.used || res.n_entries))
		abort();
	if (rc == -EBADMSG && (!res.dirty || !res.reason[0]))
		abort();
	if (rc == 0 && out) {
		if (!res.dirty || !res.used || !res.n_entries || out_len < 4096 + (size_t)rd32(out + 40))
			abort();
		if (memcmp(out, "regf", 4) || rd32(out + 28) != 0 || rd32(out + 4) != rd32(out + 8) ||
		    rd32(out + 508) != lg_hivelog_checksum(out) || rd32(out + 4) != res.seq || res.seq > res.max_seq)
			abort();
		if (memcmp(out + 4096, "hbin", 4))
			abort();
	}
	if (rc == 0 && !out && res.dirty)
		abort();
	free(out);
	for (int i = 0; i < 4; i++)
		free(f[i]);
	return 0;
}
