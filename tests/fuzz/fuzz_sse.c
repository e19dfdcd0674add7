/*
 * tests/fuzz/fuzz_sse.c: libFuzzer target for server-side encryption's inputs (issue 20): the
 * request headers (gateway/s3/sse_req.h) and the bucket default's document and stored form
 * (gateway/s3/sse_conf.h). The input is tried whole as a PutBucketEncryption body and as a
 * stored form, and as request headers, one "name:value" a line (a line without ':' is a name
 * with an empty value; bytes, NULs included, are kept as they are).
 * Checks: the headers answer OK or one of S3's errors (InvalidArgument,
 * InvalidEncryptionAlgorithmError, NotImplemented) with a message; a refusal leaves the result
 * zeroed; an OK SSE-C key is the key whose MD5 the result holds; a KMS key id is valid; the
 * document answers OK, MalformedXML, InvalidArgument or NotImplemented; a valid configuration's
 * stored form reads back the same and its GET document parses back the same; no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "gateway/s3/sse_conf.h"
#include "gateway/s3/sse_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HDRS 32

static void check_headers(const char *p, size_t size)
{
    static const gw_sse_req_t zero;
    gw_sse_hdr_t h[MAX_HDRS];
    size_t n = 0, at = 0;
    gw_sse_req_t r;
    const char *msg;
    gw_s3_err_t e;
    uint8_t md5[CN_MD5_LEN];

    while (at < size && n < MAX_HDRS) {
        const char *nl = memchr(p + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (p + at)) : size - at;
        const char *colon = memchr(p + at, ':', len);
        size_t name_len = colon ? (size_t)(colon - (p + at)) : len;

        h[n].name = cn_slice(p + at, name_len);
        h[n].value = colon ? cn_slice(colon + 1, len - name_len - 1) : cn_slice("", 0);
        n++;
        at += len + 1;
    }
    e = gw_sse_req_parse(h, n, &r, &msg);
    if (e != GW_S3_OK) {
        if ((e != GW_S3_INVALID_ARGUMENT && e != GW_S3_INVALID_ENCRYPTION_ALGORITHM &&
             e != GW_S3_NOT_IMPLEMENTED) ||
            (e != GW_S3_INVALID_ENCRYPTION_ALGORITHM && (msg == NULL || !*msg)) ||
            memcmp(&r, &zero, sizeof(r)) != 0)
            abort();
        return;
    }
    if ((r.mode == GW_SSE_C) != r.cust.given)
        abort();
    if (r.cust.given) {
        cn_md5(r.cust.key, sizeof(r.cust.key), md5);
        if (memcmp(md5, r.cust.md5, sizeof(md5)) != 0 || strlen(r.cust.md5_b64) != 24)
            abort();
    }
    if ((r.kms_key_id || r.context) && r.mode != GW_SSE_KMS)
        abort();
    if (r.kms_key_id && !gw_sse_kms_key_id_valid(r.kms_key_id, strlen(r.kms_key_id)))
        abort();
    if (r.context && r.context[0] != '{')
        abort();
    gw_sse_req_dispose(&r);
    if (memcmp(&r, &zero, sizeof(r)) != 0)
        abort();
}

static void same(const gw_sse_conf_t *a, const gw_sse_conf_t *b)
{
    if (a->mode != b->mode || strcmp(a->kms_key_id, b->kms_key_id) != 0 ||
        a->bucket_key != b->bucket_key)
        abort();
}

static void check_conf(const char *p, size_t size)
{
    gw_sse_conf_t *c = malloc(sizeof(*c)), *d = malloc(sizeof(*d));
    const char *msg;
    gw_s3_err_t e = gw_sse_conf_parse(p, size, c, &msg);
    cn_buf_t b;

    if (e != GW_S3_OK && e != GW_S3_MALFORMED_XML && e != GW_S3_INVALID_ARGUMENT &&
        e != GW_S3_NOT_IMPLEMENTED)
        abort();
    if ((e == GW_S3_INVALID_ARGUMENT || e == GW_S3_NOT_IMPLEMENTED) && (msg == NULL || !*msg))
        abort();
    if (e == GW_S3_OK) {
        if (c->mode != GW_SSE_S3 && c->mode != GW_SSE_KMS)
            abort();
        cn_buf_init(&b);
        gw_sse_conf_encode(c, &b);
        if (gw_sse_conf_decode(b.data ? b.data : "", b.len, d) != 0)
            abort();
        same(c, d);
        cn_buf_reset(&b);
        gw_sse_conf_xml(d, &b);
        if (gw_sse_conf_parse(b.data, b.len, d, &msg) != GW_S3_OK)
            abort();
        same(c, d);
        cn_buf_dispose(&b);
    } else if (c->mode != GW_SSE_NONE) {
        abort();
    }
    if (gw_sse_conf_decode(p, size, d) == 0 && d->mode != GW_SSE_S3 && d->mode != GW_SSE_KMS)
        abort();
    free(c);
    free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_log_set_level(CN_LOG_ERROR);
    check_headers((const char *)data, size);
    check_conf((const char *)data, size);
    return 0;
}
