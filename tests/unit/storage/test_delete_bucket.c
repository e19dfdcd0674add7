/*
 * tests/unit/storage/test_delete_bucket.c: delete-bucket jobs survive a restart
 * (storage/admin_ops.c). A real cairn-storage (from $CAIRN_BUILD_DIR, else next to this test)
 * with a low [storage] delete_bucket_rate is killed with SIGKILL in the middle of a removal;
 * started again, it resumes the job by itself from its saved marker with its start clock, so
 * every old key goes and a key written after the delete_bucket survives. A finished job's
 * record is gone after a clean restart.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/rpc.h"
#include "tests/harness/tmpdir.h"

#define SECRET "dbk-secret"
#define N_KEYS 2000

static char tdir[PATH_MAX / 2];
static pid_t node = -1;
static int node_port;

static void node_start(void)
{
    char bin[PATH_MAX], conf[PATH_MAX], ports[PATH_MAX], host[64];
    const char *b = getenv("CAIRN_BUILD_DIR");
    FILE *f;

    if (b != NULL && *b) {
        snprintf(bin, sizeof(bin), "%s/storage/cairn-storage", b);
    } else {
        ssize_t n = readlink("/proc/self/exe", bin, sizeof(bin) - 64);

        cr_assert_gt(n, 0);
        bin[n] = '\0';
        strcpy(strrchr(bin, '/'), "/../../../storage/cairn-storage");
    }
    snprintf(conf, sizeof(conf), "%s/s.conf", tdir);
    snprintf(ports, sizeof(ports), "%s/ports", tdir);
    unlink(ports);
    cr_assert_not_null(f = fopen(conf, "w"));
    fprintf(f,
            "[storage]\nname = s0\nrpc_listen = 127.0.0.1:0\ndata_dir = %s/data\n"
            "delete_bucket_rate = 400\n[manager]\naddress = 127.0.0.1:%d\n"
            "[cluster]\nsecret = %s\n[log]\nlevel = info\nfile = %s/s.log\n",
            tdir, t_free_port(), SECRET, tdir);
    fclose(f);
    node = fork();
    cr_assert_geq(node, 0);
    if (node == 0) {
        execl(bin, bin, "-c", conf, "--port-file", ports, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000; i++, usleep(10000)) {
        int ok = 0;

        if ((f = fopen(ports, "r")) != NULL) {
            ok = fscanf(f, "rpc %63[^:]:%d", host, &node_port) == 2;
            fclose(f);
        }
        if (ok)
            return;
        cr_assert_eq(waitpid(node, NULL, WNOHANG), 0, "cairn-storage exited early");
    }
    cr_assert_fail("no port file after 10 s");
}

/* Ends the node with sig; SIGTERM must give exit code 0. */
static void node_end(int sig)
{
    int status;

    kill(node, sig);
    cr_assert_eq(waitpid(node, &status, 0), node);
    if (sig == SIGTERM)
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unclean exit on SIGTERM");
    node = -1;
}

static void init(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    t_tmpdir_make(tdir, sizeof(tdir));
}

static void fini(void)
{
    if (node > 0) {
        kill(node, SIGKILL);
        waitpid(node, NULL, 0);
    }
    t_tmpdir_remove(tdir);
}

TestSuite(delete_bucket, .init = init, .fini = fini);

/* Sends m; returns the answer's rc, and the answer in *out (the caller frees it) or freed. */
static int rpc(cn_msg_t *m, cn_msg_t **out)
{
    cn_msg_t *resp = NULL;
    int rc;

    cr_assert_eq(cn_rpc_call_sync("127.0.0.1", node_port, SECRET, "test", m, 5000, &resp), 0);
    rc = cn_msg_rc(resp);
    if (out != NULL)
        *out = resp;
    else
        cn_msg_free(resp);
    return rc;
}

static cn_msg_t *keyed(const char *op, const char *field, const char *value)
{
    cn_msg_t *m = cn_msg_new(op);

    cn_msg_set_str(m, field, value);
    return m;
}

static int put_key(const char *key)
{
    cn_msg_t *m = keyed(CN_OP_PUT, "key", key);

    cn_msg_set_u64(m, "clock", 0);
    cn_msg_set_str(m, "etag", "etag");
    cn_msg_set_bytes(m, "meta", "\x80", 1);
    cn_msg_set_u64(m, "flags", 0);
    cn_msg_set_body_copy(m, "body", 4);
    return rpc(m, NULL);
}

/* The job's status: rc, and (when 0) state, scanned, resumed. */
static int status(char *state, size_t len, uint64_t *scanned, uint64_t *resumed)
{
    cn_msg_t *resp;
    int rc = rpc(keyed("delete_bucket_status", "bucket", "b1"), &resp);
    cn_slice_t st;

    if (rc == 0) {
        cr_assert_eq(cn_msg_get_bytes(resp, "state", &st), 0);
        snprintf(state, len, "%.*s", (int)st.len, st.ptr);
        cr_assert_eq(cn_msg_get_u64(resp, "scanned", scanned), 0);
        cr_assert_eq(cn_msg_get_u64(resp, "resumed", resumed), 0);
    }
    cn_msg_free(resp);
    return rc;
}

Test(delete_bucket, killed_node_resumes_the_job_and_keeps_newer_keys, .timeout = 90)
{
    char key[64], state[16] = "";
    uint64_t scanned = 0, resumed = 0, v = 0;
    cn_msg_t *resp;
    int i;

    node_start();
    for (i = 0; i < N_KEYS; i++) {
        snprintf(key, sizeof(key), "b1/k%04d", i);
        cr_assert_eq(put_key(key), 0);
    }
    cr_assert_eq(put_key("b2/other"), 0);
    cr_assert_eq(rpc(keyed("delete_bucket", "bucket", "b1"), NULL), 0);
    /* written after the delete: newer than its start clock, and last in the scan order */
    cr_assert_eq(put_key("b1/zz-after"), 0);
    for (i = 0; i < 3000; i++, usleep(10000)) {
        cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), 0);
        if (scanned >= 700)
            break;
    }
    cr_assert_str_eq(state, "running", "the job must still run when the node is killed");
    cr_assert_lt(scanned, N_KEYS);
    cr_assert_eq(resumed, 0);
    node_end(SIGKILL);

    node_start(); /* nobody sends delete_bucket again */
    cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), 0,
                 "the restarted node knows the job");
    cr_assert_eq(resumed, 1);
    cr_assert_geq(scanned, 256, "resumed from a saved marker, not from the start");
    for (i = 0; i < 3000 && strcmp(state, "done") != 0; i++, usleep(10000))
        cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), 0);
    cr_assert_str_eq(state, "done");
    cr_assert_geq(scanned, N_KEYS + 1);

    cr_assert_eq(rpc(keyed("du", "bucket", "b1"), &resp), 0);
    cr_assert_eq(cn_msg_get_u64(resp, "objects", &v), 0);
    cr_assert_eq(v, 1, "only the key written after the delete is left");
    cn_msg_free(resp);
    cr_assert_eq(rpc(keyed(CN_OP_GET, "key", "b1/zz-after"), NULL), 0);
    cr_assert_eq(rpc(keyed(CN_OP_GET, "key", "b1/k0000"), NULL), CN_ENOENT);
    cr_assert_eq(rpc(keyed(CN_OP_GET, "key", "b1/k1999"), NULL), CN_ENOENT);
    cr_assert_eq(rpc(keyed(CN_OP_GET, "key", "b2/other"), NULL), 0, "other buckets stay");
    node_end(SIGTERM);

    node_start(); /* a finished job's record is removed: nothing resumes */
    cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), CN_ENOENT);
    cr_assert_eq(rpc(keyed(CN_OP_GET, "key", "b1/zz-after"), NULL), 0);
    node_end(SIGTERM);
}

Test(delete_bucket, clean_stop_saves_the_marker, .timeout = 90)
{
    char key[64], state[16] = "";
    uint64_t scanned = 0, resumed = 0, before;
    int i;

    node_start();
    for (i = 0; i < 1200; i++) {
        snprintf(key, sizeof(key), "b1/k%04d", i);
        cr_assert_eq(put_key(key), 0);
    }
    cr_assert_eq(rpc(keyed("delete_bucket", "bucket", "b1"), NULL), 0);
    for (i = 0; i < 3000 && scanned < 100; i++, usleep(10000))
        cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), 0);
    node_end(SIGTERM); /* before the first periodic save (256 keys) */
    before = scanned;

    node_start();
    cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), 0);
    cr_assert_eq(resumed, 1);
    cr_assert_geq(scanned, before, "the stop saved its last marker");
    for (i = 0; i < 3000 && strcmp(state, "done") != 0; i++, usleep(10000))
        cr_assert_eq(status(state, sizeof(state), &scanned, &resumed), 0);
    cr_assert_str_eq(state, "done");
    cr_assert_eq(scanned, 1200, "no key scanned twice after a clean stop");
    cr_assert_eq(rpc(keyed(CN_OP_GET, "key", "b1/k1199"), NULL), CN_ENOENT);
    node_end(SIGTERM);
}
