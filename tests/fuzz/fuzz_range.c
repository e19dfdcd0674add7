/*
 * tests/fuzz/fuzz_range.c: libFuzzer target for the Range header parser (gw_range_parse in
 * gateway/s3/route.h). The whole input is the header value, tried against objects of several
 * sizes. Checks: a satisfiable range is non-empty and lies inside the object; the result is
 * one of 0, 1 and CN_EINVAL.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/s3/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t totals[] = {0, 1, 2, 500, 10000, 5ull << 30, UINT64_MAX - 1,
                                      UINT64_MAX};

    cn_log_set_level(CN_LOG_ERROR);
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        uint64_t off = 0xdead, len = 0xbeef, total = totals[i];
        int rc = gw_range_parse((const char *)data, size, total, &off, &len);
        if (rc == 0) {
            if (len == 0 || off >= total || len > total - off)
                abort(); /* a range outside the object */
        } else if (rc != 1 && rc != CN_EINVAL) {
            abort();
        }
    }
    return 0;
}
