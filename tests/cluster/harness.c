/*
 * tests/cluster/harness.c: see harness.h. Processes are started with fork/exec and stopped
 * by their pid only; ports come from port files; every wait has a deadline.
 */
#include "tests/cluster/harness.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"
#include "tests/harness/tmpdir.h"

void tc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void bin_path(const char *rel, char *out, size_t len)
{
    const char *b = getenv("CAIRN_BUILD_DIR");
    char exe[PATH_MAX / 2];
    ssize_t n;

    if (b && *b) {
        snprintf(out, len, "%s/%s", b, rel);
        return;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0'; /* tests/cluster */
    snprintf(out, len, "%s/../../%s", exe, rel);
}

static pid_t spawn(const char *bin, const char *conf, const char *port_file)
{
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execl(bin, bin, "-c", conf, "--port-file", port_file, (char *)NULL);
        perror(bin);
        _exit(127);
    }
    return pid;
}

/* Reads "what HOST:PORT" from a port file; 0 until it exists. */
static int read_port(const char *path, const char *what)
{
    char line[256], w[32], host[64];
    int p, found = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%31s %63[^:]:%d", w, host, &p) == 3 && strcmp(w, what) == 0)
            found = p;
    fclose(f);
    return found;
}

static int wait_port(const char *path, const char *what, pid_t pid)
{
    int p;

    for (int i = 0; i < 1000; i++) {
        if ((p = read_port(path, what)) > 0)
            return p;
        cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "a daemon exited early (%s)", path);
        tc_sleep_ms(10);
    }
    cr_assert_fail("no port file %s", path);
    return -1;
}

void tc_init(tc_cluster_t *c, int read_q, int fake_mgr_port)
{
    char conf[PATH_MAX], pf[PATH_MAX], bin[PATH_MAX];
    FILE *f;

    memset(c, 0, sizeof(*c));
    cn_log_init("test", CN_LOG_WARN, NULL);
    signal(SIGPIPE, SIG_IGN);
    t_tmpdir_make(c->dir, sizeof(c->dir));
    for (int i = 0; i < TC_MAX_NODES; i++)
        snprintf(c->name[i], sizeof(c->name[i]), "s%d", i);
    if (fake_mgr_port > 0) {
        c->mgr_rpc = fake_mgr_port;
        return;
    }
    snprintf(conf, sizeof(conf), "%s/manager.conf", c->dir);
    snprintf(pf, sizeof(pf), "%s/manager.ports", c->dir);
    f = fopen(conf, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "[manager]\nrpc_listen = 127.0.0.1:0\nadmin_listen = 127.0.0.1:0\nraft_listen = 127.0.0.1:0\n"
            "data_dir = %s/manager\n"
            "[cluster]\nsecret = %s\nreplicas = 3\nwrite = 2\nread = %d\ndelete = 2\n"
            "heartbeat_ms = 100\nnode_timeout_ms = 2000\n"
            "[log]\nlevel = info\nfile = %s/manager.log\n",
            c->dir, TC_SECRET, read_q, c->dir);
    fclose(f);
    bin_path("manager/cairn-manager", bin, sizeof(bin));
    c->mgr_pid = spawn(bin, conf, pf);
    c->mgr_rpc = wait_port(pf, "rpc", c->mgr_pid);
    c->mgr_admin = wait_port(pf, "admin", c->mgr_pid);
}

void tc_node_start(tc_cluster_t *c, int i)
{
    char conf[PATH_MAX], pf[PATH_MAX], bin[PATH_MAX];
    FILE *f;

    snprintf(conf, sizeof(conf), "%s/%s.conf", c->dir, c->name[i]);
    snprintf(pf, sizeof(pf), "%s/%s.ports", c->dir, c->name[i]);
    unlink(pf);
    f = fopen(conf, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "[storage]\nname = %s\nrpc_listen = 127.0.0.1:%d\ndata_dir = %s/%s\nvnodes = 64\n"
            "sync = false\n",
            c->name[i], c->port[i], c->dir, c->name[i]);
    if (c->containers > 0)
        fprintf(f, "containers = %d\n", c->containers);
    fprintf(f,
            "[manager]\naddress = 127.0.0.1:%d\n"
            "[cluster]\nsecret = %s\nheartbeat_ms = 100\n"
            "[replication]\ntimeout = 2s\nrepair_backoff_max = 500ms\n"
            "[log]\nlevel = info\nfile = %s/%s.log\n",
            c->mgr_rpc, TC_SECRET, c->dir, c->name[i]);
    fclose(f);
    bin_path("storage/cairn-storage", bin, sizeof(bin));
    c->pid[i] = spawn(bin, conf, pf);
    c->port[i] = wait_port(pf, "rpc", c->pid[i]);
    if (i >= c->n)
        c->n = i + 1;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    int status;

    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        tc_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

void tc_node_stop(tc_cluster_t *c, int i, int sig)
{
    int code;

    if (c->pid[i] <= 0)
        return;
    kill(c->pid[i], sig);
    code = wait_exit(c->pid[i], 10000);
    c->pid[i] = 0;
    if (sig == SIGTERM)
        cr_assert_eq(code, 0, "%s did not exit 0 on SIGTERM", c->name[i]);
}

/* One HTTP/1.1 request with Connection: close; the whole answer goes to resp. Status. */
static int http_req(int port, const char *method, const char *path, char *resp, size_t cap)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
    size_t got = 0;
    ssize_t n;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    resp[0] = '\0';
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
        n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n",
                     method, path);
        if (write(fd, req, (size_t)n) == n) {
            while (got + 1 < cap && (n = read(fd, resp + got, cap - 1 - got)) > 0)
                got += (size_t)n;
            resp[got] = '\0';
            sscanf(resp, "HTTP/1.%*d %d", &code);
        }
    }
    close(fd);
    return code;
}

int tc_admin_get(tc_cluster_t *c, const char *path, char *out, size_t cap)
{
    int code = http_req(c->mgr_admin, "GET", path, out, cap);
    char *body = strstr(out, "\r\n\r\n");

    if (body == NULL)
        return -1;
    memmove(out, body + 4, strlen(body + 4) + 1);
    return code;
}

static int http_post(int port, const char *path)
{
    char resp[1024];

    return http_req(port, "POST", path, resp, sizeof(resp));
}

/* How many storage nodes the manager lists as attached (GET /v1/status). */
static int attached(const tc_cluster_t *c)
{
    static char resp[1 << 16];
    int n = 0;

    if (http_req(c->mgr_admin, "GET", "/v1/status", resp, sizeof(resp)) != 200)
        return -1;
    for (const char *p = resp; (p = strstr(p, "attached")) != NULL; p++)
        n++;
    return n;
}

static uint64_t fetch_ring(tc_cluster_t *c)
{
    cn_msg_t *resp = NULL;
    cn_slice_t b;
    uint64_t sum = 0;

    if (cn_rpc_call_sync("127.0.0.1", c->mgr_rpc, TC_SECRET, "test", cn_msg_new(CN_OP_GET_RING),
                         3000, &resp) != 0)
        return 0;
    if (cn_msg_get_bytes(resp, "cur", &b) == 0 && b.len > 0) {
        cn_ring_destroy(c->ring);
        c->ring = NULL;
        if (cn_ring_decode(b.ptr, b.len, &c->ring) == 0)
            sum = cn_ring_checksum(c->ring);
    }
    cn_msg_free(resp);
    return sum;
}

void tc_wait_ring(tc_cluster_t *c, int i, uint64_t sum)
{
    TC_WAIT(tc_stat(c, i, "mq_stats", "ring_cur") == sum, 10000, "a node never got the ring");
}

void tc_start_ring(tc_cluster_t *c)
{
    uint64_t sum;

    /* every node must be attached first: the manager builds the ring from them */
    TC_WAIT(attached(c) >= c->n, 10000, "the storage nodes never registered");
    TC_WAIT(http_post(c->mgr_admin, "/v1/start") == 200, 10000, "POST /v1/start failed");
    sum = fetch_ring(c);
    cr_assert_neq(sum, 0);
    cr_assert_eq(cn_ring_node_count(c->ring), (size_t)c->n,
                 "the ring has %zu nodes, expected %d", cn_ring_node_count(c->ring), c->n);
    for (int i = 0; i < c->n; i++)
        tc_wait_ring(c, i, sum);
}

void tc_finish(tc_cluster_t *c)
{
    const char *keep = getenv("CAIRN_TEST_KEEP");
    const char *logs = getenv("CAIRN_TEST_LOGS");
    char cmd[PATH_MAX + 64];

    for (int i = 0; i < TC_MAX_NODES; i++)
        if (c->pid[i] > 0) {
            kill(c->pid[i], SIGTERM);
            wait_exit(c->pid[i], 5000);
            c->pid[i] = 0;
        }
    if (c->mgr_pid > 0) {
        kill(c->mgr_pid, SIGTERM);
        wait_exit(c->mgr_pid, 5000);
    }
    if (logs && *logs == '1') {
        snprintf(cmd, sizeof(cmd), "tail -n 30 %s/*.log >&2", c->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "(no logs)\n");
    }
    cn_ring_destroy(c->ring);
    c->ring = NULL;
    if (keep && *keep == '1')
        fprintf(stderr, "kept %s\n", c->dir);
    else
        t_tmpdir_remove(c->dir);
}

int tc_index(const tc_cluster_t *c, const char *name)
{
    for (int i = 0; i < TC_MAX_NODES; i++)
        if (strcmp(c->name[i], name) == 0)
            return i;
    return -1;
}

int tc_owners(const tc_cluster_t *c, const char *key, int n, int *out)
{
    const cn_ring_node_t *nodes[CN_RING_MAX_REPLICAS];
    size_t got = cn_ring_lookup(c->ring, key, strlen(key), (size_t)n, nodes);

    for (size_t i = 0; i < got; i++)
        out[i] = tc_index(c, nodes[i]->name);
    return (int)got;
}

cn_msg_t *tc_call(tc_cluster_t *c, int i, cn_msg_t *req)
{
    cn_msg_t *resp = NULL;

    if (cn_rpc_call_sync("127.0.0.1", c->port[i], TC_SECRET, "gateway-test", req, 8000,
                         &resp) != 0)
        return NULL;
    return resp;
}

static int call_rc(tc_cluster_t *c, int i, cn_msg_t *req, uint64_t *clock_out)
{
    cn_msg_t *resp = tc_call(c, i, req);
    int rc;

    if (resp == NULL)
        return CN_EUNAVAIL;
    rc = cn_msg_rc(resp);
    if (clock_out)
        cn_msg_get_u64(resp, "clock", clock_out);
    cn_msg_free(resp);
    return rc;
}

int tc_put(tc_cluster_t *c, int i, const char *key, const char *body, int replica,
           uint64_t clock, uint64_t *clock_out)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT);

    cn_msg_set_str(m, "key", key);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", "etag-test");
    if (replica)
        cn_msg_set_u64(m, "replica", 1);
    cn_msg_set_body_copy(m, body, strlen(body));
    return call_rc(c, i, m, clock_out);
}

int tc_delete(tc_cluster_t *c, int i, const char *key, uint64_t *clock_out)
{
    cn_msg_t *m = cn_msg_new(CN_OP_DELETE);

    cn_msg_set_str(m, "key", key);
    return call_rc(c, i, m, clock_out);
}

int tc_get(tc_cluster_t *c, int i, const char *key, char *out, size_t outlen,
           uint64_t *clock_out)
{
    cn_msg_t *m = cn_msg_new(CN_OP_GET), *resp;
    cn_slice_t b;
    int rc;

    cn_msg_set_str(m, "key", key);
    if ((resp = tc_call(c, i, m)) == NULL)
        return CN_EUNAVAIL;
    rc = cn_msg_rc(resp);
    b = cn_msg_body(resp);
    if (out) {
        snprintf(out, outlen, "%.*s", (int)b.len, b.ptr ? b.ptr : "");
    }
    if (clock_out)
        cn_msg_get_u64(resp, "clock", clock_out);
    cn_msg_free(resp);
    return rc;
}

int tc_whereis(tc_cluster_t *c, int i, const char *key, uint64_t *clock, uint64_t *flags,
               uint64_t *corrupt)
{
    cn_msg_t *m = cn_msg_new("whereis"), *resp;
    int rc;

    cn_msg_set_str(m, "key", key);
    if ((resp = tc_call(c, i, m)) == NULL)
        return CN_EUNAVAIL;
    rc = cn_msg_rc(resp);
    if (clock) {
        *clock = 0;
        cn_msg_get_u64(resp, "clock", clock);
    }
    if (flags) {
        *flags = 0;
        cn_msg_get_u64(resp, "flags", flags);
    }
    if (corrupt) {
        *corrupt = 0;
        cn_msg_get_u64(resp, "corrupt", corrupt);
    }
    cn_msg_free(resp);
    return rc;
}

uint64_t tc_stat(tc_cluster_t *c, int i, const char *op, const char *field)
{
    cn_msg_t *resp = tc_call(c, i, cn_msg_new(op));
    uint64_t v = UINT64_MAX;

    if (resp == NULL)
        return UINT64_MAX;
    if (cn_msg_rc(resp) != 0 || cn_msg_get_u64(resp, field, &v) != 0)
        v = UINT64_MAX;
    cn_msg_free(resp);
    return v;
}

static int drained(tc_cluster_t *c)
{
    for (int i = 0; i < c->n; i++)
        if (c->pid[i] > 0 && (tc_stat(c, i, "mq_stats", "depth") != 0 ||
                              tc_stat(c, i, "mq_stats", "inflight") != 0))
            return 0;
    return 1;
}

void tc_wait_drained(tc_cluster_t *c, int timeout_ms)
{
    TC_WAIT(drained(c), timeout_ms, "the repair queues never drained");
}
