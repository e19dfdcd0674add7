/*
 * gateway/s3/tags.c: S3 tag sets (see tags.h): the query-string form, S3's limits, the stored
 * form. Lengths are counted in Unicode characters (code points), as S3 counts them, after a
 * strict UTF-8 decode (no overlong forms, no surrogates).
 */
#include "gateway/s3/tags.h"

#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/mem.h"
#include "gateway/auth/s3_uri.h"

void gw_tags_add(gw_tags_t *t, const char *key, size_t key_len, const char *value,
                 size_t value_len)
{
    gw_tag_t *g;

    t->seen++;
    if (t->n >= GW_TAGS_HOLD)
        return;
    t->v = cn_realloc(t->v, (t->n + 1) * sizeof(*t->v));
    g = &t->v[t->n++];
    g->key = cn_strndup(key, key_len);
    g->key_len = key_len;
    g->value = cn_strndup(value, value_len);
    g->value_len = value_len;
}

void gw_tags_dispose(gw_tags_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        cn_free(t->v[i].key);
        cn_free(t->v[i].value);
    }
    cn_free(t->v);
    t->v = NULL;
    t->n = t->seen = 0;
}

int gw_tags_parse_query(const char *s, size_t n, gw_tags_t *out)
{
    const char *p = s, *end = s + n;
    cn_buf_t k, v;
    int rc = 0;

    gw_tags_dispose(out);
    cn_buf_init(&k);
    cn_buf_init(&v);
    while (p < end && rc == 0) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));

        if (e > p) {
            cn_buf_reset(&k);
            cn_buf_reset(&v);
            if (gw_uri_decode(&k, p, (size_t)((eq ? eq : e) - p), 1) != 0 ||
                (eq && gw_uri_decode(&v, eq + 1, (size_t)(e - eq - 1), 1) != 0))
                rc = CN_EINVAL;
            else
                gw_tags_add(out, k.len ? k.data : "", k.len, v.len ? v.data : "", v.len);
        }
        p = amp ? amp + 1 : end;
    }
    cn_buf_dispose(&k);
    cn_buf_dispose(&v);
    return rc;
}

long gw_utf8_next(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i], len, j;
    long cp;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return -1;
    if (n - *i < len)
        return -1;
    for (j = 1; j < len; j++) {
        if ((s[*i + j] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[*i + j] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return -1;
    *i += len;
    return cp;
}

/* 1 when a tag may hold cp: ASCII letters, digits, space and + - = . _ : / @, and any
 * character past ASCII that is not a control (S3 allows Unicode letters, digits and white
 * space; finer classes are not told apart here). */
static int cp_allowed(long cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               (cp != 0 && strchr(" +-=._:/@", (int)cp) != NULL);
    return cp >= 0xa0; /* 0x80..0x9f are the C1 controls */
}

/* The characters of s[0..n): their count, or -1 when s is not UTF-8 or holds one a tag may
 * not. */
static long chars_of(const char *s, size_t n)
{
    size_t i = 0;
    long count = 0, cp;

    while (i < n) {
        if ((cp = gw_utf8_next((const unsigned char *)s, n, &i)) < 0 || !cp_allowed(cp))
            return -1;
        count++;
    }
    return count;
}

const char *gw_tags_check(const gw_tags_t *t, size_t max)
{
    if (t->seen > max)
        return max == GW_TAGS_BUCKET_MAX ? "Bucket tag count cannot be greater than 50"
                                         : "Object tags cannot be greater than 10";
    for (size_t i = 0; i < t->n; i++) {
        const gw_tag_t *g = &t->v[i];
        long kc = chars_of(g->key, g->key_len), vc = chars_of(g->value, g->value_len);

        if (kc > GW_TAG_KEY_MAX)
            return "The TagKey you have provided is too long, max 128";
        if (kc <= 0)
            return "The TagKey you have provided is invalid";
        if (vc > GW_TAG_VALUE_MAX)
            return "The TagValue you have provided is too long, max 256";
        if (vc < 0)
            return "The TagValue you have provided is invalid";
        if (g->key_len >= 4 && strncasecmp(g->key, "aws:", 4) == 0)
            return "Your TagKey cannot be prefixed with aws:";
        for (size_t j = 0; j < i; j++)
            if (t->v[j].key_len == g->key_len && memcmp(t->v[j].key, g->key, g->key_len) == 0)
                return "Cannot provide multiple Tags with the same key";
    }
    return NULL;
}

void gw_tags_encode(const gw_tags_t *t, cn_buf_t *out)
{
    for (size_t i = 0; i < t->n; i++) {
        if (i)
            cn_buf_append(out, "&", 1);
        gw_uri_encode(out, t->v[i].key, t->v[i].key_len, 0);
        cn_buf_append(out, "=", 1);
        gw_uri_encode(out, t->v[i].value, t->v[i].value_len, 0);
    }
}

size_t gw_tags_count(const char *s)
{
    size_t n = 0;

    for (const char *p = s; p && *p;) {
        const char *amp = strchr(p, '&');
        if ((amp ? amp : p + strlen(p)) > p)
            n++;
        p = amp ? amp + 1 : p + strlen(p);
    }
    return n;
}
