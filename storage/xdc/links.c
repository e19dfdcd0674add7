/*
 * storage/xdc/links.c: the links as the manager's get_links tells them (storage/xdc/xdc.h),
 * the journal decision, and the heartbeat's xdc fields.
 *
 * A load replaces the table whole: a link that is no longer listed (or whose secret did not
 * unwrap on the manager: "secret" empty) is marked gone and freed once its sender has nothing
 * in flight; one listed again keeps its sender and cursor, with its managers, secret and CA
 * brought up to date. Hostile input: the body comes from this cluster's manager over the
 * authenticated RPC, but is still checked field by field (sizes, hex, ids); a bad one leaves
 * the table as it was.
 */
#include "storage/xdc/xdc_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "storage/buckets.h"
#include "storage/storage.h"

#define XDC_LINK_MAGIC 0x58444c4bu /* "XDLK" */
#define XDC_CA_MAX (32u << 10)

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

static int id_valid(const char *id)
{
    return id != NULL && strlen(id) == STOR_XDC_ID_LEN && is_hex(id, STOR_XDC_ID_LEN);
}

xdc_link_t *xdc_link_find(struct stor_xdc *x, const char *id)
{
    for (size_t i = 0; i < x->nlinks; i++)
        if (!x->links[i]->gone && strcmp(x->links[i]->id, id) == 0)
            return x->links[i];
    return NULL;
}

void xdc_link_free(xdc_link_t *l)
{
    if (l == NULL)
        return;
    cn_free(l->ca_pem);
    memset(l->secret, 0, sizeof(l->secret));
    l->magic = 0;
    cn_free(l);
}

/* Splits "h:p,h:p" into l->managers; 0 or CN_EINVAL. */
static int parse_managers(xdc_link_t *l, const char *csv)
{
    const char *p = csv;

    l->nmanagers = 0;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);

        if (n == 0 || n >= XDC_ADDR_MAX || l->nmanagers == XDC_MANAGERS_MAX)
            return CN_EINVAL;
        memcpy(l->managers[l->nmanagers], p, n);
        l->managers[l->nmanagers++][n] = '\0';
        p += n + (e != NULL);
    }
    return l->nmanagers > 0 ? 0 : CN_EINVAL;
}

/* One listed link into out (a fresh table entry, not yet in the table). 0 or CN_ECORRUPT. */
static int parse_link(json_t *o, xdc_link_t *out)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *state = json_string_value(json_object_get(o, "state"));
    const char *mgrs = json_string_value(json_object_get(o, "managers"));
    const char *secret = json_string_value(json_object_get(o, "secret"));
    json_t *ca = json_object_get(o, "ca");

    if (!id_valid(id) || state == NULL || strlen(state) >= sizeof(out->state) ||
        mgrs == NULL || secret == NULL ||
        (secret[0] != '\0' && (strlen(secret) != STOR_XDC_SECRET_HEX ||
                               !is_hex(secret, STOR_XDC_SECRET_HEX))) ||
        parse_managers(out, mgrs) != 0 ||
        (ca != NULL && (!json_is_string(ca) || json_string_length(ca) > XDC_CA_MAX)))
        return CN_ECORRUPT;
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->state, sizeof(out->state), "%s", state);
    snprintf(out->secret, sizeof(out->secret), "%s", secret);
    out->ca_pem = ca != NULL && json_string_length(ca) > 0 ? cn_strdup(json_string_value(ca))
                                                          : NULL;
    return 0;
}

static int same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Brings the table entry cur to what the manager listed (nl); 1 when the sender must remake
 * its clients. */
static int link_update(xdc_link_t *cur, xdc_link_t *nl)
{
    int changed = strcmp(cur->secret, nl->secret) != 0 || !same_str(cur->ca_pem, nl->ca_pem) ||
                  cur->nmanagers != nl->nmanagers ||
                  memcmp(cur->managers, nl->managers, sizeof(cur->managers)) != 0;

    memcpy(cur->secret, nl->secret, sizeof(cur->secret));
    memcpy(cur->state, nl->state, sizeof(cur->state));
    memcpy(cur->managers, nl->managers, sizeof(cur->managers));
    cur->nmanagers = nl->nmanagers;
    cur->mgr_next = 0;
    cn_free(cur->ca_pem);
    cur->ca_pem = nl->ca_pem;
    nl->ca_pem = NULL;
    return changed;
}

int stor_xdc_links_load(struct stor_server *s, const char *json, size_t len)
{
    struct stor_xdc *x = s->xdc;
    json_error_t jerr;
    json_t *root, *arr, *o;
    const char *cid;
    xdc_link_t parsed[STOR_XDC_LINKS_MAX];
    size_t n = 0, i;
    json_int_t sum;
    int rc = 0, deferred = 0;

    if (x == NULL)
        return CN_EINVAL;
    root = json_loadb(json, len, 0, &jerr);
    arr = json_object_get(root, "links");
    cid = json_string_value(json_object_get(root, "cluster_id"));
    sum = json_integer_value(json_object_get(root, "sum"));
    if (root == NULL || !json_is_array(arr) || json_array_size(arr) > STOR_XDC_LINKS_MAX ||
        (cid != NULL && cid[0] != '\0' && !id_valid(cid))) {
        json_decref(root);
        return CN_ECORRUPT;
    }
    memset(parsed, 0, sizeof(parsed));
    json_array_foreach(arr, i, o) {
        if ((rc = parse_link(o, &parsed[n])) != 0)
            break;
        n++;
    }
    if (rc != 0) {
        for (i = 0; i < n; i++)
            cn_free(parsed[i].ca_pem);
        memset(parsed, 0, sizeof(parsed));
        json_decref(root);
        return CN_ECORRUPT;
    }
    snprintf(x->cluster_id, sizeof(x->cluster_id), "%s", cid ? cid : "");
    /* gone: listed no more. A link listed without a secret (the manager could not unwrap
     * it) stays as it was, paused with its cursor, and holds back the trim; the sum is not
     * taken, so the next heartbeat asks again. */
    for (i = 0; i < x->nlinks; i++) {
        xdc_link_t *l = x->links[i];
        int listed = 0;

        for (size_t k = 0; k < n; k++)
            listed |= strcmp(parsed[k].id, l->id) == 0;
        if (!listed && !l->gone) {
            CN_LOG(CN_LOG_INFO, "xdc link=%s: removed", l->id);
            l->gone = 1;
        }
    }
    for (size_t k = 0; k < n; k++) {
        xdc_link_t *l = xdc_link_find(x, parsed[k].id);

        if (parsed[k].secret[0] == '\0') {
            CN_LOG(CN_LOG_WARN, "xdc link=%s: the manager has no usable secret for it "
                   "(master key?): paused, asked again at the next heartbeat", parsed[k].id);
            deferred = 1;
        } else if (l != NULL) {
            if (link_update(l, &parsed[k]))
                xdc_sender_link_changed(l);
        } else if (x->nlinks < sizeof(x->links) / sizeof(x->links[0])) {
            l = cn_calloc(1, sizeof(*l));
            *l = parsed[k];
            parsed[k].ca_pem = NULL;
            l->magic = XDC_LINK_MAGIC;
            l->x = x;
            x->links[x->nlinks++] = l;
            CN_LOG(CN_LOG_INFO, "xdc link=%s: %s, managers %s", l->id, l->state, l->managers[0]);
            xdc_sender_link_changed(l);
        } else {
            CN_LOG(CN_LOG_WARN, "xdc link=%s: too many links draining, later", parsed[k].id);
            deferred = 1; /* the sum is not taken: the next heartbeat loads again */
        }
        cn_free(parsed[k].ca_pem);
    }
    x->linked = 0;
    for (i = 0; i < x->nlinks; i++)
        x->linked += !x->links[i]->gone && strcmp(x->links[i]->state, "linked") == 0;
    x->links_sum = deferred ? 0 : (uint64_t)sum;
    x->links_current = !deferred;
    memset(parsed, 0, sizeof(parsed));
    json_decref(root);
    return 0;
}

uint64_t stor_xdc_links_sum(const struct stor_server *s)
{
    return s->xdc != NULL ? s->xdc->links_sum : 0;
}

void stor_xdc_links_seen(struct stor_server *s, uint64_t sum)
{
    if (s->xdc != NULL && sum == s->xdc->links_sum)
        s->xdc->links_current = 1;
}

int stor_xdc_journals(const struct stor_server *s, cn_slice_t key)
{
    const char *slash;
    const stor_bucket_t *b;

    if (s->xdc == NULL || key.len == 0 || (uint8_t)key.ptr[0] < 0x20)
        return 0;
    /* after a start, until the manager has said which links there are, every user key: a
     * change acked meanwhile must not miss a link this node does not know of yet */
    if (!s->xdc->links_current)
        return 1;
    if (s->xdc->linked == 0)
        return 0;
    slash = memchr(key.ptr, '/', key.len);
    if (slash == NULL)
        return 1;
    b = stor_buckets_find(&s->buckets, key.ptr, (size_t)(slash - key.ptr));
    return b == NULL || b->replication;
}

void stor_xdc_heartbeat_fields(struct stor_server *s, cn_msg_t *m)
{
    struct stor_xdc *x = s->xdc;
    json_t *stats;
    char *txt;

    if (x == NULL)
        return;
    cn_msg_set_str(m, "xdc_addr", x->addr);
    cn_msg_set_u64(m, "links_sum", x->links_sum); /* join-cluster waits for it */
    stats = json_object();
    for (size_t i = 0; i < x->nlinks; i++)
        if (!x->links[i]->gone)
            xdc_sender_stats_json(x->links[i], stats);
    txt = json_dumps(stats, JSON_COMPACT);
    cn_msg_set_str(m, "xdc_stats", txt ? txt : "{}");
    free(txt);
    json_decref(stats);
}
