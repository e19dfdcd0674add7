/*
 * tests/fuzz/fuzz_policy.c: libFuzzer target for bucket policies (gw_policy_parse,
 * gw_policy_eval, gw_policy_is_public in gateway/auth/policy.h, and through them the
 * condition operators of policy_cond.h). The input is a policy document for the bucket
 * "photos"; a parsed policy is evaluated against a few fixed requests (anonymous and signed,
 * object and bucket ARNs, with and without condition keys, multivalued keys, odd values).
 * Checks: the result is 0, CN_EINVAL or CN_E2BIG with a non-empty message and no policy on
 * an error (run with -max_len=45000 to reach both size limits); a second parse gives the
 * same result and message, and the second policy the same answers (deterministic); every
 * answer is NONE, ALLOW or DENY; gw_policy_combine keeps its rules (a Deny wins over an ACL
 * grant, the owner keeps the policy operations); a policy that lets an anonymous request
 * without condition keys read or list is public; no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/auth/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALICE "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"

static const char *const ip_v4[] = {"54.240.143.188"};
static const char *const ip_v6[] = {"2001:db8:1234:5678::1"};
static const char *const f[] = {"false"};
static const char *const t[] = {"true"};
static const char *const now[] = {"2024-05-01T12:00:00Z"};
static const char *const epoch[] = {"1714564800"};
static const char *const prefix[] = {"home/alice/"};
static const char *const maxk[] = {"1000"};
static const char *const acl[] = {"bucket-owner-full-control"};
static const char *const tags[] = {"Project", "Department", ""};
static const char *const odd[] = {"*?${aws:username}", "\xff\xfe"};
static const char *const env[] = {"production"};

static const gw_policy_key_t keys_signed[] = {
    {"aws:SourceIp", ip_v4, 1},       {"aws:SecureTransport", t, 1},
    {"aws:CurrentTime", now, 1},      {"aws:EpochTime", epoch, 1},
    {"s3:prefix", prefix, 1},         {"s3:max-keys", maxk, 1},
    {"s3:x-amz-acl", acl, 1},         {"s3:RequestObjectTagKeys", tags, 3},
    {"s3:ExistingObjectTag/environment", env, 1},
};
static const gw_policy_key_t keys_odd[] = {
    {"aws:SourceIp", ip_v6, 1},   {"aws:SecureTransport", f, 1}, {"aws:UserAgent", odd, 2},
    {"s3:max-keys", odd, 2},      {"aws:CurrentTime", odd, 1},   {"s3:RequestObjectTagKeys", tags, 0},
    {"aws:username", odd, 2},     {"aws:Referer", NULL, 3},
};

static const gw_policy_ctx_t ctxs[] = {
    {NULL, NULL, "s3:GetObject", "arn:aws:s3:::photos/public/a.jpg", NULL, 0},
    {NULL, NULL, "s3:ListBucket", "arn:aws:s3:::photos", NULL, 0},
    {ALICE, "alice", "s3:PutObject", "arn:aws:s3:::photos/home/alice/x", keys_signed,
     sizeof(keys_signed) / sizeof(keys_signed[0])},
    {ALICE, "alice", "s3:ListBucket", "arn:aws:s3:::photos", keys_signed,
     sizeof(keys_signed) / sizeof(keys_signed[0])},
    {"b0b0", "bob", "s3:GetObjectVersion", "arn:aws:s3:::photos/*?", keys_odd,
     sizeof(keys_odd) / sizeof(keys_odd[0])},
    {NULL, NULL, "s3:DeleteBucketPolicy", "arn:aws:s3:::photos", keys_odd,
     sizeof(keys_odd) / sizeof(keys_odd[0])},
};
#define NCTX (sizeof(ctxs) / sizeof(ctxs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg1[GW_POLICY_MSG_MAX], msg2[GW_POLICY_MSG_MAX];
    gw_policy_t *p1 = NULL, *p2 = NULL;
    gw_policy_result_t r[NCTX];
    int rc1, rc2;

    cn_log_set_level(CN_LOG_ERROR);
    rc1 = gw_policy_parse((const char *)data, size, "photos", &p1, msg1, sizeof(msg1));
    rc2 = gw_policy_parse((const char *)data, size, "photos", &p2, msg2, sizeof(msg2));
    if (rc1 != rc2 || strcmp(msg1, msg2) != 0)
        abort(); /* not deterministic */
    if (rc1 != 0) {
        if ((rc1 != CN_EINVAL && rc1 != CN_E2BIG) || msg1[0] == '\0' || p1 != NULL || p2 != NULL)
            abort();
        return 0;
    }
    if (p1 == NULL || p2 == NULL || msg1[0] != '\0')
        abort();
    for (size_t i = 0; i < NCTX; i++) {
        r[i] = gw_policy_eval(p1, &ctxs[i]);
        if (r[i] != GW_POLICY_NONE && r[i] != GW_POLICY_ALLOW && r[i] != GW_POLICY_DENY)
            abort();
        if (gw_policy_eval(p2, &ctxs[i]) != r[i] || gw_policy_eval(p1, &ctxs[i]) != r[i])
            abort(); /* not deterministic */
        /* whatever the policy, the combination keeps its rules */
        if (gw_policy_combine(r[i], 1, 0, ctxs[i].action) != (r[i] != GW_POLICY_DENY))
            abort();
        if (!gw_policy_combine(r[i], 0, 1, "s3:DeleteBucketPolicy"))
            abort();
    }
    /* An anonymous request without condition keys (contexts 0 and 1) that is allowed to read
     * or list makes the policy public: the statement names everyone, and no condition that
     * fixes the source can hold without its key. */
    if (gw_policy_is_public(p1) != gw_policy_is_public(p2))
        abort();
    if ((r[0] == GW_POLICY_ALLOW || r[1] == GW_POLICY_ALLOW) && !gw_policy_is_public(p1))
        abort();
    gw_policy_destroy(p1);
    gw_policy_destroy(p2);
    return 0;
}
