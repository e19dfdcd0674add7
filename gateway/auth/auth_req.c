/*
 * gateway/auth/auth_req.c: who sent a request and whether its body is what it claims: the SigV4 /
 * SigV2 / presigned / anonymous check (gateway/auth/s3_auth.h) on h2o's request, the requester's
 * canonical id, and the body's checks (aws-chunked framing with its chunk signatures and
 * trailer, x-amz-content-sha256, x-amz-checksum-*, Content-MD5). Loop thread only.
 */
#include "gateway/auth/auth_req.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "gateway/auth/aws_chunked.h"
#include "gateway/http/body_pager.h"
#include "gateway/gateway.h"

/* The secret of an Active key from the users table; a key it lacks is noted in
 * r->key_unknown (the manager may know it: gateway/link/key_ask.h), since a failed
 * gw_auth_verify keeps nothing of the request's credentials. */
static int lookup_secret(void *arg, const char *access_key, char *secret, size_t secret_len)
{
    gw_req_t *r = arg;
    const gw_user_t *u = gw_mgr_user_by_key(r->srv, access_key);

    snprintf(r->key_unknown, sizeof(r->key_unknown), "%s", u == NULL ? access_key : "");
    if (!u || strlen(u->secret) >= secret_len)
        return CN_ENOENT;
    strcpy(secret, u->secret);
    return 0;
}

/* After a verification that ended in e: r->anonymous and r->requester from r->auth. */
static gw_s3_err_t set_requester(gw_req_t *r, gw_s3_err_t e)
{
    if (e != GW_S3_OK)
        return e;
    r->anonymous = r->auth.kind == GW_AUTH_ANONYMOUS;
    r->requester[0] = '\0';
    if (!r->anonymous) {
        const gw_user_t *u = gw_mgr_user_by_key(r->srv, r->auth.access_key);
        /* a user without an id (a manager older than the gateway) owns nothing here */
        snprintf(r->requester, sizeof(r->requester), "%s", u && u->id ? u->id : "");
    }
    return GW_S3_OK;
}

gw_s3_err_t gw_req_authenticate(gw_req_t *r)
{
    h2o_req_t *req = r->http.req;
    size_t qat = req->query_at;
    size_t plen = qat != SIZE_MAX ? qat : req->path.len;
    gw_auth_header_t *hs = cn_calloc(req->headers.size + 2, sizeof(*hs));
    char clen[24];
    size_t nh = req->headers.size;
    gw_auth_req_t ar = {
        .method = req->method.base,
        .method_len = req->method.len,
        .path = req->path.base,
        .path_len = plen,
        .query = qat != SIZE_MAX ? req->path.base + qat + 1 : NULL,
        .query_len = qat != SIZE_MAX ? req->path.len - qat - 1 : 0,
        .headers = hs,
        .nheaders = 0,
        .now_ms = cn_now_ms(),
        .region = r->srv->conf.region,
    };
    char body_sha256[2 * CN_SHA256_LEN + 1];
    gw_s3_err_t e;

    for (size_t i = 0; i < req->headers.size; i++) {
        hs[i].name = req->headers.entries[i].name->base;
        hs[i].name_len = req->headers.entries[i].name->len;
        hs[i].value = req->headers.entries[i].value.base;
        hs[i].value_len = req->headers.entries[i].value.len;
    }
    /* h2o moves Host into req->authority (HTTP/1) or :authority (HTTP/2); SigV4 signs it */
    if (h2o_find_header(&req->headers, H2O_TOKEN_HOST, -1) < 0 && req->authority.len) {
        hs[nh].name = "host";
        hs[nh].name_len = 4;
        hs[nh].value = req->authority.base;
        hs[nh].value_len = req->authority.len;
        nh++;
    }
    /* h2o keeps Content-Length out of req->headers; s3cmd signs it (SignedHeaders has
     * content-length), and the body h2o buffered has exactly that length */
    if (req->entity.base != NULL &&
        h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_LENGTH, -1) < 0) {
        hs[nh].name = "content-length";
        hs[nh].name_len = 14;
        hs[nh].value = clen;
        hs[nh].value_len = (size_t)snprintf(clen, sizeof(clen), "%zu", req->entity.len);
        nh++;
    }
    ar.nheaders = nh;
    if (r->route.vhost && !r->route.bucket_too_long) {
        /* SigV2 signs "/bucket/key" even when the bucket came from the Host header */
        ar.v2_bucket = r->route.bucket;
        ar.v2_bucket_len = strlen(r->route.bucket);
    }
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-amz-content-sha256"), -1) < 0) {
        uint8_t d[CN_SHA256_LEN];

        gw_body_sha256(req->entity.base ? req->entity.base : "", req->entity.len, d);
        cn_hex(d, sizeof(d), body_sha256);
        ar.body_sha256 = body_sha256;
    }
    r->key_unknown[0] = '\0';
    e = gw_auth_verify(&ar, lookup_secret, r, &r->auth);
    cn_free(hs);
    return set_requester(r, e);
}

gw_s3_err_t gw_req_authenticate_form(gw_req_t *r, const gw_auth_post_t *in)
{
    r->key_unknown[0] = '\0';
    return set_requester(r, gw_auth_verify_post(in, lookup_secret, r, &r->auth));
}

/* ---- the body: aws-chunked framing and x-amz-checksum-* ----------------------------------- */

static gw_s3_err_t verify_checksum(gw_req_t *r, const char *name, size_t nl, const char *value,
                                   size_t vl)
{
    gw_checksum_alg_t alg = gw_checksum_alg(name, nl);
    char got[64];

    if (alg == GW_CK_NONE)
        return GW_S3_INVALID_REQUEST;
    gw_checksum_b64(alg, r->body.ptr, r->body.len, got);
    if (strlen(got) != vl || memcmp(got, value, vl) != 0)
        return GW_S3_BAD_DIGEST;
    snprintf(r->checksum_name, sizeof(r->checksum_name), "%.*s", (int)nl, name);
    for (char *c = r->checksum_name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    snprintf(r->checksum_value, sizeof(r->checksum_value), "%s", got);
    return GW_S3_OK;
}

static gw_s3_err_t check_checksum_header(gw_req_t *r)
{
    const h2o_headers_t *h = &r->http.req->headers;
    int seen = 0;

    for (size_t i = 0; i < h->size; i++) {
        const h2o_header_t *e = &h->entries[i];
        gw_s3_err_t err;
        if (gw_checksum_alg(e->name->base, e->name->len) == GW_CK_NONE)
            continue;
        if (seen++) /* S3: only one checksum per request */
            return GW_S3_INVALID_REQUEST;
        if ((err = verify_checksum(r, e->name->base, e->name->len, e->value.base,
                                   e->value.len)) != GW_S3_OK)
            return err;
    }
    return GW_S3_OK;
}

static gw_s3_err_t decode_chunked(gw_req_t *r)
{
    h2o_req_t *req = r->http.req;
    cn_slice_t sha = gw_req_header(r, "x-amz-content-sha256");
    cn_slice_t dcl = gw_req_header(r, "x-amz-decoded-content-length");
    cn_slice_t trailer = gw_req_header(r, "x-amz-trailer");
    gw_chunked_mode_t mode = sha.ptr ? gw_chunked_mode(sha.ptr, sha.len) : GW_CHUNKED_NONE;
    gw_chunked_sig_t sig = {
        .signing_key = r->auth.signing_key,
        .amz_date = r->auth.amz_date,
        .scope = r->auth.scope,
        .seed_signature = r->auth.seed_signature,
    };
    gw_chunked_out_t out;
    gw_s3_err_t e;
    int rc;

    if (mode == GW_CHUNKED_NONE) {
        r->auth.err_message = "Unsupported x-amz-content-sha256 streaming mode";
        return GW_S3_NOT_IMPLEMENTED;
    }
    if (mode != GW_CHUNKED_UNSIGNED_TRAILER && r->auth.kind != GW_AUTH_V4_HEADER)
        return GW_S3_INVALID_REQUEST;
    if (!req->entity.base) {
        r->body = cn_slice("", 0);
        return dcl.ptr && !(dcl.len == 1 && dcl.ptr[0] == '0') ? GW_S3_INCOMPLETE_BODY
                                                                : GW_S3_OK;
    }
    rc = gw_chunked_decode(req->entity.base, req->entity.len, mode,
                           mode == GW_CHUNKED_UNSIGNED_TRAILER ? NULL : &sig, &out);
    if (rc == CN_EACCES)
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    if (rc == CN_E2BIG)
        return GW_S3_INVALID_REQUEST;
    if (rc != 0)
        return GW_S3_INCOMPLETE_BODY;
    r->body = cn_slice(req->entity.base, out.len);
    if (dcl.ptr) {
        char want[24];
        snprintf(want, sizeof(want), "%zu", out.len);
        if (strlen(want) != dcl.len || memcmp(want, dcl.ptr, dcl.len) != 0)
            return GW_S3_INCOMPLETE_BODY;
    }
    if (out.trailer_name[0]) {
        /* the trailer must be the one x-amz-trailer announced */
        if (!trailer.ptr || trailer.len != strlen(out.trailer_name) ||
            strncasecmp(trailer.ptr, out.trailer_name, trailer.len) != 0)
            return GW_S3_INVALID_REQUEST;
        if ((e = verify_checksum(r, out.trailer_name, strlen(out.trailer_name),
                                 out.trailer_value, strlen(out.trailer_value))) != GW_S3_OK)
            return e;
    } else if (trailer.ptr) {
        return GW_S3_INCOMPLETE_BODY; /* announced, never sent */
    }
    if (!r->checksum_name[0] && (e = check_checksum_header(r)) != GW_S3_OK)
        return e;
    return GW_S3_OK;
}

gw_s3_err_t gw_req_check_body(gw_req_t *r)
{
    h2o_req_t *req = r->http.req;
    const char *body;
    size_t blen;
    cn_slice_t md5h;
    gw_s3_err_t e;

    r->body = cn_slice(req->entity.base ? req->entity.base : "",
                       req->entity.base ? req->entity.len : 0);
    if (r->auth.payload == GW_PAYLOAD_STREAMING) {
        if ((e = decode_chunked(r)) != GW_S3_OK)
            return e;
    } else if ((e = check_checksum_header(r)) != GW_S3_OK) {
        return e;
    }
    body = r->body.ptr;
    blen = r->body.len;
    if (r->auth.payload == GW_PAYLOAD_SHA256) {
        uint8_t d[CN_SHA256_LEN];
        char hex[2 * CN_SHA256_LEN + 1];
        gw_body_sha256(body, blen, d);
        cn_hex(d, sizeof(d), hex);
        if (strcasecmp(hex, r->auth.payload_sha256) != 0)
            return GW_S3_CONTENT_SHA256_MISMATCH;
    }
    md5h = gw_req_header(r, "content-md5");
    if (md5h.ptr) {
        unsigned char dec[64];
        uint8_t d[CN_MD5_LEN];
        int n;
        if (md5h.len == 0 || md5h.len > 44 || md5h.len % 4)
            return GW_S3_INVALID_DIGEST;
        n = EVP_DecodeBlock(dec, (const unsigned char *)md5h.ptr, (int)md5h.len);
        if (n < 0)
            return GW_S3_INVALID_DIGEST;
        for (size_t i = md5h.len; i > 0 && md5h.ptr[i - 1] == '='; i--)
            n--;
        if (n != CN_MD5_LEN)
            return GW_S3_INVALID_DIGEST;
        gw_body_md5(body, blen, d);
        if (memcmp(d, dec, CN_MD5_LEN) != 0)
            return GW_S3_BAD_DIGEST;
    }
    return GW_S3_OK;
}
