/*
 * manager/adm/adm_clusters.c: cairn-adm's commands on links to other clusters (issue 22,
 * state only; docs/ADMIN_API.md "Cluster links"):
 *   join-cluster REMOTE_MANAGER[,...] REMOTE_CLUSTER_ID --secret-file FILE [--ca FILE]
 *   remove-cluster REMOTE_CLUSTER_ID
 *   cluster-status
 *   recover-cluster REMOTE_CLUSTER_ID [BUCKET] [--no-wait]
 * The secret file holds the 32 bytes both clusters share (raw, or 64 hex digits), like a
 * master key file: refused when group or others may read it. It is read here and sent to the
 * manager once, in the request's body (the admin API is loopback or token-protected); no
 * answer holds it. The local copies are wiped before the command returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "common/hash.h"
#include "manager/adm/adm.h"
#include "manager/clusters.h"

/* Wipes n bytes of p so that the compiler keeps the stores. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;

    while (n-- > 0)
        *v++ = 0;
}

/* Reads at most cap bytes of path into buf (a regular file; with secret, one that group and
 * others cannot read): the length, or -1 after printing why. A file longer than cap is
 * refused too. */
static long read_small(const char *what, const char *path, char *buf, size_t cap, int secret)
{
    struct stat sb;
    size_t n = 0;
    ssize_t got;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "cairn-adm: %s: cannot open '%s' (%s)\n", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "cairn-adm: %s: '%s' is not a regular file\n", what, path);
        goto fail;
    }
    if (secret && (sb.st_mode & 077) != 0) {
        fprintf(stderr, "cairn-adm: %s: '%s' has mode %03o: group or others may read the "
                "secret; chmod 600 it\n", what, path, (unsigned)(sb.st_mode & 0777));
        goto fail;
    }
    while (n <= cap && (got = read(fd, buf + n, cap + 1 - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "cairn-adm: %s: cannot read '%s' (%s)\n", what, path,
                    strerror(errno));
            goto fail;
        }
        n += (size_t)got;
    }
    close(fd);
    if (n > cap) {
        fprintf(stderr, "cairn-adm: %s: '%s' is longer than %zu bytes\n", what, path, cap);
        return -1;
    }
    return (long)n;
fail:
    close(fd);
    return -1;
}

/* The secret of --secret-file as 64 hex digits into hex: 0, or 1 after printing why. */
static int secret_hex(const char *path, char hex[2 * MGR_CLUSTER_SECRET_LEN + 1])
{
    char buf[2 * MGR_CLUSTER_SECRET_LEN + 2];
    uint8_t raw[MGR_CLUSTER_SECRET_LEN];
    long n = read_small("--secret-file", path, buf, sizeof(buf) - 1, 1);
    int rc = 1;

    if (n < 0)
        goto out;
    if (n == MGR_CLUSTER_SECRET_LEN) {
        cn_hex(buf, MGR_CLUSTER_SECRET_LEN, hex);
        rc = 0;
        goto out;
    }
    if (n == 2 * MGR_CLUSTER_SECRET_LEN + 1 && buf[n - 1] == '\n')
        n--;
    if (n == 2 * MGR_CLUSTER_SECRET_LEN && cn_unhex(buf, MGR_CLUSTER_SECRET_LEN, raw) == 0) {
        cn_hex(raw, MGR_CLUSTER_SECRET_LEN, hex); /* lower case, whatever the file's */
        rc = 0;
        goto out;
    }
    fprintf(stderr, "cairn-adm: --secret-file: '%s' must hold 32 raw bytes or 64 hex digits "
            "(make one with: head -c 32 /dev/urandom > FILE; chmod 600 FILE; and give both "
            "clusters the same file)\n", path);
out:
    wipe(buf, sizeof(buf));
    wipe(raw, sizeof(raw));
    return rc;
}

/* The body's "managers": the comma-separated list, one string per item (blanks trimmed;
 * the manager checks each one). */
static json_t *managers_array(const char *list)
{
    json_t *arr = json_array();
    const char *p = list;

    for (;;) {
        size_t n = strcspn(p, ",");
        const char *b = p, *e = p + n;

        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        json_array_append_new(arr, json_stringn(b, (size_t)(e - b)));
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return arr;
}

/* The running storage nodes that did not yet hold the changed links when the manager
 * answered (they will at their next heartbeat): until then they journal (or stop) as before. */
static void pending_print(const json_t *j)
{
    const json_t *p = json_object_get(j, "nodes_pending"), *n;
    size_t i;

    if (json_array_size(p) == 0)
        return;
    fprintf(stderr, "warning: not yet in force on");
    json_array_foreach(p, i, n)
        fprintf(stderr, "%s%s", i ? ", " : " ", json_string_value(n));
    fprintf(stderr, " (they take it at their next heartbeat)\n");
}

static void removed_print(struct adm *a, const json_t *j, const void *arg)
{
    printf("OK: the link to cluster %s is %s; cluster-status lists it until the leader has "
           "dropped it\n", adm_str(j, "id"), adm_str(j, "state"));
    pending_print(j);
}

static void joined_print(struct adm *a, const json_t *j, const void *arg)
{
    printf("OK: cluster %s linked (state %s; managers", adm_str(j, "id"), adm_str(j, "state"));
    {
        const json_t *m;
        size_t i;

        json_array_foreach(json_object_get(j, "managers"), i, m)
            printf("%s%s", i ? "," : " ", json_string_value(m));
    }
    printf("; secret wrapped by master %s%s)\n", adm_str(j, "master"),
           json_is_true(json_object_get(j, "ca")) ? "; with a CA" : "");
    pending_print(j);
}

int adm_cmd_join_cluster(struct adm *a, int argc, char **argv)
{
    char hex[2 * MGR_CLUSTER_SECRET_LEN + 1] = "";
    char *ca = NULL;
    json_t *body;
    int rc;

    if (a->secret_file == NULL) {
        fprintf(stderr, "cairn-adm: join-cluster needs --secret-file FILE: the 32 bytes both "
                        "clusters share (head -c 32 /dev/urandom > FILE; chmod 600 FILE)\n");
        return 2;
    }
    if (secret_hex(a->secret_file, hex) != 0)
        return 1;
    body = json_pack("{s:s, s:o, s:s}", "id", argv[1], "managers", managers_array(argv[0]),
                     "secret", hex);
    wipe(hex, sizeof(hex));
    if (body == NULL) {
        fprintf(stderr, "cairn-adm: join-cluster: the arguments are not UTF-8\n");
        return 2;
    }
    if (a->ca_file != NULL) {
        long n;

        ca = malloc(MGR_CLUSTER_CA_MAX + 1);
        if (ca == NULL || (n = read_small("--ca", a->ca_file, ca, MGR_CLUSTER_CA_MAX, 0)) < 0) {
            free(ca);
            json_decref(body);
            return 1;
        }
        json_object_set_new(body, "ca", json_stringn(ca, (size_t)n));
        free(ca);
        if (json_object_get(body, "ca") == NULL) {
            fprintf(stderr, "cairn-adm: --ca: '%s' is not PEM text\n", a->ca_file);
            json_decref(body);
            return 1;
        }
    }
    rc = adm_call_print(a, "POST", "/v1/clusters", body, joined_print, NULL);
    return rc;
}

int adm_cmd_remove_cluster(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "DELETE", adm_path("/v1/clusters/", argv[0], NULL), NULL,
                          removed_print, NULL);
}

static void status_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 9,
                          .head = {"cluster", "state", "managers", "nodes", "lag (objects)",
                                   "lag (s)", "queue (bytes)", "last ok", "last error"}};
    const json_t *links = json_object_get(j, "links"), *l;
    size_t i;

    printf("this cluster: %s  (links: %zu of %s)\n", adm_str(j, "cluster_id"),
           json_array_size(links), adm_val(j, "max_links"));
    if (json_array_size(links) == 0) {
        adm_table_drop(&t);
        printf("no linked cluster (join-cluster links one)\n");
        return;
    }
    json_array_foreach(links, i, l) {
        char mgrs[512] = "";
        const json_t *m;
        size_t k;
        const char *row[9];
        char state[64];

        json_array_foreach(json_object_get(l, "managers"), k, m)
            snprintf(mgrs + strlen(mgrs), sizeof(mgrs) - strlen(mgrs), "%s%s", k ? "," : "",
                     json_string_value(m));
        row[0] = adm_str(l, "id");
        snprintf(state, sizeof(state), "%s%s", adm_str(l, "state"),
                 json_is_true(json_object_get(l, "needs_recover")) ? " (needs recover-cluster)"
                                                                   : "");
        row[1] = state;
        row[2] = mgrs;
        row[3] = adm_val(l, "nodes_reporting"); /* storage nodes that sent figures */
        row[4] = adm_val(l, "lag_objects");
        row[5] = adm_val(l, "lag_seconds");
        row[6] = adm_val(l, "queue_bytes");
        row[7] = json_is_string(json_object_get(l, "last_ok")) ? adm_str(l, "last_ok")
                                                                : "never";
        row[8] = adm_str(l, "last_error");
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
    json_array_foreach(json_object_get(j, "conflicts"), i, l) {
        if (i == 0)
            printf("conflicts (made in two clusters at once; the winner is kept on both):\n");
        printf("  %s %s: %s won over %s (%s)\n", adm_str(l, "kind"), adm_str(l, "name"),
               adm_str(l, "winner"), adm_str(l, "loser"), adm_str(l, "time"));
    }
}

int adm_cmd_cluster_status(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", "/v1/clusters", NULL, status_print, NULL);
}

static void recover_print(struct adm *a, const json_t *j, const void *arg)
{
    printf("recover-cluster toward %s (%s): %s after %.1f s\n", adm_str(j, "remote"),
           json_is_string(json_object_get(j, "bucket")) ? adm_str(j, "bucket") : "every bucket",
           adm_str(j, "state"), json_number_value(json_object_get(j, "seconds")));
    printf("  ranges compared    %s\n  ranges that differ %s\n  keys listed        %s\n"
           "  keys queued here   %s  (this cluster's senders send them)\n"
           "  keys queued there  %s  (the remote's senders send them)\n",
           adm_val(j, "ranges_compared"), adm_val(j, "ranges_differed"),
           adm_val(j, "keys_listed"), adm_val(j, "queued_here"), adm_val(j, "queued_there"));
    if (json_is_string(json_object_get(j, "error")))
        printf("  error: %s\n", adm_str(j, "error"));
}

int adm_cmd_recover_cluster(struct adm *a, int argc, char **argv)
{
    char path[256];
    json_t *body = json_object(), *j = NULL;
    struct timespec pause = {1, 0};
    int rc;

    if (argc > 1)
        json_object_set_new(body, "bucket", json_string(argv[1]));
    snprintf(path, sizeof(path), "%s", adm_path("/v1/clusters/", argv[0], "/recover"));
    if (adm_call(a, "POST", path, body, &j) != 0)
        return 1;
    while (!a->no_wait && strcmp(adm_str(j, "state"), "running") == 0) {
        nanosleep(&pause, NULL);
        json_decref(j);
        j = NULL;
        if (adm_call(a, "GET", path, NULL, &j) != 0)
            return 1;
    }
    rc = strcmp(adm_str(j, "state"), "failed") == 0;
    if (adm_print(a, j, recover_print, NULL) != 0)
        rc = 1;
    return rc;
}
