/*
 * common/acl.c: ACL grant lists in their text form (see acl.h). The parser never trusts the
 * text (it may come from a peer's metadata or a manager record written by a newer release):
 * anything but the exact form is CN_ECORRUPT, and nothing is allocated.
 */
#include "common/acl.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static const struct group {
    cn_acl_grantee_t type;
    const char *name; /* in the text form */
    const char *uri;  /* what S3 names it */
} groups[] = {
    {CN_ACL_ALL_USERS, "AllUsers", "http://acs.amazonaws.com/groups/global/AllUsers"},
    {CN_ACL_AUTH_USERS, "AuthenticatedUsers",
     "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
    {CN_ACL_LOG_DELIVERY, "LogDelivery", "http://acs.amazonaws.com/groups/s3/LogDelivery"},
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static const struct perm {
    unsigned bits;
    const char *name;
} perms[] = {
    {CN_ACL_READ, "READ"},           {CN_ACL_WRITE, "WRITE"},
    {CN_ACL_READ_ACP, "READ_ACP"},   {CN_ACL_WRITE_ACP, "WRITE_ACP"},
    {CN_ACL_FULL_CONTROL, "FULL_CONTROL"},
};
#define NPERMS (sizeof(perms) / sizeof(perms[0]))

/* What each canned ACL grants beside the owner's FULL_CONTROL. BUCKET_OWNER stands for the
 * object's bucket's owner. aws-exec-read's grant goes to Amazon EC2, which has no user here:
 * it is the owner's FULL_CONTROL alone. */
#define BUCKET_OWNER ((cn_acl_grantee_t)-1)
static const struct canned {
    const char *name;
    struct {
        cn_acl_grantee_t who;
        unsigned perm;
    } g[2];
} canned[] = {
    {"private", {{0, 0}}},
    {"public-read", {{CN_ACL_ALL_USERS, CN_ACL_READ}}},
    {"public-read-write", {{CN_ACL_ALL_USERS, CN_ACL_READ}, {CN_ACL_ALL_USERS, CN_ACL_WRITE}}},
    {"authenticated-read", {{CN_ACL_AUTH_USERS, CN_ACL_READ}}},
    {"aws-exec-read", {{0, 0}}},
    {"bucket-owner-read", {{BUCKET_OWNER, CN_ACL_READ}}},
    {"bucket-owner-full-control", {{BUCKET_OWNER, CN_ACL_FULL_CONTROL}}},
    {"log-delivery-write",
     {{CN_ACL_LOG_DELIVERY, CN_ACL_WRITE}, {CN_ACL_LOG_DELIVERY, CN_ACL_READ_ACP}}},
};

int cn_acl_id_valid(const char *s, size_t n)
{
    if (n != CN_ACL_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int cn_acl_perm_parse(const char *s, size_t n, unsigned *perm)
{
    for (size_t i = 0; i < NPERMS; i++)
        if (strlen(perms[i].name) == n && memcmp(perms[i].name, s, n) == 0) {
            *perm = perms[i].bits;
            return 0;
        }
    return CN_EINVAL;
}

const char *cn_acl_perm_name(unsigned perm)
{
    for (size_t i = 0; i < NPERMS; i++)
        if (perms[i].bits == perm)
            return perms[i].name;
    return NULL;
}

int cn_acl_group_parse(const char *s, size_t n, cn_acl_grantee_t *type)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (strlen(groups[i].uri) == n && memcmp(groups[i].uri, s, n) == 0) {
            *type = groups[i].type;
            return 0;
        }
    return CN_EINVAL;
}

const char *cn_acl_group_uri(cn_acl_grantee_t type)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (groups[i].type == type)
            return groups[i].uri;
    return NULL;
}

int cn_acl_next(const char *text, size_t *pos, cn_acl_grant_t *g)
{
    const char *p = text + *pos, *slash, *end;
    size_t glen;

    if (*p == '\0')
        return 0;
    if (*pos > 0 && *p++ != ',')
        return CN_ECORRUPT;
    end = strchr(p, ',');
    end = end ? end : p + strlen(p);
    slash = memchr(p, '/', (size_t)(end - p));
    if (slash == NULL || cn_acl_perm_parse(slash + 1, (size_t)(end - slash - 1), &g->perm) != 0)
        return CN_ECORRUPT;
    glen = (size_t)(slash - p);
    memset(g->id, 0, sizeof(g->id));
    if (cn_acl_id_valid(p, glen)) {
        g->type = CN_ACL_USER;
        memcpy(g->id, p, glen);
    } else {
        size_t i;

        for (i = 0; i < NGROUPS; i++)
            if (strlen(groups[i].name) == glen && memcmp(groups[i].name, p, glen) == 0)
                break;
        if (i == NGROUPS)
            return CN_ECORRUPT;
        g->type = groups[i].type;
    }
    *pos = (size_t)(end - text);
    return 1;
}

int cn_acl_text_valid(const char *text)
{
    cn_acl_grant_t g;
    size_t pos = 0, n = 0;
    int rc;

    while ((rc = cn_acl_next(text, &pos, &g)) == 1)
        if (++n > CN_ACL_MAX_GRANTS)
            return CN_ECORRUPT;
    return rc == 0 ? 0 : CN_ECORRUPT;
}

void cn_acl_append(cn_buf_t *out, const cn_acl_grant_t *g)
{
    if (out->len)
        cn_buf_append_str(out, ",");
    if (g->type == CN_ACL_USER) {
        cn_buf_append_str(out, g->id);
    } else {
        for (size_t i = 0; i < NGROUPS; i++)
            if (groups[i].type == g->type)
                cn_buf_append_str(out, groups[i].name);
    }
    cn_buf_append_str(out, "/");
    cn_buf_append_str(out, cn_acl_perm_name(g->perm));
}

int cn_acl_canned_known(const char *name)
{
    for (size_t i = 0; name && i < sizeof(canned) / sizeof(canned[0]); i++)
        if (strcmp(name, canned[i].name) == 0)
            return 1;
    return 0;
}

static void set_user(cn_acl_grant_t *g, const char *id, unsigned perm)
{
    g->type = CN_ACL_USER;
    g->perm = perm;
    snprintf(g->id, sizeof(g->id), "%s", id ? id : "");
}

int cn_acl_canned(const char *name, const char *owner, const char *bucket_owner,
                  cn_acl_grant_t out[CN_ACL_CANNED_MAX], size_t *n)
{
    const struct canned *c = NULL;

    *n = 0;
    if (name == NULL || name[0] == '\0')
        name = "private";
    for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
        if (strcmp(name, canned[i].name) == 0)
            c = &canned[i];
    if (c == NULL)
        return CN_EINVAL;
    set_user(&out[(*n)++], owner, CN_ACL_FULL_CONTROL);
    for (size_t i = 0; i < 2 && c->g[i].perm; i++) {
        cn_acl_grant_t *g = &out[*n];

        if (c->g[i].who == BUCKET_OWNER) {
            if (bucket_owner == NULL || bucket_owner[0] == '\0' ||
                (owner != NULL && strcmp(owner, bucket_owner) == 0))
                continue;
            set_user(g, bucket_owner, c->g[i].perm);
        } else {
            g->type = c->g[i].who;
            g->perm = c->g[i].perm;
            g->id[0] = '\0';
        }
        (*n)++;
    }
    return 0;
}

int cn_acl_grant_public(const cn_acl_grant_t *g)
{
    return g->type == CN_ACL_ALL_USERS || g->type == CN_ACL_AUTH_USERS;
}

int cn_acl_is_public(const char *name, const char *text)
{
    cn_acl_grant_t g[CN_ACL_CANNED_MAX];
    size_t n, pos = 0;

    if (text != NULL && text[0] != '\0') {
        while (cn_acl_next(text, &pos, &g[0]) == 1)
            if (cn_acl_grant_public(&g[0]))
                return 1;
        return 0;
    }
    if (cn_acl_canned(name, "", NULL, g, &n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (cn_acl_grant_public(&g[i]))
            return 1;
    return 0;
}
