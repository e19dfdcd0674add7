/*
 * gateway/s3/manifest.c: msgpack codecs for object metadata and chunk manifests (formats in
 * manifest.h). Decoders validate every type and length: bytes come from the cluster.
 */
#include "gateway/s3/manifest.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "common/acl.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/msgpack_check.h"

static char *dup_obj_str(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR)
        return cn_strndup(o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_BIN)
        return cn_strndup(o->via.bin.ptr, o->via.bin.size);
    return NULL;
}

void gw_meta_add(gw_meta_t *m, const char *name, size_t nlen, const char *value, size_t vlen)
{
    m->pairs = cn_realloc(m->pairs, (m->n + 1) * sizeof(*m->pairs));
    m->pairs[m->n].name = cn_strndup(name, nlen);
    for (char *c = m->pairs[m->n].name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    m->pairs[m->n].value = cn_strndup(value, vlen);
    m->n++;
}

void gw_meta_encode(const gw_meta_t *m, cn_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, cn_msgpack_buf_write);
    msgpack_pack_map(&pk, m->n);
    for (size_t i = 0; i < m->n; i++) {
        cn_msgpack_pack_str(&pk, m->pairs[i].name, strlen(m->pairs[i].name));
        cn_msgpack_pack_str(&pk, m->pairs[i].value, strlen(m->pairs[i].value));
    }
}

void gw_meta_dispose(gw_meta_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        cn_free(m->pairs[i].name);
        cn_free(m->pairs[i].value);
    }
    cn_free(m->pairs);
    m->pairs = NULL;
    m->n = 0;
}

int gw_meta_set(cn_buf_t *enc, const char *name, const char *value)
{
    gw_meta_t in, out = {0};
    int rc;

    if ((rc = gw_meta_decode(enc->data, enc->len, &in)) != 0)
        return rc;
    for (size_t i = 0; i < in.n; i++)
        if (strcmp(in.pairs[i].name, name) != 0)
            gw_meta_add(&out, in.pairs[i].name, strlen(in.pairs[i].name), in.pairs[i].value,
                        strlen(in.pairs[i].value));
    if (value != NULL)
        gw_meta_add(&out, name, strlen(name), value, strlen(value));
    cn_buf_reset(enc);
    gw_meta_encode(&out, enc);
    gw_meta_dispose(&in);
    gw_meta_dispose(&out);
    return 0;
}

void gw_meta_add_access(gw_meta_t *m, const char *owner, const char *acl, const char *grants)
{
    char v[8];
    int n = snprintf(v, sizeof(v), "%d", GW_META_FORMAT);

    gw_meta_add(m, GW_META_FMT, strlen(GW_META_FMT), v, (size_t)n);
    gw_meta_add(m, GW_META_OWNER, strlen(GW_META_OWNER), owner ? owner : "",
                owner ? strlen(owner) : 0);
    if (grants && grants[0])
        gw_meta_add(m, GW_META_GRANTS, strlen(GW_META_GRANTS), grants, strlen(grants));
    else if (acl && acl[0])
        gw_meta_add(m, GW_META_ACL, strlen(GW_META_ACL), acl, strlen(acl));
}

static int is_access_pair(const char *name)
{
    return strcmp(name, GW_META_FMT) == 0 || strcmp(name, GW_META_OWNER) == 0 ||
           strcmp(name, GW_META_ACL) == 0 || strcmp(name, GW_META_GRANTS) == 0;
}

void gw_meta_copy_user(const gw_meta_t *in, gw_meta_t *out)
{
    for (size_t i = 0; i < in->n; i++)
        if (!is_access_pair(in->pairs[i].name))
            gw_meta_add(out, in->pairs[i].name, strlen(in->pairs[i].name), in->pairs[i].value,
                        strlen(in->pairs[i].value));
}

int gw_meta_access(const void *p, size_t n, const char *bucket_owner, char owner[72],
                   char acl[32], char *grants, size_t grants_cap)
{
    gw_meta_t m;
    int rc = 0;

    /* format 1 names no owner: the bucket's owner stands */
    snprintf(owner, 72, "%s", bucket_owner ? bucket_owner : "");
    snprintf(acl, 32, "private");
    if (grants_cap)
        grants[0] = '\0';
    if ((rc = gw_meta_decode(p, n, &m)) != 0)
        return rc;
    for (size_t i = 0; i < m.n; i++) {
        const gw_meta_pair_t *e = &m.pairs[i];

        if (strcmp(e->name, GW_META_ACL) == 0 && strlen(e->value) < 32)
            snprintf(acl, 32, "%s", e->value);
        else if (strcmp(e->name, GW_META_OWNER) == 0 && strlen(e->value) < 72)
            snprintf(owner, 72, "%s", e->value);
        else if (strcmp(e->name, GW_META_GRANTS) == 0 && grants_cap)
            rc = strlen(e->value) < grants_cap && cn_acl_text_valid(e->value) == 0
                     ? (snprintf(grants, grants_cap, "%s", e->value), 0)
                     : CN_ECORRUPT;
    }
    gw_meta_dispose(&m);
    if (rc != 0) /* a grant list we cannot read grants nothing: the owner's alone */
        snprintf(acl, 32, "private");
    if (rc != 0 && grants_cap)
        grants[0] = '\0';
    return rc;
}

int gw_meta_find(const void *p, size_t n, const char *name, cn_buf_t *out)
{
    gw_meta_t m;
    int found = 0;

    cn_buf_reset(out);
    if (gw_meta_decode(p, n, &m) != 0)
        return CN_ECORRUPT;
    for (size_t i = 0; !found && i < m.n; i++)
        if (strcmp(m.pairs[i].name, name) == 0) {
            cn_buf_append_str(out, m.pairs[i].value);
            found = 1;
        }
    gw_meta_dispose(&m);
    return found;
}

int gw_meta_decode(const void *p, size_t n, gw_meta_t *m)
{
    msgpack_unpacked u;
    size_t off = 0, used;
    int rc = 0;

    memset(m, 0, sizeof(*m));
    if (n == 0)
        return 0;
    msgpack_unpacked_init(&u);
    if (cn_msgpack_check(p, n, &used) != 0 ||
        msgpack_unpack_next(&u, p, n, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        rc = CN_ECORRUPT;
        goto out;
    }
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
        char *k = dup_obj_str(&kv->key), *v = dup_obj_str(&kv->val);
        if (!k || !v) {
            cn_free(k);
            cn_free(v);
            gw_meta_dispose(m);
            rc = CN_ECORRUPT;
            goto out;
        }
        gw_meta_add(m, k, strlen(k), v, strlen(v));
        cn_free(k);
        cn_free(v);
    }
out:
    msgpack_unpacked_destroy(&u);
    return rc;
}
