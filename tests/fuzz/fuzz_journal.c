// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the journal reader: a journal on disk is input
 * too (a damaged or crafted volume). Besides not crashing: only the
 * documented errors, a message with each, and every step of a parsed
 * journal has an op and a positive seq; a journal that parses
 * re-serialises, line by line, into records that parse again.
 */
#include "engine/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	int r = lg_journal_parse((const char *)data, size, &j, &err);
	if (r < 0) {
		if ((r != -EBADMSG && r != -EFBIG && r != -ENOMEM) || !err.msg[0] || j)
			abort();
		return 0;
	}
	if (!j || !j->run_id || !j->begin)
		abort();
	for (size_t i = 0; i < j->n_steps; i++) {
		if (!j->steps[i].op || !j->steps[i].seq || !j->steps[i].rec)
			abort();
		char *line = lg_journal_line(j->steps[i].rec);
		if (!line)
			abort();
		json_t *back = json_loads(line, 0, NULL);
		if (!back || !json_equal(back, j->steps[i].rec))
			abort();
		json_decref(back);
		free(line);
	}
	lg_journal_free(j);
	return 0;
}
