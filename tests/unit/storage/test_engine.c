/*
 * tests/unit/storage/test_engine.c: tests storage/engine/engine.c and one engine (built twice:
 * TEST_ENGINE_KIND "container" as test_engine, "simple" as test_engine_simple) against a
 * real RocksDB and real files in a temp dir: put/get/head/delete, ranges, last writer wins,
 * reopen, listing (order, prefix, start_after, max_keys, delimiter, tombstones) and sizes.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "storage/engine/engine.h"
#include "tests/harness/tmpdir.h"

#ifndef TEST_ENGINE_KIND
#define TEST_ENGINE_KIND "container"
#endif

static char dir[PATH_MAX / 2];
static stor_engine_t *eng;
static const stor_engine_opts_t durable = {.kind = TEST_ENGINE_KIND};
static const stor_engine_opts_t fast = {.kind = TEST_ENGINE_KIND, .no_sync = 1};

static void setup(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    cr_assert_eq(stor_engine_open(dir, &durable, &eng), 0);
}

static void teardown(void)
{
    stor_engine_close(eng);
    t_tmpdir_remove(dir);
}

TestSuite(engine, .init = setup, .fini = teardown);

static int put(const char *key, uint64_t clock, const char *body)
{
    stor_obj_meta_t m = {.clock = clock, .size = strlen(body)};

    snprintf(m.etag, sizeof(m.etag), "etag-%s", body);
    m.meta = CN_SLICE("meta!");
    return stor_engine_put(eng, cn_slice_str(key), &m, cn_slice_str(body));
}

/* GETs key (range off/len) into a static string; returns rc. */
static int get(const char *key, uint64_t off, uint64_t len, stor_obj_meta_t *m, char **body)
{
    static char out[256];
    cn_buf_t b, meta;
    int rc;

    cn_buf_init(&b);
    cn_buf_init(&meta);
    rc = stor_engine_get(eng, cn_slice_str(key), off, len, m, &meta, &b);
    if (rc == 0) {
        cr_assert_eq(meta.len, 5);
        cr_assert_arr_eq(meta.data, "meta!", 5);
    }
    snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? b.data : "");
    *body = out;
    cn_buf_dispose(&b);
    cn_buf_dispose(&meta);
    return rc;
}

/* Lists with opts and renders "k1 k2 [cp/]" (common prefixes in brackets, a NUL as '~'). */
static char *list_opts(cn_slice_t prefix, const char *start_after, size_t max, const char *delim,
                       unsigned opts, int *truncated)
{
    static char out[65536];
    cn_list_result_t *r;
    cn_buf_t b;
    size_t pos = 0;

    cn_buf_init(&b);
    cr_assert_eq(stor_engine_list(eng, prefix, cn_slice_str(start_after), max,
                                  cn_slice_str(delim), opts, CN_SLICE(""), &b, truncated),
                 0);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    out[0] = '\0';
    for (size_t i = 0; i < cn_list_result_count(r); i++) {
        const cn_list_entry_t *e = cn_list_result_at(r, i);
        int pfx = (e->flags & CN_LIST_PREFIX) != 0;

        pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%s%s", i ? " " : "",
                                pfx ? "[" : "");
        for (size_t c = 0; c < e->key.len && pos + 2 < sizeof(out); c++)
            out[pos++] = e->key.ptr[c] ? e->key.ptr[c] : '~';
        pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%s", pfx ? "]" : "");
    }
    cn_list_result_free(r);
    cn_buf_dispose(&b);
    return out;
}

static char *list(const char *prefix, const char *start_after, size_t max, const char *delim,
                  int *truncated)
{
    return list_opts(cn_slice_str(prefix), start_after, max, delim, 0, truncated);
}

/* put of a version key "key\0ver" */
static int put_version(const char *key, const char *ver, uint64_t clock)
{
    char k[128];
    int n = snprintf(k, sizeof(k), "%s%c%s", key, 0, ver);
    stor_obj_meta_t m = {.clock = clock, .size = 1, .etag = "e"};

    m.meta = CN_SLICE("meta!");
    return stor_engine_put(eng, cn_slice(k, (size_t)n), &m, CN_SLICE("v"));
}

Test(engine, put_get_head_delete, .timeout = 10)
{
    stor_obj_meta_t m;
    cn_buf_t meta;
    char *body;

    cr_assert_eq(put("b/k", 100, "hello"), 0);
    cr_assert_eq(get("b/k", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "hello");
    cr_assert_eq(m.clock, 100);
    cr_assert_eq(m.size, 5);
    cr_assert_str_eq(m.etag, "etag-hello");
    cr_assert_gt(m.mtime_ms, 0);

    cn_buf_init(&meta);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(stor_engine_head(eng, CN_SLICE("b/k"), &m, &meta), 0);
    cr_assert_eq(m.size, 5);
    cr_assert_eq(m.clock, 100);
    cr_assert_eq(meta.len, 5);
    cn_buf_dispose(&meta);

    cr_assert_eq(get("b/none", 0, UINT64_MAX, &m, &body), CN_ENOENT);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/k"), 200), 0);
    cr_assert_eq(get("b/k", 0, UINT64_MAX, &m, &body), CN_ENOENT);
    cr_assert_eq(stor_engine_head(eng, CN_SLICE("b/k"), &m, NULL), CN_ENOENT);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/k"), 300), CN_ENOENT);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/never"), 300), CN_ENOENT);
}

Test(engine, bad_arguments_are_einval, .timeout = 10)
{
    char big[STOR_KEY_MAX + 2];
    stor_obj_meta_t m = {.clock = 1, .size = 3};

    memset(big, 'k', sizeof(big));
    cr_assert_eq(stor_engine_put(eng, cn_slice(big, STOR_KEY_MAX + 1), &m, CN_SLICE("abc")),
                 CN_EINVAL);
    cr_assert_eq(stor_engine_put(eng, cn_slice(big, STOR_KEY_MAX), &m, CN_SLICE("abc")), 0);
    cr_assert_eq(stor_engine_put(eng, CN_SLICE(""), &m, CN_SLICE("abc")), CN_EINVAL);
    m.size = 4;
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/x"), &m, CN_SLICE("abc")), CN_EINVAL);
    m.size = 3;
    m.clock = 0;
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/x"), &m, CN_SLICE("abc")), CN_EINVAL);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/x"), 0), CN_EINVAL);
}

Test(engine, range_reads, .timeout = 10)
{
    stor_obj_meta_t m;
    char *body;

    cr_assert_eq(put("b/r", 1, "0123456789"), 0);
    cr_assert_eq(get("b/r", 2, 3, &m, &body), 0);
    cr_assert_str_eq(body, "234");
    cr_assert_eq(m.size, 10, "size is the whole object's");
    cr_assert_eq(get("b/r", 7, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "789");
    cr_assert_eq(get("b/r", 8, 100, &m, &body), 0);
    cr_assert_str_eq(body, "89", "a range past the end is clamped");
    cr_assert_eq(get("b/r", 10, 5, &m, &body), 0);
    cr_assert_str_eq(body, "", "a range starting at the end is empty");
    cr_assert_eq(get("b/r", 1000, 5, &m, &body), 0);
    cr_assert_str_eq(body, "");
    cr_assert_eq(m.size, 10);
    cr_assert_eq(get("b/r", 0, 0, &m, &body), 0);
    cr_assert_str_eq(body, "");
}

Test(engine, last_writer_wins, .timeout = 10)
{
    stor_obj_meta_t m;
    char *body;

    cr_assert_eq(put("b/l", 100, "v100"), 0);
    cr_assert_eq(put("b/l", 50, "v50"), CN_ESTALE, "older clock loses");
    cr_assert_eq(put("b/l", 100, "again"), CN_ESTALE, "equal clock loses");
    cr_assert_eq(get("b/l", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "v100");
    cr_assert_eq(put("b/l", 150, "v150"), 0, "newer clock wins");
    cr_assert_eq(get("b/l", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "v150");
    cr_assert_eq(m.clock, 150);

    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/l"), 120), CN_ESTALE,
                 "a delete older than the object loses");
    cr_assert_eq(get("b/l", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "v150");
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/l"), 200), 0);
    cr_assert_eq(put("b/l", 180, "v180"), CN_ESTALE, "the tombstone is newer");
    cr_assert_eq(get("b/l", 0, UINT64_MAX, &m, &body), CN_ENOENT);
    cr_assert_eq(put("b/l", 250, "v250"), 0, "a put after the tombstone wins");
    cr_assert_eq(get("b/l", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "v250");

    /* a delete of a key never seen still records its tombstone */
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/late"), 500), CN_ENOENT);
    cr_assert_eq(put("b/late", 400, "old"), CN_ESTALE, "a late older put cannot resurrect");
}

Test(engine, data_survives_reopen, .timeout = 10)
{
    stor_obj_meta_t m;
    char *body;

    cr_assert_eq(put("b/a", 10, "alpha"), 0);
    cr_assert_eq(put("b/z", 10, "zulu"), 0);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/z"), 20), 0);
    stor_engine_close(eng);
    eng = NULL;
    cr_assert_eq(stor_engine_open(dir, &durable, &eng), 0);
    cr_assert_eq(get("b/a", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_str_eq(body, "alpha");
    cr_assert_str_eq(m.etag, "etag-alpha");
    cr_assert_eq(m.clock, 10);
    cr_assert_eq(get("b/z", 0, UINT64_MAX, &m, &body), CN_ENOENT);
    cr_assert_eq(put("b/z", 15, "old"), CN_ESTALE, "the tombstone survived too");
}

Test(engine, second_open_of_same_dir_fails_cleanly, .timeout = 10)
{
    stor_engine_t *other = NULL;

    cr_assert_eq(stor_engine_open(dir, &durable, &other), CN_EBUSY,
                 "RocksDB's held LOCK is EBUSY (common/rocks_err.h)");
    cr_assert_null(other);
}

Test(engine, list_order_prefix_start_after, .timeout = 10)
{
    int tr;

    cr_assert_eq(put("b/c", 1, "x"), 0);
    cr_assert_eq(put("b/a", 1, "x"), 0);
    cr_assert_eq(put("b/b", 1, "x"), 0);
    cr_assert_eq(put("bb/a", 1, "x"), 0);
    cr_assert_eq(put("a/a", 1, "x"), 0);
    cr_assert_str_eq(list("b/", "", 1000, "", &tr), "b/a b/b b/c");
    cr_assert_eq(tr, 0);
    cr_assert_str_eq(list("", "", 1000, "", &tr), "a/a b/a b/b b/c bb/a");
    cr_assert_str_eq(list("b/", "b/a", 1000, "", &tr), "b/b b/c");
    cr_assert_str_eq(list("b/", "b/aa", 1000, "", &tr), "b/b b/c");
    cr_assert_str_eq(list("b/", "a", 1000, "", &tr), "b/a b/b b/c",
                     "start_after before the prefix");
    cr_assert_str_eq(list("b/", "b/c", 1000, "", &tr), "");
    cr_assert_str_eq(list("b/", "c", 1000, "", &tr), "");
    cr_assert_str_eq(list("c/", "", 1000, "", &tr), "");
    cr_assert_eq(tr, 0);
}

Test(engine, list_max_keys_and_truncated, .timeout = 10)
{
    int tr;

    for (int i = 0; i < 5; i++) {
        char k[16];
        snprintf(k, sizeof(k), "b/k%d", i);
        cr_assert_eq(put(k, 1, "x"), 0);
    }
    cr_assert_str_eq(list("b/", "", 2, "", &tr), "b/k0 b/k1");
    cr_assert_eq(tr, 1);
    cr_assert_str_eq(list("b/", "b/k1", 2, "", &tr), "b/k2 b/k3");
    cr_assert_eq(tr, 1);
    cr_assert_str_eq(list("b/", "b/k3", 2, "", &tr), "b/k4");
    cr_assert_eq(tr, 0);
    cr_assert_str_eq(list("b/", "", 5, "", &tr), "b/k0 b/k1 b/k2 b/k3 b/k4");
    cr_assert_eq(tr, 0, "exactly max_keys left is not truncated");
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/k4"), 9), 0);
    cr_assert_str_eq(list("b/", "", 4, "", &tr), "b/k0 b/k1 b/k2 b/k3");
    cr_assert_eq(tr, 0, "only a tombstone follows");
    cr_assert_str_eq(list("b/", "", 0, "", &tr), "");
    cr_assert_eq(tr, 1);
}

Test(engine, list_hides_tombstones, .timeout = 10)
{
    int tr;

    cr_assert_eq(put("b/1", 1, "x"), 0);
    cr_assert_eq(put("b/2", 1, "x"), 0);
    cr_assert_eq(put("b/3", 1, "x"), 0);
    cr_assert_eq(put("b/d/1", 1, "x"), 0);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/2"), 5), 0);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/d/1"), 5), 0);
    cr_assert_str_eq(list("b/", "", 1000, "", &tr), "b/1 b/3");
    cr_assert_str_eq(list("b/", "", 1000, "/", &tr), "b/1 b/3",
                     "a prefix holding only tombstones is not shown");
}

/* What a gateway merging replicas' listings asks for: deleted keys come back as tombstones
 * with their clocks, so a lagging replica's live copy loses to the newer delete. */
Test(engine, list_with_tombstones_shows_deletes_with_clocks, .timeout = 10)
{
    cn_list_result_t *r;
    const cn_list_entry_t *e;
    cn_buf_t b;
    int tr;

    cr_assert_eq(put("b/1", 1, "x"), 0);
    cr_assert_eq(put("b/2", 1, "x"), 0);
    cr_assert_eq(put("b/d/1", 1, "x"), 0);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/2"), 7), 0);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/d/1"), 7), 0);
    cn_buf_init(&b);
    cr_assert_eq(stor_engine_list(eng, CN_SLICE("b/"), CN_SLICE(""), 10, CN_SLICE(""),
                                  STOR_LIST_TOMBSTONES, CN_SLICE(""), &b, &tr),
                 0);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cr_assert_eq(cn_list_result_count(r), 3);
    e = cn_list_result_at(r, 1);
    cr_assert_eq(e->key.len, 3);
    cr_assert_arr_eq(e->key.ptr, "b/2", 3);
    cr_assert(e->flags & CN_OBJ_TOMBSTONE);
    cr_assert_eq(e->clock, 7);
    cr_assert_not(cn_list_result_at(r, 0)->flags & CN_OBJ_TOMBSTONE);
    cn_list_result_free(r);
    cn_buf_reset(&b);
    /* with a delimiter, a tombstone under a common prefix neither rolls up nor is listed */
    cr_assert_eq(stor_engine_list(eng, CN_SLICE("b/"), CN_SLICE(""), 10, CN_SLICE("/"),
                                  STOR_LIST_TOMBSTONES, CN_SLICE(""), &b, &tr),
                 0);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cr_assert_eq(cn_list_result_count(r), 2, "b/1 and the tombstone b/2");
    cn_list_result_free(r);
    cn_buf_dispose(&b);
}

Test(engine, list_entries_carry_metadata, .timeout = 10)
{
    cn_list_result_t *r;
    const cn_list_entry_t *e;
    cn_buf_t b;
    int tr;

    cr_assert_eq(put("b/m", 77, "hello"), 0);
    cn_buf_init(&b);
    cr_assert_eq(stor_engine_list(eng, CN_SLICE("b/"), CN_SLICE(""), 10, CN_SLICE(""), 0,
                                  CN_SLICE(""), &b, &tr),
                 0);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cr_assert_eq(cn_list_result_count(r), 1);
    e = cn_list_result_at(r, 0);
    cr_assert_eq(e->size, 5);
    cr_assert_eq(e->clock, 77);
    cr_assert_str_eq(e->etag, "etag-hello");
    cr_assert_gt(e->mtime_ms, 0);
    cr_assert_eq(e->flags, 0);
    cr_assert_eq(e->meta.len, 0, "no pairs asked for, none sent");
    cn_list_result_free(r);
    cn_buf_dispose(&b);
}

/* A listing's meta_pick: the named pairs of each object's metadata (a msgpack map of str ->
 * str, the gateway's), nothing for metadata of another shape, tombstones or common prefixes. */
Test(engine, list_picks_metadata_pairs, .timeout = 10)
{
    /* {":owner": "abc", "content-type": "x", ":acl": "private"} */
    static const char meta[] =
        "\x83\xa6:owner\xa3" "abc\xac" "content-type\xa1x\xa4:acl\xa7private";
    stor_obj_meta_t m = {.clock = 5, .size = 1};
    cn_list_result_t *r;
    cn_slice_t v;
    cn_buf_t b;
    int tr;

    m.meta = cn_slice(meta, sizeof(meta) - 1);
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/a"), &m, CN_SLICE("x")), 0);
    cr_assert_eq(put("b/c", 5, "x"), 0); /* metadata "meta!": not a map */
    cr_assert_eq(put("b/d/e", 5, "x"), 0);
    cr_assert_eq(put("b/z", 5, "x"), 0);
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/z"), 7), 0);
    cn_buf_init(&b);
    cr_assert_eq(stor_engine_list(eng, CN_SLICE("b/"), CN_SLICE(""), 10, CN_SLICE("/"),
                                  STOR_LIST_TOMBSTONES, CN_SLICE(":owner,:initiator,:acl"), &b,
                                  &tr),
                 0);
    cr_assert_eq(cn_list_decode(b.data, b.len, &r), 0);
    cr_assert_eq(cn_list_result_count(r), 4);
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 0), ":owner", &v), 1);
    cr_assert_eq(v.len, 3);
    cr_assert_arr_eq(v.ptr, "abc", 3);
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 0), ":acl", &v), 1);
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 0), "content-type", &v), 0,
                 "a pair not asked for stays home");
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 0), ":initiator", &v), 0);
    cr_assert_eq(cn_list_entry_meta(cn_list_result_at(r, 1), ":owner", &v), 0);
    cr_assert(cn_list_result_at(r, 2)->flags & CN_LIST_PREFIX);
    cr_assert_eq(cn_list_result_at(r, 2)->meta.len, 0);
    cr_assert(cn_list_result_at(r, 3)->flags & CN_OBJ_TOMBSTONE);
    cr_assert_eq(cn_list_result_at(r, 3)->meta.len, 0);
    cn_list_result_free(r);
    cn_buf_dispose(&b);
}

Test(engine, list_delimiter_common_prefixes, .timeout = 10)
{
    int tr;

    cr_assert_eq(put("b/a.txt", 1, "x"), 0);
    cr_assert_eq(put("b/dir1/x", 1, "x"), 0);
    cr_assert_eq(put("b/dir1/y", 1, "x"), 0);
    cr_assert_eq(put("b/dir1/sub/z", 1, "x"), 0);
    cr_assert_eq(put("b/dir2/x", 1, "x"), 0);
    cr_assert_eq(put("b/e.txt", 1, "x"), 0);
    cr_assert_str_eq(list("b/", "", 1000, "/", &tr), "b/a.txt [b/dir1/] [b/dir2/] b/e.txt");
    cr_assert_eq(tr, 0);
    cr_assert_str_eq(list("b/dir1/", "", 1000, "/", &tr), "[b/dir1/sub/] b/dir1/x b/dir1/y");
    cr_assert_str_eq(list("b/d", "", 1000, "/", &tr), "[b/dir1/] [b/dir2/]");
    cr_assert_str_eq(list("b/", "", 2, "/", &tr), "b/a.txt [b/dir1/]");
    cr_assert_eq(tr, 1);
    cr_assert_str_eq(list("b/", "b/dir1/", 2, "/", &tr), "[b/dir2/] b/e.txt",
                     "a common prefix is not repeated after start_after");
    cr_assert_eq(tr, 0);
    cr_assert_str_eq(list("b/", "b/dir1/x", 1000, "/", &tr), "[b/dir2/] b/e.txt");
    cr_assert_str_eq(list("b/", "", 1000, ".txt", &tr),
                     "[b/a.txt] b/dir1/sub/z b/dir1/x b/dir1/y b/dir2/x [b/e.txt]",
                     "a multi-byte delimiter");
}

/* Versions ("key\0VERSION") sort right after their object and before any longer key; a
 * group listing stops at the first other key; a delimiter is never found in a version's
 * suffix (docs/STORAGE_FORMAT.md, "Versions"). */
Test(engine, list_versions_group_and_delimiter, .timeout = 10)
{
    int tr;

    cr_assert_eq(put("b/k", 1, "x"), 0);
    cr_assert_eq(put_version("b/k", "v/2", 2), 0);
    cr_assert_eq(put_version("b/k", "v/1", 3), 0);
    cr_assert_eq(put("b/k0", 1, "x"), 0);
    cr_assert_eq(put_version("b/k0", "a", 4), 0);
    cr_assert_eq(put("b/d/x", 1, "x"), 0);
    cr_assert_eq(put_version("b/d/x", "z", 5), 0);
    cr_assert_str_eq(list("b/", "", 1000, "", &tr), "b/d/x b/d/x~z b/k b/k~v/1 b/k~v/2 b/k0 b/k0~a");
    cr_assert_str_eq(list_opts(CN_SLICE("b/k"), "", 1000, "", STOR_LIST_GROUP, &tr),
                     "b/k b/k~v/1 b/k~v/2");
    cr_assert_eq(tr, 0);
    cr_assert_str_eq(list_opts(CN_SLICE("b/k0"), "", 1000, "", STOR_LIST_GROUP, &tr), "b/k0 b/k0~a");
    cr_assert_str_eq(list_opts(CN_SLICE("b/k"), "b/k", 1, "", STOR_LIST_GROUP, &tr), "b/k~v/1");
    cr_assert_eq(tr, 1);
    cr_assert_str_eq(list_opts(CN_SLICE("b/d"), "", 10, "", STOR_LIST_GROUP, &tr), "",
                     "no object b/d: b/d/x is another key");
    cr_assert_str_eq(list("b/", "", 1000, "/", &tr), "[b/d/] b/k b/k~v/1 b/k~v/2 b/k0 b/k0~a",
                     "the '/' of a version id does not roll up");
    cr_assert_str_eq(list("b/k~", "", 1000, "", &tr), "", "no key holds a '~' here");
}

Test(engine, list_delimiter_seeks_past_a_big_prefix, .timeout = 60)
{
    stor_engine_stats_t before, after;
    char k[64];
    int tr;

    stor_engine_close(eng);
    cr_assert_eq(stor_engine_open(dir, &fast, &eng), 0);
    cr_assert_eq(put("b/a", 1, "x"), 0);
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "b/big/%06d", i);
        cr_assert_eq(put(k, 1, "x"), 0);
    }
    cr_assert_eq(put("b/c", 1, "x"), 0);
    stor_engine_stats(eng, &before);
    cr_assert_str_eq(list("b/", "", 1000, "/", &tr), "b/a [b/big/] b/c");
    stor_engine_stats(eng, &after);
    cr_assert_lt(after.list_steps - before.list_steps, 10,
                 "the listing walked %" PRIu64 " positions",
                 after.list_steps - before.list_steps);
    cr_assert_eq(tr, 0);
}

Test(engine, zero_and_8mib_bodies, .timeout = 60)
{
    size_t big = 8u << 20;
    char *data = cn_malloc(big);
    stor_obj_meta_t m = {.clock = 5, .size = big};
    cn_buf_t b;

    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7 + (i >> 13));
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/big"), &m, cn_slice(data, big)), 0);
    m = (stor_obj_meta_t){.clock = 5, .size = 0};
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/empty"), &m, cn_slice("", 0)), 0);

    cn_buf_init(&b);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/big"), 0, UINT64_MAX, &m, NULL, &b), 0);
    cr_assert_eq(b.len, big);
    cr_assert_eq(m.size, big);
    cr_assert(memcmp(b.data, data, big) == 0);
    cn_buf_reset(&b);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/big"), big - 10, 100, &m, NULL, &b), 0);
    cr_assert_eq(b.len, 10);
    cr_assert(memcmp(b.data, data + big - 10, 10) == 0);
    cn_buf_reset(&b);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/empty"), 0, UINT64_MAX, &m, NULL, &b), 0);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(m.size, 0);
    cn_buf_dispose(&b);
    cn_free(data);
}

struct racer {
    int id;
};

static void *race_puts(void *arg)
{
    struct racer *r = arg;
    char body[32];

    for (int i = 0; i < 200; i++) {
        uint64_t clock = (uint64_t)i * 4 + (uint64_t)r->id + 1;
        int rc;

        snprintf(body, sizeof(body), "c%" PRIu64, clock);
        rc = put("b/race", clock, body);
        if (rc != 0 && rc != CN_ESTALE)
            return (void *)1;
    }
    return NULL;
}

Test(engine, concurrent_writers_keep_the_newest_clock, .timeout = 60)
{
    pthread_t th[4];
    struct racer r[4];
    stor_obj_meta_t m;
    char *body;
    void *res;

    stor_engine_close(eng);
    cr_assert_eq(stor_engine_open(dir, &fast, &eng), 0);
    for (int i = 0; i < 4; i++) {
        r[i].id = i;
        pthread_create(&th[i], NULL, race_puts, &r[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], &res);
        cr_assert_null(res);
    }
    cr_assert_eq(get("b/race", 0, UINT64_MAX, &m, &body), 0);
    cr_assert_eq(m.clock, 199 * 4 + 3 + 1);
    cr_assert_str_eq(body, "c800");
}

Test(engine, manifest_reports_the_whole_objects_size, .timeout = 10)
{
    stor_obj_meta_t m = {.clock = 3, .size = 50u << 20, .flags = CN_OBJ_MANIFEST};
    cn_buf_t b;
    int tr;

    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/big"), &m, CN_SLICE("manifest!")), 0);
    m.flags = 0;
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/plain"), &m, CN_SLICE("x")), CN_EINVAL,
                 "only a manifest may differ from its body's length");
    cn_buf_init(&b);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/big"), 0, UINT64_MAX, &m, NULL, &b), 0);
    cr_assert_eq(m.size, 50u << 20);
    cr_assert_eq(m.flags, CN_OBJ_MANIFEST);
    cr_assert_eq(b.len, 9);
    cr_assert_arr_eq(b.data, "manifest!", 9);
    cn_buf_reset(&b);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/big"), 4, 100, &m, NULL, &b), 0);
    cr_assert_eq(b.len, 5, "a range applies to the manifest body");
    cn_buf_dispose(&b);
    cr_assert_str_eq(list("b/", "", 10, "", &tr), "b/big");
    stor_engine_close(eng);
    cr_assert_eq(stor_engine_open(dir, &durable, &eng), 0);
    cr_assert_eq(stor_engine_head(eng, CN_SLICE("b/big"), &m, NULL), 0);
    cr_assert_eq(m.size, 50u << 20);
}

/* stor_engine_put_prev: what a put replaced comes from the put's own lookup (none, a live
 * version, a tombstone, a manifest with its body); a losing put says CN_ESTALE. */
Test(engine, put_prev_says_what_it_replaced, .timeout = 10)
{
    stor_obj_meta_t m = {.clock = 10, .size = 1, .etag = "e1"};
    stor_obj_meta_t man = {.clock = 20, .size = 50u << 20, .flags = CN_OBJ_MANIFEST,
                           .etag = "em"};
    stor_engine_prev_t p;
    cn_buf_t body;

    cn_buf_init(&body);
    p = (stor_engine_prev_t){.body = &body};
    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &m, CN_SLICE("a"), &p), 0);
    cr_assert_eq(p.rc, CN_ENOENT, "a new key replaced nothing");
    cr_assert_eq(body.len, 0);

    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &man, CN_SLICE("manifest!"), &p), 0);
    cr_assert_eq(p.rc, 0);
    cr_assert_eq(p.m.clock, 10);
    cr_assert_eq(p.m.flags, 0);
    cr_assert_str_eq(p.m.etag, "e1");
    cr_assert_eq(body.len, 0, "a plain object's body is not read");

    m.clock = 30;
    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &m, CN_SLICE("b"), &p), 0);
    cr_assert_eq(p.rc, 0);
    cr_assert_eq(p.m.clock, 20);
    cr_assert_eq(p.m.flags, CN_OBJ_MANIFEST);
    cr_assert_eq(p.m.size, 50u << 20);
    cr_assert_eq(body.len, 9, "a manifest's body comes with it");
    cr_assert_arr_eq(body.data, "manifest!", 9);

    cn_buf_reset(&body);
    m.clock = 25;
    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &m, CN_SLICE("c"), &p), CN_ESTALE);

    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/k"), 40), 0);
    m.clock = 50;
    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &m, CN_SLICE("d"), &p), 0);
    cr_assert_eq(p.rc, 0, "a tombstone is a version");
    cr_assert_eq(p.m.clock, 40);
    cr_assert(p.m.flags & CN_OBJ_TOMBSTONE);
    cr_assert_eq(body.len, 0);

    p.body = NULL;
    man.clock = 60;
    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &man, CN_SLICE("m2"), &p), 0);
    m.clock = 70;
    cr_assert_eq(stor_engine_put_prev(eng, CN_SLICE("b/k"), &m, CN_SLICE("e"), &p), 0);
    cr_assert_eq(p.m.clock, 60, "no body wanted: the metadata still comes");
    cn_buf_dispose(&body);
}

struct prev_race {
    int id;
    uint64_t seen[200]; /* the clock each put replaced (0: none) */
};

static void *race_put_prev(void *arg)
{
    struct prev_race *r = arg;

    for (int i = 0; i < 200; i++) {
        stor_obj_meta_t m = {.clock = (uint64_t)i * 4 + (uint64_t)r->id + 1, .size = 1};
        stor_engine_prev_t p = {0};

        if (stor_engine_put_prev(eng, CN_SLICE("b/race"), &m, CN_SLICE("x"), &p) == 0)
            r->seen[i] = p.rc == 0 ? p.m.clock : 0;
        else
            r->seen[i] = UINT64_MAX; /* lost: replaced nothing */
    }
    return NULL;
}

/* Concurrent puts of one key (one group commit batch may hold several): every version that
 * won replaced exactly one other, so the replaced clocks are distinct and each is a clock
 * that was written. */
Test(engine, put_prev_under_concurrent_writers, .timeout = 60)
{
    struct prev_race r[4];
    pthread_t th[4];
    static uint8_t hit[1000];
    size_t nones = 0;

    stor_engine_close(eng);
    cr_assert_eq(stor_engine_open(dir, &fast, &eng), 0);
    for (int t = 0; t < 4; t++) {
        r[t].id = t;
        pthread_create(&th[t], NULL, race_put_prev, &r[t]);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < 200; i++) {
            uint64_t c = r[t].seen[i];

            if (c == UINT64_MAX)
                continue;
            if (c == 0) {
                nones++;
                continue;
            }
            cr_assert_lt(c, 1000);
            cr_assert_eq(hit[c], 0, "clock %" PRIu64 " replaced twice", c);
            hit[c] = 1;
        }
    cr_assert_eq(nones, 1, "only the first winner found nothing");
}
