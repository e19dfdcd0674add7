/*
 * gateway/s3/s3_attributes.c: GetObjectAttributes. The object (the version ?versionId names,
 * or the latest: s3_version.c) is read like GetObject reads it, its record's head and, for a
 * chunked object, its manifest (manifest.h: the parts table), and never its bytes. Access is
 * the object's READ (access.c), decided once its metadata is read. ObjectParts is sent for a
 * multipart object: its parts count always, and its Part elements (number, size, checksum)
 * when its parts have additional checksums, as S3 does for general purpose buckets; paging by
 * x-amz-part-number-marker (a part number as uploaded) and x-amz-max-parts (1000 at most).
 */
#include "gateway/s3/s3_attributes.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/auth/access_req.h"
#include "gateway/auth/aws_chunked.h"
#include "gateway/link/stor_link.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/mpu_sum.h"
#include "gateway/s3/s3_object.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/gateway.h"

#define ATTR_MAX_PARTS 1000

int gw_attr_parse(const char *v, size_t n, unsigned *bits)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"ETag", GW_ATTR_ETAG},
        {"Checksum", GW_ATTR_CHECKSUM},
        {"ObjectParts", GW_ATTR_OBJECT_PARTS},
        {"StorageClass", GW_ATTR_STORAGE_CLASS},
        {"ObjectSize", GW_ATTR_OBJECT_SIZE},
    };
    const char *p = v, *end = v + n;

    *bits = 0;
    while (v && p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end, *s = p;
        size_t l, i;

        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        l = (size_t)(e - s);
        while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
            l--;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == l && memcmp(names[i].name, s, l) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0]))
            return CN_EINVAL; /* unknown, or an empty item */
        *bits |= names[i].bit;
        if (!c)
            break;
        p = c + 1;
    }
    return *bits ? 0 : CN_EINVAL;
}

/* What the request asks: the attributes and the parts' page. */
struct attr_req {
    unsigned bits;
    uint64_t max_parts, marker;
};

/* An optional unsigned header: 0 (absent: *out untouched) or 1 set, CN_EINVAL malformed. */
static int uint_header(gw_req_t *r, const char *name, uint64_t *out)
{
    cn_slice_t h = gw_req_header(r, name);
    uint64_t x = 0;

    if (!h.ptr)
        return 0;
    if (h.len == 0 || h.len > 10)
        return CN_EINVAL;
    for (size_t i = 0; i < h.len; i++) {
        if (h.ptr[i] < '0' || h.ptr[i] > '9')
            return CN_EINVAL;
        x = x * 10 + (uint64_t)(h.ptr[i] - '0');
    }
    *out = x;
    return 1;
}

/* Reads r's headers into *a. 0, or -1 when r was answered InvalidArgument. */
static int read_request(gw_req_t *r, struct attr_req *a)
{
    const h2o_headers_t *hs = &r->http.req->headers;
    cn_buf_t all;
    int rc, had;

    cn_buf_init(&all);
    for (size_t i = 0; i < hs->size; i++) { /* the header may come more than once */
        const h2o_header_t *h = &hs->entries[i];
        if (h->name->len == 23 && strncasecmp(h->name->base, "x-amz-object-attributes", 23) == 0) {
            if (all.len)
                cn_buf_append(&all, ",", 1);
            cn_buf_append(&all, h->value.base, h->value.len);
        }
    }
    had = all.len > 0;
    rc = had ? gw_attr_parse(all.data, all.len, &a->bits) : CN_EINVAL;
    cn_buf_dispose(&all);
    if (rc != 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT,
                     had ? "Invalid attribute name specified."
                             : "The x-amz-object-attributes header specifying the attributes "
                               "to be retrieved is either missing or empty");
        return -1;
    }
    a->max_parts = ATTR_MAX_PARTS;
    a->marker = 0;
    if (uint_header(r, "x-amz-max-parts", &a->max_parts) < 0 ||
        uint_header(r, "x-amz-part-number-marker", &a->marker) < 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Invalid value for a parts header.");
        return -1;
    }
    if (a->max_parts > ATTR_MAX_PARTS)
        a->max_parts = ATTR_MAX_PARTS;
    return 0;
}

/* The object's additional checksum from its metadata: 1 with its algorithm and value. */
static int object_checksum(cn_slice_t meta, gw_checksum_alg_t *alg, char *value, size_t cap)
{
    gw_meta_t m;
    int found = 0;

    if (!meta.ptr || gw_meta_decode(meta.ptr, meta.len, &m) != 0)
        return 0;
    for (size_t i = 0; i < m.n && !found; i++) {
        *alg = gw_checksum_alg(m.pairs[i].name, strlen(m.pairs[i].name));
        if (*alg != GW_CK_NONE && strlen(m.pairs[i].value) < cap) {
            snprintf(value, cap, "%s", m.pairs[i].value);
            found = 1;
        }
    }
    gw_meta_dispose(&m);
    return found;
}

static void parts_xml(cn_buf_t *b, const cn_manifest_t *man, const char *etag,
                      const struct attr_req *a)
{
    uint32_t count = cn_manifest_parts(man, etag), listed = 0, last = 0;
    int with_parts = 0, truncated = 0;
    cn_part_range_t p;
    cn_buf_t items;

    for (uint32_t i = 1; i <= count && !with_parts; i++)
        with_parts = cn_manifest_part_range(man, etag, i, &p) == 0 && p.checksum[0];
    cn_buf_init(&items);
    for (uint32_t i = 1; with_parts && i <= count; i++) {
        const char *eq;
        gw_checksum_alg_t alg;

        if (cn_manifest_part_range(man, etag, i, &p) != 0 || p.number <= a->marker)
            continue;
        if (listed == a->max_parts) {
            truncated = 1;
            break;
        }
        gw_xml_open(&items, "Part");
        eq = strchr(p.checksum, '=');
        alg = eq ? gw_checksum_alg(p.checksum, (size_t)(eq - p.checksum)) : GW_CK_NONE;
        if (alg != GW_CK_NONE)
            gw_xml_str_elem(&items, gw_mpu_sum_element(alg), eq + 1);
        gw_xml_u64_elem(&items, "PartNumber", p.number);
        gw_xml_u64_elem(&items, "Size", p.len);
        gw_xml_close(&items, "Part");
        listed++;
        last = p.number;
    }
    gw_xml_open(b, "ObjectParts");
    gw_xml_u64_elem(b, "PartsCount", count);
    gw_xml_u64_elem(b, "PartNumberMarker", a->marker);
    if (truncated)
        gw_xml_u64_elem(b, "NextPartNumberMarker", last);
    gw_xml_u64_elem(b, "MaxParts", a->max_parts);
    gw_xml_bool_elem(b, "IsTruncated", truncated);
    if (items.len)
        cn_buf_append(b, items.data, items.len);
    gw_xml_close(b, "ObjectParts");
    cn_buf_dispose(&items);
}

/* The record's head (o->parent) and, for a chunked object, its manifest (o->man) are read. */
static void answer(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    gw_acl_subject_t bk = gw_req_bucket(r);
    struct attr_req a;
    char etag[80] = "", date[GW_HTTP_DATE_LEN], value[GW_MPU_SUM_MAX];
    uint64_t mtime = 0, size = 0;
    cn_slice_t meta = {0};
    gw_checksum_alg_t alg = GW_CK_NONE;
    cn_buf_t b;

    cn_msg_get_str(o->parent, "etag", etag, sizeof(etag));
    cn_msg_get_u64(o->parent, "mtime", &mtime);
    cn_msg_get_u64(o->parent, "size", &size);
    cn_msg_get_bytes(o->parent, "meta", &meta);
    if (o->is_manifest) {
        size = cn_manifest_object_size(&o->man);
        if (o->man.etag[0])
            snprintf(etag, sizeof(etag), "%s", o->man.etag);
    }
    if (!gw_obj_allows(r, &bk, meta, GW_PERM_OBJECT_READ, NULL)) {
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
        return;
    }
    if (read_request(r, &a) != 0) /* parsed once already: cannot fail */
        return;
    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "GetObjectAttributesOutput", GW_S3_XMLNS);
    if (a.bits & GW_ATTR_ETAG)
        gw_xml_str_elem(&b, "ETag", etag);
    if ((a.bits & GW_ATTR_CHECKSUM) && object_checksum(meta, &alg, value, sizeof(value))) {
        gw_xml_open(&b, "Checksum");
        gw_xml_str_elem(&b, gw_mpu_sum_element(alg), value);
        gw_xml_str_elem(&b, "ChecksumType", strchr(value, '-') ? "COMPOSITE" : "FULL_OBJECT");
        gw_xml_close(&b, "Checksum");
    }
    if ((a.bits & GW_ATTR_OBJECT_PARTS) && o->is_manifest && cn_manifest_parts(&o->man, etag))
        parts_xml(&b, &o->man, etag, &a);
    if (a.bits & GW_ATTR_STORAGE_CLASS)
        gw_xml_str_elem(&b, "StorageClass", "STANDARD");
    if (a.bits & GW_ATTR_OBJECT_SIZE)
        gw_xml_u64_elem(&b, "ObjectSize", size);
    gw_xml_close(&b, "GetObjectAttributesOutput");
    gw_http_date_fmt(mtime, date);
    gw_req_add_header(r, "last-modified", date, strlen(date));
    gw_ver_add_headers(r, o->vid, 0);
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

static void on_manifest(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    gw_obj_op_t *o;
    cn_slice_t body;

    if (gw_req_rpc_gone(r, resp))
        return;
    o = r->op;
    if (rc != 0) {
        if (resp)
            cn_msg_free(resp);
        gw_req_error(r, rc == CN_ENOENT ? GW_S3_NO_SUCH_KEY : gw_s3_err_from_rc(rc), NULL);
        return;
    }
    body = cn_msg_body(resp);
    cn_manifest_dispose(&o->man);
    if (cn_manifest_decode(body.ptr ? body.ptr : "", body.len, &o->man) != 0) {
        CN_LOG(CN_LOG_ERROR, "object %s: corrupt manifest", o->key.data);
        cn_msg_free(resp);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    if (o->parent)
        cn_msg_free(o->parent);
    o->parent = resp; /* the same record, read again: its head as of now */
    answer(r);
}

static void on_head(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;

    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_take_parent(r, resp, status ? status : cn_msg_rc(resp)) != 0)
        return;
    if (((gw_obj_op_t *)r->op)->is_manifest)
        gw_obj_read_send(r, CN_OP_GET, on_manifest);
    else
        answer(r);
}

/* The version to read is known (o->key, o->vid) */
static void read_head(gw_req_t *r)
{
    gw_obj_read_send(r, CN_OP_HEAD, on_head);
}

void gw_s3_get_object_attributes(gw_req_t *r)
{
    char k[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];
    struct attr_req a;
    gw_obj_op_t *o;
    int n;

    if (r->route.key_len == 0) {
        gw_req_error(r, GW_S3_NO_SUCH_KEY, NULL);
        return;
    }
    if (read_request(r, &a) != 0)
        return;
    n = snprintf(k, sizeof(k), "%s/", r->route.bucket);
    memcpy(k + n, r->route.key, r->route.key_len);
    o = gw_obj_op_new(r, k, (size_t)n + r->route.key_len);
    gw_obj_version_target(r, o, read_head);
}
