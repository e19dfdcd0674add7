/*
 * gateway/s3/s3_xmlin.c: XML request bodies (see s3_xmlin.h). One small expat driver keeps the
 * stack of element local names and the text of the current element, and calls a per-document
 * start/end callback; the callbacks fill the result and flag errors. A DOCTYPE stops the
 * parse (no entity expansion at all), and so does nesting deeper than XIN_MAX_DEPTH.
 */
#include "gateway/s3/s3_xmlin.h"

#include <assert.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/acl.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

#define XIN_MAX_DEPTH 8
#define XIN_NAME_MAX 48
#define XIN_TEXT_MAX 4096

struct xin;
typedef void (*xin_start_fn)(struct xin *x);
typedef void (*xin_end_fn)(struct xin *x, const char *text, size_t len);

struct xin {
    XML_Parser parser;
    int depth;                                   /* elements open */
    char names[XIN_MAX_DEPTH][XIN_NAME_MAX];     /* local names, "" when over-long */
    cn_buf_t text;
    int bad;
    xin_start_fn on_start;
    xin_end_fn on_end;
    void *out;
    /* per-document scratch */
    uint32_t num;
    int have_num, have_etag, have_key;
    char etag[72];
    char ck_elem[24], ck_val[64]; /* CompleteMultipartUpload: a part's Checksum<ALG> */
    cn_buf_t key;
    int grants;              /* OwnershipControls: Rules seen */
    char ver[72];            /* Delete: the Object's VersionId, "" none */
    char cond[3][72];        /* Delete: the Object's ETag, Size, LastModifiedTime, "" none */
    cn_buf_t value;          /* Tagging: the Tag's Value */
    char perm[32];           /* OwnershipControls: the mode */
    char grantee_uri[128];
    char xsi_type[32];       /* xsi:type of the element just opened, "" when none */
    gw_xml_grant_t grant;    /* the Grant being read */
    int grantee_seen;
    gw_cors_rule_t *rule;    /* CORSConfiguration: the CORSRule being read, NULL past 100 */
    gw_lc_rule_t *lc;        /* LifecycleConfiguration: the Rule being read, NULL past 1000 */
    uint64_t seen[XIN_MAX_DEPTH]; /* LifecycleConfiguration: the children seen of each open
                                     element, one bit each (lc_elems) */
};

static void fail(struct xin *x)
{
    x->bad = 1;
    XML_StopParser(x->parser, XML_FALSE);
}

static int name_is(const struct xin *x, int level, const char *want)
{
    return level >= 0 && level < x->depth && strcmp(x->names[level], want) == 0;
}

static void XMLCALL on_start_el(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xin *x = ud;
    const char *local = strrchr(name, '|');
    local = local ? local + 1 : name;
    if (x->bad)
        return;
    x->xsi_type[0] = '\0';
    for (size_t i = 0; atts && atts[i] && atts[i + 1]; i += 2) {
        const char *an = strrchr(atts[i], '|');

        if (strcmp(an ? an + 1 : atts[i], "type") == 0)
            snprintf(x->xsi_type, sizeof(x->xsi_type), "%s", atts[i + 1]);
    }
    if (x->depth >= XIN_MAX_DEPTH) {
        fail(x);
        return;
    }
    if (strlen(local) < XIN_NAME_MAX)
        strcpy(x->names[x->depth], local);
    else
        x->names[x->depth][0] = '\0';
    x->depth++;
    cn_buf_reset(&x->text);
    if (x->on_start)
        x->on_start(x);
}

static void XMLCALL on_end_el(void *ud, const XML_Char *name)
{
    struct xin *x = ud;
    (void)name;
    if (x->bad)
        return;
    if (x->on_end)
        x->on_end(x, x->text.data ? x->text.data : "", x->text.len);
    x->depth--;
    cn_buf_reset(&x->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xin *x = ud;
    if (x->bad)
        return;
    if (x->text.len + (size_t)len > XIN_TEXT_MAX) {
        fail(x);
        return;
    }
    cn_buf_append(&x->text, s, (size_t)len);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *entityName, int is_parameter_entity,
                                   const XML_Char *value, int value_length, const XML_Char *base,
                                   const XML_Char *systemId, const XML_Char *publicId,
                                   const XML_Char *notationName)
{
    fail(ud);
}

/* Runs the parser over the whole body. Returns 0 or CN_EINVAL. */
static int xin_run(struct xin *x, const char *p, size_t n)
{
    int rc = 0;

    if (n > INT32_MAX)
        return CN_EINVAL;
    x->parser = XML_ParserCreateNS(NULL, '|');
    if (!x->parser)
        return CN_ENOMEM;
    cn_buf_init(&x->text);
    XML_SetUserData(x->parser, x);
    XML_SetElementHandler(x->parser, on_start_el, on_end_el);
    XML_SetCharacterDataHandler(x->parser, on_text);
    XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
    XML_SetEntityDeclHandler(x->parser, on_entity_decl);
    if (XML_Parse(x->parser, p ? p : "", (int)n, XML_TRUE) != XML_STATUS_OK || x->bad)
        rc = CN_EINVAL;
    XML_ParserFree(x->parser);
    cn_buf_dispose(&x->text);
    return rc;
}

static int parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 10)
        return CN_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return CN_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return CN_EINVAL;
    *out = (uint32_t)v;
    return 0;
}

/* Strips white space and one pair of quotes (clients send the ETag as they got it). */
static int copy_etag(const char *s, size_t n, char *out, size_t outlen)
{
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        s++, n -= 2;
    if (n == 0 || n >= outlen)
        return CN_EINVAL;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int text_is_true(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    return n == 4 && strncmp(s, "true", 4) == 0;
}

static int text_is_false(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    return n == 5 && strncmp(s, "false", 5) == 0;
}

/* ---- CompleteMultipartUpload ----------------------------------------------------------- */

struct parts_out {
    gw_xml_part_t *v;
    size_t n, cap;
};

static void complete_start(struct xin *x)
{
    if (x->depth == 1 && !name_is(x, 0, "CompleteMultipartUpload"))
        fail(x);
    else if (x->depth == 2 && !name_is(x, 1, "Part"))
        fail(x);
    else if (x->depth == 2) {
        x->have_num = x->have_etag = 0;
        x->ck_elem[0] = x->ck_val[0] = '\0';
    }
}

/* A part's Checksum<ALG> element (ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME,
 * ChecksumSHA1, ChecksumSHA256): 1 */
static int is_checksum_elem(const struct xin *x)
{
    static const char *const names[] = {"ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
                                        "ChecksumSHA1", "ChecksumSHA256"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (name_is(x, 2, names[i]))
            return 1;
    return 0;
}

static void complete_end(struct xin *x, const char *t, size_t n)
{
    struct parts_out *o = x->out;
    if (x->depth == 3 && name_is(x, 2, "PartNumber")) {
        if (x->have_num || parse_u32(t, n, GW_MPU_MAX_PARTS, &x->num) != 0 || x->num == 0)
            fail(x);
        x->have_num = 1;
    } else if (x->depth == 3 && name_is(x, 2, "ETag")) {
        if (x->have_etag || copy_etag(t, n, x->etag, sizeof(x->etag)) != 0)
            fail(x);
        x->have_etag = 1;
    } else if (x->depth == 3 && is_checksum_elem(x)) {
        if (x->ck_elem[0] || copy_etag(t, n, x->ck_val, sizeof(x->ck_val)) != 0)
            fail(x);
        snprintf(x->ck_elem, sizeof(x->ck_elem), "%.23s", x->names[2]); /* names fit */
    } else if (x->depth == 2) {
        if (!x->have_num || !x->have_etag || o->n >= GW_MPU_MAX_PARTS) {
            fail(x);
            return;
        }
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 16;
            o->v = cn_realloc(o->v, o->cap * sizeof(*o->v));
        }
        o->v[o->n].number = x->num;
        memcpy(o->v[o->n].etag, x->etag, sizeof(x->etag));
        memcpy(o->v[o->n].checksum_elem, x->ck_elem, sizeof(x->ck_elem));
        memcpy(o->v[o->n].checksum, x->ck_val, sizeof(x->ck_val));
        o->n++;
    }
}

int gw_xml_parse_complete(const char *p, size_t n, gw_xml_part_t **parts, size_t *nparts)
{
    struct parts_out o = {0};
    struct xin x = {0};
    int rc;

    x.on_start = complete_start;
    x.on_end = complete_end;
    x.out = &o;
    rc = xin_run(&x, p, n);
    if (rc == 0 && o.n == 0)
        rc = CN_EINVAL;
    if (rc != 0) {
        cn_free(o.v);
        *parts = NULL;
        *nparts = 0;
        return rc;
    }
    *parts = o.v;
    *nparts = o.n;
    return 0;
}

/* ---- Delete -------------------------------------------------------------------------- */

static void delete_start(struct xin *x)
{
    gw_xml_delete_t *d = x->out;
    if (x->depth == 1 && !name_is(x, 0, "Delete"))
        fail(x);
    else if (x->depth == 2 && name_is(x, 1, "Object")) {
        if (d->n >= GW_DELETE_MAX_KEYS)
            fail(x);
        x->have_key = 0;
        x->ver[0] = '\0';
        memset(x->cond, 0, sizeof(x->cond));
    } else if (x->depth == 2 && !name_is(x, 1, "Quiet"))
        fail(x);
}

static void delete_end(struct xin *x, const char *t, size_t n)
{
    gw_xml_delete_t *d = x->out;
    if (x->depth == 2 && name_is(x, 1, "Quiet")) {
        d->quiet = text_is_true(t, n);
    } else if (x->depth == 3 && name_is(x, 2, "Key")) {
        if (x->have_key || n == 0 || n > 1024 || memchr(t, '\0', n)) {
            fail(x);
            return;
        }
        cn_buf_reset(&x->key);
        cn_buf_append(&x->key, t, n);
        x->have_key = 1;
    } else if (x->depth == 3 && name_is(x, 2, "VersionId")) {
        /* its form is the caller's to judge (a per-key error, as S3) */
        if (x->ver[0] || n == 0 || n >= sizeof(x->ver) || memchr(t, '\0', n)) {
            fail(x);
            return;
        }
        memcpy(x->ver, t, n);
        x->ver[n] = '\0';
    } else if (x->depth == 3 && (name_is(x, 2, "ETag") || name_is(x, 2, "Size") ||
                                 name_is(x, 2, "LastModifiedTime"))) {
        /* a condition of the delete (gateway/s3/s3_wcond.h judges its form) */
        char *c = x->cond[name_is(x, 2, "ETag") ? 0 : name_is(x, 2, "Size") ? 1 : 2];
        if (c[0] || n == 0 || n >= sizeof(x->cond[0]) || memchr(t, '\0', n)) {
            fail(x);
            return;
        }
        memcpy(c, t, n);
        c[n] = '\0';
    } else if (x->depth == 2 && name_is(x, 1, "Object")) {
        if (!x->have_key) {
            fail(x);
            return;
        }
        d->keys = cn_realloc(d->keys, (d->n + 1) * sizeof(*d->keys));
        d->key_lens = cn_realloc(d->key_lens, (d->n + 1) * sizeof(*d->key_lens));
        d->vids = cn_realloc(d->vids, (d->n + 1) * sizeof(*d->vids));
        d->conds = cn_realloc(d->conds, (d->n + 1) * sizeof(*d->conds));
        for (int c = 0; c < 3; c++)
            d->conds[d->n][c] = x->cond[c][0] ? cn_strdup(x->cond[c]) : NULL;
        d->keys[d->n] = cn_strndup(x->key.data, x->key.len);
        d->key_lens[d->n] = x->key.len;
        d->vids[d->n] = x->ver[0] ? cn_strdup(x->ver) : NULL;
        d->n++;
    }
}

int gw_xml_parse_delete(const char *p, size_t n, gw_xml_delete_t *out)
{
    struct xin x = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    cn_buf_init(&x.key);
    x.on_start = delete_start;
    x.on_end = delete_end;
    x.out = out;
    rc = xin_run(&x, p, n);
    cn_buf_dispose(&x.key);
    if (rc == 0 && out->n == 0)
        rc = CN_EINVAL;
    return rc;
}

void gw_xml_delete_dispose(gw_xml_delete_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        cn_free(d->keys[i]);
        cn_free(d->vids[i]);
        for (int c = 0; c < 3; c++)
            cn_free(d->conds[i][c]);
    }
    cn_free(d->conds);
    cn_free(d->keys);
    cn_free(d->key_lens);
    cn_free(d->vids);
    memset(d, 0, sizeof(*d));
}

/* ---- AccessControlPolicy ------------------------------------------------------------- */

static void acl_start(struct xin *x)
{
    gw_xml_acl_t *a = x->out;

    if (x->depth == 1 && !name_is(x, 0, "AccessControlPolicy")) {
        fail(x);
    } else if (x->depth == 3 && name_is(x, 1, "AccessControlList") && name_is(x, 2, "Grant")) {
        memset(&x->grant, 0, sizeof(x->grant));
        x->grant.type = -1;
        x->grantee_seen = 0;
        if (a->n >= GW_XML_ACL_MAX)
            fail(x);
    } else if (x->depth == 4 && name_is(x, 2, "Grant") && name_is(x, 3, "Grantee")) {
        if (x->grantee_seen++)
            fail(x);
        else if (strcmp(x->xsi_type, "CanonicalUser") == 0)
            x->grant.type = GW_XML_GRANTEE_ID;
        else if (strcmp(x->xsi_type, "AmazonCustomerByEmail") == 0)
            x->grant.type = GW_XML_GRANTEE_EMAIL;
        else if (strcmp(x->xsi_type, "Group") == 0)
            x->grant.type = GW_XML_GRANTEE_GROUP;
        else if (x->xsi_type[0] != '\0')
            fail(x); /* without xsi:type, the element inside says (acl_end) */
    }
}

/* Copies text t[0..n) into dst (cap bytes); a value that does not fit keeps cap - 1 bytes,
 * which no id, address or URI matches. A second value for one field is malformed. */
static void acl_value(struct xin *x, char *dst, size_t cap, const char *t, size_t n)
{
    if (dst[0] != '\0' || n == 0) {
        fail(x);
        return;
    }
    snprintf(dst, cap, "%.*s", (int)(n < cap ? n : cap - 1), t);
}

static void acl_end(struct xin *x, const char *t, size_t n)
{
    gw_xml_acl_t *a = x->out;
    gw_xml_grant_t *g = &x->grant;

    if (x->depth == 3 && name_is(x, 1, "Owner") && name_is(x, 2, "ID")) {
        acl_value(x, a->owner, sizeof(a->owner), t, n);
        a->has_owner = 1;
    } else if (x->depth == 5 && name_is(x, 2, "Grant") && name_is(x, 3, "Grantee")) {
        if (g->type < 0)
            g->type = name_is(x, 4, "ID")             ? GW_XML_GRANTEE_ID
                      : name_is(x, 4, "EmailAddress") ? GW_XML_GRANTEE_EMAIL
                      : name_is(x, 4, "URI")          ? GW_XML_GRANTEE_GROUP
                                                      : -1;
        if ((g->type == GW_XML_GRANTEE_ID && name_is(x, 4, "ID")) ||
            (g->type == GW_XML_GRANTEE_EMAIL && name_is(x, 4, "EmailAddress")) ||
            (g->type == GW_XML_GRANTEE_GROUP && name_is(x, 4, "URI")))
            acl_value(x, g->value, sizeof(g->value), t, n);
        else if (!name_is(x, 4, "DisplayName"))
            fail(x); /* an element of another type of grantee, or an unknown one */
    } else if (x->depth == 4 && name_is(x, 2, "Grant") && name_is(x, 3, "Permission")) {
        acl_value(x, g->perm, sizeof(g->perm), t, n);
    } else if (x->depth == 3 && name_is(x, 1, "AccessControlList") && name_is(x, 2, "Grant")) {
        unsigned bits;

        if (g->type < 0 || g->value[0] == '\0' ||
            cn_acl_perm_parse(g->perm, strlen(g->perm), &bits) != 0)
            fail(x);
        else
            a->grants[a->n++] = *g;
    }
}

int gw_xml_parse_acl(const char *p, size_t n, gw_xml_acl_t *out)
{
    struct xin x = {0};

    memset(out, 0, sizeof(*out));
    x.on_start = acl_start;
    x.on_end = acl_end;
    x.out = out;
    return xin_run(&x, p, n);
}

/* ---- CreateBucketConfiguration ------------------------------------------------------- */

static void loc_start(struct xin *x)
{
    if (x->depth == 1 && !name_is(x, 0, "CreateBucketConfiguration"))
        fail(x);
}

static void loc_end(struct xin *x, const char *t, size_t n)
{
    if (x->depth == 2 && name_is(x, 1, "LocationConstraint")) {
        if (n >= sizeof(x->grantee_uri))
            fail(x);
        else
            snprintf(x->grantee_uri, sizeof(x->grantee_uri), "%.*s", (int)n, t);
    }
}

int gw_xml_parse_location(const char *p, size_t n, char *region, size_t region_len)
{
    struct xin x = {0};
    int rc;

    region[0] = '\0';
    while (n && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++, n--;
    if (n == 0)
        return 0;
    x.on_start = loc_start;
    x.on_end = loc_end;
    if ((rc = xin_run(&x, p, n)) != 0)
        return rc;
    snprintf(region, region_len, "%s", x.grantee_uri);
    return 0;
}

/* ---- PublicAccessBlockConfiguration ------------------------------------------------------ */

static const char *const pab_names[] = {"BlockPublicAcls", "IgnorePublicAcls",
                                        "BlockPublicPolicy", "RestrictPublicBuckets"};

static void pab_start(struct xin *x)
{
    if (x->depth == 1 && !name_is(x, 0, "PublicAccessBlockConfiguration"))
        fail(x);
    if (x->depth > 2)
        fail(x);
}

static void pab_end(struct xin *x, const char *t, size_t n)
{
    if (x->depth != 2)
        return;
    for (unsigned i = 0; i < 4; i++) {
        if (!name_is(x, 1, pab_names[i]))
            continue;
        if (x->num & (1u << (i + 4))) { /* given twice */
            fail(x);
        } else if (n == 4 && strncasecmp(t, "true", 4) == 0) {
            x->num |= (1u << i) | (1u << (i + 4));
        } else if (n == 5 && strncasecmp(t, "false", 5) == 0) {
            x->num |= 1u << (i + 4);
        } else {
            fail(x);
        }
        return;
    }
    fail(x); /* an element S3 does not know here */
}

int gw_xml_parse_pab(const char *p, size_t n, unsigned *flags)
{
    struct xin x = {0};
    int rc;

    x.on_start = pab_start;
    x.on_end = pab_end;
    if ((rc = xin_run(&x, p, n)) != 0)
        return rc;
    *flags = x.num & 0xfu;
    return 0;
}

/* ---- OwnershipControls ------------------------------------------------------------------- */

static void own_start(struct xin *x)
{
    if ((x->depth == 1 && !name_is(x, 0, "OwnershipControls")) ||
        (x->depth == 2 && !name_is(x, 1, "Rule")) ||
        (x->depth == 3 && !name_is(x, 2, "ObjectOwnership")) || x->depth > 3)
        fail(x);
    if (x->depth == 2 && x->grants++ > 0)
        fail(x); /* exactly one Rule */
}

static void own_end(struct xin *x, const char *t, size_t n)
{
    if (x->depth != 3)
        return;
    if (x->have_key || n >= sizeof(x->perm)) {
        fail(x);
        return;
    }
    snprintf(x->perm, sizeof(x->perm), "%.*s", (int)n, t);
    x->have_key = 1;
}

int gw_xml_parse_ownership(const char *p, size_t n, char mode[32])
{
    struct xin x = {0};
    int rc;

    x.on_start = own_start;
    x.on_end = own_end;
    if ((rc = xin_run(&x, p, n)) != 0)
        return rc;
    if (!x.have_key || (strcmp(x.perm, "BucketOwnerEnforced") != 0 &&
                        strcmp(x.perm, "BucketOwnerPreferred") != 0 &&
                        strcmp(x.perm, "ObjectWriter") != 0))
        return CN_EINVAL;
    snprintf(mode, 32, "%s", x.perm);
    return 0;
}

/* ---- VersioningConfiguration -------------------------------------------------------------- */

static void ver_start(struct xin *x)
{
    if ((x->depth == 1 && !name_is(x, 0, "VersioningConfiguration")) ||
        (x->depth == 2 && !name_is(x, 1, "Status") && !name_is(x, 1, "MfaDelete")) ||
        x->depth > 2)
        fail(x);
}

static void ver_end(struct xin *x, const char *t, size_t n)
{
    if (x->depth != 2)
        return;
    if (name_is(x, 1, "Status")) {
        if (x->have_key || n >= sizeof(x->perm)) {
            fail(x);
            return;
        }
        snprintf(x->perm, sizeof(x->perm), "%.*s", (int)n, t);
        x->have_key = 1;
    } else if (n == 7 && memcmp(t, "Enabled", 7) == 0) {
        x->num = GW_XML_MFA_ENABLED;
    } else if (!(n == 8 && memcmp(t, "Disabled", 8) == 0)) {
        fail(x);
    }
}

int gw_xml_parse_versioning(const char *p, size_t n, int *status, unsigned *mfa)
{
    struct xin x = {0};
    int rc;

    x.on_start = ver_start;
    x.on_end = ver_end;
    if ((rc = xin_run(&x, p, n)) != 0)
        return rc;
    *mfa = x.num;
    if (!x.have_key)
        *status = 0; /* no Status: the state is left as it is */
    else if (strcmp(x.perm, "Enabled") == 0)
        *status = GW_XML_VER_ENABLED;
    else if (strcmp(x.perm, "Suspended") == 0)
        *status = GW_XML_VER_SUSPENDED;
    else
        return CN_EINVAL;
    return 0;
}

/* ---- Tagging ----------------------------------------------------------------------------- */

static void tagging_start(struct xin *x)
{
    static const char *const at[] = {"Tagging", "TagSet", "Tag"};

    if (x->depth > 4 || (x->depth <= 3 && !name_is(x, x->depth - 1, at[x->depth - 1])) ||
        (x->depth == 4 && !name_is(x, 3, "Key") && !name_is(x, 3, "Value"))) {
        fail(x);
        return;
    }
    if (x->depth == 2 && x->grants++ > 0)
        fail(x); /* exactly one TagSet */
    if (x->depth == 3) {
        x->have_key = x->have_etag = 0;
        cn_buf_reset(&x->key);
        cn_buf_reset(&x->value);
    }
}

static void tagging_end(struct xin *x, const char *t, size_t n)
{
    int value = name_is(x, 3, "Value");

    if (x->depth == 4) {
        if (value ? x->have_etag : x->have_key) {
            fail(x); /* a Key or Value twice */
            return;
        }
        cn_buf_append(value ? &x->value : &x->key, t, n);
        *(value ? &x->have_etag : &x->have_key) = 1;
    } else if (x->depth == 3) {
        if (!x->have_key || !x->have_etag) {
            fail(x);
            return;
        }
        gw_tags_add(x->out, x->key.len ? x->key.data : "", x->key.len,
                    x->value.len ? x->value.data : "", x->value.len);
    }
}

int gw_xml_parse_tagging(const char *p, size_t n, gw_tags_t *out)
{
    struct xin x = {0};
    int rc;

    gw_tags_dispose(out);
    cn_buf_init(&x.key);
    cn_buf_init(&x.value);
    x.on_start = tagging_start;
    x.on_end = tagging_end;
    x.out = out;
    rc = xin_run(&x, p, n);
    cn_buf_dispose(&x.key);
    cn_buf_dispose(&x.value);
    if (rc == 0 && x.grants != 1)
        rc = CN_EINVAL;
    if (rc != 0)
        gw_tags_dispose(out);
    return rc;
}

/* ---- CORSConfiguration ------------------------------------------------------------------- */

static const char *const cors_members[] = {"ID", "AllowedOrigin", "AllowedMethod",
                                           "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"};

static void cors_start(struct xin *x)
{
    int known = 0;

    if (x->depth == 1 && !name_is(x, 0, "CORSConfiguration")) {
        fail(x);
    } else if (x->depth == 2) {
        if (!name_is(x, 1, "CORSRule")) {
            fail(x);
            return;
        }
        x->rule = gw_cors_add_rule(x->out); /* NULL past the limit: counted, then refused */
        x->have_key = x->have_num = 0;
    } else if (x->depth == 3) {
        for (size_t i = 0; i < sizeof(cors_members) / sizeof(cors_members[0]); i++)
            known |= name_is(x, 2, cors_members[i]);
        if (!known)
            fail(x);
    } else if (x->depth > 3) {
        fail(x);
    }
}

static void cors_end(struct xin *x, const char *t, size_t n)
{
    gw_cors_rule_t *rule = x->rule;
    uint32_t age;

    if (x->depth != 3)
        return;
    if (name_is(x, 2, "ID")) {
        if (x->have_key++) {
            fail(x); /* one ID a rule */
        } else if (rule != NULL) {
            rule->id = cn_strndup(t, n);
        }
    } else if (name_is(x, 2, "MaxAgeSeconds")) {
        if (x->have_num++ || parse_u32(t, n, INT32_MAX, &age) != 0)
            fail(x); /* at most one, an integer (a negative one means nothing to a browser) */
        else if (rule != NULL)
            rule->max_age = (long)age;
    } else if (rule != NULL) {
        gw_cors_list_add(name_is(x, 2, "AllowedOrigin")   ? &rule->origins
                         : name_is(x, 2, "AllowedMethod") ? &rule->methods
                         : name_is(x, 2, "AllowedHeader") ? &rule->headers
                                                          : &rule->expose,
                         t, n);
    }
}

int gw_xml_parse_cors(const char *p, size_t n, gw_cors_t *out)
{
    struct xin x = {0};
    int rc;

    gw_cors_dispose(out);
    x.on_start = cors_start;
    x.on_end = cors_end;
    x.out = out;
    if ((rc = xin_run(&x, p, n)) != 0)
        gw_cors_dispose(out);
    return rc;
}

/* ---- LifecycleConfiguration -------------------------------------------------------------- */

/* The elements of a lifecycle configuration: where each may appear (its parent's name) and
 * whether it may repeat there. An element's bit in seen[] is its index. */
static const struct lc_elem {
    const char *parent, *name;
    int repeat;
} lc_elems[] = {
    {"LifecycleConfiguration", "Rule", 1},
    {"Rule", "ID", 0},
    {"Rule", "Prefix", 0},
    {"Rule", "Status", 0},
    {"Rule", "Filter", 0},
    {"Rule", "Expiration", 0},
    {"Rule", "NoncurrentVersionExpiration", 0},
    {"Rule", "AbortIncompleteMultipartUpload", 0},
    {"Rule", "Transition", 1},
    {"Rule", "NoncurrentVersionTransition", 1},
    {"Filter", "Prefix", 0},
    {"Filter", "Tag", 0},
    {"Filter", "And", 0},
    {"Filter", "ObjectSizeGreaterThan", 0},
    {"Filter", "ObjectSizeLessThan", 0},
    {"And", "Prefix", 0},
    {"And", "Tag", 1},
    {"And", "ObjectSizeGreaterThan", 0},
    {"And", "ObjectSizeLessThan", 0},
    {"Tag", "Key", 0},
    {"Tag", "Value", 0},
    {"Expiration", "Days", 0},
    {"Expiration", "Date", 0},
    {"Expiration", "ExpiredObjectDeleteMarker", 0},
    {"NoncurrentVersionExpiration", "NoncurrentDays", 0},
    {"NoncurrentVersionExpiration", "NewerNoncurrentVersions", 0},
    {"AbortIncompleteMultipartUpload", "DaysAfterInitiation", 0},
    {"Transition", "Days", 0},
    {"Transition", "Date", 0},
    {"Transition", "StorageClass", 0},
    {"NoncurrentVersionTransition", "NoncurrentDays", 0},
    {"NoncurrentVersionTransition", "NewerNoncurrentVersions", 0},
    {"NoncurrentVersionTransition", "StorageClass", 0},
};

static_assert(sizeof(lc_elems) / sizeof(lc_elems[0]) <= 64, "one bit of seen[] each");

static void lc_start(struct xin *x)
{
    int d = x->depth - 1; /* the element just opened */
    size_t i, n = sizeof(lc_elems) / sizeof(lc_elems[0]);

    if (d == 0) {
        if (!name_is(x, 0, "LifecycleConfiguration"))
            fail(x);
        x->seen[0] = 0;
        return;
    }
    for (i = 0; i < n; i++)
        if (name_is(x, d - 1, lc_elems[i].parent) && name_is(x, d, lc_elems[i].name))
            break;
    if (i == n || (name_is(x, d - 1, "Filter") && x->seen[d - 1] != 0) ||
        (!lc_elems[i].repeat && (x->seen[d - 1] & (1ull << i)))) {
        fail(x); /* unknown, in the wrong place, twice, or a Filter of two conditions */
        return;
    }
    x->seen[d - 1] |= 1ull << i;
    x->seen[d] = 0;
    if (name_is(x, d, "Rule")) {
        x->lc = gw_lc_add_rule(x->out); /* NULL past the limit: counted, then refused */
    } else if (name_is(x, d, "Tag")) {
        x->have_key = x->have_etag = 0;
        cn_buf_reset(&x->key);
        cn_buf_reset(&x->value);
    } else if (x->lc != NULL) {
        x->lc->has_filter |= name_is(x, d, "Filter");
        x->lc->has_expiration |= name_is(x, d, "Expiration");
        x->lc->has_noncurrent |= name_is(x, d, "NoncurrentVersionExpiration");
        x->lc->has_abort |= name_is(x, d, "AbortIncompleteMultipartUpload");
        x->lc->transitions += name_is(x, d, "Transition") ||
                              name_is(x, d, "NoncurrentVersionTransition");
    }
}

/* A signed integer, blanks around it: 0 with *out, or CN_EINVAL (not one, or past 18 digits). */
static int parse_i64(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    int neg = 0;

    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++, n--;
    }
    if (n == 0 || n > 18)
        return CN_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return CN_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static void lc_end(struct xin *x, const char *t, size_t n)
{
    gw_lc_rule_t *rule = x->lc;
    int d = x->depth - 1;
    int64_t v = 0;
    char **str = NULL;
    int64_t *num = NULL;

    if (name_is(x, d, "Key") || name_is(x, d, "Value")) {
        cn_buf_append(name_is(x, d, "Value") ? &x->value : &x->key, t, n);
        *(name_is(x, d, "Value") ? &x->have_etag : &x->have_key) = 1;
        return;
    }
    if (name_is(x, d, "Tag") && !name_is(x, d - 1, "Rule")) {
        if (!x->have_key || !x->have_etag)
            fail(x);
        else if (rule != NULL)
            gw_tags_add(&rule->tags, x->key.len ? x->key.data : "", x->key.len,
                        x->value.len ? x->value.data : "", x->value.len);
        return;
    }
    if (rule == NULL || d < 2 || name_is(x, d - 1, "Transition") ||
        name_is(x, d - 1, "NoncurrentVersionTransition"))
        return;
    if (name_is(x, d - 1, "Rule"))
        str = name_is(x, d, "ID")       ? &rule->id
              : name_is(x, d, "Prefix") ? &rule->prefix
              : name_is(x, d, "Status") ? &rule->status
                                        : NULL;
    else if (name_is(x, d, "Prefix"))
        str = &rule->filter_prefix;
    else if (name_is(x, d, "Date"))
        str = &rule->date;
    if (str != NULL) {
        if (memchr(t, '\0', n) != NULL) {
            fail(x);
            return;
        }
        cn_free(*str);
        *str = cn_strndup(t, n);
        return;
    }
    if (name_is(x, d, "ExpiredObjectDeleteMarker")) {
        rule->marker = text_is_true(t, n);
        if (!rule->marker && !text_is_false(t, n))
            fail(x); /* xsd:boolean as S3 reads it: true or false */
        return;
    }
    num = name_is(x, d, "Days")                      ? &rule->days
          : name_is(x, d, "NoncurrentDays")          ? &rule->noncurrent_days
          : name_is(x, d, "NewerNoncurrentVersions") ? &rule->newer_noncurrent
          : name_is(x, d, "DaysAfterInitiation")     ? &rule->abort_days
          : name_is(x, d, "ObjectSizeGreaterThan")   ? &rule->size_gt
          : name_is(x, d, "ObjectSizeLessThan")      ? &rule->size_lt
                                                     : NULL;
    if (num == NULL)
        return; /* a container: Filter, And, Expiration... */
    if (parse_i64(t, n, &v) != 0 ||
        (num != &rule->size_gt && num != &rule->size_lt && (v > INT32_MAX || v < INT32_MIN)))
        fail(x); /* not an integer, or past S3's xsd:int (its sizes are xsd:long) */
    else
        *num = v;
}

int gw_xml_parse_lifecycle(const char *p, size_t n, gw_lc_t *out)
{
    struct xin x = {0};
    int rc;

    gw_lc_dispose(out);
    cn_buf_init(&x.key);
    cn_buf_init(&x.value);
    x.on_start = lc_start;
    x.on_end = lc_end;
    x.out = out;
    rc = xin_run(&x, p, n);
    cn_buf_dispose(&x.key);
    cn_buf_dispose(&x.value);
    if (rc != 0)
        gw_lc_dispose(out);
    return rc;
}

/* ---- Object Lock documents ------------------------------------------------------------- */

struct lock_doc {
    const char *const *paths; /* "Root/A/B", in the order of the GW_X* constants */
    size_t n;
    unsigned *seen;           /* bit k: path k was there */
    char *val;                /* leaf k's text at val + k * val_len, NUL-terminated */
    size_t val_len;
};

/* The index of the open element's path in d (the root's own path is ""), or -1. */
static int lock_path(const struct xin *x, const struct lock_doc *d)
{
    char path[XIN_MAX_DEPTH * XIN_NAME_MAX];
    size_t len = 0;

    path[0] = '\0';
    for (int i = 1; i < x->depth; i++)
        len += (size_t)snprintf(path + len, sizeof(path) - len, "%s%s", i > 1 ? "/" : "",
                                x->names[i]);
    for (size_t k = 0; k < d->n; k++)
        if (strcmp(path, d->paths[k]) == 0)
            return (int)k;
    return -1;
}

/* 1 when path k of d has no path below it */
static int lock_leaf(const struct lock_doc *d, size_t k)
{
    size_t l = strlen(d->paths[k]);

    for (size_t j = 0; j < d->n; j++)
        if (strncmp(d->paths[j], d->paths[k], l) == 0 && d->paths[j][l] == '/')
            return 0;
    return 1;
}

static void lock_start(struct xin *x)
{
    const struct lock_doc *d = x->out;
    int k;

    if (x->depth == 1) {
        if (!name_is(x, 0, d->paths[d->n])) /* the root's name follows the paths */
            fail(x);
        return;
    }
    if ((k = lock_path(x, d)) < 0 || (*d->seen & (1u << k)))
        fail(x);
    else
        *d->seen |= 1u << k;
}

static void lock_end(struct xin *x, const char *t, size_t n)
{
    const struct lock_doc *d = x->out;
    int k;

    if (x->depth == 1 || (k = lock_path(x, d)) < 0 || !lock_leaf(d, (size_t)k))
        return;
    if (n >= d->val_len) {
        fail(x);
        return;
    }
    memcpy(d->val + (size_t)k * d->val_len, t, n);
    d->val[(size_t)k * d->val_len + n] = '\0';
}

static int paths_run(struct lock_doc *d, const char *p, size_t len)
{
    struct xin x = {0};

    x.on_start = lock_start;
    x.on_end = lock_end;
    x.out = d;
    return xin_run(&x, p, len);
}

static int lock_run(const char *const *paths, size_t n, const char *p, size_t len,
                    gw_xml_lock_t *out)
{
    struct lock_doc d = {paths, n, &out->seen, &out->val[0][0], GW_XML_LOCK_VAL};

    memset(out, 0, sizeof(*out));
    return paths_run(&d, p, len);
}

int gw_xml_parse_object_lock(const char *p, size_t n, gw_xml_lock_t *out)
{
    static const char *const paths[] = {
        "ObjectLockEnabled", "Rule", "Rule/DefaultRetention", "Rule/DefaultRetention/Mode",
        "Rule/DefaultRetention/Days", "Rule/DefaultRetention/Years", "ObjectLockConfiguration"};

    return lock_run(paths, 6, p, n, out);
}

int gw_xml_parse_retention(const char *p, size_t n, gw_xml_lock_t *out)
{
    static const char *const paths[] = {"Mode", "RetainUntilDate", "Retention"};

    return lock_run(paths, 2, p, n, out);
}

int gw_xml_parse_legal_hold(const char *p, size_t n, gw_xml_lock_t *out)
{
    static const char *const paths[] = {"Status", "LegalHold"};

    return lock_run(paths, 1, p, n, out);
}

int gw_xml_parse_sse_conf(const char *p, size_t n, gw_xml_sse_t *out)
{
    static const char *const paths[] = {
        "Rule", "Rule/ApplyServerSideEncryptionByDefault",
        "Rule/ApplyServerSideEncryptionByDefault/SSEAlgorithm",
        "Rule/ApplyServerSideEncryptionByDefault/KMSMasterKeyID", "Rule/BucketKeyEnabled",
        "ServerSideEncryptionConfiguration"};
    struct lock_doc d = {paths, GW_XSE_PATHS, &out->seen, &out->val[0][0], GW_XML_SSE_VAL};

    memset(out, 0, sizeof(*out));
    return paths_run(&d, p, n);
}

/* ---- BucketLoggingStatus ------------------------------------------------------------------ */

static const char *const logging_members[] = {"TargetBucket", "TargetPrefix", "TargetGrants",
                                              "TargetObjectKeyFormat"};

static void logging_start(struct xin *x)
{
    gw_xml_logging_t *l = x->out;
    int known = 0;

    if ((x->depth == 1 && !name_is(x, 0, "BucketLoggingStatus")) ||
        (x->depth == 2 && (!name_is(x, 1, "LoggingEnabled") || l->enabled++))) {
        fail(x); /* one LoggingEnabled at most */
    } else if (x->depth == 3) {
        for (size_t i = 0; i < sizeof(logging_members) / sizeof(logging_members[0]); i++)
            known |= name_is(x, 2, logging_members[i]);
        if (!known)
            fail(x);
        else if (name_is(x, 2, "TargetGrants"))
            l->has_grants = 1;
    } else if (x->depth == 4 && name_is(x, 2, "TargetObjectKeyFormat")) {
        if (name_is(x, 3, "PartitionedPrefix"))
            l->partitioned = 1;
        else if (!name_is(x, 3, "SimplePrefix"))
            fail(x);
    }
    /* deeper: a grant's or a partitioned prefix's members, refused whole by the caller */
}

static void logging_end(struct xin *x, const char *t, size_t n)
{
    gw_xml_logging_t *l = x->out;

    if (x->depth != 3)
        return;
    if (name_is(x, 2, "TargetBucket")) {
        while (n && (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t'))
            t++, n--;
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == '\t'))
            n--;
        if (x->have_key++ || n == 0 || n >= sizeof(l->bucket) || memchr(t, '\0', n) != NULL)
            fail(x);
        else
            snprintf(l->bucket, sizeof(l->bucket), "%.*s", (int)n, t);
    } else if (name_is(x, 2, "TargetPrefix")) {
        if (x->have_etag++ || n >= sizeof(l->prefix) || memchr(t, '\0', n) != NULL)
            fail(x);
        else
            snprintf(l->prefix, sizeof(l->prefix), "%.*s", (int)n, t);
    }
}

int gw_xml_parse_logging(const char *p, size_t n, gw_xml_logging_t *out)
{
    struct xin x = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    x.on_start = logging_start;
    x.on_end = logging_end;
    x.out = out;
    if ((rc = xin_run(&x, p, n)) == 0 && out->enabled && (!x.have_key || !x.have_etag))
        rc = CN_EINVAL; /* LoggingEnabled needs both (S3's schema) */
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}
