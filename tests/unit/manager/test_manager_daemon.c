/* tests/unit/manager/test_manager_daemon.c: runs the real cairn-manager binary (port 0, a
 * port file, a generated config in a temp dir), talks to it over RPC (cn_rpc_call_sync) and
 * HTTP (libcurl), restarts it, and runs cairn-adm against it.
 * Binaries: $CAIRN_BUILD_DIR/manager/..., else relative to this test binary. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "tests/harness/tmpdir.h"

#define SECRET "test-secret-42"

static char dir[PATH_MAX], bindir[PATH_MAX];
static pid_t mgr_pid = -1;
static int rpc_port, admin_port;

static void find_build_dir(void)
{
    const char *env = getenv("CAIRN_BUILD_DIR");
    char self[PATH_MAX];
    ssize_t n;

    if (env != NULL && *env) {
        snprintf(bindir, sizeof(bindir), "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    cr_assert_gt(n, 0);
    self[n] = '\0';
    /* <build>/tests/unit/manager/test_manager_daemon */
    snprintf(bindir, sizeof(bindir), "%s/../../..", dirname(self));
}

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    find_build_dir();
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void stop_manager(int expect_clean)
{
    int status = 0;

    if (mgr_pid <= 0)
        return;
    kill(mgr_pid, SIGTERM);
    waitpid(mgr_pid, &status, 0);
    mgr_pid = -1;
    if (expect_clean) {
        cr_assert(WIFEXITED(status), "manager did not exit by itself");
        cr_assert_eq(WEXITSTATUS(status), 0, "manager exit code");
    }
}

static void teardown(void)
{
    char cmd[PATH_MAX + 64];

    if (mgr_pid > 0) {
        snprintf(cmd, sizeof(cmd), "tail -n 50 %s/manager.log >&2", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "no manager log\n");
    }
    stop_manager(0);
    t_tmpdir_remove(dir);
}
TestSuite(mgr_daemon, .init = setup, .fini = teardown);

static void write_config(const char *secret)
{
    char path[PATH_MAX + 32];
    FILE *f;

    snprintf(path, sizeof(path), "%s/manager.conf", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "[manager]\nrpc_listen = 127.0.0.1:0\nadmin_listen = 127.0.0.1:0\nraft_listen = 127.0.0.1:0\n"
               "data_dir = %s/data\n\n[cluster]\nsecret = %s\nheartbeat_ms = 100\n"
               "node_timeout_ms = 800\n\n[log]\nlevel = debug\nfile = %s/manager.log\n",
            dir, secret, dir);
    fclose(f);
}

/* Starts the manager and waits (deadline, not a sleep) for its port file. */
static void start_manager(void)
{
    char exe[PATH_MAX + 32], conf[PATH_MAX + 32], ports[PATH_MAX + 32], line[128];
    uint64_t deadline = cn_mono_ms() + 10000;
    FILE *f = NULL;

    snprintf(exe, sizeof(exe), "%s/manager/cairn-manager", bindir);
    snprintf(conf, sizeof(conf), "%s/manager.conf", dir);
    snprintf(ports, sizeof(ports), "%s/ports", dir);
    unlink(ports);
    cr_assert_eq(access(exe, X_OK), 0, "no binary at %s (set CAIRN_BUILD_DIR)", exe);
    mgr_pid = fork();
    cr_assert_geq(mgr_pid, 0);
    if (mgr_pid == 0) {
        execl(exe, exe, "-c", conf, "--port-file", ports, (char *)NULL);
        _exit(127);
    }
    while ((f = fopen(ports, "r")) == NULL) {
        int status;
        cr_assert_eq(waitpid(mgr_pid, &status, WNOHANG), 0, "manager exited at start");
        cr_assert_lt(cn_mono_ms(), deadline, "no port file after 10 s");
        usleep(20000);
    }
    rpc_port = admin_port = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        sscanf(line, "rpc 127.0.0.1:%d", &rpc_port);
        sscanf(line, "admin 127.0.0.1:%d", &admin_port);
    }
    fclose(f);
    cr_assert_gt(rpc_port, 0);
    cr_assert_gt(admin_port, 0);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    cn_buf_append(arg, p, size * n);
    return size * n;
}

/* One HTTP call to the admin API; returns the status and the parsed JSON in *out. */
static long http(const char *method, const char *path, const char *body, json_t **out)
{
    char url[256];
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    cn_buf_t b;
    long status = 0;

    cn_buf_init(&b);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", admin_port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body != NULL || strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    cr_assert_eq(curl_easy_perform(c), CURLE_OK, "%s %s failed", method, path);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *out = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    cr_assert_not_null(*out, "%s %s: not JSON: %.*s", method, path, (int)b.len,
                       b.data ? b.data : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    cn_buf_dispose(&b);
    return status;
}

static int rpc(const char *secret, cn_msg_t *req, cn_msg_t **resp)
{
    return cn_rpc_call_sync("127.0.0.1", rpc_port, secret, "test", req, 5000, resp);
}

static void register_storage(const char *name, int port, const char *expect_state)
{
    cn_msg_t *req = cn_msg_new(CN_OP_REGISTER), *resp = NULL;
    char state[32];

    cn_msg_set_str(req, "type", CN_NODE_STORAGE);
    cn_msg_set_str(req, "name", name);
    cn_msg_set_str(req, "host", "127.0.0.1");
    cn_msg_set_u64(req, "port", (uint64_t)port);
    cn_msg_set_u64(req, "vnodes", 128);
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_str(resp, "state", state, sizeof(state)), 0);
    cr_assert_str_eq(state, expect_state);
    cn_msg_free(resp);
}

static void heartbeat(const char *name, uint64_t sum, const char *expect_state)
{
    cn_msg_t *req = cn_msg_new(CN_OP_HEARTBEAT), *resp = NULL;
    uint64_t mgr_sum = 0;
    char state[32];

    cn_msg_set_str(req, "name", name);
    cn_msg_set_u64(req, "ring_cur", sum);
    cn_msg_set_u64(req, "ring_prev", 0);
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_str(resp, "state", state, sizeof(state)), 0);
    cr_assert_str_eq(state, expect_state);
    if (strcmp(expect_state, "restarted") == 0) { /* named in the down list for gateways */
        char down[256];

        cr_assert_eq(cn_msg_get_str(resp, "down", down, sizeof(down)), 0);
        cr_assert(strstr(down, name) != NULL, "down=%s lacks %s", down, name);
    }
    cr_assert_eq(cn_msg_get_u64(resp, "ring_cur", &mgr_sum), 0);
    cr_assert_eq(mgr_sum, sum);
    cn_msg_free(resp);
}

/* get_ring: returns the cur checksum and checks the ring holds both nodes. */
static uint64_t get_ring_two_nodes(void)
{
    cn_msg_t *resp = NULL;
    cn_slice_t cur;
    cn_ring_t *r = NULL;
    uint64_t sum = 0;

    cr_assert_eq(rpc(SECRET, cn_msg_new(CN_OP_GET_RING), &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_bytes(resp, "cur", &cur), 0);
    cr_assert_eq(cn_ring_decode(cur.ptr, cur.len, &r), 0);
    cr_assert_eq(cn_ring_node_count(r), 2);
    cr_assert_not_null(cn_ring_find(r, "s0"));
    cr_assert_not_null(cn_ring_find(r, "s1"));
    cr_assert_eq(cn_msg_get_u64(resp, "cur_sum", &sum), 0);
    cr_assert_eq(sum, cn_ring_checksum(r));
    cn_ring_destroy(r);
    cn_msg_free(resp);
    return sum;
}

static const json_t *find_node(const json_t *status, const char *name)
{
    const json_t *n;
    size_t i;

    json_array_foreach(json_object_get(status, "nodes"), i, n)
        if (strcmp(json_string_value(json_object_get(n, "name")), name) == 0)
            return n;
    return NULL;
}

static int run_adm(const char *args, char *err, size_t errlen)
{
    char cmd[5 * PATH_MAX], path[PATH_MAX + 16];
    FILE *f;
    size_t n;
    int st;

    snprintf(path, sizeof(path), "%s/adm.err", dir);
    snprintf(cmd, sizeof(cmd), "env -u CAIRN_MANAGER %s/manager/adm/cairn-adm %s >%s/adm.out 2>%s",
             bindir, args, dir, path);
    st = system(cmd);
    err[0] = '\0';
    if ((f = fopen(path, "r")) != NULL) {
        n = fread(err, 1, errlen - 1, f);
        err[n] = '\0';
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(mgr_daemon, start_ring_status_auth_and_restart, .timeout = 60)
{
    char hex[17], body[256], args[128], err[1024];
    json_t *j, *st;
    const json_t *n;
    uint64_t sum;
    cn_msg_t *req, *resp = NULL;
    const char *ak;

    write_config(SECRET);
    start_manager();
    cr_assert_eq(http("GET", "/health", NULL, &j), 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);

    /* start with nothing attached: 400 */
    cr_assert_eq(http("POST", "/v1/start", NULL, &j), 400);
    cr_assert_not_null(json_string_value(json_object_get(j, "error")));
    json_decref(j);

    register_storage("s0", 20000, "attached");
    register_storage("s1", 20001, "attached");

    /* a wrong cluster secret is refused at the handshake */
    req = cn_msg_new(CN_OP_GET_RING);
    cr_assert_eq(rpc("not-the-secret", req, &resp), CN_EAUTH);

    cr_assert_eq(http("POST", "/v1/start", NULL, &j), 200);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/start", NULL, &j), 409);
    json_decref(j);
    sum = get_ring_two_nodes();
    cr_assert_neq(sum, 0);
    heartbeat("s0", sum, "running");
    heartbeat("s1", sum, "running");

    cr_assert_eq(http("GET", "/v1/status", NULL, &st), 200);
    cn_ring_checksum_hex(sum, hex);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "manager"),
                                                       "ring_cur")), hex);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "ring"), "nodes")), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "consistency"), "n")),
                 3);
    for (int i = 0; i < 2; i++) {
        n = find_node(st, i ? "s1" : "s0");
        cr_assert_not_null(n);
        cr_assert_str_eq(json_string_value(json_object_get(n, "state")), "running");
        cr_assert_str_eq(json_string_value(json_object_get(n, "type")), "storage");
        cr_assert_str_eq(json_string_value(json_object_get(n, "ring_cur")), hex);
        cr_assert_eq(strlen(json_string_value(json_object_get(n, "updated_at"))), 24);
    }
    json_decref(st);

    /* users and buckets through the admin API */
    cr_assert_eq(http("POST", "/v1/users", "{\"user\":\"alice\"}", &j), 201);
    ak = json_string_value(json_object_get(j, "access_key"));
    cr_assert_eq(strlen(ak), 20);
    cr_assert_eq(strlen(json_string_value(json_object_get(j, "secret"))), 40);
    snprintf(body, sizeof(body), "{\"bucket\":\"photos\",\"access_key\":\"%s\"}", ak);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/users", "{\"user\":\"alice\"}", &j), 409);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/users", "not json", &j), 400);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/buckets", body, &j), 201);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/buckets", body, &j), 409);
    json_decref(j);
    cr_assert_eq(http("DELETE", "/v1/buckets/nope", NULL, &j), 404);
    json_decref(j);
    cr_assert_eq(http("GET", "/v1/nothing", NULL, &j), 404);
    json_decref(j);

    /* a node that goes silent is marked stop, and comes back with a heartbeat as
     * "restarted" (not a coordinator until the repair queues drained), named in the
     * heartbeat's down list; these stand-in nodes answer no mq_stats, so the watcher soon
     * makes it running */
    uint64_t deadline = cn_mono_ms() + 10000;
    for (;;) {
        heartbeat("s0", sum, "running");
        cr_assert_eq(http("GET", "/v1/status", NULL, &st), 200);
        n = find_node(st, "s1");
        int stopped = strcmp(json_string_value(json_object_get(n, "state")), "stop") == 0;
        json_decref(st);
        if (stopped)
            break;
        cr_assert_lt(cn_mono_ms(), deadline, "s1 never marked stop");
        usleep(100000);
    }
    heartbeat("s1", sum, "restarted");

    /* cairn-adm against the live manager, and against a closed port */
    snprintf(args, sizeof(args), "--manager 127.0.0.1:%d status", admin_port);
    cr_assert_eq(run_adm(args, err, sizeof(err)), 0, "cairn-adm status: %s", err);
    int closed = t_free_port();
    snprintf(args, sizeof(args), "--manager 127.0.0.1:%d status", closed);
    cr_assert_eq(run_adm(args, err, sizeof(err)), 1);
    snprintf(body, sizeof(body), "cairn-adm: cannot reach the manager at 127.0.0.1:%d "
             "(Connection refused); is cairn-manager running?", closed);
    cr_assert(strstr(err, body) != NULL, "stderr was: %s", err);
    snprintf(args, sizeof(args), "--manager 127.0.0.1:%d add-bucket onlyone", admin_port);
    cr_assert_eq(run_adm(args, err, sizeof(err)), 2);

    /* restart: users, buckets, the ring and the members are still there */
    stop_manager(1);
    start_manager();
    cr_assert_eq(get_ring_two_nodes(), sum);
    cr_assert_eq(rpc(SECRET, cn_msg_new(CN_OP_GET_USERS), &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    j = json_loadb(cn_msg_body(resp).ptr, cn_msg_body(resp).len, 0, NULL);
    cr_assert_eq(json_array_size(j), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "user")), "alice");
    cr_assert_eq(strlen(json_string_value(json_object_get(json_array_get(j, 0), "secret"))), 40);
    json_decref(j);
    cn_msg_free(resp);
    cr_assert_eq(rpc(SECRET, cn_msg_new(CN_OP_GET_BUCKETS), &resp), 0);
    j = json_loadb(cn_msg_body(resp).ptr, cn_msg_body(resp).len, 0, NULL);
    cr_assert_eq(json_array_size(j), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "name")),
                     "photos");
    json_decref(j);
    uint64_t ver = 0;
    cr_assert_eq(cn_msg_get_u64(resp, "ver", &ver), 0);
    cr_assert_eq(ver, 1);
    cn_msg_free(resp);
    register_storage("s0", 20000, "restarted"); /* a ring member registering again restarted */
    cr_assert_eq(http("GET", "/v1/status", NULL, &st), 200);
    cr_assert_not_null(find_node(st, "s1"));
    json_decref(st);

    /* bucket_create over RPC (the gateway's path): taken names report their owner */
    req = cn_msg_new(CN_OP_BUCKET_CREATE);
    cn_msg_set_str(req, "name", "photos");
    cn_msg_set_str(req, "owner", "SOMEONEELSE000000000");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), CN_EEXIST);
    cn_msg_free(resp);
    req = cn_msg_new(CN_OP_BUCKET_DELETE);
    cn_msg_set_str(req, "name", "photos");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cn_msg_free(resp);
    stop_manager(1);
}

Test(mgr_daemon, empty_secret_is_a_config_error, .timeout = 20)
{
    char cmd[5 * PATH_MAX], err[1024];
    FILE *f;
    size_t n;
    int st;

    write_config("");
    snprintf(cmd, sizeof(cmd), "%s/manager/cairn-manager -c %s/manager.conf --check-config "
             ">/dev/null 2>%s/err", bindir, dir, dir);
    st = system(cmd);
    cr_assert(WIFEXITED(st));
    cr_assert_eq(WEXITSTATUS(st), 2);
    snprintf(cmd, sizeof(cmd), "%s/err", dir);
    f = fopen(cmd, "r");
    cr_assert_not_null(f);
    n = fread(err, 1, sizeof(err) - 1, f);
    err[n] = '\0';
    fclose(f);
    cr_assert(strstr(err, "cluster.secret") != NULL, "stderr was: %s", err);
}

/* What the admin API changes reaches the nodes over RPC: endpoints (get_endpoints and
 * endpoints_ver in heartbeat replies), bucket quotas (get_buckets "quota"), consistency
 * levels (n/w/r/d in heartbeat replies, kept over a restart). */
Test(mgr_daemon, rpc_serves_admin_changes, .timeout = 60)
{
    cn_msg_t *req, *resp = NULL;
    uint64_t ver0 = 0, ver1 = 0, w = 0, d = 0, quota = 0;
    char body[256];
    json_t *j;
    const char *ak;

    write_config(SECRET);
    start_manager();
    register_storage("s0", 20000, "attached");
    register_storage("s1", 20001, "attached");
    cr_assert_eq(http("POST", "/v1/start", NULL, &j), 200);
    json_decref(j);

    req = cn_msg_new(CN_OP_HEARTBEAT);
    cn_msg_set_str(req, "name", "s0");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "endpoints_ver", &ver0), 0);
    cn_msg_free(resp);

    cr_assert_eq(http("POST", "/v1/endpoints", "{\"endpoint\":\"S3.Example.com\"}", &j), 201);
    json_decref(j);
    cr_assert_eq(rpc(SECRET, cn_msg_new(CN_OP_GET_ENDPOINTS), &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    j = json_loadb(cn_msg_body(resp).ptr, cn_msg_body(resp).len, 0, NULL);
    cr_assert_eq(json_array_size(j), 1);
    cr_assert_str_eq(json_string_value(json_array_get(j, 0)), "s3.example.com");
    json_decref(j);
    cr_assert_eq(cn_msg_get_u64(resp, "ver", &ver1), 0);
    cr_assert_gt(ver1, ver0);
    cn_msg_free(resp);

    /* levels: W=1 D=1 pushed through heartbeat replies */
    cr_assert_eq(http("PUT", "/v1/consistency", "{\"w\":1,\"r\":1,\"d\":1}", &j), 200);
    json_decref(j);
    cr_assert_eq(http("PUT", "/v1/consistency", "{\"w\":9,\"r\":1,\"d\":1}", &j), 400);
    json_decref(j);
    cr_assert_eq(http("PUT", "/v1/consistency", "{\"w\":\"2\",\"r\":1,\"d\":1}", &j), 400);
    json_decref(j);
    req = cn_msg_new(CN_OP_HEARTBEAT);
    cn_msg_set_str(req, "name", "s1");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "w", &w), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "d", &d), 0);
    cr_assert_eq(w, 1);
    cr_assert_eq(d, 1);
    cr_assert_eq(cn_msg_get_u64(resp, "endpoints_ver", &ver0), 0);
    cr_assert_eq(ver0, ver1);
    cn_msg_free(resp);

    /* quota: stored and served with get_buckets */
    cr_assert_eq(http("POST", "/v1/users", "{\"user\":\"alice\"}", &j), 201);
    ak = json_string_value(json_object_get(j, "access_key"));
    snprintf(body, sizeof(body), "{\"bucket\":\"photos\",\"access_key\":\"%s\"}", ak);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/buckets", body, &j), 201);
    json_decref(j);
    cr_assert_eq(http("PUT", "/v1/buckets/photos/quota", "{\"bytes\":1048576}", &j), 200);
    json_decref(j);
    cr_assert_eq(http("PUT", "/v1/buckets/photos/quota", "{\"bytes\":-1}", &j), 400);
    json_decref(j);
    cr_assert_eq(http("PUT", "/v1/buckets/nope/quota", "{\"bytes\":1}", &j), 404);
    json_decref(j);
    cr_assert_eq(http("GET", "/v1/buckets/photos", NULL, &j), 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "owner_user")), "alice");
    json_decref(j);
    cr_assert_eq(rpc(SECRET, cn_msg_new(CN_OP_GET_BUCKETS), &resp), 0);
    j = json_loadb(cn_msg_body(resp).ptr, cn_msg_body(resp).len, 0, NULL);
    quota = (uint64_t)json_integer_value(json_object_get(json_array_get(j, 0), "quota"));
    cr_assert_eq(quota, 1048576);
    json_decref(j);
    cn_msg_free(resp);

    /* wrong methods and unknown routes */
    cr_assert_eq(http("GET", "/v1/consistency", NULL, &j), 405);
    json_decref(j);
    cr_assert_eq(http("PUT", "/v1/nodes/s0", NULL, &j), 405);
    json_decref(j);
    /* remove-gateway refuses a storage node */
    cr_assert_eq(http("DELETE", "/v1/nodes/s0", NULL, &j), 409);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/restore", "{\"format\":\"cairn-manager-backup\","
                                             "\"version\":1,\"records\":[{\"key\":\"x/y\","
                                             "\"hex\":\"00\"}]}", &j), 400);
    cr_assert(strstr(json_string_value(json_object_get(j, "error")), "x/y") != NULL);
    json_decref(j);

    /* the levels survive a restart */
    stop_manager(1);
    start_manager();
    req = cn_msg_new(CN_OP_HEARTBEAT);
    cn_msg_set_str(req, "name", "s1");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "w", &w), 0);
    cr_assert_eq(w, 1);
    cn_msg_free(resp);
    stop_manager(1);
}

/* The gateways' cache invalidation feed (manager/inval.c) and purge-cache. */
Test(mgr_daemon, invalidation_feed_and_purge_cache, .timeout = 60)
{
    cn_msg_t *req, *resp = NULL;
    uint64_t seq0 = 0, seq = 0, reset = 9;
    cn_slice_t b;
    json_t *j;

    write_config(SECRET);
    start_manager();
    req = cn_msg_new("get_invalidations");
    cn_msg_set_u64(req, "since", 0);
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "seq", &seq0), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "reset", &reset), 0);
    cr_assert_eq(reset, 1, "a position the feed never had: reset");
    cr_assert_neq(seq0, 0);
    cn_msg_free(resp);

    req = cn_msg_new("cache_invalidate");
    cn_msg_set_str(req, "key", "b/one");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cn_msg_free(resp);
    cr_assert_eq(http("POST", "/v1/purge-cache", "{\"key\":\"b/two\"}", &j), 200);
    json_decref(j);
    cr_assert_eq(http("POST", "/v1/purge-cache", "{\"key\":\"nobucket\"}", &j), 400);
    json_decref(j);

    req = cn_msg_new("get_invalidations");
    cn_msg_set_u64(req, "since", seq0);
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "seq", &seq), 0);
    cr_assert_eq(seq, seq0 + 2);
    cr_assert_eq(cn_msg_get_u64(resp, "reset", &reset), 0);
    cr_assert_eq(reset, 0);
    b = cn_msg_body(resp);
    /* msgpack: fixarray(2), bin8 "b/one", bin8 "b/two" */
    cr_assert_eq(b.len, 1 + 2 + 5 + 2 + 5);
    cr_assert_eq((unsigned char)b.ptr[0], 0x92);
    cr_assert_arr_eq(b.ptr + 3, "b/one", 5);
    cr_assert_arr_eq(b.ptr + 10, "b/two", 5);
    cn_msg_free(resp);

    /* heartbeat replies carry inval_seq */
    register_storage("s0", 20000, "attached");
    req = cn_msg_new(CN_OP_HEARTBEAT);
    cn_msg_set_str(req, "name", "s0");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "inval_seq", &seq), 0);
    cr_assert_eq(seq, seq0 + 2);
    cn_msg_free(resp);
    stop_manager(1);
}

/* A free loopback port, for a peers entry (others must reach it, so not port 0). */
static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* One manager of a group of two whose other member never starts: no leader can be elected
 * (2 votes needed), so it is a follower or candidate and knows no leader. Every cluster RPC
 * gets CN_ENOTLEADER and "leader" = "", an admin write 421 with "leader": "", a read 200. */
Test(mgr_daemon, a_manager_without_a_leader_refuses_and_says_so, .timeout = 30)
{
    char path[PATH_MAX + 32], leader[64] = "x";
    cn_msg_t *req, *resp = NULL;
    json_t *j;
    FILE *f;

    snprintf(path, sizeof(path), "%s/manager.conf", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "[manager]\nid = 1\npeers = 1@127.0.0.1:%d, 2@127.0.0.1:%d/7/8\n"
               "rpc_listen = 127.0.0.1:0\nadmin_listen = 127.0.0.1:0\ndata_dir = %s/data\n\n"
               "[cluster]\nsecret = %s\n\n[log]\nlevel = debug\nfile = %s/manager.log\n",
            free_port(), free_port(), dir, SECRET, dir);
    fclose(f);
    start_manager();

    req = cn_msg_new(CN_OP_HEARTBEAT);
    cn_msg_set_str(req, "name", "s0");
    cr_assert_eq(rpc(SECRET, req, &resp), 0);
    cr_assert_eq(cn_msg_rc(resp), CN_ENOTLEADER);
    cr_assert_eq(cn_msg_get_str(resp, "leader", leader, sizeof(leader)), 0);
    cr_assert_str_eq(leader, "");
    cn_msg_free(resp);

    cr_assert_eq(http("POST", "/v1/users", "{\"user\":\"alice\"}", &j), 421);
    cr_assert(strstr(json_string_value(json_object_get(j, "error")),
                     "this manager is not the leader and knows of none: no quorum") != NULL,
              "the 421 says there is no quorum: %s",
              json_string_value(json_object_get(j, "error")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "leader")), "");
    json_decref(j);
    cr_assert_eq(http("GET", "/v1/users", NULL, &j), 200);
    cr_assert_eq(json_array_size(j), 0);
    json_decref(j);
    stop_manager(1);
}
