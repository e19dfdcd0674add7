/* tests/unit/gateway/test_sse_req.c: tests gateway/s3/sse_req.c (the server-side encryption
 * headers of a request, checked as S3 checks them), one test per rule of sse_req.h plus
 * hostile input. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/hash.h"
#include "gateway/s3/sse_req.h"

/* 32 'a's, as botocore's tests use, and its MD5; and bytes 0..31. */
#define KEY_A "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
#define MD5_A "Xsqb0+sHwAbNQ65I395/0w=="
#define KEY_B "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define MD5_B "tP/LI3N87DFaSk0aoqYgzg=="

#define SSE "x-amz-server-side-encryption"
#define C_ALG "x-amz-server-side-encryption-customer-algorithm"
#define C_KEY "x-amz-server-side-encryption-customer-key"
#define C_MD5 "x-amz-server-side-encryption-customer-key-MD5"
#define S_ALG "x-amz-copy-source-server-side-encryption-customer-algorithm"
#define S_KEY "x-amz-copy-source-server-side-encryption-customer-key"
#define S_MD5 "x-amz-copy-source-server-side-encryption-customer-key-MD5"
#define KMS_KEY "x-amz-server-side-encryption-aws-kms-key-id"
#define CONTEXT "x-amz-server-side-encryption-context"
#define BUCKET_KEY "x-amz-server-side-encryption-bucket-key-enabled"

#define MAX_H 16

/* Headers as NULL-terminated name, value pairs. */
static gw_s3_err_t parse_v(gw_sse_req_t *r, const char **msg, const char *const *nv)
{
    gw_sse_hdr_t h[MAX_H];
    size_t n = 0;

    for (; nv[2 * n] != NULL; n++) {
        cr_assert_lt(n, MAX_H);
        h[n].name = cn_slice_str(nv[2 * n]);
        h[n].value = cn_slice_str(nv[2 * n + 1]);
    }
    return gw_sse_req_parse(h, n, r, msg);
}
#define PARSE(r, msg, ...) parse_v((r), (msg), (const char *const[]){__VA_ARGS__, NULL})

/* The request's error and message, the request disposed. */
static gw_s3_err_t refused_v(const char **msg, const char *const *nv)
{
    gw_sse_req_t r;
    gw_s3_err_t e = parse_v(&r, msg, nv);

    if (e != GW_S3_OK) {
        static const gw_sse_req_t zero;
        cr_assert(memcmp(&r, &zero, sizeof(r)) == 0, "a refused request is left zeroed");
    }
    gw_sse_req_dispose(&r);
    return e;
}
#define REFUSED(msg, ...) refused_v((msg), (const char *const[]){__VA_ARGS__, NULL})

static const char no_alg[] = "Requests specifying Server Side Encryption with Customer provided "
                             "keys must provide a valid encryption algorithm.";
static const char no_key[] = "Requests specifying Server Side Encryption with Customer provided "
                             "keys must provide an appropriate secret key.";
static const char no_md5[] = "Requests specifying Server Side Encryption with Customer provided "
                             "keys must provide the client calculated MD5 of the secret key.";
static const char bad_key[] = "The secret key was invalid for the specified algorithm.";
static const char md5_mismatch[] = "The calculated MD5 hash of the key did not match the hash "
                                   "that was provided.";
static const char kms_only[] = "Server Side Encryption with AWS KMS managed key requires HTTP "
                               "header x-amz-server-side-encryption : aws:kms";

#define EXPECT_ERR(want_e, want_msg, ...)                                                      \
    do {                                                                                       \
        const char *m_;                                                                        \
        cr_expect_eq(REFUSED(&m_, __VA_ARGS__), (want_e));                                     \
        if ((want_msg) != NULL)                                                                \
            cr_expect_str_eq(m_ ? m_ : "(null)", (const char *)(want_msg));                    \
    } while (0)

Test(sse_req, no_header_is_none_and_others_are_skipped)
{
    gw_sse_req_t r;
    const char *msg;

    cr_assert_eq(PARSE(&r, &msg, "host", "b.example", "x-amz-server-side-encryption-foo", "x",
                       "content-length", "3"),
                 GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_NONE);
    cr_assert_null(msg);
    cr_assert_eq(r.cust.given, 0);
    cr_assert_eq(r.copy_src.given, 0);
    gw_sse_req_dispose(&r);
    cr_assert_eq(gw_sse_req_parse(NULL, 0, &r, &msg), GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_NONE);
}

Test(sse_req, sse_s3_and_kms)
{
    gw_sse_req_t r;
    const char *msg;

    cr_assert_eq(PARSE(&r, &msg, SSE, "AES256"), GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_S3);
    cr_assert_str_eq(gw_sse_mode_header(r.mode), "AES256");
    gw_sse_req_dispose(&r);

    cr_assert_eq(PARSE(&r, &msg, "X-Amz-Server-Side-Encryption", "aws:kms"), GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_KMS);
    cr_assert_null(r.kms_key_id, "no key id: the default key");
    cr_assert_null(r.context);
    cr_assert_str_eq(gw_sse_mode_header(r.mode), "aws:kms");
    gw_sse_req_dispose(&r);

    /* {"b":"2","a":"1"}: kept sorted and compact */
    cr_assert_eq(PARSE(&r, &msg, SSE, "aws:kms", KMS_KEY, "arn:aws:kms:us-east-1:1:key/k1",
                       CONTEXT, "eyJiIjoiMiIsImEiOiIxIn0=", BUCKET_KEY, "TRUE"),
                 GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_KMS);
    cr_assert_str_eq(r.kms_key_id, "arn:aws:kms:us-east-1:1:key/k1");
    cr_assert_str_eq(r.context, "{\"a\":\"1\",\"b\":\"2\"}");
    cr_assert_eq(r.bucket_key, 1);
    cr_assert_eq(r.bucket_key_given, 1);
    gw_sse_req_dispose(&r);
    cr_assert_null(r.kms_key_id);

    cr_assert_eq(PARSE(&r, &msg, SSE, "aws:kms", CONTEXT, "e30=", BUCKET_KEY, "false"),
                 GW_S3_OK);
    cr_assert_str_eq(r.context, "{}");
    cr_assert_eq(r.bucket_key, 0);
    cr_assert_eq(r.bucket_key_given, 1);
    gw_sse_req_dispose(&r);
    cr_assert_null(gw_sse_mode_header(GW_SSE_C));
    cr_assert_null(gw_sse_mode_header(GW_SSE_NONE));
}

Test(sse_req, sse_c_key_and_md5_come_out)
{
    gw_sse_req_t r;
    const char *msg;
    uint8_t a[32], md5[CN_MD5_LEN];

    memset(a, 'a', sizeof(a));
    cn_md5(a, sizeof(a), md5);
    cr_assert_eq(PARSE(&r, &msg, C_ALG, "AES256", C_KEY, KEY_A, C_MD5, MD5_A), GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_C);
    cr_assert_eq(r.cust.given, 1);
    cr_assert_arr_eq(r.cust.key, a, 32);
    cr_assert_arr_eq(r.cust.md5, md5, CN_MD5_LEN);
    cr_assert_str_eq(r.cust.md5_b64, MD5_A);
    cr_assert_eq(r.copy_src.given, 0);
    gw_sse_req_dispose(&r);
    for (size_t i = 0; i < sizeof(r.cust.key); i++)
        cr_assert_eq(r.cust.key[i], 0, "dispose wipes the key");
}

Test(sse_req, copy_source_key_apart_from_the_destination)
{
    gw_sse_req_t r;
    const char *msg;

    /* the source's SSE-C key with an SSE-S3 destination is no conflict */
    cr_assert_eq(PARSE(&r, &msg, SSE, "AES256", S_ALG, "AES256", S_KEY, KEY_B, S_MD5, MD5_B),
                 GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_S3);
    cr_assert_eq(r.copy_src.given, 1);
    cr_assert_eq(r.copy_src.key[31], 31);
    cr_assert_str_eq(r.copy_src.md5_b64, MD5_B);
    gw_sse_req_dispose(&r);

    cr_assert_eq(PARSE(&r, &msg, C_ALG, "AES256", C_KEY, KEY_A, C_MD5, MD5_A, S_ALG, "AES256",
                       S_KEY, KEY_B, S_MD5, MD5_B),
                 GW_S3_OK);
    cr_assert_eq(r.mode, GW_SSE_C);
    cr_assert_eq(r.cust.key[0], 'a');
    cr_assert_eq(r.copy_src.key[1], 1);
    gw_sse_req_dispose(&r);
}

Test(sse_req, sse_c_with_sse_header_is_incompatible)
{
    static const char msg[] = "Server Side Encryption with Customer provided key is "
                              "incompatible with the encryption method specified";

    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, msg, SSE, "AES256", C_ALG, "AES256", C_KEY, KEY_A, C_MD5,
               MD5_A);
    /* any one of the three is enough, and this check comes first */
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, msg, SSE, "aws:kms", C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, msg, SSE, "bogus", C_ALG, "AES512");
}

Test(sse_req, sse_c_headers_must_come_together)
{
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_alg, C_KEY, KEY_A, C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_alg, C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_alg, C_KEY, KEY_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_key, C_ALG, "AES256", C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_key, C_ALG, "AES256");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_md5, C_ALG, "AES256", C_KEY, KEY_A);
    /* the copy source's the same */
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_alg, S_KEY, KEY_A, S_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_key, S_ALG, "AES256", S_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, no_md5, S_ALG, "AES256", S_KEY, KEY_A);
}

Test(sse_req, sse_c_algorithm_is_aes256_exactly)
{
    EXPECT_ERR(GW_S3_INVALID_ENCRYPTION_ALGORITHM, NULL, C_ALG, "AES512", C_KEY, KEY_A, C_MD5,
               MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ENCRYPTION_ALGORITHM, NULL, C_ALG, "aes256", C_KEY, KEY_A, C_MD5,
               MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ENCRYPTION_ALGORITHM, NULL, C_ALG, "", C_KEY, KEY_A, C_MD5, MD5_A);
    /* before the key is looked for */
    EXPECT_ERR(GW_S3_INVALID_ENCRYPTION_ALGORITHM, NULL, C_ALG, "AES128");
    EXPECT_ERR(GW_S3_INVALID_ENCRYPTION_ALGORITHM, NULL, S_ALG, "AES256 ", S_KEY, KEY_A, S_MD5,
               MD5_A);
    cr_assert_str_eq(gw_s3_err_code(GW_S3_INVALID_ENCRYPTION_ALGORITHM),
                     "InvalidEncryptionAlgorithmError");
    cr_assert_eq(gw_s3_err_status(GW_S3_INVALID_ENCRYPTION_ALGORITHM), 400);
}

Test(sse_req, sse_c_key_must_be_canonical_base64)
{
    /* the last character's unused bits set: the same bytes, another spelling */
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", C_MD5, MD5_B);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY, "not base64!", C_MD5,
               MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY, "", C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE", C_MD5, MD5_A); /* no padding */
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               " YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=", C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               "YWFhYWFhYWFhYWFhYWFh\nYWFhYWFhYWFhYWFhYWFhYWE=", C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYW=hYWE=", C_MD5, MD5_A); /* '=' inside */
}

Test(sse_req, sse_c_md5_is_checked_before_the_key_length)
{
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY, KEY_A, C_MD5,
               MD5_B);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY, KEY_A, C_MD5,
               "AAAAAAAAAAAAAAAAAAAAAA==");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY, KEY_A, C_MD5, "");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY, KEY_A, C_MD5,
               "Xsqb0+sHwAbNQ65I395/0w");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY, KEY_A, C_MD5,
               "Xsqb0+sHwAbNQ65I395/0w==AAAA");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, S_ALG, "AES256", S_KEY, KEY_A, S_MD5,
               MD5_B);
    /* a 24-byte key: with a wrong MD5 the MD5 answers, with its own MD5 the length does */
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY,
               "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH", C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH", C_MD5, "vylCkTKYlqY5daEKgBKllA==");
    /* and a 48-byte one */
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY,
               "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB", C_MD5,
               "b/aMmME10UNlHJHKPgMgaA==");
}

Test(sse_req, sse_header_values)
{
    static const char unsupported[] = "The encryption method specified is not supported";
    static const char *const bad[] = {"", "aes256", "AES128", "aws:KMS", "aws:kms ", "aws",
                                      "aws:kms:dsse:x"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        EXPECT_ERR(GW_S3_INVALID_ARGUMENT, unsupported, SSE, bad[i]);
    EXPECT_ERR(GW_S3_NOT_IMPLEMENTED, NULL, SSE, "aws:kms:dsse");
    EXPECT_ERR(GW_S3_NOT_IMPLEMENTED, NULL, SSE, "aws:kms:dsse", KMS_KEY, "k");
    cr_assert_eq(gw_s3_err_status(GW_S3_NOT_IMPLEMENTED), 501);
}

Test(sse_req, an_embedded_nul_is_not_the_value)
{
    gw_sse_hdr_t h[] = {{CN_SLICE(SSE), cn_slice("AES256\0x", 8)}};
    gw_sse_hdr_t k[] = {{CN_SLICE(SSE), CN_SLICE("aws:kms")},
                        {CN_SLICE(KMS_KEY), cn_slice("key\0id", 6)}};
    gw_sse_hdr_t n[] = {{cn_slice(SSE "\0", sizeof(SSE)), CN_SLICE("AES256")}};
    gw_sse_req_t r;
    const char *msg;

    cr_assert_eq(gw_sse_req_parse(h, 1, &r, &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_sse_req_parse(k, 2, &r, &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_sse_req_parse(n, 1, &r, &msg), GW_S3_OK, "not the header's name");
    cr_assert_eq(r.mode, GW_SSE_NONE);
}

Test(sse_req, kms_key_and_context_need_aws_kms)
{
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, kms_only, KMS_KEY, "k1");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, kms_only, SSE, "AES256", KMS_KEY, "k1");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, kms_only, CONTEXT, "e30=");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, kms_only, SSE, "AES256", CONTEXT, "e30=");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, kms_only, C_ALG, "AES256", C_KEY, KEY_A, C_MD5, MD5_A,
               KMS_KEY, "k1");
}

Test(sse_req, kms_key_id_bounds)
{
    char id[GW_SSE_KMS_KEY_ID_MAX + 2];
    gw_sse_req_t r;
    const char *msg;

    memset(id, 'k', sizeof(id));
    id[GW_SSE_KMS_KEY_ID_MAX] = '\0';
    cr_assert_eq(PARSE(&r, &msg, SSE, "aws:kms", KMS_KEY, id), GW_S3_OK);
    cr_assert_eq(strlen(r.kms_key_id), GW_SSE_KMS_KEY_ID_MAX);
    gw_sse_req_dispose(&r);
    id[GW_SSE_KMS_KEY_ID_MAX] = 'k';
    id[GW_SSE_KMS_KEY_ID_MAX + 1] = '\0';
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", KMS_KEY, id);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", KMS_KEY, "");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", KMS_KEY, "a key");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", KMS_KEY, "k\x7f");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", KMS_KEY, "k\xc3\xa9");
    cr_assert(gw_sse_kms_key_id_valid("alias/aws/s3", 12));
    cr_assert_not(gw_sse_kms_key_id_valid("", 0));
}

Test(sse_req, context_is_base64_of_a_string_map)
{
    static const char bad_ctx[] = "The header 'x-amz-server-side-encryption-context' shall be "
                                  "Base64-encoded UTF-8 string holding JSON which represents a "
                                  "string-string map";
    static const char *const bad[] = {
        "",                           /* empty */
        "{}",                         /* JSON, not base64 */
        "e30",                        /* no padding */
        "eyJhIjoxfQ==",               /* {"a":1} */
        "WyJhIl0=",                   /* ["a"] */
        "eyJhIjoiMSIsImEiOiIyIn0=",   /* {"a":"1","a":"2"} */
        "eyJhIjoieFx1MDAwMHkifQ==",   /* {"a":"x\u0000y"} */
        "/w==",                       /* 0xff: not UTF-8 */
    };
    char big[GW_SSE_CONTEXT_MAX + 5];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_ctx, SSE, "aws:kms", CONTEXT, bad[i]);
    memset(big, 'A', sizeof(big));
    big[GW_SSE_CONTEXT_MAX + 4] = '\0';
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_ctx, SSE, "aws:kms", CONTEXT, big);
}

Test(sse_req, bucket_key_is_true_or_false)
{
    gw_sse_req_t r;
    const char *msg;

    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", BUCKET_KEY, "yes");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", BUCKET_KEY, "");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", BUCKET_KEY, "1");
    cr_assert_eq(PARSE(&r, &msg, BUCKET_KEY, "True"), GW_S3_OK, "kept; KMS is what uses it");
    cr_assert_eq(r.mode, GW_SSE_NONE);
    cr_assert_eq(r.bucket_key, 1);
    gw_sse_req_dispose(&r);
}

Test(sse_req, a_header_twice_is_refused_in_any_case)
{
    static const char twice[] = "A server-side encryption header was given more than once.";

    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, twice, SSE, "AES256", SSE, "AES256");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, twice, SSE, "AES256", "X-AMZ-SERVER-SIDE-ENCRYPTION",
               "aws:kms");
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, twice, C_ALG, "AES256", C_KEY, KEY_A, C_MD5, MD5_A,
               "x-amz-server-side-encryption-customer-key-md5", MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, twice, S_KEY, KEY_A, S_KEY, KEY_B);
}

Test(sse_req, oversized_values_are_refused_not_overrun)
{
    static char huge[1 << 16];
    gw_sse_req_t r;
    const char *msg;

    memset(huge, 'A', sizeof(huge) - 1);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, bad_key, C_ALG, "AES256", C_KEY, huge, C_MD5, MD5_A);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, md5_mismatch, C_ALG, "AES256", C_KEY, KEY_A, C_MD5, huge);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", CONTEXT, huge);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, "aws:kms", KMS_KEY, huge);
    EXPECT_ERR(GW_S3_INVALID_ARGUMENT, NULL, SSE, huge);
    cr_assert_eq(PARSE(&r, &msg, "x-amz-meta-big", huge), GW_S3_OK);
    gw_sse_req_dispose(&r);
}

Test(sse_req, null_value_pointer_is_an_empty_value)
{
    gw_sse_hdr_t h[] = {{CN_SLICE(SSE), cn_slice(NULL, 0)}};
    gw_sse_req_t r;
    const char *msg;

    cr_assert_eq(gw_sse_req_parse(h, 1, &r, &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_str_eq(msg, "The encryption method specified is not supported");
}
