/*
 * gateway/auth/s3_auth_v2.c: AWS Signature V2, Authorization header ("AWS ak:sig") and query
 * (AWSAccessKeyId, Signature, Expires): the string to sign (canonicalized x-amz-* headers and
 * resource with its sub-resources) and base64 HMAC-SHA1, compared in constant time.
 */
#include "gateway/auth/s3_auth_v2.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/err.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/auth/s3_auth_req.h"
#include "gateway/auth/s3_auth_int.h"

/* Parses an x-amz-date or Date header value in any accepted form into ms. */
static int parse_any_date(cn_slice_t s, uint64_t *ms)
{
    if (gw_iso8601_parse(s.ptr, s.len, ms) == 0)
        return 0;
    return gw_http_date_parse(s.ptr, s.len, ms);
}

/* Sub-resources and overrides that are part of the V2 canonicalized resource. */
static const char *const v2_subresources[] = {
    "accelerate", "acl", "analytics", "cors", "delete", "encryption", "intelligent-tiering",
    "inventory", "legal-hold", "lifecycle", "location", "logging", "metrics", "notification",
    "object-lock", "ownershipControls", "partNumber", "policy", "publicAccessBlock",
    "replication", "requestPayment", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type",
    "response-expires", "restore", "retention", "select", "select-type", "tagging", "torrent",
    "uploadId", "uploads", "versionId", "versioning", "versions", "website",
};

static int v2_is_subresource(const cn_buf_t *name)
{
    for (size_t i = 0; i < sizeof(v2_subresources) / sizeof(v2_subresources[0]); i++)
        if (strlen(v2_subresources[i]) == name->len &&
            memcmp(v2_subresources[i], name->data, name->len) == 0)
            return 1;
    return 0;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

/* Appends the canonicalized x-amz-* headers: lower-case names, sorted, repeated values
 * joined with ',', each "name:value\n". A stable insertion sort keeps arrival order. */
static void v2_amz_headers(cn_buf_t *out, const gw_auth_req_t *req)
{
    size_t *idx, n = 0;

    if (req->nheaders == 0)
        return;
    idx = cn_calloc(req->nheaders, sizeof(*idx));
    for (size_t i = 0; i < req->nheaders; i++) {
        const gw_auth_header_t *h = &req->headers[i];
        if (h->name_len < 6 || strncasecmp(h->name, "x-amz-", 6) != 0)
            continue;
        size_t j = n++;
        while (j > 0) {
            const gw_auth_header_t *o = &req->headers[idx[j - 1]];
            size_t m = o->name_len < h->name_len ? o->name_len : h->name_len;
            int c = strncasecmp(o->name, h->name, m);
            if (c < 0 || (c == 0 && o->name_len <= h->name_len))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const gw_auth_header_t *h = &req->headers[idx[i]];
        int same = i > 0 && hdr_name_is(&req->headers[idx[i - 1]], h->name, h->name_len);
        if (same) {
            cn_buf_append(out, ",", 1);
        } else {
            if (i > 0)
                cn_buf_append(out, "\n", 1);
            for (size_t k = 0; k < h->name_len; k++) {
                char c = h->name[k];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
                cn_buf_append(out, &c, 1);
            }
            cn_buf_append(out, ":", 1);
        }
        cn_slice_t v = trim(h->value, h->value_len);
        cn_buf_append(out, v.ptr, v.len);
    }
    if (n)
        cn_buf_append(out, "\n", 1);
    cn_free(idx);
}

/* Appends the canonicalized resource: [/bucket] + raw path + sorted sub-resources. */
static void v2_resource(cn_buf_t *out, const gw_auth_req_t *req,
                        const struct gw_auth_qlist *ql)
{
    const struct gw_auth_qparam **sub;
    size_t n = 0;

    if (req->v2_bucket && req->v2_bucket_len) {
        cn_buf_append(out, "/", 1);
        cn_buf_append(out, req->v2_bucket, req->v2_bucket_len);
    }
    if (req->path_len)
        cn_buf_append(out, req->path, req->path_len);
    else if (!(req->v2_bucket && req->v2_bucket_len))
        cn_buf_append(out, "/", 1);
    if (ql->n == 0)
        return;
    sub = cn_calloc(ql->n, sizeof(*sub));
    for (size_t i = 0; i < ql->n; i++) {
        const struct gw_auth_qparam *q = &ql->v[i];
        if (!v2_is_subresource(&q->name))
            continue;
        size_t j = n++;
        while (j > 0 && bytes_cmp(sub[j - 1]->name.data, sub[j - 1]->name.len, q->name.data,
                                  q->name.len) > 0) {
            sub[j] = sub[j - 1];
            j--;
        }
        sub[j] = q;
    }
    for (size_t i = 0; i < n; i++) {
        cn_buf_append(out, i ? "&" : "?", 1);
        cn_buf_append(out, sub[i]->name.data, sub[i]->name.len);
        if (sub[i]->has_eq) {
            cn_buf_append(out, "=", 1);
            cn_buf_append(out, sub[i]->value.data, sub[i]->value.len);
        }
    }
    cn_free(sub);
}

/* base64(HMAC-SHA1(secret, string to sign)) into out (29 bytes). */
static int v2_sign(const char *secret, const cn_buf_t *sts, char out[29])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)sts->data,
              sts->len, md, &mdlen) ||
        mdlen != 20)
        return CN_EIO;
    EVP_EncodeBlock((unsigned char *)out, md, 20);
    return 0;
}

static gw_s3_err_t v2_verify(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                             cn_slice_t ak, cn_slice_t sig, cn_slice_t date_line,
                             gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    char secret[GW_AUTH_SECRET_MAX] = {0};
    char mine[29];
    cn_buf_t sts;
    cn_slice_t v;
    gw_s3_err_t e;
    int rc;

    if (copy_cstr(res->access_key, sizeof(res->access_key), ak) != 0)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if ((e = gw__auth_lookup_secret(lookup, arg, res->access_key, secret, res)) != GW_S3_OK)
        return e;
    cn_buf_init(&sts);
    cn_buf_append(&sts, req->method, req->method_len);
    cn_buf_append(&sts, "\n", 1);
    v = gw__auth_hdr_get(req, "content-md5", NULL);
    cn_buf_append(&sts, v.ptr, v.len);
    cn_buf_append(&sts, "\n", 1);
    v = gw__auth_hdr_get(req, "content-type", NULL);
    cn_buf_append(&sts, v.ptr, v.len);
    cn_buf_append(&sts, "\n", 1);
    cn_buf_append(&sts, date_line.ptr, date_line.len);
    cn_buf_append(&sts, "\n", 1);
    v2_amz_headers(&sts, req);
    v2_resource(&sts, req, ql);
    rc = v2_sign(secret, &sts, mine);
    OPENSSL_cleanse(secret, sizeof(secret));
    cn_buf_dispose(&sts);
    if (rc != 0)
        return GW_S3_INTERNAL_ERROR;
    if (!ct_equal(mine, 28, sig.ptr, sig.len))
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    res->payload = GW_PAYLOAD_UNCHECKED;
    return GW_S3_OK;
}

gw_s3_err_t gw__auth_v2_header(const gw_auth_req_t *req, cn_slice_t v,
                               const struct gw_auth_qlist *ql, gw_auth_lookup_fn lookup,
                               void *arg, gw_auth_result_t *res)
{
    const char *colon = memchr(v.ptr, ':', v.len);
    cn_slice_t ak, sig, d, date_line;
    uint64_t date_ms;
    int found_amz, found_date;

    res->kind = GW_AUTH_V2_HEADER;
    if (!colon) {
        res->err_message = "AWS authorization header is invalid.  Expected "
                           "AwsAccessKeyId:signature";
        return GW_S3_INVALID_ARGUMENT;
    }
    ak = trim(v.ptr, (size_t)(colon - v.ptr));
    sig = trim(colon + 1, (size_t)(v.ptr + v.len - colon - 1));
    if (ak.len == 0 || sig.len == 0) {
        res->err_message = "AWS authorization header is invalid.  Expected "
                           "AwsAccessKeyId:signature";
        return GW_S3_INVALID_ARGUMENT;
    }
    d = gw__auth_hdr_get(req, "x-amz-date", &found_amz);
    date_line = cn_slice("", 0);
    if (!found_amz) {
        d = gw__auth_hdr_get(req, "date", &found_date);
        date_line = d;
    }
    if ((!found_amz && !found_date) || parse_any_date(d, &date_ms) != 0) {
        res->err_message = "AWS authentication requires a valid Date or x-amz-date header";
        return GW_S3_ACCESS_DENIED;
    }
    if (absdiff(date_ms, req->now_ms) > GW_AUTH_MAX_SKEW_MS)
        return GW_S3_REQUEST_TIME_TOO_SKEWED;
    return v2_verify(req, ql, ak, sig, date_line, lookup, arg, res);
}

gw_s3_err_t gw__auth_v2_query(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                              gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    const struct gw_auth_qparam *ak = gw__auth_qlist_get(ql, "AWSAccessKeyId");
    const struct gw_auth_qparam *sig = gw__auth_qlist_get(ql, "Signature");
    const struct gw_auth_qparam *exp = gw__auth_qlist_get(ql, "Expires");
    uint64_t expires_s;

    res->kind = GW_AUTH_V2_QUERY;
    if (!ak || !sig || !exp || ak->value.len == 0 || sig->value.len == 0) {
        res->err_message = "Query-string authentication requires the Signature, Expires and "
                           "AWSAccessKeyId parameters";
        return GW_S3_ACCESS_DENIED;
    }
    if (gw__auth_parse_u64(qval(exp), &expires_s) != 0 || expires_s > UINT64_MAX / 1000) {
        res->err_message = "Invalid date (should be seconds since epoch)";
        return GW_S3_ACCESS_DENIED;
    }
    if (req->now_ms > expires_s * 1000) {
        res->err_message = "Request has expired";
        return GW_S3_ACCESS_DENIED;
    }
    return v2_verify(req, ql, qval(ak), qval(sig), trim(exp->value.data, exp->value.len), lookup,
                     arg, res);
}

/* ---- a POST form's SigV2: base64(HMAC-SHA1(secret, policy field)) --------------------- */

gw_s3_err_t gw__auth_v2_post(const gw_auth_post_t *in, gw_auth_lookup_fn lookup, void *arg,
                             gw_auth_result_t *res)
{
    char secret[GW_AUTH_SECRET_MAX] = {0};
    char mine[29];
    cn_buf_t sts;
    gw_s3_err_t e;
    int rc;

    res->kind = GW_AUTH_V2_POST;
    if (copy_cstr(res->access_key, sizeof(res->access_key), in->access_key_id) != 0)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if ((e = gw__auth_lookup_secret(lookup, arg, res->access_key, secret, res)) != GW_S3_OK)
        return e;
    cn_buf_init(&sts);
    cn_buf_append(&sts, in->policy.ptr, in->policy.len);
    rc = v2_sign(secret, &sts, mine);
    OPENSSL_cleanse(secret, sizeof(secret));
    cn_buf_dispose(&sts);
    if (rc != 0)
        return GW_S3_INTERNAL_ERROR;
    if (!ct_equal(mine, 28, in->signature_v2.ptr, in->signature_v2.len))
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    res->payload = GW_PAYLOAD_UNCHECKED;
    return GW_S3_OK;
}
