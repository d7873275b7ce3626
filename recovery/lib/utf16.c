// SPDX-License-Identifier: GPL-2.0-or-later
/* UTF-16LE to and from UTF-8 (utf16.h). */
#include "lib/utf16.h"
#include "lib/le.h"
#include "lib/util.h"

static inline bool is_high(uint32_t x) { return x >= 0xd800 && x <= 0xdbff; }
static inline bool is_low(uint32_t x) { return x >= 0xdc00 && x <= 0xdfff; }

/* One code point (at most U+10FFFF) as UTF-8 into o[4]; returns its length. */
static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t lg_utf16_to_utf8_buf(const void *src, size_t n, unsigned flags, char *out, size_t cap,
			    bool *lossy, bool *cut)
{
	const unsigned char *p = src;
	size_t o = 0;
	if (!cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = lg_le16(p + 2 * i), d;
		if (!c && (flags & LG_UTF16_STOP_NUL))
			break;
		if (flags & LG_UTF16_ASCII) {
			if (c >= 0x80)
				c = '?';
		} else if (is_high(c) && i + 1 < n && is_low(d = lg_le16(p + 2 * (i + 1)))) {
			c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
			i++;
		} else if (is_high(c) || is_low(c)) {
			c = 0xfffd;
			if (lossy)
				*lossy = true;
		}
		if ((flags & LG_UTF16_NO_CONTROL) && (c < 0x20 || (c >= 0x7f && c < 0xa0)))
			c = '?';
		char u[4];
		size_t k = put_utf8(u, c);
		if (o + k >= cap) {
			if (cut)
				*cut = true;
			break;
		}
		memcpy(out + o, u, k);
		o += k;
	}
	out[o] = 0;
	return o;
}

char *lg_utf16_to_utf8_dup(const void *p, size_t n, unsigned flags, size_t *len)
{
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *o = malloc(3 * n + 1);
	if (!o)
		return NULL;
	size_t l = lg_utf16_to_utf8_buf(p, n, flags, o, 3 * n + 1, NULL, NULL);
	if (len)
		*len = l;
	return o;
}

size_t lg_utf16_to_utf8(const uint16_t *s, size_t n, char *out, bool *lossy)
{
	return lg_utf16_to_utf8_buf(s, n, 0, out, 3 * n + 1, lossy, NULL);
}

int lg_utf8_to_utf16(const char *str, size_t n, uint16_t *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		unsigned c = s[i], need;
		if (c < 0x80) {
			cp = c;
			need = 0;
		} else if (c >= 0xc2 && c <= 0xdf) {
			cp = c & 0x1f;
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			cp = c & 0x0f;
			need = 2;
		} else if (c >= 0xf0 && c <= 0xf4) {
			cp = c & 0x07;
			need = 3;
		} else {
			return -EILSEQ;
		}
		if (need > n - i - 1)
			return -EILSEQ;
		for (unsigned k = 1; k <= need; k++) {
			unsigned cc = s[i + k];
			if ((cc & 0xc0) != 0x80)
				return -EILSEQ;
			cp = (cp << 6) | (cc & 0x3f);
		}
		/* Overlong forms, encoded surrogates, beyond Unicode. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return -EILSEQ;
		i += need + 1;
		if (cp >= 0x10000) {
			if (cap - o < 2)
				return -ENAMETOOLONG;
			cp -= 0x10000;
			lg_put_le16((unsigned char *)&out[o++], (uint16_t)(0xd800 | (cp >> 10)));
			lg_put_le16((unsigned char *)&out[o++], (uint16_t)(0xdc00 | (cp & 0x3ff)));
		} else {
			if (o >= cap)
				return -ENAMETOOLONG;
			lg_put_le16((unsigned char *)&out[o++], (uint16_t)cp);
		}
	}
	if (o > INT32_MAX)
		return -ENAMETOOLONG;
	return (int)o;
}
