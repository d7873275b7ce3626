// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the UEFI stub's PE section lookup (efi/pesec.c):
 * the stub reads its own image, but the same code must never step outside
 * a buffer whatever the headers say. Each input is looked up for the
 * sections the stub needs, in both layouts; any section found must lie
 * inside the input. The newc writer gets the input as a file's content and
 * part of a name, and must produce an archive of exactly its predicted size.
 * The input is also a bek.txt from the network: every name the parser
 * accepts must pass the name check and be NUL-terminated in its slot.
 */
#include "../../efi/newc.h"
#include "../../efi/pesec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { ".linux", ".initrd", ".cmdline", ".sbat", ".version", ".text",
					     "", "12345678", "123456789" };
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (int layout = PE_LAYOUT_FILE; layout <= PE_LAYOUT_MEMORY; layout++) {
			size_t off = 0, n = 0;
			int r = pe_find_section(buf, size, (enum pe_layout)layout, names[i], &off, &n);
			if (r == 0 && (off > size || n > size - off))
				__builtin_trap();
			if (r != 0 && r != -1 && r != -2)
				__builtin_trap();
		}
	}

	char name[64];
	size_t nl = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, nl);
	name[nl] = 0;
	const struct newc_entry e[] = {
		{ "lastgood", 0040755, NULL, 0 },
		{ name, 0100644, buf, (uint32_t)size },
	};
	size_t want = newc_size(e, 2);
	if (want) {
		uint8_t *out = malloc(want);
		if (out && newc_write(e, 2, 0, out, want) != want)
			__builtin_trap();
		if (out && (memcmp(out, "070701", 6) || want % 4))
			__builtin_trap();
		free(out);
	}
	static struct bek_list list;
	size_t line = 0;
	enum bek_list_status st = bek_list_parse(data, size, &list, &line);
	if (st == BEK_LIST_OK) {
		if (list.n > BEK_LIST_MAX)
			__builtin_trap();
		for (unsigned i = 0; i < list.n; i++) {
			size_t l = strnlen(list.name[i], BEK_NAME_MAX + 1);
			if (l > BEK_NAME_MAX || !bek_name_ok(list.name[i], l))
				__builtin_trap();
		}
	} else if (list.n != 0) {
		__builtin_trap();
	}
	free(buf);
	return 0;
}
