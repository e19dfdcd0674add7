/*
 * tests/unit/gateway/test_mpu.c: tests the pure parts of object attributes and multipart
 * details (issue 16): the parts table of a chunk manifest and the part ranges read from it
 * (gateway/s3/manifest.c, old manifests included), composite checksums
 * (gateway/s3/mpu_sum.c, against values computed with Python's zlib and hashlib), the
 * x-amz-object-attributes list (gateway/s3/s3_attributes.c) and a CompleteMultipartUpload
 * part's checksum (gateway/s3/s3_xmlin.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/mpu_sum.h"
#include "gateway/s3/s3_attributes.h"
#include "gateway/s3/s3_xmlin.h"

/* A manifest of parts of sizes[i] bytes, segs[i] segments each (all but the last segment of
 * a part 4 bytes), numbered numbers[i] (0: no parts table, as before issue 16). */
static void build(cn_manifest_t *m, const uint64_t *sizes, const uint32_t *segs,
                  const uint32_t *numbers, size_t n, const char *etag)
{
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        uint64_t left = sizes[i];
        for (uint32_t j = 0; j < segs[i]; j++) {
            uint64_t sz = j + 1 < segs[i] ? 4 : left;
            cn_manifest_add_seg(m, "p/", 2, sz, 8);
            left -= sz;
        }
        m->size += sizes[i];
        if (numbers)
            cn_manifest_add_part(m, numbers[i], segs[i], i == 1 ? "x-amz-checksum-crc32=AAAAAA==" : "");
    }
    snprintf(m->etag, sizeof(m->etag), "%s", etag);
}

static void roundtrip(cn_manifest_t *m, cn_manifest_t *d)
{
    cn_buf_t b;
    cn_buf_init(&b);
    cn_manifest_encode(m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, d), 0);
    cn_buf_dispose(&b);
}

Test(parts, table_roundtrips_and_gives_each_parts_bytes, .timeout = 5)
{
    static const uint64_t sizes[] = {10, 7, 3};
    static const uint32_t segs[] = {3, 1, 1}, numbers[] = {1, 4, 9};
    cn_manifest_t m, d;
    cn_part_range_t p;

    build(&m, sizes, segs, numbers, 3, "abc-3");
    roundtrip(&m, &d);
    cr_assert_eq(d.nparts, 3);
    cr_assert_eq(cn_manifest_parts(&d, d.etag), 3);
    cr_assert_eq(cn_manifest_part_range(&d, d.etag, 1, &p), 0);
    cr_assert(p.number == 1 && p.off == 0 && p.len == 10);
    cr_assert_str_eq(p.checksum, "");
    cr_assert_eq(cn_manifest_part_range(&d, d.etag, 2, &p), 0);
    cr_assert(p.number == 4 && p.off == 10 && p.len == 7);
    cr_assert_str_eq(p.checksum, "x-amz-checksum-crc32=AAAAAA==");
    cr_assert_eq(cn_manifest_part_range(&d, d.etag, 3, &p), 0);
    cr_assert(p.number == 9 && p.off == 17 && p.len == 3);
    cr_assert_eq(cn_manifest_part_range(&d, d.etag, 4, &p), CN_EINVAL);
    cr_assert_eq(cn_manifest_part_range(&d, d.etag, 0, &p), CN_EINVAL);
    cn_manifest_dispose(&m);
    cn_manifest_dispose(&d);
}

Test(parts, a_manifest_before_the_table_is_one_segment_a_part, .timeout = 5)
{
    static const uint64_t sizes[] = {6, 5};
    static const uint32_t segs[] = {1, 1}, two[] = {2, 1};
    cn_manifest_t m, d;
    cn_part_range_t p;

    build(&m, sizes, segs, NULL, 2, "0123-2");
    roundtrip(&m, &d);
    cr_assert_eq(d.nparts, 0);
    cr_assert_eq(cn_manifest_parts(&d, d.etag), 2);
    cr_assert_eq(cn_manifest_part_range(&d, d.etag, 2, &p), 0);
    cr_assert(p.number == 2 && p.off == 6 && p.len == 5);
    cn_manifest_dispose(&m);
    cn_manifest_dispose(&d);
    /* a plain large PUT: one segment, an MD5 ETag: not a multipart object */
    build(&m, sizes, segs, NULL, 1, "0123456789abcdef0123456789abcdef");
    cr_assert_eq(cn_manifest_parts(&m, m.etag), 0);
    cr_assert_eq(cn_manifest_part_range(&m, m.etag, 1, &p), CN_EINVAL);
    cn_manifest_dispose(&m);
    /* an ETag that does not match the segments: no part is made up */
    build(&m, sizes, two, NULL, 2, "0123-2");
    cr_assert_eq(cn_manifest_parts(&m, m.etag), 0);
    cn_manifest_dispose(&m);
    cr_assert_eq(cn_manifest_parts(NULL, "x-2"), 0);
}

Test(parts, a_table_that_does_not_cover_the_segments_is_corrupt, .timeout = 5)
{
    static const uint64_t sizes[] = {10, 7};
    static const uint32_t segs[] = {3, 1}, numbers[] = {1, 2};
    cn_manifest_t m, d;
    cn_buf_t b;

    build(&m, sizes, segs, numbers, 2, "x-2");
    m.parts[1].nsegs = 2;
    cn_buf_init(&b);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), CN_ECORRUPT);
    m.parts[1].nsegs = 1;
    m.parts[0].number = 0; /* part numbers are 1..10000 */
    cn_buf_reset(&b);
    cn_manifest_encode(&m, &b);
    cr_assert_eq(cn_manifest_decode(b.data, b.len, &d), CN_ECORRUPT);
    cn_buf_dispose(&b);
    cn_manifest_dispose(&m);
}

Test(parts, a_copy_keeps_the_table, .timeout = 5)
{
    static const uint64_t sizes[] = {10, 7};
    static const uint32_t segs[] = {3, 1}, numbers[] = {2, 3};
    cn_manifest_t m, c = {0};

    build(&m, sizes, segs, numbers, 2, "x-2");
    cn_manifest_copy_parts(&c, &m);
    cr_assert_eq(c.nparts, 2);
    cr_assert(c.parts[0].number == 2 && c.parts[0].nsegs == 3 && c.parts[1].number == 3);
    cr_assert_str_eq(c.parts[1].checksum, "x-amz-checksum-crc32=AAAAAA==");
    cn_manifest_dispose(&m);
    cn_manifest_dispose(&c);
}

Test(sum, composite_checksums_are_s3s, .timeout = 5)
{
    /* Python: the checksum of the parts' raw checksums concatenated, "-N" */
    const char *crc[] = {"NhCmhg==", "OncRQw=="};
    const char *sha256[] = {"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
                            "SG6kYiTRu0+2gPNPfJrZao8k7Ii+c+qOWmxlJg6cuKc="};
    const char *sha1[] = {"qvTGHdzF6KLavt4PO0gs2a6pQ00=", "fCEUM/AgcVl3Qeb/Wo6jR4mrv0M="};
    char out[GW_MPU_SUM_MAX], one[64];

    gw_checksum_b64(GW_CK_CRC32, "hello", 5, one);
    cr_assert_str_eq(one, crc[0]);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, crc, 2, out), 0);
    cr_assert_str_eq(out, "wpn7tg==-2");
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_SHA256, sha256, 2, out), 0);
    cr_assert_str_eq(out, "cwXbmyq8zXBsJW2z2X5f9I1nfP5NOlkEr7faDjlQ4eI=-2");
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_SHA1, sha1, 2, out), 0);
    cr_assert_str_eq(out, "znoNxIh8EVQQ1eN2GwlMi+XdFy4=-2");
}

Test(sum, bad_part_checksums_are_refused, .timeout = 5)
{
    const char *short_[] = {"NhCm"}, *sha_as_crc[] = {"qvTGHdzF6KLavt4PO0gs2a6pQ00="};
    const char *junk[] = {"Nh*mhg=="}, *ok[] = {"NhCmhg=="}, *noncanon[] = {"NhCmhh=="};
    char out[GW_MPU_SUM_MAX];

    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, short_, 1, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, sha_as_crc, 1, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, junk, 1, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, noncanon, 1, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, ok, 0, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC64NVME, ok, 1, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_NONE, ok, 1, out), CN_EINVAL);
    cr_assert_eq(gw_mpu_sum_composite(GW_CK_CRC32, ok, 1, out), 0);
}

Test(sum, algorithm_names, .timeout = 5)
{
    cr_assert_eq(gw_mpu_sum_alg("CRC32", 5), GW_CK_CRC32);
    cr_assert_eq(gw_mpu_sum_alg("crc32c", 6), GW_CK_CRC32C);
    cr_assert_eq(gw_mpu_sum_alg("SHA256", 6), GW_CK_SHA256);
    cr_assert_eq(gw_mpu_sum_alg("CRC64NVME", 9), GW_CK_CRC64NVME);
    cr_assert_eq(gw_mpu_sum_alg("MD5", 3), GW_CK_NONE);
    cr_assert_eq(gw_mpu_sum_alg("CRC3", 4), GW_CK_NONE);
    cr_assert_str_eq(gw_mpu_sum_header(GW_CK_SHA1), "x-amz-checksum-sha1");
    cr_assert_str_eq(gw_mpu_sum_element(GW_CK_CRC32C), "ChecksumCRC32C");
    cr_assert_str_eq(gw_mpu_sum_name(GW_CK_NONE), "");
}

Test(attributes, the_list_names_what_s3_names, .timeout = 5)
{
    unsigned bits;
    cr_assert_eq(gw_attr_parse("ETag", 4, &bits), 0);
    cr_assert_eq(bits, GW_ATTR_ETAG);
    cr_assert_eq(gw_attr_parse("ETag, ObjectSize ,ObjectParts,Checksum,StorageClass", 51, &bits),
                 0);
    cr_assert_eq(bits, GW_ATTR_ETAG | GW_ATTR_OBJECT_SIZE | GW_ATTR_OBJECT_PARTS |
                           GW_ATTR_CHECKSUM | GW_ATTR_STORAGE_CLASS);
    cr_assert_eq(gw_attr_parse("", 0, &bits), CN_EINVAL);
    cr_assert_eq(gw_attr_parse("etag", 4, &bits), CN_EINVAL); /* S3's spelling only */
    cr_assert_eq(gw_attr_parse("ETag,", 5, &bits), CN_EINVAL);
    cr_assert_eq(gw_attr_parse("ETag,Bogus", 10, &bits), CN_EINVAL);
    cr_assert_eq(gw_attr_parse(",", 1, &bits), CN_EINVAL);
}

Test(complete, a_parts_checksum_is_kept, .timeout = 5)
{
    const char *x = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag>"
                    "<ChecksumCRC32> NhCmhg== </ChecksumCRC32></Part><Part><PartNumber>2"
                    "</PartNumber><ETag>f</ETag></Part></CompleteMultipartUpload>";
    const char *two = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
                      "<ChecksumCRC32>a</ChecksumCRC32><ChecksumSHA1>b</ChecksumSHA1></Part>"
                      "</CompleteMultipartUpload>";
    gw_xml_part_t *p;
    size_t n;

    cr_assert_eq(gw_xml_parse_complete(x, strlen(x), &p, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(p[0].checksum_elem, "ChecksumCRC32");
    cr_assert_str_eq(p[0].checksum, "NhCmhg==");
    cr_assert_str_eq(p[1].checksum_elem, "");
    cn_free(p);
    cr_assert_eq(gw_xml_parse_complete(two, strlen(two), &p, &n), CN_EINVAL);
}
