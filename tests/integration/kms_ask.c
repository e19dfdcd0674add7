/*
 * tests/integration/kms_ask.c: asks one manager for a key of the key service over the real
 * cluster RPC (kms_key, docs/PROTOCOL.md) as a gateway does, for tests/integration/
 * test_kms.sh. It never prints a key: only a fingerprint (the first 8 bytes of its SHA-256,
 * hex), enough to tell two keys apart or equal. It does not follow a follower to the leader.
 *   kms_ask HOST:PORT SECRET NAME [EPOCH [CREATE]]
 * Prints "NAME EPOCH FINGERPRINT" and exits 0; or the code's name ("ENOENT", "ENOTSUP",
 * "ENOTLEADER", ...) and exits 1; 2 for a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/proc.h"
#include "common/proto.h"
#include "common/rpc.h"
#include "common/sse.h"

/* The code's name: "ENOENT" of "ENOENT: no such entry". */
static void print_rc(int rc)
{
    const char *e = cn_strerror(rc);

    printf("%.*s\n", (int)strcspn(e, ":"), e);
}

int main(int argc, char **argv)
{
    uint8_t digest[CN_SHA256_LEN];
    char host[64], name[CN_KMS_NAME_MAX + 1], fp[2 * 8 + 1];
    cn_msg_t *req, *resp = NULL;
    uint64_t epoch = 0;
    cn_slice_t key;
    int port, rc;

    if (argc < 4 || argc > 6 || cn_parse_hostport(argv[1], host, sizeof(host), &port) != 0) {
        fprintf(stderr, "usage: kms_ask HOST:PORT SECRET NAME [EPOCH [CREATE]]\n");
        return 2;
    }
    req = cn_msg_new(CN_OP_KMS_KEY);
    cn_msg_set_str(req, "name", argv[3]);
    cn_msg_set_u64(req, "epoch", argc > 4 ? strtoull(argv[4], NULL, 10) : 0);
    cn_msg_set_u64(req, "create", argc > 5 ? strtoull(argv[5], NULL, 10) : 0);
    if ((rc = cn_rpc_call_sync(host, port, argv[2], "kms_ask", req, 5000, &resp)) != 0 ||
        (rc = cn_msg_rc(resp)) != 0) {
        print_rc(rc);
        cn_msg_free(resp);
        return 1;
    }
    if (cn_msg_get_str(resp, "name", name, sizeof(name)) != 0 ||
        cn_msg_get_u64(resp, "epoch", &epoch) != 0 || cn_msg_get_bytes(resp, "key", &key) != 0 ||
        key.len != CN_SSE_KEY_LEN) {
        print_rc(CN_EPROTO);
        cn_msg_free(resp);
        return 1;
    }
    cn_sha256(key.ptr, key.len, digest);
    cn_hex(digest, 8, fp);
    printf("%s %llu %s\n", name, (unsigned long long)epoch, fp);
    cn_msg_free(resp);
    return 0;
}
