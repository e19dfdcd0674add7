/*
 * tests/fuzz/fuzz_rpc_frame.c: libFuzzer target for the cluster RPC decoder (common/rpc.h):
 * the input is a byte stream from a peer, fed to a frame reader in two pieces (the split point
 * is taken from the first byte) and decoded into messages; the same bytes are also decoded as
 * one bare payload. Every message decoded is read through the getters and re-encoded, and the
 * re-encoding must decode again. Any crash, leak, UB or failed round trip is a finding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAME (1u << 20)

static void exercise(const cn_msg_t *m)
{
    static const char *const names[] = {"rc", "key", "etag", "flags", "size", "clock", "name",
                                        "mac", "nonce", "meta", "off", "len"};
    uint64_t u;
    int64_t i;
    cn_slice_t s;
    char str[64];
    cn_buf_t b;
    cn_msg_t *again = NULL;

    (void)cn_msg_op(m);
    (void)cn_msg_kind(m);
    (void)cn_msg_id(m);
    (void)cn_msg_rc(m);
    (void)cn_msg_body(m);
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        (void)cn_msg_get_u64(m, names[k], &u);
        (void)cn_msg_get_i64(m, names[k], &i);
        (void)cn_msg_get_bytes(m, names[k], &s);
        (void)cn_msg_get_str(m, names[k], str, sizeof(str));
    }
    cn_buf_init(&b);
    cn_msg_encode(m, cn_msg_kind(m), cn_msg_id(m), &b);
    if (b.len < 4 || cn_get_u32be(b.data) != b.len - 4 ||
        cn_msg_decode(b.data + 4, b.len - 4, &again) != 0)
        abort(); /* a decoded message must survive its own re-encoding */
    cn_msg_free(again);
    cn_buf_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_frame_reader_t r;
    cn_msg_t *m = NULL;
    size_t split = size ? data[0] % (size + 1) : 0;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    cn_frame_reader_init(&r, MAX_FRAME);
    cn_frame_reader_feed(&r, data, split);
    while ((rc = cn_frame_reader_next(&r, &m)) == 1) {
        exercise(m);
        cn_msg_free(m);
    }
    if (rc == 0) {
        cn_frame_reader_feed(&r, data + split, size - split);
        while ((rc = cn_frame_reader_next(&r, &m)) == 1) {
            exercise(m);
            cn_msg_free(m);
        }
    }
    if (rc != 0 && rc != CN_E2BIG && rc != CN_EPROTO)
        abort();
    cn_frame_reader_dispose(&r);

    m = NULL;
    rc = cn_msg_decode(data, size, &m);
    if (rc == 0) {
        exercise(m);
        cn_msg_free(m);
    } else if (rc != CN_EPROTO) {
        abort();
    }
    return 0;
}
