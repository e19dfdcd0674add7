/*
 * gateway/main.c: cairn-gateway's entry point: command line and configuration, the libuv
 * loop, signals (SIGTERM/SIGINT stop, SIGHUP reopens the log and reloads the TLS certificate),
 * the port and pid files, and the other workers' threads (gateway/workers.h). Worker 0 (srv)
 * runs on this thread's loop.
 */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mgr_client.h"
#include "common/proc.h"
#include "gateway/http/body_pager.h"
#include "gateway/conf_keys.h"
#include "gateway/gateway.h"
#include "gateway/http/http.h"
#include "gateway/http/tls.h"
#include "gateway/workers.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static gw_server_t srv;
static uv_signal_t sig_term, sig_int, sig_hup;
static uv_timer_t exit_timer;
/* File scope, not main()'s stack: h2o 2.2.5 cannot close its idle connections, so the process
 * exits with handles open, and what they point to must stay reachable until then. */
static uv_loop_t loop;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cairn-gateway [-c|--config FILE] [--set section.key=value]...\n"
            "                     [--port-file PATH] [--pid-file PATH] [--check-config]\n"
            "                     [--print-config] [--help-config] [-h|--help] [-V|--version]\n");
}

/* Parses the listen address of [gateway] key into host and port; prints why not (from: the
 * config file or --set) and returns nonzero when it is not host:port. */
static int parse_listen(const char *from, const char *key, const char *val, char *host,
                        size_t hostlen, int *port)
{
    if (cn_parse_hostport(val, host, hostlen, port) == 0)
        return 0;
    fprintf(stderr, "%s: gateway.%s: not host:port\n", from, key);
    return -1;
}

static void on_exit_timer(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    if (srv.stopping)
        return;
    srv.stopping = 1;
    CN_LOG(CN_LOG_INFO, "signal %d: stopping", signum);
    gw_workers_stop(srv.sh); /* the others stop as this one does, on their loops */
    gw_http_stop(&srv);
    gw_metrics_stop(&srv);
    gw_alog_stop(&srv); /* before storage: a cancelled log put leaves its batch queued */
    gw_worker_close(&srv);
    uv_signal_stop(&sig_term);
    uv_signal_stop(&sig_int);
    uv_signal_stop(&sig_hup);
    /* h2o keeps its own timers and idle connections open: give closes a moment, then stop */
    uv_timer_init(srv.loop, &exit_timer);
    uv_timer_start(&exit_timer, on_exit_timer, 200, 0);
}

static void on_hup(uv_signal_t *h, int signum)
{
    int rc = cn_log_reopen();
    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "log reopen failed: %s", cn_strerror(rc));
    else
        CN_LOG(CN_LOG_INFO, "log reopened");
    /* a certificate that does not load is logged there and the old one kept */
    gw_tls_reload(&srv);
}

int main(int argc, char **argv)
{
    enum { O_SET = 256, O_PORT_FILE, O_PID_FILE, O_CHECK, O_PRINT, O_HELP_CONF };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, O_SET},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"pid-file", required_argument, NULL, O_PID_FILE},
        {"check-config", no_argument, NULL, O_CHECK},
        {"print-config", no_argument, NULL, O_PRINT},
        {"help-config", no_argument, NULL, O_HELP_CONF},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *conf_path = NULL, *port_file = NULL, *pid_file = NULL, *from;
    const char **sets = cn_calloc((size_t)argc + 1, sizeof(*sets));
    size_t nsets = 0;
    int check = 0, print = 0, help_conf = 0, c, rc, ret = 0, metrics_port = 0;
    char metrics_host[64] = "";
    char err[512];

    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_path = optarg; break;
        case O_SET: sets[nsets++] = optarg; break;
        case O_PORT_FILE: port_file = optarg; break;
        case O_PID_FILE: pid_file = optarg; break;
        case O_CHECK: check = 1; break;
        case O_PRINT: print = 1; break;
        case O_HELP_CONF: help_conf = 1; break;
        case 'h': usage(stdout); cn_free(sets); return 0;
        case 'V': printf("cairn-gateway %s\n", PACKAGE_VERSION); cn_free(sets); return 0;
        default: usage(stderr); cn_free(sets); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        cn_free(sets);
        return 2;
    }
    from = conf_path ? conf_path : "--set"; /* where a config error comes from */
    if (help_conf) {
        cn_conf_print_sample(gw_conf_keys, GW_CONF_NKEYS, "cairn-gateway", stdout);
        cn_free(sets);
        return 0;
    }
    memset(&srv, 0, sizeof(srv));
    srv.magic = GW_SERVER_MAGIC;
    gw_stor_init(&srv);
    if ((rc = cn_conf_defaults(gw_conf_keys, GW_CONF_NKEYS, &srv.conf, err, sizeof(err))) != 0 ||
        (conf_path &&
         (rc = cn_conf_load(conf_path, gw_conf_keys, GW_CONF_NKEYS, &srv.conf, err, sizeof(err))) !=
             0)) {
        fprintf(stderr, "%s\n", err);
        ret = 2;
        goto out_conf;
    }
    for (size_t i = 0; i < nsets; i++) {
        if (cn_conf_set(sets[i], gw_conf_keys, GW_CONF_NKEYS, &srv.conf, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            ret = 2;
            goto out_conf;
        }
    }
    if (!srv.conf.secret || !*srv.conf.secret) {
        fprintf(stderr, "%s: cluster.secret: required, no default (set the cluster secret)\n",
                from);
        ret = 2;
        goto out_conf;
    }
    if (parse_listen(from, "s3_listen", srv.conf.s3_listen, srv.host, sizeof(srv.host),
                     &srv.port) != 0 ||
        (srv.conf.rest_enabled && *srv.conf.rest_listen &&
         parse_listen(from, "rest_listen", srv.conf.rest_listen, srv.rest_host,
                      sizeof(srv.rest_host), &srv.rest_port) != 0) ||
        (srv.conf.rest_enabled && *srv.conf.rest_tls_listen &&
         parse_listen(from, "rest_tls_listen", srv.conf.rest_tls_listen, srv.rest_tls_host,
                      sizeof(srv.rest_tls_host), &srv.rest_tls_port) != 0) ||
        (*srv.conf.tls_listen && parse_listen(from, "tls_listen", srv.conf.tls_listen,
                                              srv.tls_host, sizeof(srv.tls_host),
                                              &srv.tls_port) != 0)) {
        ret = 2;
        goto out_conf;
    }
    if (srv.conf.rest_enabled && !*srv.conf.rest_listen && !*srv.conf.rest_tls_listen) {
        fprintf(stderr, "%s: gateway.rest_listen: rest_enabled needs rest_listen or "
                        "rest_tls_listen\n", from);
        ret = 2;
        goto out_conf;
    }
    if (gw_tls_wanted(&srv.conf) &&
        (!srv.conf.tls_cert || !*srv.conf.tls_cert || !srv.conf.tls_key || !*srv.conf.tls_key)) {
        fprintf(stderr,
                "%s: gateway.tls_cert: tls_listen and rest_tls_listen need tls_cert and "
                "tls_key\n", from);
        ret = 2;
        goto out_conf;
    }
    if (gw_tls_min_version(srv.conf.tls_min_version) == 0) {
        fprintf(stderr, "%s: gateway.tls_min_version: %s: not 1.2 or 1.3\n", from,
                srv.conf.tls_min_version);
        ret = 2;
        goto out_conf;
    }
    {
        char why[CN_MGR_ADDR_MAX + 64];
        cn_mgr_addrs_t addrs;

        if (cn_mgr_addrs_parse(&addrs, srv.conf.mgr_addresses, why, sizeof(why)) != 0 ||
            cn_mgr_client_check(&addrs, why, sizeof(why)) != 0) {
            fprintf(stderr, "%s: manager.addresses: %s\n", from, why);
            ret = 2;
            goto out_conf;
        }
    }
    if (print)
        cn_conf_print(gw_conf_keys, GW_CONF_NKEYS, &srv.conf, stdout);
    if (check || print)
        goto out_conf;

    if ((rc = cn_log_init("gateway", srv.conf.log_level, srv.conf.log_file)) != 0) {
        fprintf(stderr, "log.file: %s: %s\n", srv.conf.log_file, cn_strerror(rc));
        ret = 1;
        goto out_conf;
    }
    if (cn_random_bytes(&srv.reqid_seed, sizeof(srv.reqid_seed)) != 0)
        srv.reqid_seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A fixed mmap threshold (glibc's otherwise rises to 32 MiB and chunk bodies fragment
     * the heap; see storage/main.c), just above 2 MiB: what a body of up to 1 MiB needs (h2o's
     * socket buffer, doubled up to 2 MiB; its RPC frame, of 2 MiB) reuses the heap's pages,
     * while chunk frames (5 MiB) and h2o's buffers from 4 MiB (temp files, body_pager.h) have
     * their own mappings. At 128 KiB, each 1 MiB PUT mapped, faulted in and unmapped about
     * 4 MiB: 45% of the gateway's CPU per GiB (docs/PERFORMANCE.md). The heap is trimmed at
     * 8 MiB free on top, and malloc_trim gives back every free page once a second
     * (GW_HEAP_TRIM_MS). */
    mallopt(M_MMAP_THRESHOLD, (2 << 20) + (64 << 10));
    mallopt(M_TRIM_THRESHOLD, 8 << 20);
    uv_loop_init(&loop);
    srv.loop = &loop;
    gw_shared_create(&srv, gw_workers_wanted(srv.conf.threads));
    gw_worker_wake_init(&srv);
    if ((rc = gw_body_pager_start(&srv.pager, &loop, srv.conf.tmp_dir, 0)) != 0) {
        CN_LOG(CN_LOG_ERROR, "gateway.tmp_dir %s: %s", srv.conf.tmp_dir, cn_strerror(rc));
        ret = 1;
        goto out_loop;
    }
    if ((rc = gw_cache_start(&srv)) != 0) {
        ret = 1;
        goto out_loop;
    }
    if (gw_tls_wanted(&srv.conf) && (rc = gw_tls_init(&srv)) != 0) {
        CN_LOG(CN_LOG_ERROR, "tls: cannot start the HTTPS listeners: %s", cn_strerror(rc));
        ret = 1;
        goto out_loop;
    }
    if ((rc = gw_http_start(&srv)) != 0) {
        CN_LOG(CN_LOG_ERROR, "s3 listen %s failed: %s", srv.conf.s3_listen, cn_strerror(rc));
        ret = 1;
        goto out_loop;
    }
    if ((rc = gw_metrics_start(&srv, &loop, metrics_host, sizeof(metrics_host),
                               &metrics_port)) != 0) {
        CN_LOG(CN_LOG_ERROR, "gateway.metrics_listen %s failed: %s", srv.conf.metrics_listen,
               cn_strerror(rc));
        ret = 1;
        goto out_loop;
    }
    if ((rc = gw_alog_start(&srv)) != 0) {
        ret = 1;
        goto out_loop;
    }
    /* the other workers, listening on the ports worker 0 bound, before anyone is told of
     * them (the port file) */
    if ((rc = gw_workers_start(srv.sh)) != 0) {
        ret = 1;
        goto out_loop;
    }
    if (port_file) {
        char line[512];
        int n = snprintf(line, sizeof(line), "http %s:%d\n", srv.host, srv.port);
        if (metrics_port > 0)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "metrics %s:%d\n", metrics_host,
                          metrics_port);
        if (srv.tls_listening)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "https %s:%d\n", srv.tls_host,
                          srv.tls_port);
        if (srv.rest_listening)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "rest %s:%d\n", srv.rest_host,
                          srv.rest_port);
        if (srv.rest_tls_listening)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "rest-https %s:%d\n",
                          srv.rest_tls_host, srv.rest_tls_port);
        if ((rc = cn_write_file_atomic(port_file, line, (size_t)n)) != 0) {
            CN_LOG(CN_LOG_ERROR, "port file %s: %s", port_file, cn_strerror(rc));
            ret = 1;
            goto out_loop;
        }
    }
    if (pid_file && (rc = cn_pid_file_write(pid_file)) != 0) {
        CN_LOG(CN_LOG_ERROR, "pid file %s: %s", pid_file, cn_strerror(rc));
        ret = 1;
        goto out_loop;
    }
    if ((rc = gw_mgr_start(&srv)) != 0) {
        CN_LOG(CN_LOG_ERROR, "manager link: %s", cn_strerror(rc));
        ret = 1;
        goto out_loop;
    }
    uv_signal_init(&loop, &sig_term);
    uv_signal_init(&loop, &sig_int);
    uv_signal_init(&loop, &sig_hup);
    uv_signal_start(&sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&sig_int, on_stop_signal, SIGINT);
    uv_signal_start(&sig_hup, on_hup, SIGHUP);
    CN_LOG(CN_LOG_INFO, "gateway %s listening on http %s:%d, managers %s", srv.conf.name,
           srv.host, srv.port, srv.conf.mgr_addresses);
    if (srv.rest_listening)
        CN_LOG(CN_LOG_INFO, "rest listening on %s:%d (trust loopback: %s)", srv.rest_host,
               srv.rest_port, srv.conf.rest_trust_loopback ? "yes" : "no");
    if (srv.tls_listening)
        CN_LOG(CN_LOG_INFO, "https listening on %s:%d", srv.tls_host, srv.tls_port);
    if (srv.rest_tls_listening)
        CN_LOG(CN_LOG_INFO, "rest https listening on %s:%d (trust loopback: %s)",
               srv.rest_tls_host, srv.rest_tls_port, srv.conf.rest_trust_loopback ? "yes" : "no");
    uv_run(&loop, UV_RUN_DEFAULT);
    gw_workers_join(srv.sh);
    gw_alog_close(&srv); /* the access log records still queued: synced for the next start */
    CN_LOG(CN_LOG_INFO, "gateway stopped");
    /* h2o's context keeps handles open; the process exits here without uv_loop_close */
    goto out_conf;
out_loop:
    gw_body_pager_stop(&srv.pager);
    gw_http_stop(&srv);
    gw_metrics_stop(&srv);
    gw_alog_stop(&srv);
    gw_mgr_stop(&srv);
    uv_run(&loop, UV_RUN_NOWAIT);
    if (srv.sh != NULL) { /* the workers that started: they read srv's configuration */
        gw_workers_stop(srv.sh);
        gw_workers_join(srv.sh);
    }
    gw_alog_close(&srv);
out_conf:
    gw_metrics_dispose(&srv);
    gw_tls_dispose(&srv);
    cn_conf_dispose(gw_conf_keys, GW_CONF_NKEYS, &srv.conf);
    cn_free(sets);
    return ret;
}
