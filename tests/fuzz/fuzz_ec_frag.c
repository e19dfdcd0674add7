/*
 * tests/fuzz/fuzz_ec_frag.c: libFuzzer target for the erasure-coded fragment's stored form
 * (common/ec_frag.h, issue 21): the input is a stored fragment (header, then payload), given
 * to cn_frag_decode whole and to cn_frag_hdr_decode. When the input's last byte is odd, a copy
 * with both CRCs recomputed (the header's over bytes 0..59, the payload's over the bytes after
 * the header) is decoded too, so that the fuzzer also reaches the field checks behind them.
 * Checks: 0 or CN_ECORRUPT, and a zeroed header and no payload on a refusal; a decoded
 * fragment is exactly header + payload_len bytes with its payload right after the header, its
 * header encodes back to the input's bytes, the header decoder alone agrees with it, and its
 * K, M and lengths make a codec (cn_ec_create) whose fragment length is payload_len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ec.h"
#include "common/ec_frag.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_zero(const cn_frag_hdr_t *h)
{
    static const cn_frag_hdr_t zero;
    return memcmp(h, &zero, sizeof(zero)) == 0;
}

/* A header that passed: it encodes back to p's bytes and describes a codec's fragment. */
static void check_header(const uint8_t *p, const cn_frag_hdr_t *h)
{
    uint8_t again[CN_FRAG_HDR_LEN];
    cn_ec_t *ec;

    cn_frag_hdr_encode(h, again);
    FUZZ_CHECK(memcmp(again, p, CN_FRAG_HDR_LEN) == 0);
    FUZZ_CHECK(cn_ec_create(h->k, h->m, &ec) == 0);
    FUZZ_CHECK(h->index < cn_ec_k(ec) + cn_ec_m(ec));
    FUZZ_CHECK(cn_ec_frag_len(ec, (size_t)h->chunk_len) == h->payload_len);
    cn_ec_destroy(ec);
}

static void check(const uint8_t *p, size_t size)
{
    cn_frag_hdr_t h, only;
    const uint8_t *payload = p;
    int rc = cn_frag_decode(p, size, &h, &payload);
    int rc_hdr = cn_frag_hdr_decode(p, size, &only);

    FUZZ_CHECK(rc == 0 || rc == CN_ECORRUPT);
    FUZZ_CHECK(rc_hdr == 0 || rc_hdr == CN_ECORRUPT);
    FUZZ_CHECK(rc_hdr == 0 || is_zero(&only));
    if (rc != 0) {
        FUZZ_CHECK(is_zero(&h) && payload == NULL);
    } else {
        FUZZ_CHECK(rc_hdr == 0 && memcmp(&h, &only, sizeof(h)) == 0);
        FUZZ_CHECK(size == CN_FRAG_HDR_LEN + (size_t)h.payload_len);
        FUZZ_CHECK(payload == p + CN_FRAG_HDR_LEN);
        FUZZ_CHECK(cn_frag_check_payload(&h, payload, h.payload_len) == 0);
    }
    if (rc_hdr == 0)
        check_header(p, &only);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_log_set_level(CN_LOG_ERROR);
    check(data, size);
    if (size >= CN_FRAG_HDR_LEN && (data[size - 1] & 1)) {
        uint8_t *buf = cn_malloc(size);
        memcpy(buf, data, size);
        cn_put_u32le(buf + 44, cn_crc32c(0, buf + CN_FRAG_HDR_LEN, size - CN_FRAG_HDR_LEN));
        cn_put_u32le(buf + 60, cn_crc32c(0, buf, 60));
        check(buf, size);
        cn_free(buf);
    }
    return 0;
}
