/* tests/unit/gateway/test_post_policy.c: tests gateway/auth/post_policy.c (the POST policy
 * document of a browser upload: its parse, each S3 message, and the check of a form against
 * it), as tables. The documents are AWS's examples (sigv4-HTTPPOSTConstructPolicy,
 * sigv4-post-example) and their edges. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "gateway/auth/post_policy.h"

#define T2007 1196510400000ull /* 2007-12-01T12:00:00.000Z */
#define T2015 1451476800000ull /* 2015-12-30T12:00:00.000Z */

/* AWS's SigV4 browser-upload example policy (sigv4-post-example). */
#define AWS_EXAMPLE                                                                          \
    "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\n"                                       \
    "  \"conditions\": [\n"                                                                   \
    "    {\"bucket\": \"sigv4examplebucket\"},\n"                                             \
    "    [\"starts-with\", \"$key\", \"user/user1/\"],\n"                                     \
    "    {\"acl\": \"public-read\"},\n"                                                       \
    "    {\"success_action_redirect\": "                                                      \
    "\"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html\"},\n"               \
    "    [\"starts-with\", \"$Content-Type\", \"image/\"],\n"                                 \
    "    {\"x-amz-meta-uuid\": \"14365123651274\"},\n"                                        \
    "    {\"x-amz-server-side-encryption\": \"AES256\"},\n"                                   \
    "    [\"starts-with\", \"$x-amz-meta-tag\", \"\"],\n"                                     \
    "    {\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request\"},\n" \
    "    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},\n"                                      \
    "    {\"x-amz-date\": \"20151229T000000Z\" }\n"                                           \
    "  ]\n"                                                                                   \
    "}"

/* The first example of sigv4-HTTPPOSTConstructPolicy, without the trailing comma after its
 * last condition: that is not JSON, and we refuse it (see the parse table). */
#define DOC_EXAMPLE                                                                          \
    "{ \"expiration\": \"2007-12-01T12:00:00.000Z\",\n"                                       \
    "  \"conditions\": [\n"                                                                   \
    "    {\"acl\": \"public-read\" },\n"                                                      \
    "    {\"bucket\": \"johnsmith\" },\n"                                                     \
    "    [\"starts-with\", \"$key\", \"user/eric/\"]\n"                                       \
    "  ]\n"                                                                                   \
    "}"

#define EXP "\"expiration\": \"2007-12-01T12:00:00.000Z\""
#define WITH(conds) "{" EXP ", \"conditions\": [" conds "]}"

static const struct parse_case {
    const char *doc;
    gw_s3_err_t e;
    const char *msg; /* exact; NULL: not checked */
} parse_cases[] = {
    {AWS_EXAMPLE, GW_S3_OK, ""},
    {DOC_EXAMPLE, GW_S3_OK, ""},
    {WITH(""), GW_S3_OK, ""},
    {"{\"expiration\": \"2007-12-01T12:00:00Z\", \"conditions\": []}", GW_S3_OK, ""},
    {"{\"expiration\": \"2007-12-01T12:00:00.1Z\", \"conditions\": []}", GW_S3_OK, ""},
    {"{\"expiration\": \"2007-12-01T12:00:00.123456789Z\", \"conditions\": []}", GW_S3_OK, ""},
    {"{\"expiration\": \"2024-02-29T00:00:00Z\", \"conditions\": []}", GW_S3_OK, ""},
    {WITH("[\"content-length-range\", 0, 0]"), GW_S3_OK, ""},
    {WITH("[\"content-length-range\", \"1\", \"10485760\"]"), GW_S3_OK, ""},
    {WITH("[\"starts-with\", \"$success_action_redirect\", \"\"]"), GW_S3_OK, ""},
    {WITH("[\"eq\", \"$acl\", \"public-read\"], [\"eq\", \"key\", \"no-dollar\"]"), GW_S3_OK, ""},
    {WITH("{\"x-amz-meta-q\": \"\\\"\\u00e9\\/\\\\\"}"), GW_S3_OK, ""},
    /* JSON */
    {"", GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid JSON."},
    {"{\"expiration\":", GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid JSON."},
    {"[]", GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid JSON."},
    {DOC_EXAMPLE "x", GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid JSON."},
    {WITH("{\"acl\": \"public-read\" },"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid JSON."},
    {"{" EXP ", " EXP ", \"conditions\": []}", GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid JSON."},
    {WITH("{\"a\": \"\\u0000\"}"), GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [], \"foo\": 1}", GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Unexpected: \"foo\""},
    /* expiration */
    {"{\"conditions\": []}", GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Policy missing expiration."},
    {"{\"eXpIrAtIoN\": \"2007-12-01T12:00:00.000Z\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Unexpected: \"eXpIrAtIoN\""},
    {"{\"expiration\": null, \"conditions\": []}", GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Policy missing expiration."},
    {"{\"expiration\": \"2014-01-01 00:00:00\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid 'expiration' value: '2014-01-01 00:00:00'"},
    {"{\"expiration\": \"2007-12-01T12:00:00.000\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid 'expiration' value: '2007-12-01T12:00:00.000'"},
    {"{\"expiration\": \"2007-12-01T12:00:00.Z\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {"{\"expiration\": \"2007-12-01T12:00:00.0000000000Z\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {"{\"expiration\": \"2007-13-01T12:00:00Z\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {"{\"expiration\": \"2023-02-29T12:00:00Z\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {"{\"expiration\": \"2007-12-01T24:00:00Z\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {"{\"expiration\": \"2007-12-01T12:00:00+01:00\", \"conditions\": []}",
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {"{\"expiration\": 1196510400, \"conditions\": []}", GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid 'expiration' value: '1196510400'"},
    /* conditions */
    {"{" EXP "}", GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Policy missing conditions."},
    {"{" EXP ", \"conditions\": {}}", GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid 'conditions' value: must be a List."},
    {WITH("\"just a string\""), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid condition test: must be a List or Object."},
    {WITH("{}"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
     "property specified."},
    {WITH("{\"acl\": \"a\", \"key\": \"b\"}"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
     "property specified."},
    {WITH("{\"bucket\": 1}"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Simple-Condition: value must be a string."},
    {WITH("[]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Condition: missing operation identifier."},
    {WITH("[1, \"$key\", \"a\"]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Condition: missing operation identifier."},
    {WITH("[\"unknown-op\", \"$key\", \"post-\"]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Condition: unknown operation 'unknown-op'."},
    {WITH("[\"StArTs-WiTh\", \"$key\", \"foo\"]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Condition: unknown operation 'StArTs-WiTh'."},
    {WITH("[\"eq\", \"$key\"]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Eq: wrong number of arguments."},
    {WITH("[\"eq\", \"$key\", \"a\", \"b\"]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid Eq: wrong number of arguments."},
    {WITH("[\"starts-with\", \"$key\"]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid starts-with: wrong number of arguments."},
    {WITH("[\"content-length-range\", 0]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid content-length-range: wrong number of arguments."},
    {WITH("[\"content-length-range\", 0, 1024, 2048]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid content-length-range: wrong number of arguments."},
    {WITH("[\"eq\", \"$content-type\", true]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid JSON."},
    {WITH("[\"eq\", 1, \"a\"]"), GW_S3_INVALID_POLICY_DOCUMENT, "Invalid Policy: Invalid JSON."},
    {WITH("[\"content-length-range\", -1, 0]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid content-length-range condition: the bounds must be integers >= 0."},
    {WITH("[\"content-length-range\", 1.5, 10]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid content-length-range condition: the bounds must be integers >= 0."},
    {WITH("[\"content-length-range\", \"abc\", 10]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid content-length-range condition: the bounds must be integers >= 0."},
    {WITH("[\"content-length-range\", \"\", 10]"), GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {WITH("[\"content-length-range\", \"-1\", 10]"), GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {WITH("[\"content-length-range\", 0, \"99999999999999999999\"]"),
     GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {WITH("[\"content-length-range\", 12, false]"), GW_S3_INVALID_POLICY_DOCUMENT, NULL},
    {WITH("[\"content-length-range\", 100, 10]"), GW_S3_INVALID_POLICY_DOCUMENT,
     "Invalid Policy: Invalid content-length-range condition: the minimum is above the "
     "maximum."},
};

Test(post_policy, parse_table)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        gw_post_policy_t *p = (gw_post_policy_t *)1;
        char msg[GW_POST_MSG_MAX];
        gw_s3_err_t e = gw_post_policy_parse(c->doc, strlen(c->doc), &p, msg, sizeof(msg));

        cr_assert_eq(e, c->e, "case %zu: %s: got %d (%s)", i, c->doc, e, msg);
        if (c->msg != NULL)
            cr_assert_str_eq(msg, c->msg, "case %zu", i);
        if (e == GW_S3_OK) {
            cr_assert_not_null(p, "case %zu", i);
        } else {
            cr_assert_null(p, "case %zu", i);
            cr_assert_neq(msg[0], '\0', "case %zu", i);
        }
        gw_post_policy_free(p);
    }
}

Test(post_policy, size_and_condition_limits)
{
    static char doc[GW_POST_POLICY_MAX + 64];
    char msg[GW_POST_MSG_MAX];
    gw_post_policy_t *p;
    size_t n;

    /* GW_POST_POLICY_CONDS_MAX conditions parse; one more does not */
    for (int extra = 0; extra < 2; extra++) {
        n = (size_t)snprintf(doc, sizeof(doc), "{" EXP ", \"conditions\": [");
        for (int i = 0; i < GW_POST_POLICY_CONDS_MAX + extra; i++)
            n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s{\"x-amz-meta-%d\": \"v\"}",
                                  i ? "," : "", i);
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]}");
        cr_assert_eq(gw_post_policy_parse(doc, n, &p, msg, sizeof(msg)),
                     extra ? GW_S3_INVALID_POLICY_DOCUMENT : GW_S3_OK, "%s", msg);
        gw_post_policy_free(p);
    }
    cr_assert_str_eq(msg, "Invalid Policy: more than 128 conditions.");
    /* exactly GW_POST_POLICY_MAX bytes (padded with blanks) parse; one more byte does not */
    n = (size_t)snprintf(doc, sizeof(doc), "%s", DOC_EXAMPLE);
    memset(doc + n, ' ', GW_POST_POLICY_MAX + 1 - n);
    cr_assert_eq(gw_post_policy_parse(doc, GW_POST_POLICY_MAX, &p, msg, sizeof(msg)), GW_S3_OK);
    gw_post_policy_free(p);
    cr_assert_eq(gw_post_policy_parse(doc, GW_POST_POLICY_MAX + 1, &p, msg, sizeof(msg)),
                 GW_S3_INVALID_POLICY_DOCUMENT);
    cr_assert_null(p);
}

#define NF 14
static const struct check_case {
    const char *name;
    const char *doc;
    uint64_t now_ms;
    const char *bucket;
    uint64_t size;
    gw_post_field_t f[NF]; /* up to the first with name.ptr NULL */
    gw_s3_err_t e;
    const char *msg; /* exact */
} check_cases[] = {
#define F(n, v) {CN_SLICE(n), CN_SLICE(v)}
#define AWS_FORM                                                                         \
    F("key", "user/user1/photo.jpg"), F("acl", "public-read"),                            \
        F("success_action_redirect",                                                       \
          "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"),            \
        F("Content-Type", "image/jpeg"), F("x-amz-meta-uuid", "14365123651274"),           \
        F("x-amz-server-side-encryption", "AES256"),                                      \
        F("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"), \
        F("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), F("X-Amz-Date", "20151229T000000Z"),   \
        F("x-amz-meta-tag", ""), F("Policy", "eyJ..."), F("X-Amz-Signature", "abcd")
    {"aws example form", AWS_EXAMPLE, T2015 - 1, "sigv4examplebucket", 1000, {AWS_FORM},
     GW_S3_OK, ""},
    {"expiry is inclusive", AWS_EXAMPLE, T2015, "sigv4examplebucket", 1000, {AWS_FORM},
     GW_S3_OK, ""},
    {"one ms after expiry", AWS_EXAMPLE, T2015 + 1, "sigv4examplebucket", 1000, {AWS_FORM},
     GW_S3_ACCESS_DENIED, "Invalid according to Policy: Policy expired."},
    {"expiry before conditions", AWS_EXAMPLE, T2015 + 1, "other", 1000, {F("foo", "")},
     GW_S3_ACCESS_DENIED, "Invalid according to Policy: Policy expired."},
    {"wrong bucket", AWS_EXAMPLE, T2015, "otherbucket", 1000, {AWS_FORM}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", "
     "\"sigv4examplebucket\"]"},
    {"key outside prefix", AWS_EXAMPLE, T2015, "sigv4examplebucket", 1000,
     {F("key", "user/user2/a.jpg"), F("acl", "public-read")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", "
     "\"user/user1/\"]"},
    {"content-type of another kind", AWS_EXAMPLE, T2015, "sigv4examplebucket", 1000,
     {F("key", "user/user1/a"), F("acl", "public-read"),
      F("success_action_redirect",
        "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"),
      F("content-type", "text/plain")},
     GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", "
     "\"$Content-Type\", \"image/\"]"},
    {"absent field is the empty string", AWS_EXAMPLE, T2015, "sigv4examplebucket", 1000,
     {F("key", "user/user1/a")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$acl\", "
     "\"public-read\"]"},
    {"extra field", AWS_EXAMPLE, T2015, "sigv4examplebucket", 1000,
     {AWS_FORM, F("x-amz-meta-other", "1")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Extra input fields: x-amz-meta-other"},
    {"extra fields listed", WITH("{\"bucket\": \"b\"}"), T2007, "b", 0,
     {F("key", "k"), F("x-ignore-me", "1"), F("file", "x"), F("AWSAccessKeyId", "A"),
      F("Signature", "s"), F("acl", "private")},
     GW_S3_ACCESS_DENIED, "Invalid according to Policy: Extra input fields: key, acl"},
    {"exempt fields", WITH("{\"bucket\": \"b\"}"), T2007, "b", 0,
     {F("X-Ignore-Anything", "1"), F("x-amz-signature", "s"), F("POLICY", "p"),
      F("awsaccesskeyid", "A"), F("signature", "s"), F("File", "f")},
     GW_S3_OK, ""},
    {"x-ignore without its dash is not exempt", WITH(""), T2007, "b", 0,
     {F("x-ignoreme", "1")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Extra input fields: x-ignoreme"},
    {"names case-insensitive", WITH("[\"eq\", \"$KEY\", \"a\"], {\"Acl\": \"private\"}"),
     T2007, "b", 0, {F("key", "a"), F("ACL", "private")}, GW_S3_OK, ""},
    {"values case-sensitive", WITH("[\"eq\", \"$key\", \"a\"]"), T2007, "b", 0, {F("key", "A")},
     GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"a\"]"},
    {"starts-with empty matches absent", WITH("[\"starts-with\", \"$x-amz-meta-tag\", \"\"]"),
     T2007, "b", 0, {{{NULL, 0}, {NULL, 0}}}, GW_S3_OK, ""},
    {"eq empty matches absent", WITH("{\"acl\": \"\"}"), T2007, "b", 0, {{{NULL, 0}, {NULL, 0}}},
     GW_S3_OK, ""},
    {"field without $ never holds", WITH("[\"eq\", \"key\", \"a\"]"), T2007, "b", 0,
     {F("key", "a")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"key\", \"a\"]"},
    {"content-type list all match", WITH("[\"starts-with\", \"$Content-Type\", \"image/\"]"),
     T2007, "b", 0, {F("Content-Type", "image/jpeg, image/png,image/gif")}, GW_S3_OK, ""},
    {"content-type list one differs", WITH("[\"starts-with\", \"$Content-Type\", \"image/\"]"),
     T2007, "b", 0, {F("Content-Type", "image/png,text/plain")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", "
     "\"$Content-Type\", \"image/\"]"},
    {"comma is plain for other fields", WITH("[\"starts-with\", \"$key\", \"a/\"]"), T2007, "b",
     0, {F("key", "a/1,b/2")}, GW_S3_OK, ""},
    {"escaped value quoted back", WITH("[\"eq\", \"$x-amz-meta-q\", \"say \\\"hi\\\"\\\\\"]"),
     T2007, "b", 0, {F("x-amz-meta-q", "say hi")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$x-amz-meta-q\", "
     "\"say \\\"hi\\\"\\\\\"]"},
    {"escaped value matches", WITH("[\"eq\", \"$x-amz-meta-foo\", \"\\\"$foo\\\"\"]"), T2007,
     "b", 0, {F("x-amz-meta-foo", "\"$foo\"")}, GW_S3_OK, ""},
    {"bucket field from the form is the bucket", WITH("{\"bucket\": \"b\"}"), T2007, "b", 0,
     {F("bucket", "other")}, GW_S3_OK, ""},
    {"range lower edge", WITH("[\"content-length-range\", 10, 20]"), T2007, "b", 10, {{{0}}},
     GW_S3_OK, ""},
    {"range upper edge", WITH("[\"content-length-range\", 10, 20]"), T2007, "b", 20, {{{0}}},
     GW_S3_OK, ""},
    {"range below", WITH("[\"content-length-range\", 10, 20]"), T2007, "b", 9, {{{0}}},
     GW_S3_ENTITY_TOO_SMALL, "Your proposed upload is smaller than the minimum allowed size"},
    {"range above", WITH("[\"content-length-range\", \"10\", \"20\"]"), T2007, "b", 21, {{{0}}},
     GW_S3_ENTITY_TOO_LARGE, "Your proposed upload exceeds the maximum allowed size"},
    {"range zero", WITH("[\"content-length-range\", 0, 0]"), T2007, "b", 1, {{{0}}},
     GW_S3_ENTITY_TOO_LARGE, "Your proposed upload exceeds the maximum allowed size"},
    {"range names no field", WITH("[\"content-length-range\", 0, 5]"), T2007, "b", 1,
     {F("content-length-range", "1")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Extra input fields: content-length-range"},
    {"first failure in order", WITH("{\"acl\": \"x\"}, [\"content-length-range\", 5, 5]"),
     T2007, "b", 1, {{{0}}}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$acl\", \"x\"]"},
    {"range before a later condition", WITH("[\"content-length-range\", 5, 5], {\"acl\": \"x\"}"),
     T2007, "b", 1, {{{0}}}, GW_S3_ENTITY_TOO_SMALL,
     "Your proposed upload is smaller than the minimum allowed size"},
    {"conditions before extra fields", WITH("{\"acl\": \"x\"}"), T2007, "b", 0,
     {F("foo", "1")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$acl\", \"x\"]"},
    {"repeated conditions on one field", WITH("[\"starts-with\", \"$key\", \"a\"], "
                                              "[\"starts-with\", \"$key\", \"ab\"]"),
     T2007, "b", 0, {F("key", "ac")}, GW_S3_ACCESS_DENIED,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", "
     "\"ab\"]"},
#undef F
};

static size_t nfields(const gw_post_field_t *f)
{
    size_t n = 0;

    while (n < NF && f[n].name.ptr != NULL)
        n++;
    return n;
}

Test(post_policy, check_table)
{
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const struct check_case *c = &check_cases[i];
        char msg[GW_POST_MSG_MAX];
        gw_post_policy_t *p;
        gw_s3_err_t e;

        cr_assert_eq(gw_post_policy_parse(c->doc, strlen(c->doc), &p, msg, sizeof(msg)),
                     GW_S3_OK, "%s: %s", c->name, msg);
        e = gw_post_policy_check(p, c->now_ms, c->f, nfields(c->f), c->bucket, c->size, msg,
                                 sizeof(msg));
        cr_assert_eq(e, c->e, "%s: got %d (%s)", c->name, e, msg);
        cr_assert_str_eq(msg, c->msg, "%s", c->name);
        gw_post_policy_free(p);
    }
}

Test(post_policy, long_messages_are_truncated_not_overrun)
{
    char doc[2048], buf[80];
    gw_post_field_t f = {CN_SLICE("key"), CN_SLICE("b")};
    gw_post_policy_t *p;
    size_t msg_len = 64;
    int n;

    memset(buf, 'G', sizeof(buf));
    n = snprintf(doc, sizeof(doc), WITH("[\"eq\", \"$key\", \"%01000d\"]"), 0);
    cr_assert_eq(gw_post_policy_parse(doc, (size_t)n, &p, buf, msg_len), GW_S3_OK);
    cr_assert_eq(gw_post_policy_check(p, T2007, &f, 1, "b", 0, buf, msg_len),
                 GW_S3_ACCESS_DENIED);
    cr_assert_eq(strlen(buf), msg_len - 1);
    cr_assert_eq(strncmp(buf, "Invalid according to Policy: Policy Condition failed: ", 54), 0);
    for (size_t i = msg_len; i < sizeof(buf); i++)
        cr_assert_eq(buf[i], 'G', "byte %zu written", i);
    /* no room for a message at all is fine too */
    cr_assert_eq(gw_post_policy_check(p, T2007, &f, 1, "b", 0, NULL, 0), GW_S3_ACCESS_DENIED);
    gw_post_policy_free(p);
}

Test(post_policy, exempt_names)
{
    static const struct {
        const char *name;
        int exempt;
    } t[] = {
        {"x-amz-signature", 1}, {"X-Amz-Signature", 1}, {"signature", 1},  {"AWSAccessKeyId", 1},
        {"policy", 1},          {"file", 1},            {"x-ignore-", 1},   {"X-IGNORE-foo", 1},
        {"x-ignore", 0},        {"key", 0},             {"x-amz-date", 0},  {"files", 0},
        {"", 0},                {"x-amz-algorithm", 0}, {"x-amz-credential", 0},
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        cr_assert_eq(gw_post_field_exempt(cn_slice_str(t[i].name)), t[i].exempt, "%s",
                     t[i].name);
}
