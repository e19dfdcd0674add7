/*
 * tests/unit/gateway/test_version.c: version IDs, version keys and the order of an object's
 * versions (common/version.c, issue 16).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/version.h"

Test(version, ids_sort_newest_first_and_give_back_their_clock, .timeout = 5)
{
    char a[CN_VER_ID_LEN + 1], b[CN_VER_ID_LEN + 1];

    cn_ver_id_make(1000, a);
    cn_ver_id_make(2000, b);
    cr_assert_eq(strlen(a), CN_VER_ID_LEN);
    cr_assert(cn_ver_id_valid(a, strlen(a)));
    cr_assert_gt(strcmp(a, b), 0, "the newer version sorts first in the index");
    cr_assert_eq(cn_ver_id_clock(a), 1000);
    cr_assert_eq(cn_ver_id_clock(b), 2000);
    cr_assert_eq(cn_ver_id_clock("null"), 0);
    cr_assert(cn_ver_id_valid("null", 4));
    cr_assert_not(cn_ver_id_valid("NULL", 4));
    cr_assert_not(cn_ver_id_valid("", 0));
    cr_assert_not(cn_ver_id_valid("ffffffffffffffffffffffff0", 25));
    cr_assert_not(cn_ver_id_valid("FFFFFFFFFFFFFFFFFFFFFFFF", 24), "lower case only");
    cr_assert_not(cn_ver_id_valid("fffffffffffffffffffffff/", 24));
}

Test(version, keys, .timeout = 5)
{
    cn_buf_t k;
    char id[CN_VER_ID_LEN + 1];

    cn_buf_init(&k);
    cn_ver_key(&k, "b/key", 5, "0123456789abcdef01234567", 24);
    cr_assert_eq(k.len, 5 + 1 + 24);
    cr_assert_eq(k.data[5], '\0');
    cr_assert_eq(cn_ver_base_len(cn_slice(k.data, k.len)), 5);
    cn_ver_of_key(cn_slice(k.data, k.len), id);
    cr_assert_str_eq(id, "0123456789abcdef01234567");
    cn_ver_key(&k, "b/key", 5, "null", 4);
    cr_assert_eq(k.len, 5, "the null version is the object's own key");
    cn_ver_of_key(cn_slice(k.data, k.len), id);
    cr_assert_str_eq(id, "null");
    cn_buf_dispose(&k);
}

static cn_list_entry_t ent(const char *key, size_t len, uint64_t clock)
{
    cn_list_entry_t e = {.key = cn_slice(key, len), .clock = clock};
    return e;
}

Test(version, latest_and_order_place_the_null_version_by_its_clock, .timeout = 5)
{
    /* index order: the object's own key, then versions newest first */
    cn_list_entry_t own = ent("b/k", 3, 25), v1 = ent("b/k\0aa", 6, 30), v2 = ent("b/k\0bb", 6, 20),
                    v3 = ent("b/k\0cc", 6, 10);
    const cn_list_entry_t *in[] = {&own, &v1, &v2, &v3}, *out[4];

    cr_assert_eq(cn_ver_latest(in, 4), &v1);
    cn_ver_order(in, 4, out);
    cr_assert_eq(out[0], &v1);
    cr_assert_eq(out[1], &own, "the null version between the versions older and newer");
    cr_assert_eq(out[2], &v2);
    cr_assert_eq(out[3], &v3);
    own.clock = 40;
    cr_assert_eq(cn_ver_latest(in, 4), &own, "a Suspended write after the versions is latest");
    cn_ver_order(in, 4, out);
    cr_assert_eq(out[0], &own);
    own.clock = 5;
    cn_ver_order(in, 4, out);
    cr_assert_eq(out[3], &own, "the oldest last");
    cr_assert_null(cn_ver_latest(in, 0));
}

Test(version, current_collapses_a_page_and_leaves_an_open_tail, .timeout = 5)
{
    cn_list_entry_t a = ent("b/a", 3, 5), a1 = ent("b/a\0aa", 6, 9), a2 = ent("b/a\0bb", 6, 7),
                    c = ent("b/c", 3, 8), d1 = ent("b/d\0aa", 6, 9), e = ent("b/e", 3, 1),
                    pfx = ent("b/p/", 4, 0);
    const cn_list_entry_t *p[8];
    int open;

    d1.flags = CN_OBJ_DELETE_MARKER;
    pfx.flags = CN_LIST_PREFIX;
    const cn_list_entry_t *in[] = {&a, &a1, &a2, &c, &d1, &e, &pfx};
    memcpy(p, in, sizeof(in));
    cr_assert_eq(cn_ver_current(p, 7, cn_slice("", 0), &open), 4);
    cr_assert_eq(p[0], &a1, "the newest version of b/a");
    cr_assert_eq(p[1], &c, "an object that never had versions");
    cr_assert_eq(p[2], &e, "b/d's latest is a delete marker: not listed");
    cr_assert_eq(p[3], &pfx);
    cr_assert_eq(open, 0);
    /* a page that ends after b/e's own key: a newer version of b/e may follow */
    memcpy(p, in, sizeof(in));
    cr_assert_eq(cn_ver_current(p, 6, e.key, &open), 2);
    cr_assert_eq(open, 1);
    /* ... but not after a version: the index holds them newest first */
    memcpy(p, in, sizeof(in));
    cr_assert_eq(cn_ver_current(p, 2, a1.key, &open), 1);
    cr_assert_eq(open, 0);
    cr_assert_eq(p[0], &a1);
    /* a last entry consumed that the page does not hold (a tombstone): open */
    memcpy(p, in, sizeof(in));
    cr_assert_eq(cn_ver_current(p, 4, cn_slice("b/cc\0ff", 7), &open), 2);
    cr_assert_eq(open, 1);
}
