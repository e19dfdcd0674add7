/*
 * common/mgr_client.c: calls to the manager group with failover and leader following (see
 * mgr_client.h). The choice of the manager is common/mgr_addrs.c's; this file sends, keeps a
 * copy of each request for a resend, and logs each change of manager once.
 *
 * One cn_rpc_client per address, made when the address is first called (the configured ones
 * at create, which checks them) and kept: switching managers never cancels calls in flight
 * on the previous one, and entries of the address list are never removed, so cli[i] always
 * belongs to addrs.a[i].
 *
 * Lifetime: mc->refs = 1 for the user (dropped by destroy) + 1 per call not yet delivered.
 * After destroy no call is sent again: a completion is delivered as it is (cancelled calls
 * with CN_ECANCELED). Threads: the loop's only.
 */
#include "common/mgr_client.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

#define MC_MAGIC 0x6d67636cu   /* "mgcl" */
#define MCALL_MAGIC 0x6d67636bu /* "mgck" */
#define MAX_SENDS (2 * CN_MGR_ADDRS_MAX) /* resends of one call, whatever the answers say */

struct cn_mgr_client {
    uint32_t magic;
    uv_loop_t *loop;
    char *secret;
    char *name;
    cn_mgr_addrs_t addrs;
    cn_rpc_client_t *cli[CN_MGR_ADDRS_MAX];
    int bad[CN_MGR_ADDRS_MAX];  /* a learned address that cannot be dialed (logged once) */
    int refs;
    int destroyed;
    int outage;                 /* every address failed in a row; no answer since */
};

struct mcall {
    uint32_t magic;
    cn_mgr_client_t *mc;
    cn_msg_t *req;              /* the request as the caller made it, for a resend */
    size_t idx;                 /* the address of the last send */
    uint64_t timeout_ms;
    unsigned sends;
    cn_rpc_done_fn cb;
    void *arg;
};

static int dialable(const char *host, int port)
{
    struct sockaddr_storage ss;

    return strcmp(host, "localhost") == 0 ||
           uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0 ||
           uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0;
}

int cn_mgr_client_check(const cn_mgr_addrs_t *addrs, char *err, size_t errlen)
{
    for (size_t i = 0; i < addrs->n; i++)
        if (!dialable(addrs->a[i].host, addrs->a[i].port)) {
            snprintf(err, errlen, "'%s': not an IP address (names are not resolved)",
                     addrs->a[i].str);
            return CN_EINVAL;
        }
    if (addrs->n == 0) {
        snprintf(err, errlen, "no address");
        return CN_EINVAL;
    }
    return 0;
}

static void mc_unref(cn_mgr_client_t *mc)
{
    CN_CHECK_OBJ(mc, MC_MAGIC);
    if (--mc->refs > 0)
        return;
    cn_free(mc->secret);
    cn_free(mc->name);
    mc->magic = 0;
    cn_free(mc);
}

/* The RPC client of address i, made on first use; NULL when i cannot be dialed. */
static cn_rpc_client_t *client_of(cn_mgr_client_t *mc, size_t i)
{
    const cn_mgr_addr_t *a = &mc->addrs.a[i];

    if (mc->cli[i] == NULL && !mc->bad[i] &&
        cn_rpc_client_create(mc->loop, a->host, a->port, mc->secret, mc->name, &mc->cli[i]) !=
            0) {
        CN_LOG(CN_LOG_WARN, "manager=%s: not an IP address (names are not resolved); skipped",
               a->str);
        mc->bad[i] = 1;
    }
    return mc->cli[i];
}

int cn_mgr_client_create(uv_loop_t *loop, const cn_mgr_addrs_t *addrs, const char *secret,
                         const char *self_name, cn_mgr_client_t **out)
{
    cn_mgr_client_t *mc;
    char why[CN_MGR_ADDR_MAX + 64];

    *out = NULL;
    if (cn_mgr_client_check(addrs, why, sizeof(why)) != 0 || secret == NULL)
        return CN_EINVAL;
    mc = cn_calloc(1, sizeof(*mc));
    mc->magic = MC_MAGIC;
    mc->loop = loop;
    mc->secret = cn_strdup(secret);
    mc->name = cn_strdup(self_name ? self_name : "");
    mc->addrs = *addrs;
    mc->refs = 1;
    for (size_t i = 0; i < mc->addrs.n; i++)
        if (client_of(mc, i) == NULL) { /* checked above: cannot happen but for memory */
            cn_mgr_client_destroy(mc);
            return CN_EINVAL;
        }
    *out = mc;
    return 0;
}

static void on_done(int status, cn_msg_t *resp, void *arg);

/* Sends a copy of k's request to the current manager (skipping addresses that cannot be
 * dialed: the configured ones always can, so this ends). */
static void send_call(struct mcall *k)
{
    cn_mgr_client_t *mc = k->mc;
    cn_rpc_client_t *c;

    for (size_t tries = 0; (c = client_of(mc, mc->addrs.cur)) == NULL; tries++) {
        CN_ASSERT(tries <= mc->addrs.n);
        (void)cn_mgr_addrs_failed(&mc->addrs, mc->addrs.cur);
    }
    k->idx = mc->addrs.cur;
    k->sends++;
    cn_rpc_call(c, cn_msg_dup(k->req), k->timeout_ms, on_done, k);
}

void cn_mgr_client_call(cn_mgr_client_t *mc, cn_msg_t *req, uint64_t timeout_ms,
                        cn_rpc_done_fn cb, void *arg)
{
    struct mcall *k = cn_calloc(1, sizeof(*k));

    CN_CHECK_OBJ(mc, MC_MAGIC);
    CN_ASSERT(cb != NULL);
    CN_ASSERT(!mc->destroyed); /* not even from a cancelled call's callback */
    k->magic = MCALL_MAGIC;
    k->mc = mc;
    k->req = req;
    k->timeout_ms = timeout_ms;
    k->cb = cb;
    k->arg = arg;
    mc->refs++;
    send_call(k);
}

static void deliver(struct mcall *k, int status, cn_msg_t *resp)
{
    cn_mgr_client_t *mc = k->mc;

    k->cb(status, resp, k->arg);
    cn_msg_free(k->req);
    k->magic = 0;
    cn_free(k);
    mc_unref(mc);
}

/* A reply other than "not the leader" from the current manager: it ends an outage, and its
 * "managers" field (when present) may name managers this client did not know. */
static void note_answer(cn_mgr_client_t *mc, size_t idx, const cn_msg_t *resp)
{
    char list[2048], all[2048];

    if (idx != mc->addrs.cur)
        return;
    (void)cn_mgr_addrs_answered(&mc->addrs, idx);
    if (mc->outage)
        CN_LOG(CN_LOG_INFO, "manager=%s: answers again", mc->addrs.a[idx].str);
    mc->outage = 0;
    if (cn_msg_get_str(resp, "managers", list, sizeof(list)) == 0 &&
        cn_mgr_addrs_learn(&mc->addrs, list) > 0) {
        cn_mgr_addrs_join(&mc->addrs, all, sizeof(all));
        CN_LOG(CN_LOG_INFO, "manager=%s: learned the managers' addresses; now %s",
               mc->addrs.a[idx].str, all);
    }
}

/* "Not the leader": returns 1 when the call was sent again to the leader. */
static int follow_leader(struct mcall *k, const cn_msg_t *resp)
{
    cn_mgr_client_t *mc = k->mc;
    char leader[CN_MGR_ADDR_MAX];
    enum cn_mgr_step step;

    if (cn_msg_get_str(resp, "leader", leader, sizeof(leader)) != 0)
        leader[0] = '\0';
    step = cn_mgr_addrs_not_leader(&mc->addrs, k->idx, leader);
    if (step == CN_MGR_STAY)
        return 0;
    CN_LOG(step == CN_MGR_NOW ? CN_LOG_INFO : CN_LOG_WARN,
           "manager=%s: not the leader (leader=%s); next manager=%s%s", mc->addrs.a[k->idx].str,
           leader[0] ? leader : "unknown", mc->addrs.a[mc->addrs.cur].str,
           step == CN_MGR_NOW ? "" : " at the next retry");
    if (step != CN_MGR_NOW || k->sends >= MAX_SENDS)
        return 0;
    send_call(k);
    return 1;
}

/* No answer: returns 1 when the call was sent again to the next manager. */
static int fail_over(struct mcall *k, int status)
{
    cn_mgr_client_t *mc = k->mc;
    enum cn_mgr_step step = cn_mgr_addrs_failed(&mc->addrs, k->idx);

    if (step == CN_MGR_STAY)
        return 0;
    if (step == CN_MGR_LATER) {
        mc->outage = 1; /* the caller logs its own retries; changes are not logged meanwhile */
        return 0;
    }
    if (!mc->outage)
        CN_LOG(CN_LOG_INFO, "manager=%s rc=%s: next manager=%s%s", mc->addrs.a[k->idx].str,
               cn_strerror(status), mc->addrs.a[mc->addrs.cur].str,
               status == CN_ECONNREFUSED ? "" : " at the next retry");
    /* refused: nothing was sent, so sending again cannot run the call twice */
    if (status != CN_ECONNREFUSED || k->sends >= MAX_SENDS)
        return 0;
    send_call(k);
    return 1;
}

static void on_done(int status, cn_msg_t *resp, void *arg)
{
    struct mcall *k = arg;
    cn_mgr_client_t *mc = k->mc;

    CN_CHECK_OBJ(k, MCALL_MAGIC);
    CN_CHECK_OBJ(mc, MC_MAGIC);
    if (mc->destroyed || status == CN_ECANCELED) {
        deliver(k, status, resp);
        return;
    }
    if (status == 0 && cn_msg_rc(resp) == CN_ENOTLEADER) {
        if (follow_leader(k, resp)) {
            cn_msg_free(resp);
            return;
        }
    } else if (status == 0) {
        note_answer(mc, k->idx, resp);
    } else if (fail_over(k, status)) {
        return;
    }
    deliver(k, status, resp);
}

const char *cn_mgr_client_current(const cn_mgr_client_t *mc)
{
    CN_CHECK_OBJ(mc, MC_MAGIC);
    return cn_mgr_addrs_cur(&mc->addrs)->str;
}

void cn_mgr_client_addrs(const cn_mgr_client_t *mc, char *out, size_t outlen)
{
    CN_CHECK_OBJ(mc, MC_MAGIC);
    cn_mgr_addrs_join(&mc->addrs, out, outlen);
}

void cn_mgr_client_destroy(cn_mgr_client_t *mc)
{
    if (mc == NULL)
        return;
    CN_CHECK_OBJ(mc, MC_MAGIC);
    if (mc->destroyed)
        return;
    mc->destroyed = 1;
    mc->refs++; /* cancellations below deliver calls, which drop their references */
    for (size_t i = 0; i < CN_MGR_ADDRS_MAX; i++) {
        cn_rpc_client_destroy(mc->cli[i]);
        mc->cli[i] = NULL;
    }
    mc_unref(mc);
    mc_unref(mc); /* the user's reference */
}
