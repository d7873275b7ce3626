// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the records PID 1 reads from its engine child
 * (boot/child.h): the child has just read hostile disks, so PID 1 takes
 * nothing it sends on trust. Input: the first byte picks how the stream
 * is cut into reads (1 to 256 bytes at a time), the rest is the stream.
 *
 * Besides not crashing, it checks that every record returned has a known
 * type and a length within its type's limit, that the bytes consumed plus
 * those pending equal the bytes fed, and that a broken reader stays
 * broken.
 */
#include "boot/child.h"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned char sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] + 1;
	data++;
	size--;
	struct lg_rec_reader rd = { 0 };
	size_t consumed = 0;
	bool broken = false;
	for (size_t off = 0; off < size && !broken; off += step) {
		size_t n = size - off < step ? size - off : step;
		if (lg_rec_feed(&rd, data + off, n) < 0)
			break;
		struct lg_rec rec;
		int r;
		while ((r = lg_rec_next(&rd, &rec)) > 0) {
			assert(rec.type == LG_REC_LOG || rec.type == LG_REC_STATE || rec.type == LG_REC_REPORT);
			assert(rec.type != LG_REC_LOG || rec.len <= LG_REC_LOG_MAX);
			assert(rec.type != LG_REC_STATE || rec.len == 1);
			assert(rec.len <= LG_REC_REPORT_MAX);
			/* the payload is readable */
			unsigned char sum = 0;
			for (size_t i = 0; i < rec.len; i++)
				sum ^= (unsigned char)rec.data[i];
			sink = sum;
			consumed += LG_REC_HDR + rec.len;
		}
		if (r < 0) {
			broken = true;
			struct lg_rec again;
			assert(lg_rec_next(&rd, &again) == -EPROTO);
		} else {
			assert(consumed + lg_rec_pending(&rd) == off + n);
		}
	}
	lg_rec_reader_free(&rd);
	return 0;
}
