/* tests/unit/gateway/test_manifest.c: tests gateway/s3/manifest.c (meta and manifest codecs)
 * and common/manifest.c's formats 2 (an encrypted object's manifest) and 3 (erasure-coded
 * segments, issue 21), whose hostile forms are packed here with msgpack-c directly. */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

#include "common/ec.h"
#include "common/err.h"
#include "common/msgpack_check.h"
#include "gateway/s3/manifest.h"

Test(manifest, roundtrip_and_chunk_keys, .timeout = 5)
{
    cn_manifest_t m = {0}, d;
    cn_buf_t b, k;
    cn_buf_init(&b);
    cn_buf_init(&k);
    m.size = 25;
    strcpy(m.etag, "0123456789abcdef0123456789abcdef");
    cn_manifest_add_seg(&m, "\x01" "c/b/k/00000000000000aa/", 24, 25, 10);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), 0);
    cr_assert_eq(d.size, 25);
    cr_assert_str_eq(d.etag, m.etag);
    cr_assert_eq(d.nsegs, 1);
    cr_assert_eq(cn_manifest_seg_chunks(&d.segs[0]), 3);
    cn_manifest_chunk_key(&d.segs[0], 2, &k);
    cr_assert_eq(k.len, 30);
    cr_assert_arr_eq(k.data, "\x01" "c/b/k/00000000000000aa/000002", 30);
    cn_manifest_dispose(&d);
    cn_manifest_dispose(&m);
    cn_buf_dispose(&b);
    cn_buf_dispose(&k);
}

Test(manifest, locate_spans_segments, .timeout = 5)
{
    cn_manifest_t m = {0};
    cn_chunk_ref_t ref;
    m.size = 35;
    cn_manifest_add_seg(&m, "p1/", 3, 25, 10); /* chunks 10,10,5 */
    cn_manifest_add_seg(&m, "p2/", 3, 10, 4);  /* chunks 4,4,2 */
    cr_assert_eq(cn_manifest_locate(&m, 0, 35, &ref), 0);
    cr_assert_eq(ref.seg, 0);
    cr_assert_eq(ref.idx, 0);
    cr_assert_eq(ref.len, 10);
    cr_assert_eq(cn_manifest_locate(&m, 23, 35, &ref), 0);
    cr_assert_eq(ref.idx, 2);
    cr_assert_eq(ref.off, 3);
    cr_assert_eq(ref.len, 2);
    cr_assert_eq(cn_manifest_locate(&m, 30, 31, &ref), 0);
    cr_assert_eq(ref.seg, 1);
    cr_assert_eq(ref.idx, 1);
    cr_assert_eq(ref.off, 1);
    cr_assert_eq(ref.len, 1);
    cr_assert_eq(cn_manifest_locate(&m, 35, 40, &ref), CN_EINVAL);
    cn_manifest_dispose(&m);
}

Test(manifest, garbage_is_corrupt_not_a_crash, .timeout = 5)
{
    cn_manifest_t d;
    gw_meta_t mt;
    static const char junk[][8] = {"", "\x80", "\xc1\xc1", "\x81\xa4size\xa1x", "\x93\x01\x02\x03"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        cr_assert_eq(cn_manifest_decode(junk[i], strlen(junk[i]), &d), CN_ECORRUPT);
    cr_assert_eq(gw_meta_decode("\x93\x01\x02\x03", 4, &mt), CN_ECORRUPT);
    /* sizes that do not add up */
    cn_manifest_t m = {0};
    cn_buf_t b;
    cn_buf_init(&b);
    m.size = 11;
    cn_manifest_add_seg(&m, "p/", 2, 10, 5);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), CN_ECORRUPT);
    cn_manifest_dispose(&m);
    cn_buf_dispose(&b);
}

Test(manifest, format_2_round_trips, .timeout = 5)
{
    static const uint8_t rec[] = {1, 3, 0, 0xde, 0xad, 0xbe, 0xef};
    cn_manifest_t m = {0}, d;
    cn_buf_t b;

    cn_buf_init(&b);
    m.size = 1000016;
    strcpy(m.etag, "0123456789abcdef0123456789abcdef");
    cn_manifest_add_seg(&m, "p/", 2, 1000016, 5u << 20);
    cn_manifest_set_sse(&m, "x", 1, 1);
    cn_manifest_set_sse(&m, rec, sizeof(rec), 1000000); /* replaces the first */
    cr_assert_eq(cn_manifest_object_size(&m), 1000000);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), 0);
    cr_assert_eq(d.size, 1000016);
    cr_assert_eq(d.plain_size, 1000000);
    cr_assert_eq(cn_manifest_object_size(&d), 1000000);
    cr_assert_eq(d.sse_len, sizeof(rec));
    cr_assert_arr_eq(d.sse, rec, sizeof(rec));
    cr_assert_str_eq(d.etag, m.etag);
    cr_assert_eq(d.nsegs, 1);
    cn_manifest_dispose(&d);
    cn_manifest_dispose(&m);
    cn_buf_dispose(&b);
}

Test(manifest, format_1_decodes_as_plain, .timeout = 5)
{
    cn_manifest_t m = {0}, d;
    cn_buf_t b;

    cn_buf_init(&b);
    m.size = 25;
    cn_manifest_add_seg(&m, "p/", 2, 25, 10);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), 0);
    cr_assert_null(d.sse);
    cr_assert_eq(d.sse_len, 0);
    cr_assert_eq(d.plain_size, 25);
    cr_assert_eq(cn_manifest_object_size(&d), 25);
    cn_manifest_dispose(&d);
    cn_manifest_dispose(&m);
    cn_buf_dispose(&b);
}

/* A manifest of one 10-byte segment packed by hand, with the format keys as given. */
typedef struct hand {
    int nv;         /* how many "v" keys (0..2), each of value v */
    uint64_t v;
    int nplain;     /* how many "plain" keys, each of value plain */
    uint64_t plain;
    int nsse;       /* how many "sse" keys, each sse_len bytes */
    size_t sse_len;
} hand_t;

static void pack_str(msgpack_packer *pk, const char *s)
{
    cn_msgpack_pack_str(pk, s, strlen(s));
}

static int decode_hand(const hand_t *h)
{
    static uint8_t rec[CN_MANIFEST_SSE_MAX + 1];
    msgpack_packer pk;
    cn_manifest_t d;
    cn_buf_t b;
    int rc;

    cn_buf_init(&b);
    msgpack_packer_init(&pk, &b, cn_msgpack_buf_write);
    msgpack_pack_map(&pk, (uint32_t)(3 + h->nv + h->nplain + h->nsse));
    for (int i = 0; i < h->nv; i++) {
        pack_str(&pk, "v");
        msgpack_pack_uint64(&pk, h->v);
    }
    for (int i = 0; i < h->nplain; i++) {
        pack_str(&pk, "plain");
        msgpack_pack_uint64(&pk, h->plain);
    }
    for (int i = 0; i < h->nsse; i++) {
        pack_str(&pk, "sse");
        msgpack_pack_bin(&pk, h->sse_len);
        msgpack_pack_bin_body(&pk, rec, h->sse_len);
    }
    pack_str(&pk, "size");
    msgpack_pack_uint64(&pk, 10);
    pack_str(&pk, "etag");
    pack_str(&pk, "e");
    pack_str(&pk, "segs");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_bin(&pk, 2);
    msgpack_pack_bin_body(&pk, "p/", 2);
    msgpack_pack_uint64(&pk, 10);
    msgpack_pack_uint64(&pk, 4);
    rc = cn_manifest_decode(b.data, b.len, &d);
    if (rc == 0) {
        cr_assert_eq(d.size, 10);
        cr_assert_eq(d.plain_size, h->nsse ? h->plain : 10);
        cr_assert_eq(d.sse_len, h->nsse ? h->sse_len : 0);
        cn_manifest_dispose(&d);
    } else {
        cr_assert_null(d.sse);
        cr_assert_eq(d.nsegs, 0);
    }
    cn_buf_dispose(&b);
    return rc;
}

Test(manifest, format_2_keys_only_together_and_in_bounds, .timeout = 5)
{
    static const struct {
        hand_t h;
        int rc;
        const char *what;
    } cases[] = {
        {{1, 2, 1, 9, 1, 7}, 0, "format 2"},
        {{1, 2, 1, 10, 1, CN_MANIFEST_SSE_MAX}, 0, "plain == size, the largest record"},
        {{1, 1, 0, 0, 0, 0}, 0, "format 1"},
        {{1, 2, 1, 9, 0, 0}, CN_ECORRUPT, "v2 without sse"},
        {{1, 2, 0, 0, 1, 7}, CN_ECORRUPT, "v2 without plain"},
        {{1, 2, 0, 0, 0, 0}, CN_ECORRUPT, "v2 without either"},
        {{1, 1, 1, 9, 1, 7}, CN_ECORRUPT, "v1 with sse and plain"},
        {{1, 1, 0, 0, 1, 7}, CN_ECORRUPT, "v1 with sse"},
        {{1, 1, 1, 9, 0, 0}, CN_ECORRUPT, "v1 with plain"},
        {{0, 0, 1, 9, 1, 7}, CN_ECORRUPT, "no v with sse and plain"},
        {{1, 2, 1, 11, 1, 7}, CN_ECORRUPT, "plain > size"},
        {{1, 2, 1, 9, 1, 0}, CN_ECORRUPT, "sse empty"},
        {{1, 2, 1, 9, 1, CN_MANIFEST_SSE_MAX + 1}, CN_ECORRUPT, "sse too long"},
        {{2, 2, 1, 9, 1, 7}, CN_ECORRUPT, "v2 twice"},
        {{2, 1, 0, 0, 0, 0}, CN_ECORRUPT, "v1 twice"},
        {{1, 2, 2, 9, 1, 7}, CN_ECORRUPT, "plain twice"},
        {{1, 2, 1, 9, 2, 7}, CN_ECORRUPT, "sse twice"},
        {{1, 3, 1, 9, 1, 7}, CN_ECORRUPT, "v 3"},
        {{1, 3, 0, 0, 0, 0}, CN_ECORRUPT, "v 3 without the format 2 keys"},
        {{1, 0, 0, 0, 0, 0}, CN_ECORRUPT, "v 0"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(decode_hand(&cases[i].h), cases[i].rc, "%s", cases[i].what);
}

/* ---- format 3 (issue 21): erasure-coded segments [prefix, size, chunk_size, K, M] -------- */

/* The "v" of an encoded manifest (0 when it has none). */
static uint64_t encoded_version(const cn_buf_t *b)
{
    msgpack_unpacked u;
    uint64_t v = 0;

    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, b->data, b->len, NULL), MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(u.data.type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object *k = &u.data.via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 1 && k->via.str.ptr[0] == 'v')
            v = u.data.via.map.ptr[i].val.via.u64;
    }
    msgpack_unpacked_destroy(&u);
    return v;
}

Test(manifest, format_3_mixed_round_trips, .timeout = 5)
{
    static const uint8_t rec[] = {1, 3, 0, 0xde, 0xad, 0xbe, 0xef};
    cn_manifest_t m = {0}, d;
    cn_buf_t b, k;

    cn_buf_init(&b);
    cn_buf_init(&k);
    m.size = (12u << 20) + (5u << 20) + 7;
    strcpy(m.etag, "0123456789abcdef0123456789abcdef-3");
    cn_manifest_add_seg(&m, "\x01" "c/b/k/00000000000000aa/", 24, 12u << 20, 5u << 20);
    cn_manifest_add_seg(&m, "\x01mp/b/k/u1/2/", 13, 5u << 20, 5u << 20);
    cn_manifest_add_seg(&m, "\x01" "c/b/k/00000000000000aa/3/", 26, 7, 5u << 20);
    cn_manifest_seg_set_ec(&m, 0, 4, 2);
    cn_manifest_seg_set_ec(&m, 2, 15, 1);
    cn_manifest_add_part(&m, 1, 1, NULL);
    cn_manifest_add_part(&m, 2, 1, "x-amz-checksum-crc32=AAAAAA==");
    cn_manifest_add_part(&m, 3, 1, NULL);
    cn_manifest_set_sse(&m, rec, sizeof(rec), m.size - 16);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(encoded_version(&b), 3);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), 0);
    cr_assert_eq(d.size, m.size);
    cr_assert_eq(d.plain_size, m.size - 16);
    cr_assert_eq(cn_manifest_object_size(&d), m.size - 16);
    cr_assert_eq(d.sse_len, sizeof(rec));
    cr_assert_arr_eq(d.sse, rec, sizeof(rec));
    cr_assert_str_eq(d.etag, m.etag);
    cr_assert_eq(d.nsegs, 3);
    cr_assert_eq(d.segs[0].ec_k, 4);
    cr_assert_eq(d.segs[0].ec_m, 2);
    cr_assert_eq(d.segs[1].ec_k, 0, "a replicated segment stays one");
    cr_assert_eq(d.segs[1].ec_m, 0);
    cr_assert_eq(d.segs[2].ec_k, 15);
    cr_assert_eq(d.segs[2].ec_m, 1);
    cr_assert_eq(cn_manifest_seg_chunks(&d.segs[0]), 3);
    cr_assert_eq(cn_manifest_seg_chunks(&d.segs[2]), 1);
    cn_manifest_chunk_key(&d.segs[0], 2, &k);
    cr_assert_eq(k.len, 30);
    cr_assert_arr_eq(k.data, "\x01" "c/b/k/00000000000000aa/000002", 30);
    cr_assert_eq(d.nparts, 3);
    cr_assert_str_eq(d.parts[1].checksum, "x-amz-checksum-crc32=AAAAAA==");
    cn_manifest_dispose(&d);

    /* making every segment replicated again gives format 2 back */
    cn_manifest_seg_set_ec(&m, 0, 0, 0);
    cn_manifest_seg_set_ec(&m, 2, 0, 0);
    cn_buf_reset(&b);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(encoded_version(&b), 2);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), 0);
    for (size_t i = 0; i < d.nsegs; i++)
        cr_assert_eq(d.segs[i].ec_k, 0);
    cn_manifest_dispose(&d);
    cn_manifest_dispose(&m);
    cn_buf_dispose(&b);
    cn_buf_dispose(&k);
}

Test(manifest, format_3_without_sse_round_trips, .timeout = 5)
{
    cn_manifest_t m = {0}, d;
    cn_buf_t b;

    cn_buf_init(&b);
    m.size = 300000;
    strcpy(m.etag, "e");
    cn_manifest_add_seg(&m, "\x01" "c/", 3, 300000, CN_EC_CHUNK_MAX); /* the shortest prefix */
    cn_manifest_seg_set_ec(&m, 0, 1, 15);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(encoded_version(&b), 3);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), 0);
    cr_assert_null(d.sse);
    cr_assert_eq(d.plain_size, 300000);
    cr_assert_eq(d.segs[0].ec_k, 1);
    cr_assert_eq(d.segs[0].ec_m, 15);
    cr_assert_eq(d.segs[0].chunk_size, CN_EC_CHUNK_MAX);
    cn_manifest_dispose(&d);
    cn_manifest_dispose(&m);
    cn_buf_dispose(&b);
}

/* One segment packed by hand: n elements (3 or 5 are the valid counts) with the values
 * given; k and m are packed as msgpack ints (negative ones as such) when n >= 5. */
typedef struct hand_seg {
    const char *prefix;
    size_t prefix_len;
    uint64_t size, chunk_size;
    int n;
    int64_t k, m;
} hand_seg_t;

/* Decodes {"v": v (none when 0), ["plain", "sse" when sse], "size", "etag", "segs"}. */
static int decode_segs(uint64_t v, int sse, const hand_seg_t *segs, size_t nsegs)
{
    msgpack_packer pk;
    cn_manifest_t d;
    cn_buf_t b;
    uint64_t sum = 0;
    int rc;

    for (size_t i = 0; i < nsegs; i++)
        sum += segs[i].size;
    cn_buf_init(&b);
    msgpack_packer_init(&pk, &b, cn_msgpack_buf_write);
    msgpack_pack_map(&pk, (uint32_t)(3 + (v ? 1 : 0) + (sse ? 2 : 0)));
    if (v) {
        pack_str(&pk, "v");
        msgpack_pack_uint64(&pk, v);
    }
    if (sse) {
        pack_str(&pk, "plain");
        msgpack_pack_uint64(&pk, sum);
        pack_str(&pk, "sse");
        msgpack_pack_bin(&pk, 3);
        msgpack_pack_bin_body(&pk, "rec", 3);
    }
    pack_str(&pk, "size");
    msgpack_pack_uint64(&pk, sum);
    pack_str(&pk, "etag");
    pack_str(&pk, "e");
    pack_str(&pk, "segs");
    msgpack_pack_array(&pk, (uint32_t)nsegs);
    for (size_t i = 0; i < nsegs; i++) {
        const hand_seg_t *s = &segs[i];
        msgpack_pack_array(&pk, (uint32_t)s->n);
        msgpack_pack_bin(&pk, s->prefix_len);
        msgpack_pack_bin_body(&pk, s->prefix, s->prefix_len);
        msgpack_pack_uint64(&pk, s->size);
        msgpack_pack_uint64(&pk, s->chunk_size);
        if (s->n >= 4)
            msgpack_pack_int64(&pk, s->k);
        if (s->n >= 5)
            msgpack_pack_int64(&pk, s->m);
        for (int j = 5; j < s->n; j++)
            msgpack_pack_uint64(&pk, 1);
    }
    rc = cn_manifest_decode(b.data, b.len, &d);
    if (rc == 0) {
        cr_assert_eq(d.nsegs, nsegs);
        for (size_t i = 0; i < nsegs; i++) {
            cr_assert_eq(d.segs[i].ec_k, segs[i].n == 5 ? segs[i].k : 0);
            cr_assert_eq(d.segs[i].ec_m, segs[i].n == 5 ? segs[i].m : 0);
        }
        cn_manifest_dispose(&d);
    } else {
        cr_assert_eq(d.nsegs, 0);
        cr_assert_null(d.segs);
        cr_assert_null(d.sse);
    }
    cn_buf_dispose(&b);
    return rc;
}

#define CP "\x01" "c/b/k/00000000000000aa/"
#define SEG(k, m) {CP, sizeof(CP) - 1, 10, 4, 5, (k), (m)}
#define PLAIN_SEG {CP, sizeof(CP) - 1, 10, 4, 3, 0, 0}

Test(manifest, format_3_exactly_when_a_segment_is_coded, .timeout = 5)
{
    static const struct {
        uint64_t v;
        int sse;
        hand_seg_t segs[2];
        size_t nsegs;
        int rc;
        const char *what;
    } cases[] = {
        {3, 0, {SEG(4, 2)}, 1, 0, "v3, one coded segment"},
        {3, 1, {SEG(4, 2), PLAIN_SEG}, 2, 0, "v3 encrypted, coded and replicated"},
        {3, 0, {PLAIN_SEG, SEG(8, 3)}, 2, 0, "v3, the coded segment second"},
        {3, 0, {PLAIN_SEG}, 1, CN_ECORRUPT, "v3 without a coded segment"},
        {3, 1, {PLAIN_SEG, PLAIN_SEG}, 2, CN_ECORRUPT, "v3 encrypted without a coded segment"},
        {3, 0, {{0}}, 0, CN_ECORRUPT, "v3 without segments"},
        {1, 0, {SEG(4, 2)}, 1, CN_ECORRUPT, "a 5-element segment in v1"},
        {2, 1, {SEG(4, 2)}, 1, CN_ECORRUPT, "a 5-element segment in v2"},
        {2, 1, {PLAIN_SEG, SEG(4, 2)}, 2, CN_ECORRUPT, "v2, its second segment coded"},
        {0, 0, {SEG(4, 2)}, 1, CN_ECORRUPT, "a 5-element segment without v"},
        {2, 1, {PLAIN_SEG}, 1, 0, "v2 as before"},
        {1, 0, {PLAIN_SEG}, 1, 0, "v1 as before"},
        {4, 0, {SEG(4, 2)}, 1, CN_ECORRUPT, "v4"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(decode_segs(cases[i].v, cases[i].sse, cases[i].segs, cases[i].nsegs),
                     cases[i].rc, "%s", cases[i].what);
}

Test(manifest, format_3_k_and_m_in_bounds, .timeout = 5)
{
    static const struct {
        int64_t k, m;
        int rc;
    } cases[] = {
        {1, 1, 0},           {4, 2, 0},           {8, 3, 0},           {15, 1, 0},
        {1, 15, 0},          {10, 6, 0},          {0, 2, CN_ECORRUPT}, {4, 0, CN_ECORRUPT},
        {0, 0, CN_ECORRUPT}, {16, 1, CN_ECORRUPT}, {1, 16, CN_ECORRUPT}, {15, 2, CN_ECORRUPT},
        {9, 8, CN_ECORRUPT}, {255, 1, CN_ECORRUPT}, {-1, 2, CN_ECORRUPT}, {4, -2, CN_ECORRUPT},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hand_seg_t s = SEG(cases[i].k, cases[i].m);
        cr_assert_eq(decode_segs(3, 0, &s, 1), cases[i].rc, "%lld+%lld",
                     (long long)cases[i].k, (long long)cases[i].m);
    }
}

/* Starts b with a format-3 manifest of one coded 10-byte segment, packed up to its chunk
 * size: the caller packs K and M. */
static void pack_coded_until_km(cn_buf_t *b, msgpack_packer *pk)
{
    cn_buf_init(b);
    msgpack_packer_init(pk, b, cn_msgpack_buf_write);
    msgpack_pack_map(pk, 4);
    pack_str(pk, "v");
    msgpack_pack_uint64(pk, 3);
    pack_str(pk, "size");
    msgpack_pack_uint64(pk, 10);
    pack_str(pk, "etag");
    pack_str(pk, "e");
    pack_str(pk, "segs");
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 5);
    msgpack_pack_bin(pk, sizeof(CP) - 1);
    msgpack_pack_bin_body(pk, CP, sizeof(CP) - 1);
    msgpack_pack_uint64(pk, 10);
    msgpack_pack_uint64(pk, 4);
}

/* K + M over 16 by wrapping: UINT64_MAX + 2 is 1 in 64 bits. Packed as unsigned ints. */
Test(manifest, format_3_k_plus_m_cannot_wrap, .timeout = 5)
{
    static const uint64_t kms[][2] = {
        {UINT64_MAX, 2}, {2, UINT64_MAX}, {UINT64_MAX, UINT64_MAX}, {1ull << 32, 2},
        {(1ull << 32) + 4, 2}, {4, (1ull << 32) + 2}, {UINT64_MAX - 14, 16},
    };

    for (size_t i = 0; i < sizeof(kms) / sizeof(kms[0]); i++) {
        msgpack_packer pk;
        cn_manifest_t d;
        cn_buf_t b;

        pack_coded_until_km(&b, &pk);
        msgpack_pack_uint64(&pk, kms[i][0]);
        msgpack_pack_uint64(&pk, kms[i][1]);
        cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), CN_ECORRUPT, "%llu+%llu",
                     (unsigned long long)kms[i][0], (unsigned long long)kms[i][1]);
        cn_buf_dispose(&b);
    }
}

Test(manifest, format_3_coded_prefix_and_chunk_size, .timeout = 5)
{
    static const struct {
        hand_seg_t s;
        int rc;
        const char *what;
    } cases[] = {
        {{"\x01" "c/", 3, 10, 4, 5, 4, 2}, 0, "the prefix \\x01c/ alone"},
        {{"\x01" "c/b/k/v/", 8, 10, 4, 5, 4, 2}, 0, "a chunk prefix"},
        {{"\x01mp/b/k/u1/1/", 13, 10, 4, 5, 4, 2}, CN_ECORRUPT, "a multipart part's prefix"},
        {{"p/", 2, 10, 4, 5, 4, 2}, CN_ECORRUPT, "not internal"},
        {{"b/k/", 4, 10, 4, 5, 4, 2}, CN_ECORRUPT, "a user key's"},
        {{"\x01" "c", 2, 10, 4, 5, 4, 2}, CN_ECORRUPT, "\\x01c without the slash"},
        {{"", 0, 10, 4, 5, 4, 2}, CN_ECORRUPT, "empty"},
        {{"\x01" "C/b/", 4, 10, 4, 5, 4, 2}, CN_ECORRUPT, "upper-case C"},
        {{"\x01" "c/b\0k/", 7, 10, 4, 5, 4, 2}, CN_ECORRUPT, "a NUL inside"},
        {{"\x01" "c/b/k/\0", 8, 10, 4, 5, 4, 2}, CN_ECORRUPT, "a NUL at the end"},
        {{"\x01mp/b/k/u1/1/", 13, 10, 4, 3, 0, 0}, 0, "a replicated part's prefix is free"},
        {{"p\0/", 3, 10, 4, 3, 0, 0}, 0, "and so is a replicated segment's NUL"},
        {{CP, sizeof(CP) - 1, 10, CN_EC_CHUNK_MAX, 5, 4, 2}, 0, "chunk_size CN_EC_CHUNK_MAX"},
        {{CP, sizeof(CP) - 1, 10, (uint64_t)CN_EC_CHUNK_MAX + 1, 5, 4, 2}, CN_ECORRUPT,
         "chunk_size over CN_EC_CHUNK_MAX"},
        {{CP, sizeof(CP) - 1, 10, UINT64_MAX, 5, 4, 2}, CN_ECORRUPT, "chunk_size 2^64 - 1"},
        {{CP, sizeof(CP) - 1, 10, (uint64_t)CN_EC_CHUNK_MAX + 1, 3, 0, 0}, 0,
         "a replicated segment's chunk_size is not bounded so"},
        {{CP, sizeof(CP) - 1, 10, 0, 5, 4, 2}, CN_ECORRUPT, "chunk_size 0"},
        {{CP, sizeof(CP) - 1, 10, 4, 4, 4, 0}, CN_ECORRUPT, "4 elements"},
        {{CP, sizeof(CP) - 1, 10, 4, 6, 4, 2}, CN_ECORRUPT, "6 elements"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = cases[i].s.n == 5 ? 3 : 1;
        cr_assert_eq(decode_segs(v, 0, &cases[i].s, 1), cases[i].rc, "%s", cases[i].what);
    }
}

/* K and M as other types than unsigned ints */
Test(manifest, format_3_k_and_m_are_unsigned_ints, .timeout = 5)
{
    for (int kind = 0; kind < 4; kind++) {
        msgpack_packer pk;
        cn_manifest_t d;
        cn_buf_t b;

        pack_coded_until_km(&b, &pk);
        switch (kind) {
        case 0:
            pack_str(&pk, "4");
            break;
        case 1:
            msgpack_pack_double(&pk, 4.0);
            break;
        case 2:
            msgpack_pack_nil(&pk);
            break;
        default:
            msgpack_pack_true(&pk);
            break;
        }
        msgpack_pack_uint64(&pk, 2);
        cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), CN_ECORRUPT, "kind %d", kind);
        cn_buf_dispose(&b);
    }
}
#undef SEG
#undef PLAIN_SEG
#undef CP

Test(meta, roundtrip_lowercases_names, .timeout = 5)
{
    gw_meta_t m = {0}, d;
    cn_buf_t b;
    cn_buf_init(&b);
    gw_meta_add(&m, "Content-Type", 12, "text/plain", 10);
    gw_meta_add(&m, "X-Amz-Meta-Color", 16, "blue", 4);
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_decode(b.data, b.len, &d), 0);
    cr_assert_eq(d.n, 2);
    cr_assert_str_eq(d.pairs[0].name, "content-type");
    cr_assert_str_eq(d.pairs[0].value, "text/plain");
    cr_assert_str_eq(d.pairs[1].name, "x-amz-meta-color");
    cr_assert_str_eq(d.pairs[1].value, "blue");
    gw_meta_dispose(&d);
    gw_meta_dispose(&m);
    cr_assert_eq(gw_meta_decode("", 0, &d), 0);
    cr_assert_eq(d.n, 0);
    cn_buf_dispose(&b);
}
