/*
 * common/range_hash.c: range summaries for recover-cluster (the design, the digest and the
 * wire forms are in range_hash.h). Invariants: a summary's child array has exactly 2^bits
 * sums; every decoder checks a whole input before it changes anything.
 */
#include "common/range_hash.h"

#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define RH_SUMMARY_MAGIC 0x52485355u /* "RHSU" */
#define RH_TAG "cairn-rh1"
#define RH_TAG_LEN 9
#define RH_KIND_TOMBSTONE 1u
#define RH_KIND_MARKER 2u

static uint64_t get_u64le(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- positions and ranges --------------------------------------------------------------- */

uint64_t cn_rh_pos(const uint8_t keyhash[CN_RH_SUM_LEN])
{
    return cn_get_u64be(keyhash);
}

uint64_t cn_rh_key_hash(const void *key, size_t len, uint8_t keyhash[CN_RH_SUM_LEN])
{
    cn_sha256(key, len, keyhash);
    return cn_rh_pos(keyhash);
}

int cn_rh_range_check(cn_rh_range_t r)
{
    if (r.depth > CN_RH_MAX_DEPTH)
        return CN_EINVAL;
    if (r.depth < CN_RH_MAX_DEPTH && (r.value >> r.depth) != 0)
        return CN_EINVAL;
    return 0;
}

int cn_rh_range_has(cn_rh_range_t r, uint64_t pos)
{
    CN_DASSERT(cn_rh_range_check(r) == 0);
    return r.depth == 0 || (pos >> (CN_RH_MAX_DEPTH - r.depth)) == r.value;
}

uint32_t cn_rh_child_of(cn_rh_range_t r, uint32_t bits, uint64_t pos)
{
    CN_ASSERT(bits <= CN_RH_MAX_BITS && r.depth + bits <= CN_RH_MAX_DEPTH);
    if (bits == 0)
        return 0;
    return (uint32_t)((pos >> (CN_RH_MAX_DEPTH - r.depth - bits)) & ((1u << bits) - 1));
}

cn_rh_range_t cn_rh_range_child(cn_rh_range_t r, uint32_t bits, uint32_t i)
{
    CN_ASSERT(bits <= CN_RH_MAX_BITS && r.depth + bits <= CN_RH_MAX_DEPTH);
    CN_ASSERT((uint64_t)i < (1ull << bits));
    return (cn_rh_range_t){r.depth + bits, bits == 0 ? r.value : r.value << bits | i};
}

/* ---- digests and sums ------------------------------------------------------------------- */

void cn_rh_digest(const uint8_t keyhash[CN_RH_SUM_LEN], uint64_t clock, uint32_t flags,
                  uint8_t out[CN_RH_SUM_LEN])
{
    uint8_t b[RH_TAG_LEN + CN_RH_SUM_LEN + 8 + 1];

    memcpy(b, RH_TAG, RH_TAG_LEN);
    memcpy(b + RH_TAG_LEN, keyhash, CN_RH_SUM_LEN);
    put_u64le(b + RH_TAG_LEN + CN_RH_SUM_LEN, clock);
    b[sizeof(b) - 1] = (uint8_t)(((flags & CN_OBJ_TOMBSTONE) ? RH_KIND_TOMBSTONE : 0) |
                                 ((flags & CN_OBJ_DELETE_MARKER) ? RH_KIND_MARKER : 0));
    cn_sha256(b, sizeof(b), out);
}

/* s->w += w, modulo 2^256 */
static void add256(uint64_t s[4], const uint64_t w[4])
{
    uint64_t carry = 0;

    for (int i = 0; i < 4; i++) {
        uint64_t a = s[i] + w[i];
        uint64_t c = a < s[i];

        s[i] = a + carry;
        carry = c | (s[i] < a);
    }
}

void cn_rh_sum_add_digest(cn_rh_sum_t *s, const uint8_t digest[CN_RH_SUM_LEN])
{
    uint64_t w[4];

    for (int i = 0; i < 4; i++)
        w[i] = get_u64le(digest + 8 * i);
    add256(s->w, w);
    s->count++;
}

void cn_rh_sum_merge(cn_rh_sum_t *s, const cn_rh_sum_t *o)
{
    add256(s->w, o->w);
    s->count += o->count;
}

int cn_rh_sum_eq(const cn_rh_sum_t *a, const cn_rh_sum_t *b)
{
    return a->count == b->count && a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] &&
           a->w[3] == b->w[3];
}

void cn_rh_sum_bytes(const cn_rh_sum_t *s, uint8_t out[CN_RH_SUM_LEN])
{
    for (int i = 0; i < 4; i++)
        put_u64le(out + 8 * i, s->w[i]);
}

/* ---- summaries -------------------------------------------------------------------------- */

int cn_rh_summary_init(cn_rh_summary_t *s, cn_rh_range_t r, uint32_t bits)
{
    memset(s, 0, sizeof(*s));
    s->magic = RH_SUMMARY_MAGIC;
    if (cn_rh_range_check(r) != 0 || bits > CN_RH_MAX_BITS || r.depth + bits > CN_RH_MAX_DEPTH)
        return CN_EINVAL;
    s->range = r;
    s->bits = bits;
    s->n = (size_t)1 << bits;
    s->child = cn_calloc(s->n, sizeof(*s->child));
    return 0;
}

void cn_rh_summary_dispose(cn_rh_summary_t *s)
{
    CN_CHECK_OBJ(s, RH_SUMMARY_MAGIC);
    cn_free(s->child);
    memset(s, 0, sizeof(*s));
}

int cn_rh_summary_add_hashed(cn_rh_summary_t *s, const uint8_t keyhash[CN_RH_SUM_LEN],
                             uint64_t clock, uint32_t flags)
{
    uint64_t pos = cn_rh_pos(keyhash);
    uint8_t d[CN_RH_SUM_LEN];

    CN_CHECK_OBJ(s, RH_SUMMARY_MAGIC);
    CN_ASSERT(s->child != NULL);
    if (!cn_rh_range_has(s->range, pos))
        return 0;
    cn_rh_digest(keyhash, clock, flags, d);
    cn_rh_sum_add_digest(&s->child[cn_rh_child_of(s->range, s->bits, pos)], d);
    return 1;
}

int cn_rh_summary_add(cn_rh_summary_t *s, const void *key, size_t len, uint64_t clock,
                      uint32_t flags)
{
    uint8_t kh[CN_RH_SUM_LEN];

    if (len == 0 || len > CN_RH_KEY_MAX)
        return CN_EINVAL;
    cn_rh_key_hash(key, len, kh);
    return cn_rh_summary_add_hashed(s, kh, clock, flags);
}

static int same_shape(const cn_rh_summary_t *a, const cn_rh_summary_t *b)
{
    return a->child != NULL && b->child != NULL && a->bits == b->bits &&
           a->range.depth == b->range.depth && a->range.value == b->range.value;
}

int cn_rh_summary_merge(cn_rh_summary_t *s, const cn_rh_summary_t *o)
{
    CN_CHECK_OBJ(s, RH_SUMMARY_MAGIC);
    CN_CHECK_OBJ(o, RH_SUMMARY_MAGIC);
    if (!same_shape(s, o))
        return CN_EINVAL;
    for (size_t i = 0; i < s->n; i++)
        cn_rh_sum_merge(&s->child[i], &o->child[i]);
    return 0;
}

void cn_rh_summary_total(const cn_rh_summary_t *s, cn_rh_sum_t *out)
{
    CN_CHECK_OBJ(s, RH_SUMMARY_MAGIC);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < s->n; i++)
        cn_rh_sum_merge(out, &s->child[i]);
}

int cn_rh_summary_diff(const cn_rh_summary_t *a, const cn_rh_summary_t *b, uint32_t *out,
                       size_t cap, size_t *n)
{
    size_t k = 0;

    CN_CHECK_OBJ(a, RH_SUMMARY_MAGIC);
    CN_CHECK_OBJ(b, RH_SUMMARY_MAGIC);
    *n = 0;
    if (!same_shape(a, b))
        return CN_EINVAL;
    for (size_t i = 0; i < a->n; i++) {
        if (cn_rh_sum_eq(&a->child[i], &b->child[i]))
            continue;
        if (k < cap)
            out[k] = (uint32_t)i;
        k++;
    }
    *n = k;
    return 0;
}

size_t cn_rh_summary_encode(const cn_rh_summary_t *s, cn_buf_t *out)
{
    uint8_t b[CN_RH_CHILD_LEN];
    size_t k = 0;

    CN_CHECK_OBJ(s, RH_SUMMARY_MAGIC);
    for (size_t i = 0; i < s->n; i++) {
        const cn_rh_sum_t *c = &s->child[i];

        if (c->count == 0)
            continue;
        cn_put_u32le(b, (uint32_t)i);
        put_u64le(b + 4, c->count);
        cn_rh_sum_bytes(c, b + 12);
        cn_buf_append(out, b, sizeof(b));
        k++;
    }
    return k;
}

int cn_rh_summary_decode_add(cn_rh_summary_t *s, const void *p, size_t len)
{
    const uint8_t *b = p;
    int64_t last = -1;

    CN_CHECK_OBJ(s, RH_SUMMARY_MAGIC);
    if (s->child == NULL || len % CN_RH_CHILD_LEN != 0 || (len > 0 && b == NULL))
        return CN_ECORRUPT;
    for (size_t off = 0; off < len; off += CN_RH_CHILD_LEN) { /* check all first */
        uint32_t i = cn_get_u32le(b + off);

        if (i >= s->n || (int64_t)i <= last || get_u64le(b + off + 4) == 0)
            return CN_ECORRUPT;
        last = i;
    }
    for (size_t off = 0; off < len; off += CN_RH_CHILD_LEN) {
        cn_rh_sum_t c;

        c.count = get_u64le(b + off + 4);
        for (int w = 0; w < 4; w++)
            c.w[w] = get_u64le(b + off + 12 + 8 * w);
        cn_rh_sum_merge(&s->child[cn_get_u32le(b + off)], &c);
    }
    return 0;
}

/* ---- lists and selections --------------------------------------------------------------- */

int cn_rh_list_append(cn_buf_t *out, cn_slice_t key, uint64_t clock, uint32_t flags,
                      cn_slice_t etag)
{
    uint8_t b[8 + 4 + 1];

    if (key.len == 0 || key.len > CN_RH_KEY_MAX || etag.len > CN_RH_ETAG_MAX ||
        (etag.len > 0 && memchr(etag.ptr, '\0', etag.len) != NULL))
        return CN_EINVAL;
    b[0] = (uint8_t)key.len;
    b[1] = (uint8_t)(key.len >> 8);
    cn_buf_append(out, b, 2);
    cn_buf_append(out, key.ptr, key.len);
    put_u64le(b, clock);
    cn_put_u32le(b + 8, flags);
    b[12] = (uint8_t)etag.len;
    cn_buf_append(out, b, sizeof(b));
    if (etag.len > 0)
        cn_buf_append(out, etag.ptr, etag.len);
    return 0;
}

int cn_rh_list_next(const void *p, size_t len, size_t *off, cn_rh_item_t *item)
{
    const uint8_t *b = p;
    size_t o = *off, klen, elen;

    if (o == len)
        return 0;
    if (o > len || b == NULL || len - o < 2)
        return CN_ECORRUPT;
    klen = (size_t)b[o] | (size_t)b[o + 1] << 8;
    o += 2;
    if (klen == 0 || klen > CN_RH_KEY_MAX || len - o < klen + 13)
        return CN_ECORRUPT;
    elen = b[o + klen + 12];
    if (elen > CN_RH_ETAG_MAX || len - o - klen - 13 < elen ||
        memchr(b + o + klen + 13, '\0', elen) != NULL)
        return CN_ECORRUPT;
    item->key = cn_slice(b + o, klen);
    o += klen;
    item->clock = get_u64le(b + o);
    item->flags = cn_get_u32le(b + o + 8);
    memcpy(item->etag, b + o + 13, elen);
    item->etag[elen] = '\0';
    *off = o + 13 + elen;
    return 1;
}

size_t cn_rh_select_len(uint32_t bits)
{
    CN_ASSERT(bits <= CN_RH_MAX_BITS);
    return (((size_t)1 << bits) + 7) / 8;
}

void cn_rh_select_set(uint8_t *sel, uint32_t i)
{
    sel[i / 8] |= (uint8_t)(1u << (i % 8));
}

int cn_rh_select_has(const uint8_t *sel, uint32_t i)
{
    return (sel[i / 8] >> (i % 8)) & 1;
}
