/*
 * tests/fuzz/fuzz_cond.c: libFuzzer target for the conditional request headers
 * (gw_cond_eval, gw_cond_etag_matches in gateway/s3/s3_cond.h, and through them
 * gw_http_date_parse in gateway/s3/s3_xml.h). The input is a request head (tests/fuzz/fuzz.h):
 * If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since, or their
 * x-amz-copy-source-if-* forms, are evaluated against objects of a few ETags and mtimes.
 * Checks: the result is 0, 304 or 412; it follows the RFC 7232 order (If-Match decides alone
 * over If-Unmodified-Since, If-None-Match over If-Modified-Since, a 412 wins over a 304);
 * "*" matches any ETag; a parsed date formats back to a date that parses to the same second.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/s3/s3_cond.h"
#include "gateway/s3/s3_xml.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cn_slice_t header(const fuzz_req_t *r, const char *prefix, const char *name)
{
    size_t pl = strlen(prefix), nl = strlen(name);

    for (size_t i = 0; i < r->nh; i++) {
        const fuzz_hdr_t *h = &r->h[i];
        if (h->name_len == pl + nl && fuzz_ieq(h->name, pl, prefix) &&
            fuzz_ieq(h->name + pl, nl, name))
            return cn_slice(h->value, h->value_len);
    }
    return cn_slice(NULL, 0);
}

static void check_date(cn_slice_t d)
{
    char buf[GW_HTTP_DATE_LEN];
    uint64_t ms, ms2;

    if (d.ptr == NULL || gw_http_date_parse(d.ptr, d.len, &ms) != 0)
        return;
    if (ms > 253402300799999ull)
        abort(); /* after 9999-12-31 */
    gw_http_date_fmt(ms, buf);
    if (gw_http_date_parse(buf, strlen(buf), &ms2) != 0 || ms2 / 1000 != ms / 1000)
        abort(); /* our own format does not parse back to the same second */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const etags[] = {"9b2cf535f27731c974343645a3985328", "", "*", "a",
                                        "d41d8cd98f00b204e9800998ecf8427e-2"};
    static const uint64_t mtimes[] = {0, 999, 1700000000123ull, 253402300799999ull,
                                      UINT64_MAX};
    static const char *const prefixes[] = {"", "x-amz-copy-source-"};
    fuzz_req_t r;

    cn_log_set_level(CN_LOG_ERROR);
    fuzz_req_parse(data, size, &r);
    for (size_t p = 0; p < 2; p++) {
        gw_cond_t c = {header(&r, prefixes[p], "if-match"),
                       header(&r, prefixes[p], "if-none-match"),
                       header(&r, prefixes[p], "if-modified-since"),
                       header(&r, prefixes[p], "if-unmodified-since")};
        check_date(c.if_modified_since);
        check_date(c.if_unmodified_since);
        for (size_t i = 0; i < sizeof(etags) / sizeof(etags[0]); i++) {
            for (size_t j = 0; j < sizeof(mtimes) / sizeof(mtimes[0]); j++) {
                gw_cond_t only;
                int rc = gw_cond_eval(&c, etags[i], mtimes[j]), pre, post;

                if (rc != 0 && rc != 304 && rc != 412)
                    abort();
                /* the two halves on their own */
                only = c;
                only.if_none_match = only.if_modified_since = cn_slice(NULL, 0);
                pre = gw_cond_eval(&only, etags[i], mtimes[j]);
                only = c;
                only.if_match = only.if_unmodified_since = cn_slice(NULL, 0);
                post = gw_cond_eval(&only, etags[i], mtimes[j]);
                if ((pre != 0 && pre != 412) || (post != 0 && post != 304) ||
                    rc != (pre ? pre : post))
                    abort(); /* not the RFC 7232 order */
                if (c.if_match.ptr) {
                    only = c;
                    only.if_unmodified_since = cn_slice(NULL, 0);
                    if (gw_cond_eval(&only, etags[i], mtimes[j]) != rc)
                        abort(); /* If-Unmodified-Since counted despite If-Match */
                    if ((pre == 0) != gw_cond_etag_matches(c.if_match, etags[i]))
                        abort();
                }
                if (c.if_none_match.ptr) {
                    only = c;
                    only.if_modified_since = cn_slice(NULL, 0);
                    if (gw_cond_eval(&only, etags[i], mtimes[j]) != rc)
                        abort(); /* If-Modified-Since counted despite If-None-Match */
                }
                if (c.if_match.ptr && c.if_match.len == 1 && c.if_match.ptr[0] == '*' &&
                    pre != 0)
                    abort(); /* If-Match: * fails on an existing object */
            }
        }
    }
    return 0;
}
