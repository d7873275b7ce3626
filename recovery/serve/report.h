/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A PC's report as the fleet server takes it (POST /v1/reports,
 * docs/fleet-api.md): checked against the required keys and types, and
 * the few facts the fleet page shows pulled out. The body is hostile:
 * size-capped, parsed by jansson, every string length-capped.
 */
#ifndef LG_SERVE_REPORT_H
#define LG_SERVE_REPORT_H

#include "lib/util.h"

/* docs/fleet-api.md: a report body is at most 4 MiB. */
#define LG_FLEET_REPORT_MAX (4u << 20)

struct lg_fleet_report {
	char run_id[24];          /* YYYYMMDDTHHMMSSZ-hhhhhh */
	char mode[8];             /* scan, fix, undo */
	char machine[37];         /* product_uuid, lower case */
	char outcome[16];
	int exit_code;
	char computer_name[64];
	char serial[64];
	char model[128];          /* sys_vendor + product_name */
	char ip[48];
	char mac[24];
	long long matches;        /* summary.matches, -1 when absent */
	char keys_needed[256];    /* recovery key IDs, comma-separated */
	char crash[160];          /* "0x00000050 csagent.sys", "" without crashes */
	char finished[32];        /* as reported, or "" */
	char plan_mode[8];        /* plan.mode, or "" */
};

/* 0 with *out filled, or -EINVAL with err naming what did not validate
 * (a message safe to send back to the client), -EFBIG over the limit. */
int lg_fleet_report_check(const char *body, size_t len, struct lg_fleet_report *out,
			  struct lg_err *err);

/* A machine id as /v1/plan/ takes it: an SMBIOS UUID, written in lower
 * case into out. false when it is not one. */
bool lg_fleet_machine_id(const char *in, char out[37]);

#endif
