/*
 * gateway/s3/s3_grants.c: grants from requests, and the AccessControlPolicy answer (see
 * s3_grants.h). Grantees are resolved when the request arrives: an id must be a user's, an
 * email address becomes its user's id (S3 shows it as a CanonicalUser afterwards), a URI must
 * be one of the three groups. The errors are S3's (API reference, PutBucketAcl and
 * PutObjectAcl; the error codes list): InvalidArgument, UnresolvableGrantByEmailAddress,
 * MalformedACLError, and InvalidRequest for x-amz-acl beside grant headers.
 */
#include "gateway/s3/s3_grants.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/acl.h"
#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

/* The headers in the order their grants are listed. */
static const struct {
    const char *name;
    unsigned perm;
} grant_headers[] = {
    {"x-amz-grant-read", CN_ACL_READ},
    {"x-amz-grant-write", CN_ACL_WRITE},
    {"x-amz-grant-read-acp", CN_ACL_READ_ACP},
    {"x-amz-grant-write-acp", CN_ACL_WRITE_ACP},
    {"x-amz-grant-full-control", CN_ACL_FULL_CONTROL},
};

/* Resolves one grantee (type: enum gw_xml_grantee; v[0..n)) into g. */
static gw_s3_err_t resolve(gw_req_t *r, int type, const char *v, size_t n, unsigned perm,
                           cn_acl_grant_t *g, const char **msg)
{
    const gw_user_t *u = NULL;
    char id[CN_ACL_ID_LEN + 1];

    memset(g, 0, sizeof(*g));
    g->perm = perm;
    switch (type) {
    case GW_XML_GRANTEE_ID:
        if (cn_acl_id_valid(v, n)) {
            memcpy(id, v, n);
            id[n] = '\0';
            u = gw_mgr_user_by_id(r->srv, id);
        }
        if (u == NULL) {
            *msg = "Invalid id";
            return GW_S3_INVALID_ARGUMENT;
        }
        break;
    case GW_XML_GRANTEE_EMAIL:
        if ((u = gw_mgr_user_by_email(r->srv, v, n)) == NULL) {
            *msg = NULL;
            return GW_S3_UNRESOLVABLE_EMAIL;
        }
        break;
    default:
        if (cn_acl_group_parse(v, n, &g->type) != 0) {
            *msg = "Invalid group uri";
            return GW_S3_INVALID_ARGUMENT;
        }
        return GW_S3_OK;
    }
    g->type = CN_ACL_USER;
    snprintf(g->id, sizeof(g->id), "%s", u->id);
    return GW_S3_OK;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Appends the grants of one header value (id="...", emailAddress="...", uri="...") to out;
 * *count counts them all. */
static gw_s3_err_t header_grants(gw_req_t *r, cn_slice_t v, unsigned perm, cn_buf_t *out,
                                 size_t *count, const char **msg)
{
    const char *p = v.ptr, *end = v.ptr + v.len;

    *msg = "Invalid grant header";
    for (;;) {
        const char *k, *val;
        size_t klen, vlen;
        int type;
        cn_acl_grant_t g;
        gw_s3_err_t e;

        while (p < end && is_blank(*p))
            p++;
        for (k = p; p < end && *p != '=' && *p != ',' && !is_blank(*p); p++)
            ;
        klen = (size_t)(p - k);
        while (p < end && is_blank(*p))
            p++;
        if (klen == 0 || p == end || *p++ != '=')
            return GW_S3_INVALID_ARGUMENT;
        while (p < end && is_blank(*p))
            p++;
        if (p < end && *p == '"') {
            for (val = ++p; p < end && *p != '"'; p++)
                ;
            if (p == end)
                return GW_S3_INVALID_ARGUMENT;
            vlen = (size_t)(p++ - val);
        } else {
            for (val = p; p < end && *p != ',' && !is_blank(*p); p++)
                ;
            vlen = (size_t)(p - val);
        }
        if (klen == 2 && strncasecmp(k, "id", 2) == 0)
            type = GW_XML_GRANTEE_ID;
        else if (klen == 12 && strncasecmp(k, "emailAddress", 12) == 0)
            type = GW_XML_GRANTEE_EMAIL;
        else if (klen == 3 && strncasecmp(k, "uri", 3) == 0)
            type = GW_XML_GRANTEE_GROUP;
        else
            return GW_S3_INVALID_ARGUMENT;
        if (vlen == 0)
            return GW_S3_INVALID_ARGUMENT;
        if ((e = resolve(r, type, val, vlen, perm, &g, msg)) != GW_S3_OK)
            return e;
        if (++*count > CN_ACL_MAX_GRANTS) {
            *msg = "Too many grants: an ACL holds at most 100";
            return GW_S3_INVALID_ARGUMENT;
        }
        cn_acl_append(out, &g);
        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            return GW_S3_OK;
        if (*p++ != ',')
            return GW_S3_INVALID_ARGUMENT;
    }
}

gw_s3_err_t gw_req_read_grants(gw_req_t *r, const char **msg)
{
    gw_op_t op = r->route.op;
    cn_buf_t out;
    size_t count = 0;
    int any = 0;
    gw_s3_err_t e = GW_S3_OK;

    if (op != GW_OP_CREATE_BUCKET && op != GW_OP_PUT_OBJECT && op != GW_OP_CREATE_MULTIPART &&
        op != GW_OP_PUT_BUCKET_ACL && op != GW_OP_PUT_OBJECT_ACL)
        return GW_S3_OK;
    cn_buf_init(&out);
    for (size_t i = 0; e == GW_S3_OK && i < sizeof(grant_headers) / sizeof(grant_headers[0]);
         i++) {
        cn_slice_t v = gw_req_header(r, grant_headers[i].name);

        if (v.ptr == NULL)
            continue;
        any = 1;
        if (r->acl[0]) {
            *msg = "Specifying both Canned ACLs and Header Grants is not allowed";
            e = GW_S3_INVALID_REQUEST;
            break;
        }
        e = header_grants(r, v, grant_headers[i].perm, &out, &count, msg);
    }
    if (e == GW_S3_OK && any) {
        cn_free(r->grants);
        r->grants = cn_strdup(out.len ? out.data : "");
    }
    cn_buf_dispose(&out);
    return e;
}

gw_s3_err_t gw_grants_from_body(gw_req_t *r, cn_buf_t *out, char owner_claim[72],
                                const char **msg)
{
    gw_xml_acl_t *a = cn_calloc(1, sizeof(*a));
    gw_s3_err_t e = GW_S3_OK;

    owner_claim[0] = '\0';
    *msg = NULL;
    if (gw_xml_parse_acl(r->body.ptr, r->body.len, a) != 0) {
        cn_free(a);
        return GW_S3_MALFORMED_ACL;
    }
    snprintf(owner_claim, 72, "%s", a->owner);
    for (size_t i = 0; e == GW_S3_OK && i < a->n; i++) {
        const gw_xml_grant_t *x = &a->grants[i];
        cn_acl_grant_t g;
        unsigned perm = 0;

        cn_acl_perm_parse(x->perm, strlen(x->perm), &perm); /* checked by the parser */
        if ((e = resolve(r, x->type, x->value, strlen(x->value), perm, &g, msg)) == GW_S3_OK)
            cn_acl_append(out, &g);
    }
    cn_free(a);
    return e;
}

static void grantee_xml(gw_req_t *r, cn_buf_t *b, const cn_acl_grant_t *g)
{
    gw_xml_open(b, "Grant");
    if (g->type == CN_ACL_USER) {
        const gw_user_t *u = gw_mgr_user_by_id(r->srv, g->id);

        cn_buf_append_str(b, "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                             "xsi:type=\"CanonicalUser\">");
        gw_xml_str_elem(b, "ID", g->id);
        gw_xml_str_elem(b, "DisplayName", u ? u->user : "");
    } else {
        cn_buf_append_str(b, "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                             "xsi:type=\"Group\">");
        gw_xml_str_elem(b, "URI", cn_acl_group_uri(g->type));
    }
    gw_xml_close(b, "Grantee");
    gw_xml_str_elem(b, "Permission", cn_acl_perm_name(g->perm));
    gw_xml_close(b, "Grant");
}

void gw_acl_send_policy(gw_req_t *r, const char *owner, const char *acl, const char *grants,
                        const char *bucket_owner)
{
    cn_acl_grant_t g[CN_ACL_CANNED_MAX];
    size_t n = 0, pos = 0;
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "AccessControlPolicy", GW_S3_XMLNS);
    gw_owner_xml(r, &b, "Owner", owner);
    gw_xml_open(&b, "AccessControlList");
    if (grants != NULL && grants[0] != '\0') {
        while (cn_acl_next(grants, &pos, &g[0]) == 1)
            grantee_xml(r, &b, &g[0]);
    } else if (cn_acl_canned(acl, owner, bucket_owner, g, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            grantee_xml(r, &b, &g[i]);
    }
    gw_xml_close(&b, "AccessControlList");
    gw_xml_close(&b, "AccessControlPolicy");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}
