/*
 * tests/fuzz/fuzz_aws_chunked.c: libFuzzer target for the aws-chunked body decoder and the
 * checksum helpers (gateway/auth/aws_chunked.h). The first input byte picks the mode (signed,
 * signed with trailer, unsigned with trailer), the rest is the body, decoded in place in a
 * copy with a fixed signing key. Checks: the payload is no longer than the body, the trailer
 * strings are NUL-terminated, and the result is one of the documented codes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/auth/aws_chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    static const gw_chunked_mode_t modes[] = {GW_CHUNKED_SIGNED, GW_CHUNKED_SIGNED_TRAILER,
                                              GW_CHUNKED_UNSIGNED_TRAILER};
    const gw_chunked_sig_t sig = {
        .signing_key = key,
        .amz_date = "20130524T000000Z",
        .scope = "20130524/us-east-1/s3/aws4_request",
        .seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    };
    gw_chunked_out_t out;
    gw_chunked_mode_t mode;
    char *buf, b64[64];
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    if (size == 0)
        return 0;
    mode = modes[data[0] % 3];
    buf = cn_malloc(size);
    memcpy(buf, data + 1, size - 1);
    memset(&out, 0x5a, sizeof(out));
    rc = gw_chunked_decode(buf, size - 1, mode, mode == GW_CHUNKED_UNSIGNED_TRAILER ? NULL : &sig,
                           &out);
    if (rc == 0) {
        if (out.len > size - 1 || memchr(out.trailer_name, '\0', sizeof(out.trailer_name)) == NULL ||
            memchr(out.trailer_value, '\0', sizeof(out.trailer_value)) == NULL)
            abort();
        gw_checksum_alg_t alg = gw_checksum_alg(out.trailer_name, strlen(out.trailer_name));
        if (alg != GW_CK_NONE)
            gw_checksum_b64(alg, buf, out.len, b64);
    } else if (rc != CN_EINVAL && rc != CN_EACCES && rc != CN_E2BIG) {
        abort();
    }
    (void)gw_chunked_mode((const char *)data, size);
    (void)gw_checksum_alg((const char *)data, size);
    cn_free(buf);
    return 0;
}
