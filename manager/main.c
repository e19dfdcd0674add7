/*
 * manager/main.c: cairn-manager, the control plane. Parses the command line and the config,
 * opens the state, starts the RPC listener (libuv loop) and the admin API (libmicrohttpd
 * thread), writes the port and pid files, and runs the loop until SIGTERM/SIGINT.
 * The cron timer (MGR_CRON_MS) mirrors the manager group's state (raft.h) and, on the leader
 * alone, runs the silence monitor and the clusters' duty (the cluster's id, links being
 * removed: clusters.h); the watcher thread (watch.c) follows rebalances and
 * restarted nodes, also on the leader alone. SIGHUP reopens the log.
 * The dashboard files are looked up in admin.dashboard_dir, else the installed copy
 * (CAIRN_DASHBOARD_DIR), else the source tree (CAIRN_DASHBOARD_SRCDIR), both set by make.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/conf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "manager/clusters.h"
#include "manager/manager.h"
#include "manager/xdc_recover.h"
#include "manager/xdc_sync.h"

#define MGR_CRON_MS 100
#define MGR_CLUSTERS_TICKS 10 /* mgr_clusters_cron: every second */

#ifndef CAIRN_DASHBOARD_DIR
#define CAIRN_DASHBOARD_DIR "/usr/local/share/cairn/dashboard"
#endif
#ifndef CAIRN_DASHBOARD_SRCDIR
#define CAIRN_DASHBOARD_SRCDIR ""
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cairn-manager [-c|--config FILE] [--set section.key=value]...\n"
            "                     [--port-file PATH] [--pid-file PATH] [--check-config]\n"
            "                     [--print-config] [--help-config] [-h|--help] [-V|--version]\n"
            "The cairn control plane: members, rings, users, buckets; admin API for cairn-adm.\n"
            "  -c, --config FILE   INI config (see conf/cairn-manager.conf.sample)\n"
            "  --set S.K=V         override one key (repeatable, applied after the file)\n"
            "  --port-file PATH    once listening, write \"rpc HOST:PORT\" and \"admin HOST:PORT\"\n"
            "  --pid-file PATH     write the process id\n"
            "  --check-config      validate the config and exit\n"
            "  --print-config      print the effective config and exit\n"
            "  --help-config       print the commented sample config and exit\n");
}

static void on_cron(uv_timer_t *t)
{
    struct mgr_server *s = t->data;
    int won;

    CN_CHECK_OBJ(s, MGR_SERVER_MAGIC);
    s->ticks++;
    pthread_mutex_lock(&s->lock);
    if ((won = mgr_raft_cron(s))) {
        /* a new leader: every node gets a fresh grace period (their heartbeats went to the
         * old one), and the invalidation feed starts afresh at a new random number, so a
         * gateway's `since` of an earlier term is unknown here and it drops its cache */
        mgr_members_touch_all(&s->members, cn_mono_ms());
        mgr_inval_dispose(s);
    }
    if (mgr_raft_is_leader(s)) /* failure detection is the leader's alone */
        mgr_members_monitor(s->fsm, &s->members, s->conf.node_timeout_ms, cn_mono_ms());
    /* the cluster's id when it has none, and links being removed (clusters.h): once a
     * second, and at once when this manager became the leader */
    if (mgr_raft_is_leader(s) && (won || s->ticks % MGR_CLUSTERS_TICKS == 0))
        mgr_clusters_cron(s->fsm, &s->clusters_busy, cn_now_ms());
    /* users, keys and buckets from the linked clusters (xdc_sync.h): pulls when a transport
     * is set, tombstone purges; a follower forgets what it saw */
    if (s->ticks % MGR_CLUSTERS_TICKS == 0)
        mgr_xdc_sync_cron(s->xsync, s->fsm, &s->kms, mgr_raft_is_leader(s), cn_now_ms());
    pthread_mutex_unlock(&s->lock);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    struct mgr_server *s = h->data;

    CN_LOG(CN_LOG_INFO, "signal=%d: stopping", signum);
    mgr_xdc_stop(s);
    mgr_rpc_stop(s);
    mgr_raft_stop(s);
    uv_timer_stop(&s->cron);
    uv_close((uv_handle_t *)&s->cron, NULL);
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->sig_hup, NULL);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    int rc = cn_log_reopen();

    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "rc=%s: could not reopen the log", cn_strerror(rc));
    else
        CN_LOG(CN_LOG_INFO, "log reopened");
}

/* Cross-key checks the table cannot express. Returns 0 or prints and returns CN_ECONFIG. */
static int check_conf(const struct mgr_conf *c, const char *src)
{
    const char *bad = NULL;
    uint64_t v = 0;
    char host[64], err[256];
    int port;

    if (c->secret == NULL || c->secret[0] == '\0') {
        fprintf(stderr, "%s: cluster.secret: required; set the same secret on every daemon "
                        "([cluster] secret = ...)\n", src);
        return CN_ECONFIG;
    }
    if (c->write_q > c->replicas)
        bad = "cluster.write", v = c->write_q;
    else if (c->read_q > c->replicas)
        bad = "cluster.read", v = c->read_q;
    else if (c->delete_q > c->replicas)
        bad = "cluster.delete", v = c->delete_q;
    if (bad != NULL) {
        fprintf(stderr, "%s: %s: %llu is more than cluster.replicas (%llu); use 1..N\n", src,
                bad, (unsigned long long)v, (unsigned long long)c->replicas);
        return CN_ECONFIG;
    }
    if (cn_parse_hostport(c->rpc_listen, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "%s: manager.rpc_listen: '%s' is not HOST:PORT\n", src, c->rpc_listen);
        return CN_ECONFIG;
    }
    if (cn_parse_hostport(c->admin_listen, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "%s: manager.admin_listen: '%s' is not HOST:PORT\n", src,
                c->admin_listen);
        return CN_ECONFIG;
    }
    if (mgr_raft_check_conf(c, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", src, err);
        return CN_ECONFIG;
    }
    if (c->data_dir == NULL || c->data_dir[0] == '\0') {
        fprintf(stderr, "%s: manager.data_dir: must not be empty\n", src);
        return CN_ECONFIG;
    }
    if (c->xdc_listen[0] != '\0' && (c->xdc_cert[0] == '\0' || c->xdc_key[0] == '\0')) {
        fprintf(stderr, "%s: xdc.listen: needs xdc.cert_file and xdc.key_file (the link "
                "listener speaks TLS only)\n", src);
        return CN_ECONFIG;
    }
    if (c->xdc_listen[0] != '\0' && cn_parse_hostport(c->xdc_listen, host, sizeof(host),
                                                      &port) != 0) {
        fprintf(stderr, "%s: xdc.listen: '%s' is not HOST:PORT\n", src, c->xdc_listen);
        return CN_ECONFIG;
    }
    if (c->token_on_loopback && (c->admin_token == NULL || c->admin_token[0] == '\0')) {
        fprintf(stderr, "%s: admin.require_token_on_loopback: needs admin.token; set "
                        "[admin] token = ... (or turn this off)\n", src);
        return CN_ECONFIG;
    }
    return 0;
}

static int has_index(const char *dir)
{
    char path[PATH_MAX];

    if (dir == NULL || dir[0] == '\0')
        return 0;
    snprintf(path, sizeof(path), "%s/index.html", dir);
    return access(path, R_OK) == 0;
}

/* Resolves the audit log path and the dashboard directory into s. */
static void resolve_paths(struct mgr_server *s)
{
    const char *dash = s->conf.dashboard_dir;

    if (s->conf.audit_log != NULL && s->conf.audit_log[0] != '\0')
        snprintf(s->audit_path, sizeof(s->audit_path), "%s", s->conf.audit_log);
    else
        snprintf(s->audit_path, sizeof(s->audit_path), "%s/audit.log", s->conf.data_dir);
    if (dash == NULL || dash[0] == '\0')
        dash = has_index(CAIRN_DASHBOARD_DIR) ? CAIRN_DASHBOARD_DIR : CAIRN_DASHBOARD_SRCDIR;
    if (has_index(dash))
        snprintf(s->dashboard_dir, sizeof(s->dashboard_dir), "%s", dash);
    else
        CN_LOG(CN_LOG_WARN, "dashboard_dir=%s: no index.html there; the dashboard is off "
               "(set [admin] dashboard_dir)", dash[0] ? dash : "(none)");
}

/* Opens the state (migrating it, fsm.h) and loads members, rings and levels into s, the
 * views the fsm keeps in step from then on. */
static int load_state(struct mgr_server *s)
{
    struct mgr_fsm_views views = {&s->members, &s->ring_cur, &s->ring_prev, &s->levels};
    char cur[17];
    int rc;

    if ((rc = mgr_state_open(s->conf.data_dir, &s->st)) != 0)
        return rc;
    s->xsync = mgr_xdc_sync_create();
    if ((rc = mgr_fsm_create(s->st, &s->lock, &views, &s->fsm)) != 0)
        return rc;
    if ((rc = mgr_members_load(&s->members, s->st, cn_mono_ms())) != 0)
        return rc;
    if ((rc = mgr_rings_load(s->st, &s->ring_cur, &s->ring_prev)) != 0)
        return rc;
    s->levels = (mgr_levels_t){s->conf.replicas, s->conf.write_q, s->conf.read_q,
                               s->conf.delete_q};
    if (mgr_levels_load(s->st, &s->levels) == 0 &&
        (s->levels.n != s->conf.replicas || s->levels.w != s->conf.write_q ||
         s->levels.r != s->conf.read_q || s->levels.d != s->conf.delete_q))
        CN_LOG(CN_LOG_WARN, "n=%llu w=%llu r=%llu d=%llu: the cluster keeps the consistency "
               "levels it was started with or that cairn-adm set; the config's differ and are "
               "ignored",
               (unsigned long long)s->levels.n, (unsigned long long)s->levels.w,
               (unsigned long long)s->levels.r, (unsigned long long)s->levels.d);
    cn_ring_checksum_hex(mgr_ring_sum(s->ring_cur), cur);
    CN_LOG(CN_LOG_INFO, "data_dir=%s members=%zu ring=%s applied=%llu: state loaded",
           s->conf.data_dir, s->members.n, cur, (unsigned long long)mgr_fsm_applied(s->fsm));
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_SET = 256, OPT_PORT_FILE, OPT_PID_FILE, OPT_CHECK, OPT_PRINT, OPT_HELP_CONF };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, OPT_SET},
        {"port-file", required_argument, NULL, OPT_PORT_FILE},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"print-config", no_argument, NULL, OPT_PRINT},
        {"help-config", no_argument, NULL, OPT_HELP_CONF},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    static struct mgr_server srv;
    struct mgr_server *s = &srv;
    const char *conf_path = NULL, *port_file = NULL, *pid_file = NULL;
    char **sets = cn_calloc((size_t)argc + 1, sizeof(char *));
    size_t nsets = 0;
    int check = 0, print = 0, opt, rc, exit_code = 1;
    char err[1024], ports[320];

    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': conf_path = optarg; break;
        case OPT_SET: sets[nsets++] = optarg; break;
        case OPT_PORT_FILE: port_file = optarg; break;
        case OPT_PID_FILE: pid_file = optarg; break;
        case OPT_CHECK: check = 1; break;
        case OPT_PRINT: print = 1; break;
        case OPT_HELP_CONF:
            cn_conf_print_sample(mgr_conf_keys, MGR_CONF_NKEYS, "cairn-manager", stdout);
            return 0;
        case 'h': usage(stdout); return 0;
        case 'V': printf("cairn-manager %s\n", PACKAGE_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn-manager: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    s->magic = MGR_SERVER_MAGIC;
    if (cn_conf_defaults(mgr_conf_keys, MGR_CONF_NKEYS, &s->conf, err, sizeof(err)) != 0 ||
        (conf_path != NULL &&
         cn_conf_load(conf_path, mgr_conf_keys, MGR_CONF_NKEYS, &s->conf, err, sizeof(err)) != 0)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    for (size_t i = 0; i < nsets; i++)
        if (cn_conf_set(sets[i], mgr_conf_keys, MGR_CONF_NKEYS, &s->conf, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
    cn_free(sets);
    if (check_conf(&s->conf, conf_path ? conf_path : "cairn-manager") != 0)
        return 2;
    if (mgr_kms_masters_load(s->conf.sse_master, s->conf.sse_master_prev, &s->kms, err,
                             sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", conf_path ? conf_path : "cairn-manager", err);
        return 2;
    }
    if (print) {
        cn_conf_print(mgr_conf_keys, MGR_CONF_NKEYS, &s->conf, stdout);
        return 0;
    }
    if (check) {
        printf("%s: config OK\n", conf_path ? conf_path : "(defaults)");
        return 0;
    }
    cn_parse_hostport(s->conf.rpc_listen, s->rpc_host, sizeof(s->rpc_host), &s->rpc_port);
    cn_parse_hostport(s->conf.admin_listen, s->admin_host, sizeof(s->admin_host),
                      &s->admin_port);
    if ((rc = cn_log_init("manager", s->conf.log_level, s->conf.log_file)) != 0) {
        fprintf(stderr, "%s: log.file: cannot open '%s' (%s)\n",
                conf_path ? conf_path : "cairn-manager", s->conf.log_file, cn_strerror(rc));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&s->lock, NULL);
    mgr_metrics_init(&s->metrics);
    resolve_paths(s);
    if ((rc = load_state(s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "data_dir=%s rc=%s: cannot open the state (is another "
               "cairn-manager using it?)", s->conf.data_dir, cn_strerror(rc));
        goto out_state;
    }
    {   /* the wrong master key file unwraps nothing: say so now (manager/kms.h) */
        char id[MGR_KMS_ID_LEN + 1];
        size_t n = mgr_kms_unknown_masters(s->st, &s->kms, id);

        if (n)
            CN_LOG(CN_LOG_ERROR, "%zu key service epochs are wrapped by master %s, which "
                   "this manager does not have (sse_master_key_file %s, id %s): SSE-S3 and "
                   "SSE-KMS objects under them cannot be read through it", n, id,
                   s->kms.cur.set ? s->conf.sse_master : "none",
                   s->kms.cur.set ? s->kms.cur.id : "-");
        if ((n = mgr_clusters_unknown_masters(s->st, &s->kms, id)) != 0)
            CN_LOG(CN_LOG_ERROR, "%zu cluster links' secrets are wrapped by master %s, which "
                   "this manager does not have (sse_master_key_file %s): give it that key "
                   "file, or join those clusters again", n, id,
                   s->kms.cur.set ? s->conf.sse_master : "none");
    }
    CN_ASSERT(uv_loop_init(&s->loop) == 0);
    if ((rc = mgr_raft_start(s)) != 0)
        goto out_raft;
    if ((rc = mgr_rpc_start(s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "rpc_listen=%s rc=%s: cannot listen", s->conf.rpc_listen,
               cn_strerror(rc));
        goto out_loop;
    }
    if ((rc = mgr_xdc_start(s)) != 0)
        goto out_rpc; /* logged */
    if ((rc = mgr_admin_start(s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "admin_listen=%s rc=%s: cannot listen", s->conf.admin_listen,
               cn_strerror(rc));
        goto out_rpc;
    }
    snprintf(ports, sizeof(ports), "rpc %.63s:%d\nadmin %.63s:%d\n", s->rpc_host, s->rpc_port,
             s->admin_host, s->admin_port);
    if (s->xdc != NULL)
        snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), "xdc %.63s:%d\n",
                 s->xdc_host, s->xdc_port);
    if (pid_file != NULL && (rc = cn_pid_file_write(pid_file)) != 0) {
        CN_LOG(CN_LOG_ERROR, "pid_file=%s rc=%s: cannot write", pid_file, cn_strerror(rc));
        goto out_admin;
    }
    if (port_file != NULL &&
        (rc = cn_write_file_atomic(port_file, ports, strlen(ports))) != 0) {
        CN_LOG(CN_LOG_ERROR, "port_file=%s rc=%s: cannot write", port_file, cn_strerror(rc));
        goto out_admin;
    }
    if ((rc = mgr_watch_start(s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "rc=%s: cannot start the watcher thread", cn_strerror(rc));
        goto out_admin;
    }
    uv_timer_init(&s->loop, &s->cron);
    s->cron.data = s;
    uv_timer_start(&s->cron, on_cron, MGR_CRON_MS, MGR_CRON_MS);
    uv_signal_init(&s->loop, &s->sig_term);
    uv_signal_init(&s->loop, &s->sig_int);
    uv_signal_init(&s->loop, &s->sig_hup);
    s->sig_term.data = s->sig_int.data = s->sig_hup.data = s;
    uv_signal_start(&s->sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&s->sig_int, on_stop_signal, SIGINT);
    uv_signal_start(&s->sig_hup, on_sighup, SIGHUP);
    if (strcmp(s->admin_host, "127.0.0.1") != 0 && strcmp(s->admin_host, "::1") != 0 &&
        strcmp(s->admin_host, "localhost") != 0 &&
        (s->conf.admin_token == NULL || s->conf.admin_token[0] == '\0'))
        CN_LOG(CN_LOG_WARN, "admin=%s:%d: the admin API listens beyond loopback without "
               "[admin] token; other hosts get 401", s->admin_host, s->admin_port);
    if (s->conf.peers[0] != '\0' &&
        (s->self.rpc_port != s->rpc_port || s->self.admin_port != s->admin_port))
        CN_LOG(CN_LOG_WARN, "rpc=%d admin=%d peers_rpc=%d peers_admin=%d: this manager's peers "
               "entry names other ports than it listens on; followers send clients there",
               s->rpc_port, s->admin_port, s->self.rpc_port, s->self.admin_port);
    if (s->kms.cur.set)
        CN_LOG(CN_LOG_INFO, "master=%s previous=%s: key service on", s->kms.cur.id,
               s->kms.prev.set ? s->kms.prev.id : "none");
    else
        CN_LOG(CN_LOG_INFO, "no [manager] sse_master_key_file: the key service is off (SSE-S3 "
               "and SSE-KMS are refused)");
    CN_LOG(CN_LOG_INFO, "rpc=%s:%d admin=%s:%d n=%llu w=%llu r=%llu d=%llu: manager running",
           s->rpc_host, s->rpc_port, s->admin_host, s->admin_port,
           (unsigned long long)s->levels.n, (unsigned long long)s->levels.w,
           (unsigned long long)s->levels.r, (unsigned long long)s->levels.d);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    exit_code = 0;
    CN_LOG(CN_LOG_INFO, "manager stopped");

    mgr_watch_stop(s);
    mgr_xdc_recover_stop(s);
out_admin:
    mgr_admin_stop(s);
out_rpc:
    mgr_xdc_stop(s);
    mgr_rpc_stop(s);
out_raft:
    mgr_raft_stop(s);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* lets the closed handles finish */
    mgr_raft_dispose(s);
out_loop:
    if (uv_loop_close(&s->loop) != 0)
        CN_LOG(CN_LOG_WARN, "a libuv handle was still open at exit");
out_state:
    mgr_members_dispose(&s->members);
    if (s->ring_cur != NULL)
        cn_ring_destroy(s->ring_cur);
    if (s->ring_prev != NULL)
        cn_ring_destroy(s->ring_prev);
    mgr_fsm_destroy(s->fsm);
    mgr_xdc_sync_destroy(s->xsync);
    s->xsync = NULL;
    mgr_state_close(s->st);
    mgr_metrics_dispose(&s->metrics);
    json_decref(s->usage);
    mgr_inval_dispose(s);
    mgr_kms_masters_dispose(&s->kms);
    cn_conf_dispose(mgr_conf_keys, MGR_CONF_NKEYS, &s->conf);
    return exit_code;
}
