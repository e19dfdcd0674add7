/*
 * manager/endpoints.c: virtual-host endpoint records (see endpoints.h). The proposers lower
 * the domain and choose the creation time; mgr__endpoints_apply writes the record.
 */
#include "manager/endpoints.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/cmd.h"
#include "manager/fsm.h"

int mgr_endpoint_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0, label = 0;

    if (n < 1 || n > MGR_ENDPOINT_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];

        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || name[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-')
            return 0;
        if (label == 0 && c == '-')
            return 0;
        label++;
    }
    return 1;
}

static void lower(const char *in, char out[MGR_ENDPOINT_MAX + 1])
{
    size_t i = 0;

    for (; in[i] && i < MGR_ENDPOINT_MAX; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

/* 0 when e/<dom> exists, CN_ENOENT, CN_EIO. */
static int exists(mgr_state_t *st, const char *key)
{
    char *v;
    int rc = mgr_state_get(st, key, &v, NULL);

    if (rc == 0)
        cn_free(v);
    return rc;
}

/* Checks name, lowers it into c.endpoint and proposes kind; want is what e/<domain> must
 * answer first (0: it exists, CN_ENOENT: it does not). */
static int propose(mgr_fsm_t *f, enum mgr_cmd_kind kind, const char *name, int want)
{
    char key[MGR_ENDPOINT_MAX + 8];
    mgr_cmd_t c;
    int rc;

    mgr_cmd_init(&c, kind);
    lower(name, c.endpoint);
    snprintf(key, sizeof(key), "e/%s", c.endpoint);
    if ((rc = exists(mgr_fsm_state(f), key)) != want)
        return rc == 0 ? CN_EEXIST : rc;
    c.created_ms = cn_now_ms();
    rc = mgr_fsm_propose_wait(f, &c, NULL);
    mgr_cmd_dispose(&c);
    return rc;
}

int mgr_endpoints_add(mgr_fsm_t *f, const char *name)
{
    if (!mgr_endpoint_valid(name))
        return CN_EINVAL;
    return propose(f, MGR_CMD_ENDPOINT_ADD, name, CN_ENOENT);
}

int mgr_endpoints_delete(mgr_fsm_t *f, const char *name)
{
    if (!mgr_endpoint_valid(name))
        return CN_ENOENT;
    return propose(f, MGR_CMD_ENDPOINT_DELETE, name, 0);
}

int mgr__endpoints_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char dom[MGR_ENDPOINT_MAX + 1], key[MGR_ENDPOINT_MAX + 8];
    json_t *j;
    int rc;

    if (!mgr_endpoint_valid(c->endpoint))
        return CN_EINVAL;
    lower(c->endpoint, dom);
    if (strcmp(dom, c->endpoint) != 0)
        return CN_EINVAL; /* proposers lower it */
    snprintf(key, sizeof(key), "e/%s", dom);
    rc = exists(st, key);
    if (c->kind == MGR_CMD_ENDPOINT_ADD) {
        if (rc != CN_ENOENT)
            return rc == 0 ? CN_EEXIST : rc;
        j = json_pack("{s:s, s:I}", "endpoint", dom, "created_ms", (json_int_t)c->created_ms);
        mgr_batch_put_json(b, key, j);
        json_decref(j);
    } else if (rc != 0) {
        return rc;
    } else {
        mgr_batch_del(b, key);
    }
    mgr_batch_bump(b, st, MGR_VER_ENDPOINTS);
    return 0;
}

struct scan_ctx {
    json_t *arr;
    int admin;
};

static int visit(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct scan_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    const char *dom = json_string_value(json_object_get(j, "endpoint"));
    char when[32];

    if (dom == NULL) {
        CN_LOG(CN_LOG_WARN, "key=%.*s: unreadable endpoint record skipped", (int)klen, key);
    } else if (c->admin) {
        cn_fmt_iso8601_ms((uint64_t)json_integer_value(json_object_get(j, "created_ms")), when,
                          sizeof(when));
        json_array_append_new(c->arr,
                              json_pack("{s:s, s:s}", "endpoint", dom, "created", when));
    } else {
        json_array_append_new(c->arr, json_string(dom));
    }
    json_decref(j);
    return 0;
}

json_t *mgr_endpoints_json(mgr_state_t *st, int admin)
{
    struct scan_ctx c = {json_array(), admin};

    mgr_state_scan(st, "e/", visit, &c);
    return c.arr;
}
