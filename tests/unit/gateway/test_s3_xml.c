/*
 * tests/unit/gateway/test_s3_xml.c: tests gateway/s3/s3_xml.c: the XML writer, escaping, and the
 * S3/HTTP time formats and parsers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/s3_xml.h"

Test(xml, writer_builds_a_document, .timeout = 10)
{
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "ListBucketResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Name", "bucket");
    gw_xml_u64_elem(&b, "MaxKeys", 1000);
    gw_xml_bool_elem(&b, "IsTruncated", 0);
    gw_xml_open(&b, "Contents");
    gw_xml_text_elem(&b, "Key", "a&b<c>", 6);
    gw_xml_str_elem(&b, "ETag", "\"9b2cf535f27731c974343645a3985328\"");
    gw_xml_close(&b, "Contents");
    gw_xml_str_elem(&b, "Prefix", NULL);
    gw_xml_close(&b, "ListBucketResult");
    cr_assert_str_eq(b.data,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<Name>bucket</Name><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                     "<Contents><Key>a&amp;b&lt;c&gt;</Key>"
                     "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></Contents>"
                     "<Prefix></Prefix></ListBucketResult>");
    cn_buf_dispose(&b);
}

Test(xml, escape_all_special_and_control_bytes, .timeout = 10)
{
    cn_buf_t b;
    const char in[] = "&<>\"'\t\n\r\x00\x01\x08\x0b\x0c\x0e\x1f \x7f\xc3\xa9~";

    cn_buf_init(&b);
    gw_xml_escape(&b, in, sizeof(in) - 1);
    cr_assert_str_eq(b.data, "&amp;&lt;&gt;&quot;&apos;&#9;&#10;&#13;"
                             "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                             "\xEF\xBF\xBD\xEF\xBF\xBD \x7f\xc3\xa9~");
    cn_buf_reset(&b);
    gw_xml_escape(&b, "plain", 5);
    cr_assert_str_eq(b.data, "plain");
    cn_buf_reset(&b);
    gw_xml_escape(&b, "", 0);
    cr_assert_eq(b.len, 0);
    cn_buf_dispose(&b);
}

Test(time, s3_iso8601_format, .timeout = 10)
{
    char out[GW_S3_TIME_LEN];

    gw_s3_time_fmt(0, out);
    cr_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
    gw_s3_time_fmt(1777629600000ull, out);
    cr_assert_str_eq(out, "2026-05-01T10:00:00.000Z");
    gw_s3_time_fmt(1709210096789ull, out);   /* leap day 2024 */
    cr_assert_str_eq(out, "2024-02-29T12:34:56.789Z");
    gw_s3_time_fmt(253402300799999ull, out);
    cr_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
}

Test(time, http_and_amz_formats, .timeout = 10)
{
    char h[GW_HTTP_DATE_LEN], a[17];

    gw_http_date_fmt(1777629600000ull, h);
    cr_assert_str_eq(h, "Fri, 01 May 2026 10:00:00 GMT");
    gw_http_date_fmt(1175024202000ull, h);
    cr_assert_str_eq(h, "Tue, 27 Mar 2007 19:36:42 GMT");
    gw_amz_date_fmt(1369353600000ull, a);
    cr_assert_str_eq(a, "20130524T000000Z");
}

Test(time, parsers, .timeout = 10)
{
    uint64_t ms;

#define OK_HTTP(s, want)                                                                     \
    do {                                                                                     \
        cr_assert_eq(gw_http_date_parse(s, strlen(s), &ms), 0, "%s", s);                     \
        cr_assert_eq(ms, (want), "%s", s);                                                   \
    } while (0)
    OK_HTTP("Tue, 27 Mar 2007 19:36:42 +0000", 1175024202000ull);
    OK_HTTP("Tue, 27 Mar 2007 19:36:42 GMT", 1175024202000ull);
    OK_HTTP("Tue, 27 Mar 2007 21:36:42 +0200", 1175024202000ull);
    OK_HTTP("Tuesday, 27-Mar-07 19:36:42 GMT", 1175024202000ull);
    OK_HTTP("Tue Mar 27 19:36:42 2007", 1175024202000ull);
    OK_HTTP("  Fri, 1 May 2026 10:00:00 GMT ", 1777629600000ull);
    static const char *bad[] = {"", "garbage", "Tue, 32 Mar 2007 19:36:42 GMT",
                                "Tue, 27 Foo 2007 19:36:42 GMT", "Tue, 27 Mar 2007 19:36 GMT",
                                "Tue, 27 Mar 2007 19:36:42", "Tue, 27 Mar 2007 25:36:42 GMT",
                                "Tue, 27 Mar 2007 19:36:42 GMTX", ",", "Tue,"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(gw_http_date_parse(bad[i], strlen(bad[i]), &ms), CN_EINVAL, "%s", bad[i]);

    cr_assert_eq(gw_iso8601_parse("20130524T000000Z", 16, &ms), 0);
    cr_assert_eq(ms, 1369353600000ull);
    cr_assert_eq(gw_iso8601_parse("2026-05-01T10:00:00.123Z", 24, &ms), 0);
    cr_assert_eq(ms, 1777629600123ull);
    cr_assert_eq(gw_iso8601_parse("2026-05-01T10:00:00Z", 20, &ms), 0);
    cr_assert_eq(ms, 1777629600000ull);
    cr_assert_eq(gw_iso8601_parse("20130524T000000", 15, &ms), CN_EINVAL);
    cr_assert_eq(gw_iso8601_parse("20131324T000000Z", 16, &ms), CN_EINVAL);
    cr_assert_eq(gw_iso8601_parse("2026-05-01T10:00:00.Z", 21, &ms), CN_EINVAL);
    cr_assert_eq(gw_iso8601_parse("", 0, &ms), CN_EINVAL);
}

Test(time, format_parse_round_trip, .timeout = 10)
{
    char out[GW_S3_TIME_LEN], h[GW_HTTP_DATE_LEN];
    uint64_t ms;

    for (uint64_t t = 0; t < 4102444800000ull; t += 987654321987ull / 100) {
        gw_s3_time_fmt(t, out);
        cr_assert_eq(gw_iso8601_parse(out, strlen(out), &ms), 0, "%s", out);
        cr_assert_eq(ms, t, "%s", out);
        gw_http_date_fmt(t, h);
        cr_assert_eq(gw_http_date_parse(h, strlen(h), &ms), 0, "%s", h);
        cr_assert_eq(ms, t / 1000 * 1000, "%s", h);
    }
}
