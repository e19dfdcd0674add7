/*
 * gateway/s3/ec_chunk.h: one erasure-coded chunk (issue 21), written, read and deleted as its
 * K + M fragments. chunk.c calls these for the chunks of a coded segment (a manifest segment
 * with ec_k, common/manifest.h) in place of the one record a replicated chunk is.
 *
 * Write: the chunk is encoded on the thread pool (common/ec.h: ISA-L), fragment i (header and
 * payload, common/ec_frag.h) is put under its fragment key (common/ec_key.h), which the ring
 * places on owner i of the chunk's row and nowhere else; all K + M puts go out at once, each
 * answered by that one owner. The chunk is acked when at least the write quorum W of them
 * are durable ([gateway] ec_write_quorum, K + 1 by default, between K and K + M) AND every
 * fragment that failed has been handed to a storage node's repair queue: a `frag_handoff` to
 * the chunk key's first live owner, answered once the entry is persistent there. The
 * gateway holds nothing once it acks; that node's queue rebuilds the fragment from K others
 * and places it on its owner when the owner is back (storage/cluster/frag_rebuild.c). Puts
 * still out [gateway] ec_hedge_ms after the quorum are handed over the same way (the write
 * does not wait for a slow node); an owner the link already avoids (gw_stor_key_avoided)
 * gets no put unless the quorum needs it.
 * Read: a range of the chunk reads only the data fragments that hold it, whole (each is
 * checked against its CRC32C and the chunk's id, length, code and clock), and decodes
 * nothing. When one is missing, unreadable, corrupt or of another write, every other
 * fragment is read and the range is rebuilt from K of them that belong to one write: a
 * degraded read, counted in /metrics (cairn_gateway_ec_reads_total{kind="degraded"}). A read
 * also goes degraded at once when a data fragment's owner is avoided, and after ec_hedge_ms
 * when one is slow; it answers as soon as K good fragments of one write are in. Fewer than K
 * good fragments is CN_EUNAVAIL (503), never other bytes.
 * The callbacks have the form of an RPC's (cn_rpc_done_fn): a read's answer is a message
 * whose body is the range, a write's a message with rc 0, so chunk.c's callers, which also
 * read replicated chunks, need no second path. Loop thread only, but the encoding.
 */
#ifndef CAIRN_GATEWAY_EC_CHUNK_H
#define CAIRN_GATEWAY_EC_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "common/manifest.h"
#include "common/rpc.h"

typedef struct gw_server gw_server_t;

#define GW_EC_MIN_OBJECT_DEFAULT (128u << 10) /* [gateway] ec_min_object_size */

/** The write quorum of a k+m chunk: conf's ec_write_quorum clamped to [k, k+m], k+1 when 0. */
unsigned gw_ec_write_quorum(const gw_server_t *s, unsigned k, unsigned m);

/** Writes chunk idx of the coded segment seg, whose bytes are data[0, len) (len is the
 *  chunk's length). data must stay valid and unchanged until cb runs when stable is 1;
 *  otherwise it is copied first. cb runs exactly once, later, with status 0 and a message
 *  whose rc is 0 (the chunk is durable as above) or the error (CN_EUNAVAIL: too few
 *  fragments landed or a handoff failed; the fragments that landed stay until the caller
 *  deletes the chunk). Returns 0. */
int gw_ec_write(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, const void *data,
                size_t len, int stable, cn_rpc_done_fn cb, void *arg);

/** Reads [off, off + len) of chunk idx of the coded segment seg (len >= 1, within the
 *  chunk) for cb: status 0 and a message with rc 0 and the bytes as its body, or rc
 *  CN_EUNAVAIL (fewer than K good fragments) / CN_ECORRUPT (the chunk's fragments disagree
 *  with the manifest). Returns 0 (cb runs later, exactly once). */
int gw_ec_read(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, uint64_t off,
               uint64_t len, cn_rpc_done_fn cb, void *arg);

/** Deletes every fragment of chunk idx of the coded segment seg in the background. */
void gw_ec_delete_bg(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx);

#endif
