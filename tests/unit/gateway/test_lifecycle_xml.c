/* tests/unit/gateway/test_lifecycle_xml.c: tests the LifecycleConfiguration reader of
 * gateway/s3/s3_xmlin.c and gateway/s3/lifecycle.c (S3's checks and their messages, IDs, the
 * stored form, the XML answered from it), as tables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/lifecycle.h"
#include "gateway/s3/lifecycle.h"
#include "gateway/s3/s3_xmlin.h"

#define LC(rules) "<LifecycleConfiguration>" rules "</LifecycleConfiguration>"
#define EXP1 "<Expiration><Days>1</Days></Expiration>"
#define ON "<Status>Enabled</Status>"
#define V2(id, filter, actions) "<Rule><ID>" id "</ID><Filter>" filter "</Filter>" ON actions \
                                "</Rule>"

/* Parses then checks doc: the S3 error (GW_S3_OK when valid), the message into msg. */
static gw_s3_err_t put(const char *doc, char *msg, size_t msg_len)
{
    char buf[300];
    const char *m = NULL;
    gw_lc_t c = {0};
    gw_s3_err_t e;

    msg[0] = '\0';
    if (gw_xml_parse_lifecycle(doc, strlen(doc), &c) != 0) {
        cr_assert_eq(c.n, 0, "a refused document leaves no rule");
        return GW_S3_MALFORMED_XML;
    }
    e = gw_lc_check(&c, buf, sizeof(buf), &m);
    if (m != NULL)
        snprintf(msg, msg_len, "%s", m);
    gw_lc_dispose(&c);
    return e;
}

static const struct row {
    const char *name, *doc;
    gw_s3_err_t want;
    const char *msg; /* NULL: not checked */
} rows[] = {
    {"one V2 rule", LC(V2("a", "<Prefix>logs/</Prefix>", EXP1)), GW_S3_OK, NULL},
    {"with the namespace",
     "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
     V2("a", "", EXP1) "</LifecycleConfiguration>", GW_S3_OK, NULL},
    {"one V1 rule", LC("<Rule><Prefix>x</Prefix>" ON EXP1 "</Rule>"), GW_S3_OK, NULL},
    {"an And of everything",
     LC(V2("a", "<And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
                "<Tag><Key>k2</Key><Value></Value></Tag><ObjectSizeGreaterThan>1"
                "</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></And>",
           "<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>"
           "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>")),
     GW_S3_OK, NULL},
    {"a Date at midnight, with an offset",
     LC(V2("a", "", "<Expiration><Date>2030-01-01T02:00:00+02:00</Date></Expiration>")),
     GW_S3_OK, NULL},
    {"a disabled rule", LC("<Rule><Filter/><Status>Disabled</Status>" EXP1 "</Rule>"), GW_S3_OK,
     NULL},
    /* MalformedXML: the schema */
    {"bad XML", "<LifecycleConfiguration><Rule>", GW_S3_MALFORMED_XML, NULL},
    {"another root", "<Lifecycle>" V2("a", "", EXP1) "</Lifecycle>", GW_S3_MALFORMED_XML, NULL},
    {"an unknown element", LC(V2("a", "", EXP1 "<Foo/>")), GW_S3_MALFORMED_XML, NULL},
    {"two IDs", LC("<Rule><ID>a</ID><ID>b</ID><Filter/>" ON EXP1 "</Rule>"),
     GW_S3_MALFORMED_XML, NULL},
    {"a Filter of two conditions", LC(V2("a", "<Prefix>a</Prefix><ObjectSizeLessThan>5"
                                              "</ObjectSizeLessThan>", EXP1)),
     GW_S3_MALFORMED_XML, NULL},
    {"a Tag without its Value", LC(V2("a", "<Tag><Key>k</Key></Tag>", EXP1)),
     GW_S3_MALFORMED_XML, NULL},
    {"Days not an integer", LC(V2("a", "", "<Expiration><Days>1.5</Days></Expiration>")),
     GW_S3_MALFORMED_XML, NULL},
    {"Days past xsd:int", LC(V2("a", "", "<Expiration><Days>2147483648</Days></Expiration>")),
     GW_S3_MALFORMED_XML, NULL},
    {"ExpiredObjectDeleteMarker not a boolean",
     LC(V2("a", "", "<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker>"
                    "</Expiration>")), GW_S3_MALFORMED_XML, NULL},
    {"no Status", LC("<Rule><Filter/>" EXP1 "</Rule>"), GW_S3_MALFORMED_XML, NULL},
    {"another Status", LC("<Rule><Filter/><Status>enabled</Status>" EXP1 "</Rule>"),
     GW_S3_MALFORMED_XML, NULL},
    {"neither Filter nor Prefix", LC("<Rule>" ON EXP1 "</Rule>"), GW_S3_MALFORMED_XML, NULL},
    {"Days and Date", LC(V2("a", "", "<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z"
                                     "</Date></Expiration>")), GW_S3_MALFORMED_XML, NULL},
    {"an empty Expiration", LC(V2("a", "", "<Expiration/>")), GW_S3_MALFORMED_XML, NULL},
    {"Date not a date", LC(V2("a", "", "<Expiration><Date>tomorrow</Date></Expiration>")),
     GW_S3_MALFORMED_XML, NULL},
    {"NoncurrentVersionExpiration without days",
     LC(V2("a", "", "<NoncurrentVersionExpiration><NewerNoncurrentVersions>1"
                    "</NewerNoncurrentVersions></NoncurrentVersionExpiration>")),
     GW_S3_MALFORMED_XML, NULL},
    /* InvalidArgument */
    {"Days 0", LC(V2("a", "", "<Expiration><Days>0</Days></Expiration>")),
     GW_S3_INVALID_ARGUMENT, "'Days' for Expiration action must be a positive integer"},
    {"Days -1", LC(V2("a", "", "<Expiration><Days>-1</Days></Expiration>")),
     GW_S3_INVALID_ARGUMENT, "'Days' for Expiration action must be a positive integer"},
    {"Date not at midnight",
     LC(V2("a", "", "<Expiration><Date>2030-01-01T10:00:00.000Z</Date></Expiration>")),
     GW_S3_INVALID_ARGUMENT, "'Date' must be at midnight GMT"},
    {"the same ID twice", LC(V2("a", "", EXP1) V2("a", "", EXP1)), GW_S3_INVALID_ARGUMENT,
     "Rule ID must be unique. Found same ID for more than one rule"},
    {"NoncurrentDays 0",
     LC(V2("a", "", "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
                    "</NoncurrentVersionExpiration>")), GW_S3_INVALID_ARGUMENT,
     "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
    {"NewerNoncurrentVersions 0",
     LC(V2("a", "", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
                    "<NewerNoncurrentVersions>0</NewerNoncurrentVersions>"
                    "</NoncurrentVersionExpiration>")), GW_S3_INVALID_ARGUMENT,
     "'NewerNoncurrentVersions' must be a positive integer"},
    {"DaysAfterInitiation 0",
     LC(V2("a", "", "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0"
                    "</DaysAfterInitiation></AbortIncompleteMultipartUpload>")),
     GW_S3_INVALID_ARGUMENT, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action "
                             "must be a positive integer"},
    /* InvalidRequest */
    {"no rule", LC(""), GW_S3_INVALID_REQUEST, "At least one lifecycle rule must be specified."},
    {"no action", LC("<Rule><ID>a</ID><Filter/>" ON "</Rule>"), GW_S3_INVALID_REQUEST,
     "At least one action needs to be specified in a rule"},
    {"V1 then V2", LC("<Rule><Prefix>x</Prefix>" ON EXP1 "</Rule>" V2("b", "", EXP1)),
     GW_S3_INVALID_REQUEST, "Filter element can only be used in Lifecycle V2."},
    {"V2 then V1", LC(V2("b", "", EXP1) "<Rule><Prefix>x</Prefix>" ON EXP1 "</Rule>"),
     GW_S3_INVALID_REQUEST, "Base level prefix cannot be used in Lifecycle V2, prefixes are only "
                            "supported in the Filter."},
    {"NewerNoncurrentVersions in V1",
     LC("<Rule><Prefix>x</Prefix>" ON "<NoncurrentVersionExpiration><NoncurrentDays>1"
        "</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions>"
        "</NoncurrentVersionExpiration></Rule>"),
     GW_S3_INVALID_REQUEST, "NewerNoncurrentVersions element can only be used in Lifecycle V2."},
    {"overlapping V1 prefixes",
     LC("<Rule><Prefix>a</Prefix>" ON EXP1 "</Rule><Rule><Prefix></Prefix>" ON EXP1 "</Rule>"),
     GW_S3_INVALID_REQUEST,
     "Found overlapping prefixes '' and 'a' for same action type 'Expiration'"},
    {"V1 prefixes overlapping for different actions",
     LC("<Rule><Prefix>a</Prefix>" ON EXP1 "</Rule><Rule><Prefix></Prefix>" ON
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule>"), GW_S3_OK, NULL},
    {"a tag key twice", LC(V2("a", "<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k"
                                   "</Key><Value>2</Value></Tag></And>", EXP1)),
     GW_S3_INVALID_REQUEST, "Duplicate Tag Keys are not allowed."},
    {"ObjectSizeLessThan 0", LC(V2("a", "<ObjectSizeLessThan>0</ObjectSizeLessThan>", EXP1)),
     GW_S3_INVALID_REQUEST, "'ObjectSizeLessThan' should be between 1 and 1099511627776000."},
    {"ObjectSizeGreaterThan -1",
     LC(V2("a", "<ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan>", EXP1)),
     GW_S3_INVALID_REQUEST, "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000."},
    {"sizes in the wrong order",
     LC(V2("a", "<And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan><ObjectSizeLessThan>9"
                "</ObjectSizeLessThan></And>", EXP1)), GW_S3_INVALID_REQUEST,
     "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."},
    {"AbortIncompleteMultipartUpload with tags",
     LC(V2("a", "<Tag><Key>k</Key><Value>v</Value></Tag>",
           "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
           "</AbortIncompleteMultipartUpload>")), GW_S3_INVALID_REQUEST,
     "AbortIncompleteMultipartUpload cannot be specified with Tags."},
    {"AbortIncompleteMultipartUpload with a size",
     LC(V2("a", "<ObjectSizeLessThan>5</ObjectSizeLessThan>",
           "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
           "</AbortIncompleteMultipartUpload>")), GW_S3_INVALID_REQUEST,
     "AbortIncompleteMultipartUpload cannot be specified with Object Size."},
    {"ExpiredObjectDeleteMarker with tags",
     LC(V2("a", "<Tag><Key>k</Key><Value>v</Value></Tag>",
           "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
           "</Expiration>")), GW_S3_INVALID_REQUEST,
     "ExpiredObjectDeleteMarker cannot be specified with Tags."},
    /* NotImplemented, after every other check */
    {"a Transition", LC(V2("a", "", "<Transition><Days>30</Days><StorageClass>GLACIER"
                                    "</StorageClass></Transition>")), GW_S3_NOT_IMPLEMENTED,
     NULL},
    {"a NoncurrentVersionTransition",
     LC(V2("a", "", EXP1 "<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays>"
                    "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>")),
     GW_S3_NOT_IMPLEMENTED, NULL},
    {"a Transition with bad days is S3's error first",
     LC(V2("a", "", "<Expiration><Days>0</Days></Expiration><Transition><Days>30</Days>"
                    "</Transition>")), GW_S3_INVALID_ARGUMENT, NULL},
};

Test(lifecycle_xml, s3_answers, .timeout = 10)
{
    char msg[300];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        gw_s3_err_t e = put(rows[i].doc, msg, sizeof(msg));

        cr_expect_eq(e, rows[i].want, "%s: %d, want %d (%s)", rows[i].name, e, rows[i].want,
                     msg);
        if (rows[i].msg != NULL)
            cr_expect_str_eq(msg, rows[i].msg, "%s", rows[i].name);
    }
}

Test(lifecycle_xml, rule_count_and_id_length, .timeout = 10)
{
    cn_buf_t doc;
    char msg[300];

    cn_buf_init(&doc);
    cn_buf_append_str(&doc, "<LifecycleConfiguration>");
    for (int i = 0; i < 1001; i++)
        cn_buf_appendf(&doc, "<Rule><ID>r%d</ID><Filter/>" ON EXP1 "</Rule>", i);
    cn_buf_append_str(&doc, "</LifecycleConfiguration>");
    cr_expect_eq(put(doc.data, msg, sizeof(msg)), GW_S3_INVALID_REQUEST);
    cr_expect_str_eq(msg, "The number of lifecycle rules must not exceed the allowed limit of "
                          "1000 rules.");
    cn_buf_reset(&doc);
    cn_buf_append_str(&doc, "<LifecycleConfiguration><Rule><ID>");
    for (int i = 0; i < 255; i++)
        cn_buf_append_str(&doc, "\xc3\xa9"); /* é: one character, two bytes */
    cn_buf_append_str(&doc, "</ID><Filter/>" ON EXP1 "</Rule></LifecycleConfiguration>");
    cr_expect_eq(put(doc.data, msg, sizeof(msg)), GW_S3_OK, "255 characters are allowed");
    cn_buf_reset(&doc);
    cn_buf_append_str(&doc, "<LifecycleConfiguration><Rule><ID>");
    for (int i = 0; i < 256; i++)
        cn_buf_append_str(&doc, "x");
    cn_buf_append_str(&doc, "</ID><Filter/>" ON EXP1 "</Rule></LifecycleConfiguration>");
    cr_expect_eq(put(doc.data, msg, sizeof(msg)), GW_S3_INVALID_ARGUMENT);
    cr_expect_str_eq(msg, "ID length should not exceed allowed limit of 255");
    cn_buf_dispose(&doc);
}

/* Parses, checks, names and encodes doc into out. */
static void stored(const char *doc, cn_buf_t *out)
{
    char buf[300];
    const char *m;
    gw_lc_t c = {0};

    cr_assert_eq(gw_xml_parse_lifecycle(doc, strlen(doc), &c), 0);
    cr_assert_eq(gw_lc_check(&c, buf, sizeof(buf), &m), GW_S3_OK);
    gw_lc_name_rules(&c, 7);
    gw_lc_encode(&c, out);
    gw_lc_dispose(&c);
}

Test(lifecycle_xml, stored_form_flattens_and_and_reads_back, .timeout = 10)
{
    cn_buf_t j, x, j2;
    cn_lc_rules_t *r;

    cn_buf_init(&j);
    cn_buf_init(&x);
    cn_buf_init(&j2);
    stored(LC(V2("a", "<And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>",
                 "<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>")
              "<Rule><Filter><Prefix></Prefix></Filter><Status>Disabled</Status>"
              "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker>"
              "</Expiration></Rule>"),
           &j);
    cr_assert_eq(cn_lc_parse(j.data, j.len, &r), 0, "%s", j.data);
    cn_lc_free(r);
    cr_expect(strstr(j.data, "\"Filter\":{\"Prefix\":\"p/\",\"Tags\":[{\"Key\":\"k\","
                             "\"Value\":\"v\"}]}") != NULL, "%s", j.data);
    cr_expect(strstr(j.data, "\"Expiration\":{\"Date\":1893456000000}") != NULL, "%s", j.data);
    cr_expect(strstr(j.data, "\"ExpiredObjectDeleteMarker\":false") != NULL, "%s", j.data);
    /* the second rule got a 48-character ID */
    const char *id2 = strstr(strstr(j.data, "},{") + 3, "\"ID\":\"");
    cr_assert_not_null(id2);
    cr_expect_eq(strchr(id2 + 6, '"') - (id2 + 6), 48, "%s", j.data);
    /* the XML answered: And again, the date as S3 writes it; and it gives the same form */
    cr_assert_eq(gw_lc_xml(j.data, j.len, &x), 0);
    cr_expect(strstr(x.data, "<Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v"
                             "</Value></Tag></And></Filter>") != NULL, "%s", x.data);
    cr_expect(strstr(x.data, "<Date>2030-01-01T00:00:00.000Z</Date>") != NULL, "%s", x.data);
    cr_expect(strstr(x.data, "<Filter><Prefix></Prefix></Filter>") != NULL, "%s", x.data);
    stored(x.data, &j2);
    cr_expect_str_eq(j2.data, j.data);
    cr_expect_eq(gw_lc_xml("{\"Rules\":[]}", 12, &x), CN_EINVAL);
    cn_buf_dispose(&j);
    cn_buf_dispose(&x);
    cn_buf_dispose(&j2);
}

Test(lifecycle_xml, dates, .timeout = 10)
{
    static const struct {
        const char *s;
        int64_t ms; /* -1: refused */
    } d[] = {
        {"2030-01-01T00:00:00Z", 1893456000000ll},
        {"2030-01-01T00:00:00.000Z", 1893456000000ll},
        {" 2030-01-01 ", 1893456000000ll},
        {"2030-01-01T01:30:00+01:30", 1893456000000ll},
        {"2029-12-31T19:00:00-05:00", 1893456000000ll},
        {"2030-01-01T00:00:00+24:00", -1},
        {"2030-01-01T00:00:00", -1},
        {"9999-12-31T23:00:00-05:00", -1},
        {"", -1},
    };

    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        int64_t ms = 0;
        int rc = gw_lc_parse_date(d[i].s, &ms);

        cr_expect_eq(rc, d[i].ms < 0 ? CN_EINVAL : 0, "%s", d[i].s);
        if (d[i].ms >= 0)
            cr_expect_eq(ms, d[i].ms, "%s", d[i].s);
    }
}
