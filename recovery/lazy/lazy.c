// SPDX-License-Identifier: GPL-2.0-or-later
/* Loading a library at its first use (lazy.h). */
#include "lazy/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

void *lg_lazy_sym(struct lg_lazy_lib *lib, const char *name)
{
	pthread_mutex_lock(&lazy_lock);
	if (!lib->handle)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	void *h = lib->handle;
	const char *why = h ? NULL : dlerror();
	pthread_mutex_unlock(&lazy_lock);
	void *sym = h ? dlsym(h, name) : NULL;
	if (sym)
		return sym;
	if (h)
		why = dlerror();
	fprintf(stderr, "lastgood: %s needs %s, which cannot be loaded: %s\n", lib->what, lib->soname,
		why ? why : "symbol not found");
	exit(1);
}
