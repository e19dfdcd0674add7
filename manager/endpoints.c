/*
 * manager/endpoints.c: virtual-host endpoint records (see endpoints.h).
 */
#include "manager/endpoints.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

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

int mgr_endpoints_add(mgr_state_t *st, const char *name)
{
    char dom[MGR_ENDPOINT_MAX + 1], key[MGR_ENDPOINT_MAX + 8], *v;
    mgr_batch_t *b;
    json_t *j;
    int rc;

    if (!mgr_endpoint_valid(name))
        return CN_EINVAL;
    lower(name, dom);
    snprintf(key, sizeof(key), "e/%s", dom);
    if ((rc = mgr_state_get(st, key, &v, NULL)) != CN_ENOENT) {
        if (rc == 0)
            cn_free(v);
        return rc == 0 ? CN_EEXIST : rc;
    }
    j = json_pack("{s:s, s:I}", "endpoint", dom, "created_ms", (json_int_t)cn_now_ms());
    b = mgr_batch_new();
    mgr_batch_put_json(b, key, j);
    mgr_batch_bump(b, st, MGR_VER_ENDPOINTS);
    json_decref(j);
    return mgr_batch_commit(st, b);
}

int mgr_endpoints_delete(mgr_state_t *st, const char *name)
{
    char dom[MGR_ENDPOINT_MAX + 1], key[MGR_ENDPOINT_MAX + 8], *v;
    mgr_batch_t *b;
    int rc;

    if (!mgr_endpoint_valid(name))
        return CN_ENOENT;
    lower(name, dom);
    snprintf(key, sizeof(key), "e/%s", dom);
    if ((rc = mgr_state_get(st, key, &v, NULL)) != 0)
        return rc;
    cn_free(v);
    b = mgr_batch_new();
    mgr_batch_del(b, key);
    mgr_batch_bump(b, st, MGR_VER_ENDPOINTS);
    return mgr_batch_commit(st, b);
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
