/*
 * gateway/link/stor_link.h: the gateway's link to the storage nodes (stor_link.c): one RPC client
 * per node of the ring, the choice of a key's coordinator with fallback to the next owner,
 * and listings merged from every node. Its state is per gateway (struct gw_stor in
 * gw_server_t), loop thread only.
 */
#ifndef CAIRN_GATEWAY_STOR_LINK_H
#define CAIRN_GATEWAY_STOR_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"

typedef struct gw_server gw_server_t;

typedef struct gw_stor_node {
    char name[CN_RING_NAME_MAX];
    char host[CN_RING_HOST_MAX];
    uint16_t port;
    cn_rpc_client_t *client;
} gw_stor_node_t;

#define GW_SUSPECTS 16

/* What the link knows: the nodes, those the manager reports out of service, those that timed
 * out lately, and the replication levels (from the manager's heartbeat replies). */
struct gw_stor {
    gw_stor_node_t *nodes;
    size_t nnodes;
    char *down_names;          /* comma-joined node names out of service ("" or NULL: none) */
    struct gw_stor_suspect {
        char name[CN_RING_NAME_MAX];
        uint64_t until_ms;     /* monotonic */
    } suspects[GW_SUSPECTS];   /* nodes that timed out lately */
    size_t owners_n;           /* N */
    size_t quorum_w, quorum_d; /* W and D */
};

/** Sets the link's defaults (N 3, W 2, D 2 until the manager says otherwise). */
void gw_stor_init(gw_server_t *s);

/** Rebuilds the per-node clients after a ring change. */
void gw_stor_sync_nodes(gw_server_t *s);
void gw_stor_stop(gw_server_t *s);
/** Sends m for key to the coordinator of the key's redundancy set (takes ownership of m).
 *  Returns 0 (cb will be called once) or CN_EUNAVAIL (no ring/node; cb is not called). */
int gw_stor_send(gw_server_t *s, const char *key, size_t keylen, cn_msg_t *m, cn_rpc_done_fn cb,
                 void *arg);
/** The manager's heartbeat fields `down` (comma-joined storage nodes out of service, skipped
 *  as coordinators while another owner is in service) and `n` (replicas per key). */
void gw_stor_set_down(gw_server_t *s, const char *csv, uint64_t n);
/** The manager's heartbeat fields `w` and `d` (write and delete quorums; 0 keeps the value
 *  held): a listing may miss min(W, D, N) - 1 nodes and still be complete. */
void gw_stor_set_quorums(gw_server_t *s, uint64_t w, uint64_t d);

typedef struct gw_list_out gw_list_out_t;
/** A merged listing: entries in key order, without duplicates; keys borrowed from the
 *  node results held inside. Freed with gw_list_out_free. */
struct gw_list_out {
    cn_list_result_t **res;
    size_t nres;
    const cn_list_entry_t **ents;
    size_t n;
    int truncated;
    const cn_list_entry_t *resume; /* when truncated: continue after this key */
};
void gw_list_out_free(gw_list_out_t *o);
typedef void (*gw_list_done_fn)(int status, gw_list_out_t *out, void *arg);
/** Lists on every node and merges; cb owns out (may be NULL on error). Returns 0 or
 *  CN_EUNAVAIL (cb not called). */
int gw_stor_list(gw_server_t *s, const char *prefix, size_t prefix_len, const char *start_after,
                 size_t start_after_len, uint32_t max_keys, const char *delimiter,
                 gw_list_done_fn cb, void *arg);
/** Lists one object's entries on every node and merges them: "bucket/key" itself (its null
 *  version) and its versions "bucket/key\0ID" (common/version.h), in key order, after
 *  start_after, tombstones dropped by the merge, with the metadata meta_pick names (NULL:
 *  none; see gw_stor_list_pick). Returns 0 or CN_EUNAVAIL (cb not called). */
int gw_stor_list_versions(gw_server_t *s, const char *key, size_t key_len,
                          const char *start_after, size_t start_after_len, uint32_t max_keys,
                          const char *meta_pick, gw_list_done_fn cb, void *arg);
/** gw_stor_list whose object entries also carry the pairs of their metadata that meta_pick
 *  names (joined by ',', at most CN_LIST_PICK_MAX bytes; NULL or "": none), read with
 *  cn_list_entry_meta (common/proto.h). A node before the list field "meta_pick" sends
 *  none: an entry then lacks them as an object without those pairs does. */
int gw_stor_list_pick(gw_server_t *s, const char *prefix, size_t prefix_len,
                      const char *start_after, size_t start_after_len, uint32_t max_keys,
                      const char *delimiter, const char *meta_pick, gw_list_done_fn cb,
                      void *arg);
/** 1 when key's first owner is one a request would try last: the manager reports it out of
 *  service, or a call to it timed out a moment ago (or there is no ring). An erasure-coded
 *  read asks parity instead of such a node's data fragment (s3/ec_chunk.c). */
int gw_stor_key_avoided(const gw_server_t *s, const char *key, size_t keylen);
/** Fire-and-forget delete of an internal key (logs failures). */
void gw_stor_delete_bg(gw_server_t *s, const char *key, size_t keylen);


#endif
