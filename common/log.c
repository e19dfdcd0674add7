/*
 * common/log.c: one event, one line, one write():
 *   2026-05-01T10:00:00.123Z storage[4711] W container.c:212 message
 * Lines go to stderr or to a file opened O_APPEND, so concurrent threads and processes
 * never interleave within a line. cn_log_reopen() swaps the file descriptor (SIGHUP after
 * rotation). Locking: state.lock guards fd, path and component; the level is a plain int read
 * without the lock (a stale read only changes whether one line is printed).
 * Never allocates on the logging path (cn_malloc itself logs on OOM).
 */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"

#define LOG_LINE_MAX 4096

_Atomic int cn_log_level = CN_LOG_INFO;

static struct {
    pthread_mutex_t lock;
    int fd;                 /* 2 for stderr, or the open log file */
    char path[PATH_MAX];    /* "" for stderr */
    char component[32];
} state = {PTHREAD_MUTEX_INITIALIZER, 2, "", ""};

static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    return fd < 0 ? -errno : fd;
}

static int is_stderr(const char *path)
{
    return path == NULL || path[0] == '\0' || strcmp(path, "stderr") == 0;
}

int cn_log_init(const char *component, int level, const char *path)
{
    int fd = 2;

    if (!is_stderr(path)) {
        if (strlen(path) >= sizeof(state.path))
            return CN_ENAMETOOLONG;
        if ((fd = open_log(path)) < 0)
            return fd;
    }
    pthread_mutex_lock(&state.lock);
    if (state.fd != 2)
        close(state.fd);
    state.fd = fd;
    snprintf(state.path, sizeof(state.path), "%s", is_stderr(path) ? "" : path);
    snprintf(state.component, sizeof(state.component), "%s", component ? component : "");
    pthread_mutex_unlock(&state.lock);
    cn_log_set_level(level);
    return 0;
}

int cn_log_reopen(void)
{
    int fd, old, rc = 0;

    pthread_mutex_lock(&state.lock);
    if (state.path[0] == '\0')
        goto out;
    if ((fd = open_log(state.path)) < 0) {
        rc = fd;
        goto out;
    }
    old = state.fd;
    state.fd = fd;
    if (old != 2)
        close(old);
out:
    pthread_mutex_unlock(&state.lock);
    return rc;
}

void cn_log_set_level(int level)
{
    if (level < CN_LOG_DEBUG)
        level = CN_LOG_DEBUG;
    if (level > CN_LOG_ERROR)
        level = CN_LOG_ERROR;
    cn_log_level = level;
}

int cn_log_level_parse(const char *s)
{
    if (s == NULL)
        return CN_EINVAL;
    if (strcasecmp(s, "debug") == 0)
        return CN_LOG_DEBUG;
    if (strcasecmp(s, "info") == 0)
        return CN_LOG_INFO;
    if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
        return CN_LOG_WARN;
    if (strcasecmp(s, "error") == 0)
        return CN_LOG_ERROR;
    return CN_EINVAL;
}

const char *cn_log_level_name(int level)
{
    switch (level) {
    case CN_LOG_DEBUG: return "debug";
    case CN_LOG_INFO: return "info";
    case CN_LOG_WARN: return "warn";
    case CN_LOG_ERROR: return "error";
    default: return "unknown";
    }
}

static void vlog(int level, const char *file, int line, const char *fmt, va_list ap)
{
    static const char letters[] = "DIWE";
    char buf[LOG_LINE_MAX];
    char ts[32];
    const char *base = strrchr(file, '/');
    size_t len;
    int n, saved_errno = errno;

    base = base ? base + 1 : file;
    if (level < CN_LOG_DEBUG || level > CN_LOG_ERROR)
        level = CN_LOG_ERROR;
    cn_fmt_iso8601_ms(cn_now_ms(), ts, sizeof(ts));

    pthread_mutex_lock(&state.lock);
    n = snprintf(buf, sizeof(buf), "%s %s[%ld] %c %s:%d ", ts,
                 state.component[0] ? state.component : program_invocation_short_name,
                 (long)getpid(), letters[level], base, line);
    len = n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    n = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
    if (n > 0)
        len += (size_t)n < sizeof(buf) - len ? (size_t)n : sizeof(buf) - len - 1;
    /* One event is one line: newlines inside the message become spaces. */
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    if (len == sizeof(buf) - 1)
        len--;
    buf[len++] = '\n';
    for (size_t off = 0; off < len;) {
        ssize_t w = write(state.fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    pthread_mutex_unlock(&state.lock);
    errno = saved_errno;
}

void cn__log(int level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(level, file, line, fmt, ap);
    va_end(ap);
}

void cn__fatal(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(CN_LOG_ERROR, file, line, fmt, ap);
    va_end(ap);
    abort();
}

void cn__assert_fail(const char *expr, const char *file, int line)
{
    cn__log(CN_LOG_ERROR, file, line, "assertion failed: %s", expr);
    abort();
}
