/* tests/unit/gateway/test_sse_obj.c: tests gateway/s3/sse_obj.c (an encrypted object's
 * encryption record): the codec against the layout of sse_obj.h, hostile bytes (every
 * truncation, every single-byte change, trailing bytes, each field's refusals), and the key
 * operations (SSE-C's key check and derivation, SSE-S3/KMS's wrap and what it binds). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/manifest.h"
#include "common/mem.h"
#include "common/sse.h"
#include "gateway/s3/sse_obj.h"

#define OBJECT CN_SLICE("b/k")
#define EPOCH 7u
/* where the fields of a wrapped record start (sse_obj.h) */
#define OFF_MODE 1
#define OFF_FLAGS 2
#define OFF_EPOCH 3
#define OFF_NAME_LEN (OFF_EPOCH + 4 + CN_SSE_WRAPPED_LEN)
#define OFF_NAME (OFF_NAME_LEN + 2)

typedef struct sample {
    gw_sse_mode_t mode;
    const char *name;    /* SSE-S3/KMS */
    const char *context; /* SSE-KMS, NULL: none */
    int bucket_key;
} sample_t;

static const sample_t samples[] = {
    {GW_SSE_C, NULL, NULL, 0},
    {GW_SSE_C, NULL, NULL, 1},
    {GW_SSE_S3, GW_SSE_S3_KEY, NULL, 0},
    {GW_SSE_S3, GW_SSE_S3_KEY, NULL, 1},
    {GW_SSE_KMS, "arn:aws:kms:us-east-1:111122223333:key/k1", NULL, 0},
    {GW_SSE_KMS, "k|1", "{\"dept\":\"a|b\",\"team\":\"x\"}", 1},
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static uint8_t cust[CN_SSE_KEY_LEN], kek[CN_SSE_KEY_LEN];

static void setup(void)
{
    cr_assert_eq(cn_sse_random_key(cust), 0);
    cr_assert_eq(cn_sse_random_key(kek), 0);
}
TestSuite(sse_obj, .init = setup);

/* A new record of s in *o (with the test's keys, for OBJECT), its bytes in b (reset first)
 * and its data key in dk. */
static void make(const sample_t *s, gw_sse_obj_t *o, cn_buf_t *b, uint8_t dk[CN_SSE_KEY_LEN])
{
    if (s->mode == GW_SSE_C)
        cr_assert_eq(gw_sse_obj_new_c(o, cust, dk), 0);
    else
        cr_assert_eq(gw_sse_obj_new_wrapped(o, s->mode, s->name, EPOCH, kek, OBJECT, s->context,
                                            dk),
                     0);
    o->bucket_key = s->bucket_key;
    cn_buf_reset(b);
    gw_sse_obj_encode(o, b);
}

/* Decodes exactly p[0, n) from a copy of its own size (a read past the end is past the
 * allocation); on a refusal checks that *o was left zeroed. */
static int decode(const void *p, size_t n, gw_sse_obj_t *o)
{
    static const gw_sse_obj_t zero;
    uint8_t *copy = malloc(n ? n : 1);
    int rc;

    memcpy(copy, p, n);
    rc = gw_sse_obj_decode(copy, n, o);
    free(copy);
    if (rc != 0)
        cr_assert_eq(memcmp(o, &zero, sizeof(*o)), 0, "a refused record left fields set");
    return rc;
}

/* The record p[0, n) decoded and its data key opened with the test's keys for OBJECT: the
 * first refusal's code, or 0 with the key in dk. */
static int open_rec(const void *p, size_t n, uint8_t dk[CN_SSE_KEY_LEN])
{
    gw_sse_obj_t o;
    int rc = decode(p, n, &o);

    if (rc != 0)
        return rc;
    if (o.mode == GW_SSE_C)
        rc = gw_sse_obj_open_c(&o, cust, dk);
    else
        rc = gw_sse_obj_open_wrapped(&o, kek, OBJECT, dk);
    gw_sse_obj_dispose(&o);
    return rc;
}

/* b's bytes with p[at] = v, decoded (or refused) into *o. */
static int decode_with(const cn_buf_t *b, size_t at, uint8_t v, gw_sse_obj_t *o)
{
    uint8_t *p = malloc(b->len);
    int rc;

    memcpy(p, b->data, b->len);
    p[at] = v;
    rc = decode(p, b->len, o);
    free(p);
    return rc;
}

/* A wrapped record built by hand from sse_obj.h's layout (not by the encoder). */
static void hand_wrapped(cn_buf_t *b, uint8_t mode, uint32_t epoch, const void *name,
                         size_t name_len, const void *ctx, size_t ctx_len)
{
    uint8_t head[3 + 4] = {1, mode, 0}, wrapped[CN_SSE_WRAPPED_LEN] = {0}, n[2];

    cn_put_u32be(head + 3, epoch);
    cn_buf_reset(b);
    cn_buf_append(b, head, sizeof(head));
    cn_buf_append(b, wrapped, sizeof(wrapped));
    n[0] = (uint8_t)(name_len >> 8), n[1] = (uint8_t)name_len;
    cn_buf_append(b, n, 2);
    cn_buf_append(b, name, name_len);
    n[0] = (uint8_t)(ctx_len >> 8), n[1] = (uint8_t)ctx_len;
    cn_buf_append(b, n, 2);
    cn_buf_append(b, ctx, ctx_len);
}

static void assert_same_record(const gw_sse_obj_t *a, const gw_sse_obj_t *d)
{
    cr_assert_eq(d->mode, a->mode);
    cr_assert_eq(d->bucket_key, a->bucket_key);
    cr_assert_arr_eq(d->salt, a->salt, sizeof(a->salt));
    cr_assert_arr_eq(d->check, a->check, sizeof(a->check));
    cr_assert_eq(d->epoch, a->epoch);
    cr_assert_arr_eq(d->wrapped, a->wrapped, sizeof(a->wrapped));
    cr_assert_str_eq(d->key_name, a->key_name);
    if (a->context == NULL)
        cr_assert_null(d->context);
    else
        cr_assert_str_eq(d->context, a->context);
}

Test(sse_obj, each_mode_round_trips_to_the_same_bytes_and_key, .timeout = 10)
{
    gw_sse_obj_t o, d;
    cn_buf_t b, again;
    uint8_t dk[CN_SSE_KEY_LEN], got[CN_SSE_KEY_LEN];

    cn_buf_init(&b);
    cn_buf_init(&again);
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample_t *s = &samples[i];
        size_t want = s->mode == GW_SSE_C ? 3 + CN_SSE_SALT_LEN + CN_SSE_CHECK_LEN
                                          : OFF_NAME + strlen(s->name) + 2 +
                                                (s->context ? strlen(s->context) : 0);
        make(s, &o, &b, dk);
        cr_assert_eq(b.len, want, "sample %zu", i);
        cr_assert_eq(b.data[0], GW_SSE_OBJ_VERSION);
        cr_assert_eq(b.data[OFF_MODE], s->mode == GW_SSE_S3 ? 1 : s->mode == GW_SSE_KMS ? 2 : 3);
        cr_assert_eq(b.data[OFF_FLAGS], s->bucket_key);
        if (s->mode != GW_SSE_C) {
            cr_assert_eq(cn_get_u32be(b.data + OFF_EPOCH), EPOCH);
            cr_assert_arr_eq(b.data + OFF_NAME, s->name, strlen(s->name));
        }
        cr_assert_eq(decode(b.data, b.len, &d), 0, "sample %zu", i);
        assert_same_record(&o, &d);
        cn_buf_reset(&again);
        gw_sse_obj_encode(&d, &again);
        cr_assert_eq(again.len, b.len);
        cr_assert_arr_eq(again.data, b.data, b.len);
        cr_assert_eq(open_rec(b.data, b.len, got), 0, "sample %zu", i);
        cr_assert_arr_eq(got, dk, sizeof(dk), "sample %zu: another data key", i);
        gw_sse_obj_dispose(&d);
        gw_sse_obj_dispose(&o);
    }
    cn_buf_dispose(&again);
    cn_buf_dispose(&b);
}

/* A check of one sample's new record: b holds its bytes (the check may change them), dk its
 * data key. */
typedef void record_check_fn(size_t i, const sample_t *s, cn_buf_t *b,
                             const uint8_t dk[CN_SSE_KEY_LEN]);

/* Runs check on a new record of each sample (of the wrapped modes only when wrapped_only). */
static void for_each_record(record_check_fn *check, int wrapped_only)
{
    gw_sse_obj_t o;
    cn_buf_t b;
    uint8_t dk[CN_SSE_KEY_LEN];

    cn_buf_init(&b);
    for (size_t i = 0; i < NSAMPLES; i++) {
        if (wrapped_only && samples[i].mode == GW_SSE_C)
            continue;
        make(&samples[i], &o, &b, dk);
        gw_sse_obj_dispose(&o);
        check(i, &samples[i], &b, dk);
    }
    cn_buf_dispose(&b);
}

static void truncations(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    gw_sse_obj_t o;

    for (size_t n = 0; n < b->len; n++)
        cr_assert_eq(decode(b->data, n, &o), CN_ECORRUPT, "sample %zu cut to %zu", i, n);
}

Test(sse_obj, every_truncation_is_corrupt, .timeout = 10)
{
    for_each_record(truncations, 0);
}

static void trailing(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    gw_sse_obj_t o;

    cn_buf_append(b, "\0", 1);
    cr_assert_eq(decode(b->data, b->len, &o), CN_ECORRUPT, "sample %zu", i);
    b->data[b->len - 1] = 'x';
    cr_assert_eq(decode(b->data, b->len, &o), CN_ECORRUPT, "sample %zu", i);
}

Test(sse_obj, trailing_bytes_are_corrupt, .timeout = 5)
{
    for_each_record(trailing, 0);
}

/* Whether v in the header byte at may decode in a record of mode (else CN_ECORRUPT): only a
 * layout-compatible mode (SSE-S3 and SSE-KMS share one) and the two flag values. */
static int header_value_ok(gw_sse_mode_t mode, size_t at, unsigned v)
{
    if (at == OFF_MODE)
        return mode == GW_SSE_C ? v == 3 : v == 1 || v == 2;
    if (at == OFF_FLAGS)
        return v <= 1;
    return v == GW_SSE_OBJ_VERSION;
}

static void header_and_lengths(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    size_t ctx_len_at = OFF_NAME + (s->name ? strlen(s->name) : 0);
    size_t lengths[] = {OFF_NAME_LEN, OFF_NAME_LEN + 1, ctx_len_at, ctx_len_at + 1};
    gw_sse_obj_t o;

    for (size_t at = 0; at < 3; at++) {
        for (unsigned v = 0; v < 256; v++) {
            int rc = decode_with(b, at, (uint8_t)v, &o);
            cr_assert_eq(rc, header_value_ok(s->mode, at, v) ? 0 : CN_ECORRUPT,
                         "sample %zu: byte %zu = %u", i, at, v);
            gw_sse_obj_dispose(&o);
        }
    }
    for (size_t j = 0; s->mode != GW_SSE_C && j < sizeof(lengths) / sizeof(lengths[0]); j++) {
        for (unsigned v = 0; v < 256; v++) {
            if (v == (uint8_t)b->data[lengths[j]])
                continue;
            cr_assert_eq(decode_with(b, lengths[j], (uint8_t)v, &o), CN_ECORRUPT,
                         "sample %zu: length byte %zu = %u", i, lengths[j], v);
        }
    }
}

Test(sse_obj, every_other_header_or_length_byte_is_corrupt, .timeout = 20)
{
    for_each_record(header_and_lengths, 0);
}

/* Every other value of every byte: refused by the decoder, or by the key operation (the
 * salt, check, epoch, wrapped key, mode, key name and context are all bound to the key). The
 * one exception is the bucket-key flag, which only chooses a response header and is bound
 * to nothing. */
static void byte_changes(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    uint8_t got[CN_SSE_KEY_LEN];

    for (size_t at = 0; at < b->len; at++) {
        char was = b->data[at];
        for (unsigned v = 0; v < 256; v++) {
            if (v == (uint8_t)was)
                continue;
            b->data[at] = (char)v;
            if (at == OFF_FLAGS && v <= 1)
                cr_assert_eq(open_rec(b->data, b->len, got), 0);
            else
                cr_assert_neq(open_rec(b->data, b->len, got), 0,
                              "sample %zu: byte %zu = %u still opens", i, at, v);
        }
        b->data[at] = was;
    }
}

Test(sse_obj, every_single_byte_change_fails_to_open, .timeout = 60)
{
    for_each_record(byte_changes, 0);
}

static void other_versions(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    static const uint8_t bad[] = {0, 2, 0x81, 0xff};
    gw_sse_obj_t o;

    for (size_t j = 0; j < sizeof(bad); j++)
        cr_assert_eq(decode_with(b, 0, bad[j], &o), CN_ECORRUPT, "sample %zu", i);
}

Test(sse_obj, a_version_other_than_1_is_corrupt, .timeout = 5)
{
    for_each_record(other_versions, 0);
}

Test(sse_obj, hand_built_records_follow_the_layout, .timeout = 5)
{
    gw_sse_obj_t o;
    cn_buf_t b;

    cn_buf_init(&b);
    hand_wrapped(&b, 2, 0x01020304, "k1", 2, "{}", 2);
    cr_assert_eq(decode(b.data, b.len, &o), 0);
    cr_assert_eq(o.mode, GW_SSE_KMS);
    cr_assert_eq(o.epoch, 0x01020304);
    cr_assert_str_eq(o.key_name, "k1");
    cr_assert_str_eq(o.context, "{}");
    gw_sse_obj_dispose(&o);
    /* an empty context is none */
    hand_wrapped(&b, 1, 1, "k1", 2, "", 0);
    cr_assert_eq(decode(b.data, b.len, &o), 0);
    cr_assert_eq(o.mode, GW_SSE_S3);
    cr_assert_null(o.context);
    gw_sse_obj_dispose(&o);
    cn_buf_dispose(&b);
}

Test(sse_obj, epoch_0_is_corrupt, .timeout = 5)
{
    gw_sse_obj_t o;
    cn_buf_t b;

    cn_buf_init(&b);
    for (uint8_t mode = 1; mode <= 2; mode++) {
        hand_wrapped(&b, mode, 0, "k1", 2, "", 0);
        cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
        hand_wrapped(&b, mode, 0, "k1", 2, "{}", 2);
        cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
        hand_wrapped(&b, mode, UINT32_MAX, "k1", 2, "", 0);
        cr_assert_eq(decode(b.data, b.len, &o), 0);
        gw_sse_obj_dispose(&o);
    }
    cn_buf_dispose(&b);
}

Test(sse_obj, key_name_outside_bang_to_tilde_or_length_is_corrupt, .timeout = 5)
{
    gw_sse_obj_t o;
    cn_buf_t b;
    char name[GW_SSE_KMS_KEY_ID_MAX + 1];

    cn_buf_init(&b);
    for (unsigned v = 0; v < 256; v++) {
        char k[3] = {'k', (char)v, '1'};
        int ok = v >= '!' && v <= '~';
        hand_wrapped(&b, 2, 1, k, 3, "", 0);
        cr_assert_eq(decode(b.data, b.len, &o), ok ? 0 : CN_ECORRUPT, "byte %u", v);
        gw_sse_obj_dispose(&o);
    }
    hand_wrapped(&b, 2, 1, "", 0, "", 0);
    cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
    memset(name, 'k', sizeof(name));
    hand_wrapped(&b, 2, 1, name, GW_SSE_KMS_KEY_ID_MAX, "", 0);
    cr_assert_eq(decode(b.data, b.len, &o), 0);
    cr_assert_eq(strlen(o.key_name), GW_SSE_KMS_KEY_ID_MAX);
    gw_sse_obj_dispose(&o);
    hand_wrapped(&b, 2, 1, name, GW_SSE_KMS_KEY_ID_MAX + 1, "", 0);
    cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
    cn_buf_dispose(&b);
}

Test(sse_obj, nul_in_context_is_corrupt, .timeout = 5)
{
    gw_sse_obj_t o;
    cn_buf_t b;

    cn_buf_init(&b);
    hand_wrapped(&b, 2, 1, "k1", 2, "{\"a\":\"\0\"}", 9);
    cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
    hand_wrapped(&b, 2, 1, "k1", 2, "{}\0", 3);
    cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
    hand_wrapped(&b, 2, 1, "k1", 2, "\0", 1);
    cr_assert_eq(decode(b.data, b.len, &o), CN_ECORRUPT);
    cn_buf_dispose(&b);
}

Test(sse_obj, sse_c_opens_with_its_key_only, .timeout = 5)
{
    gw_sse_obj_t o;
    uint8_t dk[CN_SSE_KEY_LEN], got[CN_SSE_KEY_LEN], other[CN_SSE_KEY_LEN], mark[CN_SSE_KEY_LEN];

    cr_assert_eq(gw_sse_obj_new_c(&o, cust, dk), 0);
    cr_assert_eq(o.mode, GW_SSE_C);
    cr_assert_eq(gw_sse_obj_open_c(&o, cust, got), 0);
    cr_assert_arr_eq(got, dk, sizeof(dk));
    cr_assert_eq(cn_sse_random_key(other), 0);
    memset(got, 0xa5, sizeof(got));
    memset(mark, 0xa5, sizeof(mark));
    cr_assert_eq(gw_sse_obj_open_c(&o, other, got), CN_EACCES);
    cr_assert_arr_eq(got, mark, sizeof(got), "a refused key wrote the data key buffer");
    /* the key ops of the other kind refuse the record */
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, kek, OBJECT, got), CN_EINVAL);
    cr_assert_arr_eq(got, mark, sizeof(got));
    gw_sse_obj_dispose(&o);
}

Test(sse_obj, sse_c_new_twice_gives_new_salt_and_key, .timeout = 5)
{
    gw_sse_obj_t a, b;
    uint8_t dka[CN_SSE_KEY_LEN], dkb[CN_SSE_KEY_LEN];

    cr_assert_eq(gw_sse_obj_new_c(&a, cust, dka), 0);
    cr_assert_eq(gw_sse_obj_new_c(&b, cust, dkb), 0);
    cr_assert_arr_neq(a.salt, b.salt, sizeof(a.salt));
    cr_assert_arr_neq(a.check, b.check, sizeof(a.check));
    cr_assert_arr_neq(dka, dkb, sizeof(dka));
    gw_sse_obj_dispose(&a);
    gw_sse_obj_dispose(&b);
}

static void kek_and_object(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    gw_sse_obj_t o;
    uint8_t got[CN_SSE_KEY_LEN], other[CN_SSE_KEY_LEN];

    cr_assert_eq(cn_sse_random_key(other), 0);
    cr_assert_eq(decode(b->data, b->len, &o), 0);
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, kek, OBJECT, got), 0);
    cr_assert_arr_eq(got, dk, CN_SSE_KEY_LEN, "sample %zu", i);
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, other, OBJECT, got), CN_ECORRUPT);
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, kek, CN_SLICE("b/k2"), got), CN_ECORRUPT);
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, kek, CN_SLICE("c/k"), got), CN_ECORRUPT);
    cr_assert_eq(gw_sse_obj_open_c(&o, cust, got), CN_EINVAL);
    gw_sse_obj_dispose(&o);
}

Test(sse_obj, wrapped_opens_with_its_kek_and_object_only, .timeout = 5)
{
    for_each_record(kek_and_object, 1);
}

/* Decodes b, applies change, and expects the changed record not to open. */
static void expect_altered_refused(const cn_buf_t *b, void (*change)(gw_sse_obj_t *),
                                   const char *what)
{
    gw_sse_obj_t o;
    uint8_t got[CN_SSE_KEY_LEN];

    cr_assert_eq(decode(b->data, b->len, &o), 0);
    change(&o);
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, kek, OBJECT, got), CN_ECORRUPT, "%s", what);
    gw_sse_obj_dispose(&o);
}

static void next_epoch(gw_sse_obj_t *o)
{
    o->epoch++;
}

static void other_name(gw_sse_obj_t *o)
{
    o->key_name[0] = o->key_name[0] == 'x' ? 'y' : 'x';
}

static void other_mode(gw_sse_obj_t *o)
{
    o->mode = o->mode == GW_SSE_S3 ? GW_SSE_KMS : GW_SSE_S3;
}

static void other_context(gw_sse_obj_t *o)
{
    int had = o->context != NULL;

    cn_free(o->context);
    o->context = had ? NULL : cn_strdup("{\"a\":\"b\"}");
}

static void longer_context(gw_sse_obj_t *o)
{
    size_t n = o->context ? strlen(o->context) : 0;
    char *c = cn_malloc(n + 2);

    memcpy(c, o->context ? o->context : "", n);
    memcpy(c + n, " ", 2);
    cn_free(o->context);
    o->context = c;
}

static void alterations(size_t i, const sample_t *s, cn_buf_t *b, const uint8_t dk[])
{
    expect_altered_refused(b, next_epoch, "epoch");
    expect_altered_refused(b, other_name, "key name");
    expect_altered_refused(b, other_mode, "mode");
    expect_altered_refused(b, other_context, "context added or removed");
    expect_altered_refused(b, longer_context, "context changed");
}

Test(sse_obj, wrapped_record_altered_after_wrapping_does_not_open, .timeout = 5)
{
    for_each_record(alterations, 1);
}

Test(sse_obj, new_wrapped_refuses_bad_arguments, .timeout = 5)
{
    static const gw_sse_obj_t zero;
    static const char *const bad_names[] = {"", "a b", "k\x7f", "k\x80", "\t"};
    gw_sse_obj_t o;
    uint8_t dk[CN_SSE_KEY_LEN];
    char name[GW_SSE_KMS_KEY_ID_MAX + 2], *big = cn_malloc(2049);

    memset(big, 'k', 2049);
    memcpy(big, "b/", 2);
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
        cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_KMS, bad_names[i], 1, kek, OBJECT, NULL,
                                            dk),
                     CN_EINVAL, "name %zu", i);
    memset(name, 'k', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_KMS, name, 1, kek, OBJECT, NULL, dk),
                 CN_EINVAL);
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_S3, GW_SSE_S3_KEY, 0, kek, OBJECT, NULL, dk),
                 CN_EINVAL);
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_C, GW_SSE_S3_KEY, 1, kek, OBJECT, NULL, dk),
                 CN_EINVAL);
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_NONE, GW_SSE_S3_KEY, 1, kek, OBJECT, NULL, dk),
                 CN_EINVAL);
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_S3, GW_SSE_S3_KEY, 1, kek,
                                        cn_slice(big, 2049), NULL, dk),
                 CN_EINVAL);
    cr_assert_eq(memcmp(&o, &zero, sizeof(o)), 0);
    /* 2048 bytes of object name are fine, and opening with 2049 is refused the same way */
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_S3, GW_SSE_S3_KEY, 1, kek,
                                        cn_slice(big, 2048), NULL, dk),
                 0);
    cr_assert_eq(gw_sse_obj_open_wrapped(&o, kek, cn_slice(big, 2049), dk), CN_EINVAL);
    gw_sse_obj_dispose(&o);
    cn_free(big);
}

/* A KMS key id of 2048 bytes and a context of 1978 or more (both within what sse_req.c takes)
 * made a record of over 4096 bytes, which cn_manifest_set_sse asserted against (its limit
 * then): the gateway would have aborted on such a PUT. The limit is CN_MANIFEST_SSE_MAX (1
 * MiB, for 10000 parts) now, and the largest wrapped record, a 2048-byte key id and a
 * context of UINT16_MAX bytes, is made, fits a manifest and decodes; one byte of context
 * more is refused, and the decoder refuses a record longer than a manifest holds. */
Test(regress, issue_20_wrapped_record_fits_a_manifest, .timeout = 5)
{
    char name[GW_SSE_KMS_KEY_ID_MAX + 1], *ctx = cn_malloc(UINT16_MAX + 2);
    uint8_t dk[CN_SSE_KEY_LEN], *huge;
    gw_sse_obj_t o;
    cn_manifest_t m = {0};
    cn_buf_t b;

    cn_buf_init(&b);
    memset(name, 'k', GW_SSE_KMS_KEY_ID_MAX);
    name[GW_SSE_KMS_KEY_ID_MAX] = '\0';
    memset(ctx, 'c', UINT16_MAX + 1);
    ctx[UINT16_MAX + 1] = '\0';
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_KMS, name, 1, kek, OBJECT, ctx, dk),
                 CN_EINVAL);
    ctx[UINT16_MAX] = '\0';
    cr_assert_eq(gw_sse_obj_new_wrapped(&o, GW_SSE_KMS, name, 1, kek, OBJECT, ctx, dk), 0);
    gw_sse_obj_encode(&o, &b);
    cr_assert_leq(b.len, CN_MANIFEST_SSE_MAX);
    cn_manifest_set_sse(&m, b.data, b.len, 0);
    cn_manifest_dispose(&m);
    gw_sse_obj_dispose(&o);
    cr_assert_eq(decode(b.data, b.len, &o), 0);
    gw_sse_obj_dispose(&o);
    huge = cn_calloc(GW_SSE_OBJ_MAX + 1, 1);
    memcpy(huge, b.data, b.len);
    cr_assert_eq(decode(huge, GW_SSE_OBJ_MAX + 1, &o), CN_ECORRUPT);
    cn_free(huge);
    cn_buf_dispose(&b);
    cn_free(ctx);
}

/* Version 2 (multipart): the upload's record with a parts table round-trips, opens to the
 * upload's key like version 1, and its table is bounded: a part number 0 or over 10000, a
 * length over CN_SSE_PLAIN_MAX, a count the bytes do not hold, every truncation: refused. */
Test(multipart, parts_table, .timeout = 5)
{
    uint8_t ckey[CN_SSE_KEY_LEN], uk[CN_SSE_KEY_LEN], uk2[CN_SSE_KEY_LEN];
    gw_sse_obj_t o, d;
    gw_sse_part_t p = {.number = 7, .plain_len = 5u << 20};
    cn_buf_t b;

    cn_buf_init(&b);
    cr_assert_eq(cn_sse_random_key(ckey), 0);
    cr_assert_eq(gw_sse_obj_new_c(&o, ckey, uk), 0);
    o.multipart = 1;
    memset(p.salt, 0xab, sizeof(p.salt));
    gw_sse_obj_add_part(&o, &p);
    p.number = 10000;
    p.plain_len = 0;
    gw_sse_obj_add_part(&o, &p);
    gw_sse_obj_encode(&o, &b);
    cr_assert_eq(b.data[0], GW_SSE_OBJ_MULTIPART);
    cr_assert_eq(decode(b.data, b.len, &d), 0);
    cr_assert(d.multipart);
    cr_assert_eq(d.nparts, 2);
    cr_assert_eq(d.parts[0].number, 7);
    cr_assert_eq(d.parts[0].plain_len, 5u << 20);
    cr_assert_eq(d.parts[1].number, 10000);
    cr_assert_eq(memcmp(d.parts[0].salt, p.salt, sizeof(p.salt)), 0);
    cr_assert_eq(gw_sse_obj_open_c(&d, ckey, uk2), 0);
    cr_assert_eq(memcmp(uk, uk2, sizeof(uk)), 0);
    gw_sse_obj_dispose(&d);
    for (size_t n = 0; n < b.len; n++) {
        cr_assert_eq(decode(b.data, n, &d), CN_ECORRUPT, "prefix of %zu bytes", n);
    }
    /* the last part's number (bytes len-28..len-25), then its length's high word */
    b.data[b.len - 28 + 3] = 0;
    b.data[b.len - 28 + 2] = 0;
    cr_assert_eq(decode(b.data, b.len, &d), CN_ECORRUPT, "part number 0");
    b.data[b.len - 28 + 3] = 1;
    b.data[b.len - 8] = 0x80;
    cr_assert_eq(decode(b.data, b.len, &d), CN_ECORRUPT, "a length over CN_SSE_PLAIN_MAX");
    b.data[b.len - 8] = 0;
    cr_assert_eq(decode(b.data, b.len, &d), 0);
    gw_sse_obj_dispose(&d);
    b.data[b.len - 2 * 28 - 1] = 3; /* the count: three parts in the bytes of two */
    cr_assert_eq(decode(b.data, b.len, &d), CN_ECORRUPT, "a count the bytes do not hold");
    gw_sse_obj_dispose(&o);
    cn_buf_dispose(&b);
}
