/*
 * tests/fuzz/fuzz_s3_route.c: libFuzzer target for the S3 request router (gateway/s3/route.h):
 * method, raw path, query and Host of a request shaped as an HTTP/1.1 head (see fuzz.h), parsed
 * path-style and virtual-host-style, plus the query helpers and the bucket name rule on what
 * came out. Checks: a routed key fits GW_KEY_MAX, is NUL-terminated and holds no NUL; the
 * bucket is NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "gateway/s3/route.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_route(gw_s3_err_t e, const gw_route_t *rt)
{
    if (e != GW_S3_OK)
        return;
    if (rt->key_len > GW_KEY_MAX || rt->key[rt->key_len] != '\0' ||
        strlen(rt->key) != rt->key_len)
        abort();
    if (memchr(rt->bucket, '\0', sizeof(rt->bucket)) == NULL)
        abort();
    (void)gw_bucket_name_valid(rt->bucket);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_req_t fr;
    static const char *const params[] = {"uploadId", "partNumber", "prefix", "delimiter",
                                         "max-keys", "list-type", "continuation-token",
                                         "marker", "acl", "delete", "uploads", "location"};
    gw_route_t rt;
    gw_s3_err_t e;
    cn_buf_t b;

    cn_log_set_level(CN_LOG_ERROR);
    fuzz_req_parse(data, size, &fr);
    const char *q = fr.has_query ? fr.query : NULL;

    memset(&rt, 0xa5, sizeof(rt));
    e = gw_route_parse(fr.method, fr.method_len, fr.path, fr.path_len, q, fr.query_len,
                       fr.host, fr.host_len, NULL, &rt);
    check_route(e, &rt);
    memset(&rt, 0xa5, sizeof(rt));
    e = gw_route_parse(fr.method, fr.method_len, fr.path, fr.path_len, q, fr.query_len,
                       fr.host, fr.host_len, "s3.cairn.test", &rt);
    check_route(e, &rt);

    cn_buf_init(&b);
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        (void)gw_query_has(q, fr.query_len, params[i]);
        (void)gw_query_get(q, fr.query_len, params[i], &b);
    }
    cn_buf_dispose(&b);
    return 0;
}
