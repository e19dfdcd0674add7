/*
 * manager/state.c: the RocksDB store behind manager/state.h.
 * RocksDB's "char *err" strings are logged and freed here and turned into CN_E* codes; no
 * other file of the manager sees a RocksDB type. The one write, mgr_batch_commit, uses sync
 * write options and is declared in state_int.h for fsm.c alone.
 */
#define MGR_STATE_WRITER 1
#include "manager/state.h"
#include "manager/state_int.h"

#include <string.h>
#include <rocksdb/c.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"

#define MGR_STATE_MAGIC 0x6d677374u /* "mgst" */

struct mgr_state {
    uint32_t magic;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
};

struct mgr_batch {
    rocksdb_writebatch_t *wb;
};

/* Maps a RocksDB error string to a code, logs it once and frees it. */
static int take_err(char *err, const char *what)
{
    int rc = CN_EIO;

    if (strstr(err, "lock") != NULL || strstr(err, "Resource temporarily unavailable"))
        rc = CN_EBUSY;
    CN_LOG(CN_LOG_ERROR, "rocksdb %s: %s", what, err);
    rocksdb_free(err);
    return rc;
}

int mgr_state_open(const char *dir, mgr_state_t **out)
{
    mgr_state_t *st;
    char *err = NULL;
    int rc;

    if ((rc = cn_mkdir_p(dir)) != 0) {
        CN_LOG(CN_LOG_ERROR, "data_dir=%s rc=%s: cannot create the state directory", dir,
               cn_strerror(rc));
        return rc;
    }
    st = cn_calloc(1, sizeof(*st));
    st->magic = MGR_STATE_MAGIC;
    st->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(st->opts, 1);
    rocksdb_options_set_keep_log_file_num(st->opts, 2);
    st->db = rocksdb_open(st->opts, dir, &err);
    if (err != NULL) {
        rc = take_err(err, "open");
        rocksdb_options_destroy(st->opts);
        cn_free(st);
        return rc;
    }
    st->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(st->wopts, 1);
    st->ropts = rocksdb_readoptions_create();
    *out = st;
    return 0;
}

void mgr_state_close(mgr_state_t *st)
{
    if (st == NULL)
        return;
    CN_CHECK_OBJ(st, MGR_STATE_MAGIC);
    rocksdb_close(st->db);
    rocksdb_writeoptions_destroy(st->wopts);
    rocksdb_readoptions_destroy(st->ropts);
    rocksdb_options_destroy(st->opts);
    st->magic = 0;
    cn_free(st);
}

int mgr_state_get(mgr_state_t *st, const char *key, char **val, size_t *len)
{
    char *err = NULL, *v;
    size_t vlen = 0;

    CN_CHECK_OBJ(st, MGR_STATE_MAGIC);
    v = rocksdb_get(st->db, st->ropts, key, strlen(key), &vlen, &err);
    if (err != NULL)
        return take_err(err, "get");
    if (v == NULL)
        return CN_ENOENT;
    *val = cn_malloc(vlen + 1);
    memcpy(*val, v, vlen);
    (*val)[vlen] = '\0';
    if (len != NULL)
        *len = vlen;
    rocksdb_free(v);
    return 0;
}

int mgr_state_get_json(mgr_state_t *st, const char *key, json_t **out)
{
    char *v;
    size_t len;
    json_error_t jerr;
    int rc;

    if ((rc = mgr_state_get(st, key, &v, &len)) != 0)
        return rc;
    *out = json_loadb(v, len, 0, &jerr);
    cn_free(v);
    if (*out == NULL) {
        CN_LOG(CN_LOG_ERROR, "key=%s: stored record is not JSON (%s)", key, jerr.text);
        return CN_ECORRUPT;
    }
    return 0;
}

uint64_t mgr_state_get_u64(mgr_state_t *st, const char *key)
{
    char *v;
    size_t len;
    uint64_t n = 0;

    if (mgr_state_get(st, key, &v, &len) != 0)
        return 0;
    if (len == 8)
        n = cn_get_u64be(v);
    cn_free(v);
    return n;
}

int mgr_state_scan(mgr_state_t *st, const char *prefix, mgr_state_scan_fn fn, void *arg)
{
    rocksdb_iterator_t *it;
    size_t plen = strlen(prefix);
    char *err = NULL;
    int rc = 0;

    CN_CHECK_OBJ(st, MGR_STATE_MAGIC);
    it = rocksdb_create_iterator(st->db, st->ropts);
    for (rocksdb_iter_seek(it, prefix, plen); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        const char *v = rocksdb_iter_value(it, &vlen);

        if (klen < plen || memcmp(k, prefix, plen) != 0)
            break;
        if ((rc = fn(k, klen, v, vlen, arg)) != 0)
            break;
    }
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    if (err != NULL)
        return take_err(err, "scan");
    return rc;
}

mgr_batch_t *mgr_batch_new(void)
{
    mgr_batch_t *b = cn_calloc(1, sizeof(*b));

    b->wb = rocksdb_writebatch_create();
    return b;
}

void mgr_batch_put(mgr_batch_t *b, const char *key, const void *val, size_t len)
{
    rocksdb_writebatch_put(b->wb, key, strlen(key), val, len);
}

void mgr_batch_put_json(mgr_batch_t *b, const char *key, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

    CN_ASSERT(s != NULL);
    mgr_batch_put(b, key, s, strlen(s));
    free(s);
}

void mgr_batch_del(mgr_batch_t *b, const char *key)
{
    rocksdb_writebatch_delete(b->wb, key, strlen(key));
}

void mgr_batch_put_u64(mgr_batch_t *b, const char *key, uint64_t v)
{
    char buf[8];

    cn_put_u64be(buf, v);
    mgr_batch_put(b, key, buf, sizeof(buf));
}

uint64_t mgr_batch_bump(mgr_batch_t *b, mgr_state_t *st, const char *key)
{
    uint64_t n = mgr_state_get_u64(st, key) + 1;

    mgr_batch_put_u64(b, key, n);
    return n;
}

int mgr_batch_commit(mgr_state_t *st, mgr_batch_t *b)
{
    char *err = NULL;

    CN_CHECK_OBJ(st, MGR_STATE_MAGIC);
    rocksdb_write(st->db, st->wopts, b->wb, &err);
    mgr_batch_free(b);
    return err != NULL ? take_err(err, "write") : 0;
}

void mgr_batch_free(mgr_batch_t *b)
{
    if (b == NULL)
        return;
    rocksdb_writebatch_destroy(b->wb);
    cn_free(b);
}
