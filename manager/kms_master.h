/*
 * manager/kms_master.h: the master keys of the key service (issue 20), read from the files
 * named by [manager] sse_master_key_file and sse_master_key_previous_file at startup.
 *
 * A master key wraps the key service's KEKs (manager/kms.h) and nothing else; it never
 * enters the replicated state or a log line. A file holds exactly 32 raw bytes, or 64 hex
 * digits with an optional trailing newline; anything else, or a file that group or others
 * may read or write (mode & 077: `chmod 600`), is refused at startup with the reason, as ssh
 * refuses a private key. Every manager of a group needs the same file: any of them may be
 * the one that unwraps a KEK.
 *
 * A master key is known by its id, the first 8 bytes of HMAC-SHA256(master key, "cairn sse
 * master id v1") in lower-case hex (16 characters). The id is stored with each wrapped KEK,
 * so a manager tells which master unwraps it and whether a rewrap is due; it says nothing
 * of the key (HMAC is a PRF) and is safe to print.
 *
 * Ownership: a mgr_kms_masters_t lives in struct mgr_server, filled before the loop starts
 * and read-only after, so any thread reads it without the lock. mgr_kms_masters_dispose
 * wipes it (OPENSSL_cleanse).
 */
#ifndef CAIRN_MANAGER_KMS_MASTER_H
#define CAIRN_MANAGER_KMS_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/sse.h"

#define MGR_KMS_ID_LEN 16               /* hex characters of a master key id */
#define MGR_KMS_ID_LABEL "cairn sse master id v1"

typedef struct mgr_kms_master {
    int set;                            /* 0: none configured */
    uint8_t key[CN_SSE_KEY_LEN];
    char id[MGR_KMS_ID_LEN + 1];
} mgr_kms_master_t;

/* The master in use and the one being rotated away from (only to unwrap, kms-rewrap). */
typedef struct mgr_kms_masters {
    mgr_kms_master_t cur, prev;
} mgr_kms_masters_t;

/** Parses the bytes of a master key file: 32 raw bytes, or 64 hex digits and at most one
 *  '\n'. 0 with key set, or CN_EINVAL (key untouched). */
int mgr_kms_master_parse(const void *p, size_t n, uint8_t key[CN_SSE_KEY_LEN] /* OUT */);
/** The id of a master key (see the header) into id (MGR_KMS_ID_LEN + 1 bytes). */
void mgr_kms_master_id(const uint8_t key[CN_SSE_KEY_LEN], char id[MGR_KMS_ID_LEN + 1]);
/** Reads the master key file at path into *out (set, key, id). 0, or CN_ECONFIG with the
 *  reason in err (cannot read, mode beyond 0600, not 32 bytes or 64 hex digits). */
int mgr_kms_master_load(const char *path, mgr_kms_master_t *out, char *err, size_t errlen);
/** Loads both files of the config (cur_path, prev_path: "" or NULL for none). A previous
 *  master without a current one, or equal to it, is refused (CN_ECONFIG: rewrapping under
 *  the key it came from would change nothing). 0 or CN_ECONFIG with err "key: reason". */
int mgr_kms_masters_load(const char *cur_path, const char *prev_path, mgr_kms_masters_t *out,
                         char *err, size_t errlen);
/** The master with id, or NULL. */
const mgr_kms_master_t *mgr_kms_masters_find(const mgr_kms_masters_t *m, const char *id);
/** Wipes both keys. */
void mgr_kms_masters_dispose(mgr_kms_masters_t *m);

#endif
