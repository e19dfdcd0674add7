/*
 * tests/fuzz/fuzz_record.c: libFuzzer target for the container record decoder
 * (storage/engine/record.h), scanning the input as a container file is scanned on crash recovery:
 * decode a record, step over it, and after a corrupt one look for the next magic. When the
 * input's last byte is odd, the checksums of each candidate record are recomputed first, so
 * that the fuzzer also reaches the range checks behind them.
 * Checks: a decoded record lies inside the input, its size is what the header says, and
 * encoding it again gives back the same record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "storage/engine/record.h"
#include "tests/fuzz/fuzz_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *base, size_t size, cn_slice_t s)
{
    return s.len == 0 ||
           ((const uint8_t *)s.ptr >= base && s.len <= size &&
            (const uint8_t *)s.ptr - base <= (ptrdiff_t)(size - s.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fix = size > 0 && (data[size - 1] & 1);
    uint8_t *buf = cn_malloc(size ? size : 1);
    size_t off = 0;
    cn_buf_t again;

    cn_log_set_level(CN_LOG_ERROR);
    memcpy(buf, data, size);
    cn_buf_init(&again);
    while (off < size) {
        stor_rec_hdr_t h;
        cn_slice_t key, meta, body;
        stor_rec_hdr_t h2;
        cn_slice_t k2, m2, b2;
        size_t used = 0, used2 = 0;
        int rc;

        if (fix)
            fuzz_rec_fix_crcs(buf + off, size - off);
        if (size - off >= STOR_REC_HDR)
            (void)stor_rec_decode_hdr(buf + off, &h);
        rc = stor_rec_decode(buf + off, size - off, &h, &key, &meta, &body, &used);
        if (rc == 0) {
            if (used < STOR_REC_HDR || used > size - off || used != stor_rec_size(&h) ||
                !inside(buf + off, used, key) || !inside(buf + off, used, meta) ||
                !inside(buf + off, used, body) || key.len != h.key_len ||
                meta.len != h.meta_len || body.len != h.body_len)
                abort();
            /* Encode it again: the same record must come back (the decoder does not insist
             * on zero padding after the ETag or zero reserved bytes, so compare fields). */
            cn_buf_reset(&again);
            stor_rec_encode(&again, &h, key, meta, body);
            if (again.len != used ||
                stor_rec_decode(again.data, again.len, &h2, &k2, &m2, &b2, &used2) != 0 ||
                used2 != used || h2.flags != h.flags || h2.clock != h.clock ||
                h2.mtime_ms != h.mtime_ms || h2.data_crc != h.data_crc ||
                strcmp(h2.etag, h.etag) != 0 || !cn_slice_eq(k2, key) || !cn_slice_eq(m2, meta) ||
                !cn_slice_eq(b2, body))
                abort(); /* decode and encode disagree */
            off += used;
        } else if (rc == CN_EAGAIN) {
            break; /* a torn tail: recovery cuts it here */
        } else if (rc == CN_ECORRUPT) {
            /* skip to the next candidate magic, as a scan for the next good record would */
            size_t next = off + 1;
            while (next + 4 <= size && cn_get_u32le(buf + next) != STOR_REC_MAGIC)
                next++;
            off = next + 4 <= size ? next : size;
        } else {
            abort();
        }
    }
    cn_buf_dispose(&again);
    cn_free(buf);
    return 0;
}
