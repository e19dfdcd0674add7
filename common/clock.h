/*
 * common/clock.h: wall and monotonic time, and the hybrid logical clock that orders object
 * versions (last writer wins). An HLC value is nanoseconds since the epoch, made strictly
 * increasing within a process and never behind a clock it has seen.
 */
#ifndef CAIRN_COMMON_CLOCK_H
#define CAIRN_COMMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t cn_now_ms(void);     /* wall clock, ms since the epoch */
uint64_t cn_now_ns(void);     /* wall clock, ns since the epoch */
uint64_t cn_mono_ms(void);    /* monotonic, for timeouts */

/** Next HLC value: max(now_ns, last + 1). Thread-safe. */
uint64_t cn_hlc_next(void);
/** Moves the HLC past a clock seen from a peer. Thread-safe. */
void cn_hlc_observe(uint64_t seen_ns);

/** Formats ms since the epoch as ISO 8601 UTC with milliseconds ("2026-05-01T10:00:00.123Z")
 *  into out (at least 25 bytes). */
void cn_fmt_iso8601_ms(uint64_t ms, char *out, size_t outlen);
/** Formats as RFC 1123 ("Fri, 01 May 2026 10:00:00 GMT") into out (at least 30 bytes). */
void cn_fmt_http_date(uint64_t ms, char *out, size_t outlen);

#endif
