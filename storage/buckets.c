/*
 * storage/buckets.c: a storage node's copy of the buckets' versioning, object lock,
 * lifecycle rules and replication switch (see buckets.h), read from the manager's bucket
 * table (JSON).
 */
#include "storage/buckets.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(((const stor_bucket_t *)a)->name, ((const stor_bucket_t *)b)->name);
}

/* One bucket o of the table into b: 0, or -1 when it has no usable name. */
static int load_one(stor_bucket_t *b, const json_t *o)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const json_t *c = json_object_get(o, "config"), *lc;
    const char *st;

    memset(b, 0, sizeof(*b));
    if (name == NULL || strlen(name) == 0 || strlen(name) > STOR_BUCKET_NAME_MAX)
        return -1;
    strcpy(b->name, name);
    st = json_string_value(json_object_get(json_object_get(c, "versioning"), "Status"));
    if (st != NULL)
        b->versioning = strcmp(st, "Enabled") == 0 ? STOR_VER_ENABLED : STOR_VER_SUSPENDED;
    st = json_string_value(json_object_get(json_object_get(c, "object_lock"),
                                           "ObjectLockEnabled"));
    b->object_lock = st != NULL && strcmp(st, "Enabled") == 0;
    b->replication = 1;
    if ((lc = json_object_get(c, "replication")) != NULL) { /* {"replication": "off"} */
        st = json_string_value(json_object_get(lc, "replication"));
        if (st != NULL && strcmp(st, "off") == 0)
            b->replication = 0;
        else
            CN_LOG(CN_LOG_ERROR, "bucket=%s: its replication switch does not read; taken "
                   "as on", b->name);
    }
    if ((lc = json_object_get(c, "lifecycle")) != NULL) {
        char *text = json_dumps(lc, JSON_COMPACT);

        if (text == NULL || cn_lc_parse(text, strlen(text), &b->lifecycle) != 0) {
            b->lifecycle = NULL;
            CN_LOG(CN_LOG_ERROR, "bucket=%s: its lifecycle rules do not parse; none applied",
                   b->name);
        }
        free(text); /* jansson's */
    }
    return 0;
}

int stor_buckets_load(stor_buckets_t *t, const char *json, size_t len, uint64_t ver)
{
    json_error_t jerr;
    json_t *root = json_loadb(len ? json : "[]", len ? len : 2, 0, &jerr), *o;
    stor_buckets_t nt = {0};
    size_t i;

    if (root == NULL || !json_is_array(root)) {
        CN_LOG(CN_LOG_WARN, "get_buckets: bad JSON: %s", root ? "not an array" : jerr.text);
        json_decref(root);
        return CN_ECORRUPT;
    }
    nt.v = cn_calloc(json_array_size(root) + 1, sizeof(*nt.v));
    json_array_foreach(root, i, o) {
        if (load_one(&nt.v[nt.n], o) == 0)
            nt.n++;
    }
    json_decref(root);
    qsort(nt.v, nt.n, sizeof(*nt.v), by_name);
    nt.ver = ver;
    stor_buckets_clear(t);
    *t = nt;
    return 0;
}

const stor_bucket_t *stor_buckets_find(const stor_buckets_t *t, const char *name, size_t n)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(t->v[mid].name, name, n);

        if (c == 0 && t->v[mid].name[n] != '\0')
            c = 1;
        if (c == 0)
            return &t->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void stor_buckets_clear(stor_buckets_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        cn_lc_free(t->v[i].lifecycle);
    cn_free(t->v);
    memset(t, 0, sizeof(*t));
}
