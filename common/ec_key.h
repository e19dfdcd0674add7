/*
 * common/ec_key.h: the key of an erasure-coded fragment, and so where it lives (issue 21).
 *
 * Fragment i of a chunk written with K data and M parity fragments is a record of its own,
 * stored under the chunk's key followed by a 5-byte suffix:
 *
 *     chunk key  "\0"  "f"  hex(K)  hex(M)  hex(i)        ("\x01c/b/k/v/000003\0f421")
 *
 * one lower-case hex digit each (1 <= K, 1 <= M, K + M <= CN_EC_MAX_FRAGS = 16, so K, M <= 15
 * and i < 16 fit in one). Only an internal chunk key (it starts with "\x01c/" and holds no
 * NUL) takes the suffix: user keys never start with "\x01", so no object or version key
 * ("bucket/key\0VERSION") reads as a fragment key.
 *
 * Placement needs nothing stored: the ring hashes a key up to its first NUL
 * (cn_ring_hash_key), so a fragment's arc is its chunk's, and cn_ring_lookup gives a fragment
 * key exactly one owner, the owner i of the chunk key's owner row (i modulo the row when the
 * ring has fewer nodes than K + M: two fragments then share a node, which the index in the
 * key keeps apart). Everything that routes, moves or repairs by key (the gateway's link, the
 * coordinator, the rebalance walk, the repair queue) thereby places fragment i on owner i.
 * The key names its own code (K, M), so a repair that holds only the key finds the chunk's
 * other fragments. Pure: no allocation but the output buffer.
 */
#ifndef CAIRN_COMMON_EC_KEY_H
#define CAIRN_COMMON_EC_KEY_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define CN_FRAG_KEY_SUFFIX 5 /* "\0f" K M i */

/** A fragment key, parsed: the chunk key is key[0, chunk_len). */
typedef struct cn_frag_key {
    size_t chunk_len;
    uint8_t k, m, index;
} cn_frag_key_t;

/** Appends the key of fragment index of the chunk key chunk[0, len) written as k+m to out
 *  (reset first). The arguments must be valid (asserted: they are ours). */
void cn_frag_key(const void *chunk, size_t len, unsigned k, unsigned m, unsigned index,
                 cn_buf_t *out);
/** 1 and *out when key[0, len) is a fragment key (a chunk key, then a valid suffix), else 0
 *  (any other key, including malformed suffixes). */
int cn_frag_key_parse(const void *key, size_t len, cn_frag_key_t *out /* OUT, may be NULL */);

#endif
