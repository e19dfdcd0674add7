/*
 * storage/engine/container.c: container files: superblock, open/create, and the sequential scanner
 * used by recovery, compaction and scrub. Appends and reads live in storage/engine/writer.c and
 * storage/engine/engine_container.c; the locks are described in storage/engine/container.h.
 * Invariant: c->tail is a record boundary and every byte below it has been written (and, in
 * durable mode, synced) by a group commit.
 */
#include "storage/engine/container.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"

#define SB_MAGIC 0x54434e43u /* "CNCT" */
#define SB_VERSION 1
#define SCAN_WINDOW (1u << 20)

int stor_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -errno;
    if (fsync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
    const char *b = p;

    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        b += w, n -= (size_t)w, off += (uint64_t)w;
    }
    return 0;
}

int stor_container_create_file(const char *path, uint32_t cid, uint32_t gen, int *fdp)
{
    uint8_t sb[STOR_SB_SIZE] = {0};
    int fd, rc;

    cn_put_u32le(sb, SB_MAGIC);
    cn_put_u32le(sb + 4, SB_VERSION);
    cn_put_u32le(sb + 8, cid);
    cn_put_u32le(sb + 12, gen);
    cn_put_u64le(sb + 16, cn_now_ms());
    cn_put_u32le(sb + 60, cn_crc32c(0, sb, 60));
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if ((rc = write_all(fd, sb, sizeof(sb), 0)) != 0 || (fdatasync(fd) != 0 && (rc = -errno))) {
        close(fd);
        unlink(path);
        return rc;
    }
    *fdp = fd;
    return 0;
}

int stor_container_read_sb(int fd, uint32_t *cid, uint32_t *gen)
{
    uint8_t sb[STOR_SB_SIZE];
    ssize_t n = pread(fd, sb, sizeof(sb), 0);

    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof(sb) || cn_get_u32le(sb) != SB_MAGIC ||
        cn_get_u32le(sb + 4) != SB_VERSION || cn_get_u32le(sb + 60) != cn_crc32c(0, sb, 60))
        return CN_ECORRUPT;
    *cid = cn_get_u32le(sb + 8);
    *gen = cn_get_u32le(sb + 12);
    return 0;
}

int stor_container_open(const char *dir, uint32_t cid, stor_container_t **out)
{
    stor_container_t *c = cn_calloc(1, sizeof(*c));
    pthread_rwlockattr_t ra;
    struct stat st;
    uint32_t scid;
    int rc;

    c->magic = STOR_CONTAINER_MAGIC;
    c->cid = cid;
    c->fd = -1;
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    if ((size_t)snprintf(c->path, sizeof(c->path), "%s/c%04u.dat", dir, cid) >= sizeof(c->path)) {
        rc = CN_ENAMETOOLONG;
        goto out_free;
    }
    c->fd = open(c->path, O_RDWR | O_CLOEXEC);
    if (c->fd < 0 && errno == ENOENT) {
        if ((rc = stor_container_create_file(c->path, cid, 1, &c->fd)) != 0 ||
            (rc = stor_fsync_dir(dir)) != 0)
            goto out_close;
    } else if (c->fd < 0) {
        rc = -errno;
        goto out_free;
    }
    if ((rc = stor_container_read_sb(c->fd, &scid, &c->gen)) != 0)
        goto out_close;
    if (scid != cid) {
        rc = CN_ECORRUPT;
        goto out_close;
    }
    if (fstat(c->fd, &st) != 0) {
        rc = -errno;
        goto out_close;
    }
    c->tail = (uint64_t)st.st_size;
    pthread_mutex_init(&c->commit, NULL);
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&c->swap, &ra);
    pthread_rwlockattr_destroy(&ra);
    *out = c;
    return 0;

out_close:
    if (c->fd >= 0)
        close(c->fd);
out_free:
    CN_LOG(CN_LOG_ERROR, "container=%s rc=%s: cannot open", c->path, cn_strerror(rc));
    cn_free(c);
    return rc;
}

void stor_container_close(stor_container_t *c)
{
    if (c == NULL)
        return;
    CN_CHECK_OBJ(c, STOR_CONTAINER_MAGIC);
    close(c->fd);
    pthread_mutex_destroy(&c->commit);
    pthread_rwlock_destroy(&c->swap);
    c->magic = 0;
    cn_free(c);
}

/* ---- scanner ------------------------------------------------------------------------ */

void stor_scan_init(stor_scan_t *s, int fd, uint64_t from, uint64_t end)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->off = from < STOR_SB_SIZE ? STOR_SB_SIZE : from;
    s->end = end;
    cn_buf_init(&s->buf);
    s->buf_off = s->off;
}

void stor_scan_dispose(stor_scan_t *s)
{
    cn_buf_dispose(&s->buf);
}

/* Makes the window cover [off, off + n) (clamped to end). 0 or an errno code. */
static int window(stor_scan_t *s, uint64_t off, size_t n)
{
    uint64_t have_end = s->buf_off + s->buf.len;
    size_t want;

    if (off >= s->buf_off && off + n <= have_end)
        return 0;
    if (n < SCAN_WINDOW)
        n = SCAN_WINDOW;
    if (off + n > s->end)
        n = (size_t)(s->end - off);
    cn_buf_reset(&s->buf);
    cn_buf_reserve(&s->buf, n);
    s->buf_off = off;
    want = n;
    while (s->buf.len < want) {
        ssize_t r = pread(s->fd, s->buf.data + s->buf.len, want - s->buf.len,
                          (off_t)(off + s->buf.len));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        s->buf.len += (size_t)r;
    }
    return 0;
}

int stor_scan_next(stor_scan_t *s, stor_rec_hdr_t *h, cn_slice_t *key, cn_slice_t *meta,
                   cn_slice_t *body, uint64_t *rec_off)
{
    size_t used, avail;
    uint64_t size;
    int rc;

    if (s->off >= s->end)
        return 0;
    if (s->end - s->off < STOR_REC_HDR)
        return CN_EAGAIN;
    if ((rc = window(s, s->off, STOR_REC_HDR)) != 0)
        return rc;
    if (s->buf_off + s->buf.len < s->off + STOR_REC_HDR)
        return CN_EAGAIN;
    if ((rc = stor_rec_decode_hdr((const uint8_t *)s->buf.data + (s->off - s->buf_off), h)) != 0)
        return rc;
    size = stor_rec_size(h);
    if (size > s->end - s->off)
        return CN_EAGAIN;
    if ((rc = window(s, s->off, (size_t)size)) != 0)
        return rc;
    avail = (size_t)(s->buf_off + s->buf.len - s->off);
    if (avail < size)
        return CN_EAGAIN; /* the file ended early */
    rc = stor_rec_decode(s->buf.data + (s->off - s->buf_off), avail, h, key, meta, body, &used);
    s->bad_data = 0;
    if (rc == CN_ECORRUPT && s->lenient) {
        const char *p = s->buf.data + (s->off - s->buf_off) + STOR_REC_HDR;

        *key = cn_slice(p, h->key_len);
        *meta = cn_slice(p + h->key_len, h->meta_len);
        *body = cn_slice(p + h->key_len + h->meta_len, (size_t)h->body_len);
        used = (size_t)size;
        s->bad_data = 1;
        rc = 0;
    }
    if (rc != 0)
        return rc;
    *rec_off = s->off;
    s->off += used;
    return 1;
}

int stor_scan_resync(stor_scan_t *s)
{
    uint64_t off = s->off + 1;
    uint8_t magic[4];

    cn_put_u32le(magic, STOR_REC_MAGIC);
    while (off + STOR_REC_HDR <= s->end) {
        const char *p, *hit;
        size_t avail;

        if (window(s, off, STOR_REC_HDR) != 0)
            return 0;
        p = s->buf.data + (off - s->buf_off);
        avail = (size_t)(s->buf_off + s->buf.len - off);
        hit = memmem(p, avail, magic, sizeof(magic));
        if (hit == NULL) {
            off += avail > 3 ? avail - 3 : 1;
            continue;
        }
        off += (uint64_t)(hit - p);
        {
            stor_rec_hdr_t h;
            cn_slice_t k, m, b;
            uint64_t ro;
            uint64_t save = s->off;
            int lenient = s->lenient;

            s->off = off;
            s->lenient = 0;
            if (stor_scan_next(s, &h, &k, &m, &b, &ro) == 1) {
                s->off = off;
                s->lenient = lenient;
                return 1;
            }
            s->off = save;
            s->lenient = lenient;
        }
        off++;
    }
    return 0;
}
