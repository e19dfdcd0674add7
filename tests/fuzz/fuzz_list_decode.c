/*
 * tests/fuzz/fuzz_list_decode.c: libFuzzer target for cn_list_decode (common/proto.h), the
 * listing body a gateway receives from a storage node. Every decoded entry is read, and the
 * listing encoded again must decode to the same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_list_result_t *res = NULL, *res2 = NULL;
    cn_buf_t b;
    size_t n;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    rc = cn_list_decode(data, size, &res);
    if (rc != 0) {
        if (rc != CN_ECORRUPT)
            abort();
        return 0;
    }
    n = cn_list_result_count(res);
    cn_buf_init(&b);
    cn_list_encode_begin(&b, n);
    for (size_t i = 0; i < n; i++) {
        const cn_list_entry_t *e = cn_list_result_at(res, i);
        if (e == NULL || strnlen(e->etag, sizeof(e->etag)) == sizeof(e->etag))
            abort(); /* etag must be NUL-terminated */
        if (e->key.len > 0 && e->key.ptr == NULL)
            abort();
        cn_list_encode_entry(&b, e);
    }
    if (cn_list_decode(b.data, b.len, &res2) != 0 || cn_list_result_count(res2) != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        const cn_list_entry_t *a = cn_list_result_at(res, i), *c = cn_list_result_at(res2, i);
        if (!cn_slice_eq(a->key, c->key) || a->size != c->size || strcmp(a->etag, c->etag) != 0 ||
            a->mtime_ms != c->mtime_ms || a->clock != c->clock || a->flags != c->flags ||
            !cn_slice_eq(a->meta, c->meta))
            abort();
    }
    cn_list_result_free(res2);
    cn_buf_dispose(&b);
    cn_list_result_free(res);
    return 0;
}
