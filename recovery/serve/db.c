// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet database (db.h). */
#include "serve/db.h"

#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#define BATCH_RING 1024
#define STMT_CACHE 64

struct lg_fleet_db {
	sqlite3 *h;
	pthread_mutex_t lock;
	struct lg_fleet_plan_cfg cfg;
	/* Group commit (op_begin, op_end): writes join the open transaction,
	 * each in its own savepoint; the committer thread commits them
	 * together and makes them durable with one fdatasync of the WAL,
	 * outside the lock, while the next batch fills; then it wakes their
	 * writers. */
	pthread_cond_t work, done_cv;
	pthread_t committer;
	int walfd;                      /* the -wal file, for that fdatasync */
	int sync_err;                   /* errno of a failed fdatasync: no more writes */
	bool in_txn, stop, thread_started;
	uint64_t batch, durable;        /* the open batch; the last one on disk */
	bool failed[BATCH_RING];        /* per batch: the commit failed */
	/* Prepared statements by their SQL text (string literals: compared
	 * by address), reset after each use. */
	struct { const char *sql; sqlite3_stmt *st; } stmts[STMT_CACHE];
	size_t nstmts;
};

/* synchronous=NORMAL: a commit writes the WAL without syncing it; the
 * committer syncs it itself (above), so that a 2xx still means "on disk,
 * survives a power cut", not only "survives a crash of this process". */
static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS reports(run_id TEXT PRIMARY KEY, machine TEXT NOT NULL,"
	" received TEXT NOT NULL, client_ip TEXT, source TEXT, mode TEXT, outcome TEXT, exit_code INT,"
	" recrash INT NOT NULL DEFAULT 0, computer_name TEXT, serial TEXT, model TEXT, ip TEXT, mac TEXT,"
	" matches INT, keys_needed TEXT, crash TEXT, body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS reports_machine ON reports(machine);"
	"CREATE TABLE IF NOT EXISTS machines(machine TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT,"
	" last_ip TEXT, ring INT NOT NULL DEFAULT 0, last_run TEXT, plan TEXT, plan_reason TEXT,"
	" plan_time TEXT);"
	/* A key's log entry names the machine that last asked from its
	 * address: one index step, not a scan of every machine behind one
	 * NAT address (or the loopback). */
	"DROP INDEX IF EXISTS machines_ip;"
	"CREATE INDEX IF NOT EXISTS machines_ip_seen ON machines(last_ip, last_seen);"
	"CREATE TABLE IF NOT EXISTS clients(ip TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT, what TEXT);"
	"CREATE TABLE IF NOT EXISTS decisions(id INTEGER PRIMARY KEY, time TEXT, operator TEXT, action TEXT);"
	"CREATE TABLE IF NOT EXISTS key_log(id INTEGER PRIMARY KEY, time TEXT, client_ip TEXT, machine TEXT,"
	" protector TEXT, result TEXT);"
	"CREATE INDEX IF NOT EXISTS key_log_protector ON key_log(protector, result);"
	"CREATE TABLE IF NOT EXISTS state(k TEXT PRIMARY KEY, v TEXT);";

static void now_text(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The statement for sql (a string literal), ready to bind; NULL when it
 * does not prepare. With db->lock held (or before the threads start). */
static sqlite3_stmt *stmt(struct lg_fleet_db *db, const char *sql)
{
	for (size_t i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql)
			return db->stmts[i].st;
	sqlite3_stmt *st;
	if (db->nstmts == STMT_CACHE ||
	    sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	db->stmts[db->nstmts].sql = sql;
	db->stmts[db->nstmts++].st = st;
	return st;
}

static void stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds text arguments (NULL = SQL NULL) and steps once: 1 with a row
 * (in *keep when keep: the caller reads it, then stmt_done()), 0 done,
 * -EIO. */
static int exec_v(struct lg_fleet_db *db, sqlite3_stmt **keep, const char *sql, int n, const char *const *args)
{
	sqlite3_stmt *st = stmt(db, sql);
	if (!st)
		return -EIO;
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		stmt_done(st);
		return -EIO;
	}
	if (keep && rc == SQLITE_ROW) {
		*keep = st;
		return 1;
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? 1 : 0;
}
#define EXEC(db, sql, ...) exec_v(db, NULL, sql, ARRAY_SIZE(((const char *const[]){ __VA_ARGS__ })), \
				  (const char *const[]){ __VA_ARGS__ })
#define QUERY(db, st, sql, ...) exec_v(db, st, sql, ARRAY_SIZE(((const char *const[]){ __VA_ARGS__ })), \
				       (const char *const[]){ __VA_ARGS__ })
/* A statement without arguments: true when it ran. */
static bool run(struct lg_fleet_db *db, const char *sql)
{
	return exec_v(db, NULL, sql, 0, NULL) >= 0;
}

/* One text column of a one-row query, into out ("" when no row or NULL). */
static void query_text(struct lg_fleet_db *db, char *out, size_t outsz, const char *sql, const char *arg)
{
	sqlite3_stmt *st = NULL;
	out[0] = '\0';
	if (QUERY(db, &st, sql, arg) == 1) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, outsz, "%s", t ? (const char *)t : "");
		stmt_done(st);
	}
}

static long long query_int(struct lg_fleet_db *db, const char *sql, const char *arg)
{
	sqlite3_stmt *st = NULL;
	long long v = 0;
	if (QUERY(db, &st, sql, arg) == 1) {
		v = sqlite3_column_int64(st, 0);
		stmt_done(st);
	}
	return v;
}

/* The error of a write that was not stored: what failed, unless a failed
 * sync of the log stopped every write (committer). With db->lock held. */
static void write_err(struct lg_fleet_db *db, struct lg_err *err, const char *what)
{
	if (db->sync_err)
		lg_err_set(err, "database: its write-ahead log could not be synced to the disk (%s): nothing is stored"
			   " until lastgood serve is restarted", strerror(db->sync_err));
	else
		lg_err_set(err, "database: %s", what);
}

/* With db->lock held: join the open transaction (or open one), in a
 * savepoint of this operation's own. */
static int op_begin(struct lg_fleet_db *db)
{
	if (db->sync_err)
		return -EIO;
	if (!db->in_txn) {
		if (!run(db, "BEGIN IMMEDIATE"))
			return -EIO;
		db->in_txn = true;
		pthread_cond_signal(&db->work);
	}
	return run(db, "SAVEPOINT op") ? 0 : -EIO;
}

/* Undo this operation's writes only. */
static void op_abort(struct lg_fleet_db *db)
{
	run(db, "ROLLBACK TO op");
	run(db, "RELEASE op");
}

/* Done writing; when wait, returns once the batch is on disk: 0, or
 * -EIO when its commit failed (everything in it was rolled back) or the
 * WAL could not be synced. */
static int op_end(struct lg_fleet_db *db, bool wait)
{
	if (!run(db, "RELEASE op")) {
		op_abort(db);
		return -EIO;
	}
	if (!wait)
		return 0;
	uint64_t mine = db->batch;
	while (db->durable < mine)
		pthread_cond_wait(&db->done_cv, &db->lock);
	return db->failed[mine % BATCH_RING] ? -EIO : 0;
}

static void *committer(void *arg)
{
	struct lg_fleet_db *db = arg;
	pthread_mutex_lock(&db->lock);
	for (;;) {
		while (!db->in_txn && !db->stop)
			pthread_cond_wait(&db->work, &db->lock);
		if (!db->in_txn)
			break;
		uint64_t b = db->batch;
		/* Once a sync failed, the log on the disk may lack a committed
		 * batch, and SQLite's recovery after a power cut stops at the
		 * first frame it lacks: no later commit could be promised
		 * durable. So nothing is committed any more (the batch that
		 * filled meanwhile is rolled back) and op_begin refuses. */
		bool ok = !db->sync_err && run(db, "COMMIT");
		if (!ok)
			run(db, "ROLLBACK");
		db->in_txn = false;
		db->batch = b + 1;
		/* The next batch fills while this one goes to the disk. */
		pthread_mutex_unlock(&db->lock);
		int e = ok && fdatasync(db->walfd) ? errno : 0;
		pthread_mutex_lock(&db->lock);
		if (e)
			db->sync_err = e;
		db->failed[b % BATCH_RING] = !ok || e;
		db->durable = b;
		pthread_cond_broadcast(&db->done_cv);
	}
	pthread_mutex_unlock(&db->lock);
	return NULL;
}

static void state_get(struct lg_fleet_db *db, const char *k, char *out, size_t outsz)
{
	query_text(db, out, outsz, "SELECT v FROM state WHERE k=?", k);
}

static int state_set(struct lg_fleet_db *db, const char *k, const char *v)
{
	return EXEC(db, "INSERT INTO state(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v", k, v);
}

static void db_free(struct lg_fleet_db *db)
{
	for (size_t i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	sqlite3_close(db->h);
	if (db->walfd >= 0)
		close(db->walfd);
	free(db);
}

/* The WAL file, opened for the committer's fdatasync (SQLite keeps it
 * while a connection is open), and its directory entry made durable.
 * First what the log holds goes into the database file (synced) and the
 * log is emptied: after a sync of the log failed in an earlier run
 * (committer), what that sync may have left off the disk is written
 * again (the page cache still holds it) instead of taking every later
 * commit with it at the next power cut. */
static int open_wal(struct lg_fleet_db *db, const char *path, struct lg_err *err)
{
	char mode[16];
	query_text(db, mode, sizeof(mode), "PRAGMA journal_mode", NULL);
	if (strcmp(mode, "wal")) {
		lg_err_set(err, "%s: the database cannot use a write-ahead log here (journal mode %s)", path, mode);
		return -EIO;
	}
	if (sqlite3_exec(db->h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) {
		lg_err_set(err, "%s: cannot write the write-ahead log into the database: %s", path, sqlite3_errmsg(db->h));
		return -EIO;
	}
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db->h, "main"));
	db->walfd = wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
	if (db->walfd < 0) {
		lg_err_set(err, "%s-wal: %s", path, strerror(errno));
		return -EIO;
	}
	char *dir = strdup(wal);
	int dfd = dir ? open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(dir);
	int rc = dfd >= 0 && !fsync(dfd) && !fdatasync(db->walfd) ? 0 : -EIO;
	if (dfd >= 0)
		close(dfd);
	if (rc < 0)
		lg_err_set(err, "%s: cannot sync the write-ahead log: %s", path, strerror(errno));
	return rc;
}

int lg_fleet_db_open(struct lg_fleet_db **out, const char *path, const struct lg_fleet_plan_cfg *cfg,
		     struct lg_err *err)
{
	struct lg_fleet_db *db = lg_zalloc(sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->walfd = -1;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		lg_err_set(err, "%s: %s", path, db->h ? sqlite3_errmsg(db->h) : "cannot open");
		db_free(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->h, 5000);
	char *msg = NULL;
	if (sqlite3_exec(db->h, schema, NULL, NULL, &msg) != SQLITE_OK) {
		lg_err_set(err, "%s: %s", path, msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		db_free(db);
		return -EIO;
	}
	if (cfg)
		db->cfg = *cfg;
	/* The deployment state is set once, at the first start; later starts
	 * keep the operator's decisions. */
	char deploy[16];
	state_get(db, "deploy", deploy, sizeof(deploy));
	if (!*deploy)
		state_set(db, "deploy", db->cfg.canary || db->cfg.canary_list_n ? "canary" : "all");
	if (open_wal(db, path, err) < 0) {
		db_free(db);
		return -EIO;
	}
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->work, NULL);
	pthread_cond_init(&db->done_cv, NULL);
	db->batch = 1;
	if (pthread_create(&db->committer, NULL, committer, db)) {
		lg_err_set(err, "cannot start the database thread");
		pthread_cond_destroy(&db->work);
		pthread_cond_destroy(&db->done_cv);
		pthread_mutex_destroy(&db->lock);
		db_free(db);
		return -EAGAIN;
	}
	db->thread_started = true;
	*out = db;
	return 0;
}

void lg_fleet_db_close(struct lg_fleet_db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->lock);
	db->stop = true;
	pthread_cond_signal(&db->work);
	pthread_mutex_unlock(&db->lock);
	if (db->thread_started)
		pthread_join(db->committer, NULL);
	pthread_cond_destroy(&db->work);
	pthread_cond_destroy(&db->done_cv);
	pthread_mutex_destroy(&db->lock);
	db_free(db);
}

static void touch_machine(struct lg_fleet_db *db, const char *machine, const char *ip, const char *now)
{
	EXEC(db, "INSERT INTO machines(machine,first_seen,last_seen,last_ip) VALUES(?,?,?,?)"
		    " ON CONFLICT(machine) DO UPDATE SET last_seen=excluded.last_seen,"
		    " last_ip=COALESCE(excluded.last_ip,last_ip)", machine, now, now, ip);
}

int lg_fleet_db_add_report(struct lg_fleet_db *db, const struct lg_fleet_report *r, const char *body,
			   size_t len, const char *client_ip, const char *source, const char *received,
			   bool *recrash, struct lg_err *err)
{
	char now[32], ec[16], matches[24];
	now_text(now);
	if (received)
		snprintf(now, sizeof(now), "%s", received);
	snprintf(ec, sizeof(ec), "%d", r->exit_code);
	snprintf(matches, sizeof(matches), "%lld", r->matches);
	pthread_mutex_lock(&db->lock);
	int rc = -EIO;
	if (op_begin(db) < 0)
		goto fail;
	if (query_int(db, "SELECT COUNT(*) FROM reports WHERE run_id=?", r->run_id)) {
		/* Already there (maybe in this very batch): 0 once it is on disk. */
		rc = op_end(db, true);
		if (rc < 0)
			write_err(db, err, "commit failed");
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	/* A PC that reports again after a fix crashed and booted the network
	 * again: the fix did not help (an undo run is the operator's doing). */
	bool again = strcmp(r->mode, "undo") &&
		     query_int(db, "SELECT COUNT(*) FROM reports WHERE machine=? AND outcome='fixed'", r->machine);
	sqlite3_stmt *st = stmt(db, "INSERT INTO reports(run_id,machine,received,client_ip,source,mode,outcome,"
				    "exit_code,recrash,computer_name,serial,model,ip,mac,matches,keys_needed,crash,body)"
				    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		goto rollback;
	const char *args[] = { r->run_id, r->machine, now, client_ip, source, r->mode, r->outcome, ec,
			       again ? "1" : "0", r->computer_name, r->serial, r->model,
			       *r->ip ? r->ip : client_ip, r->mac, r->matches >= 0 ? matches : NULL,
			       r->keys_needed, r->crash };
	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		sqlite3_bind_text(st, (int)i + 1, args[i], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, ARRAY_SIZE(args) + 1, body, (int)len, SQLITE_STATIC);
	int s = sqlite3_step(st);
	stmt_done(st);
	if (s != SQLITE_DONE)
		goto rollback;
	touch_machine(db, r->machine, client_ip, now);
	/* The machine row shows its newest run (imports come in any order). */
	if (EXEC(db, "UPDATE machines SET last_run=?1 WHERE machine=?2 AND (last_run IS NULL OR"
			" COALESCE((SELECT received FROM reports WHERE run_id=last_run), '') <= ?3)",
		 r->run_id, r->machine, now) < 0)
		goto rollback;
	/* The 2xx only once the report is on disk. */
	if (op_end(db, true) < 0) {
		write_err(db, err, "commit failed");
		pthread_mutex_unlock(&db->lock);
		return -EIO;
	}
	pthread_mutex_unlock(&db->lock);
	if (recrash)
		*recrash = again;
	return 1;
rollback:
	write_err(db, err, sqlite3_errmsg(db->h));
	op_abort(db);
	pthread_mutex_unlock(&db->lock);
	return rc;
fail:
	write_err(db, err, sqlite3_errmsg(db->h));
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* Is this machine on the --canary-list (by uuid, serial or computer name
 * from its reports)? */
static bool on_canary_list(struct lg_fleet_db *db, const char *machine)
{
	char serial[64], name[64];
	query_text(db, serial, sizeof(serial),
		   "SELECT lower(serial) FROM reports WHERE machine=? AND serial!='' ORDER BY received DESC LIMIT 1", machine);
	query_text(db, name, sizeof(name),
		   "SELECT lower(computer_name) FROM reports WHERE machine=? AND computer_name!=''"
		   " ORDER BY received DESC LIMIT 1", machine);
	for (size_t i = 0; i < db->cfg.canary_list_n; i++) {
		const char *c = db->cfg.canary_list[i];
		if (!strcmp(c, machine) || (*serial && !strcmp(c, serial)) || (*name && !strcmp(c, name)))
			return true;
	}
	return false;
}

char *lg_fleet_db_plan(struct lg_fleet_db *db, const char *machine, const char *client_ip, struct lg_err *err)
{
	char now[32], deploy[16], paused[128], rollback[128], ring_s[8] = "0", reason[192] = "";
	char run[32] = "";
	const char *mode = "fix";
	now_text(now);
	pthread_mutex_lock(&db->lock);
	if (op_begin(db) < 0) {
		write_err(db, err, sqlite3_errmsg(db->h));
		pthread_mutex_unlock(&db->lock);
		return NULL;
	}
	touch_machine(db, machine, client_ip, now);
	state_get(db, "deploy", deploy, sizeof(deploy));
	state_get(db, "paused", paused, sizeof(paused));
	state_get(db, "rollback", rollback, sizeof(rollback));
	long long ring = query_int(db, "SELECT ring FROM machines WHERE machine=?", machine);
	if (!ring) {
		/* The first N to ask (or the listed ones) form ring 1. */
		bool one;
		if (db->cfg.canary_list_n)
			one = on_canary_list(db, machine);
		else if (!db->cfg.canary)
			one = true;  /* no canary ring: everyone is in the first */
		else
			one = query_int(db, "SELECT COUNT(*) FROM machines WHERE ring=1", NULL) < db->cfg.canary;
		ring = one ? 1 : 2;
		snprintf(ring_s, sizeof(ring_s), "%lld", ring);
		EXEC(db, "UPDATE machines SET ring=? WHERE machine=?", ring_s, machine);
	}
	if (*rollback) {
		/* The newest fix of this machine not undone since. */
		query_text(db, run, sizeof(run),
			   "SELECT run_id FROM reports WHERE machine=? AND mode='fix' AND outcome='fixed'"
			   /* arrival order, not the clock: a fix and its undo may come within one second */
			   " AND rowid > COALESCE((SELECT MAX(rowid) FROM reports WHERE machine=?1 AND mode='undo'), 0)"
			   " ORDER BY received DESC, rowid DESC LIMIT 1", machine);
		if (*run) {
			mode = "undo";
			snprintf(reason, sizeof(reason), "rollback");
		} else {
			mode = "scan";
			snprintf(reason, sizeof(reason), "rollback (%s): nothing to undo here", rollback);
		}
	} else if (*paused) {
		mode = "scan";
		snprintf(reason, sizeof(reason), "paused by %s", paused);
	} else if (!strcmp(deploy, "promoted")) {
		snprintf(reason, sizeof(reason), "ring 1 promoted");
	} else if (!strcmp(deploy, "canary")) {
		if (ring == 1) {
			snprintf(reason, sizeof(reason), "canary ring 1");
		} else {
			mode = "scan";
			snprintf(reason, sizeof(reason), "ring 2: waiting for ring 1 to be promoted");
		}
	} else {
		snprintf(reason, sizeof(reason), "every PC fixes (no canary ring)");
	}
	json_t *o = json_pack("{s:s}", "mode", mode);
	if (*run)
		json_object_set_new(o, "run_id", json_string(run));
	json_object_set_new(o, "reason", json_string(reason));
	char *text = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	EXEC(db, "UPDATE machines SET plan=?, plan_reason=?, plan_time=? WHERE machine=?", mode, reason, now, machine);
	if (op_end(db, true) < 0) {
		write_err(db, err, "commit failed");
		free(text);
		text = NULL;
	}
	pthread_mutex_unlock(&db->lock);
	return text;
}

int lg_fleet_db_decide(struct lg_fleet_db *db, const char *action, const char *op, struct lg_err *err)
{
	char now[32], who[160];
	now_text(now);
	snprintf(who, sizeof(who), "%s at %s", op, now);
	pthread_mutex_lock(&db->lock);
	int rc = op_begin(db);
	if (rc < 0) {
		write_err(db, err, sqlite3_errmsg(db->h));
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	if (!strcmp(action, "pause"))
		rc = state_set(db, "paused", who);
	else if (!strcmp(action, "resume"))
		rc = state_set(db, "paused", "") < 0 || state_set(db, "rollback", "") < 0 ? -EIO : 0;
	else if (!strcmp(action, "promote"))
		rc = state_set(db, "deploy", "promoted") < 0 || state_set(db, "paused", "") < 0 ||
		     state_set(db, "rollback", "") < 0 ? -EIO : 0;
	else if (!strcmp(action, "rollback"))
		rc = state_set(db, "rollback", who);
	else
		rc = -EINVAL;
	if (rc >= 0)
		rc = EXEC(db, "INSERT INTO decisions(time,operator,action) VALUES(?,?,?)", now, op, action);
	if (rc >= 0) {
		rc = op_end(db, true);
		if (rc < 0)
			write_err(db, err, "commit failed");
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	if (rc == -EINVAL)
		lg_err_set(err, "unknown action '%s' (pause, resume, promote, rollback)", action);
	else
		write_err(db, err, sqlite3_errmsg(db->h));
	op_abort(db);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

void lg_fleet_db_seen(struct lg_fleet_db *db, const char *ip, const char *what)
{
	char now[32];
	now_text(now);
	pthread_mutex_lock(&db->lock);
	if (op_begin(db) == 0) {
		EXEC(db, "INSERT INTO clients(ip,first_seen,last_seen,what) VALUES(?,?,?,?) ON CONFLICT(ip) DO UPDATE"
			    " SET last_seen=excluded.last_seen, what=excluded.what", ip, now, now, what);
		op_end(db, false);
	}
	pthread_mutex_unlock(&db->lock);
}

static void key_log(struct lg_fleet_db *db, const char *ip, const char *protector, const char *result)
{
	char now[32], machine[40];
	now_text(now);
	query_text(db, machine, sizeof(machine),
		   "SELECT machine FROM machines WHERE last_ip=? ORDER BY last_seen DESC LIMIT 1", ip);
	EXEC(db, "INSERT INTO key_log(time,client_ip,machine,protector,result) VALUES(?,?,?,?,?)", now, ip,
	     *machine ? machine : NULL, protector, result);
}

int lg_fleet_db_key_take(struct lg_fleet_db *db, const char *ip, const char *protector, unsigned limit)
{
	pthread_mutex_lock(&db->lock);
	bool ok = !limit || query_int(db, "SELECT COUNT(*) FROM key_log WHERE protector=? AND result='served'",
				      protector) < (long long)limit;
	/* A key goes out only once its log entry is on disk. */
	int rc = op_begin(db);
	if (rc == 0) {
		key_log(db, ip, protector, ok ? "served" : "use-limit");
		rc = op_end(db, true);
	}
	pthread_mutex_unlock(&db->lock);
	return rc < 0 ? rc : ok;
}

void lg_fleet_db_key_miss(struct lg_fleet_db *db, const char *ip, const char *protector)
{
	pthread_mutex_lock(&db->lock);
	if (op_begin(db) == 0) {
		key_log(db, ip, protector, "miss");
		op_end(db, false);
	}
	pthread_mutex_unlock(&db->lock);
}

long long lg_fleet_db_report_count(struct lg_fleet_db *db)
{
	pthread_mutex_lock(&db->lock);
	long long n = query_int(db, "SELECT COUNT(*) FROM reports WHERE ?1 IS NULL", NULL);
	pthread_mutex_unlock(&db->lock);
	return n;
}

/* The machine table: one row per machine, its newest report. */
#define MACHINE_SQL \
	"SELECT m.machine, r.computer_name, r.serial, r.model, COALESCE(r.ip, m.last_ip)," \
	" CASE WHEN r.run_id IS NULL THEN 'not-reported' WHEN r.recrash THEN 're-crashed' ELSE r.outcome END AS oc," \
	" r.matches, r.keys_needed, r.crash, COALESCE(r.received, m.last_seen), m.ring, m.plan, m.plan_reason," \
	" r.run_id, r.mode, r.exit_code" \
	" FROM machines m LEFT JOIN reports r ON r.run_id = m.last_run" \
	" WHERE ?1 IS NULL OR oc = ?1 ORDER BY COALESCE(r.received, m.last_seen) DESC, m.machine"

static const char *const machine_cols[] = {
	"machine", "computer_name", "serial", "model", "ip", "outcome", "matches", "keys_needed",
	"crash", "time", "ring", "plan", "plan_reason", "run_id", "mode", "exit_code",
};

static json_t *machines_array(struct lg_fleet_db *db, const char *outcome)
{
	json_t *a = json_array();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, MACHINE_SQL, -1, &st, NULL) != SQLITE_OK)
		return a;
	if (outcome)
		sqlite3_bind_text(st, 1, outcome, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < (int)ARRAY_SIZE(machine_cols); i++) {
			json_t *v;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, i)); break;
			case SQLITE_NULL: v = json_null(); break;
			default: v = json_string((const char *)sqlite3_column_text(st, i)); break;
			}
			if (!strcmp(machine_cols[i], "matches") && sqlite3_column_type(st, i) == SQLITE_TEXT)
				v = (json_decref(v), json_integer(sqlite3_column_int64(st, i)));
			json_object_set_new(o, machine_cols[i], v ? v : json_null());
		}
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	return a;
}

char *lg_fleet_db_machines_json(struct lg_fleet_db *db, const char *outcome)
{
	pthread_mutex_lock(&db->lock);
	json_t *a = machines_array(db, outcome);
	pthread_mutex_unlock(&db->lock);
	char *t = json_dumps(a, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(a);
	return t;
}

/* RFC 4180 quoting; a leading = + - @ is prefixed with ' so that a
 * spreadsheet does not run a hostile computer name as a formula. */
static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@')
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

char *lg_fleet_db_machines_csv(struct lg_fleet_db *db, const char *outcome)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(machine_cols); i++)
		fprintf(f, "%s%s", i ? "," : "", machine_cols[i]);
	fputs("\r\n", f);
	pthread_mutex_lock(&db->lock);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, MACHINE_SQL, -1, &st, NULL) == SQLITE_OK) {
		if (outcome)
			sqlite3_bind_text(st, 1, outcome, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < (int)ARRAY_SIZE(machine_cols); i++) {
				const unsigned char *t = sqlite3_column_text(st, i);
				if (i)
					fputc(',', f);
				csv_field(f, t ? (const char *)t : "");
			}
			fputs("\r\n", f);
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->lock);
	fclose(f);
	return buf;
}

static json_t *rows(sqlite3 *h, const char *sql, const char *const *names, int n)
{
	json_t *a = json_array();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return a;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < n; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
				json_object_set_new(o, names[i], json_integer(sqlite3_column_int64(st, i)));
			else if (sqlite3_column_type(st, i) == SQLITE_NULL)
				json_object_set_new(o, names[i], json_null());
			else
				json_object_set_new(o, names[i], json_string((const char *)sqlite3_column_text(st, i)));
		}
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	return a;
}

char *lg_fleet_db_summary_json(struct lg_fleet_db *db, long long throttled, unsigned keys_loaded)
{
	static const char *const oc[] = { "fixed", "nothing-to-do", "locked", "refused", "failed",
					  "no-windows", "re-crashed", "undone", "scanned", "not-reported" };
	char deploy[16], paused[128], rollback[128];
	pthread_mutex_lock(&db->lock);
	json_t *s = json_object(), *counts = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(oc); i++)
		json_object_set_new(counts, oc[i], json_integer(0));
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT oc, COUNT(*) FROM (" MACHINE_SQL ") GROUP BY oc", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(counts, (const char *)sqlite3_column_text(st, 0),
					    json_integer(sqlite3_column_int64(st, 1)));
		sqlite3_finalize(st);
	}
	/* Clients that fetched a boot file or the list and were not heard of since. */
	long long anon = query_int(db, "SELECT COUNT(*) FROM clients c WHERE ?1 IS NULL AND NOT EXISTS"
				   " (SELECT 1 FROM machines m WHERE m.last_ip=c.ip) AND NOT EXISTS"
				   " (SELECT 1 FROM reports r WHERE r.client_ip=c.ip)", NULL);
	json_object_set_new(counts, "not-reported",
			    json_integer(json_integer_value(json_object_get(counts, "not-reported")) + anon));
	json_object_set_new(s, "counts", counts);
	state_get(db, "deploy", deploy, sizeof(deploy));
	state_get(db, "paused", paused, sizeof(paused));
	state_get(db, "rollback", rollback, sizeof(rollback));
	const char *mode = *rollback ? "rollback" : *paused ? "paused" : !strcmp(deploy, "canary") ? "canary" : "fix";
	json_object_set_new(s, "mode", json_string(mode));
	json_object_set_new(s, "deploy", json_string(deploy));
	json_object_set_new(s, "paused", json_string(paused));
	json_object_set_new(s, "rollback", json_string(rollback));
	json_object_set_new(s, "canary", json_integer(db->cfg.canary));
	json_object_set_new(s, "canary_list", json_integer((json_int_t)db->cfg.canary_list_n));
	static const char *const rn[] = { "ring", "machines" };
	json_object_set_new(s, "rings", rows(db->h, "SELECT ring, COUNT(*) FROM machines GROUP BY ring ORDER BY ring", rn, 2));
	static const char *const pn[] = { "plan", "machines" };
	json_object_set_new(s, "plans", rows(db->h, "SELECT plan, COUNT(*) FROM machines WHERE plan IS NOT NULL"
						" GROUP BY plan ORDER BY plan", pn, 2));
	static const char *const cn[] = { "crash", "machines" };
	json_object_set_new(s, "crash_groups", rows(db->h, "SELECT crash, COUNT(DISTINCT machine) AS n FROM reports"
							" WHERE crash != '' GROUP BY crash ORDER BY n DESC, crash LIMIT 50", cn, 2));
	static const char *const kn[] = { "time", "client_ip", "machine", "computer_name", "protector", "result" };
	json_object_set_new(s, "key_log", rows(db->h, "SELECT k.time, k.client_ip, k.machine, (SELECT r.computer_name FROM"
						      " reports r WHERE r.machine=k.machine ORDER BY received DESC LIMIT 1),"
						      " k.protector, k.result FROM key_log k ORDER BY k.id DESC LIMIT 50", kn, 6));
	static const char *const dn[] = { "time", "operator", "action" };
	json_object_set_new(s, "decisions", rows(db->h, "SELECT time, operator, action FROM decisions ORDER BY id DESC LIMIT 50", dn, 3));
	json_object_set_new(s, "reports", json_integer(query_int(db, "SELECT COUNT(*) FROM reports WHERE ?1 IS NULL", NULL)));
	json_object_set_new(s, "keys_served", json_integer(query_int(db, "SELECT COUNT(*) FROM key_log WHERE result=?", "served")));
	json_object_set_new(s, "key_misses", json_integer(query_int(db, "SELECT COUNT(*) FROM key_log WHERE result=?", "miss")));
	pthread_mutex_unlock(&db->lock);
	json_object_set_new(s, "key_throttled", json_integer(throttled));
	json_object_set_new(s, "keys_loaded", json_integer(keys_loaded));
	char *t = json_dumps(s, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(s);
	return t;
}
