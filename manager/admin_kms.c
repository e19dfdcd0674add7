/*
 * manager/admin_kms.c: the key service on the admin API (docs/ADMIN_API.md; kms.h):
 *   GET  /v1/kms/keys                   every key: epochs, dates, master ids (never a key)
 *   POST /v1/kms/keys   {"name": N}     a new key, epoch 1
 *   POST /v1/kms/rotate {"name": N}     the key's next epoch (older epochs stay readable)
 *   POST /v1/kms/rewrap                 every epoch (and cluster link secret, clusters.h)
 *                                       wrapped by the previous master key, wrapped again
 *                                       under the current one
 * Names travel in the body, not the path: a key name may hold '/' ("aws/s3").
 * Handlers run with s->lock held (admin_int.h); each change is a command entry built by
 * kms.c with its KEK already wrapped, proposed here with mgr_fsm_propose_wait (the lock is
 * free while it commits). The master keys are read-only after startup.
 */
#include "manager/admin_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "manager/clusters.h"
#include "manager/cmd.h"
#include "manager/kms.h"

#define ROTATE_TRIES 3 /* a rotation that loses to a concurrent one is made again */

static json_t *id_or_null(const mgr_kms_master_t *m)
{
    return m->set ? json_string(m->id) : json_null();
}

/* Answers a code that is the same for every change: 501, 500. 1 when it answered. */
static int kms_failed(struct mgr_answer *a, int rc)
{
    if (rc == CN_ENOTSUP)
        mgr_fail(a, 501, "no key service on this manager: set [manager] sse_master_key_file "
                 "on every manager (docs/OPERATIONS.md, \"Encryption keys\")");
    else if (rc != 0)
        mgr_fail(a, 500, "the key service failed (%s); see the manager log", cn_strerror(rc));
    return rc != 0;
}

/* The "name" of the body, or NULL after answering 400 (*j: decref it when set). */
static const char *body_name(struct mgr_req *r, struct mgr_answer *a, json_t **j)
{
    const char *name;

    if ((*j = mgr_body_json(r, a)) == NULL)
        return NULL;
    name = json_string_value(json_object_get(*j, "name"));
    mgr_audit(a, "kms_key", name);
    if (!cn_kms_name_valid(name)) {
        mgr_fail(a, 400, "send {\"name\": NAME}, 1 to %d characters of A-Z a-z 0-9 / _ . : -",
                 CN_KMS_NAME_MAX);
        return NULL;
    }
    return name;
}

void mgr_h_kms_list(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *keys;
    int rc;

    if ((keys = mgr_kms_list_json(s->st, &rc)) == NULL) {
        mgr_fail(a, 500, "could not read the keys (%s); see the manager log", cn_strerror(rc));
        return;
    }
    a->status = 200;
    a->json = json_pack("{s:o, s:o, s:o}", "master", id_or_null(&s->kms.cur), "previous",
                        id_or_null(&s->kms.prev), "keys", keys);
}

void mgr_h_kms_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name;
    mgr_cmd_t cmd;
    json_t *j;
    int rc;

    if ((name = body_name(r, a, &j)) == NULL)
        goto out;
    if ((rc = mgr_kms_create_cmd(s->st, &s->kms, name, cn_now_ms(), &cmd)) == 0) {
        rc = mgr_fsm_propose_wait(s->fsm, &cmd, NULL);
        mgr_cmd_dispose(&cmd);
    }
    if (rc == CN_EEXIST) {
        mgr_fail(a, 409, "a key named %s exists (kms-rotate-key gives it a new epoch)", name);
    } else if (!kms_failed(a, rc)) {
        CN_LOG(CN_LOG_INFO, "kms=%s master=%s: key created", name, s->kms.cur.id);
        a->status = 201;
        a->json = json_pack("{s:s, s:i, s:s}", "name", name, "epoch", 1, "master",
                            s->kms.cur.id);
    }
out:
    json_decref(j);
}

void mgr_h_kms_rotate(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name;
    mgr_cmd_t cmd;
    json_t *j;
    uint64_t epoch = 0;
    int rc = CN_ECONFLICT;

    if ((name = body_name(r, a, &j)) == NULL)
        goto out;
    for (int i = 0; i < ROTATE_TRIES && rc == CN_ECONFLICT; i++) {
        if ((rc = mgr_kms_rotate_cmd(s->st, &s->kms, name, cn_now_ms(), &cmd)) != 0)
            break;
        epoch = cmd.kms.epoch;
        rc = mgr_fsm_propose_wait(s->fsm, &cmd, NULL); /* the lock was free: read again */
        mgr_cmd_dispose(&cmd);
    }
    if (rc == CN_ENOENT) {
        mgr_fail(a, 404, "no key named %s (see kms-list-keys)", name);
    } else if (rc == CN_ENOSPC || rc == CN_ECONFLICT) {
        mgr_fail(a, 409, "key %s: %s", name,
                 rc == CN_ENOSPC ? "has the most epochs a key may have"
                                 : "other rotations keep coming first; retry");
    } else if (!kms_failed(a, rc)) {
        CN_LOG(CN_LOG_INFO, "kms=%s epoch=%" PRIu64 ": key rotated", name, epoch);
        a->status = 200;
        a->json = json_pack("{s:s, s:I, s:s}", "name", name, "epoch", (json_int_t)epoch,
                            "master", s->kms.cur.id);
    }
out:
    json_decref(j);
}

/* The cluster links' secrets (clusters.h) under the previous master, wrapped again under the
 * current one, one entry a link: 0 with *done and *others, or the code that stopped it. */
static int rewrap_links(struct mgr_server *s, size_t *done, size_t *others)
{
    mgr_cmd_t cmd;
    int rc;

    *done = 0;
    /* as for the keys: an applied entry moves its link off the previous master */
    while ((rc = mgr_clusters_rewrap_cmd(s->st, &s->kms, &cmd, others)) == 0 &&
           cmd.kind != MGR_CMD_NONE) {
        rc = mgr_fsm_propose_wait(s->fsm, &cmd, NULL);
        mgr_cmd_dispose(&cmd);
        if (rc != 0)
            return rc;
        ++*done;
    }
    return rc;
}

void mgr_h_kms_rewrap(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    size_t done = 0, others = 0, links = 0, link_others = 0;
    mgr_cmd_t cmd;
    int rc;

    /* each entry takes what is still under the previous master, so this ends: an applied
     * entry moves its epochs off it, a refused one stops the loop */
    while ((rc = mgr_kms_rewrap_cmd(s->st, &s->kms, &cmd, &others)) == 0 && cmd.nwraps > 0) {
        size_t n = cmd.nwraps;

        rc = mgr_fsm_propose_wait(s->fsm, &cmd, NULL);
        mgr_cmd_dispose(&cmd);
        if (rc != 0)
            break;
        done += n;
    }
    if (rc == 0)
        mgr_cmd_dispose(&cmd);
    if (rc == 0)
        rc = rewrap_links(s, &links, &link_others);
    if (rc == CN_ECORRUPT) {
        mgr_fail(a, 500, "an epoch or a cluster link's secret that names the previous master "
                 "key does not unwrap with it (%zu epochs and %zu links rewrapped before it); "
                 "see the manager log", done, links);
    } else if (!kms_failed(a, rc)) {
        CN_LOG(CN_LOG_INFO, "master=%s previous=%s rewrapped=%zu others=%zu links=%zu "
               "link_others=%zu: keys rewrapped", s->kms.cur.id,
               s->kms.prev.set ? s->kms.prev.id : "none", done, others, links, link_others);
        a->status = 200;
        a->json = json_pack("{s:I, s:I, s:I, s:I, s:s, s:o}", "rewrapped", (json_int_t)done,
                            "others", (json_int_t)others, "links_rewrapped", (json_int_t)links,
                            "links_others", (json_int_t)link_others, "master", s->kms.cur.id,
                            "previous", id_or_null(&s->kms.prev));
    }
    mgr_audit(a, "rewrapped", a->status == 200 ? "yes" : "no");
}
