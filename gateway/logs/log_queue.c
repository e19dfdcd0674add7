/*
 * gateway/logs/log_queue.c: the on-disk queue of access log records (see log_queue.h).
 * Invariants: q->segs is oldest first (by seq, which only grows: a new queue starts past both
 * the files it found and the clock in microseconds, so a log object's name is never reused
 * after a restart); q->bytes is the sum of the segments' sizes; a segment's fd is open while
 * it is not sealed, or while an fsync of it runs. Appends are plain write(2)s of a few
 * hundred bytes into the page cache; only fsync goes to the threadpool. Loop thread only.
 */
#include "gateway/logs/log_queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/clock.h"

#define HDR_MAGIC "cairn-alog 1\n"

/* ---- framing (pure) -------------------------------------------------------------------- */

void gw_logq_frame(cn_buf_t *out, const void *p, size_t n)
{
    char h[GW_LOGQ_FRAME_HDR];

    cn_put_u32le(h, (uint32_t)n);
    cn_put_u32le(h + 4, cn_crc32c(0, p, n));
    cn_buf_append(out, h, sizeof(h));
    cn_buf_append(out, p, n);
}

int gw_logq_next(const char *buf, size_t len, size_t *off, cn_slice_t *rec)
{
    size_t at = *off;
    uint32_t n;

    if (at >= len)
        return 0;
    if (len - at < GW_LOGQ_FRAME_HDR)
        return CN_ECORRUPT;
    n = cn_get_u32le(buf + at);
    if (n > GW_LOGQ_RECORD_MAX || len - at - GW_LOGQ_FRAME_HDR < n ||
        cn_crc32c(0, buf + at + GW_LOGQ_FRAME_HDR, n) != cn_get_u32le(buf + at + 4))
        return CN_ECORRUPT;
    *rec = cn_slice(buf + at + GW_LOGQ_FRAME_HDR, n);
    *off = at + GW_LOGQ_FRAME_HDR + n;
    return 1;
}

/* The next '\n'-ended piece of [*p, end) as a string (cn_free it), or NULL. */
static char *take_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    char *s;

    if (nl == NULL)
        return NULL;
    s = cn_strndup(*p, (size_t)(nl - *p));
    *p = nl + 1;
    return s;
}

int gw_logq_header_parse(cn_slice_t h, char **bucket, char **prefix, int64_t *created_s)
{
    const char *p = h.ptr, *end = h.ptr + h.len;
    char *secs = NULL, *e;
    long long v;

    *bucket = *prefix = NULL;
    if (h.len < sizeof(HDR_MAGIC) - 1 || memcmp(p, HDR_MAGIC, sizeof(HDR_MAGIC) - 1) != 0)
        return CN_ECORRUPT;
    p += sizeof(HDR_MAGIC) - 1;
    if ((*bucket = take_line(&p, end)) == NULL || (*prefix = take_line(&p, end)) == NULL ||
        (*bucket)[0] == '\0' || memchr(p, '\0', (size_t)(end - p)) != NULL ||
        strlen(*bucket) != strcspn(*bucket, "/") || p == end || end - p > 20)
        goto bad;
    secs = cn_strndup(p, (size_t)(end - p));
    errno = 0;
    v = strtoll(secs, &e, 10);
    if (errno != 0 || *e != '\0' || v < 0 || e == secs)
        goto bad;
    cn_free(secs);
    *created_s = (int64_t)v;
    return 0;
bad:
    cn_free(secs);
    cn_free(*bucket);
    cn_free(*prefix);
    *bucket = *prefix = NULL;
    return CN_ECORRUPT;
}

/* ---- segments -------------------------------------------------------------------------- */

static void seg_path(const gw_logq_seg_t *s, char *out, size_t len)
{
    snprintf(out, len, "%s/%016" PRIx64 ".q", s->q->dir, s->seq);
}

static void seg_free(gw_logq_seg_t *s)
{
    cn_free(s->bucket);
    cn_free(s->prefix);
    cn_free(s);
}

static void unlink_seg(gw_logq_t *q, gw_logq_seg_t *s)
{
    gw_logq_seg_t **pp = &q->segs;

    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
    q->bytes -= s->bytes <= q->bytes ? s->bytes : q->bytes;
}

static void start_sync(gw_logq_seg_t *s);

static void on_synced(uv_fs_t *req)
{
    gw_logq_seg_t *s = req->data;

    if (req->result < 0)
        CN_LOG(CN_LOG_WARN, "access log queue: fsync of segment %016" PRIx64 ": %s; the "
               "records stay queued but a crash may lose them", s->seq,
               uv_strerror((int)req->result));
    uv_fs_req_cleanup(req);
    s->syncing = 0;
    if (s->doomed) {
        close(s->fd);
        seg_free(s);
        return;
    }
    if (!s->sealed)
        return;
    start_sync(s); /* written again after this sync began, then sealed: once more */
    if (!s->syncing && s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

/* Starts an fsync of s when it has unsynced writes and none is running. */
static void start_sync(gw_logq_seg_t *s)
{
    if (!s->dirty || s->syncing || s->fd < 0)
        return;
    s->dirty = 0;
    s->syncing = 1;
    s->fsreq.data = s;
    if (uv_fs_fsync(s->q->loop, &s->fsreq, s->fd, on_synced) != 0) {
        s->syncing = 0;
        s->dirty = 1;
    }
}

/* Writes all of p[0..n) at the end of s's file; on a short write the file is cut back to
 * where it was, so that a full disk leaves no half record. */
static int seg_write(gw_logq_seg_t *s, const char *p, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t w = write(s->fd, p + done, n - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int rc = w < 0 ? -errno : CN_ENOSPC;

            if (ftruncate(s->fd, (off_t)s->bytes) != 0 ||
                lseek(s->fd, (off_t)s->bytes, SEEK_SET) < 0)
                CN_LOG(CN_LOG_WARN, "access log queue: segment %016" PRIx64 " cannot be cut "
                       "back after a failed write: %s", s->seq, strerror(errno));
            return rc;
        }
        done += (size_t)w;
    }
    s->bytes += n;
    s->q->bytes += n;
    s->dirty = 1;
    return 0;
}

static int seg_create(gw_logq_t *q, const char *bucket, const char *prefix, int64_t now_s,
                      gw_logq_seg_t **out)
{
    gw_logq_seg_t *s = cn_calloc(1, sizeof(*s)), **pp;
    char path[4096];
    cn_buf_t b;
    int rc;

    s->q = q;
    s->seq = q->next_seq++;
    s->bucket = cn_strdup(bucket);
    s->prefix = cn_strdup(prefix);
    s->created_s = now_s;
    seg_path(s, path, sizeof(path));
    if ((s->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640)) < 0) {
        rc = -errno;
        seg_free(s);
        return rc;
    }
    cn_buf_init(&b);
    cn_buf_appendf(&b, "%s%s\n%s\n%" PRId64, HDR_MAGIC, bucket, prefix, now_s);
    {
        cn_buf_t f;

        cn_buf_init(&f);
        gw_logq_frame(&f, b.data, b.len);
        rc = seg_write(s, f.data, f.len);
        cn_buf_dispose(&f);
    }
    cn_buf_dispose(&b);
    if (rc != 0) {
        close(s->fd);
        unlink(path);
        seg_free(s);
        return rc;
    }
    for (pp = &q->segs; *pp; pp = &(*pp)->next)
        ;
    *pp = s;
    *out = s;
    return 0;
}

gw_logq_seg_t *gw_logq_find_open(gw_logq_t *q, const char *bucket, const char *prefix)
{
    for (gw_logq_seg_t *s = q->segs; s; s = s->next)
        if (!s->sealed && strcmp(s->bucket, bucket) == 0 && strcmp(s->prefix, prefix) == 0)
            return s;
    return NULL;
}

int gw_logq_append(gw_logq_t *q, gw_logq_seg_t *seg, const char *bucket, const char *prefix,
                   int64_t now_s, const char *line, size_t len, gw_logq_seg_t **out)
{
    cn_buf_t f;
    int rc;

    if (seg == NULL && (rc = seg_create(q, bucket, prefix, now_s, &seg)) != 0)
        return rc;
    *out = seg;
    cn_buf_init(&f);
    gw_logq_frame(&f, line, len);
    rc = seg_write(seg, f.data, f.len);
    cn_buf_dispose(&f);
    if (rc == 0)
        seg->nrecs++;
    return rc;
}

void gw_logq_seal(gw_logq_seg_t *s)
{
    if (s->sealed)
        return;
    s->sealed = 1;
    start_sync(s);
    if (!s->syncing && s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

void gw_logq_sync(gw_logq_t *q)
{
    for (gw_logq_seg_t *s = q->segs; s; s = s->next)
        if (!s->sealed)
            start_sync(s);
}

/* Reads the whole file of s into out (reset first). */
static int read_file(const char *path, cn_buf_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
    char tmp[65536];
    ssize_t n;

    cn_buf_reset(out);
    if (fd < 0)
        return -errno;
    while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        cn_buf_append(out, tmp, (size_t)n);
    }
    close(fd);
    return rc;
}

int gw_logq_read(gw_logq_seg_t *s, cn_buf_t *out)
{
    char path[4096];
    cn_buf_t raw;
    cn_slice_t rec;
    size_t off = 0;
    int rc, first = 1;

    seg_path(s, path, sizeof(path));
    cn_buf_init(&raw);
    if ((rc = read_file(path, &raw)) != 0)
        goto out;
    cn_buf_reset(out);
    while (gw_logq_next(raw.data ? raw.data : "", raw.len, &off, &rec) == 1) {
        if (!first)
            cn_buf_append(out, rec.ptr, rec.len);
        first = 0;
    }
out:
    cn_buf_dispose(&raw);
    return rc;
}

void gw_logq_remove(gw_logq_seg_t *s)
{
    char path[4096];

    seg_path(s, path, sizeof(path));
    if (unlink(path) != 0 && errno != ENOENT)
        CN_LOG(CN_LOG_WARN, "access log queue: unlink %s: %s", path, strerror(errno));
    unlink_seg(s->q, s);
    if (s->syncing) {
        s->doomed = 1; /* on_synced closes and frees */
        return;
    }
    if (s->fd >= 0)
        close(s->fd);
    seg_free(s);
}

/* ---- opening and closing ---------------------------------------------------------------- */

/* Takes the segment file name (seq) in dir as a sealed segment, or removes it. */
static void replay_one(gw_logq_t *q, uint64_t seq)
{
    gw_logq_seg_t *s = cn_calloc(1, sizeof(*s)), **pp;
    char path[4096];
    cn_buf_t raw;
    cn_slice_t rec;
    size_t off = 0;
    int rc;

    s->q = q;
    s->seq = seq;
    s->fd = -1;
    s->sealed = 1;
    seg_path(s, path, sizeof(path));
    cn_buf_init(&raw);
    rc = read_file(path, &raw);
    if (rc == 0 && (gw_logq_next(raw.data ? raw.data : "", raw.len, &off, &rec) != 1 ||
                    gw_logq_header_parse(rec, &s->bucket, &s->prefix, &s->created_s) != 0))
        rc = CN_ECORRUPT;
    while (rc == 0 && (rc = gw_logq_next(raw.data, raw.len, &off, &rec)) == 1) {
        s->nrecs++;
        rc = 0;
    }
    if (rc == CN_ECORRUPT && s->bucket != NULL) {
        /* a torn last record (a crash in a write): the records before it are good */
        CN_LOG(CN_LOG_WARN, "access log queue: %s: a damaged record at offset %zu; the %" PRIu64
               " before it are kept", path, off, s->nrecs);
        rc = 0;
    }
    s->bytes = raw.len;
    cn_buf_dispose(&raw);
    if (rc != 0 || s->nrecs == 0) {
        if (rc != 0)
            CN_LOG(CN_LOG_WARN, "access log queue: %s does not read (%s): removed", path,
                   cn_strerror(rc));
        unlink(path);
        seg_free(s);
        return;
    }
    q->bytes += s->bytes;
    for (pp = &q->segs; *pp && (*pp)->seq < seq; pp = &(*pp)->next)
        ;
    s->next = *pp;
    *pp = s;
    if (seq >= q->next_seq)
        q->next_seq = seq + 1;
}

int gw_logq_open(gw_logq_t *q, uv_loop_t *loop, const char *dir)
{
    DIR *d;
    struct dirent *e;
    uint64_t now_us = cn_now_ms() * 1000;
    int rc;

    memset(q, 0, sizeof(*q));
    q->loop = loop;
    q->dir = cn_strdup(dir);
    if ((rc = cn_mkdir_p(dir)) != 0 || (d = opendir(dir)) == NULL) {
        rc = rc ? rc : -errno;
        cn_free(q->dir);
        q->dir = NULL;
        return rc;
    }
    while ((e = readdir(d)) != NULL) {
        char *end;
        uint64_t seq;

        if (strlen(e->d_name) != 18 || strcmp(e->d_name + 16, ".q") != 0)
            continue;
        seq = strtoull(e->d_name, &end, 16);
        if (end == e->d_name + 16)
            replay_one(q, seq);
    }
    closedir(d);
    if (q->next_seq < now_us)
        q->next_seq = now_us;
    return 0;
}

void gw_logq_close(gw_logq_t *q)
{
    gw_logq_seg_t *s = q->segs, *next;

    for (; s; s = next) {
        next = s->next;
        if (s->fd >= 0 && fsync(s->fd) != 0)
            CN_LOG(CN_LOG_WARN, "access log queue: fsync of segment %016" PRIx64 ": %s", s->seq,
                   strerror(errno));
        if (s->syncing)
            continue; /* its fsync may still run in the threadpool: left to the exit */
        if (s->fd >= 0)
            close(s->fd);
        seg_free(s);
    }
    q->segs = NULL;
    cn_free(q->dir);
    q->dir = NULL;
}
