/*
 * manager/xdc_keys.h: the key service's KEKs between linked clusters (issue 22): what lets an
 * SSE-S3 or SSE-KMS object that came over a link as ciphertext be read where it arrived.
 *
 * The dump (xdc_sync.h) carries, beside the records, "keks": every epoch of this cluster's
 * own keys (s/<name>, kms.h; never a remote store o/: a cluster passes on no other cluster's
 * keys, so a mesh does not relay), each sealed like a user record:
 *   "keks": [{"n": "aws/s3", "e": 1, "s": "<base64 of nonce|ciphertext|tag>"}, ...]
 * AES-256-GCM under the link key (mgr_xdc_sync_key), a random nonce each, AAD
 * "cairn xdc state v1|s/<name>|<epoch>": the KEK crosses the link only sealed, and a sealed
 * KEK moved to another name or epoch does not open. A dump without "keks" (a sender without
 * a master key, or an older release) holds none.
 *
 * The apply (mgr_xdc_sync_apply, the leader): every sealed KEK is opened as part of the
 * whole-dump check (a wrong secret is CN_EACCES, and nothing is proposed), then the epochs
 * that o/<remote>/<name> lacks, in order, are wrapped under THIS cluster's current master
 * (mgr_kms_wrap_remote) and proposed as one kms_remote_put entry, whose apply reads no
 * master key (kms.h's rules). <remote> is the link's id, not what the dump says of itself.
 * Epochs only grow: an epoch held is never replaced. Without a master key here, the KEKs
 * are checked and dropped (logged once per pull at debug).
 * Threads: the server lock held, as xdc_sync.c.
 */
#ifndef CAIRN_MANAGER_XDC_KEYS_H
#define CAIRN_MANAGER_XDC_KEYS_H

#include <stdint.h>
#include <jansson.h>

#include "manager/cmd.h"
#include "manager/kms_master.h"
#include "manager/state.h"

/** Adds "keks" to the dump document doc: every epoch of st's own keys sealed under the link
 *  key k (see the header). m NULL or without a current master: nothing added, 0. 0, or
 *  CN_EIO (a seal failed; doc unchanged). A key that does not unwrap here is left out
 *  (logged): the users and buckets still go. */
int mgr__xdc_keys_dump(mgr_state_t *st, const mgr_kms_masters_t *m, const uint8_t k[32],
                       json_t *doc);
/** Reads the "keks" of a dump (keks NULL: none) sent by the linked cluster remote: opens each
 *  under k, and fills cmd with a kms_remote_put entry (created_ms now_ms) of the epochs that
 *  st's o/<remote>/ lacks, wrapped under m's current master (cmd->nwraps 0: nothing new, or
 *  no master here). 0, CN_ECORRUPT (malformed), CN_EACCES (a KEK does not open), CN_EIO;
 *  on an error cmd holds nothing to propose (dispose it all the same). */
int mgr__xdc_keys_read(mgr_state_t *st, const mgr_kms_masters_t *m, const char *remote,
                       const uint8_t k[32], const json_t *keks, uint64_t now_ms,
                       mgr_cmd_t *cmd /* OUT */);

#endif
