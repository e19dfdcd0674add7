/*
 * storage/conf_keys.h: the configuration keys of cairn-storage, one line each:
 *   STOR_CONF(type, section, key, field of struct stor_conf, default, min, max, reloadable,
 *             help)
 * and STOR_CONF_ALIAS(section, old key, key, help) for an old name kept working.
 * Included by storage/main.c to build the cn_conf_key_t table (common/conf.h), which also
 * prints --help-config and conf/cairn-storage.conf.sample. No include guard on purpose.
 */
STOR_CONF(CN_CONF_STR, "storage", "name", name, "storage0", 0, 0, 0,
          "unique node name in the cluster (ring member name)")
STOR_CONF(CN_CONF_STR, "storage", "rpc_listen", rpc_listen, "127.0.0.1:10100", 0, 0, 0,
          "cluster RPC listen address host:port (port 0 picks a free port; the host is also "
          "the address registered with the manager, which peers and gateways connect to, so "
          "not a wildcard such as 0.0.0.0)")
STOR_CONF(CN_CONF_PATH, "storage", "data_dir", data_dir, "./data/storage", 0, 0, 0,
          "where the engine keeps its files (container engine: data_dir/index and "
          "data_dir/containers unless index_dir / container_dirs say otherwise; simple engine: "
          "data_dir/simple)")
STOR_CONF(CN_CONF_STR, "storage", "engine", engine, "container", 0, 0, 0,
          "storage engine: container (log-structured containers + RocksDB index) or simple "
          "(everything in RocksDB, the foundation's engine)")
STOR_CONF(CN_CONF_PATH, "storage", "index_dir", index_dir, "", 0, 0, 0,
          "RocksDB index directory, may be on another disk (empty: data_dir/index)")
STOR_CONF(CN_CONF_STR, "storage", "container_dirs", container_dirs, "", 0, 0, 0,
          "comma-separated container directories, one per disk (empty: data_dir/containers)")
STOR_CONF(CN_CONF_UINT, "storage", "containers", containers, "8", 1, 4096, 0,
          "append-only containers per node (fixed when the store is created)")
STOR_CONF(CN_CONF_BOOL, "storage", "sync", sync, "true", 0, 0, 0,
          "fdatasync every write before the ack (group commit); false risks acked writes on "
          "power loss")
STOR_CONF(CN_CONF_MS, "storage", "tombstone_grace", tombstone_grace, "168h", 1, INT64_MAX, 0,
          "compaction drops a tombstone only when it is older than this")
STOR_CONF(CN_CONF_SIZE, "storage", "compact_rate", compact_rate, "0", 0, 0, 0,
          "bytes per second read by compaction (0: unlimited)")
STOR_CONF(CN_CONF_UINT, "storage", "compact_auto_ratio", compact_auto_ratio, "50", 0, 100, 0,
          "compact a container by itself when its live records fall under this percent of its "
          "file (and it holds at least compact_auto_min dead bytes); 0: only cairn-adm "
          "compact-start compacts")
STOR_CONF(CN_CONF_SIZE, "storage", "compact_auto_min", compact_auto_min, "64m", 1, INT64_MAX, 0,
          "automatic compaction leaves a container alone until it holds this many dead bytes")
STOR_CONF(CN_CONF_MS, "storage", "compact_auto_interval", compact_auto_interval, "60s", 100,
          INT64_MAX, 0, "how often automatic compaction looks at the containers' dead bytes")
STOR_CONF(CN_CONF_SIZE, "storage", "index_memtable", index_memtable, "64m", 1 << 20, 1ll << 34,
          0, "memory for the index's RocksDB write buffer (memtable); up to two are held, one "
          "filling and one being flushed")
STOR_CONF(CN_CONF_SIZE, "storage", "index_cache", index_cache, "64m", 1 << 20, 1ll << 40, 0,
          "memory for the index's RocksDB block cache (HEAD, listing and lookups of older "
          "keys); with index_memtable, what a node's memory grows to beyond its ~40 MiB base")
STOR_CONF(CN_CONF_SIZE, "storage", "scrub_rate", scrub_rate, "32m", 0, 0, 0,
          "bytes per second read by the scrub (0: unlimited)")
STOR_CONF(CN_CONF_MS, "storage", "scrub_interval", scrub_interval, "0", 0, 0, 0,
          "run a background scrub pass this often (0: only on demand)")
STOR_CONF(CN_CONF_SIZE, "storage", "min_free", min_free, "64m", 0, 0, 0,
          "refuse writes (ENOSPC, S3 507 InsufficientStorage) that would leave less than this "
          "free on a container or the index file system, so that a full disk never half-writes "
          "the index and writes resume by themselves when space returns (container engine; "
          "0: only a real ENOSPC refuses)")
STOR_CONF(CN_CONF_UINT, "storage", "threads", threads, "0", 0, 1024, 0,
          "threads of the pool that runs engine operations (libuv's, UV_THREADPOOL_SIZE): "
          "concurrent puts feed the group commit; 0: 4 per core, at least 8 and at most 64 "
          "(measured, docs/PERFORMANCE.md), or UV_THREADPOOL_SIZE when set in the environment")
STOR_CONF(CN_CONF_UINT, "storage", "vnodes", vnodes, "128", 1, 65535, 0,
          "ring weight of this node (virtual nodes); give a bigger disk more")
STOR_CONF(CN_CONF_STR, "storage", "metrics_listen", metrics_listen, "", 0, 0, 0,
          "HTTP listen address host:port of GET /metrics (Prometheus text) and GET /health "
          "(port 0 picks a free port; empty: off)")
STOR_CONF(CN_CONF_UINT, "storage", "delete_bucket_rate", delete_bucket_rate, "5000", 1,
          10000000, 1,
          "keys per second tombstoned by an asynchronous delete-bucket")
STOR_CONF(CN_CONF_UINT, "lifecycle", "day_seconds", lc_day_seconds, "86400", 1, 86400, 0,
          "the length of a day for lifecycle rules (Days, NoncurrentDays, DaysAfterInitiation): "
          "shorter only in tests")
STOR_CONF(CN_CONF_UINT, "lifecycle", "interval_ms", lc_interval_ms, "60000", 10, 86400000, 1,
          "how often the lifecycle worker starts a pass over the keys this node is the first "
          "owner of (a pass in progress runs on)")
STOR_CONF(CN_CONF_UINT, "lifecycle", "rate", lc_rate, "500", 1, 1000000, 1,
          "objects per second the lifecycle worker looks at (its writes go through the "
          "normal coordinated path: it throttles itself so the foreground is not hurt)")
STOR_CONF(CN_CONF_STR, "manager", "addresses", manager_addresses, CN_MGR_RPC_DEFAULT, 0, 0, 0,
          "the managers' RPC addresses, host:port, ... (IP addresses): the node calls the "
          "first, the next when one does not answer, and the leader a manager names "
          "(docs/PROTOCOL.md, Finding the managers)")
STOR_CONF_ALIAS("manager", "address", "addresses",
                "the one manager RPC address host:port of older configs: a list of one")
STOR_CONF(CN_CONF_STR, "cluster", "secret", secret, "", 0, 0, 0,
          "shared cluster secret for RPC authentication (required, no default)")
STOR_CONF(CN_CONF_MS, "cluster", "heartbeat_ms", heartbeat_ms, "1000", 50, 600000, 0,
          "interval of heartbeats to the manager")
STOR_CONF(CN_CONF_LEVEL, "log", "level", log_level, "info", 0, 0, 1,
          "log level: debug, info, warn, error")
STOR_CONF(CN_CONF_PATH, "log", "file", log_file, "", 0, 0, 0,
          "log file (empty: stderr); reopened on SIGHUP")
STOR_CONF(CN_CONF_MS, "replication", "timeout", repl_timeout_ms, "5000", 50, 600000, 0,
          "time a replica write, a read from a peer or a repair push may take before it "
          "counts as failed (and is queued for repair)")
STOR_CONF(CN_CONF_UINT, "replication", "repair_inflight", repair_inflight, "8", 1, 1024, 1,
          "repair jobs in flight at most: a job is a batch of up to move_batch_keys keys to "
          "one peer, or one key repaired from the other owners")
STOR_CONF(CN_CONF_SIZE, "replication", "move_rate", move_rate, "0", 0, 0, 1,
          "bytes per second this node may send for rebalance, recover-* and handoff (each "
          "key counts 1 KiB more than its body); 0: adaptive, as much as the foreground "
          "leaves: from 512k, the rate halves when the foreground p99 at this node exceeds "
          "twice its idle p99 and grows while it stays under 1.5x, checked every 200 ms "
          "(docs/OPERATIONS.md); cairn-adm rebalance --rate sets it on every node")
STOR_CONF(CN_CONF_UINT, "replication", "move_batch_keys", move_batch_keys, "512", 1, 65536, 1,
          "keys sent to one peer in one batched move (one check, then puts written by the "
          "peer with one group commit)")
STOR_CONF(CN_CONF_SIZE, "replication", "move_batch_bytes", move_batch_bytes, "4m", 4096,
          33554432, 1,
          "bytes of versions in one move request; a larger version goes alone")
STOR_CONF(CN_CONF_MS, "replication", "repair_backoff_min", repair_backoff_min_ms, "100", 1,
          3600000, 1, "first retry delay of a failed repair (doubles on each failure)")
STOR_CONF(CN_CONF_MS, "replication", "repair_backoff_max", repair_backoff_max_ms, "30s", 1,
          3600000, 1, "longest retry delay of a failed repair")
STOR_CONF(CN_CONF_UINT, "replication", "scan_batch", scan_batch, "256", 1, 100000, 0,
          "unused, accepted for older configs (recover_node and the rebalance walk read "
          "as many index entries a step as the move budget allows, recover_consistency 64)")
STOR_CONF(CN_CONF_MS, "replication", "anti_entropy_interval", anti_entropy_ms, "24h", 0,
          INT64_MAX, 1,
          "how often this node compares all its keys with their other owners and queues "
          "repairs of any difference (the recover_consistency scan, run slowly in the "
          "background when no other scan runs); 0 turns it off")
STOR_CONF(CN_CONF_STR, "xdc", "listen", xdc_listen, "", 0, 0, 0,
          "the link listener for other clusters' senders (issue 22), HOST:PORT over TLS; "
          "empty: this node receives nothing over a link (its manager lists the nodes that "
          "have one)")
STOR_CONF(CN_CONF_PATH, "xdc", "cert_file", xdc_cert, "", 0, 0, 0,
          "PEM certificate chain of the link listener (required with listen)")
STOR_CONF(CN_CONF_PATH, "xdc", "key_file", xdc_key, "", 0, 0, 0,
          "PEM private key of the link listener (required with listen)")
STOR_CONF(CN_CONF_PATH, "xdc", "ca_file", xdc_ca, "", 0, 0, 0,
          "PEM CA that signed the remote clusters' link certificates (a link joined with its "
          "own CA uses that one)")
STOR_CONF(CN_CONF_UINT, "xdc", "window", xdc_window, "64", 1, 4096, 0,
          "changes in flight per link (the remote's answers pace the sender)")
STOR_CONF(CN_CONF_UINT, "xdc", "journal_max", xdc_journal_max, "1000000", 1000, 1000000000, 0,
          "journal entries a link may fall behind; beyond, its oldest are skipped and the link "
          "needs recover-cluster (local writes are never slowed)")
