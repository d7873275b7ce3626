/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recovery image's console: every line goes to each console the kernel
 * was given (console=tty0 console=ttyS0 ... : the screen and the serial
 * port both show everything, /dev/console alone is only the last one), and
 * to a log kept for the report on the boot medium. Lines for phases carry
 * the time since boot, so that runs can be timed from a captured log:
 *
 *   [   12.345] lastgood: ==> Loading storage drivers
 *
 * Not thread-safe; PID 1 is single-threaded.
 */
#ifndef LG_CONSOLE_H
#define LG_CONSOLE_H

#include "lib/util.h"

/* Seconds since boot (CLOCK_BOOTTIME). */
double lg_con_uptime(void);

/* Open the consoles listed in consoles_path (/proc/consoles) and make
 * /dev/console the standard input, output and error. Falls back to
 * /dev/console alone. Returns the number of consoles opened. */
int lg_con_open(const char *consoles_path);

/* Also copy everything to this file (created, appended). NULL stops. */
void lg_con_set_log(const char *path);

/* Raw bytes to every console and the log. */
void lg_con_write(const char *buf, size_t len);

/* A line (the newline is added), to every console and the log. */
__attribute__((format(printf, 1, 2))) void lg_con_printf(const char *fmt, ...);

/* A phase line: "[  uptime] lastgood: ==> text". Returns the uptime it printed. */
__attribute__((format(printf, 1, 2))) double lg_con_step(const char *fmt, ...);

/* Wait up to `seconds` for a key on any console, printing a countdown
 * line each second ("Restarting in N s ..."). Returns 1 when a key was
 * pressed, 0 when the time ran out. Puts the consoles in non-canonical
 * mode while waiting so that one key (not a line) is enough. */
int lg_con_countdown(int seconds, const char *what);

/* Read one line from any console (blocking); returns its first byte, or
 * -1 when no console can be read. */
int lg_con_read_key_line(void);

#endif
