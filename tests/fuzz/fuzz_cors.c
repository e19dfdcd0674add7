/*
 * tests/fuzz/fuzz_cors.c: libFuzzer target for a bucket's CORS rules: the CORSConfiguration
 * reader (gw_xml_parse_cors, gateway/s3/s3_xmlin.h), S3's checks, the stored form and the
 * matching (gateway/s3/cors.h). The input is a PutBucketCors body, optionally followed by a
 * line "--" and up to three lines: a request's Origin, method and
 * Access-Control-Request-Headers (else a few fixed requests are tried).
 * Checks: the reader answers 0 or CN_EINVAL and leaves no rule on an error; the check answers
 * OK, MalformedXML, InvalidRequest or InvalidArgument, with a message for the last two; a
 * valid configuration has 1..100 rules, each with an origin and a method; its stored form
 * reads back and encodes to the same bytes; a match names a rule whose origin pattern and
 * method match the request and no earlier rule matches; the answered header names are lower
 * case; no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/s3/cors.h"
#include "gateway/s3/s3_xmlin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct req {
    const char *origin, *method, *headers; /* headers NULL: an actual request */
    size_t origin_len, method_len, headers_len;
};

static const struct req fixed[] = {
    {"http://www.example.com", "GET", NULL, 22, 3, 0},
    {"https://a.example.org", "PUT", "x-amz-date,Content-Type", 21, 3, 23},
    {"", "DELETE", "", 0, 6, 0},
    {"*", "HEAD", " , x-AMZ-*", 1, 4, 10},
};

static void check_match(const gw_cors_t *c, const struct req *q)
{
    long i = gw_cors_match(c, q->origin, q->origin_len, q->method, q->method_len, q->headers,
                           q->headers_len);
    int origin_ok = 0, method_ok = 0;
    cn_buf_t b;

    if (i < -1 || i >= (long)c->n)
        abort();
    if (i >= 0) {
        const gw_cors_rule_t *rule = &c->rules[i];

        for (size_t j = 0; j < rule->origins.n; j++)
            origin_ok |= gw_cors_pattern_match(rule->origins.v[j], q->origin, q->origin_len, 0);
        for (size_t j = 0; j < rule->methods.n; j++)
            method_ok |= strlen(rule->methods.v[j]) == q->method_len &&
                         memcmp(rule->methods.v[j], q->method, q->method_len) == 0;
        if (!origin_ok || !method_ok)
            abort();
        /* the first: the rules before it do not match this request */
        gw_cors_t before = *c;
        before.n = (size_t)i;
        if (gw_cors_match(&before, q->origin, q->origin_len, q->method, q->method_len,
                          q->headers, q->headers_len) != -1)
            abort();
        (void)gw_cors_any_origin(rule, q->origin, q->origin_len);
    }
    if (q->headers != NULL) {
        cn_buf_init(&b);
        gw_cors_header_names(q->headers, q->headers_len, &b);
        for (size_t j = 0; j < b.len; j++)
            if (b.data[j] >= 'A' && b.data[j] <= 'Z')
                abort();
        cn_buf_dispose(&b);
    }
}

/* The request lines after "\n--\n", if any: 1 with *q set (pointing into data). */
static int request_of(const char *p, size_t size, size_t *xml_len, struct req *q)
{
    const char *sep = NULL, *lines[3] = {"", "GET", NULL};
    size_t lens[3] = {0, 3, 0}, n = 0, at;

    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(p + i, "\n--\n", 4) == 0) {
            sep = p + i;
            break;
        }
    if (sep == NULL)
        return 0;
    *xml_len = (size_t)(sep - p);
    at = *xml_len + 4;
    while (n < 3 && at <= size) {
        const char *nl = memchr(p + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (p + at)) : size - at;

        lines[n] = p + at;
        lens[n++] = len;
        at += len + 1;
    }
    *q = (struct req){lines[0], lines[1], lines[2], lens[0], lens[1], lens[2]};
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t xml_len = size;
    struct req q;
    int have_req = request_of(p, size, &xml_len, &q);
    gw_cors_t c = {0}, d = {0};
    char msg_buf[600];
    const char *msg;
    gw_s3_err_t e;
    cn_buf_t j1, j2;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    rc = gw_xml_parse_cors(p, xml_len, &c);
    if (rc != 0) {
        if (rc != CN_EINVAL || c.n != 0 || c.rules != NULL)
            abort();
        return 0;
    }
    e = gw_cors_check(&c, msg_buf, sizeof(msg_buf), &msg);
    if (e != GW_S3_OK && e != GW_S3_MALFORMED_XML && e != GW_S3_INVALID_REQUEST &&
        e != GW_S3_INVALID_ARGUMENT)
        abort();
    if ((e == GW_S3_INVALID_REQUEST || e == GW_S3_INVALID_ARGUMENT) && (msg == NULL || !*msg))
        abort();
    if (e == GW_S3_OK) {
        if (c.n == 0 || c.n > GW_CORS_MAX_RULES)
            abort();
        for (size_t i = 0; i < c.n; i++)
            if (c.rules[i].origins.n == 0 || c.rules[i].methods.n == 0)
                abort();
        cn_buf_init(&j1);
        cn_buf_init(&j2);
        gw_cors_encode(&c, &j1);
        if (gw_cors_decode(j1.data ? j1.data : "", j1.len, &d) != 0)
            abort();
        gw_cors_encode(&d, &j2);
        if (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len) != 0 || d.n != c.n)
            abort();
        cn_buf_dispose(&j1);
        cn_buf_dispose(&j2);
        gw_cors_dispose(&d);
    }
    if (have_req)
        check_match(&c, &q);
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_match(&c, &fixed[i]);
    gw_cors_dispose(&c);
    return 0;
}
