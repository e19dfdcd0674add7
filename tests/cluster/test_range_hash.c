/* tests/cluster/test_range_hash.c: the op range_hash (storage/cluster/range_hash_op.c, issue
 * 22) on a real manager and four storage nodes (N = 3). Objects, version keys
 * ("bucket/key\0ID"), tombstones, a key equal to the prefix, another bucket and an internal
 * chunk key are written through the storage RPC; then:
 *   - the four nodes' summaries, added up, equal the summary computed here from what was
 *     written (each version once: a node counts only the keys it is the first owner of), for
 *     a bucket prefix, a prefix that is a key, and no prefix (internal keys left out), and
 *     with `all` each node counts exactly the versions it is an owner of;
 *   - a newer version written on one node only is found: exactly its child differs at depth
 *     0, then at depth 8, and the list of its depth-16 range (and a selection of its child)
 *     holds it with its new clock;
 *   - pages (max_scan, max) add up to the one-shot answer;
 *   - bad requests answer CN_EINVAL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/proto.h"
#include "common/range_hash.h"
#include "common/rpc.h"
#include "tests/cluster/harness.h"

#define NODES 4
#define OBJECTS 150
#define MAX_VERS 400
#define ROOT ((cn_rh_range_t){0, 0})
#define CHUNK_KEY "\001c/rhb/obj-1/00000000000000aa/000000"

typedef struct ver {
    char key[96];
    size_t len;
    uint64_t clock;
    uint32_t flags;
} ver_t;

static ver_t vers[MAX_VERS];
static size_t nvers;
static tc_cluster_t cl;

/* also after a failed assertion: no daemon is left running */
static void teardown(void)
{
    tc_finish(&cl);
}

TestSuite(range_hash, .fini = teardown);

/* A put of key (bytes: version keys hold a NUL) on node i; the clock stored into *clock. */
static int put_key(tc_cluster_t *c, int i, cn_slice_t key, int replica, uint64_t clock,
                   uint64_t *clock_out)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT), *resp;
    int rc;

    cn_msg_set_bytes(m, "key", key.ptr, key.len);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", "0123456789abcdef0123456789abcdef");
    if (replica)
        cn_msg_set_u64(m, "replica", 1);
    cn_msg_set_body_copy(m, "data", 4);
    if ((resp = tc_call(c, i, m)) == NULL)
        return CN_EUNAVAIL;
    rc = cn_msg_rc(resp);
    if (clock_out != NULL)
        cn_msg_get_u64(resp, "clock", clock_out);
    cn_msg_free(resp);
    return rc;
}

/* key's coordinator: its first owner (the ring hashes the bytes before a NUL) */
static int first_owner(tc_cluster_t *c, const char *key)
{
    int o[3];

    cr_assert_eq(tc_owners(c, key, 3, o), 3);
    return o[0];
}

static ver_t *add_ver(const char *obj, const char *id)
{
    ver_t *v = &vers[nvers++];

    cr_assert_leq(nvers, MAX_VERS);
    v->len = (size_t)snprintf(v->key, sizeof(v->key), "%s", obj);
    if (id != NULL) {
        v->key[v->len] = '\0';
        v->len += 1 + (size_t)snprintf(v->key + v->len + 1, sizeof(v->key) - v->len - 1, "%s", id);
    }
    return v;
}

static void write_all(tc_cluster_t *c)
{
    char obj[64], id[32];
    ver_t *v;

    for (int k = 0; k < OBJECTS; k++) {
        snprintf(obj, sizeof(obj), "rhb/obj-%d", k);
        v = add_ver(obj, NULL);
        cr_assert_eq(put_key(c, first_owner(c, obj), cn_slice(v->key, v->len), 0, 0, &v->clock), 0);
        if (k % 5 == 0) { /* a version of it */
            snprintf(id, sizeof(id), "%016x%08x", 0xfffffff0u - (unsigned)k, (unsigned)k * 7);
            v = add_ver(obj, id);
            cr_assert_eq(put_key(c, first_owner(c, obj), cn_slice(v->key, v->len), 0, 0, &v->clock),
                         0);
        }
    }
    for (int k = 0; k < OBJECTS; k += 7) { /* tombstones of some objects' own keys */
        cn_msg_t *m = cn_msg_new(CN_OP_DELETE), *resp;

        snprintf(obj, sizeof(obj), "rhb/obj-%d", k);
        for (v = vers; v < vers + nvers; v++)
            if (v->len == strlen(obj) && memcmp(v->key, obj, v->len) == 0)
                break;
        cr_assert_lt(v, vers + nvers);
        cn_msg_set_bytes(m, "key", obj, strlen(obj));
        cr_assert_not_null(resp = tc_call(c, first_owner(c, obj), m));
        cr_assert_eq(cn_msg_rc(resp), 0);
        cr_assert_eq(cn_msg_get_u64(resp, "clock", &v->clock), 0);
        v->flags = CN_OBJ_TOMBSTONE;
        cn_msg_free(resp);
    }
    /* a key equal to the prefix "rhb/", and another bucket */
    v = add_ver("rhb/", NULL);
    cr_assert_eq(put_key(c, first_owner(c, "rhb/"), cn_slice(v->key, v->len), 0, 0, &v->clock), 0);
    for (int k = 0; k < 20; k++) {
        snprintf(obj, sizeof(obj), "rhc/x-%d", k);
        v = add_ver(obj, NULL);
        cr_assert_eq(put_key(c, first_owner(c, obj), cn_slice(v->key, v->len), 0, 0, &v->clock), 0);
    }
    /* an internal chunk key: never counted */
    cr_assert_eq(put_key(c, 0, CN_SLICE(CHUNK_KEY), 1, 123456789, NULL), 0);
}

/* The summary of the versions written under prefix in range r with fan-out bits. */
static void expected(cn_rh_summary_t *s, const char *prefix, cn_rh_range_t r, uint32_t bits)
{
    cr_assert_eq(cn_rh_summary_init(s, r, bits), 0);
    for (size_t i = 0; i < nvers; i++)
        if (strncmp(vers[i].key, prefix, strlen(prefix)) == 0 && vers[i].len >= strlen(prefix))
            cr_assert_geq(
                cn_rh_summary_add(s, vers[i].key, vers[i].len, vers[i].clock, vers[i].flags), 0);
}

static cn_msg_t *rh_req(const char *prefix, cn_rh_range_t r, uint32_t bits, int list)
{
    cn_msg_t *m = cn_msg_new("range_hash");

    cn_msg_set_bytes(m, "prefix", prefix, strlen(prefix));
    cn_msg_set_u64(m, "depth", r.depth);
    cn_msg_set_u64(m, "hash_prefix", r.value);
    cn_msg_set_u64(m, "bits", bits);
    if (list)
        cn_msg_set_u64(m, "list", 1);
    return m;
}

/* Takes the paging of a range_hash answer: 1 with next set to its `next` when it is
 * truncated, 0 (next empty) when it is the last page. */
static int page_on(cn_msg_t *resp, cn_buf_t *next)
{
    uint64_t trunc = 9;
    cn_slice_t nx;

    cr_assert_eq(cn_msg_get_u64(resp, "truncated", &trunc), 0);
    cn_buf_reset(next);
    if (trunc == 0) {
        cr_assert_eq(cn_msg_get_bytes(resp, "next", &nx), CN_ENOENT);
        return 0;
    }
    cr_assert_eq(trunc, 1);
    cr_assert_eq(cn_msg_get_bytes(resp, "next", &nx), 0);
    cr_assert_gt(nx.len, 0);
    cn_buf_append(next, nx.ptr, nx.len);
    return 1;
}

/* Node i's summary of (prefix, r, bits) added into s, page after page of max_scan entries
 * (0: the default); returns the pages and adds the counted versions to *count. */
static int node_sum(tc_cluster_t *c, int i, const char *prefix, cn_rh_range_t r, uint32_t bits,
                    uint64_t max_scan, int all, cn_rh_summary_t *s, uint64_t *count)
{
    cn_buf_t next;
    int pages = 0, more;

    cn_buf_init(&next);
    do {
        cn_msg_t *m = rh_req(prefix, r, bits, 0), *resp;
        uint64_t n = 0, children = 0, ring = 0, prev = 9, version = 0;
        cn_slice_t body;

        if (max_scan > 0)
            cn_msg_set_u64(m, "max_scan", max_scan);
        if (all)
            cn_msg_set_u64(m, "all", 1);
        if (next.len > 0)
            cn_msg_set_bytes(m, "start_after", next.data, next.len);
        cr_assert_not_null(resp = tc_call(c, i, m));
        cr_assert_eq(cn_msg_rc(resp), 0, "rc %d", cn_msg_rc(resp));
        cr_assert_eq(cn_msg_get_u64(resp, "count", &n), 0);
        cr_assert_eq(cn_msg_get_u64(resp, "children", &children), 0);
        cr_assert_eq(cn_msg_get_u64(resp, "version", &version), 0);
        cr_assert_eq(version, CN_RH_VERSION);
        cr_assert_eq(cn_msg_get_u64(resp, "ring_cur", &ring), 0);
        cr_assert_eq(ring, cn_ring_checksum(c->ring));
        cr_assert_eq(cn_msg_get_u64(resp, "ring_prev", &prev), 0);
        cr_assert_eq(prev, 0);
        body = cn_msg_body(resp);
        cr_assert_eq(body.len, children * CN_RH_CHILD_LEN);
        cr_assert_eq(cn_rh_summary_decode_add(s, body.ptr, body.len), 0);
        *count += n;
        cr_assert_lt(++pages, 10000);
        more = page_on(resp, &next);
        cn_msg_free(resp);
    } while (more);
    cn_buf_dispose(&next);
    return pages;
}

/* The whole cluster's summary: every node's answer added. */
static uint64_t cluster_sum(tc_cluster_t *c, const char *prefix, cn_rh_range_t r, uint32_t bits,
                            cn_rh_summary_t *s)
{
    uint64_t count = 0;

    cr_assert_eq(cn_rh_summary_init(s, r, bits), 0);
    for (int i = 0; i < NODES; i++)
        node_sum(c, i, prefix, r, bits, 0, 0, s, &count);
    return count;
}

static size_t ndiff(const cn_rh_summary_t *a, const cn_rh_summary_t *b, uint32_t *which)
{
    size_t n;

    cr_assert_eq(cn_rh_summary_diff(a, b, which, which ? 1 : 0, &n), 0);
    return n;
}

/* Node i's list of (prefix, r, bits[, sel]) appended to out, pages of max versions. */
static int node_list(tc_cluster_t *c, int i, const char *prefix, cn_rh_range_t r, uint32_t bits,
                     const uint8_t *sel, uint64_t max, cn_buf_t *out)
{
    cn_buf_t next;
    int pages = 0, more;

    cn_buf_init(&next);
    do {
        cn_msg_t *m = rh_req(prefix, r, bits, 1), *resp;
        uint64_t n = 0;
        cn_slice_t body;
        size_t off = 0, got = 0;
        cn_rh_item_t it;
        int rc;

        if (sel != NULL)
            cn_msg_set_bytes(m, "select", sel, cn_rh_select_len(bits));
        if (max > 0)
            cn_msg_set_u64(m, "max", max);
        if (next.len > 0)
            cn_msg_set_bytes(m, "start_after", next.data, next.len);
        cr_assert_not_null(resp = tc_call(c, i, m));
        cr_assert_eq(cn_msg_rc(resp), 0);
        cr_assert_eq(cn_msg_get_u64(resp, "count", &n), 0);
        body = cn_msg_body(resp);
        while ((rc = cn_rh_list_next(body.ptr, body.len, &off, &it)) == 1)
            got++;
        cr_assert_eq(rc, 0);
        cr_assert_eq(got, n);
        if (max > 0)
            cr_assert_leq(n, max);
        cn_buf_append(out, body.ptr, body.len);
        cr_assert_lt(++pages, 10000);
        more = page_on(resp, &next);
        cn_msg_free(resp);
    } while (more);
    cn_buf_dispose(&next);
    return pages;
}

/* Asserts that the list wire form l holds exactly the versions written (vers) under prefix whose
 * position is in r (and in a selected child of it), with their clocks and flags. */
static void list_matches(cn_slice_t l, const char *prefix, cn_rh_range_t r, uint32_t bits,
                         const uint8_t *sel)
{
    size_t want = 0, got = 0, off = 0;
    cn_rh_item_t it;
    int rc;

    for (size_t i = 0; i < nvers; i++) {
        uint8_t kh[CN_RH_SUM_LEN];
        uint64_t pos = cn_rh_key_hash(vers[i].key, vers[i].len, kh);

        if (strncmp(vers[i].key, prefix, strlen(prefix)) == 0 && cn_rh_range_has(r, pos) &&
            (sel == NULL || cn_rh_select_has(sel, cn_rh_child_of(r, bits, pos))))
            want++;
    }
    while ((rc = cn_rh_list_next(l.ptr, l.len, &off, &it)) == 1) {
        size_t i;

        for (i = 0; i < nvers; i++)
            if (cn_slice_eq(it.key, cn_slice(vers[i].key, vers[i].len)))
                break;
        cr_assert_lt(i, nvers, "a version listed that was not written");
        cr_assert_eq(it.clock, vers[i].clock, "%s", vers[i].key);
        cr_assert_eq(it.flags & CN_OBJ_TOMBSTONE, vers[i].flags & CN_OBJ_TOMBSTONE);
        if (!(it.flags & CN_OBJ_TOMBSTONE))
            cr_assert_str_eq(it.etag, "0123456789abcdef0123456789abcdef");
        got++;
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(got, want, "listed %zu versions, %zu wanted", got, want);
}

/* 1 when node i's summary with all = 1 is that of the versions it is an owner of. */
static int node_all_matches(tc_cluster_t *c, int i)
{
    cn_rh_summary_t mine, got;
    uint64_t n = 0;
    size_t nd;

    cr_assert_eq(cn_rh_summary_init(&mine, ROOT, 4), 0);
    cr_assert_eq(cn_rh_summary_init(&got, ROOT, 4), 0);
    for (size_t v = 0; v < nvers; v++) {
        int o[3];

        cr_assert_eq(tc_owners(c, vers[v].key, 3, o), 3); /* the key up to its NUL */
        if (o[0] == i || o[1] == i || o[2] == i)
            cn_rh_summary_add(&mine, vers[v].key, vers[v].len, vers[v].clock, vers[v].flags);
    }
    node_sum(c, i, "", ROOT, 4, 0, 1, &got, &n);
    cr_assert_eq(cn_rh_summary_diff(&mine, &got, NULL, 0, &nd), 0);
    cn_rh_summary_dispose(&mine);
    cn_rh_summary_dispose(&got);
    return nd == 0;
}

static int rh_rc(tc_cluster_t *c, cn_msg_t *m)
{
    cn_msg_t *resp = tc_call(c, 0, m);
    int rc;

    cr_assert_not_null(resp);
    rc = cn_msg_rc(resp);
    cn_msg_free(resp);
    return rc;
}

Test(range_hash, cluster_sums_count_each_version_once_and_find_a_difference, .timeout = 180)
{
    cn_rh_summary_t want, got, old;
    static const char *const prefixes[] = {"rhb/", "rhb/obj-1", "", "rhc/"};
    uint32_t which;
    size_t x;
    uint64_t count;
    cn_buf_t l;

    tc_init(&cl, 1, 0);
    for (int i = 0; i < NODES; i++)
        tc_node_start(&cl, i);
    tc_start_ring(&cl);
    write_all(&cl);
    tc_wait_drained(&cl, 20000);

    /* each version once, under each prefix, at several fan-outs */
    for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
        for (uint32_t bits = 0; bits <= 16; bits += 8) {
            uint64_t n = cluster_sum(&cl, prefixes[p], ROOT, bits, &got);
            cn_rh_sum_t t;

            expected(&want, prefixes[p], ROOT, bits);
            cn_rh_summary_total(&want, &t);
            cr_assert_eq(n, t.count, "prefix '%s': %llu counted, %llu written", prefixes[p],
                         (unsigned long long)n, (unsigned long long)t.count);
            cr_assert_eq(ndiff(&want, &got, NULL), 0, "prefix '%s' bits %u", prefixes[p], bits);
            cn_rh_summary_dispose(&want);
            cn_rh_summary_dispose(&got);
        }
    }
    /* a subtree: depth 2, value 3 */
    cluster_sum(&cl, "rhb/", (cn_rh_range_t){2, 3}, 5, &got);
    expected(&want, "rhb/", (cn_rh_range_t){2, 3}, 5);
    cr_assert_eq(ndiff(&want, &got, NULL), 0);
    cn_rh_summary_dispose(&want);
    cn_rh_summary_dispose(&got);

    /* all = 1: each node counts exactly the versions it is an owner of (the third copy of
     * the last writes may still be on its way: waited for) */
    for (int i = 0; i < NODES; i++)
        TC_WAIT(node_all_matches(&cl, i), 10000, "a node with all = 1 does not count its keys");

    /* pages of 7 index entries add up to the one-shot answer */
    cr_assert_eq(cn_rh_summary_init(&got, ROOT, 8), 0);
    count = 0;
    for (int i = 0; i < NODES; i++)
        cr_assert_gt(node_sum(&cl, i, "rhb/", ROOT, 8, 7, 0, &got, &count), 10);
    expected(&want, "rhb/", ROOT, 8);
    cr_assert_eq(ndiff(&want, &got, NULL), 0);
    cn_rh_summary_dispose(&want);
    cn_rh_summary_dispose(&got);

    /* the list of a range, whole and in pages of 3 versions */
    for (uint64_t max = 0; max <= 3; max += 3) {
        cn_buf_init(&l);
        for (int i = 0; i < NODES; i++)
            cr_assert(node_list(&cl, i, "rhb/", (cn_rh_range_t){1, 1}, 0, NULL, max, &l) > 1 ||
                      max == 0);
        list_matches(cn_slice(l.data, l.len), "rhb/", (cn_rh_range_t){1, 1}, 0, NULL);
        cn_buf_dispose(&l);
    }

    /* one newer version on its first owner only: found at depth 0, 8 and 16 */
    expected(&old, "rhb/", ROOT, 8);
    for (x = 0; x < nvers && strcmp(vers[x].key, "rhb/obj-1") != 0; x++)
        ;
    cr_assert_lt(x, nvers);
    cr_assert_eq(vers[x].flags, 0, "rhb/obj-1 is live");
    vers[x].clock += 1000;
    cr_assert_eq(put_key(&cl, first_owner(&cl, vers[x].key), cn_slice(vers[x].key, vers[x].len), 1,
                         vers[x].clock, NULL),
                 0);
    {
        uint8_t kh[CN_RH_SUM_LEN];
        uint64_t pos = cn_rh_key_hash(vers[x].key, vers[x].len, kh);
        cn_rh_range_t r = ROOT;
        uint8_t sel[32] = {0};

        cluster_sum(&cl, "rhb/", r, 8, &got);
        cr_assert_eq(ndiff(&old, &got, &which), 1);
        cr_assert_eq(which, cn_rh_child_of(r, 8, pos));
        cn_rh_summary_dispose(&old);
        cn_rh_summary_dispose(&got);
        /* a selection of that one child lists what the cluster holds there */
        cn_rh_select_set(sel, which);
        cn_buf_init(&l);
        for (int i = 0; i < NODES; i++)
            node_list(&cl, i, "rhb/", r, 8, sel, 0, &l);
        list_matches(cn_slice(l.data, l.len), "rhb/", r, 8, sel);
        cn_buf_dispose(&l);
        /* one level down */
        r = cn_rh_range_child(r, 8, which);
        vers[x].clock -= 1000;
        expected(&old, "rhb/", r, 8);
        vers[x].clock += 1000;
        cluster_sum(&cl, "rhb/", r, 8, &got);
        cr_assert_eq(ndiff(&old, &got, &which), 1);
        cr_assert_eq(which, cn_rh_child_of(r, 8, pos));
        cn_rh_summary_dispose(&old);
        cn_rh_summary_dispose(&got);
        /* the depth-16 range lists it with its new clock */
        r = cn_rh_range_child(r, 8, which);
        cn_buf_init(&l);
        for (int i = 0; i < NODES; i++)
            node_list(&cl, i, "rhb/", r, 0, NULL, 0, &l);
        list_matches(cn_slice(l.data, l.len), "rhb/", r, 0, NULL);
        cn_buf_dispose(&l);
    }

    /* bad requests */
    {
        cn_msg_t *m;

        cr_assert_eq(rh_rc(&cl, rh_req("rhb/", ROOT, 17, 0)), CN_EINVAL);
        cr_assert_eq(rh_rc(&cl, rh_req("rhb/", (cn_rh_range_t){3, 8}, 0, 0)), CN_EINVAL);
        cr_assert_eq(rh_rc(&cl, rh_req("rhb/", (cn_rh_range_t){60, 0}, 5, 0)), CN_EINVAL);
        cr_assert_eq(rh_rc(&cl, rh_req("rhb/", (cn_rh_range_t){65, 0}, 0, 0)), CN_EINVAL);
        cr_assert_eq(rh_rc(&cl, rh_req("\001c/", ROOT, 0, 0)), CN_EINVAL); /* internal */
        m = rh_req("rhb/", ROOT, 4, 0);
        cn_msg_set_bytes(m, "select", "\xff\xff", 2); /* a selection without list */
        cr_assert_eq(rh_rc(&cl, m), CN_EINVAL);
        m = rh_req("rhb/", ROOT, 4, 1);
        cn_msg_set_bytes(m, "select", "\xff", 1); /* 16 children need 2 bytes */
        cr_assert_eq(rh_rc(&cl, m), CN_EINVAL);
        m = rh_req("rhb/", ROOT, 4, 1);
        cn_msg_set_str(m, "max", "ten");
        cr_assert_eq(rh_rc(&cl, m), CN_EINVAL);
    }
}
