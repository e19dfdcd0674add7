/*
 * gateway/link/key_ask.h: asking the manager for an access key that the users table lacks.
 * The table follows the manager by heartbeat (mgr_link.c), so a key made a moment ago (a new
 * user's first request) is not in it yet. The first request that meets such a key asks the
 * leader once (RPC get_key, docs/PROTOCOL.md) and is held meanwhile; requests for the same key
 * meanwhile wait for that one answer. A key the manager does not know as Active, or that it
 * could not answer for, is remembered for GW_KEYASK_NEG_MS in a negative cache of bounded
 * size, so that a flood of unknown keys costs at most one RPC per key per period.
 * State per gateway (struct gw_keyask in gw_server_t); loop thread only.
 */
#ifndef CAIRN_GATEWAY_KEY_ASK_H
#define CAIRN_GATEWAY_KEY_ASK_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_server gw_server_t;

#define GW_KEYASK_NEG_MS 2000       /* how long a missing key is not asked again */
#define GW_KEYASK_NEG_SLOTS 2048    /* negative entries kept (open addressing) */
#define GW_KEYASK_PROBE 8           /* slots looked at per key; the oldest one is replaced */
#define GW_KEYASK_MAX_ASKING 256    /* distinct keys asked at once; beyond, CN_EAGAIN */
#define GW_KEYASK_KEY_MAX 128       /* as gw_auth_result_t's access_key */

/** Called once with rc 0 (the users table holds the key now), CN_ENOENT (the manager knows
 *  no Active key of that id) or another code (no manager could answer). */
typedef void (*gw_keyask_fn)(void *arg, int rc);

struct gw_keyask_neg {
    char key[GW_KEYASK_KEY_MAX];
    uint64_t until_ms;             /* cn_mono_ms; 0: a free slot */
    int rc;                        /* what the manager answered */
};

struct gw_keyask {
    struct gw_keyask_neg *neg;     /* GW_KEYASK_NEG_SLOTS, made on first use */
    struct gw_keyask_q *asking;    /* the keys in flight, each with its waiters */
    size_t nasking;
    uint64_t asked, remembered;    /* RPCs sent; requests answered from the negative cache */
};

/** Looks key up for a request that could not authenticate without it: 0 when done(arg, rc)
 *  will be called once, on the loop, after the manager answered (asked now, or joined to the
 *  question in flight); otherwise at once the code to answer with: what the manager answered
 *  within GW_KEYASK_NEG_MS (CN_ENOENT, or its failure), CN_EAGAIN (too many keys in flight),
 *  CN_ENAMETOOLONG (a key longer than any). */
int gw_keyask_ask(gw_server_t *s, const char *key, gw_keyask_fn done, void *arg);
/** Frees the negative cache (at stop; a later answer is not remembered). */
void gw_keyask_dispose(gw_server_t *s);

#endif
