/*
 * common/proto.c: the listing encoding shared by storage (encoder) and gateway (decoder).
 * A listing body is a msgpack array of entries, each an array
 *   [key (bin), size (uint), etag (str, < 72 bytes), mtime_ms (uint), clock (uint),
 *    flags (uint32), meta (map str -> str, optional)]
 * The seventh element, the metadata pairs a request named in its "meta_pick" field, is
 * there only when some were found; a node before it sends six, which still decode.
 * Decoding is strict (any other type, shape or trailing byte is CN_ECORRUPT) and the entry
 * table is bounded by the input size before it is allocated. The result keeps one copy of
 * the input bytes; entries' keys point into it.
 * Also the rule of the key service's key names, which gateway and manager both check.
 */
#include "common/proto.h"

#include <string.h>
#include <msgpack.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc_int.h"

#define LIST_MAGIC 0x6c697374u   /* "list" */
#define MIN_ENTRY_BYTES 8        /* 0x96, c4 00, 4 one-byte items (see above) */

struct cn_list_result {
    uint32_t magic;
    char *bytes;                 /* copy of the input; keys borrow from it */
    size_t n;
    cn_list_entry_t *e;
};

void cn_list_encode_begin(cn_buf_t *out, size_t n)
{
    msgpack_packer pk;

    msgpack_packer_init(&pk, out, cn__mp_buf_write);
    msgpack_pack_array(&pk, n);
}

void cn_list_encode_entry(cn_buf_t *out, const cn_list_entry_t *e)
{
    msgpack_packer pk;
    size_t elen = strnlen(e->etag, sizeof(e->etag) - 1);

    msgpack_packer_init(&pk, out, cn__mp_buf_write);
    msgpack_pack_array(&pk, e->meta.len ? 7 : 6);
    msgpack_pack_bin(&pk, e->key.len);
    msgpack_pack_bin_body(&pk, e->key.ptr, e->key.len);
    msgpack_pack_uint64(&pk, e->size);
    msgpack_pack_str(&pk, elen);
    msgpack_pack_str_body(&pk, e->etag, elen);
    msgpack_pack_uint64(&pk, e->mtime_ms);
    msgpack_pack_uint64(&pk, e->clock);
    msgpack_pack_uint64(&pk, e->flags);
    if (e->meta.len)
        cn_buf_append(out, e->meta.ptr, e->meta.len);
}

/* 1 when name (len bytes) is one of the ','-joined names of pick */
static int picked(cn_slice_t pick, const char *name, size_t len)
{
    const char *p = pick.ptr, *end = pick.ptr + pick.len;

    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

        if (n == len && memcmp(p, name, n) == 0)
            return 1;
        p += n + 1;
    }
    return 0;
}

void cn_list_pick_meta(cn_slice_t meta, cn_slice_t pick, cn_buf_t *out)
{
    cn_slice_t found[8][2];
    size_t nfound = 0;
    msgpack_packer pk;
    cn__mp_rd_t rd;
    cn__mp_obj_t o, k, v;

    cn__mp_rd_init(&rd, meta.ptr, meta.len);
    if (pick.len && meta.len && cn__mp_expect(&rd, CN__MP_MAP, &o) == 0)
        for (uint64_t i = 0; i < o.u && nfound < 8; i++) {
            if (cn__mp_expect(&rd, CN__MP_STR, &k) != 0 || cn__mp_expect(&rd, CN__MP_STR, &v) != 0)
                break; /* not the gateway's metadata: what was found so far stands */
            if (v.raw.len <= CN_LIST_PICK_VALUE_MAX && picked(pick, k.raw.ptr, k.raw.len)) {
                found[nfound][0] = k.raw;
                found[nfound++][1] = v.raw;
            }
        }
    msgpack_packer_init(&pk, out, cn__mp_buf_write);
    msgpack_pack_map(&pk, nfound);
    for (size_t i = 0; i < nfound; i++) {
        msgpack_pack_str(&pk, found[i][0].len);
        msgpack_pack_str_body(&pk, found[i][0].ptr, found[i][0].len);
        msgpack_pack_str(&pk, found[i][1].len);
        msgpack_pack_str_body(&pk, found[i][1].ptr, found[i][1].len);
    }
}

int cn_list_entry_meta(const cn_list_entry_t *e, const char *name, cn_slice_t *value)
{
    size_t len = strlen(name);
    cn__mp_rd_t rd;
    cn__mp_obj_t o, k, v;

    cn__mp_rd_init(&rd, e->meta.ptr, e->meta.len);
    if (e->meta.len == 0 || cn__mp_expect(&rd, CN__MP_MAP, &o) != 0)
        return 0;
    for (uint64_t i = 0; i < o.u; i++) {
        if (cn__mp_expect(&rd, CN__MP_STR, &k) != 0 || cn__mp_expect(&rd, CN__MP_STR, &v) != 0)
            return 0;
        if (k.raw.len == len && memcmp(k.raw.ptr, name, len) == 0) {
            *value = v.raw;
            return 1;
        }
    }
    return 0;
}

static int decode_entry(cn__mp_rd_t *rd, const char *base, const char *copy,
                        cn_list_entry_t *e)
{
    cn__mp_obj_t o;

    uint64_t nel;

    if (cn__mp_expect(rd, CN__MP_ARRAY, &o) != 0 || (o.u != 6 && o.u != 7))
        return CN_ECORRUPT;
    nel = o.u;
    if (cn__mp_expect(rd, CN__MP_BIN, &o) != 0)
        return CN_ECORRUPT;
    e->key = cn_slice(copy + (o.raw.ptr - base), o.raw.len);
    if (cn__mp_expect(rd, CN__MP_UINT, &o) != 0)
        return CN_ECORRUPT;
    e->size = o.u;
    if (cn__mp_expect(rd, CN__MP_STR, &o) != 0 || o.raw.len >= sizeof(e->etag) ||
        memchr(o.raw.ptr, '\0', o.raw.len) != NULL)
        return CN_ECORRUPT;
    memcpy(e->etag, o.raw.ptr, o.raw.len);
    e->etag[o.raw.len] = '\0';
    if (cn__mp_expect(rd, CN__MP_UINT, &o) != 0)
        return CN_ECORRUPT;
    e->mtime_ms = o.u;
    if (cn__mp_expect(rd, CN__MP_UINT, &o) != 0)
        return CN_ECORRUPT;
    e->clock = o.u;
    if (cn__mp_expect(rd, CN__MP_UINT, &o) != 0 || o.u > UINT32_MAX)
        return CN_ECORRUPT;
    e->flags = (uint32_t)o.u;
    if (nel == 7) { /* the picked metadata: a map of str -> str, kept as its bytes */
        const char *at = (const char *)rd->p;
        uint64_t npairs;

        if (cn__mp_expect(rd, CN__MP_MAP, &o) != 0)
            return CN_ECORRUPT;
        npairs = o.u;
        for (uint64_t i = 0; i < npairs; i++)
            if (cn__mp_expect(rd, CN__MP_STR, &o) != 0 || cn__mp_expect(rd, CN__MP_STR, &o) != 0)
                return CN_ECORRUPT;
        e->meta = cn_slice(copy + (at - base), (size_t)((const char *)rd->p - at));
    }
    return 0;
}

int cn_list_decode(const void *p, size_t len, cn_list_result_t **out)
{
    cn__mp_rd_t rd;
    cn__mp_obj_t o;
    cn_list_result_t *r;
    int rc = CN_ECORRUPT;

    *out = NULL;
    cn__mp_rd_init(&rd, p, len);
    if (cn__mp_expect(&rd, CN__MP_ARRAY, &o) != 0 || o.u > cn__mp_rd_left(&rd) / MIN_ENTRY_BYTES)
        return CN_ECORRUPT;
    r = cn_calloc(1, sizeof(*r));
    r->magic = LIST_MAGIC;
    r->n = (size_t)o.u;
    if (len > 0 && (r->bytes = cn_try_malloc(len)) == NULL) {
        rc = CN_ENOMEM;
        goto out_free;
    }
    if (len > 0)
        memcpy(r->bytes, p, len);
    if (r->n > 0 && (r->e = cn_try_malloc(r->n * sizeof(*r->e))) == NULL) {
        rc = CN_ENOMEM;
        goto out_free;
    }
    for (size_t k = 0; k < r->n; k++) {
        memset(&r->e[k], 0, sizeof(r->e[k]));
        if ((rc = decode_entry(&rd, p, r->bytes, &r->e[k])) != 0)
            goto out_free;
    }
    if (cn__mp_rd_left(&rd) != 0) {
        rc = CN_ECORRUPT;
        goto out_free;
    }
    *out = r;
    return 0;

out_free:
    cn_list_result_free(r);
    return rc;
}

size_t cn_list_result_count(const cn_list_result_t *r)
{
    CN_CHECK_OBJ(r, LIST_MAGIC);
    return r->n;
}

const cn_list_entry_t *cn_list_result_at(const cn_list_result_t *r, size_t i)
{
    CN_CHECK_OBJ(r, LIST_MAGIC);
    CN_ASSERT(i < r->n);
    return &r->e[i];
}

void cn_list_result_free(cn_list_result_t *r)
{
    if (r == NULL)
        return;
    CN_CHECK_OBJ(r, LIST_MAGIC);
    cn_free(r->bytes);
    cn_free(r->e);
    r->magic = 0;
    cn_free(r);
}

int cn_kms_name_valid(const char *name)
{
    size_t n = 0;

    if (name == NULL)
        return 0;
    for (; name[n] != '\0'; n++) {
        char c = name[n];

        if (n >= CN_KMS_NAME_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '.' || c == ':' || c == '-'))
            return 0;
    }
    return n > 0;
}
