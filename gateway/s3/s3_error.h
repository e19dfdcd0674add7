/*
 * gateway/s3/s3_error.h: the S3 error table (code, HTTP status, message) and the XML error body.
 * One table maps every S3 error the gateway answers; cn_err codes from the cluster map onto it
 * with gw_s3_err_from_rc().
 */
#ifndef CAIRN_GATEWAY_S3_ERROR_H
#define CAIRN_GATEWAY_S3_ERROR_H

#include "common/buf.h"

typedef enum gw_s3_err {
    GW_S3_OK = 0,
    GW_S3_ACCESS_DENIED,                  /* 403 AccessDenied */
    GW_S3_AUTH_HEADER_MALFORMED,          /* 400 AuthorizationHeaderMalformed */
    GW_S3_BAD_DIGEST,                     /* 400 BadDigest */
    GW_S3_BUCKET_ALREADY_EXISTS,          /* 409 BucketAlreadyExists */
    GW_S3_BUCKET_ALREADY_OWNED_BY_YOU,    /* 409 BucketAlreadyOwnedByYou */
    GW_S3_BUCKET_NOT_EMPTY,               /* 409 BucketNotEmpty */
    GW_S3_ENTITY_TOO_LARGE,               /* 400 EntityTooLarge */
    GW_S3_INCOMPLETE_BODY,                /* 400 IncompleteBody */
    GW_S3_INTERNAL_ERROR,                 /* 500 InternalError */
    GW_S3_INVALID_ACCESS_KEY_ID,          /* 403 InvalidAccessKeyId */
    GW_S3_INVALID_ARGUMENT,               /* 400 InvalidArgument */
    GW_S3_INVALID_BUCKET_NAME,            /* 400 InvalidBucketName */
    GW_S3_INVALID_DIGEST,                 /* 400 InvalidDigest */
    GW_S3_INVALID_RANGE,                  /* 416 InvalidRange */
    GW_S3_INVALID_REQUEST,                /* 400 InvalidRequest */
    GW_S3_KEY_TOO_LONG,                   /* 400 KeyTooLongError */
    GW_S3_MALFORMED_XML,                  /* 400 MalformedXML */
    GW_S3_METHOD_NOT_ALLOWED,             /* 405 MethodNotAllowed */
    GW_S3_MISSING_CONTENT_LENGTH,         /* 411 MissingContentLength */
    GW_S3_MISSING_SECURITY_HEADER,        /* 400 MissingSecurityHeader */
    GW_S3_NO_SUCH_BUCKET,                 /* 404 NoSuchBucket */
    GW_S3_NO_SUCH_KEY,                    /* 404 NoSuchKey */
    GW_S3_NO_SUCH_UPLOAD,                 /* 404 NoSuchUpload */
    GW_S3_NO_SUCH_VERSION,                /* 404 NoSuchVersion */
    GW_S3_NOT_IMPLEMENTED,                /* 501 NotImplemented */
    GW_S3_PRECONDITION_FAILED,            /* 412 PreconditionFailed */
    GW_S3_REQUEST_TIME_TOO_SKEWED,        /* 403 RequestTimeTooSkewed */
    GW_S3_SERVICE_UNAVAILABLE,            /* 503 ServiceUnavailable */
    GW_S3_SIGNATURE_DOES_NOT_MATCH,       /* 403 SignatureDoesNotMatch */
    GW_S3_SLOW_DOWN,                      /* 503 SlowDown */
    GW_S3_CONTENT_SHA256_MISMATCH,        /* 400 XAmzContentSHA256Mismatch */
    GW_S3_EXPIRED_TOKEN,                  /* 400 ExpiredToken (presigned URL expired: 403 AccessDenied in S3) */
    GW_S3_INVALID_PART,                   /* 400 InvalidPart */
    GW_S3_INVALID_PART_ORDER,             /* 400 InvalidPartOrder */
    GW_S3_AUTH_QUERY_PARAMS_ERROR,        /* 400 AuthorizationQueryParametersError */
    GW_S3_ENTITY_TOO_SMALL,               /* 400 EntityTooSmall */
    GW_S3_MALFORMED_ACL,                  /* 400 MalformedACLError */
    GW_S3_INVALID_CHUNK_SIZE,             /* 403 InvalidChunkSizeError */
    GW_S3_INSUFFICIENT_STORAGE,           /* 507 InsufficientStorage (a storage node is full) */
    GW_S3_METADATA_TOO_LARGE,             /* 400 MetadataTooLarge (user metadata over 2 KiB) */
    GW_S3_HEADERS_TOO_LARGE,              /* 400 RequestHeaderSectionTooLarge */
    GW_S3_QUOTA_EXCEEDED,                 /* 403 QuotaExceeded (set-bucket-quota) */
    GW_S3_ILLEGAL_LOCATION_CONSTRAINT,    /* 400 IllegalLocationConstraintException */
    GW_S3_INVALID_LOCATION_CONSTRAINT,    /* 400 InvalidLocationConstraint */
    GW_S3_INVALID_STORAGE_CLASS,          /* 400 InvalidStorageClass */
    GW_S3_MALFORMED_POLICY,               /* 400 MalformedPolicy */
    GW_S3_NO_SUCH_BUCKET_POLICY,          /* 404 NoSuchBucketPolicy */
    GW_S3_NO_SUCH_PUBLIC_ACCESS_BLOCK,    /* 404 NoSuchPublicAccessBlockConfiguration */
    GW_S3_NO_OWNERSHIP_CONTROLS,          /* 404 OwnershipControlsNotFoundError */
    GW_S3_ACL_NOT_SUPPORTED,              /* 400 AccessControlListNotSupported */
    GW_S3_UNRESOLVABLE_EMAIL,             /* 400 UnresolvableGrantByEmailAddress */
    GW_S3_INVALID_PART_NUMBER,            /* 416 InvalidPartNumber (GET ?partNumber past the end) */
    GW_S3_INVALID_TAG,                    /* 400 InvalidTag */
    GW_S3_NO_SUCH_TAG_SET,                /* 404 NoSuchTagSet */
    GW_S3_CONDITIONAL_CONFLICT,           /* 409 ConditionalRequestConflict */
    GW_S3_MALFORMED_POST_REQUEST,         /* 400 MalformedPOSTRequest */
    GW_S3_INVALID_POLICY_DOCUMENT,        /* 400 InvalidPolicyDocument (a POST form's policy) */
    GW_S3_MAX_POST_PRE_DATA,              /* 400 MaxPostPreDataLengthExceededError */
    GW_S3_INCORRECT_NUMBER_OF_FILES,      /* 400 IncorrectNumberOfFilesInPostRequest */
    GW_S3_NO_SUCH_CORS,                   /* 404 NoSuchCORSConfiguration */
    GW_S3_NO_SUCH_LIFECYCLE,              /* 404 NoSuchLifecycleConfiguration */
    GW_S3_NO_OBJECT_LOCK_CONFIG,          /* 404 ObjectLockConfigurationNotFoundError */
    GW_S3_NO_SUCH_OBJECT_LOCK,            /* 404 NoSuchObjectLockConfiguration (an object's) */
    GW_S3_INVALID_BUCKET_STATE,           /* 409 InvalidBucketState (object lock, issue 18) */
    GW_S3_INVALID_TARGET_BUCKET_LOGGING,  /* 400 InvalidTargetBucketForLogging */
    GW_S3_CORS_FORBIDDEN,                 /* 403 AccessForbidden (a CORS request no rule allows) */
    GW_S3_BAD_REQUEST,                    /* 400 BadRequest (a preflight without Origin) */
    GW_S3_INVALID_ENCRYPTION_ALGORITHM,   /* 400 InvalidEncryptionAlgorithmError (SSE-C, issue 20) */
    GW_S3_NO_SUCH_ENCRYPTION_CONFIG,      /* 404 ServerSideEncryptionConfigurationNotFoundError */
    GW_S3_KMS_NOT_FOUND,                  /* 400 KMS.NotFoundException (an unknown KMS key id) */
    GW_S3_ERR_COUNT
} gw_s3_err_t;

/** "NoSuchBucket" */
const char *gw_s3_err_code(gw_s3_err_t e);
/** 404 */
int gw_s3_err_status(gw_s3_err_t e);
/** "The specified bucket does not exist." */
const char *gw_s3_err_message(gw_s3_err_t e);
/** Maps a cluster result code (CN_ENOENT on an object -> caller decides; CN_ETIMEDOUT,
 *  CN_EUNAVAIL -> ServiceUnavailable; CN_ENOSPC -> ServiceUnavailable...; anything unknown ->
 *  InternalError). */
gw_s3_err_t gw_s3_err_from_rc(int rc);

/** Appends the S3 XML error document:
 *  <?xml ...?><Error><Code>..</Code><Message>..</Message><Resource>..</Resource>
 *  <RequestId>..</RequestId></Error>. message NULL = the table's message; resource and
 *  request_id may be NULL. Text is XML-escaped. */
void gw_s3_err_xml(cn_buf_t *out, gw_s3_err_t e, const char *message, const char *resource,
                   const char *request_id);

#endif
