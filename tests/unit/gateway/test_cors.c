/* tests/unit/gateway/test_cors.c: tests gateway/s3/cors.c (S3's checks of CORS rules, the
 * stored form, matching, the answered header values) and the CORSConfiguration reader of
 * gateway/s3/s3_xmlin.c, as tables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/cors.h"
#include "gateway/s3/s3_xmlin.h"

#define R(body) "<CORSConfiguration><CORSRule>" body "</CORSRule></CORSConfiguration>"
#define NS "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

/* Parses then checks doc: the S3 error (GW_S3_OK when valid), the message into msg. */
static gw_s3_err_t put(const char *doc, char *msg, size_t msg_len)
{
    char buf[600];
    const char *m = NULL;
    gw_cors_t c = {0};
    gw_s3_err_t e;

    msg[0] = '\0';
    if (gw_xml_parse_cors(doc, strlen(doc), &c) != 0) {
        cr_assert_eq(c.n, 0, "a refused document leaves no rule");
        return GW_S3_MALFORMED_XML;
    }
    e = gw_cors_check(&c, buf, sizeof(buf), &m);
    if (m != NULL)
        snprintf(msg, msg_len, "%s", m);
    gw_cors_dispose(&c);
    return e;
}

struct put_case {
    const char *doc;
    gw_s3_err_t want;
    const char *msg; /* NULL: not checked */
};

static const struct put_case put_cases[] = {
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), GW_S3_OK, NULL},
    {NS "<CORSRule><ID>a</ID><AllowedOrigin>http://*.example.com</AllowedOrigin>"
        "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>"
        "<AllowedMethod>DELETE</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>"
        "<AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
        "<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>",
     GW_S3_OK, NULL},
    /* an empty origin is kept (S3 accepts it) */
    {R("<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), GW_S3_OK, NULL},
    /* S3's InvalidRequest messages */
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>MYMETHOD</AllowedMethod>"),
     GW_S3_INVALID_REQUEST,
     "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD"},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"),
     GW_S3_INVALID_REQUEST,
     "Found unsupported HTTP method in CORS config. Unsupported method is get"},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>"),
     GW_S3_INVALID_REQUEST,
     "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS"},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>"), GW_S3_INVALID_REQUEST,
     "Found unsupported HTTP method in CORS config. Unsupported method is "},
    {R("<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
     GW_S3_INVALID_REQUEST, "AllowedOrigin \"*example*.com\" can not have more than one wildcard."},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
       "<AllowedHeader>x-*-*</AllowedHeader>"),
     GW_S3_INVALID_REQUEST, "AllowedHeader \"x-*-*\" can not have more than one wildcard."},
    /* MalformedXML: no rule, a rule without origin or method, unknown or repeated members */
    {"<CORSConfiguration></CORSConfiguration>", GW_S3_MALFORMED_XML, NULL},
    {"<CORSConfiguration/>", GW_S3_MALFORMED_XML, NULL},
    {R(""), GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedMethod>GET</AllowedMethod>"), GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin>"), GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Foo/>"),
     GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>a</ID><ID>b</ID>"),
     GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
       "<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>"),
     GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
       "<MaxAgeSeconds>-1</MaxAgeSeconds>"),
     GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
       "<MaxAgeSeconds>soon</MaxAgeSeconds>"),
     GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
       "<MaxAgeSeconds>2147483648</MaxAgeSeconds>"),
     GW_S3_MALFORMED_XML, NULL},
    {R("<AllowedOrigin><x/></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
     GW_S3_MALFORMED_XML, NULL},
    {"<Tagging><CORSRule/></Tagging>", GW_S3_MALFORMED_XML, NULL},
    {"<CORSConfiguration><Rule/></CORSConfiguration>", GW_S3_MALFORMED_XML, NULL},
    {"<CORSConfiguration><CORSRule>", GW_S3_MALFORMED_XML, NULL},
    {"", GW_S3_MALFORMED_XML, NULL},
    {"<!DOCTYPE x [<!ENTITY a \"b\">]>" R("<AllowedOrigin>&a;</AllowedOrigin>"),
     GW_S3_MALFORMED_XML, NULL},
};

Test(cors, put_table)
{
    char msg[600];

    for (size_t i = 0; i < sizeof(put_cases) / sizeof(put_cases[0]); i++) {
        const struct put_case *c = &put_cases[i];
        gw_s3_err_t e = put(c->doc, msg, sizeof(msg));

        cr_assert_eq(e, c->want, "case %zu %s: %d, want %d", i, c->doc, e, c->want);
        if (c->msg != NULL)
            cr_assert_str_eq(msg, c->msg, "case %zu", i);
    }
}

/* A document of n rules, each allowing GET from "o<i>". */
static char *rules_doc(size_t n)
{
    size_t cap = 64 + n * 96, len;
    char *d = malloc(cap);

    len = (size_t)snprintf(d, cap, "<CORSConfiguration>");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(d + len, cap - len, "<CORSRule><AllowedOrigin>o%zu</AllowedOrigin>"
                                "<AllowedMethod>GET</AllowedMethod></CORSRule>", i);
    snprintf(d + len, cap - len, "</CORSConfiguration>");
    return d;
}

Test(cors, at_most_100_rules)
{
    char msg[600];
    char *d = rules_doc(100);

    cr_assert_eq(put(d, msg, sizeof(msg)), GW_S3_OK);
    free(d);
    d = rules_doc(101);
    cr_assert_eq(put(d, msg, sizeof(msg)), GW_S3_INVALID_REQUEST);
    cr_assert_str_eq(msg, "A CORS configuration can have at most 100 rules.");
    free(d);
}

Test(cors, id_limit)
{
    char doc[1024], id[300], msg[600];

    memset(id, 'i', 255);
    id[255] = '\0';
    snprintf(doc, sizeof(doc), R("<ID>%s</ID><AllowedOrigin>*</AllowedOrigin>"
                                 "<AllowedMethod>GET</AllowedMethod>"), id);
    cr_assert_eq(put(doc, msg, sizeof(msg)), GW_S3_OK);
    strcat(id, "i");
    snprintf(doc, sizeof(doc), R("<ID>%s</ID><AllowedOrigin>*</AllowedOrigin>"
                                 "<AllowedMethod>GET</AllowedMethod>"), id);
    cr_assert_eq(put(doc, msg, sizeof(msg)), GW_S3_INVALID_ARGUMENT);
}

struct pat_case {
    const char *pattern, *s;
    int icase, want;
};

static const struct pat_case pat_cases[] = {
    {"*", "", 0, 1},
    {"*", "http://a", 0, 1},
    {"http://a.com", "http://a.com", 0, 1},
    {"http://a.com", "http://a.com:80", 0, 0},
    {"http://a.com", "https://a.com", 0, 0},
    {"http://a.com", "http://a.com/", 0, 0},
    {"http://a.com", "HTTP://A.COM", 0, 0},       /* origins: byte for byte */
    {"http://*.origin.com", "http://test.origin.com", 0, 1},
    {"http://*.origin.com", "http://.origin.com", 0, 1},
    {"http://*.origin.com", "http://test.origin.com/", 0, 0},
    /* ceph s3-tests' patterns: '*' matches the empty string, anchored at both ends */
    {"*suffix", "foo.suffix", 0, 1},
    {"*suffix", "foo.suffix.get", 0, 0},
    {"start*end", "startend", 0, 1},
    {"start*end", "start12end", 0, 1},
    {"start*end", "0start12end", 0, 0},
    {"start*end", "startenx", 0, 0},
    {"start*end", "star", 0, 0},
    {"prefix*", "prefix", 0, 1},
    {"prefix*", "bla.prefix", 0, 0},
    {"ab*ba", "aba", 0, 0},                        /* the two ends may not overlap */
    /* headers: without regard to case */
    {"x-amz-*", "X-Amz-Date", 1, 1},
    {"Content-Type", "content-type", 1, 1},
    {"content-type", "content-typ", 1, 0},
};

Test(cors, pattern_table)
{
    for (size_t i = 0; i < sizeof(pat_cases) / sizeof(pat_cases[0]); i++) {
        const struct pat_case *c = &pat_cases[i];

        cr_assert_eq(gw_cors_pattern_match(c->pattern, c->s, strlen(c->s), c->icase), c->want,
                     "case %zu: %s ~ %s", i, c->pattern, c->s);
    }
}

static const char match_doc[] =
    "<CORSConfiguration>"
    "<CORSRule><AllowedOrigin>http://www.example1.com</AllowedOrigin>"
    "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>"
    "<AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>"
    "<CORSRule><AllowedOrigin>http://a.com</AllowedOrigin><AllowedOrigin>*</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>"
    "<AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
    "<ExposeHeader>x-amz-request-id</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
    "<CORSRule><AllowedOrigin>http://www.example1.com</AllowedOrigin>"
    "<AllowedMethod>HEAD</AllowedMethod></CORSRule>"
    "</CORSConfiguration>";

struct match_case {
    const char *origin, *method, *headers; /* headers NULL: an actual request */
    long want;
};

static const struct match_case match_cases[] = {
    {"http://www.example1.com", "PUT", NULL, 0},
    {"http://www.example1.com", "PUT", "x-anything,Content-MD5", 0},
    {"http://www.example1.com", "GET", NULL, 1},   /* rule 1 allows any origin to GET */
    {"http://www.example1.com", "HEAD", NULL, 2},
    {"http://www.example1.com", "HEAD", "x-amz-date", -1}, /* rule 2 allows no header */
    {"http://www.example1.com", "HEAD", "", 2},    /* an empty list asks for none */
    {"http://www.example1.com", "HEAD", " , ,", 2},
    {"http://other", "PUT", NULL, -1},
    {"http://other", "GET", "X-Amz-Date, content-type", 1},
    {"http://other", "GET", "x-amz-date,authorization", -1},
    {"http://other", "get", NULL, -1},             /* methods are exact */
    {"http://other", "PATCH", NULL, -1},
    {"", "GET", NULL, 1},
};

Test(cors, match_table)
{
    gw_cors_t c = {0};

    cr_assert_eq(gw_xml_parse_cors(match_doc, strlen(match_doc), &c), 0);
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const struct match_case *m = &match_cases[i];
        long got = gw_cors_match(&c, m->origin, strlen(m->origin), m->method, strlen(m->method),
                                 m->headers, m->headers ? strlen(m->headers) : 0);

        cr_assert_eq(got, m->want, "case %zu: %ld, want %ld", i, got, m->want);
    }
    /* the origin that matched decides between echo and "*" */
    cr_assert_eq(gw_cors_any_origin(&c.rules[1], "http://a.com", 12), 0);
    cr_assert_eq(gw_cors_any_origin(&c.rules[1], "http://b.com", 12), 1);
    cr_assert_eq(gw_cors_any_origin(&c.rules[0], "http://www.example1.com", 23), 0);
    gw_cors_dispose(&c);
}

Test(cors, header_values)
{
    gw_cors_t c = {0};
    cn_buf_t b;
    const char *h = "X-Amz-Date,Content-Type , ,x-AMZ-meta-a";

    cr_assert_eq(gw_xml_parse_cors(match_doc, strlen(match_doc), &c), 0);
    cn_buf_init(&b);
    gw_cors_join(&c.rules[0].methods, &b);
    cr_assert_str_eq(b.data, "PUT, POST, DELETE");
    cn_buf_reset(&b);
    gw_cors_join(&c.rules[1].expose, &b);
    cr_assert_str_eq(b.data, "ETag, x-amz-request-id");
    cn_buf_reset(&b);
    gw_cors_header_names(h, strlen(h), &b);
    cr_assert_str_eq(b.data, "x-amz-date, content-type, x-amz-meta-a");
    cn_buf_dispose(&b);
    gw_cors_dispose(&c);
}

Test(cors, stored_form_round_trip)
{
    gw_cors_t c = {0}, d = {0};
    cn_buf_t j1, j2;

    cr_assert_eq(gw_xml_parse_cors(match_doc, strlen(match_doc), &c), 0);
    cn_buf_init(&j1);
    cn_buf_init(&j2);
    gw_cors_encode(&c, &j1);
    cr_assert_eq(gw_cors_decode(j1.data, j1.len, &d), 0, "%s", j1.data);
    gw_cors_encode(&d, &j2);
    cr_assert_str_eq(j1.data, j2.data);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.rules[1].max_age, 3000);
    cr_assert_eq(d.rules[0].max_age, -1);
    cr_assert_null(d.rules[0].id);
    cr_assert_str_eq(d.rules[1].origins.v[1], "*");
    cn_buf_dispose(&j1);
    cn_buf_dispose(&j2);
    gw_cors_dispose(&c);
    gw_cors_dispose(&d);
}

static const char *const bad_stored[] = {
    "",
    "[]",
    "{}",
    "{\"CORSRules\":{}}",
    "{\"CORSRules\":[]}",                                   /* no rule */
    "{\"CORSRules\":[1]}",
    "{\"CORSRules\":[{\"AllowedOrigins\":[\"*\"]}]}",        /* no method */
    "{\"CORSRules\":[{\"AllowedOrigins\":[\"*\"],\"AllowedMethods\":[\"TRACE\"]}]}",
    "{\"CORSRules\":[{\"AllowedOrigins\":[1],\"AllowedMethods\":[\"GET\"]}]}",
    "{\"CORSRules\":[{\"AllowedOrigins\":\"*\",\"AllowedMethods\":[\"GET\"]}]}",
    "{\"CORSRules\":[{\"AllowedOrigins\":[\"*\"],\"AllowedMethods\":[\"GET\"],\"ID\":1}]}",
    "{\"CORSRules\":[{\"AllowedOrigins\":[\"*\"],\"AllowedMethods\":[\"GET\"],"
    "\"MaxAgeSeconds\":-5}]}",
    "{\"CORSRules\":[{\"AllowedOrigins\":[\"a\\u0000b\"],\"AllowedMethods\":[\"GET\"]}]}",
};

Test(cors, stored_form_refused)
{
    for (size_t i = 0; i < sizeof(bad_stored) / sizeof(bad_stored[0]); i++) {
        gw_cors_t c = {0};

        cr_assert_eq(gw_cors_decode(bad_stored[i], strlen(bad_stored[i]), &c), CN_EINVAL,
                     "case %zu: %s", i, bad_stored[i]);
        cr_assert_eq(c.n, 0);
    }
}

Test(cors, request_methods)
{
    static const char *const ok[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    static const char *const bad[] = {"", "get", "Put", "TRACE", "CONNECT", "GETS", "BLAH"};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert(gw_cors_request_method_valid(ok[i], strlen(ok[i])), "%s", ok[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(gw_cors_request_method_valid(bad[i], strlen(bad[i])), "%s", bad[i]);
}
