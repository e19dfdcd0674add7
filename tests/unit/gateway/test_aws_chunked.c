/*
 * tests/unit/gateway/test_aws_chunked.c: tests gateway/auth/aws_chunked.c: the aws-chunked decoder
 * against the AWS documentation's signed example (seed and chunk signatures), bodies built
 * here with an independent signer, unsigned and signed trailers, bad framing and signatures;
 * and the S3 checksums against their published check values and a bitwise CRC.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "gateway/auth/aws_chunked.h"

#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_DATE "20130524T000000Z"
#define DOC_SCOPE "20130524/us-east-1/s3/aws4_request"
#define DOC_SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define DOC_SIG1 "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define DOC_SIG2 "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define DOC_SIG3 "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"

static void signing_key(uint8_t key[32])
{
    uint8_t k[32];
    char start[64];
    snprintf(start, sizeof(start), "AWS4%s", DOC_SECRET);
    cn_hmac_sha256(start, strlen(start), "20130524", 8, k);
    cn_hmac_sha256(k, 32, "us-east-1", 9, k);
    cn_hmac_sha256(k, 32, "s3", 2, k);
    cn_hmac_sha256(k, 32, "aws4_request", 12, key);
}

/* An independent chunk signer for the bodies built below. */
static void sign_chunk(const uint8_t key[32], const char *prev, const char *data, size_t n,
                       char out[65])
{
    uint8_t d[32];
    char hex[65], sts[512];
    cn_sha256(data, n, d);
    cn_hex(d, 32, hex);
    snprintf(sts, sizeof(sts),
             "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n%s",
             DOC_DATE, DOC_SCOPE, prev, hex);
    cn_hmac_sha256(key, 32, sts, strlen(sts), d);
    cn_hex(d, 32, out);
}

static void add_chunk(cn_buf_t *b, const char *data, size_t n, const char *sig)
{
    cn_buf_appendf(b, "%zx", n);
    if (sig)
        cn_buf_appendf(b, ";chunk-signature=%s", sig);
    cn_buf_append(b, "\r\n", 2);
    cn_buf_append(b, data, n);
    if (n)
        cn_buf_append(b, "\r\n", 2);
}

static gw_chunked_sig_t doc_sig(const uint8_t *key)
{
    return (gw_chunked_sig_t){
        .signing_key = key, .amz_date = DOC_DATE, .scope = DOC_SCOPE, .seed_signature = DOC_SEED};
}

Test(aws_chunked, aws_docs_example_decodes_and_verifies, .timeout = 10)
{
    uint8_t key[32];
    char *a = malloc(65536);
    char sig[65];
    cn_buf_t b;
    gw_chunked_out_t out;
    gw_chunked_sig_t s;

    memset(a, 'a', 65536);
    signing_key(key);
    s = doc_sig(key);
    /* our independent signer reproduces the documented chunk signatures */
    sign_chunk(key, DOC_SEED, a, 65536, sig);
    cr_assert_str_eq(sig, DOC_SIG1);
    sign_chunk(key, DOC_SIG1, a, 1024, sig);
    cr_assert_str_eq(sig, DOC_SIG2);
    sign_chunk(key, DOC_SIG2, "", 0, sig);
    cr_assert_str_eq(sig, DOC_SIG3);

    cn_buf_init(&b);
    add_chunk(&b, a, 65536, DOC_SIG1);
    add_chunk(&b, a, 1024, DOC_SIG2);
    add_chunk(&b, "", 0, DOC_SIG3);
    cn_buf_append(&b, "\r\n", 2);
    cr_assert_eq(gw_chunked_decode(b.data, b.len, GW_CHUNKED_SIGNED, &s, &out), 0);
    cr_assert_eq(out.len, 66560);
    for (size_t i = 0; i < out.len; i++)
        cr_assert_eq(b.data[i], 'a');
    cr_assert_str_eq(out.trailer_name, "");
    cn_buf_dispose(&b);
    free(a);
}

Test(aws_chunked, wrong_chunk_signature_is_eacces, .timeout = 10)
{
    uint8_t key[32];
    char *a = malloc(65536);
    cn_buf_t b;
    gw_chunked_out_t out;
    gw_chunked_sig_t s;

    memset(a, 'a', 65536);
    signing_key(key);
    s = doc_sig(key);
    cn_buf_init(&b);
    a[100] = 'b'; /* the data no longer matches DOC_SIG1 */
    add_chunk(&b, a, 65536, DOC_SIG1);
    add_chunk(&b, "", 0, DOC_SIG3);
    cn_buf_append(&b, "\r\n", 2);
    cr_assert_eq(gw_chunked_decode(b.data, b.len, GW_CHUNKED_SIGNED, &s, &out), CN_EACCES);
    cn_buf_dispose(&b);
    free(a);
}

Test(aws_chunked, signed_chunks_without_signature_are_rejected, .timeout = 10)
{
    uint8_t key[32];
    char body[] = "5\r\nhello\r\n0\r\n\r\n";
    gw_chunked_out_t out;
    gw_chunked_sig_t s;
    signing_key(key);
    s = doc_sig(key);
    cr_assert_eq(gw_chunked_decode(body, strlen(body), GW_CHUNKED_SIGNED, &s, &out), CN_EINVAL);
}

/* bitwise reference CRC-32 (IEEE, reflected), independent of isa-l */
static uint32_t ref_crc32(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *b++;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

static void b64_be32(uint32_t v, char out[16])
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t d[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    out[0] = t[d[0] >> 2];
    out[1] = t[(d[0] & 3) << 4 | d[1] >> 4];
    out[2] = t[(d[1] & 15) << 2 | d[2] >> 6];
    out[3] = t[d[2] & 63];
    out[4] = t[d[3] >> 2];
    out[5] = t[(d[3] & 3) << 4];
    out[6] = '=';
    out[7] = '=';
    out[8] = '\0';
}

Test(aws_chunked, unsigned_trailer_body_decodes_with_its_checksum, .timeout = 10)
{
    const char *payload = "The quick brown fox jumps over the lazy dog";
    char want[16];
    cn_buf_t b;
    gw_chunked_out_t out;

    b64_be32(ref_crc32(payload, strlen(payload)), want);
    cn_buf_init(&b);
    add_chunk(&b, payload, 10, NULL);
    add_chunk(&b, payload + 10, strlen(payload) - 10, NULL);
    cn_buf_appendf(&b, "0\r\nx-amz-checksum-crc32:%s\r\n\r\n", want);
    cr_assert_eq(gw_chunked_decode(b.data, b.len, GW_CHUNKED_UNSIGNED_TRAILER, NULL, &out), 0);
    cr_assert_eq(out.len, strlen(payload));
    cr_assert_arr_eq(b.data, payload, out.len);
    cr_assert_str_eq(out.trailer_name, "x-amz-checksum-crc32");
    cr_assert_str_eq(out.trailer_value, want);
    cn_buf_dispose(&b);
}

Test(aws_chunked, signed_trailer_is_verified, .timeout = 10)
{
    uint8_t key[32], d[32];
    char s1[65], s2[65], ts[65], hex[65], sts[512];
    const char *trailer = "x-amz-checksum-crc32c:sOO8/Q==\n";
    gw_chunked_sig_t s;
    gw_chunked_out_t out;
    cn_buf_t b, bad;

    signing_key(key);
    s = doc_sig(key);
    sign_chunk(key, DOC_SEED, "hello world", 11, s1);
    sign_chunk(key, s1, "", 0, s2);
    cn_sha256(trailer, strlen(trailer), d);
    cn_hex(d, 32, hex);
    snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s", DOC_DATE, DOC_SCOPE,
             s2, hex);
    cn_hmac_sha256(key, 32, sts, strlen(sts), d);
    cn_hex(d, 32, ts);
    cn_buf_init(&b);
    add_chunk(&b, "hello world", 11, s1);
    add_chunk(&b, "", 0, s2);
    cn_buf_appendf(&b, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:%s\r\n\r\n", ts);
    cn_buf_init(&bad);
    cn_buf_append(&bad, b.data, b.len);
    cr_assert_eq(gw_chunked_decode(b.data, b.len, GW_CHUNKED_SIGNED_TRAILER, &s, &out), 0);
    cr_assert_eq(out.len, 11);
    cr_assert_arr_eq(b.data, "hello world", 11);
    cr_assert_str_eq(out.trailer_name, "x-amz-checksum-crc32c");
    cr_assert_str_eq(out.trailer_value, "sOO8/Q==");
    /* change the trailer value: its signature no longer holds */
    char *v = strstr(bad.data, "sOO8");
    v[0] = 'x';
    cr_assert_eq(gw_chunked_decode(bad.data, bad.len, GW_CHUNKED_SIGNED_TRAILER, &s, &out),
                 CN_EACCES);
    cn_buf_dispose(&b);
    cn_buf_dispose(&bad);
}

Test(aws_chunked, bad_framing_is_einval_never_a_crash, .timeout = 10)
{
    static const char *const bodies[] = {
        "",
        "zz\r\nabc\r\n0\r\n\r\n",
        "5\r\nabc\r\n0\r\n\r\n",           /* short chunk */
        "3\r\nabcX\n0\r\n\r\n",            /* no CRLF after data */
        "3\r\nabc\r\n",                    /* no last chunk */
        "3\r\nabc\r\n0\r\n",               /* no final CRLF */
        "3\r\nabc\r\n0\r\nno-colon\r\n\r\n",
        "ffffffffffffffff\r\nabc\r\n0\r\n\r\n",
        "3;ext=1\r\nabc\r\n0\r\n\r\n",
    };
    gw_chunked_out_t out;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char *c = strdup(bodies[i]);
        cr_assert_eq(gw_chunked_decode(c, strlen(c), GW_CHUNKED_UNSIGNED_TRAILER, NULL, &out),
                     CN_EINVAL, "body %zu", i);
        free(c);
    }
    /* two checksum lines are refused */
    char two[] = "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32c:AAAAAA=="
                 "\r\n\r\n";
    cr_assert_eq(gw_chunked_decode(two, strlen(two), GW_CHUNKED_UNSIGNED_TRAILER, NULL, &out),
                 CN_E2BIG);
}

Test(aws_chunked, modes_from_header_values, .timeout = 5)
{
    cr_assert_eq(gw_chunked_mode(CN_SLICE("STREAMING-AWS4-HMAC-SHA256-PAYLOAD").ptr, 34),
                 GW_CHUNKED_SIGNED);
    cr_assert_eq(gw_chunked_mode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", 42),
                 GW_CHUNKED_SIGNED_TRAILER);
    cr_assert_eq(gw_chunked_mode("STREAMING-UNSIGNED-PAYLOAD-TRAILER", 34),
                 GW_CHUNKED_UNSIGNED_TRAILER);
    cr_assert_eq(gw_chunked_mode("UNSIGNED-PAYLOAD", 16), GW_CHUNKED_NONE);
}

/* CRC-64/NVME bit by bit against its tables: tests/unit/common/test_hash.c (common/hash.c has
 * them; gw_crc64nvme is cn_crc64nvme). */

Test(checksum, check_values, .timeout = 5)
{
    char out[64], want[16];
    /* published check values of "123456789" */
    cr_assert_eq(gw_crc64nvme(0, "123456789", 9), 0xae8b14860a799888ull);
    gw_checksum_b64(GW_CK_CRC32, "123456789", 9, out);
    b64_be32(0xcbf43926u, want);
    cr_assert_str_eq(out, want);
    gw_checksum_b64(GW_CK_CRC32C, "123456789", 9, out);
    b64_be32(0xe3069283u, want);
    cr_assert_str_eq(out, want);
    gw_checksum_b64(GW_CK_CRC64NVME, "123456789", 9, out);
    cr_assert_str_eq(out, "rosUhgp5mIg=");
    gw_checksum_b64(GW_CK_SHA1, "abc", 3, out);
    cr_assert_str_eq(out, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    gw_checksum_b64(GW_CK_SHA256, "", 0, out);
    cr_assert_str_eq(out, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    /* chaining gives the same CRC64 */
    cr_assert_eq(gw_crc64nvme(gw_crc64nvme(0, "1234", 4), "56789", 5), 0xae8b14860a799888ull);
    cr_assert_eq(gw_checksum_alg("X-Amz-Checksum-CRC32C", 21), GW_CK_CRC32C);
    cr_assert_eq(gw_checksum_alg("x-amz-checksum-mode", 19), GW_CK_NONE);
}
