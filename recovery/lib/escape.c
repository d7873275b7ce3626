// SPDX-License-Identifier: GPL-2.0-or-later
#include "lib/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t lg_escape_term(const char *in, size_t len, char *out, size_t cap, bool keep_lf)
{
	size_t o = 0;
	if (!cap)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char esc[8];
		size_t n;
		if (c == 0xc2 && i + 1 < len && (unsigned char)in[i + 1] >= 0x80 && (unsigned char)in[i + 1] <= 0x9f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)in[++i]);
		} else if ((c < 0x20 && !(c == '\n' && keep_lf) && c != '\t') || c == 0x7f) {
			n = c == '\n' ? 2 : c == '\r' ? 2 : (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
			if (c == '\n')
				memcpy(esc, "\\n", 3);
			else if (c == '\r')
				memcpy(esc, "\\r", 3);
		} else {
			esc[0] = (char)c;
			n = 1;
		}
		if (o + n >= cap)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = 0;
	return o;
}

char *lg_escape_term_dup(const char *in)
{
	if (!in)
		in = "(null)";
	size_t len = strlen(in), cap = len * 6 + 1;
	char *out = malloc(cap);
	if (out)
		lg_escape_term(in, len, out, cap, false);
	return out;
}
