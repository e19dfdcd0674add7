/*
 * gateway/auth/policy.c: bucket policies: the parser (jansson, then our own compiled form:
 * no JSON is kept), the evaluator, "is public", the operation -> action table and the
 * combination with ACLs. See policy.h for the grammar and rules, policy_cond.h for the
 * condition operators.
 * A compiled policy owns every string in it (cn_strdup) and is never changed after parse.
 */
#include "gateway/auth/policy.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/err.h"
#include "common/mem.h"
#include "gateway/auth/policy_cond.h"

#define POLICY_MAGIC 0x504f4c59u /* "POLY" */
#define ARN_S3 "arn:aws:s3:::"

/* Where an action applies. */
enum kind { K_BUCKET = 1, K_OBJECT = 2, K_ACCOUNT = 4 };

/* The S3 actions a bucket policy can name (Service Authorization Reference, Amazon S3). */
static const struct action {
    const char *name;
    enum kind kind;
} actions[] = {
    {"s3:AbortMultipartUpload", K_OBJECT},
    {"s3:BypassGovernanceRetention", K_OBJECT},
    {"s3:DeleteObject", K_OBJECT},
    {"s3:DeleteObjectTagging", K_OBJECT},
    {"s3:DeleteObjectVersion", K_OBJECT},
    {"s3:DeleteObjectVersionTagging", K_OBJECT},
    {"s3:GetObject", K_OBJECT},
    {"s3:GetObjectAcl", K_OBJECT},
    {"s3:GetObjectAttributes", K_OBJECT},
    {"s3:GetObjectLegalHold", K_OBJECT},
    {"s3:GetObjectRetention", K_OBJECT},
    {"s3:GetObjectTagging", K_OBJECT},
    {"s3:GetObjectTorrent", K_OBJECT},
    {"s3:GetObjectVersion", K_OBJECT},
    {"s3:GetObjectVersionAcl", K_OBJECT},
    {"s3:GetObjectVersionAttributes", K_OBJECT},
    {"s3:GetObjectVersionForReplication", K_OBJECT},
    {"s3:GetObjectVersionTagging", K_OBJECT},
    {"s3:GetObjectVersionTorrent", K_OBJECT},
    {"s3:InitiateReplication", K_OBJECT},
    {"s3:ListMultipartUploadParts", K_OBJECT},
    {"s3:ObjectOwnerOverrideToBucketOwner", K_OBJECT},
    {"s3:PutObject", K_OBJECT},
    {"s3:PutObjectAcl", K_OBJECT},
    {"s3:PutObjectLegalHold", K_OBJECT},
    {"s3:PutObjectRetention", K_OBJECT},
    {"s3:PutObjectTagging", K_OBJECT},
    {"s3:PutObjectVersionAcl", K_OBJECT},
    {"s3:PutObjectVersionTagging", K_OBJECT},
    {"s3:ReplicateDelete", K_OBJECT},
    {"s3:ReplicateObject", K_OBJECT},
    {"s3:ReplicateTags", K_OBJECT},
    {"s3:RestoreObject", K_OBJECT},
    {"s3:CreateBucket", K_BUCKET},
    {"s3:DeleteBucket", K_BUCKET},
    {"s3:DeleteBucketOwnershipControls", K_BUCKET},
    {"s3:DeleteBucketPolicy", K_BUCKET},
    {"s3:DeleteBucketWebsite", K_BUCKET},
    {"s3:GetAccelerateConfiguration", K_BUCKET},
    {"s3:GetAnalyticsConfiguration", K_BUCKET},
    {"s3:GetBucketAcl", K_BUCKET},
    {"s3:GetBucketCORS", K_BUCKET},
    {"s3:GetBucketLocation", K_BUCKET},
    {"s3:GetBucketLogging", K_BUCKET},
    {"s3:GetBucketNotification", K_BUCKET},
    {"s3:GetBucketObjectLockConfiguration", K_BUCKET},
    {"s3:GetBucketOwnershipControls", K_BUCKET},
    {"s3:GetBucketPolicy", K_BUCKET},
    {"s3:GetBucketPolicyStatus", K_BUCKET},
    {"s3:GetBucketPublicAccessBlock", K_BUCKET},
    {"s3:GetBucketRequestPayment", K_BUCKET},
    {"s3:GetBucketTagging", K_BUCKET},
    {"s3:GetBucketVersioning", K_BUCKET},
    {"s3:GetBucketWebsite", K_BUCKET},
    {"s3:GetEncryptionConfiguration", K_BUCKET},
    {"s3:GetIntelligentTieringConfiguration", K_BUCKET},
    {"s3:GetInventoryConfiguration", K_BUCKET},
    {"s3:GetLifecycleConfiguration", K_BUCKET},
    {"s3:GetMetricsConfiguration", K_BUCKET},
    {"s3:GetReplicationConfiguration", K_BUCKET},
    {"s3:ListBucket", K_BUCKET},
    {"s3:ListBucketMultipartUploads", K_BUCKET},
    {"s3:ListBucketVersions", K_BUCKET},
    {"s3:PutAccelerateConfiguration", K_BUCKET},
    {"s3:PutAnalyticsConfiguration", K_BUCKET},
    {"s3:PutBucketAcl", K_BUCKET},
    {"s3:PutBucketCORS", K_BUCKET},
    {"s3:PutBucketLogging", K_BUCKET},
    {"s3:PutBucketNotification", K_BUCKET},
    {"s3:PutBucketObjectLockConfiguration", K_BUCKET},
    {"s3:PutBucketOwnershipControls", K_BUCKET},
    {"s3:PutBucketPolicy", K_BUCKET},
    {"s3:PutBucketPublicAccessBlock", K_BUCKET},
    {"s3:PutBucketRequestPayment", K_BUCKET},
    {"s3:PutBucketTagging", K_BUCKET},
    {"s3:PutBucketVersioning", K_BUCKET},
    {"s3:PutBucketWebsite", K_BUCKET},
    {"s3:PutEncryptionConfiguration", K_BUCKET},
    {"s3:PutIntelligentTieringConfiguration", K_BUCKET},
    {"s3:PutInventoryConfiguration", K_BUCKET},
    {"s3:PutLifecycleConfiguration", K_BUCKET},
    {"s3:PutMetricsConfiguration", K_BUCKET},
    {"s3:PutReplicationConfiguration", K_BUCKET},
    {"s3:CreateJob", K_ACCOUNT},
    {"s3:GetAccountPublicAccessBlock", K_ACCOUNT},
    {"s3:ListAccessPoints", K_ACCOUNT},
    {"s3:ListAllMyBuckets", K_ACCOUNT},
    {"s3:ListJobs", K_ACCOUNT},
    {"s3:PutAccountPublicAccessBlock", K_ACCOUNT},
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

/* The S3 condition keys (after "s3:", case-insensitive); a name ending in '/' takes any tag
 * key after it. Every "aws:" key is accepted (the global keys). */
static const char *const s3_keys[] = {
    "prefix", "delimiter", "max-keys", "x-amz-acl", "x-amz-grant-read", "x-amz-grant-write",
    "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control",
    "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm", "x-amz-copy-source",
    "x-amz-metadata-directive", "x-amz-storage-class", "x-amz-content-sha256",
    "x-amz-object-ownership", "signatureversion", "authType", "signatureAge", "TlsVersion",
    "VersionId", "LocationConstraint", "RequestObjectTagKeys", "object-lock-mode",
    "object-lock-retain-until-date", "object-lock-remaining-retention-days",
    "object-lock-legal-hold", "ResourceAccount", "ExistingObjectTag/", "RequestObjectTag/",
    "BucketTag/",
};

typedef struct strv {
    char **v;
    size_t n;
} strv_t;

struct cond {
    gw_cond_op_t op;
    char *key;
    strv_t vals;
    int existing_tag;               /* key is an s3:ExistingObjectTag/<tag> */
};

struct stmt {
    int deny;
    int not_principal, principal_any;
    strv_t ids, names;              /* canonical ids; user names */
    int not_action;
    strv_t actions;
    int not_resource;
    strv_t resources;
    struct cond *conds;
    size_t nconds;
};

struct gw_policy {
    uint32_t magic;
    int vars;                       /* Version 2012-10-17: policy variables are expanded */
    int existing_tags;              /* some condition names an s3:ExistingObjectTag/ key */
    struct stmt *st;
    size_t nst;
};

/* ---- the parser ----------------------------------------------------------------------- */

typedef struct pstate {
    const char *bucket;
    char *msg;
    size_t msg_size;
    int vars;
    int existing_tags;
} pstate_t;

static int fail(pstate_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(pstate_t *ps, const char *fmt, ...)
{
    va_list ap;

    if (ps->msg != NULL && ps->msg_size > 0) {
        va_start(ap, fmt);
        vsnprintf(ps->msg, ps->msg_size, fmt, ap);
        va_end(ap);
    }
    return CN_EINVAL;
}

#define E_SYNTAX "Invalid policy syntax."
#define E_JSON "This policy contains invalid Json"
#define E_FIRST "Policies must be valid JSON and the first byte must be '{'"
#define E_VERSION "The policy must contain a valid version string"
#define E_EMPTY "Could not parse the policy: Statement is empty!"
#define E_PRINCIPAL "Invalid principal in policy"
#define E_ACTION "Policy has invalid action"
#define E_RESOURCE "Policy has invalid resource"
#define E_APPLY "Action does not apply to any resource(s) in statement"
#define E_OPERATOR "Unknown condition operator"
#define E_KEY "Policy has an invalid condition key"
#define E_VALUE "Invalid Condition value"
#define E_SID "Statement IDs (SID) in a single policy must be unique."
#define E_SIZE "Policies must not exceed 20480 bytes"

static void strv_free(strv_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        cn_free(v->v[i]);
    cn_free(v->v);
    v->v = NULL;
    v->n = 0;
}

static void strv_push(strv_t *v, const char *s)
{
    v->v = cn_realloc(v->v, (v->n + 1) * sizeof(*v->v));
    v->v[v->n++] = cn_strdup(s);
}

static void stmt_dispose(struct stmt *s)
{
    strv_free(&s->ids);
    strv_free(&s->names);
    strv_free(&s->actions);
    strv_free(&s->resources);
    for (size_t i = 0; i < s->nconds; i++) {
        cn_free(s->conds[i].key);
        strv_free(&s->conds[i].vals);
    }
    cn_free(s->conds);
}

void gw_policy_destroy(gw_policy_t *p)
{
    if (p == NULL)
        return;
    CN_CHECK_OBJ(p, POLICY_MAGIC);
    for (size_t i = 0; i < p->nst; i++)
        stmt_dispose(&p->st[i]);
    cn_free(p->st);
    p->magic = 0;
    cn_free(p);
}

/* Calls fn on each string of j (a string or a non-empty array of strings). 0, or the error
 * fn returned; a value of another type or an empty array is err_type. */
typedef int (*str_fn)(pstate_t *ps, const char *s, void *arg);
static int each_string(pstate_t *ps, json_t *j, str_fn fn, void *arg, const char *err_type)
{
    size_t i;
    json_t *e;
    int rc;

    if (json_is_string(j))
        return fn(ps, json_string_value(j), arg);
    if (!json_is_array(j) || json_array_size(j) == 0)
        return fail(ps, "%s", err_type);
    json_array_foreach(j, i, e) {
        if (!json_is_string(e))
            return fail(ps, "%s", err_type);
        if ((rc = fn(ps, json_string_value(e), arg)) != 0)
            return rc;
    }
    return 0;
}

static int is_hex64(const char *s)
{
    size_t n = strlen(s);

    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

static int add_aws_principal(pstate_t *ps, const char *s, void *arg)
{
    static const char iam[] = "arn:aws:iam::";
    struct stmt *st = arg;
    const char *acct, *colon, *res;
    char id[65];

    if (strcmp(s, "*") == 0) {
        st->principal_any = 1;
        return 0;
    }
    if (is_hex64(s)) {
        strv_push(&st->ids, s);
        return 0;
    }
    if (strncmp(s, iam, sizeof(iam) - 1) != 0)
        return fail(ps, E_PRINCIPAL);
    acct = s + sizeof(iam) - 1;
    if ((colon = strchr(acct, ':')) == NULL)
        return fail(ps, E_PRINCIPAL);
    res = colon + 1;
    if (strcmp(res, "root") == 0) {
        if ((size_t)(colon - acct) != 64)
            return fail(ps, E_PRINCIPAL);
        memcpy(id, acct, 64);
        id[64] = '\0';
        if (!is_hex64(id))
            return fail(ps, E_PRINCIPAL);
        strv_push(&st->ids, id);
        return 0;
    }
    if (strncmp(res, "user/", 5) == 0) {
        const char *name = strrchr(res, '/') + 1;
        if (*name == '\0' || strpbrk(name, "*?") != NULL)
            return fail(ps, E_PRINCIPAL);
        strv_push(&st->names, name);
        return 0;
    }
    return fail(ps, E_PRINCIPAL);
}

static int add_canonical(pstate_t *ps, const char *s, void *arg)
{
    struct stmt *st = arg;

    if (!is_hex64(s))
        return fail(ps, E_PRINCIPAL);
    strv_push(&st->ids, s);
    return 0;
}

/* A service principal ("cloudfront.amazonaws.com") is valid and names no requester of ours. */
static int check_service(pstate_t *ps, const char *s, void *arg)
{
    (void)arg;
    if (*s == '\0' || strpbrk(s, "*? ") != NULL)
        return fail(ps, E_PRINCIPAL);
    return 0;
}

static int parse_principal(pstate_t *ps, json_t *j, struct stmt *st)
{
    const char *k;
    json_t *v;
    int rc;

    if (json_is_string(j)) {
        if (strcmp(json_string_value(j), "*") != 0)
            return fail(ps, E_PRINCIPAL);
        st->principal_any = 1;
        return 0;
    }
    if (!json_is_object(j) || json_object_size(j) == 0)
        return fail(ps, E_PRINCIPAL);
    json_object_foreach(j, k, v) {
        if (strcmp(k, "AWS") == 0)
            rc = each_string(ps, v, add_aws_principal, st, E_PRINCIPAL);
        else if (strcmp(k, "CanonicalUser") == 0)
            rc = each_string(ps, v, add_canonical, st, E_PRINCIPAL);
        else if (strcmp(k, "Service") == 0)
            rc = each_string(ps, v, check_service, st, E_PRINCIPAL);
        else
            rc = fail(ps, E_PRINCIPAL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The kinds (enum kind) of the catalog's actions that pattern a names; 0 for none. */
static unsigned action_kinds(const char *a)
{
    unsigned kinds = 0;

    for (size_t i = 0; i < N_ACTIONS; i++)
        if (gw_policy_glob(a, strlen(a), actions[i].name, strlen(actions[i].name), 1, 0))
            kinds |= actions[i].kind;
    return kinds;
}

static int add_action(pstate_t *ps, const char *s, void *arg)
{
    struct stmt *st = arg;

    if (strcmp(s, "*") != 0) {
        if (strncasecmp(s, "s3:", 3) != 0 || s[3] == '\0')
            return fail(ps, E_ACTION);
        for (const char *p = s + 3; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '*' ||
                  *p == '?'))
                return fail(ps, E_ACTION);
        if (action_kinds(s) == 0)
            return fail(ps, E_ACTION);
    }
    strv_push(&st->actions, s);
    return 0;
}

/* A resource pattern with each ${...} replaced by '*' (what it could become). */
static char *resource_shape(const char *s, int vars)
{
    size_t n = strlen(s);
    char *out = cn_malloc(n + 1), *o = out;

    for (const char *p = s; *p;) {
        const char *end;
        if (vars && p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}')) != NULL) {
            *o++ = '*';
            p = end + 1;
            continue;
        }
        *o++ = *p++;
    }
    *o = '\0';
    return out;
}

/* The kinds a resource pattern can name within ps->bucket: K_BUCKET, K_OBJECT, or 0. */
static unsigned resource_kinds(const pstate_t *ps, const char *pat, int vars)
{
    char *shape = resource_shape(pat, vars);
    size_t bn = strlen(ps->bucket), n = sizeof(ARN_S3) - 1 + bn + 1;
    char *arn = cn_malloc(n + 1);
    unsigned kinds = 0;

    snprintf(arn, n + 1, "%s%s/", ARN_S3, ps->bucket);
    if (gw_policy_glob(shape, strlen(shape), arn, n - 1, 0, 0))
        kinds |= K_BUCKET;
    if (gw_policy_glob(shape, strlen(shape), arn, n, 0, 1))
        kinds |= K_OBJECT;
    cn_free(arn);
    cn_free(shape);
    return kinds;
}

static int add_resource(pstate_t *ps, const char *s, void *arg)
{
    struct stmt *st = arg;

    if (strncmp(s, ARN_S3, sizeof(ARN_S3) - 1) != 0 || resource_kinds(ps, s, ps->vars) == 0)
        return fail(ps, E_RESOURCE);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == GW_GLOB_ESC)
            return fail(ps, E_RESOURCE);
    strv_push(&st->resources, s);
    return 0;
}

static int key_valid(const char *k)
{
    if (strncasecmp(k, "aws:", 4) == 0)
        return k[4] != '\0';
    if (strncasecmp(k, "s3:", 3) != 0)
        return 0;
    k += 3;
    for (size_t i = 0; i < sizeof(s3_keys) / sizeof(s3_keys[0]); i++) {
        size_t n = strlen(s3_keys[i]);
        if (s3_keys[i][n - 1] == '/') {
            if (strncasecmp(k, s3_keys[i], n) == 0 && k[n] != '\0')
                return 1;
        } else if (strcasecmp(k, s3_keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A condition value as text: strings as they are, booleans and integers as JSON writes them,
 * other numbers with %.17g. 0, or -1 for another type. */
static int value_text(json_t *v, char *buf, size_t size, const char **out)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
    } else if (json_is_true(v) || json_is_false(v)) {
        *out = json_is_true(v) ? "true" : "false";
    } else if (json_is_integer(v)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = buf;
    } else if (json_is_real(v)) {
        snprintf(buf, size, "%.17g", json_real_value(v));
        *out = buf;
    } else {
        return -1;
    }
    return 0;
}

static int parse_condition(pstate_t *ps, json_t *j, struct stmt *st)
{
    const char *opname, *key;
    json_t *block, *vals;

    if (!json_is_object(j))
        return fail(ps, E_SYNTAX);
    json_object_foreach(j, opname, block) {
        gw_cond_op_t op;

        if (gw_policy_cond_op_parse(opname, &op) != 0)
            return fail(ps, E_OPERATOR);
        if (!json_is_object(block))
            return fail(ps, E_SYNTAX);
        json_object_foreach(block, key, vals) {
            struct cond *c;
            size_t n = json_is_array(vals) ? json_array_size(vals) : 1;

            if (!key_valid(key))
                return fail(ps, E_KEY);
            if (n == 0)
                return fail(ps, E_SYNTAX);
            st->conds = cn_realloc(st->conds, (st->nconds + 1) * sizeof(*st->conds));
            c = &st->conds[st->nconds++];
            memset(c, 0, sizeof(*c));
            c->op = op;
            c->key = cn_strdup(key);
            c->existing_tag = strncasecmp(key, GW_POLICY_EXISTING_TAG,
                                          strlen(GW_POLICY_EXISTING_TAG)) == 0;
            ps->existing_tags |= c->existing_tag;
            for (size_t i = 0; i < n; i++) {
                json_t *v = json_is_array(vals) ? json_array_get(vals, i) : vals;
                const char *txt;
                char buf[64];

                if (value_text(v, buf, sizeof(buf), &txt) != 0)
                    return fail(ps, E_SYNTAX);
                if (!gw_policy_cond_value_valid(&op, txt))
                    return fail(ps, E_VALUE);
                strv_push(&c->vals, txt);
            }
        }
    }
    return 0;
}

/* The element name or its Not form (exactly one of them) of statement j into *out, *not set
 * when it is the Not form. */
static int pick(pstate_t *ps, json_t *j, const char *name, json_t **out, int *not)
{
    char nname[32];
    json_t *a, *b;

    snprintf(nname, sizeof(nname), "Not%s", name);
    a = json_object_get(j, name);
    b = json_object_get(j, nname);
    if (a == NULL && b == NULL)
        return fail(ps, "Missing required field %s", name);
    if (a != NULL && b != NULL)
        return fail(ps, E_SYNTAX);
    *not = b != NULL;
    *out = a != NULL ? a : b;
    return 0;
}

static int parse_statement(pstate_t *ps, json_t *j, struct stmt *st)
{
    static const char *const known[] = {"Sid", "Effect", "Principal", "NotPrincipal",
                                        "Action", "NotAction", "Resource", "NotResource",
                                        "Condition"};
    json_t *effect, *cond, *sid, *v;
    const char *k;
    int rc;

    if (!json_is_object(j))
        return fail(ps, E_SYNTAX);
    json_object_foreach(j, k, v) {
        size_t i;
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (strcmp(k, known[i]) == 0)
                break;
        if (i == sizeof(known) / sizeof(known[0]))
            return fail(ps, "Unknown field %.64s", k);
    }
    sid = json_object_get(j, "Sid");
    if (sid != NULL && !json_is_string(sid))
        return fail(ps, E_SYNTAX);

    if ((effect = json_object_get(j, "Effect")) == NULL)
        return fail(ps, "Missing required field Effect");
    if (!json_is_string(effect))
        return fail(ps, E_SYNTAX);
    if (strcmp(json_string_value(effect), "Deny") == 0)
        st->deny = 1;
    else if (strcmp(json_string_value(effect), "Allow") != 0)
        return fail(ps, "Invalid effect: %.64s", json_string_value(effect));

    if ((rc = pick(ps, j, "Principal", &v, &st->not_principal)) != 0 ||
        (rc = parse_principal(ps, v, st)) != 0)
        return rc;
    if ((rc = pick(ps, j, "Action", &v, &st->not_action)) != 0 ||
        (rc = each_string(ps, v, add_action, st, E_ACTION)) != 0)
        return rc;
    if ((rc = pick(ps, j, "Resource", &v, &st->not_resource)) != 0 ||
        (rc = each_string(ps, v, add_resource, st, E_RESOURCE)) != 0)
        return rc;

    if (!st->not_action && !st->not_resource) {
        unsigned ak = 0, rk = 0;
        for (size_t i = 0; i < st->actions.n; i++)
            ak |= strcmp(st->actions.v[i], "*") == 0 ? (unsigned)(K_BUCKET | K_OBJECT)
                                                      : action_kinds(st->actions.v[i]);
        for (size_t i = 0; i < st->resources.n; i++)
            rk |= resource_kinds(ps, st->resources.v[i], ps->vars);
        if ((ak & rk) == 0)
            return fail(ps, E_APPLY);
    }

    if ((cond = json_object_get(j, "Condition")) != NULL)
        return parse_condition(ps, cond, st);
    return 0;
}

static int sids_unique(json_t *stmts)
{
    size_t n = json_array_size(stmts);

    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(json_object_get(json_array_get(stmts, i), "Sid"));
        if (a == NULL || *a == '\0')
            continue;
        for (size_t k = i + 1; k < n; k++) {
            const char *b = json_string_value(json_object_get(json_array_get(stmts, k), "Sid"));
            if (b != NULL && strcmp(a, b) == 0)
                return 0;
        }
    }
    return 1;
}

static int parse_doc(pstate_t *ps, json_t *root, gw_policy_t *p)
{
    json_t *ver, *stmts, *id, *v;
    const char *k;
    size_t i;
    int rc;

    json_object_foreach(root, k, v) {
        if (strcmp(k, "Version") != 0 && strcmp(k, "Statement") != 0 && strcmp(k, "Id") != 0)
            return fail(ps, "Unknown field %.64s", k);
    }
    ver = json_object_get(root, "Version");
    if (ver != NULL) {
        const char *s = json_string_value(ver);
        if (s == NULL || (strcmp(s, "2012-10-17") != 0 && strcmp(s, "2008-10-17") != 0))
            return fail(ps, E_VERSION);
        p->vars = strcmp(s, "2012-10-17") == 0;
    }
    ps->vars = p->vars;
    id = json_object_get(root, "Id");
    if (id != NULL && !json_is_string(id))
        return fail(ps, E_SYNTAX);
    if ((stmts = json_object_get(root, "Statement")) == NULL)
        return fail(ps, "Missing required field Statement");
    if (json_is_object(stmts)) {
        p->st = cn_calloc(1, sizeof(*p->st));
        p->nst = 1;
        return parse_statement(ps, stmts, &p->st[0]);
    }
    if (!json_is_array(stmts))
        return fail(ps, E_SYNTAX);
    if (json_array_size(stmts) == 0)
        return fail(ps, E_EMPTY);
    p->st = cn_calloc(json_array_size(stmts), sizeof(*p->st));
    json_array_foreach(stmts, i, v) {
        p->nst = i + 1;
        if ((rc = parse_statement(ps, v, &p->st[i])) != 0)
            return rc;
    }
    if (!sids_unique(stmts))
        return fail(ps, E_SID);
    return 0;
}

int gw_policy_parse(const char *doc, size_t len, const char *bucket, gw_policy_t **out,
                    char *msg, size_t msg_size)
{
    pstate_t ps = {bucket != NULL ? bucket : "", msg, msg_size, 0, 0};
    size_t i = 0;
    json_error_t jerr;
    json_t *root;
    gw_policy_t *p;
    int rc;

    *out = NULL;
    if (msg != NULL && msg_size > 0)
        msg[0] = '\0';
    if (len > GW_POLICY_MAX_BODY) {
        fail(&ps, E_SIZE);
        return CN_E2BIG;
    }
    while (i < len && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\r' || doc[i] == '\n'))
        i++;
    if (i == len || doc[i] != '{')
        return fail(&ps, E_FIRST);
    root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return fail(&ps, E_JSON);
    }
    if (len > GW_POLICY_MAX_BYTES && json_dumpb(root, NULL, 0, JSON_COMPACT) > GW_POLICY_MAX_BYTES) {
        json_decref(root);
        fail(&ps, E_SIZE);
        return CN_E2BIG;
    }
    p = cn_calloc(1, sizeof(*p));
    p->magic = POLICY_MAGIC;
    rc = parse_doc(&ps, root, p);
    p->existing_tags = ps.existing_tags;
    json_decref(root);
    if (rc != 0) {
        gw_policy_destroy(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ---- the evaluator -------------------------------------------------------------------- */

/* Compares condition key names: case-insensitive up to the first '/', exact after it. */
static int key_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (*a == '/' && *b == '/')
            return strcmp(a, b) == 0;
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* The values of key in ctx: 1 with *vals and *n set, or 0 when absent. one is storage for
 * the single value of aws:userid or aws:username when taken from the requester. */
static int ctx_key(const gw_policy_ctx_t *ctx, const char *key, const char *const **vals,
                   size_t *n, const char **one)
{
    int anon = ctx->user_id == NULL || ctx->user_id[0] == '\0';

    for (size_t i = 0; i < ctx->nkeys; i++) {
        if (ctx->keys[i].name != NULL && key_eq(ctx->keys[i].name, key)) {
            *vals = ctx->keys[i].values;
            *n = ctx->keys[i].values != NULL ? ctx->keys[i].n : 0;
            return 1;
        }
    }
    if (!anon && key_eq(key, "aws:userid")) {
        *one = ctx->user_id;
    } else if (!anon && ctx->user_name != NULL && key_eq(key, "aws:username")) {
        *one = ctx->user_name;
    } else {
        return 0;
    }
    *vals = one;
    *n = 1;
    return 1;
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf_t;

static void sb_put(sbuf_t *b, char c)
{
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 128;
        b->p = cn_realloc(b->p, b->cap);
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
}

/* Appends c quoted when it would otherwise be special to the glob. */
static void sb_lit(sbuf_t *b, char c)
{
    if (c == '*' || c == '?' || c == GW_GLOB_ESC)
        sb_put(b, GW_GLOB_ESC);
    sb_put(b, c);
}

/* Appends the value of the variable v[0..n) ("key" or "key, 'default'") quoted; 0 when the
 * key is absent or multivalued and there is no default. */
static int expand_var(const gw_policy_ctx_t *ctx, const char *v, size_t n, sbuf_t *b)
{
    const char *comma = memchr(v, ',', n), *dflt = NULL, *const *vals, *one;
    size_t kn = comma ? (size_t)(comma - v) : n, dn = 0, nv;
    char name[128];

    if (comma != NULL) { /* ${key, 'default'}: spaces around, the default in quotes */
        const char *d = comma + 1, *e = v + n;
        while (d < e && *d == ' ')
            d++;
        while (e > d && e[-1] == ' ')
            e--;
        if (e - d < 2 || *d != '\'' || e[-1] != '\'')
            return 0;
        dflt = d + 1;
        dn = (size_t)(e - d - 2);
    }
    while (kn > 0 && v[kn - 1] == ' ')
        kn--;
    if (kn == 0 || kn >= sizeof(name))
        return 0;
    memcpy(name, v, kn);
    name[kn] = '\0';
    if (ctx_key(ctx, name, &vals, &nv, &one) && nv == 1 && vals[0] != NULL) {
        for (const char *c = vals[0]; *c; c++)
            sb_lit(b, *c);
        return 1;
    }
    if (dflt == NULL)
        return 0;
    for (size_t i = 0; i < dn; i++)
        sb_lit(b, dflt[i]);
    return 1;
}

/* Expands the policy variables of s into b as a glob pattern (policy_cond.h). wild: s's own
 * '*' and '?' are wildcards (Resource, StringLike, Arn*); otherwise they are literal. 0 when
 * a variable names an absent or multivalued key (the pattern matches nothing). */
static int expand(const gw_policy_t *p, const gw_policy_ctx_t *ctx, const char *s, int wild,
                  sbuf_t *b)
{
    b->n = 0;
    sb_put(b, '\0');
    b->n = 0;
    for (const char *q = s; *q;) {
        const char *end;
        if (p->vars && q[0] == '$' && q[1] == '{' && (end = strchr(q + 2, '}')) != NULL) {
            size_t n = (size_t)(end - q - 2);

            if (n == 1 && (q[2] == '*' || q[2] == '?' || q[2] == '$')) {
                sb_lit(b, q[2]);
            } else if (!expand_var(ctx, q + 2, n, b)) {
                return 0;
            }
            q = end + 1;
            continue;
        }
        if (wild && (*q == '*' || *q == '?'))
            sb_put(b, *q);
        else
            sb_lit(b, *q);
        q++;
    }
    return 1;
}

static int principal_matches(const struct stmt *st, const gw_policy_ctx_t *ctx)
{
    int anon = ctx->user_id == NULL || ctx->user_id[0] == '\0', hit = st->principal_any;

    for (size_t i = 0; !hit && !anon && i < st->ids.n; i++)
        hit = strcasecmp(st->ids.v[i], ctx->user_id) == 0;
    for (size_t i = 0; !hit && !anon && ctx->user_name && i < st->names.n; i++)
        hit = strcmp(st->names.v[i], ctx->user_name) == 0;
    return st->not_principal ? !hit : hit;
}

static int action_matches(const struct stmt *st, const char *action)
{
    int hit = 0;

    for (size_t i = 0; !hit && action != NULL && i < st->actions.n; i++)
        hit = gw_policy_glob(st->actions.v[i], strlen(st->actions.v[i]), action,
                             strlen(action), 1, 0);
    return st->not_action ? !hit : hit;
}

static int resource_matches(const gw_policy_t *p, const struct stmt *st,
                            const gw_policy_ctx_t *ctx, sbuf_t *b)
{
    int hit = 0;

    for (size_t i = 0; !hit && ctx->resource != NULL && i < st->resources.n; i++)
        hit = expand(p, ctx, st->resources.v[i], 1, b) &&
              gw_policy_glob(b->p, b->n, ctx->resource, strlen(ctx->resource), 0, 0);
    return st->not_resource ? !hit : hit;
}

static int cond_holds(const gw_policy_t *p, const struct cond *c, const gw_policy_ctx_t *ctx)
{
    const char *const *cv = NULL, *one = NULL;
    size_t ncv = 0;
    int present = ctx_key(ctx, c->key, &cv, &ncv, &one), rc;
    int textual = c->op.kind == GW_COND_STR || c->op.kind == GW_COND_STR_ICASE ||
                  c->op.kind == GW_COND_LIKE || c->op.kind == GW_COND_ARN;
    const char **pv = cn_calloc(c->vals.n, sizeof(*pv));
    sbuf_t *ex = cn_calloc(c->vals.n, sizeof(*ex));
    const char **cvals = cn_calloc(ncv + 1, sizeof(*cvals));
    size_t m = 0;

    for (size_t i = 0; i < c->vals.n; i++) {
        if (!textual) {
            pv[i] = c->vals.v[i];
            continue;
        }
        pv[i] = expand(p, ctx, c->vals.v[i],
                       c->op.kind == GW_COND_LIKE || c->op.kind == GW_COND_ARN, &ex[i])
                    ? ex[i].p
                    : NULL;
    }
    for (size_t i = 0; i < ncv; i++)
        if (cv[i] != NULL)
            cvals[m++] = cv[i]; /* a NULL value in the caller's table is no value */
    rc = gw_policy_cond_eval(&c->op, pv, c->vals.n, cvals, m, present);
    for (size_t i = 0; i < c->vals.n; i++)
        cn_free(ex[i].p);
    cn_free(ex);
    cn_free(pv);
    cn_free(cvals);
    return rc;
}

gw_policy_result_t gw_policy_eval(const gw_policy_t *p, const gw_policy_ctx_t *ctx)
{
    gw_policy_result_t r = GW_POLICY_NONE;
    sbuf_t b = {NULL, 0, 0};

    CN_CHECK_OBJ(p, POLICY_MAGIC);
    for (size_t i = 0; i < p->nst; i++) {
        const struct stmt *st = &p->st[i];
        size_t k;

        if (r == GW_POLICY_ALLOW && !st->deny)
            continue; /* only a Deny can change the answer now */
        if (!principal_matches(st, ctx) || !action_matches(st, ctx->action) ||
            !resource_matches(p, st, ctx, &b))
            continue;
        for (k = 0; k < st->nconds; k++) {
            const struct cond *c = &st->conds[k];

            if (c->existing_tag && ctx->tags == GW_POLICY_TAGS_CLOSED) {
                if (st->deny)
                    continue; /* a Deny that may apply applies */
                break;        /* an Allow that may not apply does not */
            }
            if (c->existing_tag && ctx->tags == GW_POLICY_TAGS_LATER)
                break;
            if (!cond_holds(p, c, ctx))
                break;
        }
        if (k < st->nconds)
            continue;
        if (st->deny) {
            r = GW_POLICY_DENY;
            break;
        }
        r = GW_POLICY_ALLOW;
    }
    cn_free(b.p);
    return r;
}

int gw_policy_uses_existing_tags(const gw_policy_t *p)
{
    CN_CHECK_OBJ(p, POLICY_MAGIC);
    return p->existing_tags;
}

/* ---- public, actions, combination ------------------------------------------------------ */

/* 1 when action pattern a can name a "bad" action (The meaning of public). */
static int bad_action(const char *a)
{
    static const char *const bad[] = {"s3:Get", "s3:List", "s3:Put", "s3:Delete",
                                      "s3:AbortMultipartUpload", "s3:RestoreObject"};

    for (size_t i = 0; i < N_ACTIONS; i++) {
        if (!gw_policy_glob(a, strlen(a), actions[i].name, strlen(actions[i].name), 1, 0))
            continue;
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
            if (strncasecmp(actions[i].name, bad[k], strlen(bad[k])) == 0)
                return 1;
    }
    return 0;
}

static int cond_fixes_principal(const struct cond *c)
{
    static const char *const fixed[] = {"aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce",
                                        "aws:SourceOwner", "aws:SourceAccount",
                                        "aws:PrincipalOrgID", "aws:userid",
                                        "s3:x-amz-server-side-encryption-aws-kms-key-id"};
    size_t i;

    if (c->op.negated || c->op.if_exists || c->op.set != GW_SET_NONE)
        return 0;
    if (c->op.kind == GW_COND_IP) {
        if (!key_eq(c->key, "aws:SourceIp"))
            return 0;
        for (i = 0; i < c->vals.n; i++) {
            const char *v = c->vals.v[i], *sl = strrchr(v, '/');
            int v6 = strchr(v, ':') != NULL, bits = sl ? atoi(sl + 1) : 128;
            if (bits < (v6 ? 32 : 8))
                return 0; /* broader than a /8 (IPv4) or a /32 (IPv6): anyone, near enough */
        }
        return 1;
    }
    if (c->op.kind != GW_COND_STR && c->op.kind != GW_COND_ARN)
        return 0;
    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (key_eq(c->key, fixed[i]))
            break;
    if (i == sizeof(fixed) / sizeof(fixed[0]))
        return 0;
    for (i = 0; i < c->vals.n; i++)
        if (strpbrk(c->vals.v[i], "*?$") != NULL)
            return 0;
    return 1;
}

int gw_policy_is_public(const gw_policy_t *p)
{
    CN_CHECK_OBJ(p, POLICY_MAGIC);
    for (size_t i = 0; i < p->nst; i++) {
        const struct stmt *st = &p->st[i];
        int bad = st->not_action, fixed = 0;

        if (st->deny || !(st->principal_any || st->not_principal))
            continue;
        if (st->not_principal && st->principal_any)
            continue; /* NotPrincipal "*": nobody */
        for (size_t k = 0; !bad && k < st->actions.n; k++)
            bad = bad_action(st->actions.v[k]);
        for (size_t k = 0; !fixed && k < st->nconds; k++)
            fixed = cond_fixes_principal(&st->conds[k]);
        if (bad && !fixed)
            return 1;
    }
    return 0;
}

const char *gw_policy_op_action(gw_op_t op, int has_version_id, int *object_level)
{
    const char *a = NULL;
    int obj = 0;

    switch (op) {
    case GW_OP_LIST_BUCKETS: a = "s3:ListAllMyBuckets"; break;
    case GW_OP_CREATE_BUCKET: a = "s3:CreateBucket"; break;
    case GW_OP_DELETE_BUCKET: a = "s3:DeleteBucket"; break;
    case GW_OP_HEAD_BUCKET:
    case GW_OP_LIST_OBJECTS:
    case GW_OP_LIST_OBJECTS_V2: a = "s3:ListBucket"; break;
    case GW_OP_GET_BUCKET_LOCATION: a = "s3:GetBucketLocation"; break;
    case GW_OP_LIST_MULTIPART_UPLOADS: a = "s3:ListBucketMultipartUploads"; break;
    case GW_OP_GET_BUCKET_ACL: a = "s3:GetBucketAcl"; break;
    case GW_OP_PUT_BUCKET_ACL: a = "s3:PutBucketAcl"; break;
    case GW_OP_GET_BUCKET_POLICY: a = "s3:GetBucketPolicy"; break;
    case GW_OP_PUT_BUCKET_POLICY: a = "s3:PutBucketPolicy"; break;
    case GW_OP_DELETE_BUCKET_POLICY: a = "s3:DeleteBucketPolicy"; break;
    case GW_OP_GET_BUCKET_POLICY_STATUS: a = "s3:GetBucketPolicyStatus"; break;
    case GW_OP_GET_PUBLIC_ACCESS_BLOCK: a = "s3:GetBucketPublicAccessBlock"; break;
    case GW_OP_PUT_PUBLIC_ACCESS_BLOCK:
    case GW_OP_DELETE_PUBLIC_ACCESS_BLOCK: a = "s3:PutBucketPublicAccessBlock"; break;
    case GW_OP_GET_OWNERSHIP_CONTROLS: a = "s3:GetBucketOwnershipControls"; break;
    case GW_OP_PUT_OWNERSHIP_CONTROLS:
    case GW_OP_DELETE_OWNERSHIP_CONTROLS: a = "s3:PutBucketOwnershipControls"; break;
    case GW_OP_GET_BUCKET_VERSIONING: a = "s3:GetBucketVersioning"; break;
    case GW_OP_PUT_BUCKET_VERSIONING: a = "s3:PutBucketVersioning"; break;
    case GW_OP_LIST_OBJECT_VERSIONS: a = "s3:ListBucketVersions"; break;
    case GW_OP_GET_OBJECT:
    case GW_OP_HEAD_OBJECT:
        a = has_version_id ? "s3:GetObjectVersion" : "s3:GetObject";
        obj = 1;
        break;
    case GW_OP_DELETE_OBJECT:
    case GW_OP_DELETE_OBJECTS: /* checked for each key of the body */
        a = has_version_id ? "s3:DeleteObjectVersion" : "s3:DeleteObject";
        obj = 1;
        break;
    case GW_OP_PUT_OBJECT:
    case GW_OP_CREATE_MULTIPART:
    case GW_OP_UPLOAD_PART:
    case GW_OP_COMPLETE_MULTIPART:
    case GW_OP_POST_OBJECT:
        a = "s3:PutObject";
        obj = 1;
        break;
    case GW_OP_ABORT_MULTIPART:
        a = "s3:AbortMultipartUpload";
        obj = 1;
        break;
    case GW_OP_LIST_PARTS:
        a = "s3:ListMultipartUploadParts";
        obj = 1;
        break;
    case GW_OP_GET_OBJECT_ACL:
        a = has_version_id ? "s3:GetObjectVersionAcl" : "s3:GetObjectAcl";
        obj = 1;
        break;
    case GW_OP_PUT_OBJECT_ACL:
        a = has_version_id ? "s3:PutObjectVersionAcl" : "s3:PutObjectAcl";
        obj = 1;
        break;
    case GW_OP_GET_OBJECT_TAGGING:
        a = has_version_id ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging";
        obj = 1;
        break;
    case GW_OP_GET_OBJECT_ATTRIBUTES:
        a = has_version_id ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes";
        obj = 1;
        break;
    case GW_OP_PUT_OBJECT_TAGGING:
        a = has_version_id ? "s3:PutObjectVersionTagging" : "s3:PutObjectTagging";
        obj = 1;
        break;
    case GW_OP_DELETE_OBJECT_TAGGING:
        a = has_version_id ? "s3:DeleteObjectVersionTagging" : "s3:DeleteObjectTagging";
        obj = 1;
        break;
    case GW_OP_GET_BUCKET_TAGGING: a = "s3:GetBucketTagging"; break;
    case GW_OP_PUT_BUCKET_TAGGING:
    case GW_OP_DELETE_BUCKET_TAGGING: a = "s3:PutBucketTagging"; break;
    case GW_OP_GET_BUCKET_CORS: a = "s3:GetBucketCORS"; break;
    case GW_OP_PUT_BUCKET_CORS:
    case GW_OP_DELETE_BUCKET_CORS: a = "s3:PutBucketCORS"; break;
    case GW_OP_GET_BUCKET_LIFECYCLE: a = "s3:GetLifecycleConfiguration"; break;
    case GW_OP_GET_BUCKET_ENCRYPTION: a = "s3:GetEncryptionConfiguration"; break;
    case GW_OP_PUT_BUCKET_ENCRYPTION:
    case GW_OP_DELETE_BUCKET_ENCRYPTION: a = "s3:PutEncryptionConfiguration"; break;
    case GW_OP_PUT_BUCKET_LIFECYCLE:
    case GW_OP_DELETE_BUCKET_LIFECYCLE: a = "s3:PutLifecycleConfiguration"; break;
    case GW_OP_GET_OBJECT_LOCK_CONFIG: a = "s3:GetBucketObjectLockConfiguration"; break;
    case GW_OP_PUT_OBJECT_LOCK_CONFIG: a = "s3:PutBucketObjectLockConfiguration"; break;
    case GW_OP_GET_OBJECT_RETENTION:
        a = "s3:GetObjectRetention";
        obj = 1;
        break;
    case GW_OP_PUT_OBJECT_RETENTION:
        a = "s3:PutObjectRetention";
        obj = 1;
        break;
    case GW_OP_GET_OBJECT_LEGAL_HOLD:
        a = "s3:GetObjectLegalHold";
        obj = 1;
        break;
    case GW_OP_PUT_OBJECT_LEGAL_HOLD:
        a = "s3:PutObjectLegalHold";
        obj = 1;
        break;
    case GW_OP_GET_BUCKET_LOGGING: a = "s3:GetBucketLogging"; break;
    case GW_OP_PUT_BUCKET_LOGGING: a = "s3:PutBucketLogging"; break;
    case GW_OP_NONE:
    case GW_OP_OPTIONS:
    case GW_OP_UNSUPPORTED: break;
    }
    if (object_level != NULL)
        *object_level = obj;
    return a;
}

size_t gw_policy_arn(char *buf, size_t size, const char *bucket, const char *key)
{
    int n = key != NULL ? snprintf(buf, size, "%s%s/%s", ARN_S3, bucket, key)
                        : snprintf(buf, size, "%s%s", ARN_S3, bucket);

    if (n < 0 || (size_t)n >= size)
        return 0;
    return (size_t)n;
}

int gw_policy_combine(gw_policy_result_t r, int acl_allows, int is_bucket_owner,
                      const char *action)
{
    static const char *const owner_keeps[] = {"s3:GetBucketPolicy", "s3:PutBucketPolicy",
                                              "s3:DeleteBucketPolicy"};

    if (is_bucket_owner && action != NULL)
        for (size_t i = 0; i < sizeof(owner_keeps) / sizeof(owner_keeps[0]); i++)
            if (strcasecmp(action, owner_keeps[i]) == 0)
                return 1;
    if (r == GW_POLICY_DENY)
        return 0;
    return r == GW_POLICY_ALLOW || acl_allows;
}
