/*
 * gateway/s3/sse_conf.h: a bucket's default encryption (PutBucketEncryption,
 * GetBucketEncryption; issue 20), pure: the ServerSideEncryptionConfiguration document
 * (s3_xmlin.c reads the XML), S3's checks of it, its stored form (the manager's bucket
 * configuration "encryption", compact JSON) and the document GetBucketEncryption answers. No
 * I/O, no globals; messages are static strings.
 *
 * The document: one Rule, holding one ApplyServerSideEncryptionByDefault (one SSEAlgorithm,
 * AES256 | aws:kms | aws:kms:dsse, and at most one KMSMasterKeyID) and at most one
 * BucketKeyEnabled (true | false | 1 | 0, xsd:boolean). S3's answers: MalformedXML for what is
 * not that document (no Rule, two, no default, another algorithm, an empty KMSMasterKeyID, a
 * leaf over 2048 bytes); InvalidArgument for a KMSMasterKeyID with AES256 and for a key id
 * gw_sse_kms_key_id_valid refuses; NotImplemented (501) for aws:kms:dsse, for now.
 * TODO(sse): BlockedEncryptionTypes (S3's SSE-C block) is refused as an unknown element. #20
 */
#ifndef CAIRN_GATEWAY_S3_SSE_CONF_H
#define CAIRN_GATEWAY_S3_SSE_CONF_H

#include <stddef.h>

#include "common/buf.h"
#include "gateway/s3/s3_error.h"
#include "gateway/s3/sse_req.h"

typedef struct gw_sse_conf {
    gw_sse_mode_t mode;                           /* GW_SSE_S3 or GW_SSE_KMS */
    char kms_key_id[GW_SSE_KMS_KEY_ID_MAX + 1];   /* KMS only; "" none (the default key) */
    int bucket_key;                               /* BucketKeyEnabled */
} gw_sse_conf_t;

/** A PutBucketEncryption body: GW_S3_OK with *out, or MalformedXML, InvalidArgument or
 *  NotImplemented (see above) with *msg (NULL for MalformedXML: the table's message); out is
 *  then zeroed. */
gw_s3_err_t gw_sse_conf_parse(const char *xml, size_t n, gw_sse_conf_t *out, const char **msg);
/** The stored form of c appended to out: {"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"...",
 *  "BucketKeyEnabled":true} (KMSMasterKeyID absent when none). */
void gw_sse_conf_encode(const gw_sse_conf_t *c, cn_buf_t *out);
/** The stored form s[0, n) back: 0, or CN_EINVAL when it is not that form or breaks a rule
 *  above (out then zeroed). */
int gw_sse_conf_decode(const char *s, size_t n, gw_sse_conf_t *out);
/** GetBucketEncryption's document for c appended to x. */
void gw_sse_conf_xml(const gw_sse_conf_t *c, cn_buf_t *x);

#endif
