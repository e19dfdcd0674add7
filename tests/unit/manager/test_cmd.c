/* tests/unit/manager/test_cmd.c: tests manager/cmd.c, the encoding of command entries: every
 * kind survives a round trip, another version or kind is refused, and corrupt bytes (cut,
 * flipped, trailing, mistyped, oversized, unknown or repeated fields) give a code, never a
 * crash. */
#include <criterion/criterion.h>
#include <string.h>
#include <msgpack.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/cmd.h"
#include "tests/unit/manager/cmd_samples.h"

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
}
TestSuite(mgr_cmd, .init = setup);

static void encode_sample(enum mgr_cmd_kind k, cn_buf_t *out)
{
    mgr_cmd_t c;

    t_cmd_sample(k, &c);
    cn_buf_init(out);
    mgr_cmd_encode(&c, out);
    mgr_cmd_dispose(&c);
}

Test(mgr_cmd, every_kind_survives_a_round_trip, .timeout = 10)
{
    for (int k = MGR_CMD_NONE + 1; k < MGR_CMD_NKINDS; k++) {
        cn_buf_t a, b;
        mgr_cmd_t got;

        encode_sample((enum mgr_cmd_kind)k, &a);
        cr_assert_eq(mgr_cmd_decode(a.data, a.len, &got), 0, "kind %s",
                     mgr_cmd_kind_name((enum mgr_cmd_kind)k));
        cr_assert_eq(got.kind, (enum mgr_cmd_kind)k);
        cn_buf_init(&b);
        mgr_cmd_encode(&got, &b);
        cr_assert_eq(b.len, a.len, "kind %s", mgr_cmd_kind_name((enum mgr_cmd_kind)k));
        cr_assert_arr_eq(b.data, a.data, a.len);
        mgr_cmd_dispose(&got);
        cn_buf_dispose(&a);
        cn_buf_dispose(&b);
    }
}

/* Encodes want and decodes it into *got (which the caller disposes). */
static void round_trip(const mgr_cmd_t *want, mgr_cmd_t *got)
{
    cn_buf_t b;

    cn_buf_init(&b);
    mgr_cmd_encode(want, &b);
    cr_assert_eq(mgr_cmd_decode(b.data, b.len, got), 0);
    cn_buf_dispose(&b);
}

Test(mgr_cmd, decoded_fields_are_the_proposed_ones, .timeout = 10)
{
    mgr_cmd_t want, got;

    t_cmd_sample(MGR_CMD_USER_CREATE, &want);
    round_trip(&want, &got);
    cr_assert_str_eq(got.user.name, want.user.name);
    cr_assert_str_eq(got.user.id, want.user.id);
    cr_assert_str_eq(got.user.access_key, want.user.access_key);
    cr_assert_str_eq(got.user.secret, want.user.secret);
    cr_assert_str_eq(got.user.role, want.user.role);
    cr_assert_str_eq(got.user.pw_hash, want.user.pw_hash);
    cr_assert_eq(got.user.created_ms, want.user.created_ms);
    cr_assert_str_eq(got.bucket.name, ""); /* not a field of user_create */
    mgr_cmd_dispose(&got);
    /* an empty optional field is left out and comes back empty */
    want.user.pw_hash[0] = '\0';
    round_trip(&want, &got);
    cr_assert_str_eq(got.user.pw_hash, "");
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_MEMBER_PUT, &want);
    round_trip(&want, &got);
    cr_assert_eq(got.member.port, 10100);
    cr_assert_eq(got.member.vnodes, 128);
    cr_assert_eq(got.member.ring_cur, want.member.ring_cur);
    cr_assert_eq(got.member.ring_prev, want.member.ring_prev);
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_RING_START, &want);
    round_trip(&want, &got);
    cr_assert_eq(got.ring_len, want.ring_len);
    cr_assert_arr_eq(got.ring, want.ring, want.ring_len);
    cr_assert_eq(got.levels.n, 3);
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_RESTORE, &want);
    round_trip(&want, &got);
    cr_assert_eq(got.nrecs, 3);
    cr_assert_str_eq(got.recs[1].key, "v/users");
    cr_assert_eq(got.recs[1].vlen, 8);
    cr_assert_eq(((const char *)got.recs[1].val)[7], 7);
    cr_assert_eq(got.recs[2].vlen, 0);
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);
}

/* ---- hand-made maps ------------------------------------------------------------------- */

static int buf_write(void *data, const char *p, size_t n)
{
    cn_buf_append(data, p, n);
    return 0;
}

static void str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void begin(cn_buf_t *b, msgpack_packer *pk)
{
    cn_buf_init(b);
    msgpack_packer_init(pk, b, buf_write);
}

/* {"v": v, "kind": kind, "user": "alice"} plus extra pairs written by the caller. */
static void head(cn_buf_t *b, msgpack_packer *pk, uint64_t v, const char *kind, size_t extra)
{
    begin(b, pk);
    msgpack_pack_map(pk, 3 + extra);
    str(pk, "v");
    msgpack_pack_uint64(pk, v);
    str(pk, "kind");
    str(pk, kind);
    str(pk, "user");
    str(pk, "alice");
}

static int decode_buf(cn_buf_t *b)
{
    mgr_cmd_t c;
    int rc = mgr_cmd_decode(b->data, b->len, &c);

    if (rc == 0)
        mgr_cmd_dispose(&c);
    cn_buf_dispose(b);
    return rc;
}

Test(mgr_cmd, another_version_or_an_unknown_kind_is_refused, .timeout = 10)
{
    cn_buf_t b;
    msgpack_packer pk;

    head(&b, &pk, 1, "user_delete", 0);
    cr_assert_eq(decode_buf(&b), 0);
    head(&b, &pk, 2, "user_delete", 0);
    cr_assert_eq(decode_buf(&b), CN_EPROTO);
    head(&b, &pk, 0, "user_delete", 0);
    cr_assert_eq(decode_buf(&b), CN_EPROTO);
    head(&b, &pk, 1, "user_rename", 0);
    cr_assert_eq(decode_buf(&b), CN_EPROTO);
    /* a newer version is refused even when its fields are unknown here */
    head(&b, &pk, 7, "user_delete", 1);
    str(&pk, "reason");
    str(&pk, "x");
    cr_assert_eq(decode_buf(&b), CN_EPROTO);
}

/* One extra pair after head(): a key and a value of one type. */
enum vtype { V_NONE, V_STR, V_UINT, V_INT, V_NUL, V_BIG, V_UKEY };
struct pair {
    const char *key;
    enum vtype t;
    const char *s;
    int64_t i;
};

static void pack_pair(msgpack_packer *pk, const struct pair *p)
{
    static char big[200];

    if (p->t == V_UKEY) { /* a key that is not a string */
        msgpack_pack_uint64(pk, 5);
        str(pk, "x");
        return;
    }
    str(pk, p->key);
    switch (p->t) {
    case V_STR: str(pk, p->s); break;
    case V_UINT: msgpack_pack_uint64(pk, (uint64_t)p->i); break;
    case V_INT: msgpack_pack_int64(pk, p->i); break;
    case V_NUL:
        msgpack_pack_str(pk, 3);
        msgpack_pack_str_body(pk, "a\0b", 3);
        break;
    case V_BIG:
        memset(big, 'a', sizeof(big) - 1);
        str(pk, big);
        break;
    default: break;
    }
}

Test(mgr_cmd, malformed_fields_are_corrupt, .timeout = 10)
{
    static const struct {
        const char *kind, *why;
        struct pair p[2];
    } cases[] = {
        {"user_delete", "a field the kind does not have", {{"role", V_STR, "admin", 0}}},
        {"user_set_role", "a required field missing", {{0}}},
        {"user_delete", "the same field twice", {{"user", V_STR, "bob", 0}}},
        {"user_delete", "\"v\" twice", {{"v", V_UINT, NULL, 1}}},
        {"user_delete", "\"kind\" twice", {{"kind", V_STR, "user_delete", 0}}},
        {"bucket_set_quota", "a string for an int",
         {{"bucket", V_STR, "photos", 0}, {"quota", V_STR, "12", 0}}},
        {"user_set_role", "an int for a string", {{"role", V_UINT, NULL, 1}}},
        {"bucket_set_quota", "a negative int",
         {{"bucket", V_STR, "photos", 0}, {"quota", V_INT, NULL, -1}}},
        {"user_set_role", "a string longer than its member", {{"role", V_BIG, NULL, 0}}},
        {"user_set_role", "an empty string", {{"role", V_STR, "", 0}}},
        {"user_set_role", "a NUL inside a string", {{"role", V_NUL, NULL, 0}}},
        {"user_delete", "a key that is not a string", {{"", V_UKEY, NULL, 0}}},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = (cases[i].p[0].t != V_NONE) + (cases[i].p[1].t != V_NONE);
        cn_buf_t b;
        msgpack_packer pk;

        head(&b, &pk, 1, cases[i].kind, n);
        for (size_t j = 0; j < n; j++)
            pack_pair(&pk, &cases[i].p[j]);
        cr_expect_eq(decode_buf(&b), CN_ECORRUPT, "%s", cases[i].why);
    }
}

/* Maps that are not entries: restore records that are not [str, bin] pairs, not a map, no
 * "v", no "kind". */
Test(mgr_cmd, maps_that_are_not_entries_are_corrupt, .timeout = 10)
{
    cn_buf_t b;
    msgpack_packer pk;

    begin(&b, &pk);
    msgpack_pack_map(&pk, 3);
    str(&pk, "v");
    msgpack_pack_uint64(&pk, 1);
    str(&pk, "kind");
    str(&pk, "restore");
    str(&pk, "records");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2);
    str(&pk, "u/alice");
    str(&pk, "{}");
    cr_assert_eq(decode_buf(&b), CN_ECORRUPT);
    begin(&b, &pk);
    msgpack_pack_array(&pk, 0);
    cr_assert_eq(decode_buf(&b), CN_ECORRUPT);
    begin(&b, &pk);
    msgpack_pack_map(&pk, 1);
    str(&pk, "kind");
    str(&pk, "user_delete");
    cr_assert_eq(decode_buf(&b), CN_ECORRUPT);
    begin(&b, &pk);
    msgpack_pack_map(&pk, 1);
    str(&pk, "v");
    msgpack_pack_uint64(&pk, 1);
    cr_assert_eq(decode_buf(&b), CN_ECORRUPT);
}

/* The key service's entries: the wrapped KEK is bin of exactly 60 bytes, a rewrap carries
 * its records in order. */
Test(mgr_cmd, kms_entries_keep_their_wrapped_keys, .timeout = 10)
{
    mgr_cmd_t want, got;

    t_cmd_sample(MGR_CMD_KMS_KEY_ROTATE, &want);
    round_trip(&want, &got);
    cr_assert_str_eq(got.kms.name, "aws/s3");
    cr_assert_eq(got.kms.epoch, 3);
    cr_assert_str_eq(got.kms.master, "0123456789abcdef");
    cr_assert_arr_eq(got.kms.wrapped, want.kms.wrapped, CN_SSE_WRAPPED_LEN);
    cr_assert_eq(got.created_ms, want.created_ms);
    cr_assert_eq(got.nwraps, 0, "wraps are not a field of kms_key_rotate");
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_KMS_KEY_CREATE, &want);
    round_trip(&want, &got);
    cr_assert_eq(got.kms.epoch, 0, "create sends no epoch: it is always 1");
    cr_assert_arr_eq(got.kms.wrapped, want.kms.wrapped, CN_SSE_WRAPPED_LEN);
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_KMS_REWRAP, &want);
    round_trip(&want, &got);
    cr_assert_eq(got.nwraps, 3);
    cr_assert_str_eq(got.wraps[0].origin, "", "this cluster's own key: no origin");
    cr_assert_str_eq(got.wraps[2].origin, "aaaaaaaaaaaaaaaa", "a remote store's epoch");
    cr_assert_eq(got.wraps[2].epoch, 1);
    cr_assert_eq(got.wraps[0].epoch, 2);
    cr_assert_eq(got.wraps[1].epoch, 3);
    cr_assert_str_eq(got.wraps[1].name, "aws/s3");
    cr_assert_str_eq(got.wraps[1].master, "0123456789abcdef");
    cr_assert_arr_eq(got.wraps[1].wrapped, want.wraps[1].wrapped, CN_SSE_WRAPPED_LEN);
    cr_assert_str_eq(got.kms.name, "", "kms is not a field of kms_rewrap");
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);
}

/* {"v": 1, "kind": kind} and then the caller's n pairs. */
static void head_only(cn_buf_t *b, msgpack_packer *pk, const char *kind, size_t n)
{
    begin(b, pk);
    msgpack_pack_map(pk, 2 + n);
    str(pk, "v");
    msgpack_pack_uint64(pk, 1);
    str(pk, "kind");
    str(pk, kind);
}

static void bin(msgpack_packer *pk, size_t n)
{
    static const uint8_t zero[64];

    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, zero, n);
}

/* A kms_key_create up to the key "wrapped", whose value the caller packs. */
static void create_head(cn_buf_t *b, msgpack_packer *pk)
{
    head_only(b, pk, "kms_key_create", 4);
    str(pk, "name");
    str(pk, "k1");
    str(pk, "created_ms");
    msgpack_pack_uint64(pk, 1);
    str(pk, "master");
    str(pk, "0123456789abcdef");
    str(pk, "wrapped");
}

Test(mgr_cmd, kms_wrapped_keys_of_another_size_are_corrupt, .timeout = 10)
{
    static const size_t sizes[] = {0, 59, 61, 60};
    cn_buf_t b;
    msgpack_packer pk;

    for (size_t i = 0; i < 4; i++) {
        create_head(&b, &pk);
        bin(&pk, sizes[i]);
        cr_expect_eq(decode_buf(&b), sizes[i] == 60 ? 0 : CN_ECORRUPT, "%zu bytes", sizes[i]);
    }
    /* a wrapped key as a string */
    create_head(&b, &pk);
    str(&pk, "000000000000000000000000000000000000000000000000000000000000");
    cr_expect_eq(decode_buf(&b), CN_ECORRUPT);
    /* rewrap records: 3 elements, an epoch as a string, a short wrapped key */
    for (int bad = 0; bad < 3; bad++) {
        head_only(&b, &pk, "kms_rewrap", 1);
        str(&pk, "wraps");
        msgpack_pack_array(&pk, 1);
        msgpack_pack_array(&pk, bad == 0 ? 3 : 4);
        str(&pk, "k1");
        if (bad == 1)
            str(&pk, "1");
        else
            msgpack_pack_uint64(&pk, 1);
        str(&pk, "0123456789abcdef");
        if (bad != 0)
            bin(&pk, bad == 2 ? 59 : 60);
        cr_expect_eq(decode_buf(&b), CN_ECORRUPT, "case %d", bad);
    }
}

/* The cluster entries (issue 22): the id, a link with its wrapped secret (bin of exactly 60
 * bytes) and its optional CA, which is left out when there is none. */
Test(mgr_cmd, cluster_entries_keep_their_fields, .timeout = 10)
{
    mgr_cmd_t want, got;
    cn_buf_t b;
    msgpack_packer pk;

    t_cmd_sample(MGR_CMD_CLUSTER_ID_SET, &want);
    round_trip(&want, &got);
    cr_assert_str_eq(got.cluster_id, "3f1c0a9e5b7d2c44");
    cr_assert_eq(got.created_ms, want.created_ms);
    cr_assert_str_eq(got.link.id, "", "link is not a field of cluster_id_set");
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_CLUSTER_LINK_ADD, &want);
    round_trip(&want, &got);
    cr_assert_str_eq(got.link.id, "0123456789abcdef");
    cr_assert_str_eq(got.link.managers, "10.1.0.1:10010,10.1.0.2:10010");
    cr_assert_str_eq(got.link.master, "fedcba9876543210");
    cr_assert_arr_eq(got.link.wrapped, want.link.wrapped, CN_SSE_WRAPPED_LEN);
    cr_assert_eq(got.text_len, want.text_len, "the CA");
    cr_assert_str_eq(got.link.state, "", "state is not a field of cluster_link_add");
    mgr_cmd_dispose(&got);
    mgr_cmd_set_text(&want, NULL, 0); /* no CA: left out, comes back as none */
    round_trip(&want, &got);
    cr_assert_null(got.text);
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    t_cmd_sample(MGR_CMD_CLUSTER_LINK_SET_STATE, &want);
    round_trip(&want, &got);
    cr_assert_str_eq(got.link.state, "removing");
    cr_assert_str_eq(got.from, want.from);
    mgr_cmd_dispose(&got);
    mgr_cmd_dispose(&want);

    /* a wrapped secret of 59 bytes */
    head_only(&b, &pk, "cluster_link_rewrap", 3);
    str(&pk, "id");
    str(&pk, "0123456789abcdef");
    str(&pk, "master");
    str(&pk, "fedcba9876543210");
    str(&pk, "wrapped");
    bin(&pk, 59);
    cr_assert_eq(decode_buf(&b), CN_ECORRUPT);
    /* an id longer than 16 characters */
    head_only(&b, &pk, "cluster_link_delete", 1);
    str(&pk, "id");
    str(&pk, "0123456789abcdef0");
    cr_assert_eq(decode_buf(&b), CN_ECORRUPT);
}

Test(mgr_cmd, cut_flipped_and_padded_bytes_never_crash, .timeout = 60)
{
    mgr_cmd_t c;

    cr_assert_eq(mgr_cmd_decode(NULL, 0, &c), CN_ECORRUPT);
    cr_assert_eq(mgr_cmd_decode("", 0, &c), CN_ECORRUPT);
    for (int k = MGR_CMD_NONE + 1; k < MGR_CMD_NKINDS; k++) {
        cn_buf_t a;
        char *p;

        encode_sample((enum mgr_cmd_kind)k, &a);
        p = cn_malloc(a.len + 1);
        /* every proper prefix is cut short */
        for (size_t n = 0; n < a.len; n++)
            cr_assert_eq(mgr_cmd_decode(a.data, n, &c), CN_ECORRUPT, "kind %d cut at %zu", k,
                         n);
        /* a byte after the entry */
        memcpy(p, a.data, a.len);
        p[a.len] = 0;
        cr_assert_eq(mgr_cmd_decode(p, a.len + 1, &c), CN_ECORRUPT);
        /* any single flipped bit decodes or is refused with a code */
        for (size_t i = 0; i < a.len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                int rc;

                memcpy(p, a.data, a.len);
                p[i] ^= (char)(1 << bit);
                rc = mgr_cmd_decode(p, a.len, &c);
                cr_assert(rc == 0 || rc == CN_ECORRUPT || rc == CN_EPROTO,
                          "kind %d byte %zu bit %d: rc %d", k, i, bit, rc);
                if (rc == 0)
                    mgr_cmd_dispose(&c);
            }
        }
        cn_free(p);
        cn_buf_dispose(&a);
    }
}
