/* tests/unit/gateway/test_sse_conf.c: tests gateway/s3/sse_conf.c (a bucket's default
 * encryption: PutBucketEncryption's document, its stored form, GetBucketEncryption's answer)
 * and its XML reader in gateway/s3/s3_xmlin.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/sse_conf.h"

#define DOC(rule)                                                                              \
    "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"    \
    rule "</ServerSideEncryptionConfiguration>"
#define RULE(def, rest)                                                                        \
    "<Rule><ApplyServerSideEncryptionByDefault>" def "</ApplyServerSideEncryptionByDefault>"   \
    rest "</Rule>"
#define ALG(a) "<SSEAlgorithm>" a "</SSEAlgorithm>"
#define KEY(k) "<KMSMasterKeyID>" k "</KMSMasterKeyID>"

static gw_s3_err_t put(const char *xml, gw_sse_conf_t *c, const char **msg)
{
    return gw_sse_conf_parse(xml, strlen(xml), c, msg);
}

Test(sse_conf, sse_s3_and_kms_documents)
{
    gw_sse_conf_t c;
    const char *msg;

    cr_assert_eq(put(DOC(RULE(ALG("AES256"), "")), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.mode, GW_SSE_S3);
    cr_assert_str_eq(c.kms_key_id, "");
    cr_assert_eq(c.bucket_key, 0);
    /* S3 takes a bucket key with SSE-S3 too */
    cr_assert_eq(put(DOC(RULE(ALG("AES256"), "<BucketKeyEnabled>true</BucketKeyEnabled>")), &c,
                     &msg),
                 GW_S3_OK);
    cr_assert_eq(c.bucket_key, 1);
    cr_assert_eq(put(DOC(RULE(ALG("aws:kms"), "")), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.mode, GW_SSE_KMS);
    cr_assert_str_eq(c.kms_key_id, "");
    cr_assert_eq(put(DOC(RULE(ALG("aws:kms") KEY("arn:aws:kms:us-east-1:1:key/k1"),
                              "<BucketKeyEnabled>1</BucketKeyEnabled>")),
                     &c, &msg),
                 GW_S3_OK);
    cr_assert_str_eq(c.kms_key_id, "arn:aws:kms:us-east-1:1:key/k1");
    cr_assert_eq(c.bucket_key, 1);
    /* members in either order, no namespace */
    cr_assert_eq(put("<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>false"
                     "</BucketKeyEnabled><ApplyServerSideEncryptionByDefault>" KEY("k2")
                     ALG("aws:kms") "</ApplyServerSideEncryptionByDefault></Rule>"
                     "</ServerSideEncryptionConfiguration>",
                     &c, &msg),
                 GW_S3_OK);
    cr_assert_str_eq(c.kms_key_id, "k2");
    cr_assert_eq(c.bucket_key, 0);
}

Test(sse_conf, malformed_documents)
{
    static const char *const malformed[] = {
        "",
        "<ServerSideEncryptionConfiguration/>",
        DOC(""),
        DOC("<Rule></Rule>"),
        DOC("<Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule>"),
        DOC(RULE("", "")),
        DOC(RULE(ALG("AES256"), "") RULE(ALG("AES256"), "")),
        DOC(RULE(ALG("AES256") ALG("AES256"), "")),
        DOC(RULE(ALG("aws:kms") KEY("a") KEY("b"), "")),
        DOC(RULE(ALG("AES512"), "")),
        DOC(RULE(ALG("aes256"), "")),
        DOC(RULE(ALG(" AES256"), "")),
        DOC(RULE(ALG(""), "")),
        DOC(RULE(ALG("aws:kms") KEY(""), "")),
        DOC(RULE(ALG("AES256"), "<BucketKeyEnabled>yes</BucketKeyEnabled>")),
        DOC(RULE(ALG("AES256"), "<BucketKeyEnabled></BucketKeyEnabled>")),
        DOC(RULE(ALG("AES256"), "<BucketKeyEnabled>true</BucketKeyEnabled>"
                                "<BucketKeyEnabled>true</BucketKeyEnabled>")),
        DOC(RULE(ALG("AES256"), "<BlockedEncryptionTypes><EncryptionType>SSE-C"
                                "</EncryptionType></BlockedEncryptionTypes>")),
        DOC(RULE(ALG("AES256") "<Other/>", "")),
        DOC("<SSEAlgorithm>AES256</SSEAlgorithm>"),
        "<ServerSideEncryptionRule>" RULE(ALG("AES256"), "") "</ServerSideEncryptionRule>",
        "<!DOCTYPE x [<!ENTITY a \"AES256\">]>" DOC(RULE(ALG("&a;"), "")),
        DOC(RULE(ALG("AES256"), "")) "<trailing/>",
    };
    gw_sse_conf_t c;
    const char *msg;

    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        cr_expect_eq(put(malformed[i], &c, &msg), GW_S3_MALFORMED_XML, "%s", malformed[i]);
        cr_expect_eq(c.mode, GW_SSE_NONE, "%s", malformed[i]);
    }
}

Test(sse_conf, kms_key_only_with_kms)
{
    gw_sse_conf_t c;
    const char *msg;

    cr_assert_eq(put(DOC(RULE(ALG("AES256") KEY("k1"), "")), &c, &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_str_eq(msg, "a KMSMasterKeyID is not applicable if the default sse algorithm is "
                          "not aws:kms or aws:kms:dsse");
    cr_assert_eq(c.mode, GW_SSE_NONE);
    cr_assert_eq(put(DOC(RULE(ALG("aws:kms") KEY("a key"), "")), &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_not_null(msg);
    cr_assert_eq(put(DOC(RULE(ALG("aws:kms:dsse"), "")), &c, &msg), GW_S3_NOT_IMPLEMENTED);
    cr_assert_not_null(msg);
    cr_assert_eq(put(DOC(RULE(ALG("aws:kms:dsse") KEY("k1"), "")), &c, &msg),
                 GW_S3_NOT_IMPLEMENTED);
}

Test(sse_conf, key_id_length_bounds)
{
    static char doc[8192], id[GW_SSE_KMS_KEY_ID_MAX + 2];
    gw_sse_conf_t c;
    const char *msg;

    memset(id, 'k', sizeof(id) - 1);
    id[GW_SSE_KMS_KEY_ID_MAX] = '\0';
    snprintf(doc, sizeof(doc), DOC(RULE(ALG("aws:kms") KEY("%s"), "")), id);
    cr_assert_eq(put(doc, &c, &msg), GW_S3_OK);
    cr_assert_eq(strlen(c.kms_key_id), GW_SSE_KMS_KEY_ID_MAX);
    id[GW_SSE_KMS_KEY_ID_MAX] = 'k';
    snprintf(doc, sizeof(doc), DOC(RULE(ALG("aws:kms") KEY("%s"), "")), id);
    cr_assert_eq(put(doc, &c, &msg), GW_S3_MALFORMED_XML, "a leaf over 2048 bytes");
}

/* xml -> stored -> decoded -> xml -> parsed: the same configuration all the way. */
static void round_trip(const char *xml, const char *want_json)
{
    gw_sse_conf_t c, d, e;
    const char *msg;
    cn_buf_t j, x;

    cn_buf_init(&j);
    cn_buf_init(&x);
    cr_assert_eq(put(xml, &c, &msg), GW_S3_OK, "%s", xml);
    gw_sse_conf_encode(&c, &j);
    cr_assert_str_eq(j.data, want_json);
    cr_assert_eq(gw_sse_conf_decode(j.data, j.len, &d), 0);
    cr_assert_eq(d.mode, c.mode);
    cr_assert_str_eq(d.kms_key_id, c.kms_key_id);
    cr_assert_eq(d.bucket_key, c.bucket_key);
    gw_sse_conf_xml(&d, &x);
    cr_assert_eq(gw_sse_conf_parse(x.data, x.len, &e, &msg), GW_S3_OK, "%s", x.data);
    cr_assert_eq(e.mode, c.mode);
    cr_assert_str_eq(e.kms_key_id, c.kms_key_id);
    cr_assert_eq(e.bucket_key, c.bucket_key);
    cn_buf_dispose(&j);
    cn_buf_dispose(&x);
}

Test(sse_conf, round_trips)
{
    round_trip(DOC(RULE(ALG("AES256"), "")),
               "{\"SSEAlgorithm\":\"AES256\",\"BucketKeyEnabled\":false}");
    round_trip(DOC(RULE(ALG("aws:kms"), "<BucketKeyEnabled>true</BucketKeyEnabled>")),
               "{\"SSEAlgorithm\":\"aws:kms\",\"BucketKeyEnabled\":true}");
    round_trip(DOC(RULE(ALG("aws:kms") KEY("alias/a&lt;b"), "")),
               "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"alias/a<b\","
               "\"BucketKeyEnabled\":false}");
}

Test(sse_conf, get_answers_s3_s_document)
{
    gw_sse_conf_t c = {GW_SSE_KMS, "k&1", 1};
    cn_buf_t x;

    cn_buf_init(&x);
    gw_sse_conf_xml(&c, &x);
    cr_assert(strstr(x.data, "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com"
                             "/doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault>"
                             "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k&amp;1"
                             "</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
                             "<BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
                             "</ServerSideEncryptionConfiguration>") != NULL,
              "%s", x.data);
    cn_buf_dispose(&x);
}

Test(sse_conf, stored_form_is_checked_when_read)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"SSEAlgorithm\":\"AES512\"}",
        "{\"SSEAlgorithm\":\"aws:kms:dsse\"}",
        "{\"SSEAlgorithm\":1}",
        "{\"SSEAlgorithm\":\"AES256\",\"KMSMasterKeyID\":\"k\"}",
        "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"\"}",
        "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"a b\"}",
        "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":7}",
        "{\"SSEAlgorithm\":\"AES256\",\"BucketKeyEnabled\":\"true\"}",
        "{\"SSEAlgorithm\":\"AES256\",\"SSEAlgorithm\":\"aws:kms\"}",
    };
    gw_sse_conf_t c;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(gw_sse_conf_decode(bad[i], strlen(bad[i]), &c), CN_EINVAL, "%s", bad[i]);
        cr_expect_eq(c.mode, GW_SSE_NONE);
    }
    cr_assert_eq(gw_sse_conf_decode("{\"SSEAlgorithm\":\"aws:kms\"}", 26, &c), 0);
    cr_assert_eq(c.mode, GW_SSE_KMS);
    cr_assert_eq(c.bucket_key, 0);
}

Test(sse_conf, reader_keeps_paths_and_leaves)
{
    static const char doc[] = DOC(RULE(ALG("aws:kms") KEY("k"), "<BucketKeyEnabled>true"
                                                                "</BucketKeyEnabled>"));
    gw_xml_sse_t *x = malloc(sizeof(*x));

    cr_assert_eq(gw_xml_parse_sse_conf(doc, strlen(doc), x), 0);
    cr_assert_eq(x->seen, (1u << GW_XSE_PATHS) - 1);
    cr_assert_str_eq(x->val[GW_XSE_ALG], "aws:kms");
    cr_assert_str_eq(x->val[GW_XSE_KMS_KEY], "k");
    cr_assert_str_eq(x->val[GW_XSE_BUCKET_KEY], "true");
    cr_assert_eq(gw_xml_parse_sse_conf("<a", 2, x), CN_EINVAL);
    free(x);
}
