/*
 * gateway/s3/s3_attributes.h: GetObjectAttributes (GET /bucket/key?attributes, issue 16):
 * the ETag, checksum, parts, storage class and size of an object or of one of its versions,
 * as x-amz-object-attributes asks (s3_attributes.c). Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_ATTRIBUTES_H
#define CAIRN_GATEWAY_S3_ATTRIBUTES_H

#include <stdint.h>

#include "gateway/s3/s3_req.h"

/* The attributes x-amz-object-attributes may name, as bits */
#define GW_ATTR_ETAG 0x01u
#define GW_ATTR_CHECKSUM 0x02u
#define GW_ATTR_OBJECT_PARTS 0x04u
#define GW_ATTR_STORAGE_CLASS 0x08u
#define GW_ATTR_OBJECT_SIZE 0x10u

/** Parses an x-amz-object-attributes value ("ETag,ObjectSize", names as S3 spells them,
 *  white space around each allowed, several headers joined by ',') into *bits. 0, or
 *  CN_EINVAL for an empty list or an unknown name. Pure. */
int gw_attr_parse(const char *v, size_t n, unsigned *bits);

void gw_s3_get_object_attributes(gw_req_t *r);

#endif
