/*
 * tests/unit/gateway/test_s3_error.c: tests gateway/s3/s3_error.c: the code and status of every
 * enum value, the mapping of cluster result codes, and the XML error document.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/s3_error.h"

static const struct {
    gw_s3_err_t e;
    const char *code;
    int status;
} expect[] = {
    {GW_S3_OK, "OK", 200},
    {GW_S3_ACCESS_DENIED, "AccessDenied", 403},
    {GW_S3_AUTH_HEADER_MALFORMED, "AuthorizationHeaderMalformed", 400},
    {GW_S3_BAD_DIGEST, "BadDigest", 400},
    {GW_S3_BUCKET_ALREADY_EXISTS, "BucketAlreadyExists", 409},
    {GW_S3_BUCKET_ALREADY_OWNED_BY_YOU, "BucketAlreadyOwnedByYou", 409},
    {GW_S3_BUCKET_NOT_EMPTY, "BucketNotEmpty", 409},
    {GW_S3_ENTITY_TOO_LARGE, "EntityTooLarge", 400},
    {GW_S3_INCOMPLETE_BODY, "IncompleteBody", 400},
    {GW_S3_INTERNAL_ERROR, "InternalError", 500},
    {GW_S3_INVALID_ACCESS_KEY_ID, "InvalidAccessKeyId", 403},
    {GW_S3_INVALID_ARGUMENT, "InvalidArgument", 400},
    {GW_S3_INVALID_BUCKET_NAME, "InvalidBucketName", 400},
    {GW_S3_INVALID_DIGEST, "InvalidDigest", 400},
    {GW_S3_INVALID_RANGE, "InvalidRange", 416},
    {GW_S3_INVALID_REQUEST, "InvalidRequest", 400},
    {GW_S3_KEY_TOO_LONG, "KeyTooLongError", 400},
    {GW_S3_MALFORMED_XML, "MalformedXML", 400},
    {GW_S3_METHOD_NOT_ALLOWED, "MethodNotAllowed", 405},
    {GW_S3_MISSING_CONTENT_LENGTH, "MissingContentLength", 411},
    {GW_S3_MISSING_SECURITY_HEADER, "MissingSecurityHeader", 400},
    {GW_S3_NO_SUCH_BUCKET, "NoSuchBucket", 404},
    {GW_S3_NO_SUCH_KEY, "NoSuchKey", 404},
    {GW_S3_NO_SUCH_UPLOAD, "NoSuchUpload", 404},
    {GW_S3_NO_SUCH_VERSION, "NoSuchVersion", 404},
    {GW_S3_NOT_IMPLEMENTED, "NotImplemented", 501},
    {GW_S3_PRECONDITION_FAILED, "PreconditionFailed", 412},
    {GW_S3_REQUEST_TIME_TOO_SKEWED, "RequestTimeTooSkewed", 403},
    {GW_S3_SERVICE_UNAVAILABLE, "ServiceUnavailable", 503},
    {GW_S3_SIGNATURE_DOES_NOT_MATCH, "SignatureDoesNotMatch", 403},
    {GW_S3_SLOW_DOWN, "SlowDown", 503},
    {GW_S3_CONTENT_SHA256_MISMATCH, "XAmzContentSHA256Mismatch", 400},
    {GW_S3_EXPIRED_TOKEN, "ExpiredToken", 400},
    {GW_S3_INVALID_PART, "InvalidPart", 400},
    {GW_S3_INVALID_PART_ORDER, "InvalidPartOrder", 400},
    {GW_S3_AUTH_QUERY_PARAMS_ERROR, "AuthorizationQueryParametersError", 400},
    {GW_S3_ENTITY_TOO_SMALL, "EntityTooSmall", 400},
    {GW_S3_MALFORMED_ACL, "MalformedACLError", 400},
    {GW_S3_INVALID_CHUNK_SIZE, "InvalidChunkSizeError", 403},
    {GW_S3_INSUFFICIENT_STORAGE, "InsufficientStorage", 507},
    {GW_S3_METADATA_TOO_LARGE, "MetadataTooLarge", 400},
    {GW_S3_HEADERS_TOO_LARGE, "RequestHeaderSectionTooLarge", 400},
    {GW_S3_QUOTA_EXCEEDED, "QuotaExceeded", 403},
    {GW_S3_ILLEGAL_LOCATION_CONSTRAINT, "IllegalLocationConstraintException", 400},
    {GW_S3_INVALID_LOCATION_CONSTRAINT, "InvalidLocationConstraint", 400},
    {GW_S3_INVALID_STORAGE_CLASS, "InvalidStorageClass", 400},
    {GW_S3_MALFORMED_POLICY, "MalformedPolicy", 400},
    {GW_S3_NO_SUCH_BUCKET_POLICY, "NoSuchBucketPolicy", 404},
    {GW_S3_NO_SUCH_PUBLIC_ACCESS_BLOCK, "NoSuchPublicAccessBlockConfiguration", 404},
    {GW_S3_NO_OWNERSHIP_CONTROLS, "OwnershipControlsNotFoundError", 404},
    {GW_S3_ACL_NOT_SUPPORTED, "AccessControlListNotSupported", 400},
    {GW_S3_UNRESOLVABLE_EMAIL, "UnresolvableGrantByEmailAddress", 400},
    {GW_S3_INVALID_PART_NUMBER, "InvalidPartNumber", 416},
    {GW_S3_INVALID_TAG, "InvalidTag", 400},
    {GW_S3_NO_SUCH_TAG_SET, "NoSuchTagSet", 404},
    {GW_S3_CONDITIONAL_CONFLICT, "ConditionalRequestConflict", 409},
    {GW_S3_MALFORMED_POST_REQUEST, "MalformedPOSTRequest", 400},
    {GW_S3_INVALID_POLICY_DOCUMENT, "InvalidPolicyDocument", 400},
    {GW_S3_MAX_POST_PRE_DATA, "MaxPostPreDataLengthExceededError", 400},
    {GW_S3_INCORRECT_NUMBER_OF_FILES, "IncorrectNumberOfFilesInPostRequest", 400},
    {GW_S3_NO_SUCH_CORS, "NoSuchCORSConfiguration", 404},
    {GW_S3_NO_SUCH_LIFECYCLE, "NoSuchLifecycleConfiguration", 404},
    {GW_S3_NO_OBJECT_LOCK_CONFIG, "ObjectLockConfigurationNotFoundError", 404},
    {GW_S3_NO_SUCH_OBJECT_LOCK, "NoSuchObjectLockConfiguration", 404},
    {GW_S3_INVALID_BUCKET_STATE, "InvalidBucketState", 409},
    {GW_S3_INVALID_TARGET_BUCKET_LOGGING, "InvalidTargetBucketForLogging", 400},
    {GW_S3_CORS_FORBIDDEN, "AccessForbidden", 403},
    {GW_S3_BAD_REQUEST, "BadRequest", 400},
    {GW_S3_INVALID_ENCRYPTION_ALGORITHM, "InvalidEncryptionAlgorithmError", 400},
    {GW_S3_NO_SUCH_ENCRYPTION_CONFIG, "ServerSideEncryptionConfigurationNotFoundError", 404},
    {GW_S3_KMS_NOT_FOUND, "KMS.NotFoundException", 400},
};

Test(s3_error, every_enum_value_has_code_status_message, .timeout = 10)
{
    cr_assert_eq(sizeof(expect) / sizeof(expect[0]), GW_S3_ERR_COUNT,
                 "the test table covers every enum value");
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        cr_assert_eq(expect[i].e, (gw_s3_err_t)i);
        cr_assert_str_eq(gw_s3_err_code(expect[i].e), expect[i].code);
        cr_assert_eq(gw_s3_err_status(expect[i].e), expect[i].status, "%s", expect[i].code);
        cr_assert_not_null(gw_s3_err_message(expect[i].e));
        cr_assert_gt(strlen(gw_s3_err_message(expect[i].e)), 1);
    }
    cr_assert_str_eq(gw_s3_err_message(GW_S3_NO_SUCH_KEY), "The specified key does not exist.");
}

Test(s3_error, out_of_range_is_internal_error, .timeout = 10)
{
    cr_assert_str_eq(gw_s3_err_code(GW_S3_ERR_COUNT), "InternalError");
    cr_assert_eq(gw_s3_err_status((gw_s3_err_t)-1), 500);
    cr_assert_eq(gw_s3_err_status((gw_s3_err_t)12345), 500);
}

Test(s3_error, from_rc, .timeout = 10)
{
    cr_assert_eq(gw_s3_err_from_rc(0), GW_S3_OK);
    cr_assert_eq(gw_s3_err_from_rc(CN_ENOENT), GW_S3_NO_SUCH_KEY);
    cr_assert_eq(gw_s3_err_from_rc(CN_EINVAL), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(gw_s3_err_from_rc(CN_EACCES), GW_S3_ACCESS_DENIED);
    cr_assert_eq(gw_s3_err_from_rc(CN_EAUTH), GW_S3_ACCESS_DENIED);
    cr_assert_eq(gw_s3_err_from_rc(CN_ENOMEM), GW_S3_SLOW_DOWN);
    cr_assert_eq(gw_s3_err_from_rc(CN_EAGAIN), GW_S3_SLOW_DOWN);
    cr_assert_eq(gw_s3_err_from_rc(CN_ETIMEDOUT), GW_S3_SERVICE_UNAVAILABLE);
    cr_assert_eq(gw_s3_err_from_rc(CN_EUNAVAIL), GW_S3_SERVICE_UNAVAILABLE);
    cr_assert_eq(gw_s3_err_from_rc(CN_EQUORUM), GW_S3_SERVICE_UNAVAILABLE);
    cr_assert_eq(gw_s3_err_from_rc(CN_ENOSPC), GW_S3_INSUFFICIENT_STORAGE);
    cr_assert_eq(gw_s3_err_from_rc(CN_ECONNREFUSED), GW_S3_SERVICE_UNAVAILABLE);
    cr_assert_eq(gw_s3_err_from_rc(CN_E2BIG), GW_S3_ENTITY_TOO_LARGE);
    cr_assert_eq(gw_s3_err_from_rc(CN_ENOTEMPTY), GW_S3_BUCKET_NOT_EMPTY);
    cr_assert_eq(gw_s3_err_from_rc(CN_ENAMETOOLONG), GW_S3_KEY_TOO_LONG);
    cr_assert_eq(gw_s3_err_from_rc(CN_ENOTSUP), GW_S3_NOT_IMPLEMENTED);
    cr_assert_eq(gw_s3_err_from_rc(CN_ECORRUPT), GW_S3_INTERNAL_ERROR);
    cr_assert_eq(gw_s3_err_from_rc(CN_EIO), GW_S3_INTERNAL_ERROR);
    cr_assert_eq(gw_s3_err_from_rc(CN_ECOND), GW_S3_PRECONDITION_FAILED);
    cr_assert_eq(gw_s3_err_from_rc(CN_ECONFLICT), GW_S3_CONDITIONAL_CONFLICT);
    cr_assert_eq(gw_s3_err_from_rc(-99999), GW_S3_INTERNAL_ERROR);
}

Test(s3_error, xml_document, .timeout = 10)
{
    cn_buf_t b;

    cn_buf_init(&b);
    gw_s3_err_xml(&b, GW_S3_NO_SUCH_KEY, NULL, "/b/k", "4442587FB7D0A2F9");
    cr_assert_str_eq(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<Error><Code>NoSuchKey</Code>"
                             "<Message>The specified key does not exist.</Message>"
                             "<Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId>"
                             "</Error>");
    cn_buf_dispose(&b);
}

Test(s3_error, xml_escapes_message_and_resource, .timeout = 10)
{
    cn_buf_t b;

    cn_buf_init(&b);
    gw_s3_err_xml(&b, GW_S3_ACCESS_DENIED, "a<b & \"c\" 'd'>", "/b/<k>&\x01\n", NULL);
    cr_assert_str_eq(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<Error><Code>AccessDenied</Code>"
                             "<Message>a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;</Message>"
                             "<Resource>/b/&lt;k&gt;&amp;\xEF\xBF\xBD&#10;</Resource></Error>");
    cn_buf_dispose(&b);
}
