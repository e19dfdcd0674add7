/*
 * common/log.h: one event, one line:
 *   2026-05-01T10:00:00.123Z storage[4711] W container.c:212 message k=v
 * to stderr or to a file that cn_log_reopen() reopens (daemons call it on SIGHUP).
 * The level is checked before the arguments are evaluated. The state is per process
 * and reset by cn_log_init(), so a test can set it up as it likes.
 */
#ifndef CAIRN_COMMON_LOG_H
#define CAIRN_COMMON_LOG_H

#include <stdatomic.h>

enum cn_log_level { CN_LOG_DEBUG = 0, CN_LOG_INFO = 1, CN_LOG_WARN = 2, CN_LOG_ERROR = 3 };

extern _Atomic int cn_log_level; /* read by every thread; set by cn_log_set_level */

/** Sets the component name ("storage"), the minimum level and the file (NULL or "" or
 *  "stderr" for stderr). Returns 0 or a CN_E* code when the file cannot be opened. */
int cn_log_init(const char *component, int level, const char *path);
/** Reopens the log file (after rotation). No-op on stderr. */
int cn_log_reopen(void);
void cn_log_set_level(int level);
/** Parses "debug", "info", "warn"/"warning", "error"; returns the level or CN_EINVAL. */
int cn_log_level_parse(const char *s);
const char *cn_log_level_name(int level);

void cn__log(int level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cn__fatal(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void cn__assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

#define CN_LOG(lvl, ...)                                                                  \
    do {                                                                                  \
        if ((lvl) >= cn_log_level)                                                        \
            cn__log((lvl), __FILE__, __LINE__, __VA_ARGS__);                              \
    } while (0)
#define CN_FATAL(...) cn__fatal(__FILE__, __LINE__, __VA_ARGS__)
#define CN_ASSERT(e) ((e) ? (void)0 : cn__assert_fail(#e, __FILE__, __LINE__))
#ifdef CN_DEBUG
#define CN_DASSERT(e) CN_ASSERT(e)
#else
#define CN_DASSERT(e) ((void)0)
#endif
#define CN_CHECK_OBJ(p, m) (CN_ASSERT((p) != NULL), CN_ASSERT((p)->magic == (m)))

#endif
