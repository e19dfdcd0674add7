/* tests/unit/gateway/test_list_merge.c: tests gateway/link/list_merge.c with real encoded listings
 * (common/proto.c's encoder, as storage nodes send them). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "gateway/link/list_merge.h"

typedef struct { const char *key; uint64_t clock; uint32_t flags; } ent_t;

static cn_list_result_t *mk(const ent_t *e, size_t n)
{
    cn_buf_t b;
    cn_list_result_t *r;
    cn_buf_init(&b);
    cn_list_encode_begin(&b, n);
    for (size_t i = 0; i < n; i++) {
        cn_list_entry_t le = {0};
        le.key = cn_slice_str(e[i].key);
        le.size = 1;
        strcpy(le.etag, "e");
        le.clock = e[i].clock;
        le.flags = e[i].flags;
        cn_list_encode_entry(&b, &le);
    }
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cn_buf_dispose(&b);
    return r;
}

static void expect(const cn_list_entry_t **got, size_t n, const char *const *want, size_t wn)
{
    cr_assert_eq(n, wn, "got %zu entries, want %zu", n, wn);
    for (size_t i = 0; i < n; i++)
        cr_assert(cn_slice_eq(got[i]->key, cn_slice_str(want[i])), "entry %zu: %.*s != %s", i,
                  (int)got[i]->key.len, got[i]->key.ptr, want[i]);
}

Test(list_merge, three_nodes_in_order_without_duplicates, .timeout = 5)
{
    ent_t a[] = {{"b/a", 1, 0}, {"b/c", 1, 0}, {"b/e", 1, 0}};
    ent_t b[] = {{"b/a", 1, 0}, {"b/b", 1, 0}, {"b/e", 1, 0}};
    ent_t c[] = {{"b/c", 1, 0}, {"b/d", 1, 0}};
    cn_list_result_t *res[3] = {mk(a, 3), mk(b, 3), mk(c, 2)};
    int tr[3] = {0, 0, 0};
    const cn_list_entry_t **out;
    size_t n;
    int t;
    const cn_list_entry_t *resume;
    const char *want[] = {"b/a", "b/b", "b/c", "b/d", "b/e"};
    gw_list_merge(res, tr, 3, 1000, &out, &n, &t, &resume);
    expect(out, n, want, 5);
    cr_assert_eq(t, 0);
    cn_free(out);
    gw_list_merge(res, tr, 3, 2, &out, &n, &t, &resume);
    expect(out, n, want, 2);
    cr_assert_eq(t, 1);
    cn_free(out);
    for (int i = 0; i < 3; i++)
        cn_list_result_free(res[i]);
}

Test(list_merge, truncated_node_bounds_the_page, .timeout = 5)
{
    ent_t a[] = {{"b/a", 1, 0}, {"b/c", 1, 0}};            /* truncated after b/c */
    ent_t b[] = {{"b/b", 1, 0}, {"b/d", 1, 0}, {"b/f", 1, 0}};
    cn_list_result_t *res[3] = {mk(a, 2), NULL, mk(b, 3)};
    int tr[3] = {1, 0, 0};
    const cn_list_entry_t **out;
    size_t n;
    int t;
    const cn_list_entry_t *resume;
    const char *want[] = {"b/a", "b/b", "b/c"};
    gw_list_merge(res, tr, 3, 1000, &out, &n, &t, &resume);
    expect(out, n, want, 3);
    cr_assert_eq(t, 1);
    cn_free(out);
    cn_list_result_free(res[0]);
    cn_list_result_free(res[2]);
}

Test(list_merge, newest_copy_wins_and_tombstones_are_hidden, .timeout = 5)
{
    ent_t a[] = {{"b/a", 5, 0}, {"b/x", 1, 0}};
    ent_t b[] = {{"b/a", 3, 0}, {"b/x", 9, 0x1}};           /* x deleted later on b */
    cn_list_result_t *res[2] = {mk(a, 2), mk(b, 2)};
    int tr[2] = {0, 0};
    const cn_list_entry_t **out;
    size_t n;
    int t;
    const cn_list_entry_t *resume;
    const char *want[] = {"b/a"};
    gw_list_merge(res, tr, 2, 1000, &out, &n, &t, &resume);
    expect(out, n, want, 1);
    cr_assert_eq(out[0]->clock, 5);
    cn_free(out);
    cn_list_result_free(res[0]);
    cn_list_result_free(res[1]);
}

Test(list_merge, common_prefixes_merge_once, .timeout = 5)
{
    ent_t a[] = {{"b/dir/", 0, 0x100}, {"b/z", 1, 0}};
    ent_t b[] = {{"b/a", 1, 0}, {"b/dir/", 0, 0x100}};
    cn_list_result_t *res[2] = {mk(a, 2), mk(b, 2)};
    int tr[2] = {0, 0};
    const cn_list_entry_t **out;
    size_t n;
    int t;
    const cn_list_entry_t *resume;
    const char *want[] = {"b/a", "b/dir/", "b/z"};
    gw_list_merge(res, tr, 2, 1000, &out, &n, &t, &resume);
    expect(out, n, want, 3);
    cr_assert(out[1]->flags & 0x100);
    cn_free(out);
    cn_list_result_free(res[0]);
    cn_list_result_free(res[1]);
}

/* A node truncated on a page of deleted keys: nothing to list, but the merge still says where
 * to continue, so a listing over many deletes moves on instead of stopping or looping. */
Test(list_merge, page_of_tombstones_still_resumes, .timeout = 5)
{
    ent_t a[] = {{"b/k1", 9, 0x1}, {"b/k2", 9, 0x1}};   /* node a: two deletes, truncated */
    ent_t b[] = {{"b/k1", 3, 0}, {"b/k2", 3, 0}, {"b/k3", 3, 0}}; /* node b lags behind */
    cn_list_result_t *res[2] = {mk(a, 2), mk(b, 3)};
    int tr[2] = {1, 0};
    const cn_list_entry_t **out;
    const cn_list_entry_t *resume;
    size_t n;
    int t;

    gw_list_merge(res, tr, 2, 1000, &out, &n, &t, &resume);
    cr_assert_eq(n, 0, "the lagging copies lose to the newer deletes");
    cr_assert_eq(t, 1);
    cr_assert_not_null(resume);
    cr_assert(cn_slice_eq(resume->key, cn_slice_str("b/k2")), "resume after the last delete");
    cn_free(out);
    cn_list_result_free(res[0]);
    cn_list_result_free(res[1]);
}

/* One version from an older node (no picked metadata) and a newer one (with it): the merge
 * keeps the copy that names its owner, whichever node answered first. */
Test(list_merge, same_version_prefers_the_copy_with_picked_metadata, .timeout = 5)
{
    static const char meta[] = "\x81\xa6:owner\xa2id";
    cn_list_result_t *res[2];
    cn_buf_t b;
    int tr[2] = {0, 0}, t;
    const cn_list_entry_t **out, *resume;
    size_t n;
    cn_slice_t v;

    for (int with = 0; with < 2; with++) {
        cn_list_entry_t le = {.key = CN_SLICE("b/k"), .size = 1, .etag = "e", .clock = 9};

        if (with)
            le.meta = CN_SLICE(meta);
        cn_buf_init(&b);
        cn_list_encode_begin(&b, 1);
        cn_list_encode_entry(&b, &le);
        cr_assert_eq(cn_list_decode(b.data, b.len, &res[with]), 0);
        cn_buf_dispose(&b);
    }
    gw_list_merge(res, tr, 2, 1000, &out, &n, &t, &resume);
    cr_assert_eq(n, 1);
    cr_assert_eq(cn_list_entry_meta(out[0], ":owner", &v), 1);
    cr_assert(cn_slice_eq(v, CN_SLICE("id")));
    cn_free(out);
    cn_list_result_free(res[0]);
    cn_list_result_free(res[1]);
}
