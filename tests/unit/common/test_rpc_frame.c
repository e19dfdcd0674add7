/* tests/unit/common/test_rpc_frame.c: tests common/rpc_msg.c, common/rpc_frame.c and the
 * listing encoding of common/proto.c (no sockets). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <msgpack.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/rpc.h"

static int pk_write(void *data, const char *p, size_t n)
{
    cn_buf_append(data, p, n);
    return 0;
}

static cn_msg_t *sample(void)
{
    cn_msg_t *m = cn_msg_new("put");

    cn_msg_set_u64(m, "u0", 0);
    cn_msg_set_u64(m, "usmall", 5);
    cn_msg_set_u64(m, "ubig", UINT64_MAX);
    cn_msg_set_i64(m, "ineg", -1);
    cn_msg_set_i64(m, "imin", INT64_MIN);
    cn_msg_set_i64(m, "ipos", 1234567);
    cn_msg_set_str(m, "etag", "abc");
    cn_msg_set_str(m, "empty", "");
    cn_msg_set_bytes(m, "bin", "\0\1\2\xff", 4);
    return m;
}

static void check_sample(const cn_msg_t *m)
{
    uint64_t u;
    int64_t i;
    cn_slice_t s;
    char str[16];

    cr_assert_str_eq(cn_msg_op(m), "put");
    cr_assert_eq(cn_msg_get_u64(m, "u0", &u), 0);
    cr_assert_eq(u, 0);
    cr_assert_eq(cn_msg_get_u64(m, "usmall", &u), 0);
    cr_assert_eq(u, 5);
    cr_assert_eq(cn_msg_get_u64(m, "ubig", &u), 0);
    cr_assert_eq(u, UINT64_MAX);
    cr_assert_eq(cn_msg_get_i64(m, "ineg", &i), 0);
    cr_assert_eq(i, -1);
    cr_assert_eq(cn_msg_get_i64(m, "imin", &i), 0);
    cr_assert_eq(i, INT64_MIN);
    cr_assert_eq(cn_msg_get_i64(m, "ipos", &i), 0);
    cr_assert_eq(i, 1234567);
    cr_assert_eq(cn_msg_get_u64(m, "ipos", &u), 0);   /* non-negative i64 reads as u64 */
    cr_assert_eq(u, 1234567);
    cr_assert_eq(cn_msg_get_i64(m, "usmall", &i), 0); /* u64 <= INT64_MAX reads as i64 */
    cr_assert_eq(i, 5);
    cr_assert_eq(cn_msg_get_str(m, "etag", str, sizeof(str)), 0);
    cr_assert_str_eq(str, "abc");
    cr_assert_eq(cn_msg_get_str(m, "empty", str, sizeof(str)), 0);
    cr_assert_str_eq(str, "");
    cr_assert_eq(cn_msg_get_bytes(m, "bin", &s), 0);
    cr_assert_eq(s.len, 4);
    cr_assert_arr_eq(s.ptr, "\0\1\2\xff", 4);
}

static cn_msg_t *roundtrip(const cn_msg_t *m, int kind, uint64_t id)
{
    cn_buf_t b;
    cn_msg_t *out = NULL;
    uint32_t plen;

    cn_buf_init(&b);
    cn_msg_encode(m, kind, id, &b);
    plen = cn_get_u32be(b.data);
    cr_assert_eq(plen + 4, b.len);
    cr_assert_eq(cn_msg_decode(b.data + 4, plen, &out), 0);
    cn_buf_dispose(&b);
    return out;
}

Test(rpc_msg, roundtrip_every_field_type_empty_body, .timeout = 5)
{
    cn_msg_t *m = sample(), *d;

    d = roundtrip(m, CN_RPC_REQ, 42);
    check_sample(d);
    cr_assert_eq(cn_msg_kind(d), CN_RPC_REQ);
    cr_assert_eq(cn_msg_id(d), 42);
    cr_assert_eq(cn_msg_body(d).len, 0);
    cr_assert_eq(cn_msg_rc(d), 0);
    cn_msg_free(d);
    cn_msg_free(m);
}

Test(rpc_msg, roundtrip_one_mib_body_and_rc, .timeout = 10)
{
    cn_msg_t *m = sample(), *d;
    size_t n = 1 << 20, len;
    char *body = cn_malloc(n);
    void *stolen;

    for (size_t k = 0; k < n; k++)
        body[k] = (char)(k * 7 + 3);
    cn_msg_set_body_copy(m, body, n);
    cn_msg_set_rc(m, CN_ENOENT);
    d = roundtrip(m, CN_RPC_RESP, UINT64_MAX);
    check_sample(d);
    cr_assert_eq(cn_msg_kind(d), CN_RPC_RESP);
    cr_assert_eq(cn_msg_id(d), UINT64_MAX);
    cr_assert_eq(cn_msg_rc(d), CN_ENOENT);
    cr_assert_eq(cn_msg_body(d).len, n);
    cr_assert_arr_eq(cn_msg_body(d).ptr, body, n);
    stolen = cn_msg_steal_body(d, &len);
    cr_assert_eq(len, n);
    cr_assert_eq(cn_msg_body(d).len, 0);
    cn_free(stolen);
    cn_free(body);
    cn_msg_free(d);
    cn_msg_free(m);
}

Test(rpc_msg, dup_copies_everything_and_owns_it, .timeout = 5)
{
    cn_msg_t *m = sample(), *d;

    cn_msg_set_body_copy(m, "body!", 5);
    d = cn_msg_dup(m);
    cn_msg_set_str(m, "etag", "changed");   /* the copy owns its own bytes */
    cn_msg_free(m);
    check_sample(d);
    cr_assert_eq(cn_msg_kind(d), CN_RPC_REQ);
    cr_assert_eq(cn_msg_body(d).len, 5);
    cr_assert_arr_eq(cn_msg_body(d).ptr, "body!", 5);
    m = roundtrip(d, CN_RPC_REQ, 7);        /* and it encodes like the original */
    check_sample(m);
    cn_msg_free(m);
    cn_msg_free(d);
}

Test(rpc_msg, setters_replace_and_getters_check_types, .timeout = 5)
{
    cn_msg_t *m = cn_msg_new("get");
    uint64_t u;
    int64_t i;
    cn_slice_t s;
    char small[3];

    cn_msg_set_u64(m, "x", 1);
    cn_msg_set_str(m, "x", "now a string");
    cr_assert_eq(cn_msg_get_u64(m, "x", &u), CN_EINVAL);
    cr_assert_eq(cn_msg_get_i64(m, "x", &i), CN_EINVAL);
    cr_assert_eq(cn_msg_get_bytes(m, "x", &s), 0);
    cr_assert_eq(cn_msg_get_str(m, "x", small, sizeof(small)), CN_E2BIG);
    cn_msg_set_i64(m, "n", -5);
    cr_assert_eq(cn_msg_get_u64(m, "n", &u), CN_EINVAL);
    cr_assert_eq(cn_msg_get_bytes(m, "n", &s), CN_EINVAL);
    cr_assert_eq(cn_msg_get_str(m, "n", small, sizeof(small)), CN_EINVAL);
    cn_msg_set_u64(m, "big", (uint64_t)INT64_MAX + 1);
    cr_assert_eq(cn_msg_get_i64(m, "big", &i), CN_EINVAL);
    cn_msg_set_bytes(m, "nul", "a\0b", 3);
    cr_assert_eq(cn_msg_get_str(m, "nul", small, sizeof(small)), CN_E2BIG);
    cr_assert_eq(cn_msg_get_u64(m, "absent", &u), CN_ENOENT);
    cr_assert_eq(cn_msg_get_bytes(m, "absent", &s), CN_ENOENT);
    cn_msg_free(m);
}

Test(rpc_frame, one_byte_at_a_time, .timeout = 5)
{
    cn_msg_t *m = sample(), *d = NULL;
    cn_frame_reader_t r;
    cn_buf_t b;

    cn_msg_set_body_copy(m, "hello body", 10);
    cn_buf_init(&b);
    cn_msg_encode(m, CN_RPC_REQ, 7, &b);
    cn_frame_reader_init(&r, 0);
    for (size_t k = 0; k < b.len; k++) {
        cr_assert_eq(cn_frame_reader_next(&r, &d), 0, "frame complete too early at %zu", k);
        cn_frame_reader_feed(&r, b.data + k, 1);
    }
    cr_assert_eq(cn_frame_reader_next(&r, &d), 1);
    check_sample(d);
    cr_assert_eq(cn_msg_id(d), 7);
    cr_assert_arr_eq(cn_msg_body(d).ptr, "hello body", 10);
    cn_msg_free(d);
    cr_assert_eq(cn_frame_reader_next(&r, &d), 0);
    cn_frame_reader_dispose(&r);
    cn_buf_dispose(&b);
    cn_msg_free(m);
}

Test(rpc_frame, two_frames_and_a_half_in_one_feed, .timeout = 5)
{
    cn_msg_t *m = sample(), *d = NULL;
    cn_frame_reader_t r;
    cn_buf_t b;
    size_t one;

    cn_buf_init(&b);
    cn_msg_encode(m, CN_RPC_REQ, 1, &b);
    one = b.len;
    cn_msg_encode(m, CN_RPC_REQ, 2, &b);
    cn_msg_encode(m, CN_RPC_REQ, 3, &b);
    cn_frame_reader_init(&r, 0);
    cn_frame_reader_feed(&r, b.data, 2 * one + one / 2);
    for (uint64_t id = 1; id <= 2; id++) {
        cr_assert_eq(cn_frame_reader_next(&r, &d), 1);
        cr_assert_eq(cn_msg_id(d), id);
        check_sample(d);
        cn_msg_free(d);
    }
    cr_assert_eq(cn_frame_reader_next(&r, &d), 0);
    cn_frame_reader_feed(&r, b.data + 2 * one + one / 2, one - one / 2);
    cr_assert_eq(cn_frame_reader_next(&r, &d), 1);
    cr_assert_eq(cn_msg_id(d), 3);
    cn_msg_free(d);
    cr_assert_eq(cn_frame_reader_next(&r, &d), 0);
    cn_frame_reader_dispose(&r);
    cn_buf_dispose(&b);
    cn_msg_free(m);
}

Test(rpc_frame, garbage_is_eproto, .timeout = 5)
{
    static const char garbage[] = "\x00\x00\x00\x08GARBAGE!";
    cn_frame_reader_t r;
    cn_msg_t *d = NULL;

    cn_frame_reader_init(&r, 0);
    cn_frame_reader_feed(&r, garbage, sizeof(garbage) - 1);
    cr_assert_eq(cn_frame_reader_next(&r, &d), CN_EPROTO);
    cr_assert_null(d);
    cn_frame_reader_dispose(&r);
}

Test(rpc_frame, length_over_max_is_e2big_without_allocating, .timeout = 5)
{
    cn_frame_reader_t r;
    cn_msg_t *d = NULL;
    char hdr[4];

    cn_frame_reader_init(&r, 1024);
    cn_put_u32be(hdr, 0xffffffffu);
    cn_frame_reader_feed(&r, hdr, 4);
    cr_assert_eq(cn_frame_reader_next(&r, &d), CN_E2BIG);
    cr_assert_lt(r.buf.cap, 1024);
    cn_frame_reader_dispose(&r);

    cn_frame_reader_init(&r, 1024);
    cn_put_u32be(hdr, 1025);
    cn_frame_reader_feed(&r, hdr, 4);
    cr_assert_eq(cn_frame_reader_next(&r, &d), CN_E2BIG);
    cn_frame_reader_dispose(&r);
}

Test(rpc_frame, truncated_msgpack_waits_then_eproto, .timeout = 5)
{
    cn_msg_t *m = sample(), *d = NULL;
    cn_frame_reader_t r;
    cn_buf_t b, bad;
    uint32_t plen;

    /* A frame whose prefix claims the whole payload but whose msgpack is cut short. */
    cn_buf_init(&b);
    cn_msg_encode(m, CN_RPC_REQ, 9, &b);
    plen = cn_get_u32be(b.data);
    cn_buf_init(&bad);
    cn_buf_append(&bad, b.data, 4);
    cn_buf_append(&bad, b.data + 4, plen - 5);   /* payload minus 5 bytes... */
    cn_buf_append(&bad, "\0\0\0\0\0", 5);         /* ...padded so the frame completes */
    cn_frame_reader_init(&r, 0);
    for (size_t k = 0; k + 1 < bad.len; k++) {
        cn_frame_reader_feed(&r, bad.data + k, 1);
        cr_assert_eq(cn_frame_reader_next(&r, &d), 0);
    }
    cn_frame_reader_feed(&r, bad.data + bad.len - 1, 1);
    cr_assert_eq(cn_frame_reader_next(&r, &d), CN_EPROTO);
    cr_assert_null(d);

    /* A payload that simply ends early: decode alone says CN_EPROTO for every prefix. */
    for (uint32_t k = 0; k < plen; k++) {
        cr_assert_eq(cn_msg_decode(b.data + 4, k, &d), CN_EPROTO, "prefix %u", k);
        cr_assert_null(d);
    }
    cn_frame_reader_dispose(&r);
    cn_buf_dispose(&bad);
    cn_buf_dispose(&b);
    cn_msg_free(m);
}

/* Packs [kind, id, op, fields, body] with a chosen wrong element. */
static int decode_packed(int variant)
{
    cn_buf_t p;
    msgpack_packer pk;
    cn_msg_t *d = NULL;
    int rc;

    cn_buf_init(&p);
    msgpack_packer_init(&pk, &p, pk_write);
    msgpack_pack_array(&pk, variant == 5 ? 4 : 5);
    msgpack_pack_uint64(&pk, variant == 6 ? 9 : 0);
    msgpack_pack_uint64(&pk, 1);
    if (variant == 0) {
        msgpack_pack_int(&pk, 3);                 /* op as int */
    } else {
        msgpack_pack_str(&pk, 3);
        msgpack_pack_str_body(&pk, "get", 3);
    }
    if (variant == 1) {
        msgpack_pack_array(&pk, 0);               /* fields not a map */
    } else if (variant == 2) {
        msgpack_pack_map(&pk, 1);                 /* a field that is a float */
        msgpack_pack_str(&pk, 1);
        msgpack_pack_str_body(&pk, "x", 1);
        msgpack_pack_double(&pk, 1.5);
    } else if (variant == 3) {
        msgpack_pack_map(&pk, 1);                 /* a name that is an int */
        msgpack_pack_int(&pk, 1);
        msgpack_pack_int(&pk, 1);
    } else if (variant == 7) {
        msgpack_pack_map(&pk, 2);                 /* duplicate names */
        for (int k = 0; k < 2; k++) {
            msgpack_pack_str(&pk, 1);
            msgpack_pack_str_body(&pk, "x", 1);
            msgpack_pack_int(&pk, k);
        }
    } else if (variant == 8) {
        msgpack_pack_map(&pk, 65);                /* too many fields */
        for (int k = 0; k < 65; k++) {
            char name[8];
            int n = snprintf(name, sizeof(name), "f%d", k);
            msgpack_pack_str(&pk, n);
            msgpack_pack_str_body(&pk, name, n);
            msgpack_pack_int(&pk, k);
        }
    } else {
        msgpack_pack_map(&pk, 0);
    }
    if (variant == 5) {
        /* array of 4: no body */
    } else if (variant == 4) {
        msgpack_pack_str(&pk, 2);                 /* body as str, not bin */
        msgpack_pack_str_body(&pk, "hi", 2);
    } else {
        msgpack_pack_bin(&pk, 0);
    }
    if (variant == 9)
        msgpack_pack_nil(&pk);                    /* trailing byte */
    rc = cn_msg_decode(p.data, p.len, &d);
    if (rc == 0)
        cn_msg_free(d);
    else
        cr_assert_null(d);
    cn_buf_dispose(&p);
    return rc;
}

Test(rpc_msg, wrong_types_are_eproto, .timeout = 5)
{
    cr_assert_eq(decode_packed(-1), 0);   /* the well-formed baseline */
    for (int v = 0; v <= 9; v++)
        cr_assert_eq(decode_packed(v), CN_EPROTO, "variant %d", v);
}

Test(rpc_msg, every_truncation_and_bit_flip_is_handled, .timeout = 20)
{
    cn_msg_t *m = sample(), *d;
    cn_buf_t b;

    cn_msg_set_body_copy(m, "xyz", 3);
    cn_buf_init(&b);
    cn_msg_encode(m, CN_RPC_REQ, 5, &b);
    for (size_t k = 4; k < b.len; k++) {
        for (int bit = 0; bit < 8; bit++) {
            int rc;

            b.data[k] ^= (char)(1 << bit);
            d = NULL;
            rc = cn_msg_decode(b.data + 4, b.len - 4, &d);
            cr_assert(rc == 0 || rc == CN_EPROTO);
            cn_msg_free(d);
            b.data[k] ^= (char)(1 << bit);
        }
    }
    cn_buf_dispose(&b);
    cn_msg_free(m);
}

Test(rpc_msg, huge_container_claims_do_not_allocate, .timeout = 5)
{
    static const unsigned char arr32[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char map32[] = {0x95, 0x00, 0x01, 0xa3, 'g', 'e', 't',
                                          0xdf, 0xff, 0xff, 0xff, 0xff};
    cn_msg_t *d = NULL;

    cr_assert_eq(cn_msg_decode(arr32, sizeof(arr32), &d), CN_EPROTO);
    cr_assert_eq(cn_msg_decode(map32, sizeof(map32), &d), CN_EPROTO);
    cr_assert_eq(cn_msg_decode("", 0, &d), CN_EPROTO);
}

/* ---- listing (proto.c) -------------------------------------------------------------- */

Test(proto, list_roundtrip, .timeout = 5)
{
    cn_list_entry_t in[3] = {
        {.key = CN_SLICE("b/a"), .size = 0, .etag = "d41d8cd98f00b204e9800998ecf8427e",
         .mtime_ms = 1, .clock = 2, .flags = 0},
        {.key = CN_SLICE("b/dir/"), .size = UINT64_MAX, .etag = "", .mtime_ms = UINT64_MAX,
         .clock = UINT64_MAX, .flags = CN_LIST_PREFIX},
        {.key = CN_SLICE(""), .size = 12345, .etag = "x-1", .mtime_ms = 1700000000000ull,
         .clock = 99, .flags = CN_OBJ_TOMBSTONE | CN_OBJ_MANIFEST},
    };
    cn_list_result_t *r;
    cn_buf_t b;

    cn_buf_init(&b);
    cn_list_encode_begin(&b, 3);
    for (int k = 0; k < 3; k++)
        cn_list_encode_entry(&b, &in[k]);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cn_buf_dispose(&b);   /* keys must not borrow from the input */
    cr_assert_eq(cn_list_result_count(r), 3);
    for (int k = 0; k < 3; k++) {
        const cn_list_entry_t *e = cn_list_result_at(r, k);

        cr_assert(cn_slice_eq(e->key, in[k].key), "entry %d key", k);
        cr_assert_eq(e->size, in[k].size);
        cr_assert_str_eq(e->etag, in[k].etag);
        cr_assert_eq(e->mtime_ms, in[k].mtime_ms);
        cr_assert_eq(e->clock, in[k].clock);
        cr_assert_eq(e->flags, in[k].flags);
    }
    cn_list_result_free(r);

    cn_buf_init(&b);
    cn_list_encode_begin(&b, 0);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cr_assert_eq(cn_list_result_count(r), 0);
    cn_list_result_free(r);
    cn_buf_dispose(&b);
}

/* The seventh element: the metadata pairs a listing picked; an entry without it still decodes
 * (a node before meta_pick), one with anything but a map of str -> str does not. */
Test(proto, list_entry_carries_picked_metadata, .timeout = 5)
{
    static const char meta[] = "\x82\xa6:owner\xa2id\xa4:big\xa1x";
    cn_list_entry_t in[2] = {{.key = CN_SLICE("b/a"), .etag = "e"}, {.key = CN_SLICE("b/b")}};
    cn_list_result_t *r;
    cn_buf_t b, picks;
    cn_slice_t v;

    cn_buf_init(&b);
    cn_buf_init(&picks);
    cn_list_pick_meta(CN_SLICE(meta), CN_SLICE(":acl,:owner"), &picks);
    in[0].meta = cn_slice(picks.data, picks.len);
    cn_list_encode_begin(&b, 2);
    cn_list_encode_entry(&b, &in[0]);
    cn_list_encode_entry(&b, &in[1]);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 0), ":owner", &v), 1);
    cr_assert(cn_slice_eq(v, CN_SLICE("id")));
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 0), ":big", &v), 0);
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 1), ":owner", &v), 0);
    cn_list_result_free(r);
    /* [key, size, etag, mtime, clock, flags, 1]: a seventh element that is no map */
    cn_buf_reset(&b);
    cn_buf_append(&b, "\x91\x97\xc4\x01k\x00\xa0\x00\x00\x00\x01", 11);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), CN_ECORRUPT);
    cn_buf_dispose(&b);
    cn_buf_dispose(&picks);
}

Test(proto, list_garbage_is_ecorrupt, .timeout = 10)
{
    static const unsigned char huge[] = {0xdd, 0x7f, 0xff, 0xff, 0xff, 0x96};
    cn_list_entry_t e = {.key = CN_SLICE("b/k"), .size = 3, .etag = "abc", .flags = 1};
    cn_list_result_t *r = NULL;
    cn_buf_t b;

    cr_assert_eq(cn_list_decode("garbage", 7, &r), CN_ECORRUPT);
    cr_assert_null(r);
    cr_assert_eq(cn_list_decode("", 0, &r), CN_ECORRUPT);
    cr_assert_eq(cn_list_decode(huge, sizeof(huge), &r), CN_ECORRUPT);
    cn_buf_init(&b);
    cn_list_encode_begin(&b, 2);   /* claims 2, holds 1 */
    cn_list_encode_entry(&b, &e);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), CN_ECORRUPT);
    cn_buf_reset(&b);
    cn_list_encode_begin(&b, 1);
    cn_list_encode_entry(&b, &e);
    cn_buf_append(&b, "\xc0", 1);  /* trailing byte */
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), CN_ECORRUPT);
    for (size_t k = 0; k + 1 < b.len; k++)
        cr_assert_eq(cn_list_decode(b.data, k, &r), CN_ECORRUPT, "prefix %zu", k);
    for (size_t k = 0; k + 1 < b.len; k++) {
        for (int bit = 0; bit < 8; bit++) {
            int rc;

            b.data[k] ^= (char)(1 << bit);
            r = NULL;
            rc = cn_list_decode(b.data, b.len - 1, &r);
            cr_assert(rc == 0 || rc == CN_ECORRUPT);
            cn_list_result_free(r);
            b.data[k] ^= (char)(1 << bit);
        }
    }
    cn_buf_dispose(&b);
}

Test(rpc_frame, random_bytes_never_crash, .timeout = 20)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char buf[256];

    for (int round = 0; round < 20000; round++) {
        cn_frame_reader_t r;
        cn_msg_t *d = NULL;
        size_t n = 4 + (size_t)(round % 200);
        int rc;

        for (size_t k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[k] = (char)x;
        }
        cn_put_u32be(buf, (uint32_t)(n - 4 - (round % 3)));   /* mostly plausible lengths */
        cn_frame_reader_init(&r, 4096);
        cn_frame_reader_feed(&r, buf, n);
        while ((rc = cn_frame_reader_next(&r, &d)) == 1)
            cn_msg_free(d);
        cr_assert(rc == 0 || rc == CN_EPROTO || rc == CN_E2BIG, "rc %d", rc);
        cn_frame_reader_dispose(&r);
    }
}

/* issue 19: a borrowed body encodes as a copied one, is shared by a dup (same pointer), is
 * never freed by the message (ASan would see a bad free), and is copied when stolen. */
Test(rpc_msg, borrowed_body_encodes_as_a_copy_and_dup_borrows_it, .timeout = 5)
{
    static char body[300000];
    cn_msg_t *a = cn_msg_new("put"), *b = cn_msg_new("put"), *d;
    cn_buf_t fa, fb;
    void *stolen;
    size_t n = 0;

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)(i * 7);
    cn_msg_set_bytes(a, "key", "b/k", 3);
    cn_msg_set_bytes(b, "key", "b/k", 3);
    cn_msg_set_body_copy(a, body, sizeof(body));
    cn_msg_set_body_ref(b, body, sizeof(body));
    cr_assert_eq(cn_msg_body(b).ptr, body);
    cn_buf_init(&fa);
    cn_buf_init(&fb);
    cn_msg_encode(a, CN_RPC_REQ, 7, &fa);
    cn_msg_encode(b, CN_RPC_REQ, 7, &fb);
    cr_assert_eq(fa.len, fb.len);
    cr_assert_arr_eq(fa.data, fb.data, fa.len);
    d = cn_msg_dup(b);
    cr_assert_eq(cn_msg_body(d).ptr, body, "a dup borrows the same bytes");
    stolen = cn_msg_steal_body(d, &n);
    cr_assert_neq(stolen, body);
    cr_assert_eq(n, sizeof(body));
    cr_assert_arr_eq(stolen, body, n);
    cn_free(stolen);
    cn_msg_set_body_ref(d, body, 10);
    cn_msg_set_body_copy(d, "x", 1); /* replacing a borrowed body frees nothing */
    cn_msg_free(d);
    cn_msg_free(b);
    cn_msg_free(a);
    cn_buf_dispose(&fa);
    cn_buf_dispose(&fb);
}
