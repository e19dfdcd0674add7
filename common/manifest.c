/*
 * common/manifest.c: the msgpack codec of chunk manifests (format in manifest.h). The decoder
 * validates every type and length: bytes come from the cluster.
 */
#include "common/manifest.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "common/ec.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/msgpack_check.h"

void cn_manifest_add_seg(cn_manifest_t *m, const char *prefix, size_t prefix_len, uint64_t size,
                         uint64_t chunk_size)
{
    m->segs = cn_realloc(m->segs, (m->nsegs + 1) * sizeof(*m->segs));
    cn_manifest_seg_t *s = &m->segs[m->nsegs++];
    s->prefix = cn_malloc(prefix_len + 1);
    memcpy(s->prefix, prefix, prefix_len);
    s->prefix[prefix_len] = '\0';
    s->prefix_len = prefix_len;
    s->size = size;
    s->chunk_size = chunk_size;
    s->ec_k = s->ec_m = 0;
}

void cn_manifest_seg_set_ec(cn_manifest_t *m, size_t i, unsigned k, unsigned mm)
{
    CN_ASSERT(i < m->nsegs);
    CN_ASSERT((k == 0 && mm == 0) || (k >= 1 && mm >= 1 && k + mm <= CN_EC_MAX_FRAGS));
    m->segs[i].ec_k = (uint8_t)k;
    m->segs[i].ec_m = (uint8_t)mm;
}

/* a coded segment's chunk keys take the fragment suffix: "\x01c/..." without a NUL
 * (common/ec_key.h) */
static int ec_prefix_ok(const char *p, size_t n)
{
    return n >= 3 && memcmp(p, "\x01" "c/", 3) == 0 && memchr(p, '\0', n) == NULL;
}

static int any_ec(const cn_manifest_t *m)
{
    for (size_t i = 0; i < m->nsegs; i++)
        if (m->segs[i].ec_k)
            return 1;
    return 0;
}

void cn_manifest_add_part(cn_manifest_t *m, uint32_t number, uint32_t nsegs,
                          const char *checksum)
{
    m->parts = cn_realloc(m->parts, (m->nparts + 1) * sizeof(*m->parts));
    m->parts[m->nparts].number = number;
    m->parts[m->nparts].nsegs = nsegs;
    m->parts[m->nparts].checksum = cn_strdup(checksum ? checksum : "");
    m->nparts++;
}

void cn_manifest_set_sse(cn_manifest_t *m, const void *rec, size_t len, uint64_t plain_size)
{
    CN_ASSERT(len > 0 && len <= CN_MANIFEST_SSE_MAX);
    cn_free(m->sse);
    m->sse = cn_malloc(len);
    memcpy(m->sse, rec, len);
    m->sse_len = len;
    m->plain_size = plain_size;
}

uint64_t cn_manifest_object_size(const cn_manifest_t *m)
{
    return m->sse ? m->plain_size : m->size;
}

void cn_manifest_copy_parts(cn_manifest_t *dst, const cn_manifest_t *src)
{
    for (size_t i = 0; i < src->nparts; i++)
        cn_manifest_add_part(dst, src->parts[i].number, src->parts[i].nsegs,
                             src->parts[i].checksum);
}

void cn_manifest_encode(const cn_manifest_t *m, cn_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, cn_msgpack_buf_write);
    msgpack_pack_map(&pk, (m->nparts ? 5 : 4) + (m->sse ? 2 : 0));
    cn_msgpack_pack_str(&pk, "v", 1);
    msgpack_pack_uint64(&pk, any_ec(m) ? 3 : m->sse ? 2 : 1);
    if (m->sse) {
        cn_msgpack_pack_str(&pk, "plain", 5);
        msgpack_pack_uint64(&pk, m->plain_size);
        cn_msgpack_pack_str(&pk, "sse", 3);
        msgpack_pack_bin(&pk, m->sse_len);
        msgpack_pack_bin_body(&pk, m->sse, m->sse_len);
    }
    cn_msgpack_pack_str(&pk, "size", 4);
    msgpack_pack_uint64(&pk, m->size);
    cn_msgpack_pack_str(&pk, "etag", 4);
    cn_msgpack_pack_str(&pk, m->etag, strlen(m->etag));
    cn_msgpack_pack_str(&pk, "segs", 4);
    msgpack_pack_array(&pk, m->nsegs);
    for (size_t i = 0; i < m->nsegs; i++) {
        msgpack_pack_array(&pk, m->segs[i].ec_k ? 5 : 3);
        msgpack_pack_bin(&pk, m->segs[i].prefix_len);
        msgpack_pack_bin_body(&pk, m->segs[i].prefix, m->segs[i].prefix_len);
        msgpack_pack_uint64(&pk, m->segs[i].size);
        msgpack_pack_uint64(&pk, m->segs[i].chunk_size);
        if (m->segs[i].ec_k) {
            msgpack_pack_uint32(&pk, m->segs[i].ec_k);
            msgpack_pack_uint32(&pk, m->segs[i].ec_m);
        }
    }
    if (!m->nparts)
        return;
    cn_msgpack_pack_str(&pk, "parts", 5);
    msgpack_pack_array(&pk, m->nparts);
    for (size_t i = 0; i < m->nparts; i++) {
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint32(&pk, m->parts[i].number);
        msgpack_pack_uint32(&pk, m->parts[i].nsegs);
        cn_msgpack_pack_str(&pk, m->parts[i].checksum, strlen(m->parts[i].checksum));
    }
}

void cn_manifest_dispose(cn_manifest_t *m)
{
    for (size_t i = 0; i < m->nsegs; i++)
        cn_free(m->segs[i].prefix);
    cn_free(m->segs);
    for (size_t i = 0; i < m->nparts; i++)
        cn_free(m->parts[i].checksum);
    cn_free(m->parts);
    cn_free(m->sse);
    memset(m, 0, sizeof(*m));
}

static int key_is(const msgpack_object *k, const char *s)
{
    size_t n = strlen(s);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, s, n) == 0;
}

/* "parts": [[number, nsegs, checksum], ...] into m. 0 or CN_ECORRUPT. */
static int decode_parts(const msgpack_object *v, cn_manifest_t *m)
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
        cn_manifest_add_part(m, (uint32_t)p->via.array.ptr[0].via.u64,
                             (uint32_t)p->via.array.ptr[1].via.u64, ck);
        cn_free(ck);
    }
    return 0;
}

int cn_manifest_decode(const void *p, size_t n, cn_manifest_t *m)
{
    msgpack_unpacked u;
    size_t off = 0, used;
    int rc = CN_ECORRUPT, have_size = 0, have_segs = 0, have_plain = 0;
    uint64_t sum = 0, version = 0;

    memset(m, 0, sizeof(*m));
    msgpack_unpacked_init(&u);
    if (cn_msgpack_check(p, n, &used) != 0 ||
        msgpack_unpack_next(&u, p, n, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP)
        goto out;
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object *k = &u.data.via.map.ptr[i].key, *v = &u.data.via.map.ptr[i].val;
        if (key_is(k, "v")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || version ||
                (v->via.u64 < 1 || v->via.u64 > 3))
                goto out_bad;
            version = v->via.u64;
        } else if (key_is(k, "plain")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || have_plain)
                goto out_bad;
            m->plain_size = v->via.u64;
            have_plain = 1;
        } else if (key_is(k, "sse")) {
            if (v->type != MSGPACK_OBJECT_BIN || m->sse || v->via.bin.size == 0 ||
                v->via.bin.size > CN_MANIFEST_SSE_MAX)
                goto out_bad;
            m->sse = cn_malloc(v->via.bin.size);
            memcpy(m->sse, v->via.bin.ptr, v->via.bin.size);
            m->sse_len = v->via.bin.size;
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
                if (s->type != MSGPACK_OBJECT_ARRAY ||
                    (s->via.array.size != 3 && s->via.array.size != 5) ||
                    s->via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
                    s->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                    s->via.array.ptr[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                    s->via.array.ptr[2].via.u64 == 0)
                    goto out_bad;
                uint64_t sz = s->via.array.ptr[1].via.u64;
                if (sum + sz < sum)
                    goto out_bad;
                sum += sz;
                cn_manifest_add_seg(m, s->via.array.ptr[0].via.bin.ptr,
                                    s->via.array.ptr[0].via.bin.size, sz,
                                    s->via.array.ptr[2].via.u64);
                if (s->via.array.size == 5) {
                    const msgpack_object *ek = &s->via.array.ptr[3], *em = &s->via.array.ptr[4];
                    /* each bounded before the sum: K = 2^64 - 1, M = 2 would wrap to 1 */
                    if (ek->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                        em->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ek->via.u64 < 1 ||
                        em->via.u64 < 1 || ek->via.u64 >= CN_EC_MAX_FRAGS ||
                        em->via.u64 >= CN_EC_MAX_FRAGS ||
                        ek->via.u64 + em->via.u64 > CN_EC_MAX_FRAGS ||
                        s->via.array.ptr[2].via.u64 > CN_EC_CHUNK_MAX ||
                        !ec_prefix_ok(s->via.array.ptr[0].via.bin.ptr,
                                      s->via.array.ptr[0].via.bin.size))
                        goto out_bad;
                    cn_manifest_seg_set_ec(m, m->nsegs - 1, (unsigned)ek->via.u64,
                                           (unsigned)em->via.u64);
                }
            }
            have_segs = 1;
        } else if (key_is(k, "parts")) {
            if (v->type != MSGPACK_OBJECT_ARRAY || decode_parts(v, m) != 0)
                goto out_bad;
        }
    }
    if (!have_size || !have_segs || sum != m->size)
        goto out_bad;
    /* format 2 is an encrypted object's, with both keys, and only it has them; an encrypted
     * stream is never shorter than its plaintext */
    if ((version == 2 && !m->sse) || (version < 2 && m->sse) || (m->sse != NULL) != have_plain ||
        (m->sse && m->plain_size > m->size))
        goto out_bad;
    if ((version == 3) != any_ec(m)) /* format 3 is exactly the one with coded segments */
        goto out_bad;
    if (!m->sse)
        m->plain_size = m->size;
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
    cn_manifest_dispose(m);
out:
    msgpack_unpacked_destroy(&u);
    return rc;
}

uint64_t cn_manifest_seg_chunks(const cn_manifest_seg_t *s)
{
    /* not (size + chunk_size - 1) / chunk_size: a hostile chunk_size near 2^64 wraps that to
     * 0 chunks for a segment that has bytes (fuzz_manifest) */
    return s->size / s->chunk_size + (s->size % s->chunk_size != 0);
}

uint64_t cn_manifest_chunk_len(const cn_manifest_seg_t *s, uint64_t idx)
{
    uint64_t off = idx * s->chunk_size;

    CN_ASSERT(idx < cn_manifest_seg_chunks(s));
    return s->size - off < s->chunk_size ? s->size - off : s->chunk_size;
}

void cn_manifest_chunk_key(const cn_manifest_seg_t *s, uint64_t idx, cn_buf_t *out)
{
    cn_buf_reset(out);
    cn_buf_append(out, s->prefix, s->prefix_len);
    cn_buf_appendf(out, "%06" PRIu64, idx);
}

unsigned cn_manifest_seg_records(const cn_manifest_seg_t *s)
{
    return s->ec_k ? (unsigned)s->ec_k + s->ec_m : 1;
}

void cn_manifest_record_key(const cn_manifest_seg_t *s, uint64_t idx, unsigned r,
                            cn_buf_t *out)
{
    cn_buf_t ck;

    CN_ASSERT(r < cn_manifest_seg_records(s));
    cn_manifest_chunk_key(s, idx, out);
    if (!s->ec_k)
        return;
    cn_buf_init(&ck);
    cn_buf_append(&ck, out->data, out->len);
    cn_frag_key(ck.data, ck.len, s->ec_k, s->ec_m, r, out);
    cn_buf_dispose(&ck);
}

int cn_manifest_locate(const cn_manifest_t *m, uint64_t pos, uint64_t end, cn_chunk_ref_t *out)
{
    uint64_t base = 0;
    if (end > m->size)
        end = m->size;
    if (pos >= end)
        return CN_EINVAL;
    for (size_t i = 0; i < m->nsegs; i++) {
        const cn_manifest_seg_t *s = &m->segs[i];
        if (pos < base + s->size) {
            uint64_t in = pos - base;
            out->seg = i;
            out->idx = in / s->chunk_size;
            out->off = in % s->chunk_size;
            out->len = cn_manifest_chunk_len(s, out->idx) - out->off;
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

uint32_t cn_manifest_parts(const cn_manifest_t *m, const char *etag)
{
    uint32_t n;

    if (m == NULL)
        return 0;
    if (m->nparts)
        return (uint32_t)m->nparts;
    n = etag_parts(etag && etag[0] ? etag : m->etag);
    return n && n == m->nsegs ? n : 0;
}

int cn_manifest_part_range(const cn_manifest_t *m, const char *etag, uint32_t idx,
                           cn_part_range_t *out)
{
    uint32_t n = cn_manifest_parts(m, etag);
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
