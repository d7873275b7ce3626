// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Commands whose issue has not landed yet. Each says so and fails; the
 * file shrinks as the commands move to their modules.
 */
#include "commands.h"
#include "util.h"

static int pending(const char *name, int issue)
{
	fprintf(stderr, "lastgood %s: not implemented yet (issue %d)\n", name, issue);
	return LG_EXIT_ERROR;
}

int cmd_scan(int argc, char **argv) { return pending("scan", 4); }
int cmd_fix(int argc, char **argv) { return pending("fix", 4); }
int cmd_undo(int argc, char **argv) { return pending("undo", 4); }
int cmd_denylist(int argc, char **argv) { return pending("denylist", 3); }
int cmd_pe(int argc, char **argv) { return pending("pe", 6); }
int cmd_init(int argc, char **argv) { return pending("init", 5); }
