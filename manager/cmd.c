/*
 * manager/cmd.c: encoding and strict decoding of command entries (see cmd.h).
 * One table describes every kind: its wire name and its fields, each a wire name, a type, the
 * mgr_cmd_t member it fills (offset and size) and whether it is optional. The encoder and the
 * decoder both walk that table, so a kind is added by adding its row and its apply (fsm.c).
 * The decoder runs cn_msgpack_check before msgpack-c allocates anything, so hostile bytes
 * cannot make it allocate more than their own size, and it returns a code for every defect.
 */
#include "manager/cmd.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <msgpack.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/msgpack_check.h"

enum ftype {
    F_STR,   /* char[size] member; wire str, 1..size-1 bytes, no NUL */
    F_U64,   /* uint64_t member; wire positive int */
    F_U32,   /* uint32_t member */
    F_PORT,  /* int member, 0..65535 */
    F_RING,  /* ring/ring_len; wire bin, 1..MGR_CMD_MAX_RING bytes */
    F_RECS,  /* recs/nrecs; wire array of [str key, bin value] */
    F_TEXT,  /* text/text_len, owned; wire str, 1..MGR_CMD_MAX_TEXT bytes, no NUL */
    F_BIN,   /* uint8_t[size] member; wire bin of exactly size bytes */
    F_WRAPS, /* wraps/nwraps; wire array of [str name, int epoch, str master, bin wrapped,
              * str origin (only when not "")] */
};

#define OPT 1u /* optional: left out when empty (strings) */

struct field {
    const char *name;
    enum ftype type;
    size_t off, size;
    unsigned flags;
};

#define STR(n, m, fl) {n, F_STR, offsetof(mgr_cmd_t, m), sizeof(((mgr_cmd_t *)0)->m), fl}
#define U64(n, m) {n, F_U64, offsetof(mgr_cmd_t, m), sizeof(uint64_t), 0}
#define XC {"xc", F_U64, offsetof(mgr_cmd_t, xclock), sizeof(uint64_t), OPT} /* xdc_sync.h */
#define U32(n, m) {n, F_U32, offsetof(mgr_cmd_t, m), sizeof(uint32_t), 0}
#define PORT(n, m) {n, F_PORT, offsetof(mgr_cmd_t, m), sizeof(int), 0}
#define BIN(n, m) {n, F_BIN, offsetof(mgr_cmd_t, m), sizeof(((mgr_cmd_t *)0)->m), 0}
#define MAX_FIELDS 9

struct kind {
    const char *name;
    struct field f[MAX_FIELDS];    /* ends at the first field without a name */
};

/* Indexed by enum mgr_cmd_kind. docs/PROTOCOL.md mirrors this table. */
static const struct kind kinds[MGR_CMD_NKINDS] = {
    [MGR_CMD_USER_CREATE] = {"user_create",
                             {STR("user", user.name, 0), STR("id", user.id, 0),
                              STR("access_key", user.access_key, 0),
                              STR("secret", user.secret, 0), STR("role", user.role, 0),
                              U64("created_ms", user.created_ms),
                              STR("pw_hash", user.pw_hash, OPT), XC}},
    [MGR_CMD_USER_DELETE] = {"user_delete", {STR("user", user.name, 0), XC}},
    [MGR_CMD_USER_SET_ROLE] = {"user_set_role",
                               {STR("user", user.name, 0), STR("role", user.role, 0), XC}},
    [MGR_CMD_USER_SET_PASSWORD] = {"user_set_password",
                                   {STR("user", user.name, 0),
                                    STR("pw_hash", user.pw_hash, OPT), XC}},
    [MGR_CMD_BUCKET_CREATE] = {"bucket_create",
                               {STR("bucket", bucket.name, 0), STR("owner", bucket.owner, 0),
                                STR("acl", bucket.acl, 0),
                                U64("created_ms", bucket.created_ms),
                                STR("grants", bucket.grants, OPT), XC}},
    [MGR_CMD_BUCKET_DELETE] = {"bucket_delete", {STR("bucket", bucket.name, 0), XC}},
    [MGR_CMD_BUCKET_SET_ACL] = {"bucket_set_acl",
                                {STR("bucket", bucket.name, 0), STR("acl", bucket.acl, 0),
                                 STR("if_owner", if_owner, OPT),
                                 STR("grants", bucket.grants, OPT), XC}},
    [MGR_CMD_BUCKET_SET_OWNER] = {"bucket_set_owner",
                                  {STR("bucket", bucket.name, 0),
                                   STR("owner", bucket.owner, 0), XC}},
    [MGR_CMD_BUCKET_SET_QUOTA] = {"bucket_set_quota",
                                  {STR("bucket", bucket.name, 0),
                                   U64("quota", bucket.quota_bytes), XC}},
    [MGR_CMD_ENDPOINT_ADD] = {"endpoint_add",
                              {STR("endpoint", endpoint, 0), U64("created_ms", created_ms)}},
    [MGR_CMD_ENDPOINT_DELETE] = {"endpoint_delete", {STR("endpoint", endpoint, 0)}},
    [MGR_CMD_MEMBER_PUT] = {"member_put",
                            {STR("node", member.name, 0), STR("type", member.type, 0),
                             STR("host", member.host, 0), PORT("port", member.port),
                             U32("vnodes", member.vnodes), STR("state", member.state, 0),
                             U64("ring_cur", member.ring_cur),
                             U64("ring_prev", member.ring_prev),
                             U64("updated_ms", member.updated_ms)}},
    [MGR_CMD_MEMBER_SET_STATE] = {"member_set_state",
                                  {STR("node", member.name, 0), STR("state", member.state, 0),
                                   STR("from", from, 0)}},
    [MGR_CMD_MEMBER_REMOVE] = {"member_remove", {STR("node", member.name, 0)}},
    [MGR_CMD_RING_START] = {"ring_start",
                            {{"ring", F_RING, 0, 0, 0}, U64("n", levels.n), U64("w", levels.w),
                             U64("r", levels.r), U64("d", levels.d)}},
    [MGR_CMD_RING_REBALANCE] = {"ring_rebalance",
                                {{"ring", F_RING, 0, 0, 0}, U64("expect_cur", expect_cur)}},
    [MGR_CMD_RING_ROLLBACK] = {"ring_rollback",
                               {U64("expect_cur", expect_cur),
                                U64("expect_prev", expect_prev)}},
    [MGR_CMD_RING_DROP_PREV] = {"ring_drop_prev",
                                {U64("expect_cur", expect_cur),
                                 U64("expect_prev", expect_prev)}},
    [MGR_CMD_LEVELS_SET] = {"levels_set",
                            {U64("n", levels.n), U64("w", levels.w), U64("r", levels.r),
                             U64("d", levels.d)}},
    [MGR_CMD_RESTORE] = {"restore", {{"records", F_RECS, 0, 0, 0}}},
    [MGR_CMD_SNAPSHOT] = {"snapshot", {U64("applied", applied), {"records", F_RECS, 0, 0, 0}}},
    [MGR_CMD_GROUP_PUT] = {"group_put",
                           {U64("id", peer.id), STR("host", peer.host, 0),
                            PORT("raft", peer.raft_port), PORT("rpc", peer.rpc_port),
                            PORT("admin", peer.admin_port)}},
    [MGR_CMD_GROUP_REMOVE] = {"group_remove", {U64("id", peer.id)}},
    [MGR_CMD_BUCKET_SET_POLICY] = {"bucket_set_policy",
                                   {STR("bucket", bucket.name, 0),
                                    {"policy", F_TEXT, 0, 0, OPT},
                                    STR("if_owner", if_owner, OPT), XC}},
    [MGR_CMD_BUCKET_SET_CONFIG] = {"bucket_set_config",
                                   {STR("bucket", bucket.name, 0), STR("config", config, 0),
                                    {"value", F_TEXT, 0, 0, OPT},
                                    STR("if_owner", if_owner, OPT), XC}},
    [MGR_CMD_ACCESS_KEY_CREATE] = {"access_key_create",
                                   {STR("user", user.name, 0),
                                    STR("access_key", user.access_key, 0),
                                    STR("secret", user.secret, 0),
                                    U64("created_ms", created_ms), XC}},
    [MGR_CMD_ACCESS_KEY_DELETE] = {"access_key_delete",
                                   {STR("access_key", user.access_key, 0), XC}},
    [MGR_CMD_ACCESS_KEY_SET_STATUS] = {"access_key_set_status",
                                       {STR("access_key", user.access_key, 0),
                                        STR("status", key_status, 0), XC}},
    [MGR_CMD_USER_SET_EMAIL] = {"user_set_email",
                                {STR("user", user.name, 0), STR("email", user.email, OPT), XC}},
    [MGR_CMD_KMS_KEY_CREATE] = {"kms_key_create",
                                {STR("name", kms.name, 0), U64("created_ms", created_ms),
                                 STR("master", kms.master, 0), BIN("wrapped", kms.wrapped)}},
    [MGR_CMD_KMS_KEY_ROTATE] = {"kms_key_rotate",
                                {STR("name", kms.name, 0), U64("epoch", kms.epoch),
                                 U64("created_ms", created_ms), STR("master", kms.master, 0),
                                 BIN("wrapped", kms.wrapped)}},
    [MGR_CMD_KMS_REWRAP] = {"kms_rewrap", {{"wraps", F_WRAPS, 0, 0, 0}}},
    [MGR_CMD_CLUSTER_ID_SET] = {"cluster_id_set",
                                {STR("id", cluster_id, 0), U64("created_ms", created_ms)}},
    [MGR_CMD_CLUSTER_LINK_ADD] = {"cluster_link_add",
                                  {STR("id", link.id, 0), STR("managers", link.managers, 0),
                                   U64("created_ms", created_ms),
                                   STR("master", link.master, 0), BIN("wrapped", link.wrapped),
                                   {"ca", F_TEXT, 0, 0, OPT}}},
    [MGR_CMD_CLUSTER_LINK_SET_STATE] = {"cluster_link_set_state",
                                        {STR("id", link.id, 0), STR("state", link.state, 0),
                                         STR("from", from, 0)}},
    [MGR_CMD_CLUSTER_LINK_DELETE] = {"cluster_link_delete", {STR("id", link.id, 0)}},
    [MGR_CMD_CLUSTER_LINK_REWRAP] = {"cluster_link_rewrap",
                                     {STR("id", link.id, 0), STR("master", link.master, 0),
                                      BIN("wrapped", link.wrapped)}},
    [MGR_CMD_XDC_STATE_PUT] = {"xdc_state_put", {{"records", F_RECS, 0, 0, 0}}},
    [MGR_CMD_XDC_TOMBSTONE_PURGE] = {"xdc_tombstone_purge", {U64("before", xclock)}},
    [MGR_CMD_KMS_REMOTE_PUT] = {"kms_remote_put",
                                {{"wraps", F_WRAPS, 0, 0, 0}, U64("created_ms", created_ms)}},
};

static const struct kind *kind_of(enum mgr_cmd_kind k)
{
    return k > MGR_CMD_NONE && k < MGR_CMD_NKINDS ? &kinds[k] : NULL;
}

static size_t nfields(const struct kind *k)
{
    size_t n = 0;

    while (n < MAX_FIELDS && k->f[n].name != NULL)
        n++;
    return n;
}

void mgr_cmd_init(mgr_cmd_t *c, enum mgr_cmd_kind kind)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
}

void mgr_cmd_dispose(mgr_cmd_t *c)
{
    for (size_t i = 0; i < c->nrecs; i++) {
        cn_free(c->recs[i].key);
        cn_free(c->recs[i].val);
    }
    cn_free(c->recs);
    cn_free(c->wraps); /* wrapped KEKs only: nothing to wipe */
    cn_free(c->ring);
    cn_free(c->text);
    memset(c, 0, sizeof(*c));
}

void mgr_cmd_set_text(mgr_cmd_t *c, const char *text, size_t len)
{
    cn_free(c->text);
    c->text = NULL;
    c->text_len = 0;
    if (len == 0)
        return;
    c->text = cn_malloc(len + 1);
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    c->text_len = len;
}

const char *mgr_cmd_kind_name(enum mgr_cmd_kind kind)
{
    const struct kind *k = kind_of(kind);

    return k != NULL ? k->name : "?";
}

void mgr_cmd_set_ring(mgr_cmd_t *c, const cn_ring_t *r)
{
    cn_buf_t b;

    cn_buf_init(&b);
    cn_ring_encode(r, &b);
    cn_free(c->ring);
    c->ring = cn_malloc(b.len);
    memcpy(c->ring, b.data, b.len);
    c->ring_len = b.len;
    cn_buf_dispose(&b);
}

void mgr_cmd_add_rec(mgr_cmd_t *c, const char *key, const void *val, size_t vlen)
{
    mgr_cmd_rec_t *r;

    c->recs = cn_realloc(c->recs, (c->nrecs + 1) * sizeof(*c->recs));
    r = &c->recs[c->nrecs++];
    r->key = cn_strndup(key, strlen(key));
    r->val = cn_malloc(vlen ? vlen : 1);
    if (vlen > 0)
        memcpy(r->val, val, vlen);
    r->vlen = vlen;
}

void mgr_cmd_add_wrap(mgr_cmd_t *c, const mgr_kms_wrap_t *w)
{
    c->wraps = cn_realloc(c->wraps, (c->nwraps + 1) * sizeof(*c->wraps));
    c->wraps[c->nwraps++] = *w;
}

/* ---- encoding ------------------------------------------------------------------------ */

/* 1 when field f of c is left out of the encoding: an empty optional string, an optional
 * int that is 0. */
static int omitted(const mgr_cmd_t *c, const struct field *f)
{
    if (f->type == F_TEXT)
        return (f->flags & OPT) && c->text_len == 0;
    if (f->type == F_U64 && (f->flags & OPT))
        return *(const uint64_t *)(const void *)((const char *)c + f->off) == 0;
    return f->type == F_STR && (f->flags & OPT) && ((const char *)c + f->off)[0] == '\0';
}

void mgr_cmd_encode(const mgr_cmd_t *c, cn_buf_t *out)
{
    const struct kind *k = kind_of(c->kind);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    size_t n, present = 0;

    CN_ASSERT(k != NULL);
    n = nfields(k);
    for (size_t i = 0; i < n; i++)
        present += !omitted(c, &k->f[i]);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2 + present);
    cn_msgpack_pack_str(&pk, "v", 1);
    msgpack_pack_uint64(&pk, MGR_CMD_VERSION);
    cn_msgpack_pack_str(&pk, "kind", 4);
    cn_msgpack_pack_str(&pk, k->name, strlen(k->name));
    for (size_t i = 0; i < n; i++) {
        const struct field *f = &k->f[i];
        const char *base = (const char *)c + f->off;

        if (omitted(c, f))
            continue;
        cn_msgpack_pack_str(&pk, f->name, strlen(f->name));
        switch (f->type) {
        case F_STR:
            CN_ASSERT(base[0] != '\0' && memchr(base, '\0', f->size) != NULL);
            cn_msgpack_pack_str(&pk, base, strlen(base));
            break;
        case F_U64:
            msgpack_pack_uint64(&pk, *(const uint64_t *)(const void *)base);
            break;
        case F_U32:
            msgpack_pack_uint64(&pk, *(const uint32_t *)(const void *)base);
            break;
        case F_PORT: {
            int port = *(const int *)(const void *)base;

            CN_ASSERT(port >= 0 && port <= 65535);
            msgpack_pack_uint64(&pk, (uint64_t)port);
            break;
        }
        case F_RING:
            CN_ASSERT(c->ring_len > 0 && c->ring_len <= MGR_CMD_MAX_RING);
            msgpack_pack_bin(&pk, c->ring_len);
            msgpack_pack_bin_body(&pk, c->ring, c->ring_len);
            break;
        case F_TEXT:
            CN_ASSERT(c->text_len > 0 && c->text_len <= MGR_CMD_MAX_TEXT &&
                      memchr(c->text, '\0', c->text_len) == NULL);
            cn_msgpack_pack_str(&pk, c->text, c->text_len);
            break;
        case F_BIN:
            msgpack_pack_bin(&pk, f->size);
            msgpack_pack_bin_body(&pk, base, f->size);
            break;
        case F_WRAPS:
            CN_ASSERT(c->nwraps <= MGR_KMS_REWRAP_MAX);
            msgpack_pack_array(&pk, c->nwraps);
            for (size_t w = 0; w < c->nwraps; w++) {
                const mgr_kms_wrap_t *kw = &c->wraps[w];

                CN_ASSERT(kw->name[0] != '\0' && kw->master[0] != '\0');
                msgpack_pack_array(&pk, kw->origin[0] != '\0' ? 5 : 4);
                cn_msgpack_pack_str(&pk, kw->name, strlen(kw->name));
                msgpack_pack_uint64(&pk, kw->epoch);
                cn_msgpack_pack_str(&pk, kw->master, strlen(kw->master));
                msgpack_pack_bin(&pk, sizeof(kw->wrapped));
                msgpack_pack_bin_body(&pk, kw->wrapped, sizeof(kw->wrapped));
                if (kw->origin[0] != '\0')
                    cn_msgpack_pack_str(&pk, kw->origin, strlen(kw->origin));
            }
            break;
        case F_RECS:
            msgpack_pack_array(&pk, c->nrecs);
            for (size_t r = 0; r < c->nrecs; r++) {
                msgpack_pack_array(&pk, 2);
                cn_msgpack_pack_str(&pk, c->recs[r].key, strlen(c->recs[r].key));
                msgpack_pack_bin(&pk, c->recs[r].vlen);
                msgpack_pack_bin_body(&pk, c->recs[r].val, c->recs[r].vlen);
            }
            break;
        }
    }
    cn_buf_append(out, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- decoding ------------------------------------------------------------------------ */

static int is_str(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);

    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

static int get_u64(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return CN_ECORRUPT;
    *out = o->via.u64;
    return 0;
}

static int get_recs(const msgpack_object *o, mgr_cmd_t *c)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return CN_ECORRUPT;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *r = &o->via.array.ptr[i], *kv;
        char key[MGR_CMD_MAX_KEY + 1];

        if (r->type != MSGPACK_OBJECT_ARRAY || r->via.array.size != 2)
            return CN_ECORRUPT;
        kv = r->via.array.ptr;
        if (cn_msgpack_copy_str(&kv[0], key, sizeof(key)) != 0 ||
            kv[1].type != MSGPACK_OBJECT_BIN || kv[1].via.bin.size > MGR_CMD_MAX_VALUE)
            return CN_ECORRUPT;
        mgr_cmd_add_rec(c, key, kv[1].via.bin.ptr, kv[1].via.bin.size);
    }
    return 0;
}

static int get_wraps(const msgpack_object *o, mgr_cmd_t *c)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > MGR_KMS_REWRAP_MAX)
        return CN_ECORRUPT;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *r = &o->via.array.ptr[i], *v;
        mgr_kms_wrap_t w;

        memset(&w, 0, sizeof(w));
        if (r->type != MSGPACK_OBJECT_ARRAY ||
            (r->via.array.size != 4 && r->via.array.size != 5))
            return CN_ECORRUPT;
        v = r->via.array.ptr;
        if (r->via.array.size == 5 && cn_msgpack_copy_str(&v[4], w.origin, sizeof(w.origin)) != 0)
            return CN_ECORRUPT;
        if (cn_msgpack_copy_str(&v[0], w.name, sizeof(w.name)) != 0 ||
            get_u64(&v[1], UINT64_MAX, &w.epoch) != 0 ||
            cn_msgpack_copy_str(&v[2], w.master, sizeof(w.master)) != 0 ||
            v[3].type != MSGPACK_OBJECT_BIN || v[3].via.bin.size != sizeof(w.wrapped))
            return CN_ECORRUPT;
        memcpy(w.wrapped, v[3].via.bin.ptr, sizeof(w.wrapped));
        mgr_cmd_add_wrap(c, &w);
    }
    return 0;
}

static int get_field(const msgpack_object *o, const struct field *f, mgr_cmd_t *c)
{
    char *base = (char *)c + f->off;
    uint64_t v;
    int rc;

    switch (f->type) {
    case F_STR:
        return cn_msgpack_copy_str(o, base, f->size);
    case F_U64:
        if ((rc = get_u64(o, UINT64_MAX, &v)) == 0)
            *(uint64_t *)(void *)base = v;
        return rc;
    case F_U32:
        if ((rc = get_u64(o, UINT32_MAX, &v)) == 0)
            *(uint32_t *)(void *)base = (uint32_t)v;
        return rc;
    case F_PORT:
        if ((rc = get_u64(o, 65535, &v)) == 0)
            *(int *)(void *)base = (int)v;
        return rc;
    case F_RING:
        if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size == 0 ||
            o->via.bin.size > MGR_CMD_MAX_RING)
            return CN_ECORRUPT;
        c->ring = cn_malloc(o->via.bin.size);
        memcpy(c->ring, o->via.bin.ptr, o->via.bin.size);
        c->ring_len = o->via.bin.size;
        return 0;
    case F_RECS:
        return get_recs(o, c);
    case F_WRAPS:
        return get_wraps(o, c);
    case F_BIN:
        if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != f->size)
            return CN_ECORRUPT;
        memcpy(base, o->via.bin.ptr, f->size);
        return 0;
    case F_TEXT:
        if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
            o->via.str.size > MGR_CMD_MAX_TEXT ||
            memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
            return CN_ECORRUPT;
        mgr_cmd_set_text(c, o->via.str.ptr, o->via.str.size);
        return 0;
    }
    return CN_ECORRUPT;
}

/* The kind named by the "kind" value, or NONE. */
static enum mgr_cmd_kind kind_named(const msgpack_object *o)
{
    for (int k = MGR_CMD_NONE + 1; k < MGR_CMD_NKINDS; k++)
        if (is_str(o, kinds[k].name))
            return (enum mgr_cmd_kind)k;
    return MGR_CMD_NONE;
}

/* Fills c from the map m: "v" and "kind" first (checked by the caller), then each field of
 * the kind once; every required field must be there. */
static int get_fields(const msgpack_object_map *m, mgr_cmd_t *c)
{
    const struct kind *k = kind_of(c->kind);
    size_t n = nfields(k);
    unsigned seen = 0;
    int rc;

    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *key = &m->ptr[i].key;
        size_t j = 0;

        if (is_str(key, "v") || is_str(key, "kind"))
            continue;
        while (j < n && !is_str(key, k->f[j].name))
            j++;
        if (j == n || (seen & (1u << j)) != 0)
            return CN_ECORRUPT; /* a field this kind does not have, or twice */
        seen |= 1u << j;
        if ((rc = get_field(&m->ptr[i].val, &k->f[j], c)) != 0)
            return rc;
    }
    for (size_t j = 0; j < n; j++)
        if (!(seen & (1u << j)) && !(k->f[j].flags & OPT))
            return CN_ECORRUPT;
    return 0;
}

int mgr_cmd_decode(const void *p, size_t len, mgr_cmd_t *out)
{
    const msgpack_object *v = NULL, *kind = NULL;
    const msgpack_object_map *m;
    msgpack_unpacked u;
    size_t off = 0, used = 0, nv = 0, nkind = 0;
    int rc = CN_ECORRUPT;

    mgr_cmd_init(out, MGR_CMD_NONE);
    msgpack_unpacked_init(&u);
    if (p == NULL || len == 0 || cn_msgpack_check(p, len, &used) != 0 || used != len ||
        msgpack_unpack_next(&u, p, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len ||
        u.data.type != MSGPACK_OBJECT_MAP)
        goto out;
    m = &u.data.via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *key = &m->ptr[i].key;

        if (key->type != MSGPACK_OBJECT_STR)
            goto out;
        if (is_str(key, "v") && nv++ == 0)
            v = &m->ptr[i].val;
        else if (is_str(key, "kind") && nkind++ == 0)
            kind = &m->ptr[i].val;
    }
    if (nv != 1 || nkind != 1 || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || kind == NULL ||
        kind->type != MSGPACK_OBJECT_STR)
        goto out;
    rc = CN_EPROTO;
    if (v->via.u64 != MGR_CMD_VERSION || (out->kind = kind_named(kind)) == MGR_CMD_NONE)
        goto out;
    rc = get_fields(m, out);

out:
    msgpack_unpacked_destroy(&u);
    if (rc != 0)
        mgr_cmd_dispose(out);
    return rc;
}
