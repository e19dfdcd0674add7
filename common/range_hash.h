/*
 * common/range_hash.h: summaries of a set of object versions that two sides (two clusters of
 * recover-cluster, issue 22) compare cheaply and narrow down to the versions that differ,
 * Merkle-style: hashes of ranges go over the wire, not every key. Pure: no I/O, no clock, no
 * state but what the caller passes; allocation only in cn_rh_summary_init and the output
 * buffers.
 *
 * Positions and ranges. A version is an index key ("bucket/key", or "bucket/key\0VERSION":
 * every version is its own key, docs/STORAGE_FORMAT.md), a clock (HLC ns) and flags. Its
 * position is the first 8 bytes, big-endian, of SHA-256 of the whole key. A range is a prefix
 * of positions: (depth d, value v) with d in 0..64 and v < 2^d holds the versions whose
 * position's top d bits are v; (0, 0) holds everything. A range splits into 2^b children
 * (b = bits, 0..CN_RH_MAX_BITS) of depth d + b, child i being (d + b, v * 2^b + i).
 * Why hash positions and not key-order boundaries: nothing has to be agreed between the two
 * sides but this function. Two clusters of different rings, node counts and key spreads split
 * the same set the same way, a side can answer for any range without knowing the other's
 * keys, and a range that differs is refined by taking more bits of the same position. Keys
 * are spread evenly whatever their names (a bucket of keys sharing a long prefix included),
 * so 2^b children of a range of n versions hold about n / 2^b each.
 *
 * Digests. A version's digest is SHA-256 of
 *     "cairn-rh1" | SHA-256(key) | u64le clock | u8 kind
 * (9 + 32 + 8 + 1 bytes), kind = 1 when flags has CN_OBJ_TOMBSTONE, | 2 when it has
 * CN_OBJ_DELETE_MARKER. So a tombstone differs from a live version of the same key and
 * clock, and a delete marker from an object. Other flags (CN_OBJ_MANIFEST, any later one),
 * the ETag, the size and the metadata are left out: a clock names one write (last writer
 * wins by it, and the clusters keep the writer's clock), while how that write is stored may
 * differ between clusters (chunked by one and whole by another, replicated or erasure-coded).
 * The tag makes a later digest (another field set) "cairn-rh2", never equal by accident.
 *
 * Sums: order-independent and additive. A range's sum is (count, the sum modulo 2^256 of its
 * versions' digests read as 256-bit little-endian integers), a multiset hash (Clarke et al.'s
 * MSet-Add-Hash). Why order-independent: a cluster's versions of one range are spread over
 * its nodes (each node answers for the keys it is the first owner of), so the cluster's sum
 * is the plain sum of its nodes' answers, added in any order, and a node may answer in pages
 * that are added too; an order-dependent hash (SHA-256 over the sorted versions) would need
 * every node's versions of the range merged in key order at the asker, i.e. every key over
 * the wire. Why a sum and not XOR: a version counted twice (two nodes that held different
 * rings for a moment) must show as a difference, while with XOR the pair would cancel and the
 * version would look absent. Two ranges are equal when their counts and sums are. Strength:
 * against accidental differences the sum is as good as a 256-bit hash; it is not meant to
 * resist someone crafting keys and clocks (clocks are the writers' HLC, not the client's).
 *
 * Wire forms (little-endian, encoded explicitly):
 *   summary  the non-empty children of a summary in ascending order, each
 *            u32 child | u64 count | 32-byte sum  (CN_RH_CHILD_LEN = 44 bytes)
 *   list     versions, each u16 key_len | key | u64 clock | u32 flags | u8 etag_len | etag
 *   select   a bitmap of the 2^bits children of a range: ceil(2^bits / 8) bytes, child i is
 *            bit (i % 8) of byte i / 8
 * Decoders take any bytes: they answer 0 or CN_ECORRUPT, never crash, and change nothing when
 * they refuse.
 *
 * Threads: any; a summary is used by one thread at a time.
 */
#ifndef CAIRN_COMMON_RANGE_HASH_H
#define CAIRN_COMMON_RANGE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define CN_RH_VERSION 1    /* of the digest ("cairn-rh1") and the wire forms */
#define CN_RH_MAX_DEPTH 64 /* bits of a position */
#define CN_RH_MAX_BITS 16  /* children of one summary: at most 2^16 */
#define CN_RH_SUM_LEN 32   /* bytes of a sum (and of a digest) */
#define CN_RH_CHILD_LEN 44 /* bytes of one child in the summary wire form */
#define CN_RH_KEY_MAX 1152 /* bytes of a key (STOR_KEY_MAX) */
#define CN_RH_ETAG_MAX 71  /* bytes of an ETag (STOR_ETAG_MAX) */

/** A range of positions: the versions whose position's top depth bits are value. */
typedef struct cn_rh_range {
    uint32_t depth; /* 0..CN_RH_MAX_DEPTH */
    uint64_t value; /* < 2^depth */
} cn_rh_range_t;

/** The summary of one range: how many versions, and the sum of their digests. */
typedef struct cn_rh_sum {
    uint64_t count;
    uint64_t w[4]; /* the 256-bit sum, least significant word first */
} cn_rh_sum_t;

/** A range split into 2^bits children, each with its sum. Caller storage; init allocates the
 *  children, dispose frees them. */
typedef struct cn_rh_summary {
    uint32_t magic;
    cn_rh_range_t range;
    uint32_t bits;
    size_t n;           /* 2^bits */
    cn_rh_sum_t *child; /* n sums, owned */
} cn_rh_summary_t;

/** One version of a list (cn_rh_list_next). key is borrowed from the bytes decoded. */
typedef struct cn_rh_item {
    cn_slice_t key;
    uint64_t clock;
    uint32_t flags;
    char etag[CN_RH_ETAG_MAX + 1]; /* NUL-terminated */
} cn_rh_item_t;

/* ---- positions and ranges --------------------------------------------------------------- */

/** SHA-256 of key[0, len) into keyhash (the digest reuses it), and the key's position. */
uint64_t cn_rh_key_hash(const void *key, size_t len, uint8_t keyhash[CN_RH_SUM_LEN]);
/** The position of a key whose SHA-256 is keyhash. */
uint64_t cn_rh_pos(const uint8_t keyhash[CN_RH_SUM_LEN]);
/** 0 when r is a range (depth <= 64, value < 2^depth), else CN_EINVAL. */
int cn_rh_range_check(cn_rh_range_t r);
/** 1 when position pos is in range r (a checked one). */
int cn_rh_range_has(cn_rh_range_t r, uint64_t pos);
/** Which of the 2^bits children of r holds pos (pos in r; depth + bits <= 64). */
uint32_t cn_rh_child_of(cn_rh_range_t r, uint32_t bits, uint64_t pos);
/** Child i (< 2^bits) of r as a range of its own (depth + bits <= 64). */
cn_rh_range_t cn_rh_range_child(cn_rh_range_t r, uint32_t bits, uint32_t i);

/* ---- digests and sums ------------------------------------------------------------------- */

/** The digest of one version (the file comment says of what). */
void cn_rh_digest(const uint8_t keyhash[CN_RH_SUM_LEN], uint64_t clock, uint32_t flags,
                  uint8_t out[CN_RH_SUM_LEN]);
/** Adds one version's digest to s (count + 1). */
void cn_rh_sum_add_digest(cn_rh_sum_t *s, const uint8_t digest[CN_RH_SUM_LEN]);
/** Adds o into s (the union of two disjoint parts, e.g. two nodes' answers). */
void cn_rh_sum_merge(cn_rh_sum_t *s, const cn_rh_sum_t *o);
/** 1 when a and b have the same count and sum. */
int cn_rh_sum_eq(const cn_rh_sum_t *a, const cn_rh_sum_t *b);
/** The sum as 32 bytes, little-endian (for logs and tests). */
void cn_rh_sum_bytes(const cn_rh_sum_t *s, uint8_t out[CN_RH_SUM_LEN]);

/* ---- summaries -------------------------------------------------------------------------- */

/** An empty summary of range r split into 2^bits children (2^bits * 40 bytes allocated).
 *  CN_EINVAL when r is no range, bits > CN_RH_MAX_BITS or depth + bits > 64; s is then
 *  left empty (dispose is still fine). */
int cn_rh_summary_init(cn_rh_summary_t *s, cn_rh_range_t r, uint32_t bits);
void cn_rh_summary_dispose(cn_rh_summary_t *s);
/** Counts one version of key: 1 when its position is in the range (added to its child), 0
 *  when not (ignored), CN_EINVAL for an empty key or one over CN_RH_KEY_MAX bytes. */
int cn_rh_summary_add(cn_rh_summary_t *s, const void *key, size_t len, uint64_t clock,
                      uint32_t flags);
/** As cn_rh_summary_add for a key already hashed (cn_rh_key_hash): 1 or 0. */
int cn_rh_summary_add_hashed(cn_rh_summary_t *s, const uint8_t keyhash[CN_RH_SUM_LEN],
                             uint64_t clock, uint32_t flags);
/** Adds every child of o into s. CN_EINVAL (s unchanged) when their range or bits differ. */
int cn_rh_summary_merge(cn_rh_summary_t *s, const cn_rh_summary_t *o);
/** The sum of the whole range (of every child). */
void cn_rh_summary_total(const cn_rh_summary_t *s, cn_rh_sum_t *out);
/** The children of a and b that differ (count or sum), ascending: the first cap of them into
 *  out (may be NULL with cap 0), their number into *n. CN_EINVAL when a and b are not
 *  summaries of the same range and bits. */
int cn_rh_summary_diff(const cn_rh_summary_t *a, const cn_rh_summary_t *b, uint32_t *out,
                       size_t cap, size_t *n);
/** Appends the wire form of s's non-empty children to out; returns how many. */
size_t cn_rh_summary_encode(const cn_rh_summary_t *s, cn_buf_t *out);
/** Adds the children of a summary wire form (of the same range and bits as s, e.g. a node's
 *  answer) into s. CN_ECORRUPT, s unchanged, for bytes that are not one: a length that is
 *  not a multiple of CN_RH_CHILD_LEN, a child >= 2^bits or not above the one before, a count
 *  of 0. */
int cn_rh_summary_decode_add(cn_rh_summary_t *s, const void *p, size_t len);

/* ---- lists and selections --------------------------------------------------------------- */

/** Appends one version to a list wire form. CN_EINVAL (nothing appended) for an empty key or
 *  one over CN_RH_KEY_MAX bytes, or an ETag over CN_RH_ETAG_MAX bytes. */
int cn_rh_list_append(cn_buf_t *out, cn_slice_t key, uint64_t clock, uint32_t flags,
                      cn_slice_t etag);
/** Reads the version at *off of a list wire form p[0, len) and moves *off past it: 1 with
 *  *item, 0 at the end (*off == len), CN_ECORRUPT for bytes that are not a version (*off is
 *  then left as it was). */
int cn_rh_list_next(const void *p, size_t len, size_t *off, cn_rh_item_t *item);
/** Bytes of a selection of 2^bits children (bits <= CN_RH_MAX_BITS). */
size_t cn_rh_select_len(uint32_t bits);
/** Sets child i in the selection sel (cn_rh_select_len bytes, zeroed by the caller). */
void cn_rh_select_set(uint8_t *sel, uint32_t i);
/** 1 when child i is set in sel. */
int cn_rh_select_has(const uint8_t *sel, uint32_t i);

#endif
