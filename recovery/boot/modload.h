/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel module loading in the recovery image, without libkmod: the text
 * indexes depmod writes (modules.dep, modules.alias, modules.softdep,
 * modules.builtin) are read once; a module is loaded with its
 * dependencies and soft dependencies, decompressed here when it is
 * xz-compressed (media/mkinitramfs.sh -x), through init_module(2). The
 * signature Debian appended to each module covers the uncompressed file,
 * so Secure Boot's lockdown accepts what this loads.
 *
 * Why not libkmod: it brings libzstd and libkmod itself into the initrd
 * (330 KB of the 16 MB budget, docs/benchmarks.md) for what is a few
 * hundred lines here.
 *
 * Errors: negative errno; lg_modload_new() fills the lg_err.
 */
#ifndef LG_MODLOAD_H
#define LG_MODLOAD_H

#include "lib/util.h"

struct lg_modload;

/* Called for each module an lg_modload_* call tried to load: result is 0
 * (now loaded) or a negative errno. Modules already loaded or built in
 * are not reported. */
typedef void (*lg_mod_cb)(const char *module, int result, void *userdata);

/* The indexes of dirname (NULL: /lib/modules/`uname -r`). A missing
 * modules.alias, modules.softdep or modules.builtin is an empty one; a
 * missing modules.dep is an error (-ENOENT). */
int lg_modload_new(const char *dirname, struct lg_modload **out, struct lg_err *err);
void lg_modload_free(struct lg_modload *m);

/* What loading means (tests replace it): insert is given the module's
 * uncompressed image and returns 0, -EEXIST (already there) or a negative
 * errno; loaded says whether a module is in the kernel already (1) or not
 * (0). The default inserts with init_module(2) and reads
 * /sys/module/<name>/initstate. */
struct lg_modload_ops {
	int (*insert)(const char *name, const void *image, size_t len, void *ud);
	int (*loaded)(const char *name, void *ud);
	void *ud;
};
void lg_modload_set_ops(struct lg_modload *m, const struct lg_modload_ops *ops);

/* Load one module (and its dependencies) by name or alias: a module name
 * ('-' and '_' alike), else every module whose modules.alias pattern
 * matches (fnmatch). Returns 1 when something was loaded, 0 when already
 * there, built in, or tried before, or a negative errno. Each module is
 * tried at most once per context, so that repeated coldplug rounds do not
 * retry a driver that refused a device. A name that is neither a module
 * nor an alias is reported to cb with -ENOENT. */
int lg_modload_name(struct lg_modload *m, const char *name, lg_mod_cb cb, void *userdata);

/* Load every module named in a file, one per line ('#' comments).
 * Returns how many were loaded, or a negative errno if the file cannot be
 * read (-ENOENT when missing). */
int lg_modload_file(struct lg_modload *m, const char *path, lg_mod_cb cb, void *userdata);

/* lg_modload_name() for a device's modalias, unless that alias was
 * looked up before in this context (coldplug rounds see the same devices
 * again): then 0. No callback: most aliases match no module. */
int lg_modload_alias_once(struct lg_modload *m, const char *alias);

/* Modules tried so far (for lg_coldplug's report): their names and
 * results, in the order they were tried. */
size_t lg_modload_tried(const struct lg_modload *m);
const char *lg_modload_tried_name(const struct lg_modload *m, size_t i, int *result);

/* The uncompressed image of a module file: read as is, or decompressed
 * when the name ends in ".xz". At most max bytes. */
int lg_modload_read_image(const char *path, size_t max, void **image, size_t *len);

/* The drivers this image carries without some firmware file they ask for
 * (list: the image's /etc/lastgood/firmware-missing, one "module file" a
 * line, written by media/mkinitramfs.sh) that are in the kernel now (the
 * ops' loaded: coldplug found a device for them). out gets "r8169
 * (rtl_nic/a.fw, rtl_nic/b.fw); tg3 (tigon/x.bin)", cut with "..." when
 * long. Returns how many drivers; 0 when none, or when the list is missing
 * or empty. Malformed lines are skipped. */
int lg_modload_firmware_gaps(struct lg_modload *m, const char *list, char *out, size_t outsz);

#endif
