/*
 * common/redundancy.h: a bucket's redundancy policy (issue 21) and its one text form, shared
 * by the manager (which stores it), cairn-adm and the admin API (which take it) and the
 * gateway (which reads it into its bucket table). Pure: no I/O, no allocation, no globals.
 *
 * The text form, exactly one spelling per policy:
 *   "replicate"  whole copies, as many as the consistency levels' N (today's behaviour, and
 *                the policy of every bucket that has none set);
 *   "ec:K+M"     Reed-Solomon with K data and M parity fragments (common/ec.h): 1 <= K,
 *                1 <= M, K + M <= CN_REDUND_MAX_FRAGS (CN_EC_MAX_FRAGS, 16).
 * K and M are decimal without a sign or leading zeros; lower case, no spaces, nothing else:
 * "EC:4+2", "ec:4+2 ", "ec:04+2" and "replicate 3" are refused, so that a stored policy
 * reads back as the same string. Whether K + M fits the ring (as many distinct storage nodes
 * as fragments) is the manager's check, not this file's: the ring is not pure.
 */
#ifndef CAIRN_COMMON_REDUNDANCY_H
#define CAIRN_COMMON_REDUNDANCY_H

#include <stddef.h>
#include <stdint.h>

#define CN_REDUND_MAX_FRAGS 16   /* K + M at most: CN_EC_MAX_FRAGS (static_assert in .c) */
#define CN_REDUND_TEXT_MAX 16    /* bytes of the text form with its NUL ("replicate",
                                  * "ec:15+1") */

typedef enum cn_redund_kind {
    CN_REDUND_REPLICATE = 0,   /* zeroed memory is the default policy */
    CN_REDUND_EC,
} cn_redund_kind_t;

typedef struct cn_redund {
    cn_redund_kind_t kind;
    uint8_t k, m;              /* CN_REDUND_EC: data and parity fragments; 0 otherwise */
} cn_redund_t;

/** Reads text (NUL-terminated; NULL is refused) into *out. 0, or CN_EINVAL with *out
 *  untouched and, when why is not NULL, one line in why[0..whylen) saying what is wrong
 *  (without the text itself: the caller quotes it). */
int cn_redund_parse(const char *text, cn_redund_t *out, char *why, size_t whylen);

/** Writes the text form of r, which must be valid (asserted), to out. */
void cn_redund_format(const cn_redund_t *r, char out[CN_REDUND_TEXT_MAX]);

/** The distinct storage nodes r needs at least: K + M for erasure coding, 0 for replicate
 *  (which takes as many copies as the ring gives, up to N). */
unsigned cn_redund_nodes(const cn_redund_t *r);

#endif
