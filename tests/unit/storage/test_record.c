/*
 * tests/unit/storage/test_record.c: tests storage/engine/record.c (encode/decode, a flipped byte
 * anywhere is detected, a short buffer is a torn record) and storage/engine/replay.c through the
 * container engine (a torn tail is cut, an appended unindexed record is re-indexed, a bad
 * record followed by good ones is skipped, --rebuild-index rebuilds everything).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "storage/engine/engine.h"
#include "storage/engine/record.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX / 2];

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
    t_tmpdir_remove(dir);
}

TestSuite(record, .init = setup, .fini = teardown);

static void sample(cn_buf_t *out, const char *key, uint64_t clock, const char *body)
{
    stor_rec_hdr_t h = {.clock = clock, .mtime_ms = 1234, .flags = CN_OBJ_MANIFEST};

    snprintf(h.etag, sizeof(h.etag), "etag-%s", body);
    stor_rec_encode(out, &h, cn_slice_str(key), CN_SLICE("meta"), cn_slice_str(body));
}

Test(record, encode_decode_round_trip, .timeout = 10)
{
    stor_rec_hdr_t h;
    cn_slice_t k, m, b;
    cn_buf_t buf;
    size_t used;

    cn_buf_init(&buf);
    sample(&buf, "b/key", 42, "hello world");
    cr_assert_eq(buf.len, STOR_REC_HDR + 5 + 4 + 11);
    cr_assert_eq(cn_get_u32le(buf.data), STOR_REC_MAGIC);
    cr_assert_eq(stor_rec_decode(buf.data, buf.len, &h, &k, &m, &b, &used), 0);
    cr_assert_eq(used, buf.len);
    cr_assert_eq(h.clock, 42);
    cr_assert_eq(h.mtime_ms, 1234);
    cr_assert_eq(h.flags, CN_OBJ_MANIFEST);
    cr_assert_eq(h.body_len, 11);
    cr_assert_str_eq(h.etag, "etag-hello world");
    cr_assert(cn_slice_eq(k, CN_SLICE("b/key")));
    cr_assert(cn_slice_eq(m, CN_SLICE("meta")));
    cr_assert(cn_slice_eq(b, CN_SLICE("hello world")));
    cn_buf_dispose(&buf);
}

Test(record, body_length_is_64_bit, .timeout = 10)
{
    stor_rec_hdr_t h = {.clock = 1, .key_len = 1, .body_len = (UINT64_C(5) << 32) + 7}, d;
    uint8_t raw[STOR_REC_HDR];

    stor_rec_encode_hdr(&h, raw);
    cr_assert_eq(stor_rec_decode_hdr(raw, &d), 0);
    cr_assert_eq(d.body_len, (UINT64_C(5) << 32) + 7);
    cr_assert_eq(stor_rec_size(&d), STOR_REC_HDR + 1 + (UINT64_C(5) << 32) + 7);
}

Test(record, a_flipped_byte_anywhere_is_detected, .timeout = 30)
{
    stor_rec_hdr_t h;
    cn_slice_t k, m, b;
    cn_buf_t buf;
    size_t used;

    cn_buf_init(&buf);
    sample(&buf, "bucket/some/key", 7, "a body of a few bytes");
    for (size_t i = 0; i < buf.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf.data[i] ^= (char)(1 << bit);
            cr_assert_eq(stor_rec_decode(buf.data, buf.len, &h, &k, &m, &b, &used),
                         CN_ECORRUPT, "flip of bit %d of byte %zu not detected", bit, i);
            buf.data[i] ^= (char)(1 << bit);
        }
    }
    cr_assert_eq(stor_rec_decode(buf.data, buf.len, &h, &k, &m, &b, &used), 0);
    cn_buf_dispose(&buf);
}

Test(record, a_short_buffer_is_a_torn_record, .timeout = 10)
{
    stor_rec_hdr_t h;
    cn_slice_t k, m, b;
    cn_buf_t buf;
    size_t used;

    cn_buf_init(&buf);
    sample(&buf, "b/k", 7, "0123456789");
    for (size_t n = 0; n < buf.len; n++)
        cr_assert_eq(stor_rec_decode(buf.data, n, &h, &k, &m, &b, &used), CN_EAGAIN);
    cn_buf_dispose(&buf);
}

/* ---- recovery through the engine ----------------------------------------------------- */

static stor_engine_t *open_engine(int rebuild)
{
    stor_engine_opts_t o = {.kind = "container", .containers = 1, .rebuild_index = rebuild};
    stor_engine_t *e = NULL;

    cr_assert_eq(stor_engine_open(dir, &o, &e), 0);
    return e;
}

static void put(stor_engine_t *e, const char *key, uint64_t clock, const char *body)
{
    stor_obj_meta_t m = {.clock = clock, .size = strlen(body)};

    cr_assert_eq(stor_engine_put(e, cn_slice_str(key), &m, cn_slice_str(body)), 0);
}

static int get_is(stor_engine_t *e, const char *key, const char *want)
{
    stor_obj_meta_t m;
    cn_buf_t b;
    int rc, ok;

    cn_buf_init(&b);
    rc = stor_engine_get(e, cn_slice_str(key), 0, UINT64_MAX, &m, NULL, &b);
    ok = want == NULL ? rc == CN_ENOENT
                      : rc == 0 && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    cn_buf_dispose(&b);
    return ok;
}

static off_t file_size(const char *p)
{
    struct stat st;

    cr_assert_eq(stat(p, &st), 0);
    return st.st_size;
}

static void append_raw(const char *p, const void *data, size_t n)
{
    int fd = open(p, O_WRONLY | O_APPEND);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

Test(record, torn_tail_is_cut_and_acked_records_stay, .timeout = 30)
{
    char path[PATH_MAX];
    stor_engine_t *e = open_engine(0);
    cn_buf_t rec;
    off_t good;

    put(e, "b/1", 1, "one");
    put(e, "b/2", 1, "two");
    stor_engine_close(e);
    snprintf(path, sizeof(path), "%s/containers/c0000.dat", dir);
    good = file_size(path);
    cn_buf_init(&rec);
    sample(&rec, "b/torn", 5, "this record is cut in the middle by a crash");
    append_raw(path, rec.data, rec.len - 10);
    cn_buf_dispose(&rec);

    e = open_engine(0);
    cr_assert_eq(file_size(path), good, "the torn tail was cut");
    cr_assert(get_is(e, "b/1", "one"));
    cr_assert(get_is(e, "b/2", "two"));
    cr_assert(get_is(e, "b/torn", NULL), "a partial record is never visible");
    put(e, "b/3", 2, "three");
    stor_engine_close(e);
    e = open_engine(0);
    cr_assert(get_is(e, "b/3", "three"));
    stor_engine_close(e);
}

Test(record, unindexed_records_past_the_checkpoint_are_indexed, .timeout = 30)
{
    char path[PATH_MAX];
    stor_engine_t *e = open_engine(0);
    cn_buf_t rec;

    put(e, "b/1", 1, "one");
    stor_engine_close(e);
    snprintf(path, sizeof(path), "%s/containers/c0000.dat", dir);
    cn_buf_init(&rec);
    sample(&rec, "b/1", 9, "newer");
    sample(&rec, "b/2", 3, "two");
    sample(&rec, "b/1", 4, "older");
    append_raw(path, rec.data, rec.len);
    cn_buf_dispose(&rec);
    e = open_engine(0);
    cr_assert(get_is(e, "b/1", "newer"), "last writer wins during recovery");
    cr_assert(get_is(e, "b/2", "two"));
    stor_engine_close(e);
}

Test(record, corrupt_record_followed_by_good_ones_is_skipped_not_cut, .timeout = 30)
{
    char path[PATH_MAX];
    stor_engine_t *e = open_engine(0);
    cn_buf_t rec;
    size_t first;

    put(e, "b/0", 1, "zero");
    stor_engine_close(e);
    snprintf(path, sizeof(path), "%s/containers/c0000.dat", dir);
    cn_buf_init(&rec);
    sample(&rec, "b/bad", 3, "bad body");
    first = rec.len;
    sample(&rec, "b/good", 3, "good body");
    rec.data[first - 2] ^= 0x40; /* in the first record's body */
    append_raw(path, rec.data, rec.len);
    cn_buf_dispose(&rec);
    e = open_engine(0);
    cr_assert(get_is(e, "b/0", "zero"));
    cr_assert(get_is(e, "b/bad", NULL));
    cr_assert(get_is(e, "b/good", "good body"));
    stor_engine_close(e);
}

Test(record, rebuild_index_from_the_containers, .timeout = 30)
{
    char path[PATH_MAX];
    stor_engine_t *e = open_engine(0);

    put(e, "b/1", 1, "one");
    put(e, "b/1", 2, "one v2");
    put(e, "b/2", 1, "two");
    cr_assert_eq(stor_engine_delete(e, CN_SLICE("b/2"), 5), 0);
    stor_engine_close(e);
    snprintf(path, sizeof(path), "rm -rf '%s/index'", dir);
    cr_assert_eq(system(path), 0);
    e = open_engine(1);
    cr_assert(get_is(e, "b/1", "one v2"));
    cr_assert(get_is(e, "b/2", NULL));
    {
        stor_obj_meta_t m = {.clock = 4, .size = 3};
        cr_assert_eq(stor_engine_put(e, CN_SLICE("b/2"), &m, CN_SLICE("old")), CN_ESTALE,
                     "the tombstone was rebuilt too");
    }
    stor_engine_close(e);
}
