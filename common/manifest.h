/*
 * common/manifest.h: the chunk manifest, one of the gateway's formats stored in the cluster
 * (the other, object metadata, is gateway/s3/manifest.h's), here because the storage nodes'
 * lifecycle worker reads it too (the chunks of a version it expires go with it).
 * The chunk manifest, the body of a parent record with flags CN_OBJ_MANIFEST: a msgpack map
 *   {"v":1, "size":total, "etag":"hex", "segs":[[prefix(bin), size, chunk_size], ...]}.
 *   A segment is a run of chunks with keys prefix + "%06u" (index from 0), each chunk_size
 *   bytes but the last. A plain large PUT has one segment; a multipart upload one per part.
 *   A completed multipart upload (issue 16) adds "parts": [[number, nsegs, checksum], ...],
 *   its parts in order: the part number it was uploaded as, how many of "segs" (in order)
 *   hold it, and its additional checksum ("x-amz-checksum-crc32=<base64>", "" none). Older
 *   readers ignore the key. A manifest without it (an upload completed before, or a copy)
 *   is read by cn_manifest_parts: when the ETag ends in "-N" and there are N segments,
 *   segment i is part i + 1 (true of every upload completed before: one segment a part).
 *   Format 2 (issue 20) is an encrypted object's: "v":2 and two more keys, "plain" (the
 *   object's size as clients see it, its plaintext) and "sse" (bin: the gateway's encryption
 *   record, gateway/s3/sse_obj.h, opaque here). Its segments hold the stored (encrypted)
 *   stream, so "size" is the stored size. A format-1 reader refuses "v":2 (it answers an
 *   error instead of serving ciphertext as the object).
 *   Format 3 (issue 21) has at least one erasure-coded segment: "v":3, and such a segment is
 *   [prefix, size, chunk_size, K, M]: each of its chunks is stored as K + M fragments
 *   (common/ec_key.h, ec_frag.h), not as a record under its chunk key. Its other segments
 *   and keys are format 1's or 2's ("plain" and "sse" when encrypted: they encode the
 *   ciphertext chunks). Readers of formats 1 and 2 refuse "v":3: they would read chunk keys
 *   that hold nothing.
 * Pure functions; decoders return CN_ECORRUPT for bad bytes, never crash.
 */
#ifndef CAIRN_COMMON_MANIFEST_H
#define CAIRN_COMMON_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define CN_MANIFEST_SSE_MAX (1u << 20) /* bytes of an encryption record (10000 parts fit) */

typedef struct cn_manifest_seg {
    char *prefix;
    size_t prefix_len;
    uint64_t size;
    uint64_t chunk_size;
    uint8_t ec_k, ec_m;  /* format 3: an erasure-coded segment's K and M; 0, 0: replicated */
} cn_manifest_seg_t;

typedef struct cn_manifest_part {
    uint32_t number;   /* the part number it was uploaded as (1..10000) */
    uint32_t nsegs;    /* how many segments, from the previous part's last, hold it */
    char *checksum;    /* "x-amz-checksum-<alg>=<base64>" or "" (owned) */
} cn_manifest_part_t;

typedef struct cn_manifest {
    uint64_t size;       /* stored bytes: the segments' sum */
    uint64_t plain_size; /* the object's bytes as clients see them: size unless encrypted */
    uint8_t *sse;        /* format 2: the encryption record (owned), NULL: not encrypted */
    size_t sse_len;
    char etag[72];
    cn_manifest_seg_t *segs;
    size_t nsegs;
    cn_manifest_part_t *parts; /* a completed multipart upload's; 0 parts: not recorded */
    size_t nparts;
} cn_manifest_t;

/** Appends a segment (prefix copied). */
void cn_manifest_add_seg(cn_manifest_t *m, const char *prefix, size_t prefix_len, uint64_t size,
                         uint64_t chunk_size);
/** Makes segment i erasure-coded with k data and m parity fragments (1 <= k, 1 <= m,
 *  k + m <= CN_EC_MAX_FRAGS, asserted), or replicated again with 0, 0. */
void cn_manifest_seg_set_ec(cn_manifest_t *m, size_t i, unsigned k, unsigned mm);
/** Appends a part (checksum copied; NULL = ""). */
void cn_manifest_add_part(cn_manifest_t *m, uint32_t number, uint32_t nsegs,
                          const char *checksum);
/** Makes m an encrypted object's manifest (format 2): the record rec[0, len) (copied, 1..
 *  CN_MANIFEST_SSE_MAX bytes) and the plaintext size. */
void cn_manifest_set_sse(cn_manifest_t *m, const void *rec, size_t len, uint64_t plain_size);
/** The object's size as clients see it: plain_size for format 2, else size. */
uint64_t cn_manifest_object_size(const cn_manifest_t *m);
/** Copies src's parts onto dst (a copy whose segments are src's, one for one). */
void cn_manifest_copy_parts(cn_manifest_t *dst, const cn_manifest_t *src);
void cn_manifest_encode(const cn_manifest_t *m, cn_buf_t *out);
/** 0 or CN_ECORRUPT (also when the segment sizes do not add up to size, or the parts do not
 *  cover the segments exactly). */
int cn_manifest_decode(const void *p, size_t n, cn_manifest_t *m);
void cn_manifest_dispose(cn_manifest_t *m);
/** Number of chunks in a segment (0 for an empty segment). */
uint64_t cn_manifest_seg_chunks(const cn_manifest_seg_t *s);
/** The bytes of chunk idx (< cn_manifest_seg_chunks(s)) of s: chunk_size, the last one
 *  what is left. */
uint64_t cn_manifest_chunk_len(const cn_manifest_seg_t *s, uint64_t idx);
/** Appends the key of chunk idx of s to out (after resetting it). */
void cn_manifest_chunk_key(const cn_manifest_seg_t *s, uint64_t idx, cn_buf_t *out);

/** How many records store one chunk of s: 1, or its K + M fragments when s is coded. */
unsigned cn_manifest_seg_records(const cn_manifest_seg_t *s);
/** Appends the key of record r (< cn_manifest_seg_records(s)) of chunk idx of s to out
 *  (after resetting it): the chunk key, or the key of fragment r (common/ec_key.h). What a
 *  delete of the chunk deletes. */
void cn_manifest_record_key(const cn_manifest_seg_t *s, uint64_t idx, unsigned r,
                            cn_buf_t *out);

/** A piece of a byte range: read [off, off+len) of chunk idx of segment seg. */
typedef struct cn_chunk_ref {
    size_t seg;
    uint64_t idx;
    uint64_t off;
    uint64_t len;
} cn_chunk_ref_t;
/** Finds the chunk holding byte pos (< m->size) and how much of [pos, end) it holds.
 *  Returns 0 or CN_EINVAL when pos is past the end. */
int cn_manifest_locate(const cn_manifest_t *m, uint64_t pos, uint64_t end, cn_chunk_ref_t *out);

/** One part of a multipart object, as GET ?partNumber and GetObjectAttributes show it. */
typedef struct cn_part_range {
    uint32_t number;       /* as uploaded (the position when the manifest does not say) */
    uint64_t off, len;     /* its bytes in the object */
    const char *checksum;  /* borrowed from m: "x-amz-checksum-<alg>=<base64>", or "" */
} cn_part_range_t;
/** The number of parts of an object whose ETag is etag and manifest m (NULL for an object
 *  stored as one record): m's recorded parts; else N when etag ends in "-N" and m has N
 *  segments; else 0: not a multipart object (S3's part 1 is then the whole object). */
uint32_t cn_manifest_parts(const cn_manifest_t *m, const char *etag);
/** Part idx (1-based position, 1..cn_manifest_parts) of m into *out. 0, or CN_EINVAL when
 *  there is no such part. */
int cn_manifest_part_range(const cn_manifest_t *m, const char *etag, uint32_t idx,
                           cn_part_range_t *out);

#endif
