/*
 * common/wcond.c: conditional writes' conditions on the wire and their evaluation (wcond.h).
 */
#include "common/wcond.h"

#include <string.h>

#include "common/err.h"

int cn_wcond_any(const cn_wcond_t *c)
{
    return c->if_none_match || c->has_if_match || c->has_if_size || c->has_if_mtime;
}

void cn_wcond_to_msg(const cn_wcond_t *c, cn_msg_t *m)
{
    if (!cn_wcond_any(c))
        return;
    cn_msg_set_u64(m, "cond", 1);
    if (c->if_none_match)
        cn_msg_set_u64(m, "if_none_match", 1);
    if (c->has_if_match)
        cn_msg_set_str(m, "if_match", c->if_match);
    if (c->has_if_size)
        cn_msg_set_u64(m, "if_size", c->if_size);
    if (c->has_if_mtime)
        cn_msg_set_u64(m, "if_mtime_s", c->if_mtime_s);
    if (c->conflict_after_ms)
        cn_msg_set_u64(m, "conflict_after_ms", c->conflict_after_ms);
    if (c->group)
        cn_msg_set_u64(m, "cond_group", 1);
}

/* An optional u64 field: 0 absent, 1 present, CN_EINVAL of another type. */
static int opt_u64(const cn_msg_t *m, const char *name, uint64_t *out)
{
    cn_slice_t b;

    if (cn_msg_get_u64(m, name, out) == 0)
        return 1;
    return cn_msg_get_bytes(m, name, &b) == 0 ? CN_EINVAL : 0;
}

int cn_wcond_from_msg(const cn_msg_t *m, cn_wcond_t *out)
{
    uint64_t v = 0;
    cn_slice_t b;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = opt_u64(m, "if_none_match", &v)) < 0)
        return rc;
    out->if_none_match = rc == 1 && v != 0;
    if (cn_msg_get_bytes(m, "if_match", &b) == 0) {
        if (b.len == 0 || b.len >= sizeof(out->if_match) || memchr(b.ptr, '\0', b.len) != NULL)
            return CN_EINVAL;
        memcpy(out->if_match, b.ptr, b.len);
        out->has_if_match = 1;
    } else if (cn_msg_get_u64(m, "if_match", &v) == 0) {
        return CN_EINVAL;
    }
    if ((rc = opt_u64(m, "if_size", &out->if_size)) < 0)
        return rc;
    out->has_if_size = rc;
    if ((rc = opt_u64(m, "if_mtime_s", &out->if_mtime_s)) < 0)
        return rc;
    out->has_if_mtime = rc;
    if ((rc = opt_u64(m, "conflict_after_ms", &out->conflict_after_ms)) < 0)
        return rc;
    if ((rc = opt_u64(m, "cond_group", &v)) < 0)
        return rc;
    out->group = rc == 1 && v != 0;
    if (out->if_none_match && out->has_if_match)
        return CN_EINVAL;
    return 0;
}

int cn_wcond_eval(const cn_wcond_t *c, const cn_wcond_cur_t *cur, int *missing)
{
    int fail = 0;

    *missing = 0;
    if (c->if_none_match && cur->exists)
        fail = 1;
    if (c->has_if_match) {
        if (!cur->exists) {
            *missing = 1;
            return CN_ECOND; /* nothing there to conflict with */
        }
        if (strcmp(c->if_match, "*") != 0 && strcmp(c->if_match, cur->etag ? cur->etag : "") != 0)
            fail = 1;
    }
    if (cur->exists && c->has_if_size && cur->size != c->if_size)
        fail = 1;
    if (cur->exists && c->has_if_mtime && cur->mtime_ms / 1000 != c->if_mtime_s)
        fail = 1;
    if (!fail)
        return 0;
    if (c->conflict_after_ms != 0 && cur->exists && cur->mtime_ms >= c->conflict_after_ms)
        return CN_ECONFLICT;
    return CN_ECOND;
}
