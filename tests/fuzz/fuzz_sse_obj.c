/*
 * tests/fuzz/fuzz_sse_obj.c: libFuzzer target for an encrypted object's encryption record
 * (gateway/s3/sse_obj.h), the "sse" bytes of a format-2 chunk manifest, read back from the
 * storage nodes. Checks: 0 or CN_ECORRUPT, and a refused record left zeroed; a decoded record
 * has mode S3, KMS or C and encodes to exactly the input (one encoding per record); its key
 * operation with FUZZ_SSE_KEY for the object "b/k" answers a documented code (SSE-C: 0 or
 * CN_EACCES; wrapped: 0 or CN_ECORRUPT), the same data key twice, and the other kind's
 * operation CN_EINVAL; no leak. The seeds (mkseeds gen) are made with that key, so that the
 * fuzzer starts from records that open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "gateway/s3/sse_obj.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* o's key operation, then the other kind's; rc of the first */
static int open_key(const gw_sse_obj_t *o, const uint8_t key[CN_SSE_KEY_LEN],
                    uint8_t dk[CN_SSE_KEY_LEN])
{
    uint8_t none[CN_SSE_KEY_LEN];

    if (o->mode == GW_SSE_C) {
        FUZZ_CHECK(gw_sse_obj_open_wrapped(o, key, CN_SLICE("b/k"), none) == CN_EINVAL);
        return gw_sse_obj_open_c(o, key, dk);
    }
    FUZZ_CHECK(gw_sse_obj_open_c(o, key, none) == CN_EINVAL);
    return gw_sse_obj_open_wrapped(o, key, CN_SLICE("b/k"), dk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gw_sse_obj_t zero;
    static const uint8_t key[CN_SSE_KEY_LEN] = FUZZ_SSE_KEY;
    uint8_t dk[CN_SSE_KEY_LEN], again[CN_SSE_KEY_LEN];
    gw_sse_obj_t o;
    cn_buf_t b;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    rc = gw_sse_obj_decode(data, size, &o);
    FUZZ_CHECK(rc == 0 || rc == CN_ECORRUPT);
    if (rc != 0) {
        FUZZ_CHECK(memcmp(&o, &zero, sizeof(o)) == 0);
        return 0;
    }
    FUZZ_CHECK(o.mode == GW_SSE_S3 || o.mode == GW_SSE_KMS || o.mode == GW_SSE_C);
    cn_buf_init(&b);
    gw_sse_obj_encode(&o, &b);
    FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    cn_buf_dispose(&b);

    rc = open_key(&o, key, dk);
    FUZZ_CHECK(rc == 0 || rc == (o.mode == GW_SSE_C ? CN_EACCES : CN_ECORRUPT));
    if (rc == 0) {
        FUZZ_CHECK(open_key(&o, key, again) == 0);
        FUZZ_CHECK(memcmp(dk, again, sizeof(dk)) == 0);
    }
    gw_sse_obj_dispose(&o);
    return 0;
}
