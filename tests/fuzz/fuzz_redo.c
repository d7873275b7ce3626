// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the redo-area reader: the boot sector, MFT record 2
 * ($LogFile) and the redo header and records are read from the volume at
 * open, before anything else checks them. The input is a small "volume"
 * in a memfd, opened read-only (a pending group becomes an overlay); the
 * overlay must stay inside the volume.
 */
#include "storage/redo.h"

#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("vol", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t head = size < 3072 ? size : 3072;
	uint64_t vsize = (1u << 20) + 65536;
	if (ftruncate(fd, (off_t)vsize) < 0 || pwrite(fd, data, head, 0) != (ssize_t)head ||
	    (size > head && pwrite(fd, data + head, size - head, (512u << 10) + 512) != (ssize_t)(size - head))) {
		close(fd);
		return 0;
	}
	size = vsize;
	struct lg_redo *r = NULL;
	struct lg_err err = { "" };
	int e = lg_redo_open(fd, 0, size, false, &r, &err);
	if (e < 0 && !err.msg[0])
		abort();
	if (r) {
		unsigned char buf[512];
		for (uint64_t off = 0; off + sizeof(buf) <= size; off += sizeof(buf))
			lg_redo_overlay(r, buf, sizeof(buf), off);
		if (lg_redo_staged(r) && !lg_redo_replayed(r))
			abort(); /* a read-only open stages only a replayed group */
	}
	lg_redo_free(r);
	close(fd);
	return 0;
}
