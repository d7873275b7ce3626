/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fleet view of a finished report (docs/report.md, docs/fleet-api.md):
 * "outcome" (one word), "keys_needed" (recovery key IDs of volumes that
 * stayed locked), "crashes" (every volume's crash dumps, with the index
 * of its volume) and machine.computer_name (from the first Windows volume
 * whose SYSTEM hive names one). lg_run() and lg_undo() add them to every
 * report; pure JSON work, unit-tested in tests/unit/test_outcome.c.
 */
#ifndef LG_OUTCOME_H
#define LG_OUTCOME_H

#include <jansson.h>

/* "fixed", "nothing-to-do", "locked", "refused", "failed", "no-windows",
 * "undone", "scanned". */
const char *lg_report_outcome(const json_t *report);

/* The report's "machine": hostname and, where the firmware says, sys_vendor,
 * product_name, product_serial, product_uuid (/sys/class/dmi/id). Every
 * report carries it (scan, fix, undo, and the recovery image's own when
 * the engine did not run). */
json_t *lg_report_machine(void);

/* Adds outcome, keys_needed, crashes and machine.computer_name. */
void lg_report_add_fleet_fields(json_t *report);

#endif
