/*
 * manager/adm/adm.c: cairn-adm, the admin CLI (leofs-adm style) over the manager's admin
 * HTTP API (docs/ADMIN_API.md), with libcurl and jansson: options, the command table,
 * usage and main. The commands are in adm_nodes.c, adm_ring.c and adm_users.c, the calls
 * and the shapes of their output in adm_call.c (see adm.h).
 *   cairn-adm [--manager HOST:PORT[,HOST:PORT...]] [--config FILE] [--token TOKEN] [--json]
 *             COMMAND [ARGS]
 * --manager lists the managers' admin API addresses (else $CAIRN_MANAGER, else the config
 * file's [manager] admin_addresses, else 127.0.0.1:10011): calls go to the first that answers
 * and follow the leader a manager names (adm_call.c). Options may come anywhere before "--". Tables by default, the API's JSON with --json.
 * --wait follows a long operation (rebalance, recover-*, compact-start, diagnose-start):
 * a progress bar with rate and ETA on a terminal, one plain line per change otherwise.
 * Exit codes: 0 ok, 1 any failure (one line on stderr), 2 usage error (with the usage of
 * the command). Each command is one row of cmds[] with its argument count and help.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/conf.h"
#include "common/err.h"
#include "manager/adm/adm.h"

struct cmd {
    const char *name;
    int min, max;                  /* argument counts */
    const char *args;
    const char *help;
    adm_cmd_fn *run;
};

static int cmd_version(struct adm *a, int argc, char **argv)
{
    json_t *j;

    if (!a->json)
        printf("cairn-adm %s\n", PACKAGE_VERSION);
    if (adm_call(a, "GET", "/v1/version", NULL, &j) != 0)
        return 1;
    if (a->json) {
        json_object_set_new(j, "adm_version", json_string(PACKAGE_VERSION));
        adm_print_json(j);
    } else {
        printf("%s %s (at %s)\n", adm_str(j, "name"), adm_str(j, "version"), adm_manager(a));
    }
    json_decref(j);
    return 0;
}

static const struct cmd cmds[] = {
    {"version", 0, 0, "", "print the versions of cairn-adm and of the manager", cmd_version},
    {"status", 0, 1, "[NODE]",
     "the cluster: N/W/R/D, ring checksums and every node; NODE (or 'manager'): its "
     "registration, state, ring checksums and last heartbeat", adm_cmd_status},
    {"start", 0, 0, "", "build the first ring from every attached storage node", adm_cmd_start},
    {"whereis", 1, 1, "BUCKET/KEY", "the key's owners and the copy each one holds",
     adm_cmd_whereis},
    {"detach", 1, 1, "NODE", "mark a storage node for removal at the next rebalance",
     adm_cmd_detach},
    {"suspend", 1, 1, "NODE", "take a running storage node out of service (stays in the ring)",
     adm_cmd_suspend},
    {"resume", 1, 1, "NODE", "put a suspended storage node back in service", adm_cmd_resume},
    {"dump-ring", 0, 0, "", "the ring's members and checksum (--json: with the arcs)",
     adm_cmd_dump_ring},
    {"update-log-level", 2, 2, "NODE LEVEL",
     "set a node's log level (debug, info, warn, error): the manager, a storage node, or a "
     "gateway (at its next heartbeat)",
     adm_cmd_update_log_level},
    {"update-consistency-level", 3, 3, "W R D", "set the write, read and delete quorums (1..N)",
     adm_cmd_update_consistency},
    {"create-user", 1, 2, "USER [PASSWORD]",
     "create an S3 user; prints its access key id and secret", adm_cmd_create_user},
    {"import-user", 3, 3, "USER ACCESS_KEY SECRET", "create a user with existing keys",
     adm_cmd_import_user},
    {"delete-user", 1, 1, "USER", "delete a user (who owns no bucket)", adm_cmd_delete_user},
    {"get-users", 0, 0, "", "list users and their access keys", adm_cmd_get_users},
    {"create-access-key", 1, 1, "USER",
     "give a user another access key (Active); prints its id and secret", adm_cmd_create_access_key},
    {"delete-access-key", 1, 1, "KEY", "delete an access key", adm_cmd_delete_access_key},
    {"update-access-key", 1, 2, "KEY --status Active|Inactive",
     "set a key's status: an Inactive key signs nothing (InvalidAccessKeyId)",
     adm_cmd_update_access_key},
    {"get-access-keys", 1, 1, "USER", "a user's access keys and their status",
     adm_cmd_get_access_keys},
    {"update-user-role", 2, 2, "USER ROLE", "set a user's role: admin or normal",
     adm_cmd_update_user_role},
    {"update-user-email", 2, 2, "USER EMAIL",
     "set the email address ACL grants by email name (\"\" for none)", adm_cmd_update_user_email},
    {"update-user-password", 2, 2, "USER PASSWORD", "set a user's password",
     adm_cmd_update_user_password},
    {"add-endpoint", 1, 1, "ENDPOINT", "accept virtual-host requests to BUCKET.ENDPOINT",
     adm_cmd_add_endpoint},
    {"delete-endpoint", 1, 1, "ENDPOINT", "stop accepting an endpoint", adm_cmd_delete_endpoint},
    {"get-endpoints", 0, 0, "", "list endpoints", adm_cmd_get_endpoints},
    {"add-bucket", 2, 2, "BUCKET ACCESS_KEY", "create a bucket owned by ACCESS_KEY",
     adm_cmd_add_bucket},
    {"delete-bucket", 1, 2, "BUCKET [ACCESS_KEY]",
     "delete a bucket (with ACCESS_KEY: only if it owns it): gone at once for S3 clients, "
     "its objects are removed by the storage nodes in the background (delete-bucket-stats)",
     adm_cmd_delete_bucket},
    {"delete-bucket-stats", 1, 1, "BUCKET [--wait]",
     "progress of the asynchronous removal of a deleted bucket's objects on each storage node",
     adm_cmd_delete_bucket_stats},
    {"du", 1, 2, "NODE [detail]",
     "objects and bytes a storage node holds (from its index); detail: per bucket", adm_cmd_du},
    {"update-property", 3, 3, "NODE NAME VALUE",
     "set a reloadable config key (section.key) on a running node, e.g. log.level, "
     "storage.delete_bucket_rate, replication.repair_backoff_min", adm_cmd_update_property},
    {"remove-gateway", 1, 1, "NODE", "forget a stopped gateway", adm_cmd_remove_gateway},
    {"purge-cache", 1, 1, "BUCKET/KEY",
     "drop an object from every gateway's cache (the manager's invalidation feed)",
     adm_cmd_purge_cache},
    {"get-bucket", 1, 1, "BUCKET", "one bucket: owner, acl, quota, redundancy, replication",
     adm_cmd_get_bucket},
    {"get-buckets", 0, 0, "", "list buckets", adm_cmd_get_buckets},
    {"chown-bucket", 2, 2, "BUCKET ACCESS_KEY", "give a bucket to another user",
     adm_cmd_chown_bucket},
    {"update-acl", 2, 3, "BUCKET [ACCESS_KEY] ACL",
     "set a bucket's canned ACL: private, public-read, public-read-write, authenticated-read",
     adm_cmd_update_acl},
    {"set-bucket-quota", 2, 2, "BUCKET BYTES",
     "set a bucket's quota (e.g. 500m, 10g; 0 or none removes it); gateways enforce it",
     adm_cmd_set_bucket_quota},
    {"set-bucket-redundancy", 2, 2, "BUCKET replicate|ec:K+M",
     "set a bucket's redundancy policy (issue 21; K+M <= 16 and <= the ring's storage nodes). "
     "Stored and shown only: writes do not apply it yet", adm_cmd_set_bucket_redundancy},
    {"set-bucket-replication", 2, 2, "BUCKET on|off",
     "whether a bucket's changes go to the linked clusters (issue 22; on by default). "
     "Stored and shown only: nothing replicates over a link yet",
     adm_cmd_set_bucket_replication},
    {"update-managers", 2, 3, "add ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT] | remove ID | "
     "replace ID ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT]",
     "change the manager group, one manager at a time (the new one runs with [manager] "
     "join = true)", adm_cmd_update_managers},
    {"kms-create-key", 1, 1, "NAME",
     "create a key of the key service (SSE-KMS key id; A-Z a-z 0-9 / _ . : -)",
     adm_cmd_kms_create_key},
    {"kms-list-keys", 0, 0, "",
     "the key service's keys: epochs, dates and the ids of the master keys that wrap them",
     adm_cmd_kms_list_keys},
    {"kms-rotate-key", 1, 1, "NAME",
     "give a key a new epoch for new objects (objects under older epochs stay readable)",
     adm_cmd_kms_rotate_key},
    {"kms-rewrap", 0, 0, "",
     "after a master key rotation: wrap every key epoch of sse_master_key_previous_file "
     "again under sse_master_key_file", adm_cmd_kms_rewrap},
    {"join-cluster", 2, 2, "REMOTE_MANAGER[,...] REMOTE_CLUSTER_ID --secret-file FILE [--ca FILE]",
     "link this cluster with another (issue 22, state only: nothing replicates yet); "
     "REMOTE_MANAGER: its managers' RPC addresses; FILE: the 32 bytes both clusters share",
     adm_cmd_join_cluster},
    {"remove-cluster", 1, 1, "REMOTE_CLUSTER_ID", "unlink a cluster (state removing, then gone)",
     adm_cmd_remove_cluster},
    {"cluster-status", 0, 0, "",
     "this cluster's id and each linked cluster: state, managers, lag, queue, last error",
     adm_cmd_cluster_status},
    {"recover-cluster", 1, 2, "REMOTE_CLUSTER_ID [BUCKET] [--no-wait]",
     "compare this cluster with a linked one by hash ranges and send each side the keys "
     "the other holds newer (after needs recover-cluster, a long link outage, or "
     "replication off); waits and prints the result", adm_cmd_recover_cluster},
    {"backup-manager", 1, 1, "FILE",
     "save the manager's whole state (users with secrets!) as JSON to FILE (mode 0600)",
     adm_cmd_backup},
    {"restore-manager", 1, 1, "FILE",
     "replace the running manager's state with a backup-manager FILE", adm_cmd_restore},
    {"rebalance", 0, 1, "[status] [--wait]",
     "make the ring from the running + attached nodes minus the detached ones and move the "
     "data (status: progress)", adm_cmd_rebalance},
    {"rollback", 0, 0, "", "undo a running rebalance: the previous ring is current again",
     adm_cmd_rollback},
    {"recover-file", 1, 1, "BUCKET/KEY", "push the newest copy of a key to its stale owners",
     adm_cmd_recover_file},
    {"recover-node", 1, 1, "NODE [--wait]",
     "every other node pushes to NODE each object it should hold (after NODE lost its data)",
     adm_cmd_recover_node},
    {"recover-disk", 2, 2, "NODE DISK [--wait]",
     "after NODE lost one container dir (restarted with --rebuild-index): push its keys back",
     adm_cmd_recover_disk},
    {"recover-consistency", 1, 1, "NODE [--wait]",
     "compare NODE's keys with the other owners and repair the differences", adm_cmd_recover_consistency},
    {"recover-ring", 1, 1, "NODE", "make NODE fetch the rings again", adm_cmd_recover_ring},
    {"mq-stats", 1, 1, "NODE", "the repair queue of a storage node", adm_cmd_mq_stats},
    {"mq-suspend", 1, 1, "NODE", "pause a node's repair queue (entries are kept)",
     adm_cmd_mq_suspend},
    {"mq-resume", 1, 1, "NODE", "resume a node's repair queue", adm_cmd_mq_resume},
    {"compact-start", 2, 3, "NODE all|N [PROCS] [--wait]",
     "compact all containers, or the N with the most dead bytes", adm_cmd_compact_start},
    {"compact-suspend", 1, 1, "NODE", "pause a running compaction", adm_cmd_compact_suspend},
    {"compact-resume", 1, 1, "NODE", "resume a paused compaction", adm_cmd_compact_resume},
    {"compact-status", 1, 1, "NODE", "compaction state and counters", adm_cmd_compact_status},
    {"diagnose-start", 1, 1, "NODE [--wait]",
     "check every record of a node against its checksums (a scrub pass)", adm_cmd_diagnose_start},
    {"help", 0, 1, "[COMMAND]", "show the commands, or one command's usage", NULL},
};
#define ADM_NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < ADM_NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static void print_cmd_usage(FILE *out, const struct cmd *c)
{
    fprintf(out, "usage: cairn-adm [--manager HOST:PORT[,...]] [--token TOKEN] [--json] %s%s%s\n"
                 "  %s\n",
            c->name, c->args[0] ? " " : "", c->args, c->help);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: cairn-adm [--manager HOST:PORT[,...]] [--config FILE] [--token TOKEN] "
                 "[--json] COMMAND [ARGS]\n"
                 "  --manager HOST:PORT[,HOST:PORT...]\n"
                 "                       the managers' admin API: the first that answers, then "
                 "the leader it names\n"
                 "                       (default: $CAIRN_MANAGER, else the config file's "
                 "admin_addresses,\n"
                 "                       else " ADM_DEFAULT_MANAGER ")\n"
                 "  --config FILE        [manager] admin_addresses and token (default: "
                 "$CAIRN_ADM_CONFIG)\n"
                 "  --token TOKEN        the admin token (default: $CAIRN_TOKEN, else the config "
                 "file's); needed from\n"
                 "                       other hosts\n"
                 "  --user USER          log in as USER, a user with the admin role and a "
                 "password\n"
                 "                       (default: $CAIRN_USER); the password: --password PW "
                 "or $CAIRN_PASSWORD\n"
                 "  --json               print the API's JSON instead of tables\n"
                 "  --wait               follow a long operation until it ends (progress)\n"
                 "  --rate RATE          rebalance, recover-*: first set every storage node's\n"
                 "                       move rate (bytes/s like 50m; 0 = adaptive, the default)\n"
                 "  --status STATUS      update-access-key: Active or Inactive\n"
                 "  --secret-file FILE   join-cluster: the secret both clusters share (mode "
                 "0600)\n"
                 "  --ca FILE            join-cluster: the remote's CA certificate (PEM)\n"
                 "  --no-wait            recover-cluster: return once it has started\n"
                 "commands:\n");
    for (size_t i = 0; i < ADM_NCMDS; i++) {
        char left[64];

        snprintf(left, sizeof(left), "%s %s", cmds[i].name, cmds[i].args);
        fprintf(out, "  %-38s %s\n", left, cmds[i].help);
    }
}

/* cairn-adm's config file (--config, $CAIRN_ADM_CONFIG): where the managers are. */
struct adm_conf {
    char *admin_addresses;
    char *token;
};

static const cn_conf_key_t adm_conf_keys[] = {
    CN_CONF_KEY(CN_CONF_STR, "manager", "admin_addresses", struct adm_conf, admin_addresses, "",
                0, 0, 0, "the managers' admin API addresses host:admin_port, ... (their "
                "[manager] admin_listen)"),
    CN_CONF_KEY(CN_CONF_STR, "manager", "token", struct adm_conf, token, "", 0, 0, 0,
                "the admin token ([admin] token of the managers)"),
};
#define ADM_CONF_NKEYS (sizeof(adm_conf_keys) / sizeof(adm_conf_keys[0]))

/* The first of the values that is set and not empty, else NULL. */
static const char *first_set(const char *a, const char *b, const char *c)
{
    if (a != NULL && a[0] != '\0')
        return a;
    if (b != NULL && b[0] != '\0')
        return b;
    return c != NULL && c[0] != '\0' ? c : NULL;
}

/* Where the managers are and the token: the options, else the environment, else the config
 * file. 0, or 2 (a usage error, said on stderr). conf is disposed by the caller. */
static int resolve_managers(struct adm *a, const char *opt_manager, const char *opt_token,
                            const char *conf_path, struct adm_conf *conf)
{
    char err[512];

    if (cn_conf_defaults(adm_conf_keys, ADM_CONF_NKEYS, conf, err, sizeof(err)) != 0 ||
        (conf_path != NULL && conf_path[0] != '\0' &&
         cn_conf_load(conf_path, adm_conf_keys, ADM_CONF_NKEYS, conf, err, sizeof(err)) != 0)) {
        fprintf(stderr, "cairn-adm: %s\n", err);
        return 2;
    }
    a->manager = first_set(opt_manager, getenv("CAIRN_MANAGER"), conf->admin_addresses);
    if (a->manager == NULL)
        a->manager = ADM_DEFAULT_MANAGER;
    a->token = first_set(opt_token, getenv("CAIRN_TOKEN"), conf->token);
    if (cn_mgr_addrs_parse(&a->addrs, a->manager, err, sizeof(err)) != 0) {
        if (a->manager == opt_manager)
            fprintf(stderr, "cairn-adm: --manager: %s\n", err);
        else if (a->manager == conf->admin_addresses)
            fprintf(stderr, "cairn-adm: %s: manager.admin_addresses: %s\n", conf_path, err);
        else
            fprintf(stderr, "cairn-adm: CAIRN_MANAGER: %s\n", err);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct adm a = {0};
    struct adm_conf conf;
    const char *opt_manager = NULL, *opt_token = NULL, *conf_path = getenv("CAIRN_ADM_CONFIG");
    char **args = argv; /* the non-option arguments, compacted in place (n < i always) */
    const struct cmd *c;
    int n = 0, rc, opts_done = 0;

    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];

        if (opts_done || o[0] != '-' || o[1] == '\0') {
            args[n++] = argv[i];
        } else if (strcmp(o, "--") == 0) {
            opts_done = 1;
        } else if (strcmp(o, "--json") == 0) {
            a.json = 1;
        } else if (strcmp(o, "--wait") == 0) {
            a.wait = 1;
        } else if (strcmp(o, "--no-wait") == 0) {
            a.no_wait = 1;
        } else if (strcmp(o, "--rate") == 0 && i + 1 < argc) {
            a.rate = argv[++i];
        } else if (strncmp(o, "--rate=", 7) == 0) {
            a.rate = o + 7;
        } else if ((strcmp(o, "--user") == 0 || strcmp(o, "--password") == 0) && i + 1 < argc) {
            *(o[2] == 'u' ? &a.user : &a.password) = argv[++i];
        } else if (strcmp(o, "--status") == 0 && i + 1 < argc) {
            a.status = argv[++i];
        } else if (strncmp(o, "--status=", 9) == 0) {
            a.status = o + 9;
        } else if ((strcmp(o, "--secret-file") == 0 || strcmp(o, "--ca") == 0) && i + 1 < argc) {
            *(o[2] == 's' ? &a.secret_file : &a.ca_file) = argv[++i];
        } else if (strncmp(o, "--secret-file=", 14) == 0) {
            a.secret_file = o + 14;
        } else if (strncmp(o, "--ca=", 5) == 0) {
            a.ca_file = o + 5;
        } else if ((strcmp(o, "--manager") == 0 || strcmp(o, "--token") == 0 ||
                    strcmp(o, "--config") == 0) && i + 1 < argc) {
            *(o[2] == 'm' ? &opt_manager : o[2] == 't' ? &opt_token : &conf_path) = argv[++i];
        } else if (strncmp(o, "--manager=", 10) == 0) {
            opt_manager = o + 10;
        } else if (strncmp(o, "--token=", 8) == 0) {
            opt_token = o + 8;
        } else if (strncmp(o, "--config=", 9) == 0) {
            conf_path = o + 9;
        } else if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "-V") == 0 || strcmp(o, "--version") == 0) {
            printf("cairn-adm %s\n", PACKAGE_VERSION);
            return 0;
        } else {
            fprintf(stderr, "cairn-adm: unknown option '%s'\n", o);
            usage(stderr);
            return 2;
        }
    }
    if (n == 0) {
        usage(stderr);
        return 2;
    }
    if ((c = find_cmd(args[0])) == NULL) {
        fprintf(stderr, "cairn-adm: unknown command '%s' (see cairn-adm help)\n", args[0]);
        return 2;
    }
    if (n - 1 < c->min || n - 1 > c->max) {
        fprintf(stderr, "cairn-adm: %s takes %s\n", c->name,
                c->args[0] ? c->args : "no arguments");
        print_cmd_usage(stderr, c);
        return 2;
    }
    if (c->run == NULL) { /* help */
        const struct cmd *h;

        if (n == 1) {
            usage(stdout);
            return 0;
        }
        if ((h = find_cmd(args[1])) == NULL) {
            fprintf(stderr, "cairn-adm: unknown command '%s' (see cairn-adm help)\n", args[1]);
            return 2;
        }
        print_cmd_usage(stdout, h);
        return 0;
    }
    if (a.user == NULL)
        a.user = getenv("CAIRN_USER");
    if (a.password == NULL)
        a.password = getenv("CAIRN_PASSWORD");
    if (a.user != NULL && a.password == NULL) {
        fprintf(stderr, "cairn-adm: --user %s needs a password (--password or "
                        "CAIRN_PASSWORD)\n", a.user);
        return 2;
    }
    if ((rc = resolve_managers(&a, opt_manager, opt_token, conf_path, &conf)) != 0) {
        cn_conf_dispose(adm_conf_keys, ADM_CONF_NKEYS, &conf);
        return rc;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = c->run(&a, n - 1, args + 1);
    curl_global_cleanup();
    cn_conf_dispose(adm_conf_keys, ADM_CONF_NKEYS, &conf);
    if (rc == 2)
        print_cmd_usage(stderr, c);
    return rc;
}
