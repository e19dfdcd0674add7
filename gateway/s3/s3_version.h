/*
 * gateway/s3/s3_version.h: S3 object versioning in the gateway (issue 16): the bucket's
 * versioning state and its Put/Get, the version a request names, the latest version of an
 * object. Keys and IDs: version.h. Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_VERSION_OPS_H
#define CAIRN_GATEWAY_S3_VERSION_OPS_H

#include "common/buf.h"
#include "gateway/s3/s3_req.h"
#include "common/version.h"

/** r's bucket's versioning: GW_VER_OFF, GW_VER_ENABLED or GW_VER_SUSPENDED (mgr_link.h). */
int gw_ver_bucket_state(const gw_req_t *r);

void gw_s3_put_bucket_versioning(gw_req_t *r);
void gw_s3_get_bucket_versioning(gw_req_t *r);

/** What a write of key ("bucket/key") makes in r's bucket: a new version when versioning is
 *  Enabled (key becomes its version key, vid its ID, *clock the clock to store it with),
 *  the null version when Suspended (vid "null", *clock 0: storage's), the object itself
 *  otherwise (vid "", *clock 0). */
void gw_ver_for_write(const gw_req_t *r, cn_buf_t *key, char vid[CN_VER_ID_LEN + 1],
                      uint64_t *clock);
/** The version r's ?versionId names: key ("bucket/key") becomes that version's storage key
 *  and vid its ID ("null": the object's own key). 1 when r names one, 0 when not (key and
 *  vid untouched), -1 when the ID is not one of ours (r answered 400 InvalidArgument). */
int gw_ver_request_key(gw_req_t *r, cn_buf_t *key, char vid[CN_VER_ID_LEN + 1]);

/** What gw_ver_find_latest found: found = 0 when the object has no live version. */
typedef struct gw_ver_pick {
    cn_buf_t key;     /* the storage key of the latest version */
    cn_buf_t meta;    /* its picked metadata (the owner) */
    cn_list_entry_t e; /* its listing entry (e.key and e.meta are key's and meta's bytes) */
    uint64_t clock;
    uint32_t flags;   /* CN_OBJ_DELETE_MARKER when the latest is a delete marker */
    int found;
} gw_ver_pick_t;
/** status 0 and pick, or an error (pick NULL); the request is still there (pending held). */
typedef void (*gw_ver_found_fn)(gw_req_t *r, int status, const gw_ver_pick_t *pick);
/** Finds the latest version of "bucket/key" (key_len bytes; a version key counts as its
 *  object's) on the storage nodes, then calls cb. */
void gw_ver_find_latest(gw_req_t *r, const char *key, size_t key_len, gw_ver_found_fn cb);

/** x-amz-version-id (when vid is set) and x-amz-delete-marker: true (when delete_marker). */
void gw_ver_add_headers(gw_req_t *r, const char *vid, int delete_marker);

#endif
