/*
 * storage/main.c: cairn-storage, the data-plane daemon: command line and configuration,
 * then the engine, the RPC server, the port and pid files, the manager link and the loop.
 *
 * Exit codes: 0 after SIGTERM/SIGINT or an informational option, 2 for a bad command line or
 * configuration ("FILE:LINE: section.key: reason"), 1 when starting fails (engine, listen).
 * Threads: the main loop owns everything but the engine calls, which run in the libuv pool.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/clock.h"
#include "common/conf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mgr_client.h"
#include "common/proc.h"
#include "storage/cluster/cluster.h"
#include "storage/storage.h"
#include "storage/xdc/xdc.h"

#define STOR_CONF(t, sect, key, field, def, min, max, reload, help)                          \
    CN_CONF_KEY(t, sect, key, struct stor_conf, field, def, min, max, reload, help),
#define STOR_CONF_ALIAS(sect, key, target, help) CN_CONF_ALIAS_KEY(sect, key, target, help),
static const cn_conf_key_t conf_keys[] = {
#include "storage/conf_keys.h"
};
#undef STOR_CONF
#undef STOR_CONF_ALIAS
#define N_KEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

#define STOR_THREADS_PER_CORE 4
#define STOR_THREADS_MIN 8
#define STOR_THREADS_MAX 64

/* the running daemon's configuration, for stor_conf_update (loop thread) */
static struct stor_conf *live_conf;

int stor_conf_update(const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    size_t nl = eq ? (size_t)(eq - assignment) : 0;
    const cn_conf_key_t *k = NULL;
    char name[128];

    if (live_conf == NULL || eq == NULL) {
        snprintf(err, errlen, "expected section.key=value");
        return CN_EINVAL;
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        snprintf(name, sizeof(name), "%s.%s", conf_keys[i].section, conf_keys[i].key);
        if (strlen(name) == nl && memcmp(name, assignment, nl) == 0)
            k = &conf_keys[i];
    }
    if (k == NULL) {
        snprintf(err, errlen, "%.*s: no such key (see cairn-storage --help-config)", (int)nl,
                 assignment);
        return CN_ENOENT;
    }
    if (!k->reloadable) {
        snprintf(err, errlen,
                 "%.*s: not reloadable at run time; set it in the config file and restart "
                 "the node",
                 (int)nl, assignment);
        return CN_EPERM;
    }
    if (cn_conf_set(assignment, conf_keys, N_KEYS, live_conf, err, errlen) != 0)
        return CN_EINVAL;
    if (strcmp(k->section, "log") == 0 && strcmp(k->key, "level") == 0)
        cn_log_set_level(live_conf->log_level);
    return 0;
}

struct opts {
    const char *config;
    const char *port_file;
    const char *pid_file;
    const char **sets;
    size_t n_sets;
    int check, print, rebuild;
};

struct daemon {
    struct stor_server s;
    uv_signal_t sigterm, sigint, sighup;
    int stopping;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cairn-storage [-c|--config FILE] [--set section.key=value]...\n"
            "                     [--port-file PATH] [--pid-file PATH] [--check-config]\n"
            "                     [--print-config] [--help-config] [--rebuild-index]\n"
            "                     [-h|--help] [-V|--version]\n"
            "The cairn storage node: objects over cluster RPC (put/get/head/delete/list).\n");
}

/* Parses argv; returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    enum { O_SET = 256, O_PORT_FILE, O_PID_FILE, O_CHECK, O_PRINT, O_HELP_CONF, O_REBUILD };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, O_SET},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"pid-file", required_argument, NULL, O_PID_FILE},
        {"check-config", no_argument, NULL, O_CHECK},
        {"print-config", no_argument, NULL, O_PRINT},
        {"help-config", no_argument, NULL, O_HELP_CONF},
        {"rebuild-index", no_argument, NULL, O_REBUILD},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    o->sets = cn_calloc((size_t)argc + 1, sizeof(*o->sets));
    while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case O_SET:
            o->sets[o->n_sets++] = optarg;
            break;
        case O_PORT_FILE:
            o->port_file = optarg;
            break;
        case O_PID_FILE:
            o->pid_file = optarg;
            break;
        case O_CHECK:
            o->check = 1;
            break;
        case O_PRINT:
            o->print = 1;
            break;
        case O_REBUILD:
            o->rebuild = 1;
            break;
        case O_HELP_CONF:
            cn_conf_print_sample(conf_keys, N_KEYS, "cairn-storage", stdout);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("cairn-storage %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn-storage: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* 0.0.0.0 or ::, which the node would advertise as its address (the ring's entry): a peer
 * connecting there reaches its own host, never this node. */
static int wildcard_host(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, host, &a4) == 1)
        return a4.s_addr == htonl(INADDR_ANY);
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&a6);
}

/* Checks what the table cannot: required keys and addresses. 0 or CN_ECONFIG with err. */
static int check_conf(const struct stor_conf *c, const char *file, char *err, size_t errlen)
{
    char host[64], why[CN_MGR_ADDR_MAX + 64];
    cn_mgr_addrs_t addrs;
    int port;

    if (c->secret == NULL || c->secret[0] == '\0') {
        snprintf(err, errlen,
                 "%s: cluster.secret: required (no default), set it in the file or with "
                 "--set cluster.secret=...",
                 file);
        return CN_ECONFIG;
    }
    if (c->name[0] == '\0' || strlen(c->name) >= 64) {
        snprintf(err, errlen, "%s: storage.name: must be 1..63 bytes", file);
        return CN_ECONFIG;
    }
    if (cn_parse_hostport(c->rpc_listen, host, sizeof(host), &port) != 0 || port < 0 ||
        port > 65535) {
        snprintf(err, errlen, "%s: storage.rpc_listen: '%s' is not host:port", file,
                 c->rpc_listen);
        return CN_ECONFIG;
    }
    if (wildcard_host(host)) {
        snprintf(err, errlen,
                 "%s: storage.rpc_listen: '%s' is a wildcard address; the node gives its "
                 "listen address to the manager as the one its peers and gateways connect to, "
                 "so name the address they reach it on",
                 file, c->rpc_listen);
        return CN_ECONFIG;
    }
    if (c->metrics_listen[0] != '\0' &&
        (cn_parse_hostport(c->metrics_listen, host, sizeof(host), &port) != 0 || port < 0 ||
         port > 65535)) {
        snprintf(err, errlen, "%s: storage.metrics_listen: '%s' is not host:port (or empty)",
                 file, c->metrics_listen);
        return CN_ECONFIG;
    }
    if (cn_mgr_addrs_parse(&addrs, c->manager_addresses, why, sizeof(why)) != 0 ||
        cn_mgr_client_check(&addrs, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: manager.addresses: %s", file, why);
        return CN_ECONFIG;
    }
    if (c->data_dir[0] == '\0') {
        snprintf(err, errlen, "%s: storage.data_dir: must not be empty", file);
        return CN_ECONFIG;
    }
    if (strcmp(c->engine, "container") != 0 && strcmp(c->engine, "simple") != 0) {
        snprintf(err, errlen, "%s: storage.engine: '%s' is not container or simple", file,
                 c->engine);
        return CN_ECONFIG;
    }
    return 0;
}

static int load_conf(const struct opts *o, struct stor_conf *c)
{
    char err[512];

    if (cn_conf_defaults(conf_keys, N_KEYS, c, err, sizeof(err)) != 0)
        goto bad;
    if (o->config != NULL && cn_conf_load(o->config, conf_keys, N_KEYS, c, err, sizeof(err)) != 0)
        goto bad;
    for (size_t i = 0; i < o->n_sets; i++)
        if (cn_conf_set(o->sets[i], conf_keys, N_KEYS, c, err, sizeof(err)) != 0)
            goto bad;
    if (check_conf(c, o->config ? o->config : "(no config file)", err, sizeof(err)) != 0)
        goto bad;
    return 0;
bad:
    fprintf(stderr, "%s\n", err);
    return CN_ECONFIG;
}

static void close_signals(struct daemon *d)
{
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;

    if (d->stopping)
        return;
    d->stopping = 1;
    CN_LOG(CN_LOG_INFO, "signal %d: stopping", signum);
    stor_mgr_stop(&d->s);
    stor_admin_stop(&d->s);
    stor_lc_stop(&d->s);
    stor_xdc_stop(&d->s);
    stor_cluster_stop(&d->s);
    stor_rpc_stop(&d->s);
    close_signals(d);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    int rc = cn_log_reopen();

    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "rc=%s: cannot reopen the log file", cn_strerror(rc));
    else
        CN_LOG(CN_LOG_INFO, "log reopened");
}

void stor_conf_engine_opts(const struct stor_conf *c, stor_engine_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->kind = c->engine;
    o->no_sync = !c->sync;
    o->index_dir = c->index_dir;
    o->container_dirs = c->container_dirs;
    o->containers = (uint32_t)c->containers;
    o->tombstone_grace_ms = c->tombstone_grace;
    o->compact_rate = c->compact_rate;
    o->compact_auto_pct = (uint32_t)c->compact_auto_ratio;
    o->compact_auto_min = c->compact_auto_min;
    o->compact_auto_interval_ms = c->compact_auto_interval;
    o->index_memtable = c->index_memtable;
    o->index_cache = c->index_cache;
    o->scrub_rate = c->scrub_rate;
    o->scrub_interval_ms = c->scrub_interval;
    o->min_free = c->min_free;
}

/* --rebuild-index: opens the engine with a full rebuild and closes it. Exit code. */
static int rebuild_index(const struct stor_conf *c)
{
    stor_engine_opts_t o;
    stor_engine_t *e;
    int rc;

    if (strcmp(c->engine, "simple") == 0) {
        printf("cairn-storage: --rebuild-index is not needed by the simple engine "
               "(its index and bodies live in one RocksDB); nothing to do\n");
        return 0;
    }
    stor_conf_engine_opts(c, &o);
    o.rebuild_index = 1;
    if ((rc = stor_engine_open(c->data_dir, &o, &e)) != 0) {
        fprintf(stderr, "cairn-storage: rebuilding the index failed: %s\n", cn_strerror(rc));
        return 1;
    }
    stor_engine_close(e);
    printf("cairn-storage: index rebuilt from the containers\n");
    return 0;
}

static int write_port_file(const char *path, const struct stor_server *s)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "rpc %s:%d\n", s->rpc_host, s->rpc_port);

    if (s->metrics_port > 0)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "metrics %s:%d\n", s->metrics_host,
                      s->metrics_port);

    return cn_write_file_atomic(path, line, (size_t)n);
}

static int run(const struct opts *o, const struct stor_conf *c)
{
    struct daemon d;
    stor_engine_opts_t eo;
    uv_loop_t loop;
    int rc, code = 1;

    memset(&d, 0, sizeof(d));
    live_conf = (struct stor_conf *)c;
    d.s.magic = STOR_SERVER_MAGIC;
    d.s.conf = c;
    d.s.loop = &loop;
    uv_loop_init(&loop);
    stor_conf_engine_opts(c, &eo);
    eo.repair = stor_repair_hook;
    eo.repair_arg = &d.s;
    if ((rc = stor_engine_open(c->data_dir, &eo, &d.s.engine)) != 0) {
        CN_LOG(CN_LOG_ERROR, "data_dir=%s rc=%s: cannot open the engine", c->data_dir,
               cn_strerror(rc));
        goto out_loop;
    }
    if ((rc = stor_cluster_start(&d.s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "rc=%s: cannot start the cluster side (repair queue)",
               cn_strerror(rc));
        goto out_engine;
    }
    stor_admin_start(&d.s);
    stor_lc_start(&d.s);
    if ((rc = stor_metrics_start(&d.s)) != 0)
        goto out_cluster;
    if ((rc = stor_rpc_start(&d.s)) != 0)
        goto out_cluster;
    if ((rc = stor_xdc_start(&d.s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "rc=%s: cannot start the links to other clusters ([xdc])",
               cn_strerror(rc));
        goto out_rpc;
    }
    if (o->port_file && (rc = write_port_file(o->port_file, &d.s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "port_file=%s rc=%s: cannot write", o->port_file, cn_strerror(rc));
        goto out_rpc;
    }
    if (o->pid_file && (rc = cn_pid_file_write(o->pid_file)) != 0) {
        CN_LOG(CN_LOG_ERROR, "pid_file=%s rc=%s: cannot write", o->pid_file, cn_strerror(rc));
        goto out_rpc;
    }
    if ((rc = stor_mgr_start(&d.s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "managers=%s rc=%s: cannot start the manager link",
               c->manager_addresses, cn_strerror(rc));
        goto out_rpc;
    }
    uv_signal_init(&loop, &d.sigterm);
    uv_signal_init(&loop, &d.sigint);
    uv_signal_init(&loop, &d.sighup);
    d.sigterm.data = d.sigint.data = d.sighup.data = &d;
    uv_signal_start(&d.sigterm, on_stop_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_stop_signal, SIGINT);
    uv_signal_start(&d.sighup, on_sighup, SIGHUP);
    CN_LOG(CN_LOG_INFO, "name=%s engine=%s data_dir=%s rpc=%s:%d managers=%s: started", c->name,
           c->engine, c->data_dir, d.s.rpc_host, d.s.rpc_port, c->manager_addresses);
    uv_run(&loop, UV_RUN_DEFAULT);
    code = 0;
    goto out_engine;

out_rpc:
    stor_xdc_stop(&d.s);
    stor_rpc_stop(&d.s);
out_cluster:
    stor_admin_stop(&d.s);
    stor_lc_stop(&d.s);
    stor_cluster_stop(&d.s);
    uv_run(&loop, UV_RUN_DEFAULT);
out_engine:
    stor_metrics_stop(&d.s);
    stor_admin_close(&d.s);
    stor_xdc_close(&d.s);
    stor_cluster_close(&d.s);
    stor_buckets_clear(&d.s.buckets);
    stor_engine_close(d.s.engine);
out_loop:
    if (uv_loop_close(&loop) != 0)
        CN_LOG(CN_LOG_WARN, "loop closed with handles still open");
    if (code == 0)
        CN_LOG(CN_LOG_INFO, "stopped");
    return code;
}

/* Sizes libuv's thread pool, where every engine operation runs: libuv reads
 * UV_THREADPOOL_SIZE once, at the first uv_queue_work, so this runs before any loop starts.
 * Its default of 4 let at most 4 writes per node into a group commit; 4 per core (8..64) is
 * what the measurement in docs/PERFORMANCE.md ("Storage thread pool") chose. An explicit
 * [storage] threads wins over the environment, the environment over the default. */
static void size_thread_pool(const struct stor_conf *c)
{
    char v[24];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t n = c->threads;

    if (n == 0 && getenv("UV_THREADPOOL_SIZE") != NULL)
        return;
    if (n == 0) {
        n = cores > 0 ? (uint64_t)cores * STOR_THREADS_PER_CORE : STOR_THREADS_MIN;
        n = n < STOR_THREADS_MIN ? STOR_THREADS_MIN : n > STOR_THREADS_MAX ? STOR_THREADS_MAX : n;
    }
    snprintf(v, sizeof(v), "%" PRIu64, n);
    setenv("UV_THREADPOOL_SIZE", v, 1);
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    struct stor_conf c = {0};
    int code, rc;

    signal(SIGPIPE, SIG_IGN);
    /* Object bodies (up to a chunk, 5 MiB) are allocated and freed on the libuv pool and
     * writer threads; glibc gives each thread its own arena and keeps what was freed there,
     * so RSS grew by ~80 MiB in a 2-minute soak without any leak. Two arenas bound that.
     * A fixed mmap threshold keeps every body of 128 KiB or more in its own mapping, given
     * back to the kernel when freed (glibc's default threshold rises to 32 MiB after the
     * first large free, and then bodies fragment the heap): 20 MiB less RSS in the soak. */
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    if ((code = parse_args(argc, argv, &o)) >= 0)
        goto out;
    if (load_conf(&o, &c) != 0) {
        code = 2;
    } else if (o.check) {
        printf("%s: configuration OK\n", o.config ? o.config : "(defaults)");
        code = 0;
    } else if (o.print) {
        cn_conf_print(conf_keys, N_KEYS, &c, stdout);
        code = 0;
    } else if ((rc = cn_log_init("storage", c.log_level, c.log_file)) != 0) {
        fprintf(stderr, "log.file: '%s': %s\n", c.log_file, cn_strerror(rc));
        code = 2;
    } else if (o.rebuild) {
        code = rebuild_index(&c);
    } else {
        size_thread_pool(&c);
        code = run(&o, &c);
    }
    cn_conf_dispose(conf_keys, N_KEYS, &c);
out:
    cn_free(o.sets);
    return code;
}
