/*
 * gateway/s3/s3_post.c: POST Object, a browser's HTML form upload (see s3_post.h).
 *
 * The form is parsed in place in the body h2o buffered (post_form.c): a body over 4 MiB is an
 * mmapped temp file (gateway/http/body_pager.h), so the file's end is searched in windows that
 * are released as the scan goes, and the file's bytes reach storage through PutObject's
 * chunked path, which streams from the same mapping: a 1 GiB form keeps the gateway's memory
 * flat as a 1 GiB PUT does. Fields are S3's (PostObject): key (with ${filename}), acl,
 * Content-Type and the other stored headers, x-amz-meta-*, tagging (a Tagging XML document),
 * success_action_redirect (or redirect) and success_action_status; the signature fields
 * (gateway/auth/s3_auth.h, gw_auth_verify_post) and the policy they sign
 * (gateway/auth/post_policy.h). x-amz-* fields asking for what we cannot honour (encryption,
 * storage classes, object lock, ...) are refused as the same headers on a PUT are
 * (s3_refuse.c). Loop thread only.
 */
#include "gateway/s3/s3_sse.h"
#include "gateway/s3/s3_post.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "gateway/auth/auth_req.h"
#include "gateway/auth/post_policy.h"
#include "gateway/auth/s3_uri.h"
#include "gateway/gateway.h"
#include "gateway/http/body_pager.h"
#include "gateway/s3/post_form.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket.h"
#include "gateway/s3/s3_object.h"
#include "gateway/s3/s3_refuse.h"
#include "gateway/s3/s3_tagging.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/tags.h"

#define FILENAME_VAR "${filename}"

struct gw_post {
    gw_form_t form;                       /* fields point into the request's body */
    gw_post_field_t fields[GW_FORM_FIELDS_MAX]; /* the form's, the key after ${filename} */
    cn_slice_t file;                      /* the file's bytes in the body */
    char key[GW_KEY_MAX + 1];             /* the object's key */
    char msg[GW_POST_MSG_MAX];            /* a policy error's message, answered from here */
};

void gw_post_free(gw_post_t *p)
{
    cn_free(p);
}

/* A form field by lower-case name, for s3_refuse.c's header lookups. */
static cn_slice_t form_field(const void *arg, const char *lname)
{
    return gw_form_get(&((const gw_post_t *)arg)->form, lname);
}

static int name_is(cn_slice_t s, const char *lit)
{
    return s.len == strlen(lit) && strncasecmp(s.ptr, lit, s.len) == 0;
}

/* The end of the file's bytes: the first delimiter after file_at, scanned in windows of
 * GW_BODY_STEP that are released behind the scan (a 1 GiB body is not made resident). 0 with
 * *end, or -1 when the body has no delimiter after the file. */
static int find_file_end(const char *body, size_t len, size_t file_at, cn_slice_t boundary,
                         size_t *end)
{
    size_t overlap = boundary.len + 4, pos = file_at;

    while (pos < len) {
        size_t n = len - pos < GW_BODY_STEP ? len - pos : GW_BODY_STEP;
        size_t at;

        if (gw_form_find_delim(body + pos, n, boundary, &at)) {
            *end = pos + at;
            return 0;
        }
        gw_body_pager_release(body + pos, n);
        if (pos + n >= len)
            break;
        pos += n > overlap ? n - overlap : n;
    }
    return -1;
}

/* The key field with ${filename} replaced by the file's name, into p->key. */
static gw_s3_err_t make_key(gw_post_t *p, const char **msg)
{
    cn_slice_t k = gw_form_get(&p->form, "key");
    const char *var;
    size_t n = 0;

    if (k.ptr == NULL) {
        *msg = "Bucket POST must contain a field named 'key'.  If it is specified, please "
               "check the order of the fields.";
        return GW_S3_INVALID_ARGUMENT;
    }
    var = k.len >= strlen(FILENAME_VAR) ? memmem(k.ptr, k.len, FILENAME_VAR, strlen(FILENAME_VAR))
                                        : NULL;
    if (var != NULL) {
        size_t pre = (size_t)(var - k.ptr), post = k.len - pre - strlen(FILENAME_VAR);
        if (pre + p->form.filename.len + post > GW_KEY_MAX)
            return GW_S3_KEY_TOO_LONG;
        memcpy(p->key, k.ptr, pre);
        memcpy(p->key + pre, p->form.filename.ptr, p->form.filename.len);
        memcpy(p->key + pre + p->form.filename.len, var + strlen(FILENAME_VAR), post);
        n = pre + p->form.filename.len + post;
    } else {
        if (k.len > GW_KEY_MAX)
            return GW_S3_KEY_TOO_LONG;
        memcpy(p->key, k.ptr, k.len);
        n = k.len;
    }
    p->key[n] = '\0';
    if (n == 0) {
        *msg = "User key must have a length greater than 0.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (memchr(p->key, '\0', n) != NULL) { /* keys cannot hold NUL (versions use it) */
        *msg = "Object key must not contain a NUL character.";
        return GW_S3_INVALID_ARGUMENT;
    }
    /* the policy sees the key as it will be stored */
    for (size_t i = 0; i < p->form.nfields; i++) {
        p->fields[i] = p->form.fields[i];
        if (name_is(p->fields[i].name, "key"))
            p->fields[i].value = cn_slice(p->key, n);
    }
    return GW_S3_OK;
}

/* The policy field decoded from base64 into out: 0, or -1 when it is not base64. */
static int decode_policy(cn_slice_t b64, cn_buf_t *out)
{
    size_t cap = b64.len / 4 * 3;

    if (cap > GW_POST_POLICY_MAX)
        return -1;
    cn_buf_reserve(out, cap + 1);
    return cn_base64_decode(b64.ptr, b64.len, out->data, cap, &out->len) == 0 ? 0 : -1;
}

/* The form meets its policy (the signature made sure the policy is the signer's). */
static gw_s3_err_t check_policy(gw_req_t *r, gw_post_t *p, char *msg, size_t msg_len)
{
    gw_post_policy_t *pol = NULL;
    cn_buf_t json;
    gw_s3_err_t e;

    cn_buf_init(&json);
    if (decode_policy(gw_form_get(&p->form, "policy"), &json) != 0) {
        snprintf(msg, msg_len, "Invalid Policy: Invalid Base64 encoding.");
        cn_buf_dispose(&json);
        return GW_S3_INVALID_POLICY_DOCUMENT;
    }
    e = gw_post_policy_parse(json.data ? json.data : "", json.len, &pol, msg, msg_len);
    cn_buf_dispose(&json);
    if (e != GW_S3_OK)
        return e;
    e = gw_post_policy_check(pol, cn_now_ms(), p->fields, p->form.nfields, r->route.bucket,
                             p->file.len, msg, msg_len);
    gw_post_policy_free(pol);
    return e;
}

gw_s3_err_t gw_post_authenticate(gw_req_t *r, const char **msg)
{
    h2o_req_t *req = r->http.req;
    const char *body = req->entity.base ? req->entity.base : "";
    cn_slice_t boundary;
    gw_auth_post_t ap;
    gw_post_t *p;
    size_t end;
    gw_s3_err_t e;

    *msg = NULL;
    if (gw_form_boundary(gw_req_header(r, "content-type"), &boundary) != 0) {
        *msg = "Bucket POST must be of the enclosure-type multipart/form-data";
        return GW_S3_PRECONDITION_FAILED;
    }
    if (r->post == NULL)
        r->post = cn_calloc(1, sizeof(*r->post));
    p = r->post;
    if ((e = gw_form_parse(body, req->entity.len, boundary, &p->form, msg)) != GW_S3_OK)
        return e;
    if (find_file_end(body, req->entity.len, p->form.file_at, boundary, &end) != 0)
        return GW_S3_MALFORMED_POST_REQUEST;
    p->file = cn_slice(body + p->form.file_at, end - p->form.file_at);
    ap = (gw_auth_post_t){
        .policy = gw_form_get(&p->form, "policy"),
        .algorithm = gw_form_get(&p->form, "x-amz-algorithm"),
        .credential = gw_form_get(&p->form, "x-amz-credential"),
        .amz_date = gw_form_get(&p->form, "x-amz-date"),
        .signature = gw_form_get(&p->form, "x-amz-signature"),
        .access_key_id = gw_form_get(&p->form, "awsaccesskeyid"),
        .signature_v2 = gw_form_get(&p->form, "signature"),
    };
    if ((e = gw_req_authenticate_form(r, &ap)) != GW_S3_OK) {
        *msg = r->auth.err_message;
        return e;
    }
    if ((e = make_key(p, msg)) != GW_S3_OK)
        return e;
    memcpy(r->route.key, p->key, strlen(p->key) + 1);
    r->route.key_len = strlen(p->key);
    snprintf(r->resource, sizeof(r->resource), "/%s/%s", r->route.bucket, p->key);
    if (!r->anonymous && (e = check_policy(r, p, p->msg, sizeof(p->msg))) != GW_S3_OK) {
        *msg = p->msg;
        return e;
    }
    return GW_S3_OK;
}

gw_s3_err_t gw_post_apply(gw_req_t *r, const char **msg)
{
    gw_post_t *p = r->post;
    cn_slice_t v;
    gw_s3_err_t e;

    *msg = NULL;
    /* the form's fields, not the request's headers, describe the object */
    r->acl[0] = '\0';
    cn_free(r->grants);
    r->grants = NULL;
    cn_free(r->tags);
    r->tags = NULL;
    r->checksum_name[0] = '\0';
    if ((v = gw_form_get(&p->form, "acl")).ptr != NULL) {
        snprintf(r->acl, sizeof(r->acl), "%.*s", (int)v.len, v.ptr);
        if (v.len >= sizeof(r->acl) || !gw_acl_canned_valid(r->acl))
            return GW_S3_INVALID_ARGUMENT;
    }
    if ((v = gw_form_get(&p->form, "tagging")).ptr != NULL &&
        (e = gw_req_read_tagging_xml(r, v, GW_TAGS_OBJECT_MAX, msg)) != GW_S3_OK)
        return e;
    /* what a PUT with these fields as headers could not honour, a POST cannot either */
    if ((e = gw_refuse_check(GW_OP_PUT_OBJECT, NULL, 0, form_field, p, msg)) != GW_S3_OK)
        return e;
    /* a PUT honours them (s3_objlock.c reads its headers); a form's are not read yet */
    if (form_field(p, "x-amz-object-lock-mode").ptr ||
        form_field(p, "x-amz-object-lock-retain-until-date").ptr ||
        form_field(p, "x-amz-object-lock-legal-hold").ptr) {
        *msg = "Object Lock fields (x-amz-object-lock-*) of a POST form are not supported yet.";
        return GW_S3_NOT_IMPLEMENTED;
    }
    for (size_t i = 0; i < p->form.nfields; i++) {
        cn_slice_t n = p->form.fields[i].name;
        if (n.len > 15 && strncasecmp(n.ptr, "x-amz-checksum-", 15) == 0) {
            *msg = "POST Object with x-amz-checksum-* fields is not supported yet.";
            return GW_S3_NOT_IMPLEMENTED;
        }
        /* a PUT honours them (s3_sse.c); a form's are not read yet: the object would be
         * stored unencrypted */
        if (n.len >= 28 && strncasecmp(n.ptr, "x-amz-server-side-encryption", 28) == 0) {
            *msg = "Server-side encryption fields (x-amz-server-side-encryption*) of a POST "
                   "form are not supported yet.";
            return GW_S3_NOT_IMPLEMENTED;
        }
    }
    r->body = p->file;
    return GW_S3_OK;
}

/* The file's ETag and its chunks' MD5s are known (gw_req_hash_etag): store it. */
static void post_hashed(gw_req_t *r, gw_s3_err_t e)
{
    gw_obj_op_t *o = r->op;
    uint8_t md5[CN_MD5_LEN];

    (void)e; /* always GW_S3_OK */
    gw_req_body_md5(r, o->body, md5);
    cn_hex(md5, sizeof(md5), o->etag);
    gw_obj_put_start(r);
}

void gw_s3_post_object(gw_req_t *r)
{
    gw_post_t *p = r->post;
    gw_post_field_t f[GW_FORM_FIELDS_MAX + 1];
    size_t n = 0;
    gw_obj_op_t *o;

    if (gw_s3_sse_refuse_plain(r))
        return;
    if (r->body.len > r->srv->conf.max_object_size) {
        gw_req_error(r, GW_S3_ENTITY_TOO_LARGE, NULL);
        return;
    }
    if (gw_quota_refuses(r, r->body.len))
        return;
    o = gw_obj_op_new(r, r->route.bucket, strlen(r->route.bucket));
    cn_buf_append(&o->key, "/", 1);
    cn_buf_append(&o->key, r->route.key, r->route.key_len);
    gw_obj_version_for_write(r, o);
    o->body = r->body;
    /* the stored headers from the form; the file part's own Content-Type when the form
     * names none (a browser sends the file's type there) */
    for (size_t i = 0; i < p->form.nfields; i++)
        f[n++] = p->form.fields[i];
    if (gw_form_get(&p->form, "content-type").ptr == NULL && p->form.file_type.ptr != NULL)
        f[n++] = (gw_post_field_t){cn_slice("content-type", 12), p->form.file_type};
    gw_obj_meta_from_fields(r, f, n, &o->meta);
    gw_req_hash_etag(r, o->body, post_hashed); /* the file's MD5s, off the loop when large */
}

/* "http(s)://host/bucket/key" of the new object, as S3 names it in Location. */
static void object_url(gw_req_t *r, cn_buf_t *out)
{
    h2o_req_t *req = r->http.req;

    cn_buf_append_str(out, gw_http_is_secure(&r->http) ? "https://" : "http://");
    cn_buf_append(out, req->authority.base, req->authority.len);
    cn_buf_append(out, "/", 1);
    cn_buf_append_str(out, r->route.bucket);
    cn_buf_append(out, "/", 1);
    gw_uri_encode(out, r->route.key, r->route.key_len, 1);
}

/* 303 to the redirect URL with bucket, key and etag appended as S3 does; 0, or -1 when the
 * URL is not one (then the status field decides, as S3 does). */
static int redirect(gw_req_t *r, cn_slice_t url, const char *etag)
{
    cn_buf_t loc;

    if (!(url.len > 7 && strncasecmp(url.ptr, "http://", 7) == 0) &&
        !(url.len > 8 && strncasecmp(url.ptr, "https://", 8) == 0))
        return -1;
    if (memchr(url.ptr, '\r', url.len) || memchr(url.ptr, '\n', url.len))
        return -1;
    cn_buf_init(&loc);
    cn_buf_append(&loc, url.ptr, url.len);
    cn_buf_append_str(&loc, memchr(url.ptr, '?', url.len) ? "&bucket=" : "?bucket=");
    gw_uri_encode(&loc, r->route.bucket, strlen(r->route.bucket), 0);
    cn_buf_append_str(&loc, "&key=");
    gw_uri_encode(&loc, r->route.key, r->route.key_len, 0);
    cn_buf_append_str(&loc, "&etag=");
    gw_uri_encode(&loc, etag, strlen(etag), 0);
    gw_req_add_header(r, "location", loc.data, loc.len);
    gw_req_send_empty(r, 303);
    cn_buf_dispose(&loc);
    return 0;
}

void gw_post_reply(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    gw_post_t *p = r->post;
    cn_slice_t status = gw_form_get(&p->form, "success_action_status");
    cn_slice_t url = gw_form_get(&p->form, "success_action_redirect");
    char etag[80];
    cn_buf_t loc, x;

    snprintf(etag, sizeof(etag), "\"%s\"", o->etag);
    if (url.ptr == NULL)
        url = gw_form_get(&p->form, "redirect");
    if (url.ptr != NULL && redirect(r, url, etag) == 0)
        return;
    cn_buf_init(&loc);
    object_url(r, &loc);
    gw_req_add_header(r, "etag", etag, strlen(etag));
    gw_req_add_header(r, "location", loc.data, loc.len);
    if (status.len == 3 && memcmp(status.ptr, "201", 3) == 0) {
        cn_buf_init(&x);
        gw_xml_decl(&x);
        gw_xml_open(&x, "PostResponse");
        gw_xml_text_elem(&x, "Location", loc.data, loc.len);
        gw_xml_str_elem(&x, "Bucket", r->route.bucket);
        gw_xml_text_elem(&x, "Key", r->route.key, r->route.key_len);
        gw_xml_str_elem(&x, "ETag", etag);
        gw_xml_close(&x, "PostResponse");
        gw_req_send_xml(r, 201, &x);
        cn_buf_dispose(&x);
    } else if (status.len == 3 && memcmp(status.ptr, "200", 3) == 0) {
        gw_req_send_empty(r, 200);
    } else {
        gw_req_send_empty(r, 204); /* S3's default, and its answer to any other value */
    }
    cn_buf_dispose(&loc);
}
