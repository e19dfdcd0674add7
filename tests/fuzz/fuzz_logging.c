/*
 * tests/fuzz/fuzz_logging.c: libFuzzer target for server access logs (issue 18): the
 * BucketLoggingStatus reader (gw_xml_parse_logging, gateway/s3/s3_xmlin.h), the reader of
 * the on-disk queue's records (gw_logq_next and gw_logq_header_parse, gateway/logs/
 * log_queue.h: a segment after a crash may end in a torn record), and the access log line
 * (gw_alog_format, gateway/logs/access_log.h) with the input as its client-chosen fields.
 * Checks: the XML reader answers 0 or CN_EINVAL, leaves nothing on an error, and on success
 * gives a non-empty TargetBucket when LoggingEnabled is there; the record reader moves
 * forward within the input and answers 1, 0 or CN_ECORRUPT; a header reads or is
 * CN_ECORRUPT; a line is one line of GW_ALOG_NFIELDS fields; no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/logs/access_log.h"
#include "gateway/logs/log_queue.h"
#include "gateway/s3/s3_xmlin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_xml(const char *p, size_t size)
{
    gw_xml_logging_t l;
    int rc = gw_xml_parse_logging(p, size, &l);

    if (rc != 0) {
        if (rc != CN_EINVAL || l.enabled || l.bucket[0] || l.prefix[0] || l.has_grants)
            abort();
        return;
    }
    if (l.enabled && (l.bucket[0] == '\0' || strlen(l.prefix) > 1024))
        abort();
    if (!l.enabled && (l.bucket[0] || l.has_grants || l.partitioned))
        abort();
}

static void check_queue(const char *p, size_t size)
{
    size_t off = 0, before;
    cn_slice_t rec;
    int rc, first = 1;

    for (;;) {
        before = off;
        rc = gw_logq_next(p, size, &off, &rec);
        if (rc == 0 || rc == CN_ECORRUPT) {
            if (off != before)
                abort();
            return;
        }
        if (rc != 1 || off <= before || off > size || rec.ptr < p || rec.ptr + rec.len > p + size)
            abort();
        if (first) {
            char *b, *pre;
            int64_t t;

            first = 0;
            if (gw_logq_header_parse(rec, &b, &pre, &t) == 0) {
                if (b == NULL || pre == NULL || b[0] == '\0' || t < 0)
                    abort();
                cn_free(b);
                cn_free(pre);
            } else if (b != NULL || pre != NULL) {
                abort();
            }
        }
    }
}

/* Fields of line[0..n) as a reader splits them: "..." and [...] are one field each, else up
 * to the next space. *bad is set when a quote or bracket is not closed before the end. */
static int count_fields(const char *line, size_t n, int *bad)
{
    size_t i = 0;
    int fields = 0;

    while (i <= n) {
        const char *end;

        fields++;
        if (i < n && (line[i] == '"' || line[i] == '[')) {
            end = memchr(line + i + 1, line[i] == '"' ? '"' : ']', n - i - 1);
            if (end == NULL) {
                *bad = 1;
                return fields;
            }
            i = (size_t)(end - line) + 1;
            if (i < n && line[i] != ' ')
                *bad = 1;
        }
        end = i < n ? memchr(line + i, ' ', n - i) : NULL;
        if (end == NULL)
            break;
        i = (size_t)(end - line) + 1;
    }
    return fields;
}

/* The input cut at NULs into the fields a client chooses (user agent, referer, host, key). */
static void check_line(const char *p, size_t size)
{
    char *copy = cn_malloc(size + 1);
    const char *parts[4] = {"", "", "", ""};
    gw_alog_rec_t rec = {0};
    size_t n = 0, at = 0;
    int fields, bad = 0;
    cn_buf_t b;

    memcpy(copy, p, size);
    copy[size] = '\0';
    while (n < 4 && at <= size) {
        parts[n++] = copy + at;
        at += strlen(copy + at) + 1;
    }
    rec.user_agent = parts[0];
    rec.referer = parts[1];
    rec.host = parts[2];
    rec.key = parts[3];
    rec.key_len = strlen(parts[3]);
    rec.request_line = parts[0];
    rec.bucket = "b";
    rec.status = 200;
    rec.turnaround_ms = -1;
    rec.time_s = (int64_t)size * 1000003;
    cn_buf_init(&b);
    gw_alog_format(&rec, &b);
    if (b.len == 0 || b.data[b.len - 1] != '\n' || memchr(b.data, '\n', b.len - 1) != NULL ||
        memchr(b.data, '\0', b.len) != NULL)
        abort();
    fields = count_fields(b.data, b.len - 1, &bad);
    if (fields != GW_ALOG_NFIELDS || bad)
        abort();
    cn_buf_dispose(&b);
    cn_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;

    cn_log_set_level(CN_LOG_ERROR);
    check_xml(p, size);
    check_queue(p, size);
    check_line(p, size);
    return 0;
}
