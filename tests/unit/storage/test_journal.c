/*
 * tests/unit/storage/test_journal.c: the container engine's change journal (issue 22,
 * storage/engine/engine.h "the change journal") against a real RocksDB and real container
 * files: a journaled put or delete that wins gets the next seq in order, an unjournaled or
 * stale one none; the bit never shows in reads or listings; seqs go on after a reopen; trim;
 * and a rebuilt index (the crash path: replay.c) journals again every record that has it;
 * journal_add (recover-cluster's requeue) takes the next seq between the writes' and writes
 * nothing else.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"
#include "storage/engine/engine.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX / 2];
static stor_engine_t *eng;
static const stor_engine_opts_t opts = {.kind = "container", .no_sync = 1};

static void setup(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    cr_assert_eq(stor_engine_open(dir, &opts, &eng), 0);
}

static void teardown(void)
{
    stor_engine_close(eng);
    t_tmpdir_remove(dir);
}

TestSuite(journal, .init = setup, .fini = teardown);

static int put(const char *key, uint64_t clock, uint32_t flags)
{
    stor_obj_meta_t m = {.clock = clock, .size = 3, .flags = flags};

    return stor_engine_put(eng, cn_slice_str(key), &m, cn_slice_str("abc"));
}

static int del(const char *key, uint64_t clock, uint32_t flags)
{
    stor_obj_meta_t m = {.clock = clock, .flags = CN_OBJ_TOMBSTONE | flags};
    stor_engine_wr_t w = {.key = cn_slice_str(key), .m = &m};

    stor_engine_write_many(eng, &w, 1);
    return w.rc;
}

/* The journal after seq `after`, rendered "seq:key@clock[d] ..." (d: a tombstone). */
struct render {
    cn_buf_t out;
};

static int render_one(uint64_t seq, cn_slice_t key, uint64_t clock, uint32_t flags, void *arg)
{
    struct render *r = arg;

    cn_buf_appendf(&r->out, "%s%llu:%.*s@%llu%s", r->out.len ? " " : "",
                   (unsigned long long)seq, (int)key.len, key.ptr, (unsigned long long)clock,
                   (flags & CN_OBJ_TOMBSTONE) ? "d" : "");
    cr_assert_eq(flags & CN_OBJ_JOURNALED, 0, "the entry's flags are the index entry's");
    return 0;
}

static char *journal(uint64_t after)
{
    static char s[1024];
    struct render r;

    cn_buf_init(&r.out);
    cr_assert_eq(stor_engine_journal_read(eng, after, 1000, render_one, &r), 0);
    snprintf(s, sizeof(s), "%.*s", (int)r.out.len, r.out.data ? r.out.data : "");
    cn_buf_dispose(&r.out);
    return s;
}

Test(journal, journaled_writes_only_in_order, .timeout = 10)
{
    uint64_t last = 99;

    cr_assert_eq(stor_engine_journal_last(eng, &last), 0);
    cr_assert_eq(last, 0);
    cr_assert_eq(put("b/one", 10, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(put("b/quiet", 11, 0), 0);                 /* not journaled */
    cr_assert_eq(put("b/two", 12, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(put("b/one", 5, CN_OBJ_JOURNALED), CN_ESTALE); /* loses: no entry */
    cr_assert_eq(del("b/two", 13, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(del("b/quiet", 14, 0), 0);
    cr_assert_str_eq(journal(0), "1:b/one@10 2:b/two@12 3:b/two@13d");
    cr_assert_str_eq(journal(1), "2:b/two@12 3:b/two@13d");
    cr_assert_str_eq(journal(3), "");
    cr_assert_eq(stor_engine_journal_last(eng, &last), 0);
    cr_assert_eq(last, 3);
}

Test(journal, the_bit_never_shows_in_reads_or_listings, .timeout = 10)
{
    stor_obj_meta_t m;
    cn_buf_t l;
    int trunc;

    cr_assert_eq(put("b/k", 10, CN_OBJ_JOURNALED | CN_OBJ_MANIFEST), 0);
    cr_assert_eq(stor_engine_head(eng, cn_slice_str("b/k"), &m, NULL), 0);
    cr_assert_eq(m.flags, CN_OBJ_MANIFEST);
    cr_assert_eq(stor_engine_stat(eng, cn_slice_str("b/k"), &m, NULL), 0);
    cr_assert_eq(m.flags, CN_OBJ_MANIFEST);
    cn_buf_init(&l);
    cr_assert_eq(stor_engine_list(eng, cn_slice_str("b/"), cn_slice("", 0), 10, cn_slice("", 0),
                                  0, cn_slice("", 0), &l, &trunc), 0);
    cr_assert_gt(l.len, 0);
    cn_buf_dispose(&l);
}

Test(journal, seqs_go_on_after_reopen_and_trim_drops_the_sent, .timeout = 10)
{
    uint64_t last;

    cr_assert_eq(put("b/a", 10, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(put("b/b", 11, CN_OBJ_JOURNALED), 0);
    stor_engine_close(eng);
    cr_assert_eq(stor_engine_open(dir, &opts, &eng), 0);
    cr_assert_eq(put("b/c", 12, CN_OBJ_JOURNALED), 0);
    cr_assert_str_eq(journal(0), "1:b/a@10 2:b/b@11 3:b/c@12");
    cr_assert_eq(stor_engine_journal_trim(eng, 2), 0);
    cr_assert_str_eq(journal(0), "3:b/c@12");
    cr_assert_eq(stor_engine_journal_last(eng, &last), 0);
    cr_assert_eq(last, 3);
    cr_assert_eq(stor_engine_journal_trim(eng, UINT64_MAX), 0);
    cr_assert_str_eq(journal(0), "");
    cr_assert_eq(put("b/d", 13, CN_OBJ_JOURNALED), 0); /* the seq never goes back */
    cr_assert_str_eq(journal(0), "4:b/d@13");
}

/* The crash path: an index rebuilt from the containers (replay.c) journals again every record
 * that carries the bit, and no other. */
Test(journal, a_rebuilt_index_journals_the_records_again, .timeout = 10)
{
    stor_engine_opts_t rebuild = opts;

    cr_assert_eq(put("b/a", 10, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(put("b/quiet", 11, 0), 0);
    cr_assert_eq(del("b/a", 12, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(stor_engine_journal_trim(eng, UINT64_MAX), 0); /* as if all were sent */
    stor_engine_close(eng);
    rebuild.rebuild_index = 1;
    cr_assert_eq(stor_engine_open(dir, &rebuild, &eng), 0);
    cr_assert_str_eq(journal(0), "1:b/a@10 2:b/a@12d");
}

Test(journal, journal_add_takes_the_next_seq_and_writes_nothing_else, .timeout = 10)
{
    stor_obj_meta_t m;
    uint64_t last;

    cr_assert_eq(put("b/a", 10, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(stor_engine_journal_add(eng, cn_slice_str("b/x"), 7,
                                         CN_OBJ_TOMBSTONE | CN_OBJ_JOURNALED), 0);
    cr_assert_eq(put("b/b", 11, CN_OBJ_JOURNALED), 0);
    cr_assert_eq(stor_engine_journal_add(eng, cn_slice_str("b/a"), 10, 0), 0);
    cr_assert_str_eq(journal(0), "1:b/a@10 2:b/x@7d 3:b/b@11 4:b/a@10");
    cr_assert_eq(stor_engine_stat(eng, cn_slice_str("b/x"), &m, NULL), CN_ENOENT,
                 "a journal entry alone stores no version");
    cr_assert_eq(stor_engine_journal_add(eng, cn_slice("", 0), 1, 0), CN_EINVAL);
    stor_engine_close(eng); /* the seq goes on after a reopen, as for writes */
    cr_assert_eq(stor_engine_open(dir, &opts, &eng), 0);
    cr_assert_eq(stor_engine_journal_add(eng, cn_slice_str("b/y"), 0, 0), 0);
    cr_assert_eq(stor_engine_journal_last(eng, &last), 0);
    cr_assert_eq(last, 5);
}

Test(journal, the_simple_engine_has_none, .timeout = 10)
{
    stor_engine_t *s;
    char d2[PATH_MAX / 2];
    const stor_engine_opts_t so = {.kind = "simple", .no_sync = 1};
    uint64_t last;

    t_tmpdir_make(d2, sizeof(d2));
    cr_assert_eq(stor_engine_open(d2, &so, &s), 0);
    cr_assert_eq(stor_engine_journal_last(s, &last), CN_EINVAL);
    cr_assert_eq(stor_engine_journal_trim(s, 1), CN_EINVAL);
    cr_assert_eq(stor_engine_journal_add(s, cn_slice_str("b/k"), 1, 0), CN_EINVAL);
    stor_engine_close(s);
    t_tmpdir_remove(d2);
}
