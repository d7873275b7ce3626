// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the BitLocker FVE metadata parser: the input is
 * one metadata block for lg_fve_parse(), and also a whole "partition"
 * for lg_bitlocker_probe() (boot sector, offsets, three copies, CRC
 * choice), read through a memfd as the engine reads a disk. Seeds: blocks
 * taken from the cryptsetup test images that Windows made, and small
 * volumes built around them. Besides not crashing, it checks what callers
 * rely on: only the documented results, a message with every error,
 * NUL-terminated strings, no more protectors than the array holds, and
 * JSON for every parsed volume.
 */
#include "storage/bitlocker.h"

#include <stdlib.h>
#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const struct lg_bitlocker_info *info)
{
	if (info->n_protectors > LG_BL_MAX_PROTECTORS)
		abort();
	if (!memchr(info->description, 0, sizeof(info->description)) ||
	    !memchr(info->volume_guid, 0, sizeof(info->volume_guid)))
		abort();
	for (size_t i = 0; i < info->n_protectors; i++) {
		const struct lg_bl_protector *p = &info->protectors[i];
		if (!memchr(p->name, 0, sizeof(p->name)) || strlen(p->id) != 36)
			abort();
		if (!lg_bl_kind_name(p->kind))
			abort();
	}
	json_t *j = lg_bitlocker_info_json(info);
	if (!j)
		abort();
	char *s = json_dumps(j, 0);
	if (!s)
		abort(); /* invalid UTF-8 from a description would fail here */
	free(s);
	json_decref(j);
	/* what inspect prints for people, from the same fields */
	for (size_t i = 0; i < info->n_protectors; i++)
		if (!lg_bl_kind_words(info->protectors[i].kind))
			abort();
	(void)lg_bl_unsupported_reason(info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_bitlocker_info info;
	struct lg_err err = { "" };
	memset(&info, 0, sizeof(info));
	int r = lg_fve_parse(data, size, &info, &err);
	if (r != 0 && r != -EBADMSG)
		abort();
	if (r < 0 && !err.msg[0])
		abort();
	if (r == 0)
		check_info(&info);

	int fd = memfd_create("fuzz-fve", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		r = lg_bitlocker_probe(fd, 0, size, &info);
		if (r != 0 && r != 1 && r != -EBADMSG)
			abort();
		if (r == 1)
			check_info(&info);
	}
	close(fd);
	return 0;
}
