/*
 * tests/fuzz/fuzz_post_policy.c: libFuzzer target for the policy document of browser POST
 * uploads (gateway/auth/post_policy.h: gw_post_policy_parse, gw_post_policy_check,
 * gw_post_field_exempt). The input is the decoded policy (run with -max_len=21000 to reach
 * the size limit). Checks: a refusal is InvalidPolicyDocument with a message and no policy;
 * parsing twice gives the same result and message; a parsed policy is checked against a few
 * fixed forms (a browser's SigV4 form, a SigV2 one, an empty one) for the bucket "photos" at
 * a few times and file sizes: the answer is OK with an empty message, or AccessDenied,
 * EntityTooSmall or EntityTooLarge with one, the same twice; expiry is monotonic in time;
 * a form that passes still passes with an x-ignore- field added, and fails with an extra
 * field, both named with a NUL byte so that no condition can name them; no leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/auth/post_policy.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F(n, v) {CN_SLICE(n), CN_SLICE(v)}
#define NFORM 8
static const struct form {
    size_t n;
    gw_post_field_t f[NFORM + 2]; /* room for the two fields the checks add */
} forms[] = {
    {8,
     {F("key", "user/user1/photo.jpg"), F("acl", "public-read"), F("Content-Type", "image/jpeg"),
      F("x-amz-meta-uuid", "14365123651274"), F("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
      F("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
      F("X-Amz-Date", "20151229T000000Z"), F("Policy", "eyJ...")}},
    {5,
     {F("key", "uploads/${filename}"), F("AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
      F("success_action_status", "201"), F("Content-Type", "image/png, text/plain"),
      F("signature", "0RavWzkygo6QX9caELEqKi9kDbU=")}},
    {0, {{{NULL, 0}, {NULL, 0}}}},
};
#undef F

static const uint64_t times[] = {0, 1196510400000ull, 1451476800000ull, 4102444800000ull};
static const uint64_t sizes[] = {0, 1, 1048576, UINT64_MAX};

static int expired(const char *msg)
{
    return strcmp(msg, "Invalid according to Policy: Policy expired.") == 0;
}

static gw_s3_err_t check(const gw_post_policy_t *p, uint64_t now, const gw_post_field_t *f,
                         size_t n, uint64_t size, char *msg)
{
    char again[GW_POST_MSG_MAX];
    gw_s3_err_t e = gw_post_policy_check(p, now, f, n, "photos", size, msg, GW_POST_MSG_MAX);

    FUZZ_CHECK(gw_post_policy_check(p, now, f, n, "photos", size, again, sizeof(again)) == e);
    FUZZ_CHECK(strcmp(msg, again) == 0);
    switch (e) {
    case GW_S3_OK:
        FUZZ_CHECK(msg[0] == '\0');
        break;
    case GW_S3_ACCESS_DENIED:
    case GW_S3_ENTITY_TOO_SMALL:
    case GW_S3_ENTITY_TOO_LARGE:
        FUZZ_CHECK(msg[0] != '\0');
        break;
    default:
        FUZZ_CHECK(!"unexpected result");
    }
    return e;
}

static void check_forms(const gw_post_policy_t *p)
{
    char msg[GW_POST_MSG_MAX];

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        gw_post_field_t f[NFORM + 2];
        size_t n = forms[i].n;
        int was_expired = 0;
        memcpy(f, forms[i].f, sizeof(f));
        for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
            for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
                gw_s3_err_t e = check(p, times[t], f, n, sizes[s], msg);
                if (s == 0) {
                    /* a later time is never less expired */
                    FUZZ_CHECK(!(was_expired && !expired(msg)));
                    was_expired = e == GW_S3_ACCESS_DENIED && expired(msg);
                }
                if (e != GW_S3_OK)
                    continue;
                /* names with a NUL, which no condition can name (the parser refuses \u0000) */
                f[n] = (gw_post_field_t){CN_SLICE("x-ignore-\0"), CN_SLICE("1")};
                FUZZ_CHECK(check(p, times[t], f, n + 1, sizes[s], msg) == GW_S3_OK);
                f[n] = (gw_post_field_t){CN_SLICE("zz\0unnamed"), CN_SLICE("1")};
                FUZZ_CHECK(check(p, times[t], f, n + 1, sizes[s], msg) == GW_S3_ACCESS_DENIED);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg1[GW_POST_MSG_MAX], msg2[GW_POST_MSG_MAX];
    gw_post_policy_t *p1 = NULL, *p2 = NULL;
    gw_s3_err_t e1, e2;

    e1 = gw_post_policy_parse((const char *)data, size, &p1, msg1, sizeof(msg1));
    e2 = gw_post_policy_parse((const char *)data, size, &p2, msg2, sizeof(msg2));
    FUZZ_CHECK(e1 == e2 && strcmp(msg1, msg2) == 0);
    if (e1 != GW_S3_OK) {
        FUZZ_CHECK(e1 == GW_S3_INVALID_POLICY_DOCUMENT && msg1[0] != '\0');
        FUZZ_CHECK(p1 == NULL && p2 == NULL);
        return 0;
    }
    FUZZ_CHECK(p1 != NULL && p2 != NULL && msg1[0] == '\0');
    check_forms(p1);
    gw_post_policy_free(p1);
    gw_post_policy_free(p2);
    return 0;
}
