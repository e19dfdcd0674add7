/*
 * gateway/chunk.h: object operation state shared by s3_object.c and chunk.c, and the large
 * object paths: a PUT body over chunk_size is written as chunks (internal keys
 * "\x01c/<bucket>/<key>/<16-hex version>/<6-digit index>", each placed by the ring) and then
 * a parent record with CN_OBJ_MANIFEST; a GET streams the chunks a range needs, one at a time.
 */
#ifndef CAIRN_GATEWAY_CHUNK_H
#define CAIRN_GATEWAY_CHUNK_H

#include "gateway/gateway.h"
#include "gateway/manifest.h"

#define GW_CHUNK_WINDOW 4 /* chunk PUTs in flight per request */

typedef struct gw_obj_op {
    cn_buf_t key;            /* "bucket/key" */
    /* PUT */
    cn_buf_t meta;
    char etag[2 * 16 + 1];
    uint64_t size;
    gw_manifest_t old_man;   /* previous version's manifest, to delete its chunks */
    int have_old;
    gw_manifest_t man;
    uint64_t next_chunk, nchunks, done_chunks;
    int inflight, failed;
    /* GET / HEAD / DELETE */
    int head;
    cn_msg_t *parent;        /* the parent's head/get response */
    int is_manifest;
    uint64_t total, off, len;
    int ranged;
    uint64_t pos, end;
    cn_msg_t *cur;           /* chunk whose bytes h2o is sending */
    int started;
} gw_obj_op_t;

/** Writes the chunks of r's body then the manifest parent; answers the request. */
void gw_chunk_put(gw_req_t *r);
/** Streams [o->off, o->off + o->len) of a manifest object; headers are already set. */
void gw_chunk_stream(gw_req_t *r);
/** Deletes every chunk of m in the background (best effort, failures logged). */
void gw_chunk_delete_all(gw_server_t *s, const gw_manifest_t *m);

#endif
