// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the report writer: the facts of a volume come from
 * the disk (label, Windows folder name, partition names, BitLocker GUIDs),
 * so any bytes may reach the JSON report. The facts are built from the
 * input, written with lg_volinfo_json(), dumped as the CLI dumps reports,
 * read back, and must be equal: nothing written can be unreadable, and
 * nothing read back can differ from what was written; and the volume's
 * object always exists, whatever the bytes (else a volume the engine
 * changed could be missing from its report).
 */
#include "engine/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-separated string of the input (always terminated). */
static char *next_str(const uint8_t **p, size_t *left)
{
	size_t n = strnlen((const char *)*p, *left);
	char *s = strndup((const char *)*p, n);
	*p += n < *left ? n + 1 : n;
	*left -= n < *left ? n + 1 : n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16)
		return 0;
	struct lg_disk d = { 0 };
	struct lg_partition p = { 0 };
	struct lg_volinfo v = { 0 };
	memcpy(&p.offset, data, 8);
	memcpy(&v.serial, data + 8, 8);
	const uint8_t *q = data + 16;
	size_t left = size - 16;
	d.path = next_str(&q, &left);
	v.label = next_str(&q, &left);
	v.windows_dir = next_str(&q, &left);
	char *guid = next_str(&q, &left);
	snprintf(v.bl.volume_guid, sizeof(v.bl.volume_guid), "%s", guid);
	free(guid);
	v.disk = &d;
	v.part = &p;
	v.ntfs = left & 1;
	v.windows = left & 2;
	v.bitlocker = left & 4;
	v.dirty = left & 8;
	v.hiber = (enum lg_hiber)(left % 4);
	json_t *o = lg_volinfo_json(&v);
	if (!o)
		abort(); /* the volume would vanish from the report */
	{
		char *txt = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (!txt)
			abort();
		json_error_t e;
		json_t *back = json_loads(txt, JSON_REJECT_DUPLICATES, &e);
		if (!back || !json_equal(o, back))
			abort();
		json_decref(back);
		free(txt);
		json_decref(o);
	}
	free(d.path);
	free(v.label);
	free(v.windows_dir);
	return 0;
}
