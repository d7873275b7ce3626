/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The human summary of a run, written from its report (the engine never
 * prints): the CLI shows it on stderr, PID 1 on every console. Each line
 * goes to line(ctx, text), without a newline.
 */
#ifndef LG_TERM_SUMMARY_H
#define LG_TERM_SUMMARY_H

#include <jansson.h>

typedef void (*lg_line_fn)(void *ctx, const char *line);

/* A scan or fix report: the run, one line per volume and per match, totals. */
void lg_summary_run(const json_t *report, lg_line_fn line, void *ctx);

/* An undo report (lg_undo's): a line per volume and per step. */
void lg_summary_undo(const json_t *report, lg_line_fn line, void *ctx);

#endif
