/*
 * manager/kms.h: the key service's store (issue 20): named key-encryption keys (KEKs) for
 * SSE-S3 and SSE-KMS, each with numbered epochs, kept in the manager's replicated state.
 * The gateway wraps each object's data key with a KEK it asks for by (name, epoch) over RPC
 * (kms_key, docs/PROTOCOL.md); the KEKs themselves are stored only wrapped by the master key
 * (kms_master.h), so the state, its snapshots and backups give away no KEK without it.
 *
 * State (state.h): s/<name> -> one JSON record per key,
 *   {"name": "aws/s3", "created_ms": 1732330000123,
 *    "epochs": [{"epoch": 1, "created_ms": ..., "master": "<16 hex id>",
 *                "wrapped": "<base64 of the 60 bytes of cn_sse_wrap>"}, ...]}
 * Epochs are 1, 2, ... in order, none ever removed: a rotation adds one, and objects whose
 * data keys were wrapped under an older epoch stay readable. The wrap's AAD is
 * "cairn kms kek v1|<name>|<epoch>", so a wrapped KEK copied under another name or epoch does
 * not unwrap. A state without s/ keys (every release before this one) simply holds no keys:
 * no format bump (migrate.h) is needed, since nothing older is reinterpreted, and backup.c's
 * records and the snapshots carry s/ like every other prefix.
 *
 * Remote key stores (issue 22): o/<origin>/<name> -> the same JSON record, the KEKs of the
 * linked cluster <origin> (its own s/<name>, pulled over the link: xdc_sync.h's dump), each
 * epoch wrapped by THIS cluster's master under the AAD "cairn kms kek v1|o/<origin>/<name>|
 * <epoch>" (mgr_kms_aad_of), so a copy never reads as one of this cluster's own keys nor as
 * another origin's. Written only by kms_remote_put; never sent on (no relaying in a mesh);
 * epochs only grow, as in s/. (o/ for origin: r/ is the rings', r/cur and r/prev.) The gateway reads them (kms_key with origin) when an object
 * that came over a link does not open with this cluster's own (name, epoch).
 *
 * Names: cn_kms_name_valid (common/proto.h), checked by the proposers and again at apply.
 * "aws/s3" (CN_KMS_BUILTIN) is created on first use by the RPC (create flag), never at
 * bootstrap, so a cluster without a master key has no key to fail on.
 *
 * The one write path (fsm.h): three kinds of entries (cmd.h), each carrying everything its
 * apply needs. The proposer draws the random KEK and wraps it under the current master
 * before proposing; the apply reads no clock, random source or config (and never sees a
 * master key or an unwrapped KEK):
 *   kms_key_create {name, created_ms, master, wrapped}: epoch 1; CN_EEXIST when the name is
 *       taken;
 *   kms_key_rotate {name, epoch, created_ms, master, wrapped}: epoch must be the newest + 1,
 *       else CN_ECONFLICT (another rotation won); CN_ENOENT for no such key;
 *   kms_rewrap {wraps: [(name, epoch, master, wrapped)]}: replaces those epochs' master and
 *       wrapped bytes, all or none (CN_ENOENT when one epoch is missing); a wrap with an
 *       origin is an epoch of o/<origin>/<name>;
 *   kms_remote_put {wraps: [(name, epoch, master, wrapped, origin)], created_ms}: a linked
 *       cluster's KEKs, already wrapped by the proposer under this cluster's master; an epoch
 *       held already is skipped, the next one appended, a gap refused (CN_EINVAL).
 * Threads: callers hold the server lock (the state has none); masters are read-only.
 */
#ifndef CAIRN_MANAGER_KMS_H
#define CAIRN_MANAGER_KMS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/proto.h"
#include "common/sse.h"
#include "manager/clusters.h"
#include "manager/kms_master.h"
#include "manager/state.h"

#define MGR_KMS_PREFIX "s/"
#define MGR_KMS_REMOTE_PREFIX "o/"          /* o/<origin id>/<name>: a linked cluster's KEKs */
#define MGR_KMS_AAD_MAX (CN_KMS_NAME_MAX + MGR_CLUSTER_ID_LEN + 64)
#define MGR_KMS_ORIGINS_MAX 4u              /* origins named to the gateways (kms_origins) */
#define MGR_KMS_AAD_LABEL "cairn kms kek v1"
#define MGR_KMS_MAX_EPOCHS 4096u        /* per key: rotations beyond are refused (ENOSPC) */
#define MGR_KMS_REWRAP_BATCH 256u       /* epochs per kms_rewrap entry */
#define MGR_KMS_REWRAP_MAX 4096u        /* epochs an entry may carry (the decoder's bound) */

/* One wrapped KEK: of a create or rotate entry, or one record of a rewrap entry. */
typedef struct mgr_kms_wrap {
    char name[CN_KMS_NAME_MAX + 1];
    uint64_t epoch;                     /* rotate, rewrap; create: always 1, not sent */
    char master[MGR_KMS_ID_LEN + 1];    /* the id of the master that wrapped it */
    uint8_t wrapped[CN_SSE_WRAPPED_LEN];
    char origin[MGR_CLUSTER_ID_LEN + 1];  /* "": this cluster's own key (s/); else the linked
                                           * cluster whose store o/<origin>/ holds it */
} mgr_kms_wrap_t;

struct mgr_cmd;

/** The AAD of epoch of name into out (cap >= CN_KMS_NAME_MAX + 48); returns its length. */
size_t mgr_kms_aad(const char *name, uint64_t epoch, char *out, size_t cap);
/** The same for the store of origin ("": this cluster's own, as mgr_kms_aad; else
 *  "cairn kms kek v1|o/<origin>/<name>|<epoch>"); cap >= MGR_KMS_AAD_MAX. */
size_t mgr_kms_aad_of(const char *origin, const char *name, uint64_t epoch, char *out,
                      size_t cap);

/* ---- proposers: fill an entry (nothing is written here) --------------------------------- */

/** A kms_key_create entry for name: a new random KEK wrapped under m's current master.
 *  0, CN_EINVAL (bad name), CN_ENOTSUP (no master key), CN_EEXIST, CN_EIO. */
int mgr_kms_create_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name,
                       uint64_t now_ms, struct mgr_cmd *cmd /* OUT */);
/** A kms_key_rotate entry for name: its next epoch. 0, CN_EINVAL, CN_ENOTSUP, CN_ENOENT,
 *  CN_ENOSPC (MGR_KMS_MAX_EPOCHS), CN_EIO, CN_ECORRUPT (an unreadable record). */
int mgr_kms_rotate_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name,
                       uint64_t now_ms, struct mgr_cmd *cmd /* OUT */);
/** A kms_rewrap entry of at most MGR_KMS_REWRAP_BATCH epochs wrapped by m's previous master
 *  (unwrapped, then wrapped again under the current one), in key order; cmd->nwraps 0 when
 *  none is left. *others counts the epochs under a master that is neither (they cannot be
 *  rewrapped here). 0, CN_ENOTSUP (no current master), CN_ECORRUPT (an epoch that claims
 *  the previous master does not unwrap with it), CN_EIO. */
int mgr_kms_rewrap_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, struct mgr_cmd *cmd,
                       size_t *others /* OUT */);

/** Wraps kek, epoch of name in the store of origin (a linked cluster's id), under m's current
 *  master, into w: what a kms_remote_put entry carries. 0, CN_ENOTSUP (no master), CN_EIO. */
int mgr_kms_wrap_remote(const mgr_kms_masters_t *m, const char *origin, const char *name,
                        uint64_t epoch, const uint8_t kek[CN_SSE_KEY_LEN],
                        mgr_kms_wrap_t *w /* OUT */);

/* ---- reads -------------------------------------------------------------------------------- */

/** The KEK of epoch of name (epoch 0: the newest) unwrapped: 0 with *got_epoch and kek set,
 *  CN_ENOTSUP (no master key here), CN_ENOENT (no such key or epoch), CN_ECORRUPT (wrapped
 *  by a master this manager does not hold, or it does not unwrap; logged), CN_EIO. kek is
 *  the caller's to wipe. */
int mgr_kms_get(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name, uint64_t epoch,
                uint64_t *got_epoch /* OUT */, uint8_t kek[CN_SSE_KEY_LEN] /* OUT */);
/** mgr_kms_get from the store of origin: "" (or NULL) this cluster's own s/<name>, else the
 *  copy o/<origin>/<name> of a linked cluster's key (CN_ENOENT for an origin that is not a
 *  cluster id). */
int mgr_kms_get_of(mgr_state_t *st, const mgr_kms_masters_t *m, const char *origin,
                   const char *name, uint64_t epoch, uint64_t *got_epoch /* OUT */,
                   uint8_t kek[CN_SSE_KEY_LEN] /* OUT */);
/** How many epochs o/<origin>/<name> holds (0: none) into *n. 0, CN_ECORRUPT, CN_EIO. */
int mgr_kms_remote_epochs(mgr_state_t *st, const char *origin, const char *name,
                          uint64_t *n /* OUT */);
/** Calls fn(arg, name, epoch, kek) for every epoch of this cluster's own keys (s/ only, never
 *  a remote store), in name and epoch order, each KEK unwrapped for the call only (wiped
 *  after). Stops at fn's first nonzero and returns it; else 0, CN_ENOTSUP (no master),
 *  CN_ECORRUPT (a record or epoch that does not read or unwrap; logged), CN_EIO. */
int mgr_kms_each_own(mgr_state_t *st, const mgr_kms_masters_t *m,
                     int (*fn)(void *arg, const char *name, uint64_t epoch,
                               const uint8_t kek[CN_SSE_KEY_LEN]),
                     void *arg);
/** The ids of the origins whose stores this state holds (o/), comma-joined in id order, at
 *  most MGR_KMS_ORIGINS_MAX, into out (cap >= MGR_KMS_ORIGINS_MAX * (MGR_CLUSTER_ID_LEN +
 *  1)); for the gateways (the heartbeat's kms_origins). */
void mgr_kms_origins_csv(mgr_state_t *st, char *out, size_t cap);
/** Every key for the admin API, never a key's bytes: [{name, created, epochs, newest,
 *  masters: [ids, oldest first]}, ...] in name order; NULL with *rc on failure. */
json_t *mgr_kms_list_json(mgr_state_t *st, int *rc);
/** How many key epochs of the state are wrapped by a master m does not hold (neither the
 *  current nor the previous one), the first one's id into id: a manager started with the
 *  wrong master key file says so at startup rather than only failing the gateways' asks. */
size_t mgr_kms_unknown_masters(mgr_state_t *st, const mgr_kms_masters_t *m,
                               char id[MGR_KMS_ID_LEN + 1]);

/* For fsm.c (apply) only. */
/** Checks a kms_* entry (kms_remote_put too) against st and adds its effect to b. 0, or the
 *  code that refuses it (CN_EINVAL, CN_EEXIST, CN_ENOENT, CN_ECONFLICT, CN_ENOSPC), CN_EIO. */
int mgr__kms_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
