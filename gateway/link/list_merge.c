/*
 * gateway/link/list_merge.c: k-way merge of per-node listings (see list_merge.h). Sorting the union
 * is simple and fast enough for the 1000-key pages S3 lists.
 */
#include "gateway/link/list_merge.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

int gw_key_cmp(cn_slice_t a, cn_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static int ent_cmp(const void *x, const void *y)
{
    const cn_list_entry_t *a = *(const cn_list_entry_t *const *)x;
    const cn_list_entry_t *b = *(const cn_list_entry_t *const *)y;
    int c = gw_key_cmp(a->key, b->key);
    if (c)
        return c;
    if (a->clock != b->clock)
        return a->clock > b->clock ? -1 : 1; /* newest first */
    /* one version from several nodes: the copy with picked metadata first (an older node
     * sends none) */
    return (b->meta.len > 0) - (a->meta.len > 0);
}

void gw_list_merge(cn_list_result_t *const *res, const int *node_truncated, size_t nres,
                   size_t max_keys, const cn_list_entry_t ***out, size_t *n, int *truncated,
                   const cn_list_entry_t **resume)
{
    const cn_list_entry_t **all;
    const cn_list_entry_t *bound = NULL;
    size_t total = 0, k = 0;

    *truncated = 0;
    for (size_t i = 0; i < nres; i++) {
        if (!res[i])
            continue;
        size_t c = cn_list_result_count(res[i]);
        total += c;
        if (node_truncated[i] && c) {
            const cn_list_entry_t *last = cn_list_result_at(res[i], c - 1);
            if (!bound || gw_key_cmp(last->key, bound->key) < 0)
                bound = last;
        }
        if (node_truncated[i])
            *truncated = 1;
    }
    all = cn_malloc((total ? total : 1) * sizeof(*all));
    for (size_t i = 0; i < nres; i++) {
        if (!res[i])
            continue;
        for (size_t j = 0; j < cn_list_result_count(res[i]); j++)
            all[k++] = cn_list_result_at(res[i], j);
    }
    qsort(all, k, sizeof(*all), ent_cmp);
    size_t w = 0;
    const cn_list_entry_t *consumed = NULL;
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && gw_key_cmp(all[i]->key, all[i - 1]->key) == 0)
            continue; /* an older copy of a key already taken (or dropped) */
        if (bound && gw_key_cmp(all[i]->key, bound->key) > 0)
            break;
        if (w == max_keys) {
            *truncated = 1;
            break;
        }
        consumed = all[i];
        if (all[i]->flags & CN_OBJ_TOMBSTONE)
            continue;
        all[w++] = all[i];
    }
    *resume = *truncated ? (w ? all[w - 1] : consumed) : NULL;
    *out = all;
    *n = w;
}
