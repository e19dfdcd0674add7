/*
 * gateway/s3/lifecycle.c: a bucket's lifecycle configuration as sent (see lifecycle.h): S3's
 * checks, the stored JSON form and the XML answered from it. Pure.
 *
 * The checks' order and messages are S3's as observed (its answers recorded by other S3
 * implementations' AWS-validated tests): the rules' number, their IDs, then each rule in
 * order, then V1's overlapping prefixes, transitions last.
 */
#include "gateway/s3/lifecycle.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/lifecycle.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"

#define DAY_MS 86400000ll
#define GW_LC_DATE_MAX 253402300799999ll /* 9999-12-31T23:59:59.999Z */

/* ---- building and freeing ------------------------------------------------------------------ */

gw_lc_rule_t *gw_lc_add_rule(gw_lc_t *c)
{
    gw_lc_rule_t *rule;

    if (c->seen++ >= GW_LC_MAX_RULES)
        return NULL; /* counted only: the configuration is refused anyway */
    c->rules = cn_realloc(c->rules, (c->n + 1) * sizeof(*c->rules));
    rule = &c->rules[c->n++];
    memset(rule, 0, sizeof(*rule));
    rule->size_gt = rule->size_lt = GW_LC_NONE;
    rule->days = rule->noncurrent_days = rule->newer_noncurrent = rule->abort_days = GW_LC_NONE;
    rule->marker = -1;
    return rule;
}

void gw_lc_dispose(gw_lc_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        gw_lc_rule_t *rule = &c->rules[i];

        cn_free(rule->id);
        cn_free(rule->status);
        cn_free(rule->prefix);
        cn_free(rule->filter_prefix);
        cn_free(rule->date);
        gw_tags_dispose(&rule->tags);
    }
    cn_free(c->rules);
    memset(c, 0, sizeof(*c));
}

/* ---- dates ----------------------------------------------------------------------------------- */

int gw_lc_parse_date(const char *s, int64_t *ms)
{
    char buf[64];
    size_t n = strlen(s);
    uint64_t t;
    int64_t off = 0;

    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n + 16 > sizeof(buf))
        return CN_EINVAL;
    if (n == 10) { /* a date alone */
        snprintf(buf, sizeof(buf), "%.*sT00:00:00Z", (int)n, s);
    } else if (n > 6 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':') {
        const char *z = s + n - 5;

        if (z[0] < '0' || z[0] > '9' || z[1] < '0' || z[1] > '9' || z[3] < '0' || z[3] > '9' ||
            z[4] < '0' || z[4] > '9')
            return CN_EINVAL;
        if ((z[0] - '0') * 10 + (z[1] - '0') > 23 || z[3] > '5')
            return CN_EINVAL;
        off = ((z[0] - '0') * 10 + (z[1] - '0')) * 60 + (z[3] - '0') * 10 + (z[4] - '0');
        off *= 60000 * (s[n - 6] == '+' ? 1 : -1);
        snprintf(buf, sizeof(buf), "%.*sZ", (int)(n - 6), s);
    } else {
        snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
    }
    if (gw_iso8601_parse(buf, strlen(buf), &t) != 0 || t > INT64_MAX / 2)
        return CN_EINVAL;
    *ms = (int64_t)t - off;
    /* what gw_s3_time_fmt writes back: 1970 to 9999 */
    return *ms < 0 || *ms > GW_LC_DATE_MAX ? CN_EINVAL : 0;
}

/* ---- S3's checks ----------------------------------------------------------------------------- */

static int has_sizes(const gw_lc_rule_t *rule)
{
    return rule->size_gt != GW_LC_NONE || rule->size_lt != GW_LC_NONE;
}

/* A rule's filter: tags, sizes. */
static gw_s3_err_t check_filter(const gw_lc_rule_t *rule, const char **msg)
{
    for (size_t i = 0; i < rule->tags.n; i++) {
        if (rule->tags.v[i].key_len == 0)
            return GW_S3_MALFORMED_XML;
        for (size_t j = 0; j < i; j++)
            if (strcmp(rule->tags.v[i].key, rule->tags.v[j].key) == 0) {
                *msg = "Duplicate Tag Keys are not allowed.";
                return GW_S3_INVALID_REQUEST;
            }
    }
    if (rule->size_gt != GW_LC_NONE && (rule->size_gt < 0 || rule->size_gt > GW_LC_SIZE_MAX)) {
        *msg = "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000.";
        return GW_S3_INVALID_REQUEST;
    }
    if (rule->size_lt != GW_LC_NONE && (rule->size_lt < 1 || rule->size_lt > GW_LC_SIZE_MAX)) {
        *msg = "'ObjectSizeLessThan' should be between 1 and 1099511627776000.";
        return GW_S3_INVALID_REQUEST;
    }
    if (rule->size_gt >= 0 && rule->size_lt >= 0 && rule->size_lt <= rule->size_gt) {
        *msg = "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.";
        return GW_S3_INVALID_REQUEST;
    }
    return GW_S3_OK;
}

static gw_s3_err_t check_expiration(const gw_lc_rule_t *rule, const char **msg)
{
    int64_t ms;

    if (!rule->has_expiration)
        return GW_S3_OK;
    if ((rule->days != GW_LC_NONE) + (rule->date != NULL) + (rule->marker >= 0) != 1)
        return GW_S3_MALFORMED_XML;
    if (rule->date != NULL) {
        if (gw_lc_parse_date(rule->date, &ms) != 0)
            return GW_S3_MALFORMED_XML;
        if (ms % DAY_MS != 0) {
            *msg = "'Date' must be at midnight GMT";
            return GW_S3_INVALID_ARGUMENT;
        }
    } else if (rule->marker < 0 && rule->days < 1) {
        *msg = "'Days' for Expiration action must be a positive integer";
        return GW_S3_INVALID_ARGUMENT;
    }
    return GW_S3_OK;
}

static gw_s3_err_t check_rule(const gw_lc_rule_t *rule, int v2, const char **msg)
{
    int tags = rule->tags.n > 0, sizes = has_sizes(rule);
    gw_s3_err_t e;

    if (rule->status == NULL ||
        (strcmp(rule->status, "Enabled") != 0 && strcmp(rule->status, "Disabled") != 0))
        return GW_S3_MALFORMED_XML;
    if (rule->prefix == NULL && !rule->has_filter)
        return GW_S3_MALFORMED_XML;
    if (rule->prefix != NULL && v2) {
        *msg = "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported "
               "in the Filter.";
        return GW_S3_INVALID_REQUEST;
    }
    if (rule->has_filter && !v2) {
        *msg = "Filter element can only be used in Lifecycle V2.";
        return GW_S3_INVALID_REQUEST;
    }
    if ((e = check_filter(rule, msg)) != GW_S3_OK)
        return e;
    if (!rule->has_expiration && !rule->has_noncurrent && !rule->has_abort && !rule->transitions) {
        *msg = "At least one action needs to be specified in a rule";
        return GW_S3_INVALID_REQUEST;
    }
    if ((e = check_expiration(rule, msg)) != GW_S3_OK)
        return e;
    if (rule->has_noncurrent) {
        if (rule->noncurrent_days == GW_LC_NONE)
            return GW_S3_MALFORMED_XML;
        if (rule->noncurrent_days < 1) {
            *msg = "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive "
                   "integer";
            return GW_S3_INVALID_ARGUMENT;
        }
        if (rule->newer_noncurrent != GW_LC_NONE && !v2) {
            *msg = "NewerNoncurrentVersions element can only be used in Lifecycle V2.";
            return GW_S3_INVALID_REQUEST;
        }
        if (rule->newer_noncurrent != GW_LC_NONE && rule->newer_noncurrent < 1) {
            *msg = "'NewerNoncurrentVersions' must be a positive integer";
            return GW_S3_INVALID_ARGUMENT;
        }
    }
    if (rule->has_abort) {
        if (rule->abort_days == GW_LC_NONE)
            return GW_S3_MALFORMED_XML;
        if (rule->abort_days < 1) {
            *msg = "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a "
                   "positive integer";
            return GW_S3_INVALID_ARGUMENT;
        }
    }
    if (rule->marker >= 0 && (tags || sizes)) {
        *msg = tags ? "ExpiredObjectDeleteMarker cannot be specified with Tags."
                    : "ExpiredObjectDeleteMarker cannot be specified with Object Size.";
        return GW_S3_INVALID_REQUEST;
    }
    if (rule->has_abort && (tags || sizes)) {
        *msg = tags ? "AbortIncompleteMultipartUpload cannot be specified with Tags."
                    : "AbortIncompleteMultipartUpload cannot be specified with Object Size.";
        return GW_S3_INVALID_REQUEST;
    }
    return GW_S3_OK;
}

/* The number of UTF-16 code units of s (S3 counts an ID's characters so). */
static size_t utf16_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    for (; *p; p++) {
        if ((*p & 0xc0) != 0x80)
            n++;
        if ((*p & 0xf8) == 0xf0)
            n++; /* past the BMP: a surrogate pair */
    }
    return n;
}

/* V1: no two rules whose prefixes overlap (one begins the other) may take one action. */
static gw_s3_err_t check_overlap(const gw_lc_t *c, char *msg_buf, size_t msg_len,
                                 const char **msg)
{
    static const char *const kinds[] = {"Expiration", "NoncurrentVersionExpiration",
                                        "AbortIncompleteMultipartUpload"};

    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < c->n; i++)
            for (size_t j = i + 1; j < c->n; j++) {
                const gw_lc_rule_t *a = &c->rules[i], *b = &c->rules[j];
                int takes_a = k == 0 ? a->has_expiration : k == 1 ? a->has_noncurrent
                                                                   : a->has_abort;
                int takes_b = k == 0 ? b->has_expiration : k == 1 ? b->has_noncurrent
                                                                   : b->has_abort;
                size_t la, lb;

                if (!takes_a || !takes_b || a->prefix == NULL || b->prefix == NULL)
                    continue;
                la = strlen(a->prefix);
                lb = strlen(b->prefix);
                if (strncmp(a->prefix, b->prefix, la < lb ? la : lb) != 0)
                    continue;
                snprintf(msg_buf, msg_len, "Found overlapping prefixes '%.100s' and '%.100s' "
                         "for same action type '%s'", la <= lb ? a->prefix : b->prefix,
                         la <= lb ? b->prefix : a->prefix, kinds[k]);
                *msg = msg_buf;
                return GW_S3_INVALID_REQUEST;
            }
    return GW_S3_OK;
}

gw_s3_err_t gw_lc_check(const gw_lc_t *c, char *msg_buf, size_t msg_len, const char **msg)
{
    int v2;
    gw_s3_err_t e;

    *msg = NULL;
    if (c->seen == 0) {
        *msg = "At least one lifecycle rule must be specified.";
        return GW_S3_INVALID_REQUEST;
    }
    if (c->seen > GW_LC_MAX_RULES) {
        *msg = "The number of lifecycle rules must not exceed the allowed limit of 1000 rules.";
        return GW_S3_INVALID_REQUEST;
    }
    for (size_t i = 0; i < c->n; i++) {
        const char *id = c->rules[i].id;

        if (id == NULL || id[0] == '\0')
            continue;
        if (utf16_len(id) > GW_LC_ID_MAX) {
            *msg = "ID length should not exceed allowed limit of 255";
            return GW_S3_INVALID_ARGUMENT;
        }
        for (size_t j = 0; j < i; j++)
            if (c->rules[j].id != NULL && strcmp(c->rules[j].id, id) == 0) {
                *msg = "Rule ID must be unique. Found same ID for more than one rule";
                return GW_S3_INVALID_ARGUMENT;
            }
    }
    v2 = c->rules[0].has_filter;
    for (size_t i = 0; i < c->n; i++)
        if ((e = check_rule(&c->rules[i], v2, msg)) != GW_S3_OK)
            return e;
    if (!v2 && (e = check_overlap(c, msg_buf, msg_len, msg)) != GW_S3_OK)
        return e;
    for (size_t i = 0; i < c->n; i++)
        if (c->rules[i].transitions) {
            *msg = "Transition actions are not implemented: cairn has one storage class.";
            return GW_S3_NOT_IMPLEMENTED;
        }
    return GW_S3_OK;
}

/* ---- IDs ------------------------------------------------------------------------------------- */

/* splitmix64: a seed spread over 64 bits */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int id_taken(const gw_lc_t *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rules[i].id != NULL && strcmp(c->rules[i].id, id) == 0)
            return 1;
    return 0;
}

void gw_lc_name_rules(gw_lc_t *c, uint64_t seed)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint64_t x = seed;

    for (size_t i = 0; i < c->n; i++) {
        gw_lc_rule_t *rule = &c->rules[i];
        char id[49];

        if (rule->id != NULL && rule->id[0] != '\0')
            continue;
        do {
            for (size_t j = 0; j < 48; j++) {
                if (j % 10 == 0)
                    x = mix(x + i);
                id[j] = b64[(x >> (6 * (j % 10))) & 63];
            }
            id[48] = '\0';
        } while (id_taken(c, id));
        cn_free(rule->id);
        rule->id = cn_strdup(id);
    }
}

/* ---- the stored form ------------------------------------------------------------------------- */

static json_t *filter_json(const gw_lc_rule_t *rule)
{
    json_t *f = json_object();

    if (rule->filter_prefix != NULL)
        json_object_set_new(f, "Prefix", json_string(rule->filter_prefix));
    if (rule->tags.n) {
        json_t *a = json_array();

        for (size_t i = 0; i < rule->tags.n; i++)
            json_array_append_new(a, json_pack("{s:s,s:s}", "Key", rule->tags.v[i].key,
                                               "Value", rule->tags.v[i].value));
        json_object_set_new(f, "Tags", a);
    }
    if (rule->size_gt >= 0)
        json_object_set_new(f, "ObjectSizeGreaterThan", json_integer(rule->size_gt));
    if (rule->size_lt >= 0)
        json_object_set_new(f, "ObjectSizeLessThan", json_integer(rule->size_lt));
    return f;
}

static json_t *rule_json(const gw_lc_rule_t *rule)
{
    json_t *o = json_object();
    int64_t ms = 0;

    json_object_set_new(o, "ID", json_string(rule->id ? rule->id : ""));
    json_object_set_new(o, "Status", json_string(rule->status ? rule->status : "Disabled"));
    if (rule->prefix != NULL)
        json_object_set_new(o, "Prefix", json_string(rule->prefix));
    if (rule->has_filter)
        json_object_set_new(o, "Filter", filter_json(rule));
    if (rule->has_expiration) {
        json_t *e = json_object();

        if (rule->date != NULL && gw_lc_parse_date(rule->date, &ms) == 0)
            json_object_set_new(e, "Date", json_integer(ms));
        else if (rule->marker >= 0)
            json_object_set_new(e, "ExpiredObjectDeleteMarker", json_boolean(rule->marker));
        else
            json_object_set_new(e, "Days", json_integer(rule->days));
        json_object_set_new(o, "Expiration", e);
    }
    if (rule->has_noncurrent) {
        json_t *nc = json_pack("{s:I}", "NoncurrentDays", (json_int_t)rule->noncurrent_days);

        if (rule->newer_noncurrent > 0)
            json_object_set_new(nc, "NewerNoncurrentVersions",
                                json_integer(rule->newer_noncurrent));
        json_object_set_new(o, "NoncurrentVersionExpiration", nc);
    }
    if (rule->has_abort)
        json_object_set_new(o, "AbortIncompleteMultipartUpload",
                            json_pack("{s:I}", "DaysAfterInitiation",
                                      (json_int_t)rule->abort_days));
    return o;
}

void gw_lc_encode(const gw_lc_t *c, cn_buf_t *out)
{
    json_t *rules = json_array(), *doc;
    char *txt;

    for (size_t i = 0; i < c->n; i++)
        json_array_append_new(rules, rule_json(&c->rules[i]));
    doc = json_pack("{s:o}", "Rules", rules);
    txt = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (txt != NULL)
        cn_buf_append_str(out, txt);
    free(txt); /* jansson's */
}

/* ---- the XML answered ------------------------------------------------------------------------ */

static void int_elem(cn_buf_t *x, const char *tag, const json_t *j)
{
    gw_xml_u64_elem(x, tag, (uint64_t)json_integer_value(j));
}

/* A stored Filter's members as S3 gives them back: one condition alone, several in an And. */
static void filter_xml(cn_buf_t *x, const json_t *f)
{
    const json_t *p = json_object_get(f, "Prefix"), *tags = json_object_get(f, "Tags");
    const json_t *gt = json_object_get(f, "ObjectSizeGreaterThan");
    const json_t *lt = json_object_get(f, "ObjectSizeLessThan"), *t;
    size_t conds = (p != NULL) + json_array_size(tags) + (gt != NULL) + (lt != NULL), i;

    gw_xml_open(x, "Filter");
    if (conds > 1)
        gw_xml_open(x, "And");
    if (p != NULL)
        gw_xml_text_elem(x, "Prefix", json_string_value(p), json_string_length(p));
    json_array_foreach(tags, i, t) {
        const json_t *k = json_object_get(t, "Key"), *v = json_object_get(t, "Value");

        gw_xml_open(x, "Tag");
        gw_xml_text_elem(x, "Key", json_string_value(k), json_string_length(k));
        gw_xml_text_elem(x, "Value", json_string_value(v), json_string_length(v));
        gw_xml_close(x, "Tag");
    }
    if (gt != NULL)
        int_elem(x, "ObjectSizeGreaterThan", gt);
    if (lt != NULL)
        int_elem(x, "ObjectSizeLessThan", lt);
    if (conds > 1)
        gw_xml_close(x, "And");
    gw_xml_close(x, "Filter");
}

static void rule_xml(cn_buf_t *x, const json_t *o)
{
    const json_t *id = json_object_get(o, "ID"), *p = json_object_get(o, "Prefix");
    const json_t *f = json_object_get(o, "Filter"), *e = json_object_get(o, "Expiration");
    const json_t *nc = json_object_get(o, "NoncurrentVersionExpiration"), *j;
    const json_t *ab = json_object_get(o, "AbortIncompleteMultipartUpload");
    char t[GW_S3_TIME_LEN];

    gw_xml_open(x, "Rule");
    gw_xml_text_elem(x, "ID", json_string_value(id), json_string_length(id));
    if (p != NULL)
        gw_xml_text_elem(x, "Prefix", json_string_value(p), json_string_length(p));
    if (f != NULL)
        filter_xml(x, f);
    gw_xml_str_elem(x, "Status", json_string_value(json_object_get(o, "Status")));
    if (e != NULL) {
        gw_xml_open(x, "Expiration");
        if ((j = json_object_get(e, "Days")) != NULL)
            int_elem(x, "Days", j);
        if ((j = json_object_get(e, "Date")) != NULL) {
            gw_s3_time_fmt((uint64_t)json_integer_value(j), t);
            gw_xml_str_elem(x, "Date", t);
        }
        if ((j = json_object_get(e, "ExpiredObjectDeleteMarker")) != NULL)
            gw_xml_bool_elem(x, "ExpiredObjectDeleteMarker", json_is_true(j));
        gw_xml_close(x, "Expiration");
    }
    if (nc != NULL) {
        gw_xml_open(x, "NoncurrentVersionExpiration");
        int_elem(x, "NoncurrentDays", json_object_get(nc, "NoncurrentDays"));
        if ((j = json_object_get(nc, "NewerNoncurrentVersions")) != NULL)
            int_elem(x, "NewerNoncurrentVersions", j);
        gw_xml_close(x, "NoncurrentVersionExpiration");
    }
    if (ab != NULL) {
        gw_xml_open(x, "AbortIncompleteMultipartUpload");
        int_elem(x, "DaysAfterInitiation", json_object_get(ab, "DaysAfterInitiation"));
        gw_xml_close(x, "AbortIncompleteMultipartUpload");
    }
    gw_xml_close(x, "Rule");
}

int gw_lc_xml(const char *s, size_t n, cn_buf_t *out)
{
    cn_lc_rules_t *checked;
    json_t *doc;
    const json_t *o;
    size_t i;

    /* common/lifecycle.c's reading is the check of the shape: what it takes is rendered */
    if (cn_lc_parse(s, n, &checked) != 0)
        return CN_EINVAL;
    cn_lc_free(checked);
    doc = json_loadb(s, n, 0, NULL);
    gw_xml_decl(out);
    gw_xml_open_ns(out, "LifecycleConfiguration", GW_S3_XMLNS);
    json_array_foreach(json_object_get(doc, "Rules"), i, o)
        rule_xml(out, o);
    gw_xml_close(out, "LifecycleConfiguration");
    json_decref(doc);
    return 0;
}
