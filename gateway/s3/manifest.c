/*
 * gateway/s3/manifest.c: msgpack codecs for object metadata and chunk manifests (formats in
 * manifest.h). Decoders validate every type and length: bytes come from the cluster.
 */
#include "gateway/s3/manifest.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "common/acl.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/msgpack_check.h"

static int buf_write(void *data, const char *p, size_t n)
{
    cn_buf_append(data, p, n);
    return 0;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static char *dup_obj_str(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR)
        return cn_strndup(o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_BIN)
        return cn_strndup(o->via.bin.ptr, o->via.bin.size);
    return NULL;
}

void gw_meta_add(gw_meta_t *m, const char *name, size_t nlen, const char *value, size_t vlen)
{
    m->pairs = cn_realloc(m->pairs, (m->n + 1) * sizeof(*m->pairs));
    m->pairs[m->n].name = cn_strndup(name, nlen);
    for (char *c = m->pairs[m->n].name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    m->pairs[m->n].value = cn_strndup(value, vlen);
    m->n++;
}

void gw_meta_encode(const gw_meta_t *m, cn_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    msgpack_pack_map(&pk, m->n);
    for (size_t i = 0; i < m->n; i++) {
        pack_str(&pk, m->pairs[i].name, strlen(m->pairs[i].name));
        pack_str(&pk, m->pairs[i].value, strlen(m->pairs[i].value));
    }
}

void gw_meta_dispose(gw_meta_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        cn_free(m->pairs[i].name);
        cn_free(m->pairs[i].value);
    }
    cn_free(m->pairs);
    m->pairs = NULL;
    m->n = 0;
}

int gw_meta_set(cn_buf_t *enc, const char *name, const char *value)
{
    gw_meta_t in, out = {0};
    int rc;

    if ((rc = gw_meta_decode(enc->data, enc->len, &in)) != 0)
        return rc;
    for (size_t i = 0; i < in.n; i++)
        if (strcmp(in.pairs[i].name, name) != 0)
            gw_meta_add(&out, in.pairs[i].name, strlen(in.pairs[i].name), in.pairs[i].value,
                        strlen(in.pairs[i].value));
    if (value != NULL)
        gw_meta_add(&out, name, strlen(name), value, strlen(value));
    cn_buf_reset(enc);
    gw_meta_encode(&out, enc);
    gw_meta_dispose(&in);
    gw_meta_dispose(&out);
    return 0;
}

void gw_meta_add_access(gw_meta_t *m, const char *owner, const char *acl, const char *grants)
{
    char v[8];
    int n = snprintf(v, sizeof(v), "%d", GW_META_FORMAT);

    gw_meta_add(m, GW_META_FMT, strlen(GW_META_FMT), v, (size_t)n);
    gw_meta_add(m, GW_META_OWNER, strlen(GW_META_OWNER), owner ? owner : "",
                owner ? strlen(owner) : 0);
    if (grants && grants[0])
        gw_meta_add(m, GW_META_GRANTS, strlen(GW_META_GRANTS), grants, strlen(grants));
    else if (acl && acl[0])
        gw_meta_add(m, GW_META_ACL, strlen(GW_META_ACL), acl, strlen(acl));
}

static int is_access_pair(const char *name)
{
    return strcmp(name, GW_META_FMT) == 0 || strcmp(name, GW_META_OWNER) == 0 ||
           strcmp(name, GW_META_ACL) == 0 || strcmp(name, GW_META_GRANTS) == 0;
}

void gw_meta_copy_user(const gw_meta_t *in, gw_meta_t *out)
{
    for (size_t i = 0; i < in->n; i++)
        if (!is_access_pair(in->pairs[i].name))
            gw_meta_add(out, in->pairs[i].name, strlen(in->pairs[i].name), in->pairs[i].value,
                        strlen(in->pairs[i].value));
}

int gw_meta_access(const void *p, size_t n, const char *bucket_owner, char owner[72],
                   char acl[32], char *grants, size_t grants_cap)
{
    gw_meta_t m;
    int rc = 0;

    /* format 1 names no owner: the bucket's owner stands */
    snprintf(owner, 72, "%s", bucket_owner ? bucket_owner : "");
    snprintf(acl, 32, "private");
    if (grants_cap)
        grants[0] = '\0';
    if ((rc = gw_meta_decode(p, n, &m)) != 0)
        return rc;
    for (size_t i = 0; i < m.n; i++) {
        const gw_meta_pair_t *e = &m.pairs[i];

        if (strcmp(e->name, GW_META_ACL) == 0 && strlen(e->value) < 32)
            snprintf(acl, 32, "%s", e->value);
        else if (strcmp(e->name, GW_META_OWNER) == 0 && strlen(e->value) < 72)
            snprintf(owner, 72, "%s", e->value);
        else if (strcmp(e->name, GW_META_GRANTS) == 0 && grants_cap)
            rc = strlen(e->value) < grants_cap && cn_acl_text_valid(e->value) == 0
                     ? (snprintf(grants, grants_cap, "%s", e->value), 0)
                     : CN_ECORRUPT;
    }
    gw_meta_dispose(&m);
    if (rc != 0) /* a grant list we cannot read grants nothing: the owner's alone */
        snprintf(acl, 32, "private");
    if (rc != 0 && grants_cap)
        grants[0] = '\0';
    return rc;
}

int gw_meta_find(const void *p, size_t n, const char *name, cn_buf_t *out)
{
    gw_meta_t m;
    int found = 0;

    cn_buf_reset(out);
    if (gw_meta_decode(p, n, &m) != 0)
        return CN_ECORRUPT;
    for (size_t i = 0; !found && i < m.n; i++)
        if (strcmp(m.pairs[i].name, name) == 0) {
            cn_buf_append_str(out, m.pairs[i].value);
            found = 1;
        }
    gw_meta_dispose(&m);
    return found;
}

int gw_meta_decode(const void *p, size_t n, gw_meta_t *m)
{
    msgpack_unpacked u;
    size_t off = 0, used;
    int rc = 0;

    memset(m, 0, sizeof(*m));
    if (n == 0)
        return 0;
    msgpack_unpacked_init(&u);
    if (cn_msgpack_check(p, n, &used) != 0 ||
        msgpack_unpack_next(&u, p, n, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        rc = CN_ECORRUPT;
        goto out;
    }
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
        char *k = dup_obj_str(&kv->key), *v = dup_obj_str(&kv->val);
        if (!k || !v) {
            cn_free(k);
            cn_free(v);
            gw_meta_dispose(m);
            rc = CN_ECORRUPT;
            goto out;
        }
        gw_meta_add(m, k, strlen(k), v, strlen(v));
        cn_free(k);
        cn_free(v);
    }
out:
    msgpack_unpacked_destroy(&u);
    return rc;
}

void gw_manifest_add_seg(gw_manifest_t *m, const char *prefix, size_t prefix_len, uint64_t size,
                         uint64_t chunk_size)
{
    m->segs = cn_realloc(m->segs, (m->nsegs + 1) * sizeof(*m->segs));
    gw_manifest_seg_t *s = &m->segs[m->nsegs++];
    s->prefix = cn_malloc(prefix_len + 1);
    memcpy(s->prefix, prefix, prefix_len);
    s->prefix[prefix_len] = '\0';
    s->prefix_len = prefix_len;
    s->size = size;
    s->chunk_size = chunk_size;
}

void gw_manifest_add_part(gw_manifest_t *m, uint32_t number, uint32_t nsegs,
                          const char *checksum)
{
    m->parts = cn_realloc(m->parts, (m->nparts + 1) * sizeof(*m->parts));
    m->parts[m->nparts].number = number;
    m->parts[m->nparts].nsegs = nsegs;
    m->parts[m->nparts].checksum = cn_strdup(checksum ? checksum : "");
    m->nparts++;
}

void gw_manifest_copy_parts(gw_manifest_t *dst, const gw_manifest_t *src)
{
    for (size_t i = 0; i < src->nparts; i++)
        gw_manifest_add_part(dst, src->parts[i].number, src->parts[i].nsegs,
                             src->parts[i].checksum);
}

void gw_manifest_encode(const gw_manifest_t *m, cn_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    msgpack_pack_map(&pk, m->nparts ? 5 : 4);
    pack_str(&pk, "v", 1);
    msgpack_pack_uint64(&pk, 1);
    pack_str(&pk, "size", 4);
    msgpack_pack_uint64(&pk, m->size);
    pack_str(&pk, "etag", 4);
    pack_str(&pk, m->etag, strlen(m->etag));
    pack_str(&pk, "segs", 4);
    msgpack_pack_array(&pk, m->nsegs);
    for (size_t i = 0; i < m->nsegs; i++) {
        msgpack_pack_array(&pk, 3);
        msgpack_pack_bin(&pk, m->segs[i].prefix_len);
        msgpack_pack_bin_body(&pk, m->segs[i].prefix, m->segs[i].prefix_len);
        msgpack_pack_uint64(&pk, m->segs[i].size);
        msgpack_pack_uint64(&pk, m->segs[i].chunk_size);
    }
    if (!m->nparts)
        return;
    pack_str(&pk, "parts", 5);
    msgpack_pack_array(&pk, m->nparts);
    for (size_t i = 0; i < m->nparts; i++) {
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint32(&pk, m->parts[i].number);
        msgpack_pack_uint32(&pk, m->parts[i].nsegs);
        pack_str(&pk, m->parts[i].checksum, strlen(m->parts[i].checksum));
    }
}

void gw_manifest_dispose(gw_manifest_t *m)
{
    for (size_t i = 0; i < m->nsegs; i++)
        cn_free(m->segs[i].prefix);
    cn_free(m->segs);
    for (size_t i = 0; i < m->nparts; i++)
        cn_free(m->parts[i].checksum);
    cn_free(m->parts);
    memset(m, 0, sizeof(*m));
}

static int key_is(const msgpack_object *k, const char *s)
{
    size_t n = strlen(s);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, s, n) == 0;
}

/* "parts": [[number, nsegs, checksum], ...] into m. 0 or CN_ECORRUPT. */
static int decode_parts(const msgpack_object *v, gw_manifest_t *m)
{
    if (m->nparts || v->via.array.size > 10000)
        return CN_ECORRUPT;
    for (uint32_t j = 0; j < v->via.array.size; j++) {
        const msgpack_object *p = &v->via.array.ptr[j];
        char *ck;
        if (p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size != 3 ||
            p->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            p->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            p->via.array.ptr[2].type != MSGPACK_OBJECT_STR ||
            p->via.array.ptr[0].via.u64 < 1 || p->via.array.ptr[0].via.u64 > 10000 ||
            p->via.array.ptr[1].via.u64 < 1 || p->via.array.ptr[1].via.u64 > UINT32_MAX)
            return CN_ECORRUPT;
        ck = cn_strndup(p->via.array.ptr[2].via.str.ptr, p->via.array.ptr[2].via.str.size);
        if (strlen(ck) != p->via.array.ptr[2].via.str.size) { /* a NUL inside */
            cn_free(ck);
            return CN_ECORRUPT;
        }
        gw_manifest_add_part(m, (uint32_t)p->via.array.ptr[0].via.u64,
                             (uint32_t)p->via.array.ptr[1].via.u64, ck);
        cn_free(ck);
    }
    return 0;
}

int gw_manifest_decode(const void *p, size_t n, gw_manifest_t *m)
{
    msgpack_unpacked u;
    size_t off = 0, used;
    int rc = CN_ECORRUPT, have_size = 0, have_segs = 0;
    uint64_t sum = 0;

    memset(m, 0, sizeof(*m));
    msgpack_unpacked_init(&u);
    if (cn_msgpack_check(p, n, &used) != 0 ||
        msgpack_unpack_next(&u, p, n, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP)
        goto out;
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object *k = &u.data.via.map.ptr[i].key, *v = &u.data.via.map.ptr[i].val;
        if (key_is(k, "v")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != 1)
                goto out_bad;
        } else if (key_is(k, "size")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                goto out_bad;
            m->size = v->via.u64;
            have_size = 1;
        } else if (key_is(k, "etag")) {
            if (v->type != MSGPACK_OBJECT_STR || v->via.str.size >= sizeof(m->etag))
                goto out_bad;
            memcpy(m->etag, v->via.str.ptr, v->via.str.size);
            m->etag[v->via.str.size] = '\0';
        } else if (key_is(k, "segs")) {
            if (v->type != MSGPACK_OBJECT_ARRAY)
                goto out_bad;
            for (uint32_t j = 0; j < v->via.array.size; j++) {
                const msgpack_object *s = &v->via.array.ptr[j];
                if (s->type != MSGPACK_OBJECT_ARRAY || s->via.array.size != 3 ||
                    s->via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
                    s->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                    s->via.array.ptr[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                    s->via.array.ptr[2].via.u64 == 0)
                    goto out_bad;
                uint64_t sz = s->via.array.ptr[1].via.u64;
                if (sum + sz < sum)
                    goto out_bad;
                sum += sz;
                gw_manifest_add_seg(m, s->via.array.ptr[0].via.bin.ptr,
                                    s->via.array.ptr[0].via.bin.size, sz,
                                    s->via.array.ptr[2].via.u64);
            }
            have_segs = 1;
        } else if (key_is(k, "parts")) {
            if (v->type != MSGPACK_OBJECT_ARRAY || decode_parts(v, m) != 0)
                goto out_bad;
        }
    }
    if (!have_size || !have_segs || sum != m->size)
        goto out_bad;
    if (m->nparts) {
        uint64_t covered = 0;
        for (size_t i = 0; i < m->nparts; i++)
            covered += m->parts[i].nsegs;
        if (covered != m->nsegs)
            goto out_bad;
    }
    rc = 0;
    goto out;
out_bad:
    gw_manifest_dispose(m);
out:
    msgpack_unpacked_destroy(&u);
    return rc;
}

uint64_t gw_manifest_seg_chunks(const gw_manifest_seg_t *s)
{
    /* not (size + chunk_size - 1) / chunk_size: a hostile chunk_size near 2^64 wraps that to
     * 0 chunks for a segment that has bytes (fuzz_manifest) */
    return s->size / s->chunk_size + (s->size % s->chunk_size != 0);
}

void gw_manifest_chunk_key(const gw_manifest_seg_t *s, uint64_t idx, cn_buf_t *out)
{
    cn_buf_reset(out);
    cn_buf_append(out, s->prefix, s->prefix_len);
    cn_buf_appendf(out, "%06" PRIu64, idx);
}

int gw_manifest_locate(const gw_manifest_t *m, uint64_t pos, uint64_t end, gw_chunk_ref_t *out)
{
    uint64_t base = 0;
    if (end > m->size)
        end = m->size;
    if (pos >= end)
        return CN_EINVAL;
    for (size_t i = 0; i < m->nsegs; i++) {
        const gw_manifest_seg_t *s = &m->segs[i];
        if (pos < base + s->size) {
            uint64_t in = pos - base;
            out->seg = i;
            out->idx = in / s->chunk_size;
            out->off = in % s->chunk_size;
            uint64_t clen = s->chunk_size;
            if ((out->idx + 1) * s->chunk_size > s->size)
                clen = s->size - out->idx * s->chunk_size;
            out->len = clen - out->off;
            if (out->len > end - pos)
                out->len = end - pos;
            return 0;
        }
        base += s->size;
    }
    return CN_EINVAL;
}

/* N of an ETag "<hex>-N", or 0 */
static uint32_t etag_parts(const char *etag)
{
    const char *dash = etag ? strrchr(etag, '-') : NULL;
    uint32_t n = 0;

    if (!dash || !dash[1])
        return 0;
    for (const char *c = dash + 1; *c; c++) {
        if (*c < '0' || *c > '9' || n > 10000)
            return 0;
        n = n * 10 + (uint32_t)(*c - '0');
    }
    return n <= 10000 ? n : 0;
}

uint32_t gw_manifest_parts(const gw_manifest_t *m, const char *etag)
{
    uint32_t n;

    if (m == NULL)
        return 0;
    if (m->nparts)
        return (uint32_t)m->nparts;
    n = etag_parts(etag && etag[0] ? etag : m->etag);
    return n && n == m->nsegs ? n : 0;
}

int gw_manifest_part_range(const gw_manifest_t *m, const char *etag, uint32_t idx,
                           gw_part_range_t *out)
{
    uint32_t n = gw_manifest_parts(m, etag);
    size_t seg = 0, nsegs;
    uint64_t off = 0;

    if (idx < 1 || idx > n)
        return CN_EINVAL;
    for (uint32_t i = 0; i + 1 < idx; i++) {
        nsegs = m->nparts ? m->parts[i].nsegs : 1;
        for (size_t j = 0; j < nsegs; j++)
            off += m->segs[seg++].size;
    }
    out->off = off;
    out->len = 0;
    nsegs = m->nparts ? m->parts[idx - 1].nsegs : 1;
    for (size_t j = 0; j < nsegs; j++)
        out->len += m->segs[seg++].size;
    out->number = m->nparts ? m->parts[idx - 1].number : idx;
    out->checksum = m->nparts ? m->parts[idx - 1].checksum : "";
    return 0;
}
