/*
 * manager/admin_clusters.c: links to other clusters on the admin API (issue 22, state only;
 * docs/ADMIN_API.md "Cluster links"; clusters.h):
 *   GET    /v1/clusters        this cluster's id and every link (never a secret)
 *   GET    /v1/clusters/ID     one link
 * A link's sender figures (lag_objects, lag_seconds, queue_bytes, last_error, last_ok,
 * last_ok_ms, needs_recover, nodes_reporting) are the live ones this manager's storage nodes
 * report in their heartbeats (clusters.h, mgr_clusters_live), not the record's zeros.
 *   POST   /v1/clusters        {"id": REMOTE_ID, "managers": ["HOST:PORT", ...],
 *                               "secret": "64 hex digits", "ca": "PEM"?}: a new link
 *   DELETE /v1/clusters/ID     the link becomes "removing"; the leader drops it
 *   POST   /v1/clusters/ID/recover {"bucket": NAME?}: starts recover-cluster toward the
 *                              linked cluster ID (xdc_recover.h); 202, 409 while one runs
 *   GET    /v1/clusters/ID/recover  its figures (404: none ran on this manager)
 * Handlers run with s->lock held (admin_int.h); each change is a command entry built by
 * clusters.c with the secret already wrapped under the master key, proposed here with
 * mgr_fsm_propose_wait (the lock is free while it commits). The secret is in the request's
 * body only: it is never logged, audited or answered, and the local copy is wiped.
 */
#include "manager/admin_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "manager/clusters.h"
#include "manager/buckets.h"
#include "manager/cmd.h"
#include "manager/xdc_recover.h"
#include "manager/xdc_sync.h"

/* The body's "managers" (an array of "HOST:PORT" strings) joined with commas into out, or
 * 0 after answering 400. */
static int managers_of(const json_t *j, char *out, size_t outlen, struct mgr_answer *a)
{
    const json_t *arr = json_object_get(j, "managers"), *v;
    size_t i, off = 0;

    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        mgr_fail(a, 400, "send \"managers\": [\"HOST:PORT\", ...], the remote managers' RPC "
                 "addresses");
        return 0;
    }
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        int n = s != NULL ? snprintf(out + off, outlen - off, "%s%s", i ? "," : "", s) : -1;

        if (s == NULL || strchr(s, ',') != NULL) {
            mgr_fail(a, 400, "managers: item %zu is not one \"HOST:PORT\" string", i);
            return 0;
        }
        if (n < 0 || (size_t)n >= outlen - off) {
            mgr_fail(a, 400, "managers: longer than %d characters together",
                     MGR_CLUSTER_MANAGERS_LEN);
            return 0;
        }
        off += (size_t)n;
    }
    return 1;
}

/* The answer of a code clusters.c gave with its reason. */
static void join_failed(struct mgr_answer *a, int rc, const char *why)
{
    switch (rc) {
    case CN_EINVAL: mgr_fail(a, 400, "%s", why); break;
    case CN_EEXIST:
    case CN_ENOSPC: mgr_fail(a, 409, "%s", why); break;
    case CN_ENOTSUP: mgr_fail(a, 501, "%s", why); break;
    case CN_EAGAIN: mgr_fail(a, 503, "%s", why); break;
    default:
        mgr_fail(a, 500, "could not link the cluster (%s); see the manager log",
                 cn_strerror(rc));
    }
}

void mgr_h_clusters(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char id[MGR_CLUSTER_ID_LEN + 1];
    json_t *links, *l;
    size_t i;
    int rc;

    if ((links = mgr_clusters_list_json(s->st, &rc)) == NULL) {
        mgr_fail(a, 500, "could not read the cluster links (%s); see the manager log",
                 cn_strerror(rc));
        return;
    }
    json_array_foreach(links, i, l)
        mgr_clusters_live(l, &s->members);
    rc = mgr_clusters_id(s->st, id);
    a->status = 200;
    /* users and buckets made in two clusters at once: which one lost (xdc_sync.h) */
    a->json = json_pack("{s:o, s:i, s:o, s:o}", "cluster_id",
                        rc == 0 ? json_string(id) : json_null(), "max_links",
                        MGR_CLUSTER_LINKS_MAX, "links", links, "conflicts",
                        s->xsync != NULL ? mgr_xdc_sync_conflicts_json(s->xsync) : json_array());
}

void mgr_h_cluster(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *id = r->param[0];
    int rc;

    if (!mgr_clusters_id_valid(id)) {
        mgr_fail(a, 400, "'%.40s' is not a cluster id (16 lower-case hex digits)", id);
        return;
    }
    if ((a->json = mgr_clusters_link_json(s->st, id, &rc)) == NULL) {
        if (rc == CN_ENOENT)
            mgr_fail(a, 404, "no link to cluster %s (see cluster-status)", id);
        else
            mgr_fail(a, 500, "could not read the link to cluster %s (%s); see the manager log",
                     id, cn_strerror(rc));
        return;
    }
    mgr_clusters_live(a->json, &s->members);
    a->status = 200;
}

/* After a link change is applied: waits (the lock released meanwhile) until every running
 * storage node holds the new links (its heartbeat's links_sum is the state's), so that every
 * write acked after join-cluster returns is journaled for the remote, and none after
 * remove-cluster returns is sent to it; at most MGR_LINKS_WAIT_MS. Adds "nodes_pending" (the
 * names of those that did not yet) to the answer j. Lock held. */
#define MGR_LINKS_WAIT_MS 15000

static void wait_nodes_hold_links(struct mgr_server *s, json_t *j)
{
    uint64_t deadline = cn_mono_ms() + MGR_LINKS_WAIT_MS;
    json_t *pending;

    for (;;) {
        uint64_t want = mgr_clusters_sum(s->st);

        pending = json_array();
        for (size_t i = 0; i < s->members.n; i++) {
            const mgr_member_t *m = &s->members.v[i];

            if (strcmp(m->type, CN_NODE_STORAGE) == 0 &&
                strcmp(m->state, MGR_STATE_RUNNING) == 0 && m->links_sum != want)
                json_array_append_new(pending, json_string(m->name));
        }
        if (json_array_size(pending) == 0 || cn_mono_ms() >= deadline)
            break;
        json_decref(pending);
        pthread_mutex_unlock(&s->lock);
        usleep(100 * 1000);
        pthread_mutex_lock(&s->lock);
    }
    if (json_array_size(pending) > 0)
        CN_LOG(CN_LOG_WARN, "links: %zu running storage nodes do not hold the new links after "
               "%d s (they fetch them at their next heartbeat)", json_array_size(pending),
               MGR_LINKS_WAIT_MS / 1000);
    if (j != NULL)
        json_object_set_new(j, "nodes_pending", pending);
    else
        json_decref(pending);
}

void mgr_h_cluster_join(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char managers[MGR_CLUSTER_MANAGERS_LEN + 1], why[512];
    uint8_t secret[MGR_CLUSTER_SECRET_LEN];
    struct mgr_cluster_join jn = {0};
    const char *hex;
    const json_t *ca;
    mgr_cmd_t cmd;
    json_t *j;
    int rc;

    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    jn.id = json_string_value(json_object_get(j, "id"));
    mgr_audit(a, "cluster", jn.id);
    hex = json_string_value(json_object_get(j, "secret"));
    ca = json_object_get(j, "ca");
    if (!managers_of(j, managers, sizeof(managers), a))
        goto out;
    if (hex == NULL || strlen(hex) != 2 * MGR_CLUSTER_SECRET_LEN ||
        cn_unhex(hex, MGR_CLUSTER_SECRET_LEN, secret) != 0) {
        mgr_fail(a, 400, "send \"secret\": %d hex digits, the %d bytes both clusters share "
                 "(the same --secret-file on both sides)", 2 * MGR_CLUSTER_SECRET_LEN,
                 MGR_CLUSTER_SECRET_LEN);
        goto out;
    }
    if (ca != NULL && !json_is_null(ca) && !json_is_string(ca)) {
        mgr_fail(a, 400, "\"ca\" is the remote's CA certificate as PEM text, or absent");
        goto out;
    }
    jn.managers = managers;
    jn.secret = secret;
    if (json_is_string(ca)) {
        jn.ca = json_string_value(ca);
        jn.ca_len = json_string_length(ca);
    }
    if ((rc = mgr_clusters_join_cmd(s->st, &s->kms, &jn, cn_now_ms(), &cmd, why,
                                    sizeof(why))) == 0) {
        rc = mgr_fsm_propose_wait(s->fsm, &cmd, NULL); /* the lock was free: read again */
        mgr_cmd_dispose(&cmd);
        if (rc != 0)
            snprintf(why, sizeof(why), "cluster %s: %s", jn.id,
                     rc == CN_EEXIST ? "linked meanwhile by another request"
                     : rc == CN_ENOSPC ? "another link took the last place meanwhile"
                                       : "refused by the state; see cluster-status");
    }
    if (rc != 0) {
        join_failed(a, rc, why);
        goto out;
    }
    CN_LOG(CN_LOG_INFO, "cluster=%s managers=%s master=%s ca=%s: cluster linked", jn.id,
           managers, s->kms.cur.id, jn.ca != NULL ? "yes" : "no");
    if ((a->json = mgr_clusters_link_json(s->st, jn.id, &rc)) == NULL) {
        mgr_fail(a, 500, "linked, but the link does not read back (%s)", cn_strerror(rc));
        goto out;
    }
    wait_nodes_hold_links(s, a->json);
    a->status = 201;
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    json_decref(j);
}

void mgr_h_cluster_remove(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *id = r->param[0];
    mgr_cluster_link_t l;
    mgr_cmd_t cmd;
    int rc;

    mgr_audit(a, "cluster", id);
    if (!mgr_clusters_id_valid(id)) {
        mgr_fail(a, 400, "'%.40s' is not a cluster id (16 lower-case hex digits)", id);
        return;
    }
    if ((rc = mgr_clusters_get(s->st, id, &l)) == CN_ENOENT) {
        mgr_fail(a, 404, "no link to cluster %s (see cluster-status)", id);
        return;
    }
    if (rc == 0 && strcmp(l.state, MGR_LINK_LINKED) == 0) {
        mgr_clusters_state_cmd(&cmd, id, MGR_LINK_LINKED, MGR_LINK_REMOVING);
        rc = mgr_fsm_propose_wait(s->fsm, &cmd, NULL);
        mgr_cmd_dispose(&cmd);
        if (rc == CN_EBUSY) /* another remove came first: it is removing */
            rc = 0;
        else if (rc == CN_ENOENT) {
            mgr_fail(a, 404, "no link to cluster %s (removed meanwhile)", id);
            return;
        }
    }
    if (rc != 0) {
        mgr_fail(a, 500, "could not remove the link to cluster %s (%s); see the manager log",
                 id, cn_strerror(rc));
        return;
    }
    CN_LOG(CN_LOG_INFO, "cluster=%s: link removing", id);
    a->status = 200;
    a->json = json_pack("{s:s, s:s}", "id", id, "state", MGR_LINK_REMOVING);
    wait_nodes_hold_links(s, a->json);
}

void mgr_h_cluster_recover(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *id = r->param[0], *bucket = NULL;
    mgr_cluster_link_t l;
    mgr_bucket_t b;
    char why[512];
    json_t *j = NULL;
    int rc;

    mgr_audit(a, "cluster", id);
    if (!mgr_clusters_id_valid(id)) {
        mgr_fail(a, 400, "'%.40s' is not a cluster id (16 lower-case hex digits)", id);
        return;
    }
    if (r->body_len > 0) {
        if ((j = mgr_body_json(r, a)) == NULL)
            return;
        bucket = json_string_value(json_object_get(j, "bucket"));
        if (json_object_get(j, "bucket") != NULL && !json_is_null(json_object_get(j, "bucket")) &&
            bucket == NULL) {
            mgr_fail(a, 400, "\"bucket\" is a bucket name, or absent for every bucket");
            goto out;
        }
    }
    if ((rc = mgr_clusters_get(s->st, id, &l)) != 0 || strcmp(l.state, MGR_LINK_LINKED) != 0) {
        mgr_fail(a, 404, "no linked cluster %s (see cluster-status)", id);
        goto out;
    }
    if (bucket != NULL && bucket[0] != '\0') {
        mgr_audit(a, "bucket", bucket);
        if (mgr_buckets_get(s->st, bucket, &b) != 0) {
            mgr_fail(a, 404, "no bucket named '%.80s'", bucket);
            goto out;
        }
    }
    if ((rc = mgr_xdc_recover_start(s, id, bucket, why, sizeof(why))) != 0) {
        mgr_fail(a, rc == CN_EBUSY ? 409 : 500, "%s", why);
        goto out;
    }
    a->status = 202;
    a->json = mgr_xdc_recover_json(s, id);
out:
    json_decref(j);
}

void mgr_h_cluster_recover_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    if ((a->json = mgr_xdc_recover_json(s, r->param[0])) == NULL) {
        mgr_fail(a, 404, "no recover-cluster toward %.40s ran on this manager since it started "
                 "(or since another one was started)", r->param[0]);
        return;
    }
    a->status = 200;
}
