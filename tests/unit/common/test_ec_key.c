/* tests/unit/common/test_ec_key.c: tests common/ec_key.c: a fragment key round-trips for
 * every code (K, M) and index, and cn_frag_key_parse takes no other key for one: object and
 * version keys, keys that are not chunk keys, and every malformed suffix (bad or upper-case
 * hex, an index past K+M, K+M over 16, a NUL inside the chunk part, too short). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/buf.h"
#include "common/ec.h"
#include "common/ec_key.h"

#define CHUNK "\x01" "c/b/k/00000000000000aa/000003"
#define CHUNK_LEN (sizeof(CHUNK) - 1)

/* 1 when key[0, len) parses, with *out set (the fields zeroed first). */
static int parse(const void *key, size_t len, cn_frag_key_t *out)
{
    memset(out, 0xee, sizeof(*out));
    return cn_frag_key_parse(key, len, out);
}

/* CHUNK + the 5 suffix bytes given as a string (its NUL written as "\0"). */
static size_t with_suffix(const char sfx[CN_FRAG_KEY_SUFFIX], char *buf)
{
    memcpy(buf, CHUNK, CHUNK_LEN);
    memcpy(buf + CHUNK_LEN, sfx, CN_FRAG_KEY_SUFFIX);
    return CHUNK_LEN + CN_FRAG_KEY_SUFFIX;
}

Test(ec_key, round_trip_every_code_and_index, .timeout = 10)
{
    static const char hex[] = "0123456789abcdef";
    cn_buf_t b;
    cn_frag_key_t fk;
    size_t n = 0;

    cn_buf_init(&b);
    for (unsigned k = 1; k < CN_EC_MAX_FRAGS; k++) {
        for (unsigned m = 1; k + m <= CN_EC_MAX_FRAGS; m++) {
            for (unsigned i = 0; i < k + m; i++) {
                cn_frag_key(CHUNK, CHUNK_LEN, k, m, i, &b);
                cr_assert_eq(b.len, CHUNK_LEN + CN_FRAG_KEY_SUFFIX);
                cr_assert_arr_eq(b.data, CHUNK, CHUNK_LEN);
                cr_assert_eq(b.data[CHUNK_LEN], '\0');
                cr_assert_eq(b.data[CHUNK_LEN + 1], 'f');
                cr_assert_eq(b.data[CHUNK_LEN + 2], hex[k]);
                cr_assert_eq(b.data[CHUNK_LEN + 3], hex[m]);
                cr_assert_eq(b.data[CHUNK_LEN + 4], hex[i]);
                cr_assert_eq(parse(b.data, b.len, &fk), 1, "%u+%u #%u", k, m, i);
                cr_assert_eq(fk.chunk_len, CHUNK_LEN);
                cr_assert_eq(fk.k, k);
                cr_assert_eq(fk.m, m);
                cr_assert_eq(fk.index, i);
                cr_assert_eq(cn_frag_key_parse(b.data, b.len, NULL), 1);
                n++;
            }
        }
    }
    /* sum over K+M = s of (s - 1) codes with s indexes each: s = 2..16 */
    cr_assert_eq(n, 1360);
    cn_buf_dispose(&b);
}

Test(ec_key, out_buffer_is_reset_first, .timeout = 5)
{
    cn_buf_t b;
    cn_frag_key_t fk;

    cn_buf_init(&b);
    cn_buf_append(&b, "leftover bytes", 14);
    cn_frag_key("\x01" "c/x", 4, 4, 2, 5, &b);
    cr_assert_eq(b.len, 4 + CN_FRAG_KEY_SUFFIX);
    cr_assert_arr_eq(b.data, "\x01" "c/x\0f425", 9);
    cr_assert_eq(parse(b.data, b.len, &fk), 1);
    cr_assert_eq(fk.chunk_len, 4);
    cn_buf_dispose(&b);
}

Test(ec_key, object_version_and_other_keys_are_not_fragments, .timeout = 5)
{
    static const struct {
        const char *key;
        size_t len;
    } keys[] = {
#define K(s) {s, sizeof(s) - 1}
        K("b/k"),                        /* an object key */
        K("b/k\0v"),                     /* a version key */
        K("b/k\0f421"),                  /* a user key with what looks like the suffix */
        K("bucket/key\0f421"),
        K("\x01" "c/b/k/000003"),        /* a chunk key itself */
        K("\x01mp/b/k/u1/1/000000\0f421"), /* a multipart part's key: not "\x01c/" */
        K("\x01" "cb/k/000003\0f421"),   /* "\x01c" without the slash */
        K("\x02" "c/b/k/000003\0f421"),
        K("c/b/k/000003\0f421"),
        K(""),
#undef K
    };
    cn_frag_key_t fk;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cr_assert_eq(parse(keys[i].key, keys[i].len, &fk), 0, "key %zu", i);
}

Test(ec_key, malformed_suffixes_are_refused, .timeout = 5)
{
    static const struct {
        char sfx[CN_FRAG_KEY_SUFFIX];
        const char *why;
    } bad[] = {
        {{'\0', 'f', '4', '2', 'g'}, "index not hex"},
        {{'\0', 'f', 'x', '2', '0'}, "K not hex"},
        {{'\0', 'f', '4', '-', '0'}, "M not hex"},
        {{'\0', 'f', '8', '4', 'A'}, "upper-case index (8+4 #a is valid)"},
        {{'\0', 'f', 'A', '2', '0'}, "upper-case K (a+2 is valid)"},
        {{'\0', 'f', '4', 'B', '0'}, "upper-case M (4+b is valid)"},
        {{'\0', 'f', '0', '2', '0'}, "K 0"},
        {{'\0', 'f', '4', '0', '0'}, "M 0"},
        {{'\0', 'f', '4', '2', '6'}, "index == K+M"},
        {{'\0', 'f', '4', '2', 'f'}, "index past K+M"},
        {{'\0', 'f', '1', '1', '2'}, "index == K+M, smallest code"},
        {{'\0', 'f', 'f', '2', '0'}, "K+M 17"},
        {{'\0', 'f', '8', '9', '0'}, "K+M 17, the other way"},
        {{'\0', 'f', 'f', 'f', '0'}, "K+M 30"},
        {{'\0', 'F', '4', '2', '0'}, "'F', not 'f'"},
        {{'\0', 'g', '4', '2', '0'}, "another tag"},
        {{'x', 'f', '4', '2', '0'}, "no NUL before the tag"},
        {{'\0', '\0', '4', '2', '0'}, "NUL for the tag"},
        {{'\0', 'f', '4', '2', '\0'}, "NUL for the index"},
    };
    char key[64];
    cn_frag_key_t fk;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(parse(key, with_suffix(bad[i].sfx, key), &fk), 0, "%s", bad[i].why);
    /* the edges that are valid: 15+1 index 15, 1+15 index 15, 1+1 index 1 */
    cr_assert_eq(parse(key, with_suffix((const char[]){'\0', 'f', 'f', '1', 'f'}, key), &fk), 1);
    cr_assert_eq(fk.k, 15);
    cr_assert_eq(fk.index, 15);
    cr_assert_eq(parse(key, with_suffix((const char[]){'\0', 'f', '1', 'f', 'f'}, key), &fk), 1);
    cr_assert_eq(fk.m, 15);
    cr_assert_eq(parse(key, with_suffix((const char[]){'\0', 'f', '1', '1', '1'}, key), &fk), 1);
    cr_assert_eq(fk.index, 1);
}

Test(ec_key, nul_inside_the_chunk_part_is_refused, .timeout = 5)
{
    char key[64];
    size_t len = with_suffix((const char[]){'\0', 'f', '4', '2', '0'}, key);
    cn_frag_key_t fk;

    cr_assert_eq(parse(key, len, &fk), 1);
    key[5] = '\0'; /* "\x01c/b/\0..." */
    cr_assert_eq(parse(key, len, &fk), 0);
    /* a fragment key of a fragment key: the inner suffix is a NUL in the chunk part */
    cr_assert_eq(parse("\x01" "c/x\0f420\0f420", 14, &fk), 0);
}

Test(ec_key, too_short_is_refused, .timeout = 5)
{
    cn_frag_key_t fk;

    /* the shortest fragment key has one byte after "\x01c/" */
    cr_assert_eq(parse("\x01" "c/x\0f420", 9, &fk), 1);
    cr_assert_eq(fk.chunk_len, 4);
    cr_assert_eq(parse("\x01" "c/\0f420", 8, &fk), 0); /* an empty chunk part */
    cr_assert_eq(parse("\x01" "c/x\0f42", 8, &fk), 0); /* a suffix cut short */
    cr_assert_eq(parse("\0f420", 5, &fk), 0);
    cr_assert_eq(parse("\x01" "c", 2, &fk), 0);
    cr_assert_eq(parse("", 0, &fk), 0);
}
