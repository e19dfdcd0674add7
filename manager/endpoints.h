/*
 * manager/endpoints.h: the virtual-host domains gateways accept (cairn-adm add-endpoint):
 * a request to BUCKET.ENDPOINT is a request to BUCKET. Stored as e/<domain> with a version
 * (v/endpoints, MGR_VER_ENDPOINTS) bumped in the batch of the entry (cmd.h) that changes it;
 * heartbeat replies carry endpoints_ver and gateways fetch the list with the RPC op
 * get_endpoints. Domains are kept in lower case.
 * Threads: callers hold the server lock; add and delete propose and wait (not the loop).
 */
#ifndef CAIRN_MANAGER_ENDPOINTS_H
#define CAIRN_MANAGER_ENDPOINTS_H

#include <jansson.h>
#include "manager/state.h"

#define MGR_VER_ENDPOINTS "v/endpoints"
#define MGR_ENDPOINT_MAX 253

/** 1 for a DNS name: 1..253 characters, dot-separated labels of 1..63 of [A-Za-z0-9-] that
 *  neither start nor end with '-'. */
int mgr_endpoint_valid(const char *name);
/** 0, CN_EINVAL, CN_EEXIST, CN_EIO. */
int mgr_endpoints_add(mgr_fsm_t *f, const char *name);
/** 0, CN_ENOENT, CN_EIO. */
int mgr_endpoints_delete(mgr_fsm_t *f, const char *name);
/** A new JSON array in name order: admin [{"endpoint","created"}], else the RPC body
 *  ["domain", ...]. */
json_t *mgr_endpoints_json(mgr_state_t *st, int admin);

struct mgr_cmd;
/** For fsm.c: checks an endpoint_* entry against st and adds its effect and the
 *  endpoints_ver bump to b. 0, CN_EINVAL, CN_EEXIST, CN_ENOENT, CN_EIO. */
int mgr__endpoints_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
