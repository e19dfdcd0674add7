/*
 * gateway/auth/s3_auth_v4.c: AWS Signature V4, Authorization header and presigned query: parsing
 * the credential scope and the signature parameters, the date and expiry checks, the payload
 * kind from x-amz-content-sha256, the signing key and the constant-time signature check. A
 * verified request leaves in gw_auth_result_t the seed signature and signing key that the
 * aws-chunked decoder (aws_chunked.c) needs for the chunk signatures.
 */
#include "gateway/auth/s3_auth_v4.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/hash.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/auth/s3_auth_req.h"
#include "gateway/auth/s3_auth_v4_canon.h"
#include "gateway/auth/s3_auth_int.h"

static int is_hex_lower_or_upper(cn_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

struct v4_cred {
    cn_slice_t access_key, date, region, service, terminator;
};

/* Parses "AK/20130524/us-east-1/s3/aws4_request". Returns 0 or a static reason. */
static const char *v4_parse_cred(cn_slice_t s, struct v4_cred *c)
{
    cn_slice_t part[5];
    size_t np = 0, start = 0;

    for (size_t i = 0; i <= s.len; i++) {
        if (i < s.len && s.ptr[i] != '/')
            continue;
        if (np == 5)
            return "Credential has too many parts; expecting "
                   "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
        part[np++] = cn_slice(s.ptr + start, i - start);
        start = i + 1;
    }
    if (np != 5)
        return "Credential is malformed; expecting "
               "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
    c->access_key = part[0];
    c->date = part[1];
    c->region = part[2];
    c->service = part[3];
    c->terminator = part[4];
    if (c->access_key.len == 0 || c->access_key.len >= sizeof(((gw_auth_result_t *)0)->access_key))
        return "Credential access key is empty or too long.";
    if (c->date.len != 8)
        return "Invalid credential date \"YYYYMMDD\".";
    for (size_t i = 0; i < 8; i++)
        if (c->date.ptr[i] < '0' || c->date.ptr[i] > '9')
            return "Invalid credential date \"YYYYMMDD\".";
    if (c->region.len == 0 || c->region.len > 64)
        return "Credential region is empty or too long.";
    for (size_t i = 0; i < c->region.len; i++) {
        char ch = c->region.ptr[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return "Credential region is not valid.";
    }
    if (!slice_eq_str(c->service, "s3"))
        return "Credential should be scoped to correct service: 's3'.";
    if (!slice_eq_str(c->terminator, "aws4_request"))
        return "Credential should be scoped with a valid terminator: 'aws4_request'.";
    return NULL;
}

struct v4_params {
    struct v4_cred cred;
    cn_slice_t signed_headers;
    cn_slice_t signature;
    char amz_date[17];
    uint64_t date_ms;
    cn_slice_t payload_hash;
    int presigned;
    int raw_query;   /* canonical query = the query string as sent (see gw__auth_v4_header) */
};

static int v4_signature_ok(cn_slice_t s)
{
    return s.len == 64 && is_hex_lower_or_upper(s);
}

/* Parses the Authorization header after "AWS4-HMAC-SHA256". */
static const char *v4_parse_header(cn_slice_t v, struct v4_params *p)
{
    int have_cred = 0, have_sh = 0, have_sig = 0;
    size_t start = 0;
    const char *why;

    for (size_t i = 0; i <= v.len; i++) {
        if (i < v.len && v.ptr[i] != ',')
            continue;
        cn_slice_t part = trim(v.ptr + start, i - start);
        start = i + 1;
        if (part.len == 0)
            return "the authorization header has an empty component.";
        const char *eq = memchr(part.ptr, '=', part.len);
        if (!eq)
            return "the authorization header component is not of the form key=value.";
        cn_slice_t key = trim(part.ptr, (size_t)(eq - part.ptr));
        cn_slice_t val = trim(eq + 1, (size_t)(part.ptr + part.len - eq - 1));
        if (slice_eq_str(key, "Credential") && !have_cred) {
            have_cred = 1;
            if ((why = v4_parse_cred(val, &p->cred)) != NULL)
                return why;
        } else if (slice_eq_str(key, "SignedHeaders") && !have_sh) {
            have_sh = 1;
            p->signed_headers = val;
        } else if (slice_eq_str(key, "Signature") && !have_sig) {
            have_sig = 1;
            p->signature = val;
        } else {
            return "the authorization header has an unknown or repeated component.";
        }
    }
    if (!have_cred)
        return "the authorization header is missing the Credential.";
    if (!have_sh)
        return "the authorization header is missing the SignedHeaders.";
    if (!have_sig)
        return "the authorization header is missing the Signature.";
    if (!gw__auth_v4_signed_headers_ok(p->signed_headers))
        return "the SignedHeaders component is not valid.";
    if (!v4_signature_ok(p->signature))
        return "the Signature component is not 64 hex digits.";
    return NULL;
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    cn_hmac_sha256(key, klen, msg, mlen, out);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static void v4_signing_key(const char *secret, const struct v4_cred *c, uint8_t key[32])
{
    char k0[4 + GW_AUTH_SECRET_MAX];
    size_t slen = strlen(secret);
    uint8_t a[32], b[32];

    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen);
    hmac(k0, 4 + slen, c->date.ptr, c->date.len, a);
    hmac(a, 32, c->region.ptr, c->region.len, b);
    hmac(b, 32, c->service.ptr, c->service.len, a);
    hmac(a, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
}

/* Builds the canonical request and string to sign, and checks the signature. */
static gw_s3_err_t v4_verify(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                             struct v4_params *p, gw_auth_lookup_fn lookup, void *arg,
                             gw_auth_result_t *res)
{
    char secret[GW_AUTH_SECRET_MAX] = {0};
    char sig_hex[65], sig_given[65], creq_hex[65];
    uint8_t digest[32], key[32];
    cn_buf_t creq, sts;
    gw_s3_err_t e;

    if (copy_cstr(res->access_key, sizeof(res->access_key), p->cred.access_key) != 0)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if ((e = gw__auth_lookup_secret(lookup, arg, res->access_key, secret, res)) != GW_S3_OK)
        return e;

    cn_buf_init(&creq);
    gw__auth_v4_canonical_request(&creq, req, ql, p->signed_headers, p->payload_hash,
                                  p->presigned, p->raw_query);
    cn_sha256(creq.data, creq.len, digest);
    cn_hex(digest, 32, creq_hex);
    cn_buf_dispose(&creq);

    snprintf(res->scope, sizeof(res->scope), "%.*s/%.*s/%.*s/aws4_request",
             (int)p->cred.date.len, p->cred.date.ptr, (int)p->cred.region.len,
             p->cred.region.ptr, (int)p->cred.service.len, p->cred.service.ptr);
    memcpy(res->amz_date, p->amz_date, sizeof(res->amz_date));
    cn_buf_init(&sts);
    gw__auth_v4_string_to_sign(&sts, p->amz_date, res->scope, creq_hex);

    v4_signing_key(secret, &p->cred, key);
    OPENSSL_cleanse(secret, sizeof(secret));
    hmac(key, 32, sts.data, sts.len, digest);
    cn_buf_dispose(&sts);
    cn_hex(digest, 32, sig_hex);

    for (size_t i = 0; i < 64; i++) {
        char c = p->signature.ptr[i];
        sig_given[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    sig_given[64] = '\0';
    if (!ct_equal(sig_hex, 64, sig_given, 64)) {
        OPENSSL_cleanse(key, sizeof(key));
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    }
    memcpy(res->seed_signature, sig_hex, sizeof(res->seed_signature));
    memcpy(res->signing_key, key, sizeof(res->signing_key));
    OPENSSL_cleanse(key, sizeof(key));
    return GW_S3_OK;
}

/* Sets the payload kind from a x-amz-content-sha256 value; 0 or CN_EINVAL. */
static int v4_payload(cn_slice_t v, gw_auth_result_t *res)
{
    if (v.len == 64 && is_hex_lower_or_upper(v)) {
        res->payload = GW_PAYLOAD_SHA256;
        for (size_t i = 0; i < 64; i++) {
            char c = v.ptr[i];
            res->payload_sha256[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
        }
        res->payload_sha256[64] = '\0';
        return 0;
    }
    if (slice_eq_str(v, "UNSIGNED-PAYLOAD")) {
        res->payload = GW_PAYLOAD_UNCHECKED;
        return 0;
    }
    if (slice_prefix(v, "STREAMING-")) {
        res->payload = GW_PAYLOAD_STREAMING;
        return 0;
    }
    return CN_EINVAL;
}

/* The client signed without x-amz-content-sha256 (curl 7.x). It signed either the body's
 * hash (POST data) or the empty string's (uploads it streams from a file); try both. The
 * second binds no body, which is what UNSIGNED-PAYLOAD means, so it is checked as such. A body
 * hash to be computed (body_sha256_fn) is tried second, and computed only then. */
static gw_s3_err_t v4_header_without_payload_hash(const gw_auth_req_t *req,
                                                  const struct gw_auth_qlist *ql,
                                                  struct v4_params *p, gw_auth_lookup_fn lookup,
                                                  void *arg, gw_auth_result_t *res)
{
    static const char empty_sha256[] = CN_SHA256_EMPTY_HEX;
    const char *body = req->body_sha256;
    gw_s3_err_t e;

    if (body == NULL && req->body_sha256_fn != NULL) {
        p->payload_hash = cn_slice(empty_sha256, 64);
        e = v4_verify(req, ql, p, lookup, arg, res);
        if (e == GW_S3_OK) {
            res->payload = GW_PAYLOAD_UNCHECKED;
            res->payload_sha256[0] = '\0';
        }
        if (e != GW_S3_SIGNATURE_DOES_NOT_MATCH)
            return e;
        body = req->body_sha256_fn(req->body_sha256_arg);
        if (body == NULL || strlen(body) != 64 || strcmp(body, empty_sha256) == 0)
            return e;
        p->payload_hash = cn_slice(body, 64);
        v4_payload(p->payload_hash, res);
        return v4_verify(req, ql, p, lookup, arg, res);
    }
    if (body == NULL || strlen(body) != 64) {
        res->err_message = "Missing required header for this request: x-amz-content-sha256";
        return GW_S3_MISSING_SECURITY_HEADER;
    }
    p->payload_hash = cn_slice(body, 64);
    v4_payload(p->payload_hash, res);
    e = v4_verify(req, ql, p, lookup, arg, res);
    if (e != GW_S3_SIGNATURE_DOES_NOT_MATCH || strcmp(body, empty_sha256) == 0)
        return e;
    p->payload_hash = cn_slice(empty_sha256, 64);
    e = v4_verify(req, ql, p, lookup, arg, res);
    if (e == GW_S3_OK) {
        res->payload = GW_PAYLOAD_UNCHECKED;
        res->payload_sha256[0] = '\0';
    }
    return e;
}

gw_s3_err_t gw__auth_v4_header(const gw_auth_req_t *req, cn_slice_t auth,
                               const struct gw_auth_qlist *ql, gw_auth_lookup_fn lookup,
                               void *arg, gw_auth_result_t *res)
{
    struct v4_params p;
    gw_s3_err_t e;
    cn_slice_t d;
    int found;

    memset(&p, 0, sizeof(p));
    res->kind = GW_AUTH_V4_HEADER;
    if ((res->err_message = v4_parse_header(auth, &p)) != NULL)
        return GW_S3_AUTH_HEADER_MALFORMED;

    d = gw__auth_hdr_get(req, "x-amz-date", &found);
    if (found) {
        if (gw_iso8601_parse(d.ptr, d.len, &p.date_ms) != 0 &&
            gw_http_date_parse(d.ptr, d.len, &p.date_ms) != 0)
            found = 0;
    } else {
        d = gw__auth_hdr_get(req, "date", &found);
        if (found && gw_http_date_parse(d.ptr, d.len, &p.date_ms) != 0)
            found = 0;
    }
    if (!found) {
        res->err_message = "AWS authentication requires a valid Date or x-amz-date header";
        return GW_S3_ACCESS_DENIED;
    }
    gw_amz_date_fmt(p.date_ms, p.amz_date);
    if (memcmp(p.amz_date, p.cred.date.ptr, 8) != 0) {
        res->err_message = "Invalid credential date. Date is not the same as X-Amz-Date.";
        return GW_S3_AUTH_HEADER_MALFORMED;
    }
    if (absdiff(p.date_ms, req->now_ms) > GW_AUTH_MAX_SKEW_MS)
        return GW_S3_REQUEST_TIME_TOO_SKEWED;

    p.payload_hash = gw__auth_hdr_get(req, "x-amz-content-sha256", &found);
    if (!found) {
        e = v4_header_without_payload_hash(req, ql, &p, lookup, arg, res);
        if (e == GW_S3_SIGNATURE_DOES_NOT_MATCH && gw__auth_query_has_unencoded(req, ql)) {
            p.raw_query = 1; /* curl 7.x: see below */
            e = v4_header_without_payload_hash(req, ql, &p, lookup, arg, res);
        }
        return e;
    }
    if (v4_payload(p.payload_hash, res) != 0) {
        res->err_message = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.";
        return GW_S3_INVALID_ARGUMENT;
    }
    e = v4_verify(req, ql, &p, lookup, arg, res);
    if (e == GW_S3_SIGNATURE_DOES_NOT_MATCH && gw__auth_query_has_unencoded(req, ql)) {
        /* curl 7.x --aws-sigv4 signs the query exactly as sent ("prefix=a/&list-type=2",
         * neither sorted nor encoded); that string is what arrived, so accepting its
         * signature binds the very same parameters */
        p.raw_query = 1;
        e = v4_verify(req, ql, &p, lookup, arg, res);
    }
    return e;
}

gw_s3_err_t gw__auth_v4_query(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                              gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    const struct gw_auth_qparam *algo, *cred, *date, *exp, *sh, *sig;
    struct v4_params p;
    uint64_t expires_s;
    const char *why;
    int found;

    memset(&p, 0, sizeof(p));
    res->kind = GW_AUTH_V4_QUERY;
    p.presigned = 1;
    algo = gw__auth_qlist_get(ql, "X-Amz-Algorithm");
    cred = gw__auth_qlist_get(ql, "X-Amz-Credential");
    date = gw__auth_qlist_get(ql, "X-Amz-Date");
    exp = gw__auth_qlist_get(ql, "X-Amz-Expires");
    sh = gw__auth_qlist_get(ql, "X-Amz-SignedHeaders");
    sig = gw__auth_qlist_get(ql, "X-Amz-Signature");
    if (!algo || !slice_eq_str(qval(algo), GW_AUTH_V4_ALGO)) {
        res->err_message = "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (!cred || !date || !exp || !sh || !sig)
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;   /* the table's message lists them */
    if ((why = v4_parse_cred(qval(cred), &p.cred)) != NULL) {
        res->err_message = why;
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (date->value.len != 16 ||
        gw_iso8601_parse(date->value.data, date->value.len, &p.date_ms) != 0) {
        res->err_message = "X-Amz-Date must be in the ISO8601 Long Format "
                           "\"yyyyMMdd'T'HHmmss'Z'\"";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (gw__auth_parse_u64(qval(exp), &expires_s) != 0 || expires_s == 0) {
        res->err_message = "X-Amz-Expires should be a number greater than 0";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (expires_s > GW_AUTH_MAX_EXPIRES_S) {
        res->err_message = "X-Amz-Expires must be less than a week (in seconds) that is 604800";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    p.signed_headers = qval(sh);
    p.signature = qval(sig);
    if (!gw__auth_v4_signed_headers_ok(p.signed_headers)) {
        res->err_message = "X-Amz-SignedHeaders is not valid.";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (!v4_signature_ok(p.signature)) {
        res->err_message = "X-Amz-Signature is not 64 hex digits.";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    memcpy(p.amz_date, date->value.data, 16);
    p.amz_date[16] = '\0';
    if (memcmp(p.amz_date, p.cred.date.ptr, 8) != 0) {
        res->err_message = "Invalid credential date. Date is not the same as X-Amz-Date.";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (req->now_ms > p.date_ms + expires_s * 1000) {
        res->err_message = "Request has expired";
        return GW_S3_ACCESS_DENIED;
    }
    if (p.date_ms > req->now_ms + GW_AUTH_MAX_SKEW_MS) {
        res->err_message = "Request is not valid yet";
        return GW_S3_ACCESS_DENIED;
    }
    p.payload_hash = gw__auth_hdr_get(req, "x-amz-content-sha256", &found);
    if (!found)
        p.payload_hash = cn_slice("UNSIGNED-PAYLOAD", 16);
    if (v4_payload(p.payload_hash, res) != 0) {
        res->err_message = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.";
        return GW_S3_INVALID_ARGUMENT;
    }
    return v4_verify(req, ql, &p, lookup, arg, res);
}

/* ---- a POST form's SigV4: the signature over the policy field ------------------------ */

gw_s3_err_t gw__auth_v4_post(const gw_auth_post_t *in, gw_auth_lookup_fn lookup, void *arg,
                             gw_auth_result_t *res)
{
    char secret[GW_AUTH_SECRET_MAX] = {0};
    char sig_hex[65], sig_given[65];
    uint8_t digest[32], key[32];
    struct v4_cred cred;
    const char *why;
    gw_s3_err_t e;

    res->kind = GW_AUTH_V4_POST;
    if (!slice_eq_str(in->algorithm, GW_AUTH_V4_ALGO)) {
        res->err_message = "POST form x-amz-algorithm must be AWS4-HMAC-SHA256.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if ((why = v4_parse_cred(in->credential, &cred)) != NULL) {
        res->err_message = why;
        return GW_S3_INVALID_ARGUMENT;
    }
    if (in->amz_date.len != 16 || in->amz_date.ptr[8] != 'T' || in->amz_date.ptr[15] != 'Z') {
        res->err_message = "POST form x-amz-date must be in the ISO8601 Long Format "
                           "\"yyyyMMdd'T'HHmmss'Z'\"";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (memcmp(in->amz_date.ptr, cred.date.ptr, 8) != 0) {
        res->err_message = "Invalid credential date. Date is not the same as X-Amz-Date.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (!v4_signature_ok(in->signature)) {
        res->err_message = "POST form x-amz-signature is not 64 hex digits.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (copy_cstr(res->access_key, sizeof(res->access_key), cred.access_key) != 0)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if ((e = gw__auth_lookup_secret(lookup, arg, res->access_key, secret, res)) != GW_S3_OK)
        return e;
    v4_signing_key(secret, &cred, key);
    OPENSSL_cleanse(secret, sizeof(secret));
    hmac(key, 32, in->policy.ptr, in->policy.len, digest);
    OPENSSL_cleanse(key, sizeof(key));
    cn_hex(digest, 32, sig_hex);
    for (size_t i = 0; i < 64; i++) {
        char c = in->signature.ptr[i];
        sig_given[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    sig_given[64] = '\0';
    if (!ct_equal(sig_hex, 64, sig_given, 64))
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    snprintf(res->scope, sizeof(res->scope), "%.*s/%.*s/%.*s/aws4_request", (int)cred.date.len,
             cred.date.ptr, (int)cred.region.len, cred.region.ptr, (int)cred.service.len,
             cred.service.ptr);
    memcpy(res->amz_date, in->amz_date.ptr, 16);
    res->amz_date[16] = '\0';
    res->payload = GW_PAYLOAD_UNCHECKED;
    return GW_S3_OK;
}
