// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding the interface to configure (recovery/net/ifconfig.c) in a
 * sysfs-like tree: by the MAC the firmware booted from, else the first
 * Ethernet interface by name; loopback and non-Ethernet types skipped.
 * Address and route setting need a network namespace: the QEMU tests
 * cover them. The firmware the image lacks for a loaded network driver
 * (lg_net_firmware_gaps), from a list as media/mkinitramfs.sh writes it
 * and a /sys/module-like tree: no NIC here needs firmware QEMU can lack.
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

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_firmware_gaps(void)
{
	char dir[64], mods[96], list[96], p[160], out[256];
	snprintf(dir, sizeof(dir), "/tmp/lg-fwgap-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(mods, sizeof(mods), "%s/module", dir);
	snprintf(list, sizeof(list), "%s/firmware-missing", dir);
	mkdir(mods, 0755);
	/* loaded: r8169, mlx5_core (listed as mlx5-core), ax88179_178a; not: tg3 */
	const char *loaded[] = { "r8169", "mlx5_core", "ax88179_178a", "usbcore" };
	for (size_t i = 0; i < ARRAY_SIZE(loaded); i++) {
		snprintf(p, sizeof(p), "%s/%s", mods, loaded[i]);
		mkdir(p, 0755);
	}
	/* No list (an image built without it), or an empty one: nothing. */
	CHECK_INT(lg_net_firmware_gaps(list, mods, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	put(list, "");
	CHECK_INT(lg_net_firmware_gaps(list, mods, out, sizeof(out)), 0);
	put(list, "r8169 rtl_nic/rtl8168h-2.fw\n"
		  "r8169 rtl_nic/rtl8125a-3.fw\n"
		  "\n"
		  "tg3 tigon/tg3.bin\n"
		  "mlx5-core mellanox/mlx5.bin\n"
		  "../usbcore evil.fw\n"        /* not a module name: skipped */
		  "usbcore two words\n"         /* a file name with a space: skipped */
		  "usbcore\n"                   /* no file: skipped */
		  "usbcore bad\033[2J.fw\n"     /* control characters: skipped */
		  "ax88179_178a x.fw");         /* last line without a newline */
	CHECK_INT(lg_net_firmware_gaps(list, mods, out, sizeof(out)), 3);
	CHECK_STR(out, "r8169 (rtl_nic/rtl8168h-2.fw, rtl_nic/rtl8125a-3.fw); mlx5_core (mellanox/mlx5.bin); "
		       "ax88179_178a (x.fw)");
	/* Cut, never overrun: "..." ends what did not fit. */
	char small[24];
	memset(small, 'x', sizeof(small));
	CHECK_INT(lg_net_firmware_gaps(list, mods, small, sizeof(small)), 3);
	CHECK_STR(small, "r8169 (...");
	/* Nothing loaded needs what is missing. */
	put(list, "tg3 tigon/tg3.bin\n");
	CHECK_INT(lg_net_firmware_gaps(list, mods, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	RUN(test_find);
	RUN(test_firmware_gaps);
	return t_done();
}
