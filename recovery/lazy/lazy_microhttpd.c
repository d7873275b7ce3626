// SPDX-License-Identifier: GPL-2.0-or-later
/* libmicrohttpd at first use (lazy.h): lastgood serve. */
#include "lazy/lazy.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

static struct lg_lazy_lib mhd = { LG_SONAME_microhttpd, "the fleet server (lastgood serve)", NULL };

LG_LAZY_FN(mhd, enum MHD_Result, MHD_add_response_header,
	   (struct MHD_Response *response, const char *header, const char *content), (response, header, content))
LG_LAZY_FN(mhd, char *, MHD_basic_auth_get_username_password, (struct MHD_Connection *connection, char **password),
	   (connection, password))
LG_LAZY_FN(mhd, struct MHD_Response *, MHD_create_response_from_buffer,
	   (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode))
LG_LAZY_FN(mhd, struct MHD_Response *, MHD_create_response_from_buffer_with_free_callback,
	   (size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc), (size, buffer, crfc))
LG_LAZY_FN(mhd, struct MHD_Response *, MHD_create_response_from_fd_at_offset64,
	   (uint64_t size, int fd, uint64_t offset), (size, fd, offset))
LG_LAZY_VOID(mhd, MHD_destroy_response, (struct MHD_Response *response), (response))
LG_LAZY_VOID(mhd, MHD_free, (void *ptr), (ptr))
LG_LAZY_FN(mhd, const char *, MHD_lookup_connection_value,
	   (struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key), (connection, kind, key))
LG_LAZY_FN(mhd, enum MHD_Result, MHD_queue_basic_auth_fail_response,
	   (struct MHD_Connection *connection, const char *realm, struct MHD_Response *response),
	   (connection, realm, response))
LG_LAZY_FN(mhd, enum MHD_Result, MHD_queue_response,
	   (struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response),
	   (connection, status_code, response))
LG_LAZY_FN(mhd, MHD_socket, MHD_quiesce_daemon, (struct MHD_Daemon *daemon), (daemon))
LG_LAZY_VOID(mhd, MHD_stop_daemon, (struct MHD_Daemon *daemon), (daemon))
LG_LAZY_FN(mhd, struct MHD_Daemon *, MHD_start_daemon_va,
	   (unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
	    MHD_AccessHandlerCallback dh, void *dh_cls, va_list ap),
	   (flags, port, apc, apc_cls, dh, dh_cls, ap))

/* The variadic ones. MHD_start_daemon's options list goes on as a
 * va_list, which libmicrohttpd takes through MHD_start_daemon_va. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* The info queries lastgood makes take no argument after the type (the
 * "..." is for types that do, none of which lastgood asks for). */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	return LG_LAZY_PTR(mhd, MHD_get_connection_info)(connection, info_type);
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	return LG_LAZY_PTR(mhd, MHD_get_daemon_info)(daemon, info_type);
}
