/*
 * tests/fuzz/fuzz_auth.h: the request of gateway/auth/s3_auth.h from a request head parsed by
 * fuzz.h, for the targets that fuzz authentication (fuzz_s3_auth, fuzz_sigv4_canon).
 */
#ifndef CAIRN_TESTS_FUZZ_FUZZ_AUTH_H
#define CAIRN_TESTS_FUZZ_FUZZ_AUTH_H

#include <string.h>

#include "gateway/auth/s3_auth.h"
#include "tests/fuzz/fuzz.h"

/* Fills req (region us-east-1, no time, no SigV2 bucket) from fr; headers go to h, which must
 * hold FUZZ_MAX_HEADERS entries and outlive req. Every pointer points into fr's input. */
static inline void fuzz_auth_req(const fuzz_req_t *fr, gw_auth_header_t *h, gw_auth_req_t *req)
{
    for (size_t i = 0; i < fr->nh; i++) {
        h[i].name = fr->h[i].name;
        h[i].name_len = fr->h[i].name_len;
        h[i].value = fr->h[i].value;
        h[i].value_len = fr->h[i].value_len;
    }
    memset(req, 0, sizeof(*req));
    req->method = fr->method;
    req->method_len = fr->method_len;
    req->path = fr->path;
    req->path_len = fr->path_len;
    req->query = fr->has_query ? fr->query : NULL;
    req->query_len = fr->query_len;
    req->headers = h;
    req->nheaders = fr->nh;
    req->region = "us-east-1";
}

#endif
