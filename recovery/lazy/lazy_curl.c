// SPDX-License-Identifier: GPL-2.0-or-later
/* libcurl at first use (lazy.h): lastgood serve's control client. */
#define CURL_DISABLE_TYPECHECK 1	/* the plain prototypes, not the checking macros */
#include "lazy/lazy.h"

#include <curl/curl.h>
#include <stdarg.h>

static struct lg_lazy_lib curl = { LG_SONAME_curl, "talking to a lastgood server (HTTPS)", NULL };

LG_LAZY_FN(curl, CURL *, curl_easy_init, (void), ())
LG_LAZY_FN(curl, CURLcode, curl_easy_perform, (CURL *h), (h))
LG_LAZY_VOID(curl, curl_easy_cleanup, (CURL *h), (h))
LG_LAZY_FN(curl, const char *, curl_easy_strerror, (CURLcode code), (code))
LG_LAZY_FN(curl, CURLcode, curl_global_init, (long flags), (flags))
LG_LAZY_VOID(curl, curl_global_cleanup, (void), ())
LG_LAZY_FN(curl, struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *s), (list, s))
LG_LAZY_VOID(curl, curl_slist_free_all, (struct curl_slist *list), (list))

/* The variadic two: the option's number says the type of its one
 * argument (curl.h: CURLOPTTYPE_*), as libcurl itself reads it. */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
	__typeof__(&curl_easy_setopt) fp = LG_LAZY_PTR(curl, curl_easy_setopt);
	va_list ap;
	CURLcode rc;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT) {
		rc = fp(h, option, va_arg(ap, long));
	} else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
		rc = fp(h, option, va_arg(ap, void *));
	} else if (option < CURLOPTTYPE_OFF_T) {
		rc = fp(h, option, va_arg(ap, void (*)(void)));
	} else if (option < CURLOPTTYPE_BLOB) {
		rc = fp(h, option, va_arg(ap, curl_off_t));
	} else {
		rc = fp(h, option, va_arg(ap, void *));
	}
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	void *out = va_arg(ap, void *);
	va_end(ap);
	return LG_LAZY_PTR(curl, curl_easy_getinfo)(h, info, out);
}
