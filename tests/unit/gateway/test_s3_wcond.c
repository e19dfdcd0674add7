/* tests/unit/gateway/test_s3_wcond.c: tests gateway/s3/s3_wcond.c (conditional writes'
 * headers, issue 16) */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/s3/s3_wcond.h"

static const cn_slice_t absent = {NULL, 0};

static cn_slice_t S(const char *s)
{
    return cn_slice(s, strlen(s));
}

Test(s3_wcond, if_none_match_star_only, .timeout = 5)
{
    cn_wcond_t c;
    const char *msg;

    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, S("*"), absent, absent, absent, &c, &msg), GW_S3_OK);
    cr_assert_eq(c.if_none_match, 1);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, S(" \"*\" "), absent, absent, absent, &c, &msg),
                 GW_S3_OK);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, S("\"abc\""), absent, absent, absent, &c, &msg),
                 GW_S3_NOT_IMPLEMENTED);
    cr_assert_not_null(msg);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, S("*"), S("\"abc\""), absent, absent, &c, &msg),
                 GW_S3_NOT_IMPLEMENTED);
}

Test(s3_wcond, if_match_is_one_etag_unquoted, .timeout = 5)
{
    cn_wcond_t c;
    const char *msg;

    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, absent, S("\"0cc175b9c0f1b6a831c399e269772661\""),
                                absent, absent, &c, &msg), GW_S3_OK);
    cr_assert_eq(c.has_if_match, 1);
    cr_assert_str_eq(c.if_match, "0cc175b9c0f1b6a831c399e269772661");
    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, absent, S("W/\"ab-2\""), absent, absent, &c,
                                &msg), GW_S3_OK);
    cr_assert_str_eq(c.if_match, "ab-2");
    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, absent, S("*"), absent, absent, &c, &msg),
                 GW_S3_OK);
    cr_assert_str_eq(c.if_match, "*");
    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, absent, S("\"a\", \"b\""), absent, absent, &c,
                                &msg), GW_S3_NOT_IMPLEMENTED);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, absent, S("\"\""), absent, absent, &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
}

Test(s3_wcond, delete_size_and_time, .timeout = 5)
{
    cn_wcond_t c;
    const char *msg;

    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, absent, absent, S("42"),
                                S("Tue, 27 Mar 2007 19:36:42 GMT"), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.has_if_size, 1);
    cr_assert_eq(c.if_size, 42);
    cr_assert_eq(c.has_if_mtime, 1);
    cr_assert_eq(c.if_mtime_s, 1175024202);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, absent, absent, absent,
                                S("2007-03-27T19:36:42.000Z"), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.if_mtime_s, 1175024202);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, absent, absent, S("-1"), absent, &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, absent, absent, absent, S("yesterday"), &c,
                                &msg), GW_S3_INVALID_ARGUMENT);
}

Test(s3_wcond, put_ignores_the_delete_headers_and_delete_if_none_match, .timeout = 5)
{
    cn_wcond_t c;
    const char *msg;

    cr_assert_eq(gw_wcond_parse(GW_WCOND_PUT, absent, absent, S("5"), S("x"), &c, &msg),
                 GW_S3_OK);
    cr_assert_eq(cn_wcond_any(&c), 0);
    cr_assert_eq(gw_wcond_parse(GW_WCOND_DELETE, S("*"), absent, absent, absent, &c, &msg),
                 GW_S3_OK);
    cr_assert_eq(cn_wcond_any(&c), 0);
}
