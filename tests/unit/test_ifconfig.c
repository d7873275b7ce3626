// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding the interface to configure (recovery/net/ifconfig.c) in a
 * sysfs-like tree: by the MAC the firmware booted from, else the first
 * Ethernet interface by name; loopback and non-Ethernet types skipped.
 * Address and route setting need a network namespace: the QEMU tests
 * cover them.
 */
#include "test.h"
#include "net/ifconfig.h"

#include <sys/stat.h>

static char root[64];

static void iface(const char *name, const char *type, const char *mac)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/type", root, name);
	FILE *f = fopen(p, "w");
	fprintf(f, "%s\n", type);
	fclose(f);
	snprintf(p, sizeof(p), "%s/%s/address", root, name);
	f = fopen(p, "w");
	fprintf(f, "%s\n", mac);
	fclose(f);
}

static void test_find(void)
{
	snprintf(root, sizeof(root), "/tmp/lg-ifc-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	iface("lo", "772", "00:00:00:00:00:00");
	iface("enp1s0", "1", "52:54:00:aa:bb:cc");
	iface("eno1", "1", "52:54:00:12:34:56");
	iface("wg0", "65534", "");
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	struct lg_err err = { "" };
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	CHECK_INT(lg_net_find(root, want, name, mac, &err), 0);
	CHECK_STR(name, "enp1s0");
	CHECK_INT(lg_net_find(root, NULL, name, mac, &err), 0);
	CHECK_STR(name, "eno1"); /* first Ethernet interface by name */
	CHECK_MEM(mac, "\x52\x54\x00\x12\x34\x56", 6);
	static const uint8_t other[6] = { 1, 2, 3, 4, 5, 6 };
	CHECK_INT(lg_net_find(root, other, name, mac, &err), -ENODEV);
	CHECK_CONTAINS(err.msg, "01:02:03:04:05:06");
	CHECK_INT(lg_net_find("/nonexistent", NULL, name, mac, &err), -ENODEV);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	RUN(test_find);
	return t_done();
}
