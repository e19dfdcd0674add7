/*
 * common/objlock.h: S3 Object Lock (issue 18): how a version's retention and legal hold are
 * kept, and THE decision whether a write may delete or replace a locked version.
 *
 * Where a lock lives: in the version's own metadata (the gateway's msgpack map of
 * gateway/s3/manifest.h), as three internal pairs, so it is replicated, repaired, handed off,
 * moved, recovered and compacted with the version like any metadata:
 *   CN_LOCK_META_MODE   "GOVERNANCE" or "COMPLIANCE" (absent: no retention)
 *   CN_LOCK_META_UNTIL  the retain-until date, ms since the epoch, decimal
 *   CN_LOCK_META_HOLD   "ON" (absent or "OFF": no legal hold)
 *
 * Who decides: the storage node that coordinates a write (put or delete of a key) reads the
 * key's current record and asks cn_lock_allows before it applies anything, so every writer
 * is held: a gateway, cairn-adm and the admin API, the lifecycle worker. The gateway asks the
 * same function first, to answer S3's error without a round trip. Whether a user may bypass
 * GOVERNANCE (s3:BypassGovernanceRetention) is the gateway's access decision; storage only
 * sees the put's or delete's "lock_bypass" flag.
 *
 * The rules (S3's): while a retention is in force (until > now) or a legal hold is ON:
 *   - a delete is refused, but a GOVERNANCE retention (no legal hold) with bypass;
 *   - a put that replaces the content (another ETag) is refused the same way;
 *   - a put of the same content (a metadata rewrite: ACL, tags, retention, legal hold) may
 *     change the legal hold freely (the gateway decided who may); it may extend a retention
 *     or turn GOVERNANCE into COMPLIANCE; shortening or removing it, or COMPLIANCE into
 *     GOVERNANCE, is refused for COMPLIANCE and needs bypass for GOVERNANCE.
 * An expired retention protects nothing. Pure: no I/O, no globals.
 */
#ifndef CAIRN_COMMON_OBJLOCK_H
#define CAIRN_COMMON_OBJLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CN_LOCK_META_MODE ":lock-mode"
#define CN_LOCK_META_UNTIL ":lock-until"
#define CN_LOCK_META_HOLD ":legal-hold"

typedef enum cn_lock_mode {
    CN_LOCK_NONE = 0,
    CN_LOCK_GOVERNANCE,
    CN_LOCK_COMPLIANCE,
} cn_lock_mode_t;

typedef struct cn_lock {
    cn_lock_mode_t mode;   /* CN_LOCK_NONE: no retention (until_ms is then 0) */
    uint64_t until_ms;     /* retain until, ms since the epoch */
    int legal_hold;        /* 1: ON */
} cn_lock_t;

/** The lock kept in metadata meta[0, len) (a msgpack map; empty: none). 0, or CN_ECORRUPT
 *  for metadata that is not a map or a lock pair that does not read (then *out is the
 *  strongest lock, COMPLIANCE forever with a legal hold: what cannot be read is not
 *  deleted). */
int cn_lock_from_meta(const void *meta, size_t len, cn_lock_t *out);

/** 1 when l protects its version at now_ms: a legal hold, or a retention until after now. */
int cn_lock_active(const cn_lock_t *l, uint64_t now_ms);

/** Whether a write may go over a version locked by cur at now_ms: a delete (next NULL), or a
 *  put whose metadata holds next, same_content 1 when it keeps the version's content (the
 *  same ETag). bypass: the writer asked for, and may, bypass GOVERNANCE. 0, or CN_EPERM. */
int cn_lock_allows(const cn_lock_t *cur, const cn_lock_t *next, int same_content, int bypass,
                   uint64_t now_ms);

/** The mode's name ("GOVERNANCE", "COMPLIANCE", "" none); and back (CN_LOCK_NONE for any other
 *  text, with *ok 0). */
const char *cn_lock_mode_name(cn_lock_mode_t m);
cn_lock_mode_t cn_lock_mode_parse(const char *s, size_t n, int *ok);

#endif
