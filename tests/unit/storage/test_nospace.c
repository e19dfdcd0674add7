/*
 * tests/unit/storage/test_nospace.c: the container engine on a full file system (issue 8).
 * Each test mounts a small tmpfs under its temp dir (root only; skipped otherwise) for the
 * containers or the index, fills it with a filler file, and checks: a put fails with
 * CN_ENOSPC, the container is cut back to its old size (no half record), the index has no
 * entry for it, earlier objects are still read, and the same put succeeds once the filler is
 * gone, also across a reopen (recovery finds nothing half-written). With [storage] min_free
 * the refusal comes before anything is written, deletes may use half of the reserve, and a
 * full index directory refuses the same way.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "storage/engine/engine.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX / 2];
static char mnt[PATH_MAX];
static int mounted;
static stor_engine_t *eng;
static uint64_t clk = 1;

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    snprintf(mnt, sizeof(mnt), "%s/small", dir);
    cr_assert_eq(mkdir(mnt, 0755), 0);
    mounted = mount("tmpfs", mnt, "tmpfs", 0, "size=8m") == 0;
}

static void teardown(void)
{
    stor_engine_close(eng);
    eng = NULL;
    if (mounted)
        umount2(mnt, MNT_DETACH);
    t_tmpdir_remove(dir);
}

TestSuite(nospace, .init = setup, .fini = teardown, .timeout = 60);

static void need_mount(void)
{
    if (!mounted)
        cr_skip_test("cannot mount a tmpfs (not root?): full-disk tests skipped");
}

static void open_engine(const char *cdirs, const char *idir, uint64_t min_free)
{
    stor_engine_opts_t o = {.kind = "container", .containers = 2, .container_dirs = cdirs,
                            .index_dir = idir, .min_free = min_free};

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
}

static int put(const char *key, size_t n, char fill)
{
    char *b = cn_malloc(n ? n : 1);
    stor_obj_meta_t m = {.clock = ++clk, .size = n};
    int rc;

    memset(b, fill, n);
    snprintf(m.etag, sizeof(m.etag), "e%c", fill);
    rc = stor_engine_put(eng, cn_slice_str(key), &m, cn_slice(b, n));
    cn_free(b);
    return rc;
}

/* 1 when key reads back as n bytes of fill. */
static int reads(const char *key, size_t n, char fill)
{
    stor_obj_meta_t m;
    cn_buf_t b;
    int ok;

    cn_buf_init(&b);
    ok = stor_engine_get(eng, cn_slice_str(key), 0, UINT64_MAX, &m, NULL, &b) == 0 &&
         b.len == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = b.data[i] == fill;
    cn_buf_dispose(&b);
    return ok;
}

static uint64_t avail(const char *path)
{
    struct statvfs v;

    cr_assert_eq(statvfs(path, &v), 0);
    return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Fills the file system of mnt with mnt/filler until at most leave bytes are free. */
static void fill(uint64_t leave)
{
    char path[PATH_MAX + 16], buf[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/filler", mnt);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    cr_assert(fd >= 0);
    memset(buf, 'f', sizeof(buf));
    while (avail(mnt) > leave)
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
            break;
    close(fd);
}

static void unfill(void)
{
    char path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s/filler", mnt);
    cr_assert_eq(unlink(path), 0);
}

static off_t fsize(const char *name)
{
    char path[PATH_MAX + 16];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", mnt, name);
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    return st.st_size;
}

Test(nospace, real_enospc_cuts_back_and_recovers)
{
    char idx[PATH_MAX + 8];
    off_t s0, s1;

    need_mount();
    snprintf(idx, sizeof(idx), "%s/index", dir);
    open_engine(mnt, idx, 0);
    for (int i = 0; i < 10; i++) {
        char k[32];
        snprintf(k, sizeof(k), "b/old%d", i);
        cr_assert_eq(put(k, 10000, (char)('a' + i)), 0);
    }
    fill(0);
    s0 = fsize("c0000.dat");
    s1 = fsize("c0001.dat");
    /* larger than what is left (tmpfs works in pages: nothing is) */
    cr_assert_eq(put("b/new", 256 * 1024, 'n'), CN_ENOSPC);
    cr_assert_eq(fsize("c0000.dat"), s0, "container 0 cut back to its old tail");
    cr_assert_eq(fsize("c0001.dat"), s1, "container 1 cut back to its old tail");
    {
        stor_obj_meta_t m;
        cr_assert_eq(stor_engine_stat(eng, cn_slice_str("b/new"), &m, NULL), CN_ENOENT,
                     "no index entry for the refused put");
    }
    for (int i = 0; i < 10; i++) {
        char k[32];
        snprintf(k, sizeof(k), "b/old%d", i);
        cr_assert(reads(k, 10000, (char)('a' + i)), "old object %d still read", i);
    }
    unfill();
    cr_assert_eq(put("b/new", 256 * 1024, 'n'), 0, "writes resume when space returns");
    cr_assert(reads("b/new", 256 * 1024, 'n'));
    /* a reopen (recovery scan) finds exactly what was acked */
    stor_engine_close(eng);
    eng = NULL;
    open_engine(mnt, idx, 0);
    cr_assert(reads("b/new", 256 * 1024, 'n'));
    for (int i = 0; i < 10; i++) {
        char k[32];
        snprintf(k, sizeof(k), "b/old%d", i);
        cr_assert(reads(k, 10000, (char)('a' + i)));
    }
}

Test(nospace, min_free_refuses_before_writing)
{
    char idx[PATH_MAX + 8];
    off_t s0, s1;

    need_mount();
    snprintf(idx, sizeof(idx), "%s/index", dir);
    open_engine(mnt, idx, 4u << 20);
    cr_assert_eq(put("b/keep", 100000, 'k'), 0);
    cr_assert_eq(put("b/gone", 1000, 'g'), 0);
    fill(3u << 20); /* 3 MiB free: under the 4 MiB reserve, over half of it */
    s0 = fsize("c0000.dat");
    s1 = fsize("c0001.dat");
    cr_assert_eq(put("b/small", 10, 's'), CN_ENOSPC, "even a tiny put is refused");
    cr_assert_eq(fsize("c0000.dat"), s0);
    cr_assert_eq(fsize("c0001.dat"), s1);
    cr_assert(reads("b/keep", 100000, 'k'), "reads go on");
    cr_assert_eq(stor_engine_delete(eng, cn_slice_str("b/gone"), ++clk), 0,
                 "a delete may use half of the reserve");
    unfill();
    cr_assert_eq(put("b/small", 10, 's'), 0);
    cr_assert(reads("b/small", 10, 's'));
}

Test(nospace, full_index_dir_refuses_writes)
{
    char cont[PATH_MAX + 8], idx[PATH_MAX + 8];

    need_mount();
    snprintf(cont, sizeof(cont), "%s/containers", dir);
    snprintf(idx, sizeof(idx), "%s/index", mnt);
    open_engine(cont, idx, 1u << 20);
    cr_assert_eq(put("b/a", 5000, 'a'), 0);
    fill(512u << 10);
    cr_assert_eq(put("b/b", 5000, 'b'), CN_ENOSPC);
    cr_assert(reads("b/a", 5000, 'a'));
    unfill();
    cr_assert_eq(put("b/b", 5000, 'b'), 0);
    cr_assert(reads("b/b", 5000, 'b'));
}
