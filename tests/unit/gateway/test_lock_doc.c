/* tests/unit/gateway/test_lock_doc.c: tests gateway/s3/lock_doc.c (S3 Object Lock's
 * documents and headers) and its XML reader in gateway/s3/s3_xmlin.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/lock_doc.h"
#include "gateway/s3/s3_xmlin.h"

#define NOW UINT64_C(1780000000000) /* 2026-05-28 */
#define DAY UINT64_C(86400000)

static cn_slice_t sl(const char *s)
{
    return s ? cn_slice(s, strlen(s)) : cn_slice(NULL, 0);
}

static gw_s3_err_t conf(const char *xml, gw_lock_conf_t *c, const char **msg)
{
    return gw_lock_conf_parse(xml, strlen(xml), c, msg);
}

#define CONF(rule)                                                                             \
    "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"              \
    "<ObjectLockEnabled>Enabled</ObjectLockEnabled>" rule "</ObjectLockConfiguration>"
#define RULE(inner) "<Rule><DefaultRetention>" inner "</DefaultRetention></Rule>"

Test(lock_doc, configuration_with_days_and_years)
{
    gw_lock_conf_t c;
    const char *msg;

    cr_assert_eq(conf(CONF(RULE("<Mode>GOVERNANCE</Mode><Days>3</Days>")), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.mode, CN_LOCK_GOVERNANCE);
    cr_assert_eq(c.days, 3);
    cr_assert_eq(gw_lock_conf_until(&c, NOW), NOW + 3 * DAY);
    cr_assert_eq(conf(CONF(RULE("<Mode>COMPLIANCE</Mode><Years>1</Years>")), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.mode, CN_LOCK_COMPLIANCE);
    cr_assert_eq(c.years, 1);
    cr_assert_eq(gw_lock_conf_until(&c, NOW), NOW + 365 * DAY); /* 2026 to 2027 */
    cr_assert_eq(conf(CONF(""), &c, &msg), GW_S3_OK);
    cr_assert_eq(c.mode, CN_LOCK_NONE);
    cr_assert_eq(gw_lock_conf_until(&c, NOW), 0);
}

Test(lock_doc, configuration_errors_as_s3)
{
    static const char *const malformed[] = {
        "",
        "<ObjectLockConfiguration/>",
        "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
        "</ObjectLockConfiguration>",
        CONF(RULE("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>")),
        CONF(RULE("<Mode>GOVERNANCE</Mode>")),
        CONF(RULE("<Days>1</Days>")),
        CONF(RULE("<Mode>governance</Mode><Days>1</Days>")),
        CONF(RULE("<Mode>GOVERNANCE</Mode><Days>x</Days>")),
        CONF(RULE("<Mode>GOVERNANCE</Mode><Days>1</Days><Days>2</Days>")),
        CONF("<Rule></Rule>"),
        CONF("<Other/>"),
        "<Retention><Mode>GOVERNANCE</Mode></Retention>",
    };
    gw_lock_conf_t c;
    const char *msg;

    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        cr_expect_eq(conf(malformed[i], &c, &msg), GW_S3_MALFORMED_XML, "%s", malformed[i]);
    cr_assert_eq(conf(CONF(RULE("<Mode>GOVERNANCE</Mode><Days>0</Days>")), &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_not_null(msg);
    cr_assert_eq(conf(CONF(RULE("<Mode>GOVERNANCE</Mode><Days>-1</Days>")), &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(conf(CONF(RULE("<Mode>GOVERNANCE</Mode><Days>36501</Days>")), &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(conf(CONF(RULE("<Mode>GOVERNANCE</Mode><Years>101</Years>")), &c, &msg),
                 GW_S3_INVALID_ARGUMENT);
}

Test(lock_doc, configuration_stored_form_reads_back)
{
    gw_lock_conf_t c = {CN_LOCK_COMPLIANCE, 0, 7}, d;
    cn_buf_t b;
    json_t *j;

    cn_buf_init(&b);
    gw_lock_conf_encode(&c, &b);
    cr_assert_str_eq(b.data, "{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":{\"DefaultRetention\":"
                             "{\"Mode\":\"COMPLIANCE\",\"Years\":7}}}");
    j = json_loadb(b.data, b.len, 0, NULL);
    cr_assert_eq(gw_lock_conf_decode(j, &d), 0);
    cr_assert_eq(d.mode, CN_LOCK_COMPLIANCE);
    cr_assert_eq(d.years, 7);
    json_decref(j);
    j = json_loads("{\"ObjectLockEnabled\":\"Enabled\"}", 0, NULL);
    cr_assert_eq(gw_lock_conf_decode(j, &d), 0);
    cr_assert_eq(d.mode, CN_LOCK_NONE);
    json_decref(j);
    cn_buf_dispose(&b);
}

Test(lock_doc, retention_and_legal_hold_bodies)
{
    static const char ok[] = "<Retention><Mode>COMPLIANCE</Mode>"
                             "<RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate>"
                             "</Retention>";
    static const char past[] = "<Retention><Mode>GOVERNANCE</Mode>"
                               "<RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate>"
                               "</Retention>";
    static const char half[] = "<Retention><Mode>GOVERNANCE</Mode></Retention>";
    cn_lock_mode_t mode;
    uint64_t until;
    const char *msg;
    int on;

    cr_assert_eq(gw_lock_retention_parse(ok, strlen(ok), NOW, &mode, &until, &msg), GW_S3_OK);
    cr_assert_eq(mode, CN_LOCK_COMPLIANCE);
    cr_assert_eq(until, UINT64_C(1893456000000));
    cr_assert_eq(gw_lock_retention_parse(past, strlen(past), NOW, &mode, &until, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_lock_retention_parse(half, strlen(half), NOW, &mode, &until, &msg),
                 GW_S3_MALFORMED_XML);
    cr_assert_eq(gw_lock_retention_parse("<Retention/>", 12, NOW, &mode, &until, &msg),
                 GW_S3_OK);
    cr_assert_eq(mode, CN_LOCK_NONE);
    cr_assert_eq(gw_lock_hold_parse("<LegalHold><Status>ON</Status></LegalHold>", 42, &on),
                 GW_S3_OK);
    cr_assert_eq(on, 1);
    cr_assert_eq(gw_lock_hold_parse("<LegalHold><Status>OFF</Status></LegalHold>", 43, &on),
                 GW_S3_OK);
    cr_assert_eq(on, 0);
    cr_assert_eq(gw_lock_hold_parse("<LegalHold><Status>on</Status></LegalHold>", 42, &on),
                 GW_S3_MALFORMED_XML);
    cr_assert_eq(gw_lock_hold_parse("<LegalHold></LegalHold>", 23, &on), GW_S3_MALFORMED_XML);
}

Test(lock_doc, xml_reader_refuses_long_text_and_repeats)
{
    char big[200];
    gw_xml_lock_t x;

    snprintf(big, sizeof(big), "<LegalHold><Status>%060d</Status></LegalHold>", 0);
    cr_assert_eq(gw_xml_parse_legal_hold(big, strlen(big), &x), CN_EINVAL);
    cr_assert_eq(gw_xml_parse_legal_hold("<LegalHold><Status>ON</Status><Status>ON</Status>"
                                         "</LegalHold>", 61, &x), CN_EINVAL);
    cr_assert_eq(gw_xml_parse_retention("<Retention><Mode><Mode/></Mode></Retention>", 43, &x),
                 CN_EINVAL);
}

Test(lock_doc, headers_as_s3)
{
    gw_lock_req_t l;
    const char *msg;

    cr_assert_eq(gw_lock_headers_parse(sl("GOVERNANCE"), sl("2030-01-01T00:00:00Z"), sl("ON"),
                                       NOW, &l, &msg), GW_S3_OK);
    cr_assert(l.retention && l.hold && l.lock.legal_hold);
    cr_assert_eq(l.lock.mode, CN_LOCK_GOVERNANCE);
    cr_assert_eq(l.lock.until_ms, UINT64_C(1893456000000));
    cr_assert_eq(gw_lock_headers_parse(sl(NULL), sl(NULL), sl(NULL), NOW, &l, &msg), GW_S3_OK);
    cr_assert(!l.retention && !l.hold);
    cr_assert_eq(gw_lock_headers_parse(sl("GOVERNANCE"), sl(NULL), sl(NULL), NOW, &l, &msg),
                 GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_lock_headers_parse(sl(NULL), sl("2030-01-01T00:00:00Z"), sl(NULL), NOW, &l,
                                       &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_lock_headers_parse(sl("FOREVER"), sl("2030-01-01T00:00:00Z"), sl(NULL), NOW,
                                       &l, &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_lock_headers_parse(sl("COMPLIANCE"), sl("tomorrow"), sl(NULL), NOW, &l,
                                       &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_lock_headers_parse(sl("COMPLIANCE"), sl("2020-01-01T00:00:00Z"), sl(NULL),
                                       NOW, &l, &msg), GW_S3_INVALID_ARGUMENT);
    cr_assert_str_eq(msg, "The retain until date must be in the future!");
    cr_assert_eq(gw_lock_headers_parse(sl(NULL), sl(NULL), sl("YES"), NOW, &l, &msg),
                 GW_S3_INVALID_ARGUMENT);
}

Test(lock_doc, metadata_pairs_read_back_as_objlock)
{
    cn_lock_t l = {CN_LOCK_GOVERNANCE, NOW + DAY, 1}, got;
    gw_meta_t m = {0};
    cn_buf_t enc;

    cn_buf_init(&enc);
    gw_meta_add(&m, "content-type", 12, "text/plain", 10);
    gw_lock_meta_add(&m, &l, 1);
    gw_meta_encode(&m, &enc);
    gw_meta_dispose(&m);
    cr_assert_eq(cn_lock_from_meta(enc.data, enc.len, &got), 0);
    cr_assert_eq(got.mode, CN_LOCK_GOVERNANCE);
    cr_assert_eq(got.until_ms, NOW + DAY);
    cr_assert_eq(got.legal_hold, 1);
    cr_assert_eq(gw_lock_meta_set_retention(&enc, CN_LOCK_COMPLIANCE, NOW + 2 * DAY), 0);
    cr_assert_eq(cn_lock_from_meta(enc.data, enc.len, &got), 0);
    cr_assert_eq(got.mode, CN_LOCK_COMPLIANCE);
    cr_assert_eq(got.until_ms, NOW + 2 * DAY);
    cr_assert_eq(gw_lock_meta_set_retention(&enc, CN_LOCK_NONE, 0), 0);
    cr_assert_eq(cn_lock_from_meta(enc.data, enc.len, &got), 0);
    cr_assert_eq(got.mode, CN_LOCK_NONE);
    cr_assert_eq(got.legal_hold, 1);
    cn_buf_dispose(&enc);
}
