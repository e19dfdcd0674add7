/*
 * gateway/link/list_merge.h: merges the listings of several storage nodes into one, in key order,
 * without duplicates (the newest clock wins), within what every node has really covered.
 */
#ifndef CAIRN_GATEWAY_LIST_MERGE_H
#define CAIRN_GATEWAY_LIST_MERGE_H

#include <stddef.h>
#include "common/proto.h"

/** Merges nres listings (res[i] NULL = node gave nothing). A node that answered truncated
 *  only covered keys up to its last key, so nothing past the smallest such key is returned.
 *  Tombstones are dropped after deduplication. At most max_keys entries.
 *  *out is a cn_malloc'd array of pointers borrowed from res (free it with cn_free);
 *  *truncated is 1 when more entries may follow the last one returned; then *resume is the
 *  entry to continue after: the last one returned, or the last tombstone consumed when the
 *  page held only deletes (so a listing over many deleted keys still moves on). */
void gw_list_merge(cn_list_result_t *const *res, const int *node_truncated, size_t nres,
                   size_t max_keys, const cn_list_entry_t ***out, size_t *n, int *truncated,
                   const cn_list_entry_t **resume);

/** Bytewise key order (memcmp, then the shorter first). */
int gw_key_cmp(cn_slice_t a, cn_slice_t b);

#endif
