// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `lastgood serve` (serve.h): the HTTPS front of the fleet. libmicrohttpd
 * does HTTP and TLS (thread per connection: a report's handler may wait
 * for its database commit without holding up anyone else); this file
 * routes, checks, and answers.
 */
#include "serve/serve.h"
#include "serve/db.h"
#include "serve/report.h"
#include "formats/keys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- keys -------------------------------------------------------------- */

struct key_index {
	struct lg_keyring *kr;
	struct { char guid[37]; const struct lg_key *k; } *e;  /* sorted by guid (upper case) */
	size_t n;
};

static int idx_cmp(const void *a, const void *b)
{
	return strcmp(a, b);  /* guid is the first member */
}

static void key_index_free(struct key_index *ki)
{
	if (!ki)
		return;
	lg_keyring_free(ki->kr);
	free(ki->e);
	free(ki);
}

static struct key_index *key_index_load(const char *path, struct lg_err *err)
{
	struct key_index *ki = lg_zalloc(sizeof(*ki));
	if (!ki || !(ki->kr = lg_keyring_new())) {
		free(ki);
		lg_err_set(err, "out of memory");
		return NULL;
	}
	if (lg_keyring_load(ki->kr, path, err) < 0) {
		key_index_free(ki);
		return NULL;
	}
	ki->e = calloc(ki->kr->n ? ki->kr->n : 1, sizeof(*ki->e));
	if (!ki->e) {
		key_index_free(ki);
		lg_err_set(err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < ki->kr->n; i++) {
		const struct lg_key *k = &ki->kr->keys[i];
		for (int j = 0; j < 37; j++)
			ki->e[i].guid[j] = (char)toupper((unsigned char)k->id[j]);
		ki->e[i].k = k;
	}
	ki->n = ki->kr->n;
	qsort(ki->e, ki->n, sizeof(*ki->e), idx_cmp);
	return ki;
}

/* ---- the server -------------------------------------------------------- */

#define THROTTLE_SLOTS 4096

struct server {
	const struct lg_serve_opts *o;
	struct MHD_Daemon *d;
	struct lg_fleet_db *db;
	int rootfd;
	pthread_rwlock_t keys_lock;
	struct key_index *keys;
	pthread_mutex_t throttle_lock;
	struct { char ip[48]; double tokens; double last; } throttle[THROTTLE_SLOTS];
	atomic_llong throttled;
	atomic_int inflight;
	atomic_bool stopping;
};

__attribute__((format(printf, 2, 3)))
static void logf_(struct server *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->o->log)
		s->o->log(s->o->log_ctx, line);
}

struct req {
	char *body;
	size_t len, cap;
	bool too_large;      /* a chunked report body went over the limit */
	uint64_t dropped;    /* bytes read and dropped since */
	char ip[48];
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void client_ip(struct MHD_Connection *c, char out[48])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, 48, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 48);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, 48);
		else
			inet_ntop(AF_INET6, a, out, 48);
	}
}

/* ---- responses --------------------------------------------------------- */

static void common_headers(struct server *s, struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (atomic_load(&s->stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

static enum MHD_Result send_buf(struct server *s, struct MHD_Connection *c, unsigned status, const char *type,
				const void *buf, size_t len, bool nostore)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (nostore)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	common_headers(s, r);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Takes a malloc'd body. */
static enum MHD_Result send_owned(struct server *s, struct MHD_Connection *c, unsigned status, const char *type,
				  char *body)
{
	if (!body)
		return send_buf(s, c, 500, "application/json", "{\"error\": \"internal error\"}", 27, true);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	common_headers(s, r);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct server *s, struct MHD_Connection *c, unsigned status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *t = json_dumps(o, 0);
	json_decref(o);
	return send_owned(s, c, status, "application/json", t);
}

/* ---- operator authentication ------------------------------------------- */

static bool token_eq(const struct server *s, const char *given)
{
	const char *want = s->o->admin_token;
	size_t n = strlen(want);
	return given && strlen(given) == n && CRYPTO_memcmp(given, want, n) == 0;
}

/* The operator's name for the decision log: the basic-auth user or the
 * X-Lastgood-Operator header, letters, digits and ._@- only. */
static void operator_name(const char *in, char out[64])
{
	size_t j = 0;
	for (; in && *in && j < 63; in++)
		if (isalnum((unsigned char)*in) || strchr("._@-", *in))
			out[j++] = *in;
	out[j] = '\0';
	if (!j)
		snprintf(out, 64, "operator");
}

static bool authorized(struct server *s, struct MHD_Connection *c, char op[64])
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	operator_name(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Lastgood-Operator"), op);
	if (!h)
		return false;
	if (!strncasecmp(h, "Bearer ", 7))
		return token_eq(s, h + 7);
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = token_eq(s, pass);
	if (ok && user && *user)
		operator_name(user, op);
	if (pass)
		lg_wipe(pass, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result send_unauthorized(struct server *s, struct MHD_Connection *c)
{
	static const char msg[] = "{\"error\": \"operator only: Authorization: Bearer TOKEN or basic auth\"}";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	common_headers(s, r);
	enum MHD_Result ret = MHD_queue_basic_auth_fail_response(c, "lastgood fleet", r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- static boot tree -------------------------------------------------- */

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".efi", "application/efi" }, { ".json", "application/json" },
		{ ".minisig", "text/plain; charset=utf-8" }, { ".txt", "text/plain; charset=utf-8" },
		{ ".conf", "text/plain; charset=utf-8" }, { ".example", "text/plain; charset=utf-8" },
		{ ".cfg", "text/plain; charset=utf-8" }, { ".csv", "text/csv; charset=utf-8" },
		{ ".iso", "application/x-iso9660-image" }, { ".img", "application/octet-stream" },
		{ ".html", "text/html; charset=utf-8" }, { ".sig", "application/octet-stream" },
	};
	size_t n = strlen(path);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		size_t m = strlen(t[i].ext);
		if (n > m && !strcasecmp(path + n - m, t[i].ext))
			return t[i].type;
	}
	return "application/octet-stream";
}

/* A path under the root: components of [A-Za-z0-9._-+], none empty, none
 * starting with a dot (no "..", no hidden files). */
static bool path_ok(const char *p)
{
	if (!*p || strlen(p) > 512)
		return false;
	bool start = true;
	for (; *p; p++) {
		if (*p == '/') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (start && *p == '.')
			return false;
		if (!isalnum((unsigned char)*p) && !strchr("._-+", *p))
			return false;
		start = false;
	}
	return !start;
}

/* "bytes=A-B", "bytes=A-", "bytes=-N": 1 with [*off, *off + *len), 0 to
 * send the whole file (no, several or unparsable ranges), -1 unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	if (!h || strncmp(h, "bytes=", 6) || strchr(h, ','))
		return 0;
	h += 6;
	char *end;
	if (*h == '-') {
		if (!isdigit((unsigned char)h[1]))
			return 0;
		errno = 0;
		unsigned long long n = strtoull(h + 1, &end, 10);
		if (*end || errno)
			return 0;
		if (!n || !size)
			return -1;
		*len = n < size ? n : size;
		*off = size - *len;
		return 1;
	}
	if (!isdigit((unsigned char)*h))
		return 0;
	errno = 0;
	unsigned long long a = strtoull(h, &end, 10), b = size ? size - 1 : 0;
	if (errno || *end != '-')
		return 0;
	if (end[1]) {
		if (!isdigit((unsigned char)end[1]))
			return 0;
		b = strtoull(end + 1, &end, 10);
		if (*end || errno || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

static enum MHD_Result send_file(struct server *s, struct MHD_Connection *c, const char *rel, const char *ip)
{
	if (!path_ok(rel))
		return send_error(s, c, 404, "not found");
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, s->rootfd, rel, &how, sizeof(how));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_error(s, c, 404, "not found");
	}
	uint64_t size = (uint64_t)st.st_size, off = 0, len = size;
	int rr = parse_range(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE), size, &off, &len);
	if (rr < 0) {
		close(fd);
		char cr[48];
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
		common_headers(s, r);
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
		MHD_destroy_response(r);
		return ret;
	}
	/* Who is booting: the page counts clients that fetched a boot file or
	 * the list and have not reported yet. */
	if (off == 0) {
		size_t n = strlen(rel);
		if (n > 4 && !strcasecmp(rel + n - 4, ".efi"))
			lg_fleet_db_seen(s->db, ip, "boot");
		else if (!strcmp(rel, "denylist.json"))
			lg_fleet_db_seen(s->db, ip, "denylist");
	}
	struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(len, fd, off);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(rel));
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	char lm[64];
	struct tm tm;
	gmtime_r(&st.st_mtime, &tm);
	strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	unsigned status = MHD_HTTP_OK;
	if (rr > 0) {
		char cr[96];
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)off,
			 (unsigned long long)(off + len - 1), (unsigned long long)size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	common_headers(s, r);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- keys by protector ------------------------------------------------- */

/* Takes one token of the client's miss budget (when miss) or just looks;
 * returns 0, or the seconds to wait when the budget is spent. */
static unsigned throttle(struct server *s, const char *ip, bool miss)
{
	double rate = s->o->miss_limit / 60.0, cap = s->o->miss_limit, now = mono();
	unsigned h = 5381;
	for (const char *p = ip; *p; p++)
		h = h * 33 + (unsigned char)*p;
	pthread_mutex_lock(&s->throttle_lock);
	__typeof__(&s->throttle[0]) t = &s->throttle[h % THROTTLE_SLOTS];
	if (strcmp(t->ip, ip)) {  /* a new client (or a collision: the slot starts over) */
		snprintf(t->ip, sizeof(t->ip), "%s", ip);
		t->tokens = cap;
		t->last = now;
	}
	t->tokens += (now - t->last) * rate;
	if (t->tokens > cap)
		t->tokens = cap;
	t->last = now;
	unsigned wait = 0;
	if (t->tokens < 1)
		wait = (unsigned)((1 - t->tokens) / rate) + 1;
	else if (miss)
		t->tokens -= 1;
	pthread_mutex_unlock(&s->throttle_lock);
	return wait;
}

static bool guid_ok(const char *g)
{
	if (strlen(g) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (g[i] != '-')
				return false;
		} else if (!isdigit((unsigned char)g[i]) && !(g[i] >= 'A' && g[i] <= 'F')) {
			return false;
		}
	}
	return true;
}

/* The answer buffer holds a key: wiped when libmicrohttpd is done with it. */
struct secret_buf {
	size_t len;
	char data[];
};

static void secret_free(void *p)
{
	struct secret_buf *b = (struct secret_buf *)((char *)p - offsetof(struct secret_buf, data));
	lg_wipe(b->data, b->len);
	free(b);
}

static enum MHD_Result send_key(struct server *s, struct MHD_Connection *c, const char *guid, const char *ip)
{
	unsigned wait = throttle(s, ip, false);
	if (wait) {
		atomic_fetch_add(&s->throttled, 1);
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", wait);
		json_t *o = json_pack("{s:s}", "error", "too many unknown protectors from this address");
		char *t = json_dumps(o, 0);
		json_decref(o);
		struct MHD_Response *r = MHD_create_response_from_buffer(strlen(t), t, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
		common_headers(s, r);
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
		MHD_destroy_response(r);
		return ret;
	}
	struct secret_buf *b = NULL;
	const char *type = NULL;
	pthread_rwlock_rdlock(&s->keys_lock);
	const struct lg_key *k = NULL;
	if (guid_ok(guid)) {
		__typeof__(&s->keys->e[0]) e = bsearch(guid, s->keys->e, s->keys->n, sizeof(*e), idx_cmp);
		/* A recovery password before a startup key of the same protector. */
		for (; e && e > s->keys->e && !strcmp(e[-1].guid, guid); e--)
			;
		if (e)
			k = e->k;
	}
	if (k && k->type == LG_KEY_RECOVERY_PASSWORD) {
		/* Byte for byte what docs/fleet-api.md shows (and `keys export --tree` writes). */
		size_t cap = 160;
		b = malloc(sizeof(*b) + cap);
		if (b) {
			int n = snprintf(b->data, cap, "{\"protector_id\": \"%s\", \"recovery_password\": \"%s\"}\n",
					 guid, k->password);
			b->len = n > 0 && (size_t)n < cap ? (size_t)n : 0;
			type = "application/json";
		}
	} else if (k && k->type == LG_KEY_STARTUP_KEY && k->bek_len <= 65536) {
		b = malloc(sizeof(*b) + (k->bek_len ? k->bek_len : 1));
		if (b) {
			memcpy(b->data, k->bek, k->bek_len);
			b->len = k->bek_len;
			type = "application/octet-stream";
		}
	}
	pthread_rwlock_unlock(&s->keys_lock);
	if (!k) {
		throttle(s, ip, true);
		/* Only a GUID goes into the log, never what a scanner sent. */
		lg_fleet_db_key_miss(s->db, ip, guid_ok(guid) ? guid : "(not a GUID)");
		logf_(s, "key miss: %s from %s", guid_ok(guid) ? guid : "(not a GUID)", ip);
		return send_error(s, c, 404, "unknown protector");
	}
	if (!b)
		return send_error(s, c, 500, "out of memory");
	int taken = lg_fleet_db_key_take(s->db, ip, guid, s->o->key_uses);
	if (taken < 0) {
		secret_free(b->data);
		logf_(s, "key %s not served to %s: the key log could not be written", guid, ip);
		return send_error(s, c, 503, "database error");
	}
	if (!taken) {
		secret_free(b->data);
		logf_(s, "key %s not served to %s: used %u times already (--key-uses)", guid, ip, s->o->key_uses);
		return send_error(s, c, 403, "key use limit reached");
	}
	logf_(s, "key served: %s to %s", guid, ip);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(b->len, b->data, secret_free);
	if (!r) {
		secret_free(b->data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	common_headers(s, r);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- reports ----------------------------------------------------------- */

static enum MHD_Result take_report(struct server *s, struct MHD_Connection *c, struct req *q)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct && strncasecmp(ct, "application/json", 16))
		return send_error(s, c, 415, "Content-Type must be application/json");
	struct lg_fleet_report r;
	struct lg_err err = { "" };
	int rc = lg_fleet_report_check(q->body ? q->body : "", q->len, &r, &err);
	if (rc == -EFBIG)
		return send_error(s, c, 413, err.msg);
	if (rc < 0)
		return send_error(s, c, 400, err.msg);
	bool recrash = false;
	rc = lg_fleet_db_add_report(s->db, &r, q->body, q->len, q->ip, "post", NULL, &recrash, &err);
	if (rc < 0) {
		logf_(s, "report %s not stored: %s", r.run_id, err.msg);
		return send_error(s, c, 503, "not stored: database error");
	}
	if (rc == 1)
		logf_(s, "report %s from %s (%s): %s%s", r.run_id, q->ip, r.machine, r.outcome,
		      recrash ? " -- RE-CRASHED after a fix: the fix did not help" : "");
	/* The commit is done: only now the 2xx. */
	json_t *o = json_pack("{s:s,s:s}", "run_id", r.run_id, "status", rc == 1 ? "stored" : "already stored");
	char *t = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	return send_owned(s, c, rc == 1 ? 201 : 200, "application/json", t);
}

/* ---- operator pages ---------------------------------------------------- */

static unsigned keys_loaded(struct server *s)
{
	pthread_rwlock_rdlock(&s->keys_lock);
	unsigned n = (unsigned)s->keys->n;
	pthread_rwlock_unlock(&s->keys_lock);
	return n;
}

static enum MHD_Result send_page(struct server *s, struct MHD_Connection *c)
{
	char *sum = lg_fleet_db_summary_json(s->db, atomic_load(&s->throttled), keys_loaded(s));
	char *mach = lg_fleet_db_machines_json(s->db, NULL);
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	if (!f || !sum || !mach) {
		if (f)
			fclose(f);
		free(page);
		free(sum);
		free(mach);
		return send_error(s, c, 500, "internal error");
	}
	/* The first view comes with the page: data in a non-script JSON block
	 * (</ escaped), read by fleet.js. */
	json_t *init = json_pack("{s:o?,s:o?}", "summary", json_loads(sum, 0, NULL), "machines", json_loads(mach, 0, NULL));
	char *it = json_dumps(init, JSON_COMPACT | JSON_ESCAPE_SLASH);
	json_decref(init);
	fprintf(f, "%s%s%s", lg_fleet_page_head, it ? it : "{}", lg_fleet_page_tail);
	fclose(f);
	free(it);
	free(sum);
	free(mach);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self';"
				" img-src 'self'; frame-ancestors 'none'; form-action 'none'");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	common_headers(s, r);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result operator_route(struct server *s, struct MHD_Connection *c, const char *url,
				      const char *method, const char *op)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const char *outcome = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "outcome");
	if (outcome && (strlen(outcome) > 20 || strspn(outcome, "abcdefghijklmnopqrstuvwxyz-") != strlen(outcome)))
		return send_error(s, c, 400, "outcome: a word like locked or re-crashed");
	if (!strcmp(url, "/") && get)
		return send_page(s, c);
	if (!strcmp(url, "/v1/fleet.js") && get)
		return send_buf(s, c, 200, "text/javascript; charset=utf-8", lg_fleet_page_js, strlen(lg_fleet_page_js), true);
	if (!strcmp(url, "/v1/fleet") && get)
		return send_owned(s, c, 200, "application/json",
				  lg_fleet_db_summary_json(s->db, atomic_load(&s->throttled), keys_loaded(s)));
	if (!strcmp(url, "/v1/machines") && get)
		return send_owned(s, c, 200, "application/json", lg_fleet_db_machines_json(s->db, outcome));
	if (!strcmp(url, "/v1/machines.csv") && get)
		return send_owned(s, c, 200, "text/csv; charset=utf-8", lg_fleet_db_machines_csv(s->db, outcome));
	if (!strncmp(url, "/v1/admin/", 10)) {
		if (strcmp(method, "POST"))
			return send_error(s, c, 405, "POST only");
		/* A custom header: a browser on another site cannot send it
		 * without a CORS preflight, which this server never grants. */
		if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Lastgood-Operator"))
			return send_error(s, c, 403, "X-Lastgood-Operator header required");
		struct lg_err err = { "" };
		int rc = lg_fleet_db_decide(s->db, url + 10, op, &err);
		if (rc == -EINVAL)
			return send_error(s, c, 400, err.msg);
		if (rc < 0) {
			logf_(s, "decision %s by %s not stored: %s", url + 10, op, err.msg);
			return send_error(s, c, 503, err.msg);
		}
		logf_(s, "decision: %s by %s", url + 10, op);
		return send_owned(s, c, 200, "application/json",
				  lg_fleet_db_summary_json(s->db, atomic_load(&s->throttled), keys_loaded(s)));
	}
	return send_error(s, c, get ? 404 : 405, get ? "not found" : "method not allowed");
}

static bool is_operator_path(const char *url)
{
	return !strcmp(url, "/") || !strcmp(url, "/v1/fleet") || !strcmp(url, "/v1/fleet.js") ||
	       !strcmp(url, "/v1/machines") || !strcmp(url, "/v1/machines.csv") || !strncmp(url, "/v1/admin/", 10);
}

/* ---- dispatch ---------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct req *q = *con_cls;
	bool report_post = !strcmp(url, "/v1/reports") && !strcmp(method, "POST");
	if (!q) {
		q = lg_zalloc(sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		atomic_fetch_add(&s->inflight, 1);
		client_ip(c, q->ip);
		/* Only a report has a body worth reading: everything else is
		 * answered at once (a body sent anyway is not read; the
		 * connection closes after the answer). */
		if (report_post) {
			const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (cl && strtoull(cl, NULL, 10) > LG_FLEET_REPORT_MAX)
				return send_error(s, c, 413, "report larger than 4 MiB");
			return MHD_YES;
		}
	} else if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (!report_post)
			return MHD_YES;
		/* A chunked body that grows too big: libmicrohttpd answers only
		 * after the body, so the rest is read and dropped (up to 64 MiB,
		 * then the connection is closed). */
		if (q->too_large || q->len + n > LG_FLEET_REPORT_MAX) {
			q->too_large = true;
			q->dropped += n;
			return q->dropped > (64u << 20) ? MHD_NO : MHD_YES;
		}
		if (q->len + n > q->cap) {
			size_t cap = q->cap ? q->cap : 16384;
			while (cap < q->len + n)
				cap *= 2;
			char *nb = realloc(q->body, cap);
			if (!nb)
				return MHD_NO;
			q->body = nb;
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		return MHD_YES;
	} else if (report_post) {
		if (q->too_large)
			return send_error(s, c, 413, "report larger than 4 MiB");
		return take_report(s, c, q);
	}
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (is_operator_path(url)) {
		char op[64];
		if (!authorized(s, c, op))
			return send_unauthorized(s, c);
		return operator_route(s, c, url, method, op);
	}
	if (!strcmp(url, "/v1/reports")) {
		if (strcmp(method, "POST"))
			return send_error(s, c, 405, "POST only");
		return take_report(s, c, q);
	}
	if (!get)
		return send_error(s, c, 405, "method not allowed");
	if (!strncmp(url, "/v1/keys/", 9))
		return send_key(s, c, url + 9, q->ip);
	if (!strncmp(url, "/v1/plan/", 9)) {
		char m[37];
		if (!lg_fleet_machine_id(url + 9, m))
			return send_error(s, c, 404, "not a machine id (SMBIOS UUID)");
		struct lg_err err = { "" };
		char *plan = lg_fleet_db_plan(s->db, m, q->ip, &err);
		if (!plan) {
			logf_(s, "plan for %s: %s", m, err.msg);
			return send_error(s, c, 503, "database error");
		}
		logf_(s, "plan for %s (%s): %s", m, q->ip, plan);
		return send_owned(s, c, 200, "application/json", plan);
	}
	if (!strcmp(url, "/v1/denylist.json") || !strcmp(url, "/v1/denylist.json.minisig"))
		return send_file(s, c, url + 4, q->ip);
	if (!strncmp(url, "/v1/", 4))
		return send_error(s, c, 404, "not found");
	return send_file(s, c, url + 1, q->ip);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct req *q = *con_cls;
	if (!q)
		return;
	if (q->body)
		lg_wipe(q->body, q->len);
	free(q->body);
	free(q);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* libmicrohttpd's own unescaping would turn %00 into the end of the
 * string ("/lastgood.efi%00.txt" would name lastgood.efi): this one
 * leaves %00 (and any malformed escape) as it is, which no route and no
 * file name takes. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (*r == '%' && (hi = lg_hexval(r[1])) >= 0 && (lo = lg_hexval(r[2])) >= 0 && (hi || lo)) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	logf_(s, "http: %s", line);
}

/* ---- start, reload, stop ----------------------------------------------- */

static int parse_listen(const char *l, struct sockaddr_storage *ss, bool *v6, struct lg_err *err)
{
	char host[128];
	const char *port;
	memset(ss, 0, sizeof(*ss));
	if (l[0] == '[') {
		const char *e = strchr(l, ']');
		if (!e || e[1] != ':' || (size_t)(e - l - 1) >= sizeof(host))
			goto bad;
		memcpy(host, l + 1, (size_t)(e - l - 1));
		host[e - l - 1] = '\0';
		port = e + 2;
	} else {
		const char *e = strrchr(l, ':');
		if (!e || (size_t)(e - l) >= sizeof(host))
			goto bad;
		memcpy(host, l, (size_t)(e - l));
		host[e - l] = '\0';
		port = e + 1;
	}
	char *end;
	unsigned long p = strtoul(port, &end, 10);
	if (!*port || *end || p > 65535)
		goto bad;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (!*host || inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*v6 = true;
		return 0;
	}
bad:
	lg_err_set(err, "--listen %s: not ADDR:PORT or [V6ADDR]:PORT", l);
	return -EINVAL;
}

static int reload_keys(struct server *s, struct lg_err *err)
{
	struct key_index *ki = key_index_load(s->o->keys, err);
	if (!ki)
		return -EINVAL;
	pthread_rwlock_wrlock(&s->keys_lock);
	struct key_index *old = s->keys;
	s->keys = ki;
	pthread_rwlock_unlock(&s->keys_lock);
	key_index_free(old);
	return (int)ki->n;
}

static struct lg_fleet_db *import_db;
static const struct lg_serve_opts *import_o;
static size_t import_n[3];

static int import_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);
	if (type != FTW_F || n < 5 || strcasecmp(path + n - 5, ".json") || !S_ISREG(st->st_mode))
		return 0;
	char *buf = NULL;
	size_t len = 0;
	struct lg_err err = { "" };
	struct lg_fleet_report r;
	int rc = lg_read_file(path, LG_FLEET_REPORT_MAX, &buf, &len);
	if (rc >= 0)
		rc = lg_fleet_report_check(buf, len, &r, &err);
	else
		lg_err_set(&err, "%s", strerror(-rc));
	if (rc >= 0) {
		char src[300];
		snprintf(src, sizeof(src), "import:%.280s", path);
		/* The run's own end time orders imported runs. */
		bool t_ok = strlen(r.finished) == 20 && r.finished[10] == 'T' && r.finished[19] == 'Z';
		rc = lg_fleet_db_add_report(import_db, &r, buf, len, NULL, src, t_ok ? r.finished : NULL, NULL, &err);
	}
	free(buf);
	import_n[rc == 1 ? 0 : rc == 0 ? 1 : 2]++;
	if (rc < 0 && import_o->log) {
		char line[1400];
		snprintf(line, sizeof(line), "import: %s: %s", path, err.msg);
		import_o->log(import_o->log_ctx, line);
	}
	return 0;
}

/* --canary-list: one UUID, serial or computer name a line, lower-cased;
 * blank lines and # comments skipped. */
static int load_canary_list(const char *path, char ***out, size_t *n, struct lg_err *err)
{
	char *list = NULL, **canary = NULL;
	size_t len, ncanary = 0;
	int rc = lg_read_file(path, 1 << 20, &list, &len);
	if (rc < 0) {
		lg_err_set(err, "--canary-list %s: %s", path, strerror(-rc));
		return rc;
	}
	char *save = NULL;
	for (char *line = strtok_r(list, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		size_t k = strlen(line);
		while (k && isspace((unsigned char)line[k - 1]))
			line[--k] = '\0';
		if (!k || *line == '#')
			continue;
		char **nc = realloc(canary, (ncanary + 1) * sizeof(*nc));
		if (!nc)
			break;
		canary = nc;
		for (char *p = line; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if ((canary[ncanary] = strdup(line)))
			ncanary++;
	}
	free(list);
	*out = canary;
	*n = ncanary;
	return 0;
}

int lg_serve_run(const struct lg_serve_opts *o, struct lg_err *err)
{
	struct server *s = lg_zalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = o;
	s->rootfd = -1;
	pthread_rwlock_init(&s->keys_lock, NULL);
	pthread_mutex_init(&s->throttle_lock, NULL);
	int rc = -EINVAL;
	char *cert = NULL, *key = NULL, **canary = NULL;
	size_t certlen, keylen, ncanary = 0;
	struct sockaddr_storage ss;
	bool v6 = false;

	if ((rc = parse_listen(o->listen ? o->listen : "0.0.0.0:443", &ss, &v6, err)) < 0)
		goto out;
	s->rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		rc = -errno;
		lg_err_set(err, "--root %s: %s", o->root, strerror(errno));
		goto out;
	}
	if ((rc = reload_keys(s, err)) < 0) {
		struct lg_err e2 = *err;
		lg_err_set(err, "--keys %s: %s", o->keys, e2.msg);
		goto out;
	}
	logf_(s, "keys: %d loaded from %s", rc, o->keys);
	if ((rc = lg_read_file(o->tls_cert, 1 << 20, &cert, &certlen)) < 0 ||
	    (rc = lg_read_file(o->tls_key, 1 << 20, &key, &keylen)) < 0) {
		lg_err_set(err, "TLS certificate or key: %s", strerror(-rc));
		goto out;
	}
	if (o->canary_list && (rc = load_canary_list(o->canary_list, &canary, &ncanary, err)) < 0)
		goto out;
	struct lg_fleet_plan_cfg cfg = { o->canary, canary, ncanary };
	if ((rc = lg_fleet_db_open(&s->db, o->db, &cfg, err)) < 0)
		goto out;
	if (o->import_reports) {
		import_db = s->db;
		import_o = o;
		memset(import_n, 0, sizeof(import_n));
		if (nftw(o->import_reports, import_one, 16, FTW_PHYS) < 0) {
			rc = -errno;
			lg_err_set(err, "--import-reports %s: %s", o->import_reports, strerror(errno));
			goto out;
		}
		logf_(s, "import: %zu stored, %zu already there, %zu refused from %s", import_n[0], import_n[1],
		      import_n[2], o->import_reports);
	}

	/* Every thread libmicrohttpd starts inherits this mask: only the
	 * sigwait() below sees these signals. */
	sigset_t set, oldset;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &oldset);
	signal(SIGPIPE, SIG_IGN);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_TLS |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_DUAL_STACK : 0);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)2000,
				/* 1 MiB, not the 8 MiB default: glibc keeps 40 MiB of
				 * freed thread stacks for the next thread, so small
				 * stacks are reused instead of mapped and unmapped for
				 * every connection (a quarter of the server's CPU in
				 * make bench-fleet). Deepest user: jansson's parser at
				 * its 2048-level limit, under 256 KiB. */
				MHD_OPTION_THREAD_STACK_SIZE, (size_t)1 << 20,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
				MHD_OPTION_END);
	if (!s->d) {
		pthread_sigmask(SIG_SETMASK, &oldset, NULL);
		lg_err_set(err, "cannot listen on %s with that certificate and key (see the http: lines above)",
			   o->listen ? o->listen : "0.0.0.0:443");
		rc = -EADDRNOTAVAIL;
		goto out;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = di ? di->port : 0;
	logf_(s, "listening on %s (port %u)", o->listen ? o->listen : "0.0.0.0:443", port);
	if (o->port_file) {
		char p[16];
		int n = snprintf(p, sizeof(p), "%u\n", port);
		lg_write_file_atomic(o->port_file, p, (size_t)n);
	}
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			struct lg_err e = { "" };
			int n = reload_keys(s, &e);
			if (n < 0)
				logf_(s, "SIGHUP: keys not reloaded, the old ones stay: %s", e.msg);
			else
				logf_(s, "SIGHUP: keys: %d loaded from %s", n, o->keys);
			continue;
		}
		break;
	}
	/* Stop taking connections; let every request in flight finish (a
	 * report's 2xx comes after its commit), then stop. */
	logf_(s, "stopping: %d request(s) in flight", atomic_load(&s->inflight));
	atomic_store(&s->stopping, true);
	MHD_socket ls = MHD_quiesce_daemon(s->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	for (int i = 0; i < 3000 && atomic_load(&s->inflight) > 0; i++)
		usleep(10000);
	MHD_stop_daemon(s->d);
	pthread_sigmask(SIG_SETMASK, &oldset, NULL);
	logf_(s, "stopped: %lld report(s) in %s", lg_fleet_db_report_count(s->db), o->db);
	rc = 0;
out:
	lg_fleet_db_close(s->db);
	key_index_free(s->keys);
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (key)
		lg_wipe(key, keylen);
	free(key);
	free(cert);
	for (size_t i = 0; i < ncanary; i++)
		free(canary[i]);
	free(canary);
	pthread_rwlock_destroy(&s->keys_lock);
	pthread_mutex_destroy(&s->throttle_lock);
	free(s);
	return rc;
}
