/* tests/unit/gateway/test_manifest.c: tests gateway/s3/manifest.c (meta and manifest codecs)
 * and common/manifest.c's format 2 (an encrypted object's manifest), whose hostile forms are
 * packed here with msgpack-c directly. */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

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
