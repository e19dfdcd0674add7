/*
 * tests/unit/gateway/test_s3_cond.c: tests gateway/s3/s3_cond.c: entity-tag lists and the
 * RFC 7232 order of If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/s3/s3_cond.h"
#include "gateway/s3/s3_xml.h"

#define ETAG "9b2cf535f27731c974343645a3985328"
#define MTIME_MS 1700000000123ull            /* Tue, 14 Nov 2023 22:13:20.123 GMT */
#define AT "Tue, 14 Nov 2023 22:13:20 GMT"   /* the same second */
#define BEFORE "Tue, 14 Nov 2023 22:13:19 GMT"
#define AFTER "Tue, 14 Nov 2023 22:13:21 GMT"

static cn_slice_t S(const char *s)
{
    return s ? cn_slice_str(s) : cn_slice(NULL, 0);
}

static int eval(const char *im, const char *inm, const char *ims, const char *ius)
{
    gw_cond_t c = {S(im), S(inm), S(ims), S(ius)};
    return gw_cond_eval(&c, ETAG, MTIME_MS);
}

Test(cond, etag_lists, .timeout = 10)
{
    cr_assert_eq(gw_cond_etag_matches(S("\"" ETAG "\""), ETAG), 1);
    cr_assert_eq(gw_cond_etag_matches(S(ETAG), ETAG), 1);                 /* unquoted */
    cr_assert_eq(gw_cond_etag_matches(S("W/\"" ETAG "\""), ETAG), 1);     /* weak */
    cr_assert_eq(gw_cond_etag_matches(S("*"), ETAG), 1);
    cr_assert_eq(gw_cond_etag_matches(S(" * "), ETAG), 1);
    cr_assert_eq(gw_cond_etag_matches(S("\"a\", \"" ETAG "\" ,\"b\""), ETAG), 1);
    cr_assert_eq(gw_cond_etag_matches(S("\"a\",,\"b\""), ETAG), 0);
    cr_assert_eq(gw_cond_etag_matches(S("\"" ETAG "0\""), ETAG), 0);      /* longer */
    cr_assert_eq(gw_cond_etag_matches(S("\"" ETAG), ETAG), 0);            /* one quote */
    cr_assert_eq(gw_cond_etag_matches(S("\"*\""), ETAG), 0);              /* a tag named * */
    cr_assert_eq(gw_cond_etag_matches(S(""), ETAG), 0);
    cr_assert_eq(gw_cond_etag_matches(S(","), ETAG), 0);
    cr_assert_eq(gw_cond_etag_matches(S(NULL), ETAG), 0);                 /* absent */
    cr_assert_eq(gw_cond_etag_matches(S("\"\""), ""), 1);
}

Test(cond, no_header_goes_on, .timeout = 10)
{
    cr_assert_eq(eval(NULL, NULL, NULL, NULL), 0);
}

Test(cond, if_match, .timeout = 10)
{
    cr_assert_eq(eval("\"" ETAG "\"", NULL, NULL, NULL), 0);
    cr_assert_eq(eval("\"other\"", NULL, NULL, NULL), 412);
    cr_assert_eq(eval("*", NULL, NULL, NULL), 0);
    cr_assert_eq(eval("", NULL, NULL, NULL), 412); /* present but empty names nothing */
}

Test(cond, if_unmodified_since, .timeout = 10)
{
    cr_assert_eq(eval(NULL, NULL, NULL, AT), 0);      /* same second: not modified since */
    cr_assert_eq(eval(NULL, NULL, NULL, AFTER), 0);
    cr_assert_eq(eval(NULL, NULL, NULL, BEFORE), 412);
}

Test(cond, if_match_before_if_unmodified_since, .timeout = 10)
{
    /* a matching If-Match makes If-Unmodified-Since irrelevant (RFC 7232 6 step 2) */
    cr_assert_eq(eval("\"" ETAG "\"", NULL, NULL, BEFORE), 0);
    cr_assert_eq(eval("\"other\"", NULL, NULL, AFTER), 412);
}

Test(cond, if_none_match, .timeout = 10)
{
    cr_assert_eq(eval(NULL, "\"" ETAG "\"", NULL, NULL), 304);
    cr_assert_eq(eval(NULL, "W/\"" ETAG "\"", NULL, NULL), 304);
    cr_assert_eq(eval(NULL, "\"x\", \"" ETAG "\"", NULL, NULL), 304);
    cr_assert_eq(eval(NULL, "*", NULL, NULL), 304);
    cr_assert_eq(eval(NULL, "\"other\"", NULL, NULL), 0);
}

Test(cond, if_modified_since, .timeout = 10)
{
    cr_assert_eq(eval(NULL, NULL, AT, NULL), 304);
    cr_assert_eq(eval(NULL, NULL, AFTER, NULL), 304);
    cr_assert_eq(eval(NULL, NULL, BEFORE, NULL), 0);
    /* other HTTP date forms and zones */
    cr_assert_eq(eval(NULL, NULL, "Tuesday, 14-Nov-23 22:13:19 GMT", NULL), 0);
    cr_assert_eq(eval(NULL, NULL, "Tue Nov 14 22:13:20 2023", NULL), 304);
    cr_assert_eq(eval(NULL, NULL, "Tue, 14 Nov 2023 23:13:20 +0100", NULL), 304);
    cr_assert_eq(eval(NULL, NULL, "Tue, 14 Nov 2023 23:13:19 +0100", NULL), 0);
}

Test(cond, if_none_match_before_if_modified_since, .timeout = 10)
{
    /* If-None-Match present: If-Modified-Since is ignored (RFC 7232 6 step 4) */
    cr_assert_eq(eval(NULL, "\"other\"", AFTER, NULL), 0);
    cr_assert_eq(eval(NULL, "\"" ETAG "\"", BEFORE, NULL), 304);
}

Test(cond, precondition_failure_wins_over_not_modified, .timeout = 10)
{
    cr_assert_eq(eval("\"other\"", "\"" ETAG "\"", NULL, NULL), 412);
    cr_assert_eq(eval(NULL, NULL, AFTER, BEFORE), 412);
    cr_assert_eq(eval("\"" ETAG "\"", "\"" ETAG "\"", NULL, NULL), 304);
}

Test(cond, bad_dates_are_ignored, .timeout = 10)
{
    uint64_t ms;

    static const char *const bad[] = {
        "", "yesterday", "Tue, 14 Nov 2023", "Tue, 32 Nov 2023 22:13:20 GMT",
        "Tue, 14 Foo 2023 22:13:20 GMT", "Tue, 14 Nov 2023 25:13:20 GMT",
        "Tue, 14 Nov 2023 22:13:20 CET", "Tue, 14 Nov 1969 22:13:20 GMT", "1700000000",
        /* F-6 (fuzz_cond): past the last second an HTTP date can carry */
        "Fri, 31 Dec 9999 23:59:60 GMT", "Fri, 31 Dec 9999 23:30:00 -0100",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(eval(NULL, NULL, bad[i], NULL), 0, "If-Modified-Since: %s", bad[i]);
        cr_assert_eq(eval(NULL, NULL, NULL, bad[i]), 0, "If-Unmodified-Since: %s", bad[i]);
    }
    cr_assert_eq(gw_http_date_parse("Fri, 31 Dec 9999 23:59:59 GMT", 29, &ms), 0);
    cr_assert_eq(ms, 253402300799000ull);
}
