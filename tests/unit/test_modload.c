// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * modload: depmod's text indexes read without libkmod, modules loaded in
 * dependency order with their soft dependencies, aliases matched, xz'ed
 * modules decompressed, failures reported once; lg_coldplug over a fake
 * /sys/devices; the firmware the image lacks for a loaded driver. Loading
 * goes through recording ops (no kernel involved).
 * When the image has been built (out/media/initrd.img.root), the load
 * order of every module of its tree is checked against kmod's own
 * (modprobe --show-depends).
 */
#include "test.h"

#include "boot/coldplug.h"
#include "boot/modload.h"

#include <ftw.h>
#include <lzma.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static char dir[] = "/tmp/lg-modload-XXXXXX";

/* strdup failing once n more calls have succeeded (-1: never), for the
 * out-of-memory paths of lg_modload_new: this definition is the one
 * modload.o calls. */
static int strdup_left = -1;
char *strdup(const char *s)
{
	if (strdup_left == 0)
		return NULL;
	if (strdup_left > 0)
		strdup_left--;
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

struct rec {
	char order[2048];	/* inserted names, space-separated */
	char loaded[256];	/* " name name " already in the kernel */
	char fail[64];		/* the module whose insert fails */
	char last_image[256];
	size_t last_len;
	char reported[1024];	/* what the callback saw: "name=result " */
	int loaded_calls;	/* how often loaded was asked */
};

static int rec_insert(const char *name, const void *image, size_t len, void *ud)
{
	struct rec *r = ud;
	if (!strcmp(name, r->fail))
		return -ENOEXEC;
	strcat(r->order, name);
	strcat(r->order, " ");
	r->last_len = len;
	snprintf(r->last_image, sizeof(r->last_image), "%.*s", (int)(len < 255 ? len : 255), (const char *)image);
	return 0;
}

static int rec_loaded(const char *name, void *ud)
{
	struct rec *r = ud;
	r->loaded_calls++;
	char key[80];
	snprintf(key, sizeof(key), " %s ", name);
	return strstr(r->loaded, key) != NULL;
}

static void rec_cb(const char *module, int result, void *ud)
{
	struct rec *r = ud;
	char one[96];
	snprintf(one, sizeof(one), "%s=%d ", module, result);
	strcat(r->reported, one);
}

static void put(const char *rel, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

/* A module file: its content is its own name (so the test sees which
 * image was inserted); xz'ed when asked. */
static void put_module(const char *rel, const char *content, bool xz)
{
	if (!xz) {
		put_str(rel, content);
		return;
	}
	uint8_t out[4096];
	size_t pos = 0;
	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, (const uint8_t *)content, strlen(content), out,
				    &pos, sizeof(out)) != LZMA_OK) {
		fprintf(stderr, "xz failed\n");
		exit(1);
	}
	put(rel, out, pos);
}

static void make_tree(void)
{
	/* a needs b and c (b needs c); d pre-softdeps e and post-softdeps
	 * f; g is an alias target; h-dash has a dash in its file name */
	put_str("modules.dep",
		"kernel/a.ko.xz: kernel/b.ko kernel/c.ko.xz\n"
		"kernel/b.ko: kernel/c.ko.xz\n"
		"kernel/c.ko.xz:\n"
		"kernel/d.ko:\n"
		"kernel/e.ko:\n"
		"kernel/f.ko:\n"
		"kernel/sub/g.ko:\n"
		"kernel/h-dash.ko:\n"
		"kernel/bad.ko.xz:\n"
		"kernel/top.ko: kernel/fails.ko\n"
		"kernel/fails.ko:\n");
	put_str("modules.alias",
		"# Aliases extracted from modules themselves.\n"
		"alias pci:v00008086d000015B8sv*sd*bc*sc*i* g\n"
		"alias pci:v00008086d*sv*sd*bc01sc06i* d\n"
		"alias fs-thing h_dash\n"
		"alias usb:v*p*d*dc*dsc*dp*ic08isc06ip50in* nothere\n");
	put_str("modules.softdep", "# comment\nsoftdep d pre: e post: f\n");
	put_str("modules.builtin", "kernel/fs/ext4/ext4.ko\nkernel/drivers/usb/core/usb-common.ko\n");
	put_module("kernel/a.ko.xz", "image of a", true);
	put_module("kernel/b.ko", "image of b", false);
	put_module("kernel/c.ko.xz", "image of c", true);
	put_module("kernel/d.ko", "image of d", false);
	put_module("kernel/e.ko", "image of e", false);
	put_module("kernel/f.ko", "image of f", false);
	put_module("kernel/sub/g.ko", "image of g", false);
	put_module("kernel/h-dash.ko", "image of h", false);
	put_str("kernel/bad.ko.xz", "this is not xz data");
	put_module("kernel/top.ko", "image of top", false);
	put_module("kernel/fails.ko", "image of fails", false);
}

static struct lg_modload *open_tree(struct rec *r)
{
	struct lg_modload *m = NULL;
	struct lg_err err = { 0 };
	int ret = lg_modload_new(dir, &m, &err);
	CHECK_INT(ret, 0);
	if (ret < 0) {
		fprintf(stderr, "lg_modload_new: %s\n", err.msg);
		exit(1);
	}
	memset(r, 0, sizeof(*r));
	struct lg_modload_ops ops = { rec_insert, rec_loaded, r };
	lg_modload_set_ops(m, &ops);
	return m;
}

static void test_dependencies(void)
{
	struct rec r;
	struct lg_modload *m = open_tree(&r);
	CHECK_INT(lg_modload_name(m, "a", rec_cb, &r), 1);
	CHECK_STR(r.order, "c b a ");
	CHECK_STR(r.last_image, "image of a");	/* decompressed */
	CHECK_INT(r.last_len, strlen("image of a"));
	CHECK_STR(r.reported, "a=0 ");		/* dependencies are not reported */
	CHECK_INT(r.loaded_calls, 3);		/* the kernel asked once a module */
	/* tried once: neither a nor its dependencies again */
	CHECK_INT(lg_modload_name(m, "a", rec_cb, &r), 0);
	CHECK_INT(lg_modload_name(m, "c", rec_cb, &r), 0);
	CHECK_STR(r.order, "c b a ");
	CHECK_INT(lg_modload_tried(m), 1);
	int res = 1;
	CHECK_STR(lg_modload_tried_name(m, 0, &res), "a");
	CHECK_INT(res, 0);
	CHECK(lg_modload_tried_name(m, 1, &res) == NULL);
	lg_modload_free(m);
}

static void test_softdeps_and_names(void)
{
	struct rec r;
	struct lg_modload *m = open_tree(&r);
	CHECK_INT(lg_modload_name(m, "d", rec_cb, &r), 1);
	CHECK_STR(r.order, "e d f ");
	/* '-' and '_' alike, both ways */
	CHECK_INT(lg_modload_name(m, "h-dash", rec_cb, &r), 1);
	CHECK_STR(r.order, "e d f h_dash ");
	/* built in: nothing to do, nothing reported */
	CHECK_INT(lg_modload_name(m, "ext4", rec_cb, &r), 0);
	CHECK_INT(lg_modload_name(m, "usb_common", rec_cb, &r), 0);
	/* unknown: reported once */
	CHECK_INT(lg_modload_name(m, "nosuch", rec_cb, &r), 0);
	CHECK_INT(lg_modload_name(m, "nosuch", rec_cb, &r), 0);
	CHECK_STR(r.reported, "d=0 h_dash=0 nosuch=-2 ");
	lg_modload_free(m);
}

static void test_aliases(void)
{
	struct rec r;
	struct lg_modload *m = open_tree(&r);
	/* one alias, two modules match: both loaded (kmod does the same) */
	CHECK_INT(lg_modload_name(m, "pci:v00008086d000015B8sv00008086sd00000000bc01sc06i01", rec_cb, &r), 1);
	CHECK_STR(r.order, "g e d f ");
	/* an alias of a module the tree lacks matches nothing */
	CHECK_INT(lg_modload_name(m, "usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00", NULL, NULL), 0);
	CHECK_INT(lg_modload_name(m, "fs-thing", rec_cb, &r), 1);
	CHECK_STR(r.order, "g e d f h_dash ");
	/* a module already in the kernel is not inserted nor reported */
	struct lg_modload *m2 = open_tree(&r);
	strcpy(r.loaded, " g ");
	CHECK_INT(lg_modload_alias_once(m2, "pci:v00008086d000015B8sv0sd0bc02sc00i00"), 0);
	CHECK_STR(r.order, "");
	CHECK_INT(lg_modload_alias_once(m2, "pci:v00008086d00000001sv0sd0bc01sc06i01"), 1);
	CHECK_STR(r.order, "e d f ");
	/* the same alias again: not even looked up */
	r.loaded[0] = 0;
	CHECK_INT(lg_modload_alias_once(m2, "pci:v00008086d000015B8sv0sd0bc02sc00i00"), 0);
	CHECK_STR(r.order, "e d f ");
	lg_modload_free(m2);
	lg_modload_free(m);
}

static void test_failures(void)
{
	struct rec r;
	struct lg_modload *m = open_tree(&r);
	strcpy(r.fail, "fails");
	/* a dependency that fails stops the module, which reports its error */
	CHECK_INT(lg_modload_name(m, "top", rec_cb, &r), 0);
	CHECK_STR(r.order, "");
	CHECK_STR(r.reported, "top=-8 ");
	/* corrupt xz data */
	CHECK_INT(lg_modload_name(m, "bad", rec_cb, &r), 0);
	CHECK_STR(r.reported, "top=-8 bad=-74 ");
	lg_modload_free(m);

	void *img = NULL;
	size_t len = 0;
	char path[512];
	snprintf(path, sizeof(path), "%s/kernel/a.ko.xz", dir);
	CHECK_INT(lg_modload_read_image(path, 4, &img, &len), -EFBIG);	/* larger than max */
	CHECK_INT(lg_modload_read_image(path, 1024, &img, &len), 0);
	CHECK_INT(len, 10);
	free(img);
	/* a small file that decompresses to more than max: stopped at max */
	static char big[64 * 1024 + 1];
	memset(big, 'x', sizeof(big) - 1);
	put_module("kernel/big.ko.xz", big, true);
	snprintf(path, sizeof(path), "%s/kernel/big.ko.xz", dir);
	CHECK_INT(lg_modload_read_image(path, 8192, &img, &len), -EFBIG);
	CHECK_INT(lg_modload_read_image(path, sizeof(big) - 1, &img, &len), 0);
	CHECK_INT(len, sizeof(big) - 1);
	free(img);

	/* no modules.dep: an error; the other files are optional */
	char empty[] = "/tmp/lg-modload-empty-XXXXXX";
	CHECK(mkdtemp(empty) != NULL);
	struct lg_modload *none = NULL;
	struct lg_err err = { 0 };
	CHECK_INT(lg_modload_new(empty, &none, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "modules.dep");
	char p2[512];
	snprintf(p2, sizeof(p2), "%s/modules.dep", empty);
	FILE *f = fopen(p2, "w");
	fclose(f);
	CHECK_INT(lg_modload_new(empty, &none, &err), 0);
	CHECK_INT(lg_modload_name(none, "x", NULL, NULL), 0);
	lg_modload_free(none);
	unlink(p2);
	rmdir(empty);
}

/* Out of memory at each strdup of lg_modload_new in turn: -ENOMEM and
 * everything freed (what is freed is what was allocated: ASan, or glibc's
 * checks, stop at a pointer into the middle of a file's text). */
static void test_out_of_memory(void)
{
	int failed = 0, k;
	for (k = 0; k < 100; k++) {
		struct lg_modload *m = NULL;
		struct lg_err err = { 0 };
		strdup_left = k;
		int r = lg_modload_new(dir, &m, &err);
		strdup_left = -1;
		lg_modload_free(m);
		if (r == 0)
			break;
		failed += r == -ENOMEM;
	}
	CHECK(k > 10);			/* modules.dep's paths, the aliases: strdup'ed */
	CHECK_INT(failed, k);		/* each failure an -ENOMEM */
}

static void test_coldplug(void)
{
	struct rec r;
	struct lg_modload *m = open_tree(&r);
	put_str("sys/devices/pci0000:00/0000:00:02.0/modalias", "pci:v00008086d000015B8sv00001AF4sd00001100bc02sc00i00\n");
	put_str("sys/devices/pci0000:00/0000:00:03.0/modalias", "pci:v00001234d00001111sv0sd0bc03sc00i00\n");
	put_str("sys/devices/platform/x/modalias", "fs-thing\n");
	char sysdev[512];
	snprintf(sysdev, sizeof(sysdev), "%s/sys/devices", dir);
	CHECK_INT(lg_coldplug(m, sysdev, rec_cb, &r), 2);
	CHECK(strstr(r.order, "g ") && strstr(r.order, "h_dash "));
	CHECK(strstr(r.reported, "g=0 ") && strstr(r.reported, "h_dash=0 "));
	/* the next round sees the same devices: nothing new */
	r.reported[0] = 0;
	CHECK_INT(lg_coldplug(m, sysdev, rec_cb, &r), 0);
	CHECK_STR(r.reported, "");
	lg_modload_free(m);
}

/* The image's module tree, when built: every module's load order as kmod
 * itself computes it (modprobe --show-depends, no configuration; it
 * prints a module again for each module that needs it: the first time
 * counts). */
static void test_image_tree(void)
{
	const char *out = getenv("OUT") ? getenv("OUT") : "out";
	char root[512], kdir[700], cmd[2048];
	snprintf(root, sizeof(root), "%s/media/initrd.img.root", out);
	FILE *kv = NULL;
	snprintf(cmd, sizeof(cmd), "ls %s/usr/lib/modules 2>/dev/null | head -n 1", root);
	char kver[128] = "";
	if (!(kv = popen(cmd, "r")) || !fgets(kver, sizeof(kver), kv)) {
		if (kv)
			pclose(kv);
		printf("note: no built image tree (%s): kmod cross-check skipped\n", root);
		return;
	}
	pclose(kv);
	kver[strcspn(kver, "\n")] = 0;
	snprintf(kdir, sizeof(kdir), "%s/usr/lib/modules/%s", root, kver);
	struct lg_modload *m = NULL;
	struct lg_err err = { 0 };
	CHECK_INT(lg_modload_new(kdir, &m, &err), 0);
	if (!m)
		return;
	lg_modload_free(m);
	/* each module of modules.dep, on its own (fresh context) */
	snprintf(cmd, sizeof(cmd), "sed -n 's|^\\([^:]*\\):.*|\\1|p' %s/modules.dep", kdir);
	FILE *list = popen(cmd, "r");
	char line[512];
	int compared = 0, listed = 0;
	while (list && fgets(line, sizeof(line), list)) {
		listed++;
		line[strcspn(line, "\n")] = 0;
		char *base = strrchr(line, '/');
		char name[512];
		snprintf(name, sizeof(name), "%s", base ? base + 1 : line);
		*strstr(name, ".ko") = 0;
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		struct rec r;
		struct lg_modload *mm = NULL;
		if (lg_modload_new(kdir, &mm, &err) < 0)
			break;
		memset(&r, 0, sizeof(r));
		struct lg_modload_ops ops = { rec_insert, rec_loaded, &r };
		lg_modload_set_ops(mm, &ops);
		lg_modload_name(mm, name, NULL, NULL);
		lg_modload_free(mm);
		/* kmod's order: the insmod lines, module names only */
		snprintf(cmd, sizeof(cmd),
			 "PATH=\"$PATH:/usr/sbin:/sbin\" modprobe -C /dev/null -d %s -S %s --show-depends %s 2>/dev/null | "
			 "sed -n 's|^insmod .*/\\([^/]*\\)\\.ko.*|\\1|p' | tr '-' '_' | awk '!seen[$0]++' | tr '\\n' ' '",
			 root, kver, name);
		FILE *mp = popen(cmd, "r");
		char want[2048] = "";
		if (!mp || !fgets(want, sizeof(want), mp)) {
			if (mp)
				pclose(mp);
			continue;
		}
		pclose(mp);
		if (strcmp(r.order, want))
			T_FAIL_AT("%s: loaded as \"%s\", kmod: \"%s\"", name, r.order, want);
		t_checks++;
		compared++;
	}
	if (list)
		pclose(list);
	/* every module compared: none skipped because modprobe said nothing */
	CHECK(listed > 0);
	CHECK_INT(compared, listed);
	printf("SUMMARY: load order of %d modules of the image tree as kmod's\n", compared);
}

/* The firmware the image lacks for a driver in the kernel
 * (lg_modload_firmware_gaps), from a list as media/mkinitramfs.sh writes
 * it; "in the kernel" is the ops' loaded, as for loading. No NIC QEMU
 * emulates needs firmware, so this is where it is checked. */
static void test_firmware_gaps(void)
{
	struct rec r;
	struct lg_modload *m = open_tree(&r);
	char list[128], out[256];
	snprintf(list, sizeof(list), "%s/firmware-missing", dir);
	/* loaded: r8169, mlx5_core (listed as mlx5-core), ax88179_178a; not: tg3 */
	strcpy(r.loaded, " r8169 mlx5_core ax88179_178a usbcore ");
	/* No list (an image built without it), or an empty one: nothing. */
	CHECK_INT(lg_modload_firmware_gaps(m, list, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	put_str("firmware-missing", "");
	CHECK_INT(lg_modload_firmware_gaps(m, list, out, sizeof(out)), 0);
	put_str("firmware-missing", "r8169 rtl_nic/rtl8168h-2.fw\n"
				    "r8169 rtl_nic/rtl8125a-3.fw\n"
				    "\n"
				    "tg3 tigon/tg3.bin\n"
				    "mlx5-core mellanox/mlx5.bin\n"
				    "../usbcore evil.fw\n"        /* not a module name: skipped */
				    "usbcore two words\n"         /* a file name with a space: skipped */
				    "usbcore\n"                   /* no file: skipped */
				    "usbcore bad\033[2J.fw\n"     /* control characters: skipped */
				    "ax88179_178a x.fw");         /* last line without a newline */
	CHECK_INT(lg_modload_firmware_gaps(m, list, out, sizeof(out)), 3);
	CHECK_STR(out, "r8169 (rtl_nic/rtl8168h-2.fw, rtl_nic/rtl8125a-3.fw); mlx5_core (mellanox/mlx5.bin); "
		       "ax88179_178a (x.fw)");
	/* Cut, never overrun: "..." ends what did not fit. */
	char small[24];
	memset(small, 'x', sizeof(small));
	CHECK_INT(lg_modload_firmware_gaps(m, list, small, sizeof(small)), 3);
	CHECK_STR(small, "r8169 (...");
	/* Nothing loaded needs what is missing. */
	put_str("firmware-missing", "tg3 tigon/tg3.bin\n");
	CHECK_INT(lg_modload_firmware_gaps(m, list, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	lg_modload_free(m);
}

static int rm_cb(const char *p, const struct stat *s, int t, struct FTW *f)
{
	return remove(p);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	make_tree();
	RUN(test_dependencies);
	RUN(test_softdeps_and_names);
	RUN(test_aliases);
	RUN(test_failures);
	RUN(test_out_of_memory);
	RUN(test_coldplug);
	RUN(test_firmware_gaps);
	RUN(test_image_tree);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return t_done();
}
