/*
 * common/proto.h: names and shared encodings of the cluster RPC ops (docs/PROTOCOL.md is the
 * full list with fields). Listing results travel as a msgpack array in the response body;
 * both storage (encoder) and gateway (decoder) use the functions here.
 */
#ifndef CAIRN_COMMON_PROTO_H
#define CAIRN_COMMON_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

/* manager ops */
#define CN_OP_REGISTER "register"
#define CN_OP_HEARTBEAT "heartbeat"
#define CN_OP_GET_RING "get_ring"
#define CN_OP_GET_USERS "get_users"
#define CN_OP_GET_BUCKETS "get_buckets"
#define CN_OP_GET_LINKS "get_links"   /* issue 22: the links to other clusters */
#define CN_OP_BUCKET_CREATE "bucket_create"
#define CN_OP_BUCKET_DELETE "bucket_delete"
#define CN_OP_BUCKET_SET_ACL "bucket_set_acl"
#define CN_OP_BUCKET_SET_POLICY "bucket_set_policy"
#define CN_OP_BUCKET_SET_CONFIG "bucket_set_config"
#define CN_OP_GET_ENDPOINTS "get_endpoints"
#define CN_OP_GET_KEY "get_key"
#define CN_OP_KMS_KEY "kms_key"   /* a key-encryption key of the key service (issue 20) */
#define CN_OP_GET_LINKS "get_links" /* this cluster's links, secrets unwrapped (issue 22) */
#define CN_OP_XDC_NODES "xdc_nodes" /* a manager's link listener: its nodes' link listeners */
#define CN_OP_XDC_STATE "xdc_state" /* a manager's link listener: its users and buckets (manager/xdc_sync.h) */
#define CN_OP_XDC_RANGE_HASH "xdc_range_hash" /* a manager's link listener: its cluster's range_hash, summed */
#define CN_OP_XDC_REQUEUE "xdc_requeue" /* a storage node (cluster RPC) or a manager's link listener: send keys again */
#define CN_XDC_REQUEUE_MAX 4096 /* keys one xdc_requeue carries at most */
/* storage ops */
#define CN_OP_PUT "put"
#define CN_OP_GET "get"
#define CN_OP_HEAD "head"
#define CN_OP_DELETE "delete"
#define CN_OP_LIST "list"

/* object flags (field "flags", and in listing entries) */
#define CN_OBJ_TOMBSTONE 0x1u
#define CN_OBJ_MANIFEST 0x2u     /* body is a chunk manifest, not the data */
#define CN_OBJ_DELETE_MARKER 0x4u /* an S3 delete marker: a version with no body (issue 16) */
/* storage-internal (issue 22): this write enters the node's change journal, which feeds the
 * links to other clusters. Kept in the stored record (so crash recovery journals it again),
 * never in index entries, never on the wire. */
#define CN_OBJ_JOURNALED 0x8u
#define CN_LIST_PREFIX 0x100u    /* listing entry is a common prefix (delimiter rollup) */

/* The key service's key names (kms_key's "name", manager/kms.h): 1..CN_KMS_NAME_MAX bytes of
 * [A-Za-z0-9/_.:-]. "aws/s3" is the built-in key of SSE-S3 and of aws:kms without a key id. */
#define CN_KMS_NAME_MAX 256
#define CN_KMS_BUILTIN "aws/s3"

/** 1 when name is a valid key name of the key service, else 0 (NULL too). */
int cn_kms_name_valid(const char *name);

/* node types and states, as strings on the wire and in the admin API */
#define CN_NODE_STORAGE "storage"
#define CN_NODE_GATEWAY "gateway"
#define CN_NODE_MANAGER "manager"

typedef struct cn_list_entry {
    cn_slice_t key;     /* full index key "bucket/key" (or the common prefix) */
    uint64_t size;      /* object size in bytes */
    char etag[72];      /* NUL-terminated, without quotes */
    uint64_t mtime_ms;
    uint64_t clock;
    uint32_t flags;
    cn_slice_t meta;    /* the metadata pairs the listing picked (list field "meta_pick"): an
                         * encoded msgpack map of str -> str; empty when none were asked for,
                         * none is held, or the node predates meta_pick */
} cn_list_entry_t;

#define CN_LIST_PICK_VALUE_MAX 255 /* a longer value is left out of a listing's picks */
#define CN_LIST_PICK_MAX 256       /* bytes of a list request's "meta_pick" */

/** Appends the msgpack array header for n entries; then call cn_list_encode_entry n times. */
void cn_list_encode_begin(cn_buf_t *out, size_t n);
void cn_list_encode_entry(cn_buf_t *out, const cn_list_entry_t *e);
/** Appends to out the msgpack map of those pairs (at most 8) of meta (the object metadata,
 *  when it is a msgpack map of str -> str, as the gateway's is) whose names are in pick (names
 *  joined by ','). Pairs of other types, values over CN_LIST_PICK_VALUE_MAX bytes and the rest of
 *  unreadable metadata are left out: a listing never fails for a record's metadata. */
void cn_list_pick_meta(cn_slice_t meta, cn_slice_t pick, cn_buf_t *out);
/** The value of the picked pair name of e: 1 and *value (borrowed from e's result), or 0. */
int cn_list_entry_meta(const cn_list_entry_t *e, const char *name, cn_slice_t *value);

typedef struct cn_list_result cn_list_result_t;
/** Decodes a listing body. Entries' keys are borrowed from the result and live until
 *  cn_list_result_free. Returns 0 or CN_ECORRUPT. */
int cn_list_decode(const void *p, size_t len, cn_list_result_t **out);
size_t cn_list_result_count(const cn_list_result_t *r);
const cn_list_entry_t *cn_list_result_at(const cn_list_result_t *r, size_t i);
void cn_list_result_free(cn_list_result_t *r);

#endif
