/*
 * common/version.h: object versions as storage keys (issue 16), the pure part shared by the
 * gateway (which makes versions) and the storage nodes' lifecycle worker (which expires them).
 *
 * A version of "bucket/key" is stored under its own key "bucket/key\0ID" (object keys never
 * hold a NUL; the ring places it with its object, common/ring.h, so one node's index lists
 * all of an object's versions together, right after the object's own key). The object's own
 * key "bucket/key" is what S3 calls the null version: every object written before the bucket
 * had versioning, and every write while it is Suspended.
 *
 * A version ID is 24 lower-case hex digits: 16 of (2^64 - 1 - clock), then 8 random ones. The
 * clock is the hybrid logical clock the write is stored with (the gateway sends it), so IDs
 * sort newest first in the index, and the latest version of an object is the one with the
 * newest clock, decided like last-writer-wins: two gateways writing at once both leave a
 * version, and only which one is latest is decided by the clock. A delete marker is a
 * version whose record has CN_OBJ_DELETE_MARKER and no body.
 */
#ifndef CAIRN_COMMON_VERSION_H
#define CAIRN_COMMON_VERSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/proto.h"

#define CN_VER_ID_LEN 24
#define CN_VER_NULL "null"

/** A new version ID for a write stored with clock (random bits from the system). */
void cn_ver_id_make(uint64_t clock, char out[CN_VER_ID_LEN + 1]);
/** 1 when s (n bytes) is a version ID this gateway makes, or "null". */
int cn_ver_id_valid(const char *s, size_t n);
/** The clock a version ID was made with (0 for "null" or a bad one). */
uint64_t cn_ver_id_clock(const char *id);

/** Appends the storage key of version id (n bytes; "null": the object's own key) of
 *  "bucket/key" (blen bytes) to out (reset first). */
void cn_ver_key(cn_buf_t *out, const char *bk, size_t blen, const char *id, size_t n);
/** The length of key's object part ("bucket/key" of "bucket/key\0ID"). */
size_t cn_ver_base_len(cn_slice_t key);
/** The version ID of a storage key into out: its ID, or "null" for an object's own key. */
void cn_ver_of_key(cn_slice_t key, char out[CN_VER_ID_LEN + 1]);

/** The latest of one object's live entries (its own key and versions, tombstones already
 *  dropped by the merge): the newest clock; NULL when n is 0. */
const cn_list_entry_t *cn_ver_latest(const cn_list_entry_t *const *ents, size_t n);

/** Orders one object's entries as S3 lists versions, newest first: the versions come from the
 *  index newest first already, the null version (the object's own key, first in the index)
 *  goes where its clock puts it. out has room for n. */
void cn_ver_order(const cn_list_entry_t *const *ents, size_t n, const cn_list_entry_t **out);

/** Collapses a merged listing page of a bucket with versioning (key order, tombstones
 *  dropped by the merge, common prefixes kept) to each object's current version, in place:
 *  per object the entry cn_ver_latest picks, left out when it is a delete marker. tail is the
 *  object key of the page's last entry consumed when more follow (empty otherwise): when the
 *  page holds none of that object's versions, only perhaps its own key, its newest version
 *  may be on the next page, so it is left out and *tail_open set (the caller looks it up).
 *  Returns the new count. */
size_t cn_ver_current(const cn_list_entry_t **ents, size_t n, cn_slice_t tail, int *tail_open);

#endif
