/*
 * tests/fuzz/fuzz_ring_decode.c: libFuzzer target for cn_ring_decode (common/ring.h), the
 * ring a node receives from the manager. A decoded ring must answer lookups (its deepest rows
 * distinct), and encoding it again must decode to a ring with the same checksum and members.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_ring_t *r = NULL, *r2 = NULL;
    const cn_ring_node_t *owners[CN_RING_MAX_OWNERS];
    cn_buf_t b;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    rc = cn_ring_decode(data, size, &r);
    if (rc != 0) {
        if (rc != CN_ECORRUPT || r != NULL)
            abort();
        return 0;
    }
    size_t n = cn_ring_node_count(r);
    size_t got = cn_ring_lookup(r, "bucket/key", 10, 3, owners);
    if (got > n || got > 3)
        abort();
    for (size_t i = 0; i < got; i++)
        if (owners[i] == NULL || cn_ring_find(r, owners[i]->name) != owners[i])
            abort();
    got = cn_ring_lookup_arc(r, CN_RING_PARTITIONS - 1, CN_RING_MAX_OWNERS, owners);
    if (got != (n < CN_RING_MAX_OWNERS ? n : CN_RING_MAX_OWNERS))
        abort();
    for (size_t i = 0; i < got; i++)
        for (size_t j = i + 1; j < got; j++)
            if (owners[i] == owners[j])
                abort();

    cn_buf_init(&b);
    cn_ring_encode(r, &b);
    if (cn_ring_decode(b.data, b.len, &r2) != 0 || cn_ring_checksum(r2) != cn_ring_checksum(r) ||
        cn_ring_node_count(r2) != n)
        abort();
    cn_ring_destroy(r2);
    cn_buf_dispose(&b);
    cn_ring_destroy(r);
    return 0;
}
