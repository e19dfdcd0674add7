/*
 * gateway/s3/s3_list_versions.h: ListObjectVersions (issue 16). Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_LIST_VERSIONS_H
#define CAIRN_GATEWAY_S3_LIST_VERSIONS_H

#include "gateway/s3/s3_req.h"

/** GET /bucket?versions: prefix, delimiter, key-marker, version-id-marker, max-keys,
 *  encoding-type; Version and DeleteMarker elements newest first per key. */
void gw_s3_list_object_versions(gw_req_t *r);

#endif
