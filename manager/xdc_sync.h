/*
 * manager/xdc_sync.h: users, access keys, buckets and bucket settings replicated between
 * linked clusters (issue 22, step 5 of docs/DESIGN.md's plan; the links: clusters.h).
 *
 * What replicates: every record of these state keys (state.h), one unit each:
 *   u/<user>                  the whole user: name, canonical id, role, email, password hash,
 *                             its access keys with their secrets and status (users.h). The
 *                             k/ and i/ indexes are not sent: each side derives them.
 *   b/<bucket>                owner, ACL or grants, quota, creation time (buckets.h)
 *   p/<bucket>                the bucket policy
 *   x/<bucket>/<name>         each named configuration (versioning, lifecycle, CORS, tagging,
 *                             object lock, encryption, redundancy, replication, ...)
 * Not replicated: members, rings, levels, endpoints, the group, the cluster id and the links
 * themselves. The key service's own KEKs ride in the same dump, sealed, into the remote key
 * stores o/<origin>/ (xdc_keys.h), never mixed with the local keys.
 *
 * The stamp. Each replicated record has a version stamp (clock, origin): clock an HLC value
 * (common/clock.h, ns since the epoch, strictly increasing in a process), origin the id of
 * the cluster where the change was made (clusters.h; "" before the cluster has one). It lives
 * beside the record, not in it: t/<state key> = {"c": clock, "o": origin} (t/u/alice,
 * t/b/photos, t/x/photos/cors), with "d": true for a TOMBSTONE, the stamp of a deleted
 * record, which stays MGR_XDC_TOMBSTONE_MS (7 days) so the deletion replicates and an older
 * copy of the record cannot come back, then goes with an xdc_tombstone_purge entry that the
 * leader's cron proposes. Beside and not inside, because p/<bucket> is the policy document as
 * given (no room for a field) and because no reader of u/, b/ or x/ has to learn to skip one.
 * No migration (migrate.h): t/ is a new prefix that no older release reads, its absence means
 * clock 0, origin "" (a record of an older state, or of an entry of an older log), and no
 * existing record changes encoding; backups and snapshots carry t/ like any record.
 *
 * Who stamps. A local change is an entry of the kinds user_*, access_key_*, bucket_*;
 * mgr_fsm_propose, the one door of every proposer, gives it "xc" = cn_hlc_next() (the
 * PROPOSER's clock, carried in the entry), and the apply (mgr__xdc_sync_stamp, from fsm.c)
 * writes t/<key> with that clock and the cluster id read from the state: deterministic. An
 * entry of an older log has no "xc" and stamps clock 0. A key change stamps its user; a
 * bucket deletion leaves its tombstone and drops its policy's and configurations' stamps
 * (the bucket's tombstone covers them: a configuration of a bucket that does not exist is
 * never applied).
 *
 * The rule (mgr_xdc_sync_wins, the one place): a remote record replaces the local one when
 * its (clock, origin) is greater, clock first, then origin compared as bytes; a local record
 * with no stamp is (0, ""), and no local record at all (no record, no tombstone) always
 * loses. Every cluster applies the same rule to the same stamps, so linked clusters converge
 * on the same winner whatever the order of the pulls. Ties cannot happen between clusters
 * (the origin differs) except for two unstamped records, which both keep (an older state on
 * both sides: the operator sees them in recover-cluster one day).
 *
 * Conflicts. A name made in two clusters at once (a user whose canonical id differs, a
 * bucket whose creation time or owner differs) or an access key held by two different users
 * is reported, whichever side wins: the last MGR_XDC_CONFLICTS_MAX in memory with {kind,
 * name, winner, loser (origins), time}, for cluster-status (mgr_xdc_sync_conflicts_json).
 *
 * Indexes on apply (xdc_state_put): a winning remote user replaces the local record; its
 * k/<key> and i/<id> are written, the local record's keys that it no longer has are dropped.
 * A key that another local user V holds goes to the one whose stamp wins: to the remote user
 * (and V loses the key, V's stamp unchanged) when the remote user's stamp is greater than
 * V's, else the remote user is written without it. An email another user has is settled the
 * same way (the loser's email is cleared). A remote user whose canonical id is another local
 * user's is not applied (ids are 256 random bits: a damaged record). A deleted user's buckets
 * stay (their deletions come as their own tombstones).
 *
 * Dump (mgr_xdc_sync_dump): one JSON document for a link,
 *   {"v": 1, "origin": "<this cluster's id>", "max": <greatest clock sent>, "more": false,
 *    "recs": [{"k": "b/photos", "c": 17..., "o": "3f1c...", "v": "<the stored record>"},
 *             {"k": "u/alice", "c": ..., "o": ..., "e": "<base64 of nonce|ciphertext|tag>"},
 *             {"k": "x/photos/cors", "c": ..., "o": ..., "d": true}, ...]}
 * records in (clock, key) order, those with clock > since (since 0: every record, unstamped
 * ones too), at most `limit` (0: no bound) but never splitting one clock, "more" when some
 * were left for the next pull. A user record holds secrets (the keys' secrets, the password
 * hash): it is sent only sealed ("e"), AES-256-GCM under K = HKDF-SHA256(the link's shared
 * secret, no salt, info "cairn xdc state v1"), a random 12-byte nonce per record and the AAD
 * "cairn xdc state v1|<k>" (so a sealed record moved to another name does not open). A
 * record of another prefix holds no secret and is sent as stored ("v").
 *
 * Apply (mgr_xdc_sync_apply, the leader): the dump is checked whole first (shape, names,
 * values, every sealed record opened: a wrong secret is CN_EACCES, anything malformed
 * CN_ECORRUPT, and then nothing is proposed), each record compared with the local one by the
 * rule, and the winners proposed as ONE xdc_state_put entry (cmd.h) whose records are
 * [state key, envelope], the envelope {"c", "o", "d": true | "v": "<record>"}. The apply
 * (mgr__xdc_sync_apply) checks each record against the state again (a local change that
 * raced the pull and is newer stays), writes record, indexes and t/ stamp with the remote's
 * stamp, and bumps users_ver / buckets_ver as the local entries do, so gateways and storage
 * nodes refetch. Secrets in the log: the entry carries a user record as the state stores it
 * (secrets in clear, as user_create and access_key_create entries already do); only the wire
 * between clusters seals them.
 *
 * The puller (mgr_xdc_sync_cron, the leader's duty, loop thread): every MGR_XDC_PULL_MS per
 * linked cluster, through a fetch function the transport sets (mgr_xdc_sync_set_fetch; the
 * op `xdc_state` {since} on the link listener): since = the greatest clock seen from that
 * remote minus MGR_XDC_SINCE_SLACK_MS (a remote's managers' clocks differ a little), 0 after
 * a leader change (a full dump first), and again at once while a dump says "more". Without a
 * fetch function, the cron only purges tombstones.
 *
 * Threads: everything with the server lock held (apply and cron on the loop thread; dump from
 * the RPC op on the loop thread). An mgr_xdc_sync_t is owned by the server (main.c).
 */
#ifndef CAIRN_MANAGER_XDC_SYNC_H
#define CAIRN_MANAGER_XDC_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/buf.h"
#include "manager/clusters.h"
#include "manager/fsm.h"
#include "manager/kms_master.h"
#include "manager/state.h"

#define MGR_XDC_STAMP_PREFIX "t/"
#define MGR_XDC_INFO "cairn xdc state v1"
#define MGR_XDC_CONFLICTS_MAX 32
#define MGR_XDC_TOMBSTONE_MS (7ull * 24 * 3600 * 1000)
#define MGR_XDC_PULL_MS 2000
#define MGR_XDC_SINCE_SLACK_MS 10000
#define MGR_XDC_DUMP_LIMIT 256          /* records of one pull (one xdc_state_put entry) */
#define MGR_XDC_DUMP_MAX (64u << 20)    /* bytes of a dump the apply reads */

typedef struct mgr_xdc_sync mgr_xdc_sync_t;

/* A version stamp. */
typedef struct mgr_xdc_stamp {
    uint64_t clock;                             /* HLC, ns since the epoch; 0: unstamped */
    char origin[MGR_CLUSTER_ID_LEN + 1];        /* "" for none */
} mgr_xdc_stamp_t;

/** The rule: -1, 0 or 1 as a is below, equal to or above b, clock first, then origin as
 *  bytes. */
int mgr_xdc_sync_cmp(const mgr_xdc_stamp_t *a, const mgr_xdc_stamp_t *b);
/** 1 when a remote record stamped remote replaces the local one stamped local (local NULL:
 *  there is no local record nor tombstone, and the remote always wins). */
int mgr_xdc_sync_wins(const mgr_xdc_stamp_t *remote, const mgr_xdc_stamp_t *local);
/** 1 for the entry kinds that stamp a replicated record (user_*, access_key_*, bucket_*). */
int mgr_xdc_sync_stamped(int kind);
/** The stamp of state key (u/alice, b/photos, ...): 0 with *out and *deleted (1: a
 *  tombstone), CN_ENOENT (no stamp: the record, if any, is (0, "")), CN_ECORRUPT, CN_EIO. */
int mgr_xdc_sync_stamp_get(mgr_state_t *st, const char *key, mgr_xdc_stamp_t *out,
                           int *deleted);

/** The link key: HKDF-SHA256(secret, info MGR_XDC_INFO). 0 or CN_EIO. */
int mgr_xdc_sync_key(const uint8_t secret[MGR_CLUSTER_SECRET_LEN], uint8_t key[32]);

/** Appends to out the dump of st for a link whose shared secret is secret (see the header):
 *  records with clock > since (0: all), at most limit (0: all) without splitting a clock;
 *  with m (the master keys; NULL: none) also this cluster's own KEKs, sealed (xdc_keys.h).
 *  0, CN_EIO (a read or OpenSSL failed; out may hold a part: discard it). */
int mgr_xdc_sync_dump(mgr_state_t *st, const mgr_kms_masters_t *m,
                      const uint8_t secret[MGR_CLUSTER_SECRET_LEN], uint64_t since, size_t limit,
                      cn_buf_t *out);

/** A new puller state (no conflicts, nothing seen). Free with mgr_xdc_sync_destroy. */
mgr_xdc_sync_t *mgr_xdc_sync_create(void);
void mgr_xdc_sync_destroy(mgr_xdc_sync_t *xs);

/** Applies the dump dump[0..len) that the linked cluster remote sent (see the header): checks
 *  it whole, compares each record with the local one and proposes the winners as one
 *  xdc_state_put entry through f; done(arg, rc, why) is called once as for mgr_fsm_propose
 *  (at once with 0 when no record wins). The dump's KEKs (xdc_keys.h) that o/<remote>/
 *  lacks are wrapped under m's current master (m NULL: checked, not kept) and proposed
 *  first, as one kms_remote_put entry without a done. Conflicts are recorded in xs (now_ms their time);
 *  *max (may be NULL) gets the dump's greatest clock, *more whether the dump said more.
 *  0 when proposed (or nothing to), CN_EACCES (a sealed record does not open: a wrong
 *  secret, or tampered), CN_ECORRUPT (malformed), CN_EIO (the state could not be read);
 *  on an error nothing is proposed and done is not called. */
int mgr_xdc_sync_apply(mgr_xdc_sync_t *xs, mgr_fsm_t *f, const mgr_kms_masters_t *m,
                       const char *remote, const uint8_t secret[MGR_CLUSTER_SECRET_LEN],
                       const void *dump, size_t len, uint64_t now_ms, mgr_fsm_done_fn done,
                       void *arg, uint64_t *max, int *more);

/** The conflicts kept, oldest first: a new JSON array of {"kind": "user"|"bucket"|
 *  "access_key", "name", "winner", "loser" (origin ids), "time" (ISO 8601), "time_ms"}. */
json_t *mgr_xdc_sync_conflicts_json(const mgr_xdc_sync_t *xs);

/* ---- the puller ----------------------------------------------------------------------- */

/** Called by the transport once per fetch, on the loop thread with the lock held: rc 0 with
 *  the dump body[0..len) (borrowed for the call), or why the fetch failed. */
void mgr_xdc_sync_fetched(mgr_xdc_sync_t *xs, const char *remote, int rc, const void *body,
                          size_t len);
/** How the puller gets a remote's dump: starts fetching the dump of cluster remote (its
 *  managers' RPC addresses: managers) since since, and calls mgr_xdc_sync_fetched(xs, remote,
 *  ...) once, later. */
typedef void (*mgr_xdc_sync_fetch_fn)(void *ctx, mgr_xdc_sync_t *xs, const char *remote,
                                      const char *managers, uint64_t since);
/** Sets the transport (NULL: none, the puller only purges). */
void mgr_xdc_sync_set_fetch(mgr_xdc_sync_t *xs, mgr_xdc_sync_fetch_fn fetch, void *ctx);
/** The leader's duty (main.c's cron; loop thread, lock held): a pull of each linked cluster
 *  due (MGR_XDC_PULL_MS, one in flight per remote), and once an hour the purge of tombstones
 *  older than MGR_XDC_TOMBSTONE_MS. m: the master keys (the links' secrets). leader: 0 on a
 *  follower (forgets what it saw, so a new term starts with full dumps). */
void mgr_xdc_sync_cron(mgr_xdc_sync_t *xs, mgr_fsm_t *f, const mgr_kms_masters_t *m,
                       int leader, uint64_t now_ms);
/** An xdc_tombstone_purge entry for the tombstones stamped before before_clock. */
void mgr_xdc_sync_purge_cmd(uint64_t before_clock, struct mgr_cmd *cmd /* OUT */);

/* For xdc_keys.c: the sealing of the dump (see the header), AAD MGR_XDC_INFO "|" key. */
/** p[0..n) sealed under k: a new string (cn_free), base64 of nonce | ciphertext | tag; NULL
 *  on an OpenSSL failure. */
char *mgr__xdc_sync_seal(const uint8_t k[32], const char *key, const char *p, size_t n);
/** Opens a sealed string: 0 with *out (NUL-terminated, cn_free; the caller wipes it) and
 *  *outlen, CN_ECORRUPT (not base64 of a sealed value), CN_EACCES (does not open). */
int mgr__xdc_sync_unseal(const uint8_t k[32], const char *key, const char *b64, char **out,
                         size_t *outlen);

/* For fsm.c (apply) only. */
/** After a stamped entry c (mgr_xdc_sync_stamped) was checked by its module: adds the t/
 *  stamp (or tombstone) of the record it changed to b. 0 or CN_EIO. */
int mgr__xdc_sync_stamp(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);
/** Checks an xdc_state_put / xdc_tombstone_purge entry against st and adds its effect to b.
 *  0, CN_ECORRUPT (a record that does not read: nothing written), CN_EIO. */
int mgr__xdc_sync_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
