// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Load generator of the fleet_server benchmark (build/serve.mk): N
 * simulated PCs, C at a time, each opening its own TLS connection (no
 * session reuse: every PC is a different machine) and making two requests
 * on it: GET /v1/keys/<its protector GUID>, then either POST /v1/reports
 * with its own report (--mode serve) or, for a static server that cannot
 * take a report, the same GET again (--mode static).
 *
 * libcurl's multi interface runs the C connections from one thread; wrk
 * and ab cannot send a different body per request, which the idempotent
 * report store needs to count every PC.
 *
 *   fleetload --url https://127.0.0.1:PORT --cacert CA.pem --pcs 10000
 *             --concurrency 64 --mode serve|static [--timeout SECONDS]
 *
 * Prints one JSON object: requests, errors, seconds, req_per_s, p50_ms,
 * p99_ms, reports_201 (the reports the server said it stored),
 * client_cpu_s (this process's own CPU time: with the server on the same
 * cores, the part of the machine the load itself took).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct pc {
	CURL *h;
	int n;       /* which PC */
	int step;    /* 0: key lookup, 1: report (or second lookup) */
	char url[256];
	char body[1024];
	struct curl_slist *hdr;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	return s * n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* The same GUIDs as tests/host/serve-lib.sh's guid(). */
static void guid(int n, char out[48])
{
	snprintf(out, 48, "%08X-4587-4029-924A-%012llX", (unsigned)n, (unsigned long long)n * 7);
}

static const char *base, *cacert, *mode = "serve";

static void setup(struct pc *p)
{
	char g[48];
	guid(p->n, g);
	curl_easy_reset(p->h);
	curl_easy_setopt(p->h, CURLOPT_PRIVATE, p);
	curl_easy_setopt(p->h, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(p->h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	if (p->step == 0) {
		/* A new PC: a new connection and a full handshake. */
		curl_easy_setopt(p->h, CURLOPT_FRESH_CONNECT, 1L);
		snprintf(p->url, sizeof(p->url), "%s/v1/keys/%s", base, g);
	} else if (!strcmp(mode, "static")) {
		snprintf(p->url, sizeof(p->url), "%s/v1/keys/%s", base, g);
	} else {
		snprintf(p->url, sizeof(p->url), "%s/v1/reports", base);
		snprintf(p->body, sizeof(p->body),
			 "{\"run_id\": \"20261204T%06dZ-%06x\", \"mode\": \"fix\", \"exit_code\": 0, \"outcome\": \"fixed\","
			 " \"machine\": {\"product_uuid\": \"4c4c4544-0000-1000-8000-%012x\", \"computer_name\": \"PC-%05d\","
			 " \"product_serial\": \"SN%05d\", \"sys_vendor\": \"Dell Inc.\", \"product_name\": \"Latitude 7420\"},"
			 " \"volumes\": [{\"filesystem\": \"ntfs\", \"status\": \"fixed\"}],"
			 " \"summary\": {\"volumes\": 1, \"windows_volumes\": 1, \"matches\": 1, \"quarantined\": 1},"
			 " \"crashes\": [{\"bugcheck\": 80, \"driver\": \"csagent.sys\"}]}",
			 p->n % 240000, p->n, p->n, p->n, p->n);
		curl_slist_free_all(p->hdr);
		p->hdr = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->hdr);
		curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, p->body);
	}
	curl_easy_setopt(p->h, CURLOPT_URL, p->url);
}

int main(int argc, char **argv)
{
	int pcs = 10000, conc = 64;
	double timeout = 300;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--url")) base = argv[i + 1];
		else if (!strcmp(argv[i], "--cacert")) cacert = argv[i + 1];
		else if (!strcmp(argv[i], "--pcs")) pcs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--concurrency")) conc = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout")) timeout = atof(argv[i + 1]);
		else { fprintf(stderr, "fleetload: unknown option %s\n", argv[i]); return 2; }
	}
	if (!base || !cacert || pcs < 1 || conc < 1) {
		fprintf(stderr, "usage: fleetload --url URL --cacert CA [--pcs N] [--concurrency C] [--mode serve|static]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conc);
	struct pc *slots = calloc((size_t)conc, sizeof(*slots));
	double *lat = calloc((size_t)pcs * 2, sizeof(*lat));
	if (!slots || !lat)
		return 1;
	long nlat = 0, errors = 0, stored = 0, codes_other = 0;
	int next = 0, running = 0;
	double t0 = now_s();
	for (int i = 0; i < conc && next < pcs; i++) {
		slots[i].h = curl_easy_init();
		slots[i].n = ++next;
		slots[i].step = 0;
		setup(&slots[i]);
		curl_multi_add_handle(m, slots[i].h);
	}
	bool timed_out = false;
	do {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct pc *p;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
			long code = 0;
			curl_off_t us = 0;
			curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(p->h, CURLINFO_TOTAL_TIME_T, &us);
			curl_multi_remove_handle(m, p->h);
			if (msg->data.result != CURLE_OK) {
				errors++;
				if (errors <= 5)
					fprintf(stderr, "fleetload: PC %d: %s\n", p->n, curl_easy_strerror(msg->data.result));
			} else {
				lat[nlat++] = (double)us / 1000.0;
				if (p->step == 1 && !strcmp(mode, "serve") && code == 201)
					stored++;
				else if (code != 200 && code != 201)
					codes_other++;
			}
			if (p->step == 0 && msg->data.result == CURLE_OK) {
				p->step = 1;
			} else if (next < pcs) {
				p->n = ++next;
				p->step = 0;
			} else {
				continue;
			}
			setup(p);
			curl_multi_add_handle(m, p->h);
			running++;
		}
		if (now_s() - t0 > timeout) {
			timed_out = true;
			break;
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running);
	double secs = now_s() - t0;
	qsort(lat, (size_t)nlat, sizeof(*lat), cmp_d);
	double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(long)(nlat * 0.99)] : 0;
	printf("{\"mode\": \"%s\", \"pcs\": %d, \"concurrency\": %d, \"requests\": %ld, \"errors\": %ld, "
	       "\"unexpected_status\": %ld, \"seconds\": %.2f, \"req_per_s\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
	       "\"reports_201\": %ld, \"timed_out\": %s, \"client_cpu_s\": %.2f}\n",
	       mode, pcs, conc, nlat, errors, codes_other, secs, nlat / secs, p50, p99, stored, timed_out ? "true" : "false",
	       cpu_s());
	for (int i = 0; i < conc; i++) {
		if (slots[i].h) {
			curl_multi_remove_handle(m, slots[i].h);
			curl_easy_cleanup(slots[i].h);
		}
		curl_slist_free_all(slots[i].hdr);
	}
	curl_multi_cleanup(m);
	curl_global_cleanup();
	free(slots);
	free(lat);
	return timed_out || errors ? 1 : 0;
}
