/*
 * storage/xdc/xdc_int.h: the state shared by storage/xdc/links.c, listener.c and sender.c.
 * Not for other folders: they use xdc.h. Main loop only.
 */
#ifndef CAIRN_STORAGE_XDC_INT_H
#define CAIRN_STORAGE_XDC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/rpc.h"
#include "storage/xdc/xdc.h"

#define XDC_NODES_MAX 64           /* remote nodes a sender spreads its writes over */
#define XDC_ADDR_MAX 64
#define XDC_MANAGERS_MAX 7
#define XDC_NODES_CSV 8192         /* bytes of an xdc_nodes answer (manager/xdc_srv.c's bound) */

struct xdc_change;

/* One link: what the manager says of it, and its sender. */
typedef struct xdc_link {
    uint32_t magic;
    struct stor_xdc *x;
    char id[STOR_XDC_ID_LEN + 1];
    char secret[STOR_XDC_SECRET_HEX + 1];  /* hex, as the RPC handshake takes it */
    char state[12];                        /* "linked" or "removing" */
    char managers[XDC_MANAGERS_MAX][XDC_ADDR_MAX];
    size_t nmanagers, mgr_next;
    char *ca_pem;                          /* the link's CA, NULL: [xdc] ca_file */
    int gone;                              /* dropped by a links load: freed when idle */
    int started;                           /* its cursor is loaded */
    /* the sender (sender.c) */
    cn_rpc_tls_t *tls;                     /* client side: verifies the remote's listeners */
    cn_rpc_client_t *mgr_cli;              /* the remote manager being asked for nodes */
    int nodes_busy;
    uint64_t nodes_at_ms;                  /* when the remote's nodes were last fetched */
    size_t nnodes;
    char node_addr[XDC_NODES_MAX][XDC_ADDR_MAX];
    cn_rpc_client_t *node_cli[XDC_NODES_MAX];
    uint64_t acked;                        /* cursor: every entry <= acked is sent */
    uint64_t saved;                        /* the cursor as last written to its file */
    uint64_t read;                         /* the last seq read into the window */
    int reading;                           /* a journal read is in the pool */
    struct xdc_change *win_head, *win_tail;/* in seq order */
    size_t inflight;
    uint64_t retry_at_ms;                  /* after an error, no new call before this */
    uint64_t progress_ms;                  /* monotonic: the last change done (the bound
                                            * applies to a link without progress) */
    int needs_recover;                     /* entries were skipped at the bound */
    /* figures for status and /metrics */
    uint64_t sent, errors, skipped;
    uint64_t last_ok_ms;
    char last_error[160];
} xdc_link_t;

struct stor_xdc {
    uint32_t magic;
    struct stor_server *s;
    char cluster_id[STOR_XDC_ID_LEN + 1];  /* "" until the manager says */
    uint64_t links_sum;
    xdc_link_t *links[STOR_XDC_LINKS_MAX * 2]; /* the current ones and gone ones draining */
    size_t nlinks;
    int linked;                            /* how many are in state linked */
    int links_current;                     /* the links held are the manager's (its last
                                            * heartbeat's links_sum): until then, after a
                                            * start, every user key is journaled and nothing
                                            * trimmed (links.c) */
    /* listener (listener.c) */
    cn_rpc_tls_t *srv_tls;
    cn_rpc_server_t *srv;
    char addr[XDC_ADDR_MAX];               /* "host:port" once listening, else "" */
    /* sender (sender.c) */
    uv_timer_t timer;
    int stopping, trimming;
    int kicked;                            /* a kick came while a last-seq read ran */
    uint64_t last_seq;                     /* the journal's last seq, as last read */
    int last_known;                        /* last_seq was read once since the start */
    int rq_jobs;                           /* xdc_requeue jobs in the pool (requeue.c) */
    uint64_t journal_max;
};

/* links.c */
xdc_link_t *xdc_link_find(struct stor_xdc *x, const char *id);
void xdc_link_free(xdc_link_t *l);

/* sender.c */
int xdc_sender_start(struct stor_xdc *x);
void xdc_sender_stop(struct stor_xdc *x);
/** The link is new (cursor loaded from its file) or changed (new managers, secret, CA: the
 *  clients are remade). */
void xdc_sender_link_changed(xdc_link_t *l);
/** Closes the link's clients; 1 when nothing of it is in flight any more (it may be freed). */
int xdc_sender_link_idle(xdc_link_t *l);
void xdc_sender_stats_json(xdc_link_t *l, void *json_obj);

/* listener.c */
int xdc_listener_start(struct stor_xdc *x);
void xdc_listener_stop(struct stor_xdc *x);

#endif
