/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Libraries the host command loads only when a command calls into them
 * (docs/benchmarks.md, scan_path): libcryptsetup (BitLocker), libxml2
 * (denylist import), libcurl (serve's control client), libmicrohttpd and
 * libsqlite3 (serve). Linked normally, their 40-odd shared libraries
 * (ICU, GnuTLS, Kerberos, LDAP, ...) were mapped and relocated at every
 * start of out/lastgood, 4-5 ms a run, for commands that never use them.
 *
 * Each lazy_<lib>.c defines the functions of its library that lastgood
 * calls, under the library's own names and with the prototypes of its
 * headers (the compiler checks them): the first call dlopen()s the
 * library by its soname (the one the build linked against) and looks the
 * function up; later calls go straight through. out/lastgood links these
 * objects instead of the libraries (build/flags.mk, LG_CLI_LIBS); the
 * unit tests and PID 1 link the libraries as before. A function of these
 * libraries that lastgood starts to call and that is missing here is a
 * link error of out/lastgood: add its line to the library's file.
 *
 * A library that cannot be loaded ends the command with a message naming
 * it and exit code 1, as the dynamic loader would have refused to start
 * lastgood at all (the shell recovery image has no libxml2: lastgood
 * denylist import says so there, everything else works).
 */
#ifndef LG_LAZY_H
#define LG_LAZY_H

struct lg_lazy_lib {
	const char *soname;
	const char *what;	/* the commands that need it, for the message */
	void *handle;
};

/* The address of symbol name in lib, loading lib first; never NULL (a
 * failure ends the process, see above). Thread-safe. */
void *lg_lazy_sym(struct lg_lazy_lib *lib, const char *name);

/* The address of function name of lib (a statement expression): looked
 * up at the first call, read back from a static of the calling function
 * after that. For the variadic functions, which need a body of their own. */
#define LG_LAZY_PTR(lib, name)                                                            \
	({                                                                                 \
		static __typeof__(&name) lazy_fp;                                          \
		__typeof__(&name) lazy_p = __atomic_load_n(&lazy_fp, __ATOMIC_ACQUIRE);    \
		if (!lazy_p) {                                                             \
			lazy_p = (__typeof__(&name))lg_lazy_sym(&(lib), #name);             \
			__atomic_store_n(&lazy_fp, lazy_p, __ATOMIC_RELEASE);               \
		}                                                                          \
		lazy_p;                                                                    \
	})

/* The function name of lib with return type ret, parameters params
 * (declarations) and args (the same names, to pass on). */
#define LG_LAZY_FN(lib, ret, name, params, args) \
	ret name params { return LG_LAZY_PTR(lib, name) args; }

/* The same for a function returning void. */
#define LG_LAZY_VOID(lib, name, params, args) \
	void name params { LG_LAZY_PTR(lib, name) args; }

#endif
