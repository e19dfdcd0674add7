/*
 * common/rpc_msg.c: RPC messages (op, typed fields, body) and their msgpack form
 *   [kind, request id, op, fields map, body]
 * Encoding goes through msgpack-c's packer into a cn_buf_t. Decoding uses the strict reader
 * below (cn__mp_*): every type or shape mismatch is CN_EPROTO, never a crash, and nothing is
 * allocated that the input bytes do not already back (fields and body are copied out of the
 * payload, which is already in memory and bounded by max_frame).
 * Invariants: at most CN__RPC_MAX_FIELDS fields, names 1..31 bytes without NUL, no two
 * fields with the same name; integers are kept as UINT (>= 0) or NINT (< 0) whatever the
 * setter, so that the wire form and the getters agree.
 */
#include "common/rpc.h"

#include <limits.h>
#include <string.h>
#include <msgpack.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc_int.h"

#define CN_MSG_MAGIC 0x6d736731u /* "msg1" */

enum { F_UINT, F_NINT, F_STR, F_BIN };

struct field {
    char name[CN__RPC_NAME_MAX + 1];
    int type;
    uint64_t u;     /* F_UINT */
    int64_t i;      /* F_NINT */
    char *ptr;      /* F_STR / F_BIN: owned, NUL-terminated past len */
    size_t len;
};

struct cn_msg {
    uint32_t magic;
    int kind;
    uint64_t id;
    char op[CN__RPC_NAME_MAX + 1];
    struct field *f;
    unsigned nf;
    unsigned capf;
    char *body;     /* owned (cn_malloc) unless body_ref, NULL when empty */
    size_t blen;
    int body_ref;   /* body is borrowed (cn_msg_set_body_ref): never freed here */
};

/* ---- strict msgpack reader ---------------------------------------------------------- */

static int rd_be(cn__mp_rd_t *rd, size_t n, uint64_t *v)
{
    uint64_t x = 0;

    if (cn__mp_rd_left(rd) < n)
        return CN_EPROTO;
    for (size_t k = 0; k < n; k++)
        x = x << 8 | rd->p[k];
    rd->p += n;
    *v = x;
    return 0;
}

static int rd_raw(cn__mp_rd_t *rd, uint64_t len, cn__mp_obj_t *o)
{
    if (cn__mp_rd_left(rd) < len)
        return CN_EPROTO;
    o->raw = cn_slice(rd->p, (size_t)len);
    rd->p += len;
    return 0;
}

static int rd_signed(cn__mp_rd_t *rd, size_t n, cn__mp_obj_t *o)
{
    uint64_t v;
    int64_t s;

    if (rd_be(rd, n, &v) != 0)
        return CN_EPROTO;
    if (n < 8 && (v >> (n * 8 - 1)) & 1)
        v |= ~(uint64_t)0 << (n * 8);   /* sign-extend */
    s = (int64_t)v;
    if (s >= 0) {
        o->type = CN__MP_UINT;
        o->u = (uint64_t)s;
    } else {
        o->type = CN__MP_NINT;
        o->i = s;
    }
    return 0;
}

int cn__mp_next(cn__mp_rd_t *rd, cn__mp_obj_t *o)
{
    uint8_t b;
    uint64_t v;

    if (rd->p >= rd->end)
        return CN_EPROTO;
    b = *rd->p++;
    memset(o, 0, sizeof(*o));
    if (b <= 0x7f) {
        o->type = CN__MP_UINT;
        o->u = b;
        return 0;
    }
    if (b >= 0xe0) {
        o->type = CN__MP_NINT;
        o->i = (int8_t)b;
        return 0;
    }
    if (b >= 0x80 && b <= 0x8f) {
        o->type = CN__MP_MAP;
        o->u = b & 0x0f;
        return 0;
    }
    if (b >= 0x90 && b <= 0x9f) {
        o->type = CN__MP_ARRAY;
        o->u = b & 0x0f;
        return 0;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        o->type = CN__MP_STR;
        return rd_raw(rd, b & 0x1f, o);
    }
    switch (b) {
    case 0xc4: case 0xc5: case 0xc6:   /* bin 8/16/32 */
        o->type = CN__MP_BIN;
        if (rd_be(rd, (size_t)1 << (b - 0xc4), &v) != 0)
            return CN_EPROTO;
        return rd_raw(rd, v, o);
    case 0xd9: case 0xda: case 0xdb:   /* str 8/16/32 */
        o->type = CN__MP_STR;
        if (rd_be(rd, (size_t)1 << (b - 0xd9), &v) != 0)
            return CN_EPROTO;
        return rd_raw(rd, v, o);
    case 0xcc: case 0xcd: case 0xce: case 0xcf:   /* uint 8/16/32/64 */
        o->type = CN__MP_UINT;
        return rd_be(rd, (size_t)1 << (b - 0xcc), &o->u);
    case 0xd0: case 0xd1: case 0xd2: case 0xd3:   /* int 8/16/32/64 */
        return rd_signed(rd, (size_t)1 << (b - 0xd0), o);
    case 0xdc: case 0xdd:   /* array 16/32 */
        o->type = CN__MP_ARRAY;
        return rd_be(rd, b == 0xdc ? 2 : 4, &o->u);
    case 0xde: case 0xdf:   /* map 16/32 */
        o->type = CN__MP_MAP;
        return rd_be(rd, b == 0xde ? 2 : 4, &o->u);
    default:                /* nil, bool, float, ext, 0xc1: not on our wire */
        return CN_EPROTO;
    }
}

int cn__mp_expect(cn__mp_rd_t *rd, int want, cn__mp_obj_t *o)
{
    if (cn__mp_next(rd, o) != 0 || o->type != want)
        return CN_EPROTO;
    return 0;
}

int cn__mp_buf_write(void *data, const char *p, size_t n)
{
    cn_buf_append(data, p, n);
    return 0;
}

/* ---- messages ----------------------------------------------------------------------- */

static void set_raw(cn_msg_t *m, const char *name, int type, const void *p, size_t len);
static struct field *slot(cn_msg_t *m, const char *name);

static void check_name(const char *name)
{
    CN_ASSERT(name != NULL);
    CN_ASSERT(name[0] != '\0' && strlen(name) <= CN__RPC_NAME_MAX);
}

cn_msg_t *cn_msg_new(const char *op)
{
    cn_msg_t *m = cn_calloc(1, sizeof(*m));

    check_name(op);
    m->magic = CN_MSG_MAGIC;
    m->kind = CN_RPC_REQ;
    strcpy(m->op, op);
    return m;
}

static void field_clear(struct field *f)
{
    if (f->type == F_STR || f->type == F_BIN)
        cn_free(f->ptr);
    f->ptr = NULL;
    f->len = 0;
}

void cn_msg_free(cn_msg_t *m)
{
    if (m == NULL)
        return;
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    for (unsigned k = 0; k < m->nf; k++)
        field_clear(&m->f[k]);
    cn_free(m->f);
    if (!m->body_ref)
        cn_free(m->body);
    m->magic = 0;
    cn_free(m);
}

cn_msg_t *cn_msg_dup(const cn_msg_t *m)
{
    cn_msg_t *d = cn_msg_new(cn_msg_op(m));

    d->kind = m->kind;
    d->id = m->id;
    for (unsigned k = 0; k < m->nf; k++) {
        const struct field *f = &m->f[k];

        if (f->type == F_STR || f->type == F_BIN)
            set_raw(d, f->name, f->type, f->ptr, f->len);
        else
            *slot(d, f->name) = *f;
    }
    if (m->blen > 0 && m->body_ref)
        cn_msg_set_body_ref(d, m->body, m->blen);
    else if (m->blen > 0)
        cn_msg_set_body_copy(d, m->body, m->blen);
    return d;
}

const char *cn_msg_op(const cn_msg_t *m)
{
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    return m->op;
}

int cn_msg_kind(const cn_msg_t *m)
{
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    return m->kind;
}

uint64_t cn_msg_id(const cn_msg_t *m)
{
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    return m->id;
}

void cn__msg_set_header(cn_msg_t *m, int kind, uint64_t id, const char *op)
{
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    m->kind = kind;
    m->id = id;
    if (op != NULL && op != m->op) {
        check_name(op);
        strcpy(m->op, op);
    }
}

static const struct field *find(const cn_msg_t *m, const char *name)
{
    for (unsigned k = 0; k < m->nf; k++)
        if (strcmp(m->f[k].name, name) == 0)
            return &m->f[k];
    return NULL;
}

/* The field named name, emptied, added when absent. */
static struct field *slot(cn_msg_t *m, const char *name)
{
    struct field *f;

    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    check_name(name);
    f = (struct field *)find(m, name);
    if (f != NULL) {
        field_clear(f);
        return f;
    }
    CN_ASSERT(m->nf < CN__RPC_MAX_FIELDS);
    if (m->nf == m->capf) {
        m->capf = m->capf ? m->capf * 2 : 8;
        m->f = cn_realloc(m->f, m->capf * sizeof(*m->f));
    }
    f = &m->f[m->nf++];
    memset(f, 0, sizeof(*f));
    strcpy(f->name, name);
    return f;
}

void cn_msg_set_u64(cn_msg_t *m, const char *name, uint64_t v)
{
    struct field *f = slot(m, name);

    f->type = F_UINT;
    f->u = v;
}

void cn_msg_set_i64(cn_msg_t *m, const char *name, int64_t v)
{
    struct field *f = slot(m, name);

    if (v >= 0) {
        f->type = F_UINT;
        f->u = (uint64_t)v;
    } else {
        f->type = F_NINT;
        f->i = v;
    }
}

static void set_raw(cn_msg_t *m, const char *name, int type, const void *p, size_t len)
{
    struct field *f = slot(m, name);

    f->type = type;
    f->ptr = cn_malloc(len + 1);
    if (len > 0)
        memcpy(f->ptr, p, len);
    f->ptr[len] = '\0';
    f->len = len;
}

void cn_msg_set_bytes(cn_msg_t *m, const char *name, const void *p, size_t len)
{
    set_raw(m, name, F_BIN, p, len);
}

void cn_msg_set_str(cn_msg_t *m, const char *name, const char *s)
{
    set_raw(m, name, F_STR, s, s ? strlen(s) : 0);
}

int cn_msg_get_u64(const cn_msg_t *m, const char *name, uint64_t *out)
{
    const struct field *f;

    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    if ((f = find(m, name)) == NULL)
        return CN_ENOENT;
    if (f->type != F_UINT)
        return CN_EINVAL;
    *out = f->u;
    return 0;
}

int cn_msg_get_i64(const cn_msg_t *m, const char *name, int64_t *out)
{
    const struct field *f;

    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    if ((f = find(m, name)) == NULL)
        return CN_ENOENT;
    if (f->type == F_NINT) {
        *out = f->i;
        return 0;
    }
    if (f->type != F_UINT || f->u > INT64_MAX)
        return CN_EINVAL;
    *out = (int64_t)f->u;
    return 0;
}

int cn_msg_get_bytes(const cn_msg_t *m, const char *name, cn_slice_t *out)
{
    const struct field *f;

    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    if ((f = find(m, name)) == NULL)
        return CN_ENOENT;
    if (f->type != F_STR && f->type != F_BIN)
        return CN_EINVAL;
    *out = cn_slice(f->ptr, f->len);
    return 0;
}

int cn_msg_opt_u64(const cn_msg_t *m, const char *name, uint64_t def, uint64_t *out)
{
    int rc = cn_msg_get_u64(m, name, out);

    if (rc == CN_ENOENT) {
        *out = def;
        return 0;
    }
    return rc;
}

int cn_msg_opt_bytes(const cn_msg_t *m, const char *name, cn_slice_t *out)
{
    int rc = cn_msg_get_bytes(m, name, out);

    if (rc == CN_ENOENT) {
        *out = cn_slice("", 0);
        return 0;
    }
    return rc;
}

int cn_msg_get_str(const cn_msg_t *m, const char *name, char *out, size_t outlen)
{
    cn_slice_t s;
    int rc;

    if ((rc = cn_msg_get_bytes(m, name, &s)) != 0)
        return rc;
    if (s.len >= outlen || memchr(s.ptr, '\0', s.len) != NULL)
        return CN_E2BIG;
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
    return 0;
}

int cn_msg_rc(const cn_msg_t *m)
{
    int64_t v;
    int rc = cn_msg_get_i64(m, "rc", &v);

    if (rc == CN_ENOENT)
        return 0;
    if (rc != 0 || v > 0 || v < INT_MIN)
        return CN_EPROTO;   /* a peer that sends a nonsense rc failed the protocol */
    return (int)v;
}

void cn_msg_set_rc(cn_msg_t *m, int rc)
{
    cn_msg_set_i64(m, "rc", rc);
}

void cn_msg_set_body(cn_msg_t *m, void *data, size_t len)
{
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    if (!m->body_ref)
        cn_free(m->body);
    m->body_ref = 0;
    m->body = len > 0 ? data : NULL;
    m->blen = len;
    if (len == 0)
        cn_free(data);
}

void cn_msg_set_body_ref(cn_msg_t *m, const void *data, size_t len)
{
    cn_msg_set_body(m, NULL, 0);
    if (len > 0) {
        m->body = (char *)(uintptr_t)data; /* borrowed: only read (encode, cn_msg_body) */
        m->blen = len;
        m->body_ref = 1;
    }
}

void cn_msg_set_body_copy(cn_msg_t *m, const void *data, size_t len)
{
    char *p = NULL;

    if (len > 0) {
        p = cn_malloc(len);
        memcpy(p, data, len);
    }
    cn_msg_set_body(m, p, len);
}

cn_slice_t cn_msg_body(const cn_msg_t *m)
{
    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    return m->body ? cn_slice(m->body, m->blen) : cn_slice("", 0);
}

void *cn_msg_steal_body(cn_msg_t *m, size_t *len)
{
    void *p;

    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    p = m->body;
    if (m->body_ref && m->blen > 0) {
        p = cn_malloc(m->blen);
        memcpy(p, m->body, m->blen);
    }
    if (len != NULL)
        *len = m->blen;
    m->body = NULL;
    m->blen = 0;
    m->body_ref = 0;
    return p;
}

/* ---- encode / decode ---------------------------------------------------------------- */

static void pack_raw_str(msgpack_packer *pk, const char *p, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, p, n);
}

void cn_msg_encode(const cn_msg_t *m, int kind, uint64_t id, cn_buf_t *out)
{
    msgpack_packer pk;
    size_t start, plen, est;
    char hdr[4] = {0};

    CN_CHECK_OBJ(m, CN_MSG_MAGIC);
    est = 64 + strlen(m->op) + m->blen; /* one allocation for a frame with a large body */
    for (unsigned k = 0; k < m->nf; k++)
        est += CN__RPC_NAME_MAX + 16 + (m->f[k].type >= F_STR ? m->f[k].len : 0);
    cn_buf_reserve(out, est);
    start = out->len;
    cn_buf_append(out, hdr, sizeof(hdr));
    msgpack_packer_init(&pk, out, cn__mp_buf_write);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_uint64(&pk, (uint64_t)kind);
    msgpack_pack_uint64(&pk, id);
    pack_raw_str(&pk, m->op, strlen(m->op));
    msgpack_pack_map(&pk, m->nf);
    for (unsigned k = 0; k < m->nf; k++) {
        const struct field *f = &m->f[k];

        pack_raw_str(&pk, f->name, strlen(f->name));
        switch (f->type) {
        case F_UINT:
            msgpack_pack_uint64(&pk, f->u);
            break;
        case F_NINT:
            msgpack_pack_int64(&pk, f->i);
            break;
        case F_STR:
            pack_raw_str(&pk, f->ptr, f->len);
            break;
        default:
            msgpack_pack_bin(&pk, f->len);
            msgpack_pack_bin_body(&pk, f->ptr, f->len);
            break;
        }
    }
    msgpack_pack_bin(&pk, m->blen);
    msgpack_pack_bin_body(&pk, m->body, m->blen);
    plen = out->len - start - 4;
    CN_ASSERT(plen <= UINT32_MAX);
    cn_put_u32be(out->data + start, (uint32_t)plen);
}

/* A name on the wire: 1..31 bytes, no NUL. */
static int wire_name(cn_slice_t s, char *out)
{
    if (s.len == 0 || s.len > CN__RPC_NAME_MAX || memchr(s.ptr, '\0', s.len) != NULL)
        return CN_EPROTO;
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
    return 0;
}

static int decode_field(cn__mp_rd_t *rd, cn_msg_t *m)
{
    cn__mp_obj_t k, v;
    char name[CN__RPC_NAME_MAX + 1];
    struct field *f;

    if (cn__mp_expect(rd, CN__MP_STR, &k) != 0 || wire_name(k.raw, name) != 0)
        return CN_EPROTO;
    if (find(m, name) != NULL)
        return CN_EPROTO;   /* duplicate names are ambiguous */
    if (cn__mp_next(rd, &v) != 0)
        return CN_EPROTO;
    switch (v.type) {
    case CN__MP_UINT:
        cn_msg_set_u64(m, name, v.u);
        return 0;
    case CN__MP_NINT:
        cn_msg_set_i64(m, name, v.i);
        return 0;
    case CN__MP_STR:
    case CN__MP_BIN:
        f = slot(m, name);
        f->type = v.type == CN__MP_STR ? F_STR : F_BIN;
        if ((f->ptr = cn_try_malloc(v.raw.len + 1)) == NULL)
            return CN_ENOMEM;
        memcpy(f->ptr, v.raw.ptr, v.raw.len);
        f->ptr[v.raw.len] = '\0';
        f->len = v.raw.len;
        return 0;
    default:
        return CN_EPROTO;
    }
}

int cn_msg_decode(const void *payload, size_t len, cn_msg_t **out)
{
    cn__mp_rd_t rd;
    cn__mp_obj_t o, kind, id, op, map;
    cn_msg_t *m;
    char opname[CN__RPC_NAME_MAX + 1];
    int rc;

    *out = NULL;
    cn__mp_rd_init(&rd, payload, len);
    if (cn__mp_expect(&rd, CN__MP_ARRAY, &o) != 0 || o.u != 5)
        return CN_EPROTO;
    if (cn__mp_expect(&rd, CN__MP_UINT, &kind) != 0 || kind.u > CN_RPC_HELLO)
        return CN_EPROTO;
    if (cn__mp_expect(&rd, CN__MP_UINT, &id) != 0)
        return CN_EPROTO;
    if (cn__mp_expect(&rd, CN__MP_STR, &op) != 0 || wire_name(op.raw, opname) != 0)
        return CN_EPROTO;
    if (cn__mp_expect(&rd, CN__MP_MAP, &map) != 0 || map.u > CN__RPC_MAX_FIELDS)
        return CN_EPROTO;
    m = cn_msg_new(opname);
    m->kind = (int)kind.u;
    m->id = id.u;
    for (uint64_t k = 0; k < map.u; k++)
        if ((rc = decode_field(&rd, m)) != 0)
            goto out_free;
    rc = CN_EPROTO;
    if (cn__mp_expect(&rd, CN__MP_BIN, &o) != 0 || cn__mp_rd_left(&rd) != 0)
        goto out_free;
    if (o.raw.len > 0) {
        if ((m->body = cn_try_malloc(o.raw.len)) == NULL) {
            rc = CN_ENOMEM;
            goto out_free;
        }
        memcpy(m->body, o.raw.ptr, o.raw.len);
        m->blen = o.raw.len;
    }
    *out = m;
    return 0;

out_free:
    cn_msg_free(m);
    return rc;
}
