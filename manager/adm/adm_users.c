/*
 * manager/adm/adm_users.c: cairn-adm's commands on users, endpoints and buckets, and the
 * backup and restore of the manager's state (docs/ADMIN_API.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/conf.h"
#include "manager/adm/adm.h"

#define ADM_MAX_FILE (64u << 20)

/* DELETE prefix + NAME */
static int delete_named(struct adm *a, const char *prefix, const char *name)
{
    return adm_call_ok(a, "DELETE", adm_path(prefix, name, NULL), NULL, NULL);
}

/* ---- users --------------------------------------------------------------------------- */

static void user_keys_print(struct adm *a, const json_t *j, const void *arg)
{
    printf("access-key-id: %s\n", adm_str(j, "access_key"));
    printf("secret-access-key: %s\n", adm_str(j, "secret"));
}

int adm_cmd_create_user(struct adm *a, int argc, char **argv)
{
    json_t *req = json_pack("{s:s}", "user", argv[0]);

    if (argc == 2)
        json_object_set_new(req, "password", json_string(argv[1]));
    return adm_call_print(a, "POST", "/v1/users", req, user_keys_print, NULL);
}

int adm_cmd_import_user(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/users",
                       json_pack("{s:s, s:s, s:s}", "user", argv[0], "access_key", argv[1],
                                 "secret", argv[2]),
                       NULL);
}

int adm_cmd_delete_user(struct adm *a, int argc, char **argv)
{
    return delete_named(a, "/v1/users/", argv[0]);
}

/* One row per access key (a user without keys: one row, "-"). */
static void users_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 6, .head = {"user", "role", "access key id", "status",
                                               "password", "created at"}};
    const json_t *u, *keys, *k;
    size_t i, n;

    json_array_foreach(j, i, u) {
        const char *role = adm_str(u, "role");
        const char *row[] = {adm_str(u, "user"), strcmp(role, "user") == 0 ? "normal" : role,
                             "-", "-", adm_val(u, "password"), adm_str(u, "created")};

        keys = json_object_get(u, "keys");
        if (json_array_size(keys) == 0) /* none, or a manager before several keys */
            row[2] = adm_str(u, "access_key");
        json_array_foreach(keys, n, k) {
            row[2] = adm_str(k, "access_key");
            row[3] = adm_str(k, "status");
            adm_table_row(&t, row);
        }
        if (json_array_size(keys) == 0)
            adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_get_users(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", "/v1/users", NULL, users_print, NULL);
}

/* PUT /v1/users/USER/what {key: value} */
static int user_put(struct adm *a, const char *user, const char *what, const char *key,
                    const char *value)
{
    return adm_call_ok(a, "PUT", adm_path("/v1/users/", user, what),
                       json_pack("{s:s}", key, value), NULL);
}

int adm_cmd_update_user_role(struct adm *a, int argc, char **argv)
{
    return user_put(a, argv[0], "/role", "role", argv[1]);
}

int adm_cmd_update_user_email(struct adm *a, int argc, char **argv)
{
    return user_put(a, argv[0], "/email", "email", argv[1]);
}

int adm_cmd_update_user_password(struct adm *a, int argc, char **argv)
{
    return user_put(a, argv[0], "/password", "password", argv[1]);
}

/* ---- endpoints ----------------------------------------------------------------------- */

int adm_cmd_add_endpoint(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/endpoints", json_pack("{s:s}", "endpoint", argv[0]),
                       NULL);
}

int adm_cmd_delete_endpoint(struct adm *a, int argc, char **argv)
{
    return delete_named(a, "/v1/endpoints/", argv[0]);
}

static void endpoints_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 2, .head = {"endpoint", "created at"}};
    const json_t *e;
    size_t i;

    json_array_foreach(j, i, e) {
        const char *row[] = {adm_str(e, "endpoint"), adm_str(e, "created")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_get_endpoints(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", "/v1/endpoints", NULL, endpoints_print, NULL);
}

/* ---- buckets ------------------------------------------------------------------------- */

int adm_cmd_add_bucket(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/buckets",
                       json_pack("{s:s, s:s}", "bucket", argv[0], "access_key", argv[1]), NULL);
}

/* With an access key (leofs-adm style), checks that it owns the bucket first. */
static int check_owner(struct adm *a, const char *bucket, const char *access_key)
{
    json_t *j;
    int rc = 0;

    if (adm_call(a, "GET", adm_path("/v1/buckets/", bucket, NULL), NULL, &j) != 0)
        return 1;
    if (strcmp(adm_str(j, "owner"), access_key) != 0) {
        fprintf(stderr, "cairn-adm: bucket %s is owned by %s, not %s\n", bucket,
                adm_str(j, "owner"), access_key);
        rc = 1;
    }
    json_decref(j);
    return rc;
}

int adm_cmd_delete_bucket(struct adm *a, int argc, char **argv)
{
    if (argc == 2 && check_owner(a, argv[0], argv[1]) != 0)
        return 1;
    return delete_named(a, "/v1/buckets/", argv[0]);
}

static void quota_text(const json_t *b, char *out, size_t outlen)
{
    long long q = json_integer_value(json_object_get(b, "quota"));

    if (q <= 0)
        snprintf(out, outlen, "none");
    else
        snprintf(out, outlen, "%lld", q);
}

static void bucket_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 2, .head = {"item", "value"}};
    char q[32];

    quota_text(j, q, sizeof(q));
    adm_item(&t, "bucket", adm_str(j, "name"));
    adm_item(&t, "owner access key", adm_str(j, "owner"));
    adm_item(&t, "owner user", adm_str(j, "owner_user"));
    adm_item(&t, "owner id", adm_str(j, "owner_id"));
    adm_item(&t, "acl", adm_str(j, "acl"));
    adm_item(&t, "quota (bytes)", q);
    adm_item(&t, "redundancy", adm_str(j, "redundancy"));
    adm_item(&t, "replication", adm_str(j, "replication"));
    adm_item(&t, "created at", adm_str(j, "created"));
    adm_table_print(&t);
}

int adm_cmd_get_bucket(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", adm_path("/v1/buckets/", argv[0], NULL), NULL,
                          bucket_print, NULL);
}

static void buckets_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 7,
                          .head = {"bucket", "owner", "acl", "quota", "redundancy",
                                   "replication", "created at"}};
    const json_t *b;
    char q[32];
    size_t i;

    json_array_foreach(j, i, b) {
        quota_text(b, q, sizeof(q));
        const char *row[] = {adm_str(b, "name"), adm_str(b, "owner"), adm_str(b, "acl"), q,
                             adm_str(b, "redundancy"), adm_str(b, "replication"),
                             adm_str(b, "created")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_get_buckets(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", "/v1/buckets", NULL, buckets_print, NULL);
}

static int bucket_put(struct adm *a, const char *bucket, const char *what, json_t *body)
{
    return adm_call_ok(a, "PUT", adm_path("/v1/buckets/", bucket, what), body, NULL);
}

int adm_cmd_chown_bucket(struct adm *a, int argc, char **argv)
{
    return bucket_put(a, argv[0], "/owner", json_pack("{s:s}", "access_key", argv[1]));
}

int adm_cmd_update_acl(struct adm *a, int argc, char **argv)
{
    /* leofs-adm order: BUCKET ACCESS_KEY ACL; ours: BUCKET ACL */
    if (argc == 3 && check_owner(a, argv[0], argv[1]) != 0)
        return 1;
    return bucket_put(a, argv[0], "/acl", json_pack("{s:s}", "acl", argv[argc - 1]));
}

int adm_cmd_set_bucket_quota(struct adm *a, int argc, char **argv)
{
    uint64_t bytes = 0;

    if (strcmp(argv[1], "none") != 0 && cn_parse_size(argv[1], &bytes) != 0) {
        fprintf(stderr, "cairn-adm: bad size '%s': bytes, with an optional k, m, g or t "
                        "suffix (powers of 1024), or none\n", argv[1]);
        return 2;
    }
    if (bytes > (uint64_t)INT64_MAX) {
        fprintf(stderr, "cairn-adm: size '%s' is too big\n", argv[1]);
        return 2;
    }
    return bucket_put(a, argv[0], "/quota", json_pack("{s:I}", "bytes", (json_int_t)bytes));
}

/* The manager checks the policy (common/redundancy.h) and answers why it refuses one. */
int adm_cmd_set_bucket_redundancy(struct adm *a, int argc, char **argv)
{
    return bucket_put(a, argv[0], "/redundancy", json_pack("{s:s}", "policy", argv[1]));
}

/* The manager refuses anything but on or off (400) and an unknown bucket (404). */
int adm_cmd_set_bucket_replication(struct adm *a, int argc, char **argv)
{
    return bucket_put(a, argv[0], "/replication", json_pack("{s:s}", "replication", argv[1]));
}

static void bucket_stats_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 5, .head = {"node", "state", "scanned", "deleted", "error"}};
    const json_t *e;
    size_t i;

    printf("bucket %s: %s, %s keys scanned, %s tombstoned\n", adm_str(j, "bucket"),
           adm_str(j, "state"), adm_val(j, "scanned"), adm_val(j, "deleted"));
    json_array_foreach(json_object_get(j, "nodes"), i, e) {
        const char *row[] = {adm_str(e, "node"), adm_str(e, "state"), adm_val(e, "scanned"),
                             adm_val(e, "deleted"), adm_str(e, "error")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_delete_bucket_stats(struct adm *a, int argc, char **argv)
{
    const char *path = adm_path("/v1/buckets/", argv[0], "/delete-stats");
    double t0 = adm_now_s();
    json_t *j;

    for (;;) {
        if (adm_call(a, "GET", path, NULL, &j) != 0)
            return 1;
        if (!a->wait || strcmp(adm_str(j, "state"), "running") != 0)
            break;
        adm_progress("delete-bucket", (double)json_integer_value(json_object_get(j, "deleted")),
                     0, t0, "keys tombstoned");
        json_decref(j);
        sleep(1);
    }
    if (a->wait)
        adm_progress_end();
    return adm_print(a, j, bucket_stats_print, NULL);
}

/* ---- backup and restore -------------------------------------------------------------- */

int adm_cmd_backup(struct adm *a, int argc, char **argv)
{
    char tmp[4096 + 16], line[4200], *txt;
    size_t len, nrec;
    json_t *j;
    int fd;

    if (adm_call(a, "GET", "/v1/backup", NULL, &j) != 0)
        return 1;
    nrec = json_array_size(json_object_get(j, "records"));
    txt = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (txt == NULL) {
        fprintf(stderr, "cairn-adm: out of memory\n");
        return 1;
    }
    len = strlen(txt);
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[0]);
    /* the backup holds every user's secret: 0600, written whole, then renamed */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, txt, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0 || close(fd) != 0 || rename(tmp, argv[0]) != 0) {
        fprintf(stderr, "cairn-adm: cannot write %s (%s)\n", argv[0], strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        free(txt);
        return 1;
    }
    free(txt);
    snprintf(line, sizeof(line), "OK: %zu records written to %s", nrec, argv[0]);
    if (a->json)
        printf("{\"file\": \"%s\", \"records\": %zu}\n", argv[0], nrec);
    else
        printf("%s\n", line);
    return 0;
}

int adm_cmd_restore(struct adm *a, int argc, char **argv)
{
    FILE *f = fopen(argv[0], "rb");
    cn_buf_t b;
    char chunk[65536];
    size_t n;
    json_t *j;
    int rc;

    if (f == NULL) {
        fprintf(stderr, "cairn-adm: cannot open %s (%s)\n", argv[0], strerror(errno));
        return 1;
    }
    cn_buf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= ADM_MAX_FILE)
        cn_buf_append(&b, chunk, n);
    fclose(f);
    if (b.len > ADM_MAX_FILE) {
        fprintf(stderr, "cairn-adm: %s is over %u bytes; not a manager backup\n", argv[0],
                ADM_MAX_FILE);
        cn_buf_dispose(&b);
        return 1;
    }
    rc = adm_call_raw(a, "POST", "/v1/restore", b.data ? b.data : "", b.len, &j);
    cn_buf_dispose(&b);
    if (rc != 0)
        return 1;
    return adm_ok(a, j, "OK: restored ${restored} records (${members} members, ${users} users, "
                  "${buckets} buckets), ring #{ring_cur}");
}
