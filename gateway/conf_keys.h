/*
 * gateway/conf_keys.h: the configuration keys of cairn-gateway (struct gw_conf in gateway.h).
 * Included by main.c only; the same table drives defaults, parsing, --print-config and the
 * sample conf/cairn-gateway.conf.sample (--help-config).
 */
#ifndef CAIRN_GATEWAY_CONF_KEYS_H
#define CAIRN_GATEWAY_CONF_KEYS_H

#include "common/conf.h"
#include "common/mgr_addrs.h"
#include "gateway/gateway.h"

#define GW_K(type, sect, key, field, def, min, max, reload, help)                              \
    CN_CONF_KEY(type, sect, key, struct gw_conf, field, def, min, max, reload, help)

static const cn_conf_key_t gw_conf_keys[] = {
    GW_K(CN_CONF_STR, "gateway", "name", name, "gateway0", 0, 0, 0,
         "unique gateway name, registered with the manager"),
    GW_K(CN_CONF_STR, "gateway", "s3_listen", s3_listen, "127.0.0.1:8080", 0, 0, 0,
         "S3 HTTP listen address host:port (port 0 picks a free port)"),
    GW_K(CN_CONF_STR, "gateway", "region", region, "us-east-1", 0, 0, 0,
         "S3 region (part of SigV4 signatures, GetBucketLocation)"),
    GW_K(CN_CONF_STR, "gateway", "domain", domain, "", 0, 0, 0,
         "virtual-host domain: bucket.<domain> (empty = path-style only)"),
    GW_K(CN_CONF_SIZE, "gateway", "chunk_size", chunk_size, "5m", 65536, 1073741824, 0,
         "bodies above this are stored as chunks of this size"),
    GW_K(CN_CONF_SIZE, "gateway", "max_object_size", max_object_size, "5g", 1, 0x7fffffffffffLL,
         0, "largest single PUT body (above: EntityTooLarge)"),
    GW_K(CN_CONF_BOOL, "gateway", "rest_enabled", rest_enabled, "false", 0, 0, 0,
         "serve plain PUT/GET/HEAD/DELETE /bucket/key (LeoFS REST mode, no S3 signature) on "
         "rest_listen; off by default"),
    GW_K(CN_CONF_STR, "gateway", "metrics_listen", metrics_listen, "", 0, 0, 0,
         "HTTP listen address host:port of GET /metrics (Prometheus text) and GET /health "
         "(port 0 picks a free port; empty: off)"),
    GW_K(CN_CONF_STR, "gateway", "rest_listen", rest_listen, "127.0.0.1:8081", 0, 0, 0,
         "REST listen address host:port (port 0 picks a free port; empty = no plain-HTTP REST "
         "listener, only rest_tls_listen)"),
    GW_K(CN_CONF_BOOL, "gateway", "rest_trust_loopback", rest_trust_loopback, "false", 0, 0, 0,
         "REST requests from 127.0.0.0/8 or ::1 act as the bucket's owner; otherwise only "
         "buckets (or objects) with a public-read ACL can be read and public-read-write ones "
         "written"),
    GW_K(CN_CONF_BOOL, "gateway", "sse_c_allow_http", sse_c_allow_http, "false", 0, 0, 0,
         "accept SSE-C requests (customer-provided keys) over plain HTTP; S3 refuses them, "
         "since the key would cross the network in the clear (tests set it)"),
    GW_K(CN_CONF_UINT, "gateway", "threads", threads, "0", 0, 256, 0,
         "loop threads serving requests, each with its own connections to the storage nodes, "
         "all on the same ports (SO_REUSEPORT); 0 = one per core"),
    GW_K(CN_CONF_UINT, "gateway", "max_connections", max_connections, "1024", 1, 1000000, 0,
         "open client connections (all listeners); a connection beyond gets 503 SlowDown and "
         "is closed"),
    GW_K(CN_CONF_MS, "gateway", "request_timeout_ms", request_timeout_ms, "10000", 100, 3600000,
         0, "a client must send a whole request head (and keep an HTTP/2 connection busy) "
         "within this time, else the connection is cut (slow clients, slowloris)"),
    GW_K(CN_CONF_STR, "gateway", "tls_listen", tls_listen, "", 0, 0, 0,
         "HTTPS (S3 over TLS, HTTP/1.1 and h2) listen address host:port (port 0 picks a free "
         "port; empty = no HTTPS); needs tls_cert and tls_key"),
    GW_K(CN_CONF_STR, "gateway", "rest_tls_listen", rest_tls_listen, "", 0, 0, 0,
         "HTTPS REST listen address host:port (with rest_enabled; port 0 picks a free port; "
         "empty = no HTTPS REST); uses tls_cert and tls_key"),
    GW_K(CN_CONF_PATH, "gateway", "tls_cert", tls_cert, "", 0, 0, 0,
         "PEM certificate chain of the HTTPS listeners (S3 and REST); read again on SIGHUP "
         "(a file that does not load is logged and the old certificate kept)"),
    GW_K(CN_CONF_PATH, "gateway", "tls_key", tls_key, "", 0, 0, 0,
         "PEM private key of the HTTPS listeners; read again on SIGHUP with tls_cert"),
    GW_K(CN_CONF_STR, "gateway", "tls_min_version", tls_min_version, "1.2", 0, 0, 0,
         "oldest TLS version accepted: 1.2 or 1.3"),
    GW_K(CN_CONF_STR, "gateway", "tls_ciphers", tls_ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20", 0,
         0, 0, "OpenSSL cipher list for TLS 1.2 (TLS 1.3 uses OpenSSL's AEAD suites); empty = "
         "OpenSSL's default list"),
    GW_K(CN_CONF_MS, "gateway", "rpc_timeout_ms", rpc_timeout_ms, "10000", 100, 600000, 1,
         "timeout of one RPC to the manager or a storage node"),
    GW_K(CN_CONF_PATH, "gateway", "tmp_dir", tmp_dir, "", 0, 0, 0,
         "directory for the temp files that hold request bodies over 4 MiB while they arrive "
         "(they are unlinked at once; a 2 GiB PUT needs 4 GiB free here; created when missing); "
         "empty = $TMPDIR or /tmp"),
    GW_K(CN_CONF_PATH, "gateway", "log_queue_dir", log_queue_dir, "", 0, 0, 0,
         "directory of the queue of server access log records waiting for delivery to their "
         "target buckets (created when missing; synced once a second: a crash loses at most "
         "the last second of records); empty = <tmp_dir>/access-log-queue, or "
         "./access-log-queue without tmp_dir"),
    GW_K(CN_CONF_MS, "gateway", "log_flush_ms", log_flush_ms, "300000", 100, 86400000, 0,
         "server access logs: a batch is delivered as one log object once its first record "
         "is this old"),
    GW_K(CN_CONF_SIZE, "gateway", "log_batch_size", log_batch_size, "1m", 4096, 67108864, 0,
         "server access logs: ... or once it holds this many bytes (at most half of "
         "chunk_size is used)"),
    GW_K(CN_CONF_SIZE, "gateway", "log_queue_max", log_queue_max, "256m", 65536,
         0x7fffffffffffLL, 0, "server access logs: the queue's size on disk; past it the "
         "oldest batch is dropped (a warning, cairn_gateway_access_log_records_dropped_total)"),
    GW_K(CN_CONF_UINT, "gateway", "sse_key_cache_seconds", sse_key_cache_s, "300", 0, 86400, 0,
         "SSE-S3/SSE-KMS: how long a key-encryption key fetched from the managers is kept and "
         "served, even while no manager answers (reads of encrypted objects survive an outage "
         "this long; a key keeps working this long after it changed); the newest epoch of a "
         "key is asked again after at most 5 s. 0 = ask for every request"),
    GW_K(CN_CONF_SIZE, "gateway", "ec_min_object_size", ec_min_object, "128k", 1, 1073741824,
         0, "in a bucket whose redundancy is ec:K+M, objects of this size and over are erasure "
         "coded (fragments this small cost more than they save: smaller ones stay replicated); "
         "an object under chunk_size is coded as one chunk"),
    GW_K(CN_CONF_UINT, "gateway", "ec_write_quorum", ec_write_quorum, "0", 0, 16, 0,
         "erasure coding: fragments of a chunk that must be durable before the write is acked, "
         "clamped to K..K+M; the rest are handed to a storage node's repair queue. 0 = K+1"),
    GW_K(CN_CONF_MS, "gateway", "ec_hedge_ms", ec_hedge_ms, "500", 0, 3600000, 0,
         "erasure coding: a read whose data fragments have not all answered after this long "
         "reads the parity fragments too and answers from the first K good ones (a degraded "
         "read); a write that has its quorum hands the fragments still out after this long to "
         "a repair queue and is acked. 0 = only when a fragment fails or times out"),
    GW_K(CN_CONF_STR, "manager", "addresses", mgr_addresses, CN_MGR_RPC_DEFAULT, 0, 0, 0,
         "the managers' RPC addresses, host:port, ... (IP addresses): the gateway calls the "
         "first, the next when one does not answer, and the leader a manager names "
         "(docs/PROTOCOL.md, Finding the managers)"),
    CN_CONF_ALIAS_KEY("manager", "address", "addresses",
                      "the one manager RPC address host:port of older configs: a list of one"),
    GW_K(CN_CONF_STR, "cluster", "secret", secret, "", 0, 0, 0,
         "shared cluster secret (required)"),
    GW_K(CN_CONF_MS, "cluster", "heartbeat_ms", heartbeat_ms, "1000", 100, 60000, 0,
         "heartbeat period to the manager"),
    GW_K(CN_CONF_LEVEL, "log", "level", log_level, "info", 0, 0, 1,
         "log level: debug, info, warn, error"),
    GW_K(CN_CONF_PATH, "log", "file", log_file, "", 0, 0, 0,
         "log file (empty = stderr); reopened on SIGHUP"),
    GW_K(CN_CONF_SIZE, "cache", "mem_capacity", cache.mem_capacity, "256m", 0, 0, 0,
         "memory cache capacity (0 = no memory cache)"),
    GW_K(CN_CONF_SIZE, "cache", "mem_max_object", cache.mem_max_object, "1m", 0, 1073741824, 0,
         "largest object kept in the memory cache"),
    GW_K(CN_CONF_PATH, "cache", "disk_dir", cache.disk_dir, "", 0, 0, 0,
         "disk cache directory (empty = no disk cache); kept across restarts"),
    GW_K(CN_CONF_SIZE, "cache", "disk_capacity", cache.disk_capacity, "1g", 0, 0, 0,
         "disk cache capacity (sum of its files)"),
    GW_K(CN_CONF_SIZE, "cache", "disk_max_object", cache.disk_max_object, "64m", 0, 0, 0,
         "largest object kept in the disk cache (objects stored as chunks are not cached)"),
    GW_K(CN_CONF_BOOL, "cache", "validate", cache.validate, "true", 0, 0, 0,
         "check each hit with the key's storage node (ETag and clock, no body) before serving "
         "it; false: serve hits unchecked (other gateways' writes arrive through the manager)"),
    GW_K(CN_CONF_MS, "cache", "ttl_ms", cache.ttl_ms, "0", 0, 86400000, 0,
         "validate = true: skip the check when the last one is younger than this (0 = check "
         "every hit); validate = false: check again after this long (0 = never)"),
    GW_K(CN_CONF_UINT, "lifecycle", "day_seconds", lc_day_seconds, "86400", 1, 86400, 0,
         "the length of a lifecycle day in seconds, for the x-amz-expiration header; keep it "
         "equal to the storage nodes' (shorter only in tests)"),
};

#define GW_CONF_NKEYS (sizeof(gw_conf_keys) / sizeof(gw_conf_keys[0]))

#endif
