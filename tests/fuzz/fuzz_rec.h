/*
 * tests/fuzz/fuzz_rec.h: a helper of the container fuzz targets (fuzz_record, fuzz_recover):
 * recomputing a candidate record's checksums so that mutated records get past them and the
 * checks behind them are reached.
 */
#ifndef CAIRN_TESTS_FUZZ_FUZZ_REC_H
#define CAIRN_TESTS_FUZZ_FUZZ_REC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hash.h"
#include "storage/engine/record.h"

/* Makes both CRCs of the record at p right (as far as its bytes are there). */
static inline void fuzz_rec_fix_crcs(uint8_t *p, size_t len)
{
    uint64_t klen, mlen, blen, dlen;

    if (len < STOR_REC_HDR)
        return;
    klen = cn_get_u32le(p + 6) & 0xffff;
    mlen = cn_get_u32le(p + 12);
    blen = cn_get_u64le(p + 16);
    dlen = klen + mlen;
    if (blen <= len && dlen + blen <= len - STOR_REC_HDR)
        cn_put_u32le(p + 112, cn_crc32c(0, p + STOR_REC_HDR, dlen + blen));
    cn_put_u32le(p + 124, cn_crc32c(0, p, 124));
}

#endif
