/*
 * common/proc.h: what every daemon does the same way: port files for tests and scripts
 * ("rpc 127.0.0.1:40123" lines, written to a temp file then renamed, so a reader never sees
 * half a file), pid files, "host:port" parsing, listening sockets for the small HTTP servers,
 * and making directories.
 */
#ifndef CAIRN_COMMON_PROC_H
#define CAIRN_COMMON_PROC_H

#include <stddef.h>

/** Writes content to path atomically (path.tmp + rename). Returns 0 or a CN_E* code. */
int cn_write_file_atomic(const char *path, const char *content, size_t len);
/** Writes the pid file (atomically). */
int cn_pid_file_write(const char *path);
/** Splits "host:port" (host may be empty: "127.0.0.1" then). 0 or CN_EINVAL. */
int cn_parse_hostport(const char *s, char *host, size_t hostlen, int *port);
/** Binds a blocking TCP socket to host:port (port 0: any free one) and listens (for the
 *  libmicrohttpd servers: the manager's admin API, the storage node's /metrics). Returns the
 *  fd and sets *real_port, or a negative CN_E* code (-errno of the failed call). */
int cn_listen_tcp(const char *host, int port, int *real_port);
/** mkdir -p with mode 0755. 0 or a CN_E* code. */
int cn_mkdir_p(const char *path);

#endif
