/*
 * tests/fuzz/fuzz_manifest.c: libFuzzer target for the gateway's stored formats
 * (gateway/s3/manifest.h): the chunk manifest of a large object and the object metadata map,
 * both read back from storage nodes. A decoded manifest is walked as a ranged GET walks it
 * (locate, chunk keys, format 3's fragment keys) and must survive its own re-encoding, format
 * 2's plaintext size and encryption record and format 3's codes included; decoded metadata
 * likewise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ec.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/log.h"
#include "gateway/s3/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const cn_manifest_t *m)
{
    static const uint64_t probes[] = {0, 1, 4095, 5u << 20};
    cn_chunk_ref_t ref;
    cn_buf_t key, frag;
    cn_frag_key_t fk;

    cn_buf_init(&key);
    cn_buf_init(&frag);
    for (size_t i = 0; i < m->nsegs && i < 16; i++) {
        const cn_manifest_seg_t *s = &m->segs[i];
        uint64_t n = cn_manifest_seg_chunks(s);
        if (n > 0) {
            cn_manifest_chunk_key(s, 0, &key);
            cn_manifest_chunk_key(s, n - 1, &key);
        }
        /* format 3: a coded segment's code and chunk keys are what fragment keys take (the
         * asserts of cn_frag_key would stop a bad one), and its last fragment's key parses */
        if (s->ec_k && n > 0) {
            if (s->ec_m < 1 || s->ec_k + s->ec_m > CN_EC_MAX_FRAGS ||
                s->chunk_size > CN_EC_CHUNK_MAX)
                abort();
            cn_frag_key(key.data, key.len, s->ec_k, s->ec_m, s->ec_k + s->ec_m - 1u, &frag);
            if (!cn_frag_key_parse(frag.data, frag.len, &fk) || fk.chunk_len != key.len ||
                fk.k != s->ec_k || fk.m != s->ec_m || fk.index != s->ec_k + s->ec_m - 1)
                abort();
        } else if (s->ec_m) {
            abort(); /* M without K */
        }
    }
    cn_buf_dispose(&frag);
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t pos = probes[i];
        if (m->size == 0)
            break;
        if (pos >= m->size)
            pos = m->size - 1;
        if (cn_manifest_locate(m, pos, m->size, &ref) == 0) {
            if (ref.seg >= m->nsegs || ref.len == 0 || ref.len > m->size - pos ||
                ref.idx >= cn_manifest_seg_chunks(&m->segs[ref.seg]))
                abort(); /* a chunk reference outside the manifest */
        }
    }
    cn_buf_dispose(&key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_manifest_t m, m2;
    gw_meta_t meta, meta2;
    cn_buf_t b;

    cn_log_set_level(CN_LOG_ERROR);
    /* Finding F-2 (docs/SECURITY.md), fixed: the decoders now run cn_msgpack_check first, so
     * every input is fuzzed, including containers that declare 2^32 items. */
    cn_buf_init(&b);
    if (cn_manifest_decode(data, size, &m) == 0) {
        walk(&m);
        cn_manifest_encode(&m, &b);
        if (cn_manifest_decode(b.data, b.len, &m2) != 0 || m2.size != m.size ||
            m2.nsegs != m.nsegs || strcmp(m2.etag, m.etag) != 0 ||
            m2.plain_size != m.plain_size || m2.sse_len != m.sse_len ||
            (m.sse && memcmp(m2.sse, m.sse, m.sse_len) != 0))
            abort();
        for (size_t i = 0; i < m.nsegs; i++) /* format 3's codes survive too */
            if (m2.segs[i].ec_k != m.segs[i].ec_k || m2.segs[i].ec_m != m.segs[i].ec_m)
                abort();
        /* format 2: the record is opaque here, its size bounded, the plaintext no longer */
        if (m.sse ? m.sse_len == 0 || m.sse_len > CN_MANIFEST_SSE_MAX || m.plain_size > m.size
                  : m.plain_size != m.size || cn_manifest_object_size(&m) != m.size)
            abort();
        cn_manifest_dispose(&m2);
        cn_manifest_dispose(&m);
    }

    cn_buf_reset(&b);
    if (gw_meta_decode(data, size, &meta) == 0) {
        gw_meta_encode(&meta, &b);
        if (gw_meta_decode(b.data, b.len, &meta2) != 0 || meta2.n != meta.n)
            abort();
        gw_meta_dispose(&meta2);
        gw_meta_dispose(&meta);
    }
    cn_buf_dispose(&b);
    return 0;
}
