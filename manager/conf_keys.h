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
#include "common/ring.h"

struct mgr_conf {
    char *rpc_listen;          /* HOST:PORT of the cluster RPC listener */
    char *admin_listen;        /* HOST:PORT of the admin HTTP API */
    uint64_t id;               /* this manager's id in the group (raft.h) */
    char *peers;               /* the group: id@host:raft_port[/rpc/admin], ... */
    char *raft_listen;         /* HOST:PORT of the Raft transport of a group of one */
    int join;                  /* an empty data dir waits to be added (update-managers) */
    uint64_t election_ms;      /* Raft: a follower that hears no leader this long campaigns */
    uint64_t raft_heartbeat_ms;
    uint64_t snapshot_threshold; /* entries between snapshots */
    uint64_t snapshot_trailing;  /* entries kept behind a snapshot */
    char *data_dir;            /* RocksDB state */
    char *sse_master;          /* the key service's master key file ("": none, kms_master.h) */
    char *sse_master_prev;     /* the master being rotated away from ("": none) */
    char *secret;              /* cluster secret (required) */
    uint64_t replicas;         /* N */
    uint64_t write_q;          /* W */
    uint64_t read_q;           /* R */
    uint64_t delete_q;         /* D */
    uint64_t heartbeat_ms;
    uint64_t node_timeout_ms;
    int log_level;
    char *log_file;
    char *admin_token;         /* bearer token for the admin API (non-loopback peers) */
    int token_on_loopback;     /* require the token from loopback peers too */
    char *audit_log;           /* JSON lines of every change (empty: <data_dir>/audit.log) */
    char *dashboard_dir;       /* static dashboard files (empty: installed, else source) */
    char *xdc_listen;          /* HOST:PORT of the link listener ("": off; xdc_srv.c) */
    char *xdc_cert;            /* its TLS certificate chain (PEM) */
    char *xdc_key;             /* its TLS private key (PEM) */
    char *xdc_ca;              /* CAs that verify remote link listeners (PEM; "": none) */
};

static const cn_conf_key_t mgr_conf_keys[] = {
    CN_CONF_KEY(CN_CONF_STR, "manager", "rpc_listen", struct mgr_conf, rpc_listen,
                "127.0.0.1:10010", 0, 0, 0,
                "cluster RPC address (HOST:PORT, port 0 picks a free port)"),
    CN_CONF_KEY(CN_CONF_STR, "manager", "admin_listen", struct mgr_conf, admin_listen,
                "127.0.0.1:10011", 0, 0, 0,
                "admin HTTP API address used by cairn-adm (HOST:PORT, port 0 picks a free port)"),
    CN_CONF_KEY(CN_CONF_UINT, "manager", "id", struct mgr_conf, id, "1", 1, 255, 0,
                "this manager's id in the group (its entry in peers)"),
    CN_CONF_KEY(CN_CONF_STR, "manager", "peers", struct mgr_conf, peers, "", 0, 0, 0,
                "the manager group, 1, 3 or 5 of ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT] "
                "(RPC and admin ports default to RAFT_PORT - 2 and - 1); empty: this manager "
                "alone, on raft_listen"),
    CN_CONF_KEY(CN_CONF_STR, "manager", "raft_listen", struct mgr_conf, raft_listen,
                "127.0.0.1:10012", 0, 0, 0,
                "Raft transport address of a group of one (HOST:PORT, port 0 picks a free "
                "port; a group that will grow needs a fixed one: other managers connect "
                "there); with peers, this manager's entry there"),
    CN_CONF_KEY(CN_CONF_BOOL, "manager", "join", struct mgr_conf, join, "false", 0, 0, 0,
                "with an empty data_dir, do not start a group: wait to be added to a running "
                "one with cairn-adm update-managers add (a new or replacing manager)"),
    CN_CONF_KEY(CN_CONF_UINT, "manager", "election_timeout_ms", struct mgr_conf, election_ms,
                "1000", 100, 60000, 0,
                "Raft election timeout: a follower that hears no leader for 1 to 2 times this "
                "campaigns (the same on every manager)"),
    CN_CONF_KEY(CN_CONF_UINT, "manager", "raft_heartbeat_ms", struct mgr_conf, raft_heartbeat_ms,
                "100", 10, 10000, 0,
                "Raft heartbeat interval of the leader (well below election_timeout_ms)"),
    CN_CONF_KEY(CN_CONF_UINT, "manager", "snapshot_threshold", struct mgr_conf,
                snapshot_threshold, "1024", 16, 1048576, 0,
                "log entries between snapshots of the manager's state"),
    CN_CONF_KEY(CN_CONF_UINT, "manager", "snapshot_trailing", struct mgr_conf,
                snapshot_trailing, "256", 4, 1048576, 0,
                "log entries kept behind a snapshot, so a follower a little behind needs none"),
    CN_CONF_KEY(CN_CONF_PATH, "manager", "data_dir", struct mgr_conf, data_dir,
                "./data/manager", 0, 0, 0,
                "RocksDB directory: members, rings, users, buckets (created if missing)"),
    CN_CONF_KEY(CN_CONF_PATH, "manager", "sse_master_key_file", struct mgr_conf, sse_master,
                "", 0, 0, 0,
                "master key of server-side encryption: a file of 32 raw bytes or 64 hex digits, "
                "mode 0600, the same on every manager (head -c 32 /dev/urandom > FILE); it "
                "wraps the key service's keys. Empty: no key service, SSE-S3 and SSE-KMS are "
                "refused (501)"),
    CN_CONF_KEY(CN_CONF_PATH, "manager", "sse_master_key_previous_file", struct mgr_conf,
                sse_master_prev, "", 0, 0, 0,
                "the master key being rotated away from: keys it wrapped still unwrap, and "
                "cairn-adm kms-rewrap wraps them again under sse_master_key_file (empty: none)"),
    CN_CONF_KEY(CN_CONF_STR, "cluster", "secret", struct mgr_conf, secret, "", 0, 0, 0,
                "shared cluster secret, the same on every daemon (required)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "replicas", struct mgr_conf, replicas, "3", 1,
                CN_RING_MAX_REPLICAS, 0,
                "N: copies of each object (fixed once the cluster is started)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "write", struct mgr_conf, write_q, "2", 1,
                CN_RING_MAX_REPLICAS, 0, "W: acks a write waits for (1..N)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "read", struct mgr_conf, read_q, "1", 1,
                CN_RING_MAX_REPLICAS, 0, "R: replicas a read asks (1..N)"),
    CN_CONF_KEY(CN_CONF_UINT, "cluster", "delete", struct mgr_conf, delete_q, "2", 1,
                CN_RING_MAX_REPLICAS, 0, "D: acks a delete waits for (1..N)"),
    CN_CONF_KEY(CN_CONF_MS, "cluster", "heartbeat_ms", struct mgr_conf, heartbeat_ms, "1000",
                10, 600000, 0, "how often every node sends a heartbeat"),
    CN_CONF_KEY(CN_CONF_MS, "cluster", "node_timeout_ms", struct mgr_conf, node_timeout_ms,
                "5000", 50, 3600000, 0, "a node silent this long is marked stop"),
    CN_CONF_KEY(CN_CONF_LEVEL, "log", "level", struct mgr_conf, log_level, "info", 0, 0, 1,
                "debug, info, warn or error"),
    CN_CONF_KEY(CN_CONF_PATH, "log", "file", struct mgr_conf, log_file, "", 0, 0, 0,
                "log file (empty: stderr); reopened on SIGHUP"),
    CN_CONF_KEY(CN_CONF_STR, "admin", "token", struct mgr_conf, admin_token, "", 0, 0, 0,
                "bearer token the admin API asks of non-loopback peers (cairn-adm --token or "
                "CAIRN_TOKEN); empty: only loopback peers are served"),
    CN_CONF_KEY(CN_CONF_BOOL, "admin", "require_token_on_loopback", struct mgr_conf,
                token_on_loopback, "false", 0, 0, 0,
                "ask loopback peers for the token too (needs admin.token)"),
    CN_CONF_KEY(CN_CONF_PATH, "admin", "audit_log", struct mgr_conf, audit_log, "", 0, 0, 0,
                "every change (POST/PUT/DELETE) as one JSON line (empty: DATA_DIR/audit.log)"),
    CN_CONF_KEY(CN_CONF_PATH, "admin", "dashboard_dir", struct mgr_conf, dashboard_dir, "", 0,
                0, 0, "web dashboard files (empty: the installed copy, else the source tree)"),
    CN_CONF_KEY(CN_CONF_STR, "xdc", "listen", struct mgr_conf, xdc_listen, "", 0, 0, 0,
                "the link listener other clusters' storage nodes and managers call (issue 22, "
                "multi-datacenter replication; TLS, each linked cluster authenticated by its "
                "link's secret): HOST:PORT, port 0 picks a free port; empty: off. Give these "
                "addresses to join-cluster on the other clusters"),
    CN_CONF_KEY(CN_CONF_PATH, "xdc", "cert_file", struct mgr_conf, xdc_cert, "", 0, 0, 0,
                "TLS certificate chain of the link listener (PEM, this manager's first); "
                "required with listen"),
    CN_CONF_KEY(CN_CONF_PATH, "xdc", "key_file", struct mgr_conf, xdc_key, "", 0, 0, 0,
                "TLS private key of the link listener (PEM); required with listen"),
    CN_CONF_KEY(CN_CONF_PATH, "xdc", "ca_file", struct mgr_conf, xdc_ca, "", 0, 0, 0,
                "CA certificates (PEM) that verify other clusters' link listeners when their "
                "link has no CA of its own (join-cluster --ca); empty: none"),
};
#define MGR_CONF_NKEYS (sizeof(mgr_conf_keys) / sizeof(mgr_conf_keys[0]))

#endif
