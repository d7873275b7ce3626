// SPDX-License-Identifier: GPL-2.0-or-later
/* libxml2 at first use (lazy.h): lastgood denylist import (SiPolicy XML). */
#include "lazy/lazy.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

static struct lg_lazy_lib xml2 = { LG_SONAME_xml2, "importing XML (lastgood denylist import)", NULL };

LG_LAZY_FN(xml2, xmlErrorPtr, xmlCtxtGetLastError, (void *ctx), (ctx))
LG_LAZY_FN(xml2, xmlDocPtr, xmlCtxtReadMemory,
	   (xmlParserCtxtPtr ctxt, const char *buffer, int size, const char *URL, const char *encoding, int options),
	   (ctxt, buffer, size, URL, encoding, options))
LG_LAZY_FN(xml2, xmlNodePtr, xmlDocGetRootElement, (const xmlDoc *doc), (doc))
LG_LAZY_VOID(xml2, xmlFreeDoc, (xmlDocPtr cur), (cur))
LG_LAZY_VOID(xml2, xmlFreeParserCtxt, (xmlParserCtxtPtr ctxt), (ctxt))
LG_LAZY_FN(xml2, xmlChar *, xmlGetNoNsProp, (const xmlNode *node, const xmlChar *name), (node, name))
LG_LAZY_FN(xml2, xmlAttrPtr, xmlHasProp, (const xmlNode *node, const xmlChar *name), (node, name))
LG_LAZY_VOID(xml2, xmlInitParser, (void), ())
LG_LAZY_FN(xml2, xmlParserCtxtPtr, xmlNewParserCtxt, (void), ())
LG_LAZY_VOID(xml2, xmlStopParser, (xmlParserCtxtPtr ctxt), (ctxt))

/* xmlFree is a variable of libxml2 (the deallocator it was set up with),
 * not a function: ours calls through the library's own, whose address is
 * looked up once like a function's. */
static void lazy_xml_free(void *mem)
{
	(*LG_LAZY_PTR(xml2, xmlFree))(mem);
}
xmlFreeFunc xmlFree = lazy_xml_free;
