/*
 * gateway/s3/mpu_sum.h: the additional checksums of multipart uploads (issue 16), pure.
 * An upload created with x-amz-checksum-algorithm keeps each part's checksum with the part;
 * Complete makes the object's composite checksum: the algorithm over the concatenated raw
 * checksums of its parts, in base64, then "-" and the number of parts (S3's COMPOSITE type).
 * The hashes are gw_checksum_b64's (auth/aws_chunked.c: ISA-L and OpenSSL).
 */
#ifndef CAIRN_GATEWAY_MPU_SUM_H
#define CAIRN_GATEWAY_MPU_SUM_H

#include <stddef.h>

#include "gateway/auth/aws_chunked.h"

#define GW_MPU_SUM_MAX 64 /* room for "<base64 of 32 bytes>-10000" and its NUL */

/** The algorithm an x-amz-checksum-algorithm value names ("CRC32", "CRC32C", "SHA1",
 *  "SHA256", "CRC64NVME", any case), or GW_CK_NONE. */
gw_checksum_alg_t gw_mpu_sum_alg(const char *v, size_t n);
/** S3's name of alg ("CRC32"...), its header ("x-amz-checksum-crc32") and its XML element
 *  ("ChecksumCRC32"); "" for GW_CK_NONE. Static strings. */
const char *gw_mpu_sum_name(gw_checksum_alg_t alg);
const char *gw_mpu_sum_header(gw_checksum_alg_t alg);
const char *gw_mpu_sum_element(gw_checksum_alg_t alg);
/** 1 when b64 is a base64 checksum of alg (the digest's length exactly), else 0. */
int gw_mpu_sum_valid(gw_checksum_alg_t alg, const char *b64, size_t n);
/** The composite checksum of n parts whose checksums (base64, of alg) are b64[0..n) into
 *  out ("<base64>-<n>", GW_MPU_SUM_MAX bytes). 0, or CN_EINVAL when n is 0 or over 10000,
 *  alg cannot be composite (none, CRC64NVME) or a part's checksum is not one of alg. */
int gw_mpu_sum_composite(gw_checksum_alg_t alg, const char *const *b64, size_t n,
                         char out[GW_MPU_SUM_MAX]);

#endif
