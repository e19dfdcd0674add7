/*
 * common/clock.c: wall and monotonic time, the hybrid logical clock, UTC date formatting.
 * The HLC is one process-wide atomic: next() = max(now_ns, last + 1) by compare-and-swap, so
 * values are strictly increasing across threads; observe() only ever moves it forward.
 */
#include "common/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static _Atomic uint64_t hlc_last;

uint64_t cn_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cn_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cn_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cn_hlc_next(void)
{
    uint64_t now = cn_now_ns();
    uint64_t last = atomic_load(&hlc_last);
    uint64_t next;

    do {
        next = now > last ? now : last + 1;
    } while (!atomic_compare_exchange_weak(&hlc_last, &last, next));
    return next;
}

void cn_hlc_observe(uint64_t seen_ns)
{
    uint64_t last = atomic_load(&hlc_last);

    while (seen_ns > last && !atomic_compare_exchange_weak(&hlc_last, &last, seen_ns))
        ;
}

static void utc(uint64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000u);

    gmtime_r(&t, tm);
}

void cn_fmt_iso8601_ms(uint64_t ms, char *out, size_t outlen)
{
    struct tm tm;

    utc(ms, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned)(ms % 1000u));
}

void cn_fmt_http_date(uint64_t ms, char *out, size_t outlen)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    utc(ms, &tm);
    snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
