/*
 * common/proc.c: port and pid files (written to PATH.tmp, fsynced, renamed, so a reader
 * never sees half a file), "host:port" parsing, listening sockets and mkdir -p.
 */
#include "common/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

int cn_write_file_atomic(const char *path, const char *content, size_t len)
{
    char tmp[PATH_MAX];
    size_t off = 0;
    int fd, rc = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return CN_ENAMETOOLONG;
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        return -errno;
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            goto out_unlink;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        rc = -errno;
        goto out_unlink;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = -errno;
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = -errno;
        goto out_unlink;
    }
    return 0;

out_unlink:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

int cn_pid_file_write(const char *path)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

    return cn_write_file_atomic(path, line, (size_t)n);
}

int cn_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon, *h;
    size_t hl;
    char *end;
    long p;

    if (s == NULL || (colon = strrchr(s, ':')) == NULL || colon[1] == '\0')
        return CN_EINVAL;
    h = s;
    hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [::1]:port */
        h++;
        hl -= 2;
    } else if (memchr(h, ':', hl) != NULL) {
        return CN_EINVAL; /* a bare IPv6 address needs brackets */
    }
    if (hl == 0) {
        h = "127.0.0.1";
        hl = strlen(h);
    }
    if (hl >= hostlen)
        return CN_EINVAL;
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || p < 0 || p > 65535 || colon[1] == '-' || colon[1] == '+' ||
        colon[1] == ' ')
        return CN_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

int cn_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    struct stat st;

    if (len == 0)
        return CN_EINVAL;
    if (len >= sizeof(buf))
        return CN_ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = saved;
        if (saved == '\0')
            break;
    }
    if (stat(path, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : CN_EEXIST;
}

int cn_listen_tcp(const char *host, int port, int *real_port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char portstr[16];
    int fd = -1, one = 1, rc;

    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(host, portstr, &hints, &res) != 0 || res == NULL)
        return CN_EINVAL;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto out_free;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        rc = -errno;
        goto out_close;
    }
    *real_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    freeaddrinfo(res);
    return fd;

out_close:
    close(fd);
out_free:
    freeaddrinfo(res);
    return rc;
}
