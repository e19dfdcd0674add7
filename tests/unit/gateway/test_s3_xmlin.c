/*
 * tests/unit/gateway/test_s3_xmlin.c: tests gateway/s3/s3_xmlin.c: the XML request bodies of
 * CompleteMultipartUpload, DeleteObjects, Put*Acl and CreateBucket, including malformed and
 * hostile input (DOCTYPE/entities, deep nesting, limits).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "gateway/s3/s3_xmlin.h"

static int complete(const char *x, gw_xml_part_t **p, size_t *n)
{
    return gw_xml_parse_complete(x, strlen(x), p, n);
}

Test(xmlin, complete_parses_parts_with_namespace_and_quotes, .timeout = 5)
{
    gw_xml_part_t *p;
    size_t n;
    const char *x =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        " <Part><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag><PartNumber>1</PartNumber></Part>"
        " <Part><PartNumber> 2 </PartNumber><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;"
        "</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
        "</CompleteMultipartUpload>";
    cr_assert_eq(complete(x, &p, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0].number, 1);
    cr_assert_str_eq(p[0].etag, "a54357aff0632cce46d942af68356b38");
    cr_assert_eq(p[1].number, 2);
    cr_assert_str_eq(p[1].etag, "0c78aef83f66abc1fa1e8477f296d394");
    cn_free(p);
}

Test(xmlin, complete_rejects_malformed_bodies, .timeout = 5)
{
    static const char *const bad[] = {
        "",
        "<CompleteMultipartUpload/>",                                   /* no parts */
        "<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
        "</CompleteMultipartUpload>",                                   /* no ETag */
        "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>",
        "<CompleteMultipartUpload><Bogus/></CompleteMultipartUpload>",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><CompleteMultipartUpload><Part><PartNumber>1"
        "</PartNumber><ETag>&a;</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag><a><b><c><d><e><f><g>"
        "</g></f></e></d></c></b></a></ETag></Part></CompleteMultipartUpload>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gw_xml_part_t *p = (void *)1;
        size_t n = 7;
        cr_assert_eq(complete(bad[i], &p, &n), CN_EINVAL, "body %zu", i);
        cr_assert_null(p);
        cr_assert_eq(n, 0);
    }
}

Test(xmlin, complete_keeps_document_order_for_the_caller_to_check, .timeout = 5)
{
    gw_xml_part_t *p;
    size_t n;
    const char *x = "<CompleteMultipartUpload><Part><PartNumber>3</PartNumber><ETag>c</ETag>"
                    "</Part><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part>"
                    "</CompleteMultipartUpload>";
    cr_assert_eq(complete(x, &p, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0].number, 3);
    cr_assert_eq(p[1].number, 2);
    cn_free(p);
}

Test(xmlin, delete_parses_keys_and_quiet, .timeout = 5)
{
    gw_xml_delete_t d;
    const char *x = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
                    "<Object><Key>a &amp; b</Key></Object><Object><Key>dir/é x</Key>"
                    "<VersionId>null</VersionId></Object></Delete>";
    cr_assert_eq(gw_xml_parse_delete(x, strlen(x), &d), 0);
    cr_assert_eq(d.quiet, 1);
    cr_assert_eq(d.n, 2);
    cr_assert_str_eq(d.keys[0], "a & b");
    cr_assert_str_eq(d.keys[1], "dir/é x");
    cr_assert_eq(d.key_lens[1], strlen("dir/é x"));
    cr_assert_null(d.unsupported);
    cr_assert_null(d.vids[0]);
    cr_assert_str_eq(d.vids[1], "null");
    gw_xml_delete_dispose(&d);
}

Test(xmlin, delete_keeps_each_version_id, .timeout = 5)
{
    gw_xml_delete_t d;
    const char *x = "<Delete><Object><Key>k</Key><VersionId>3HL4kqtJ</VersionId></Object>"
                    "<Object><Key>k</Key></Object></Delete>";
    const char *twice = "<Delete><Object><Key>k</Key><VersionId>a</VersionId>"
                        "<VersionId>b</VersionId></Object></Delete>";

    cr_assert_eq(gw_xml_parse_delete(x, strlen(x), &d), 0);
    cr_assert_null(d.unsupported, "a version's form is judged per key by the caller");
    cr_assert_str_eq(d.vids[0], "3HL4kqtJ");
    cr_assert_null(d.vids[1]);
    gw_xml_delete_dispose(&d);
    cr_assert_eq(gw_xml_parse_delete(twice, strlen(twice), &d), CN_EINVAL);
    gw_xml_delete_dispose(&d);
}

Test(xmlin, delete_flags_what_cannot_be_honoured, .timeout = 5)
{
    static const char *const cases[][2] = {
        {"<Delete><Object><Key>k</Key><ETag>\"abc\"</ETag></Object></Delete>", "ETag"},
        {"<Delete><Object><Key>k</Key><Size>3</Size></Object></Delete>", "Size"},
        {"<Delete><Object><Key>k</Key><LastModifiedTime>2026-01-01T00:00:00Z</LastModifiedTime>"
         "</Object></Delete>", "LastModifiedTime"},
    };
    gw_xml_delete_t d;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(gw_xml_parse_delete(cases[i][0], strlen(cases[i][0]), &d), 0);
        cr_assert_not_null(d.unsupported, "case %zu", i);
        cr_assert_str_eq(d.unsupported, cases[i][1]);
        gw_xml_delete_dispose(&d);
    }
}

Test(xmlin, delete_limits_and_errors, .timeout = 10)
{
    gw_xml_delete_t d;
    cn_buf_t b;
    const char *nokey = "<Delete><Object></Object></Delete>";
    const char *empty = "<Delete><Quiet>false</Quiet></Delete>";

    cr_assert_eq(gw_xml_parse_delete(nokey, strlen(nokey), &d), CN_EINVAL);
    gw_xml_delete_dispose(&d);
    cr_assert_eq(gw_xml_parse_delete(empty, strlen(empty), &d), CN_EINVAL);
    gw_xml_delete_dispose(&d);
    cn_buf_init(&b);
    cn_buf_append_str(&b, "<Delete>");
    for (int i = 0; i < 1000; i++)
        cn_buf_appendf(&b, "<Object><Key>k%d</Key></Object>", i);
    cn_buf_append_str(&b, "</Delete>");
    cr_assert_eq(gw_xml_parse_delete(b.data, b.len, &d), 0);
    cr_assert_eq(d.n, 1000);
    gw_xml_delete_dispose(&d);
    b.len -= strlen("</Delete>");
    cn_buf_append_str(&b, "<Object><Key>one-too-many</Key></Object></Delete>");
    cr_assert_eq(gw_xml_parse_delete(b.data, b.len, &d), CN_EINVAL);
    gw_xml_delete_dispose(&d);
    cn_buf_dispose(&b);
}

Test(xmlin, acl_bodies_give_their_grants, .timeout = 5)
{
    gw_xml_acl_t *a = cn_calloc(1, sizeof(*a));
    const char *head = "<AccessControlPolicy><Owner><ID>AK</ID></Owner><AccessControlList>"
                       "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                       "xsi:type=\"CanonicalUser\"><ID>AK</ID><DisplayName>x</DisplayName>"
                       "</Grantee><Permission>FULL_CONTROL</Permission></Grant>";
    const char *all_read = "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                           " xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/"
                           "AllUsers</URI></Grantee><Permission>READ</Permission></Grant>";
    /* without xsi:type the element inside names the grantee's type */
    const char *all_write = "<Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/"
                            "AllUsers</URI></Grantee><Permission>WRITE</Permission></Grant>";
    const char *email = "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                        " xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>b@example.com"
                        "</EmailAddress></Grantee><Permission>READ_ACP</Permission></Grant>";
    const char *tail = "</AccessControlList></AccessControlPolicy>";
    static const char *const bad[] = {
        /* an unknown permission, a type that does not match its element, an unknown type,
         * a grant without a grantee, without a permission, two IDs */
        "<Grant><Grantee><ID>x</ID></Grantee><Permission>ALL</Permission></Grant>",
        "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:type=\"Group\"><ID>x</ID></Grantee><Permission>READ</Permission></Grant>",
        "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:type=\"Role\"><ID>x</ID></Grantee><Permission>READ</Permission></Grant>",
        "<Grant><Permission>READ</Permission></Grant>",
        "<Grant><Grantee><ID>x</ID></Grantee></Grant>",
        "<Grant><Grantee><ID>x</ID><ID>y</ID></Grantee><Permission>READ</Permission></Grant>",
    };
    char x[4096];

    snprintf(x, sizeof(x), "%s%s", head, tail);
    cr_assert_eq(gw_xml_parse_acl(x, strlen(x), a), 0);
    cr_assert_str_eq(a->owner, "AK");
    cr_assert_eq(a->n, 1);
    cr_assert_eq(a->grants[0].type, GW_XML_GRANTEE_ID);
    cr_assert_str_eq(a->grants[0].value, "AK");
    cr_assert_str_eq(a->grants[0].perm, "FULL_CONTROL");
    snprintf(x, sizeof(x), "%s%s%s%s%s", head, all_read, all_write, email, tail);
    cr_assert_eq(gw_xml_parse_acl(x, strlen(x), a), 0);
    cr_assert_eq(a->n, 4);
    cr_assert_eq(a->grants[1].type, GW_XML_GRANTEE_GROUP);
    cr_assert_str_eq(a->grants[1].value, "http://acs.amazonaws.com/groups/global/AllUsers");
    cr_assert_eq(a->grants[2].type, GW_XML_GRANTEE_GROUP);
    cr_assert_str_eq(a->grants[2].perm, "WRITE");
    cr_assert_eq(a->grants[3].type, GW_XML_GRANTEE_EMAIL);
    cr_assert_str_eq(a->grants[3].value, "b@example.com");
    cr_assert_str_eq(a->grants[3].perm, "READ_ACP");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(x, sizeof(x), "%s%s%s", head, bad[i], tail);
        cr_expect_eq(gw_xml_parse_acl(x, strlen(x), a), CN_EINVAL, "bad[%zu]", i);
    }
    cr_assert_eq(gw_xml_parse_acl("<Nope/>", 7, a), CN_EINVAL);
    /* no Owner: parsed (the caller decides), 101 grants: too many */
    snprintf(x, sizeof(x), "<AccessControlPolicy><AccessControlList>%s</AccessControlList>"
                           "</AccessControlPolicy>", all_read);
    cr_assert_eq(gw_xml_parse_acl(x, strlen(x), a), 0);
    cr_assert_eq(a->has_owner, 0);
    {
        cn_buf_t b;

        cn_buf_init(&b);
        cn_buf_append_str(&b, "<AccessControlPolicy><AccessControlList>");
        for (int i = 0; i < 101; i++)
            cn_buf_append_str(&b, all_read);
        cn_buf_append_str(&b, "</AccessControlList></AccessControlPolicy>");
        cr_assert_eq(gw_xml_parse_acl(b.data, b.len, a), CN_EINVAL);
        cn_buf_dispose(&b);
    }
    cn_free(a);
}

Test(xmlin, location_constraint, .timeout = 5)
{
    char region[64];
    const char *x = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<LocationConstraint>eu-west-1</LocationConstraint>"
                    "</CreateBucketConfiguration>";
    cr_assert_eq(gw_xml_parse_location(x, strlen(x), region, sizeof(region)), 0);
    cr_assert_str_eq(region, "eu-west-1");
    cr_assert_eq(gw_xml_parse_location("  ", 2, region, sizeof(region)), 0);
    cr_assert_str_eq(region, "");
    cr_assert_eq(gw_xml_parse_location("<x", 2, region, sizeof(region)), CN_EINVAL);
    /* without a namespace; an empty LocationConstraint or none is us-east-1 (""); a wrong
     * root is malformed */
    x = "<CreateBucketConfiguration><LocationConstraint>ap-south-1</LocationConstraint>"
        "</CreateBucketConfiguration>";
    cr_assert_eq(gw_xml_parse_location(x, strlen(x), region, sizeof(region)), 0);
    cr_assert_str_eq(region, "ap-south-1");
    x = "<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>";
    cr_assert_eq(gw_xml_parse_location(x, strlen(x), region, sizeof(region)), 0);
    cr_assert_str_eq(region, "");
    x = "<CreateBucketConfiguration/>";
    cr_assert_eq(gw_xml_parse_location(x, strlen(x), region, sizeof(region)), 0);
    cr_assert_str_eq(region, "");
    x = "<LocationConstraint>eu-west-1</LocationConstraint>";
    cr_assert_eq(gw_xml_parse_location(x, strlen(x), region, sizeof(region)), CN_EINVAL);
}
