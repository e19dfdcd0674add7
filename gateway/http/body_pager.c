/*
 * gateway/http/body_pager.c: drops h2o's mapped request-body pages from the gateway's RSS (see
 * body_pager.h). A 100 ms uv timer reads /proc/self/maps, picks the shared mappings of files
 * named GW_BODY_FILE_PREFIX* (unlinked, so shown with " (deleted)") and madvise()s them
 * MADV_DONTNEED. Loop thread only, but for gw_body_hashes (see body_pager.h).
 *
 * Threads (issue 19): h2o maps, grows and unmaps a body buffer on the thread of the
 * connection's loop, and the files carry that worker's index in their names
 * (cairn-gw-body.<worker>.XXXXXX, a per-thread mmap setting, as h2o's socket buffer
 * prototype is per thread). Each worker trims only its own files: a mapping it finds cannot
 * be unmapped, and its range reused by another mapping, while it madvises it.
 */
#include "gateway/http/body_pager.h"

#include <errno.h>
#include <h2o.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

size_t gw_body_pager_trim(unsigned worker)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[4096 + 128], mine[64];
    size_t trimmed = 0;

    if (f == NULL)
        return 0;
    snprintf(mine, sizeof(mine), "/%s%u.", GW_BODY_FILE_PREFIX, worker);
    while (fgets(line, sizeof(line), f) != NULL) {
        uintptr_t lo, hi;
        char perms[8];
        int path_at = 0;

        /* "lo-hi perms offset dev inode   path" */
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %*s %n", &lo, &hi, perms,
                   &path_at) < 3 ||
            path_at == 0 || perms[3] != 's' || strstr(line + path_at, mine) == NULL)
            continue;
        if (madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0)
            trimmed += hi - lo;
        else
            CN_LOG(CN_LOG_DEBUG, "madvise of a body buffer: %s", strerror(errno));
    }
    fclose(f);
    return trimmed;
}

int gw_body_pager_map(const void *p, uintptr_t *lo_out, uintptr_t *hi_out)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[4096 + 128];
    uintptr_t at = (uintptr_t)p;
    int found = 0;

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        uintptr_t lo, hi;
        char perms[8];
        int path_at = 0;

        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %*s %n", &lo, &hi, perms,
                   &path_at) < 3 ||
            at < lo || at >= hi)
            continue;
        /* the one mapping that holds p: a body file's, or not ours to touch */
        found = path_at > 0 && perms[3] == 's' &&
                strstr(line + path_at, "/" GW_BODY_FILE_PREFIX) != NULL;
        *lo_out = lo;
        *hi_out = hi;
        break;
    }
    fclose(f);
    return found;
}

/* madvise the whole pages of [a, b) inside the mapping [lo, hi). */
static void drop_range(uintptr_t a, uintptr_t b, uintptr_t lo, uintptr_t hi)
{
    uintptr_t pg = (uintptr_t)getpagesize();

    a = (a < lo ? lo : a + pg - 1) / pg * pg;
    b = (b > hi ? hi : b) / pg * pg;
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

void gw_body_pager_release(const void *p, size_t len)
{
    uintptr_t lo, hi;

    if (len >= (1u << 20) && gw_body_pager_map(p, &lo, &hi))
        drop_range((uintptr_t)p, (uintptr_t)p + len, lo, hi);
}

void gw_body_hashes(const void *p, size_t n, unsigned want, size_t chunk_size,
                    uint8_t (*chunk_md5)[CN_MD5_LEN], cn_hashes_t *out)
{
    const char *b = n ? p : "";
    uintptr_t lo = 0, hi = 0;
    int mapped = n > GW_BODY_STEP && gw_body_pager_map(b, &lo, &hi);
    int chunks = chunk_md5 != NULL && chunk_size > 0 && n > chunk_size;
    cn_hashset_t all, chunk;
    size_t released = 0, ci = 0, in_chunk = 0;

    cn_hashset_init(&all, want);
    if (chunks)
        cn_hashset_init(&chunk, CN_HASH_MD5);
    for (size_t off = 0; off < n;) {
        size_t len = n - off < CN_HASH_STEP ? n - off : CN_HASH_STEP;

        cn_hashset_update(&all, b + off, len);
        /* the same step, still in cache, for the chunk it lies in (cut at chunk ends) */
        for (size_t at = 0; chunks && at < len;) {
            size_t take = len - at < chunk_size - in_chunk ? len - at : chunk_size - in_chunk;
            cn_hashset_update(&chunk, b + off + at, take);
            at += take;
            if ((in_chunk += take) == chunk_size || off + at == n) {
                cn_hashes_t h;
                cn_hashset_final(&chunk, &h);
                memcpy(chunk_md5[ci++], h.md5, CN_MD5_LEN);
                in_chunk = 0;
                if (off + at < n)
                    cn_hashset_init(&chunk, CN_HASH_MD5);
            }
        }
        off += len;
        if (mapped && (off - released >= GW_BODY_STEP || off == n)) {
            drop_range((uintptr_t)b + released, (uintptr_t)b + off, lo, hi);
            released = off;
        }
    }
    cn_hashset_final(&all, out);
}

void gw_body_md5(const void *p, size_t n, uint8_t out[CN_MD5_LEN])
{
    cn_hashes_t h;

    gw_body_hashes(p, n, CN_HASH_MD5, 0, NULL, &h);
    memcpy(out, h.md5, CN_MD5_LEN);
}

void gw_body_sha256(const void *p, size_t n, uint8_t out[CN_SHA256_LEN])
{
    cn_hashes_t h;

    gw_body_hashes(p, n, CN_HASH_SHA256, 0, NULL, &h);
    memcpy(out, h.sha256, CN_SHA256_LEN);
}

static void on_trim(uv_timer_t *t)
{
    gw_body_pager_t *bp = t->data;

    gw_body_pager_trim(bp->worker);
    /* the heap's free pages, for the whole process (every arena), from worker 0 */
    if (bp->worker == 0 && ++bp->ticks % (GW_HEAP_TRIM_MS / GW_BODY_TRIM_MS) == 0)
        malloc_trim(0);
}

int gw_body_pager_start(gw_body_pager_t *bp, uv_loop_t *loop, const char *dir, unsigned worker)
{
    h2o_buffer_mmap_settings_t *ms = &h2o_socket_buffer_mmap_settings;
    struct stat st;
    int n;

    if (dir == NULL || *dir == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    if (stat(dir, &st) != 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return CN_ENOENT;
    if (worker != 0) { /* worker 0 uses h2o's own; they live as long as the process */
        if (bp->ms == NULL)
            bp->ms = calloc(1, sizeof(*ms));
        if ((ms = bp->ms) == NULL)
            return CN_ENOMEM;
    }
    bp->worker = worker;
    n = snprintf(ms->fn_template, sizeof(ms->fn_template), "%s/%s%u.XXXXXX", dir,
                 GW_BODY_FILE_PREFIX, worker);
    if (n < 0 || (size_t)n >= sizeof(ms->fn_template)) {
        snprintf(ms->fn_template, sizeof(ms->fn_template), "/tmp/%sXXXXXX", GW_BODY_FILE_PREFIX);
        return CN_ENAMETOOLONG;
    }
    ms->threshold = GW_BODY_MMAP_THRESHOLD;
    /* libh2o leaves the socket buffers' prototype without mmap settings (only the h2o server
     * binary sets them): without this line every body is malloc'd, whatever its size. The
     * prototype is per thread; the loop thread is the one calling. */
    h2o_socket_buffer_prototype.mmap_settings = ms;
    if (!bp->timer_on) {
        uv_timer_init(loop, &bp->timer);
        bp->timer.data = bp;
        uv_timer_start(&bp->timer, on_trim, GW_BODY_TRIM_MS, GW_BODY_TRIM_MS);
        uv_unref((uv_handle_t *)&bp->timer);
        bp->timer_on = 1;
    }
    return 0;
}

void gw_body_pager_stop(gw_body_pager_t *bp)
{
    if (!bp->timer_on)
        return;
    uv_timer_stop(&bp->timer);
    uv_close((uv_handle_t *)&bp->timer, NULL);
    bp->timer_on = 0;
}
