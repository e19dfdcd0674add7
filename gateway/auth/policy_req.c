/*
 * gateway/auth/policy_req.c: the request as a bucket policy sees it (see policy_req.h).
 * Condition keys (IAM and S3 condition keys; a key absent from the request is left out, so
 * that the ...IfExists and Null operators see it absent):
 *   aws:SourceIp        the peer's address (no proxy header is believed)
 *   aws:SecureTransport "true" over TLS, else "false"
 *   aws:CurrentTime     now, ISO 8601; aws:EpochTime, seconds
 *   aws:UserAgent, aws:Referer   the headers
 *   aws:userid, aws:username     filled by the evaluator from the signer (policy.h)
 *   s3:prefix, s3:delimiter, s3:max-keys   the list operations' query parameters
 *   s3:x-amz-acl, s3:x-amz-grant-*, s3:x-amz-server-side-encryption   the request headers
 *   s3:signatureversion "AWS4-HMAC-SHA256" or "AWS"; s3:authType "REST-HEADER" or
 *                        "REST-QUERY-STRING" (absent for an anonymous request)
 *   s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys   the tags a PutObject,
 *                        CreateMultipartUpload, CopyObject (REPLACE) or PutObjectTagging
 *                        sets (r->tags)
 *   s3:ExistingObjectTag/<key>   the object's tags, where its metadata is read before the
 *                        decision (gw_req_policy_tags, from gateway/auth/access_req.c). Where
 *                        it is not (the object's request decided before its metadata is
 *                        read, an object write that never reads it), the evaluator is told
 *                        that they are unknown (gw_policy_tags_t): decided again later, or
 *                        failing closed: a Deny that names them applies, an Allow does not.
 * The policy is looked up by the bucket's name each time: the bucket table may be replaced
 * while a request waits for an RPC, and the newest policy is the one to obey.
 */
#include "gateway/auth/policy_req.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/mem.h"
#include "gateway/auth/access.h"
#include "gateway/gateway.h"
#include "gateway/s3/tags.h"

/* the request's own keys, then two tag sets (requested, existing) and the tag key list */
#define MAX_KEYS (24 + 2 * GW_TAGS_OBJECT_MAX + 1)
#define MAX_VALUE 1100 /* a query parameter or header value we compare: longer ones are cut */
#define MAX_NAME 32    /* room for a key's name built here, past the tag key it names */

struct keys {
    gw_policy_key_t k[MAX_KEYS];
    const char *vals[MAX_KEYS];
    char buf[MAX_KEYS][MAX_VALUE];
    char names[MAX_KEYS][MAX_NAME + 4 * GW_TAG_KEY_MAX];
    gw_tags_t req_tags, old_tags;
    const char *tag_keys[GW_TAGS_OBJECT_MAX];
    size_t n;
};

static void add(struct keys *ks, const char *name, const char *v, size_t len)
{
    size_t i = ks->n;

    if (i == MAX_KEYS || v == NULL)
        return;
    if (len >= MAX_VALUE)
        len = MAX_VALUE - 1;
    memcpy(ks->buf[i], v, len);
    ks->buf[i][len] = '\0';
    ks->vals[i] = ks->buf[i];
    ks->k[i] = (gw_policy_key_t){name, &ks->vals[i], 1};
    ks->n++;
}

/* prefix + each tag's key, its value (a tag set past the object limit adds its first ones) */
static void add_tags(struct keys *ks, const char *prefix, const gw_tags_t *t)
{
    for (size_t i = 0; i < t->n && i < GW_TAGS_OBJECT_MAX && ks->n < MAX_KEYS; i++) {
        char *name = ks->names[ks->n];

        snprintf(name, sizeof(ks->names[0]), "%s%s", prefix, t->v[i].key);
        add(ks, name, t->v[i].value, t->v[i].value_len);
    }
}

/* The tags r sets (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys) and, when known, the
 * ones its object has (tags: their stored form, "" none). */
static void add_tag_keys(struct keys *ks, gw_req_t *r, const char *tags)
{
    gw_op_t op = r->route.op;
    size_t nk = 0;

    if (r->tags != NULL && (op == GW_OP_PUT_OBJECT || op == GW_OP_CREATE_MULTIPART ||
                            op == GW_OP_PUT_OBJECT_TAGGING || op == GW_OP_POST_OBJECT) &&
        gw_tags_parse_query(r->tags, strlen(r->tags), &ks->req_tags) == 0) {
        add_tags(ks, "s3:RequestObjectTag/", &ks->req_tags);
        for (; nk < ks->req_tags.n && nk < GW_TAGS_OBJECT_MAX; nk++)
            ks->tag_keys[nk] = ks->req_tags.v[nk].key;
        if (ks->n < MAX_KEYS)
            ks->k[ks->n++] = (gw_policy_key_t){"s3:RequestObjectTagKeys", ks->tag_keys, nk};
    }
    if (tags != NULL && gw_tags_parse_query(tags, strlen(tags), &ks->old_tags) == 0)
        add_tags(ks, GW_POLICY_EXISTING_TAG, &ks->old_tags);
}

static void add_header(struct keys *ks, gw_req_t *r, const char *key, const char *lname)
{
    cn_slice_t h = gw_req_header(r, lname);

    if (h.ptr != NULL)
        add(ks, key, h.ptr, h.len);
}

static void add_query(struct keys *ks, const char *q, size_t qlen, const char *key,
                      const char *param)
{
    cn_buf_t v;

    cn_buf_init(&v);
    if (q != NULL && gw_query_get(q, qlen, param, &v) == 1)
        add(ks, key, v.data ? v.data : "", v.len);
    cn_buf_dispose(&v);
}

static void fill_keys(gw_req_t *r, struct keys *ks)
{
    static const char *const grants[] = {"read", "write", "read-acp", "write-acp",
                                         "full-control"};
    char ip[64], when[32], epoch[24], hdr[40];
    size_t qlen;
    const char *q = gw_http_query(&r->http, &qlen);
    uint64_t now = cn_now_ms();
    gw_op_t op = r->route.op;

    if (gw_http_peer_ip(&r->http, ip, sizeof(ip)) == 0)
        add(ks, "aws:SourceIp", ip, strlen(ip));
    add(ks, "aws:SecureTransport", gw_http_is_secure(&r->http) ? "true" : "false",
        gw_http_is_secure(&r->http) ? 4 : 5);
    cn_fmt_iso8601_ms(now, when, sizeof(when));
    add(ks, "aws:CurrentTime", when, strlen(when));
    snprintf(epoch, sizeof(epoch), "%" PRIu64, now / 1000);
    add(ks, "aws:EpochTime", epoch, strlen(epoch));
    add_header(ks, r, "aws:UserAgent", "user-agent");
    add_header(ks, r, "aws:Referer", "referer");
    if (op == GW_OP_LIST_OBJECTS || op == GW_OP_LIST_OBJECTS_V2 ||
        op == GW_OP_LIST_MULTIPART_UPLOADS) {
        add_query(ks, q, qlen, "s3:prefix", "prefix");
        add_query(ks, q, qlen, "s3:delimiter", "delimiter");
        add_query(ks, q, qlen, "s3:max-keys", op == GW_OP_LIST_MULTIPART_UPLOADS ? "max-uploads"
                                                                              : "max-keys");
    }
    if (op == GW_OP_POST_OBJECT) { /* a form's acl field (s3_post.c) */
        if (r->acl[0])
            add(ks, "s3:x-amz-acl", r->acl, strlen(r->acl));
    } else {
        add_header(ks, r, "s3:x-amz-acl", "x-amz-acl");
    }
    for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
        /* the key names stay valid for the call: static strings */
        static const char *const keys[] = {"s3:x-amz-grant-read", "s3:x-amz-grant-write",
                                           "s3:x-amz-grant-read-acp",
                                           "s3:x-amz-grant-write-acp",
                                           "s3:x-amz-grant-full-control"};
        snprintf(hdr, sizeof(hdr), "x-amz-grant-%s", grants[i]);
        add_header(ks, r, keys[i], hdr);
    }
    add_header(ks, r, "s3:x-amz-server-side-encryption", "x-amz-server-side-encryption");
    switch (r->auth.kind) {
    case GW_AUTH_V4_HEADER:
    case GW_AUTH_V4_QUERY:
    case GW_AUTH_V4_POST:
        add(ks, "s3:signatureversion", "AWS4-HMAC-SHA256", 16);
        break;
    case GW_AUTH_V2_HEADER:
    case GW_AUTH_V2_QUERY:
    case GW_AUTH_V2_POST:
        add(ks, "s3:signatureversion", "AWS", 3);
        break;
    default:
        break;
    }
    if (r->auth.kind == GW_AUTH_V4_HEADER || r->auth.kind == GW_AUTH_V2_HEADER)
        add(ks, "s3:authType", "REST-HEADER", 11);
    else if (r->auth.kind == GW_AUTH_V4_QUERY || r->auth.kind == GW_AUTH_V2_QUERY)
        add(ks, "s3:authType", "REST-QUERY-STRING", 17);
    else if (r->auth.kind == GW_AUTH_V4_POST || r->auth.kind == GW_AUTH_V2_POST)
        add(ks, "s3:authType", "POST", 4);
}

/* The policy of bucket on action for r, with the object's tags (stored form) when known
 * (tags not NULL), else as mode says. */
static gw_policy_result_t policy_eval(gw_req_t *r, const char *bucket, const char *action,
                                      const char *key, size_t key_len, const char *tags,
                                      gw_policy_tags_t mode)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, bucket);
    const gw_user_t *u = r->requester[0] ? gw_mgr_user_by_id(r->srv, r->requester) : NULL;
    char arn[GW_BUCKET_MAX + GW_KEY_MAX + 32], k[GW_KEY_MAX + 1];
    struct keys *ks;
    gw_policy_ctx_t ctx;
    gw_policy_result_t res;

    if (b == NULL || (b->policy == NULL && !b->policy_broken))
        return GW_POLICY_NONE;
    if (b->policy_broken)
        return GW_POLICY_DENY;
    if (action == NULL)
        return GW_POLICY_NONE; /* no S3 action: the ACLs decide */
    if (key != NULL) {
        if (key_len > GW_KEY_MAX)
            key_len = GW_KEY_MAX;
        memcpy(k, key, key_len);
        k[key_len] = '\0';
    }
    if (gw_policy_arn(arn, sizeof(arn), bucket, key != NULL ? k : NULL) == 0)
        return GW_POLICY_DENY; /* cannot happen: sized for the longest */
    ks = cn_calloc(1, sizeof(*ks));
    fill_keys(r, ks);
    add_tag_keys(ks, r, tags);
    ctx = (gw_policy_ctx_t){r->requester[0] ? r->requester : NULL, u ? u->user : NULL, action,
                            arn, ks->k, ks->n, tags != NULL || key == NULL ? GW_POLICY_TAGS_KNOWN
                                                                          : mode};
    res = gw_policy_eval(b->policy, &ctx);
    gw_tags_dispose(&ks->req_tags);
    gw_tags_dispose(&ks->old_tags);
    cn_free(ks);
    /* RestrictPublicBuckets: a public policy allows nobody but the bucket's owner */
    if (res == GW_POLICY_ALLOW && (b->pab & GW_PAB_RESTRICT) && b->policy_public &&
        !(r->requester[0] && b->owner != NULL && strcmp(r->requester, b->owner) == 0))
        res = GW_POLICY_NONE;
    return res;
}

gw_policy_result_t gw_req_policy_for(gw_req_t *r, const char *bucket, const char *action,
                                     const char *key, size_t key_len)
{
    return policy_eval(r, bucket, action, key, key_len, NULL, GW_POLICY_TAGS_CLOSED);
}

gw_policy_result_t gw_req_policy_tags(gw_req_t *r, const char *bucket, const char *action,
                                      const char *key, size_t key_len, const char *tags)
{
    return policy_eval(r, bucket, action, key, key_len, tags ? tags : "", GW_POLICY_TAGS_KNOWN);
}

/* r's own operation and resource: its action into *action (may be NULL), *obj 1 when the
 * resource is its object. */
static const char *own_action(gw_req_t *r, int *obj)
{
    size_t qlen;
    const char *q = gw_http_query(&r->http, &qlen);

    return gw_policy_op_action(r->route.op, q != NULL && gw_query_has(q, qlen, "versionId"),
                               obj);
}

gw_policy_result_t gw_req_policy(gw_req_t *r, const char **action)
{
    int obj = 0;
    const char *a = own_action(r, &obj);

    if (action != NULL)
        *action = a;
    /* an operation on an object's own permission reads its metadata, and is decided again
     * with its tags then (gw_req_policy_own_tags) */
    return policy_eval(r, r->route.bucket, a, obj ? r->route.key : NULL,
                       obj ? r->route.key_len : 0, NULL,
                       gw_perm_is_object(gw_op_perm(r->route.op)) ? GW_POLICY_TAGS_LATER
                                                                   : GW_POLICY_TAGS_CLOSED);
}

gw_policy_result_t gw_req_policy_own_tags(gw_req_t *r, const char *tags)
{
    int obj = 0;
    const char *a = own_action(r, &obj);

    return policy_eval(r, r->route.bucket, a, obj ? r->route.key : NULL,
                       obj ? r->route.key_len : 0, tags ? tags : "", GW_POLICY_TAGS_KNOWN);
}

int gw_req_policy_needs_tags(gw_req_t *r, const char *bucket)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, bucket);

    return b != NULL && b->policy != NULL && gw_policy_uses_existing_tags(b->policy);
}
