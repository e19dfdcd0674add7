/*
 * common/version.c: version IDs, version keys and the order of an object's versions (see
 * version.h). Pure: no I/O but the random bits of a new ID.
 */
#include "common/version.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"

void cn_ver_id_make(uint64_t clock, char out[CN_VER_ID_LEN + 1])
{
    uint32_t rnd;

    if (cn_random_bytes(&rnd, sizeof(rnd)) != 0)
        rnd = (uint32_t)cn_now_ns();
    snprintf(out, CN_VER_ID_LEN + 1, "%016" PRIx64 "%08" PRIx32, UINT64_MAX - clock, rnd);
}

int cn_ver_id_valid(const char *s, size_t n)
{
    if (n == 4 && memcmp(s, CN_VER_NULL, 4) == 0)
        return 1;
    if (n != CN_VER_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

uint64_t cn_ver_id_clock(const char *id)
{
    uint64_t inv = 0;

    if (!cn_ver_id_valid(id, strlen(id)) || strcmp(id, CN_VER_NULL) == 0)
        return 0;
    for (int i = 0; i < 16; i++)
        inv = inv << 4 | (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    return UINT64_MAX - inv;
}

void cn_ver_key(cn_buf_t *out, const char *bk, size_t blen, const char *id, size_t n)
{
    cn_buf_reset(out);
    cn_buf_append(out, bk, blen);
    if (n == 4 && memcmp(id, CN_VER_NULL, 4) == 0)
        return;
    cn_buf_append(out, "", 1);
    cn_buf_append(out, id, n);
}

size_t cn_ver_base_len(cn_slice_t key)
{
    const char *nul = key.len ? memchr(key.ptr, '\0', key.len) : NULL;

    return nul ? (size_t)(nul - key.ptr) : key.len;
}

void cn_ver_of_key(cn_slice_t key, char out[CN_VER_ID_LEN + 1])
{
    size_t b = cn_ver_base_len(key), n = key.len - b;

    if (n <= 1 || n - 1 > CN_VER_ID_LEN) {
        memcpy(out, CN_VER_NULL, sizeof(CN_VER_NULL));
        return;
    }
    memcpy(out, key.ptr + b + 1, n - 1);
    out[n - 1] = '\0';
}

const cn_list_entry_t *cn_ver_latest(const cn_list_entry_t *const *ents, size_t n)
{
    const cn_list_entry_t *best = NULL;

    for (size_t i = 0; i < n; i++)
        if (best == NULL || ents[i]->clock > best->clock)
            best = ents[i];
    return best;
}

void cn_ver_order(const cn_list_entry_t *const *ents, size_t n, const cn_list_entry_t **out)
{
    const cn_list_entry_t *null_ver = NULL;
    size_t w = 0;

    for (size_t i = 0; i < n; i++) {
        if (cn_ver_base_len(ents[i]->key) == ents[i]->key.len) {
            null_ver = ents[i];
            continue;
        }
        if (null_ver != NULL && null_ver->clock > ents[i]->clock) {
            out[w++] = null_ver;
            null_ver = NULL;
        }
        out[w++] = ents[i];
    }
    if (null_ver != NULL)
        out[w++] = null_ver;
}

static int same_object(cn_slice_t a, size_t alen, cn_slice_t b)
{
    return cn_ver_base_len(b) == alen && memcmp(a.ptr, b.ptr, alen) == 0;
}

size_t cn_ver_current(const cn_list_entry_t **ents, size_t n, cn_slice_t tail, int *tail_open)
{
    size_t w = 0, i = 0, tlen = cn_ver_base_len(tail);
    int seen_tail = 0;

    *tail_open = 0;
    while (i < n) {
        cn_slice_t obj = ents[i]->key;
        size_t olen = cn_ver_base_len(obj), j = i + 1;
        const cn_list_entry_t *best;
        int has_version = olen != obj.len, is_tail;

        while (j < n && same_object(obj, olen, ents[j]->key)) {
            has_version |= cn_ver_base_len(ents[j]->key) != ents[j]->key.len;
            j++;
        }
        best = cn_ver_latest(ents + i, j - i);
        i = j;
        is_tail = tail.len > 0 && tlen == olen && memcmp(tail.ptr, obj.ptr, olen) == 0;
        seen_tail |= is_tail;
        if (is_tail && !has_version) {
            *tail_open = 1; /* only its own key seen: a newer version may follow */
            continue;
        }
        if (!(best->flags & CN_OBJ_DELETE_MARKER))
            ents[w++] = best;
    }
    if (tail.len > 0 && !seen_tail)
        *tail_open = 1; /* only deleted versions of it seen: the live ones may follow */
    return w;
}
