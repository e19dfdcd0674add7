/*
 * manager/inval.c: the gateways' cache invalidation feed (docs/CACHE.md, "Manager
 * invalidation feed"; docs/PROTOCOL.md): a bounded in-memory ring of the most recent
 * invalidated keys, each with a sequence number that starts at a random value per manager
 * start, so that a restarted manager never reuses old numbers.
 *   cache_invalidate {key}       a gateway's completed write (validate = false) or
 *                                cairn-adm purge-cache (POST /v1/purge-cache) appends key
 *   heartbeat replies            carry inval_seq, the newest sequence number
 *   get_invalidations {since}    seq (the newest), reset (1: since is not in the ring,
 *                                drop everything), body: msgpack array of the keys after since
 * Locking: every function here runs with s->lock held.
 */
#include "manager/manager.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

#define MGR_INVAL_RING 65536u
#define MGR_INVAL_MAX_REPLY 10000u /* more keys than this since `since`: reset instead */

struct inval_ent {
    uint64_t seq;
    char *key;
    size_t len;
};

struct mgr_inval {
    struct inval_ent *v;      /* MGR_INVAL_RING slots, seq % size */
    uint64_t first, last;     /* seqs held: (first, last]; first == last: empty */
};

static struct mgr_inval *inval_get(struct mgr_server *s)
{
    if (s->inval == NULL) {
        uint64_t r = 0;

        s->inval = cn_calloc(1, sizeof(*s->inval));
        s->inval->v = cn_calloc(MGR_INVAL_RING, sizeof(*s->inval->v));
        if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
            r = (uint64_t)cn_now_ms() << 16;
        r = (r >> 2) | 1; /* leave room to count up; never 0 */
        s->inval->first = s->inval->last = r;
    }
    return s->inval;
}

uint64_t mgr_inval_seq(struct mgr_server *s)
{
    return inval_get(s)->last;
}

uint64_t mgr_inval_add(struct mgr_server *s, const char *key, size_t len)
{
    struct mgr_inval *iv = inval_get(s);
    struct inval_ent *e;

    iv->last++;
    e = &iv->v[iv->last % MGR_INVAL_RING];
    cn_free(e->key);
    e->seq = iv->last;
    e->key = cn_malloc(len + 1);
    memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->len = len;
    if (iv->last - iv->first > MGR_INVAL_RING)
        iv->first = iv->last - MGR_INVAL_RING;
    return iv->last;
}

int mgr_inval_get(struct mgr_server *s, uint64_t since, cn_msg_t *resp)
{
    struct mgr_inval *iv = inval_get(s);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint64_t n;

    cn_msg_set_u64(resp, "seq", iv->last);
    if (since < iv->first || since > iv->last || iv->last - since > MGR_INVAL_MAX_REPLY) {
        cn_msg_set_u64(resp, "reset", 1);
        return 0;
    }
    cn_msg_set_u64(resp, "reset", 0);
    n = iv->last - since;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, (size_t)n);
    for (uint64_t q = since + 1; q <= iv->last; q++) {
        const struct inval_ent *e = &iv->v[q % MGR_INVAL_RING];

        msgpack_pack_bin(&pk, e->len);
        msgpack_pack_bin_body(&pk, e->key, e->len);
    }
    cn_msg_set_body_copy(resp, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return 0;
}

void mgr_inval_dispose(struct mgr_server *s)
{
    if (s->inval == NULL)
        return;
    for (size_t i = 0; i < MGR_INVAL_RING; i++)
        cn_free(s->inval->v[i].key);
    cn_free(s->inval->v);
    cn_free(s->inval);
    s->inval = NULL;
}
