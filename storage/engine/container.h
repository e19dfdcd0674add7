/*
 * storage/engine/container.h: one append-only container file of the container engine.
 *
 * File: a 64-byte superblock (magic "CNCT", version, container id, generation, crc), then
 * records (storage/engine/record.h) back to back. A compaction writes generation g+1 to
 * "cNNNN.dat.compact" and renames it over "cNNNN.dat".
 *
 * Locking (per container; order: commit before swap):
 *   commit  the group-commit leader holds it while it appends, syncs and indexes a batch;
 *           guards tail and every index change of this container's keys (compaction and scrub
 *           take it to re-check and update entries);
 *   swap    readers hold it shared around index lookup + pread; compaction holds it
 *           exclusively while it switches index entries and the file (fd, gen).
 * The writers' queue is the engine's, not the container's: one group commit spans every
 * container (storage/engine/writer.c); its leader holds the commit locks of the containers its
 * batch touches, taken in ascending cid order.
 */
#ifndef CAIRN_STORAGE_CONTAINER_H
#define CAIRN_STORAGE_CONTAINER_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "common/buf.h"
#include "storage/engine/record.h"

#define STOR_SB_SIZE 64
#define STOR_CONTAINER_MAGIC 0x53434f4eu /* "SCON" */

typedef struct stor_container {
    uint32_t magic;
    uint32_t cid;
    uint32_t gen;                  /* guarded by swap (write) */
    int fd;                        /* guarded by swap (write) */
    uint64_t tail;                 /* guarded by commit */
    char path[PATH_MAX];           /* .../cNNNN.dat */
    char dir[PATH_MAX];
    pthread_mutex_t commit;
    pthread_rwlock_t swap;
} stor_container_t;

/** Opens (creating with generation 1) container cid in dir. The tail is the file size.
 *  0, CN_ECORRUPT for a bad superblock, or an errno code. */
int stor_container_open(const char *dir, uint32_t cid, stor_container_t **out);
void stor_container_close(stor_container_t *c);

/** Creates path with a superblock for (cid, gen), synced; returns the fd in *fd. */
int stor_container_create_file(const char *path, uint32_t cid, uint32_t gen, int *fd);
/** Reads and checks a superblock. 0 or CN_ECORRUPT / errno code. */
int stor_container_read_sb(int fd, uint32_t *cid, uint32_t *gen);
/** fsyncs a directory (after a rename or a create). */
int stor_fsync_dir(const char *dir);

/* ---- sequential scan (recovery, compaction, scrub) ---------------------------------- */

typedef struct stor_scan {
    int fd;
    uint64_t off;          /* next record's offset */
    uint64_t end;          /* scan stops here */
    cn_buf_t buf;          /* window of the file starting at buf_off */
    uint64_t buf_off;
    int lenient;           /* 1: a record whose header is good but data_crc fails is
                              returned (bad_data set) instead of CN_ECORRUPT */
    int bad_data;          /* set by stor_scan_next in lenient mode */
} stor_scan_t;

void stor_scan_init(stor_scan_t *s, int fd, uint64_t from, uint64_t end);
void stor_scan_dispose(stor_scan_t *s);
/** Reads the record at s->off. 1 with the record (slices valid until the next call) and its
 *  offset in *rec_off, s->off moved past it; 0 at the end; CN_EAGAIN when a partial record
 *  ends the range (torn tail); CN_ECORRUPT when the record at s->off fails a check; or an
 *  errno code for a read error. */
int stor_scan_next(stor_scan_t *s, stor_rec_hdr_t *h, cn_slice_t *key, cn_slice_t *meta,
                   cn_slice_t *body, uint64_t *rec_off);
/** After CN_ECORRUPT: searches forward for the next whole, valid record. 1 (s->off is on it)
 *  or 0 (none before s->end). */
int stor_scan_resync(stor_scan_t *s);

#endif
