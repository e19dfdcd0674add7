/*
 * gateway/s3/cors.c: a bucket's CORS rules (see cors.h): S3's checks, the stored JSON form,
 * and the matching of a request. Pure.
 */
#include "gateway/s3/cors.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

/* The methods a rule may allow (S3's CORSRule.AllowedMethod), case and all. */
static const char *const rule_methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};

/* ---- building and freeing ------------------------------------------------------------------ */

gw_cors_rule_t *gw_cors_add_rule(gw_cors_t *c)
{
    gw_cors_rule_t *rule;

    if (c->seen++ >= GW_CORS_MAX_RULES)
        return NULL; /* counted only: the configuration is refused anyway */
    c->rules = cn_realloc(c->rules, (c->n + 1) * sizeof(*c->rules));
    rule = &c->rules[c->n++];
    memset(rule, 0, sizeof(*rule));
    rule->max_age = -1;
    return rule;
}

void gw_cors_list_add(gw_cors_list_t *l, const char *s, size_t len)
{
    l->v = cn_realloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = cn_strndup(s, len);
}

static void list_dispose(gw_cors_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        cn_free(l->v[i]);
    cn_free(l->v);
    l->v = NULL;
    l->n = 0;
}

void gw_cors_dispose(gw_cors_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        gw_cors_rule_t *rule = &c->rules[i];
        cn_free(rule->id);
        list_dispose(&rule->origins);
        list_dispose(&rule->methods);
        list_dispose(&rule->headers);
        list_dispose(&rule->expose);
    }
    cn_free(c->rules);
    memset(c, 0, sizeof(*c));
}

/* ---- S3's checks ----------------------------------------------------------------------------- */

static int rule_method_known(const char *m)
{
    for (size_t i = 0; i < sizeof(rule_methods) / sizeof(rule_methods[0]); i++)
        if (strcmp(m, rule_methods[i]) == 0)
            return 1;
    return 0;
}

/* The first pattern of l with more than one '*', or NULL. */
static const char *two_wildcards(const gw_cors_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *star = strchr(l->v[i], '*');
        if (star != NULL && strchr(star + 1, '*') != NULL)
            return l->v[i];
    }
    return NULL;
}

/* Unicode characters in the UTF-8 string s (the XML reader hands over valid UTF-8; any other
 * byte counts as one). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

gw_s3_err_t gw_cors_check(const gw_cors_t *c, char *msg_buf, size_t msg_len, const char **msg)
{
    const char *bad;

    *msg = NULL;
    if (c->seen == 0)
        return GW_S3_MALFORMED_XML; /* CORSRule is required */
    if (c->seen > GW_CORS_MAX_RULES) {
        snprintf(msg_buf, msg_len, "A CORS configuration can have at most %d rules.",
                 GW_CORS_MAX_RULES);
        *msg = msg_buf;
        return GW_S3_INVALID_REQUEST;
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->rules[i].origins.n == 0 || c->rules[i].methods.n == 0)
            return GW_S3_MALFORMED_XML; /* both are required members of a CORSRule */
    for (size_t i = 0; i < c->n; i++) {
        const gw_cors_rule_t *rule = &c->rules[i];

        for (size_t j = 0; j < rule->methods.n; j++)
            if (!rule_method_known(rule->methods.v[j])) {
                snprintf(msg_buf, msg_len, "Found unsupported HTTP method in CORS config. "
                         "Unsupported method is %s", rule->methods.v[j]);
                *msg = msg_buf;
                return GW_S3_INVALID_REQUEST;
            }
        if ((bad = two_wildcards(&rule->origins)) != NULL) {
            snprintf(msg_buf, msg_len, "AllowedOrigin \"%s\" can not have more than one "
                     "wildcard.", bad);
            *msg = msg_buf;
            return GW_S3_INVALID_REQUEST;
        }
        if ((bad = two_wildcards(&rule->headers)) != NULL) {
            snprintf(msg_buf, msg_len, "AllowedHeader \"%s\" can not have more than one "
                     "wildcard.", bad);
            *msg = msg_buf;
            return GW_S3_INVALID_REQUEST;
        }
        if (rule->id != NULL && utf8_chars(rule->id) > GW_CORS_ID_MAX) {
            snprintf(msg_buf, msg_len, "ID length should not exceed allowed limit of %d",
                     GW_CORS_ID_MAX);
            *msg = msg_buf;
            return GW_S3_INVALID_ARGUMENT;
        }
    }
    return GW_S3_OK;
}

/* ---- the stored form ------------------------------------------------------------------------- */

static json_t *list_json(const gw_cors_list_t *l)
{
    json_t *a = json_array();

    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

void gw_cors_encode(const gw_cors_t *c, cn_buf_t *out)
{
    json_t *rules = json_array(), *doc;
    char *txt;

    for (size_t i = 0; i < c->n; i++) {
        const gw_cors_rule_t *rule = &c->rules[i];
        json_t *o = json_object();

        if (rule->id != NULL)
            json_object_set_new(o, "ID", json_string(rule->id));
        json_object_set_new(o, "AllowedOrigins", list_json(&rule->origins));
        json_object_set_new(o, "AllowedMethods", list_json(&rule->methods));
        if (rule->headers.n)
            json_object_set_new(o, "AllowedHeaders", list_json(&rule->headers));
        if (rule->expose.n)
            json_object_set_new(o, "ExposeHeaders", list_json(&rule->expose));
        if (rule->max_age >= 0)
            json_object_set_new(o, "MaxAgeSeconds", json_integer(rule->max_age));
        json_array_append_new(rules, o);
    }
    doc = json_pack("{s:o}", "CORSRules", rules);
    txt = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (txt != NULL)
        cn_buf_append_str(out, txt);
    free(txt); /* jansson's */
}

/* Reads the JSON array member name of o (absent: empty) into l: 0, or -1 when it is not an
 * array of strings. */
static int list_from_json(const json_t *o, const char *name, gw_cors_list_t *l)
{
    const json_t *a = json_object_get(o, name), *e;
    size_t i;

    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return -1;
    json_array_foreach(a, i, e) {
        if (!json_is_string(e))
            return -1;
        gw_cors_list_add(l, json_string_value(e), json_string_length(e));
    }
    return 0;
}

/* One stored rule o into a new rule of out: 0 or -1. */
static int rule_from_json(const json_t *o, gw_cors_t *out)
{
    const json_t *id = json_object_get(o, "ID"), *age = json_object_get(o, "MaxAgeSeconds");
    gw_cors_rule_t *rule;

    if (!json_is_object(o) || (rule = gw_cors_add_rule(out)) == NULL)
        return -1;
    if (id != NULL) {
        if (!json_is_string(id))
            return -1;
        rule->id = cn_strdup(json_string_value(id));
    }
    if (age != NULL) {
        if (!json_is_integer(age) || json_integer_value(age) < 0 ||
            json_integer_value(age) > INT32_MAX)
            return -1;
        rule->max_age = (long)json_integer_value(age);
    }
    if (list_from_json(o, "AllowedOrigins", &rule->origins) != 0 ||
        list_from_json(o, "AllowedMethods", &rule->methods) != 0 ||
        list_from_json(o, "AllowedHeaders", &rule->headers) != 0 ||
        list_from_json(o, "ExposeHeaders", &rule->expose) != 0)
        return -1;
    return 0;
}

int gw_cors_decode(const char *s, size_t n, gw_cors_t *out)
{
    json_t *doc = json_loadb(s, n, 0, NULL);
    const json_t *rules = json_object_get(doc, "CORSRules"), *o;
    char msg_buf[64];
    const char *msg;
    int rc = 0;
    size_t i;

    gw_cors_dispose(out);
    if (!json_is_array(rules)) {
        rc = CN_EINVAL;
    } else {
        json_array_foreach(rules, i, o) {
            if (rule_from_json(o, out) != 0) {
                rc = CN_EINVAL;
                break;
            }
        }
    }
    if (rc == 0 && gw_cors_check(out, msg_buf, sizeof(msg_buf), &msg) != GW_S3_OK)
        rc = CN_EINVAL;
    if (rc != 0)
        gw_cors_dispose(out);
    json_decref(doc);
    return rc;
}

/* ---- matching -------------------------------------------------------------------------------- */

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int bytes_eq(const char *a, const char *b, size_t n, int icase)
{
    if (!icase)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

int gw_cors_pattern_match(const char *pattern, const char *s, size_t len, int icase)
{
    const char *star = strchr(pattern, '*');
    size_t plen = strlen(pattern), pre, suf;

    if (star == NULL)
        return plen == len && bytes_eq(pattern, s, len, icase);
    pre = (size_t)(star - pattern);
    suf = plen - pre - 1;
    if (pre + suf > len)
        return 0;
    return bytes_eq(pattern, s, pre, icase) && bytes_eq(star + 1, s + len - suf, suf, icase);
}

static int list_matches(const gw_cors_list_t *l, const char *s, size_t len, int icase)
{
    for (size_t i = 0; i < l->n; i++)
        if (gw_cors_pattern_match(l->v[i], s, len, icase))
            return 1;
    return 0;
}

/* Moves *pos past the next name of the comma-separated list h[0..len): 1 with the name in
 * *name, *name_len (blanks trimmed, never empty), 0 at the end. */
static int next_name(const char *h, size_t len, size_t *pos, const char **name, size_t *name_len)
{
    while (*pos < len) {
        size_t b = *pos, e;

        while (*pos < len && h[*pos] != ',')
            (*pos)++;
        e = *pos;
        if (*pos < len)
            (*pos)++; /* the comma */
        while (b < e && (h[b] == ' ' || h[b] == '\t'))
            b++;
        while (e > b && (h[e - 1] == ' ' || h[e - 1] == '\t'))
            e--;
        if (e > b) {
            *name = h + b;
            *name_len = e - b;
            return 1;
        }
    }
    return 0;
}

static int rule_matches(const gw_cors_rule_t *rule, const char *origin, size_t origin_len,
                        const char *method, size_t method_len, const char *req_headers,
                        size_t req_headers_len)
{
    size_t pos = 0, name_len;
    const char *name;
    int method_ok = 0;

    if (!list_matches(&rule->origins, origin, origin_len, 0))
        return 0;
    for (size_t i = 0; i < rule->methods.n && !method_ok; i++)
        method_ok = strlen(rule->methods.v[i]) == method_len &&
                    memcmp(rule->methods.v[i], method, method_len) == 0;
    if (!method_ok)
        return 0;
    while (req_headers != NULL && next_name(req_headers, req_headers_len, &pos, &name, &name_len))
        if (!list_matches(&rule->headers, name, name_len, 1))
            return 0;
    return 1;
}

long gw_cors_match(const gw_cors_t *c, const char *origin, size_t origin_len, const char *method,
                   size_t method_len, const char *req_headers, size_t req_headers_len)
{
    for (size_t i = 0; i < c->n; i++)
        if (rule_matches(&c->rules[i], origin, origin_len, method, method_len, req_headers,
                         req_headers_len))
            return (long)i;
    return -1;
}

int gw_cors_any_origin(const gw_cors_rule_t *rule, const char *origin, size_t len)
{
    for (size_t i = 0; i < rule->origins.n; i++)
        if (gw_cors_pattern_match(rule->origins.v[i], origin, len, 0))
            return strcmp(rule->origins.v[i], "*") == 0;
    return 0;
}

/* ---- answering ------------------------------------------------------------------------------- */

void gw_cors_join(const gw_cors_list_t *l, cn_buf_t *out)
{
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            cn_buf_append(out, ", ", 2);
        cn_buf_append_str(out, l->v[i]);
    }
}

void gw_cors_header_names(const char *h, size_t len, cn_buf_t *out)
{
    size_t pos = 0, name_len, start = out->len;
    const char *name;

    while (next_name(h, len, &pos, &name, &name_len)) {
        if (out->len > start)
            cn_buf_append(out, ", ", 2);
        for (size_t i = 0; i < name_len; i++) {
            char ch = (char)lower((unsigned char)name[i]);
            cn_buf_append(out, &ch, 1);
        }
    }
}

int gw_cors_request_method_valid(const char *m, size_t len)
{
    static const char *const asked[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                        "OPTIONS"};

    for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
        if (strlen(asked[i]) == len && memcmp(asked[i], m, len) == 0)
            return 1;
    return 0;
}
