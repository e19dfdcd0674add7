/*
 * tests/unit/gateway/test_sigv4_canon.c: known answers for the SigV4 canonical request and
 * string to sign built on their own (gw_auth_v4_canonical_request and
 * gw_auth_v4_string_to_sign, gateway/auth/s3_auth.h). Every expected canonical request below is
 * written by hand from the AWS specification, nothing is computed by our code: the cases of
 * the AWS SigV4 test suite (service "service", 20150830T123600Z, key AKIDEXAMPLE) and of the
 * S3 SigV4 documentation (20130524, examplebucket). Each case also signs our string to sign
 * with OpenSSL's HMAC and compares the result with the signature AWS published for it, which
 * also proves the hand-written expectation right. Then the S3 rules the suite does not cover
 * (no path normalisation, decoding before encoding, duplicate query keys, presigned).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/err.h"
#include "gateway/auth/s3_auth.h"
#include "gateway/auth/s3_auth_v4_canon.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_SCOPE "20150830/us-east-1/service/aws4_request"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE "20130524T000000Z"
#define S3_SCOPE "20130524/us-east-1/s3/aws4_request"
#define SUITE_H "host:example.amazonaws.com\n"
#define SUITE_D "x-amz-date:20150830T123600Z\n"
#define S3_H "host:examplebucket.s3.amazonaws.com\n"
/* the two headers of most suite cases, and the end of their canonical request */
#define SUITE_HDRS "Host:example.amazonaws.com", "X-Amz-Date:" SUITE_DATE
#define VANILLA_TAIL SUITE_H SUITE_D "\nhost;x-amz-date\n" EMPTY_SHA
#define MAXH 8

struct canon_case {
    const char *name;
    const char *method, *path, *query;    /* as received; query NULL when absent */
    const char *headers[MAXH];            /* "Name:value", in arrival order */
    const char *signed_headers, *payload;
    const char *creq;                     /* the expected canonical request */
    const char *creq_sha;                 /* its SHA-256, as the suite's .sts file gives it */
    const char *signature;                /* the published signature */
    int s3;                               /* 1: the S3 examples' key, date and scope */
};

static const struct canon_case cases[] = {
    {"get-vanilla", "GET", "/", NULL, {"Host:example.amazonaws.com", "X-Amz-Date:" SUITE_DATE},
     "host;x-amz-date", EMPTY_SHA, "GET\n/\n\n" VANILLA_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", 0},
    {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
     {"X-Amz-Date:" SUITE_DATE, "Host:example.amazonaws.com"}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/\nParam1=value1&Param2=value2\n" VANILLA_TAIL,
     "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", 0},
    {"get-vanilla-empty-query-key", "GET", "/", "Param1=value1",
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/\nParam1=value1\n" VANILLA_TAIL,
     "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb", 0},
    {"get-vanilla-query-unreserved", "GET", "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n" VANILLA_TAIL,
     "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197", 0},
    /* the name sent as raw UTF-8 bytes */
    {"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar",
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/\n%E1%88%B4=bar\n" VANILLA_TAIL,
     "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04", 0},
    /* three headers of one name, joined in arrival order; names in any case */
    {"get-header-key-duplicate", "GET", "/", NULL,
     {"Host:example.amazonaws.com", "My-Header1:value2", "my-header1:value2",
      "MY-HEADER1:value1", "X-Amz-Date:" SUITE_DATE},
     "host;my-header1;x-amz-date", EMPTY_SHA,
     "GET\n/\n\n" SUITE_H "my-header1:value2,value2,value1\n" SUITE_D
     "\nhost;my-header1;x-amz-date\n" EMPTY_SHA,
     "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea", 0},
    {"get-header-value-order", "GET", "/", NULL,
     {"Host:example.amazonaws.com", "My-Header1:value4", "My-Header1:value1",
      "My-Header1:value3", "X-Amz-Date:" SUITE_DATE, "My-Header1:value2"},
     "host;my-header1;x-amz-date", EMPTY_SHA,
     "GET\n/\n\n" SUITE_H "my-header1:value4,value1,value3,value2\n" SUITE_D
     "\nhost;my-header1;x-amz-date\n" EMPTY_SHA,
     "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01", 0},
    /* leading and trailing blanks dropped, inner runs of spaces and tabs made one space */
    {"get-header-value-trim", "GET", "/", NULL,
     {"Host:example.amazonaws.com", "My-Header1: \tvalue1  ", "My-Header2:\"a   b \t c\"",
      "X-Amz-Date:" SUITE_DATE},
     "host;my-header1;my-header2;x-amz-date", EMPTY_SHA,
     "GET\n/\n\n" SUITE_H "my-header1:value1\nmy-header2:\"a b c\"\n" SUITE_D
     "\nhost;my-header1;my-header2;x-amz-date\n" EMPTY_SHA,
     "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736", 0},
    {"get-unreserved", "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL,
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" VANILLA_TAIL,
     "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f", 0},
    /* raw UTF-8 in the path */
    {"get-utf8", "GET", "/\xe1\x88\xb4", NULL,
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/%E1%88%B4\n\n" VANILLA_TAIL,
     "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", 0},
    {"get-space", "GET", "/example space/", NULL,
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "GET\n/example%20space/\n\n" VANILLA_TAIL,
     "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741", 0},
    /* '+' is a plus, not a space; reserved bytes sent encoded are encoded again */
    {"post-vanilla-query-nonunreserved", "POST", "/",
     "%40%23%24%25%5E=&+=%2F,%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D",
     {SUITE_HDRS}, "host;x-amz-date", EMPTY_SHA,
     "POST\n/\n%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=\n" VANILLA_TAIL,
     "13c1a9775a543ebd153fdebba799dc0572ea298c6aac14eb1a86998b980c2a34",
     "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e", 0},
    /* the payload hash: SHA-256 of the body "Param1=value1" */
    {"post-x-www-form-urlencoded", "POST", "/", NULL,
     {"Content-Type:application/x-www-form-urlencoded", "Host:example.amazonaws.com",
      "X-Amz-Date:" SUITE_DATE},
     "content-type;host;x-amz-date",
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n" SUITE_H SUITE_D
     "\ncontent-type;host;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a", 0},
    /* the S3 documentation's examples */
    {"s3 GET Object", "GET", "/test.txt", NULL,
     {"Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
      "x-amz-content-sha256:" EMPTY_SHA, "x-amz-date: " S3_DATE},
     "host;range;x-amz-content-sha256;x-amz-date", EMPTY_SHA,
     "GET\n/test.txt\n\n" S3_H "range:bytes=0-9\nx-amz-content-sha256:" EMPTY_SHA
     "\nx-amz-date:" S3_DATE "\n\nhost;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
     "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", 1},
    {"s3 PUT Object", "PUT", "/test$file.text", NULL,
     {"Host: examplebucket.s3.amazonaws.com", "Date: Fri, 24 May 2013 00:00:00 GMT",
      "x-amz-date: " S3_DATE, "x-amz-storage-class: REDUCED_REDUNDANCY",
      "x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n" S3_H
     "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
     "x-amz-date:" S3_DATE "\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd", 1},
    /* a parameter without '=' has an empty value */
    {"s3 GET Bucket lifecycle", "GET", "/", "lifecycle",
     {"Host: examplebucket.s3.amazonaws.com", "x-amz-date: " S3_DATE,
      "x-amz-content-sha256: " EMPTY_SHA},
     "host;x-amz-content-sha256;x-amz-date", EMPTY_SHA,
     "GET\n/\nlifecycle=\n" S3_H "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:" S3_DATE
     "\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
     "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543", 1},
    {"s3 GET Bucket (list objects)", "GET", "/", "prefix=J&max-keys=2",
     {"Host: examplebucket.s3.amazonaws.com", "x-amz-date: " S3_DATE,
      "x-amz-content-sha256: " EMPTY_SHA},
     "host;x-amz-content-sha256;x-amz-date", EMPTY_SHA,
     "GET\n/\nmax-keys=2&prefix=J\n" S3_H "x-amz-content-sha256:" EMPTY_SHA
     "\nx-amz-date:" S3_DATE "\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
     "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", 1},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct built {
    gw_auth_req_t r;
    gw_auth_header_t h[MAXH];
};

/* Fills b from "Name:value" strings (the value starts right after the colon: the builder
 * trims it, as it must for what h2o hands over). */
static void build_req(struct built *b, const char *method, const char *path, const char *query,
                      const char *const *headers)
{
    memset(b, 0, sizeof(*b));
    b->r = (gw_auth_req_t){.method = method, .method_len = strlen(method), .path = path,
                           .path_len = strlen(path), .query = query,
                           .query_len = query ? strlen(query) : 0, .headers = b->h};
    for (size_t i = 0; i < MAXH && headers[i]; i++) {
        const char *colon = strchr(headers[i], ':');
        cr_assert_not_null(colon, "%s", headers[i]);
        b->h[i].name = headers[i];
        b->h[i].name_len = (size_t)(colon - headers[i]);
        b->h[i].value = colon + 1;
        b->h[i].value_len = strlen(colon + 1);
        b->r.nheaders++;
    }
}

static void hmac256(const void *key, size_t klen, const char *msg, uint8_t out[32])
{
    unsigned int len = 0;

    cr_assert_not_null(HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
                            strlen(msg), out, &len));
    cr_assert_eq(len, 32);
}

/* The SigV4 signature of sts (hex), by OpenSSL alone. */
static void sign_sts(const char *secret, const char *date8, const char *region,
                     const char *service, const char *sts, char hex[65])
{
    char k0[128];
    uint8_t a[32], b[32];

    snprintf(k0, sizeof(k0), "AWS4%s", secret);
    hmac256(k0, strlen(k0), date8, a);
    hmac256(a, 32, region, b);
    hmac256(b, 32, service, a);
    hmac256(a, 32, "aws4_request", b);
    hmac256(b, 32, sts, a);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", a[i]);
}

static void check_case(const struct canon_case *c)
{
    const char *date = c->s3 ? S3_DATE : SUITE_DATE, *scope = c->s3 ? S3_SCOPE : SUITE_SCOPE;
    char want_sts[256], sig[65];
    struct built b;
    cn_buf_t creq, sts;

    build_req(&b, c->method, c->path, c->query, c->headers);
    cn_buf_init(&creq);
    cn_buf_init(&sts);
    cr_assert_eq(gw_auth_v4_canonical_request(&creq, &b.r, c->signed_headers,
                                              strlen(c->signed_headers), c->payload,
                                              strlen(c->payload), 0),
                 0, "%s", c->name);
    cr_assert_str_eq(creq.data, c->creq, "%s: canonical request", c->name);
    gw_auth_v4_string_to_sign(&sts, date, scope, creq.data, creq.len);
    snprintf(want_sts, sizeof(want_sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", date, scope,
             c->creq_sha);
    cr_assert_str_eq(sts.data, want_sts, "%s: string to sign", c->name);
    sign_sts(c->s3 ? S3_SECRET : SUITE_SECRET, c->s3 ? "20130524" : "20150830", "us-east-1",
             c->s3 ? "s3" : "service", sts.data, sig);
    cr_assert_str_eq(sig, c->signature, "%s: signature", c->name);
    cn_buf_dispose(&creq);
    cn_buf_dispose(&sts);
}

Test(sigv4_canon, aws_test_suite_and_s3_examples, .timeout = 10)
{
    for (size_t i = 0; i < NCASES; i++)
        check_case(&cases[i]);
}

/* Builds the canonical request of (path, query) with one signed header and returns its URI
 * and query lines in uri/query (caller's buffers). */
static void uri_and_query(const char *path, const char *query, int flags, char *uri,
                          char *q, size_t cap)
{
    static const char *const hosts[] = {"Host:h", NULL};
    struct built b;
    cn_buf_t out;
    const char *l1, *l2, *l3;

    build_req(&b, "GET", path, query, hosts);
    cn_buf_init(&out);
    cr_assert_eq(gw_auth_v4_canonical_request(&out, &b.r, "host", 4, EMPTY_SHA, 64, flags), 0);
    l1 = strchr(out.data, '\n') + 1;
    l2 = strchr(l1, '\n') + 1;
    l3 = strchr(l2, '\n');
    cr_assert_lt((size_t)(l2 - l1), cap);
    cr_assert_lt((size_t)(l3 - l2), cap);
    snprintf(uri, cap, "%.*s", (int)(l2 - l1 - 1), l1);
    snprintf(q, cap, "%.*s", (int)(l3 - l2), l2);
    cr_assert_str_eq(l3, "\nhost:h\n\nhost\n" EMPTY_SHA);
    cn_buf_dispose(&out);
}

Test(sigv4_canon, s3_uri_rules, .timeout = 10)
{
    static const struct {
        const char *path, *want;
    } t[] = {
        {"", "/"},                                  /* an empty path is "/" */
        {"//example//", "//example//"},             /* S3: no normalisation of "//" */
        {"/a/./b/../c", "/a/./b/../c"},             /* nor of dot segments */
        {"/photos%2F2013/a", "/photos%2F2013/a"},   /* an encoded '/' stays in its segment */
        {"/%7Euser/%41b", "/~user/Ab"},             /* decoded once, then encoded once */
        {"/%e1%88%b4", "/%E1%88%B4"},               /* get-utf8 sent encoded in lower case */
        {"/a%2520b", "/a%2520b"},                   /* "%25" is '%': not decoded twice */
        {"/a+b=c&d", "/a%2Bb%3Dc%26d"},
        {"/bad%zz%4", "/bad%25zz%254"},             /* a bad escape is encoded as it came */
        {"/k\x01\xff", "/k%01%FF"},
    };
    char uri[128], q[128];

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uri_and_query(t[i].path, NULL, 0, uri, q, sizeof(uri));
        cr_assert_str_eq(uri, t[i].want, "path %s", t[i].path);
        cr_assert_str_eq(q, "");
    }
}

Test(sigv4_canon, query_rules, .timeout = 10)
{
    static const struct {
        const char *query, *want;
        int flags;
    } t[] = {
        /* repeated keys: sorted by value, byte order ('V' < 'v') */
        {"Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2", 0},
        /* upper case sorts before lower case; the key is compared before the value */
        {"b=1&B=2&a=3&a=", "B=2&a=&a=3&b=1", 0},
        /* empty values, with or without '=', and empty pieces between '&' */
        {"&acl&&uploads=&", "acl=&uploads=", 0},
        /* sorted on the encoded form: "%2A" < "-" < "A" */
        {"A=1&-=2&*=3", "%2A=3&-=2&A=1", 0},
        {"a=%7e&b=%2f&c=x+y&d=%20", "a=~&b=%2F&c=x%2By&d=%20", 0},
        {"k=%zz&k=%25zz", "k=%25zz&k=%25zz", 0},
        /* presigned: X-Amz-Signature is left out, everything else kept */
        {"X-Amz-Signature=abc&X-Amz-Date=1&x-amz-signature=2", "X-Amz-Date=1&x-amz-signature=2",
         GW_AUTH_CANON_PRESIGNED},
        {"X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Date=1&X-Amz-Signature=abc", 0},
        /* the curl 7.x retry: the query exactly as sent */
        {"prefix=a/&list-type=2", "prefix=a/&list-type=2", GW_AUTH_CANON_RAW_QUERY},
    };
    char uri[128], q[128];

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uri_and_query("/", t[i].query, t[i].flags, uri, q, sizeof(q));
        cr_assert_str_eq(q, t[i].want, "query %s", t[i].query);
        cr_assert_str_eq(uri, "/");
    }
}

Test(sigv4_canon, headers_as_listed_and_refused_lists, .timeout = 10)
{
    static const char *const hdrs[] = {"Host:h", "X-A:  1  ", "x-a:2", NULL};
    struct built b;
    cn_buf_t out;

    build_req(&b, "GET", "/", NULL, hdrs);
    cn_buf_init(&out);
    /* a signed header the request lacks gets an empty value; the list is kept as sent */
    cr_assert_eq(gw_auth_v4_canonical_request(&out, &b.r, "host;x-a;x-missing", 18, "H", 1, 0),
                 0);
    cr_assert_str_eq(out.data, "GET\n/\n\nhost:h\nx-a:1,2\nx-missing:\n\nhost;x-a;x-missing\nH");
    cn_buf_reset(&out);
    static const char *const bad[] = {"", ";", "host;", ";host", "host;;x-a", "ho st",
                                      "host:", "host,x-a", "ho\nst", "h\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(gw_auth_v4_canonical_request(&out, &b.r, bad[i], strlen(bad[i]), "H", 1, 0),
                     CN_EINVAL, "signed headers \"%s\"", bad[i]);
        cr_assert_eq(out.len, 0);
    }
    cn_buf_dispose(&out);
}

Test(sigv4_canon, too_many_query_parameters, .timeout = 10)
{
    static const char *const hdrs[] = {"Host:h", NULL};
    static char q[2 * 1025];
    struct built b;
    cn_buf_t out;

    for (size_t i = 0; i < 1025; i++) {
        q[2 * i] = 'a';
        q[2 * i + 1] = '&';
    }
    q[2 * 1025 - 1] = '\0';   /* 1025 parameters */
    build_req(&b, "GET", "/", q, hdrs);
    cn_buf_init(&out);
    cr_assert_eq(gw_auth_v4_canonical_request(&out, &b.r, "host", 4, "H", 1, 0), CN_E2BIG);
    cr_assert_eq(out.len, 0);
    q[2 * 1024 - 1] = '\0';   /* 1024 */
    b.r.query_len = strlen(q);
    cr_assert_eq(gw_auth_v4_canonical_request(&out, &b.r, "host", 4, "H", 1, 0), 0);
    cn_buf_dispose(&out);
}
