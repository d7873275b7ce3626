// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fleet HTTPS client (fleet.h) on libcurl: one easy handle reused for
 * every request (one TLS session), trust in the one built-in PEM blob
 * only, bounded time and size for everything.
 */
#include "net/fleet.h"

#include "formats/keys.h"

#include <curl/curl.h>
#include <strings.h>
#include <time.h>

struct lg_fleet {
	CURL *curl;
	char server[LG_FLEET_URL_MAX];
	unsigned char *ca;
	size_t ca_len;
	long connect_ms, request_ms, post_budget_ms;
	lg_fleet_progress_fn progress;
	void *progress_ctx;
	char curl_err[CURL_ERROR_SIZE];
};

/* An answer body, capped; secret bodies are wiped as they grow and when
 * freed. */
struct body {
	unsigned char *p;
	size_t n, cap, max;
	bool over;
	bool secret;
	char content_type[128];
	int retry_after;
};

static void body_free(struct body *b)
{
	if (b->p && b->secret)
		lg_wipe(b->p, b->cap);
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;
	if (n > b->max - b->n) {
		b->over = true;
		return 0; /* aborts the transfer */
	}
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		while (ncap < b->n + n + 1)
			ncap *= 2;
		unsigned char *np = malloc(ncap);
		if (!np)
			return 0;
		if (b->p) {
			memcpy(np, b->p, b->n);
			if (b->secret)
				lg_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, ptr, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct body *b = ud;
	size_t n = size * nitems;
	char line[256];
	size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
	memcpy(line, buf, k);
	line[k] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "HTTP/", 5)) {
		/* a new response (after a 100 Continue): forget the last headers */
		b->content_type[0] = '\0';
		b->retry_after = -1;
	} else if (!strncasecmp(line, "content-type:", 13)) {
		const char *v = line + 13;
		while (*v == ' ')
			v++;
		size_t vl = strlen(v);
		if (vl >= sizeof(b->content_type))
			vl = sizeof(b->content_type) - 1;
		memcpy(b->content_type, v, vl);
		b->content_type[vl] = '\0';
	} else if (!strncasecmp(line, "retry-after:", 12)) {
		b->retry_after = lg_fleet_retry_after(line + 12);
	}
	return n;
}

int lg_fleet_open(const char *server, const void *ca_pem, size_t ca_len, struct lg_fleet **out,
		  struct lg_err *err)
{
	*out = NULL;
	static bool inited;
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			lg_err_set(err, "libcurl could not start");
			return -ENOMEM;
		}
		inited = true;
	}
	struct lg_fleet *f = lg_zalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	int r = lg_fleet_server_check(server, f->server, sizeof(f->server), err);
	if (r < 0) {
		free(f);
		return r;
	}
	if (!ca_pem || !ca_len || ca_len > (1u << 20) || !memmem(ca_pem, ca_len, "-----BEGIN CERTIFICATE-----", 27)) {
		lg_err_set(err, "no built-in CA or pinned certificate (PEM) for %s: lastgood does not talk to a server "
			   "it cannot check", f->server);
		free(f);
		return -EINVAL;
	}
	f->ca = malloc(ca_len);
	f->curl = curl_easy_init();
	if (!f->ca || !f->curl) {
		lg_fleet_close(f);
		return -ENOMEM;
	}
	memcpy(f->ca, ca_pem, ca_len);
	f->ca_len = ca_len;
	f->connect_ms = LG_FLEET_CONNECT_MS;
	f->request_ms = LG_FLEET_REQUEST_MS;
	f->post_budget_ms = LG_FLEET_POST_BUDGET_S * 1000L;
	*out = f;
	return 0;
}

void lg_fleet_close(struct lg_fleet *f)
{
	if (!f)
		return;
	if (f->curl)
		curl_easy_cleanup(f->curl);
	free(f->ca);
	free(f);
}

void lg_fleet_set_progress(struct lg_fleet *f, lg_fleet_progress_fn fn, void *ctx)
{
	f->progress = fn;
	f->progress_ctx = ctx;
}

void lg_fleet_set_timeouts(struct lg_fleet *f, long connect_ms, long request_ms, long post_budget_ms)
{
	if (connect_ms > 0)
		f->connect_ms = connect_ms;
	if (request_ms > 0)
		f->request_ms = request_ms;
	if (post_budget_ms > 0)
		f->post_budget_ms = post_budget_ms;
}

__attribute__((format(printf, 2, 3)))
static void progress(struct lg_fleet *f, const char *fmt, ...)
{
	if (!f->progress)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	f->progress(f->progress_ctx, line);
}

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
		return -EPERM;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* One request: path relative to the server. post: NULL for GET. Returns
 * the HTTP status or a negative errno with err set. */
static long request(struct lg_fleet *f, const char *path, const char *post, size_t post_len, struct body *b,
		    struct lg_err *err)
{
	char url[LG_FLEET_URL_MAX + 128];
	snprintf(url, sizeof(url), "%s/%s", f->server, path);
	CURL *c = f->curl;
	curl_easy_reset(c);
	b->retry_after = -1;
	b->content_type[0] = '\0';
	f->curl_err[0] = '\0';
	struct curl_blob ca = { .data = f->ca, .len = f->ca_len, .flags = CURL_BLOB_NOCOPY };
	struct curl_slist *hdr = NULL;
	bool ok = curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_PROXY, "") == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		  /* the built-in PEM and nothing else: no system store */
		  curl_easy_setopt(c, CURLOPT_CAINFO, NULL) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_CAPATH, NULL) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->connect_ms) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, f->request_ms) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_USERAGENT, "lastgood/" LG_VERSION) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_WRITEDATA, b) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_HEADERDATA, b) == CURLE_OK &&
		  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->curl_err) == CURLE_OK;
	if (ok && post) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		hdr = hdr ? curl_slist_append(hdr, "Expect:") : NULL;
		ok = hdr && curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) == CURLE_OK &&
		     curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len) == CURLE_OK &&
		     curl_easy_setopt(c, CURLOPT_POSTFIELDS, post) == CURLE_OK;
	}
	if (!ok) {
		curl_slist_free_all(hdr);
		lg_err_set(err, "libcurl refused the request's settings (built without HTTPS or blob support?)");
		return -ENOTSUP;
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		int e = b->over ? -EFBIG : curl_errno(rc);
		if (e == -EFBIG)
			lg_err_set(err, "%s: the answer is larger than %zu bytes", path, b->max);
		else if (e == -EPERM)
			lg_err_set(err, "%s: the server's certificate does not check against the built-in one (%s)",
				   f->server, f->curl_err[0] ? f->curl_err : curl_easy_strerror(rc));
		else
			lg_err_set(err, "%s: %s", f->server, f->curl_err[0] ? f->curl_err : curl_easy_strerror(rc));
		return e;
	}
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static int status_error(const char *what, const char *server, long st, struct lg_err *err)
{
	if (st == 404) {
		lg_err_set(err, "%s: not on the server (404)", what);
		return -ENOENT;
	}
	lg_err_set(err, "%s: the server %s answered HTTP %ld", what, server, st);
	return st == 429 || st >= 500 ? -EAGAIN : -EBADMSG;
}

static int get_small(struct lg_fleet *f, const char *path, size_t max, char **out, size_t *len, struct lg_err *err)
{
	struct body b = { .max = max };
	long st = request(f, path, NULL, 0, &b, err);
	if (st < 0) {
		body_free(&b);
		return (int)st;
	}
	if (st != 200) {
		body_free(&b);
		return status_error(path, f->server, st, err);
	}
	if (!b.p) {
		b.p = lg_zalloc(1);
		if (!b.p)
			return -ENOMEM;
	}
	*out = (char *)b.p;
	*len = b.n;
	return 0;
}

int lg_fleet_get_denylist(struct lg_fleet *f, char **list, size_t *list_len, char **sig, size_t *sig_len,
			  struct lg_err *err)
{
	*list = *sig = NULL;
	int r = get_small(f, "v1/denylist.json", LG_FLEET_LIST_MAX, list, list_len, err);
	if (r == 0)
		r = get_small(f, "v1/denylist.json.minisig", LG_FLEET_SIG_MAX, sig, sig_len, err);
	if (r < 0) {
		free(*list);
		*list = NULL;
	}
	return r;
}

int lg_fleet_get_key(struct lg_fleet *f, const unsigned char protector[16], struct lg_keyring *kr,
		     struct lg_err *err)
{
	char path[64];
	lg_fleet_key_path(protector, path);
	for (int attempt = 0;; attempt++) {
		struct body b = { .max = LG_FLEET_KEY_MAX, .secret = true };
		long st = request(f, path, NULL, 0, &b, err);
		if (st == 200) {
			int r = lg_fleet_parse_key(b.content_type, b.p ? b.p : (const unsigned char *)"", b.n, protector,
						   kr, err);
			body_free(&b);
			return r;
		}
		int ra = b.retry_after;
		body_free(&b);
		if (st < 0)
			return (int)st;
		if (st == 404)
			return 0;
		if (st == 429 && attempt == 0) {
			int wait = ra >= 0 ? ra : 5;
			progress(f, "key server: too many requests, waiting %d s as asked", wait);
			sleep((unsigned)wait);
			continue;
		}
		return status_error(path, f->server, st, err);
	}
}

int lg_fleet_get_plan(struct lg_fleet *f, const char *machine_id, struct lg_fleet_plan *plan,
		      struct lg_err *err)
{
	memset(plan, 0, sizeof(*plan));
	char path[128];
	/* the machine id goes into a path: hex digits and dashes only */
	size_t n = strlen(machine_id);
	if (!n || n > 64 || strspn(machine_id, "0123456789abcdef-") != n) {
		lg_err_set(err, "the machine id \"%.64s\" is not a lower-case UUID", machine_id);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "v1/plan/%s", machine_id);
	char *body = NULL;
	size_t len = 0;
	int r = get_small(f, path, LG_FLEET_PLAN_MAX, &body, &len, err);
	if (r < 0)
		return r;
	r = lg_fleet_parse_plan(body, len, plan, err);
	free(body);
	return r;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int lg_fleet_post_report(struct lg_fleet *f, const char *json, size_t len, long *status, struct lg_err *err)
{
	struct lg_err scratch = { "" };
	if (!err)
		err = &scratch;
	*status = 0;
	if (len > LG_FLEET_REPORT_MAX) {
		lg_err_set(err, "the report is %zu bytes, more than the interface takes (%u)", len, LG_FLEET_REPORT_MAX);
		return -EFBIG;
	}
	long start = now_ms(), delay = 1000;
	for (int attempt = 1;; attempt++) {
		struct body b = { .max = 64 << 10 };
		long left = f->post_budget_ms - (now_ms() - start);
		long saved = f->request_ms;
		if (left < f->request_ms)
			f->request_ms = left > 1000 ? left : 1000;
		progress(f, "report: sending (attempt %d)", attempt);
		long st = request(f, "v1/reports", json, len, &b, err);
		f->request_ms = saved;
		int ra = b.retry_after;
		if (st > 0)
			*status = st;
		if (st == 200 || st == 201) {
			body_free(&b);
			return (int)st;
		}
		if (st > 0 && st != 429 && st < 500) {
			/* 400 / 413: the server will not take it, retrying does not help */
			lg_err_set(err, "the server refused the report: HTTP %ld%s%.200s", st, b.n ? ": " : "",
				   b.n ? (const char *)b.p : "");
			body_free(&b);
			return -EBADMSG;
		}
		body_free(&b);
		if (st == -EPERM || st == -EFBIG || st == -ENOTSUP)
			return (int)st; /* a certificate that does not check will not check later */
		long wait = st == 429 && ra >= 0 ? ra * 1000L : delay;
		left = f->post_budget_ms - (now_ms() - start);
		if (wait >= left) {
			if (st > 0)
				lg_err_set(err, "the server answered HTTP %ld to %d attempts in %ld s", st, attempt,
					   (now_ms() - start + 999) / 1000);
			return st > 0 ? -EAGAIN : (int)st;
		}
		progress(f, "report: not delivered (%s), attempt %d in %ld s", st > 0 ? "server busy" : err->msg,
			 attempt + 1, (wait + 999) / 1000);
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		delay = delay * 2 > 16000 ? 16000 : delay * 2;
	}
}
