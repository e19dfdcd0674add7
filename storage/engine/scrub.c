/*
 * storage/engine/scrub.c: the scrub of the container engine: one background thread re-reads every
 * record of every container, throttled, and re-checks both checksums, and for an erasure-coded
 * fragment (a key common/ec_key.h accepts) its own header and payload CRC32C too
 * (common/ec_frag.h: a fragment is checked as the gateway will read it). A record whose entry
 * still points at it and that fails a check is marked bad in the index (a GET then answers
 * CN_ECORRUPT, never the bytes), logged, and handed to the repair hook (stor__mark_bad).
 * Passes run on demand (stor_engine_scrub_start) and every scrub_interval_ms when set.
 * A container is read under its swap lock shared, in slices, so a compaction may switch it
 * between slices; the pass then goes on in the new generation from the same offset range
 * (a record missed that way is checked by the next pass).
 * Locks: sc->lock guards the status and requests.
 */
#include "storage/engine/cengine.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/ec_frag.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define SLICE_RECORDS 256

/* 1 when a live fragment record's body is not a good fragment of its own key's code. */
static int frag_bad(const stor_rec_hdr_t *h, cn_slice_t key, cn_slice_t body)
{
    cn_frag_key_t fk;
    cn_frag_hdr_t fh;
    const uint8_t *payload;

    if ((h->flags & CN_OBJ_TOMBSTONE) || !cn_frag_key_parse(key.ptr, key.len, &fk))
        return 0;
    return cn_frag_decode(body.ptr, body.len, &fh, &payload) != 0 || fh.index != fk.index ||
           fh.k != fk.k || fh.m != fk.m;
}

struct stor_scrubber {
    pthread_t th;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, requested;
    stor_scrub_status_t st;
};

struct bad {
    cn_buf_t key;
    uint32_t gen;
    uint64_t off;
};

/* Scrubs one container; returns 1 when asked to stop. */
static int scrub_one(struct cengine *ce, stor_container_t *c, uint64_t *bytes, uint64_t t0)
{
    struct stor_scrubber *sc = ce->scrub;
    uint64_t off = STOR_SB_SIZE;
    int stop = 0;

    for (;;) {
        stor_scan_t s;
        stor_rec_hdr_t h;
        cn_slice_t key, meta, body;
        uint64_t rec_off, end, nrec = 0, nbad = 0;
        struct bad bad[8];
        size_t nb = 0;
        uint32_t gen;
        int rc = 0;

        pthread_mutex_lock(&c->commit);
        end = c->tail;
        pthread_mutex_unlock(&c->commit);
        pthread_rwlock_rdlock(&c->swap);
        gen = c->gen;
        stor_scan_init(&s, c->fd, off, end);
        s.lenient = 1;
        while (nrec < SLICE_RECORDS && nb < 8 &&
               (rc = stor_scan_next(&s, &h, &key, &meta, &body, &rec_off)) == 1) {
            nrec++;
            *bytes += stor_rec_size(&h);
            if (s.bad_data || frag_bad(&h, key, body)) {
                cn_buf_init(&bad[nb].key);
                cn_buf_append(&bad[nb].key, key.ptr, key.len);
                bad[nb].gen = gen;
                bad[nb].off = rec_off;
                nb++;
            }
        }
        if (rc == CN_ECORRUPT) {
            uint64_t at = s.off;

            CN_LOG(CN_LOG_ERROR, "container=%s off=%" PRIu64 ": unreadable record header "
                   "(its key is unknown; reads of it fail their checks)", c->path, at);
            nbad++;
            if (stor_scan_resync(&s) != 1)
                s.off = end;
        }
        off = s.off;
        stor_scan_dispose(&s);
        pthread_rwlock_unlock(&c->swap);
        for (size_t i = 0; i < nb; i++) {
            stor__mark_bad(ce, c, cn_slice(bad[i].key.data, bad[i].key.len), bad[i].gen,
                           bad[i].off);
            cn_buf_dispose(&bad[i].key);
        }
        pthread_mutex_lock(&sc->lock);
        sc->st.records += nrec;
        sc->st.bad += nb + nbad;
        sc->st.bytes = *bytes;
        stop = sc->stop;
        pthread_mutex_unlock(&sc->lock);
        if (stop || off >= end || (rc != 1 && rc != CN_ECORRUPT))
            break; /* done, torn end (being written) or a read error */
        stor__throttle(ce->scrub_rate, *bytes, t0);
    }
    return stop;
}

static void *run(void *arg)
{
    struct cengine *ce = arg;
    struct stor_scrubber *sc = ce->scrub;
    uint64_t next = ce->scrub_interval_ms ? cn_mono_ms() + ce->scrub_interval_ms : 0;

    pthread_mutex_lock(&sc->lock);
    while (!sc->stop) {
        uint64_t bytes = 0, t0;
        struct timespec ts;

        if (!sc->requested && !(next && cn_mono_ms() >= next)) {
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
            continue;
        }
        sc->requested = 0;
        sc->st.running = 1;
        pthread_mutex_unlock(&sc->lock);
        t0 = cn_mono_ms();
        CN_LOG(CN_LOG_INFO, "scrub pass started");
        for (uint32_t i = 0; i < ce->k; i++)
            if (scrub_one(ce, ce->c[i], &bytes, t0))
                break;
        pthread_mutex_lock(&sc->lock);
        sc->st.running = 0;
        if (!sc->stop) {
            sc->st.passes++;
            sc->st.last_pass_ms = cn_now_ms();
            CN_LOG(CN_LOG_INFO, "records=%" PRIu64 " bad=%" PRIu64 ": scrub pass finished",
                   sc->st.records, sc->st.bad);
        }
        next = ce->scrub_interval_ms ? cn_mono_ms() + ce->scrub_interval_ms : 0;
    }
    pthread_mutex_unlock(&sc->lock);
    return NULL;
}

int stor__scrubber_start(struct cengine *ce)
{
    struct stor_scrubber *sc = cn_calloc(1, sizeof(*sc));
    int rc;

    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->cond, NULL);
    ce->scrub = sc;
    if ((rc = pthread_create(&sc->th, NULL, run, ce)) != 0) {
        ce->scrub = NULL;
        cn_free(sc);
        return -rc;
    }
    return 0;
}

void stor__scrubber_stop(struct cengine *ce)
{
    struct stor_scrubber *sc = ce->scrub;

    if (sc == NULL)
        return;
    pthread_mutex_lock(&sc->lock);
    sc->stop = 1;
    pthread_cond_broadcast(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
    pthread_join(sc->th, NULL);
    pthread_mutex_destroy(&sc->lock);
    pthread_cond_destroy(&sc->cond);
    cn_free(sc);
    ce->scrub = NULL;
}

int stor__scrub_cmd(struct cengine *ce, int cmd, stor_scrub_status_t *st)
{
    struct stor_scrubber *sc = ce->scrub;
    int rc = 0;

    pthread_mutex_lock(&sc->lock);
    if (cmd == STOR_CMD_START) {
        if (sc->st.running || sc->requested)
            rc = CN_EBUSY;
        else
            sc->requested = 1;
        pthread_cond_broadcast(&sc->cond);
    } else {
        *st = sc->st;
        st->running = st->running || sc->requested;
    }
    pthread_mutex_unlock(&sc->lock);
    return rc;
}
