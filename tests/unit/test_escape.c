// SPDX-License-Identifier: GPL-2.0-or-later
/* Console escaping of untrusted text (issue 16, finding 7). */
#include "test.h"

#include "lib/escape.h"

static void test_controls(void)
{
	char *s = lg_escape_term_dup("C-291\x1b[2J\a.sys\r\n0 matches\x7f");
	CHECK_STR(s, "C-291\\x1b[2J\\x07.sys\\r\\n0 matches\\x7f");
	free(s);
	s = lg_escape_term_dup("Windows\\System32 caf\xc3\xa9 \xc2\x9b" "1m");
	CHECK_STR(s, "Windows\\System32 caf\xc3\xa9 \\u009b1m");
	free(s);
	char buf[64];
	lg_escape_term("a\nb\x1b", 4, buf, sizeof(buf), true);
	CHECK_STR(buf, "a\nb\\x1b");
	lg_escape_term("\x1b\x1b\x1b", 3, buf, 9, false);
	CHECK_STR(buf, "\\x1b\\x1b");
}

int main(void)
{
	RUN(test_controls);
	return t_done();
}
