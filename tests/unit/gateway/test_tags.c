/* tests/unit/gateway/test_tags.c: tests gateway/s3/tags.c (the x-amz-tagging form, S3's tag
 * limits, the stored form) and the Tagging body parser of gateway/s3/s3_xmlin.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/tags.h"

static gw_tags_t q(const char *s)
{
    gw_tags_t t = {0};
    cr_assert_eq(gw_tags_parse_query(s, strlen(s), &t), 0, "%s", s);
    return t;
}

/* The check of the query form s: NULL (valid) or the message. */
static const char *check_q(const char *s, size_t max)
{
    gw_tags_t t = q(s);
    const char *m = gw_tags_check(&t, max);
    gw_tags_dispose(&t);
    return m;
}

static void rep(char *out, char c, size_t n)
{
    memset(out, c, n);
    out[n] = '\0';
}

Test(tags, query_decodes_pairs_in_order)
{
    gw_tags_t t = q("a=1&b%20c=x+y&empty=&bare&&d=%C3%A9");

    cr_assert_eq(t.n, 5);
    cr_assert_str_eq(t.v[0].key, "a");
    cr_assert_str_eq(t.v[0].value, "1");
    cr_assert_str_eq(t.v[1].key, "b c");
    cr_assert_str_eq(t.v[1].value, "x y");
    cr_assert_str_eq(t.v[2].key, "empty");
    cr_assert_str_eq(t.v[2].value, "");
    cr_assert_str_eq(t.v[3].key, "bare");
    cr_assert_str_eq(t.v[3].value, "");
    cr_assert_str_eq(t.v[4].value, "\xc3\xa9");
    cr_assert_null(gw_tags_check(&t, GW_TAGS_OBJECT_MAX));
    gw_tags_dispose(&t);
}

Test(tags, empty_header_is_no_tag)
{
    gw_tags_t t = q("");
    cr_assert_eq(t.n, 0);
    cr_assert_null(gw_tags_check(&t, GW_TAGS_OBJECT_MAX));
    gw_tags_dispose(&t);
}

Test(tags, bad_escape_is_einval)
{
    gw_tags_t t = {0};
    cr_assert_eq(gw_tags_parse_query("a=%zz", 5, &t), CN_EINVAL);
    cr_assert_eq(gw_tags_parse_query("a=%4", 4, &t), CN_EINVAL);
    gw_tags_dispose(&t);
}

Test(tags, limits_give_s3_messages)
{
    char k[200], v[300], s[700];

    cr_assert_str_eq(check_q("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11", 10),
                     "Object tags cannot be greater than 10");
    cr_assert_null(check_q("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10", 10));
    cr_assert_null(check_q("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11", 50));
    rep(k, 'k', 128);
    snprintf(s, sizeof(s), "%s=v", k);
    cr_assert_null(check_q(s, 10));
    rep(k, 'k', 129);
    snprintf(s, sizeof(s), "%s=v", k);
    cr_assert_str_eq(check_q(s, 10), "The TagKey you have provided is too long, max 128");
    rep(v, 'v', 256);
    snprintf(s, sizeof(s), "k=%s", v);
    cr_assert_null(check_q(s, 10));
    rep(v, 'v', 257);
    snprintf(s, sizeof(s), "k=%s", v);
    cr_assert_str_eq(check_q(s, 10), "The TagValue you have provided is too long, max 256");
    cr_assert_str_eq(check_q("a=1&a=2", 10), "Cannot provide multiple Tags with the same key");
    cr_assert_str_eq(check_q("aws:x=1", 10), "Your TagKey cannot be prefixed with aws:");
    cr_assert_str_eq(check_q("AWS:x=1", 10), "Your TagKey cannot be prefixed with aws:");
    cr_assert_str_eq(check_q("=1", 10), "The TagKey you have provided is invalid");
    cr_assert_str_eq(check_q("a%00b=1", 10), "The TagKey you have provided is invalid");
    cr_assert_str_eq(check_q("a=%FF", 10), "The TagValue you have provided is invalid");
    cr_assert_str_eq(check_q("a=x%23y", 10), "The TagValue you have provided is invalid");
    cr_assert_str_eq(check_q("a%0A=1", 10), "The TagKey you have provided is invalid");
    cr_assert_null(check_q("a%2Bb-c%3Dd.e_f%3Ag%2Fh%40i=%2B-%3D._%3A%2F%40%20", 10));
}

Test(tags, length_counts_characters_not_bytes)
{
    char s[1200];
    size_t n = 0;

    for (int i = 0; i < 128; i++) /* 128 x U+00E9: 256 bytes, 128 characters */
        n += (size_t)snprintf(s + n, sizeof(s) - n, "%%C3%%A9");
    snprintf(s + n, sizeof(s) - n, "=v");
    cr_assert_null(check_q(s, 10));
    snprintf(s + n, sizeof(s) - n, "%%C3%%A9=v");
    cr_assert_str_eq(check_q(s, 10), "The TagKey you have provided is too long, max 128");
}

Test(tags, the_hold_counts_past_it)
{
    gw_tags_t t = {0};
    char k[16];

    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        gw_tags_add(&t, k, strlen(k), "v", 1);
    }
    cr_assert_eq(t.n, GW_TAGS_HOLD);
    cr_assert_eq(t.seen, 100);
    cr_assert_str_eq(gw_tags_check(&t, GW_TAGS_BUCKET_MAX),
                     "Bucket tag count cannot be greater than 50");
    gw_tags_dispose(&t);
}

Test(tags, encode_round_trips_and_counts)
{
    gw_tags_t t = q("b%20c=x+y&k=%C3%A9%26%3D&e=");
    gw_tags_t back = {0};
    cn_buf_t enc;

    cn_buf_init(&enc);
    gw_tags_encode(&t, &enc);
    cr_assert_str_eq(enc.data, "b%20c=x%20y&k=%C3%A9%26%3D&e=");
    cr_assert_eq(gw_tags_parse_query(enc.data, enc.len, &back), 0);
    cr_assert_eq(back.n, 3);
    cr_assert_str_eq(back.v[1].value, "\xc3\xa9&=");
    cr_assert_eq(gw_tags_count(enc.data), 3);
    cr_assert_eq(gw_tags_count(""), 0);
    cr_assert_eq(gw_tags_count(NULL), 0);
    cn_buf_dispose(&enc);
    gw_tags_dispose(&t);
    gw_tags_dispose(&back);
}

static int xml(const char *body, gw_tags_t *t)
{
    return gw_xml_parse_tagging(body, strlen(body), t);
}

Test(tags, xml_body_parses)
{
    gw_tags_t t = {0};

    cr_assert_eq(xml("<?xml version=\"1.0\"?><Tagging xmlns=\"http://s3.amazonaws.com/doc/"
                     "2006-03-01/\"><TagSet><Tag><Key>a b</Key><Value>&lt;1&gt;</Value></Tag>"
                     "<Tag><Value></Value><Key>c</Key></Tag></TagSet></Tagging>",
                     &t),
                 0);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.v[0].key, "a b");
    cr_assert_str_eq(t.v[0].value, "<1>");
    cr_assert_str_eq(t.v[1].key, "c");
    cr_assert_str_eq(t.v[1].value, "");
    cr_assert_eq(xml("<Tagging><TagSet/></Tagging>", &t), 0);
    cr_assert_eq(t.n, 0);
    gw_tags_dispose(&t);
}

Test(tags, malformed_xml_is_einval)
{
    static const char *const bad[] = {
        "",
        "<Tagging/>",
        "<Tagging><TagSet></TagSet><TagSet></TagSet></Tagging>",
        "<Other><TagSet></TagSet></Other>",
        "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
        "<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>",
        "<Tagging><TagSet><Tag><Key>a</Key><Key>b</Key><Value/></Tag></TagSet></Tagging>",
        "<Tagging><TagSet><Tag><Key>a</Key><Value/><Extra/></Tag></TagSet></Tagging>",
        "<Tagging><TagSet><Tag><Key><b>a</b></Key><Value/></Tag></TagSet></Tagging>",
        "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet>",
        "<!DOCTYPE x [<!ENTITY e \"x\">]><Tagging><TagSet/></Tagging>",
    };
    gw_tags_t t = {0};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(xml(bad[i], &t), CN_EINVAL, "%s", bad[i]);
        cr_assert_eq(t.n, 0);
    }
}

Test(tags, arbitrary_bytes_never_crash)
{
    unsigned char b[64];
    gw_tags_t t = {0};
    unsigned seed = 1;

    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof(b); i++) {
            seed = seed * 1103515245u + 12345u;
            b[i] = (unsigned char)(seed >> 16);
        }
        if (gw_tags_parse_query((const char *)b, sizeof(b), &t) == 0)
            (void)gw_tags_check(&t, GW_TAGS_OBJECT_MAX);
        (void)gw_xml_parse_tagging((const char *)b, sizeof(b), &t);
    }
    gw_tags_dispose(&t);
}
