/*
 * storage/storage.h: the cairn-storage server object and module start/stop. Nothing else
 * lives here (no god header): modules keep their own state in their own files.
 * Threads: struct stor_server and every module belong to the main loop thread; only the
 * engine (storage/engine.h) is used from the libuv thread pool.
 */
#ifndef CAIRN_STORAGE_STORAGE_H
#define CAIRN_STORAGE_STORAGE_H

#include <stdint.h>
#include <uv.h>

#include "storage/engine.h"

struct stor_conf {
    char *name;
    char *rpc_listen;
    char *data_dir;
    char *engine;
    char *index_dir;
    char *container_dirs;
    uint64_t containers;
    int sync;
    uint64_t tombstone_grace;
    uint64_t compact_rate;
    uint64_t compact_auto_ratio;
    uint64_t scrub_rate;
    uint64_t scrub_interval;
    uint64_t vnodes;
    char *manager_address;
    char *secret;
    uint64_t heartbeat_ms;
    int log_level;
    char *log_file;
};

struct stor_rpc;
struct stor_mgr_link;

/** The engine options of c (strings borrowed from c). */
void stor_conf_engine_opts(const struct stor_conf *c, stor_engine_opts_t *o);

#define STOR_SERVER_MAGIC 0x53545356u /* "STSV" */

struct stor_server {
    uint32_t magic;
    uv_loop_t *loop;
    const struct stor_conf *conf;
    stor_engine_t *engine;
    char rpc_host[64];          /* listen host, also registered with the manager */
    int rpc_port;               /* the real bound port */
    struct stor_rpc *rpc;
    struct stor_mgr_link *mgr;
};

/** Starts the RPC server on conf->rpc_listen; fills s->rpc_port. 0 or a CN_E* code. */
int stor_rpc_start(struct stor_server *s);
/** Stops listening and closes connections; work in the thread pool finishes, its replies
 *  are dropped. Run the loop afterwards. */
void stor_rpc_stop(struct stor_server *s);

/** Starts registering with the manager (retried every second), then heartbeats. Never fails
 *  for an unreachable manager; CN_EINVAL for a bad manager address. */
int stor_mgr_start(struct stor_server *s);
void stor_mgr_stop(struct stor_server *s);

#endif
