/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small assertion header for the unit tests. Each test program is one
 * module's tests; it runs alone (`out/tests/unit/test_x`) and exits 0 when
 * every check held, 1 otherwise, 77 when it cannot run here (with a line
 * "SKIP: reason"). A failed check prints file, line, expected and actual.
 */
#ifndef LG_TEST_H
#define LG_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_checks;

#define T_FAIL_AT(...)                                                       \
	do {                                                                 \
		t_failures++;                                                \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);              \
		fprintf(stderr, __VA_ARGS__);                                \
		fputc('\n', stderr);                                         \
	} while (0)

#define CHECK(cond)                                                          \
	do {                                                                 \
		t_checks++;                                                  \
		if (!(cond))                                                 \
			T_FAIL_AT("check failed: %s", #cond);               \
	} while (0)

#define CHECK_INT(actual, expected)                                          \
	do {                                                                 \
		long long _a = (long long)(actual), _e = (long long)(expected); \
		t_checks++;                                                  \
		if (_a != _e)                                                \
			T_FAIL_AT("%s: expected %lld, got %lld", #actual, _e, _a); \
	} while (0)

#define CHECK_STR(actual, expected)                                          \
	do {                                                                 \
		const char *_a = (actual), *_e = (expected);                 \
		t_checks++;                                                  \
		if (!_a || !_e || strcmp(_a, _e))                            \
			T_FAIL_AT("%s: expected \"%s\", got \"%s\"", #actual, \
				  _e ? _e : "(null)", _a ? _a : "(null)");   \
	} while (0)

/* Substring check, for messages meant for people. */
#define CHECK_CONTAINS(haystack, needle)                                     \
	do {                                                                 \
		const char *_h = (haystack), *_n = (needle);                 \
		t_checks++;                                                  \
		if (!_h || !strstr(_h, _n))                                  \
			T_FAIL_AT("%s: expected to contain \"%s\", got \"%s\"", \
				  #haystack, _n, _h ? _h : "(null)");        \
	} while (0)

#define CHECK_MEM(actual, expected, n)                                       \
	do {                                                                 \
		t_checks++;                                                  \
		if (memcmp((actual), (expected), (n)))                       \
			T_FAIL_AT("%s: bytes differ from %s", #actual, #expected); \
	} while (0)

#define T_SKIP(...)                                                          \
	do {                                                                 \
		printf("SKIP: ");                                            \
		printf(__VA_ARGS__);                                         \
		putchar('\n');                                               \
		exit(77);                                                    \
	} while (0)

/* Run one test function, report it by name. */
#define RUN(fn)                                                              \
	do {                                                                 \
		int _before = t_failures;                                    \
		fn();                                                        \
		printf("%s %s\n", t_failures == _before ? "ok  " : "FAIL", #fn); \
	} while (0)

static inline int t_done(void)
{
	printf("%d checks, %d failed\n", t_checks, t_failures);
	if (t_checks == 0) {
		printf("no checks ran: a test must assert something\n");
		return 1;
	}
	return t_failures ? 1 : 0;
}

#endif
