// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fleet interface's parsers (recovery/net/answer.c): server URLs, key
 * answers (JSON recovery password, .BEK bytes), plans, Retry-After. The
 * HTTPS client itself is tested against nginx in tests/host/65-fleet-keys.sh.
 */
#include "test.h"
#include "net/fleet.h"
#include "net/lease.h"
#include "net/session.h"
#include "engine/engine.h"
#include "formats/keys.h"
#include "lib/guid.h"
#include "lib/rfc3339.h"

#define GUID "4381F759-C4F8-4DE0-BB61-FC33A831BDA5"
#define RP "471207-278498-422125-177177-561902-537405-468006-432025"

static void test_server_check(void)
{
	char out[LG_FLEET_URL_MAX];
	struct lg_err err = { "" };
	CHECK_INT(lg_fleet_server_check("https://fleet.example.org/lastgood/", out, sizeof(out), &err), 0);
	CHECK_STR(out, "https://fleet.example.org/lastgood");
	CHECK_INT(lg_fleet_server_check("https://10.0.2.2:8443", out, sizeof(out), &err), 0);
	CHECK_STR(out, "https://10.0.2.2:8443");
	CHECK_INT(lg_fleet_server_check("https://[fd00::1]:443/x", out, sizeof(out), &err), 0);
	CHECK_INT(lg_fleet_server_check("http://fleet.example.org", out, sizeof(out), &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "HTTPS only");
	CHECK_INT(lg_fleet_server_check("https://user:pw@fleet.example.org", out, sizeof(out), &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "user information");
	CHECK_INT(lg_fleet_server_check("https://fleet.example.org/?a=b", out, sizeof(out), &err), -EINVAL);
	CHECK_INT(lg_fleet_server_check("https://fleet.example.org:99999", out, sizeof(out), &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "port");
	CHECK_INT(lg_fleet_server_check("https://fleet.example.org:0", out, sizeof(out), &err), -EINVAL);
	CHECK_INT(lg_fleet_server_check("https://:443", out, sizeof(out), &err), -EINVAL);
	CHECK_INT(lg_fleet_server_check("https://", out, sizeof(out), &err), -EINVAL);
	CHECK_INT(lg_fleet_server_check("https://h/a/../b", out, sizeof(out), &err), -EINVAL);
	CHECK_INT(lg_fleet_server_check("https://h/a b", out, sizeof(out), &err), -EINVAL);
	CHECK_INT(lg_fleet_server_check("", out, sizeof(out), &err), -EINVAL);
}

static void test_key_path(void)
{
	unsigned char g[16];
	CHECK_INT(lg_guid_parse(GUID, strlen(GUID), g), 0);
	char path[64];
	lg_fleet_key_path(g, path);
	CHECK_STR(path, "v1/keys/" GUID);
}

static void test_key_json(void)
{
	unsigned char g[16], other[16];
	lg_guid_parse(GUID, strlen(GUID), g);
	lg_guid_parse("aa80a52b-9b66-47ae-b097-33f536ffbb07", 36, other);
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	const char *ok = "{\"protector_id\": \"" GUID "\", \"recovery_password\": \"" RP "\"}\n";
	CHECK_INT(lg_fleet_parse_key("application/json", (const unsigned char *)ok, strlen(ok), g, kr, &err), 1);
	const struct lg_key *k = lg_keyring_find(kr, LG_KEY_RECOVERY_PASSWORD, g);
	CHECK(k != NULL);
	if (k) {
		CHECK_STR(k->password, RP);
		CHECK_STR(k->source, "server key 4381f759-c4f8-4de0-bb61-fc33a831bda5");
	}
	/* again: already there; no Content-Type, body starts with '{' */
	CHECK_INT(lg_fleet_parse_key(NULL, (const unsigned char *)ok, strlen(ok), g, kr, &err), 0);
	/* an answer for another protector than asked */
	CHECK_INT(lg_fleet_parse_key("application/json", (const unsigned char *)ok, strlen(ok), other, kr, &err),
		  -EBADMSG);
	CHECK_CONTAINS(err.msg, "names another protector_id");
	/* a wrong password: the message names the group, never the password */
	const char *bad = "{\"protector_id\": \"" GUID "\", \"recovery_password\": \"471207-278498-422125-177177-561902-537405-468006-432026\"}";
	struct lg_keyring *kr2 = lg_keyring_new();
	CHECK_INT(lg_fleet_parse_key("application/json; charset=utf-8", (const unsigned char *)bad, strlen(bad), g,
				     kr2, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "group 8");
	CHECK(!strstr(err.msg, "471207"));
	CHECK_INT(kr2->n, 0);
	/* not JSON, not an object, no password */
	CHECK_INT(lg_fleet_parse_key("application/json", (const unsigned char *)"{nope", 5, g, kr2, &err), -EBADMSG);
	CHECK_INT(lg_fleet_parse_key("application/json", (const unsigned char *)"[1]", 3, g, kr2, &err), -EBADMSG);
	const char *nopw = "{\"protector_id\": \"" GUID "\"}";
	CHECK_INT(lg_fleet_parse_key("application/json", (const unsigned char *)nopw, strlen(nopw), g, kr2, &err),
		  -EBADMSG);
	CHECK_CONTAINS(err.msg, "no recovery_password");
	CHECK_INT(lg_fleet_parse_key("application/json", (const unsigned char *)"", 0, g, kr2, &err), -EBADMSG);
	CHECK_INT(kr2->n, 0);
	lg_keyring_free(kr2);
	lg_keyring_free(kr);
}

/* A .BEK as Windows writes one (as in test_keys.c). */
static size_t make_bek(unsigned char *b, const unsigned char g[16])
{
	memset(b, 0, 256);
	size_t o = 48;
	b[4] = 1;
	b[8] = 48;
	memcpy(b + 16, g, 16);
	size_t entry = o;
	b[o + 2] = 6, b[o + 4] = 9, b[o + 6] = 1;
	memcpy(b + o + 8, g, 16);
	o += 8 + 24;
	b[o] = 44, b[o + 4] = 1, b[o + 6] = 1, b[o + 8] = 0x02, b[o + 9] = 0x20;
	for (int i = 0; i < 32; i++)
		b[o + 12 + i] = (unsigned char)(0xa0 + i);
	o += 44;
	b[entry] = (unsigned char)(o - entry);
	b[0] = (unsigned char)o;
	b[12] = (unsigned char)o;
	return o;
}

static void test_key_bek(void)
{
	unsigned char g[16], other[16], b[256];
	lg_guid_parse(GUID, strlen(GUID), g);
	lg_guid_parse("aa80a52b-9b66-47ae-b097-33f536ffbb07", 36, other);
	size_t n = make_bek(b, g);
	struct lg_keyring *kr = lg_keyring_new();
	struct lg_err err = { "" };
	CHECK_INT(lg_fleet_parse_key("application/octet-stream", b, n, g, kr, &err), 1);
	const struct lg_key *k = lg_keyring_find(kr, LG_KEY_STARTUP_KEY, g);
	CHECK(k && k->bek_len == n && !memcmp(k->bek, b, n));
	/* the startup key of another protector is refused and not kept */
	n = make_bek(b, other);
	CHECK_INT(lg_fleet_parse_key("application/octet-stream", b, n, g, kr, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "startup key of aa80a52b");
	CHECK_INT(kr->n, 1);
	/* junk bytes */
	CHECK_INT(lg_fleet_parse_key("application/octet-stream", (const unsigned char *)"\x01\x02\x03", 3, g, kr, &err),
		  -EBADMSG);
	CHECK_INT(kr->n, 1);
	/* larger than the interface allows */
	unsigned char *big = calloc(1, LG_FLEET_KEY_MAX + 1);
	CHECK_INT(lg_fleet_parse_key(NULL, big, LG_FLEET_KEY_MAX + 1, g, kr, &err), -EBADMSG);
	free(big);
	lg_keyring_free(kr);
}

static void test_plan(void)
{
	struct lg_fleet_plan p;
	struct lg_err err = { "" };
	const char *fix = "{\"mode\": \"fix\", \"reason\": \"ring 1 promoted\"}";
	CHECK_INT(lg_fleet_parse_plan(fix, strlen(fix), &p, &err), 0);
	CHECK_INT(p.mode, LG_PLAN_FIX);
	CHECK_STR(p.reason, "ring 1 promoted");
	const char *scan = "{\"mode\": \"scan\", \"reason\": \"paused by alice\\n\\u001b[2J at 17:02\"}";
	CHECK_INT(lg_fleet_parse_plan(scan, strlen(scan), &p, &err), 0);
	CHECK_INT(p.mode, LG_PLAN_SCAN);
	CHECK_STR(p.reason, "paused by alice[2J at 17:02"); /* control characters dropped */
	const char *undo = "{\"mode\": \"undo\", \"run_id\": \"20261204T170211Z-3fa2c1\", \"reason\": \"rollback\"}";
	CHECK_INT(lg_fleet_parse_plan(undo, strlen(undo), &p, &err), 0);
	CHECK_INT(p.mode, LG_PLAN_UNDO);
	CHECK_STR(p.run_id, "20261204T170211Z-3fa2c1");
	const char *undo_bad = "{\"mode\": \"undo\", \"run_id\": \"../../etc\"}";
	CHECK_INT(lg_fleet_parse_plan(undo_bad, strlen(undo_bad), &p, &err), -EBADMSG);
	CHECK_INT(p.mode, LG_PLAN_NONE);
	const char *more = "{\"mode\": \"fix-everything\"}";
	CHECK_INT(lg_fleet_parse_plan(more, strlen(more), &p, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "not fix, scan or undo");
	CHECK_INT(lg_fleet_parse_plan("[]", 2, &p, &err), -EBADMSG);
	CHECK_INT(lg_fleet_parse_plan("{\"mode\": \"scan\", \"mode\": \"fix\"}", 32, &p, &err), -EBADMSG);
	CHECK(lg_fleet_run_id_valid("20260719T052700Z-3fa2c1"));
	CHECK(!lg_fleet_run_id_valid("20260719T052700Z-3FA2C1"));
	CHECK(!lg_fleet_run_id_valid("20260719T052700Z-3fa2c"));
}

static void test_retry_after(void)
{
	CHECK_INT(lg_fleet_retry_after(" 7"), 7);
	CHECK_INT(lg_fleet_retry_after("0"), 0);
	CHECK_INT(lg_fleet_retry_after("99999999999999999999"), LG_FLEET_RETRY_AFTER_MAX);
	CHECK_INT(lg_fleet_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
	CHECK_INT(lg_fleet_retry_after("5x"), -1);
	CHECK_INT(lg_fleet_retry_after(NULL), -1);
}

/* A DHCP ACK as QEMU's user network sends one to 10.0.2.15. */
static size_t make_ack(unsigned char *b, size_t cap)
{
	memset(b, 0, cap);
	b[0] = 2, b[1] = 1, b[2] = 6;
	memcpy(b + 16, "\x0a\x00\x02\x0f", 4);
	memcpy(b + 20, "\x0a\x00\x02\x02", 4);
	memcpy(b + 28, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(b + 236, "\x63\x82\x53\x63", 4);
	static const unsigned char opt[] = { 53, 1, 5, 0, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2,
					     6, 8, 10, 0, 2, 3, 1, 1, 1, 1, 15, 9, 'l', 'a', 'b', '.', 'l', 'o', 'c', 'a', 0x07, 255 };
	memcpy(b + 240, opt, sizeof(opt));
	return 1472;
}

static void test_lease(void)
{
	unsigned char ack[1472];
	size_t n = make_ack(ack, sizeof(ack));
	struct lg_lease l;
	struct lg_err err = { "" };
	const char *st = "ip=10.0.2.15\nmask=255.255.255.0\n";
	CHECK_INT(lg_lease_parse(st, strlen(st), ack, n, &l, &err), 0);
	CHECK_MEM(l.ip, "\x0a\x00\x02\x0f", 4);
	CHECK_INT(l.prefix, 24);
	CHECK(l.have_gateway);
	CHECK_MEM(l.gateway, "\x0a\x00\x02\x02", 4);
	CHECK_INT(l.n_dns, 2);
	CHECK_MEM(l.dns[0], "\x0a\x00\x02\x03", 4);
	CHECK_MEM(l.server, "\x0a\x00\x02\x02", 4);
	CHECK(l.have_mac);
	char mac[18];
	lg_mac_format(l.mac, mac);
	CHECK_STR(mac, "52:54:00:12:34:56");
	CHECK_STR(l.domain, "lab.loca"); /* the control byte is dropped */
	/* the station's address wins; without it, yiaddr */
	const char *st2 = "ip=192.168.7.9\r\nmask=255.255.0.0\r\n";
	CHECK_INT(lg_lease_parse(st2, strlen(st2), ack, n, &l, &err), 0);
	CHECK_MEM(l.ip, "\xc0\xa8\x07\x09", 4);
	CHECK_INT(l.prefix, 16);
	CHECK_INT(lg_lease_parse(NULL, 0, ack, n, &l, &err), 0);
	CHECK_INT(l.prefix, 24);
	/* broken inputs */
	CHECK_INT(lg_lease_parse("ip=10.0.2.300\nmask=255.255.255.0\n", 33, ack, n, &l, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "not A.B.C.D");
	const char *holes = "ip=10.0.2.15\nmask=255.0.255.0\n";
	CHECK_INT(lg_lease_parse(holes, strlen(holes), ack, n, &l, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "not usable");
	const char *junk = "ip=10.0.2.15\nmask=255.255.255.0\nrm -rf /\n";
	CHECK_INT(lg_lease_parse(junk, strlen(junk), ack, n, &l, &err), -EINVAL);
	ack[236] = 0;
	CHECK_INT(lg_lease_parse(st, strlen(st), ack, n, &l, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "magic cookie");
	CHECK_INT(lg_lease_parse(st, strlen(st), ack, 100, &l, &err), -EINVAL);
	/* options running past the end are cut, not read */
	n = make_ack(ack, sizeof(ack));
	ack[240 + 36] = 6, ack[240 + 37] = 200;
	CHECK_INT(lg_lease_parse(st, strlen(st), ack, 240 + 40, &l, &err), 0);
}

/* What udhcpc handed media/udhcpc.script, as PID 1 reads it back. */
static void test_lease_udhcpc(void)
{
	struct lg_lease l;
	struct lg_err err = { "" };
	const char *good = "ip=10.0.2.15\nsubnet=255.255.255.0\nrouter=10.0.2.2 10.0.2.1\n"
			   "dns=10.0.2.3 10.0.2.4 10.0.2.5 10.0.2.6\ndomain=lab.example;reboot\nserverid=10.0.2.2\n"
			   "lease=86400\n";
	CHECK_INT(lg_lease_parse_udhcpc(good, strlen(good), &l, &err), 0);
	CHECK_MEM(l.ip, "\x0a\x00\x02\x0f", 4);
	CHECK_INT(l.prefix, 24);
	CHECK(l.have_gateway);
	CHECK_MEM(l.gateway, "\x0a\x00\x02\x02", 4); /* the first router */
	CHECK_INT(l.n_dns, 3);                          /* at most LG_LEASE_MAX_DNS */
	CHECK_MEM(l.dns[2], "\x0a\x00\x02\x05", 4);
	CHECK_MEM(l.server, "\x0a\x00\x02\x02", 4);
	CHECK_STR(l.domain, "lab.examplereboot");     /* only name characters */
	CHECK(!l.have_mac);
	/* empty router and dns: none, no error */
	const char *bare = "ip=192.168.1.20\nsubnet=255.255.0.0\nrouter=\ndns=\n";
	CHECK_INT(lg_lease_parse_udhcpc(bare, strlen(bare), &l, &err), 0);
	CHECK(!l.have_gateway);
	CHECK_INT(l.n_dns, 0);
	CHECK_INT(l.prefix, 16);
	/* refused */
	const char *bad[][2] = {
		{ "subnet=255.255.255.0\n", "no address" },
		{ "ip=\nsubnet=255.255.255.0\n", "no address" },
		{ "ip=10.0.2.15\n", "no subnet mask" },
		{ "ip=10.0.2.15\nsubnet=255.0.255.0\n", "not usable" },
		{ "ip=10.0.2.15\nsubnet=255.255.255.0\nip=10.0.2.16\n", "ip given twice" },
		{ "ip=10.0.2.15 \nsubnet=255.255.255.0\n", "ip is not an address" },
		{ "ip=10.0.2.15\nsubnet=255.255.255.0\nrouter=10.0.2.2 gw\n", "router is not an address" },
		{ "ip=10.0.2.15\nsubnet=255.255.255.0\ndns=1.2.3.4.5\n", "dns is not an address" },
		{ "ip=239.1.1.1\nsubnet=255.255.255.0\n", "not usable" },
		{ "ip=0.1.2.3\nsubnet=255.255.255.0\n", "no address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = 0;
		CHECK_INT(lg_lease_parse_udhcpc(bad[i][0], strlen(bad[i][0]), &l, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, bad[i][1]);
	}
	CHECK_INT(lg_lease_parse_udhcpc(NULL, 0, &l, &err), -EINVAL);
	/* no newline at the end, other keys ignored */
	const char *last = "message=hello\nsubnet=255.255.255.128\nip=10.1.1.5";
	CHECK_INT(lg_lease_parse_udhcpc(last, strlen(last), &l, &err), 0);
	CHECK_INT(l.prefix, 25);
}

/* The server can only ask for less than the image would do. */
static void test_plan_decide(void)
{
	struct lg_plan_choice c;
	struct lg_fleet_plan p = { .mode = LG_PLAN_SCAN, .reason = "paused by alice" };
	lg_plan_decide(true, 0, &p, NULL, &c);
	CHECK_INT(c.mode, LG_PLAN_SCAN);
	CHECK_STR(c.source, "server");
	CHECK_STR(c.reason, "paused by alice");
	p = (struct lg_fleet_plan){ .mode = LG_PLAN_FIX, .reason = "ring 1" };
	lg_plan_decide(false, 0, &p, NULL, &c);
	CHECK_INT(c.mode, LG_PLAN_SCAN); /* never more than the image */
	CHECK_STR(c.source, "image");
	CHECK_CONTAINS(c.reason, "only scans");
	lg_plan_decide(true, 0, &p, NULL, &c);
	CHECK_INT(c.mode, LG_PLAN_FIX);
	CHECK_STR(c.source, "server");
	p = (struct lg_fleet_plan){ .mode = LG_PLAN_UNDO, .run_id = "20261204T170211Z-3fa2c1", .reason = "rollback" };
	lg_plan_decide(false, 0, &p, NULL, &c);
	CHECK_INT(c.mode, LG_PLAN_SCAN); /* undo changes the disk: not from a scan-only image */
	CHECK_STR(c.source, "image");
	CHECK_CONTAINS(c.reason, "asked for undo, but this image only scans");
	lg_plan_decide(true, 0, &p, NULL, &c);
	CHECK_INT(c.mode, LG_PLAN_UNDO);
	CHECK_STR(c.run_id, "20261204T170211Z-3fa2c1");
	json_t *j = lg_plan_json(&c);
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR(s, "{\"mode\":\"undo\",\"reason\":\"rollback\",\"run_id\":\"20261204T170211Z-3fa2c1\",\"source\":\"server\"}");
	free(s);
	json_decref(j);
	json_t *rep = json_pack("{s:{s:s}}", "machine", "product_uuid", "x");
	lg_report_add_network(rep, "52:54:00:12:34:56", "10.0.2.15", &c);
	CHECK_STR(json_string_value(json_object_get(json_object_get(rep, "machine"), "mac")), "52:54:00:12:34:56");
	CHECK_STR(json_string_value(json_object_get(json_object_get(rep, "machine"), "ip")), "10.0.2.15");
	CHECK_STR(json_string_value(json_object_get(json_object_get(rep, "plan"), "source")), "server");
	json_decref(rep);
	lg_plan_decide(true, -ECONNREFUSED, NULL, "https://10.0.2.2:8443: Connection refused", &c);
	CHECK_INT(c.mode, LG_PLAN_FIX);
	CHECK_STR(c.source, "image");
	CHECK_CONTAINS(c.reason, "Connection refused");
	lg_plan_decide(false, -ENOENT, NULL, NULL, &c);
	CHECK_INT(c.mode, LG_PLAN_SCAN);
	CHECK_STR(c.reason, "the server has no plan for this PC");
	p = (struct lg_fleet_plan){ .mode = LG_PLAN_NONE };
	lg_plan_decide(true, -EBADMSG, &p, "the plan's mode \"format\" is not fix, scan or undo", &c);
	CHECK_INT(c.mode, LG_PLAN_FIX);
	CHECK_CONTAINS(c.reason, "is not fix, scan or undo");
}

/* PID 1's own report when the engine did not run, and an undo report's
 * own run id: what docs/fleet-api.md requires of every report. */
static void test_report_bare_and_undo(void)
{
	json_t *m = json_pack("{s:s}", "product_uuid", "4c4c4544-0042-3510-8052-b4c04f564433");
	json_t *r = lg_report_bare("20261204T170211Z-3fa2c1", "fix", LG_EXIT_OK, "no NTFS or BitLocker volume on any disk",
				   m);
	CHECK(r != NULL);
	CHECK_STR(json_string_value(json_object_get(r, "run_id")), "20261204T170211Z-3fa2c1");
	CHECK_STR(json_string_value(json_object_get(r, "mode")), "fix");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "machine"), "product_uuid")),
		  "4c4c4544-0042-3510-8052-b4c04f564433");
	CHECK(json_is_array(json_object_get(r, "volumes")) && json_array_size(json_object_get(r, "volumes")) == 0);
	CHECK(json_is_object(json_object_get(r, "summary")));
	CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "summary"), "matches")), 0);
	/* the summary lg_run() writes, every counter at 0 */
	char *sum = json_dumps(json_object_get(r, "summary"), JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(sum, "{\"failed\":0,\"matches\":0,\"quarantined\":0,\"refused\":0,\"restored\":0,\"volumes\":0,"
		  "\"windows_volumes\":0}");
	free(sum);
	int64_t finished = 0;
	CHECK_INT(lg_rfc3339_parse(json_string_value(json_object_get(r, "finished")), &finished, NULL), 0);
	CHECK(finished > 1700000000);
	CHECK_STR(json_string_value(json_object_get(r, "note")), "no NTFS or BitLocker volume on any disk");
	CHECK(json_is_integer(json_object_get(r, "exit_code")));
	CHECK_STR(json_string_value(json_object_get(r, "outcome")), "no-windows");
	CHECK(json_is_array(json_object_get(r, "keys_needed")));
	CHECK(!lg_report_undo_rename(r, "20261205T101010Z-0a0b0c")); /* not an undo */
	CHECK_STR(json_string_value(json_object_get(r, "run_id")), "20261204T170211Z-3fa2c1");
	json_decref(r);
	/* no deny-list on a PC with Windows: failed, not no-windows */
	r = lg_report_bare("20261204T170211Z-3fa2c1", "scan", LG_EXIT_DENYLIST, "no deny-list", NULL);
	CHECK_STR(json_string_value(json_object_get(r, "outcome")), "failed");
	CHECK(json_is_object(json_object_get(r, "machine")));
	json_decref(r);
	r = lg_report_bare("20261204T170211Z-3fa2c1", "fix", LG_EXIT_ERROR, "the engine stopped", NULL);
	CHECK_STR(json_string_value(json_object_get(r, "outcome")), "failed");
	json_decref(r);

	json_t *u = json_pack("{s:s, s:s, s:[]}", "mode", "undo", "run_id", "20261204T170211Z-3fa2c1", "volumes");
	CHECK(lg_report_undo_rename(u, "20261205T101010Z-0a0b0c"));
	CHECK_STR(json_string_value(json_object_get(u, "run_id")), "20261205T101010Z-0a0b0c");
	CHECK_STR(json_string_value(json_object_get(u, "undo_run_id")), "20261204T170211Z-3fa2c1");
	json_decref(u);
	u = json_pack("{s:s}", "mode", "undo"); /* no run id: left alone */
	CHECK(!lg_report_undo_rename(u, "20261205T101010Z-0a0b0c"));
	CHECK(!json_object_get(u, "run_id"));
	json_decref(u);
}

static void test_machine_id(void)
{
	char path[] = "/tmp/lg-uuid-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "4C4C4544-0042-3510-8052-B4C04F564433\n", 37) == 37);
	close(fd);
	char id[40];
	CHECK_INT(lg_machine_id(path, id), 0);
	CHECK_STR(id, "4c4c4544-0042-3510-8052-b4c04f564433");
	FILE *f = fopen(path, "w");
	fputs("../../etc/passwd-0000-0000-000000000", f);
	fclose(f);
	CHECK_INT(lg_machine_id(path, id), -EINVAL);
	unlink(path);
	CHECK_INT(lg_machine_id("/nonexistent/uuid", id), -ENOENT);
}

int main(void)
{
	RUN(test_server_check);
	RUN(test_key_path);
	RUN(test_key_json);
	RUN(test_key_bek);
	RUN(test_plan);
	RUN(test_retry_after);
	RUN(test_lease);
	RUN(test_lease_udhcpc);
	RUN(test_plan_decide);
	RUN(test_report_bare_and_undo);
	RUN(test_machine_id);
	return t_done();
}
