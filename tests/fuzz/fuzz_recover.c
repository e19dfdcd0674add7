/*
 * tests/fuzz/fuzz_recover.c: libFuzzer target for crash recovery (storage/engine/replay.c) through
 * the real container engine (stor_engine_open, storage/engine/engine.h) on a real container file and
 * a real RocksDB index, in a fresh directory under /dev/shm (or $TMPDIR, /tmp) per input.
 *
 * Input: byte 0 is a set of flags, the rest is the container file after a valid superblock
 * (container 0, generation 1; the engine is opened with one container):
 *   0x01  recompute both CRCs of every candidate record first (at each "CNR1" magic), as
 *         fuzz_record does, so that the checks behind them are reached;
 *   0x02  close and open again (the second recovery starts at the checkpoint): the same
 *         versions must come back;
 *   0x04  after recovery, put a new object and read it back (appends after a cut tail).
 * Checks: open returns 0 (the superblock is good, so recovery must not refuse the store) or a
 * negative CN_E* code; every version the index lists reads back as stored (a live one: get
 * returns 0 with the listed metadata and a body equal to that of a whole record with the same
 * key and clock in the file, or CN_ECORRUPT; a tombstone: CN_ENOENT); the file never grows;
 * ASan/LSan: no memory error, no leak. CAIRN_FUZZ_DEBUG=1 prints how many versions each
 * input left in the index (to check that seeds reach the reads).
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "storage/engine/container.h"
#include "storage/engine/engine.h"
#include "storage/engine/record.h"
#include "tests/fuzz/fuzz_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_FIXCRC 0x01
#define F_REOPEN 0x02
#define F_PUT 0x04
#define MAX_SEEN 256

static char base[64];

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void rm_tree(void)
{
    if (base[0])
        (void)nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup_at_exit(void)
{
    rm_tree();
}

/* Reads the whole container file. */
static int slurp(const char *path, cn_buf_t *out)
{
    char tmp[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    while ((n = read(fd, tmp, sizeof(tmp))) > 0)
        cn_buf_append(out, tmp, (size_t)n);
    close(fd);
    return n < 0 ? -1 : 0;
}

/* 1 when the file holds, at some magic, a whole valid record of key with this clock whose
 * metadata and body are meta and body. */
static int record_in_file(const cn_buf_t *file, cn_slice_t key, uint64_t clock, cn_slice_t meta,
                          cn_slice_t body)
{
    for (size_t off = STOR_SB_SIZE; off + STOR_REC_HDR <= file->len; off++) {
        stor_rec_hdr_t h;
        cn_slice_t k, m, b;
        size_t used;

        if (cn_get_u32le((const uint8_t *)file->data + off) != STOR_REC_MAGIC)
            continue;
        if (stor_rec_decode(file->data + off, file->len - off, &h, &k, &m, &b, &used) == 0 &&
            h.clock == clock && cn_slice_eq(k, key) && cn_slice_eq(m, meta) &&
            cn_slice_eq(b, body))
            return 1;
    }
    return 0;
}

struct seen {
    size_t n;
    struct {
        char key[STOR_KEY_MAX];
        size_t key_len;
        uint64_t clock;
        uint32_t flags;
    } v[MAX_SEEN];
};

static int collect(void *arg, cn_slice_t key, const stor_obj_meta_t *m)
{
    struct seen *s = arg;

    if (s->n == MAX_SEEN)
        return 1;
    if (key.len == 0 || key.len > STOR_KEY_MAX)
        abort(); /* the index holds a key no put could have written */
    memcpy(s->v[s->n].key, key.ptr, key.len);
    s->v[s->n].key_len = key.len;
    s->v[s->n].clock = m->clock;
    s->v[s->n].flags = m->flags;
    s->n++;
    return 0;
}

/* Lists every version and reads each back; returns what it saw in *s. */
static void check_engine(stor_engine_t *e, const char *cpath, struct seen *s)
{
    cn_buf_t file, meta, body;
    int more = 0;

    s->n = 0;
    if (stor_engine_scan(e, cn_slice("", 0), MAX_SEEN, collect, s, &more) < 0)
        abort(); /* the index was just written by recovery */
    cn_buf_init(&file);
    cn_buf_init(&meta);
    cn_buf_init(&body);
    if (slurp(cpath, &file) != 0)
        abort();
    for (size_t i = 0; i < s->n; i++) {
        cn_slice_t key = cn_slice(s->v[i].key, s->v[i].key_len);
        stor_obj_meta_t m;
        int rc;

        cn_buf_reset(&meta);
        cn_buf_reset(&body);
        memset(&m, 0, sizeof(m));
        rc = stor_engine_get(e, key, 0, UINT64_MAX, &m, &meta, &body);
        if (s->v[i].flags & CN_OBJ_TOMBSTONE) {
            if (rc != CN_ENOENT)
                abort(); /* a deleted key reads back */
            continue;
        }
        if (rc == CN_ECORRUPT)
            continue; /* the clean answer to a record that went bad after indexing */
        if (rc != 0 || m.clock != s->v[i].clock || m.flags != s->v[i].flags)
            abort(); /* a listed live version does not read back as listed */
        if (!record_in_file(&file, key, m.clock, cn_slice(meta.data, meta.len),
                            cn_slice(body.data, body.len)))
            abort(); /* the index points at bytes that are no whole record of this key */
    }
    cn_buf_dispose(&body);
    cn_buf_dispose(&meta);
    cn_buf_dispose(&file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct seen first, again;
    stor_engine_opts_t opts;
    stor_engine_t *e = NULL;
    char cdir[128], cpath[160];
    uint8_t flags, *body;
    size_t n;
    struct stat st;
    int fd, rc;

    if (size == 0)
        return 0;
    cn_log_set_level(CN_LOG_ERROR); /* recovery WARNs of every cut and skip */
    if (base[0] == '\0') {
        /* tmpfs when there is one: RocksDB's open syncs several files, and a busy disk can
         * stall it past the 10 s limit (it then preallocates ~70 MB of WAL in tmpfs, freed
         * with the directory: each exec costs about 150 ms either way) */
        const char *t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/fuzz_recover.XXXXXX", t && *t ? t : "/tmp");
        if (mkdtemp(base) == NULL)
            abort();
        atexit(cleanup_at_exit);
    }
    flags = data[0];
    n = size - 1;
    body = cn_malloc(n ? n : 1);
    memcpy(body, data + 1, n);
    if (flags & F_FIXCRC)
        for (size_t off = 0; off + 4 <= n; off++)
            if (cn_get_u32le(body + off) == STOR_REC_MAGIC)
                fuzz_rec_fix_crcs(body + off, n - off);

    /* a fresh store: containers/c0000.dat = superblock + input; no index yet */
    rm_tree();
    snprintf(cdir, sizeof(cdir), "%s/containers", base);
    snprintf(cpath, sizeof(cpath), "%s/c%04u.dat", cdir, 0u);
    if (mkdir(base, 0700) != 0 || mkdir(cdir, 0700) != 0 ||
        stor_container_create_file(cpath, 0, 1, &fd) != 0)
        abort();
    if (n > 0 && pwrite(fd, body, n, STOR_SB_SIZE) != (ssize_t)n)
        abort();
    close(fd);
    cn_free(body);

    memset(&opts, 0, sizeof(opts));
    opts.containers = 1;
    opts.no_sync = 1;
    if (stor_engine_open(base, &opts, &e) != 0)
        abort(); /* a good superblock: recovery must cut or skip, never refuse the store */
    check_engine(e, cpath, &first);
    if (getenv("CAIRN_FUZZ_DEBUG") != NULL)
        fprintf(stderr, "fuzz_recover: %zu version(s) indexed\n", first.n);
    if (stat(cpath, &st) != 0 || (uint64_t)st.st_size > STOR_SB_SIZE + n)
        abort(); /* recovery made the file longer */

    if (flags & F_REOPEN) {
        stor_engine_close(e);
        e = NULL;
        if (stor_engine_open(base, &opts, &e) != 0)
            abort();
        check_engine(e, cpath, &again);
        if (again.n != first.n)
            abort(); /* a second recovery found other versions */
        for (size_t i = 0; i < first.n; i++)
            if (again.v[i].key_len != first.v[i].key_len ||
                memcmp(again.v[i].key, first.v[i].key, first.v[i].key_len) != 0 ||
                again.v[i].clock != first.v[i].clock || again.v[i].flags != first.v[i].flags)
                abort();
    }

    if (flags & F_PUT) {
        /* a new version after recovery: clock above anything a seed uses */
        static const char k[] = "fuzz/after-recovery", v[] = "new body";
        stor_obj_meta_t m, got;
        cn_buf_t out;

        memset(&m, 0, sizeof(m));
        m.clock = UINT64_MAX - 1;
        m.size = sizeof(v) - 1;
        m.mtime_ms = 1;
        memcpy(m.etag, "e", 2);
        rc = stor_engine_put(e, CN_SLICE(k), &m, CN_SLICE(v));
        if (rc != 0 && rc != CN_ESTALE)
            abort(); /* CN_ESTALE: the input already holds this key with a clock this high */
        if (rc == 0) {
            cn_buf_init(&out);
            if (stor_engine_get(e, CN_SLICE(k), 0, UINT64_MAX, &got, NULL, &out) != 0 ||
                out.len != sizeof(v) - 1 || memcmp(out.data, v, out.len) != 0 ||
                got.clock != m.clock)
                abort(); /* an append after recovery does not read back */
            cn_buf_dispose(&out);
        }
    }
    stor_engine_close(e);
    return 0;
}
