/*
 * storage/cluster/cond_group.c: the latest version of one object from its owners' group
 * listings (see cluster.h, stor_group_latest). Pure: no I/O; the entries stay the listings'.
 *
 * Why every entry and not each node's own latest: a node that missed the delete of version v2
 * still lists v2 live while another lists v2's tombstone, newer; reducing each node to its
 * latest first would make v2 latest again. So each version key's newest entry across the
 * listings decides that key (a tombstone included), and only then the newest live key wins.
 * A listing that was cut short (truncated) is known only up to its last key: past the smallest
 * such key nothing is used. The index holds an object's versions newest first (their IDs
 * sort by inverted clock, docs/STORAGE_FORMAT.md "Versions") after the object's own key, so a
 * live key found within that bound is the newest live one.
 */
#include "storage/cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/proto.h"

static int key_cmp(cn_slice_t a, cn_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;

    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static int ent_cmp(const void *x, const void *y)
{
    const cn_list_entry_t *a = *(const cn_list_entry_t *const *)x;
    const cn_list_entry_t *b = *(const cn_list_entry_t *const *)y;
    int c = key_cmp(a->key, b->key);

    if (c != 0)
        return c;
    return a->clock > b->clock ? -1 : a->clock < b->clock; /* newest first */
}

int stor_group_latest(cn_list_result_t *const *res, const int *truncated, size_t n,
                      const cn_list_entry_t **latest)
{
    const cn_list_entry_t **all, *bound = NULL;
    size_t total = 0, k = 0;
    int cut = 0;

    *latest = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t c = res[i] ? cn_list_result_count(res[i]) : 0;

        total += c;
        if (res[i] && truncated[i]) {
            cut = 1;
            if (c > 0 && (bound == NULL ||
                          key_cmp(cn_list_result_at(res[i], c - 1)->key, bound->key) < 0))
                bound = cn_list_result_at(res[i], c - 1);
        }
    }
    all = cn_malloc((total ? total : 1) * sizeof(*all));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; res[i] && j < cn_list_result_count(res[i]); j++)
            all[k++] = cn_list_result_at(res[i], j);
    qsort(all, k, sizeof(*all), ent_cmp);
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && key_cmp(all[i]->key, all[i - 1]->key) == 0)
            continue; /* an older copy of a key already decided */
        if (bound != NULL && key_cmp(all[i]->key, bound->key) > 0)
            break;
        if (all[i]->flags & CN_OBJ_TOMBSTONE)
            continue;
        if (*latest == NULL || all[i]->clock > (*latest)->clock)
            *latest = all[i];
    }
    cn_free(all);
    return *latest == NULL && cut ? CN_EAGAIN : 0;
}
