/*
 * tests/crash/test_crash.c: the crash harness of the container engine. A real cairn-storage
 * process takes PUTs from many concurrent writers over cluster RPC (each writer thread its
 * own blocking calls); at a random moment it is killed with SIGKILL; it is restarted on the
 * same directories; then every object whose PUT was acked must read back byte-identical,
 * and the object each writer had in flight must be absent or whole (never partial). 20 kill
 * points, 10,000 objects in all (bodies 0..48 KiB), and a final check of every acked object
 * across all runs. The RNG seed is printed; CN_CRASH_SEED=N replays a run.
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

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/rpc.h"
#include "tests/harness/tmpdir.h"

#define SECRET "crash-secret"
#define RUNS 20
#define PER_RUN 500
#define WRITERS 8
#define MAX_BODY (48 << 10)

static char dir[PATH_MAX / 2];
static pid_t child = -1;
static int port;

/* acked[r][w] = number of objects writer w acked in run r (keys 0..n-1) */
static int acked[RUNS][WRITERS];
static volatile int run_stop;
static int run_count;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

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
    *strrchr(exe, '/') = '\0'; /* tests/crash */
    snprintf(out, len, "%s/../../storage/cairn-storage", exe);
}

static void start_daemon(void)
{
    char bin[PATH_MAX], conf[PATH_MAX], pf[PATH_MAX], host[64];
    FILE *f;

    snprintf(conf, sizeof(conf), "%s/storage.conf", dir);
    snprintf(pf, sizeof(pf), "%s/ports", dir);
    unlink(pf);
    f = fopen(conf, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "[storage]\nname = crash\nrpc_listen = 127.0.0.1:0\ndata_dir = %s/data\n"
            "index_dir = %s/index-disk\ncontainer_dirs = %s/disk1, %s/disk2\ncontainers = 4\n"
            "[manager]\naddress = 127.0.0.1:%d\n[cluster]\nsecret = %s\n"
            "[log]\nlevel = warn\nfile = %s/storage.log\n",
            dir, dir, dir, dir, t_free_port(), SECRET, dir);
    fclose(f);
    binary_path(bin, sizeof(bin));
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        execl(bin, bin, "-c", conf, "--port-file", pf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1500; i++) {
        f = fopen(pf, "r");
        if (f != NULL) {
            int ok = fscanf(f, "rpc %63[^:]:%d", host, &port) == 2;
            fclose(f);
            if (ok)
                return;
        }
        cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "cairn-storage exited early");
        sleep_ms(10);
    }
    cr_assert_fail("no port file after 15 s");
}

static void body_of(int r, int w, int i, cn_buf_t *out)
{
    uint32_t x = (uint32_t)(r * 1000003 + w * 7919 + i * 31 + 17);
    size_t len;

    x = x * 2654435761u;
    len = (x >> 8) % MAX_BODY;
    if (i % 50 == 0)
        len = 0;
    cn_buf_reset(out);
    cn_buf_reserve(out, len);
    for (size_t k = 0; k < len; k++) {
        x = x * 1103515245u + 12345u;
        out->data[k] = (char)(x >> 16);
    }
    out->len = len;
}

static void key_of(int r, int w, int i, char *k, size_t n)
{
    snprintf(k, n, "crash/r%02d/w%d/%05d", r, w, i);
}

struct wctx {
    int r, w;
};

static void *writer(void *arg)
{
    struct wctx *c = arg;
    cn_buf_t body;
    char key[64];

    cn_buf_init(&body);
    for (int i = 0; !run_stop && i < PER_RUN / WRITERS + 1; i++) {
        cn_msg_t *req = cn_msg_new(CN_OP_PUT), *resp = NULL;
        int rc;

        key_of(c->r, c->w, i, key, sizeof(key));
        body_of(c->r, c->w, i, &body);
        cn_msg_set_str(req, "key", key);
        cn_msg_set_str(req, "etag", "crash-etag");
        cn_msg_set_body_copy(req, body.data ? body.data : "", body.len);
        rc = cn_rpc_call_sync("127.0.0.1", port, SECRET, "crash", req, 5000, &resp);
        if (rc != 0)
            break; /* killed */
        rc = cn_msg_rc(resp);
        cn_msg_free(resp);
        if (rc != 0)
            break;
        acked[c->r][c->w] = i + 1;
    }
    cn_buf_dispose(&body);
    return NULL;
}

/* GETs key: 0 when it reads as body, CN_ENOENT when absent, else another code. */
static int get_is(const char *key, const cn_buf_t *body)
{
    cn_msg_t *req = cn_msg_new(CN_OP_GET), *resp = NULL;
    cn_slice_t got;
    int rc;

    cn_msg_set_str(req, "key", key);
    rc = cn_rpc_call_sync("127.0.0.1", port, SECRET, "crash", req, 10000, &resp);
    if (rc != 0)
        return rc;
    rc = cn_msg_rc(resp);
    got = cn_msg_body(resp);
    if (rc == 0 && !cn_slice_eq(got, cn_slice(body->data ? body->data : "", body->len)))
        rc = CN_ECORRUPT;
    cn_msg_free(resp);
    return rc;
}

struct vctx {
    int r0, r1, w;
    int bad;
};

static void *verifier(void *arg)
{
    struct vctx *v = arg;
    cn_buf_t body;
    char key[64];

    cn_buf_init(&body);
    for (int r = v->r0; r < v->r1; r++) {
        int n = acked[r][v->w], rc;

        for (int i = 0; i < n; i++) {
            key_of(r, v->w, i, key, sizeof(key));
            body_of(r, v->w, i, &body);
            if ((rc = get_is(key, &body)) != 0) {
                fprintf(stderr, "LOST run=%d key=%s rc=%d\n", r, key, rc);
                v->bad++;
            }
        }
        /* the one in flight: absent or whole */
        key_of(r, v->w, n, key, sizeof(key));
        body_of(r, v->w, n, &body);
        rc = get_is(key, &body);
        if (rc != 0 && rc != CN_ENOENT) {
            fprintf(stderr, "PARTIAL run=%d key=%s rc=%d\n", r, key, rc);
            v->bad++;
        }
    }
    cn_buf_dispose(&body);
    return NULL;
}

static int verify(int r0, int r1)
{
    pthread_t th[WRITERS];
    struct vctx v[WRITERS];
    int bad = 0;

    for (int w = 0; w < WRITERS; w++) {
        v[w] = (struct vctx){r0, r1, w, 0};
        pthread_create(&th[w], NULL, verifier, &v[w]);
    }
    for (int w = 0; w < WRITERS; w++) {
        pthread_join(th[w], NULL);
        bad += v[w].bad;
    }
    return bad;
}

static void setup(void)
{
    cn_log_init("crash", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    t_tmpdir_remove(dir);
}

TestSuite(crash, .init = setup, .fini = teardown);

Test(crash, sigkill_at_20_random_points_loses_no_acked_object, .timeout = 170)
{
    unsigned seed = getenv("CN_CRASH_SEED") ? (unsigned)atoi(getenv("CN_CRASH_SEED"))
                                            : (unsigned)time(NULL);
    int total = 0, status;

    cr_log_info("CN_CRASH_SEED=%u", seed);
    srand(seed);
    start_daemon();
    for (int r = 0; r < RUNS; r++) {
        pthread_t th[WRITERS];
        struct wctx c[WRITERS];
        int delay = 5 + rand() % 200, n = 0, bad;

        run_stop = 0;
        for (int w = 0; w < WRITERS; w++) {
            c[w] = (struct wctx){r, w};
            pthread_create(&th[w], NULL, writer, &c[w]);
        }
        sleep_ms(delay);
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        child = -1;
        run_stop = 1;
        for (int w = 0; w < WRITERS; w++) {
            pthread_join(th[w], NULL);
            n += acked[r][w];
        }
        total += n;
        run_count = r + 1;
        start_daemon();
        bad = verify(r, r + 1);
        cr_log_info("kill point %d: after %d ms, %d acked, %d lost or partial", r, delay, n,
                    bad);
        cr_assert_eq(bad, 0, "kill point %d (seed %u): %d acked objects lost or partial", r,
                     seed, bad);
    }
    cr_assert_eq(verify(0, RUNS), 0, "an object acked in an earlier run was lost");
    {
        char log[PATH_MAX + 16], line[1024];
        FILE *f;
        int cuts = 0;

        snprintf(log, sizeof(log), "%s/storage.log", dir);
        if ((f = fopen(log, "r")) != NULL) {
            while (fgets(line, sizeof(line), f))
                cuts += strstr(line, "tail cut") != NULL;
            fclose(f);
        }
        cr_log_info("%d kill points, %d acked objects, none lost; %d torn tails cut", RUNS,
                    total, cuts);
    }
    cr_assert_gt(total, RUNS * 20, "too few writes reached the daemon to mean anything");
    kill(child, SIGTERM);
    waitpid(child, &status, 0);
    child = -1;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
