/*
 * manager/admin_login.c: who calls the admin API (see admin_login.h).
 */
#include "manager/admin_login.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/clock.h"
#include "common/hash.h"
#include "manager/manager.h"
#include "manager/users.h"

#define BASIC_MAX 512 /* bytes of "user:password", decoded */

void mgr_login_cache_init(struct mgr_login_cache *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
}

void mgr_login_cache_dispose(struct mgr_login_cache *c)
{
    pthread_mutex_destroy(&c->lock);
}

static int token_matches(const struct mgr_server *s, const char *tok)
{
    const char *want = s->conf.admin_token;
    size_t n = want ? strlen(want) : 0;

    while (*tok == ' ')
        tok++;
    return n > 0 && strlen(tok) == n && CRYPTO_memcmp(tok, want, n) == 0;
}

/* The digest a login is remembered by: the user's stored hash and role are part of it, so
 * a changed password or role, or a re-created user, never matches an old entry. */
static void login_digest(const char *user, const char *password, const char *pw_hash,
                         const char *role, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned len = 32;

    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, user, strlen(user) + 1);
    EVP_DigestUpdate(md, password, strlen(password) + 1);
    EVP_DigestUpdate(md, pw_hash, strlen(pw_hash) + 1);
    EVP_DigestUpdate(md, role, strlen(role) + 1);
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

/* -1 not remembered, else the remembered admin flag. */
static int cache_find(struct mgr_login_cache *c, const uint8_t d[32])
{
    uint64_t now = cn_mono_ms();
    int found = -1;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < MGR_LOGIN_CACHE; i++)
        if (c->e[i].until_ms > now && CRYPTO_memcmp(c->e[i].digest, d, 32) == 0)
            found = c->e[i].admin;
    pthread_mutex_unlock(&c->lock);
    return found;
}

static void cache_put(struct mgr_login_cache *c, const uint8_t d[32], int admin)
{
    pthread_mutex_lock(&c->lock);
    memcpy(c->e[c->next].digest, d, 32);
    c->e[c->next].until_ms = cn_mono_ms() + MGR_LOGIN_TTL_MS;
    c->e[c->next].admin = admin;
    c->next = (c->next + 1) % MGR_LOGIN_CACHE;
    pthread_mutex_unlock(&c->lock);
}

static enum mgr_caller basic(struct mgr_server *s, struct mgr_login_cache *c, const char *b64,
                             char *user, size_t userlen)
{
    unsigned char dec[BASIC_MAX + 4];
    size_t n = strlen(b64), len;
    char *colon, *password;
    uint8_t d[32];
    mgr_user_t u;
    int rc, admin;

    while (n > 0 && b64[n - 1] == ' ')
        n--;
    if (cn_base64_decode(b64, n, dec, BASIC_MAX, &len) != 0)
        return MGR_CALLER_BAD;
    dec[len] = '\0';
    if (memchr(dec, '\0', len) != NULL || (colon = strchr((char *)dec, ':')) == NULL)
        return MGR_CALLER_BAD;
    *colon = '\0';
    password = colon + 1;
    snprintf(user, userlen, "%s", (char *)dec);
    pthread_mutex_lock(&s->lock);
    rc = mgr_users_get(s->st, (char *)dec, &u);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0 || u.pw_hash[0] == '\0')
        return MGR_CALLER_BAD;
    login_digest(u.name, password, u.pw_hash, u.role, d);
    if ((admin = cache_find(c, d)) < 0) {
        if (!mgr_users_check_password(&u, password))
            return MGR_CALLER_BAD;
        admin = strcmp(u.role, "admin") == 0;
        cache_put(c, d, admin);
    }
    OPENSSL_cleanse(dec, sizeof(dec));
    return admin ? MGR_CALLER_ADMIN : MGR_CALLER_USER;
}

enum mgr_caller mgr_login_identify(struct mgr_server *s, struct mgr_login_cache *c,
                                   const char *authz, char *user, size_t userlen)
{
    user[0] = '\0';
    if (authz == NULL)
        return MGR_CALLER_NONE;
    if (strncasecmp(authz, "Bearer ", 7) == 0)
        return token_matches(s, authz + 7) ? MGR_CALLER_TOKEN : MGR_CALLER_BAD;
    if (strncasecmp(authz, "Basic ", 6) == 0) {
        const char *p = authz + 6;

        while (*p == ' ')
            p++;
        return basic(s, c, p, user, userlen);
    }
    return MGR_CALLER_BAD;
}
