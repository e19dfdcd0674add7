/*
 * gateway/cache/dcache.c: disk cache of whole objects (see dcache.h).
 *
 * File format (little endian), dir/<32 hex digits of SHA-256(key)>.obj:
 *    0 u32 magic "CNDC"      4 u32 version (1)     8 u32 key_len     12 u32 meta_len
 *   16 u32 etag_len          20 u32 flags          24 u64 body_len   32 u64 clock
 *   40 u64 mtime_ms          48 u64 size           56 u32 hdr_crc    60 u32 body_crc
 *   64 key | meta | etag | body
 * hdr_crc = CRC32C of bytes 0..55 then key, meta and etag; body_crc = CRC32C of the body.
 * A file is valid when both CRCs match, its size is exactly 64 + the four lengths, and its
 * name is the hash of the key it holds. Files are written as dir/tmp.<seq>.obj.part and
 * renamed into place under the index lock, so the index and the directory agree and a
 * rename never races an invalidation. No fsync: a torn file after a crash fails its CRC.
 *
 * Invalidations (gw_dcache_invalidate, gw_dcache_clear, called on the gateway's loop thread)
 * drop the index entry at once, so the file is never served again, and hand its name to the
 * reaper thread, which unlinks it later (no file I/O on the caller's thread). A put that
 * renames a new file onto a name still waiting there takes the name off the list first (and
 * waits while the reaper is unlinking it), so the reaper never deletes a newer file. The
 * reaper drains its list before gw_dcache_close returns. After a crash, a file whose unlink
 * did not happen is loaded again at start like any other; disk-cache hits are always
 * validated with storage (cache.h), so such a file is dropped, never served stale.
 * Evictions and corrupt files are unlinked at once: they run in the thread pool already.
 *
 * Invariants (under dc->lock): every indexed entry has its file in the directory (or had it:
 * someone may delete it from outside; reads then miss and drop the entry), and its name is
 * not on the reaper's list; dc->bytes is the sum of the indexed file sizes and at most
 * dc->capacity after every put.
 */
#include "gateway/cache/dcache.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"

#define DC_MAGIC 0x43444e43u /* "CNDC" read as little endian */
#define DC_VERSION 1u
#define DC_HDR 64
#define DC_NAME_HEX 32
#define DC_MAX_KEY 65536u
#define DC_MAX_META (1u << 20)
#define DC_BUCKETS_MIN 256

typedef struct dc_ent dc_ent_t;
struct dc_ent {
    char name[DC_NAME_HEX + 1];
    char *key;
    size_t key_len;
    uint32_t hash;
    gw_cache_info_t info;
    uint64_t file_bytes;
    uint64_t mtime_ns; /* at load, for the initial LRU order */
    dc_ent_t *hnext, *prev, *next;
};

struct gw_dcache {
    char *dir;
    uint64_t capacity, max_object;
    pthread_mutex_t lock;
    dc_ent_t **tab;
    size_t nbuckets, n;
    uint64_t bytes;
    uint64_t gen;
    uint64_t tmp_seq;
    dc_ent_t *head, *tail;
    gw_cache_stats_t st;
    /* the reaper (see the file comment), under lock */
    pthread_t reaper;
    int reaper_on, reaper_quit;
    pthread_cond_t reap_cond;          /* the reaper waits for names; puts wait for reaping */
    char (*dead)[DC_NAME_HEX + 1];     /* names to unlink */
    size_t n_dead, cap_dead;
    char reaping[DC_NAME_HEX + 1];     /* the name being unlinked now, or "" */
};

static uint32_t key_hash(cn_slice_t key)
{
    return cn_crc32c(0x85ebca6bu, key.ptr, key.len);
}

static void key_name(cn_slice_t key, char out[DC_NAME_HEX + 1])
{
    uint8_t d[CN_SHA256_LEN];
    cn_sha256(key.ptr, key.len, d);
    cn_hex(d, DC_NAME_HEX / 2, out);
}

void gw_dcache_path(gw_dcache_t *dc, cn_slice_t key, char *out, size_t outlen)
{
    char name[DC_NAME_HEX + 1];
    key_name(key, name);
    snprintf(out, outlen, "%s/%s.obj", dc->dir, name);
}

/* ---- index (lock held) ---------------------------------------------------------------- */

static dc_ent_t **do_slot(gw_dcache_t *dc, uint32_t h, cn_slice_t key)
{
    dc_ent_t **pp = &dc->tab[h & (dc->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && cn_slice_eq(cn_slice((*pp)->key, (*pp)->key_len), key)))
        pp = &(*pp)->hnext;
    return pp;
}

static void do_lru_unlink(gw_dcache_t *dc, dc_ent_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        dc->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        dc->tail = e->prev;
    e->prev = e->next = NULL;
}

static void do_lru_push_head(gw_dcache_t *dc, dc_ent_t *e)
{
    e->prev = NULL;
    e->next = dc->head;
    if (dc->head)
        dc->head->prev = e;
    dc->head = e;
    if (!dc->tail)
        dc->tail = e;
}

static void do_grow(gw_dcache_t *dc)
{
    size_t nb = dc->nbuckets * 2;
    dc_ent_t **tab = cn_calloc(nb, sizeof(*tab));
    for (size_t i = 0; i < dc->nbuckets; i++) {
        dc_ent_t *e = dc->tab[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            e->hnext = tab[e->hash & (nb - 1)];
            tab[e->hash & (nb - 1)] = e;
        }
    }
    cn_free(dc->tab);
    dc->tab = tab;
    dc->nbuckets = nb;
}

static void do_insert(gw_dcache_t *dc, dc_ent_t *e)
{
    if (dc->n + 1 > dc->nbuckets)
        do_grow(dc);
    dc_ent_t **pp = &dc->tab[e->hash & (dc->nbuckets - 1)];
    e->hnext = *pp;
    *pp = e;
    do_lru_push_head(dc, e);
    dc->n++;
    dc->bytes += e->file_bytes;
}

enum { DC_KEEP_FILE, DC_UNLINK_NOW, DC_UNLINK_LATER };

/* Hands name to the reaper (or unlinks now when there is none). */
static void do_reap_later(gw_dcache_t *dc, const char *name)
{
    if (!dc->reaper_on) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s.obj", dc->dir, name);
        if (unlink(path) != 0 && errno != ENOENT)
            CN_LOG(CN_LOG_WARN, "dcache: unlink %s: %s", path, strerror(errno));
        return;
    }
    if (dc->n_dead == dc->cap_dead) {
        dc->cap_dead = dc->cap_dead ? dc->cap_dead * 2 : 64;
        dc->dead = cn_realloc(dc->dead, dc->cap_dead * sizeof(*dc->dead));
    }
    memcpy(dc->dead[dc->n_dead++], name, DC_NAME_HEX + 1);
    pthread_cond_broadcast(&dc->reap_cond);
}

/* A put is about to rename a file onto name: the reaper must not delete it afterwards. */
static void do_reap_cancel(gw_dcache_t *dc, const char *name)
{
    while (strcmp(dc->reaping, name) == 0)
        pthread_cond_wait(&dc->reap_cond, &dc->lock);
    for (size_t i = 0; i < dc->n_dead;) {
        if (strcmp(dc->dead[i], name) == 0)
            memcpy(dc->dead[i], dc->dead[--dc->n_dead], DC_NAME_HEX + 1);
        else
            i++;
    }
}

static void *reaper_main(void *arg)
{
    gw_dcache_t *dc = arg;
    char path[PATH_MAX];

    pthread_mutex_lock(&dc->lock);
    for (;;) {
        while (dc->n_dead == 0 && !dc->reaper_quit)
            pthread_cond_wait(&dc->reap_cond, &dc->lock);
        if (dc->n_dead == 0)
            break; /* told to quit, and drained */
        memcpy(dc->reaping, dc->dead[--dc->n_dead], DC_NAME_HEX + 1);
        snprintf(path, sizeof(path), "%s/%s.obj", dc->dir, dc->reaping);
        pthread_mutex_unlock(&dc->lock);
        if (unlink(path) != 0 && errno != ENOENT)
            CN_LOG(CN_LOG_WARN, "dcache: unlink %s: %s", path, strerror(errno));
        pthread_mutex_lock(&dc->lock);
        dc->reaping[0] = '\0';
        pthread_cond_broadcast(&dc->reap_cond);
    }
    pthread_mutex_unlock(&dc->lock);
    return NULL;
}

/* Removes e from the index, deletes its file (now, later or not: DC_*), frees it. */
static void do_remove(gw_dcache_t *dc, dc_ent_t *e, int unlink_file)
{
    dc_ent_t **pp = do_slot(dc, e->hash, cn_slice(e->key, e->key_len));
    CN_ASSERT(*pp == e);
    *pp = e->hnext;
    do_lru_unlink(dc, e);
    dc->n--;
    dc->bytes -= e->file_bytes;
    if (unlink_file == DC_UNLINK_LATER) {
        do_reap_later(dc, e->name);
    } else if (unlink_file == DC_UNLINK_NOW) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.obj", dc->dir, e->name);
        if (unlink(path) != 0 && errno != ENOENT)
            CN_LOG(CN_LOG_WARN, "dcache: unlink %s: %s", path, strerror(errno));
    }
    cn_free(e->key);
    cn_free(e);
}

static void do_evict(gw_dcache_t *dc)
{
    while (dc->bytes > dc->capacity && dc->tail) {
        do_remove(dc, dc->tail, DC_UNLINK_NOW);
        dc->st.evictions++;
    }
}

/* ---- file format ---------------------------------------------------------------------- */

typedef struct dc_hdr {
    uint32_t key_len, meta_len, etag_len, flags, hdr_crc, body_crc;
    uint64_t body_len, clock, mtime_ms, size;
} dc_hdr_t;

static void hdr_encode(const dc_hdr_t *h, uint8_t out[DC_HDR])
{
    cn_put_u32le(out + 0, DC_MAGIC);
    cn_put_u32le(out + 4, DC_VERSION);
    cn_put_u32le(out + 8, h->key_len);
    cn_put_u32le(out + 12, h->meta_len);
    cn_put_u32le(out + 16, h->etag_len);
    cn_put_u32le(out + 20, h->flags);
    cn_put_u64le(out + 24, h->body_len);
    cn_put_u64le(out + 32, h->clock);
    cn_put_u64le(out + 40, h->mtime_ms);
    cn_put_u64le(out + 48, h->size);
    cn_put_u32le(out + 56, h->hdr_crc);
    cn_put_u32le(out + 60, h->body_crc);
}

/* Decodes and range-checks a header; CN_ECORRUPT for anything off. */
static int hdr_decode(const uint8_t in[DC_HDR], dc_hdr_t *h)
{
    if (cn_get_u32le(in) != DC_MAGIC || cn_get_u32le(in + 4) != DC_VERSION)
        return CN_ECORRUPT;
    h->key_len = cn_get_u32le(in + 8);
    h->meta_len = cn_get_u32le(in + 12);
    h->etag_len = cn_get_u32le(in + 16);
    h->flags = cn_get_u32le(in + 20);
    h->body_len = cn_get_u64le(in + 24);
    h->clock = cn_get_u64le(in + 32);
    h->mtime_ms = cn_get_u64le(in + 40);
    h->size = cn_get_u64le(in + 48);
    h->hdr_crc = cn_get_u32le(in + 56);
    h->body_crc = cn_get_u32le(in + 60);
    if (h->key_len == 0 || h->key_len > DC_MAX_KEY || h->meta_len > DC_MAX_META ||
        h->etag_len >= GW_CACHE_ETAG_MAX || h->body_len > (1ull << 40))
        return CN_ECORRUPT;
    return 0;
}

static uint64_t hdr_file_size(const dc_hdr_t *h)
{
    return DC_HDR + (uint64_t)h->key_len + h->meta_len + h->etag_len + h->body_len;
}

/* CRC of header bytes 0..55 and the variable part (key, meta, etag) in var. */
static uint32_t hdr_crc(const uint8_t hdr[DC_HDR], const void *var, size_t var_len)
{
    return cn_crc32c(cn_crc32c(0, hdr, 56), var, var_len);
}

static int read_full(int fd, void *p, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)p + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return CN_ECORRUPT; /* truncated */
        done += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        done += (size_t)w;
    }
    return 0;
}

/* Reads and checks header and variable part of an open file. On success *var holds
 * key|meta|etag (cn_free it). With body != NULL the body is read and checked too into a
 * buffer that also holds var (then *var points into *body_buf: free only body_buf). */
static int file_check(int fd, const char *want_name, dc_hdr_t *h, char **buf_out, int with_body)
{
    uint8_t hb[DC_HDR];
    struct stat sb;
    char name[DC_NAME_HEX + 1];
    char *buf = NULL;
    size_t var_len, total;
    int rc;

    if (fstat(fd, &sb) != 0)
        return -errno;
    if ((rc = read_full(fd, hb, DC_HDR, 0)) != 0)
        return rc == CN_ECORRUPT || sb.st_size < DC_HDR ? CN_ECORRUPT : rc;
    if ((rc = hdr_decode(hb, h)) != 0)
        return rc;
    if ((uint64_t)sb.st_size != hdr_file_size(h))
        return CN_ECORRUPT;
    var_len = (size_t)h->key_len + h->meta_len + h->etag_len;
    total = var_len + (with_body ? (size_t)h->body_len : 0);
    if (!(buf = cn_try_malloc(total + 1)))
        return CN_ENOMEM;
    if ((rc = read_full(fd, buf, total, DC_HDR)) != 0)
        goto out_free;
    rc = CN_ECORRUPT;
    if (hdr_crc(hb, buf, var_len) != h->hdr_crc)
        goto out_free;
    key_name(cn_slice(buf, h->key_len), name);
    if (strcmp(name, want_name) != 0)
        goto out_free;
    if (with_body && cn_crc32c(0, buf + var_len, h->body_len) != h->body_crc)
        goto out_free;
    buf[total] = '\0';
    *buf_out = buf;
    return 0;
out_free:
    cn_free(buf);
    return rc;
}

static void info_from_hdr(const dc_hdr_t *h, const char *etag, gw_cache_info_t *info)
{
    memset(info, 0, sizeof(*info));
    memcpy(info->etag, etag, h->etag_len);
    info->etag[h->etag_len] = '\0';
    info->clock = h->clock;
    info->mtime_ms = h->mtime_ms;
    info->size = h->size;
    info->flags = h->flags;
}

/* ---- open / load ---------------------------------------------------------------------- */

static int is_obj_name(const char *n)
{
    size_t l = strlen(n);
    if (l != DC_NAME_HEX + 4 || strcmp(n + DC_NAME_HEX, ".obj") != 0)
        return 0;
    for (size_t i = 0; i < DC_NAME_HEX; i++)
        if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
            return 0;
    return 1;
}

static int cmp_mtime(const void *a, const void *b)
{
    const dc_ent_t *x = *(dc_ent_t *const *)a, *y = *(dc_ent_t *const *)b;
    return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

/* Loads one file into a new entry, or returns CN_ECORRUPT (caller deletes it). */
static int load_one(gw_dcache_t *dc, const char *fname, dc_ent_t **out)
{
    char path[PATH_MAX], want[DC_NAME_HEX + 1];
    struct stat sb;
    dc_hdr_t h;
    char *var = NULL;
    int fd, rc;

    snprintf(path, sizeof(path), "%s/%s", dc->dir, fname);
    memcpy(want, fname, DC_NAME_HEX);
    want[DC_NAME_HEX] = '\0';
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -errno;
    if ((rc = file_check(fd, want, &h, &var, 0)) != 0)
        goto out_close;
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        goto out_free;
    }
    dc_ent_t *e = cn_calloc(1, sizeof(*e));
    memcpy(e->name, want, sizeof(e->name));
    e->key = cn_memdup0(var, h.key_len);
    e->key_len = h.key_len;
    e->hash = key_hash(cn_slice(e->key, e->key_len));
    info_from_hdr(&h, var + h.key_len + h.meta_len, &e->info);
    e->file_bytes = (uint64_t)sb.st_size;
    e->mtime_ns = (uint64_t)sb.st_mtim.tv_sec * 1000000000ull + (uint64_t)sb.st_mtim.tv_nsec;
    *out = e;
out_free:
    cn_free(var);
out_close:
    close(fd);
    return rc;
}

static int load_dir(gw_dcache_t *dc)
{
    DIR *d = opendir(dc->dir);
    struct dirent *de;
    dc_ent_t **ents = NULL;
    size_t n = 0, cap = 0, dropped = 0;
    char path[PATH_MAX];

    if (!d)
        return -errno;
    while ((de = readdir(d)) != NULL) {
        dc_ent_t *e = NULL;
        int rc;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dc->dir, de->d_name);
        if (strncmp(de->d_name, "tmp.", 4) == 0) {
            unlink(path);
            continue;
        }
        if (!is_obj_name(de->d_name))
            continue; /* not ours: leave it alone */
        rc = load_one(dc, de->d_name, &e);
        if (rc == CN_ECORRUPT) {
            CN_LOG(CN_LOG_WARN, "dcache: %s fails its checks, deleted", path);
            unlink(path);
            dropped++;
            continue;
        }
        if (rc != 0) {
            CN_LOG(CN_LOG_WARN, "dcache: %s: %s, skipped", path, cn_strerror(rc));
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            ents = cn_realloc(ents, cap * sizeof(*ents));
        }
        ents[n++] = e;
    }
    closedir(d);
    if (n > 1) /* oldest first: the newest ends at the head */
        qsort(ents, n, sizeof(*ents), cmp_mtime);
    for (size_t i = 0; i < n; i++) {
        dc_ent_t **pp = do_slot(dc, ents[i]->hash, cn_slice(ents[i]->key, ents[i]->key_len));
        CN_ASSERT(*pp == NULL); /* the name is the key's hash */
        do_insert(dc, ents[i]);
    }
    cn_free(ents);
    dc->st.corrupt += dropped;
    do_evict(dc);
    CN_LOG(CN_LOG_INFO, "dcache: %s: %zu objects, %llu bytes loaded, %zu bad files dropped",
           dc->dir, dc->n, (unsigned long long)dc->bytes, dropped);
    return 0;
}

int gw_dcache_open(const gw_dcache_opts_t *opts, gw_dcache_t **out)
{
    gw_dcache_t *dc;
    int rc;

    if (!opts->dir || !opts->dir[0])
        return CN_EINVAL;
    if ((rc = cn_mkdir_p(opts->dir)) != 0)
        return rc;
    dc = cn_calloc(1, sizeof(*dc));
    dc->dir = cn_strdup(opts->dir);
    dc->capacity = opts->capacity_bytes;
    dc->max_object = opts->max_object_bytes;
    pthread_mutex_init(&dc->lock, NULL);
    pthread_cond_init(&dc->reap_cond, NULL);
    dc->nbuckets = DC_BUCKETS_MIN;
    dc->tab = cn_calloc(dc->nbuckets, sizeof(*dc->tab));
    if ((rc = load_dir(dc)) != 0) {
        gw_dcache_close(dc);
        return rc;
    }
    if ((rc = pthread_create(&dc->reaper, NULL, reaper_main, dc)) != 0)
        CN_LOG(CN_LOG_WARN, "dcache: no reaper thread (%s): invalidations unlink at once",
               strerror(rc));
    else
        dc->reaper_on = 1;
    *out = dc;
    return 0;
}

void gw_dcache_close(gw_dcache_t *dc)
{
    if (!dc)
        return;
    if (dc->reaper_on) { /* the reaper unlinks what is left on its list, then ends */
        pthread_mutex_lock(&dc->lock);
        dc->reaper_quit = 1;
        pthread_cond_broadcast(&dc->reap_cond);
        pthread_mutex_unlock(&dc->lock);
        pthread_join(dc->reaper, NULL);
        dc->reaper_on = 0;
    }
    while (dc->tail)
        do_remove(dc, dc->tail, DC_KEEP_FILE);
    cn_free(dc->dead);
    pthread_cond_destroy(&dc->reap_cond);
    pthread_mutex_destroy(&dc->lock);
    cn_free(dc->tab);
    cn_free(dc->dir);
    cn_free(dc);
}

/* ---- operations ----------------------------------------------------------------------- */

int gw_dcache_peek(gw_dcache_t *dc, cn_slice_t key, gw_cache_info_t *info)
{
    int found;
    pthread_mutex_lock(&dc->lock);
    dc_ent_t *e = *do_slot(dc, key_hash(key), key);
    found = e != NULL;
    if (e && info)
        *info = e->info;
    pthread_mutex_unlock(&dc->lock);
    return found;
}

/* Drops key's entry after a failed read, unless it was replaced meanwhile (other version). */
static void drop_bad(gw_dcache_t *dc, cn_slice_t key, uint64_t clock, int corrupt)
{
    pthread_mutex_lock(&dc->lock);
    dc_ent_t *e = *do_slot(dc, key_hash(key), key);
    if (e && e->info.clock == clock)
        do_remove(dc, e, corrupt ? DC_UNLINK_NOW : DC_KEEP_FILE);
    if (corrupt)
        dc->st.corrupt++;
    pthread_mutex_unlock(&dc->lock);
}

int gw_dcache_get(gw_dcache_t *dc, cn_slice_t key, gw_dcache_obj_t **out)
{
    char path[PATH_MAX], name[DC_NAME_HEX + 1];
    uint64_t clock;
    dc_hdr_t h;
    char *buf = NULL;
    int fd, rc;

    pthread_mutex_lock(&dc->lock);
    dc_ent_t *e = *do_slot(dc, key_hash(key), key);
    if (!e) {
        dc->st.misses++;
        pthread_mutex_unlock(&dc->lock);
        return CN_ENOENT;
    }
    do_lru_unlink(dc, e);
    do_lru_push_head(dc, e);
    memcpy(name, e->name, sizeof(name));
    clock = e->info.clock;
    pthread_mutex_unlock(&dc->lock);

    snprintf(path, sizeof(path), "%s/%s.obj", dc->dir, name);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        if (rc == CN_ENOENT) { /* deleted from outside */
            drop_bad(dc, key, clock, 0);
        }
        goto out_miss;
    }
    rc = file_check(fd, name, &h, &buf, 1);
    close(fd);
    if (rc == CN_ECORRUPT) {
        CN_LOG(CN_LOG_WARN, "dcache: %s fails its checks, deleted, not served", path);
        drop_bad(dc, key, clock, 1);
    }
    if (rc != 0)
        goto out_miss;
    if (!cn_slice_eq(cn_slice(buf, h.key_len), key)) { /* a 128-bit hash collision */
        cn_free(buf);
        rc = CN_ENOENT;
        goto out_miss;
    }
    gw_dcache_obj_t *o = cn_calloc(1, sizeof(*o));
    o->_buf = buf;
    o->key = cn_slice(buf, h.key_len);
    o->meta = cn_slice(buf + h.key_len, h.meta_len);
    info_from_hdr(&h, buf + h.key_len + h.meta_len, &o->info);
    o->body = cn_slice(buf + h.key_len + h.meta_len + h.etag_len, h.body_len);
    pthread_mutex_lock(&dc->lock);
    dc->st.hits++;
    pthread_mutex_unlock(&dc->lock);
    *out = o;
    return 0;
out_miss:
    pthread_mutex_lock(&dc->lock);
    dc->st.misses++;
    pthread_mutex_unlock(&dc->lock);
    return rc;
}

void gw_dcache_obj_free(gw_dcache_obj_t *o)
{
    if (!o)
        return;
    cn_free(o->_buf);
    cn_free(o);
}

uint64_t gw_dcache_ticket(gw_dcache_t *dc)
{
    uint64_t g;
    pthread_mutex_lock(&dc->lock);
    g = dc->gen;
    pthread_mutex_unlock(&dc->lock);
    return g;
}

int gw_dcache_put(gw_dcache_t *dc, cn_slice_t key, const gw_cache_info_t *info, cn_slice_t meta,
                  cn_slice_t body, uint64_t ticket)
{
    char tmp[PATH_MAX], path[PATH_MAX], name[DC_NAME_HEX + 1];
    uint8_t hb[DC_HDR];
    size_t etag_len = strnlen(info->etag, GW_CACHE_ETAG_MAX - 1);
    dc_hdr_t h = {0};
    uint64_t seq, fsize;
    cn_buf_t var;
    int fd, rc;

    fsize = DC_HDR + key.len + meta.len + etag_len + body.len;
    if (body.len > dc->max_object || fsize > dc->capacity || key.len == 0 ||
        key.len > DC_MAX_KEY || meta.len > DC_MAX_META) {
        pthread_mutex_lock(&dc->lock);
        dc->st.rejected++;
        pthread_mutex_unlock(&dc->lock);
        return CN_E2BIG;
    }
    key_name(key, name);
    h.key_len = (uint32_t)key.len;
    h.meta_len = (uint32_t)meta.len;
    h.etag_len = (uint32_t)etag_len;
    h.flags = info->flags;
    h.body_len = body.len;
    h.clock = info->clock;
    h.mtime_ms = info->mtime_ms;
    h.size = info->size;
    h.body_crc = cn_crc32c(0, body.ptr, body.len);
    cn_buf_init(&var);
    cn_buf_append(&var, key.ptr, key.len);
    if (meta.len)
        cn_buf_append(&var, meta.ptr, meta.len);
    cn_buf_append(&var, info->etag, etag_len);
    hdr_encode(&h, hb);
    h.hdr_crc = hdr_crc(hb, var.data, var.len);
    hdr_encode(&h, hb);

    pthread_mutex_lock(&dc->lock);
    seq = ++dc->tmp_seq;
    pthread_mutex_unlock(&dc->lock);
    snprintf(tmp, sizeof(tmp), "%s/tmp.%llu.%s.part", dc->dir, (unsigned long long)seq, name);
    snprintf(path, sizeof(path), "%s/%s.obj", dc->dir, name);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        rc = -errno;
        goto out_var;
    }
    if ((rc = write_full(fd, hb, DC_HDR)) != 0 || (rc = write_full(fd, var.data, var.len)) != 0 ||
        (rc = write_full(fd, body.ptr, body.len)) != 0) {
        close(fd);
        goto out_unlink;
    }
    if (close(fd) != 0) {
        rc = -errno;
        goto out_unlink;
    }

    pthread_mutex_lock(&dc->lock);
    dc_ent_t **pp = do_slot(dc, key_hash(key), key);
    if (dc->gen != ticket || (*pp && (*pp)->info.clock > info->clock)) {
        dc->st.rejected++;
        pthread_mutex_unlock(&dc->lock);
        rc = CN_ESTALE;
        goto out_unlink;
    }
    do_reap_cancel(dc, name);
    if (rename(tmp, path) != 0) {
        rc = -errno;
        pthread_mutex_unlock(&dc->lock);
        goto out_unlink;
    }
    if (*pp)
        do_remove(dc, *pp, DC_KEEP_FILE); /* its file was just replaced */
    dc_ent_t *e = cn_calloc(1, sizeof(*e));
    memcpy(e->name, name, sizeof(e->name));
    e->key = cn_memdup0(key.ptr, key.len);
    e->key_len = key.len;
    e->hash = key_hash(key);
    e->info = *info;
    e->info.etag[etag_len] = '\0';
    e->file_bytes = fsize;
    do_insert(dc, e);
    dc->st.inserts++;
    do_evict(dc);
    pthread_mutex_unlock(&dc->lock);
    cn_buf_dispose(&var);
    return 0;

out_unlink:
    unlink(tmp);
out_var:
    cn_buf_dispose(&var);
    return rc;
}

int gw_dcache_invalidate(gw_dcache_t *dc, cn_slice_t key)
{
    int dropped = 0;
    pthread_mutex_lock(&dc->lock);
    dc->gen++;
    dc_ent_t *e = *do_slot(dc, key_hash(key), key);
    if (e) {
        do_remove(dc, e, DC_UNLINK_LATER);
        dc->st.invalidations++;
        dropped = 1;
    }
    pthread_mutex_unlock(&dc->lock);
    return dropped;
}

void gw_dcache_clear(gw_dcache_t *dc)
{
    pthread_mutex_lock(&dc->lock);
    dc->gen++;
    while (dc->tail) {
        do_remove(dc, dc->tail, DC_UNLINK_LATER);
        dc->st.invalidations++;
    }
    pthread_mutex_unlock(&dc->lock);
}

void gw_dcache_stats(gw_dcache_t *dc, gw_cache_stats_t *out)
{
    pthread_mutex_lock(&dc->lock);
    *out = dc->st;
    out->bytes = dc->bytes;
    out->entries = dc->n;
    out->capacity = dc->capacity;
    pthread_mutex_unlock(&dc->lock);
}
