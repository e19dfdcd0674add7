/*
 * tests/fuzz/fuzz_manifest.c: libFuzzer target for the gateway's stored formats
 * (gateway/s3/manifest.h): the chunk manifest of a large object and the object metadata map,
 * both read back from storage nodes. A decoded manifest is walked as a ranged GET walks it
 * (locate, chunk keys) and must survive its own re-encoding, format 2's plaintext size and
 * encryption record included; decoded metadata likewise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "gateway/s3/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const cn_manifest_t *m)
{
    static const uint64_t probes[] = {0, 1, 4095, 5u << 20};
    cn_chunk_ref_t ref;
    cn_buf_t key;

    cn_buf_init(&key);
    for (size_t i = 0; i < m->nsegs && i < 16; i++) {
        uint64_t n = cn_manifest_seg_chunks(&m->segs[i]);
        if (n > 0) {
            cn_manifest_chunk_key(&m->segs[i], 0, &key);
            cn_manifest_chunk_key(&m->segs[i], n - 1, &key);
        }
    }
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
