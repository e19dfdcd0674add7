/*
 * tests/cluster/harness.h: a small cluster on loopback for the replication tests: a real
 * cairn-manager (or none, when the test plays the manager itself) and several real
 * cairn-storage processes with generated configs, free ports, one temp dir; helpers that
 * drive storage RPC the way the gateway does (cn_rpc_call_sync).
 * Binaries come from $CAIRN_BUILD_DIR, else relative to the test binary (tests/cluster/).
 */
#ifndef CAIRN_TESTS_CLUSTER_HARNESS_H
#define CAIRN_TESTS_CLUSTER_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/ring.h"
#include "common/rpc.h"

#define TC_SECRET "cluster-test-secret"
#define TC_MAX_NODES 6

typedef struct tc_cluster {
    char dir[2048];
    int n;                     /* storage nodes */
    pid_t mgr_pid;
    int mgr_rpc, mgr_admin;    /* ports; mgr_rpc may be a fake manager's */
    pid_t pid[TC_MAX_NODES];
    int port[TC_MAX_NODES];
    char name[TC_MAX_NODES][16];
    cn_ring_t *ring;           /* the manager's cur ring once started */
    int containers;            /* [storage] containers (0: default) */
} tc_cluster_t;

/** Temp dir and, unless fake_mgr_port > 0, a real manager with N=3 W=2 R=read_q D=2. */
void tc_init(tc_cluster_t *c, int read_q, int fake_mgr_port);
/** Starts storage node i (port 0 the first time, the same port on a restart). */
void tc_node_start(tc_cluster_t *c, int i);
/** Sends sig and waits for the exit (SIGTERM: asserts exit code 0). */
void tc_node_stop(tc_cluster_t *c, int i, int sig);
/** POST /v1/start on the manager, then waits until every node holds the ring. */
void tc_start_ring(tc_cluster_t *c);
/** Waits until node i reports ring checksum sum (mq_stats ring_cur). */
void tc_wait_ring(tc_cluster_t *c, int i, uint64_t sum);
/** Stops everything (SIGTERM, then SIGKILL) and removes the dir (kept with
 *  CAIRN_TEST_KEEP=1; the logs are printed on request with CAIRN_TEST_LOGS=1). */
void tc_finish(tc_cluster_t *c);

/** GET path on the manager's admin API (no token: the test manager has none); the answer's
 *  body, NUL-terminated, to out. The HTTP status, or -1. */
int tc_admin_get(tc_cluster_t *c, const char *path, char *out, size_t cap);

/** Index of a node by name, -1 if none. */
int tc_index(const tc_cluster_t *c, const char *name);
/** key's N owners on c->ring (node indexes), coordinator first; returns how many. */
int tc_owners(const tc_cluster_t *c, const char *key, int n, int *out);

/** One call to node i; returns the response (free it) or NULL when the call failed. */
cn_msg_t *tc_call(tc_cluster_t *c, int i, cn_msg_t *req);
int tc_put(tc_cluster_t *c, int i, const char *key, const char *body, int replica,
           uint64_t clock, uint64_t *clock_out);
int tc_delete(tc_cluster_t *c, int i, const char *key, uint64_t *clock_out);
/** get through node i as the coordinator; body copied into out (NUL-terminated). */
int tc_get(tc_cluster_t *c, int i, const char *key, char *out, size_t outlen,
           uint64_t *clock_out);
/** whereis on node i: rc, clock, flags, corrupt. */
int tc_whereis(tc_cluster_t *c, int i, const char *key, uint64_t *clock, uint64_t *flags,
               uint64_t *corrupt);
/** A u64 field of a simple op's answer (mq_stats, recover_status...). UINT64_MAX on error. */
uint64_t tc_stat(tc_cluster_t *c, int i, const char *op, const char *field);
/** Waits until every running node's repair queue is empty (and nothing in flight). */
void tc_wait_drained(tc_cluster_t *c, int timeout_ms);

void tc_sleep_ms(int ms);

#define TC_WAIT(cond, ms, msg)                                                              \
    do {                                                                                    \
        int tc_ok_ = 0;                                                                     \
        for (int tc_w_ = 0; tc_w_ < (ms); tc_w_ += 20) {                                    \
            if (cond) {                                                                     \
                tc_ok_ = 1;                                                                 \
                break;                                                                      \
            }                                                                               \
            tc_sleep_ms(20);                                                                \
        }                                                                                   \
        cr_assert(tc_ok_ || (cond), "%s", msg);                                             \
    } while (0)

#endif
