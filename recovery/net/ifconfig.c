// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One interface up with a lease (ifconfig.h).
 */
#include "net/ifconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

void lg_ip_format(const uint8_t ip[4], char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

static int read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lg_net_find(const char *sysfs, const uint8_t *mac, char name[IF_NAMESIZE], uint8_t mac_out[6],
		struct lg_err *err)
{
	DIR *d = opendir(sysfs);
	if (!d) {
		lg_err_set(err, "no network interfaces (%s: %s)", sysfs, strerror(errno));
		return -ENODEV;
	}
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < ARRAY_SIZE(names))
		if (de->d_name[0] != '.' && strlen(de->d_name) < IF_NAMESIZE)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	int r = -ENODEV;
	for (size_t i = 0; i < n; i++) {
		char p[512], v[64];
		if (!names[i])
			continue;
		snprintf(p, sizeof(p), "%s/%s/type", sysfs, names[i]);
		if (r == 0 || read_small(p, v, sizeof(v)) < 0 || strcmp(v, "1"))
			continue; /* ARPHRD_ETHER only: no loopback, no tunnels */
		snprintf(p, sizeof(p), "%s/%s/address", sysfs, names[i]);
		uint8_t m[6];
		if (read_small(p, v, sizeof(v)) < 0 ||
		    sscanf(v, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
			continue;
		if (mac && memcmp(m, mac, 6))
			continue;
		snprintf(name, IF_NAMESIZE, "%s", names[i]);
		memcpy(mac_out, m, 6);
		r = 0;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (r < 0) {
		char ms[18] = "";
		if (mac)
			lg_mac_format(mac, ms);
		lg_err_set(err, mac ? "no network interface has the MAC %s the firmware booted from (is its driver in the image?)"
				    : "no Ethernet interface%s (is the NIC's driver in the image?)", ms);
	}
	return r;
}

static int sock(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int lg_net_up(const char *ifname, int timeout_ms, struct lg_err *err)
{
	int fd = sock();
	if (fd < 0)
		return -errno;
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int r = 0;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		r = -errno;
		lg_err_set(err, "cannot bring %s up: %s", ifname, strerror(errno));
	}
	close(fd);
	if (r < 0)
		return r;
	char p[128], v[8];
	snprintf(p, sizeof(p), "/sys/class/net/%s/carrier", ifname);
	for (int waited = 0;; waited += 100) {
		if (read_small(p, v, sizeof(v)) == 0 && !strcmp(v, "1"))
			return 0;
		if (waited >= timeout_ms)
			break;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	lg_err_set(err, "%s has no link (cable?) after %d s", ifname, timeout_ms / 1000);
	return -ENOLINK;
}

static void sin_set(struct sockaddr *sa, const uint8_t ip[4])
{
	struct sockaddr_in *s = (struct sockaddr_in *)sa;
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	memcpy(&s->sin_addr, ip, 4);
}

int lg_net_configure(const char *ifname, const struct lg_lease *l, const char *resolv, struct lg_err *err)
{
	int fd = sock();
	if (fd < 0)
		return -errno;
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int r = 0;
	char ip[16];
	lg_ip_format(l->ip, ip);
	sin_set(&ifr.ifr_addr, l->ip);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) {
		r = -errno;
		lg_err_set(err, "cannot give %s the address %s: %s", ifname, ip, strerror(errno));
		goto out;
	}
	sin_set(&ifr.ifr_netmask, l->mask);
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0) {
		r = -errno;
		lg_err_set(err, "cannot set the mask of %s: %s", ifname, strerror(errno));
		goto out;
	}
	if (l->have_gateway) {
		struct rtentry rt = { 0 };
		static const uint8_t any[4] = { 0 };
		sin_set(&rt.rt_dst, any);
		sin_set(&rt.rt_genmask, any);
		sin_set(&rt.rt_gateway, l->gateway);
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		char dev[IF_NAMESIZE];
		snprintf(dev, sizeof(dev), "%s", ifname);
		rt.rt_dev = dev;
		if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
			r = -errno;
			char gw[16];
			lg_ip_format(l->gateway, gw);
			lg_err_set(err, "cannot route through %s: %s", gw, strerror(errno));
			goto out;
		}
	}
	if (resolv && l->n_dns) {
		char buf[256];
		size_t o = 0;
		for (size_t i = 0; i < l->n_dns; i++) {
			char d[16];
			lg_ip_format(l->dns[i], d);
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "nameserver %s\n", d);
		}
		if (l->domain[0] && o < sizeof(buf))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "search %s\n", l->domain);
		r = lg_write_file_atomic(resolv, buf, o < sizeof(buf) ? o : sizeof(buf) - 1);
		if (r < 0)
			lg_err_set(err, "cannot write %s: %s", resolv, strerror(-r));
	}
out:
	close(fd);
	return r;
}
