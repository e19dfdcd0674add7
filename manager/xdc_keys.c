/*
 * manager/xdc_keys.c: the key service's KEKs in the dump of a link and into the remote key
 * stores where it is applied (see xdc_keys.h). A KEK is in the clear only on the stack of the
 * function that seals, opens or wraps it, and is wiped there.
 * Locking: the server lock held by every caller; nothing here locks.
 */
#include "manager/xdc_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/clusters.h"
#include "manager/kms.h"
#include "manager/xdc_sync.h"

#define SEAL_KEY_MAX (CN_KMS_NAME_MAX + 32)

/* The name under which epoch of name is sealed (its AAD's end): "s/<name>|<epoch>". */
static void seal_name(const char *name, uint64_t epoch, char out[SEAL_KEY_MAX])
{
    snprintf(out, SEAL_KEY_MAX, MGR_KMS_PREFIX "%s|%" PRIu64, name, epoch);
}

struct dump_ctx {
    const uint8_t *k;
    json_t *arr;
};

static int dump_one(void *arg, const char *name, uint64_t epoch,
                    const uint8_t kek[CN_SSE_KEY_LEN])
{
    struct dump_ctx *d = arg;
    char sname[SEAL_KEY_MAX], *sealed;

    seal_name(name, epoch, sname);
    if ((sealed = mgr__xdc_sync_seal(d->k, sname, (const char *)kek, CN_SSE_KEY_LEN)) == NULL)
        return CN_EIO;
    json_array_append_new(d->arr, json_pack("{s:s, s:I, s:s}", "n", name, "e",
                                            (json_int_t)epoch, "s", sealed));
    cn_free(sealed);
    return 0;
}

int mgr__xdc_keys_dump(mgr_state_t *st, const mgr_kms_masters_t *m, const uint8_t k[32],
                       json_t *doc)
{
    struct dump_ctx d = {k, NULL};
    int rc;

    if (m == NULL || !m->cur.set)
        return 0;
    d.arr = json_array();
    if ((rc = mgr_kms_each_own(st, m, dump_one, &d)) != 0) {
        json_decref(d.arr);
        if (rc == CN_EIO)
            return rc;
        CN_LOG(CN_LOG_WARN, "rc=%s: this cluster's keys do not all read; none sent to the "
               "linked clusters this time", cn_strerror(rc));
        return 0;
    }
    json_object_set_new(doc, "keks", d.arr);
    return 0;
}

/* How many epochs of name cmd carries already. */
static uint64_t in_cmd(const mgr_cmd_t *cmd, const char *name)
{
    uint64_t n = 0;

    for (size_t i = 0; i < cmd->nwraps; i++)
        n += strcmp(cmd->wraps[i].name, name) == 0;
    return n;
}

int mgr__xdc_keys_read(mgr_state_t *st, const mgr_kms_masters_t *m, const char *remote,
                       const uint8_t k[32], const json_t *keks, uint64_t now_ms,
                       mgr_cmd_t *cmd)
{
    int store = m != NULL && m->cur.set && mgr_clusters_id_valid(remote);
    const json_t *j;
    size_t i;
    int rc = 0;

    mgr_cmd_init(cmd, MGR_CMD_KMS_REMOTE_PUT);
    cmd->created_ms = now_ms;
    if (keks == NULL)
        return 0;
    if (!json_is_array(keks))
        return CN_ECORRUPT;
    json_array_foreach(keks, i, j) {
        const char *name = json_string_value(json_object_get(j, "n"));
        const char *sealed = json_string_value(json_object_get(j, "s"));
        json_int_t e = json_integer_value(json_object_get(j, "e"));
        char sname[SEAL_KEY_MAX], *kek = NULL;
        uint64_t held = 0;
        size_t len = 0;
        mgr_kms_wrap_t w;

        if (!json_is_object(j) || !cn_kms_name_valid(name) || sealed == NULL ||
            !json_is_integer(json_object_get(j, "e")) || e < 1 ||
            (uint64_t)e > MGR_KMS_MAX_EPOCHS) {
            rc = CN_ECORRUPT;
            break;
        }
        seal_name(name, (uint64_t)e, sname);
        if ((rc = mgr__xdc_sync_unseal(k, sname, sealed, &kek, &len)) != 0)
            break;
        if (len != CN_SSE_KEY_LEN) {
            rc = CN_ECORRUPT;
        } else if (store && cmd->nwraps < MGR_KMS_REWRAP_BATCH) { /* the rest: next pull */
            int hrc = mgr_kms_remote_epochs(st, remote, name, &held);

            if (hrc == CN_EIO)
                rc = hrc; /* CN_ECORRUPT: an unreadable o/ record, whose epochs wait */
            else if (hrc == 0 && (uint64_t)e == held + in_cmd(cmd, name) + 1 &&
                     (rc = mgr_kms_wrap_remote(m, remote, name, (uint64_t)e,
                                               (const uint8_t *)kek, &w)) == 0)
                mgr_cmd_add_wrap(cmd, &w);
        }
        OPENSSL_cleanse(kek, len);
        cn_free(kek);
        if (rc != 0)
            break;
    }
    if (rc != 0) {
        mgr_cmd_dispose(cmd);
        mgr_cmd_init(cmd, MGR_CMD_KMS_REMOTE_PUT);
        return rc;
    }
    if (!store && json_array_size(keks) > 0)
        CN_LOG(CN_LOG_DEBUG, "remote=%s keys=%zu: not kept (no master key here)", remote,
               json_array_size(keks));
    return 0;
}
