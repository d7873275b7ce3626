// SPDX-License-Identifier: GPL-2.0-or-later
/* GUIDs on disk and as text (guid.h). */
#include "lib/guid.h"
#include "lib/util.h"

void lg_guid_format(const unsigned char g[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

int lg_guid_parse(const char *s, size_t len, unsigned char out[16])
{
	if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
		s++;
		len -= 2;
	}
	if (len != 36)
		return -EINVAL;
	unsigned char b[16];
	size_t n = 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		int h = lg_hexval(s[i]), l = i + 1 < 36 ? lg_hexval(s[i + 1]) : -1;
		if (h < 0 || l < 0)
			return -EINVAL;
		b[n++] = (unsigned char)(h << 4 | l);
		i++;
	}
	/* Text is big-endian per field; the first three fields are stored
	 * little-endian on disk. */
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	for (int i = 0; i < 16; i++)
		out[i] = b[order[i]];
	return 0;
}

void lg_guid_recovery_key_id(const unsigned char guid[16], char out[9])
{
	snprintf(out, 9, "%02X%02X%02X%02X", guid[3], guid[2], guid[1], guid[0]);
}
