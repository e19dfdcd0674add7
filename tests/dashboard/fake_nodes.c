/*
 * tests/dashboard/fake_nodes.c: stands in for storage nodes (and optionally a gateway) in
 * tests of the manager's operator surface: registers them with the manager over the real
 * cluster RPC (cn_rpc_call_sync: msgpack frames, HMAC handshake) and heartbeats them every
 * --interval-ms with the manager's current ring checksum (learned with get_ring), so that
 * they show up running with matching checksums once the cluster is started. A node named by
 * --stale reports a wrong checksum instead. Runs until SIGTERM/SIGINT (exit 0).
 *   fake_nodes --rpc HOST:PORT --secret S [--count 4] [--prefix storage] [--gateway NAME]
 *              [--stale NAME] [--interval-ms 300]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/proto.h"
#include "common/rpc.h"

#define FAKE_MAX_NODES 64
#define FAKE_TIMEOUT_MS 3000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = 1;
}

static int call(const char *host, int port, const char *secret, cn_msg_t *req, cn_msg_t **resp)
{
    int rc = cn_rpc_call_sync(host, port, secret, "fake_nodes", req, FAKE_TIMEOUT_MS, resp);

    if (rc == 0 && cn_msg_rc(*resp) != 0) {
        rc = cn_msg_rc(*resp);
        cn_msg_free(*resp);
        *resp = NULL;
    }
    return rc;
}

static int do_register(const char *host, int port, const char *secret, const char *type,
                       const char *name, int node_port)
{
    cn_msg_t *req = cn_msg_new(CN_OP_REGISTER), *resp = NULL;
    int rc;

    cn_msg_set_str(req, "type", type);
    cn_msg_set_str(req, "name", name);
    cn_msg_set_str(req, "host", "127.0.0.1");
    cn_msg_set_u64(req, "port", (uint64_t)node_port);
    cn_msg_set_u64(req, "vnodes", 128);
    if ((rc = call(host, port, secret, req, &resp)) == 0)
        cn_msg_free(resp);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rpc", required_argument, NULL, 'r'},  {"secret", required_argument, NULL, 's'},
        {"count", required_argument, NULL, 'n'}, {"prefix", required_argument, NULL, 'p'},
        {"gateway", required_argument, NULL, 'g'}, {"stale", required_argument, NULL, 'x'},
        {"interval-ms", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0},
    };
    const char *rpc = NULL, *secret = NULL, *prefix = "storage", *gateway = NULL, *stale = "";
    char names[FAKE_MAX_NODES + 1][64], host[64];
    int count = 4, interval = 300, port = 0, opt, n = 0;
    struct timespec ts;

    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': rpc = optarg; break;
        case 's': secret = optarg; break;
        case 'n': count = atoi(optarg); break;
        case 'p': prefix = optarg; break;
        case 'g': gateway = optarg; break;
        case 'x': stale = optarg; break;
        case 'i': interval = atoi(optarg); break;
        default: return 2;
        }
    }
    if (rpc == NULL || secret == NULL || count < 0 || count > FAKE_MAX_NODES || interval < 10 ||
        cn_parse_hostport(rpc, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "usage: fake_nodes --rpc HOST:PORT --secret S [--count N] "
                        "[--prefix P] [--gateway NAME] [--stale NAME] [--interval-ms MS]\n");
        return 2;
    }
    cn_log_init("fake_nodes", CN_LOG_WARN, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    for (int i = 0; i < count; i++) {
        snprintf(names[n], sizeof(names[n]), "%s%d", prefix, i);
        if (do_register(host, port, secret, CN_NODE_STORAGE, names[n], 20000 + i) != 0) {
            fprintf(stderr, "fake_nodes: cannot register %s at %s\n", names[n], rpc);
            return 1;
        }
        n++;
    }
    if (gateway != NULL) {
        snprintf(names[n], sizeof(names[n]), "%s", gateway);
        if (do_register(host, port, secret, CN_NODE_GATEWAY, names[n], 8080) != 0) {
            fprintf(stderr, "fake_nodes: cannot register %s at %s\n", gateway, rpc);
            return 1;
        }
        n++;
    }
    printf("registered %d\n", n);
    fflush(stdout);
    while (!stop) {
        cn_msg_t *resp = NULL;
        uint64_t sum = 0;

        if (call(host, port, secret, cn_msg_new(CN_OP_GET_RING), &resp) == 0) {
            cn_msg_get_u64(resp, "cur_sum", &sum);
            cn_msg_free(resp);
        }
        for (int i = 0; i < n && !stop; i++) {
            cn_msg_t *req = cn_msg_new(CN_OP_HEARTBEAT);

            cn_msg_set_str(req, "name", names[i]);
            cn_msg_set_u64(req, "ring_cur", strcmp(names[i], stale) == 0 ? 0xbad0bad0u : sum);
            cn_msg_set_u64(req, "ring_prev", 0);
            if (call(host, port, secret, req, &resp) == 0)
                cn_msg_free(resp);
        }
        ts.tv_sec = interval / 1000;
        ts.tv_nsec = (long)(interval % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }
    return 0;
}
