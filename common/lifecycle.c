/*
 * common/lifecycle.c: S3 lifecycle rules (see lifecycle.h): the stored form read into a flat
 * array of rules, and the decisions made from them. Pure; the rules are immutable once read,
 * so one cn_lc_rules_t may be shared between threads.
 *
 * A stored form that breaks the shape lifecycle.h gives (a member of the wrong type, a day
 * count that is not positive, a rule without an action) is refused whole: CN_EINVAL, never a
 * partly applied configuration.
 */
#include "common/lifecycle.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

#define LC_DAYS_MAX 2147483647ll /* S3's Days are xsd:int */

struct lc_tag {
    char *key, *value; /* decoded, NUL-terminated; the lengths allow no NUL inside */
    size_t key_len, value_len;
};

struct lc_rule {
    char *id;
    int enabled;
    char *prefix; /* "" when none */
    size_t prefix_len;
    struct lc_tag *tags;
    size_t ntags;
    int has_gt, has_lt;
    uint64_t gt, lt; /* ObjectSizeGreaterThan / LessThan: strict bounds */
    /* actions, 0 when absent */
    uint64_t exp_days;
    int has_exp_date;
    uint64_t exp_date_ms;
    int exp_marker; /* ExpiredObjectDeleteMarker true */
    uint64_t nc_days;
    uint64_t nc_newer; /* NewerNoncurrentVersions, 0: none */
    uint64_t abort_days;
};

struct cn_lc_rules {
    struct lc_rule *v;
    size_t n;
};

/* ---- the stored form ---------------------------------------------------------------------- */

static void rule_dispose(struct lc_rule *rule)
{
    cn_free(rule->id);
    cn_free(rule->prefix);
    for (size_t i = 0; i < rule->ntags; i++) {
        cn_free(rule->tags[i].key);
        cn_free(rule->tags[i].value);
    }
    cn_free(rule->tags);
}

void cn_lc_free(cn_lc_rules_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        rule_dispose(&r->v[i]);
    cn_free(r->v);
    cn_free(r);
}

/* A positive day count (1..2^31-1) from o[name]: 1 with *out, 0 absent, -1 wrong. */
static int get_days(const json_t *o, const char *name, uint64_t *out)
{
    const json_t *j = json_object_get(o, name);

    if (j == NULL)
        return 0;
    if (!json_is_integer(j) || json_integer_value(j) < 1 || json_integer_value(j) > LC_DAYS_MAX)
        return -1;
    *out = (uint64_t)json_integer_value(j);
    return 1;
}

/* A count or size >= 0 from o[name]: 1 with *out, 0 absent, -1 wrong. */
static int get_u64(const json_t *o, const char *name, uint64_t *out)
{
    const json_t *j = json_object_get(o, name);

    if (j == NULL)
        return 0;
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(j);
    return 1;
}

/* A string member (NULL when absent); *bad set when present but not a string. */
static const char *get_str(const json_t *o, const char *name, size_t *len, int *bad)
{
    const json_t *j = json_object_get(o, name);

    if (j == NULL)
        return NULL;
    if (!json_is_string(j)) {
        *bad = 1;
        return NULL;
    }
    *len = json_string_length(j);
    return json_string_value(j);
}

static int read_filter(const json_t *f, struct lc_rule *rule)
{
    const json_t *tags = json_object_get(f, "Tags"), *t;
    const char *p;
    size_t len = 0, i;
    int bad = 0;

    if (!json_is_object(f))
        return -1;
    if ((p = get_str(f, "Prefix", &len, &bad)) != NULL) {
        cn_free(rule->prefix);
        rule->prefix = cn_strndup(p, len);
        rule->prefix_len = len;
    }
    if (bad)
        return -1;
    if (tags != NULL) {
        if (!json_is_array(tags))
            return -1;
        rule->tags = cn_calloc(json_array_size(tags) + 1, sizeof(*rule->tags));
        json_array_foreach(tags, i, t) {
            size_t kl = 0, vl = 0;
            const char *k = get_str(t, "Key", &kl, &bad), *v = get_str(t, "Value", &vl, &bad);

            if (!json_is_object(t) || k == NULL || v == NULL || bad)
                return -1;
            rule->tags[rule->ntags++] = (struct lc_tag){cn_strndup(k, kl), cn_strndup(v, vl),
                                                        kl, vl};
        }
    }
    if ((rule->has_gt = get_u64(f, "ObjectSizeGreaterThan", &rule->gt)) < 0 ||
        (rule->has_lt = get_u64(f, "ObjectSizeLessThan", &rule->lt)) < 0)
        return -1;
    return 0;
}

static int read_actions(const json_t *o, struct lc_rule *rule)
{
    const json_t *e = json_object_get(o, "Expiration");
    const json_t *nc = json_object_get(o, "NoncurrentVersionExpiration");
    const json_t *ab = json_object_get(o, "AbortIncompleteMultipartUpload");
    const json_t *j;
    int forms = 0;

    if (e == NULL && nc == NULL && ab == NULL)
        return -1; /* a rule does something */
    if (e != NULL) {
        if (!json_is_object(e))
            return -1;
        forms += get_days(e, "Days", &rule->exp_days) != 0;
        if ((j = json_object_get(e, "Date")) != NULL) {
            if (!json_is_integer(j) || json_integer_value(j) < 0)
                return -1;
            rule->has_exp_date = 1;
            rule->exp_date_ms = (uint64_t)json_integer_value(j);
            forms++;
        }
        if ((j = json_object_get(e, "ExpiredObjectDeleteMarker")) != NULL) {
            if (!json_is_boolean(j))
                return -1;
            rule->exp_marker = json_is_true(j);
            forms++;
        }
        if (forms != 1 || (json_object_get(e, "Days") != NULL && rule->exp_days == 0))
            return -1;
    }
    if (nc != NULL && (!json_is_object(nc) || get_days(nc, "NoncurrentDays", &rule->nc_days) != 1 ||
                       get_u64(nc, "NewerNoncurrentVersions", &rule->nc_newer) < 0))
        return -1;
    if (ab != NULL &&
        (!json_is_object(ab) || get_days(ab, "DaysAfterInitiation", &rule->abort_days) != 1))
        return -1;
    return 0;
}

static int read_rule(const json_t *o, struct lc_rule *rule)
{
    const char *id, *st, *p;
    size_t len = 0;
    int bad = 0;
    const json_t *f = json_object_get(o, "Filter");

    if (!json_is_object(o))
        return -1;
    if ((id = get_str(o, "ID", &len, &bad)) == NULL)
        return -1;
    rule->id = cn_strndup(id, len);
    if ((st = get_str(o, "Status", &len, &bad)) == NULL)
        return -1;
    if (strcmp(st, "Enabled") == 0)
        rule->enabled = 1;
    else if (strcmp(st, "Disabled") != 0)
        return -1;
    rule->prefix = cn_strdup("");
    if ((p = get_str(o, "Prefix", &len, &bad)) != NULL) { /* a rule of before Filter */
        if (f != NULL)
            return -1;
        cn_free(rule->prefix);
        rule->prefix = cn_strndup(p, len);
        rule->prefix_len = len;
    }
    if (bad || (f != NULL && read_filter(f, rule) != 0))
        return -1;
    return read_actions(o, rule);
}

int cn_lc_parse(const char *json, size_t len, cn_lc_rules_t **out)
{
    json_t *doc = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *rules = json_object_get(doc, "Rules"), *o;
    cn_lc_rules_t *r;
    size_t i;

    if (!json_is_array(rules) || json_array_size(rules) == 0) {
        json_decref(doc);
        return CN_EINVAL;
    }
    r = cn_calloc(1, sizeof(*r));
    r->v = cn_calloc(json_array_size(rules), sizeof(*r->v));
    json_array_foreach(rules, i, o) {
        r->n++;
        if (read_rule(o, &r->v[i]) != 0) {
            cn_lc_free(r);
            json_decref(doc);
            return CN_EINVAL;
        }
    }
    json_decref(doc);
    *out = r;
    return 0;
}

/* ---- matching ----------------------------------------------------------------------------- */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                : -1;
}

/* 1 when s[0..n), in the stored tags' encoding (%XX, '+' a space), decodes to want[0..wn). */
static int enc_equal(const char *s, size_t n, const char *want, size_t wn)
{
    size_t i = 0, j = 0;

    while (i < n) {
        int c = (unsigned char)s[i];

        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;

            if (hi < 0 || lo < 0)
                return 0;
            c = hi * 16 + lo;
            i += 3;
        } else {
            c = c == '+' ? ' ' : c;
            i++;
        }
        if (j >= wn || (unsigned char)want[j++] != c)
            return 0;
    }
    return j == wn;
}

/* 1 when the stored tags tags[0..n) ("k=v&k2=v2", encoded) hold key = value. */
static int has_tag(const char *tags, size_t n, const struct lc_tag *t)
{
    size_t at = 0;

    while (tags != NULL && at < n) {
        const char *part = tags + at, *amp = memchr(part, '&', n - at), *eq;
        size_t len = amp ? (size_t)(amp - part) : n - at;

        eq = memchr(part, '=', len);
        if (eq != NULL) {
            size_t kl = (size_t)(eq - part);

            if (enc_equal(part, kl, t->key, t->key_len) &&
                enc_equal(eq + 1, len - kl - 1, t->value, t->value_len))
                return 1;
        } else if (t->value_len == 0 && enc_equal(part, len, t->key, t->key_len)) {
            return 1;
        }
        at += len + 1;
    }
    return 0;
}

/* 1 when rule applies to o: enabled, and o has its prefix, its every tag, a size within. */
static int rule_matches(const struct lc_rule *rule, const cn_lc_object_t *o)
{
    if (!rule->enabled || o->key_len < rule->prefix_len ||
        memcmp(o->key, rule->prefix, rule->prefix_len) != 0)
        return 0;
    if ((rule->has_gt && !(o->size > rule->gt)) || (rule->has_lt && !(o->size < rule->lt)))
        return 0;
    for (size_t i = 0; i < rule->ntags; i++)
        if (!has_tag(o->tags, o->tags_len, &rule->tags[i]))
            return 0;
    return 1;
}

/* S3's time of an action due days after t: t + days, rounded up to the next day boundary
 * (saturating: never due when the sum is past what a uint64 holds). */
static uint64_t due_ms(uint64_t t, uint64_t days, uint64_t day_ms)
{
    uint64_t d, end;

    if (day_ms == 0)
        day_ms = 1;
    if (days > UINT64_MAX / day_ms)
        return UINT64_MAX;
    d = days * day_ms;
    if (t > UINT64_MAX - d)
        return UINT64_MAX;
    end = t + d;
    if (end % day_ms == 0)
        return end;
    if (end / day_ms + 1 > UINT64_MAX / day_ms)
        return UINT64_MAX;
    return (end / day_ms + 1) * day_ms;
}

/* When rule's Expiration (Days or Date) expires a current version written at mtime_ms:
 * 1 with *when, 0 when it has none. */
static int expiry_of(const struct lc_rule *rule, uint64_t mtime_ms, uint64_t day_ms,
                     uint64_t *when)
{
    if (rule->exp_days) {
        *when = due_ms(mtime_ms, rule->exp_days, day_ms);
        return 1;
    }
    if (rule->has_exp_date) {
        *when = rule->exp_date_ms;
        return 1;
    }
    return 0;
}

cn_lc_action_t cn_lc_decide(const cn_lc_rules_t *r, const cn_lc_object_t *o, uint64_t now_ms,
                            uint64_t day_ms)
{
    uint64_t when;

    for (size_t i = 0; r != NULL && i < r->n; i++) {
        const struct lc_rule *rule = &r->v[i];

        if (!rule_matches(rule, o))
            continue;
        if (o->is_latest && !o->is_delete_marker) {
            if (expiry_of(rule, o->mtime_ms, day_ms, &when) && now_ms >= when)
                return CN_LC_EXPIRE_CURRENT;
        } else if (o->is_latest) {
            /* a delete marker: only one that is all its object has left goes, by
             * ExpiredObjectDeleteMarker or once old enough for a Days or Date expiration */
            if (o->only_version &&
                (rule->exp_marker ||
                 (expiry_of(rule, o->mtime_ms, day_ms, &when) && now_ms >= when)))
                return CN_LC_DELETE_MARKER;
        } else if (rule->nc_days &&
                   now_ms >= due_ms(o->noncurrent_since_ms, rule->nc_days, day_ms) &&
                   o->newer_noncurrent >= rule->nc_newer) {
            return CN_LC_DELETE_VERSION;
        }
    }
    return CN_LC_KEEP;
}

int cn_lc_abort_upload(const cn_lc_rules_t *r, const char *key, size_t key_len,
                       uint64_t initiated_ms, uint64_t now_ms, uint64_t day_ms)
{
    for (size_t i = 0; r != NULL && i < r->n; i++) {
        const struct lc_rule *rule = &r->v[i];

        /* S3 refuses the action in a rule with tags or sizes; such a rule aborts nothing */
        if (!rule->enabled || !rule->abort_days || rule->ntags || rule->has_gt || rule->has_lt)
            continue;
        if (key_len < rule->prefix_len || memcmp(key, rule->prefix, rule->prefix_len) != 0)
            continue;
        if (now_ms >= due_ms(initiated_ms, rule->abort_days, day_ms))
            return 1;
    }
    return 0;
}

int cn_lc_expiration(const cn_lc_rules_t *r, const cn_lc_object_t *o, uint64_t day_ms,
                     uint64_t *when_ms, const char **rule_id)
{
    int found = 0;
    uint64_t when;

    if (o->is_delete_marker || !o->is_latest)
        return -1;
    for (size_t i = 0; r != NULL && i < r->n; i++) {
        const struct lc_rule *rule = &r->v[i];

        if (!rule_matches(rule, o) || !expiry_of(rule, o->mtime_ms, day_ms, &when))
            continue;
        if (!found || when < *when_ms) { /* the earliest; the first rule of equals */
            *when_ms = when;
            *rule_id = rule->id;
            found = 1;
        }
    }
    return found ? 0 : -1;
}
