/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File versions (VS_FIXEDFILEINFO): four numbers 0..65535 packed into 64
 * bits, a.b.c.d as LG_FILE_VERSION(a, b, c, d), so that integer order is
 * version order.
 */
#ifndef LG_FILE_VERSION_H
#define LG_FILE_VERSION_H

#include <stdint.h>

#define LG_FILE_VERSION(a, b, c, d) \
	(((uint64_t)(a) << 48) | ((uint64_t)(b) << 32) | ((uint64_t)(c) << 16) | (uint64_t)(d))

/* "a.b.c.d" (four decimal numbers 0..65535, nothing else) to the packed
 * form; -EINVAL otherwise. */
int lg_file_version_parse(const char *s, uint64_t *out);
/* The packed form as "a.b.c.d"; out holds LG_FILE_VERSION_LEN bytes. */
#define LG_FILE_VERSION_LEN 24
void lg_file_version_format(uint64_t v, char out[LG_FILE_VERSION_LEN]);
/* A file version as LOLDrivers writes it: four numbers separated by '.'
 * or ',' (with spaces: "1, 0, 0, 1"), maybe followed by free text after a
 * space or '(' ("10.0.19041.1 (WinBuild.160101.0800)"). Anything else,
 * fewer numbers included, is refused: guessing would widen the rule. */
int lg_file_version_parse_loose(const char *s, uint64_t *out);

#endif
