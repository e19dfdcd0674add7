/*
 * tests/unit/storage/test_cond_group.c: the latest version of an object from its owners'
 * group listings (storage/cluster/cond_group.c, stor_group_latest; issue 16).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/proto.h"
#include "storage/cluster/cluster.h"

struct ent {
    const char *ver; /* NULL: the object's own key */
    uint64_t clock;
    uint32_t flags;
};

/* one owner's listing of object "b/k": its entries in index order */
static cn_list_result_t *listing(const struct ent *e, size_t n)
{
    cn_list_result_t *r;
    cn_buf_t b, k;

    cn_buf_init(&b);
    cn_buf_init(&k);
    cn_list_encode_begin(&b, n);
    for (size_t i = 0; i < n; i++) {
        cn_list_entry_t le = {.clock = e[i].clock, .flags = e[i].flags, .size = 1};
        cn_buf_reset(&k);
        cn_buf_append(&k, "b/k", 3);
        if (e[i].ver) {
            cn_buf_append(&k, "", 1);
            cn_buf_append(&k, e[i].ver, strlen(e[i].ver));
        }
        le.key = cn_slice(k.data, k.len);
        cn_list_encode_entry(&b, &le);
    }
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cn_buf_dispose(&b);
    cn_buf_dispose(&k);
    return r;
}

/* the version of a listed key, "null" for the object's own (keys are not NUL-terminated) */
static const char *ver_of(const cn_list_entry_t *e)
{
    static char out[32];
    const char *nul = memchr(e->key.ptr, '\0', e->key.len);

    if (nul == NULL)
        return "null";
    snprintf(out, sizeof(out), "%.*s", (int)(e->key.len - (size_t)(nul + 1 - e->key.ptr)), nul + 1);
    return out;
}

Test(cond_group, a_newer_tombstone_on_one_owner_beats_a_lagging_live_copy, .timeout = 5)
{
    /* versions "a" (newest, clock 30) and "b" (20); owner 2 missed the delete of "a" */
    const struct ent o1[] = {{"a", 31, CN_OBJ_TOMBSTONE}, {"b", 20, 0}};
    const struct ent o2[] = {{"a", 30, 0}, {"b", 20, 0}};
    cn_list_result_t *res[2] = {listing(o1, 2), listing(o2, 2)};
    int trunc[2] = {0, 0};
    const cn_list_entry_t *latest;

    cr_assert_eq(stor_group_latest(res, trunc, 2, &latest), 0);
    cr_assert_not_null(latest);
    cr_assert_str_eq(ver_of(latest), "b");
    for (int i = 0; i < 2; i++)
        cn_list_result_free(res[i]);
}

Test(cond_group, the_null_version_newest_and_delete_markers, .timeout = 5)
{
    const struct ent o1[] = {{NULL, 50, 0}, {"a", 30, 0}};
    const struct ent o2[] = {{"m", 60, CN_OBJ_DELETE_MARKER}, {"a", 30, 0}};
    cn_list_result_t *res[3] = {listing(o1, 2), NULL, NULL};
    int trunc[3] = {0, 0, 0};
    const cn_list_entry_t *latest;

    cr_assert_eq(stor_group_latest(res, trunc, 3, &latest), 0, "an owner that did not answer");
    cr_assert_str_eq(ver_of(latest), "null");
    res[1] = listing(o2, 2);
    cr_assert_eq(stor_group_latest(res, trunc, 3, &latest), 0);
    cr_assert(latest->flags & CN_OBJ_DELETE_MARKER, "the marker is latest: the caller sees none");
    for (int i = 0; i < 2; i++)
        cn_list_result_free(res[i]);
}

Test(cond_group, cut_listings_bound_what_is_known, .timeout = 5)
{
    /* owner 1 was cut after "b": past it nothing is used; all seen deleted: not known */
    const struct ent o1[] = {{"a", 40, CN_OBJ_TOMBSTONE}, {"b", 30, CN_OBJ_TOMBSTONE}};
    const struct ent o2[] = {{"a", 40, CN_OBJ_TOMBSTONE}, {"b", 30, CN_OBJ_TOMBSTONE},
                             {"c", 20, 0}};
    cn_list_result_t *res[2] = {listing(o1, 2), listing(o2, 3)};
    int trunc[2] = {1, 0};
    const cn_list_entry_t *latest;

    cr_assert_eq(stor_group_latest(res, trunc, 2, &latest), CN_EAGAIN);
    cr_assert_null(latest);
    trunc[0] = 0;
    cr_assert_eq(stor_group_latest(res, trunc, 2, &latest), 0);
    cr_assert_str_eq(ver_of(latest), "c");
    for (int i = 0; i < 2; i++)
        cn_list_result_free(res[i]);
}
