/*
 * gateway/s3/chunk.h: the large object paths (chunk.c): a PUT body over chunk_size is written as chunks (internal keys
 * "\x01c/<bucket>/<key>/<16-hex version>/<6-digit index>", each placed by the ring) and then
 * a parent record with CN_OBJ_MANIFEST; a GET streams the chunks a range needs, one at a time.
 */
#ifndef CAIRN_GATEWAY_CHUNK_H
#define CAIRN_GATEWAY_CHUNK_H

#include "gateway/s3/s3_object.h"

#define GW_CHUNK_WINDOW 4 /* chunk PUTs in flight per request */

/** Writes the chunks of o->body then the manifest parent; answers the request. */
void gw_chunk_put(gw_req_t *r);
/** Writes the parent record of o->man (chunks already written) and answers. */
void gw_chunk_put_manifest(gw_req_t *r);
/** Streams [o->off, o->off + o->len) of a manifest object; headers are already set. */
void gw_chunk_stream(gw_req_t *r);
/** Reads the piece of [pos, end) of m's stored bytes that one chunk holds (from pos on) for
 *  cb(arg) as r's RPC (r->http.pending counted): 0, CN_ECORRUPT (pos is past m), or
 *  CN_EUNAVAIL (no route; nothing pending). */
int gw_chunk_read_send(gw_req_t *r, const cn_manifest_t *m, uint64_t pos, uint64_t end,
                       cn_rpc_done_fn cb, void *arg);
/** Writes chunk idx of seg, data[0, len) (its whole length), for cb: a replicated chunk as
 *  one record under its key (etag: its chunk ETag, "" none), a coded one (seg->ec_k) as its
 *  fragments (ec_chunk.h). data stays valid until cb when stable, else it is copied. 0 (cb
 *  runs later, once) or CN_EUNAVAIL (no route; cb never runs). Nothing is counted pending. */
int gw_chunk_write(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, const void *data,
                   size_t len, int stable, const char *etag, cn_rpc_done_fn cb, void *arg);
/** Reads [off, off + len) (clamped to the chunk) of chunk idx of seg for cb, whose answer's
 *  body is the bytes: one get of a replicated chunk, the fragments of a coded one. 0,
 *  CN_ECORRUPT (off past the chunk) or CN_EUNAVAIL (no route); cb runs only on 0. */
int gw_chunk_get(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, uint64_t off,
                 uint64_t len, cn_rpc_done_fn cb, void *arg);
/** Deletes chunk idx of seg in the background (its record, or its fragments); scratch is a
 *  buffer the call may use. */
void gw_chunk_delete_bg(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx,
                        cn_buf_t *scratch);
/** Makes segment seg of m (a new write's, chunk keys "\x01c/...") erasure-coded when bucket's
 *  redundancy policy is ec:K+M and the segment holds [gateway] ec_min_object_size bytes or
 *  more; else leaves it replicated. The one place a write's redundancy is decided. */
void gw_chunk_code_seg(gw_server_t *s, const char *bucket, cn_manifest_t *m, size_t seg);
/** 1 when an object of size bytes in bucket is to be erasure-coded (so stored as chunks even
 *  under chunk_size). */
int gw_chunk_coded(gw_server_t *s, const char *bucket, uint64_t size);
/** Deletes every chunk of m in the background (best effort, failures logged). */
void gw_chunk_delete_all(gw_server_t *s, const cn_manifest_t *m);
/** Deletes the chunks of old, the manifest a write replaced (its want_prev answer), but those
 *  of its segments whose prefix the new object's manifest keep (NULL: none) uses too. Both
 *  name the same chunks when the write was sent again after a coordinator died having
 *  written it (stor_link.c retries on the next owner): the "replaced" version is then the
 *  write's own first copy, and its chunks are the object's. */
void gw_chunk_delete_replaced(gw_server_t *s, const cn_manifest_t *old,
                              const cn_manifest_t *keep);

#endif
