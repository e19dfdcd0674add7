/* tests/unit/gateway/test_access_log.c: tests gateway/logs/access_log.c (S3's access log
 * line: field order, '-' for what does not apply, escaping), the BucketLoggingStatus reader of
 * gateway/s3/s3_xmlin.c, and gateway/logs/log_queue.c (framing, a torn last record, a queue
 * replayed after a restart). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "gateway/logs/access_log.h"
#include "gateway/logs/log_queue.h"
#include "gateway/s3/s3_xmlin.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX];
static void setup(void) { t_tmpdir_make(dir, sizeof(dir)); }
static void teardown(void) { t_tmpdir_remove(dir); }
TestSuite(access_log, .init = setup, .fini = teardown);

static const char owner[] =
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

/* The line of rec, NUL-terminated (static). */
static const char *line_of(const gw_alog_rec_t *rec)
{
    static char out[8192];
    cn_buf_t b;

    cn_buf_init(&b);
    gw_alog_format(rec, &b);
    cr_assert(b.len > 0 && b.len < sizeof(out));
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    cn_buf_dispose(&b);
    return out;
}

Test(access_log, a_get_is_s3s_line_field_by_field)
{
    gw_alog_rec_t rec = {
        .bucket_owner = owner, .bucket = "awsexamplebucket1", .time_s = 1549411238,
        .remote_ip = "192.0.2.3", .requester = owner, .request_id = "3E57427F3EXAMPLE",
        .operation = "REST.GET.VERSIONING", .request_line = "GET /awsexamplebucket1?versioning HTTP/1.1",
        .status = 200, .bytes_sent = 113, .total_ms = 7, .turnaround_ms = -1,
        .user_agent = "S3Console/0.4", .host_id = "gw0/3E57427F3EXAMPLE",
        .sig_version = "SigV4", .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .auth_type = "AuthHeader", .host = "awsexamplebucket1.s3.us-west-1.amazonaws.com",
        .tls_version = "TLSv1.2"};

    cr_assert_str_eq(line_of(&rec),
                     "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
                     "awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
                     "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
                     "3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning "
                     "HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - gw0/3E57427F3EXAMPLE "
                     "SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
                     "awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -\n");
}

Test(access_log, an_anonymous_error_has_dashes_and_its_code)
{
    gw_alog_rec_t rec = {.bucket_owner = owner, .bucket = "b", .time_s = 0, .requester = "",
                         .request_id = "R", .operation = "REST.GET.OBJECT", .key = "a b/c",
                         .key_len = 5, .request_line = "GET /b/a%20b/c HTTP/1.1", .status = 403,
                         .error_code = "AccessDenied", .bytes_sent = 0, .has_object_size = 0,
                         .total_ms = 0, .turnaround_ms = 0};

    cr_assert_str_eq(line_of(&rec), "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
                     " b [01/Jan/1970:00:00:00 +0000] - - R REST.GET.OBJECT a%20b/c "
                     "\"GET /b/a%20b/c HTTP/1.1\" 403 AccessDenied - - 0 0 \"-\" \"-\" - - - - "
                     "- - - - -\n");
}

Test(access_log, hostile_headers_cannot_add_fields_or_lines)
{
    gw_alog_rec_t rec = {.bucket = "b", .request_line = "GET / HTTP/1.1",
                         .user_agent = "evil\" \"x\nnext line", .referer = "a\\b",
                         .host = "[h h]", .status = 200, .turnaround_ms = -1};
    const char *l = line_of(&rec);
    int fields = 1, quoted = 0, bracket = 0;

    cr_assert(strchr(l, '\n') == l + strlen(l) - 1, "one line: %s", l);
    cr_assert(strstr(l, "\"evil\\x22 \\x22x\\x0Anext line\"") != NULL, "%s", l);
    cr_assert(strstr(l, "\"a\\x5Cb\"") != NULL, "%s", l);
    cr_assert(strstr(l, " \\x5Bh\\x20h\\x5D ") != NULL, "%s", l);
    for (const char *p = l; *p != '\n'; p++) { /* S3's split: spaces outside "" and [] */
        quoted ^= *p == '"';
        bracket = *p == '[' ? 1 : *p == ']' ? 0 : bracket;
        fields += *p == ' ' && !quoted && !bracket;
    }
    cr_assert_eq(fields, GW_ALOG_NFIELDS, "%d fields: %s", fields, l);
}

Test(access_log, operation_names)
{
    char op[64];

    gw_alog_operation(GW_OP_GET_OBJECT, "GET", 3, 0, op, sizeof(op));
    cr_assert_str_eq(op, "REST.GET.OBJECT");
    gw_alog_operation(GW_OP_PUT_OBJECT, "PUT", 3, 1, op, sizeof(op));
    cr_assert_str_eq(op, "REST.COPY.OBJECT");
    gw_alog_operation(GW_OP_PUT_BUCKET_LOGGING, "PUT", 3, 0, op, sizeof(op));
    cr_assert_str_eq(op, "REST.PUT.LOGGING_STATUS");
    gw_alog_operation(GW_OP_DELETE_OBJECTS, "POST", 4, 0, op, sizeof(op));
    cr_assert_str_eq(op, "REST.POST.MULTI_OBJECT_DELETE");
    gw_alog_operation(GW_OP_LIST_BUCKETS, "GET", 3, 0, op, sizeof(op));
    cr_assert_str_eq(op, "REST.GET.SERVICE");
    gw_alog_operation(GW_OP_NONE, "BR EW", 5, 0, op, sizeof(op));
    cr_assert_str_eq(op, "REST.BR_EW.UNKNOWN");
}

/* ---- BucketLoggingStatus ----------------------------------------------------------------- */

#define LS(body) "<BucketLoggingStatus xmlns=\"http://doc.s3.amazonaws.com/2006-03-01\">" body \
                 "</BucketLoggingStatus>"

static int parse(const char *doc, gw_xml_logging_t *l)
{
    return gw_xml_parse_logging(doc, strlen(doc), l);
}

Test(access_log, logging_xml_enabled_and_disabled)
{
    gw_xml_logging_t l;

    cr_assert_eq(parse(LS("<LoggingEnabled><TargetBucket> logs </TargetBucket>"
                          "<TargetPrefix>p/ x</TargetPrefix></LoggingEnabled>"), &l), 0);
    cr_assert(l.enabled && !l.has_grants && !l.partitioned);
    cr_assert_str_eq(l.bucket, "logs");
    cr_assert_str_eq(l.prefix, "p/ x");
    cr_assert_eq(parse(LS(""), &l), 0);
    cr_assert_eq(l.enabled, 0);
    cr_assert_eq(parse("<BucketLoggingStatus/>", &l), 0);
    cr_assert_eq(l.enabled, 0);
    cr_assert_eq(parse(LS("<LoggingEnabled><TargetBucket>l</TargetBucket><TargetPrefix/>"
                          "<TargetGrants><Grant><Grantee><ID>x</ID></Grantee><Permission>READ"
                          "</Permission></Grant></TargetGrants></LoggingEnabled>"), &l), 0);
    cr_assert(l.has_grants && l.prefix[0] == '\0');
    cr_assert_eq(parse(LS("<LoggingEnabled><TargetBucket>l</TargetBucket><TargetPrefix>a"
                          "</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix>"
                          "<PartitionDateSource>EventTime</PartitionDateSource>"
                          "</PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled>"), &l),
                 0);
    cr_assert(l.partitioned);
    cr_assert_eq(parse(LS("<LoggingEnabled><TargetBucket>l</TargetBucket><TargetPrefix>a"
                          "</TargetPrefix><TargetObjectKeyFormat><SimplePrefix/>"
                          "</TargetObjectKeyFormat></LoggingEnabled>"), &l), 0);
    cr_assert(!l.partitioned);
}

Test(access_log, logging_xml_malformed)
{
    static const char *const bad[] = {
        "",
        "<Other/>",
        LS("<LoggingEnabled><TargetPrefix>a</TargetPrefix></LoggingEnabled>"),
        LS("<LoggingEnabled><TargetBucket>a</TargetBucket></LoggingEnabled>"),
        LS("<LoggingEnabled><TargetBucket></TargetBucket><TargetPrefix/></LoggingEnabled>"),
        LS("<LoggingEnabled><TargetBucket>a</TargetBucket><TargetBucket>b</TargetBucket>"
           "<TargetPrefix/></LoggingEnabled>"),
        LS("<LoggingEnabled><TargetBucket>a</TargetBucket><TargetPrefix/></LoggingEnabled>"
           "<LoggingEnabled><TargetBucket>a</TargetBucket><TargetPrefix/></LoggingEnabled>"),
        LS("<LoggingEnabled><TargetBucket>a</TargetBucket><TargetPrefix/><Extra/>"
           "</LoggingEnabled>"),
        LS("<Other/>"),
        LS("<LoggingEnabled><TargetBucket>a</TargetBucket><TargetPrefix/>"
           "<TargetObjectKeyFormat><Weird/></TargetObjectKeyFormat></LoggingEnabled>"),
        "<!DOCTYPE x [<!ENTITY e \"b\">]>" LS(""),
        LS("<LoggingEnabled>"),
    };
    gw_xml_logging_t l;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse(bad[i], &l), CN_EINVAL, "case %zu: %s", i, bad[i]);
        cr_assert_eq(l.enabled, 0);
    }
}

/* ---- the queue ----------------------------------------------------------------------------- */

Test(access_log, framing_round_trip_and_a_torn_record)
{
    cn_buf_t b;
    cn_slice_t rec;
    size_t off = 0;

    cn_buf_init(&b);
    gw_logq_frame(&b, "one\n", 4);
    gw_logq_frame(&b, "two\n", 4);
    cr_assert_eq(gw_logq_next(b.data, b.len, &off, &rec), 1);
    cr_assert(rec.len == 4 && memcmp(rec.ptr, "one\n", 4) == 0);
    cr_assert_eq(gw_logq_next(b.data, b.len - 1, &off, &rec), CN_ECORRUPT, "torn: no crash");
    cr_assert_eq(gw_logq_next(b.data, b.len, &off, &rec), 1);
    cr_assert_eq(gw_logq_next(b.data, b.len, &off, &rec), 0);
    b.data[GW_LOGQ_FRAME_HDR + 1] ^= 1; /* a flipped byte in the first payload */
    off = 0;
    cr_assert_eq(gw_logq_next(b.data, b.len, &off, &rec), CN_ECORRUPT);
    cn_buf_dispose(&b);
}

Test(access_log, header_parse)
{
    char *bk, *pre;
    int64_t t;
    const char good[] = "cairn-alog 1\nlogs\nacc/\n1700000000";

    cr_assert_eq(gw_logq_header_parse(cn_slice(good, sizeof(good) - 1), &bk, &pre, &t), 0);
    cr_assert_str_eq(bk, "logs");
    cr_assert_str_eq(pre, "acc/");
    cr_assert_eq(t, 1700000000);
    cn_free(bk);
    cn_free(pre);
    cr_assert_eq(gw_logq_header_parse(cn_slice("cairn-alog 1\nlogs\n", 18), &bk, &pre, &t),
                 CN_ECORRUPT);
    cr_assert_eq(gw_logq_header_parse(cn_slice("cairn-alog 1\n\nx\n1", 17), &bk, &pre, &t),
                 CN_ECORRUPT);
    cr_assert_eq(gw_logq_header_parse(cn_slice("cairn-alog 1\nb\nx\n-1", 19), &bk, &pre, &t),
                 CN_ECORRUPT);
}

Test(access_log, a_queue_is_replayed_and_a_torn_tail_skipped, .timeout = 10)
{
    uv_loop_t loop;
    gw_logq_t q;
    gw_logq_seg_t *seg = NULL, *s2 = NULL;
    cn_buf_t out;
    char path[PATH_MAX + 32];
    int fd;

    uv_loop_init(&loop);
    cr_assert_eq(gw_logq_open(&q, &loop, dir), 0);
    cr_assert_eq(gw_logq_append(&q, NULL, "logs", "a/", 100, "l1\n", 3, &seg), 0);
    cr_assert_eq(gw_logq_append(&q, gw_logq_find_open(&q, "logs", "a/"), "logs", "a/", 101,
                                "l2\n", 3, &s2), 0);
    cr_assert_eq(seg, s2, "one open segment per target");
    cr_assert_null(gw_logq_find_open(&q, "logs", "b/"));
    gw_logq_sync(&q);
    uv_run(&loop, UV_RUN_DEFAULT); /* the fsync in the threadpool ends */
    snprintf(path, sizeof(path), "%s/%016llx.q", dir, (unsigned long long)seg->seq);
    gw_logq_close(&q);
    /* a crash in the middle of a third record */
    fd = open(path, O_WRONLY | O_APPEND);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "\x20\0\0\0abcdl3", 10), 10);
    close(fd);

    cr_assert_eq(gw_logq_open(&q, &loop, dir), 0);
    cr_assert_not_null(q.segs, "the segment is replayed");
    cr_assert(q.segs->sealed && q.segs->nrecs == 2);
    cr_assert_str_eq(q.segs->bucket, "logs");
    cr_assert_str_eq(q.segs->prefix, "a/");
    cr_assert_eq(q.segs->created_s, 100);
    cr_assert_gt(q.next_seq, q.segs->seq);
    cn_buf_init(&out);
    cr_assert_eq(gw_logq_read(q.segs, &out), 0);
    cr_assert_eq(out.len, 6);
    cr_assert_arr_eq(out.data, "l1\nl2\n", 6);
    cn_buf_dispose(&out);
    gw_logq_remove(q.segs);
    cr_assert_null(q.segs);
    cr_assert_eq(q.bytes, 0);
    cr_assert_eq(access(path, F_OK), -1, "removed from disk");
    gw_logq_close(&q);
    uv_loop_close(&loop);
}
