// SPDX-License-Identifier: GPL-2.0-or-later
/* RFC 3339 times in UTC (rfc3339.h). */
#include "lib/rfc3339.h"
#include "lib/util.h"

#include <time.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Proleptic Gregorian calendar, day 0 = 1970-01-01. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool num(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int lg_rfc3339_parse(const char *s, int64_t *unix_s, int64_t *nt)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, m, sec;

	if (!s || strnlen(s, 20) < 20)
		return -EINVAL;
	if (!num(s, 4, &Y) || s[4] != '-' || !num(s + 5, 2, &M) || s[7] != '-' ||
	    !num(s + 8, 2, &D) || s[10] != 'T' || !num(s + 11, 2, &h) || s[13] != ':' ||
	    !num(s + 14, 2, &m) || s[16] != ':' || !num(s + 17, 2, &sec))
		return -EINVAL;
	const char *p = s + 19;
	int64_t frac = 0; /* 100 ns ticks */
	if (*p == '.') {
		int64_t scale = 1000000;
		int nd = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, nd++) {
			if (nd == 7)
				return -EINVAL; /* finer than NTFS can store */
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (nd == 0)
			return -EINVAL;
	}
	if (p[0] != 'Z' || p[1])
		return -EINVAL;
	if (Y < 1601 || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	if (D > mdays[M - 1] + (M == 2 && is_leap(Y)))
		return -EINVAL;
	int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec;
	if (unix_s)
		*unix_s = t;
	if (nt)
		*nt = lg_unix_to_nt(t) + frac;
	return 0;
}

void lg_rfc3339_format(int64_t unix_s, char out[LG_RFC3339_LEN])
{
	struct tm tm;
	time_t t = (time_t)unix_s;
	/* 1601-01-01 and 10000-01-01 */
	if (unix_s < -11644473600LL || unix_s >= 253402300800LL || !gmtime_r(&t, &tm) ||
	    !strftime(out, LG_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, LG_RFC3339_LEN, "@%lld", (long long)unix_s);
}

int lg_rfc3339_parse_arg(const char *s, int64_t *unix_s)
{
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || *end)
			return -EINVAL;
		*unix_s = v;
		return 0;
	}
	return lg_rfc3339_parse(s, unix_s, NULL);
}
