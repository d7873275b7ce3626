// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood: one multi-call binary. As PID 1 it is the recovery image's
 * init; otherwise the first argument picks a subcommand (kmod's style).
 */
#include "cli/commands.h"
#include "lib/util.h"

#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "inspect", cmd_inspect, "list partitions, Windows installations, BitLocker volumes" },
	{ "scan", cmd_scan, "match a signed deny-list against Windows volumes, change nothing" },
	{ "fix", cmd_fix, "quarantine matches, restore known-good content, journal everything" },
	{ "undo", cmd_undo, "put back what a fix run changed (--run ID)" },
	{ "denylist", cmd_denylist, "verify or show a deny-list" },
	{ "pe", cmd_pe, "print PE identity: Authenticode hashes, version info, signatures" },
	{ "keys", cmd_keys, "export BitLocker keys as a tree a web server serves (keys export --tree)" },
	{ "serve", cmd_serve, "the fleet server: boot files, keys, plans, reports, fleet page" },
	{ "init", cmd_init, "run as the recovery image's init (PID 1)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lastgood COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun 'lastgood COMMAND --help' for the options of one command.\n"
		   "Exit codes: 0 done, 1 error, 2 usage, 3 matches found, 4 refused by a safety\n"
		   "policy, 5 deny-list rejected.\n");
}

int main(int argc, char **argv)
{
	if (getpid() == 1)
		return cmd_init(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return LG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return LG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("lastgood %s\n", LG_VERSION);
		return LG_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "lastgood: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return LG_EXIT_USAGE;
}
