/*
 * storage/conf_keys.h: the configuration keys of cairn-storage, one line each:
 *   STOR_CONF(type, section, key, field of struct stor_conf, default, min, max, reloadable,
 *             help)
 * Included by storage/main.c to build the cn_conf_key_t table (common/conf.h), which also
 * prints --help-config and conf/cairn-storage.conf.sample. No include guard on purpose.
 */
STOR_CONF(CN_CONF_STR, "storage", "name", name, "storage0", 0, 0, 0,
          "unique node name in the cluster (ring member name)")
STOR_CONF(CN_CONF_STR, "storage", "rpc_listen", rpc_listen, "127.0.0.1:10100", 0, 0, 0,
          "cluster RPC listen address host:port (port 0 picks a free port; the host is also "
          "the address registered with the manager)")
STOR_CONF(CN_CONF_PATH, "storage", "data_dir", data_dir, "./data/storage", 0, 0, 0,
          "where the engine keeps its files (the simple engine uses data_dir/simple)")
STOR_CONF(CN_CONF_UINT, "storage", "vnodes", vnodes, "128", 1, 65535, 0,
          "ring weight of this node (virtual nodes); give a bigger disk more")
STOR_CONF(CN_CONF_STR, "manager", "address", manager_address, "127.0.0.1:10010", 0, 0, 0,
          "manager RPC address host:port")
STOR_CONF(CN_CONF_STR, "cluster", "secret", secret, "", 0, 0, 0,
          "shared cluster secret for RPC authentication (required, no default)")
STOR_CONF(CN_CONF_MS, "cluster", "heartbeat_ms", heartbeat_ms, "1000", 50, 600000, 0,
          "interval of heartbeats to the manager")
STOR_CONF(CN_CONF_LEVEL, "log", "level", log_level, "info", 0, 0, 0,
          "log level: debug, info, warn, error")
STOR_CONF(CN_CONF_PATH, "log", "file", log_file, "", 0, 0, 0,
          "log file (empty: stderr); reopened on SIGHUP")
