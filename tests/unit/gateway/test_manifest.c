/* tests/unit/gateway/test_manifest.c: tests gateway/s3/manifest.c (meta and manifest codecs). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
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
