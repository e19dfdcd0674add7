/*
 * storage/buckets.h: what a storage node knows of the buckets (issue 18): each bucket's
 * versioning, object lock and lifecycle rules, for the lifecycle worker, and its
 * multi-datacenter replication switch (issue 22), for the replication queue to come. The manager's bucket
 * table (get_buckets, the table the gateways read) is fetched by storage/mgr_link.c whenever
 * a heartbeat's buckets_ver changes (the manager bumps it on every bucket change: versioned,
 * pushed on change), and replaces this node's copy whole. Main loop only.
 */
#ifndef CAIRN_STORAGE_BUCKETS_H
#define CAIRN_STORAGE_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/lifecycle.h"

#define STOR_BUCKET_NAME_MAX 63

enum stor_versioning { STOR_VER_OFF = 0, STOR_VER_ENABLED, STOR_VER_SUSPENDED };

typedef struct stor_bucket {
    char name[STOR_BUCKET_NAME_MAX + 1];
    enum stor_versioning versioning;
    int object_lock;             /* object lock enabled */
    cn_lc_rules_t *lifecycle;    /* owned; NULL: no (readable) rules */
    int replication;             /* 1: its changes go to the linked clusters (issue 22; the
                                    default, also when the switch does not read), 0: off.
                                    Read, not used yet: nothing replicates over a link */
} stor_bucket_t;

typedef struct stor_buckets {
    stor_bucket_t *v;            /* sorted by name */
    size_t n;
    uint64_t ver;                /* the table's version (0: none loaded yet) */
} stor_buckets_t;

/** Replaces t with the manager's table json[0, len) (get_buckets' body: an array of buckets
 *  with their "config") of version ver. 0, or CN_ECORRUPT (t unchanged). A bucket whose
 *  lifecycle rules do not parse gets none (logged): a worker never guesses. */
int stor_buckets_load(stor_buckets_t *t, const char *json, size_t len, uint64_t ver);
/** The bucket named name[0, n), or NULL. */
const stor_bucket_t *stor_buckets_find(const stor_buckets_t *t, const char *name, size_t n);
/** Frees everything; t is then empty. */
void stor_buckets_clear(stor_buckets_t *t);

#endif
