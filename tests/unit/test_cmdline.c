// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recovery image's PID 1, its pure parts: the kernel command line
 * (docs/cmdline.md), the final screen's words from
 * exit codes and reports, and which block devices count as disks.
 */
#include "test.h"

#include "boot/coldplug.h"
#include "boot/cmdline.h"
#include "boot/verdict.h"

#include <sys/wait.h>

static void test_defaults(void)
{
	struct lg_init_opts o;
	struct lg_err err = { "" };
	lg_init_opts_default(&o);
	CHECK_INT(lg_cmdline_parse("BOOT_IMAGE=x console=ttyS0,115200 quiet", &o, &err), 0);
	CHECK_INT(o.mode, LG_MODE_FIX);
	CHECK(!o.poweroff && !o.reboot && !o.unattended);
	CHECK_STR(o.denylist, "");
	CHECK_INT(o.wait_s, LG_INIT_WAIT_DEFAULT);
	CHECK_INT(lg_cmdline_parse(NULL, &o, &err), 0);
	CHECK_INT(lg_cmdline_parse("", &o, &err), 0);
}

static void test_options(void)
{
	struct lg_init_opts o;
	struct lg_err err = { "" };
	lg_init_opts_default(&o);
	CHECK_INT(lg_cmdline_parse("quiet lastgood.mode=scan lastgood.poweroff=1 lastgood.reboot "
				   "lastgood.unattended=yes lastgood.denylist=/mnt/medium/lists/new.json "
				   "lastgood.wait=30 lastgood.discard_hibernation=1\n", &o, &err), 0);
	CHECK_INT(o.mode, LG_MODE_SCAN);
	CHECK(o.poweroff);
	CHECK(o.reboot);	/* without a value: true */
	CHECK(o.unattended);
	CHECK_STR(o.denylist, "/mnt/medium/lists/new.json");
	CHECK_INT(o.wait_s, 30);
	CHECK(o.discard_hibernation);

	/* the last occurrence wins, as for kernel parameters */
	CHECK_INT(lg_cmdline_parse("lastgood.mode=shell lastgood.poweroff=0 lastgood.mode=fix", &o, &err), 0);
	CHECK_INT(o.mode, LG_MODE_FIX);
	CHECK(!o.poweroff);

	/* quotes group words and are dropped */
	CHECK_INT(lg_cmdline_parse("\"lastgood.denylist=/mnt/medium/my lists/a.json\" x", &o, &err), 0);
	CHECK_STR(o.denylist, "/mnt/medium/my lists/a.json");

	/* not ours: lastgoodX, something.lastgood.mode */
	lg_init_opts_default(&o);
	CHECK_INT(lg_cmdline_parse("lastgoodmode=scan foo.lastgood.mode=scan", &o, &err), 0);
	CHECK_INT(o.mode, LG_MODE_FIX);
}

static void test_bad_values(void)
{
	struct lg_init_opts o;
	struct lg_err err = { "" };
	lg_init_opts_default(&o);

	/* a bad value keeps the default, says why, and the rest still applies */
	CHECK_INT(lg_cmdline_parse("lastgood.mode=delete lastgood.poweroff=1", &o, &err), -EINVAL);
	CHECK_INT(o.mode, LG_MODE_FIX);
	CHECK(o.poweroff);
	CHECK_CONTAINS(err.msg, "lastgood.mode=delete: expected fix, scan or shell (using fix)");

	CHECK_INT(lg_cmdline_parse("lastgood.poweroff=maybe", &o, &err), -EINVAL);
	CHECK(o.poweroff);
	CHECK_CONTAINS(err.msg, "lastgood.poweroff=maybe: expected 1 or 0");

	CHECK_INT(lg_cmdline_parse("lastgood.frobnicate=1", &o, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "unknown option lastgood.frobnicate");

	/* deny-list paths: absolute, no dot components, bounded */
	const char *bad[] = {
		"lastgood.denylist=relative.json", "lastgood.denylist=/mnt/medium/../etc/x.json",
		"lastgood.denylist=/mnt/./x.json", "lastgood.denylist=/mnt//x.json", "lastgood.denylist=",
		"lastgood.denylist", "lastgood.denylist=/mnt/medium/..",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lg_init_opts_default(&o);
		CHECK_INT(lg_cmdline_parse(bad[i], &o, &err), -EINVAL);
		CHECK_STR(o.denylist, "");
	}
	CHECK_CONTAINS(err.msg, "expected an absolute path");
	char longpath[400] = "lastgood.denylist=/";
	memset(longpath + 19, 'a', 300);
	longpath[319] = 0;
	CHECK_INT(lg_cmdline_parse(longpath, &o, &err), -EINVAL);
	CHECK_STR(o.denylist, "");
	/* ".." inside a name is fine */
	CHECK_INT(lg_cmdline_parse("lastgood.denylist=/mnt/medium/a..b.json", &o, &err), 0);
	CHECK_STR(o.denylist, "/mnt/medium/a..b.json");

	/* wait: 1..300 seconds, digits only */
	const char *badwait[] = { "lastgood.wait=0", "lastgood.wait=301", "lastgood.wait=5s", "lastgood.wait=-1",
				  "lastgood.wait=", "lastgood.wait=99999999999999999999" };
	for (size_t i = 0; i < sizeof(badwait) / sizeof(badwait[0]); i++) {
		lg_init_opts_default(&o);
		CHECK_INT(lg_cmdline_parse(badwait[i], &o, &err), -EINVAL);
		CHECK_INT(o.wait_s, LG_INIT_WAIT_DEFAULT);
	}

	/* an overlong word is ignored, not truncated into something else */
	char big[3000] = "lastgood.mode=";
	memset(big + 14, 's', 2000);
	big[2014] = 0;
	lg_init_opts_default(&o);
	CHECK_INT(lg_cmdline_parse(big, &o, &err), -EINVAL);
	CHECK_INT(o.mode, LG_MODE_FIX);
	CHECK_CONTAINS(err.msg, "too long");
}

/* The network options (docs/cmdline.md): checked as they are read, a bad
 * one never half-used. */
static void test_net_options(void)
{
	struct lg_init_opts o;
	struct lg_err err = { "" };
	lg_init_opts_default(&o);
	CHECK(o.net);
	CHECK_STR(o.server, "");
	CHECK_STR(o.syslog, "");
	CHECK_INT(lg_cmdline_parse("lastgood.server=https://Recovery.example.org:8443/lastgood/ lastgood.net=off "
				   "lastgood.syslog=udp://10.0.0.5", &o, &err), 0);
	CHECK_STR(o.server, "https://Recovery.example.org:8443/lastgood");
	CHECK(!o.net);
	CHECK_STR(o.syslog, "udp://10.0.0.5");
	CHECK(!o.syslog_target.tcp);
	CHECK_STR(o.syslog_target.host, "10.0.0.5");
	CHECK_INT(o.syslog_target.port, 514);
	CHECK_INT(lg_cmdline_parse("lastgood.net=on lastgood.syslog=tcp://logs.example.org:6514", &o, &err), 0);
	CHECK(o.net);
	CHECK(o.syslog_target.tcp);
	CHECK_INT(o.syslog_target.port, 6514);
	CHECK_INT(lg_cmdline_parse("lastgood.net", &o, &err), 0);
	CHECK(o.net);

	/* a bad value leaves the earlier one (or none) in place and says why */
	const char *bad_server[] = {
		"lastgood.server=http://recovery.example.org", "lastgood.server=https://user@host/x",
		"lastgood.server=https://host/x?y=1", "lastgood.server=https://host#f", "lastgood.server=",
		"lastgood.server", "lastgood.server=ftp://host",
	};
	for (size_t i = 0; i < sizeof(bad_server) / sizeof(bad_server[0]); i++) {
		lg_init_opts_default(&o);
		CHECK_INT(lg_cmdline_parse(bad_server[i], &o, &err), -EINVAL);
		CHECK_STR(o.server, "");
		CHECK_CONTAINS(err.msg, "lastgood.server=");
		CHECK_CONTAINS(err.msg, "(ignored)");
	}
	lg_init_opts_default(&o);
	CHECK_INT(lg_cmdline_parse("lastgood.server=https://a.example lastgood.server=http://b.example", &o, &err),
		  -EINVAL);
	CHECK_STR(o.server, "https://a.example");
	const char *bad_syslog[] = {
		"lastgood.syslog=10.0.0.5", "lastgood.syslog=udp://", "lastgood.syslog=udp://host:0",
		"lastgood.syslog=tcp://host:70000", "lastgood.syslog=udp://ho;st", "lastgood.syslog",
		"lastgood.syslog=https://host",
	};
	for (size_t i = 0; i < sizeof(bad_syslog) / sizeof(bad_syslog[0]); i++) {
		lg_init_opts_default(&o);
		CHECK_INT(lg_cmdline_parse(bad_syslog[i], &o, &err), -EINVAL);
		CHECK_STR(o.syslog, "");
		CHECK_CONTAINS(err.msg, "lastgood.syslog=");
	}
	lg_init_opts_default(&o);
	CHECK_INT(lg_cmdline_parse("lastgood.net=maybe", &o, &err), -EINVAL);
	CHECK(o.net);
	CHECK_CONTAINS(err.msg, "expected on or off");
}

static int exited(int code) { return W_EXITCODE(code, 0); }

/* A hibernated Windows: the screen says how to go on, including the
 * command-line word that discards the hibernated session. */
static void test_verdict_hibernated(void)
{
	const char report[] =
		"{\"summary\": {\"volumes\": 1, \"windows_volumes\": 1, \"matches\": 0},"
		" \"volumes\": [{\"status\": \"refused\", \"hibernation\": \"active\"}]}";
	struct lg_run_facts f;
	lg_run_facts_parse(report, strlen(report), &f);
	CHECK_INT(f.hibernated, 1);
	struct lg_verdict v;
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, W_EXITCODE(LG_EXIT_POLICY, 0), &f, &v);
	CHECK_CONTAINS(v.text, "lastgood.discard_hibernation=1");
	CHECK(!v.windows_should_start);
	/* refused for another reason (hibernation header not active): the general words */
	const char other[] = "{\"summary\": {}, \"volumes\": [{\"status\": \"refused\", \"hibernation\": \"inactive\"}]}";
	lg_run_facts_parse(other, strlen(other), &f);
	CHECK_INT(f.hibernated, 0);
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, W_EXITCODE(LG_EXIT_POLICY, 0), &f, &v);
	CHECK(!strstr(v.text, "discard_hibernation"));
}

/* A BitLocker volume that stayed locked: the final screen names the
 * recovery key IDs, not "no Windows". */
static void test_verdict_locked(void)
{
	const char report[] =
		"{\"summary\": {\"volumes\": 1, \"windows_volumes\": 0, \"matches\": 0},"
		" \"volumes\": [{\"status\": \"locked\", \"bitlocker\": {\"protectors\": ["
		"{\"type\": \"password\"}, {\"type\": \"recovery-password\", \"recovery_key_id\": \"64311DEA\"},"
		"{\"type\": \"recovery-password\", \"recovery_key_id\": \"1A2B3C4D\"},"
		"{\"recovery_key_id\": \"not an id, too long\"}]}}]}";
	struct lg_run_facts f;
	lg_run_facts_parse(report, strlen(report), &f);
	CHECK_INT(f.locked, 1);
	CHECK_STR(f.locked_ids, "64311DEA, 1A2B3C4D");
	struct lg_verdict v;
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, W_EXITCODE(LG_EXIT_POLICY, 0), &f, &v);
	CHECK_STR(v.title, "Windows is locked by BitLocker: recovery key ID 64311DEA, 1A2B3C4D needed");
	CHECK_CONTAINS(v.text, "\\lastgood\\keys.csv");
	CHECK(!v.windows_should_start);
	/* a Windows volume repaired beside one that stayed locked: both said */
	const char both[] =
		"{\"summary\": {\"volumes\": 2, \"windows_volumes\": 1, \"matches\": 1, \"quarantined\": 1},"
		" \"volumes\": [{\"status\": \"fixed\"}, {\"status\": \"locked\", \"bitlocker\": {\"protectors\": ["
		"{\"type\": \"recovery-password\", \"recovery_key_id\": \"83ABDB8F\"}]}}]}";
	lg_run_facts_parse(both, strlen(both), &f);
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, W_EXITCODE(LG_EXIT_POLICY, 0), &f, &v);
	CHECK_STR(v.title, "Done: 1 file moved to quarantine; a BitLocker volume stayed locked (recovery key ID 83ABDB8F)");
	CHECK_CONTAINS(v.text, "\\$LastGood\\quarantine");
	CHECK(v.windows_should_start);
	/* many volumes: the list stops before the buffer ends */
	struct lg_run_facts many = { .have = true, .locked = 1 };
	char big[4096] = "{\"summary\": {}, \"volumes\": [{\"status\": \"locked\", \"bitlocker\": {\"protectors\": [";
	for (int i = 0; i < 40; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "%s{\"recovery_key_id\": \"%08X\"}", i ? "," : "", i);
	strcat(big, "]}}]}");
	lg_run_facts_parse(big, strlen(big), &many);
	CHECK(strlen(many.locked_ids) < sizeof(many.locked_ids));
	CHECK(strncmp(many.locked_ids, "00000000, 00000001", 18) == 0);
}

/* The fleet server asked to roll back: the undo report's own words. */
static void test_verdict_undo(void)
{
	const char report[] =
		"{\"mode\": \"undo\", \"run_id\": \"20261205T101010Z-0a0b0c\", "
		"\"undo_run_id\": \"20261204T170211Z-3fa2c1\", \"summary\": {\"volumes\": 1, \"undone\": 1},"
		" \"volumes\": [{\"status\": \"undone\"}]}";
	struct lg_run_facts f;
	lg_run_facts_parse(report, strlen(report), &f);
	CHECK(f.undo);
	CHECK_INT(f.undone, 1);
	CHECK_STR(f.undo_run, "20261204T170211Z-3fa2c1");
	struct lg_verdict v;
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &f, &v);
	CHECK_STR(v.title, "Repair 20261204T170211Z-3fa2c1 undone, as the fleet server asked");
	CHECK(v.windows_should_start);
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(LG_EXIT_POLICY), &f, &v);
	CHECK_CONTAINS(v.title, "refused to undo repair 20261204T170211Z-3fa2c1");
	CHECK(!v.windows_should_start);
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(LG_EXIT_ERROR), &f, &v);
	CHECK_CONTAINS(v.title, "stopped with an error");
	/* the CLI's undo report (no undo_run_id): its run_id is the run undone */
	const char cli[] = "{\"mode\": \"undo\", \"run_id\": \"20261204T170211Z-3fa2c1\", \"summary\": {\"undone\": 0}}";
	lg_run_facts_parse(cli, strlen(cli), &f);
	CHECK_STR(f.undo_run, "20261204T170211Z-3fa2c1");
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &f, &v);
	CHECK_CONTAINS(v.title, "stopped with an error"); /* nothing undone is no success */
	/* a fix report is not an undo */
	const char fix[] = "{\"mode\": \"fix\", \"summary\": {\"windows_volumes\": 1}}";
	lg_run_facts_parse(fix, strlen(fix), &f);
	CHECK(!f.undo);
}

static void test_verdicts(void)
{
	struct lg_verdict v;
	struct lg_run_facts f = { .have = true, .windows_volumes = 1, .matches = 1, .quarantined = 1 };

	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &f, &v);
	CHECK_STR(v.title, "Done: 1 file moved to quarantine. Windows should now start");
	CHECK(v.windows_should_start);
	CHECK_CONTAINS(v.text, "nothing was deleted");

	f.quarantined = 3;
	f.restored = 1;
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &f, &v);
	CHECK_STR(v.title, "Done: 3 files moved to quarantine, known-good files restored. Windows should now start");

	/* a second run: the volume was already fixed with this serial */
	struct lg_run_facts again = { .have = true, .windows_volumes = 1, .matches = 0, .already_fixed = 1 };
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &again, &v);
	CHECK_CONTAINS(v.title, "Already repaired with this deny-list");
	CHECK(v.windows_should_start);

	struct lg_run_facts clean = { .have = true, .windows_volumes = 1 };
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &clean, &v);
	CHECK_CONTAINS(v.title, "Nothing on the deny-list was found");
	CHECK(!v.windows_should_start);

	struct lg_run_facts none = { .have = true, .windows_volumes = 0 };
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(0), &none, &v);
	CHECK_STR(v.title, "No Windows installation found");

	lg_init_verdict(LG_MODE_SCAN, LG_OUTCOME_ENGINE, exited(3), &f, &v);
	CHECK_STR(v.title, "Scan found 1 file on the deny-list: nothing was changed");
	CHECK(!v.windows_should_start);

	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(4), &f, &v);
	CHECK_CONTAINS(v.title, "refused");
	CHECK_CONTAINS(v.text, "BitLocker");
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(5), NULL, &v);
	CHECK_CONTAINS(v.title, "deny-list was rejected");
	CHECK_CONTAINS(v.text, "denylist.json.minisig");
	/* the engine failing (or not there yet) is an error screen, not success */
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, exited(1), NULL, &v);
	CHECK_STR(v.title, "lastgood stopped with an error");
	CHECK(!v.windows_should_start);
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_ENGINE, W_EXITCODE(0, 11), NULL, &v);
	CHECK_CONTAINS(v.title, "crash");

	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_NO_WINDOWS, 0, NULL, &v);
	CHECK_STR(v.title, "No Windows installation found");
	CHECK_CONTAINS(v.text, "changed nothing");
	lg_init_verdict(LG_MODE_FIX, LG_OUTCOME_NO_DENYLIST, 0, NULL, &v);
	CHECK_CONTAINS(v.title, "No valid deny-list");
	lg_init_verdict(LG_MODE_SHELL, LG_OUTCOME_NO_SHELL, 0, NULL, &v);
	CHECK_CONTAINS(v.text, "SHELL_BIN=");
}

static void test_facts(void)
{
	struct lg_run_facts f;
	const char report[] =
		"{\"run_id\": \"20260719T052700Z-3fa2c1\", \"mode\": \"fix\", "
		"\"summary\": {\"volumes\": 2, \"windows_volumes\": 1, \"matches\": 2, \"quarantined\": 2, "
		"\"restored\": 0, \"refused\": 0, \"failed\": 0}, "
		"\"volumes\": [{\"status\": \"fixed\"}, {\"status\": \"already-fixed\"}, {\"status\": 7}]}";
	lg_run_facts_parse(report, strlen(report), &f);
	CHECK(f.have);
	CHECK_INT(f.windows_volumes, 1);
	CHECK_INT(f.matches, 2);
	CHECK_INT(f.quarantined, 2);
	CHECK_INT(f.already_fixed, 1);

	lg_run_facts_parse("not json", 8, &f);
	CHECK(!f.have);
	lg_run_facts_parse(NULL, 0, &f);
	CHECK(!f.have);
	/* hostile counters: wrong types and negatives count as 0 */
	const char odd[] = "{\"summary\": {\"windows_volumes\": -5, \"matches\": \"3\"}, \"volumes\": 1}";
	lg_run_facts_parse(odd, strlen(odd), &f);
	CHECK(f.have);
	CHECK_INT(f.windows_volumes, 0);
	CHECK_INT(f.matches, 0);
	CHECK_INT(f.already_fixed, 0);
}

static void test_disk_names(void)
{
	const char *ok[] = { "sda", "sdz", "sdaa", "vda", "hda", "xvdb", "nvme0n1", "nvme12n3", "mmcblk0", "mmcblk10" };
	const char *no[] = { "sda1", "sd", "nvme0", "nvme0n1p1", "nvmen1", "mmcblk0p1", "mmcblk0boot0",
			     "mmcblk0rpmb", "loop0", "ram0", "zram0", "sr0", "dm-0", "md0", "nbd0", "", "sdA",
			     "sda/../x" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t_checks++;
		if (!lg_coldplug_disk_name_ok(ok[i]))
			T_FAIL_AT("'%s' refused as a disk", ok[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		t_checks++;
		if (lg_coldplug_disk_name_ok(no[i]))
			T_FAIL_AT("'%s' accepted as a disk", no[i]);
	}
	CHECK(lg_coldplug_disk_name_ok("sda"));
	CHECK(!lg_coldplug_disk_name_ok("sda1"));
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_options);
	RUN(test_bad_values);
	RUN(test_net_options);
	RUN(test_verdicts);
	RUN(test_verdict_locked);
	RUN(test_verdict_hibernated);
	RUN(test_verdict_undo);
	RUN(test_facts);
	RUN(test_disk_names);
	return t_done();
}
