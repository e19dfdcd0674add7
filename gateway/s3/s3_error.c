/*
 * gateway/s3/s3_error.c: the one table of S3 errors (code, HTTP status, standard message), the
 * mapping of cluster result codes onto it, and the XML error document.
 * Invariant: the table has exactly one row per gw_s3_err_t value, in enum order (checked by a
 * static_assert on its size and by the unit tests on every row).
 */
#include "gateway/s3/s3_error.h"

#include <assert.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/s3_xml.h"

struct s3_err_row {
    const char *code;
    int status;
    const char *message;
};

static const struct s3_err_row table[] = {
    [GW_S3_OK] = {"OK", 200, "OK"},
    [GW_S3_ACCESS_DENIED] = {"AccessDenied", 403, "Access Denied"},
    [GW_S3_AUTH_HEADER_MALFORMED] = {"AuthorizationHeaderMalformed", 400,
                                     "The authorization header you provided is invalid."},
    [GW_S3_BAD_DIGEST] = {"BadDigest", 400,
                          "The Content-MD5 you specified did not match what we received."},
    [GW_S3_BUCKET_ALREADY_EXISTS] = {"BucketAlreadyExists", 409,
                                     "The requested bucket name is not available. The bucket "
                                     "namespace is shared by all users of the system. Please "
                                     "select a different name and try again."},
    [GW_S3_BUCKET_ALREADY_OWNED_BY_YOU] = {"BucketAlreadyOwnedByYou", 409,
                                           "Your previous request to create the named bucket "
                                           "succeeded and you already own it."},
    [GW_S3_BUCKET_NOT_EMPTY] = {"BucketNotEmpty", 409,
                                "The bucket you tried to delete is not empty"},
    [GW_S3_ENTITY_TOO_LARGE] = {"EntityTooLarge", 400,
                                "Your proposed upload exceeds the maximum allowed object size."},
    [GW_S3_INCOMPLETE_BODY] = {"IncompleteBody", 400,
                               "You did not provide the number of bytes specified by the "
                               "Content-Length HTTP header"},
    [GW_S3_INTERNAL_ERROR] = {"InternalError", 500,
                              "We encountered an internal error. Please try again."},
    [GW_S3_INVALID_ACCESS_KEY_ID] = {"InvalidAccessKeyId", 403,
                                     "The AWS Access Key Id you provided does not exist in our "
                                     "records."},
    [GW_S3_INVALID_ARGUMENT] = {"InvalidArgument", 400, "Invalid Argument"},
    [GW_S3_INVALID_BUCKET_NAME] = {"InvalidBucketName", 400, "The specified bucket is not valid."},
    [GW_S3_INVALID_DIGEST] = {"InvalidDigest", 400, "The Content-MD5 you specified is not valid."},
    [GW_S3_INVALID_RANGE] = {"InvalidRange", 416, "The requested range is not satisfiable"},
    [GW_S3_INVALID_REQUEST] = {"InvalidRequest", 400, "Invalid Request"},
    [GW_S3_KEY_TOO_LONG] = {"KeyTooLongError", 400, "Your key is too long"},
    [GW_S3_MALFORMED_XML] = {"MalformedXML", 400,
                             "The XML you provided was not well-formed or did not validate "
                             "against our published schema"},
    [GW_S3_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405,
                                  "The specified method is not allowed against this resource."},
    [GW_S3_MISSING_CONTENT_LENGTH] = {"MissingContentLength", 411,
                                      "You must provide the Content-Length HTTP header."},
    [GW_S3_MISSING_SECURITY_HEADER] = {"MissingSecurityHeader", 400,
                                       "Your request is missing a required header."},
    [GW_S3_NO_SUCH_BUCKET] = {"NoSuchBucket", 404, "The specified bucket does not exist"},
    [GW_S3_NO_SUCH_KEY] = {"NoSuchKey", 404, "The specified key does not exist."},
    [GW_S3_NO_SUCH_VERSION] = {"NoSuchVersion", 404,
                               "The specified version does not exist."},
    [GW_S3_NO_SUCH_UPLOAD] = {"NoSuchUpload", 404,
                              "The specified upload does not exist. The upload ID may be "
                              "invalid, or the upload may have been aborted or completed."},
    [GW_S3_NOT_IMPLEMENTED] = {"NotImplemented", 501,
                               "A header you provided implies functionality that is not "
                               "implemented"},
    [GW_S3_PRECONDITION_FAILED] = {"PreconditionFailed", 412,
                                   "At least one of the pre-conditions you specified did not "
                                   "hold"},
    [GW_S3_REQUEST_TIME_TOO_SKEWED] = {"RequestTimeTooSkewed", 403,
                                       "The difference between the request time and the "
                                       "current time is too large."},
    [GW_S3_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503, "Reduce your request rate."},
    [GW_S3_INSUFFICIENT_STORAGE] = {"InsufficientStorage", 507,
                                    "Insufficient storage space on the cluster to complete "
                                    "the request; retry later."},
    [GW_S3_METADATA_TOO_LARGE] = {"MetadataTooLarge", 400,
                                  "Your metadata headers exceed the maximum allowed metadata "
                                  "size."},
    [GW_S3_HEADERS_TOO_LARGE] = {"RequestHeaderSectionTooLarge", 400,
                                 "Your request header section exceeds the maximum allowed "
                                 "size."},
    [GW_S3_QUOTA_EXCEEDED] = {"QuotaExceeded", 403, "Bucket quota exceeded."},
    [GW_S3_ILLEGAL_LOCATION_CONSTRAINT] = {"IllegalLocationConstraintException", 400,
                                           "The location constraint is incompatible for the "
                                           "region specific endpoint this request was sent "
                                           "to."},
    [GW_S3_INVALID_LOCATION_CONSTRAINT] = {"InvalidLocationConstraint", 400,
                                           "The specified location-constraint is not valid"},
    [GW_S3_INVALID_STORAGE_CLASS] = {"InvalidStorageClass", 400,
                                     "The storage class you specified is not valid"},
    [GW_S3_MALFORMED_POLICY] = {"MalformedPolicy", 400, "Policies must be valid JSON"},
    [GW_S3_NO_SUCH_BUCKET_POLICY] = {"NoSuchBucketPolicy", 404,
                                     "The bucket policy does not exist"},
    [GW_S3_NO_SUCH_PUBLIC_ACCESS_BLOCK] = {"NoSuchPublicAccessBlockConfiguration", 404,
                                           "The public access block configuration was not "
                                           "found"},
    [GW_S3_NO_OWNERSHIP_CONTROLS] = {"OwnershipControlsNotFoundError", 404,
                                     "The bucket ownership controls were not found"},
    [GW_S3_ACL_NOT_SUPPORTED] = {"AccessControlListNotSupported", 400,
                                 "The bucket does not allow ACLs"},
    [GW_S3_UNRESOLVABLE_EMAIL] = {"UnresolvableGrantByEmailAddress", 400,
                                  "The e-mail address you provided does not match any account "
                                  "on record."},
    [GW_S3_INVALID_PART_NUMBER] = {"InvalidPartNumber", 416,
                                   "The requested partnumber is not satisfiable"},
    [GW_S3_INVALID_TAG] = {"InvalidTag", 400, "The tag provided was not a valid tag."},
    [GW_S3_NO_SUCH_TAG_SET] = {"NoSuchTagSet", 404, "The TagSet does not exist"},
    [GW_S3_CONDITIONAL_CONFLICT] = {"ConditionalRequestConflict", 409,
                                    "A conflicting operation occurred. If using PutObject you "
                                    "can retry the request. If using multipart upload you "
                                    "should initiate another CreateMultipartUpload request and "
                                    "re-upload each part."},
    [GW_S3_MALFORMED_POST_REQUEST] = {"MalformedPOSTRequest", 400,
                                      "The body of your POST request is not well-formed "
                                      "multipart/form-data."},
    [GW_S3_INVALID_POLICY_DOCUMENT] = {"InvalidPolicyDocument", 400,
                                       "The content of the form does not meet the conditions "
                                       "specified in the policy document."},
    [GW_S3_MAX_POST_PRE_DATA] = {"MaxPostPreDataLengthExceededError", 400,
                                 "Your POST request fields preceding the upload file were too "
                                 "large."},
    [GW_S3_INCORRECT_NUMBER_OF_FILES] = {"IncorrectNumberOfFilesInPostRequest", 400,
                                         "POST requires exactly one file upload per request."},
    [GW_S3_NO_SUCH_CORS] = {"NoSuchCORSConfiguration", 404,
                            "The CORS configuration does not exist"},
    [GW_S3_NO_SUCH_LIFECYCLE] = {"NoSuchLifecycleConfiguration", 404,
                                 "The lifecycle configuration does not exist"},
    [GW_S3_NO_OBJECT_LOCK_CONFIG] = {"ObjectLockConfigurationNotFoundError", 404,
                                     "Object Lock configuration does not exist for this bucket"},
    [GW_S3_NO_SUCH_OBJECT_LOCK] = {"NoSuchObjectLockConfiguration", 404,
                                   "The specified object does not have a ObjectLock "
                                   "configuration"},
    [GW_S3_INVALID_BUCKET_STATE] = {"InvalidBucketState", 409,
                                    "The request is not valid with the current state of the "
                                    "bucket."},
    [GW_S3_INVALID_TARGET_BUCKET_LOGGING] = {"InvalidTargetBucketForLogging", 400,
                                             "The target bucket for logging does not exist"},
    [GW_S3_CORS_FORBIDDEN] = {"AccessForbidden", 403,
                              "CORSResponse: This CORS request is not allowed. This is usually "
                              "because the evalution of Origin, request method / "
                              "Access-Control-Request-Method or Access-Control-Request-Headers "
                              "are not whitelisted by the resource's CORS spec."},
    [GW_S3_BAD_REQUEST] = {"BadRequest", 400,
                           "Insufficient information. Origin request header needed."},
    [GW_S3_INVALID_ENCRYPTION_ALGORITHM] = {"InvalidEncryptionAlgorithmError", 400,
                                            "The Encryption request you specified is not valid. "
                                            "Supported value: AES256."},
    [GW_S3_NO_SUCH_ENCRYPTION_CONFIG] = {"ServerSideEncryptionConfigurationNotFoundError", 404,
                                         "The server side encryption configuration was not "
                                         "found"},
    [GW_S3_KMS_NOT_FOUND] = {"KMS.NotFoundException", 400, "Invalid keyId"},
    [GW_S3_SIGNATURE_DOES_NOT_MATCH] = {"SignatureDoesNotMatch", 403,
                                        "The request signature we calculated does not match "
                                        "the signature you provided. Check your key and "
                                        "signing method."},
    [GW_S3_SLOW_DOWN] = {"SlowDown", 503, "Please reduce your request rate."},
    [GW_S3_CONTENT_SHA256_MISMATCH] = {"XAmzContentSHA256Mismatch", 400,
                                       "The provided 'x-amz-content-sha256' header does not "
                                       "match what was computed."},
    [GW_S3_EXPIRED_TOKEN] = {"ExpiredToken", 400, "The provided token has expired."},
    [GW_S3_INVALID_PART] = {"InvalidPart", 400,
                            "One or more of the specified parts could not be found. The part "
                            "may not have been uploaded, or the specified entity tag may not "
                            "match the part's entity tag."},
    [GW_S3_INVALID_PART_ORDER] = {"InvalidPartOrder", 400,
                                  "The list of parts was not in ascending order. Parts must be "
                                  "ordered by part number."},
    [GW_S3_AUTH_QUERY_PARAMS_ERROR] = {"AuthorizationQueryParametersError", 400,
                                       "Query-string authentication version 4 requires the "
                                       "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                                       "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires "
                                       "parameters."},
    [GW_S3_ENTITY_TOO_SMALL] = {"EntityTooSmall", 400,
                                "Your proposed upload is smaller than the minimum allowed "
                                "object size."},
    [GW_S3_MALFORMED_ACL] = {"MalformedACLError", 400,
                             "The XML you provided was not well-formed or did not validate "
                             "against our published schema."},
    [GW_S3_INVALID_CHUNK_SIZE] = {"InvalidChunkSizeError", 403,
                                  "Only the last chunk is allowed to have a size less than "
                                  "8192 bytes"},
};

static_assert(sizeof(table) / sizeof(table[0]) == GW_S3_ERR_COUNT,
              "one S3 error row per gw_s3_err_t value");

/* Out-of-range values (a caller's bug or a cast from the wire) answer as InternalError. */
static const struct s3_err_row *row(gw_s3_err_t e)
{
    if ((unsigned)e >= GW_S3_ERR_COUNT)
        return &table[GW_S3_INTERNAL_ERROR];
    return &table[e];
}

const char *gw_s3_err_code(gw_s3_err_t e)
{
    return row(e)->code;
}

int gw_s3_err_status(gw_s3_err_t e)
{
    return row(e)->status;
}

const char *gw_s3_err_message(gw_s3_err_t e)
{
    return row(e)->message;
}

gw_s3_err_t gw_s3_err_from_rc(int rc)
{
    switch (rc) {
    case CN_OK:
        return GW_S3_OK;
    case CN_ENOENT:
        return GW_S3_NO_SUCH_KEY;         /* the caller knows when it is a bucket or upload */
    case CN_EEXIST:
        return GW_S3_BUCKET_ALREADY_OWNED_BY_YOU;
    case CN_EINVAL:
        return GW_S3_INVALID_ARGUMENT;
    case CN_EACCES:
    case CN_EPERM:
    case CN_EAUTH:
        return GW_S3_ACCESS_DENIED;
    case CN_ENOMEM:                       /* cn_try_malloc failed on a peer-chosen size */
    case CN_EAGAIN:
    case CN_EBUSY:
        return GW_S3_SLOW_DOWN;
    case CN_ENOSPC:
        return GW_S3_INSUFFICIENT_STORAGE;
    case CN_ETIMEDOUT:
    case CN_ECONNREFUSED:
    case CN_ECONNRESET:
    case CN_ECANCELED:
    case CN_EUNAVAIL:
    case CN_EQUORUM:
    case CN_ERING:
    case CN_ESTALE:                       /* retrying gets a newer clock */
    case CN_ENOTLEADER:                   /* the managers are electing a leader */
        return GW_S3_SERVICE_UNAVAILABLE;
    case CN_E2BIG:
        return GW_S3_ENTITY_TOO_LARGE;
    case CN_ENOTEMPTY:
        return GW_S3_BUCKET_NOT_EMPTY;
    case CN_ENAMETOOLONG:
        return GW_S3_KEY_TOO_LONG;
    case CN_ECOND:
        return GW_S3_PRECONDITION_FAILED;
    case CN_ECONFLICT:
        return GW_S3_CONDITIONAL_CONFLICT;
    case CN_ENOTSUP:                      /* no key service: SSE-S3/SSE-KMS are not set up */
        return GW_S3_NOT_IMPLEMENTED;
    default:                              /* CN_EIO, CN_ECORRUPT, CN_EPROTO, CN_ECONFIG, ... */
        return GW_S3_INTERNAL_ERROR;
    }
}

void gw_s3_err_xml(cn_buf_t *out, gw_s3_err_t e, const char *message, const char *resource,
                   const char *request_id)
{
    gw_xml_decl(out);
    gw_xml_open(out, "Error");
    gw_xml_str_elem(out, "Code", gw_s3_err_code(e));
    gw_xml_str_elem(out, "Message", message ? message : gw_s3_err_message(e));
    if (resource)
        gw_xml_str_elem(out, "Resource", resource);
    if (request_id)
        gw_xml_str_elem(out, "RequestId", request_id);
    gw_xml_close(out, "Error");
}
