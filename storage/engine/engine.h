/*
 * storage/engine/engine.h: the storage engine interface of cairn-storage.
 *
 * An engine keeps, per full index key ("bucket/key"), the newest version of an object: its
 * metadata (clock, size, mtime, flags, ETag, the gateway's opaque metadata) and its body.
 * Versions are ordered by clock (hybrid logical clock, ns): the last writer wins. A delete
 * writes a tombstone (flag CN_OBJ_TOMBSTONE) that is kept, so that an older write arriving
 * late cannot resurrect the object.
 *
 * Two engines fill this interface:
 *   "container" (storage/engine/engine_container.c, the default) log-structured containers with a
 *               RocksDB index, group commit, recovery, compaction and scrub;
 *   "simple"    (storage/engine/engine_simple.c) RocksDB holds metadata and bodies.
 * Nothing here exposes RocksDB: the engine is chosen by stor_engine_opts_t.kind and reached
 * through a table of functions (struct stor_engine_ops, internal to storage/).
 *
 * Threads: every function is thread-safe; the daemon calls them from the libuv thread pool.
 * Errors: 0 or a negative CN_E* code (common/err.h); foreign errors are converted inside
 * the engine.
 */
#ifndef CAIRN_STORAGE_ENGINE_H
#define CAIRN_STORAGE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define STOR_KEY_MAX 1152        /* bytes in a full index key: "bucket/key\0VERSION" (1113) fits */
#define STOR_ETAG_MAX 71         /* bytes in an ETag (plus a NUL in the struct) */
#define STOR_LIST_MAX_KEYS 10000 /* upper bound of max_keys in one listing call */
#define STOR_META_MAX (16u << 20) /* bytes of opaque metadata */

typedef struct stor_engine stor_engine_t;

/** Metadata of one object version. meta is borrowed (put: the caller's bytes; get/head: not
 *  filled, the bytes go to meta_out instead). */
typedef struct stor_obj_meta {
    uint64_t clock;     /* HLC ns; never 0 for a stored version */
    uint64_t size;      /* bytes of the whole object (= body bytes, except for a manifest) */
    uint64_t mtime_ms;  /* wall clock when stored */
    uint32_t flags;     /* CN_OBJ_* (common/proto.h) */
    char etag[72];      /* NUL-terminated, without quotes */
    cn_slice_t meta;    /* opaque gateway metadata */
} stor_obj_meta_t;

/** Called (from an engine thread) for a record found corrupt by a read or the scrub: the
 *  replicas should repair key. rc is CN_ECORRUPT. Must not call back into the engine. */
typedef void (*stor_repair_fn)(void *arg, cn_slice_t key, int rc);

typedef struct stor_engine_opts {
    const char *kind;   /* "container" (default when NULL or "") or "simple" */
    int no_sync;        /* 1: do not sync writes (an ack is then not durable) */
    /* container engine only; 0 or NULL means the default */
    const char *index_dir;        /* RocksDB index; default DIR/index */
    const char *container_dirs;   /* comma-separated, one per disk; default DIR/containers */
    uint32_t containers;          /* K containers per node (default 8; fixed at creation) */
    uint64_t tombstone_grace_ms;  /* compaction keeps tombstones this long (default 7 d) */
    uint64_t compact_rate;        /* bytes/s read by compaction (default unlimited) */
    uint32_t compact_auto_pct;    /* compact a container by itself when its live bytes fall
                                     under this % of its file (0: off, the default here) */
    uint64_t compact_auto_min;    /* ... and it holds at least this many dead bytes (64 MiB) */
    uint64_t compact_auto_interval_ms; /* how often to look (default 60 s) */
    uint64_t index_memtable;      /* RocksDB write buffer of the index (default 64 MiB) */
    uint64_t index_cache;         /* RocksDB block cache of the index (default 64 MiB) */
    uint64_t scrub_rate;          /* bytes/s read by scrub (default unlimited) */
    uint64_t scrub_interval_ms;   /* background scrub pass every ... (default: none) */
    int rebuild_index;            /* 1: wipe the index and rebuild it from the containers */
    uint64_t min_free;            /* a put that would leave less than this many bytes free on
                                     its container's or the index's file system is refused
                                     with CN_ENOSPC before anything is written (deletes may use
                                     half of it); 0: only a real ENOSPC refuses */
    stor_repair_fn repair;        /* may be NULL */
    void *repair_arg;
} stor_engine_opts_t;

/** Compaction state (stor_engine_compact_status). */
typedef struct stor_compact_status {
    const char *state;           /* "idle", "running", "suspended" */
    uint32_t total, pending, done, failed; /* containers of the current/last run */
    int32_t ongoing;             /* container being compacted, -1 none */
    uint64_t reclaimed_bytes;    /* over the current/last run */
    uint64_t copied, dropped;    /* records */
    uint64_t started_ms, finished_ms;
} stor_compact_status_t;

typedef struct stor_scrub_status {
    int running;
    uint64_t passes;             /* completed passes */
    uint64_t records, bad;       /* over all passes */
    uint64_t bytes;
    uint64_t last_pass_ms;       /* wall clock when the last pass ended (0: none yet) */
} stor_scrub_status_t;

/** Counters for tests and /metrics. Read with stor_engine_stats; monotonic. */
typedef struct stor_engine_stats {
    uint64_t puts, gets, deletes, lists;
    uint64_t list_steps;  /* iterator positions visited by listings (seek or next) */
} stor_engine_stats_t;

/** Opens (creating if needed) the engine under dir. opts may be NULL for defaults.
 *  Returns 0 and *out, CN_EINVAL for an unknown kind, CN_EIO (or another code) when the
 *  store cannot be opened; the reason is logged once. */
int stor_engine_open(const char *dir, const stor_engine_opts_t *opts, stor_engine_t **out);
/** Closes and frees e (NULL is fine). No call may be running on e. */
void stor_engine_close(stor_engine_t *e);

/** Stores a version: m->clock (> 0), m->size must equal body.len (except with flag
 *  CN_OBJ_MANIFEST: then m->size is the whole chunked object's size, reported by get, head
 *  and list, while the body is the manifest; ranges apply to the body), m->flags, m->etag,
 *  m->meta, m->mtime_ms (0: now). Durable when it returns 0 (unless opts.no_sync).
 *  CN_ESTALE when a version with a newer or equal clock is stored (tombstone included),
 *  CN_EINVAL for an empty or too long key, clock 0, a size mismatch, an ETag over
 *  STOR_ETAG_MAX or metadata over STOR_META_MAX bytes; CN_ENOSPC when the container's or the
 *  index's file system is full (or under opts.min_free): nothing of the write is kept (the
 *  container is cut back to its old tail, no index entry), reads go on, and a later write
 *  succeeds once space returns. */
int stor_engine_put(stor_engine_t *e, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body);

/** What stor_engine_put_prev's write replaced, decided under the same lock as its clock check
 *  (no write of the key can come between the two). rc 0: a version, tombstone included, with
 *  m filled (m.meta left empty) and, for a live chunk manifest (CN_OBJ_MANIFEST), its whole
 *  body appended to *body when body is not NULL; CN_ENOENT: there was none; CN_ECORRUPT: the
 *  stored version was marked bad, or its entry or manifest body could not be read (m may be
 *  filled, the body is not). Meaningful only when the put returns 0. */
typedef struct stor_engine_prev {
    int rc;
    stor_obj_meta_t m;
    cn_buf_t *body;     /* in: the caller's buffer, or NULL when no body is wanted */
} stor_engine_prev_t;

/** As stor_engine_put, and says in *prev what the write replaced (above). One index lookup,
 *  the one the put does anyway: a caller that needs the previous version (the coordinator's
 *  want_prev) does not read the key a second time. */
int stor_engine_put_prev(stor_engine_t *e, cn_slice_t key, const stor_obj_meta_t *m,
                         cn_slice_t body, stor_engine_prev_t *prev);

/** One write of stor_engine_write_many: a put, or a delete with m->clock when m->flags has
 *  CN_OBJ_TOMBSTONE. key, m (with m->meta) and body are borrowed for the call; rc is the
 *  item's result, as stor_engine_put or stor_engine_delete would return it. */
typedef struct stor_engine_wr {
    cn_slice_t key;
    const stor_obj_meta_t *m;
    cn_slice_t body;
    int rc;
} stor_engine_wr_t;
/** Writes n versions at once: the container engine commits them in ONE group commit (one
 *  append and one fdatasync per touched container, one index batch), so that a batch of
 *  moved keys costs what one write costs; each item still wins or loses by its clock alone
 *  (w[i].rc). Durable when it returns, item by item as stor_engine_put. */
void stor_engine_write_many(stor_engine_t *e, stor_engine_wr_t *w, size_t n);
/** One version: a put, or a delete with m->clock when m->flags has CN_OBJ_TOMBSTONE; either
 *  with CN_OBJ_JOURNALED enters the change journal (below). rc as stor_engine_put or
 *  stor_engine_delete. */
int stor_engine_write(stor_engine_t *e, cn_slice_t key, const stor_obj_meta_t *m,
                      cn_slice_t body);

/** Reads a live object. m gets the metadata (m->meta is left empty); meta_out (may be NULL)
 *  gets the opaque metadata appended; body_out (may be NULL) gets the range
 *  [off, off + len) of the body appended, clamped to the end of the body: len UINT64_MAX
 *  means "to the end", and off >= size yields no bytes (rc 0; the caller checks m->size).
 *  CN_ENOENT when missing or deleted. */
int stor_engine_get(stor_engine_t *e, cn_slice_t key, uint64_t off, uint64_t len,
                    stor_obj_meta_t *m, cn_buf_t *meta_out, cn_buf_t *body_out);
/** As stor_engine_get without the body. */
int stor_engine_head(stor_engine_t *e, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out);

/** Deletes by writing a tombstone with clock (> 0), and drops the body.
 *  CN_ESTALE when the stored version (live or tombstone) has a newer or equal clock;
 *  CN_ENOENT when nothing live was stored: the tombstone is still recorded when it is the
 *  newest version, so that a late, older put cannot resurrect the key. */
int stor_engine_delete(stor_engine_t *e, cn_slice_t key, uint64_t clock);

/** Lists live keys starting with prefix, in key order, after start_after (may be empty),
 *  at most max_keys entries (capped at STOR_LIST_MAX_KEYS). With a non-empty delimiter, keys
 *  holding the delimiter after the prefix roll up into one entry (the key up to and including
 *  the delimiter, flag CN_LIST_PREFIX, other fields 0); a common prefix <= start_after is not
 *  repeated. out_listing gets cn_list_encode_* bytes appended (common/proto.h). *truncated is
 *  1 when more entries follow. With STOR_LIST_TOMBSTONES in opts, tombstones are listed too
 *  (flag CN_OBJ_TOMBSTONE, with their clocks): a gateway merging several replicas' listings
 *  needs them so that a replica still holding a deleted key cannot bring it back into a
 *  listing; they do not roll up into common prefixes. pick (names joined by ',', may be
 *  empty) names pairs of the records' metadata that each object's entry carries
 *  (cn_list_pick_meta). */
#define STOR_LIST_TOMBSTONES 0x1u
/* STOR_LIST_GROUP: list one object's versions: prefix itself and the keys "prefix\0..." only
 * (a version of bucket/key is stored as "bucket/key\0VERSION", docs/STORAGE_FORMAT.md) */
#define STOR_LIST_GROUP 0x2u
int stor_engine_list(stor_engine_t *e, cn_slice_t prefix, cn_slice_t start_after,
                     size_t max_keys, cn_slice_t delimiter, unsigned opts, cn_slice_t pick,
                     cn_buf_t *out_listing, int *truncated);

/** Like stor_engine_head, but a tombstone is a version too: 0 with CN_OBJ_TOMBSTONE in
 *  m->flags. CN_ECORRUPT (m still filled) when the version is marked bad by scrub or a read,
 *  CN_ENOENT when the key has no version at all. For replication (storage/cluster/replicator.c). */
int stor_engine_stat(stor_engine_t *e, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out);

/** One entry of stor_engine_scan: key and metadata (meta left empty), borrowed for the call. */
typedef int (*stor_scan_fn)(void *arg, cn_slice_t key, const stor_obj_meta_t *m);
/** Calls fn for up to max versions (live, tombstones and bad ones) in key order after
 *  start_after (empty: from the first key), until fn returns non-zero (returned).
 *  *more is 1 when max entries were visited and more may follow. */
int stor_engine_scan(stor_engine_t *e, cn_slice_t start_after, size_t max, stor_scan_fn fn,
                     void *arg, int *more);
/** Forgets key's version when its clock is clock, without a tombstone (a rebalance drops a
 *  copy this node no longer owns; compaction reclaims the bytes). CN_ENOENT when there is
 *  none, CN_ESTALE when the stored clock is another one (a newer write came meanwhile). */
int stor_engine_drop(stor_engine_t *e, cn_slice_t key, uint64_t clock);

/** Copies the counters. */
void stor_engine_stats(stor_engine_t *e, stor_engine_stats_t *out);

/** Compaction (container engine; CN_EINVAL for the simple engine). start: n = 0 all
 *  containers, else the n with the most dead bytes; CN_EBUSY when one is running. suspend /
 *  resume: CN_EINVAL when there is nothing to suspend/resume. Non-blocking. */
int stor_engine_compact_start(stor_engine_t *e, uint32_t n);
int stor_engine_compact_suspend(stor_engine_t *e);
int stor_engine_compact_resume(stor_engine_t *e);
int stor_engine_compact_status(stor_engine_t *e, stor_compact_status_t *out);
/** Scrub: starts an on-demand pass (CN_EBUSY when one runs); non-blocking. */
int stor_engine_scrub_start(stor_engine_t *e);
int stor_engine_scrub_status(stor_engine_t *e, stor_scrub_status_t *out);
/** Bytes used on disk by the data files (containers; the simple engine: 0). */
int stor_engine_disk_usage(stor_engine_t *e, uint64_t *bytes);
/** Bytes of memory held by the index's RocksDB: its memtables and its block cache (both
 *  grow up to their configured sizes, then stay; 0 when the engine does not say). */
int stor_engine_mem_usage(stor_engine_t *e, uint64_t *memtables, uint64_t *block_cache);
/** About how many keys the index holds (RocksDB's estimate; 0 when the engine does not
 *  say). Cheap, any thread: for progress estimates only. */
uint64_t stor_engine_key_estimate(stor_engine_t *e);

/* ---- the change journal (issue 22) ---------------------------------------------------
 * A put or a delete whose m->flags has CN_OBJ_JOURNALED (stor_engine_write_many for
 * deletes) and that wins (it is stored, not stale) gets a journal entry with the next seq,
 * in the same commit as its index entry; its record keeps the bit, so crash recovery
 * journals it again (at least once: a replayed record may be journaled twice). The bit is
 * never in index entries, so reads, listings and moved copies never carry it. The links to
 * other clusters read the journal in seq order and trim what every link has sent. The
 * container engine keeps it; the simple engine has none (CN_EINVAL). */
typedef int (*stor_journal_fn)(uint64_t seq, cn_slice_t key, uint64_t clock, uint32_t flags,
                               void *arg);
/** Calls fn for up to max entries after seq `after` in order (flags: CN_OBJ_TOMBSTONE, ...),
 *  until fn returns non-zero (returned). */
int stor_engine_journal_read(stor_engine_t *e, uint64_t after, size_t max, stor_journal_fn fn,
                             void *arg);
/** Deletes the entries up to seq upto. */
int stor_engine_journal_trim(stor_engine_t *e, uint64_t upto);
/** The last seq stored (0: none). */
int stor_engine_journal_last(stor_engine_t *e, uint64_t *seq);
/** Writes a journal entry alone (the next seq; no index entry, no record): key, written at
 *  clock with flags (CN_OBJ_TOMBSTONE...; CN_OBJ_JOURNALED is dropped), so that the links'
 *  senders send key's current version again (recover-cluster's requeue, issue 22). Not kept
 *  across a crash that loses the index's unsynced tail (the comparison is run again then).
 *  Any thread. 0, CN_EINVAL (an empty key or one over STOR_KEY_MAX; the simple engine) or
 *  CN_EIO. */
int stor_engine_journal_add(stor_engine_t *e, cn_slice_t key, uint64_t clock, uint32_t flags);

/* ---- for engine implementations (storage/engine_*.c) ------------------------------- */

struct stor_engine_ops {
    const char *kind;
    int (*open)(const char *dir, const stor_engine_opts_t *opts, void **impl);
    void (*close)(void *impl);
    int (*put)(void *impl, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body);
    int (*put_prev)(void *impl, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body,
                    stor_engine_prev_t *prev);
    int (*get)(void *impl, cn_slice_t key, uint64_t off, uint64_t len, stor_obj_meta_t *m,
               cn_buf_t *meta_out, cn_buf_t *body_out);
    int (*del)(void *impl, cn_slice_t key, uint64_t clock);
    int (*list)(void *impl, cn_slice_t prefix, cn_slice_t start_after, size_t max_keys,
                cn_slice_t delimiter, unsigned opts, cn_slice_t pick, cn_buf_t *out,
                int *truncated, uint64_t *steps);
    int (*stat)(void *impl, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out);
    int (*scan)(void *impl, cn_slice_t start_after, size_t max, stor_scan_fn fn, void *arg,
                int *more);
    int (*drop)(void *impl, cn_slice_t key, uint64_t clock);
    /* optional (NULL: one put or del per item) */
    void (*write_many)(void *impl, stor_engine_wr_t *w, size_t n);
    /* optional (NULL: CN_EINVAL) */
    int (*compact)(void *impl, int cmd, uint32_t n, stor_compact_status_t *st);
    int (*scrub)(void *impl, int cmd, stor_scrub_status_t *st);
    int (*disk_usage)(void *impl, uint64_t *bytes);
    int (*mem_usage)(void *impl, uint64_t *memtables, uint64_t *block_cache);
    uint64_t (*key_estimate)(void *impl);
    /* optional (NULL: CN_EINVAL): STOR_JOURNAL_READ (seq = after), _TRIM (seq = upto),
     * _LAST (*last) */
    int (*journal)(void *impl, int cmd, uint64_t seq, size_t max, stor_journal_fn fn,
                   void *arg, uint64_t *last);
    int (*journal_add)(void *impl, cn_slice_t key, uint64_t clock, uint32_t flags);
};

enum { STOR_CMD_START, STOR_CMD_SUSPEND, STOR_CMD_RESUME, STOR_CMD_STATUS };
enum { STOR_JOURNAL_READ, STOR_JOURNAL_TRIM, STOR_JOURNAL_LAST };

extern const struct stor_engine_ops stor__engine_simple_ops;
extern const struct stor_engine_ops stor__engine_container_ops;

#endif
