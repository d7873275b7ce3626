// SPDX-License-Identifier: GPL-2.0-or-later
/* libsqlite3 at first use (lazy.h): lastgood serve's fleet database. */
#include "lazy/lazy.h"

#include <stddef.h>

#include <sqlite3.h>

static struct lg_lazy_lib sqlite = { LG_SONAME_sqlite3, "the fleet database (lastgood serve)", NULL };

LG_LAZY_FN(sqlite, int, sqlite3_bind_text, (sqlite3_stmt *st, int i, const char *s, int n, void (*d)(void *)),
	   (st, i, s, n, d))
LG_LAZY_FN(sqlite, int, sqlite3_busy_timeout, (sqlite3 *db, int ms), (db, ms))
LG_LAZY_FN(sqlite, int, sqlite3_close, (sqlite3 *db), (db))
LG_LAZY_FN(sqlite, sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt *st, int i), (st, i))
LG_LAZY_FN(sqlite, const unsigned char *, sqlite3_column_text, (sqlite3_stmt *st, int i), (st, i))
LG_LAZY_FN(sqlite, int, sqlite3_column_type, (sqlite3_stmt *st, int i), (st, i))
LG_LAZY_FN(sqlite, const char *, sqlite3_errmsg, (sqlite3 *db), (db))
LG_LAZY_FN(sqlite, int, sqlite3_exec,
	   (sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg, char **errmsg),
	   (db, sql, cb, arg, errmsg))
LG_LAZY_FN(sqlite, int, sqlite3_finalize, (sqlite3_stmt *st), (st))
LG_LAZY_VOID(sqlite, sqlite3_free, (void *p), (p))
LG_LAZY_FN(sqlite, int, sqlite3_open_v2, (const char *filename, sqlite3 **db, int flags, const char *vfs),
	   (filename, db, flags, vfs))
LG_LAZY_FN(sqlite, int, sqlite3_prepare_v2,
	   (sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail), (db, sql, n, st, tail))
LG_LAZY_FN(sqlite, int, sqlite3_step, (sqlite3_stmt *st), (st))
LG_LAZY_FN(sqlite, int, sqlite3_prepare_v3,
	   (sqlite3 *db, const char *sql, int n, unsigned int flags, sqlite3_stmt **st, const char **tail),
	   (db, sql, n, flags, st, tail))
LG_LAZY_FN(sqlite, int, sqlite3_reset, (sqlite3_stmt *st), (st))
LG_LAZY_FN(sqlite, int, sqlite3_clear_bindings, (sqlite3_stmt *st), (st))
LG_LAZY_FN(sqlite, sqlite3_filename, sqlite3_db_filename, (sqlite3 *db, const char *name), (db, name))
LG_LAZY_FN(sqlite, const char *, sqlite3_filename_wal, (sqlite3_filename f), (f))
