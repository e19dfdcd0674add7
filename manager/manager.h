/*
 * manager/manager.h: struct mgr_server and module start/stop. Nothing else.
 * Threads: the libuv loop (RPC, cron, signals) and libmicrohttpd's own thread (admin API)
 * share the fields marked [lock]; take s->lock around any use of them. Lock order: s->lock,
 * then the metrics registry's own lock (cn_metric_* calls never call back), then the admin
 * server's audit lock (taken alone). The state has no lock of its own.
 */
#ifndef CAIRN_MANAGER_MANAGER_H
#define CAIRN_MANAGER_MANAGER_H

#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "common/metrics.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "manager/conf_keys.h"
#include "manager/fsm.h"
#include "manager/kms_master.h"
#include "manager/members.h"
#include "manager/raft.h"
#include "manager/ring_sync.h"
#include "manager/state.h"
#include "manager/watch.h"

#define MGR_SERVER_MAGIC 0x6d677276u /* "mgrv" */
#define MGR_NAME "manager"
#define MGR_XDC_PULLS 8                /* linked clusters the puller keeps a client for */
#define MGR_XDC_CALL_MS 10000

struct mgr_admin;

/* The manager's metric families (common/metrics.h; the registry locks itself). */
struct mgr_metrics {
    cn_metrics_t *reg;
    cn_metric_t *http_requests;    /* counter {endpoint, method, status} */
    cn_metric_t *http_seconds;     /* histogram {endpoint} */
    cn_metric_t *rpc_requests;     /* counter {op, rc} */
    cn_metric_t *rpc_seconds;      /* histogram {op} */
    cn_metric_t *members;          /* gauge {type, state}, set at scrape */
    cn_metric_t *node_info;        /* gauge {node, type, state, ring_cur, ring_prev} = 1 */
    cn_metric_t *ring_info;        /* gauge {ring_cur, ring_prev} = 1 */
    cn_metric_t *ring_nodes, *users, *buckets, *endpoints, *consistency, *start_time;
};

struct mgr_server {
    uint32_t magic;
    struct mgr_conf conf;
    mgr_kms_masters_t kms;         /* the key service's master keys: loaded before the loop
                                    * starts, read-only after (no lock), wiped at exit */
    uv_loop_t loop;
    uv_timer_t cron;
    uv_signal_t sig_term, sig_int, sig_hup;
    uint64_t ticks;
    pthread_mutex_t lock;
    mgr_state_t *st;               /* [lock] read directly; written only through fsm */
    mgr_fsm_t *fsm;                /* [lock] the one write path (fsm.h); it keeps the next
                                    * four (its views) in step with st */
    mgr_members_t members;         /* [lock] */
    cn_ring_t *ring_cur;           /* [lock] NULL until start */
    cn_ring_t *ring_prev;          /* [lock] NULL when there is none */
    mgr_levels_t levels;           /* [lock] */
    cn_rpc_server_t *rpc;          /* loop thread */
    cn_rpc_server_t *xdc;          /* the link listener, NULL when off (xdc_srv.c; loop) */
    cn_rpc_tls_t *xdc_tls;         /* its TLS (server side); NULL when off */
    cn_rpc_tls_t *xdc_client_tls;  /* [xdc] ca_file, for calls to other clusters; NULL */
    struct xdc_pull *xdc_pulls[MGR_XDC_PULLS]; /* the puller's clients (xdc_srv.c; loop) */
    char xdc_host[64];
    int xdc_port;                  /* the real port, after listen */
    struct mgr_admin *admin;
    struct mgr_watch *watch;       /* the watcher thread (watch.c) */
    struct mgr_rebal rebal;        /* [lock] rebalance progress, filled by the watcher */
    char rpc_host[64];
    int rpc_port;                  /* the real port, after listen */
    char admin_host[64];
    int admin_port;
    struct mgr_metrics metrics;
    char audit_path[4096];         /* resolved admin.audit_log */
    char dashboard_dir[4096];      /* resolved admin.dashboard_dir ("" when none found) */
    /* bucket usage for quotas (admin_node.c, polled by the watcher) */
    json_t *usage;                 /* [lock] {bucket: bytes}, NULL until the first poll */
    uint64_t usage_gen;            /* [lock] bumped when a quota bucket's usage changed */
    uint64_t usage_polled_ms;      /* watcher thread only */
    struct mgr_inval *inval;       /* [lock] the cache invalidation feed (inval.c) */
    /* the manager group (raft.h) */
    struct mgr_raft *raft;         /* loop thread */
    struct mgr_peer conf_peers[MGR_PEERS_MAX]; /* [manager] peers; set at start */
    size_t nconf_peers;
    struct mgr_peer self;          /* this manager; set at start */
    struct mgr_peer peers[MGR_PEERS_MAX]; /* [lock] the group now: C-Raft's configuration,
                                    * with the ports of g/ records (cron) */
    size_t npeers;
    struct mgr_raft_view rview;    /* [lock] role, term, leader: mirrored by the cron */
    int clusters_busy;             /* [lock] an entry of mgr_clusters_cron is in flight */
    struct mgr_xdc_sync *xsync;      /* [lock] users and buckets between linked clusters
                                    * (xdc_sync.h): conflicts, what each remote sent */
    struct mgr_xdc_recover *xrecover; /* [lock] recover-cluster's job (xdc_recover.h) */
};

/* inval.c: the gateways' cache invalidation feed. [lock] */
/** The newest sequence number (heartbeat replies' inval_seq). */
uint64_t mgr_inval_seq(struct mgr_server *s);
/** Appends key (full "bucket/key"; "" = everything); returns its sequence number. */
uint64_t mgr_inval_add(struct mgr_server *s, const char *key, size_t len);
/** Fills a get_invalidations reply: seq, reset and the msgpack body. 0. */
int mgr_inval_get(struct mgr_server *s, uint64_t since, cn_msg_t *resp);
void mgr_inval_dispose(struct mgr_server *s);

/** The watcher's periodic bucket usage poll (du of every running storage node, live bytes
 *  summed per bucket and divided by N). Not for the loop thread; takes s->lock itself. */
void mgr_usage_poll(struct mgr_server *s);
/** Adds "used" (bytes, from the last poll) to each bucket of arr. [lock] */
void mgr_usage_annotate(struct mgr_server *s, json_t *arr);
/** The buckets version gateways see: the state's plus the usage generation. [lock] */
uint64_t mgr_buckets_ver(struct mgr_server *s);

/** Creates the registry and the manager's families. */
void mgr_metrics_init(struct mgr_metrics *m);
void mgr_metrics_dispose(struct mgr_metrics *m);
/** Monotonic seconds with ns resolution, for latency histograms. */
double mgr_now_seconds(void);

/** Starts the cluster RPC listener on conf.rpc_listen; fills rpc_port. */
int mgr_rpc_start(struct mgr_server *s);
void mgr_rpc_stop(struct mgr_server *s);
/* xdc_srv.c: the link listener (issue 22). */
/** Starts the link listener on [xdc] listen (TLS, per-link secrets) when it is set; fills
 *  xdc_port. 0, or the code of a certificate, key, CA or address that fails (logged). */
int mgr_xdc_start(struct mgr_server *s);
void mgr_xdc_stop(struct mgr_server *s);
/** The link listener's secret lookup: the hex secret of the linked cluster that peer ("ID" or
 *  "ID/NODE") names, into secret (cap >= 65): 0, or CN_EAUTH (no such link, not "linked",
 *  no secret). Takes s->lock. */
int mgr_xdc_secret(struct mgr_server *s, const char *peer, char *secret, size_t cap);
/** The comma-joined link listener addresses of the running storage nodes of ms that reported
 *  one ("" for none; cut at an address boundary). Lock held. */
void mgr_xdc_nodes_csv(const mgr_members_t *ms, char *out, size_t outlen);
/** A blocking call to the linked cluster remote's leader: its managers' link listeners in
 *  turn (TLS, the link's secret, this cluster's id), until one answers other than
 *  CN_ENOTLEADER. Not the loop thread; takes s->lock itself, never across the call. Takes
 *  ownership of req. 0 with *resp (free it; its rc may be an error) or an error (why). */
int mgr_xdc_call_sync(struct mgr_server *s, const char *remote, cn_msg_t *req,
                      uint64_t timeout_ms, cn_msg_t **resp, char *why, size_t whylen);

/** Starts the admin HTTP API (its own thread) on conf.admin_listen; fills admin_port. */
int mgr_admin_start(struct mgr_server *s);
/** Stops the admin thread (waits for it). */
void mgr_admin_stop(struct mgr_server *s);

#endif
