/*
 * tests/fuzz/fuzz_cmd_decode.c: libFuzzer target for mgr_cmd_decode (manager/cmd.h), the
 * decoder of the manager's command entries: the one way into the state, and with Raft the
 * payload of every log entry a peer sends. Arbitrary bytes decode (0) or are refused with
 * CN_ECORRUPT or CN_EPROTO, never a crash or a leak; a decoded entry encodes again into an
 * entry that decodes to the same encoding (the encoding of a value is unique).
 * Seeds: tests/fuzz/corpus/cmd_decode/gen-* (mkseeds gen: one entry of every kind).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "manager/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mgr_cmd_t c, c2;
    cn_buf_t a, b;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    rc = mgr_cmd_decode(data, size, &c);
    if (rc != 0) {
        if ((rc != CN_ECORRUPT && rc != CN_EPROTO) || c.kind != MGR_CMD_NONE || c.ring != NULL ||
            c.recs != NULL)
            abort();
        return 0;
    }
    if (c.kind <= MGR_CMD_NONE || c.kind >= MGR_CMD_NKINDS)
        abort();
    cn_buf_init(&a);
    mgr_cmd_encode(&c, &a);
    if (mgr_cmd_decode(a.data, a.len, &c2) != 0 || c2.kind != c.kind)
        abort();
    cn_buf_init(&b);
    mgr_cmd_encode(&c2, &b);
    if (b.len != a.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
    mgr_cmd_dispose(&c2);
    mgr_cmd_dispose(&c);
    return 0;
}
