/*
 * manager/conf_keys.h: the configuration of cairn-manager, declared once as a cn_conf_key_t
 * table (common/conf.h). The same table fills the defaults, parses cairn-manager.conf and
 * --set, prints --print-config and writes conf/cairn-manager.conf.sample (--help-config).
 * Cross-key rules (W, R, D <= N; a non-empty secret) are checked by mgr_conf_check().
 */
#ifndef CAIRN_MANAGER_CONF_KEYS_H
#define CAIRN_MANAGER_CONF_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "common/conf.h"

struct mgr_conf {
    char *rpc_listen;          /* HOST:PORT of the cluster RPC listener */
    char *admin_listen;        /* HOST:PORT of the admin HTTP API */
    char *data_dir;            /* RocksDB state */
    char *secret;              /* cluster secret (required) */
    uint64_t replicas;         /* N */
    uint64_t write_q;          /* W */
    uint64_t read_q;           /* R */
    uint64_t delete_q;         /* D */
    uint64_t heartbeat_ms;
    uint64_t node_timeout_ms;
    int log_level;
    char *log_file;
};

static const cn_conf_key_t mgr_conf_keys[] = {
    CN_CONF_KEY(CN_CONF_STR, "manager", "rpc_listen", struct mgr_conf, rpc_listen,
                "127.0.0.1:10010", 0, 0, 0,
                "cluster RPC address (HOST:PORT, port 0 picks a free port)"),
    CN_CONF_KEY(CN_CONF_STR, "manager", "admin_listen", struct mgr_conf, admin_listen,
                "127.0.0.1:10011", 0, 0, 0,
                "admin HTTP API address used by cairn-adm (HOST:PORT, port 0 picks a free port)"),
    CN_CONF_KEY(CN_CONF_PATH, "manager", "data_dir", struct mgr_conf, data_dir,
                "./data/manager", 0, 0, 0,
                "RocksDB directory: members, rings, users, buckets (created if missing)"),
    CN_CONF_KEY(CN_CONF_STR, "cluster", "secret", struct mgr_conf, secret, "", 0, 0, 0,
                "shared cluster secret, the same on every daemon (required)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "replicas", struct mgr_conf, replicas, "3", 1, 8, 0,
                "N: copies of each object (fixed once the cluster is started)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "write", struct mgr_conf, write_q, "2", 1, 8, 0,
                "W: acks a write waits for (1..N)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "read", struct mgr_conf, read_q, "1", 1, 8, 0,
                "R: replicas a read asks (1..N)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "delete", struct mgr_conf, delete_q, "2", 1, 8, 0,
                "D: acks a delete waits for (1..N)"),
    CN_CONF_KEY(CN_CONF_MS, "cluster", "heartbeat_ms", struct mgr_conf, heartbeat_ms, "1000",
                10, 600000, 0, "how often every node sends a heartbeat"),
    CN_CONF_KEY(CN_CONF_MS, "cluster", "node_timeout_ms", struct mgr_conf, node_timeout_ms,
                "5000", 50, 3600000, 0, "a node silent this long is marked stop"),
    CN_CONF_KEY(CN_CONF_LEVEL, "log", "level", struct mgr_conf, log_level, "info", 0, 0, 1,
                "debug, info, warn or error"),
    CN_CONF_KEY(CN_CONF_PATH, "log", "file", struct mgr_conf, log_file, "", 0, 0, 0,
                "log file (empty: stderr); reopened on SIGHUP"),
};
#define MGR_CONF_NKEYS (sizeof(mgr_conf_keys) / sizeof(mgr_conf_keys[0]))

#endif
