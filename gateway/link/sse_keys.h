/*
 * gateway/link/sse_keys.h: the key service's client (issue 20): the key-encryption keys
 * (KEKs) that SSE-S3 and SSE-KMS wrap each object's data key with, asked of the managers by
 * (name, epoch) (RPC kms_key, docs/PROTOCOL.md) and cached per worker for a bounded time.
 *
 * Asking. A miss sends one kms_key; requests for the same (name, epoch) meanwhile wait for
 * that one answer (as key_ask.h does for access keys). At most GW_SSEKEY_MAX_ASKING
 * questions are in flight per worker; beyond, CN_EAGAIN (503 SlowDown). Any manager that
 * holds the key answers (a follower sends the call on to the leader when it lacks it).
 *
 * The bound, [gateway] sse_key_cache_seconds (B, default 300; 0: nothing is kept past the
 * answer, every request asks). It is a trade between two windows:
 *   - reads survive a manager outage: a KEK of an explicit epoch (what a GET of an
 *     encrypted object asks for) is served from the cache for B after it was fetched, even
 *     when no manager answers; after that the ask fails and the request gets 503;
 *   - a key taken away keeps working: a gateway that fetched a KEK goes on using it for up to
 *     B, whatever the managers say meanwhile (today keys are never deleted; a master rotation
 *     does not change a KEK).
 * Five minutes rides out a manager restart or an election several times over, and keeps a
 * KEK in a gateway's memory no longer than a short outage needs. The newest epoch of a name
 * (epoch 0, what a PUT asks for) is asked again after min(B, GW_SSEKEY_NEWEST_MS): a
 * rotation takes effect on every gateway within 5 s. If no manager answers then, the epoch
 * known before is served until its own B passes, so writes ride out the same outage.
 * Negative answers (no such key, no key service, ...) are kept GW_SSEKEY_NEG_MS, so a flood
 * of unknown key ids costs one RPC per id per period; a transport failure is not kept.
 *
 * Memory. At most GW_SSEKEY_SLOTS entries per worker (open addressing; a full probe run
 * replaces the entry that expires first). A KEK is wiped (OPENSSL_cleanse) when its entry is
 * replaced, found expired, or disposed, and the copies handed to callers are theirs to wipe
 * (gw_ssekey_wipe). The bytes of the RPC reply that carried it are freed, not wiped, like the
 * object data on the same connections (docs/SECURITY.md, "The key service").
 *
 * Linked clusters (issue 22). An object that came over a link has its data key wrapped by
 * the KEK (name, epoch) of the cluster that wrote it, which this cluster's managers hold as
 * a copy in that origin's store (manager/kms.h, o/<origin>/<name>). gw_ssekey_get_of asks
 * for one (kms_key with origin); the cache keys by (origin, name, epoch), so a copy never
 * answers for this cluster's own key of the same name. Which origins there are comes with
 * the heartbeat (kms_origins, at most GW_SSEKEY_ORIGINS; mgr_link.h's storage facts).
 *
 * State per worker (struct gw_ssekeys in gw_server_t); its loop thread only.
 */
#ifndef CAIRN_GATEWAY_SSE_KEYS_H
#define CAIRN_GATEWAY_SSE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"
#include "common/sse.h"

typedef struct gw_server gw_server_t;

#define GW_SSEKEY_SLOTS 1024        /* cached (name, epoch) answers per worker */
#define GW_SSEKEY_PROBE 8           /* slots looked at per key */
#define GW_SSEKEY_MAX_ASKING 64     /* distinct (name, epoch) asked at once; beyond, CN_EAGAIN */
#define GW_SSEKEY_NEG_MS 2000       /* how long a negative answer is kept */
#define GW_SSEKEY_NEWEST_MS 5000    /* how long "the newest epoch of name" is believed */
#define GW_SSEKEY_ORIGIN_LEN 16     /* a linked cluster's id (manager/clusters.h) */
#define GW_SSEKEY_ORIGINS 4         /* linked origins a read tries after this cluster's key */

/* A KEK and what it is: a caller's copy (wipe it with gw_ssekey_wipe), or one lent to a
 * callback for the call only. */
typedef struct gw_ssekey {
    char origin[GW_SSEKEY_ORIGIN_LEN + 1]; /* "": this cluster's own; else a linked one's */
    char name[CN_KMS_NAME_MAX + 1];
    uint32_t epoch;                /* >= 1 */
    uint8_t kek[CN_SSE_KEY_LEN];
} gw_ssekey_t;

/** Called once, on the worker's loop, never from inside gw_ssekey_get: rc 0 with key (lent
 *  for the call: copy what you keep), else key NULL and CN_ENOENT (no such key or epoch),
 *  CN_ENOTSUP (no key service: S3 501), CN_ECORRUPT (the managers cannot unwrap it),
 *  CN_ECANCELED (the gateway stops), or a transport code (no manager answered: 503). */
typedef void (*gw_ssekey_fn)(void *arg, int rc, const gw_ssekey_t *key);

struct gw_ssekey_ent {
    gw_ssekey_t k;                 /* k.name "" : a free slot */
    uint32_t asked;                /* the epoch asked: 0 = the newest */
    int rc;                        /* 0, or the negative answer kept */
    uint64_t fresh_ms;             /* served without asking until then (cn_mono_ms) */
    uint64_t usable_ms;            /* served when no manager answers until then */
};

struct gw_ssekeys {
    struct gw_ssekey_ent *ents;    /* GW_SSEKEY_SLOTS, made on the first store */
    struct gw_ssekey_q *asking;    /* the questions in flight, each with its waiters */
    size_t nasking;
    uint64_t asked, hits, stale;   /* RPCs sent; cache hits; stale answers in an outage */
};

/** The KEK of epoch of name (epoch 0: the newest; create: have the managers make "aws/s3"
 *  when it does not exist yet, CN_KMS_BUILTIN only). Returns
 *    1   a cache hit: *hit holds the key (wipe it after use), done is not called;
 *    0   done(arg, ...) will be called once, later, on this loop;
 *    <0  at once, done not called: a negative answer kept from the managers (CN_ENOENT,
 *        CN_ENOTSUP, ...; a create is asked past a kept CN_ENOENT), CN_EINVAL (a name the key service refuses, or create for another
 *        name), CN_EAGAIN (too many questions in flight). */
int gw_ssekey_get(gw_server_t *s, const char *name, uint32_t epoch, int create,
                  gw_ssekey_fn done, void *arg, gw_ssekey_t *hit /* OUT when 1 */);
/** gw_ssekey_get from the store of origin: "" this cluster's own keys, else the copy of the
 *  linked cluster origin's (16 lower-case hex digits; never created: create must be 0,
 *  else CN_EINVAL, as for an origin that is not an id). */
int gw_ssekey_get_of(gw_server_t *s, const char *origin, const char *name, uint32_t epoch,
                     int create, gw_ssekey_fn done, void *arg,
                     gw_ssekey_t *hit /* OUT when 1 */);
/** Wipes a caller's copy of a key. */
void gw_ssekey_wipe(gw_ssekey_t *k);
/** Drops this worker's negative answer for (origin, name, epoch), if it holds one: a read
 *  whose every store failed asks again, since another worker may have made the key since
 *  (the first SSE-S3 PUT of a cluster creates aws/s3; each worker keeps its own "no such
 *  key" for GW_SSEKEY_NEG_MS). */
void gw_ssekey_forget_neg(gw_server_t *s, const char *origin, const char *name,
                          uint32_t epoch);
/** Wipes and frees the cache (at stop, after gw_mgr_stop has failed the questions in
 *  flight; a later answer is not kept). */
void gw_ssekey_dispose(gw_server_t *s);

/* ---- the cache alone, for the above and its tests (the clock is a parameter) ---------- */

/** Looks (name, asked) up at now_ms: 1 with *out copied (fresh, or with stale_ok usable),
 *  0 for a miss, or the negative answer kept. An expired entry found is wiped. */
int gw__ssekey_lookup(struct gw_ssekeys *c, const char *name, uint32_t asked, uint64_t now_ms,
                      int stale_ok, gw_ssekey_t *out /* OUT when 1 */);
/** Keeps the answer to (name, asked) at now_ms: k (rc 0; also kept as its own explicit
 *  epoch when asked is 0) or the negative rc, under the bound bound_ms (the config's, in
 *  ms; see the header). A positive answer is not kept when bound_ms is 0. */
void gw__ssekey_store(struct gw_ssekeys *c, const char *name, uint32_t asked, int rc,
                      const gw_ssekey_t *k, uint64_t now_ms, uint64_t bound_ms);
/** The same for the store of origin ("": this cluster's own, as the two above). */
int gw__ssekey_lookup_of(struct gw_ssekeys *c, const char *origin, const char *name,
                         uint32_t asked, uint64_t now_ms, int stale_ok,
                         gw_ssekey_t *out /* OUT when 1 */);
void gw__ssekey_store_of(struct gw_ssekeys *c, const char *origin, const char *name,
                         uint32_t asked, int rc, const gw_ssekey_t *k, uint64_t now_ms,
                         uint64_t bound_ms);
/** Entries that hold a key now (a test's view). */
size_t gw__ssekey_count(const struct gw_ssekeys *c);
/** Wipes and frees the entries. */
void gw__ssekey_clear(struct gw_ssekeys *c);

#endif
