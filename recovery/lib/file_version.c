// SPDX-License-Identifier: GPL-2.0-or-later
/* File versions a.b.c.d (file_version.h). */
#include "lib/file_version.h"
#include "lib/util.h"

/* Four numbers of at most 5 digits and 65535 each. Strict: "a.b.c.d" and
 * nothing else. Loose: blanks before, '.' or ',' with spaces around them,
 * and free text after a blank or '('. */
static int parse(const char *s, bool loose, uint64_t *out)
{
	uint64_t v = 0;
	while (loose && (*s == ' ' || *s == '\t'))
		s++;
	for (int part = 0; part < 4; part++) {
		if (part) {
			while (loose && *s == ' ')
				s++;
			if (*s != '.' && !(loose && *s == ','))
				return -EINVAL;
			s++;
			while (loose && *s == ' ')
				s++;
		}
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned long n = 0;
		for (int digits = 0; *s >= '0' && *s <= '9'; s++) {
			if (++digits > 5)
				return -EINVAL;
			n = n * 10 + (unsigned long)(*s - '0');
		}
		if (n > 65535)
			return -EINVAL;
		v = v << 16 | n;
	}
	if (*s && !(loose && (*s == ' ' || *s == '\t' || *s == '(')))
		return -EINVAL;
	*out = v;
	return 0;
}

int lg_file_version_parse(const char *s, uint64_t *out)
{
	return parse(s, false, out);
}

int lg_file_version_parse_loose(const char *s, uint64_t *out)
{
	return parse(s, true, out);
}

void lg_file_version_format(uint64_t v, char out[LG_FILE_VERSION_LEN])
{
	snprintf(out, LG_FILE_VERSION_LEN, "%u.%u.%u.%u", (unsigned)(v >> 48) & 0xffff,
		 (unsigned)(v >> 32) & 0xffff, (unsigned)(v >> 16) & 0xffff, (unsigned)v & 0xffff);
}
