/*
 * gateway/auth/s3_auth.c: S3 request authentication (AWS Signature V4 header and presigned query,
 * Signature V2 header and query) as pure functions over the request as it arrived: the entry
 * point gw_auth_verify, which picks the mechanism and runs its verifier (s3_auth_v4.c,
 * s3_auth_v2.c), and the secret lookup they share.
 * Nothing here does I/O or keeps state; secrets come from the caller's lookup callback and are
 * wiped from the stack before returning. Every parser is bounded by explicit lengths (request
 * bytes are never assumed NUL-terminated) and answers malformed input with an S3 error code,
 * never a crash. Signatures are compared in constant time.
 */
#include "gateway/auth/s3_auth.h"

#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "gateway/auth/s3_auth_int.h"
#include "gateway/auth/s3_auth_req.h"
#include "gateway/auth/s3_auth_v2.h"
#include "gateway/auth/s3_auth_v4.h"

gw_s3_err_t gw__auth_lookup_secret(gw_auth_lookup_fn lookup, void *arg, const char *ak,
                                   char *secret, gw_auth_result_t *res)
{
    int rc = lookup(arg, ak, secret, GW_AUTH_SECRET_MAX);
    secret[GW_AUTH_SECRET_MAX - 1] = '\0';
    if (rc == CN_ENOENT)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if (rc != 0) {
        res->err_message = NULL;
        return gw_s3_err_from_rc(rc);
    }
    return GW_S3_OK;
}

/* The end of a verification that gave e: on a failure, res keeps only the diagnosis (kind and
 * message), no half-filled secrets. */
static gw_s3_err_t keep_diagnosis(gw_s3_err_t e, gw_auth_result_t *res)
{
    if (e != GW_S3_OK) {
        const char *msg = res->err_message;
        gw_auth_kind_t kind = res->kind;
        OPENSSL_cleanse(res, sizeof(*res));
        res->err_message = msg;
        res->kind = kind;
    }
    return e;
}

gw_s3_err_t gw_auth_verify(const gw_auth_req_t *req, gw_auth_lookup_fn lookup, void *arg,
                           gw_auth_result_t *res)
{
    struct gw_auth_qlist ql;
    cn_slice_t auth;
    int have_auth, q_v4, q_v2;
    gw_s3_err_t e;

    memset(res, 0, sizeof(*res));
    res->kind = GW_AUTH_ANONYMOUS;
    res->payload = GW_PAYLOAD_UNCHECKED;
    if (gw__auth_qlist_parse(req->query, req->query_len, &ql) != 0) {
        res->err_message = "Too many query parameters";
        return GW_S3_INVALID_ARGUMENT;
    }
    auth = gw__auth_hdr_get(req, "authorization", &have_auth);
    q_v4 = gw__auth_qlist_get(&ql, "X-Amz-Algorithm") != NULL;
    q_v2 = !q_v4 && (gw__auth_qlist_get(&ql, "AWSAccessKeyId") != NULL ||
                     (gw__auth_qlist_get(&ql, "Signature") != NULL &&
                      gw__auth_qlist_get(&ql, "Expires") != NULL));

    if (have_auth && (q_v4 || q_v2)) {
        res->err_message = "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                           "parameter, Signature query string parameter or the Authorization "
                           "header should be specified";
        e = GW_S3_INVALID_ARGUMENT;
    } else if (have_auth) {
        if (auth.len > strlen(GW_AUTH_V4_ALGO) && slice_prefix(auth, GW_AUTH_V4_ALGO) &&
            is_ws(auth.ptr[strlen(GW_AUTH_V4_ALGO)])) {
            e = gw__auth_v4_header(req,
                                   trim(auth.ptr + strlen(GW_AUTH_V4_ALGO),
                                        auth.len - strlen(GW_AUTH_V4_ALGO)),
                                   &ql, lookup, arg, res);
        } else if (auth.len > 4 && slice_prefix(auth, "AWS") && is_ws(auth.ptr[3])) {
            e = gw__auth_v2_header(req, trim(auth.ptr + 4, auth.len - 4), &ql, lookup, arg, res);
        } else {
            res->err_message = "Unsupported Authorization Type";
            e = GW_S3_INVALID_ARGUMENT;
        }
    } else if (q_v4) {
        e = gw__auth_v4_query(req, &ql, lookup, arg, res);
    } else if (q_v2) {
        e = gw__auth_v2_query(req, &ql, lookup, arg, res);
    } else {
        e = GW_S3_OK;
    }
    gw__auth_qlist_dispose(&ql);
    return keep_diagnosis(e, res);
}

/* The first field of names[0, n) that the form lacks, or NULL. */
static const char *missing_field(const cn_slice_t *v, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].ptr == NULL)
            return names[i];
    return NULL;
}

gw_s3_err_t gw_auth_verify_post(const gw_auth_post_t *in, gw_auth_lookup_fn lookup, void *arg,
                                gw_auth_result_t *res)
{
    /* S3's words for a form that lacks one of the fields its signature needs */
    static const char *const v4_msgs[] = {
        "Bucket POST must contain a field named 'policy'.  If it is specified, please check "
        "the order of the fields.",
        "Bucket POST must contain a field named 'x-amz-algorithm'.  If it is specified, please "
        "check the order of the fields.",
        "Bucket POST must contain a field named 'x-amz-credential'.  If it is specified, "
        "please check the order of the fields.",
        "Bucket POST must contain a field named 'x-amz-date'.  If it is specified, please "
        "check the order of the fields.",
        "Bucket POST must contain a field named 'x-amz-signature'.  If it is specified, please "
        "check the order of the fields.",
    };
    static const char *const v2_msgs[] = {
        "Bucket POST must contain a field named 'policy'.  If it is specified, please check "
        "the order of the fields.",
        "Bucket POST must contain a field named 'AWSAccessKeyId'.  If it is specified, please "
        "check the order of the fields.",
        "Bucket POST must contain a field named 'signature'.  If it is specified, please check "
        "the order of the fields.",
    };
    cn_slice_t v4[] = {in->policy, in->algorithm, in->credential, in->amz_date, in->signature};
    cn_slice_t v2[] = {in->policy, in->access_key_id, in->signature_v2};
    const char *miss;
    gw_s3_err_t e;

    memset(res, 0, sizeof(*res));
    res->kind = GW_AUTH_ANONYMOUS;
    res->payload = GW_PAYLOAD_UNCHECKED;
    if (in->signature.ptr || in->algorithm.ptr || in->credential.ptr) {
        if ((miss = missing_field(v4, v4_msgs, 5)) != NULL) {
            res->err_message = miss;
            return GW_S3_INVALID_ARGUMENT;
        }
        e = gw__auth_v4_post(in, lookup, arg, res);
    } else if (in->access_key_id.ptr || in->signature_v2.ptr) {
        if ((miss = missing_field(v2, v2_msgs, 3)) != NULL) {
            res->err_message = miss;
            return GW_S3_INVALID_ARGUMENT;
        }
        e = gw__auth_v2_post(in, lookup, arg, res);
    } else if (in->policy.ptr) {
        res->err_message = v2_msgs[1]; /* a policy nobody signed */
        return GW_S3_INVALID_ARGUMENT;
    } else {
        return GW_S3_OK; /* anonymous: the bucket's ACL and policy decide */
    }
    return keep_diagnosis(e, res);
}
