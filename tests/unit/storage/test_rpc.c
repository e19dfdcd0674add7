/*
 * tests/unit/storage/test_rpc.c: runs the real cairn-storage binary (from $CAIRN_BUILD_DIR,
 * else relative to this test binary) with a generated config on port 0, and talks to it with
 * cn_rpc_call_sync: put/get/head/list/delete, clocks, bad requests, a wrong secret, the
 * manager link (against a closed port, and against a small manager played by this test on
 * the real RPC server), configuration errors and a clean SIGTERM.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "tests/harness/tmpdir.h"

#define SECRET "test-secret"

static char dir[PATH_MAX / 2];
static pid_t child = -1;
static int port;

static void binary_path(char *out, size_t len)
{
    const char *b = getenv("CAIRN_BUILD_DIR");
    char exe[PATH_MAX / 2];
    ssize_t n;

    if (b && *b) {
        snprintf(out, len, "%s/storage/cairn-storage", b);
        return;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0'; /* tests/unit/storage */
    snprintf(out, len, "%s/../../../storage/cairn-storage", exe);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void write_conf(const char *path, const char *secret, int mgr_port)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    fprintf(f,
            "[storage]\nname = s0\nrpc_listen = 127.0.0.1:0\ndata_dir = %s/data\n"
            "vnodes = 64\n"
            "[manager]\naddress = 127.0.0.1:%d\n"
            "[cluster]\nsecret = %s\nheartbeat_ms = 100\n"
            "[log]\nlevel = info\nfile = %s/storage.log\n",
            dir, mgr_port, secret, dir);
    fclose(f);
}

/* Starts the daemon with extra args; returns its pid (the exit code is read later). */
static pid_t spawn(const char *const *extra)
{
    char bin[PATH_MAX], conf[PATH_MAX], pf[PATH_MAX];
    const char *argv[32];
    int n = 0;
    pid_t pid;

    binary_path(bin, sizeof(bin));
    snprintf(conf, sizeof(conf), "%s/storage.conf", dir);
    snprintf(pf, sizeof(pf), "%s/ports", dir);
    argv[n++] = bin;
    argv[n++] = "-c";
    argv[n++] = conf;
    argv[n++] = "--port-file";
    argv[n++] = pf;
    while (extra && *extra)
        argv[n++] = *extra++;
    argv[n] = NULL;
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execv(bin, (char *const *)argv);
        perror(bin);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    int status;

    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Waits for the port file and reads the rpc port. */
static int wait_port(void)
{
    char pf[PATH_MAX], host[64];
    int p = 0;

    snprintf(pf, sizeof(pf), "%s/ports", dir);
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(pf, "r");
        if (f != NULL) {
            int ok = fscanf(f, "rpc %63[^:]:%d", host, &p) == 2;
            fclose(f);
            if (ok) {
                cr_assert_str_eq(host, "127.0.0.1");
                return p;
            }
        }
        cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "cairn-storage exited early");
        sleep_ms(10);
    }
    cr_assert_fail("no port file after 10 s");
    return -1;
}

static void start_daemon(int mgr_port)
{
    char conf[PATH_MAX];

    snprintf(conf, sizeof(conf), "%s/storage.conf", dir);
    write_conf(conf, SECRET, mgr_port);
    child = spawn(NULL);
    port = wait_port();
}

static void stop_daemon(void)
{
    if (child > 0) {
        kill(child, SIGTERM);
        cr_assert_eq(wait_exit(child, 10000), 0, "cairn-storage did not exit 0 on SIGTERM");
        child = -1;
    }
}

static void setup(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    t_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
    t_tmpdir_remove(dir);
}

TestSuite(rpc, .init = setup, .fini = teardown);

static cn_msg_t *call(cn_msg_t *req)
{
    cn_msg_t *resp = NULL;

    cr_assert_eq(cn_rpc_call_sync("127.0.0.1", port, SECRET, "test", req, 5000, &resp), 0);
    return resp;
}

static int call_rc(cn_msg_t *req)
{
    cn_msg_t *resp = call(req);
    int rc = cn_msg_rc(resp);

    cn_msg_free(resp);
    return rc;
}

static cn_msg_t *put_req(const char *key, uint64_t clock, const char *body)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT);

    cn_msg_set_str(m, "key", key);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", "e-tag");
    cn_msg_set_bytes(m, "meta", "\x81\xa1k\xa1v", 5);
    cn_msg_set_u64(m, "flags", 0);
    cn_msg_set_body_copy(m, body, strlen(body));
    return m;
}

static cn_msg_t *key_req(const char *op, const char *key)
{
    cn_msg_t *m = cn_msg_new(op);

    cn_msg_set_str(m, "key", key);
    return m;
}

static int count_lines(const char *path, const char *needle)
{
    char line[2048];
    FILE *f = fopen(path, "r");
    int n = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

Test(rpc, put_get_head_list_delete, .timeout = 30)
{
    cn_msg_t *resp, *m;
    cn_list_result_t *lr;
    uint64_t clock, v;
    cn_slice_t b;
    char s[64];

    start_daemon(t_free_port());
    resp = call(put_req("b/hello", 0, "hello world"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "clock", &clock), 0);
    cr_assert_gt(clock, (uint64_t)1600000000 * 1000000000ull, "an HLC value in ns");
    cn_msg_free(resp);

    resp = call(key_req(CN_OP_GET, "b/hello"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    b = cn_msg_body(resp);
    cr_assert_eq(b.len, 11);
    cr_assert_arr_eq(b.ptr, "hello world", 11);
    cr_assert_eq(cn_msg_get_u64(resp, "clock", &v), 0);
    cr_assert_eq(v, clock);
    cr_assert_eq(cn_msg_get_u64(resp, "size", &v), 0);
    cr_assert_eq(v, 11);
    cr_assert_eq(cn_msg_get_u64(resp, "mtime", &v), 0);
    cr_assert_geq(v + 60000, cn_now_ms());
    cr_assert_eq(cn_msg_get_str(resp, "etag", s, sizeof(s)), 0);
    cr_assert_str_eq(s, "e-tag");
    cr_assert_eq(cn_msg_get_bytes(resp, "meta", &b), 0);
    cr_assert_eq(b.len, 5);
    cr_assert_arr_eq(b.ptr, "\x81\xa1k\xa1v", 5);
    cn_msg_free(resp);

    m = key_req(CN_OP_GET, "b/hello");
    cn_msg_set_u64(m, "offset", 6);
    cn_msg_set_u64(m, "length", 3);
    resp = call(m);
    cr_assert_eq(cn_msg_rc(resp), 0);
    b = cn_msg_body(resp);
    cr_assert_eq(b.len, 3);
    cr_assert_arr_eq(b.ptr, "wor", 3);
    cn_msg_free(resp);

    resp = call(key_req(CN_OP_HEAD, "b/hello"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_body(resp).len, 0);
    cr_assert_eq(cn_msg_get_u64(resp, "size", &v), 0);
    cr_assert_eq(v, 11);
    cn_msg_free(resp);

    cr_assert_eq(call_rc(put_req("b/dir/x", 0, "x")), 0);
    cr_assert_eq(call_rc(put_req("c/other", 0, "x")), 0);
    m = cn_msg_new(CN_OP_LIST);
    cn_msg_set_str(m, "prefix", "b/");
    cn_msg_set_str(m, "delimiter", "/");
    resp = call(m);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "truncated", &v), 0);
    cr_assert_eq(v, 0);
    b = cn_msg_body(resp);
    cr_assert_eq(cn_list_decode(b.ptr, b.len, &lr), 0);
    cr_assert_eq(cn_list_result_count(lr), 2);
    cr_assert(cn_slice_eq(cn_list_result_at(lr, 0)->key, CN_SLICE("b/dir/")));
    cr_assert_eq(cn_list_result_at(lr, 0)->flags, CN_LIST_PREFIX);
    cr_assert(cn_slice_eq(cn_list_result_at(lr, 1)->key, CN_SLICE("b/hello")));
    cr_assert_eq(cn_list_result_at(lr, 1)->size, 11);
    cn_list_result_free(lr);
    cn_msg_free(resp);

    m = cn_msg_new(CN_OP_LIST);
    cn_msg_set_str(m, "prefix", "b/");
    cn_msg_set_u64(m, "max_keys", 1);
    resp = call(m);
    cr_assert_eq(cn_msg_get_u64(resp, "truncated", &v), 0);
    cr_assert_eq(v, 1);
    cn_msg_free(resp);

    cr_assert_eq(call_rc(key_req(CN_OP_DELETE, "b/hello")), 0);
    cr_assert_eq(call_rc(key_req(CN_OP_GET, "b/hello")), CN_ENOENT);
    cr_assert_eq(call_rc(key_req(CN_OP_HEAD, "b/hello")), CN_ENOENT);
    cr_assert_eq(call_rc(key_req(CN_OP_DELETE, "b/hello")), CN_ENOENT);
    stop_daemon();
}

Test(rpc, clocks_last_writer_wins, .timeout = 30)
{
    uint64_t far = cn_now_ns() + 3600ull * 1000000000ull, v;
    cn_msg_t *m, *resp;

    start_daemon(t_free_port());
    resp = call(put_req("b/k", far, "future"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "clock", &v), 0);
    cr_assert_eq(v, far, "a given clock is stored as is");
    cn_msg_free(resp);
    cr_assert_eq(call_rc(put_req("b/k", far - 1, "older")), CN_ESTALE);
    /* the node observed the clock: its own next clock is newer */
    resp = call(put_req("b/k", 0, "newest"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "clock", &v), 0);
    cr_assert_gt(v, far);
    cn_msg_free(resp);
    m = key_req(CN_OP_DELETE, "b/k");
    cn_msg_set_u64(m, "clock", far);
    cr_assert_eq(call_rc(m), CN_ESTALE, "a delete older than the object loses");
    stop_daemon();
}

Test(rpc, bad_requests_are_einval, .timeout = 30)
{
    char big[1200];
    cn_msg_t *m;

    start_daemon(t_free_port());
    cr_assert_eq(call_rc(cn_msg_new(CN_OP_GET)), CN_EINVAL, "missing key");
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_assert_eq(call_rc(key_req(CN_OP_GET, big)), CN_EINVAL, "key over STOR_KEY_MAX bytes");
    cr_assert_eq(call_rc(put_req(big, 0, "x")), CN_EINVAL);
    m = cn_msg_new(CN_OP_HEAD);
    cn_msg_set_u64(m, "key", 42);
    cr_assert_eq(call_rc(m), CN_EINVAL, "key of the wrong type");
    m = key_req(CN_OP_GET, "b/k");
    cn_msg_set_str(m, "offset", "12");
    cr_assert_eq(call_rc(m), CN_EINVAL, "offset of the wrong type");
    m = put_req("b/k", 0, "x");
    cn_msg_set_str(m, "clock", "soon");
    cr_assert_eq(call_rc(m), CN_EINVAL, "clock of the wrong type");
    m = cn_msg_new(CN_OP_LIST);
    cn_msg_set_u64(m, "prefix", 1);
    cr_assert_eq(call_rc(m), CN_EINVAL, "prefix of the wrong type");
    cr_assert_eq(call_rc(cn_msg_new("frobnicate")), CN_EINVAL, "unknown op");
    /* still serving */
    cr_assert_eq(call_rc(put_req("b/k", 0, "x")), 0);
    stop_daemon();
}

Test(rpc, wrong_secret_is_refused, .timeout = 30)
{
    cn_msg_t *resp = NULL;

    start_daemon(t_free_port());
    cr_assert_eq(cn_rpc_call_sync("127.0.0.1", port, "not-the-secret", "intruder",
                                  key_req(CN_OP_GET, "b/k"), 5000, &resp),
                 CN_EAUTH);
    cr_assert_null(resp);
    cr_assert_eq(call_rc(put_req("b/k", 0, "x")), 0, "the right secret still works");
    stop_daemon();
}

Test(rpc, serves_while_manager_is_down_and_warns_once, .timeout = 30)
{
    char log[PATH_MAX];

    start_daemon(t_free_port());
    snprintf(log, sizeof(log), "%s/storage.log", dir);
    sleep_ms(2500); /* two or three register attempts */
    cr_assert_eq(call_rc(put_req("b/k", 0, "x")), 0);
    cr_assert_eq(count_lines(log, "manager unreachable"), 1);
    stop_daemon();
    cr_assert_eq(count_lines(log, "stopped"), 1);
}

/* ---- a manager played on the real RPC server, in a thread ---------------------------- */

struct fake_mgr {
    uv_loop_t loop;
    uv_async_t stop;
    cn_rpc_server_t *srv;
    pthread_t th;
    int port;
    pthread_mutex_t lock;
    int registers, heartbeats, get_rings;
    char reg_name[64], reg_host[64];
    uint64_t reg_port, reg_vnodes, hb_cur;
    cn_ring_t *ring;
};

static void fake_handler(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct fake_mgr *f = udata;
    cn_msg_t *resp = cn_msg_new(cn_msg_op(req));
    const char *op = cn_msg_op(req);
    uint64_t sum = cn_ring_checksum(f->ring);
    cn_buf_t b;

    pthread_mutex_lock(&f->lock);
    if (strcmp(op, CN_OP_REGISTER) == 0) {
        f->registers++;
        cn_msg_get_str(req, "name", f->reg_name, sizeof(f->reg_name));
        cn_msg_get_str(req, "host", f->reg_host, sizeof(f->reg_host));
        cn_msg_get_u64(req, "port", &f->reg_port);
        cn_msg_get_u64(req, "vnodes", &f->reg_vnodes);
        cn_msg_set_str(resp, "state", "attached");
    } else if (strcmp(op, CN_OP_HEARTBEAT) == 0) {
        f->heartbeats++;
        cn_msg_get_u64(req, "ring_cur", &f->hb_cur);
        cn_msg_set_str(resp, "state", "running");
        cn_msg_set_u64(resp, "ring_cur", sum);
        cn_msg_set_u64(resp, "ring_prev", 0);
    } else if (strcmp(op, CN_OP_GET_RING) == 0) {
        f->get_rings++;
        cn_buf_init(&b);
        cn_ring_encode(f->ring, &b);
        cn_msg_set_bytes(resp, "cur", b.data, b.len);
        cn_msg_set_bytes(resp, "prev", "", 0);
        cn_msg_set_u64(resp, "cur_sum", sum);
        cn_msg_set_u64(resp, "prev_sum", 0);
        cn_buf_dispose(&b);
    } else {
        cn_msg_set_rc(resp, CN_EINVAL);
    }
    pthread_mutex_unlock(&f->lock);
    cn_rpc_reply(conn, req, resp);
}

static void fake_stop(uv_async_t *a)
{
    struct fake_mgr *f = a->data;

    cn_rpc_server_stop(f->srv);
    uv_close((uv_handle_t *)&f->stop, NULL);
}

static void *fake_run(void *arg)
{
    struct fake_mgr *f = arg;

    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void fake_start(struct fake_mgr *f)
{
    cn_rpc_server_opts_t o = {.host = "127.0.0.1", .secret = SECRET, .handler = fake_handler};

    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    f->ring = cn_ring_create();
    cr_assert_eq(cn_ring_add(f->ring, "s0", "127.0.0.1", 1, 64), 0);
    cr_assert_eq(cn_ring_build(f->ring), 0);
    uv_loop_init(&f->loop);
    o.udata = f;
    cr_assert_eq(cn_rpc_server_start(&f->loop, &o, &f->srv), 0);
    f->port = cn_rpc_server_port(f->srv);
    uv_async_init(&f->loop, &f->stop, fake_stop);
    f->stop.data = f;
    pthread_create(&f->th, NULL, fake_run, f);
}

static void fake_finish(struct fake_mgr *f)
{
    uv_async_send(&f->stop);
    pthread_join(f->th, NULL);
    uv_loop_close(&f->loop);
    cn_ring_destroy(f->ring);
}

Test(rpc, registers_heartbeats_and_fetches_the_ring, .timeout = 30)
{
    struct fake_mgr f;
    char log[PATH_MAX];
    int done = 0;

    fake_start(&f);
    start_daemon(f.port);
    for (int i = 0; i < 500 && !done; i++) {
        pthread_mutex_lock(&f.lock);
        done = f.get_rings >= 1 && f.hb_cur == cn_ring_checksum(f.ring);
        pthread_mutex_unlock(&f.lock);
        if (!done)
            sleep_ms(10);
    }
    cr_assert(done, "the node never reported the manager's ring checksum");
    pthread_mutex_lock(&f.lock);
    cr_assert_eq(f.registers, 1);
    cr_assert_str_eq(f.reg_name, "s0");
    cr_assert_str_eq(f.reg_host, "127.0.0.1");
    cr_assert_eq(f.reg_port, (uint64_t)port, "the real bound port is registered");
    cr_assert_eq(f.reg_vnodes, 64);
    pthread_mutex_unlock(&f.lock);
    sleep_ms(400);
    pthread_mutex_lock(&f.lock);
    cr_assert_eq(f.get_rings, 1, "the ring is fetched once while checksums agree");
    cr_assert_geq(f.heartbeats, 3);
    pthread_mutex_unlock(&f.lock);
    stop_daemon();
    snprintf(log, sizeof(log), "%s/storage.log", dir);
    cr_assert_eq(count_lines(log, "state=attached"), 1);
    cr_assert_eq(count_lines(log, "state=running"), 1, "a state is logged on change only");
    cr_assert_eq(count_lines(log, "manager unreachable"), 0);
    fake_finish(&f);
}

Test(rpc, config_errors_exit_2, .timeout = 30)
{
    char conf[PATH_MAX];
    const char *set_empty[] = {"--set", "cluster.secret=", "--check-config", NULL};
    const char *set_bad[] = {"--set", "storage.vnodes=0", "--check-config", NULL};
    const char *check[] = {"--check-config", NULL};
    FILE *f;

    snprintf(conf, sizeof(conf), "%s/storage.conf", dir);
    write_conf(conf, SECRET, 1);
    cr_assert_eq(wait_exit(spawn(check), 10000), 0);
    cr_assert_eq(wait_exit(spawn(set_empty), 10000), 2, "an empty secret is an error");
    cr_assert_eq(wait_exit(spawn(set_bad), 10000), 2, "vnodes out of range");
    f = fopen(conf, "a");
    fprintf(f, "bogus_key = 1\n");
    fclose(f);
    cr_assert_eq(wait_exit(spawn(check), 10000), 2, "an unknown key");
}

#define VK(lit) lit, sizeof(lit) - 1 /* a key literal that holds a NUL, and its length */

/* A put of a key that may hold a NUL (a version key "bucket/key\0ID", issue 16). */
static cn_msg_t *put_ver_req(const char *key, size_t klen, uint64_t clock, uint32_t flags,
                             const char *body)
{
    cn_msg_t *m = put_req("x", clock, body);

    cn_msg_set_bytes(m, "key", key, klen);
    cn_msg_set_u64(m, "flags", flags);
    return m;
}

/* du counts non-current versions apart (issue 16): among an object's entries (its own key and
 * "key\0ID" versions) the newest clock is current; a current delete marker leaves the object
 * deleted; tombstones (versions deleted for good) are neither. A group of versions longer than
 * a scan batch (1024 entries) is one object still. */
Test(rpc, du_counts_noncurrent_versions_apart, .timeout = 60)
{
    cn_msg_t *resp, *m;
    uint64_t v = 0;
    cn_slice_t b;
    char key[64];
    int i, n;

    start_daemon(t_free_port());
    /* v/a: the null version (3 bytes, clock 10) and two versions; the newest (clock 30,
     * 5 bytes) is current */
    cr_assert_eq(call_rc(put_req("v/a", 10, "123")), 0);
    cr_assert_eq(call_rc(put_ver_req(VK("v/a\0ffffffffffffffe1aaaaaaaa"), 30, 0, "12345")), 0);
    cr_assert_eq(call_rc(put_ver_req(VK("v/a\0ffffffffffffffeb0bbbbbbb"), 20, 0, "1234567")), 0);
    /* v/b: one version under a newer delete marker: deleted, 2 non-current entries */
    cr_assert_eq(call_rc(put_ver_req(VK("v/b\0ffffffffffffffeccccccccc"), 40, 0, "1234")), 0);
    cr_assert_eq(call_rc(put_ver_req(VK("v/b\0ffffffffffffffdc0ccccccc"), 50,
                                     CN_OBJ_DELETE_MARKER, "")), 0);
    /* v/c: a marker under a newer version; and a version deleted for good (a tombstone) */
    cr_assert_eq(call_rc(put_ver_req(VK("v/c\0ffffffffffffffe0dddddddd"), 60,
                                     CN_OBJ_DELETE_MARKER, "")), 0);
    cr_assert_eq(call_rc(put_ver_req(VK("v/c\0ffffffffffffffd0dddddddd"), 70, 0, "12")), 0);
    cr_assert_eq(call_rc(put_ver_req(VK("v/c\0ffffffffffffffc0dddddddd"), 80, 0, "1234567890")),
                 0);
    m = cn_msg_new(CN_OP_DELETE);
    cn_msg_set_bytes(m, "key", VK("v/c\0ffffffffffffffc0dddddddd"));
    cn_msg_set_u64(m, "clock", 90);
    cr_assert_eq(call_rc(m), 0);
    /* u/x: an unversioned bucket beside it */
    cr_assert_eq(call_rc(put_req("u/x", 5, "123456")), 0);

    resp = call(cn_msg_new("du"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    b = cn_msg_body(resp);
    /* v: current a (5) and c (2); non-current a's null and older version (3 + 7), b's version
     * and marker (4 + 0), c's marker (0); 2 markers; 1 tombstone */
    cr_assert_eq(b.len, strlen("u 1 6 0 0 0 0\nv 2 7 1 5 14 2\n"), "%.*s", (int)b.len, b.ptr);
    cr_assert_arr_eq(b.ptr, "u 1 6 0 0 0 0\nv 2 7 1 5 14 2\n", b.len);
    {
        static const struct {
            const char *name;
            uint64_t want;
        } f[] = {{"objects", 3},         {"noncurrent", 5}, {"noncurrent_bytes", 14},
                 {"delete_markers", 2},  {"entries", 9}}; /* 3 + 5 + 1 tombstone */

        for (i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++) {
            cr_assert_eq(cn_msg_get_u64(resp, f[i].name, &v), 0, "%s", f[i].name);
            cr_assert_eq(v, f[i].want, "%s: %llu", f[i].name, (unsigned long long)v);
        }
    }
    cn_msg_free(resp);

    /* one object with more versions than a scan batch: still one current object */
    n = 1500;
    for (i = 0; i < n; i++) {
        int len = snprintf(key, sizeof(key), "w/k%c%016llx%08x", '\0',
                           (unsigned long long)(UINT64_MAX - 1000 - (uint64_t)i), 0u);

        cr_assert_eq(call_rc(put_ver_req(key, (size_t)len, 1000 + (uint64_t)i, 0, "1")), 0);
    }
    m = cn_msg_new("du");
    cn_msg_set_str(m, "bucket", "w");
    resp = call(m);
    b = cn_msg_body(resp);
    cr_assert_eq(b.len, strlen("w 1 1 0 1499 1499 0\n"), "%.*s", (int)b.len, b.ptr);
    cr_assert_arr_eq(b.ptr, "w 1 1 0 1499 1499 0\n", b.len);
    cn_msg_free(resp);
}

/* The operator ops (storage/admin_ops.c): du, set_property, delete_bucket and its status. */
Test(rpc, operator_ops_du_property_delete_bucket, .timeout = 30)
{
    cn_msg_t *resp, *m;
    uint64_t v = 0;
    cn_slice_t b, e;
    char key[32];
    int i;

    start_daemon(t_free_port());
    for (i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "b1/k%d", i);
        cr_assert_eq(call_rc(put_req(key, 0, "12345")), 0);
    }
    for (i = 0; i < 2; i++) {
        snprintf(key, sizeof(key), "b2/k%d", i);
        cr_assert_eq(call_rc(put_req(key, 0, "1234567890")), 0);
    }
    cr_assert_eq(call_rc(key_req(CN_OP_DELETE, "b2/k1")), 0);

    resp = call(cn_msg_new("du"));
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "objects", &v), 0);
    cr_assert_eq(v, 4);
    cr_assert_eq(cn_msg_get_u64(resp, "bytes", &v), 0);
    cr_assert_eq(v, 25);
    cr_assert_eq(cn_msg_get_u64(resp, "tombstones", &v), 0);
    cr_assert_eq(v, 1);
    b = cn_msg_body(resp);
    /* unversioned buckets: no non-current entries (the last three columns) */
    cr_assert_eq(b.len, strlen("b1 3 15 0 0 0 0\nb2 1 10 1 0 0 0\n"));
    cr_assert_arr_eq(b.ptr, "b1 3 15 0 0 0 0\nb2 1 10 1 0 0 0\n", b.len);
    cr_assert_eq(cn_msg_get_u64(resp, "entries", &v), 0);
    cr_assert_eq(v, 5);
    cr_assert_eq(cn_msg_get_u64(resp, "noncurrent", &v), 0);
    cr_assert_eq(v, 0);
    cn_msg_free(resp);
    m = cn_msg_new("du");
    cn_msg_set_str(m, "bucket", "b2");
    resp = call(m);
    cr_assert_eq(cn_msg_get_u64(resp, "objects", &v), 0);
    cr_assert_eq(v, 1, "du with a bucket counts only its prefix");
    cn_msg_free(resp);
    m = cn_msg_new("du");
    cn_msg_set_str(m, "bucket", "a/b");
    cr_assert_eq(call_rc(m), CN_EINVAL);

    m = cn_msg_new("set_property");
    cn_msg_set_str(m, "name", "log.level");
    cn_msg_set_str(m, "value", "debug");
    cr_assert_eq(call_rc(m), 0);
    m = cn_msg_new("set_property");
    cn_msg_set_str(m, "name", "storage.rpc_listen");
    cn_msg_set_str(m, "value", "127.0.0.1:1");
    resp = call(m);
    cr_assert_eq(cn_msg_rc(resp), CN_EPERM);
    cr_assert_eq(cn_msg_get_bytes(resp, "error", &e), 0);
    cr_assert(memmem(e.ptr, e.len, "not reloadable", 14) != NULL);
    cn_msg_free(resp);
    m = cn_msg_new("set_property");
    cn_msg_set_str(m, "name", "replication.repair_inflight");
    cn_msg_set_str(m, "value", "0");
    cr_assert_eq(call_rc(m), CN_EINVAL, "out of range");
    m = cn_msg_new("set_property");
    cn_msg_set_str(m, "name", "storage.nosuch");
    cn_msg_set_str(m, "value", "1");
    cr_assert_eq(call_rc(m), CN_ENOENT);

    m = cn_msg_new("delete_bucket_status");
    cn_msg_set_str(m, "bucket", "b1");
    cr_assert_eq(call_rc(m), CN_ENOENT);
    m = cn_msg_new("delete_bucket");
    cn_msg_set_str(m, "bucket", "b1");
    cr_assert_eq(call_rc(m), 0);
    for (i = 0; i < 100; i++) {
        cn_slice_t st;

        m = cn_msg_new("delete_bucket_status");
        cn_msg_set_str(m, "bucket", "b1");
        resp = call(m);
        cr_assert_eq(cn_msg_rc(resp), 0);
        cr_assert_eq(cn_msg_get_bytes(resp, "state", &st), 0);
        if (st.len == 4 && memcmp(st.ptr, "done", 4) == 0) {
            cr_assert_eq(cn_msg_get_u64(resp, "deleted", &v), 0);
            cn_msg_free(resp);
            break;
        }
        cn_msg_free(resp);
        sleep_ms(50);
    }
    cr_assert_lt(i, 100, "delete_bucket finished");
    cr_assert_eq(v, 3);
    cr_assert_eq(call_rc(key_req(CN_OP_GET, "b1/k0")), CN_ENOENT);
    cr_assert_eq(call_rc(key_req(CN_OP_GET, "b2/k0")), 0, "another bucket is untouched");
    stop_daemon();
}
