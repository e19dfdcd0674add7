/*
 * gateway/auth/auth_req.c: who sent a request and whether its body is what it claims: the SigV4 /
 * SigV2 / presigned / anonymous check (gateway/auth/s3_auth.h) on h2o's request, the requester's
 * canonical id, and the body's checks (aws-chunked framing with its chunk signatures and
 * trailer, x-amz-content-sha256, x-amz-checksum-*, Content-MD5) with every digest of the body
 * computed in one pass, off the loop for a large body (below). Loop thread only, but for the
 * pass itself (run_job).
 */
#include "gateway/auth/auth_req.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/work.h"
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

static const char *lazy_body_sha256(void *arg);

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
        if (req->entity.base == NULL || req->entity.len == 0) {
            ar.body_sha256 = CN_SHA256_EMPTY_HEX;
        } else { /* hashed only if the signature is not over "" (curl -T signs "") */
            ar.body_sha256_fn = lazy_body_sha256;
            ar.body_sha256_arg = r;
        }
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

/* ---- the body: its framing and its digests in one job, then the checks -------------------
 * gw_req_check_body plans on the loop what the body needs: the aws-chunked framing taken off
 * (its chunk signatures checked) and the digests the request needs (its x-amz-checksum-* header
 * or the trailer that x-amz-trailer announces, x-amz-content-sha256's SHA-256, Content-MD5's
 * and the ETag's MD5, the chunk MD5s of a chunked PutObject or UploadPart), less those that
 * the signature check already computed over the same bytes. One job does the decoding and then
 * one pass for all the digests (gw_body_hashes): inline for a small body, on libuv's thread
 * pool for a body over GW_BODY_HASH_INLINE whose bytes h2o keeps until the answer
 * (gw_http_body_stable: HTTP/1), the request counted pending as for an RPC. Back on the loop
 * come the framing's own checks and then the digests', in the order S3 answers them. */

#define BODY_JOB_MAGIC 0x626f646au /* "bodj" */

struct body_job {
    uint32_t magic;
    uv_work_t work;
    gw_req_t *r;
    gw_req_body_fn done;
    gw_chunked_mode_t mode;          /* aws-chunked: decode entity first; else GW_CHUNKED_NONE */
    char *entity;                    /* h2o's bytes, decoded in place */
    size_t entity_len;
    gw_chunked_sig_t sig;            /* into r->auth, which nothing changes meanwhile */
    int decode_rc;
    gw_chunked_out_t decoded;        /* the payload's length and the trailer */
    cn_slice_t body;                 /* what is hashed (after the decoding) */
    unsigned want;                   /* CN_HASH_* still to compute */
    size_t chunk_size;               /* > 0: also the chunk MD5s when the body is longer */
    size_t nchunks;
    uint8_t (*chunk_md5)[CN_MD5_LEN];
    gw_checksum_alg_t ck_alg;        /* the checksum to check, GW_CK_NONE none */
    char ck_name[32];
    cn_slice_t ck_value;             /* into h2o's headers, or into decoded.trailer_value */
    int md5_check;                   /* 1: Content-MD5 to check, 2: malformed */
    uint8_t md5_want[CN_MD5_LEN];
    int etag_only;                   /* gw_req_hash_etag: digests to keep, nothing to check */
    cn_hashes_t out;                 /* the pass's results */
};

/* Decodes a Content-MD5 value into d: 0, or -1 when it is not base64 of 16 bytes. */
static int content_md5(cn_slice_t v, uint8_t d[CN_MD5_LEN])
{
    unsigned char dec[64];
    size_t n;

    if (v.len > 44 || cn_base64_decode(v.ptr, v.len, dec, sizeof(dec), &n) != 0 ||
        n != CN_MD5_LEN)
        return -1;
    memcpy(d, dec, CN_MD5_LEN);
    return 0;
}

/* 1 when r's operation stores a body of (at most) len bytes under an ETag that is its MD5
 * (PutObject, UploadPart; not their copies, whose bodies come from elsewhere). */
static int wants_etag(gw_req_t *r, size_t len)
{
    return (r->route.op == GW_OP_PUT_OBJECT || r->route.op == GW_OP_UPLOAD_PART) &&
           len <= r->srv->conf.max_object_size && !gw_req_header(r, "x-amz-copy-source").ptr;
}

static int same_body(const gw_req_t *r, cn_slice_t body)
{
    return r->body_hashed.ptr == body.ptr && r->body_hashed.len == body.len;
}

/* What the body needs hashed, into j: body is what will be hashed, or for an aws-chunked body
 * (j->mode set) the bytes still to decode. GW_S3_OK, or the error found before any hashing. */
static gw_s3_err_t plan(gw_req_t *r, cn_slice_t body, struct body_job *j)
{
    const h2o_headers_t *h = &r->http.req->headers;
    cn_slice_t md5h = gw_req_header(r, "content-md5");
    cn_slice_t announced = gw_req_header(r, "x-amz-trailer");

    j->body = body;
    if (j->mode != GW_CHUNKED_NONE && announced.ptr) {
        /* the trailer's checksum, checked once decoded (after_decode) */
        j->want = gw_checksum_hash(gw_checksum_alg(announced.ptr, announced.len));
    } else {
        for (size_t i = 0; i < h->size; i++) {
            const h2o_header_t *e = &h->entries[i];
            gw_checksum_alg_t alg = gw_checksum_alg(e->name->base, e->name->len);
            if (alg == GW_CK_NONE)
                continue;
            if (j->ck_alg != GW_CK_NONE) /* S3: only one checksum per request */
                return GW_S3_INVALID_REQUEST;
            j->ck_alg = alg;
            snprintf(j->ck_name, sizeof(j->ck_name), "%.*s", (int)e->name->len, e->name->base);
            j->ck_value = cn_slice(e->value.base, e->value.len);
        }
        j->want = gw_checksum_hash(j->ck_alg);
    }
    if (r->auth.payload == GW_PAYLOAD_SHA256)
        j->want |= CN_HASH_SHA256;
    if (md5h.ptr) {
        j->md5_check = content_md5(md5h, j->md5_want) == 0 ? 1 : 2;
        if (j->md5_check == 1)
            j->want |= CN_HASH_MD5;
    }
    if (wants_etag(r, body.len)) {
        j->want |= CN_HASH_MD5;
        if (!(j->mode == GW_CHUNKED_NONE && same_body(r, body) && r->chunk_md5 &&
              r->chunk_md5_size == r->srv->conf.chunk_size))
            j->chunk_size = (size_t)r->srv->conf.chunk_size;
    }
    if (j->mode == GW_CHUNKED_NONE && same_body(r, body))
        j->want &= ~r->body_hashes.have;
    return GW_S3_OK;
}

/* The job itself, on any thread: the decoding, then one pass for every digest. */
static void run_job(uv_work_t *w)
{
    struct body_job *j = w->data;

    CN_CHECK_OBJ(j, BODY_JOB_MAGIC);
    if (j->mode != GW_CHUNKED_NONE) {
        j->decode_rc =
            gw_chunked_decode(j->entity, j->entity_len, j->mode,
                              j->mode == GW_CHUNKED_UNSIGNED_TRAILER ? NULL : &j->sig,
                              &j->decoded);
        if (j->decode_rc != 0)
            return;
        j->body = cn_slice(j->entity, j->decoded.len);
    }
    if (j->chunk_size > 0 && j->body.len > j->chunk_size) {
        j->nchunks = (j->body.len + j->chunk_size - 1) / j->chunk_size;
        j->chunk_md5 = cn_malloc(j->nchunks * sizeof(*j->chunk_md5));
    }
    if (j->want || j->nchunks)
        gw_body_hashes(j->body.ptr, j->body.len, j->want, j->chunk_size, j->chunk_md5,
                       &j->out);
}

/* Keeps j's results in r (the loop thread). */
static void merge(gw_req_t *r, struct body_job *j)
{
    cn_hashes_t *h = &r->body_hashes;
    const cn_hashes_t *o = &j->out;

    if (!same_body(r, j->body)) {
        memset(h, 0, sizeof(*h));
        cn_free(r->chunk_md5);
        r->chunk_md5 = NULL;
        r->body_hashed = j->body;
    }
    if (o->have & CN_HASH_MD5)
        memcpy(h->md5, o->md5, sizeof(h->md5));
    if (o->have & CN_HASH_SHA1)
        memcpy(h->sha1, o->sha1, sizeof(h->sha1));
    if (o->have & CN_HASH_SHA256)
        memcpy(h->sha256, o->sha256, sizeof(h->sha256));
    if (o->have & CN_HASH_CRC32)
        h->crc32 = o->crc32;
    if (o->have & CN_HASH_CRC32C)
        h->crc32c = o->crc32c;
    if (o->have & CN_HASH_CRC64NVME)
        h->crc64nvme = o->crc64nvme;
    h->have |= o->have;
    if (j->chunk_md5) {
        cn_free(r->chunk_md5);
        r->chunk_md5 = j->chunk_md5;
        r->chunk_md5_size = j->chunk_size;
        r->chunk_md5_n = j->nchunks;
        j->chunk_md5 = NULL;
    }
}

/* After the decoding of an aws-chunked body: the framing's checks (as S3 answers them), r->body,
 * and the trailer's checksum to check. */
static gw_s3_err_t after_decode(gw_req_t *r, struct body_job *j)
{
    cn_slice_t dcl = gw_req_header(r, "x-amz-decoded-content-length");
    cn_slice_t announced = gw_req_header(r, "x-amz-trailer");
    const gw_chunked_out_t *out = &j->decoded;

    if (j->decode_rc == CN_EACCES)
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    if (j->decode_rc == CN_E2BIG)
        return GW_S3_INVALID_REQUEST;
    if (j->decode_rc != 0)
        return GW_S3_INCOMPLETE_BODY;
    r->body = j->body;
    if (dcl.ptr) {
        char want[24];
        snprintf(want, sizeof(want), "%zu", out->len);
        if (strlen(want) != dcl.len || memcmp(want, dcl.ptr, dcl.len) != 0)
            return GW_S3_INCOMPLETE_BODY;
    }
    if (out->trailer_name[0]) {
        /* the trailer must be the one x-amz-trailer announced */
        if (!announced.ptr || announced.len != strlen(out->trailer_name) ||
            strncasecmp(announced.ptr, out->trailer_name, announced.len) != 0)
            return GW_S3_INVALID_REQUEST;
        j->ck_alg = gw_checksum_alg(out->trailer_name, strlen(out->trailer_name));
        if (j->ck_alg == GW_CK_NONE)
            return GW_S3_INVALID_REQUEST;
        snprintf(j->ck_name, sizeof(j->ck_name), "%s", out->trailer_name);
        j->ck_value = cn_slice(out->trailer_value, strlen(out->trailer_value));
    } else if (announced.ptr) {
        return GW_S3_INCOMPLETE_BODY; /* announced, never sent */
    }
    return GW_S3_OK;
}

/* The checks, once r->body_hashes has what j planned. */
static gw_s3_err_t verify(gw_req_t *r, const struct body_job *j)
{
    const cn_hashes_t *h = &r->body_hashes;

    if (j->ck_alg != GW_CK_NONE) {
        char got[64];
        gw_checksum_b64_of(j->ck_alg, h, got);
        if (strlen(got) != j->ck_value.len || memcmp(got, j->ck_value.ptr, j->ck_value.len) != 0)
            return GW_S3_BAD_DIGEST;
        snprintf(r->checksum_name, sizeof(r->checksum_name), "%s", j->ck_name);
        for (char *c = r->checksum_name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + 32);
        snprintf(r->checksum_value, sizeof(r->checksum_value), "%s", got);
    }
    if (r->auth.payload == GW_PAYLOAD_SHA256) {
        char hex[2 * CN_SHA256_LEN + 1];
        cn_hex(h->sha256, CN_SHA256_LEN, hex);
        if (strcasecmp(hex, r->auth.payload_sha256) != 0)
            return GW_S3_CONTENT_SHA256_MISMATCH;
    }
    if (j->md5_check == 2)
        return GW_S3_INVALID_DIGEST;
    if (j->md5_check == 1 && memcmp(h->md5, j->md5_want, CN_MD5_LEN) != 0)
        return GW_S3_BAD_DIGEST;
    return GW_S3_OK;
}

/* Back on the loop after the job ran (wherever): the checks. */
static gw_s3_err_t finish(gw_req_t *r, struct body_job *j)
{
    gw_s3_err_t e;

    if (j->etag_only) {
        merge(r, j);
        return GW_S3_OK;
    }
    if (j->mode != GW_CHUNKED_NONE && (e = after_decode(r, j)) != GW_S3_OK)
        return e;
    merge(r, j);
    if ((r->body_hashes.have & gw_checksum_hash(j->ck_alg)) != gw_checksum_hash(j->ck_alg)) {
        /* never planned (a trailer that x-amz-trailer did not name is refused above): here
         * only as a safety net */
        struct body_job k = {.magic = BODY_JOB_MAGIC, .body = r->body};
        k.work.data = &k;
        k.want = gw_checksum_hash(j->ck_alg);
        run_job(&k.work);
        merge(r, &k);
    }
    return verify(r, j);
}

static struct body_job *job_new(gw_req_t *r, gw_req_body_fn done)
{
    struct body_job *j = cn_calloc(1, sizeof(*j));

    j->magic = BODY_JOB_MAGIC;
    j->work.data = j;
    j->r = r;
    j->done = done;
    return j;
}

static void job_free(struct body_job *j)
{
    cn_free(j->chunk_md5);
    j->magic = 0;
    cn_free(j);
}

/* Back on the loop from the thread pool. */
static void after_job(uv_work_t *w, int status)
{
    struct body_job *j = w->data;
    gw_req_t *r = j->r;
    gw_req_body_fn done = j->done;
    gw_s3_err_t e;

    CN_CHECK_OBJ(j, BODY_JOB_MAGIC);
    if (gw_req_rpc_done(r)) { /* the client went away meanwhile */
        job_free(j);
        return;
    }
    if (status != 0) /* never ran (cn_work_queue logged why): run it here */
        run_job(w);
    e = finish(r, j);
    job_free(j);
    done(r, e);
}

/* The lazy SHA-256 of SigV4's check of a request without x-amz-content-sha256 (asked only
 * when the signature is not over the empty string's hash): the body is then what h2o holds
 * (never aws-chunked: that needs the header), so the pass computes what check_body will want
 * of the same bytes too. Inline: such clients (curl's POST data) send small bodies. */
static const char *lazy_body_sha256(void *arg)
{
    gw_req_t *r = arg;
    h2o_req_t *req = r->http.req;
    cn_slice_t body = cn_slice(req->entity.base ? req->entity.base : "",
                               req->entity.base ? req->entity.len : 0);
    struct body_job *j = job_new(r, NULL);

    if (plan(r, body, j) != GW_S3_OK) { /* check_body will answer that error */
        j->want = 0;
        j->chunk_size = 0;
    }
    j->want |= CN_HASH_SHA256;
    if (same_body(r, body))
        j->want &= ~r->body_hashes.have;
    run_job(&j->work);
    merge(r, j);
    job_free(j);
    cn_hex(r->body_hashes.sha256, CN_SHA256_LEN, r->body_sha256_hex);
    return r->body_sha256_hex;
}

/* Sets up j for an aws-chunked body: GW_S3_OK with j->mode set (or, for no body at all,
 * r->body empty and j->mode none), or the error. */
static gw_s3_err_t chunked_start(gw_req_t *r, struct body_job *j)
{
    h2o_req_t *req = r->http.req;
    cn_slice_t sha = gw_req_header(r, "x-amz-content-sha256");
    cn_slice_t dcl = gw_req_header(r, "x-amz-decoded-content-length");
    gw_chunked_mode_t mode = sha.ptr ? gw_chunked_mode(sha.ptr, sha.len) : GW_CHUNKED_NONE;

    if (mode == GW_CHUNKED_NONE) {
        r->auth.err_message = "Unsupported x-amz-content-sha256 streaming mode";
        return GW_S3_NOT_IMPLEMENTED;
    }
    if (mode != GW_CHUNKED_UNSIGNED_TRAILER && r->auth.kind != GW_AUTH_V4_HEADER)
        return GW_S3_INVALID_REQUEST;
    if (!req->entity.base) { /* no body: nothing to decode, and no checksum to check */
        r->body = cn_slice("", 0);
        j->ck_alg = GW_CK_NONE;
        return dcl.ptr && !(dcl.len == 1 && dcl.ptr[0] == '0') ? GW_S3_INCOMPLETE_BODY
                                                                : GW_S3_OK;
    }
    j->mode = mode;
    j->entity = req->entity.base;
    j->entity_len = req->entity.len;
    j->sig = (gw_chunked_sig_t){
        .signing_key = r->auth.signing_key,
        .amz_date = r->auth.amz_date,
        .scope = r->auth.scope,
        .seed_signature = r->auth.seed_signature,
    };
    return GW_S3_OK;
}

void gw_req_check_body(gw_req_t *r, gw_req_body_fn done)
{
    h2o_req_t *req = r->http.req;
    struct body_job *j = job_new(r, done);
    gw_s3_err_t e = GW_S3_OK;
    int empty_chunked = 0;

    r->body = cn_slice(req->entity.base ? req->entity.base : "",
                       req->entity.base ? req->entity.len : 0);
    if (r->auth.payload == GW_PAYLOAD_STREAMING) {
        e = chunked_start(r, j);
        empty_chunked = j->mode == GW_CHUNKED_NONE;
    }
    if (e == GW_S3_OK)
        e = plan(r, r->body, j);
    if (empty_chunked) { /* as before: an empty aws-chunked body has no checksum to check */
        j->ck_alg = GW_CK_NONE;
        j->want &= ~(CN_HASH_CRC32 | CN_HASH_CRC32C | CN_HASH_CRC64NVME | CN_HASH_SHA1);
    }
    if (e == GW_S3_OK && (j->want || j->chunk_size || j->mode) &&
        r->body.len > GW_BODY_HASH_INLINE && gw_http_body_stable(&r->http)) {
        r->http.pending++;
        cn_work_queue(r->srv->loop, &j->work, run_job, after_job, "body hashes");
        return;
    }
    if (e == GW_S3_OK) {
        run_job(&j->work);
        e = finish(r, j);
    }
    job_free(j);
    done(r, e);
}

void gw_req_hash_etag(gw_req_t *r, cn_slice_t body, gw_req_body_fn done)
{
    struct body_job *j = job_new(r, done);

    j->etag_only = 1;
    j->body = body;
    j->want = CN_HASH_MD5;
    j->chunk_size = (size_t)r->srv->conf.chunk_size;
    if (same_body(r, body)) {
        j->want &= ~r->body_hashes.have;
        if (r->chunk_md5 && r->chunk_md5_size == j->chunk_size)
            j->chunk_size = 0;
    }
    if ((j->want || j->chunk_size) && body.len > GW_BODY_HASH_INLINE &&
        gw_http_body_stable(&r->http)) {
        r->http.pending++;
        cn_work_queue(r->srv->loop, &j->work, run_job, after_job, "etag hashes");
        return;
    }
    run_job(&j->work);
    finish(r, j);
    job_free(j);
    done(r, GW_S3_OK);
}

void gw_req_body_md5(gw_req_t *r, cn_slice_t body, uint8_t out[CN_MD5_LEN])
{
    if ((r->body_hashes.have & CN_HASH_MD5) && r->body_hashed.ptr == body.ptr &&
        r->body_hashed.len == body.len) {
        memcpy(out, r->body_hashes.md5, CN_MD5_LEN);
        return;
    }
    gw_body_md5(body.len ? body.ptr : "", body.len, out);
}

int gw_req_chunk_md5(const gw_req_t *r, cn_slice_t body, uint64_t chunk_size, uint64_t i,
                     uint8_t out[CN_MD5_LEN])
{
    if (r->body_hashed.ptr != body.ptr || r->body_hashed.len != body.len)
        return CN_ENOENT;
    if (body.len <= chunk_size && i == 0 && (r->body_hashes.have & CN_HASH_MD5)) {
        memcpy(out, r->body_hashes.md5, CN_MD5_LEN); /* one chunk: the whole body */
        return 0;
    }
    if (r->chunk_md5 == NULL || r->chunk_md5_size != chunk_size || i >= r->chunk_md5_n)
        return CN_ENOENT;
    memcpy(out, r->chunk_md5[i], CN_MD5_LEN);
    return 0;
}
