/*
 * common/mgr_client.h: RPC calls to the manager group, for the daemons (storage nodes and
 * gateways): each call goes to the manager that common/mgr_addrs.h chooses, and the outcome
 * moves that choice (docs/PROTOCOL.md, "Finding the managers"):
 *   - connect refused: the call is sent again at once to the next address, until every
 *     address was tried once since the last answer; then the caller gets CN_ECONNREFUSED;
 *   - timeout, reset, a refused handshake: the caller gets the failure (the manager may have
 *     run the call, so it is not sent twice), and the next call goes to the next address;
 *   - rc = CN_ENOTLEADER with a "leader" field: the call is sent again at once to that
 *     leader (added to the list when new); with no leader named (an election) the caller
 *     gets the answer (rc CN_ENOTLEADER) and its next call goes to the next address;
 *   - any other answer: the "managers" field, when the reply has one, adds the managers the
 *     client did not know (a daemon configured with one address learns the others).
 * The caller retries as it always did (a heartbeat period, a register every second): the
 * daemons keep serving with what they hold while no manager answers.
 * Threads: the loop the client was made on. Callbacks run as cn_rpc_call's do (never from
 * inside cn_mgr_client_call).
 */
#ifndef CAIRN_COMMON_MGR_CLIENT_H
#define CAIRN_COMMON_MGR_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/mgr_addrs.h"
#include "common/rpc.h"

typedef struct cn_mgr_client cn_mgr_client_t;

/** 0 when every address of addrs can be dialed: an IPv4 or IPv6 literal, or localhost (names
 *  are not resolved, as in cn_rpc_client_create). Else CN_EINVAL with err = the address. */
int cn_mgr_client_check(const cn_mgr_addrs_t *addrs, char *err, size_t errlen);
/** A client of the managers at addrs (copied; its cur is the first called). Returns 0, or
 *  CN_EINVAL when an address cannot be dialed (cn_mgr_client_check). */
int cn_mgr_client_create(uv_loop_t *loop, const cn_mgr_addrs_t *addrs, const char *secret,
                         const char *self_name, cn_mgr_client_t **out);
/** Sends req (takes ownership) to the current manager and calls cb exactly once with the
 *  outcome, as cn_rpc_call does, after the resends described above. */
void cn_mgr_client_call(cn_mgr_client_t *mc, cn_msg_t *req, uint64_t timeout_ms,
                        cn_rpc_done_fn cb, void *arg);
/** The address the next call goes to ("host:port"), for logs. Borrowed: valid until the
 *  next completion. */
const char *cn_mgr_client_current(const cn_mgr_client_t *mc);
/** The addresses held, configured then learned, as "a, b, c" into out (for logs). */
void cn_mgr_client_addrs(const cn_mgr_client_t *mc, char *out, size_t outlen);
/** Fails every pending call with CN_ECANCELED (their callbacks run before this returns) and
 *  frees the client once the last one is done. */
void cn_mgr_client_destroy(cn_mgr_client_t *mc);

#endif
