/*
 * gateway/s3/s3_multipart.c: multipart uploads: Create, UploadPart, Complete, Abort, ListParts
 * and ListMultipartUploads. Every piece of state is an internal record in the cluster, placed
 * by the ring like any key, so that any gateway can serve any step:
 *   "\x01u/<bucket>/<key>/<uploadId>"          the upload marker; meta = the final object's
 *                                              metadata (Content-Type, x-amz-meta-*, owner,
 *                                              ACL) and the upload's initiator
 *   "\x01p/<bucket>/<key>/<uploadId>/<%05u>"   a part record: flags CN_OBJ_MANIFEST, size =
 *                                              the part's, etag = MD5 hex, body = a one-segment
 *                                              manifest of the part's chunks
 *   "\x01c/<bucket>/<key>/<uploadId>.<%05u>.<%016x>/<%06u>"  the part's chunks (a new random
 *                                              version per upload of a part number, so two
 *                                              uploads of one part, or of one key, never mix)
 * Complete reads the named part records, checks ETags, checksums, order and sizes, and
 * writes the object's manifest with one segment per part (the parts' chunks become the
 * object's) and its parts table (manifest.h), then replaces the marker by a completed one
 * and deletes, in the background, the part records and the chunks of parts that were
 * uploaded but not used. Abort deletes the marker, then the parts in the background.
 * Checksums (issue 16): an upload created with x-amz-checksum-algorithm (MPU_CKALG in its
 * marker) keeps each part's checksum of that algorithm in the part record's metadata (one a
 * part sent, or one computed here), Complete checks those the request names and gives the
 * object the composite checksum (mpu_sum.h) as its x-amz-checksum-<alg> pair.
 * The object a Complete makes names its upload and the parts Complete named (MPU_OBJ_ID,
 * MPU_OBJ_PARTS in its metadata), so that a second Complete of an upload whose marker is gone
 * answers as the first did (S3 does) when the object's latest version is still that upload's
 * with the same parts; else NoSuchUpload. Nothing of a completed upload stays behind.
 * Known limit: ListMultipartUploads orders by "<key>/<uploadId>", which differs from S3's
 * key order only for keys that hold bytes below '/'.
 */
#include "gateway/s3/s3_sse.h"
#include "gateway/s3/s3_objlock.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/chunk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket.h"
#include "gateway/s3/s3_copy.h"
#include "gateway/s3/s3_multipart.h"
#include "gateway/auth/access_req.h"
#include "gateway/auth/auth_req.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/mpu_sum.h"
#include "gateway/link/stor_link.h"
#include "gateway/gateway.h"

#define MPU_ID_LEN 32
#define MPU_MIN_PART_SIZE (5ull * 1024 * 1024)
#define MPU_WINDOW 8 /* part record reads in flight */
/* Internal pairs of an upload marker's metadata (manifest.h's ':' names) */
#define MPU_CKALG ":ckalg"         /* the upload's checksum algorithm ("CRC32"...) */
/* ... and of a completed object's */
#define MPU_OBJ_ID ":mpu_id"       /* the upload that made it */
#define MPU_OBJ_PARTS ":mpu_parts" /* SHA-256 hex of the parts Complete named (parts_digest) */

/* ---- keys ------------------------------------------------------------------------------ */

/* "\x01<kind>/<bucket>/<key>/" into k (reset first): the head of every upload key */
static void upload_key(cn_buf_t *k, char kind, gw_req_t *r)
{
    cn_buf_reset(k);
    cn_buf_appendf(k, "\x01%c/%s/", kind, r->route.bucket);
    cn_buf_append(k, r->route.key, r->route.key_len);
    cn_buf_append(k, "/", 1);
}

/* the upload marker of upload id */
static void marker_key(cn_buf_t *k, gw_req_t *r, const char *id)
{
    upload_key(k, 'u', r);
    cn_buf_appendf(k, "%s", id);
}

/* the prefix of an upload's part records; the records are prefix + "%05u" */
static void parts_prefix(cn_buf_t *k, gw_req_t *r, const char *id)
{
    upload_key(k, 'p', r);
    cn_buf_appendf(k, "%s/", id);
}

/* A part record's number from its listed key (prefix_len bytes of prefix, then 5 digits).
 * Returns 1, or 0 for a common prefix or a key of another form. */
static int part_number_of(const cn_list_entry_t *e, size_t prefix_len, uint32_t *num)
{
    *num = 0;
    if ((e->flags & CN_LIST_PREFIX) || e->key.len != prefix_len + 5)
        return 0;
    for (size_t j = 0; j < 5; j++) {
        char c = e->key.ptr[prefix_len + j];
        if (c < '0' || c > '9')
            return 0;
        *num = *num * 10 + (uint32_t)(c - '0');
    }
    return 1;
}

static int upload_id_valid(const char *id, size_t n)
{
    if (n != MPU_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

/* Reads uploadId from the query. Returns 1 valid; 0 missing or malformed, and then the
 * request is answered NoSuchUpload. */
static int get_upload_id(gw_req_t *r, char id[MPU_ID_LEN + 1])
{
    size_t ql;
    const char *q = gw_req_query(r, &ql);
    cn_buf_t v;
    int ok;

    cn_buf_init(&v);
    ok = gw_query_get(q, ql, "uploadId", &v) == 1 && upload_id_valid(v.data, v.len);
    if (ok)
        memcpy(id, v.data, MPU_ID_LEN + 1);
    cn_buf_dispose(&v);
    if (!ok)
        gw_req_error(r, GW_S3_NO_SUCH_UPLOAD, NULL);
    return ok;
}

/* Parses an optional unsigned query parameter. Returns 0 (absent: *out untouched), 1 set, or
 * CN_EINVAL. */
static int get_uint_param(gw_req_t *r, const char *name, uint64_t max, uint64_t *out)
{
    size_t ql;
    const char *q = gw_req_query(r, &ql);
    cn_buf_t v;
    int rc;

    cn_buf_init(&v);
    rc = gw_query_get(q, ql, name, &v);
    if (rc == 1) {
        char *end;
        unsigned long long x;
        if (v.len == 0 || v.data[0] == '-' || v.len > 19) {
            rc = CN_EINVAL;
        } else {
            x = strtoull(v.data, &end, 10);
            if (*end)
                rc = CN_EINVAL;
            else
                *out = x > max ? max : x;
        }
    }
    cn_buf_dispose(&v);
    return rc;
}

/* The pairs of a marker's metadata that name an upload's people (upload_people_xml) */
#define MPU_PEOPLE_PICK GW_META_OWNER "," GW_META_INITIATOR
/* ... and what ListMultipartUploads shows too */
#define MPU_LIST_PICK MPU_PEOPLE_PICK "," MPU_CKALG

/* The value of pair name of encoded metadata meta into out (cap bytes): 1, or 0 when it has
 * none (or it does not fit, or meta does not decode). */
static int meta_value(cn_slice_t meta, const char *name, char *out, size_t cap)
{
    gw_meta_t m;
    int found = 0;

    out[0] = '\0';
    if (!meta.ptr || gw_meta_decode(meta.ptr, meta.len, &m) != 0)
        return 0;
    for (size_t i = 0; i < m.n && !found; i++)
        if (strcmp(m.pairs[i].name, name) == 0 && strlen(m.pairs[i].value) < cap) {
            snprintf(out, cap, "%s", m.pairs[i].value);
            found = 1;
        }
    gw_meta_dispose(&m);
    return found;
}

/* The additional checksum pair of encoded metadata (a part record's) as
 * "x-amz-checksum-<alg>=<base64>" into out, or "". */
static void meta_checksum(cn_slice_t meta, char *out, size_t cap)
{
    gw_meta_t m;

    out[0] = '\0';
    if (!meta.ptr || gw_meta_decode(meta.ptr, meta.len, &m) != 0)
        return;
    for (size_t i = 0; i < m.n; i++)
        if (gw_checksum_alg(m.pairs[i].name, strlen(m.pairs[i].name)) != GW_CK_NONE) {
            snprintf(out, cap, "%s=%s", m.pairs[i].name, m.pairs[i].value);
            break;
        }
    gw_meta_dispose(&m);
}

/* Splits "x-amz-checksum-<alg>=<base64>" (a part's or the object's) into its algorithm and
 * its value (borrowed). GW_CK_NONE when it is "" or of another form. */
static gw_checksum_alg_t checksum_split(const char *pair, const char **value)
{
    const char *eq = strchr(pair, '=');

    *value = eq ? eq + 1 : "";
    return eq ? gw_checksum_alg(pair, (size_t)(eq - pair)) : GW_CK_NONE;
}

/* An upload's Initiator and Owner from the picked pairs of its marker's entry e (a listing
 * with MPU_PEOPLE_PICK, or cn_list_pick_meta of the marker's metadata). The Initiator is
 * who created the upload; a marker from before GW_META_INITIATOR names only the owner,
 * which was then the creator (or, under BucketOwnerEnforced, the bucket's owner). The Owner
 * is the object's to be (gw_req_listed_owner). */
static void upload_people_xml(gw_req_t *r, cn_buf_t *b, const cn_list_entry_t *e)
{
    char owner[72], initiator[72];
    cn_slice_t v;

    gw_req_listed_owner(r, e, owner);
    if ((cn_list_entry_meta(e, GW_META_INITIATOR, &v) ||
         cn_list_entry_meta(e, GW_META_OWNER, &v)) &&
        v.len < sizeof(initiator))
        snprintf(initiator, sizeof(initiator), "%.*s", (int)v.len, v.ptr);
    else
        snprintf(initiator, sizeof(initiator), "%s", r->bucket_owner);
    gw_owner_xml(r, b, "Initiator", initiator);
    gw_owner_xml(r, b, "Owner", owner);
}

/* ---- background removal of an upload's parts ----------------------------------------------
 * Lists the part records under prefix; a record whose part number is in keep (a bitmap over
 * 1..10000, may be NULL) loses only its record, the others lose their chunks too. */

struct sweep {
    gw_server_t *srv;
    cn_buf_t prefix;
    cn_buf_t after;
    uint8_t *keep;
};

struct sweep_get {
    gw_server_t *srv;
    char *key;
    size_t key_len;
};

static void sweep_list(struct sweep *sw);

static void on_sweep_get(int status, cn_msg_t *resp, void *arg)
{
    struct sweep_get *g = arg;
    int rc = status ? status : cn_msg_rc(resp);
    cn_manifest_t m = {0};

    if (rc == 0) {
        cn_slice_t b = cn_msg_body(resp);
        if (cn_manifest_decode(b.ptr ? b.ptr : "", b.len, &m) == 0)
            gw_chunk_delete_all(g->srv, &m);
        cn_manifest_dispose(&m);
    }
    if (resp)
        cn_msg_free(resp);
    gw_stor_delete_bg(g->srv, g->key, g->key_len);
    cn_free(g->key);
    cn_free(g);
}

static void sweep_free(struct sweep *sw)
{
    cn_buf_dispose(&sw->prefix);
    cn_buf_dispose(&sw->after);
    cn_free(sw->keep);
    cn_free(sw);
}

static void on_sweep_list(int status, gw_list_out_t *out, void *arg)
{
    struct sweep *sw = arg;

    if (status != 0 || !out) {
        CN_LOG(CN_LOG_WARN, "multipart cleanup of %s: %s (parts stay behind)",
               sw->prefix.data + 1, cn_strerror(status));
        gw_list_out_free(out);
        sweep_free(sw);
        return;
    }
    for (size_t i = 0; i < out->n; i++) {
        const cn_list_entry_t *e = out->ents[i];
        uint32_t num;
        if (!part_number_of(e, sw->prefix.len, &num))
            continue;
        if (sw->keep && num <= GW_MPU_MAX_PARTS && (sw->keep[num / 8] & (1u << (num % 8)))) {
            gw_stor_delete_bg(sw->srv, e->key.ptr, e->key.len);
            continue;
        }
        struct sweep_get *g = cn_calloc(1, sizeof(*g));
        cn_msg_t *m = cn_msg_new(CN_OP_GET);
        g->srv = sw->srv;
        g->key = cn_memdup0(e->key.ptr, e->key.len);
        g->key_len = e->key.len;
        cn_msg_set_bytes(m, "key", e->key.ptr, e->key.len);
        if (gw_stor_send(sw->srv, e->key.ptr, e->key.len, m, on_sweep_get, g) != 0) {
            cn_free(g->key);
            cn_free(g);
        }
    }
    if (out->truncated && out->n) {
        const cn_list_entry_t *last = out->ents[out->n - 1];
        cn_buf_reset(&sw->after);
        cn_buf_append(&sw->after, last->key.ptr, last->key.len);
        gw_list_out_free(out);
        sweep_list(sw);
        return;
    }
    gw_list_out_free(out);
    sweep_free(sw);
}

static void sweep_list(struct sweep *sw)
{
    if (gw_stor_list(sw->srv, sw->prefix.data, sw->prefix.len, sw->after.data, sw->after.len,
                     1000, NULL, on_sweep_list, sw) != 0) {
        CN_LOG(CN_LOG_WARN, "multipart cleanup of %s: no storage node", sw->prefix.data + 1);
        sweep_free(sw);
    }
}

/* Takes ownership of keep. */
static void sweep_start(gw_server_t *s, const cn_buf_t *prefix, uint8_t *keep)
{
    struct sweep *sw = cn_calloc(1, sizeof(*sw));
    sw->srv = s;
    cn_buf_init(&sw->prefix);
    cn_buf_init(&sw->after);
    cn_buf_append(&sw->prefix, prefix->data, prefix->len);
    sw->keep = keep;
    sweep_list(sw);
}

/* ---- the operation state of Create, Complete, Abort, ListParts, ListMultipartUploads ----- */

struct part_info {
    uint32_t number;
    char etag[72];
    uint64_t size;
    uint64_t mtime;
    cn_manifest_t man;
    int have;
    char checksum[128];       /* the record's: "x-amz-checksum-<alg>=<base64>", or "" */
    const gw_xml_part_t *req; /* Complete: the request's part (its checksum), else NULL */
};

/* What a part record read means to the operation: the S3 error to answer, or GW_S3_OK. */
typedef gw_s3_err_t (*part_check_fn)(struct part_info *p, int rc, cn_msg_t *resp);

struct mpu_op {
    char id[MPU_ID_LEN + 1];
    cn_buf_t okey;      /* "bucket/key" */
    cn_buf_t mkey;      /* the marker */
    cn_buf_t pprefix;   /* the part records' prefix */
    cn_buf_t meta;      /* the final object's metadata (from the marker) */
    /* Complete and ListParts: the part records read, MPU_WINDOW at a time (parts_fetch) */
    struct part_info *parts;
    size_t nparts, next, inflight;
    gw_s3_err_t err;
    part_check_fn part_check;          /* judges each record read */
    void (*parts_done)(gw_req_t *r);   /* then, when all are read and o->err is GW_S3_OK */
    /* Complete */
    gw_xml_part_t *req_parts;
    cn_manifest_t man, old_man;
    int have_old;
    char etag[48];
    uint64_t clock;                    /* a new version's (version.h), else 0 */
    char vid[CN_VER_ID_LEN + 1];       /* x-amz-version-id of the object, "": none */
    cn_wcond_t wcond;                  /* If-None-Match / If-Match (s3_wcond.h) */
    gw_checksum_alg_t alg;             /* the upload's checksum algorithm, or GW_CK_NONE */
    char sum[128];                     /* the object's "x-amz-checksum-<alg>=<composite>" */
    char parts_hex[2 * CN_SHA256_LEN + 1]; /* parts_digest of the request */
    /* ListMultipartUploads with a delimiter (uploads_page) */
    cn_buf_t delim, after, uploads_xml, prefixes_xml, last_prefix, next_key, next_id;
    uint64_t emitted;
    int truncated;
    /* ListParts / ListMultipartUploads */
    uint64_t max, marker_num;
    cn_buf_t key_marker, id_marker, prefix;
    gw_list_out_t *list;
    struct gw_obj_sse *sse;  /* CreateMultipartUpload of an encrypted upload (s3_sse.h) */
};

static void mpu_free(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_buf_dispose(&o->okey);
    cn_buf_dispose(&o->mkey);
    cn_buf_dispose(&o->pprefix);
    cn_buf_dispose(&o->meta);
    cn_buf_dispose(&o->key_marker);
    cn_buf_dispose(&o->id_marker);
    cn_buf_dispose(&o->prefix);
    cn_buf_dispose(&o->delim);
    cn_buf_dispose(&o->after);
    cn_buf_dispose(&o->uploads_xml);
    cn_buf_dispose(&o->prefixes_xml);
    cn_buf_dispose(&o->last_prefix);
    cn_buf_dispose(&o->next_key);
    cn_buf_dispose(&o->next_id);
    cn_free(o->req_parts);
    for (size_t i = 0; o->parts && i < o->nparts; i++)
        cn_manifest_dispose(&o->parts[i].man);
    cn_free(o->parts);
    cn_manifest_dispose(&o->man);
    cn_manifest_dispose(&o->old_man);
    gw_list_out_free(o->list);
    gw_s3_sse_free(o->sse);
    cn_free(o);
    r->op = NULL;
}

static struct mpu_op *mpu_new(gw_req_t *r)
{
    struct mpu_op *o = cn_calloc(1, sizeof(*o));
    cn_buf_init(&o->okey);
    cn_buf_init(&o->mkey);
    cn_buf_init(&o->pprefix);
    cn_buf_init(&o->meta);
    cn_buf_init(&o->key_marker);
    cn_buf_init(&o->id_marker);
    cn_buf_init(&o->prefix);
    cn_buf_init(&o->delim);
    cn_buf_init(&o->after);
    cn_buf_init(&o->uploads_xml);
    cn_buf_init(&o->prefixes_xml);
    cn_buf_init(&o->last_prefix);
    cn_buf_init(&o->next_key);
    cn_buf_init(&o->next_id);
    cn_buf_appendf(&o->okey, "%s/", r->route.bucket);
    cn_buf_append(&o->okey, r->route.key, r->route.key_len);
    r->op = o;
    r->op_free = mpu_free;
    return o;
}

/* Sends m for key (write: the object's own key, through gw_obj_write_send); on routing
 * failure answers 503 and returns -1. */
static int send_as(gw_req_t *r, const cn_buf_t *key, cn_msg_t *m, cn_rpc_done_fn cb, int write)
{
    int rc;

    r->http.pending++;
    rc = write ? gw_obj_write_send(r->srv, key->data, key->len, m, cb, r)
               : gw_stor_send(r->srv, key->data, key->len, m, cb, r);
    if (rc != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
        return -1;
    }
    return 0;
}

static int send_for(gw_req_t *r, const cn_buf_t *key, cn_msg_t *m, cn_rpc_done_fn cb)
{
    return send_as(r, key, m, cb, 0);
}

static cn_msg_t *msg_for(const char *op, const cn_buf_t *key)
{
    cn_msg_t *m = cn_msg_new(op);
    cn_msg_set_bytes(m, "key", key->data, key->len);
    return m;
}

/* Completion prologue: frees resp when the request is gone; returns the result code or 1. */
static int rpc_begin(gw_req_t *r, int status, cn_msg_t **resp)
{
    int rc = status ? status : cn_msg_rc(*resp);
    if (gw_req_rpc_done(r)) {
        if (*resp)
            cn_msg_free(*resp);
        *resp = NULL;
        return 1;
    }
    return rc;
}

static int check_key(gw_req_t *r)
{
    if (r->route.key_len == 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "A key is required");
        return -1;
    }
    return 0;
}

/* The request prologue of Complete, Abort and ListParts: a key and a valid uploadId, then
 * the op with its marker and part prefix. NULL when the request has been answered. */
static struct mpu_op *mpu_start(gw_req_t *r)
{
    struct mpu_op *o;

    if (check_key(r) != 0)
        return NULL;
    o = mpu_new(r);
    if (!get_upload_id(r, o->id))
        return NULL;
    marker_key(&o->mkey, r, o->id);
    parts_prefix(&o->pprefix, r, o->id);
    return o;
}

#define MD_OP_META 1    /* marker_done: keep the marker's metadata in the op's meta */

/* The completion prologue of a request on the upload marker (HEAD or DELETE): frees resp
 * (after appending its "meta" to meta_out when not NULL, else to the op's with MD_OP_META;
 * r->op is touched only once r is known to be there), answers NoSuchUpload or the error.
 * Returns 0 when the caller goes on, 1 when the request is answered or gone. */
static int marker_done(gw_req_t *r, int status, cn_msg_t *resp, cn_buf_t *meta_out, int how)
{
    int rc = rpc_begin(r, status, &resp);

    if (rc == 0) {
        cn_slice_t meta = {0};
        if (!meta_out && (how & MD_OP_META))
            meta_out = &((struct mpu_op *)r->op)->meta;
        cn_msg_get_bytes(resp, "meta", &meta);
        if (meta_out && meta.len)
            cn_buf_append(meta_out, meta.ptr, meta.len);
    }
    if (resp)
        cn_msg_free(resp);
    if (rc == 1)
        return 1;
    if (rc == CN_ENOENT) {
        gw_req_error(r, GW_S3_NO_SUCH_UPLOAD, NULL);
        return 1;
    }
    if (rc != 0) {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return 1;
    }
    return 0;
}

/* Lists up to max keys under prefix after start_after for the request, with the metadata
 * pairs pick names (NULL none); on routing failure answers 503. */
static void list_for(gw_req_t *r, const cn_buf_t *prefix, const cn_buf_t *start_after,
                     uint64_t max, const char *pick, gw_list_done_fn cb)
{
    r->http.pending++;
    if (gw_stor_list_pick(r->srv, prefix->data, prefix->len, start_after->data,
                          start_after->len, (uint32_t)max, NULL, pick, cb, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

/* The completion prologue of list_for: frees out and answers the error when the listing
 * failed. Returns 0 when the caller goes on (and owns out), 1 when the request is answered
 * or gone. */
static int list_done(gw_req_t *r, int status, gw_list_out_t *out)
{
    if (gw_req_rpc_done(r)) {
        gw_list_out_free(out);
        return 1;
    }
    if (status != 0 || !out) {
        gw_list_out_free(out);
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return 1;
    }
    return 0;
}

/* put_done after rpc_begin (rc is its result), for a caller that reads the reply first. */
static int put_checked(gw_req_t *r, int rc, cn_msg_t *resp, const char *what)
{
    if (resp)
        cn_msg_free(resp);
    if (rc == 1)
        return 1;
    if (rc != 0 && rc != CN_ESTALE) {
        CN_LOG(CN_LOG_WARN, "%s %s: %s", what, ((struct mpu_op *)r->op)->okey.data,
               cn_strerror(rc));
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return 1;
    }
    return 0;
}

/* The completion prologue of a put of the marker or the object's manifest (a newer version
 * already there, CN_ESTALE, is success): frees resp, logs and answers an error. Returns 0
 * when the caller goes on, 1 when the request is answered or gone. */
static int put_done(gw_req_t *r, int status, cn_msg_t *resp, const char *what)
{
    return put_checked(r, rpc_begin(r, status, &resp), resp, what);
}

/* ---- reading part records (Complete, ListParts) ---------------------------------------- */

struct part_call {
    gw_req_t *r;
    size_t i;
};

static void parts_fetch(gw_req_t *r);

/* Reads a part record's reply into p (mtime, manifest, size) and its ETag into etag.
 * 0, or CN_ECORRUPT when its manifest does not decode. */
static int part_record_read(cn_msg_t *resp, struct part_info *p, char etag[72])
{
    cn_slice_t b = cn_msg_body(resp);

    cn_slice_t meta = {0};

    cn_msg_get_str(resp, "etag", etag, 72);
    cn_msg_get_u64(resp, "mtime", &p->mtime);
    cn_msg_get_bytes(resp, "meta", &meta);
    meta_checksum(meta, p->checksum, sizeof(p->checksum));
    if (cn_manifest_decode(b.ptr ? b.ptr : "", b.len, &p->man) != 0)
        return CN_ECORRUPT;
    p->size = cn_manifest_object_size(&p->man); /* an encrypted part's plaintext */
    return 0;
}

static void on_part_read(int status, cn_msg_t *resp, void *arg)
{
    struct part_call *pc = arg;
    gw_req_t *r = pc->r;
    size_t i = pc->i;
    int rc = rpc_begin(r, status, &resp);
    struct mpu_op *o;

    cn_free(pc);
    if (rc == 1)
        return;
    o = r->op;
    o->inflight--;
    if (o->err == GW_S3_OK)
        o->err = o->part_check(&o->parts[i], rc, resp);
    if (resp)
        cn_msg_free(resp);
    parts_fetch(r);
}

/* Reads the records of o->parts (prefix + "%05u" of each number), MPU_WINDOW at a time;
 * when all are read, calls o->parts_done, or answers o->err. */
static void parts_fetch(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_buf_t k;

    cn_buf_init(&k);
    while (o->err == GW_S3_OK && o->inflight < MPU_WINDOW && o->next < o->nparts) {
        struct part_call *pc = cn_calloc(1, sizeof(*pc));
        size_t i = o->next++;
        cn_buf_reset(&k);
        cn_buf_append(&k, o->pprefix.data, o->pprefix.len);
        cn_buf_appendf(&k, "%05u", (unsigned)o->parts[i].number);
        pc->r = r;
        pc->i = i;
        r->http.pending++;
        o->inflight++;
        if (gw_stor_send(r->srv, k.data, k.len, msg_for(CN_OP_GET, &k), on_part_read, pc) != 0) {
            cn_free(pc);
            r->http.pending--;
            o->inflight--;
            o->err = GW_S3_SERVICE_UNAVAILABLE;
        }
    }
    cn_buf_dispose(&k);
    if (o->inflight)
        return;
    if (o->err != GW_S3_OK)
        gw_req_error(r, o->err, NULL);
    else if (o->next == o->nparts)
        o->parts_done(r);
}

/* ---- CreateMultipartUpload ------------------------------------------------------------- */

static void on_marker_put(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    struct mpu_op *o;
    cn_buf_t b;

    if (put_done(r, status, resp, "create upload") != 0)
        return;
    o = r->op;
    if (o->alg != GW_CK_NONE) {
        const char *name = gw_mpu_sum_name(o->alg);
        gw_req_add_header(r, "x-amz-checksum-algorithm", name, strlen(name));
        gw_req_add_header(r, "x-amz-checksum-type", "COMPOSITE", 9);
    }
    gw_s3_sse_headers(r, o->sse);
    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "InitiateMultipartUploadResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Bucket", r->route.bucket);
    gw_xml_text_elem(&b, "Key", r->route.key, r->route.key_len);
    gw_xml_str_elem(&b, "UploadId", o->id);
    gw_xml_close(&b, "InitiateMultipartUploadResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

/* x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload: *alg, or -1
 * when r was answered the error. Composite checksums only: CRC64NVME and FULL_OBJECT (a CRC
 * of the whole object, combined from its parts' CRCs) are not supported yet. */
static int create_checksum_alg(gw_req_t *r, gw_checksum_alg_t *alg)
{
    cn_slice_t a = gw_req_header(r, "x-amz-checksum-algorithm");
    cn_slice_t t = gw_req_header(r, "x-amz-checksum-type");

    *alg = GW_CK_NONE;
    if (a.ptr && (*alg = gw_mpu_sum_alg(a.ptr, a.len)) == GW_CK_NONE) {
        gw_req_error(r, GW_S3_INVALID_REQUEST,
                     "Checksum algorithm provided is unsupported. Please try again with any of "
                     "the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
        return -1;
    }
    if (t.ptr && !(t.len == 9 && memcmp(t.ptr, "COMPOSITE", 9) == 0) &&
        !(t.len == 11 && memcmp(t.ptr, "FULL_OBJECT", 11) == 0)) {
        gw_req_error(r, GW_S3_INVALID_REQUEST, "Value for x-amz-checksum-type header is invalid.");
        return -1;
    }
    if (t.ptr && *alg == GW_CK_NONE) {
        gw_req_error(r, GW_S3_INVALID_REQUEST,
                     "The x-amz-checksum-type header can only be used with the "
                     "x-amz-checksum-algorithm header.");
        return -1;
    }
    if (*alg == GW_CK_CRC64NVME || (t.ptr && t.len == 11)) {
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                     "Multipart uploads with a FULL_OBJECT checksum (CRC64NVME, or "
                     "x-amz-checksum-type: FULL_OBJECT) are not supported yet; COMPOSITE "
                     "checksums (CRC32, CRC32C, SHA1, SHA256) are.");
        return -1;
    }
    return 0;
}

static void create_put_marker(gw_req_t *r);

void gw_s3_create_multipart(gw_req_t *r)
{
    struct mpu_op *o;
    uint8_t rnd[MPU_ID_LEN / 2];

    if (check_key(r) != 0)
        return;
    o = mpu_new(r);
    if (create_checksum_alg(r, &o->alg) != 0)
        return;
    if (cn_random_bytes(rnd, sizeof(rnd)) != 0) {
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    cn_hex(rnd, sizeof(rnd), o->id);
    marker_key(&o->mkey, r, o->id);
    gw_obj_meta_from_headers(r, &o->meta);
    gw_meta_set(&o->meta, GW_META_INITIATOR, r->requester); /* just encoded: cannot fail */
    if (o->alg != GW_CK_NONE)
        gw_meta_set(&o->meta, MPU_CKALG, gw_mpu_sum_name(o->alg));
    /* the upload's encryption, decided now, goes into the marker (s3_sse.h) */
    gw_s3_sse_create(r, &o->sse, &o->meta, create_put_marker);
}

static void create_put_marker(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_msg_t *m = msg_for(CN_OP_PUT, &o->mkey);

    cn_msg_set_u64(m, "clock", 0);
    cn_msg_set_str(m, "etag", "");
    cn_msg_set_bytes(m, "meta", o->meta.data ? o->meta.data : "", o->meta.len);
    cn_msg_set_u64(m, "flags", 0);
    send_for(r, &o->mkey, m, on_marker_put);
}

/* ---- UploadPart ------------------------------------------------------------------------ */

/* A part of an upload with a checksum algorithm (alg) carries that checksum: the one the
 * request sent and auth_req.c verified, or one computed here. 0, or -1 when r was answered
 * the error. */
static int part_checksum(gw_req_t *r, gw_checksum_alg_t alg)
{
    gw_obj_op_t *o = r->op;
    gw_meta_t meta = {0};
    gw_checksum_alg_t got = gw_checksum_alg(r->checksum_name, strlen(r->checksum_name));
    char msg[160];

    if (o->copy_reply == 2) {
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                     "UploadPartCopy into an upload with a checksum algorithm is not "
                     "supported yet.");
        return -1;
    }
    if (got != GW_CK_NONE && got != alg) {
        /* S3 names them by their header's suffix: "crc32" */
        snprintf(msg, sizeof(msg),
                 "Checksum Type mismatch occurred, expected checksum Type: %s, actual "
                 "checksum Type: %s",
                 gw_mpu_sum_header(alg) + 15, gw_mpu_sum_header(got) + 15);
        gw_req_error(r, GW_S3_INVALID_REQUEST, msg);
        return -1;
    }
    if (got == GW_CK_NONE) {
        snprintf(r->checksum_name, sizeof(r->checksum_name), "%s", gw_mpu_sum_header(alg));
        gw_checksum_b64(alg, o->body.len ? o->body.ptr : "", o->body.len, r->checksum_value);
        cn_buf_reset(&o->meta);
        gw_meta_add(&meta, r->checksum_name, strlen(r->checksum_name), r->checksum_value,
                    strlen(r->checksum_value));
        gw_meta_encode(&meta, &o->meta);
        gw_meta_dispose(&meta);
    }
    return 0;
}

/* The part's bytes go on: copied from the source, or the request's (encrypted first when
 * the upload is, s3_sse.h). */
static void part_go(gw_req_t *r)
{
    if (((gw_obj_op_t *)r->op)->copy_reply == 2)
        gw_s3_upload_part_copy(r);
    else
        gw_obj_put_start(r);
}

static void on_part_marker(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    cn_buf_t meta;
    char alg[16];
    int have_alg;

    cn_buf_init(&meta);
    if (marker_done(r, status, resp, &meta, 0) != 0) {
        cn_buf_dispose(&meta);
        return;
    }
    have_alg = meta_value(cn_slice(meta.data, meta.len), MPU_CKALG, alg, sizeof(alg));
    if (have_alg && part_checksum(r, gw_mpu_sum_alg(alg, strlen(alg))) != 0) {
        cn_buf_dispose(&meta);
        return;
    }
    gw_s3_sse_part(r, cn_slice(meta.data, meta.len), ((gw_obj_op_t *)r->op)->part_number,
                   part_go);
    cn_buf_dispose(&meta);
}

void gw_s3_upload_part(gw_req_t *r)
{
    char id[MPU_ID_LEN + 1];
    uint64_t num = 0, ver;
    uint8_t md5[CN_MD5_LEN];
    cn_buf_t k, mk;
    gw_obj_op_t *o;
    int rc;

    if (check_key(r) != 0)
        return;
    rc = get_uint_param(r, "partNumber", UINT32_MAX, &num);
    if (rc != 1 || num < 1 || num > GW_MPU_MAX_PARTS) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT,
                     "Part number must be an integer between 1 and 10000, inclusive");
        return;
    }
    if (!get_upload_id(r, id))
        return;
    if (r->body.len > r->srv->conf.max_object_size) {
        gw_req_error(r, GW_S3_ENTITY_TOO_LARGE, NULL);
        return;
    }
    if (gw_quota_refuses(r, r->body.len))
        return;
    cn_buf_init(&k);
    cn_buf_init(&mk);
    parts_prefix(&k, r, id);
    cn_buf_appendf(&k, "%05u", (unsigned)num);
    o = gw_obj_op_new(r, k.data, k.len);
    o->body = r->body;
    o->force_chunked = 1;
    o->part_number = (uint32_t)num;
    if (cn_random_bytes(&ver, sizeof(ver)) != 0)
        ver = cn_now_ns();
    upload_key(&k, 'c', r);
    cn_buf_appendf(&k, "%s.%05u.%016" PRIx64 "/", id, (unsigned)num, ver);
    o->chunk_prefix = cn_buf_steal(&k, NULL);
    if (r->checksum_name[0]) {
        gw_meta_t meta = {0};
        gw_meta_add(&meta, r->checksum_name, strlen(r->checksum_name), r->checksum_value,
                    strlen(r->checksum_value));
        gw_meta_encode(&meta, &o->meta);
        gw_meta_dispose(&meta);
    }
    if (gw_req_header(r, "x-amz-copy-source").ptr) {
        o->copy_reply = 2; /* UploadPartCopy: the body comes from the source */
        o->body = cn_slice("", 0);
    } else {
        gw_req_body_md5(r, o->body, md5); /* the body's one pass computed it */
        cn_hex(md5, sizeof(md5), o->etag);
    }
    marker_key(&mk, r, id);
    send_for(r, &mk, msg_for(CN_OP_HEAD, &mk), on_part_marker);
    cn_buf_dispose(&k);
    cn_buf_dispose(&mk);
}

/* ---- CompleteMultipartUpload ----------------------------------------------------------- */

/* The SHA-256 hex of the parts a Complete names ("<number> <etag> <checksum>\n" each): a
 * second Complete of a completed upload answers as the first only for the same parts. */
static void parts_digest(const gw_xml_part_t *p, size_t n, char hex[2 * CN_SHA256_LEN + 1])
{
    cn_buf_t b;
    uint8_t d[CN_SHA256_LEN];

    cn_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        cn_buf_appendf(&b, "%u ", (unsigned)p[i].number);
        for (const char *c = p[i].etag; *c; c++) /* ETags compare without case */
            cn_buf_appendf(&b, "%c", *c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        cn_buf_appendf(&b, " %s=%s\n", p[i].checksum_elem, p[i].checksum);
    }
    cn_sha256(b.data ? b.data : "", b.len, d);
    cn_hex(d, sizeof(d), hex);
    cn_buf_dispose(&b);
}

/* Answers a Complete: the object's ETag (hex, no quotes), version and additional checksum
 * ("x-amz-checksum-<alg>=<value>" or ""). */
static void complete_reply(gw_req_t *r, const char *etag_hex, const char *vid, const char *sum)
{
    char etag[80], loc[GW_BUCKET_MAX + GW_KEY_MAX + 64];
    const char *value;
    gw_checksum_alg_t alg = checksum_split(sum, &value);
    cn_buf_t b;

    snprintf(etag, sizeof(etag), "\"%s\"", etag_hex);
    snprintf(loc, sizeof(loc), "/%s/%.*s", r->route.bucket, (int)r->route.key_len,
             r->route.key);
    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "CompleteMultipartUploadResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Location", loc);
    gw_xml_str_elem(&b, "Bucket", r->route.bucket);
    gw_xml_text_elem(&b, "Key", r->route.key, r->route.key_len);
    gw_xml_str_elem(&b, "ETag", etag);
    if (alg != GW_CK_NONE) {
        gw_xml_str_elem(&b, gw_mpu_sum_element(alg), value);
        gw_xml_str_elem(&b, "ChecksumType", "COMPOSITE");
    }
    gw_xml_close(&b, "CompleteMultipartUploadResult");
    gw_req_add_header(r, "etag", etag, strlen(etag));
    gw_ver_add_headers(r, vid[0] ? vid : NULL, 0);
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

static void on_complete_marker_done(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    struct mpu_op *o;
    uint8_t *keep;

    if (resp)
        cn_msg_free(resp);
    if (gw_req_rpc_done(r))
        return;
    o = r->op;
    if (rc != 0 && rc != CN_ENOENT)
        CN_LOG(CN_LOG_WARN, "req=%s complete: delete of the marker of upload %s: %s", r->reqid,
               o->id, cn_strerror(rc));
    keep = cn_calloc(GW_MPU_MAX_PARTS / 8 + 1, 1);
    for (size_t i = 0; i < o->nparts; i++)
        keep[o->parts[i].number / 8] |= (uint8_t)(1u << (o->parts[i].number % 8));
    sweep_start(r->srv, &o->pprefix, keep);
    if (o->have_old)
        gw_chunk_delete_replaced(r->srv, &o->old_man, &o->man); /* a retried Complete's own */
    gw_s3_sse_headers_of_man(r, &o->man);
    complete_reply(r, o->etag, o->vid, o->sum);
}

static void on_complete_parent(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = rpc_begin(r, status, &resp);
    struct mpu_op *o;
    cn_msg_t *m;

    if (rc == 0) { /* want_prev: the version replaced, whose chunks go once answered */
        o = r->op;
        gw_obj_keep_replaced(resp, &o->old_man, &o->have_old);
    }
    if (put_checked(r, rc, resp, "complete, manifest put of") != 0)
        return;
    o = r->op;
    m = msg_for(CN_OP_DELETE, &o->mkey);
    cn_msg_set_u64(m, "clock", 0);
    send_for(r, &o->mkey, m, on_complete_marker_done);
}

static void complete_put_parent(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_msg_t *m;
    cn_buf_t body;

    /* the completed object is a version of its own as the bucket wants it (version.h) */
    if (gw_ver_bucket_state(r) == GW_VER_ENABLED) {
        o->clock = cn_hlc_next();
        cn_ver_id_make(o->clock, o->vid);
        cn_buf_append(&o->okey, "", 1);
        cn_buf_append(&o->okey, o->vid, CN_VER_ID_LEN);
    } else if (gw_ver_bucket_state(r) == GW_VER_SUSPENDED) {
        snprintf(o->vid, sizeof(o->vid), "%s", CN_VER_NULL);
    }
    m = msg_for(CN_OP_PUT, &o->okey);

    cn_buf_init(&body);
    cn_manifest_encode(&o->man, &body);
    if (gw_meta_set(&o->meta, GW_META_INITIATOR, NULL) != 0) /* the marker's, not the object's */
        CN_LOG(CN_LOG_WARN, "req=%s upload %s: unreadable marker metadata kept as it is",
               r->reqid, o->id);
    gw_meta_set(&o->meta, MPU_CKALG, NULL); /* decoded just above */
    gw_lock_meta_complete(r, &o->meta);     /* the upload's lock, or the bucket's default */
    gw_meta_set(&o->meta, MPU_OBJ_ID, o->id);    /* what a second Complete looks for */
    gw_meta_set(&o->meta, MPU_OBJ_PARTS, o->parts_hex);
    if (o->sum[0]) {
        const char *value;
        gw_checksum_alg_t alg = checksum_split(o->sum, &value);
        gw_meta_set(&o->meta, gw_mpu_sum_header(alg), value);
    }
    cn_msg_set_u64(m, "clock", o->clock);
    cn_msg_set_str(m, "etag", o->etag);
    cn_msg_set_bytes(m, "meta", o->meta.data ? o->meta.data : "", o->meta.len);
    cn_msg_set_u64(m, "flags", CN_OBJ_MANIFEST);
    cn_msg_set_u64(m, "size", cn_manifest_object_size(&o->man)); /* plaintext: listings' */
    cn_msg_set_u64(m, "want_prev", 1); /* the reply says what it replaced */
    cn_wcond_to_msg(&o->wcond, m);      /* a condition: the key's coordinator decides */
    cn_msg_set_body_copy(m, body.data, body.len);
    cn_buf_dispose(&body);
    send_as(r, &o->okey, m, on_complete_parent, 1);
}

/* The object's composite checksum into o->sum, when the upload has an algorithm: every part
 * has a checksum of it (UploadPart saw to it). 0, or -1 when r was answered the error. */
static int complete_sum(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    const char **v;
    char sum[GW_MPU_SUM_MAX];
    int rc = 0;

    if (o->alg == GW_CK_NONE)
        return 0;
    v = cn_calloc(o->nparts, sizeof(*v));
    for (size_t i = 0; i < o->nparts && rc == 0; i++)
        if (checksum_split(o->parts[i].checksum, &v[i]) != o->alg)
            rc = CN_EINVAL;
    if (rc == 0)
        rc = gw_mpu_sum_composite(o->alg, v, o->nparts, sum);
    cn_free(v);
    if (rc != 0) {
        gw_req_error(r, GW_S3_INVALID_PART, NULL);
        return -1;
    }
    snprintf(o->sum, sizeof(o->sum), "%s=%s", gw_mpu_sum_header(o->alg), sum);
    return 0;
}

/* Every named part is read and valid: build the object's manifest. */
static void complete_build(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_digest_t *d = cn_digest_md5_new();
    uint8_t md5[CN_MD5_LEN];
    char hex[2 * CN_MD5_LEN + 1];
    uint64_t total = 0;
    const cn_manifest_t **mans;
    gw_s3_err_t e;

    for (size_t i = 0; i < o->nparts; i++) {
        struct part_info *p = &o->parts[i];
        if (i + 1 < o->nparts && p->size < MPU_MIN_PART_SIZE) {
            cn_digest_final(d, md5);
            gw_req_error(r, GW_S3_ENTITY_TOO_SMALL, NULL);
            return;
        }
        if (strlen(p->etag) != 2 * CN_MD5_LEN || cn_unhex(p->etag, CN_MD5_LEN, md5) != 0) {
            cn_digest_final(d, md5);
            gw_req_error(r, GW_S3_INVALID_PART, NULL);
            return;
        }
        cn_digest_update(d, md5, sizeof(md5));
        for (size_t j = 0; j < p->man.nsegs; j++) {
            cn_manifest_add_seg(&o->man, p->man.segs[j].prefix, p->man.segs[j].prefix_len,
                                p->man.segs[j].size, p->man.segs[j].chunk_size);
            cn_manifest_seg_set_ec(&o->man, o->man.nsegs - 1, p->man.segs[j].ec_k,
                                   p->man.segs[j].ec_m); /* as the part was written */
        }
        if (p->man.nsegs == 0) { /* an empty part: one empty segment keeps the table whole */
            cn_manifest_add_seg(&o->man, "\x01" "e/", 3, 0, 1);
            cn_manifest_add_part(&o->man, p->number, 1, p->checksum);
        } else {
            cn_manifest_add_part(&o->man, p->number, (uint32_t)p->man.nsegs, p->checksum);
        }
        total += p->man.size; /* stored bytes: an encrypted part's are more */
    }
    cn_digest_final(d, md5);
    if (complete_sum(r) != 0)
        return;
    /* an encrypted upload: the object's record, from its parts' (s3_sse.h) */
    mans = cn_calloc(o->nparts ? o->nparts : 1, sizeof(*mans));
    for (size_t i = 0; i < o->nparts; i++)
        mans[i] = &o->parts[i].man;
    e = gw_s3_sse_complete(&o->meta, mans, o->nparts, &o->man);
    cn_free(mans);
    if (e != GW_S3_OK) {
        gw_req_error(r, e, NULL);
        return;
    }
    cn_hex(md5, sizeof(md5), hex);
    snprintf(o->etag, sizeof(o->etag), "%s-%zu", hex, o->nparts);
    o->man.size = total;
    snprintf(o->man.etag, sizeof(o->man.etag), "%s", o->etag);
    complete_put_parent(r);
}

/* A part Complete names must exist with the ETag the client gave. */
static gw_s3_err_t complete_part_check(struct part_info *p, int rc, cn_msg_t *resp)
{
    char etag[72] = "";

    if (rc == CN_ENOENT)
        return GW_S3_INVALID_PART;
    if (rc != 0)
        return gw_s3_err_from_rc(rc);
    rc = part_record_read(resp, p, etag);
    if (strcasecmp(etag, p->etag) != 0)
        return GW_S3_INVALID_PART;
    if (rc != 0)
        return GW_S3_INTERNAL_ERROR;
    snprintf(p->etag, sizeof(p->etag), "%s", etag); /* stored case */
    if (p->req && p->req->checksum_elem[0]) { /* the request's checksum must be the part's */
        const char *value;
        gw_checksum_alg_t alg = checksum_split(p->checksum, &value);
        if (alg == GW_CK_NONE || strcmp(gw_mpu_sum_element(alg), p->req->checksum_elem) != 0 ||
            strcmp(value, p->req->checksum) != 0)
            return GW_S3_INVALID_PART;
    }
    p->have = 1;
    return GW_S3_OK;
}

/* ---- a second Complete: the upload's marker is gone; its object may say it was it ---- */

static void on_again_head(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = rpc_begin(r, status, &resp);
    struct mpu_op *o;
    cn_slice_t meta = {0};
    char id[MPU_ID_LEN + 1], hex[2 * CN_SHA256_LEN + 1], etag[80] = "", sum[128];
    char vid[CN_VER_ID_LEN + 1] = "";
    int same = 0;

    if (rc == 1)
        return;
    o = r->op;
    if (rc == 0) {
        cn_msg_get_bytes(resp, "meta", &meta);
        cn_msg_get_str(resp, "etag", etag, sizeof(etag));
        same = meta_value(meta, MPU_OBJ_ID, id, sizeof(id)) && strcmp(id, o->id) == 0 &&
               meta_value(meta, MPU_OBJ_PARTS, hex, sizeof(hex)) &&
               strcmp(hex, o->parts_hex) == 0;
        meta_checksum(meta, sum, sizeof(sum));
    }
    if (resp)
        cn_msg_free(resp);
    if (rc != 0 && rc != CN_ENOENT) {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    if (!same) {
        gw_req_error(r, GW_S3_NO_SUCH_UPLOAD, NULL);
        return;
    }
    if (gw_ver_bucket_state(r) != GW_VER_OFF)
        cn_ver_of_key(cn_slice(o->okey.data, o->okey.len), vid);
    complete_reply(r, etag, vid, sum);
}

static void on_again_latest(gw_req_t *r, int status, const gw_ver_pick_t *pick)
{
    struct mpu_op *o = r->op;

    if (status != 0) {
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return;
    }
    if (!pick->found || (pick->flags & CN_OBJ_DELETE_MARKER)) {
        gw_req_error(r, GW_S3_NO_SUCH_UPLOAD, NULL);
        return;
    }
    cn_buf_reset(&o->okey);
    cn_buf_append(&o->okey, pick->key.data, pick->key.len);
    send_for(r, &o->okey, msg_for(CN_OP_HEAD, &o->okey), on_again_head);
}

/* The upload's marker is gone: a second Complete answers the first's answer when the
 * object's latest version is this upload's, completed with the same parts. */
static void complete_again(gw_req_t *r)
{
    struct mpu_op *o = r->op;

    if (gw_ver_bucket_state(r) != GW_VER_OFF) {
        gw_ver_find_latest(r, o->okey.data, o->okey.len, on_again_latest);
        return;
    }
    send_for(r, &o->okey, msg_for(CN_OP_HEAD, &o->okey), on_again_head);
}

/* The marker of the upload is read (o->meta): its parts are read. */
static void complete_marker_read(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_slice_t meta = cn_slice(o->meta.data, o->meta.len);
    char alg[16];

    if (meta_value(meta, MPU_CKALG, alg, sizeof(alg)))
        o->alg = gw_mpu_sum_alg(alg, strlen(alg));
    for (size_t i = 0; o->alg != GW_CK_NONE && i < o->nparts; i++)
        if (!o->req_parts[i].checksum_elem[0] ||
            strcmp(o->req_parts[i].checksum_elem, gw_mpu_sum_element(o->alg)) != 0) {
            char msg[200];
            snprintf(msg, sizeof(msg),
                     "The upload was created using a %s checksum. The complete request must "
                     "include the checksum for each part. It was missing for part %u in the "
                     "request.",
                     gw_mpu_sum_header(o->alg) + 15, (unsigned)o->req_parts[i].number);
            gw_req_error(r, GW_S3_INVALID_REQUEST, msg);
            return;
        }
    parts_fetch(r);
}

static void on_complete_marker(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    struct mpu_op *o = r->op;
    uint64_t started_ms = 0;

    if (status == 0 && resp && cn_msg_rc(resp) == CN_ENOENT) { /* completed already? */
        cn_msg_free(resp);
        if (gw_req_rpc_done(r))
            return;
        complete_again(r);
        return;
    }
    /* S3: a key written while the upload ran makes a conditional Complete a 409
     * ConditionalRequestConflict (start again), one written before it a 412 */
    if (o != NULL && resp != NULL && cn_msg_rc(resp) == 0 &&
        cn_msg_get_u64(resp, "mtime", &started_ms) == 0 && cn_wcond_any(&o->wcond))
        o->wcond.conflict_after_ms = started_ms ? started_ms : 1;
    if (marker_done(r, status, resp, NULL, MD_OP_META) != 0)
        return;
    complete_marker_read(r);
}

void gw_s3_complete_multipart(gw_req_t *r)
{
    struct mpu_op *o = mpu_start(r);
    int rc;

    if (o == NULL)
        return;
    if (gw_obj_read_wcond(r, GW_WCOND_PUT, &o->wcond))
        return;
    o->part_check = complete_part_check;
    o->parts_done = complete_build;
    rc = gw_xml_parse_complete(r->body.ptr, r->body.len, &o->req_parts, &o->nparts);
    if (rc != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    o->parts = cn_calloc(o->nparts, sizeof(*o->parts));
    for (size_t i = 0; i < o->nparts; i++) {
        if (i > 0 && o->req_parts[i].number <= o->req_parts[i - 1].number) {
            gw_req_error(r, GW_S3_INVALID_PART_ORDER, NULL);
            return;
        }
        o->parts[i].number = o->req_parts[i].number;
        memcpy(o->parts[i].etag, o->req_parts[i].etag, sizeof(o->parts[i].etag));
        o->parts[i].req = &o->req_parts[i];
    }
    parts_digest(o->req_parts, o->nparts, o->parts_hex);
    send_for(r, &o->mkey, msg_for(CN_OP_HEAD, &o->mkey), on_complete_marker);
}

/* ---- AbortMultipartUpload -------------------------------------------------------------- */

static void on_abort_deleted(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;

    if (marker_done(r, status, resp, NULL, 0) != 0)
        return;
    sweep_start(r->srv, &((struct mpu_op *)r->op)->pprefix, NULL);
    gw_req_send_empty(r, 204);
}

static void on_abort_marker(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    struct mpu_op *o;
    cn_msg_t *m;

    if (marker_done(r, status, resp, NULL, 0) != 0)
        return;
    o = r->op;
    m = msg_for(CN_OP_DELETE, &o->mkey);
    cn_msg_set_u64(m, "clock", 0);
    send_for(r, &o->mkey, m, on_abort_deleted);
}

void gw_s3_abort_multipart(gw_req_t *r)
{
    struct mpu_op *o = mpu_start(r);

    if (o == NULL)
        return;
    send_for(r, &o->mkey, msg_for(CN_OP_HEAD, &o->mkey), on_abort_marker);
}

/* ---- ListParts ------------------------------------------------------------------------- */

static void list_parts_answer(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    char t[GW_S3_TIME_LEN], etag[80];
    cn_list_entry_t marker = {0};
    cn_buf_t b, people;

    cn_buf_init(&people);
    cn_list_pick_meta(cn_slice(o->meta.data, o->meta.len), CN_SLICE(MPU_PEOPLE_PICK), &people);
    marker.meta = cn_slice(people.data, people.len);
    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "ListPartsResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Bucket", r->route.bucket);
    gw_xml_text_elem(&b, "Key", r->route.key, r->route.key_len);
    gw_xml_str_elem(&b, "UploadId", o->id);
    upload_people_xml(r, &b, &marker);
    cn_buf_dispose(&people);
    gw_xml_str_elem(&b, "StorageClass", "STANDARD");
    {
        char alg[16];
        if (meta_value(cn_slice(o->meta.data, o->meta.len), MPU_CKALG, alg, sizeof(alg)))
            gw_xml_str_elem(&b, "ChecksumAlgorithm", alg);
    }
    gw_xml_u64_elem(&b, "PartNumberMarker", o->marker_num);
    if (o->nparts)
        gw_xml_u64_elem(&b, "NextPartNumberMarker", o->parts[o->nparts - 1].number);
    gw_xml_u64_elem(&b, "MaxParts", o->max);
    gw_xml_bool_elem(&b, "IsTruncated", o->list && o->list->truncated);
    for (size_t i = 0; i < o->nparts; i++) {
        const struct part_info *p = &o->parts[i];
        if (!p->have)
            continue;
        gw_xml_open(&b, "Part");
        gw_xml_u64_elem(&b, "PartNumber", p->number);
        gw_s3_time_fmt(p->mtime, t);
        gw_xml_str_elem(&b, "LastModified", t);
        snprintf(etag, sizeof(etag), "\"%s\"", p->etag);
        gw_xml_str_elem(&b, "ETag", etag);
        gw_xml_u64_elem(&b, "Size", p->size);
        {
            const char *value;
            gw_checksum_alg_t alg = checksum_split(p->checksum, &value);
            if (alg != GW_CK_NONE)
                gw_xml_str_elem(&b, gw_mpu_sum_element(alg), value);
        }
        gw_xml_close(&b, "Part");
    }
    gw_xml_close(&b, "ListPartsResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

/* A listed part may be gone by the time it is read: it is then left out. */
static gw_s3_err_t list_part_check(struct part_info *p, int rc, cn_msg_t *resp)
{
    if (rc == CN_ENOENT)
        return GW_S3_OK;
    if (rc != 0)
        return gw_s3_err_from_rc(rc);
    p->have = part_record_read(resp, p, p->etag) == 0;
    return GW_S3_OK;
}

static void on_parts_listed(int status, gw_list_out_t *out, void *arg)
{
    gw_req_t *r = arg;
    struct mpu_op *o;
    size_t n = 0;

    if (list_done(r, status, out) != 0)
        return;
    o = r->op;
    o->list = out;
    /* keep only well-formed part records, in the listing's order */
    o->parts = cn_calloc(out->n ? out->n : 1, sizeof(*o->parts));
    for (size_t i = 0; i < out->n; i++) {
        const cn_list_entry_t *e = out->ents[i];
        uint32_t num;
        if (!part_number_of(e, o->pprefix.len, &num))
            continue;
        out->ents[n] = e;
        o->parts[n].number = num;
        n++;
    }
    out->n = n;
    o->nparts = n;
    parts_fetch(r);
}

static void on_list_parts_marker(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    struct mpu_op *o;
    cn_buf_t after;

    if (marker_done(r, status, resp, NULL, MD_OP_META) != 0) /* it names the upload's people */
        return;
    o = r->op;
    if (o->max == 0) { /* max-parts=0: the upload exists, and no part is listed */
        o->list = cn_calloc(1, sizeof(*o->list));
        list_parts_answer(r);
        return;
    }
    cn_buf_init(&after);
    if (o->marker_num) {
        cn_buf_append(&after, o->pprefix.data, o->pprefix.len);
        cn_buf_appendf(&after, "%05u", (unsigned)o->marker_num);
    }
    list_for(r, &o->pprefix, &after, o->max, NULL, on_parts_listed);
    cn_buf_dispose(&after);
}

void gw_s3_list_parts(gw_req_t *r)
{
    struct mpu_op *o = mpu_start(r);

    if (o == NULL)
        return;
    o->max = 1000;
    o->part_check = list_part_check;
    o->parts_done = list_parts_answer;
    if (get_uint_param(r, "max-parts", 1000, &o->max) < 0 ||
        get_uint_param(r, "part-number-marker", GW_MPU_MAX_PARTS, &o->marker_num) < 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, NULL);
        return;
    }
    send_for(r, &o->mkey, msg_for(CN_OP_HEAD, &o->mkey), on_list_parts_marker);
}

/* ---- ListMultipartUploads --------------------------------------------------------------
 * Pages of upload markers are read until max-uploads uploads and common prefixes are found
 * and one more shows the listing is truncated. With a delimiter, the keys that hold it after the
 * prefix roll up into a common prefix, and the listing goes on after all of them. */

static void uploads_next(gw_req_t *r);

/* The first n2 bytes of needle in hay[0, n), or NULL */
static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t n2)
{
    for (size_t i = 0; n2 && i + n2 <= n; i++)
        if (memcmp(hay + i, needle, n2) == 0)
            return hay + i;
    return NULL;
}

/* "\x01u/<bucket>/" into b (reset first): the head of every marker of the bucket */
static void uploads_base(gw_req_t *r, cn_buf_t *b)
{
    cn_buf_reset(b);
    cn_buf_appendf(b, "\x01u/%s/", r->route.bucket);
}

static void uploads_answer(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "ListMultipartUploadsResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Bucket", r->route.bucket);
    gw_xml_text_elem(&b, "KeyMarker", o->key_marker.data ? o->key_marker.data : "",
                     o->key_marker.len);
    gw_xml_text_elem(&b, "UploadIdMarker", o->id_marker.data ? o->id_marker.data : "",
                     o->id_marker.len);
    if (o->truncated) {
        gw_xml_text_elem(&b, "NextKeyMarker", o->next_key.data ? o->next_key.data : "",
                         o->next_key.len);
        if (o->next_id.len)
            gw_xml_text_elem(&b, "NextUploadIdMarker", o->next_id.data, o->next_id.len);
    }
    gw_xml_text_elem(&b, "Prefix", o->prefix.data ? o->prefix.data : "", o->prefix.len);
    if (o->delim.len)
        gw_xml_text_elem(&b, "Delimiter", o->delim.data, o->delim.len);
    gw_xml_u64_elem(&b, "MaxUploads", o->max);
    gw_xml_bool_elem(&b, "IsTruncated", o->truncated);
    if (o->uploads_xml.len)
        cn_buf_append(&b, o->uploads_xml.data, o->uploads_xml.len);
    if (o->prefixes_xml.len)
        cn_buf_append(&b, o->prefixes_xml.data, o->prefixes_xml.len);
    gw_xml_close(&b, "ListMultipartUploadsResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

/* One Upload element for marker entry e of key (klen bytes) and upload id */
static void upload_xml(gw_req_t *r, const cn_list_entry_t *e, const char *key, size_t klen,
                       const char *id)
{
    struct mpu_op *o = r->op;
    char t[GW_S3_TIME_LEN];
    cn_slice_t alg;

    gw_xml_open(&o->uploads_xml, "Upload");
    gw_xml_text_elem(&o->uploads_xml, "Key", key, klen);
    gw_xml_text_elem(&o->uploads_xml, "UploadId", id, MPU_ID_LEN);
    upload_people_xml(r, &o->uploads_xml, e);
    gw_xml_str_elem(&o->uploads_xml, "StorageClass", "STANDARD");
    gw_s3_time_fmt(e->mtime_ms, t);
    gw_xml_str_elem(&o->uploads_xml, "Initiated", t);
    if (cn_list_entry_meta(e, MPU_CKALG, &alg) && alg.len)
        gw_xml_text_elem(&o->uploads_xml, "ChecksumAlgorithm", alg.ptr, alg.len);
    gw_xml_close(&o->uploads_xml, "Upload");
}

/* Takes entry e of a page: 0 go on, 1 the listing is complete (max reached and one more
 * found), 2 a common prefix was emitted (the next page starts after it). */
static int upload_take(gw_req_t *r, const cn_list_entry_t *e, size_t base)
{
    struct mpu_op *o = r->op;
    const char *key, *id, *d;
    size_t klen, from;

    if ((e->flags & CN_LIST_PREFIX) || e->key.len <= base + MPU_ID_LEN + 1 ||
        e->key.ptr[e->key.len - MPU_ID_LEN - 1] != '/' ||
        !upload_id_valid(e->key.ptr + e->key.len - MPU_ID_LEN, MPU_ID_LEN))
        return 0;
    key = e->key.ptr + base;
    klen = e->key.len - base - MPU_ID_LEN - 1;
    id = e->key.ptr + e->key.len - MPU_ID_LEN;
    from = o->prefix.len < klen ? o->prefix.len : klen;
    d = o->delim.len ? find_bytes(key + from, klen - from, o->delim.data, o->delim.len) : NULL;
    if (o->emitted >= o->max) {
        o->truncated = 1;
        return 1;
    }
    o->emitted++;
    cn_buf_reset(&o->next_key);
    cn_buf_reset(&o->next_id);
    if (d) {
        size_t plen = (size_t)(d - key) + o->delim.len;
        gw_xml_open(&o->prefixes_xml, "CommonPrefixes");
        gw_xml_text_elem(&o->prefixes_xml, "Prefix", key, plen);
        gw_xml_close(&o->prefixes_xml, "CommonPrefixes");
        cn_buf_append(&o->next_key, key, plen);
        uploads_base(r, &o->after);
        cn_buf_append(&o->after, key, plen);
        cn_buf_append(&o->after, "\xff", 1); /* past every key under it (UTF-8 has no 0xff) */
        return 2;
    }
    upload_xml(r, e, key, klen, id);
    cn_buf_append(&o->next_key, key, klen);
    cn_buf_append(&o->next_id, id, MPU_ID_LEN);
    return 0;
}

static void on_uploads_page(int status, gw_list_out_t *out, void *arg)
{
    gw_req_t *r = arg;
    struct mpu_op *o;
    size_t base = strlen(r->route.bucket) + 4; /* "\x01u/" bucket "/" */
    int more, took = 0;

    if (list_done(r, status, out) != 0)
        return;
    o = r->op;
    more = out->truncated && out->n;
    for (size_t i = 0; i < out->n && took == 0; i++) {
        const cn_list_entry_t *e = out->ents[i];
        took = upload_take(r, e, base);
        if (took == 0) {
            cn_buf_reset(&o->after);
            cn_buf_append(&o->after, e->key.ptr, e->key.len);
        }
    }
    gw_list_out_free(out);
    if (took == 1 || (took == 0 && !more))
        uploads_answer(r);
    else
        uploads_next(r);
}

static void uploads_next(gw_req_t *r)
{
    struct mpu_op *o = r->op;
    uint64_t want = o->max - o->emitted + 1;
    cn_buf_t pfx;

    cn_buf_init(&pfx);
    uploads_base(r, &pfx);
    cn_buf_append(&pfx, o->prefix.data ? o->prefix.data : "", o->prefix.len);
    list_for(r, &pfx, &o->after, want > 1000 ? 1000 : want, MPU_LIST_PICK, on_uploads_page);
    cn_buf_dispose(&pfx);
}

void gw_s3_list_multipart_uploads(gw_req_t *r)
{
    size_t ql;
    const char *q = gw_req_query(r, &ql);
    struct mpu_op *o = mpu_new(r);

    o->max = 1000;
    if (gw_query_get(q, ql, "prefix", &o->prefix) < 0 ||
        gw_query_get(q, ql, "delimiter", &o->delim) < 0 ||
        gw_query_get(q, ql, "key-marker", &o->key_marker) < 0 ||
        gw_query_get(q, ql, "upload-id-marker", &o->id_marker) < 0 ||
        get_uint_param(r, "max-uploads", 1000, &o->max) < 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, NULL);
        return;
    }
    if (o->key_marker.len) {
        uploads_base(r, &o->after);
        cn_buf_append(&o->after, o->key_marker.data, o->key_marker.len);
        if (o->delim.len && o->key_marker.len >= o->delim.len &&
            memcmp(o->key_marker.data + o->key_marker.len - o->delim.len, o->delim.data,
                   o->delim.len) == 0) {
            cn_buf_append(&o->after, "\xff", 1); /* a common prefix: past all of it */
        } else {
            cn_buf_append(&o->after, "/", 1);
            if (o->id_marker.len)
                cn_buf_append(&o->after, o->id_marker.data, o->id_marker.len);
            else
                cn_buf_append(&o->after, "\xff", 1); /* every upload of key-marker is before */
        }
    }
    if (o->max == 0) {
        uploads_answer(r);
        return;
    }
    uploads_next(r);
}
