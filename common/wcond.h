/*
 * common/wcond.h: the condition of a conditional write or delete (issue 16: If-None-Match,
 * If-Match, x-amz-if-match-size, x-amz-if-match-last-modified-time), as the gateway sends it
 * in a `put` or `delete` request and as the key's coordinator evaluates it against the key's
 * current version (docs/PROTOCOL.md, "Conditional writes"). Pure functions: no I/O, no
 * allocation beyond the message's, thread-safe.
 */
#ifndef CAIRN_COMMON_WCOND_H
#define CAIRN_COMMON_WCOND_H

#include <stddef.h>
#include <stdint.h>

#include "common/rpc.h"

#define CN_WCOND_ETAG_MAX 72 /* an ETag without quotes ("hex" or "hex-N"), or "*" */

typedef struct cn_wcond {
    int if_none_match;                /* 1: the key must not exist (If-None-Match: *) */
    int has_if_match;                 /* 1: if_match holds an ETag or "*" */
    char if_match[CN_WCOND_ETAG_MAX]; /* the ETag the current version must have; "*": any */
    int has_if_size;
    uint64_t if_size;                 /* x-amz-if-match-size: its size in bytes */
    int has_if_mtime;
    uint64_t if_mtime_s;              /* x-amz-if-match-last-modified-time, seconds */
    uint64_t conflict_after_ms;       /* 0, or: a version written at or after this time that
                                       * fails the condition is a conflict (409), not a 412
                                       * (CompleteMultipartUpload: the upload's start) */
    int group;                        /* 1: about the object's latest version among its
                                       * versions (a bucket with versioning): `cond_group` */
} cn_wcond_t;

/** The current version of a key as the coordinator sees it. */
typedef struct cn_wcond_cur {
    int exists;          /* 0: none, deleted (tombstone) or a delete marker */
    const char *etag;    /* unquoted */
    uint64_t size, mtime_ms;
} cn_wcond_cur_t;

/** 1 when c asks anything. */
int cn_wcond_any(const cn_wcond_t *c);

/** Adds c's fields to a put or delete request m: `cond` = 1 and those of `if_none_match` (1),
 *  `if_match` (str), `if_size`, `if_mtime_s`, `conflict_after_ms`, `cond_group` that c holds. Nothing when c
 *  asks nothing. */
void cn_wcond_to_msg(const cn_wcond_t *c, cn_msg_t *m);

/** Reads a request's condition into *out (zeroed first). 0 (out->... empty when the request has
 *  none) or CN_EINVAL (a field of the wrong type, an if_match too long or with a NUL, or
 *  if_none_match together with if_match). */
int cn_wcond_from_msg(const cn_msg_t *m, cn_wcond_t *out);

/** Evaluates c against cur. Returns 0 (the write may go on), CN_ECOND (it does not hold: *missing
 *  = 1 when the reason is an If-Match on a key that does not exist, which DeleteObject answers
 *  404) or CN_ECONFLICT (it does not hold against a version written at or after
 *  c->conflict_after_ms). The rules: If-None-Match fails when cur exists; If-Match fails
 *  when cur does not exist or has another ETag ("*": any); the size and the Last-Modified time
 *  (compared in whole seconds) fail only against an existing version that differs. */
int cn_wcond_eval(const cn_wcond_t *c, const cn_wcond_cur_t *cur, int *missing);

#endif
