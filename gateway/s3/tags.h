/*
 * gateway/s3/tags.h: S3 tag sets (issue 16), pure: the x-amz-tagging header's form (a URL
 * query string, "k1=v1&k2=v2", each part percent-encoded UTF-8, '+' a space), S3's limits
 * and the one stored form. An object's tags are the metadata pair ":tags" (manifest.h) and a
 * bucket's the manager's configuration "tagging" (s3_tagging.c), both written by
 * gw_tags_encode: every byte but RFC 3986's unreserved ones as %XX, pairs in the order given.
 * No I/O, no global state; any bytes are safe.
 */
#ifndef CAIRN_GATEWAY_TAGS_H
#define CAIRN_GATEWAY_TAGS_H

#include <stddef.h>

#include "common/buf.h"

#define GW_TAGS_OBJECT_MAX 10  /* tags on one object */
#define GW_TAGS_BUCKET_MAX 50  /* tags on one bucket */
#define GW_TAG_KEY_MAX 128     /* Unicode characters in a key */
#define GW_TAG_VALUE_MAX 256   /* Unicode characters in a value */
#define GW_TAGS_HOLD 64        /* tags a set keeps: the ones past it are only counted */

typedef struct gw_tag {
    char *key;    /* NUL-terminated (a NUL inside is refused by gw_tags_check) */
    size_t key_len;
    char *value;
    size_t value_len;
} gw_tag_t;

typedef struct gw_tags {
    gw_tag_t *v;
    size_t n;     /* kept, at most GW_TAGS_HOLD */
    size_t seen;  /* added, kept or not: what the limit is checked against */
} gw_tags_t;

/** Adds a tag (copies both); past GW_TAGS_HOLD it is only counted. */
void gw_tags_add(gw_tags_t *t, const char *key, size_t key_len, const char *value,
                 size_t value_len);
/** Frees what t holds and empties it (a zeroed set needs no init). */
void gw_tags_dispose(gw_tags_t *t);

/** Parses the query-string form s[0..n) into *out (emptied first; "" gives no tag; a part
 *  without '=' is a key with an empty value; empty parts between '&' are skipped). 0, or
 *  CN_EINVAL for a bad %-escape (out then holds what came before). */
int gw_tags_parse_query(const char *s, size_t n, gw_tags_t *out);

/** S3's rules for a set of at most max tags (GW_TAGS_OBJECT_MAX or GW_TAGS_BUCKET_MAX): NULL
 *  when t is valid, else the InvalidTag message S3 gives: too many tags, an empty or
 *  over-long key, an over-long value, a key or value that is not UTF-8 or holds a character
 *  tags may not (Unicode letters and digits, white space, and + - = . _ : / @ are allowed),
 *  a key prefixed with "aws:", the same key twice. Static strings. */
const char *gw_tags_check(const gw_tags_t *t, size_t max);

/** Appends the stored form of t (gw_tags_parse_query reads it back) to out. */
void gw_tags_encode(const gw_tags_t *t, cn_buf_t *out);

/** Decodes the code point at s[*i] (n bytes in all, *i < n) and moves *i past it: -1 for
 *  bytes that are not UTF-8 (overlong forms, surrogates, past U+10FFFF, cut short). */
long gw_utf8_next(const unsigned char *s, size_t n, size_t *i);

/** The number of tags in a stored form s (NULL or "" is 0). */
size_t gw_tags_count(const char *s);

#endif
