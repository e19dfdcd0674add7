/*
 * gateway/s3/s3_list_versions.c: ListObjectVersions (GET /bucket?versions, issue 16).
 *
 * The storage listing gives every live entry in key order, merged across nodes: an object's
 * own key (its null version) first, then its versions newest first (version.h). S3 lists an
 * object's versions newest first with the null version where its clock puts it, so each
 * object's entries are ordered by cn_ver_order before they are emitted, and the first one of
 * an object is its latest (IsLatest) unless the page began inside that object.
 *
 * Paging. The markers are S3's: key-marker alone continues after every version of that key;
 * key-marker with version-id-marker continues after that version of that key. The index
 * holds the null version before the versions, so a page that continues inside an object first
 * asks for that object's own key (one group listing of one entry) and emits it in its place
 * if it is older than the marker. A storage page that ends inside an object may hold back
 * versions older than the null version, so there the null version is held back too and the
 * page ends with a version-id-marker; a page whose only object is undecided is asked again
 * bigger. Each page asks storage for one entry more than max-keys.
 */
#include "gateway/s3/s3_list_versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/proto.h"
#include "gateway/gateway.h"
#include "gateway/link/stor_link.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/auth/access_req.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_xml.h"

#define MAX_PAGE 10000 /* STOR_LIST_MAX_KEYS: the biggest page a retry asks for */

struct lv_op {
    int url;
    cn_buf_t prefix, delim, key_marker, vid_marker;
    uint32_t max_keys, page;       /* what the client asked, what storage is asked now */
    cn_buf_t full_prefix, after;   /* "bucket/prefix", where the storage listing starts */
    /* the page began inside the object key_marker: its null version, when older */
    int resumed;
    cn_buf_t null_key, null_meta;
    cn_list_entry_t null_e;
    int have_null;
};

static void lv_free(gw_req_t *r)
{
    struct lv_op *o = r->op;

    cn_buf_dispose(&o->prefix);
    cn_buf_dispose(&o->delim);
    cn_buf_dispose(&o->key_marker);
    cn_buf_dispose(&o->vid_marker);
    cn_buf_dispose(&o->full_prefix);
    cn_buf_dispose(&o->after);
    cn_buf_dispose(&o->null_key);
    cn_buf_dispose(&o->null_meta);
    cn_free(o);
    r->op = NULL;
}

static void key_elem(cn_buf_t *b, const struct lv_op *o, const char *tag, const char *s, size_t n)
{
    gw_xml_key_elem(b, o->url, tag, s, n);
}

/* ---- a page -------------------------------------------------------------------------------- */

struct page {
    gw_req_t *r;
    struct lv_op *o;
    size_t blen;                 /* "bucket/" */
    cn_buf_t items;              /* Version, DeleteMarker elements in order */
    cn_buf_t prefixes;           /* CommonPrefixes */
    size_t count;
    int truncated;
    cn_buf_t next_key;           /* object key (without "bucket/") of the last emitted */
    char next_vid[CN_VER_ID_LEN + 1]; /* its version, "" after a common prefix */
};

static int page_full(const struct page *p)
{
    return p->count >= p->o->max_keys;
}

static void emit_version(struct page *p, const cn_list_entry_t *e, int latest)
{
    char vid[CN_VER_ID_LEN + 1], t[GW_S3_TIME_LEN], etag[80], owner[72];
    size_t klen = cn_ver_base_len(e->key) - p->blen;
    int marker = (e->flags & CN_OBJ_DELETE_MARKER) != 0;
    const char *tag = marker ? "DeleteMarker" : "Version";

    cn_ver_of_key(e->key, vid);
    gw_xml_open(&p->items, tag);
    key_elem(&p->items, p->o, "Key", e->key.ptr + p->blen, klen);
    gw_xml_str_elem(&p->items, "VersionId", vid);
    gw_xml_bool_elem(&p->items, "IsLatest", latest);
    gw_s3_time_fmt(e->mtime_ms, t);
    gw_xml_str_elem(&p->items, "LastModified", t);
    if (!marker) {
        snprintf(etag, sizeof(etag), "\"%s\"", e->etag);
        gw_xml_str_elem(&p->items, "ETag", etag);
        gw_xml_u64_elem(&p->items, "Size", e->size);
        gw_xml_str_elem(&p->items, "StorageClass", "STANDARD");
    }
    gw_req_listed_owner(p->r, e, owner); /* its writer's, as the bucket's ownership says */
    gw_owner_xml(p->r, &p->items, "Owner", owner);
    gw_xml_close(&p->items, tag);
    p->count++;
    cn_buf_reset(&p->next_key);
    cn_buf_append(&p->next_key, e->key.ptr + p->blen, klen);
    snprintf(p->next_vid, sizeof(p->next_vid), "%s", vid);
}

static void emit_prefix(struct page *p, const cn_list_entry_t *e)
{
    gw_xml_open(&p->prefixes, "CommonPrefixes");
    key_elem(&p->prefixes, p->o, "Prefix", e->key.ptr + p->blen, e->key.len - p->blen);
    gw_xml_close(&p->prefixes, "CommonPrefixes");
    p->count++;
    cn_buf_reset(&p->next_key);
    cn_buf_append(&p->next_key, e->key.ptr + p->blen, e->key.len - p->blen);
    p->next_vid[0] = '\0';
}

/* One object's entries g[0..n) (index order). open: more of its versions may follow on the
 * next storage page. Returns 0 when all were emitted, 1 when the page ended in it. */
static int emit_object(struct page *p, const cn_list_entry_t **g, size_t n, int resumed, int open)
{
    const cn_list_entry_t **ord = cn_malloc(n * sizeof(*ord));
    const cn_list_entry_t *last_ver = NULL;
    int rc = 0;

    cn_ver_order(g, n, ord);
    for (size_t i = 0; i < n; i++)
        if (cn_ver_base_len(ord[i]->key) != ord[i]->key.len)
            last_ver = ord[i];
    for (size_t i = 0; i < n; i++) {
        int is_null = cn_ver_base_len(ord[i]->key) == ord[i]->key.len;
        /* a null version older than every version seen may be younger than those to come */
        if (open && is_null && last_ver != NULL && ord[i]->clock < last_ver->clock) {
            p->truncated = 1;
            rc = 1;
            break;
        }
        if (page_full(p)) {
            p->truncated = 1;
            rc = 1;
            break;
        }
        emit_version(p, ord[i], i == 0 && !resumed);
    }
    if (rc == 0 && open) { /* every entry seen is out, and more versions follow */
        p->truncated = 1;
        rc = 1;
    }
    cn_free(ord);
    return rc;
}

static void lv_send_page(gw_req_t *r);

static void lv_reply(struct page *p)
{
    gw_req_t *r = p->r;
    struct lv_op *o = p->o;
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "ListVersionsResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Name", r->route.bucket);
    key_elem(&b, o, "Prefix", o->prefix.data ? o->prefix.data : "", o->prefix.len);
    key_elem(&b, o, "KeyMarker", o->key_marker.data ? o->key_marker.data : "",
             o->key_marker.len);
    gw_xml_text_elem(&b, "VersionIdMarker", o->vid_marker.data ? o->vid_marker.data : "",
                     o->vid_marker.len);
    if (p->truncated) {
        key_elem(&b, o, "NextKeyMarker", p->next_key.data ? p->next_key.data : "",
                 p->next_key.len);
        if (p->next_vid[0])
            gw_xml_str_elem(&b, "NextVersionIdMarker", p->next_vid);
    }
    gw_xml_u64_elem(&b, "MaxKeys", o->max_keys);
    if (o->delim.len)
        key_elem(&b, o, "Delimiter", o->delim.data, o->delim.len);
    if (o->url)
        gw_xml_str_elem(&b, "EncodingType", "url");
    gw_xml_bool_elem(&b, "IsTruncated", p->truncated);
    cn_buf_append(&b, p->items.data ? p->items.data : "", p->items.len);
    cn_buf_append(&b, p->prefixes.data ? p->prefixes.data : "", p->prefixes.len);
    gw_xml_close(&b, "ListVersionsResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

static void page_init(struct page *p, gw_req_t *r)
{
    memset(p, 0, sizeof(*p));
    p->r = r;
    p->o = r->op;
    p->blen = strlen(r->route.bucket) + 1;
    cn_buf_init(&p->items);
    cn_buf_init(&p->prefixes);
    cn_buf_init(&p->next_key);
}

static void page_dispose(struct page *p)
{
    cn_buf_dispose(&p->items);
    cn_buf_dispose(&p->prefixes);
    cn_buf_dispose(&p->next_key);
}

/* Builds the page from a merged storage page; 1 when it must be asked again bigger. */
static int build_page(struct page *p, gw_list_out_t *out)
{
    struct lv_op *o = p->o;
    size_t n = out->n, i = 0;
    const cn_list_entry_t **g = cn_malloc((n + 1) * sizeof(*g));
    int retry = 0;

    /* the marker's own null version, older than the marker, when none of its versions is
     * on this page */
    if (o->resumed && o->have_null &&
        (n == 0 || cn_ver_base_len(out->ents[0]->key) != o->null_e.key.len ||
         memcmp(out->ents[0]->key.ptr, o->null_e.key.ptr, o->null_e.key.len) != 0)) {
        const cn_list_entry_t *one = &o->null_e;
        if (emit_object(p, &one, 1, 1, 0)) {
            cn_free(g);
            return 0;
        }
    }
    while (i < n && !p->truncated) {
        const cn_list_entry_t *e = out->ents[i];
        size_t olen = cn_ver_base_len(e->key), j = i, m = 0;
        int resumed, open;

        if (e->flags & CN_LIST_PREFIX) {
            if (page_full(p)) {
                p->truncated = 1;
                break;
            }
            emit_prefix(p, e);
            i++;
            continue;
        }
        resumed = o->resumed && olen - p->blen == o->key_marker.len &&
                  memcmp(e->key.ptr + p->blen, o->key_marker.data, o->key_marker.len) == 0;
        if (resumed && o->have_null)
            g[m++] = &o->null_e; /* its own key comes first in index order */
        while (j < n && !(out->ents[j]->flags & CN_LIST_PREFIX) &&
               cn_ver_base_len(out->ents[j]->key) == olen &&
               memcmp(out->ents[j]->key.ptr, e->key.ptr, olen) == 0)
            g[m++] = out->ents[j++];
        open = j == n && out->truncated;
        if (open && p->count == 0 && m > 0 && cn_ver_base_len(g[m - 1]->key) == g[m - 1]->key.len &&
            o->page < MAX_PAGE) {
            retry = 1; /* only the object's own key so far: whether it is latest is unknown */
            break;
        }
        if (emit_object(p, g, m, resumed, open))
            break;
        i = j;
    }
    if (!p->truncated && !retry && out->truncated) {
        if (p->count == 0 && o->page < MAX_PAGE)
            retry = 1; /* only deleted versions so far */
        else
            p->truncated = 1;
    }
    cn_free(g);
    return retry;
}

/* The start of a listing's completion: 0 to go on; else the request is gone or answered with
 * the error, out freed (-1). */
static int page_begun(gw_req_t *r, int status, gw_list_out_t *out)
{
    if (gw_req_rpc_done(r)) {
        gw_list_out_free(out);
        return -1;
    }
    if (status != 0) {
        gw_list_out_free(out);
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return -1;
    }
    return 0;
}

static void on_lv_page(int status, gw_list_out_t *out, void *arg)
{
    gw_req_t *r = arg;
    struct lv_op *o;
    struct page p;

    if (page_begun(r, status, out) != 0)
        return;
    o = r->op;
    page_init(&p, r);
    if (build_page(&p, out)) {
        gw_list_out_free(out);
        page_dispose(&p);
        o->page = o->page * 4 > MAX_PAGE ? MAX_PAGE : o->page * 4;
        lv_send_page(r);
        return;
    }
    gw_list_out_free(out);
    lv_reply(&p);
    page_dispose(&p);
}

static void lv_send_page(gw_req_t *r)
{
    struct lv_op *o = r->op;

    r->http.pending++;
    if (gw_stor_list_pick(r->srv, o->full_prefix.data, o->full_prefix.len, o->after.data,
                          o->after.len, o->page, o->delim.len ? o->delim.data : NULL,
                          GW_META_OWNER, on_lv_page, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

/* ---- where a page starts -------------------------------------------------------------------- */

/* "bucket/" + key-marker into out */
static void marker_key(gw_req_t *r, const struct lv_op *o, cn_buf_t *out)
{
    cn_buf_reset(out);
    cn_buf_append_str(out, r->route.bucket);
    cn_buf_append(out, "/", 1);
    cn_buf_append(out, o->key_marker.data ? o->key_marker.data : "", o->key_marker.len);
}

/* The object key_marker's own key (its null version) is known: start after the marker. */
static void on_marker_object(int status, gw_list_out_t *out, void *arg)
{
    gw_req_t *r = arg;
    struct lv_op *o;
    char hex[17];

    if (page_begun(r, status, out) != 0)
        return;
    o = r->op;
    marker_key(r, o, &o->after);
    if (out->n > 0 && out->ents[0]->key.len == o->after.len) { /* its null version, live */
        cn_buf_reset(&o->null_key);
        cn_buf_append(&o->null_key, out->ents[0]->key.ptr, out->ents[0]->key.len);
        cn_buf_reset(&o->null_meta);
        cn_buf_append(&o->null_meta, out->ents[0]->meta.ptr, out->ents[0]->meta.len);
        o->null_e = *out->ents[0];
        o->null_e.key = cn_slice(o->null_key.data, o->null_key.len);
        o->null_e.meta = cn_slice(o->null_meta.data, o->null_meta.len);
        o->have_null = 1;
    }
    gw_list_out_free(out);
    if (strcmp(o->vid_marker.data, CN_VER_NULL) == 0) {
        /* after the null version: the versions older than it */
        cn_buf_append(&o->after, "", 1);
        if (o->have_null) {
            snprintf(hex, sizeof(hex), "%016llx",
                     (unsigned long long)(UINT64_MAX - o->null_e.clock));
            cn_buf_append(&o->after, hex, 16);
        }
        o->have_null = 0;
    } else {
        cn_buf_append(&o->after, "", 1);
        cn_buf_append(&o->after, o->vid_marker.data, o->vid_marker.len);
        /* the null version goes on this page only if it is older than the marker */
        if (o->have_null && o->null_e.clock > cn_ver_id_clock(o->vid_marker.data))
            o->have_null = 0;
    }
    lv_send_page(r);
}

void gw_s3_list_object_versions(gw_req_t *r)
{
    size_t qlen = 0;
    const char *q = gw_req_query(r, &qlen);
    struct lv_op *o = cn_calloc(1, sizeof(*o));
    cn_buf_t v;
    int rc;

    r->op = o;
    r->op_free = lv_free;
    o->max_keys = 1000;
    cn_buf_init(&o->prefix);
    cn_buf_init(&o->delim);
    cn_buf_init(&o->key_marker);
    cn_buf_init(&o->vid_marker);
    cn_buf_init(&o->full_prefix);
    cn_buf_init(&o->after);
    cn_buf_init(&o->null_key);
    cn_buf_init(&o->null_meta);
    cn_buf_init(&v);
    if (gw_query_get(q, qlen, "prefix", &o->prefix) < 0 ||
        gw_query_get(q, qlen, "delimiter", &o->delim) < 0 ||
        gw_query_get(q, qlen, "key-marker", &o->key_marker) < 0 ||
        (rc = gw_query_get(q, qlen, "version-id-marker", &o->vid_marker)) < 0)
        goto bad_arg;
    if (rc == 1 && o->vid_marker.len > 0) {
        if (!cn_ver_id_valid(o->vid_marker.data, o->vid_marker.len)) {
            gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Invalid version id specified");
            goto out;
        }
        if (o->key_marker.len == 0) {
            gw_req_error(r, GW_S3_INVALID_ARGUMENT,
                         "A version-id marker cannot be specified without a key marker.");
            goto out;
        }
    }
    if ((rc = gw_query_get(q, qlen, "encoding-type", &v)) == 1) {
        if (strcmp(v.data, "url") != 0)
            goto bad_arg;
        o->url = 1;
    } else if (rc < 0) {
        goto bad_arg;
    }
    if ((rc = gw_query_get(q, qlen, "max-keys", &v)) == 1) {
        char *end;
        long long mk = strtoll(v.data ? v.data : "", &end, 10);
        if (!v.len || *end || mk < 0)
            goto bad_arg;
        o->max_keys = mk > 1000 ? 1000 : (uint32_t)mk;
    } else if (rc < 0) {
        goto bad_arg;
    }
    o->page = o->max_keys + 1 < 2 ? 2 : o->max_keys + 1;
    cn_buf_append_str(&o->full_prefix, r->route.bucket);
    cn_buf_append(&o->full_prefix, "/", 1);
    cn_buf_append(&o->full_prefix, o->prefix.data ? o->prefix.data : "", o->prefix.len);
    if (o->max_keys == 0) {
        struct page p;
        page_init(&p, r);
        lv_reply(&p);
        page_dispose(&p);
        goto out;
    }
    if (o->key_marker.len > 0 && o->vid_marker.len > 0) {
        o->resumed = 1;
        marker_key(r, o, &v);
        r->http.pending++;
        if (gw_stor_list_versions(r->srv, v.data, v.len, NULL, 0, 1, GW_META_OWNER,
                                  on_marker_object, r) != 0) {
            r->http.pending--;
            gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
        }
        goto out;
    }
    if (o->key_marker.len > 0) {
        marker_key(r, o, &o->after);
        cn_buf_append(&o->after, "\0\xff", 2); /* after every version of the marker */
    }
    lv_send_page(r);
    goto out;
bad_arg:
    gw_req_error(r, GW_S3_INVALID_ARGUMENT, NULL);
out:
    cn_buf_dispose(&v);
}
