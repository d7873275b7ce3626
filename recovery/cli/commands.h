/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entry points of the subcommands; each lives with its concern. Each takes
 * argv with argv[0] = the subcommand name and returns an LG_EXIT_* code. */
#ifndef LG_COMMANDS_H
#define LG_COMMANDS_H

int cmd_inspect(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_fix(int argc, char **argv);
int cmd_undo(int argc, char **argv);
int cmd_denylist(int argc, char **argv);
int cmd_pe(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
