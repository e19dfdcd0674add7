/*
 * manager/endpoints.h: the virtual-host domains gateways accept (cairn-adm add-endpoint):
 * a request to BUCKET.ENDPOINT is a request to BUCKET. Stored as e/<domain> with a version
 * (v/endpoints, MGR_VER_ENDPOINTS) bumped in the same batch; heartbeat replies carry
 * endpoints_ver and gateways fetch the list with the RPC op get_endpoints.
 * Domains are kept in lower case. Threads: callers hold the server lock.
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
int mgr_endpoints_add(mgr_state_t *st, const char *name);
/** 0, CN_ENOENT, CN_EIO. */
int mgr_endpoints_delete(mgr_state_t *st, const char *name);
/** A new JSON array in name order: admin [{"endpoint","created"}], else the RPC body
 *  ["domain", ...]. */
json_t *mgr_endpoints_json(mgr_state_t *st, int admin);

#endif
