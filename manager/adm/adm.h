/*
 * manager/adm/adm.h: what the files of cairn-adm share.
 *   adm.c        options, the command table, usage, main;
 *   adm_call.c   the admin API over HTTP and the shapes of a command: call, then print a
 *                table/lines or the API's JSON (--json); tables; progress of --wait;
 *   adm_nodes.c  one node: status NODE, detach/suspend/resume, log level, properties, mq-*,
 *                compact-*, diagnose, du, recover-*, remove-gateway, purge-cache;
 *   adm_ring.c   the cluster and its ring: status, start, whereis, dump-ring, consistency,
 *                rebalance, rollback;
 *   adm_users.c  users, endpoints, buckets, backup and restore of the manager;
 *   adm_managers.c  the manager group: its table, update-managers;
 *   adm_keys.c   a user's access keys;
 *   adm_kms.c    the key service's keys (kms-*);
 *   adm_clusters.c  links to other clusters (join-cluster, remove-cluster, cluster-status).
 * A command returns 0 (done), 1 (failed: one line on stderr) or 2 (usage error).
 * Single-threaded: the helpers' static buffers are used at once.
 */
#ifndef CAIRN_MANAGER_ADM_ADM_H
#define CAIRN_MANAGER_ADM_ADM_H

#include <stddef.h>
#include <jansson.h>

#include "common/mgr_addrs.h"

#define ADM_DEFAULT_MANAGER "127.0.0.1:10011"

struct adm {
    const char *manager;           /* the admin API addresses as given: HOST:PORT[,HOST:PORT] */
    cn_mgr_addrs_t addrs;          /* parsed; calls go to the current one (common/mgr_addrs.h) */
    const char *token;             /* bearer token or NULL */
    const char *user, *password;   /* a Basic login (--user, CAIRN_PASSWORD) or NULL */
    int json;                      /* print the API's JSON */
    int wait;                      /* --wait: follow a long operation until it ends */
    int no_wait;                   /* --no-wait: recover-cluster returns once started */
    long timeout_s;                /* of one request; 0: ADM_TIMEOUT_S */
    const char *rate;              /* --rate: the storage nodes' move rate, or NULL */
    const char *status;            /* --status (update-access-key) or NULL */
    const char *secret_file;       /* --secret-file (join-cluster) or NULL */
    const char *ca_file;           /* --ca (join-cluster) or NULL */
};

/** --rate: sets replication.move_rate to a->rate on every storage node (update-property
 *  through the manager), printing one line per node; 0, or 1 when a node refused it. */
int adm_set_move_rate(struct adm *a);

/* ---- adm_call.c: the API ------------------------------------------------------------- */

/** The admin API address calls go to now ("host:port"): the first of --manager that answered,
 *  or the leader a manager named. Borrowed; valid until the next call. */
const char *adm_manager(const struct adm *a);

/** Calls the API with a raw body (or none). Returns 0 with *out (the JSON answer of a 2xx)
 *  or 1 after printing the one line that explains the failure. A manager that cannot be
 *  reached is passed over for the next address (for a request other than GET, only when the
 *  connection was not made: a write is never sent twice); an answer 421 (not the leader) is
 *  followed to the leader it names, or, naming none (an election), the next address is tried
 *  every CN_MGR_ELECTION_WAIT_MS for up to ADM_ELECTION_WAIT_S (ADMIN_API.md). */
int adm_call_raw(struct adm *a, const char *method, const char *path, const char *body,
                 size_t body_len, json_t **out);
/** Calls the API with a JSON body (taken: decref'd here) or none. */
int adm_call(struct adm *a, const char *method, const char *path, json_t *body, json_t **out);
/** Returns prefix + escaped(name) + suffix (suffix may be NULL), in a static buffer that the
 *  next call overwrites: use at once. */
const char *adm_path(const char *prefix, const char *name, const char *suffix);

/* ---- adm_call.c: the shapes of a command --------------------------------------------- */

/** Prints the answer j for a person (tables, lines); arg is the command's. */
typedef void (*adm_print_fn)(struct adm *a, const json_t *j, const void *arg);

/** Prints j: with --json as JSON, else with print. Frees j. Returns 0. */
int adm_print(struct adm *a, json_t *j, adm_print_fn print, const void *arg);
/** adm_call, then adm_print of the answer. 0, or 1 when the call failed. */
int adm_call_print(struct adm *a, const char *method, const char *path, json_t *body,
                   adm_print_fn print, const void *arg);

/** Prints j with --json, else the line made from tmpl ("OK" for NULL). Frees j. Returns 0.
 *  In tmpl, "%s" takes the next argument (a string); "${key}" is j's value of key as adm_val
 *  prints it and "#{key}" as adm_str does ("${ring.cur}": key cur of object ring); "?{key:text}"
 *  is text when key's integer value is not 0. */
int adm_ok(struct adm *a, json_t *j, const char *tmpl, ...);
/** adm_call_ok(a, method, path, body, tmpl, ...): adm_call, then adm_ok of the answer with
 *  tmpl. 0, or 1 when the call failed. */
#define adm_call_ok(a, ...) adm__call_ok((a), 0, __VA_ARGS__)
/** As adm_call_ok, for a long operation that --wait follows: with --wait, prints the line
 *  (not with --json, whose JSON is the end state's) and returns -1: the caller then follows
 *  the operation (adm_wait_idle). Else as adm_call_ok. */
#define adm_call_start(a, ...) adm__call_ok((a), 1, __VA_ARGS__)
int adm__call_ok(struct adm *a, int follow, const char *method, const char *path, json_t *body,
                 const char *tmpl, ...);

/* ---- adm_call.c: output -------------------------------------------------------------- */

void adm_print_json(const json_t *j);
/** A string value of o, or "-". */
const char *adm_str(const json_t *o, const char *key);
/** Any scalar value of o as text, or "-" (one of 8 static buffers: use at once). */
const char *adm_val(const json_t *o, const char *key);
/** A positive whole number up to 1000 from s; 0 for anything else. */
long adm_count_arg(const char *s);

#define ADM_MAX_COLS 10

/** A table printed with aligned columns: head | head, then one row per adm_table_row. */
struct adm_table {
    size_t ncols, nrows;
    const char *head[ADM_MAX_COLS];
    char **cells;                  /* nrows * ncols, owned */
};

/** Adds a row of ncols values (copied; NULL prints "-"). */
void adm_table_row(struct adm_table *t, const char *const *vals);
/** Prints t and frees its cells. */
void adm_table_print(struct adm_table *t);
/** Frees t's cells without printing. */
void adm_table_drop(struct adm_table *t);
/** A row of a two-column item | value table. */
void adm_item(struct adm_table *t, const char *name, const char *value);

/** Polls GET path every second until state_key's value is "idle"; prints progress from the
 *  done/total keys (pending_key: done = total - pending), or, when the answer has "left"
 *  (the nodes' estimate), from done, left, rate_keys_s, bytes, rate_bytes_s and eta_s.
 *  0, or 1 when the manager fails. */
int adm_wait_idle(struct adm *a, const char *what, const char *path, const char *state_key,
                  const char *done_key, const char *total_key, const char *pending_key);
double adm_now_s(void);
/** One progress report of a long operation (see adm_call.c); total 0: unknown. */
void adm_progress(const char *what, double done_n, double total, double t0, const char *extra);
/** The same with the rate (units/s) and ETA (seconds; < 0: unknown) given. */
void adm_progress_at(const char *what, double done_n, double total, double t0, double rate,
                     double eta_s, const char *extra);
void adm_progress_end(void);

/* ---- the commands (argc/argv: the command's arguments) ------------------------------- */

typedef int adm_cmd_fn(struct adm *a, int argc, char **argv);

/* adm_nodes.c */
adm_cmd_fn adm_cmd_status_node, adm_cmd_detach, adm_cmd_suspend, adm_cmd_resume,
    adm_cmd_update_log_level, adm_cmd_update_property, adm_cmd_remove_gateway,
    adm_cmd_purge_cache, adm_cmd_du, adm_cmd_recover_file, adm_cmd_recover_node,
    adm_cmd_recover_disk, adm_cmd_recover_consistency, adm_cmd_recover_ring, adm_cmd_mq_stats,
    adm_cmd_mq_suspend, adm_cmd_mq_resume, adm_cmd_compact_start, adm_cmd_compact_suspend,
    adm_cmd_compact_resume, adm_cmd_compact_status, adm_cmd_diagnose_start;
/* adm_ring.c */
adm_cmd_fn adm_cmd_status, adm_cmd_start, adm_cmd_whereis, adm_cmd_dump_ring,
    adm_cmd_update_consistency, adm_cmd_rebalance, adm_cmd_rollback;
/* adm_users.c */
adm_cmd_fn adm_cmd_create_user, adm_cmd_import_user, adm_cmd_delete_user, adm_cmd_get_users,
    adm_cmd_update_user_role, adm_cmd_update_user_email, adm_cmd_update_user_password,
    adm_cmd_add_endpoint,
    adm_cmd_delete_endpoint, adm_cmd_get_endpoints, adm_cmd_add_bucket, adm_cmd_delete_bucket,
    adm_cmd_delete_bucket_stats, adm_cmd_get_bucket, adm_cmd_get_buckets, adm_cmd_chown_bucket,
    adm_cmd_update_acl, adm_cmd_set_bucket_quota, adm_cmd_set_bucket_redundancy,
    adm_cmd_set_bucket_replication, adm_cmd_backup,
    adm_cmd_restore;

/* adm_keys.c */
adm_cmd_fn adm_cmd_create_access_key, adm_cmd_delete_access_key, adm_cmd_update_access_key,
    adm_cmd_get_access_keys;

/* adm_kms.c */
adm_cmd_fn adm_cmd_kms_create_key, adm_cmd_kms_list_keys, adm_cmd_kms_rotate_key,
    adm_cmd_kms_rewrap;

/* adm_clusters.c */
adm_cmd_fn adm_cmd_join_cluster, adm_cmd_remove_cluster, adm_cmd_cluster_status;
adm_cmd_fn adm_cmd_recover_cluster;

/* ---- adm_managers.c ------------------------------------------------------------------ */

/** Prints the [Managers] table of a status answer's "managers" (nothing when empty). */
void adm_managers_print(const json_t *mgrs);
int adm_cmd_update_managers(struct adm *a, int argc, char **argv);

#endif
