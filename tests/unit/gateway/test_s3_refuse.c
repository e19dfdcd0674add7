/*
 * tests/unit/gateway/test_s3_refuse.c: tests gateway/s3/s3_refuse.c: one row per case of "never
 * a wrong success" (issue 13), and the rows that must still pass; then the CreateBucket
 * LocationConstraint decision for a us-east-1 and an eu-west-1 gateway.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/s3/s3_refuse.h"

#define NHDR 3

struct row {
    gw_op_t op;
    const char *query;            /* NULL: none */
    const char *hdr[NHDR][2];     /* lower-case name, value */
    gw_s3_err_t want;
};

static cn_slice_t lookup(const void *arg, const char *lname)
{
    const struct row *r = arg;

    for (int i = 0; i < NHDR && r->hdr[i][0]; i++)
        if (strcmp(r->hdr[i][0], lname) == 0)
            return cn_slice(r->hdr[i][1], strlen(r->hdr[i][1]));
    return cn_slice(NULL, 0);
}

#define NI GW_S3_NOT_IMPLEMENTED
#define OK GW_S3_OK
#define BAD GW_S3_INVALID_ARGUMENT
#define AES {"x-amz-server-side-encryption", "AES256"}
#define ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"

static const struct row rows[] = {
    /* plain requests go on */
    {GW_OP_PUT_OBJECT, NULL, {{0}}, OK},
    {GW_OP_GET_OBJECT, "response-content-type=a", {{"if-match", "\"e\""}}, OK},
    {GW_OP_HEAD_OBJECT, NULL, {{"if-none-match", "*"}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-acl", "public-read"}}, OK},
    {GW_OP_LIST_MULTIPART_UPLOADS, "uploads&prefix=a", {{0}}, OK},
    {GW_OP_LIST_MULTIPART_UPLOADS, "uploads&delimiter=", {{0}}, OK},
    {GW_OP_LIST_OBJECTS, "delimiter=/", {{0}}, OK},
    {GW_OP_UPLOAD_PART, "partNumber=1&uploadId=x", {{0}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k"}}, OK},
    /* SSE-C on a read: s3_sse.c decides with the object's record (issue 20) */
    {GW_OP_GET_OBJECT, NULL, {{"x-amz-server-side-encryption-customer-algorithm", "AES256"}}, OK},
    {GW_OP_HEAD_OBJECT, NULL, {{"x-amz-server-side-encryption-customer-key-md5", "x"}}, OK},
    /* POST object and OPTIONS */
    {GW_OP_POST_OBJECT, NULL, {{"content-type", "multipart/form-data; boundary=x"}}, OK},
    /* a preflight is answered from the bucket's CORS rules (s3_cors.c), before this */
    {GW_OP_OPTIONS, NULL, {{"origin", "http://a"}, {"access-control-request-method", "PUT"}}, OK},
    /* conditional writes and deletes are honoured (issue 16; s3_wcond.c and the key's
     * coordinator): not refused here any more (a CopyObject with one is, in s3_object.c) */
    {GW_OP_PUT_OBJECT, NULL, {{"if-none-match", "*"}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"if-match", "\"e\""}}, OK},
    {GW_OP_COMPLETE_MULTIPART, "uploadId=x", {{"if-none-match", "*"}}, OK},
    {GW_OP_DELETE_OBJECT, NULL, {{"if-match", "\"e\""}}, OK},
    {GW_OP_DELETE_OBJECT, NULL, {{"x-amz-if-match-size", "5"}}, OK},
    {GW_OP_DELETE_OBJECT, NULL, {{"x-amz-if-match-last-modified-time", "x"}}, OK},
    /* versionId: the operations on one object take null and our IDs (common/version.h), and
     * another is S3's 400; the others take only null so far */
    {GW_OP_GET_OBJECT, "versionId=null", {{0}}, OK},
    {GW_OP_HEAD_OBJECT, "versionId=null", {{0}}, OK},
    {GW_OP_DELETE_OBJECT, "versionId=null", {{0}}, OK},
    {GW_OP_GET_OBJECT, "versionId=ffffe6b1c2d3e4f5a1b2c3d4", {{0}}, OK},
    {GW_OP_DELETE_OBJECT, "versionId=ffffe6b1c2d3e4f5a1b2c3d4", {{0}}, OK},
    {GW_OP_GET_OBJECT, "versionId=ffffe6b1c2d3e4f5a1b2c3dX", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", {{0}}, BAD},
    {GW_OP_HEAD_OBJECT, "versionId=v1", {{0}}, BAD},
    {GW_OP_DELETE_OBJECT, "versionId=v1", {{0}}, BAD},
    {GW_OP_GET_OBJECT_ACL, "acl&versionId=v1", {{0}}, BAD},
    {GW_OP_PUT_OBJECT_ACL, "acl&versionId=v1", {{0}}, BAD},
    {GW_OP_GET_OBJECT_TAGGING, "tagging&versionId=v1", {{0}}, BAD},
    {GW_OP_PUT_OBJECT_TAGGING, "tagging&versionId=v1", {{0}}, BAD},
    {GW_OP_DELETE_OBJECT_TAGGING, "tagging&versionId=v1", {{0}}, BAD},
    {GW_OP_PUT_OBJECT_TAGGING, "tagging&versionId=null", {{0}}, OK},
    {GW_OP_DELETE_OBJECT_TAGGING, "tagging&versionId=", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "versionId=", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "versionId", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "versionId=%zz", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "versionId=NULL", {{0}}, BAD},
    {GW_OP_GET_OBJECT_ACL, "acl&versionId=ffffe6b1c2d3e4f5a1b2c3d4", {{0}}, OK},
    {GW_OP_GET_OBJECT_TAGGING, "tagging&versionId=ffffe6b1c2d3e4f5a1b2c3d4", {{0}}, OK},
    /* the copy source's versionId */
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "/b/k?versionId=null"}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k?versionId=v1"}}, BAD},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k?versionId=ffffe6b1c2d3e4f5a1b2c3d4"}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k?versionId="}}, BAD},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k%3FversionId%3Dv1"}}, OK},
    {GW_OP_UPLOAD_PART, "partNumber=1&uploadId=x", {{"x-amz-copy-source", "b/k?versionId=v1"}},
     BAD},
    /* partNumber on GET and HEAD: 1..10000 (s3_object.c answers), else InvalidArgument */
    {GW_OP_GET_OBJECT, "partNumber=1", {{0}}, OK},
    {GW_OP_HEAD_OBJECT, "partNumber=10000", {{0}}, OK},
    {GW_OP_GET_OBJECT, "partNumber=0", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "partNumber=10001", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "partNumber=1a", {{0}}, BAD},
    {GW_OP_GET_OBJECT, "partNumber=", {{0}}, BAD},
    /* server-side encryption: PutObject's is s3_sse.c's (issue 20; a CopyObject's is refused
     * in s3_copy.c), the other writes refuse it here */
    {GW_OP_PUT_OBJECT, NULL, {AES}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-server-side-encryption-aws-kms-key-id", "k"}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-server-side-encryption-bucket-key-enabled", "true"}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-server-side-encryption-customer-algorithm", "AES256"}},
     OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k"}, AES}, OK},
    {GW_OP_PUT_OBJECT, NULL,
     {{"x-amz-copy-source", "b/k"},
      {"x-amz-copy-source-server-side-encryption-customer-key", "a2V5"}},
     OK},
    {GW_OP_UPLOAD_PART, "partNumber=1&uploadId=x",
     {{"x-amz-copy-source", "b/k"},
      {"x-amz-copy-source-server-side-encryption-customer-key", "a2V5"}},
     OK},
    {GW_OP_CREATE_MULTIPART, "uploads", {{"x-amz-server-side-encryption", "aws:kms"}}, OK},
    {GW_OP_UPLOAD_PART, "partNumber=1&uploadId=x",
     {{"x-amz-server-side-encryption-customer-key-md5", "bWQ1"}}, OK},
    {GW_OP_COMPLETE_MULTIPART, "uploadId=x",
     {{"x-amz-server-side-encryption-customer-key", "a2V5"}}, NI},
    {GW_OP_GET_OBJECT, NULL, {AES}, OK},
    /* object lock: honoured (s3_objlock.c reads the headers); only a CreateBucket value that
     * is neither true nor false is refused here */
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-object-lock-mode", "GOVERNANCE"}}, OK},
    {GW_OP_CREATE_MULTIPART, "uploads", {{"x-amz-object-lock-legal-hold", "ON"}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-bucket-object-lock-enabled", "true"}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-bucket-object-lock-enabled", "True"}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-bucket-object-lock-enabled", "false"}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-bucket-object-lock-enabled", "maybe"}}, BAD},
    /* storage classes */
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-storage-class", "STANDARD"}}, OK},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-storage-class", "GLACIER"}}, NI},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-copy-source", "b/k"}, {"x-amz-storage-class", "STANDARD_IA"}},
     NI},
    {GW_OP_CREATE_MULTIPART, "uploads", {{"x-amz-storage-class", "REDUCED_REDUNDANCY"}}, NI},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-storage-class", "FOO"}}, GW_S3_INVALID_STORAGE_CLASS},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-storage-class", "standard"}}, GW_S3_INVALID_STORAGE_CLASS},
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-storage-class", ""}}, GW_S3_INVALID_STORAGE_CLASS},
    /* website redirects */
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-website-redirect-location", "/other"}}, NI},
    {GW_OP_CREATE_MULTIPART, "uploads", {{"x-amz-website-redirect-location", "/other"}}, NI},
    /* grants are taken now (issue 15: gateway/s3/s3_grants.c decides them) */
    {GW_OP_PUT_OBJECT, NULL, {{"x-amz-grant-read", "uri=\"" ALL_USERS "\""}}, OK},
    {GW_OP_PUT_OBJECT, NULL,
     {{"x-amz-copy-source", "b/k"}, {"x-amz-grant-full-control", "id=\"x\""}},
     OK},
    {GW_OP_CREATE_MULTIPART, "uploads", {{"x-amz-grant-read-acp", "id=\"x\""}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-grant-write", "id=\"x\""}}, OK},
    /* object ownership at CreateBucket: objects belong to their writers here */
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-object-ownership", "ObjectWriter"}}, OK},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-object-ownership", "BucketOwnerEnforced"}}, NI},
    {GW_OP_CREATE_BUCKET, NULL, {{"x-amz-object-ownership", "Nobody"}}, BAD},
    /* ListMultipartUploads' delimiter (s3_multipart.c) */
    {GW_OP_LIST_MULTIPART_UPLOADS, "uploads&delimiter=/", {{0}}, OK},
    /* GetObjectAttributes: any version of ours, no SSE-C */
    {GW_OP_GET_OBJECT_ATTRIBUTES, "attributes&versionId=v1", {{0}}, BAD},
    {GW_OP_GET_OBJECT_ATTRIBUTES, "attributes",
     {{"x-amz-server-side-encryption-customer-key", "k"}}, NI},
};

Test(s3_refuse, every_row_of_the_table, .timeout = 10)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        const char *msg = "unset";
        gw_s3_err_t e = gw_refuse_check(r->op, r->query, r->query ? strlen(r->query) : 0, lookup,
                                        r, &msg);

        cr_expect_eq(e, r->want, "row %zu (op %d, query %s, %s): got %s, want %s", i, r->op,
                     r->query ? r->query : "-", r->hdr[0][0] ? r->hdr[0][0] : "-",
                     gw_s3_err_code(e), gw_s3_err_code(r->want));
        if (e == GW_S3_OK)
            cr_expect_null(msg, "row %zu: no message when the request goes on", i);
        else
            cr_expect(msg && strlen(msg) > 10, "row %zu: a message says why", i);
    }
}

Test(s3_refuse, messages_name_the_feature, .timeout = 10)
{
    const struct row sse = {GW_OP_UPLOAD_PART, "partNumber=1&uploadId=x", {AES}, NI};
    const struct row ver = {GW_OP_GET_OBJECT_TAGGING, "tagging&versionId=v1", {{0}}, BAD};
    const char *msg;

    gw_refuse_check(sse.op, sse.query, strlen(sse.query), lookup, &sse, &msg);
    cr_expect(strstr(msg, "encryption") != NULL, "%s", msg);
    gw_refuse_check(ver.op, ver.query, strlen(ver.query), lookup, &ver, &msg);
    cr_expect(strstr(msg, "version id") != NULL, "%s", msg);
}

Test(s3_refuse, location_constraint_on_us_east_1, .timeout = 10)
{
    char msg[256];

    cr_expect_eq(gw_refuse_location("", "us-east-1", msg, sizeof(msg)), GW_S3_OK);
    cr_expect_eq(gw_refuse_location("us-east-1", "us-east-1", msg, sizeof(msg)),
                 GW_S3_INVALID_LOCATION_CONSTRAINT);
    cr_expect_eq(gw_refuse_location("eu-west-1", "us-east-1", msg, sizeof(msg)),
                 GW_S3_ILLEGAL_LOCATION_CONSTRAINT);
    cr_expect(strstr(msg, "The eu-west-1 location constraint is incompatible") == msg, "%s",
              msg);
    cr_expect_eq(gw_refuse_location("EU", "us-east-1", msg, sizeof(msg)),
                 GW_S3_ILLEGAL_LOCATION_CONSTRAINT);
}

Test(s3_refuse, location_constraint_on_another_region, .timeout = 10)
{
    char msg[256];

    cr_expect_eq(gw_refuse_location("eu-west-1", "eu-west-1", msg, sizeof(msg)), GW_S3_OK);
    cr_expect_eq(gw_refuse_location("EU", "eu-west-1", msg, sizeof(msg)), GW_S3_OK);
    cr_expect_eq(gw_refuse_location("", "eu-west-1", msg, sizeof(msg)),
                 GW_S3_ILLEGAL_LOCATION_CONSTRAINT);
    cr_expect(strstr(msg, "The unspecified location constraint") == msg, "%s", msg);
    cr_expect_eq(gw_refuse_location("us-east-1", "eu-west-1", msg, sizeof(msg)),
                 GW_S3_ILLEGAL_LOCATION_CONSTRAINT);
    cr_expect_eq(gw_refuse_location("us-west-2", "eu-west-1", msg, sizeof(msg)),
                 GW_S3_ILLEGAL_LOCATION_CONSTRAINT);
    cr_expect_eq(gw_refuse_location("eu-west-1 ", "eu-west-1", msg, sizeof(msg)),
                 GW_S3_ILLEGAL_LOCATION_CONSTRAINT);
}
